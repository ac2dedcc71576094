//! A [`Statement`] written as PartiQL text: every table, index and attribute name
//! double-quoted, values as literals, and the values PartiQL has no literal for (binaries, empty
//! sets, collections holding them) as `?` parameters. [`parse`](super::parse) reads it back.

use super::{projected_name, Returning, Select, Statement};
use crate::error::{Error, Result};
use crate::expr::limits::MAX_IN_OPERANDS;
use crate::expr::{
    Condition, Function, Operand, Path, PathElement, SetOperand, SetValue, Update, UpdateAction,
};
use crate::value::Value;
use std::fmt::Write as _;

/// A rendered statement: its text and the values of its `?` parameters, in order (the request's
/// `Statement` and `Parameters`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rendered {
    /// The PartiQL text.
    pub statement: String,
    /// The parameters, in the order of the `?`s.
    pub parameters: Vec<Value>,
}

/// Writes `statement` as PartiQL, the inverse of [`parse`](super::parse).
///
/// Fails with [`Error::Validation`] on what PartiQL cannot say: an empty name, an empty
/// `AND`/`OR` or update, `IN` with no values, more than 100, or a non-path on its left, an
/// `ADD` or `DELETE` action of something else than a set, a `DELETE` returning anything but
/// `ALL OLD`, two projected paths under one name.
///
/// ```
/// use orm_core::expr::attr;
/// use orm_core::expr::partiql::{render, Select, Statement};
/// use orm_core::Value;
///
/// let mut select = Select::new("app");
/// select.condition = Some(attr("pk").eq("a").and(attr("data").eq(Value::B(vec![1]))));
/// let rendered = render(&Statement::Select(select))?;
/// assert_eq!(rendered.statement, r#"SELECT * FROM "app" WHERE ("pk" = 'a' AND "data" = ?)"#);
/// assert_eq!(rendered.parameters, vec![Value::B(vec![1])]);
/// # Ok::<(), orm_core::Error>(())
/// ```
pub fn render(statement: &Statement) -> Result<Rendered> {
    let mut w = Writer::default();
    match statement {
        Statement::Select(select) => w.select(select)?,
        Statement::Exists(select) => {
            w.text.push_str("EXISTS(");
            w.select(select)?;
            w.text.push(')');
        }
        Statement::Insert { table, item } => {
            w.text.push_str("INSERT INTO ");
            w.identifier(table)?;
            w.text.push_str(" VALUE {");
            for (i, (name, value)) in item.0.iter().enumerate() {
                if i > 0 {
                    w.text.push_str(", ");
                }
                string_literal(&mut w.text, name);
                w.text.push_str(": ");
                w.value(value)?;
            }
            w.text.push('}');
        }
        Statement::Update {
            table,
            update,
            condition,
            returning,
        } => {
            w.text.push_str("UPDATE ");
            w.identifier(table)?;
            w.update(update)?;
            w.where_clause(condition.as_ref())?;
            w.returning(*returning);
        }
        Statement::Delete {
            table,
            condition,
            returning,
        } => {
            if returning.is_some_and(|r| r != Returning::AllOld) {
                return Err(Error::validation(
                    "a PartiQL DELETE can only return ALL OLD",
                ));
            }
            w.text.push_str("DELETE FROM ");
            w.identifier(table)?;
            w.where_clause(condition.as_ref())?;
            w.returning(*returning);
        }
    }
    Ok(Rendered {
        statement: w.text,
        parameters: w.parameters,
    })
}

#[derive(Default)]
struct Writer {
    text: String,
    parameters: Vec<Value>,
}

impl Writer {
    fn select(&mut self, select: &Select) -> Result<()> {
        self.text.push_str("SELECT ");
        match &select.projection {
            None => self.text.push('*'),
            Some(paths) => {
                if paths.is_empty() {
                    return Err(Error::validation("a projection needs at least one path"));
                }
                for (i, path) in paths.iter().enumerate() {
                    let name = projected_name(path);
                    if paths[..i].iter().any(|p| projected_name(p) == name) {
                        return Err(Error::validation(format!(
                            "two projected paths come back under one name: {name}"
                        )));
                    }
                    if i > 0 {
                        self.text.push_str(", ");
                    }
                    self.path(path)?;
                }
            }
        }
        self.text.push_str(" FROM ");
        self.identifier(&select.table)?;
        if let Some(index) = &select.index {
            self.text.push('.');
            self.identifier(index)?;
        }
        self.where_clause(select.condition.as_ref())?;
        for (i, key) in select.order_by.iter().enumerate() {
            self.text.push_str(if i == 0 { " ORDER BY " } else { ", " });
            self.path(&key.path)?;
            self.text
                .push_str(if key.descending { " DESC" } else { " ASC" });
        }
        Ok(())
    }

