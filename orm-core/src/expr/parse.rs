//! DynamoDB's expression language read into the AST: condition and filter expressions, key
//! conditions, update expressions and projections, with the request's [`Placeholders`]
//! substituted and DynamoDB's checks (syntax, reserved words, undefined placeholders, expression
//! size, operand types), each error an [`Error::Validation`] carrying DynamoDB's message.
//!
//! It is the inverse of [`render`](super::render): `parse(render(ast)) == ast`.
//!
//! ```
//! use orm_core::expr::parse::{self, Placeholders};
//! use orm_core::expr::{attr, Clause};
//! use orm_core::Value;
//! use std::collections::BTreeMap;
//!
//! let names = BTreeMap::from([("#s".to_string(), "status".to_string())]);
//! let values = BTreeMap::from([(":o".to_string(), Value::from("open"))]);
//! let mut placeholders = Placeholders::new(names, values);
//! let parsed = parse::condition(&mut placeholders, Clause::Filter, "#s = :o").unwrap();
//! assert_eq!(parsed, attr("status").eq("open"));
//! placeholders.finish().unwrap(); // every placeholder was used
//!
//! let err = parse::condition(&mut placeholders, Clause::Filter, "status = :o").unwrap_err();
//! assert!(err.to_string().contains("Invalid FilterExpression: Attribute name is a reserved keyword; reserved keyword: status"));
//! ```

pub use super::placeholders::Placeholders;

use super::ast::{
    CompareOp, Condition, Function, KeyCondition, Operand, Path, PathElement, SetOperand, SetValue,
    SortKeyCondition, Update, UpdateAction,
};
use super::lexer::{syntax, tokenize, Token};
use super::limits::{MAX_EXPRESSION_BYTES, MAX_IN_OPERANDS};
use super::reserved::is_reserved;
use super::scan::TokenWalk;
use super::Clause;
use crate::error::{Error, Result};
use crate::value::{Value, ValueType};
use std::collections::BTreeSet;

// ------------------------------------------------------------------ parser ---

struct Parser<'a, 'p> {
    /// `size()` is not allowed anywhere in an update expression.
    in_update: bool,
    /// The expression's member name (`ConditionExpression`...), for errors.
    kind: &'static str,
    text: &'a str,
    tokens: Vec<(Token, usize)>,
    at: usize,
    placeholders: &'p mut Placeholders,
}

impl TokenWalk for Parser<'_, '_> {
    type Token = Token;

    fn peek_at(&self, n: usize) -> Option<&Token> {
        self.tokens.get(self.at + n).map(|(t, _)| t)
    }

    fn advance(&mut self) {
        self.at += 1;
    }

    /// DynamoDB's syntax errors name the token found, not the one expected.
    fn expected(&self, _what: &str) -> Error {
        self.error_here()
    }
}

impl<'a, 'p> Parser<'a, 'p> {
    fn new(clause: Clause, text: &'a str, placeholders: &'p mut Placeholders) -> Result<Self> {
        let kind = clause.member();
        if text.trim().is_empty() {
            return Err(Error::validation(format!(
                "Invalid {kind}: The expression can not be empty;"
            )));
        }
        if text.len() > MAX_EXPRESSION_BYTES {
            return Err(Error::validation(format!(
                "Invalid {kind}: Expression size has exceeded the maximum allowed size; expression size: {}",
                text.len()
            )));
        }
        Ok(Parser {
            in_update: clause == Clause::Update,
            kind,
            text,
            tokens: tokenize(text, kind)?,
            at: 0,
            placeholders,
        })
    }

    fn next(&mut self) -> Result<Token> {
        match self.tokens.get(self.at) {
            Some((t, _)) => {
                self.at += 1;
                Ok(t.clone())
            }
            None => Err(self.unexpected_end()),
        }
    }

    fn unexpected_end(&self) -> Error {
        let previous = self.tokens.last().map(|(_, at)| *at);
        syntax(self.kind, self.text, "<EOF>", self.text.len(), previous)
    }

    /// A syntax error at token `index`.
    fn error_at(&self, index: usize) -> Error {
        match self.tokens.get(index) {
            Some((t, pos)) => {
                let previous = index
                    .checked_sub(1)
                    .and_then(|i| self.tokens.get(i))
                    .map(|(_, at)| *at);
                syntax(self.kind, self.text, &t.text(), *pos, previous)
            }
            None => self.unexpected_end(),
        }
    }

    /// A syntax error at the current token.
    fn error_here(&self) -> Error {
        self.error_at(self.at)
    }

    /// A syntax error at the token just consumed.
    fn error_prev(&self) -> Error {
        self.error_at(self.at.saturating_sub(1))
    }

    fn invalid(&self, message: impl std::fmt::Display) -> Error {
        Error::validation(format!("Invalid {}: {message}", self.kind))
    }

    /// DynamoDB's error for `operand` where `operator` (`operator: SET`, `operator or function:
    /// begins_with`) takes another type.
    fn incorrect_operand(&self, operator: &str, operand: &Operand) -> Error {
        self.invalid(format!(
            "Incorrect operand type for operator or function; {operator}, operand type: {}",
            operand_type(operand)
        ))
    }

    fn done(&self) -> Result<()> {
        if self.at < self.tokens.len() {
            Err(self.error_here())
        } else {
            Ok(())
        }
    }

