//! The AST rendered into DynamoDB expression text, with every name and value a placeholder.
//!
//! Pure functions, no network: every rendered request can be checked as data. The values stay
//! orm-core [`Value`]s; a backend converts them to its wire types (orm-dynamodb's
//! `ExpressionAttributes::take(&mut expressions)` to the SDK's `AttributeValue`s). Code that sends its own
//! DynamoDB requests can build conditions, filters or updates with the typed AST instead of
//! hand-written strings; [`parse`](super::parse) reads the text back.
//!
//! # Scheme
//!
//! Every attribute-name element of every path becomes a `#name` placeholder and every literal
//! value a `:value` placeholder, so no name is ever written into an expression verbatim: names
//! with dots, `#`, `:`, spaces or reserved words (`name`, `status`, `size`...) are all safe.
//! List indexes are rendered inline as `[n]`.
//!
//! Placeholders carry a per-clause prefix, so the clauses of one request share the two
//! attribute maps without colliding:
//!
//! | clause | names | values |
//! |---|---|---|
//! | key condition | `#k0`, `#k1`... | `:k0`, `:k1`... |
//! | condition | `#c0`... | `:c0`... |
//! | filter | `#f0`... | `:f0`... |
//! | update | `#u0`... | `:u0`... |
//! | projection | `#p0`... | (none) |
//!
//! Within a clause an attribute name that appears twice reuses its placeholder; every literal
//! value gets its own placeholder, numbered in rendering order. `AND` / `OR` lists are wrapped in
//! parentheses and `NOT` is rendered as `(NOT x)`, so precedence never depends on context.
//! Update actions are grouped as `SET ... REMOVE ... ADD ... DELETE ...` (actions within a group
//! keep their order).
//!
//! ```
//! use orm_core::expr::attr;
//! use orm_core::expr::render::Expressions;
//!
//! let e = Expressions::new().with_condition(attr("status").eq("open").and(attr("status").ne("x")));
//! assert_eq!(e.condition.as_deref(), Some("(#c0 = :c0 AND #c0 <> :c1)"));
//! assert_eq!(e.names["#c0"], "status");
//! ```

use super::ast::{
    Condition, Function, KeyCondition, Operand, Path, PathElement, SetOperand, SetValue,
    SortKeyCondition, Update, UpdateAction,
};
use super::Clause;
use crate::key::push_padded;
use crate::value::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The rendered expressions of one request and their shared placeholder maps.
///
/// Build it with the `with_*` methods (each consumes its AST, moving values into
/// [`values`](Expressions::values)), then convert the values to the wire's types.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expressions {
    /// `KeyConditionExpression`.
    pub key_condition: Option<String>,
    /// `ConditionExpression`.
    pub condition: Option<String>,
    /// `FilterExpression`.
    pub filter: Option<String>,
    /// `UpdateExpression`.
    pub update: Option<String>,
    /// `ProjectionExpression`.
    pub projection: Option<String>,
    /// `ExpressionAttributeNames`: placeholder (`#c0`) to attribute name.
    pub names: BTreeMap<String, String>,
    /// `ExpressionAttributeValues`: placeholder (`:c0`) to value.
    pub values: BTreeMap<String, Value>,
}

impl Expressions {
    /// No expressions.
    pub fn new() -> Expressions {
        Expressions::default()
    }

    /// Renders a write condition (`#c` / `:c`).
    ///
    /// # Panics
    ///
    /// On a [`Condition::Invalid`] anywhere in `condition`: it has no text. Requests are
    /// [validated](Condition::validate) before they are rendered, which rejects it.
    pub fn with_condition(mut self, condition: Condition) -> Expressions {
        let mut r = self.renderer(Clause::Condition);
        r.condition(condition);
        self.condition = Some(r.finish());
        self
    }

    /// Renders an optional write condition.
    pub fn with_condition_opt(self, condition: Option<Condition>) -> Expressions {
        match condition {
            Some(c) => self.with_condition(c),
            None => self,
        }
    }