    fn where_clause(&mut self, condition: Option<&Condition>) -> Result<()> {
        if let Some(c) = condition {
            self.text.push_str(" WHERE ");
            self.condition(c)?;
        }
        Ok(())
    }

    fn returning(&mut self, returning: Option<Returning>) {
        if let Some(r) = returning {
            let _ = write!(self.text, " RETURNING {} *", r.words());
        }
    }

    fn update(&mut self, update: &Update) -> Result<()> {
        if update.is_empty() {
            return Err(Error::validation("an update needs at least one action"));
        }
        for action in &update.actions {
            match action {
                UpdateAction::Set(path, value) => {
                    self.text.push_str(" SET ");
                    self.path(path)?;
                    self.text.push_str(" = ");
                    self.set_value(value)?;
                }
                UpdateAction::Remove(path) => {
                    self.text.push_str(" REMOVE ");
                    self.path(path)?;
                }
                UpdateAction::Add(path, value) | UpdateAction::Delete(path, value) => {
                    if !matches!(value, Value::Ss(_) | Value::Ns(_) | Value::Bs(_)) {
                        return Err(Error::validation(
                            "PartiQL adds and deletes sets only (set_add, set_delete): ADD of a number has no PartiQL form",
                        ));
                    }
                    let function = if matches!(action, UpdateAction::Add(..)) {
                        "set_add"
                    } else {
                        "set_delete"
                    };
                    self.text.push_str(" SET ");
                    self.path(path)?;
                    self.text.push_str(" = ");
                    self.call(function, |r| r.path(path), |r| r.value(value))?;
                }
            }
        }
        Ok(())
    }

    fn set_value(&mut self, value: &SetValue) -> Result<()> {
        match value {
            SetValue::Operand(o) => self.set_operand(o),
            SetValue::Plus(a, b) | SetValue::Minus(a, b) => {
                self.set_operand(a)?;
                self.text.push_str(if matches!(value, SetValue::Plus(..)) {
                    " + "
                } else {
                    " - "
                });
                self.set_operand(b)
            }
            SetValue::ListAppend(a, b) => self.call(
                Function::ListAppend.name(),
                |r| r.set_operand(a),
                |r| r.set_operand(b),
            ),
        }
    }

    fn set_operand(&mut self, operand: &SetOperand) -> Result<()> {
        match operand {
            SetOperand::Value(v) => self.value(v),
            SetOperand::Path(p) => self.path(p),
            SetOperand::IfNotExists(p, fallback) => self.call(
                Function::IfNotExists.name(),
                |r| r.path(p),
                |r| r.set_operand(fallback),
            ),
        }
    }

