//! PartiQL text and its `?` parameters read into a [`Statement`], with DynamoDB's checks of
//! what a statement may say (independent of any table) and its messages.

use super::lexer::{tokenize, Spanned, Token};
use super::{
    is_reserved, line_column, projected_name, syntax_error, OrderBy, Returning, Select, Statement,
    MAX_STATEMENT_BYTES,
};
use crate::error::{Error, Result};
use crate::expr::limits::MAX_IN_OPERANDS;
use crate::expr::scan::{Lexeme, TokenWalk};
use crate::expr::{
    CompareOp, Condition, Operand, Path, SetOperand, SetValue, Update, UpdateAction,
};
use crate::number::{Number, NumberError};
use crate::value::{Item, Value, ValueType};
use std::collections::{BTreeMap, BTreeSet};

/// Reads one statement, taking its `?` parameters in order from `parameters` (there must be
/// exactly as many).
///
/// ```
/// use orm_core::expr::partiql::{parse, Statement};
/// let err = parse("SELECTT * FROMM \"t\"", &[]).unwrap_err();
/// assert!(err.to_string().contains("Statement wasn't well formed, can't be processed"));
/// let err = parse("SELECT * FROM \"t\" WHERE pk = ?", &[]).unwrap_err();
/// assert!(err.to_string().contains("Number of parameters in request and statement don't match."));
/// ```
pub fn parse(statement: &str, parameters: &[Value]) -> Result<Statement> {
    if statement.len() > MAX_STATEMENT_BYTES {
        return Err(Error::validation(format!(
            "1 validation error detected: Value at 'statement' failed to satisfy constraint: Member must have length less than or equal to {MAX_STATEMENT_BYTES}"
        )));
    }
    let mut parser = Parser {
        text: statement,
        tokens: tokenize(statement)?,
        at: 0,
        parameters,
        used: 0,
        depth: 0,
    };
    let parsed = parser.statement()?;
    if parser.used != parameters.len() {
        return Err(parameter_count());
    }
    Ok(parsed)
}

fn parameter_count() -> Error {
    Error::validation("Number of parameters in request and statement don't match.")
}

/// How deep conditions and literals may nest before the parser gives up (DynamoDB's
/// expressions nest far less; this only keeps the recursion bounded).
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Spanned>,
    at: usize,
    parameters: &'a [Value],
    /// Parameters taken so far.
    used: usize,
    /// Current nesting of conditions and literals.
    depth: usize,
}

/// Where a literal sits, for DynamoDB's messages about it (`root`, `root.0`, `root.name`).
#[derive(Clone)]
struct Place(String);

impl Place {
    fn root() -> Place {
        Place("root".into())
    }
    fn child(&self, step: impl std::fmt::Display) -> Place {
        Place(format!("{}.{step}", self.0))
    }
}

impl TokenWalk for Parser<'_> {
    type Token = Token;

    fn peek_at(&self, n: usize) -> Option<&Token> {
        self.tokens.get(self.at + n).map(|s| &s.token)
    }

    fn advance(&mut self) {
        self.at += 1;
    }

    /// A syntax error at the current token: `expected ..., found ...`.
    fn expected(&self, what: &str) -> Error {
        let found = match self.tokens.get(self.at) {
            Some(s) => format!("`{}`", &self.text[s.start..s.end]),
            None => "the end of the statement".to_string(),
        };
        syntax_error(
            self.text,
            self.offset(),
            &format!("expected {what}, found {found}"),
        )
    }
}

impl<'a> Parser<'a> {
    // ------------------------------------------------------------- tokens ---

    fn next(&mut self) -> Result<Token> {
        match self.tokens.get(self.at) {
            Some(s) => {
                self.at += 1;
                Ok(s.token.clone())
            }
            None => Err(self.expected("more of the statement")),
        }
    }

    /// The byte offset of the current token (the end of the text after the last).
    fn offset(&self) -> usize {
        self.tokens
            .get(self.at)
            .map_or(self.text.len(), |s| s.start)
    }

    /// `line:column:length` of token `index`, as DynamoDB reports positions.
    fn position(&self, index: usize) -> String {
        match self.tokens.get(index) {
            Some(s) => {
                let (line, column) = line_column(self.text, s.start);
                let length = self.text[s.start..s.end].chars().count();
                format!("{line}:{column}:{length}")
            }
            None => {
                let (line, column) = line_column(self.text, self.text.len());
                format!("{line}:{column}:0")
            }
        }
    }

    /// A bare error about the token at `index`, with its position.
    fn at_token(&self, index: usize, message: &str) -> Error {
        Error::validation(format!("{message} at {}", self.position(index)))
    }

    fn done(&self) -> Result<()> {
        match self.peek() {
            None => Ok(()),
            Some(Token::Word(w))
                if UNSUPPORTED_CLAUSES
                    .iter()
                    .any(|c| w.eq_ignore_ascii_case(c)) =>
            {
                // DynamoDB points at what follows the clause's keyword.
                let at = (self.at + 1).min(self.tokens.len() - 1);
                Err(self.at_token(
                    at,
                    &format!("Unsupported clause: {}", w.to_ascii_uppercase()),
                ))
            }
            Some(_) => Err(self.expected("the end of the statement")),
        }
    }