    /// Renders a read filter (`#f` / `:f`).
    ///
    /// # Panics
    ///
    /// On a [`Condition::Invalid`], as [`Expressions::with_condition`].
    pub fn with_filter(mut self, filter: Condition) -> Expressions {
        let mut r = self.renderer(Clause::Filter);
        r.condition(filter);
        self.filter = Some(r.finish());
        self
    }

    /// Renders an optional read filter.
    pub fn with_filter_opt(self, filter: Option<Condition>) -> Expressions {
        match filter {
            Some(c) => self.with_filter(c),
            None => self,
        }
    }

    /// Renders a query's key condition (`#k` / `:k`).
    pub fn with_key_condition(mut self, key: KeyCondition) -> Expressions {
        let mut r = self.renderer(Clause::KeyCondition);
        r.key_condition(key);
        self.key_condition = Some(r.finish());
        self
    }

    /// Renders an update expression (`#u` / `:u`).
    pub fn with_update(mut self, update: Update) -> Expressions {
        let mut r = self.renderer(Clause::Update);
        r.update(update);
        self.update = Some(r.finish());
        self
    }

    /// Renders a projection (`#p`); an empty list renders nothing.
    pub fn with_projection(mut self, paths: &[Path]) -> Expressions {
        if paths.is_empty() {
            return self;
        }
        let mut r = self.renderer(Clause::Projection);
        for (i, p) in paths.iter().enumerate() {
            if i > 0 {
                r.out.push_str(", ");
            }
            r.path(p);
        }
        self.projection = Some(r.finish());
        self
    }

    /// Renders an optional projection.
    pub fn with_projection_opt(self, paths: Option<&[Path]>) -> Expressions {
        match paths {
            Some(p) => self.with_projection(p),
            None => self,
        }
    }

    fn renderer(&mut self, clause: Clause) -> Renderer<'_> {
        Renderer {
            prefix: clause.prefix(),
            names: &mut self.names,
            values: &mut self.values,
            next_name: 0,
            next_value: 0,
            out: String::with_capacity(64),
        }
    }
}

/// Renders one clause into `out`, registering placeholders in the shared maps.
struct Renderer<'a> {
    prefix: &'static str,
    names: &'a mut BTreeMap<String, String>,
    values: &'a mut BTreeMap<String, Value>,
    /// Name placeholders made by this clause so far.
    next_name: usize,
    next_value: usize,
    out: String,
}

/// `{sigil}{prefix}{n}` (`#c0`, `:f12`), built without the formatting machinery.
fn placeholder(sigil: char, prefix: &str, n: usize) -> String {
    let mut p = String::with_capacity(2 + prefix.len() + 3);
    p.push(sigil);
    p.push_str(prefix);
    push_padded(&mut p, n as u128, 0);
    p
}