    fn condition(&mut self, condition: &Condition) -> Result<()> {
        match condition {
            Condition::Compare(a, op, b) => {
                self.operand(a)?;
                let _ = write!(self.text, " {} ", op.symbol());
                self.operand(b)?;
            }
            Condition::Between(a, low, high) => {
                self.operand(a)?;
                self.text.push_str(" BETWEEN ");
                self.operand(low)?;
                self.text.push_str(" AND ");
                self.operand(high)?;
            }
            Condition::In(a, values) => {
                if !matches!(a, Operand::Path(_)) {
                    return Err(Error::validation(
                        "PartiQL's IN takes an attribute path on its left",
                    ));
                }
                if values.is_empty() || values.len() > MAX_IN_OPERANDS {
                    return Err(Error::validation(format!(
                        "IN takes 1 to {MAX_IN_OPERANDS} values, got {}",
                        values.len()
                    )));
                }
                self.operand(a)?;
                self.text.push_str(" IN [");
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        self.text.push_str(", ");
                    }
                    let Operand::Value(v) = v else {
                        return Err(Error::validation("PartiQL's IN takes values only"));
                    };
                    self.value(v)?;
                }
                self.text.push(']');
            }
            Condition::BeginsWith(p, v) | Condition::Contains(p, v) => {
                let function = if matches!(condition, Condition::BeginsWith(..)) {
                    Function::BeginsWith
                } else {
                    Function::Contains
                };
                self.call(function.name(), |r| r.path(p), |r| r.operand(v))?;
            }
            Condition::Exists(p) => {
                self.path(p)?;
                self.text.push_str(" IS NOT MISSING");
            }
            Condition::NotExists(p) => {
                self.path(p)?;
                self.text.push_str(" IS MISSING");
            }
            Condition::Invalid(reason) => return Err(Error::validation(reason.clone())),
            Condition::IsType(p, t) => {
                self.call(
                    Function::AttributeType.name(),
                    |r| r.path(p),
                    |r| {
                        string_literal(&mut r.text, t.descriptor());
                        Ok(())
                    },
                )?;
            }
            Condition::And(all) | Condition::Or(all) => {
                if all.is_empty() {
                    return Err(Error::validation("empty AND/OR in a condition"));
                }
                let joiner = if matches!(condition, Condition::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                self.text.push('(');
                for (i, c) in all.iter().enumerate() {
                    if i > 0 {
                        self.text.push_str(joiner);
                    }
                    self.condition(c)?;
                }
                self.text.push(')');
            }
            Condition::Not(c) => {
                self.text.push_str("(NOT ");
                self.condition(c)?;
                self.text.push(')');
            }
        }
        Ok(())
    }

    fn operand(&mut self, operand: &Operand) -> Result<()> {
        match operand {
            Operand::Path(p) => self.path(p),
            Operand::Value(v) => self.value(v),
            Operand::Size(p) => {
                self.text.push_str("size(");
                self.path(p)?;
                self.text.push(')');
                Ok(())
            }
        }
    }

    fn path(&mut self, path: &Path) -> Result<()> {
        for (i, element) in path.elements().iter().enumerate() {
            match element {
                PathElement::Name(name) => {
                    if i > 0 {
                        self.text.push('.');
                    }
                    self.identifier(name)?;
                }
                PathElement::Index(index) => {
                    let _ = write!(self.text, "[{index}]");
                }
            }
        }
        Ok(())
    }

    fn identifier(&mut self, name: &str) -> Result<()> {
        if name.is_empty() {
            return Err(Error::validation(
                "PartiQL has no way to write an empty name",
            ));
        }
        quoted(&mut self.text, '"', name);
        Ok(())
    }

    /// `name(first, second)`: a call of a function of two arguments, each written by its
    /// closure.
    fn call(
        &mut self,
        name: &str,
        first: impl FnOnce(&mut Self) -> Result<()>,
        second: impl FnOnce(&mut Self) -> Result<()>,
    ) -> Result<()> {
        let _ = write!(self.text, "{name}(");
        first(self)?;
        self.text.push_str(", ");
        second(self)?;
        self.text.push(')');
        Ok(())
    }

    /// A value: a literal where PartiQL has one, else a `?` parameter (never an error; a
    /// `Result` like the other writers').
    fn value(&mut self, value: &Value) -> Result<()> {
        if has_literal(value) {
            literal(&mut self.text, value);
        } else {
            self.text.push('?');
            self.parameters.push(value.clone());
        }
        Ok(())
    }
}

/// Whether PartiQL can write `value` as a literal (no binaries, no empty sets, anywhere in it).
fn has_literal(value: &Value) -> bool {
    match value {
        Value::S(_) | Value::N(_) | Value::Bool(_) | Value::Null => true,
        Value::Ss(s) => !s.is_empty(),
        Value::Ns(s) => !s.is_empty(),
        Value::B(_) | Value::Bs(_) => false,
        Value::L(list) => list.iter().all(has_literal),
        Value::M(map) => map.values().all(has_literal),
    }
}