    /// One name of a path: a bare word (not reserved) or a `#placeholder`.
    fn path_name(&mut self) -> Result<String> {
        match self.next()? {
            Token::Word(w) => {
                if is_reserved(&w) {
                    return Err(self.invalid(format!(
                        "Attribute name is a reserved keyword; reserved keyword: {w}"
                    )));
                }
                Ok(w)
            }
            Token::Name(n) => {
                let key = format!("#{n}");
                match self.placeholders.name(&key) {
                    Some(name) => Ok(name),
                    None => Err(self.invalid(format!(
                        "An expression attribute name used in the document path is not defined; attribute name: {key}"
                    ))),
                }
            }
            _ => Err(self.error_prev()),
        }
    }

    fn path(&mut self) -> Result<Path> {
        let mut path = Path::name(self.path_name()?);
        loop {
            if self.eat_symbol(".") {
                path = path.key(self.path_name()?);
            } else if self.eat_symbol("[") {
                let index = match self.next()? {
                    Token::Number(n) => n
                        .parse::<usize>()
                        .map_err(|_| self.invalid(format!("List index is too large: {n}")))?,
                    _ => return Err(self.error_prev()),
                };
                self.expect_symbol("]")?;
                path = path.index(index);
            } else {
                return Ok(path);
            }
        }
    }

    fn value(&mut self, key: &str) -> Result<Value> {
        let key = format!(":{key}");
        match self.placeholders.value(&key) {
            Some(v) => Ok(v),
            None => Err(self.invalid(format!(
                "An expression attribute value used in expression is not defined; attribute value: {key}"
            ))),
        }
    }