    fn nest(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(syntax_error(
                self.text,
                self.offset(),
                "the statement nests too deeply",
            ));
        }
        Ok(())
    }

    fn parameter(&mut self) -> Result<Value> {
        let value = self
            .parameters
            .get(self.used)
            .cloned()
            .ok_or_else(parameter_count)?;
        self.used += 1;
        Ok(value)
    }

    // --------------------------------------------------------- statements ---

    fn statement(&mut self) -> Result<Statement> {
        let statement = match self.peek() {
            Some(t) if t.is_word("SELECT") => Statement::Select(self.select()?),
            Some(t) if t.is_word("INSERT") => self.insert()?,
            Some(t) if t.is_word("UPDATE") => self.update()?,
            Some(t) if t.is_word("DELETE") => self.delete()?,
            Some(t) if t.is_word("EXISTS") => {
                self.at += 1;
                self.expect_symbol("(")?;
                let select = self.select()?;
                self.expect_symbol(")")?;
                Statement::Exists(select)
            }
            _ => return Err(self.expected("SELECT, INSERT, UPDATE, DELETE or EXISTS")),
        };
        self.done()?;
        Ok(statement)
    }

    fn select(&mut self) -> Result<Select> {
        self.expect_word("SELECT")?;
        let projection = if self.eat_symbol("*") {
            None
        } else {
            let mut paths: Vec<Path> = Vec::new();
            loop {
                let first = self.at;
                let literal = match self.peek() {
                    Some(Token::Str(_) | Token::Number(_) | Token::Parameter) => true,
                    Some(Token::Symbol(s)) => matches!(*s, "[" | "{" | "<<" | "-"),
                    Some(Token::Word(w)) => {
                        ["TRUE", "FALSE", "NULL", "MISSING"]
                            .iter()
                            .any(|k| w.eq_ignore_ascii_case(k))
                            || self.peek_at(1).is_some_and(|t| t.is_symbol("("))
                    }
                    _ => false,
                };
                if literal {
                    // A literal or a function call (COUNT(*)...): not a path.
                    return Err(self.at_token(first, "Unexpected path component"));
                }
                let path = self.path()?;
                let name = projected_name(&path);
                if paths.iter().any(|p| projected_name(p) == name) {
                    return Err(Error::validation(format!(
                        "Duplicate identifiers in select clause: {name}"
                    )));
                }
                paths.push(path);
                if !self.eat_symbol(",") {
                    break;
                }
            }
            Some(paths)
        };
        self.expect_word("FROM")?;
        let (table, index) = self.source()?;
        if self.eat_word("AS")
            || matches!(self.peek(), Some(Token::Quoted(_)))
            || matches!(self.peek(), Some(Token::Word(w)) if !is_reserved(w))
        {
            return Err(Error::validation("Aliasing is not supported"));
        }
        let condition = self.where_clause()?;
        let mut order_by = Vec::new();
        if self.eat_word("ORDER") {
            self.expect_word("BY")?;
            loop {
                let path = self.path()?;
                let descending = if self.eat_word("DESC") {
                    true
                } else {
                    self.eat_word("ASC");
                    false
                };
                order_by.push(OrderBy { path, descending });
                if !self.eat_symbol(",") {
                    break;
                }
            }
        }
        Ok(Select {
            table,
            index,
            projection,
            condition,
            order_by,
        })
    }

    fn insert(&mut self) -> Result<Statement> {
        self.expect_word("INSERT")?;
        self.expect_word("INTO")?;
        let table = self.table()?;
        if self.peek().is_some_and(|t| t.is_symbol("{")) {
            return Err(Error::validation(
                "Unsupported operation: an item must follow VALUE (INSERT INTO \"table\" VALUE {...})",
            ));
        }
        self.expect_word("VALUE")?;
        let at = self.at;
        if !self.peek().is_some_and(|t| t.is_symbol("{")) {
            return Err(self.at_token(
                at,
                "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement.",
            ));
        }
        let item = match self.tuple(&Place::root(), true)? {
            Value::M(map) => Item(map),
            _ => unreachable!("a tuple is a map"),
        };
        if self.peek().is_some_and(|t| t.is_symbol(",")) {
            return Err(Error::validation(
                "Unsupported operation: Inserting multiple items in a single statement is not supported, use \"INSERT INTO tableName VALUE item\" instead",
            ));
        }
        Ok(Statement::Insert { table, item })
    }

    fn update(&mut self) -> Result<Statement> {
        self.expect_word("UPDATE")?;
        let table = self.written_table()?;
        let mut update = Update::new();
        loop {
            if self.eat_word("SET") {
                loop {
                    update.actions.push(self.assignment()?);
                    if !self.eat_symbol(",") {
                        break;
                    }
                }
            } else if self.eat_word("REMOVE") {
                loop {
                    update.actions.push(UpdateAction::Remove(self.path()?));
                    if !self.eat_symbol(",") {
                        break;
                    }
                }
            } else if update.is_empty() {
                return Err(self.expected("SET or REMOVE"));
            } else {
                break;
            }
        }
        if let Some((first, second)) = update.overlapping_paths() {
            return Err(Error::validation(format!(
                "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {}, path two: {}",
                bracketed(first),
                bracketed(second)
            )));
        }
        let condition = self.where_clause()?;
        let returning = self.returning()?;
        Ok(Statement::Update {
            table,
            update,
            condition,
            returning,
        })
    }

    fn delete(&mut self) -> Result<Statement> {
        self.expect_word("DELETE")?;
        self.expect_word("FROM")?;
        let table = self.written_table()?;
        let condition = self.where_clause()?;
        let returning = self.returning()?;
        if let Some(r) = returning.filter(|r| *r != Returning::AllOld) {
            return Err(Error::validation(format!(
                "Invalid returning clause: RETURNING {} *. Only RETURNING ALL OLD * is allowed in DELETE statements.",
                r.words()
            )));
        }
        Ok(Statement::Delete {
            table,
            condition,
            returning,
        })
    }

    fn returning(&mut self) -> Result<Option<Returning>> {
        if !self.eat_word("RETURNING") {
            return Ok(None);
        }
        let all = if self.eat_word("ALL") {
            true
        } else if self.eat_word("MODIFIED") {
            false
        } else {
            return Err(self.expected("ALL or MODIFIED"));
        };
        let old = if self.eat_word("OLD") {
            true
        } else if self.eat_word("NEW") {
            false
        } else {
            return Err(self.expected("OLD or NEW"));
        };
        self.expect_symbol("*")?;
        Ok(Some(match (all, old) {
            (true, true) => Returning::AllOld,
            (false, true) => Returning::ModifiedOld,
            (true, false) => Returning::AllNew,
            (false, false) => Returning::ModifiedNew,
        }))
    }

    fn where_clause(&mut self) -> Result<Option<Condition>> {
        if self.eat_word("WHERE") {
            Ok(Some(self.condition()?))
        } else {
            Ok(None)
        }
    }

    /// `table` or `table.index`.
    fn source(&mut self) -> Result<(String, Option<String>)> {
        let table = self.identifier("a table name")?;
        let index = if self.eat_symbol(".") {
            Some(self.identifier("an index name")?)
        } else {
            None
        };
        if self.peek().is_some_and(|t| t.is_symbol(".")) {
            return Err(syntax_error(
                self.text,
                self.offset(),
                "a FROM clause names a table, or a table and one of its indexes",
            ));
        }
        Ok((table, index))
    }

    /// The table of a write: an index there is DynamoDB's error.
    fn table(&mut self) -> Result<String> {
        let (table, index) = self.source()?;
        if index.is_some() {
            return Err(Error::validation(
                "FROM clause may only contain a single table name in data manipulation statements",
            ));
        }
        Ok(table)
    }

    /// The table of an UPDATE or DELETE: an index there is DynamoDB's error.
    fn written_table(&mut self) -> Result<String> {
        let (table, index) = self.source()?;
        if index.is_some() {
            return Err(Error::validation(
                "This operation is not supported on an index",
            ));
        }
        Ok(table)
    }

    /// A name: a bare word that is not reserved, or a quoted identifier.
    fn identifier(&mut self, what: &str) -> Result<String> {
        match self.peek() {
            Some(Token::Quoted(name)) => {
                let name = name.clone();
                if name.is_empty() {
                    return Err(syntax_error(
                        self.text,
                        self.offset(),
                        "an identifier cannot be empty",
                    ));
                }
                self.at += 1;
                Ok(name)
            }
            Some(Token::Word(word)) if !is_reserved(word) => {
                let word = word.clone();
                self.at += 1;
                Ok(word)
            }
            Some(Token::Word(word)) => {
                let word = word.clone();
                Err(syntax_error(
                    self.text,
                    self.offset(),
                    &format!(
                        "expected {what}, found the reserved word `{word}` (write it \"{word}\" to use it as a name)"
                    ),
                ))
            }
            _ => Err(self.expected(what)),
        }
    }

    /// A path: a name, then `.name`, `[index]` or `['name']` steps.
    fn path(&mut self) -> Result<Path> {
        let mut path = Path::name(self.identifier("an attribute name")?);
        loop {
            if self.eat_symbol(".") {
                path = path.key(self.identifier("an attribute name")?);
            } else if self.eat_symbol("[") {
                match self.next()? {
                    Token::Number(n) => {
                        let index = n.parse::<usize>().map_err(|_| {
                            syntax_error(
                                self.text,
                                self.tokens[self.at - 1].start,
                                &format!(
                                    "a list index must be a non-negative integer, found `{n}`"
                                ),
                            )
                        })?;
                        path = path.index(index);
                    }
                    Token::Str(name) => path = path.key(name),
                    _ => {
                        self.at -= 1;
                        return Err(self.expected("a list index or a 'name'"));
                    }
                }
                self.expect_symbol("]")?;
            } else {
                return Ok(path);
            }
        }
    }

    // --------------------------------------------------------- conditions ---

    fn condition(&mut self) -> Result<Condition> {
        self.nest()?;
        let any = self.joined("OR", Self::conjunction, Condition::Or)?;
        self.depth -= 1;
        Ok(any)
    }

    fn conjunction(&mut self) -> Result<Condition> {
        self.joined("AND", Self::negation, Condition::And)
    }

    fn negation(&mut self) -> Result<Condition> {
        if self.eat_word("NOT") {
            self.nest()?;
            let inner = self.negation()?;
            self.depth -= 1;
            Ok(Condition::Not(Box::new(inner)))
        } else {
            self.predicate()
        }
    }

    fn predicate(&mut self) -> Result<Condition> {
        if self.peek().is_none() {
            return Err(self.expected("a condition"));
        }
        if self.eat_symbol("(") {
            let inner = self.condition()?;
            self.expect_symbol(")")?;
            return Ok(inner);
        }
        if let (Some(Token::Word(word)), Some(t)) = (self.peek(), self.peek_at(1)) {
            if t.is_symbol("(") {
                let word = word.to_ascii_lowercase();
                if let Some(condition) = self.function(&word)? {
                    return Ok(condition);
                }
            }
        }
        let left = self.operand()?;
        let op = match self.peek() {
            Some(Token::Symbol("=")) => Some(CompareOp::Eq),
            Some(Token::Symbol("<>" | "!=")) => Some(CompareOp::Ne),
            Some(Token::Symbol("<")) => Some(CompareOp::Lt),
            Some(Token::Symbol("<=")) => Some(CompareOp::Le),
            Some(Token::Symbol(">")) => Some(CompareOp::Gt),
            Some(Token::Symbol(">=")) => Some(CompareOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.at += 1;
            let right = self.operand()?;
            return Ok(Condition::Compare(left, op, right));
        }
        let negated = self.peek().is_some_and(|t| t.is_word("NOT"))
            && self
                .peek_at(1)
                .is_some_and(|t| t.is_word("IN") || t.is_word("BETWEEN"));
        if negated {
            self.at += 1;
        }
        if self.eat_word("BETWEEN") {
            let low = self.operand()?;
            self.expect_word("AND")?;
            let high = self.operand()?;
            let between = Condition::Between(left, low, high);
            return Ok(if negated {
                Condition::Not(Box::new(between))
            } else {
                between
            });
        }
        if self.eat_word("IN") {
            let condition = self.in_list(left)?;
            return Ok(if negated {
                Condition::Not(Box::new(condition))
            } else {
                condition
            });
        }
        if self.eat_word("IS") {
            let not = self.eat_word("NOT");
            let Operand::Path(path) = left else {
                return Err(Error::validation(
                    "IS MISSING and IS NULL take an attribute path on their left",
                ));
            };
            let condition = if self.eat_word("MISSING") {
                if not {
                    Condition::Exists(path)
                } else {
                    Condition::NotExists(path)
                }
            } else if self.eat_word("NULL") {
                let is_null = Condition::IsType(path, ValueType::Null);
                if not {
                    Condition::Not(Box::new(is_null))
                } else {
                    is_null
                }
            } else {
                return Err(self.expected("MISSING or NULL"));
            };
            return Ok(condition);
        }
        match self.peek() {
            Some(Token::Symbol(op @ ("+" | "-" | "*"))) => Err(Error::validation(format!(
                "Unsupported operator in Condition Expression. Operator: {op}"
            ))),
            None | Some(Token::Symbol(")")) => Err(Error::validation(
                "The arguments to AND/OR must be Expressions",
            )),
            Some(t) if t.is_word("AND") || t.is_word("OR") => Err(Error::validation(
                "The arguments to AND/OR must be Expressions",
            )),
            Some(_) => Err(self.expected("a comparison, BETWEEN, IN or IS")),
        }
    }

    /// A condition function (`begins_with(...)`); `None` for `size`, which is an operand.
    fn function(&mut self, name: &str) -> Result<Option<Condition>> {
        let condition = match name {
            "size" => return Ok(None),
            "begins_with" | "contains" => {
                self.at += 2;
                let path = self.path()?;
                self.expect_symbol(",")?;
                let operand = self.operand()?;
                if name == "contains" {
                    Condition::Contains(path, operand)
                } else {
                    Condition::BeginsWith(path, operand)
                }
            }
            "attribute_exists" | "attribute_not_exists" => {
                self.at += 2;
                let path = self.path()?;
                if name == "attribute_exists" {
                    Condition::Exists(path)
                } else {
                    Condition::NotExists(path)
                }
            }
            "attribute_type" => {
                self.at += 2;
                let path = self.path()?;
                self.expect_symbol(",")?;
                let type_name = match self.next()? {
                    Token::Str(s) => s,
                    Token::Parameter => match self.parameter()? {
                        Value::S(s) => s,
                        other => {
                            return Err(Error::validation(format!(
                                "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {}",
                                other.value_type().descriptor()
                            )))
                        }
                    },
                    _ => {
                        self.at -= 1;
                        return Err(self.expected("a type name ('S', 'N', 'L'...)"));
                    }
                };
                let value_type = ValueType::from_descriptor(&type_name).ok_or_else(|| {
                    Error::validation(format!(
                        "Invalid attribute type name found; type: {type_name}, valid types: {{ B,NULL,SS,BOOL,L,BS,N,NS,S,M }}"
                    ))
                })?;
                Condition::IsType(path, value_type)
            }
            "exists" => {
                return Err(Error::validation(
                    "EXISTS can only be used in ExecuteTransaction write requests.",
                ))
            }
            _ => {
                let written = &self.text[self.tokens[self.at].start..self.tokens[self.at].end];
                return Err(Error::validation(format!(
                    "Unrecognized function: {written}"
                )));
            }
        };
        self.expect_symbol(")")?;
        Ok(Some(condition))
    }

    fn in_list(&mut self, left: Operand) -> Result<Condition> {
        let close = if self.eat_symbol("[") {
            "]"
        } else if self.eat_symbol("(") {
            ")"
        } else {
            return Err(Error::validation(
                "IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member",
            ));
        };
        let mut values = Vec::new();
        if !self.peek().is_some_and(|t| t.is_symbol(close)) {
            loop {
                values.push(Operand::Value(self.value_or_parameter(&Place::root())?));
                if !self.eat_symbol(",") {
                    break;
                }
            }
        }
        self.expect_symbol(close)?;
        if !matches!(left, Operand::Path(_)) || values.is_empty() {
            return Err(Error::validation(
                "IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member",
            ));
        }
        if values.len() > MAX_IN_OPERANDS {
            return Err(Error::validation(format!(
                "Too many operands for IN: at most {MAX_IN_OPERANDS} values, got {}",
                values.len()
            )));
        }
        Ok(Condition::In(left, values))
    }

    /// An operand: a path, `size(path)`, a literal or a parameter.
    fn operand(&mut self) -> Result<Operand> {
        match self.peek() {
            Some(Token::Word(w))
                if w.eq_ignore_ascii_case("size")
                    && self.peek_at(1).is_some_and(|t| t.is_symbol("(")) =>
            {
                self.at += 2;
                let path = self.path()?;
                self.expect_symbol(")")?;
                Ok(Operand::Size(path))
            }
            Some(Token::Quoted(_)) => Ok(Operand::Path(self.path()?)),
            Some(Token::Word(w)) if !is_reserved(w) => Ok(Operand::Path(self.path()?)),
            _ => Ok(Operand::Value(self.value_or_parameter(&Place::root())?)),
        }
    }

    // ------------------------------------------------------------ updates ---

    /// `path = value` of a `SET`.
    fn assignment(&mut self) -> Result<UpdateAction> {
        let path = self.path()?;
        self.expect_symbol("=")?;
        if let (Some(Token::Word(word)), Some(t)) = (self.peek(), self.peek_at(1)) {
            if t.is_symbol("(") {
                let word = word.to_ascii_lowercase();
                match word.as_str() {
                    "list_append" => {
                        self.at += 2;
                        let a = self.set_operand()?;
                        self.expect_symbol(",")?;
                        let b = self.set_operand()?;
                        self.expect_symbol(")")?;
                        return Ok(UpdateAction::Set(path, SetValue::ListAppend(a, b)));
                    }
                    "set_add" | "set_delete" => {
                        self.at += 2;
                        // DynamoDB points at the first argument when the second is no set.
                        let at = self.at;
                        let first = self.path()?;
                        if first != path {
                            return Err(Error::validation(format!(
                                "The first argument to {} must equal the assignment value",
                                word.to_ascii_uppercase()
                            )));
                        }
                        self.expect_symbol(",")?;
                        let value = self.value_or_parameter(&Place::root())?;
                        if !matches!(value, Value::Ss(_) | Value::Ns(_) | Value::Bs(_)) {
                            return Err(self.at_token(
                                at,
                                &format!(
                                    "The second argument to {} must be a value with type SET",
                                    word.to_ascii_uppercase()
                                ),
                            ));
                        }
                        self.expect_symbol(")")?;
                        return Ok(if word == "set_add" {
                            UpdateAction::Add(path, value)
                        } else {
                            UpdateAction::Delete(path, value)
                        });
                    }
                    _ => {}
                }
            }
        }
        let mut terms = vec![(false, self.set_operand()?)];
        loop {
            let minus = if self.eat_symbol("+") {
                false
            } else if self.eat_symbol("-") {
                true
            } else {
                break;
            };
            terms.push((minus, self.set_operand()?));
        }
        let value = match terms.len() {
            1 => SetValue::Operand(terms.remove(0).1),
            2 => {
                let (minus, b) = terms.remove(1);
                let a = terms.remove(0).1;
                if minus {
                    SetValue::Minus(a, b)
                } else {
                    SetValue::Plus(a, b)
                }
            }
            _ => fold(terms)?,
        };
        Ok(UpdateAction::Set(path, value))
    }

    /// An operand of a `SET` value: a literal, a parameter, a path, or `if_not_exists`.
    fn set_operand(&mut self) -> Result<SetOperand> {
        match self.peek() {
            Some(Token::Word(w))
                if w.eq_ignore_ascii_case("if_not_exists")
                    && self.peek_at(1).is_some_and(|t| t.is_symbol("(")) =>
            {
                self.nest()?;
                self.at += 2;
                let path = self.path()?;
                self.expect_symbol(",")?;
                let fallback = self.set_operand()?;
                self.expect_symbol(")")?;
                self.depth -= 1;
                Ok(SetOperand::IfNotExists(path, Box::new(fallback)))
            }
            Some(Token::Word(w)) if self.peek_at(1).is_some_and(|t| t.is_symbol("(")) => {
                Err(Error::validation(format!("Unrecognized function: {w}")))
            }
            Some(Token::Quoted(_)) => Ok(SetOperand::Path(self.path()?)),
            Some(Token::Word(w)) if !is_reserved(w) => Ok(SetOperand::Path(self.path()?)),
            _ => Ok(SetOperand::Value(self.value_or_parameter(&Place::root())?)),
        }
    }

    // ------------------------------------------------------------- values ---

    /// A literal, or a `?` parameter.
    fn value_or_parameter(&mut self, place: &Place) -> Result<Value> {
        if self.eat_symbol_token_parameter() {
            return self.parameter();
        }
        self.value(place)
    }

    fn eat_symbol_token_parameter(&mut self) -> bool {
        if matches!(self.peek(), Some(Token::Parameter)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    /// A literal value at `place` (parameters are not allowed inside collections).
    fn value(&mut self, place: &Place) -> Result<Value> {
        let at = self.at;
        match self.peek().cloned() {
            Some(Token::Str(s)) => {
                self.at += 1;
                Ok(Value::S(s))
            }
            Some(Token::Number(n)) => {
                self.at += 1;
                self.number(&n, at, place)
            }
            Some(Token::Symbol("-")) if matches!(self.peek_at(1), Some(Token::Number(_))) => {
                let Some(Token::Number(n)) = self.peek_at(1).cloned() else {
                    unreachable!("checked by the guard")
                };
                self.at += 2;
                self.number(&format!("-{n}"), at + 1, place)
            }
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("TRUE") => {
                self.at += 1;
                Ok(Value::Bool(true))
            }
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("FALSE") => {
                self.at += 1;
                Ok(Value::Bool(false))
            }
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("NULL") => {
                self.at += 1;
                Ok(Value::Null)
            }
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("MISSING") => Err(self.at_token(
                at,
                &format!("Unsupported data type: MISSING under key {}", place.0),
            )),
            Some(Token::Parameter) => Err(self.at_token(
                at,
                &format!("Unsupported data type: Parameter under key {}", place.0),
            )),
            Some(Token::Symbol("[")) => {
                self.nest()?;
                self.at += 1;
                let mut list = Vec::new();
                if !self.eat_symbol("]") {
                    loop {
                        list.push(self.value(&place.child(list.len()))?);
                        if !self.eat_symbol(",") {
                            break;
                        }
                    }
                    self.expect_symbol("]")?;
                }
                self.depth -= 1;
                Ok(Value::L(list))
            }
            Some(Token::Symbol("{")) => self.tuple(place, false),
            Some(Token::Symbol("<<")) => self.bag(place),
            Some(Token::Word(w)) if is_reserved(&w) => Err(syntax_error(
                self.text,
                self.offset(),
                &format!(
                    "expected a value, found the reserved word `{w}` (write it \"{w}\" to use it as a name)"
                ),
            )),
            _ => Err(self.expected("a value")),
        }
    }

    fn number(&self, text: &str, at: usize, place: &Place) -> Result<Value> {
        match Number::parse(text) {
            Ok(n) if n.is_zero() && text.starts_with('-') => Err(self.at_token(
                at,
                &format!(
                    "Negative zero decimal is not supported under key {}",
                    place.0
                ),
            )),
            Ok(n) => Ok(Value::N(n)),
            Err(NumberError::TooManyDigits { .. }) => Err(Error::validation(
                "DynamoDB only supports precision up to 38 digits",
            )),
            Err(e) => Err(Error::validation(format!(
                "The parameter cannot be converted to a numeric value: {e}"
            ))),
        }
    }

    /// `{'name': value, ...}`; its top-level values may be parameters when `item` (the tuple of
    /// an INSERT).
    fn tuple(&mut self, place: &Place, item: bool) -> Result<Value> {
        self.nest()?;
        self.expect_symbol("{")?;
        let mut map = BTreeMap::new();
        if !self.eat_symbol("}") {
            loop {
                let at = self.at;
                let key = match self.next()? {
                    Token::Str(s) => s,
                    Token::Word(_) | Token::Quoted(_) => {
                        return Err(self.at_token(
                            at,
                            &format!(
                                "Tuple keys must be of type String. Actual type: VariableReference under {}",
                                place.0
                            ),
                        ))
                    }
                    _ => {
                        self.at -= 1;
                        return Err(self.expected("a 'name'"));
                    }
                };
                self.expect_symbol(":")?;
                let value = if item {
                    self.value_or_parameter(&Place::root())?
                } else {
                    self.value(&place.child(&key))?
                };
                if map.contains_key(&key) {
                    return Err(self.at_token(
                        at,
                        &format!("Duplicate keys in tuple. Key: {key} under {}", place.0),
                    ));
                }
                map.insert(key, value);
                if !self.eat_symbol(",") {
                    break;
                }
            }
            self.expect_symbol("}")?;
        }
        self.depth -= 1;
        Ok(Value::M(map))
    }

    /// `<<v, ...>>`: a string set or a number set.
    fn bag(&mut self, place: &Place) -> Result<Value> {
        let open = self.at;
        self.expect_symbol("<<")?;
        let mut strings = BTreeSet::new();
        let mut numbers = BTreeSet::new();
        let mut count = 0;
        if self.peek().is_some_and(|t| t.is_symbol(">>")) {
            let (line, column) = line_column(self.text, self.tokens[open].start);
            return Err(Error::validation(format!(
                "Empty bags are not supported at {line}:{column}:2"
            )));
        }
        loop {
            let at = self.at;
            let mixed = || {
                Error::validation(
                    "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags",
                )
            };
            match self.value(&place.child(count))? {
                Value::S(s) if numbers.is_empty() => {
                    if !strings.insert(s) {
                        return Err(duplicates());
                    }
                }
                Value::N(n) if strings.is_empty() => {
                    if !numbers.insert(n) {
                        return Err(duplicates());
                    }
                }
                Value::S(_) | Value::N(_) => return Err(mixed()),
                _ => {
                    return Err(self.at_token(
                        at,
                        "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags",
                    ))
                }
            }
            count += 1;
            if !self.eat_symbol(",") {
                break;
            }
        }
        self.expect_symbol(">>")?;
        Ok(if strings.is_empty() {
            Value::Ns(numbers)
        } else {
            Value::Ss(strings)
        })
    }
}

/// A chain of three or more `+` / `-` terms (`n + 1 + 1`) as one operation: its number
/// literals summed, around at most one other operand (`n + 2`).
fn fold(terms: Vec<(bool, SetOperand)>) -> Result<SetValue> {
    let mut constant = Number::from(0);
    let mut others = Vec::new();
    for (minus, term) in terms {
        match term {
            SetOperand::Value(Value::N(n)) => {
                constant = if minus {
                    constant.checked_sub(&n)
                } else {
                    constant.checked_add(&n)
                }
                .map_err(|e| Error::validation(format!("Number overflow: {e}")))?;
            }
            other => others.push((minus, other)),
        }
    }
    let c = SetOperand::Value(Value::N(constant.clone()));
    match others.len() {
        0 => Ok(SetValue::Operand(c)),
        1 => Ok(match others.remove(0) {
            (false, t) if constant.is_negative() => {
                SetValue::Minus(t, SetOperand::Value(Value::N(constant.neg())))
            }
            (false, t) => SetValue::Plus(t, c),
            (true, t) => SetValue::Minus(c, t),
        }),
        _ => Err(Error::validation(
            "dynamodb-memory takes at most one operand besides number literals in a chain of + and - (SET a = a + 1 + 2, SET a = b + c)",
        )),
    }
}

fn duplicates() -> Error {
    Error::validation("Input collection contains duplicates")
}

/// Clauses of SQL that DynamoDB's dialect does not have.
const UNSUPPORTED_CLAUSES: &[&str] = &["LIMIT", "OFFSET", "GROUP", "HAVING", "JOIN", "UNION"];

/// A path as DynamoDB lists it in overlap errors: `[a, b, [1]]`.
fn bracketed(path: &Path) -> String {
    use crate::expr::PathElement;
    let parts: Vec<String> = path
        .elements()
        .iter()
        .map(|e| match e {
            PathElement::Name(n) => n.clone(),
            PathElement::Index(i) => format!("[{i}]"),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::attr;

    fn ok(text: &str) -> Statement {
        parse(text, &[]).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn err(text: &str, parameters: &[Value]) -> String {
        match parse(text, parameters) {
            Ok(s) => panic!("{text} parsed: {s:?}"),
            Err(e) => match e {
                Error::Validation { message } => message,
                other => panic!("{text}: not a validation error: {other}"),
            },
        }
    }

    fn select(text: &str) -> Select {
        match ok(text) {
            Statement::Select(s) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_selects() {
        let s = select(r#"SELECT * FROM "t""#);
        assert_eq!(s, Select::new("t"));
        let s = select(
            r#"select m.x[1], "a b", l['k'] from t."by-date" where pk = 'p' and begins_with("sk", 'a') order by sk desc, pk"#,
        );
        assert_eq!(s.table, "t");
        assert_eq!(s.index.as_deref(), Some("by-date"));
        assert_eq!(
            s.projection,
            Some(vec![attr("m.x[1]"), Path::name("a b"), attr("l.k")])
        );
        assert_eq!(
            s.condition,
            Some(attr("pk").eq("p").and(attr("sk").begins_with("a")))
        );
        assert_eq!(
            s.order_by,
            vec![
                OrderBy {
                    path: attr("sk"),
                    descending: true
                },
                OrderBy {
                    path: attr("pk"),
                    descending: false
                }
            ]
        );
    }

    #[test]
    fn reads_every_condition() {
        let cases: Vec<(&str, Condition)> = vec![
            ("a <> 1", attr("a").ne(1)),
            ("a != 1", attr("a").ne(1)),
            (
                "'x' = a",
                Condition::Compare(
                    Operand::Value("x".into()),
                    CompareOp::Eq,
                    Operand::Path(attr("a")),
                ),
            ),
            (
                "a.b[0] >= b",
                Condition::Compare(
                    Operand::Path(attr("a.b[0]")),
                    CompareOp::Ge,
                    Operand::Path(attr("b")),
                ),
            ),
            ("a BETWEEN 1 AND 2", attr("a").between(1, 2)),
            (
                "a IN [1, 'x']",
                attr("a").is_in([Value::from(1), Value::from("x")]),
            ),
            ("a IN (1)", attr("a").is_in([1])),
            ("a NOT IN (1)", !attr("a").is_in([1])),
            ("a IS MISSING", attr("a").not_exists()),
            ("a IS NOT MISSING", attr("a").exists()),
            ("a IS NULL", attr("a").is_type(ValueType::Null)),
            ("a IS NOT NULL", !attr("a").is_type(ValueType::Null)),
            ("attribute_exists(a)", attr("a").exists()),
            ("ATTRIBUTE_NOT_EXISTS(a)", attr("a").not_exists()),
            ("attribute_type(a, 'SS')", attr("a").is_type(ValueType::Ss)),
            ("contains(a, 'x')", attr("a").contains("x")),
            ("size(a) > 2", attr("a").size().gt(2)),
            (
                "NOT (a = 1 OR b = 2) AND c = 3",
                (!(attr("a").eq(1).or(attr("b").eq(2)))).and(attr("c").eq(3)),
            ),
            (
                "a = 1 OR b = 2 AND c = 3",
                attr("a").eq(1).or(attr("b").eq(2).and(attr("c").eq(3))),
            ),
            (
                "a = -1.50",
                attr("a").eq(Value::N(Number::parse("-1.5").unwrap())),
            ),
            ("a = 1e3", attr("a").eq(1000)),
            (
                "a = .5",
                attr("a").eq(Value::N(Number::parse("0.5").unwrap())),
            ),
            (
                "a = [1, {'k': <<'x', 'y'>>}, TRUE, null]",
                attr("a").eq(Value::L(vec![
                    1.into(),
                    Value::M(BTreeMap::from([(
                        "k".to_string(),
                        Value::Ss(["x".to_string(), "y".to_string()].into()),
                    )])),
                    true.into(),
                    Value::Null,
                ])),
            ),
        ];
        for (text, expected) in cases {
            let s = select(&format!("SELECT * FROM t WHERE {text}"));
            assert_eq!(s.condition, Some(expected), "{text}");
        }
    }

    #[test]
    fn takes_parameters_in_order() {
        let p = [
            Value::from("k"),
            Value::B(vec![1]),
            Value::from(3),
            Value::from(4),
        ];
        let s = parse(
            "SELECT * FROM t WHERE pk = ? AND b = ? AND n BETWEEN ? AND ?",
            &p,
        )
        .unwrap();
        let Statement::Select(s) = s else { panic!() };
        assert_eq!(
            s.condition,
            Some(
                attr("pk")
                    .eq("k")
                    .and(attr("b").eq(Value::B(vec![1])))
                    .and(attr("n").between(3, 4))
            )
        );
        for (text, n) in [
            ("SELECT * FROM t WHERE pk = ?", 0),
            ("SELECT * FROM t WHERE pk = ?", 2),
            ("SELECT * FROM t", 1),
        ] {
            assert_eq!(
                err(text, &p[..n]),
                "Number of parameters in request and statement don't match.",
                "{text} with {n}"
            );
        }
    }

    #[test]
    fn reads_writes() {
        let p = [Value::B(vec![7])];
        let s = parse(
            r#"INSERT INTO "t" VALUE {'pk': 'a', 'n': 1, 'b': ?, 's': <<1, 2>>, 'e': [], 'm': {}}"#,
            &p,
        )
        .unwrap();
        assert_eq!(
            s,
            Statement::Insert {
                table: "t".into(),
                item: Item::new()
                    .with("pk", "a")
                    .with("n", 1)
                    .with("b", Value::B(vec![7]))
                    .with("s", Value::Ns([Number::from(1), Number::from(2)].into()))
                    .with("e", Value::L(vec![]))
                    .with("m", Value::M(BTreeMap::new())),
            }
        );
        let s = ok(
            r#"UPDATE t SET a = 1, b = b + 1 SET c = list_append(c, [2]) REMOVE d, e[1] SET f = set_add(f, <<'x'>>) SET g = set_delete(g, <<1>>) SET h = if_not_exists(h, 0) - 1 WHERE pk = 'k' AND a = 0 RETURNING MODIFIED NEW *"#,
        );
        let Statement::Update {
            table,
            update,
            condition,
            returning,
        } = s
        else {
            panic!()
        };
        assert_eq!(table, "t");
        assert_eq!(
            update.actions,
            vec![
                UpdateAction::Set(attr("a"), SetValue::Operand(1.into())),
                UpdateAction::Set(attr("b"), SetValue::Plus(attr("b").into(), 1.into())),
                UpdateAction::Set(
                    attr("c"),
                    SetValue::ListAppend(attr("c").into(), Value::L(vec![2.into()]).into())
                ),
                UpdateAction::Remove(attr("d")),
                UpdateAction::Remove(attr("e[1]")),
                UpdateAction::Add(attr("f"), Value::Ss(["x".to_string()].into())),
                UpdateAction::Delete(attr("g"), Value::Ns([Number::from(1)].into())),
                UpdateAction::Set(
                    attr("h"),
                    SetValue::Minus(SetOperand::if_not_exists(attr("h"), 0), 1.into())
                ),
            ]
        );
        assert_eq!(condition, Some(attr("pk").eq("k").and(attr("a").eq(0))));
        assert_eq!(returning, Some(Returning::ModifiedNew));
        assert_eq!(
            ok(r#"DELETE FROM "t" WHERE pk = 'k' RETURNING ALL OLD *"#),
            Statement::Delete {
                table: "t".into(),
                condition: Some(attr("pk").eq("k")),
                returning: Some(Returning::AllOld),
            }
        );
        let Statement::Exists(s) =
            ok(r#"EXISTS(SELECT * FROM "t" WHERE pk = 'k' AND a IS MISSING)"#)
        else {
            panic!()
        };
        assert_eq!(
            s.condition,
            Some(attr("pk").eq("k").and(attr("a").not_exists()))
        );
    }

    #[test]
    fn folds_the_numbers_of_longer_sums() {
        let set = |text: &str| match ok(&format!("UPDATE t SET n = {text} WHERE pk = 'a'")) {
            Statement::Update { mut update, .. } => match update.actions.remove(0) {
                UpdateAction::Set(_, value) => value,
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        };
        let n = || SetOperand::Path(attr("n"));
        let num = |x: i32| SetOperand::Value(x.into());
        assert_eq!(set("n + 1 + 1"), SetValue::Plus(n(), num(2)));
        assert_eq!(set("1 + n - 3"), SetValue::Minus(n(), num(2)));
        assert_eq!(set("10 - n - 3"), SetValue::Minus(num(7), n()));
        assert_eq!(set("1 + 2 + 3"), SetValue::Operand(num(6)));
        // Two operands stay as written.
        assert_eq!(set("1 + 2"), SetValue::Plus(num(1), num(2)));
    }

    /// DynamoDB's messages (recorded from DynamoDB Local, whose PartiQL front end is
    /// DynamoDB's).
    #[test]
    fn rejects_with_dynamodbs_messages() {
        let cases = [
            ("SELECTT * FROMM \"t\"", "Statement wasn't well formed, can't be processed: expected SELECT, INSERT, UPDATE, DELETE or EXISTS, found `SELECTT` at 1:1"),
            ("SELECT * FROM \"t\" WHERE", "Statement wasn't well formed, can't be processed: expected a condition, found the end of the statement at 1:24"),
            ("SELECT COUNT(*) FROM t", "Unexpected path component at 1:8:5"),
            ("SELECT true FROM t", "Unexpected path component at 1:8:4"),
            ("SELECT sk, sk FROM t", "Duplicate identifiers in select clause: sk"),
            ("SELECT * FROM t AS x", "Aliasing is not supported"),
            ("SELECT * FROM t WHERE pk = 'a' LIMIT 1", "Unsupported clause: LIMIT at 1:38:1"),
            ("SELECT * FROM t WHERE foo(n)", "Unrecognized function: foo"),
            ("SELECT * FROM t WHERE a AND n", "The arguments to AND/OR must be Expressions"),
            ("SELECT * FROM t WHERE n + 1 = 2", "Unsupported operator in Condition Expression. Operator: +"),
            ("SELECT * FROM t WHERE attribute_type(l, 'XX')", "Invalid attribute type name found; type: XX, valid types: { B,NULL,SS,BOOL,L,BS,N,NS,S,M }"),
            ("SELECT * FROM t WHERE n IN []", "IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member"),
            ("SELECT value FROM t", "Statement wasn't well formed, can't be processed: expected an attribute name, found the reserved word `value` (write it \"value\" to use it as a name) at 1:8"),
            ("SELECT * FROM t WHERE value = 1", "Statement wasn't well formed, can't be processed: expected a value, found the reserved word `value` (write it \"value\" to use it as a name) at 1:23"),
            ("INSERT INTO \"t\".\"i\" VALUE {'pk': 'a'}", "FROM clause may only contain a single table name in data manipulation statements"),
            ("INSERT INTO t VALUE ?", "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement. at 1:21:1"),
            ("INSERT INTO t VALUE {'pk': 'p', 'x': <<>>}", "Empty bags are not supported at 1:38:2"),
            ("INSERT INTO t VALUE {'pk': 'p', 'pk': 'z'}", "Duplicate keys in tuple. Key: pk under root at 1:33:4"),
            ("INSERT INTO t VALUE {\"pk\": 'p'}", "Tuple keys must be of type String. Actual type: VariableReference under root at 1:22:4"),
            ("INSERT INTO t VALUE {'x': [?]}", "Unsupported data type: Parameter under key root.0 at 1:28:1"),
            ("INSERT INTO t VALUE {'x': MISSING}", "Unsupported data type: MISSING under key root at 1:27:7"),
            ("INSERT INTO t VALUE {'x': <<1, 'a'>>}", "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags"),
            ("INSERT INTO t VALUE {'x': <<1, 1.0>>}", "Input collection contains duplicates"),
            ("INSERT INTO t VALUE {'x': -0.0}", "Negative zero decimal is not supported under key root at 1:28:3"),
            ("INSERT INTO t VALUE {'x': 123456789012345678901234567890123456789}", "DynamoDB only supports precision up to 38 digits"),
            ("INSERT INTO t VALUE {'x': 1}, {'x': 2}", "Unsupported operation: Inserting multiple items in a single statement is not supported, use \"INSERT INTO tableName VALUE item\" instead"),
            ("UPDATE t SET n = 1, n = 2 WHERE pk = 'a'", "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [n], path two: [n]"),
            ("UPDATE t SET s2 = set_add(ns, <<9>>) WHERE pk = 'a'", "The first argument to SET_ADD must equal the assignment value"),
            ("UPDATE t SET n = set_add(n, 5) WHERE pk = 'a'", "The second argument to SET_ADD must be a value with type SET at 1:26:1"),
            ("UPDATE t SET n = n + m + 1 WHERE pk = 'a'", "dynamodb-memory takes at most one operand besides number literals in a chain of + and - (SET a = a + 1 + 2, SET a = b + c)"),
            ("UPDATE t.i SET n = 1 WHERE pk = 'a'", "This operation is not supported on an index"),
            ("DELETE FROM t.i WHERE pk = 'a'", "This operation is not supported on an index"),
            ("UPDATE t WHERE pk = 'a'", "Statement wasn't well formed, can't be processed: expected SET or REMOVE, found `WHERE` at 1:10"),
            ("UPDATE t SET n = 1 WHERE pk = 'a' RETURNING ALL OLD", "Statement wasn't well formed, can't be processed: expected `*`, found the end of the statement at 1:52"),
            ("DELETE FROM t WHERE pk = 'b' RETURNING ALL NEW *", "Invalid returning clause: RETURNING ALL NEW *. Only RETURNING ALL OLD * is allowed in DELETE statements."),
            ("SELECT * FROM t WHERE EXISTS(SELECT * FROM t)", "EXISTS can only be used in ExecuteTransaction write requests."),
        ];
        for (text, message) in cases {
            assert_eq!(err(text, &[]), message, "{text}");
        }
    }

    #[test]
    fn never_overflows_its_stack() {
        let deep = format!(
            "SELECT * FROM t WHERE {}a = 1{}",
            "(".repeat(500),
            ")".repeat(500)
        );
        assert!(err(&deep, &[]).contains("nests too deeply"));
        let deep = format!(
            "INSERT INTO t VALUE {{'a': {}1{}}}",
            "[".repeat(500),
            "]".repeat(500)
        );
        assert!(err(&deep, &[]).contains("nests too deeply"));
        let long = format!("SELECT * FROM t WHERE a = '{}'", "x".repeat(9000));
        assert!(err(&long, &[]).contains("less than or equal to 8192"));
    }
}