fn literal(out: &mut String, value: &Value) {
    match value {
        Value::S(s) => string_literal(out, s),
        Value::N(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Bool(b) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
        Value::Null => out.push_str("NULL"),
        Value::L(list) => separated(out, "[", list, "]", literal),
        Value::M(map) => separated(out, "{", map, "}", |out, (k, v)| {
            string_literal(out, k);
            out.push_str(": ");
            literal(out, v);
        }),
        Value::Ss(set) => separated(out, "<<", set, ">>", |out, s| string_literal(out, s)),
        Value::Ns(set) => separated(out, "<<", set, ">>", |out, n| {
            let _ = write!(out, "{n}");
        }),
        Value::B(_) | Value::Bs(_) => unreachable!("has_literal is false for binaries"),
    }
}

fn string_literal(out: &mut String, s: &str) {
    quoted(out, '\'', s);
}

/// `text` between `quote`s, a `quote` in it doubled (how PartiQL writes its strings and
/// quoted identifiers).
fn quoted(out: &mut String, quote: char, text: &str) {
    out.push(quote);
    for c in text.chars() {
        if c == quote {
            out.push(quote);
        }
        out.push(c);
    }
    out.push(quote);
}

/// `open`, `items` each written by `write` with `, ` between them, then `close`.
fn separated<T>(
    out: &mut String,
    open: &str,
    items: impl IntoIterator<Item = T>,
    close: &str,
    mut write: impl FnMut(&mut String, T),
) {
    out.push_str(open);
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write(out, item);
    }
    out.push_str(close);
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;
    use crate::expr::attr;
    use crate::value::Item;
    use crate::Number;
    use std::collections::BTreeSet;

    #[test]
    fn writes_every_statement() {
        let insert = Statement::Insert {
            table: "a\"b".into(),
            item: Item::new()
                .with("pk", "it's")
                .with("n", Value::N(Number::parse("-1.5").unwrap()))
                .with("b", Value::B(vec![1]))
                .with("ss", Value::Ss(BTreeSet::from(["x".to_string()])))
                .with("l", Value::L(vec![Value::Null, true.into()])),
        };
        let r = render(&insert).unwrap();
        assert_eq!(
            r.statement,
            r#"INSERT INTO "a""b" VALUE {'b': ?, 'l': [NULL, TRUE], 'n': -1.5, 'pk': 'it''s', 'ss': <<'x'>>}"#
        );
        assert_eq!(r.parameters, vec![Value::B(vec![1])]);
        assert_eq!(parse(&r.statement, &r.parameters).unwrap(), insert);

        let update = Statement::Update {
            table: "t".into(),
            update: Update::new()
                .set(attr("a.b[1]"), 1)
                .add(attr("s"), Value::Ns([Number::from(1)].into()))
                .remove(attr("c")),
            condition: Some(attr("pk").eq("k").and(!attr("x").is_in([1, 2]))),
            returning: Some(Returning::AllNew),
        };
        let r = render(&update).unwrap();
        assert_eq!(
            r.statement,
            r#"UPDATE "t" SET "a"."b"[1] = 1 SET "s" = set_add("s", <<1>>) REMOVE "c" WHERE ("pk" = 'k' AND (NOT "x" IN [1, 2])) RETURNING ALL NEW *"#
        );
        assert_eq!(parse(&r.statement, &r.parameters).unwrap(), update);
    }

    #[test]
    fn refuses_what_partiql_cannot_say() {
        let select = |condition| {
            let mut s = Select::new("t");
            s.condition = Some(condition);
            Statement::Select(s)
        };
        for bad in [
            select(Condition::And(vec![])),
            select(attr("a").is_in(Vec::<i32>::new())),
            select(Condition::In(
                Operand::Value(1.into()),
                vec![Operand::Value(1.into())],
            )),
            select(Condition::In(
                Operand::Path(attr("a")),
                vec![Operand::Path(attr("b"))],
            )),
            select(Path::name("").eq(1)),
            Statement::Delete {
                table: "t".into(),
                condition: None,
                returning: Some(Returning::AllNew),
            },
            Statement::Update {
                table: "t".into(),
                update: Update::new(),
                condition: None,
                returning: None,
            },
        ] {
            assert!(render(&bad).is_err(), "{bad:?}");
        }
    }
}