    /// Whether the next tokens are `function(`.
    fn is_call(&self, function: Function) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w == function.name())
            && matches!(self.peek_at(1), Some(Token::Symbol("(")))
    }

    fn operand(&mut self) -> Result<Operand> {
        if self.in_update && self.is_call(Function::Size) {
            return Err(
                self.invalid("The function is not allowed in an update expression; function: size")
            );
        }
        if self.is_call(Function::Size) {
            self.at += 2;
            let path = self.path()?;
            self.expect_symbol(")")?;
            return Ok(Operand::Size(path));
        }
        match self.peek() {
            Some(Token::Value(v)) => {
                let v = v.clone();
                self.at += 1;
                Ok(Operand::Value(self.value(&v)?))
            }
            Some(Token::Word(w)) if Function::from_name(w).is_some() => Err(self.invalid(format!(
                "The function is not allowed to be used this way in an expression; function: {w}"
            ))),
            Some(Token::Word(_) | Token::Name(_)) => Ok(Operand::Path(self.path()?)),
            _ => Err(self.error_here()),
        }
    }

    // Conditions: OR < AND < NOT < comparisons, functions, parentheses.

    fn condition(&mut self) -> Result<Condition> {
        self.joined("OR", Self::and, Condition::Or)
    }

    fn and(&mut self) -> Result<Condition> {
        self.joined("AND", Self::not, Condition::And)
    }

    fn not(&mut self) -> Result<Condition> {
        if self.eat_word("NOT") {
            return Ok(Condition::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Condition> {
        if self.eat_symbol("(") {
            let inner = self.condition()?;
            self.expect_symbol(")")?;
            return Ok(inner);
        }
        // A function call that is a condition (size() is an operand: `size(a) > :n`).
        let called = match self.peek() {
            Some(Token::Word(w)) => Function::from_name(w),
            _ => None,
        };
        if let Some(function) = called.filter(|f| *f != Function::Size) {
            if matches!(self.peek_at(1), Some(Token::Symbol("("))) {
                self.at += 2;
                return self.function(function);
            }
        }
        let lhs = self.operand()?;
        if self.eat_word("BETWEEN") {
            let low = self.operand()?;
            if !self.eat_word("AND") {
                return Err(self.error_here());
            }
            let high = self.operand()?;
            return Ok(Condition::Between(lhs, low, high));
        }
        if self.eat_word("IN") {
            self.expect_symbol("(")?;
            let mut list = vec![self.operand()?];
            while self.eat_symbol(",") {
                list.push(self.operand()?);
            }
            self.expect_symbol(")")?;
            if list.len() > MAX_IN_OPERANDS {
                return Err(self.invalid(format!(
                    "The IN operator is provided with too many operands; number of operands: {}",
                    list.len()
                )));
            }
            return Ok(Condition::In(lhs, list));
        }
        let op = match self.next()? {
            Token::Symbol("=") => CompareOp::Eq,
            Token::Symbol("<>") => CompareOp::Ne,
            Token::Symbol("<") => CompareOp::Lt,
            Token::Symbol("<=") => CompareOp::Le,
            Token::Symbol(">") => CompareOp::Gt,
            Token::Symbol(">=") => CompareOp::Ge,
            _ => return Err(self.error_prev()),
        };
        let rhs = self.operand()?;
        Ok(Condition::Compare(lhs, op, rhs))
    }

    /// The arguments of a condition function and the closing parenthesis (its name and `(`
    /// are read).
    fn function(&mut self, function: Function) -> Result<Condition> {
        let name = function.name();
        let condition = match function {
            Function::AttributeExists => Condition::Exists(self.path()?),
            Function::AttributeNotExists => Condition::NotExists(self.path()?),
            Function::AttributeType => {
                let path = self.path()?;
                self.expect_symbol(",")?;
                let ty = match self.operand()? {
                    Operand::Value(Value::S(s)) => ValueType::from_descriptor(&s).ok_or_else(|| {
                        self.invalid(format!(
                            "Invalid attribute type name found; type: {s}, valid types: {{ B,NULL,SS,BOOL,L,BS,N,NS,S,M }}"
                        ))
                    })?,
                    other => {
                        return Err(self.incorrect_operand(&format!("operator or function: {name}"), &other))
                    }
                };
                Condition::IsType(path, ty)
            }
            Function::BeginsWith | Function::Contains => {
                let path = match self.operand()? {
                    Operand::Path(p) => p,
                    other => {
                        return Err(self.incorrect_operand(&format!("operator or function: {name}"), &other))
                    }
                };
                self.expect_symbol(",")?;
                let arg = self.operand()?;
                if function == Function::BeginsWith {
                    Condition::BeginsWith(path, arg)
                } else {
                    Condition::Contains(path, arg)
                }
            }
            // Not conditions: an operand (size), or functions of update expressions.
            Function::Size | Function::IfNotExists | Function::ListAppend => {
                return Err(self.invalid(format!(
                    "The function is not allowed to be used this way in an expression; function: {name}"
                )))
            }
        };
        self.expect_symbol(")")?;
        Ok(condition)
    }

    // Updates.

    fn update(&mut self) -> Result<Update> {
        let mut update = Update::new();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        while self.peek().is_some() {
            let clause = match self.next()? {
                Token::Word(w)
                    if ["SET", "REMOVE", "ADD", "DELETE"]
                        .iter()
                        .any(|k| w.eq_ignore_ascii_case(k)) =>
                {
                    w.to_ascii_uppercase()
                }
                _ => return Err(self.error_prev()),
            };
            if !seen.insert(clause.clone()) {
                return Err(self.invalid(format!(
                    "The \"{clause}\" section can only be used once in an update expression;"
                )));
            }
            loop {
                let action = match clause.as_str() {
                    "SET" => {
                        let path = self.path()?;
                        self.expect_symbol("=")?;
                        UpdateAction::Set(path, self.set_value()?)
                    }
                    "REMOVE" => UpdateAction::Remove(self.path()?),
                    _ => {
                        let path = self.path()?;
                        let value = match self.operand()? {
                            Operand::Value(v) => v,
                            other => {
                                return Err(
                                    self.incorrect_operand(&format!("operator: {clause}"), &other)
                                )
                            }
                        };
                        if clause == "ADD" {
                            UpdateAction::Add(path, value)
                        } else {
                            UpdateAction::Delete(path, value)
                        }
                    }
                };
                update.actions.push(action);
                if !self.eat_symbol(",") {
                    break;
                }
            }
        }
        Ok(update)
    }

    // SET values. DynamoDB's grammar: value ::= operand | operand (+|-) operand, operand ::=
    // path | :value | if_not_exists(path, operand) | list_append(operand, operand) | (operand),
    // and a whole value may be parenthesized; then list_append only as the whole value, and
    // parentheses around parentheses are redundant.

    /// The right-hand side of a `SET` action.
    fn set_value(&mut self) -> Result<SetValue> {
        let (first, _) = self.set_term(true)?;
        let plus = self.eat_symbol("+");
        if !plus && !self.eat_symbol("-") {
            return Ok(match first {
                SetTerm::Operand(o) => SetValue::Operand(o),
                SetTerm::ListAppend(a, b) => SetValue::ListAppend(a, b),
                SetTerm::Value(v) => v,
            });
        }
        let a = self.arithmetic_operand(first)?;
        let (second, _) = self.set_term(false)?;
        let b = self.arithmetic_operand(second)?;
        Ok(if plus {
            SetValue::Plus(a, b)
        } else {
            SetValue::Minus(a, b)
        })
    }

    /// An operand of `+` / `-` (just read, with the operator after it).
    fn arithmetic_operand(&self, term: SetTerm) -> Result<SetOperand> {
        match term {
            SetTerm::Operand(o) => Ok(o),
            SetTerm::ListAppend(..) => Err(self.list_append_misplaced()),
            // `(a - :v) + :w`: the operator after the parentheses is the error.
            SetTerm::Value(_) => Err(self.error_prev()),
        }
    }

    fn list_append_misplaced(&self) -> Error {
        self.invalid(format!(
            "The function is not allowed to be used this way in an expression; function: {}",
            Function::ListAppend
        ))
    }

    /// A term of a `SET` value, and whether it is wholly parenthesized; `whole` when it may be
    /// the whole value (so parentheses may hold `a + b`).
    fn set_term(&mut self, whole: bool) -> Result<(SetTerm, bool)> {
        if self.eat_symbol("(") {
            let (inner, parenthesized) = self.set_term(whole)?;
            let inner = if whole && matches!(self.peek(), Some(Token::Symbol("+" | "-"))) {
                let plus = self.eat_symbol("+");
                if !plus {
                    self.expect_symbol("-")?;
                }
                let a = self.arithmetic_operand(inner)?;
                let (second, _) = self.set_term(false)?;
                let b = self.arithmetic_operand(second)?;
                SetTerm::Value(if plus {
                    SetValue::Plus(a, b)
                } else {
                    SetValue::Minus(a, b)
                })
            } else if parenthesized {
                return Err(self.invalid("The expression has redundant parentheses;"));
            } else {
                inner
            };
            self.expect_symbol(")")?;
            return Ok((inner, true));
        }
        if self.is_call(Function::IfNotExists) {
            self.at += 2;
            let path = match self.set_term(false)?.0 {
                SetTerm::Operand(SetOperand::Path(p)) => p,
                SetTerm::Operand(_) | SetTerm::ListAppend(..) | SetTerm::Value(_) => {
                    return Err(self.invalid(format!(
                        "Operator or function requires a document path; operator or function: {}",
                        Function::IfNotExists
                    )))
                }
            };
            self.expect_symbol(",")?;
            let fallback = self.set_operand()?;
            self.expect_symbol(")")?;
            return Ok((
                SetTerm::Operand(SetOperand::if_not_exists(path, fallback)),
                false,
            ));
        }
        if self.is_call(Function::ListAppend) {
            self.at += 2;
            let a = self.set_operand()?;
            self.expect_symbol(",")?;
            let b = self.set_operand()?;
            self.expect_symbol(")")?;
            return Ok((SetTerm::ListAppend(a, b), false));
        }
        let operand = match self.operand()? {
            Operand::Value(v) => SetOperand::Value(v),
            Operand::Path(p) => SetOperand::Path(p),
            Operand::Size(_) => {
                return Err(self.invalid(format!(
                    "The function is not allowed in an update expression; function: {}",
                    Function::Size
                )))
            }
        };
        Ok((SetTerm::Operand(operand), false))
    }

    /// An argument of an update function: an operand, never `list_append`.
    fn set_operand(&mut self) -> Result<SetOperand> {
        match self.set_term(false)?.0 {
            SetTerm::Operand(o) => Ok(o),
            SetTerm::ListAppend(..) => Err(self.list_append_misplaced()),
            SetTerm::Value(_) => Err(self.error_prev()),
        }
    }
}

/// A term of a `SET` value as read, before DynamoDB's rules on where each may stand.
enum SetTerm {
    /// An operand: a value, a path, `if_not_exists(...)`.
    Operand(SetOperand),
    /// `list_append(a, b)`: only the whole value.
    ListAppend(SetOperand, SetOperand),
    /// `(a + b)` / `(a - b)`: only the whole value.
    Value(SetValue),
}

fn operand_type(operand: &Operand) -> String {
    match operand {
        Operand::Value(v) => v.value_type().descriptor().to_string(),
        Operand::Path(_) => "PATH".into(),
        Operand::Size(_) => "N".into(),
    }
}

// --------------------------------------------------------------- entry points ---

/// A `ConditionExpression` or `FilterExpression` (`clause` names it in errors:
/// [`Clause::Condition`] or [`Clause::Filter`]).
pub fn condition(placeholders: &mut Placeholders, clause: Clause, text: &str) -> Result<Condition> {
    let mut p = Parser::new(clause, text, placeholders)?;
    let c = p.condition()?;
    p.done()?;
    Ok(c)
}

/// An `UpdateExpression`; two actions on overlapping paths are rejected.
pub fn update(placeholders: &mut Placeholders, text: &str) -> Result<Update> {
    let mut p = Parser::new(Clause::Update, text, placeholders)?;
    let u = p.update()?;
    p.done()?;
    if let Some((first, second)) = u.overlapping_paths() {
        return Err(Error::validation(format!(
            "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [{}], path two: [{}]",
            path_list(first),
            path_list(second)
        )));
    }
    Ok(u)
}

fn path_list(path: &Path) -> String {
    path.elements()
        .iter()
        .map(|e| match e {
            PathElement::Name(n) => n.clone(),
            PathElement::Index(i) => format!("[{i}]"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A `ProjectionExpression`: its paths, in order.
pub fn projection(placeholders: &mut Placeholders, text: &str) -> Result<Vec<Path>> {
    let mut p = Parser::new(Clause::Projection, text, placeholders)?;
    let mut paths = vec![p.path()?];
    while p.eat_symbol(",") {
        paths.push(p.path()?);
    }
    p.done()?;
    Ok(paths)
}

/// A `KeyConditionExpression` on a table or index whose partition key is `hash_key` and whose
/// sort key, if any, is `range_key`.
pub fn key_condition(
    placeholders: &mut Placeholders,
    text: &str,
    hash_key: &str,
    range_key: Option<&str>,
) -> Result<KeyCondition> {
    let range: Vec<&str> = range_key.into_iter().collect();
    multi_key_condition(placeholders, text, &[hash_key], &range)
}

/// A `KeyConditionExpression` on a table or index whose partition key is made of the
/// attributes `hash_keys` and whose sort key of `range_keys` (in key-schema order; one and at
/// most one each for a table, up to four each for a global index with a multi-attribute key).
///
/// As DynamoDB checks it: every partition attribute compared for equality, the sort attributes
/// given left to right without a gap, each but the last given compared for equality.
pub fn multi_key_condition(
    placeholders: &mut Placeholders,
    text: &str,
    hash_keys: &[&str],
    range_keys: &[&str],
) -> Result<KeyCondition> {
    let multi = hash_keys.len() > 1 || range_keys.len() > 1;
    let mut p = Parser::new(Clause::KeyCondition, text, placeholders)?;
    let parsed = p.condition()?;
    p.done()?;
    let invalid = |m: &str| Error::validation(format!("Invalid KeyConditionExpression: {m}"));
    let parts = match parsed {
        Condition::And(parts) => parts,
        one => vec![one],
    };
    if !multi && parts.len() > 2 {
        return Err(invalid(
            "The expression can only contain a partition key condition and a sort key condition",
        ));
    }
    key_condition_in_key_order(parts.into_iter().map(key_part), hash_keys, range_keys)
}

/// Key conditions, `(attribute, condition)` in any order (the parts of a
/// `KeyConditionExpression`, or of a [`KeyCondition`] built by hand), on a key schema of
/// `hash_keys` and `range_keys` (in key-schema order), checked as DynamoDB checks them and put
/// in key order: every partition attribute compared for equality, at most one condition per
/// attribute, the sort attributes given left to right without a gap, each but the last given
/// compared for equality. An `Err` part is returned as it comes.
///
/// On a multi-attribute key, as DynamoDB orders its checks: more conditions than key
/// attributes first, then a partition attribute missing, then a sort attribute skipped, and only
/// then a condition on an attribute outside the key.
pub fn key_condition_in_key_order(
    conditions: impl IntoIterator<Item = Result<(String, SortKeyCondition)>>,
    hash_keys: &[&str],
    range_keys: &[&str],
) -> Result<KeyCondition> {
    let first_hash = *hash_keys.first().expect("a key schema has a partition key");
    let multi = hash_keys.len() > 1 || range_keys.len() > 1;
    let invalid = |m: &str| Error::validation(format!("Invalid KeyConditionExpression: {m}"));
    let one_per_key = || invalid("KeyConditionExpressions must only contain one condition per key");
    let mut partition: Vec<Option<Value>> = vec![None; hash_keys.len()];
    let mut sort: Vec<Option<SortKeyCondition>> = vec![None; range_keys.len()];
    let mut given = 0;
    let mut outside_the_key = false;
    for part in conditions {
        let (name, cond) = part?;
        given += 1;
        if let Some(at) = hash_keys.iter().position(|h| *h == name) {
            match cond {
                SortKeyCondition::Eq(_) if partition[at].is_some() => return Err(one_per_key()),
                SortKeyCondition::Eq(v) => partition[at] = Some(v),
                _ if multi => {
                    return Err(Error::validation(format!(
                        "HASH key attributes {name} must have equality conditions specified in \
                         the query"
                    )))
                }
                _ => return Err(Error::validation("Query key condition not supported")),
            }
        } else if let Some(at) = range_keys.iter().position(|r| *r == name) {
            if sort[at].is_some() {
                return Err(one_per_key());
            }
            sort[at] = Some(cond);
        } else if multi {
            outside_the_key = true;
        } else {
            return Err(Error::validation(format!(
                "Query condition missed key schema element: {first_hash}"
            )));
        }
    }
    if multi && given > hash_keys.len() + range_keys.len() {
        return Err(Error::validation("Query key condition not supported"));
    }
    let missing: Vec<&str> = hash_keys
        .iter()
        .zip(&partition)
        .filter(|(_, v)| v.is_none())
        .map(|(n, _)| *n)
        .collect();
    if !missing.is_empty() {
        return Err(Error::validation(if multi {
            format!(
                "HASH key attributes {} must have equality conditions specified in the query",
                missing.join(", ")
            )
        } else {
            format!("Query condition missed key schema element: {first_hash}")
        }));
    }
    let mut partition = hash_keys
        .iter()
        .zip(partition)
        .map(|(n, v)| (n.to_string(), v.expect("checked above")));
    let (partition_name, partition_value) = partition.next().expect("one at least");
    let extra_partition: Vec<(String, Value)> = partition.collect();
    let outside = || Error::validation("Query condition missed key schema element");
    let Some(last) = sort.iter().rposition(Option::is_some) else {
        if outside_the_key {
            return Err(outside());
        }
        return Ok(KeyCondition {
            partition_name,
            partition_value,
            sort: None,
            extra_partition,
            sort_prefix: Vec::new(),
        });
    };
    let not_equal: Vec<&str> = range_keys[..last]
        .iter()
        .zip(&sort)
        .filter(|(_, c)| !matches!(c, Some(SortKeyCondition::Eq(_))))
        .map(|(n, _)| *n)
        .collect();
    if !not_equal.is_empty() {
        return Err(Error::validation(format!(
            "RANGE key attributes {} must have equality conditions specified in the query \
             because a condition is present on key attribute {}",
            not_equal.join(", "),
            range_keys[last]
        )));
    }
    if outside_the_key {
        return Err(outside());
    }
    let mut conditions = range_keys.iter().zip(sort).take(last + 1);
    let sort_prefix = conditions
        .by_ref()
        .take(last)
        .map(|(n, c)| match c {
            Some(SortKeyCondition::Eq(v)) => (n.to_string(), v),
            _ => unreachable!("checked above"),
        })
        .collect();
    let (name, condition) = conditions.next().expect("the last one given");
    Ok(KeyCondition {
        partition_name,
        partition_value,
        sort: Some((name.to_string(), condition.expect("given"))),
        extra_partition,
        sort_prefix,
    })
}

/// One side of a key condition: a top-level attribute compared with values.
fn key_part(part: Condition) -> Result<(String, SortKeyCondition)> {
    let unsupported = || Error::validation("Query key condition not supported");
    let top = |operand: Operand| match operand {
        Operand::Path(p) if p.is_top_level() => Ok(p.root().to_string()),
        Operand::Path(_) => Err(Error::validation(
            "Invalid KeyConditionExpression: Key attributes must be top-level attributes",
        )),
        Operand::Value(_) | Operand::Size(_) => Err(unsupported()),
    };
    let value = |operand: Operand| match operand {
        Operand::Value(v) => Ok(v),
        Operand::Path(_) | Operand::Size(_) => Err(unsupported()),
    };
    match part {
        Condition::Compare(lhs, op, rhs) => {
            // DynamoDB also takes the value first in a comparison: `:v < sk` is `sk > :v`
            // (BETWEEN and begins_with take the key first).
            let (lhs, op, rhs) = match (lhs, rhs) {
                (lhs @ Operand::Value(_), rhs @ Operand::Path(_)) => (rhs, op.flipped(), lhs),
                (lhs, rhs) => (lhs, op, rhs),
            };
            let name = top(lhs)?;
            let v = value(rhs)?;
            let cond = match op {
                CompareOp::Eq => SortKeyCondition::Eq(v),
                CompareOp::Lt => SortKeyCondition::Lt(v),
                CompareOp::Le => SortKeyCondition::Le(v),
                CompareOp::Gt => SortKeyCondition::Gt(v),
                CompareOp::Ge => SortKeyCondition::Ge(v),
                CompareOp::Ne => return Err(unsupported()),
            };
            Ok((name, cond))
        }
        Condition::Between(Operand::Value(_), ..) => Err(Error::validation(
            "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key \
             attribute as its first operand",
        )),
        Condition::Between(lhs, low, high) => Ok((
            top(lhs)?,
            SortKeyCondition::Between(value(low)?, value(high)?),
        )),
        Condition::BeginsWith(path, prefix) => Ok((
            top(Operand::Path(path))?,
            SortKeyCondition::BeginsWith(value(prefix)?),
        )),
        Condition::In(..)
        | Condition::Contains(..)
        | Condition::Exists(_)
        | Condition::NotExists(_)
        | Condition::IsType(..)
        | Condition::And(_)
        | Condition::Or(_)
        | Condition::Not(_)
        | Condition::Invalid(_) => Err(unsupported()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::attr;

    /// DynamoDB's message of a validation error.
    fn message(e: Error) -> String {
        match e {
            Error::Validation { message } => message,
            other => panic!("not a validation error: {other:?}"),
        }
    }

    fn ph(names: &[(&str, &str)], values: &[(&str, Value)]) -> Placeholders {
        Placeholders::new(
            names
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            values
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn n(i: i64) -> Value {
        Value::from(i)
    }

    #[test]
    fn conditions_with_precedence_and_functions() {
        let mut p = ph(
            &[("#s", "status"), ("#t", "a.b")],
            &[
                (":o", Value::from("open")),
                (":n", n(3)),
                (":x", Value::from("x")),
            ],
        );
        let c = condition(
            &mut p,
            Clause::Condition,
            "#s = :o AND (size(#t) > :n OR NOT attribute_exists(l[2].m)) AND begins_with(title, :x)",
        )
        .unwrap();
        p.finish().unwrap();
        let expected = attr("status")
            .eq("open")
            .and(
                Condition::Compare(Operand::Size(Path::name("a.b")), CompareOp::Gt, n(3).into())
                    .or(!Path::name("l").index(2).key("m").exists()),
            )
            .and(attr("title").begins_with("x"));
        assert_eq!(c, expected);
    }

    #[test]
    fn placeholders_must_be_defined_and_used() {
        let mut p = ph(&[], &[]);
        let err = condition(&mut p, Clause::Condition, "#a = :v")
            .map_err(message)
            .unwrap_err();
        assert!(err.contains("attribute name: #a"), "{}", err);
        let mut p = ph(&[("#a", "a")], &[]);
        let err = condition(&mut p, Clause::Condition, "#a = :v")
            .map_err(message)
            .unwrap_err();
        assert!(err.contains("attribute value: :v"), "{}", err);
        let mut p = ph(&[("#a", "a"), ("#b", "b")], &[(":v", n(1))]);
        condition(&mut p, Clause::Condition, "#a = :v").unwrap();
        let err = p.finish().map_err(message).unwrap_err();
        assert!(err.contains("unused in expressions: keys: {#b}"), "{}", err);
    }

    #[test]
    fn reserved_words_and_syntax_errors() {
        let mut p = ph(&[], &[(":v", n(1))]);
        let err = condition(&mut p, Clause::Filter, "status = :v")
            .map_err(message)
            .unwrap_err();
        assert_eq!(
            err,
            "Invalid FilterExpression: Attribute name is a reserved keyword; reserved keyword: status"
        );
        for bad in [
            "a = ",
            "a == :v",
            "(a = :v",
            "a = :v)",
            "a ! :v",
            "a BETWEEN :v",
            "",
            "a[x] = :v",
        ] {
            let mut p = ph(&[], &[(":v", n(1))]);
            let err = condition(&mut p, Clause::Condition, bad)
                .map_err(message)
                .unwrap_err();
            assert!(
                err.starts_with("Invalid ConditionExpression"),
                "{bad}: {}",
                err
            );
        }
        let long = format!("a = :v{}", " ".repeat(MAX_EXPRESSION_BYTES));
        let mut p = ph(&[], &[(":v", n(1))]);
        assert!(condition(&mut p, Clause::Condition, &long)
            .map_err(message)
            .unwrap_err()
            .contains("maximum allowed size"));
    }

    #[test]
    fn updates_in_every_clause() {
        let mut p = ph(
            &[("#c", "count")],
            &[(":one", n(1)), (":l", Value::L(vec![n(2)])), (":z", n(0))],
        );
        let u = update(
            &mut p,
            "SET #c = #c + :one, l = list_append(l, :l), d = if_not_exists(d, :z) REMOVE x, y[1] ADD n :one DELETE s :l",
        )
        .unwrap();
        p.finish().unwrap();
        assert_eq!(u.actions.len(), 7);
        assert_eq!(
            u.actions[0],
            UpdateAction::Set(
                Path::name("count"),
                SetValue::Plus(SetOperand::Path(Path::name("count")), n(1).into())
            )
        );
        let mut p = ph(&[], &[(":v", n(1))]);
        let err = update(&mut p, "SET a = :v SET b = :v")
            .map_err(message)
            .unwrap_err();
        assert!(err.contains("only be used once"), "{}", err);
        let mut p = ph(&[], &[(":v", n(1))]);
        let err = update(&mut p, "SET a = :v REMOVE a")
            .map_err(message)
            .unwrap_err();
        assert!(err.contains("overlap"), "{}", err);
    }

    /// The forms of `SET` values DynamoDB accepts (each checked against DynamoDB Local): function
    /// calls as operands of `+` / `-`, `if_not_exists` nested, `list_append` of
    /// `if_not_exists`, and parentheses around an operand or the whole value.
    #[test]
    fn set_values_with_function_operands() {
        let ph = || {
            ph(
                &[],
                &[
                    (":z", n(0)),
                    (":v", n(5)),
                    (":e", Value::L(vec![])),
                    (":x", Value::L(vec![n(1)])),
                ],
            )
        };
        let set = |text: &str| -> Result<SetValue, String> {
            let mut p = ph();
            let u = update(&mut p, text).map_err(message)?;
            match u.actions.into_iter().next() {
                Some(UpdateAction::Set(_, v)) => Ok(v),
                other => panic!("{text}: {other:?}"),
            }
        };
        let ine =
            |path: &str, fallback: SetOperand| SetOperand::if_not_exists(attr(path), fallback);
        let z = || SetOperand::Value(n(0));
        let v = || SetOperand::Value(n(5));
        let cases = [
            (
                "SET a = if_not_exists(a, :z) + :v",
                SetValue::Plus(ine("a", z()), v()),
            ),
            (
                "SET a = :v - if_not_exists(a, :z)",
                SetValue::Minus(v(), ine("a", z())),
            ),
            (
                "SET a = if_not_exists(b, :v) + if_not_exists(c, :z)",
                SetValue::Plus(ine("b", v()), ine("c", z())),
            ),
            (
                "SET a = if_not_exists(a, if_not_exists(b, if_not_exists(c, :v)))",
                SetValue::Operand(ine("a", ine("b", ine("c", v())))),
            ),
            (
                "SET l = list_append(if_not_exists(l, :e), :x)",
                SetValue::ListAppend(
                    ine("l", SetOperand::Value(Value::L(vec![]))),
                    SetOperand::Value(Value::L(vec![n(1)])),
                ),
            ),
            (
                "SET a = (b)",
                SetValue::Operand(SetOperand::Path(attr("b"))),
            ),
            (
                "SET a = (b - :v)",
                SetValue::Minus(SetOperand::Path(attr("b")), v()),
            ),
            (
                "SET a = (b) + :v",
                SetValue::Plus(SetOperand::Path(attr("b")), v()),
            ),
            (
                "SET a = (:v) - (b)",
                SetValue::Minus(v(), SetOperand::Path(attr("b"))),
            ),
            (
                "SET a = :v + (if_not_exists(a, :z))",
                SetValue::Plus(v(), ine("a", z())),
            ),
            (
                "SET a = (if_not_exists(a, :z) + :v)",
                SetValue::Plus(ine("a", z()), v()),
            ),
            (
                "SET a = if_not_exists((a), (:v))",
                SetValue::Operand(ine("a", v())),
            ),
            (
                "SET l = (list_append((l), :x))",
                SetValue::ListAppend(
                    SetOperand::Path(attr("l")),
                    SetOperand::Value(Value::L(vec![n(1)])),
                ),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(set(text), Ok(want), "{text}");
        }
        let rejected = [
            ("SET a = ((b))", "The expression has redundant parentheses;"),
            ("SET a = ((b - :v))", "The expression has redundant parentheses;"),
            ("SET a = ((b)) + :v", "The expression has redundant parentheses;"),
            ("SET a = if_not_exists(a, ((:v)))", "The expression has redundant parentheses;"),
            ("SET a = (b - :v) + :v", "Syntax error; token: \"+\""),
            ("SET a = b + (c - :v)", "Syntax error; token: \"-\""),
            ("SET a = b + c + :v", "Syntax error; token: \"+\""),
            ("SET a = if_not_exists(a, :v + :v)", "Syntax error; token: \"+\""),
            ("SET a = ()", "Syntax error; token: \")\""),
            (
                "SET l = list_append(l, :x) + :v",
                "The function is not allowed to be used this way in an expression; function: list_append",
            ),
            (
                "SET l = :v - list_append(l, :x)",
                "The function is not allowed to be used this way in an expression; function: list_append",
            ),
            (
                "SET l = list_append(:x, list_append(l, :x))",
                "The function is not allowed to be used this way in an expression; function: list_append",
            ),
            (
                "SET l = if_not_exists(l, list_append(l, :x))",
                "The function is not allowed to be used this way in an expression; function: list_append",
            ),
            (
                "SET a = if_not_exists(:v, a)",
                "Operator or function requires a document path; operator or function: if_not_exists",
            ),
            (
                "SET a = if_not_exists(a, size(b))",
                "The function is not allowed in an update expression; function: size",
            ),
        ];
        for (text, want) in rejected {
            let err = set(text).unwrap_err();
            assert!(
                err.starts_with("Invalid UpdateExpression: ") && err.contains(want),
                "{text}: {err}"
            );
        }
    }

    #[test]
    fn key_conditions_find_the_keys() {
        let mut p = ph(
            &[("#pk", "pk")],
            &[(":p", Value::from("A")), (":s", Value::from("T#"))],
        );
        let k =
            key_condition(&mut p, "begins_with(sk, :s) AND #pk = :p", "pk", Some("sk")).unwrap();
        assert_eq!(k.partition_name, "pk");
        assert_eq!(k.partition_value, Value::from("A"));
        assert_eq!(
            k.sort,
            Some(("sk".into(), SortKeyCondition::BeginsWith(Value::from("T#"))))
        );
        let mut p = ph(&[], &[(":p", Value::from("A"))]);
        let err = key_condition(&mut p, "sk = :p", "pk", Some("sk"))
            .map_err(message)
            .unwrap_err();
        assert!(err.contains("missed key schema element: pk"), "{}", err);
    }

    /// On a multi-attribute key (partition `a`, `b`; sort `c`, `d`), the checks come in
    /// DynamoDB Local 11.1.0's order: too many conditions, a partition attribute missing, a sort
    /// attribute skipped, and only then an attribute outside the key.
    #[test]
    fn multi_attribute_key_conditions_are_checked_in_dynamodbs_order() {
        let eq = |n: &str| Ok((n.to_string(), SortKeyCondition::Eq(Value::from(1))));
        let ge = |n: &str| Ok((n.to_string(), SortKeyCondition::Ge(Value::from(1))));
        let check = |parts: Vec<Result<(String, SortKeyCondition)>>| {
            key_condition_in_key_order(parts, &["a", "b"], &["c", "d"]).map_err(message)
        };
        for (parts, want) in [
            (
                vec![eq("a"), eq("b"), eq("c"), ge("d"), eq("x")],
                "Query key condition not supported",
            ),
            (
                vec![eq("a"), eq("x")],
                "HASH key attributes b must have equality conditions specified in the query",
            ),
            (
                vec![eq("a"), eq("b"), eq("x"), ge("d")],
                "RANGE key attributes c must have equality conditions specified in the query \
                 because a condition is present on key attribute d",
            ),
            (
                vec![eq("x"), eq("b"), eq("a")],
                "Query condition missed key schema element",
            ),
            (
                vec![eq("a"), eq("b"), ge("c"), eq("x")],
                "Query condition missed key schema element",
            ),
        ] {
            assert_eq!(check(parts).unwrap_err(), want);
        }
        let k = check(vec![ge("d"), eq("b"), eq("c"), eq("a")]).unwrap();
        assert_eq!(k.partition_name, "a");
        assert_eq!(k.extra_partition, vec![("b".into(), Value::from(1))]);
        assert_eq!(k.sort_prefix, vec![("c".into(), Value::from(1))]);
        assert_eq!(k.sort, Some(("d".into(), SortKeyCondition::Ge(1.into()))));
    }

    /// Key conditions written value-first, as DynamoDB accepts them (checked against DynamoDB
    /// Local): `:v = pk`, and `:v < sk` meaning `sk > :v`; BETWEEN, begins_with and `<>` are
    /// not key conditions either way.
    #[test]
    fn key_conditions_value_first() {
        let values = [
            (":p", Value::from("A")),
            (":s", Value::from("m")),
            (":t", Value::from("z")),
        ];
        let parse = |text: &str| {
            let mut p = ph(&[("#sk", "sk")], &values);
            key_condition(&mut p, text, "pk", Some("sk")).map_err(message)
        };
        let s = || Value::from("m");
        for (text, sort) in [
            (":p = pk", None),
            ("(:p = pk)", None),
            (":p = pk AND :s = #sk", Some(SortKeyCondition::Eq(s()))),
            (":p = pk AND :s < #sk", Some(SortKeyCondition::Gt(s()))),
            (":p = pk AND :s <= #sk", Some(SortKeyCondition::Ge(s()))),
            (":s > #sk AND pk = :p", Some(SortKeyCondition::Lt(s()))),
            ("pk = :p AND :s >= #sk", Some(SortKeyCondition::Le(s()))),
        ] {
            let want = KeyCondition {
                extra_partition: Vec::new(),
                sort_prefix: Vec::new(),
                partition_name: "pk".into(),
                partition_value: Value::from("A"),
                sort: sort.map(|c| ("sk".to_owned(), c)),
            };
            assert_eq!(parse(text), Ok(want), "{text}");
        }
        assert_eq!(
            parse("pk = :p AND :s BETWEEN #sk AND :t"),
            Err("Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand".into())
        );
        for bad in [
            "pk = :p AND :s <> #sk",
            "pk = :p AND begins_with(:s, #sk)",
            ":p = :p",
            ":p <> pk",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        // The key on the right is still a key: a nested path is not.
        assert_eq!(
            parse(":p = pk AND :s = #sk.x"),
            Err(
                "Invalid KeyConditionExpression: Key attributes must be top-level attributes"
                    .into()
            )
        );
    }

    #[test]
    fn projections() {
        let mut p = ph(&[("#n", "name")], &[]);
        let paths = projection(&mut p, "#n, a.b[0], c").unwrap();
        assert_eq!(paths.len(), 3);
        assert_eq!(paths[0], Path::name("name"));
    }
}