impl Renderer<'_> {
    fn finish(self) -> String {
        self.out
    }

    fn name(&mut self, name: &str) {
        // A name already used by this clause reuses its placeholder. Requests hold a handful of
        // names, so a scan of the shared map beats hashing (and copying) every name.
        let prefix = self.prefix;
        let existing = self.names.iter().find(|(placeholder, n)| {
            n.as_str() == name
                && placeholder[1..].starts_with(prefix)
                && placeholder[1 + prefix.len()..]
                    .bytes()
                    .all(|b| b.is_ascii_digit())
        });
        match existing {
            Some((placeholder, _)) => self.out.push_str(placeholder),
            None => {
                let placeholder = placeholder('#', prefix, self.next_name);
                self.next_name += 1;
                self.out.push_str(&placeholder);
                self.names.insert(placeholder, name.to_owned());
            }
        }
    }

    fn value(&mut self, value: Value) {
        let placeholder = placeholder(':', self.prefix, self.next_value);
        self.next_value += 1;
        self.out.push_str(&placeholder);
        self.values.insert(placeholder, value);
    }

    fn path(&mut self, path: &Path) {
        for (i, e) in path.elements().iter().enumerate() {
            match e {
                PathElement::Name(n) => {
                    if i > 0 {
                        self.out.push('.');
                    }
                    self.name(n);
                }
                PathElement::Index(x) => {
                    let _ = write!(self.out, "[{x}]");
                }
            }
        }
    }

    fn operand(&mut self, operand: Operand) {
        match operand {
            Operand::Value(v) => self.value(v),
            Operand::Path(p) => self.path(&p),
            Operand::Size(p) => {
                self.out.push_str(Function::Size.name());
                self.out.push('(');
                self.path(&p);
                self.out.push(')');
            }
        }
    }

    fn function(&mut self, function: Function, path: &Path, arg: Option<Operand>) {
        self.out.push_str(function.name());
        self.out.push('(');
        self.path(path);
        if let Some(a) = arg {
            self.out.push_str(", ");
            self.operand(a);
        }
        self.out.push(')');
    }

    fn condition(&mut self, condition: Condition) {
        match condition {
            Condition::Compare(a, op, b) => {
                self.operand(a);
                self.out.push(' ');
                self.out.push_str(op.symbol());
                self.out.push(' ');
                self.operand(b);
            }
            Condition::Between(a, low, high) => {
                self.operand(a);
                self.out.push_str(" BETWEEN ");
                self.operand(low);
                self.out.push_str(" AND ");
                self.operand(high);
            }
            Condition::In(a, list) => {
                self.operand(a);
                self.out.push_str(" IN (");
                for (i, v) in list.into_iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.operand(v);
                }
                self.out.push(')');
            }
            Condition::BeginsWith(p, v) => self.function(Function::BeginsWith, &p, Some(v)),
            Condition::Contains(p, v) => self.function(Function::Contains, &p, Some(v)),
            Condition::Exists(p) => self.function(Function::AttributeExists, &p, None),
            Condition::NotExists(p) => self.function(Function::AttributeNotExists, &p, None),
            Condition::IsType(p, t) => self.function(
                Function::AttributeType,
                &p,
                Some(Operand::Value(Value::S(t.descriptor().to_owned()))),
            ),
            Condition::And(list) => self.junction(list, " AND "),
            Condition::Or(list) => self.junction(list, " OR "),
            Condition::Not(c) => {
                self.out.push_str("(NOT ");
                self.condition(*c);
                self.out.push(')');
            }
            // Every request is validated before it is rendered, and validation rejects it.
            Condition::Invalid(reason) => {
                panic!("an invalid condition cannot be rendered (validate it first): {reason}")
            }
        }
    }

    fn junction(&mut self, mut list: Vec<Condition>, sep: &str) {
        // DynamoDB rejects redundant parentheses (`((a = :v))`): one operand renders bare.
        if list.len() == 1 {
            let only = list.pop().expect("one element");
            self.condition(only);
            return;
        }
        self.out.push('(');
        for (i, c) in list.into_iter().enumerate() {
            if i > 0 {
                self.out.push_str(sep);
            }
            self.condition(c);
        }
        self.out.push(')');
    }

    fn key_condition(&mut self, key: KeyCondition) {
        self.name(&key.partition_name);
        self.out.push_str(" = ");
        self.value(key.partition_value);
        for (name, v) in key.extra_partition.into_iter().chain(key.sort_prefix) {
            self.out.push_str(" AND ");
            self.name(&name);
            self.out.push_str(" = ");
            self.value(v);
        }
        if let Some((name, sort)) = key.sort {
            self.out.push_str(" AND ");
            let cmp = |r: &mut Self, op: &str, v: Value| {
                r.name(&name);
                r.out.push(' ');
                r.out.push_str(op);
                r.out.push(' ');
                r.value(v);
            };
            match sort {
                SortKeyCondition::Eq(v) => cmp(self, "=", v),
                SortKeyCondition::Lt(v) => cmp(self, "<", v),
                SortKeyCondition::Le(v) => cmp(self, "<=", v),
                SortKeyCondition::Gt(v) => cmp(self, ">", v),
                SortKeyCondition::Ge(v) => cmp(self, ">=", v),
                SortKeyCondition::Between(a, b) => {
                    self.name(&name);
                    self.out.push_str(" BETWEEN ");
                    self.value(a);
                    self.out.push_str(" AND ");
                    self.value(b);
                }
                SortKeyCondition::BeginsWith(v) => {
                    self.out.push_str(Function::BeginsWith.name());
                    self.out.push('(');
                    self.name(&name);
                    self.out.push_str(", ");
                    self.value(v);
                    self.out.push(')');
                }
            }
        }
    }

    fn set_operand(&mut self, operand: SetOperand) {
        match operand {
            SetOperand::Value(v) => self.value(v),
            SetOperand::Path(p) => self.path(&p),
            SetOperand::IfNotExists(p, fallback) => {
                self.out.push_str(Function::IfNotExists.name());
                self.out.push('(');
                self.path(&p);
                self.out.push_str(", ");
                self.set_operand(*fallback);
                self.out.push(')');
            }
        }
    }

    fn set_value(&mut self, value: SetValue) {
        let binary = |r: &mut Self, a: SetOperand, op: &str, b: SetOperand| {
            r.set_operand(a);
            r.out.push_str(op);
            r.set_operand(b);
        };
        match value {
            SetValue::Operand(o) => self.set_operand(o),
            SetValue::Plus(a, b) => binary(self, a, " + ", b),
            SetValue::Minus(a, b) => binary(self, a, " - ", b),
            SetValue::ListAppend(a, b) => {
                self.out.push_str(Function::ListAppend.name());
                self.out.push('(');
                binary(self, a, ", ", b);
                self.out.push(')');
            }
        }
    }

    fn update(&mut self, update: Update) {
        let mut set = Vec::new();
        let mut remove = Vec::new();
        let mut add = Vec::new();
        let mut delete = Vec::new();
        for action in update.actions {
            match action {
                UpdateAction::Set(p, v) => set.push((p, v)),
                UpdateAction::Remove(p) => remove.push(p),
                UpdateAction::Add(p, v) => add.push((p, v)),
                UpdateAction::Delete(p, v) => delete.push((p, v)),
            }
        }
        let mut first_group = true;
        let mut group = |r: &mut Self, keyword: &str| {
            if !first_group {
                r.out.push(' ');
            }
            first_group = false;
            r.out.push_str(keyword);
            r.out.push(' ');
        };
        if !set.is_empty() {
            group(self, "SET");
            for (i, (p, v)) in set.into_iter().enumerate() {
                if i > 0 {
                    self.out.push_str(", ");
                }
                self.path(&p);
                self.out.push_str(" = ");
                self.set_value(v);
            }
        }
        if !remove.is_empty() {
            group(self, "REMOVE");
            for (i, p) in remove.iter().enumerate() {
                if i > 0 {
                    self.out.push_str(", ");
                }
                self.path(p);
            }
        }
        for (keyword, list) in [("ADD", add), ("DELETE", delete)] {
            if list.is_empty() {
                continue;
            }
            group(self, keyword);
            for (i, (p, v)) in list.into_iter().enumerate() {
                if i > 0 {
                    self.out.push_str(", ");
                }
                self.path(&p);
                self.out.push(' ');
                self.value(v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{attr, Update};
    use crate::{Number, ValueType};
    use std::collections::BTreeSet;

    fn names(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn values(pairs: Vec<(&str, Value)>) -> BTreeMap<String, Value> {
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    fn num(n: i64) -> Value {
        Value::N(Number::from(n))
    }

    #[test]
    fn comparison_and_junctions() {
        let e = Expressions::new().with_condition(
            attr("status")
                .eq("open")
                .and(attr("views").gt(10))
                .or(attr("size").le(3)),
        );
        assert_eq!(
            e.condition.as_deref(),
            Some("((#c0 = :c0 AND #c1 > :c1) OR #c2 <= :c2)")
        );
        assert_eq!(
            e.names,
            names(&[("#c0", "status"), ("#c1", "views"), ("#c2", "size")])
        );
        assert_eq!(
            e.values,
            values(vec![
                (":c0", Value::S("open".into())),
                (":c1", num(10)),
                (":c2", num(3))
            ])
        );
        assert!(e.filter.is_none() && e.update.is_none() && e.key_condition.is_none());
    }

    #[test]
    fn identical_names_reuse_placeholders_values_do_not() {
        let e = Expressions::new().with_filter(
            attr("name")
                .gt("a")
                .and(attr("name").lt("m"))
                .and(attr("name").ne("a")),
        );
        assert_eq!(
            e.filter.as_deref(),
            Some("(#f0 > :f0 AND #f0 < :f1 AND #f0 <> :f2)")
        );
        assert_eq!(e.names, names(&[("#f0", "name")]));
        assert_eq!(e.values.len(), 3);
    }

    #[test]
    fn awkward_names_are_always_placeholders() {
        let c = Path::name("a.b")
            .eq(1)
            .and(Path::name("x#y").exists())
            .and(Path::name(":v").not_exists())
            .and(Path::name("size").size().ge(Path::name("a.b")));
        let e = Expressions::new().with_condition(c);
        assert_eq!(
            e.condition.as_deref(),
            Some("(#c0 = :c0 AND attribute_exists(#c1) AND attribute_not_exists(#c2) AND size(#c3) >= #c0)")
        );
        assert_eq!(
            e.names,
            names(&[
                ("#c0", "a.b"),
                ("#c1", "x#y"),
                ("#c2", ":v"),
                ("#c3", "size")
            ])
        );
        assert_eq!(e.values, values(vec![(":c0", num(1))]));
    }

    #[test]
    fn nested_paths_with_indexes() {
        let e = Expressions::new().with_condition(
            attr("order.lines[2].qty")
                .gt(attr("order.lines[0].qty"))
                .and(attr("m[0][1]").eq(true)),
        );
        assert_eq!(
            e.condition.as_deref(),
            Some("(#c0.#c1[2].#c2 > #c0.#c1[0].#c2 AND #c3[0][1] = :c0)")
        );
        assert_eq!(
            e.names,
            names(&[
                ("#c0", "order"),
                ("#c1", "lines"),
                ("#c2", "qty"),
                ("#c3", "m")
            ])
        );
        assert_eq!(e.values, values(vec![(":c0", Value::Bool(true))]));
    }

    #[test]
    fn functions_between_in_not_type() {
        let c = attr("sk")
            .begins_with("TODO#")
            .and(attr("tags").contains("x"))
            .and(attr("n").between(1, 5))
            .and(attr("s").is_in(["a", "b", "c"]))
            .and(!attr("t").is_type(ValueType::Ss))
            .and(attr("l").size().between(1, 2));
        let e = Expressions::new().with_condition(c);
        assert_eq!(
            e.condition.as_deref(),
            Some(
                "(begins_with(#c0, :c0) AND contains(#c1, :c1) AND #c2 BETWEEN :c2 AND :c3 \
                 AND #c3 IN (:c4, :c5, :c6) AND (NOT attribute_type(#c4, :c7)) \
                 AND size(#c5) BETWEEN :c8 AND :c9)"
            )
        );
        assert_eq!(e.values[":c7"], Value::S("SS".into()));
        assert_eq!(e.values[":c6"], Value::S("c".into()));
        assert_eq!(e.names["#c5"], "l");
    }

    #[test]
    fn nested_not_and_or_keep_precedence() {
        let c = !(attr("a").eq(1).or(attr("b").eq(2))).and(attr("c").eq(3));
        let e = Expressions::new().with_condition(c);
        assert_eq!(
            e.condition.as_deref(),
            Some("(NOT ((#c0 = :c0 OR #c1 = :c1) AND #c2 = :c2))")
        );
    }

    #[test]
    fn key_conditions() {
        let kc = KeyCondition {
            extra_partition: Vec::new(),
            sort_prefix: Vec::new(),
            partition_name: "pk".into(),
            partition_value: "USER#1".into(),
            sort: Some(("sk".into(), SortKeyCondition::BeginsWith("TODO#".into()))),
        };
        let e = Expressions::new().with_key_condition(kc);
        assert_eq!(
            e.key_condition.as_deref(),
            Some("#k0 = :k0 AND begins_with(#k1, :k1)")
        );
        assert_eq!(e.names, names(&[("#k0", "pk"), ("#k1", "sk")]));
        assert_eq!(
            e.values,
            values(vec![
                (":k0", Value::S("USER#1".into())),
                (":k1", Value::S("TODO#".into()))
            ])
        );

        let cases = [
            (SortKeyCondition::Eq(num(1)), "#k0 = :k0 AND #k1 = :k1"),
            (SortKeyCondition::Lt(num(1)), "#k0 = :k0 AND #k1 < :k1"),
            (SortKeyCondition::Le(num(1)), "#k0 = :k0 AND #k1 <= :k1"),
            (SortKeyCondition::Gt(num(1)), "#k0 = :k0 AND #k1 > :k1"),
            (SortKeyCondition::Ge(num(1)), "#k0 = :k0 AND #k1 >= :k1"),
            (
                SortKeyCondition::Between(num(1), num(2)),
                "#k0 = :k0 AND #k1 BETWEEN :k1 AND :k2",
            ),
        ];
        for (sort, want) in cases {
            let e = Expressions::new().with_key_condition(KeyCondition {
                extra_partition: Vec::new(),
                sort_prefix: Vec::new(),
                partition_name: "status".into(),
                partition_value: num(0),
                sort: Some(("name".into(), sort)),
            });
            assert_eq!(e.key_condition.as_deref(), Some(want));
            assert_eq!(e.names, names(&[("#k0", "status"), ("#k1", "name")]));
        }

        let e = Expressions::new().with_key_condition(KeyCondition {
            extra_partition: Vec::new(),
            sort_prefix: Vec::new(),
            partition_name: "pk".into(),
            partition_value: "p".into(),
            sort: None,
        });
        assert_eq!(e.key_condition.as_deref(), Some("#k0 = :k0"));
    }

    #[test]
    fn updates_group_by_action() {
        let u = Update::new()
            .remove(attr("draft"))
            .set(attr("title"), "x")
            .add(attr("views"), 1)
            .set_expr(
                attr("count"),
                SetValue::Plus(SetOperand::Path(attr("count")), SetOperand::Value(num(2))),
            )
            .delete(attr("tags"), Value::Ss(BTreeSet::from(["old".to_owned()])))
            .set_expr(
                attr("created"),
                SetValue::if_not_exists(attr("created"), "now"),
            )
            .set_expr(
                attr("log"),
                SetValue::ListAppend(
                    SetOperand::Path(attr("log")),
                    SetOperand::Value(Value::L(vec!["e".into()])),
                ),
            )
            .set_expr(
                attr("left"),
                SetValue::Minus(SetOperand::Path(attr("left")), SetOperand::Value(num(1))),
            )
            .remove(attr("a.b[3]"));
        let e = Expressions::new().with_update(u);
        assert_eq!(
            e.update.as_deref(),
            Some(
                "SET #u0 = :u0, #u1 = #u1 + :u1, #u2 = if_not_exists(#u2, :u2), \
                 #u3 = list_append(#u3, :u3), #u4 = #u4 - :u4 \
                 REMOVE #u5, #u6.#u7[3] ADD #u8 :u5 DELETE #u9 :u6"
            )
        );
        assert_eq!(
            e.names,
            names(&[
                ("#u0", "title"),
                ("#u1", "count"),
                ("#u2", "created"),
                ("#u3", "log"),
                ("#u4", "left"),
                ("#u5", "draft"),
                ("#u6", "a"),
                ("#u7", "b"),
                ("#u8", "views"),
                ("#u9", "tags"),
            ])
        );
        assert_eq!(e.values[":u5"], num(1));
        assert_eq!(
            e.values[":u6"],
            Value::Ss(BTreeSet::from(["old".to_owned()]))
        );
        assert_eq!(e.values.len(), 7);
    }

    #[test]
    fn function_calls_as_operands() {
        let u = Update::new()
            .set_expr(
                attr("n"),
                SetValue::Plus(SetOperand::if_not_exists(attr("n"), 0), 1.into()),
            )
            .set_expr(
                attr("m"),
                SetValue::Minus(
                    2.into(),
                    SetOperand::if_not_exists(attr("m"), SetOperand::if_not_exists(attr("k"), 0)),
                ),
            )
            .set_expr(
                attr("l"),
                SetValue::ListAppend(
                    SetOperand::if_not_exists(attr("l"), Value::L(vec![])),
                    Value::L(vec!["x".into()]).into(),
                ),
            );
        let e = Expressions::new().with_update(u);
        assert_eq!(
            e.update.as_deref(),
            Some(
                "SET #u0 = if_not_exists(#u0, :u0) + :u1, \
                 #u1 = :u2 - if_not_exists(#u1, if_not_exists(#u2, :u3)), \
                 #u3 = list_append(if_not_exists(#u3, :u4), :u5)"
            )
        );
        assert_eq!(
            e.names,
            names(&[("#u0", "n"), ("#u1", "m"), ("#u2", "k"), ("#u3", "l")])
        );
        assert_eq!(e.values.len(), 6);
    }

    #[test]
    fn single_group_updates() {
        let e = Expressions::new().with_update(Update::new().remove(attr("x")));
        assert_eq!(e.update.as_deref(), Some("REMOVE #u0"));
        assert!(e.values.is_empty());
        let e = Expressions::new().with_update(Update::new().add(attr("n"), 1));
        assert_eq!(e.update.as_deref(), Some("ADD #u0 :u0"));
    }

    #[test]
    fn projection() {
        let e = Expressions::new().with_projection(&[
            attr("pk"),
            Path::name("name"),
            attr("a.b[1]"),
            attr("a.c"),
        ]);
        assert_eq!(
            e.projection.as_deref(),
            Some("#p0, #p1, #p2.#p3[1], #p2.#p4")
        );
        assert_eq!(
            e.names,
            names(&[
                ("#p0", "pk"),
                ("#p1", "name"),
                ("#p2", "a"),
                ("#p3", "b"),
                ("#p4", "c")
            ])
        );
        assert!(e.values.is_empty());
        assert_eq!(Expressions::new().with_projection(&[]), Expressions::new());
    }

    #[test]
    fn merged_clauses_never_collide() {
        let e = Expressions::new()
            .with_key_condition(KeyCondition {
                extra_partition: Vec::new(),
                sort_prefix: Vec::new(),
                partition_name: "pk".into(),
                partition_value: "P".into(),
                sort: Some(("sk".into(), SortKeyCondition::Gt("S".into()))),
            })
            .with_filter(attr("pk").ne("Q").and(attr("status").eq("open")))
            .with_projection(&[attr("pk"), attr("status")]);
        assert_eq!(e.key_condition.as_deref(), Some("#k0 = :k0 AND #k1 > :k1"));
        assert_eq!(e.filter.as_deref(), Some("(#f0 <> :f0 AND #f1 = :f1)"));
        assert_eq!(e.projection.as_deref(), Some("#p0, #p1"));
        assert_eq!(
            e.names,
            names(&[
                ("#f0", "pk"),
                ("#f1", "status"),
                ("#k0", "pk"),
                ("#k1", "sk"),
                ("#p0", "pk"),
                ("#p1", "status"),
            ])
        );
        assert_eq!(
            e.values,
            values(vec![
                (":f0", Value::S("Q".into())),
                (":f1", Value::S("open".into())),
                (":k0", Value::S("P".into())),
                (":k1", Value::S("S".into())),
            ])
        );

        let e = Expressions::new()
            .with_update(Update::new().set(attr("v"), 2))
            .with_condition(attr("v").eq(1));
        assert_eq!(e.update.as_deref(), Some("SET #u0 = :u0"));
        assert_eq!(e.condition.as_deref(), Some("#c0 = :c0"));
        assert_eq!(e.names, names(&[("#c0", "v"), ("#u0", "v")]));
        assert_eq!(e.values, values(vec![(":c0", num(1)), (":u0", num(2))]));
    }
}
