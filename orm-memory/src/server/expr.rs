//! DynamoDB's expression language parsed into orm-core's expression AST: condition and filter
//! expressions, key conditions, update expressions and projections, with
//! `ExpressionAttributeNames` / `ExpressionAttributeValues` substituted and DynamoDB's checks
//! (syntax, reserved words, undefined and unused placeholders, expression size, operand types).
//!
//! It is the inverse of orm-dynamodb's renderer: `parse(render(ast)) == ast`
//! (`tests/tests/expressions.rs` checks it with proptest).

use super::error::ApiError;
use orm_core::expr::{
    CompareOp, Condition, KeyCondition, Operand, Path, PathElement, SetValue, SortKeyCondition,
    Update, UpdateAction,
};
use orm_core::{Value, ValueType};
use std::collections::{BTreeMap, BTreeSet};

/// DynamoDB's limit on one expression's length, in bytes.
pub(crate) const MAX_EXPRESSION_BYTES: usize = 4096;
/// DynamoDB's limit on the operands of one `IN`.
const MAX_IN_OPERANDS: usize = 100;

const RESERVED: &str = include_str!("reserved_words.txt");

/// Whether `word` is one of DynamoDB's 573 reserved words (case-insensitive).
pub(crate) fn is_reserved(word: &str) -> bool {
    static SORTED: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    let sorted = SORTED.get_or_init(|| RESERVED.lines().collect());
    sorted
        .binary_search(&word.to_ascii_uppercase().as_str())
        .is_ok()
}

/// The placeholders of one request, and which of them its expressions used.
#[derive(Debug)]
pub(crate) struct Placeholders {
    names: BTreeMap<String, String>,
    values: BTreeMap<String, Value>,
    used_names: BTreeSet<String>,
    used_values: BTreeSet<String>,
}

impl Placeholders {
    /// The request's `ExpressionAttributeNames` and (decoded) `ExpressionAttributeValues`.
    pub(crate) fn new(names: BTreeMap<String, String>, values: BTreeMap<String, Value>) -> Self {
        Placeholders {
            names,
            values,
            used_names: BTreeSet::new(),
            used_values: BTreeSet::new(),
        }
    }

    /// DynamoDB rejects placeholders that no expression of the request used.
    pub(crate) fn finish(&self) -> Result<(), ApiError> {
        let unused = |all: Vec<&String>| all.into_iter().cloned().collect::<Vec<_>>().join(", ");
        let names: Vec<&String> = self
            .names
            .keys()
            .filter(|n| !self.used_names.contains(*n))
            .collect();
        if !names.is_empty() {
            return Err(ApiError::validation(format!(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
                unused(names)
            )));
        }
        let values: Vec<&String> = self
            .values
            .keys()
            .filter(|v| !self.used_values.contains(*v))
            .collect();
        if !values.is_empty() {
            return Err(ApiError::validation(format!(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
                unused(values)
            )));
        }
        Ok(())
    }
}

// ------------------------------------------------------------------ tokens ---

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// A bare attribute name, keyword or function name.
    Word(String),
    /// `#name`.
    Name(String),
    /// `:value`.
    Value(String),
    /// A list index inside `[...]`.
    Number(String),
    /// Punctuation and operators: `( ) [ ] , . = <> < <= > >= + -`.
    Symbol(&'static str),
}

impl Token {
    fn text(&self) -> String {
        match self {
            Token::Word(w) | Token::Number(w) => w.clone(),
            Token::Name(n) => format!("#{n}"),
            Token::Value(v) => format!(":{v}"),
            Token::Symbol(s) => (*s).to_string(),
        }
    }

    fn is_word(&self, keyword: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(keyword))
    }
}

fn tokenize(text: &str, kind: &str) -> Result<Vec<(Token, usize)>, ApiError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    let word_char = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    while i < bytes.len() {
        let b = bytes[i];
        let start = i;
        if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let token = if b == b'#' || b == b':' {
            i += 1;
            while i < bytes.len() && word_char(bytes[i]) {
                i += 1;
            }
            if i == start + 1 {
                return Err(syntax(kind, text, &(b as char).to_string(), start));
            }
            let name = text[start + 1..i].to_string();
            if b == b'#' {
                Token::Name(name)
            } else {
                Token::Value(name)
            }
        } else if b.is_ascii_digit() {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            Token::Number(text[start..i].to_string())
        } else if word_char(b) {
            while i < bytes.len() && word_char(bytes[i]) {
                i += 1;
            }
            Token::Word(text[start..i].to_string())
        } else {
            let two = text.get(i..i + 2).unwrap_or("");
            let symbol = match two {
                "<>" => Some("<>"),
                "<=" => Some("<="),
                ">=" => Some(">="),
                _ => None,
            };
            if let Some(s) = symbol {
                i += 2;
                Token::Symbol(s)
            } else {
                i += 1;
                Token::Symbol(match b {
                    b'(' => "(",
                    b')' => ")",
                    b'[' => "[",
                    b']' => "]",
                    b',' => ",",
                    b'.' => ".",
                    b'=' => "=",
                    b'<' => "<",
                    b'>' => ">",
                    b'+' => "+",
                    b'-' => "-",
                    _ => {
                        let ch = text[start..].chars().next().unwrap_or('?');
                        return Err(syntax(kind, text, &ch.to_string(), start));
                    }
                })
            }
        };
        tokens.push((token, start));
    }
    Ok(tokens)
}

fn syntax(kind: &str, text: &str, token: &str, at: usize) -> ApiError {
    let from = text[..at.min(text.len())]
        .char_indices()
        .rev()
        .nth(10)
        .map(|(i, _)| i)
        .unwrap_or(0);
    let to = (at + token.len() + 10).min(text.len());
    let to = (to..=text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    ApiError::validation(format!(
        "Invalid {kind}: Syntax error; token: \"{token}\", near: \"{}\"",
        &text[from..to]
    ))
}

// ------------------------------------------------------------------ parser ---

struct Parser<'a, 'p> {
    /// `size()` is not allowed anywhere in an update expression.
    in_update: bool,
    kind: &'static str,
    text: &'a str,
    tokens: Vec<(Token, usize)>,
    at: usize,
    placeholders: &'p mut Placeholders,
}

impl<'a, 'p> Parser<'a, 'p> {
    fn new(
        kind: &'static str,
        text: &'a str,
        placeholders: &'p mut Placeholders,
    ) -> Result<Self, ApiError> {
        if text.trim().is_empty() {
            return Err(ApiError::validation(format!(
                "Invalid {kind}: The expression can not be empty;"
            )));
        }
        if text.len() > MAX_EXPRESSION_BYTES {
            return Err(ApiError::validation(format!(
                "Invalid {kind}: Expression size has exceeded the maximum allowed size; expression size: {}",
                text.len()
            )));
        }
        Ok(Parser {
            in_update: kind == "UpdateExpression",
            kind,
            text,
            tokens: tokenize(text, kind)?,
            at: 0,
            placeholders,
        })
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|(t, _)| t)
    }

    fn peek_at(&self, n: usize) -> Option<&Token> {
        self.tokens.get(self.at + n).map(|(t, _)| t)
    }

    fn next(&mut self) -> Result<Token, ApiError> {
        match self.tokens.get(self.at) {
            Some((t, _)) => {
                self.at += 1;
                Ok(t.clone())
            }
            None => Err(self.unexpected_end()),
        }
    }

    fn unexpected_end(&self) -> ApiError {
        syntax(self.kind, self.text, "<EOF>", self.text.len())
    }

    /// A syntax error at the current token.
    fn error_here(&self) -> ApiError {
        match self.tokens.get(self.at) {
            Some((t, pos)) => syntax(self.kind, self.text, &t.text(), *pos),
            None => self.unexpected_end(),
        }
    }

    /// A syntax error at the token just consumed.
    fn error_prev(&self) -> ApiError {
        match self.tokens.get(self.at.saturating_sub(1)) {
            Some((t, pos)) => syntax(self.kind, self.text, &t.text(), *pos),
            None => self.unexpected_end(),
        }
    }

    fn invalid(&self, message: impl std::fmt::Display) -> ApiError {
        ApiError::validation(format!("Invalid {}: {message}", self.kind))
    }

    fn eat_symbol(&mut self, symbol: &str) -> bool {
        if matches!(self.peek(), Some(Token::Symbol(s)) if *s == symbol) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect_symbol(&mut self, symbol: &str) -> Result<(), ApiError> {
        if self.eat_symbol(symbol) {
            Ok(())
        } else {
            Err(self.error_here())
        }
    }

    fn eat_word(&mut self, keyword: &str) -> bool {
        if self.peek().is_some_and(|t| t.is_word(keyword)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn done(&self) -> Result<(), ApiError> {
        if self.at < self.tokens.len() {
            Err(self.error_here())
        } else {
            Ok(())
        }
    }

    /// One name of a path: a bare word (not reserved) or a `#placeholder`.
    fn path_name(&mut self) -> Result<String, ApiError> {
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
                match self.placeholders.names.get(&key) {
                    Some(name) => {
                        let name = name.clone();
                        self.placeholders.used_names.insert(key);
                        Ok(name)
                    }
                    None => Err(self.invalid(format!(
                        "An expression attribute name used in the document path is not defined; attribute name: {key}"
                    ))),
                }
            }
            _ => Err(self.error_prev()),
        }
    }

    fn path(&mut self) -> Result<Path, ApiError> {
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

    fn value(&mut self, key: &str) -> Result<Value, ApiError> {
        let key = format!(":{key}");
        match self.placeholders.values.get(&key) {
            Some(v) => {
                let v = v.clone();
                self.placeholders.used_values.insert(key);
                Ok(v)
            }
            None => Err(self.invalid(format!(
                "An expression attribute value used in expression is not defined; attribute value: {key}"
            ))),
        }
    }

    fn is_function_call(&self, name: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w == name)
            && matches!(self.peek_at(1), Some(Token::Symbol("(")))
    }

    fn operand(&mut self) -> Result<Operand, ApiError> {
        if self.in_update && self.is_function_call("size") {
            return Err(
                self.invalid("The function is not allowed in an update expression; function: size")
            );
        }
        if self.is_function_call("size") {
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
            Some(Token::Word(w)) if is_function(w) => Err(self.invalid(format!(
                "The function is not allowed to be used this way in an expression; function: {w}"
            ))),
            Some(Token::Word(_) | Token::Name(_)) => Ok(Operand::Path(self.path()?)),
            _ => Err(self.error_here()),
        }
    }

    // Conditions: OR < AND < NOT < comparisons, functions, parentheses.

    fn condition(&mut self) -> Result<Condition, ApiError> {
        let mut terms = vec![self.and()?];
        while self.eat_word("OR") {
            terms.push(self.and()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Condition::Or(terms)
        })
    }

    fn and(&mut self) -> Result<Condition, ApiError> {
        let mut terms = vec![self.not()?];
        while self.eat_word("AND") {
            terms.push(self.not()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Condition::And(terms)
        })
    }

    fn not(&mut self) -> Result<Condition, ApiError> {
        if self.eat_word("NOT") {
            return Ok(Condition::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Condition, ApiError> {
        if self.eat_symbol("(") {
            let inner = self.condition()?;
            self.expect_symbol(")")?;
            return Ok(inner);
        }
        if let Some(Token::Word(w)) = self.peek() {
            let w = w.clone();
            if w != "size" && is_function(&w) && matches!(self.peek_at(1), Some(Token::Symbol("(")))
            {
                self.at += 2;
                return self.function(&w);
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

    fn function(&mut self, name: &str) -> Result<Condition, ApiError> {
        let condition = match name {
            "attribute_exists" => Condition::Exists(self.path()?),
            "attribute_not_exists" => Condition::NotExists(self.path()?),
            "attribute_type" => {
                let path = self.path()?;
                self.expect_symbol(",")?;
                let ty = match self.operand()? {
                    Operand::Value(Value::S(s)) => value_type(&s).ok_or_else(|| {
                        self.invalid(format!(
                            "Invalid attribute type name found; type: {s}, valid types: {{ B,NULL,SS,BOOL,L,BS,N,NS,S,M }}"
                        ))
                    })?,
                    other => {
                        return Err(self.invalid(format!(
                            "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {}",
                            operand_type(&other)
                        )))
                    }
                };
                Condition::IsType(path, ty)
            }
            "begins_with" | "contains" => {
                let path = match self.operand()? {
                    Operand::Path(p) => p,
                    other => {
                        return Err(self.invalid(format!(
                            "Incorrect operand type for operator or function; operator or function: {name}, operand type: {}",
                            operand_type(&other)
                        )))
                    }
                };
                self.expect_symbol(",")?;
                let arg = self.operand()?;
                if name == "begins_with" {
                    Condition::BeginsWith(path, arg)
                } else {
                    Condition::Contains(path, arg)
                }
            }
            other => {
                return Err(self.invalid(format!(
                    "The function is not allowed to be used this way in an expression; function: {other}"
                )))
            }
        };
        self.expect_symbol(")")?;
        Ok(condition)
    }

    // Updates.

    fn update(&mut self) -> Result<Update, ApiError> {
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
                                return Err(self.invalid(format!(
                                    "Incorrect operand type for operator or function; operator: {clause}, operand type: {}",
                                    operand_type(&other)
                                )))
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

    fn set_operand(&mut self) -> Result<SetValue, ApiError> {
        if self.is_function_call("if_not_exists") {
            self.at += 2;
            let path = self.path()?;
            self.expect_symbol(",")?;
            let fallback = self.operand()?;
            self.expect_symbol(")")?;
            return Ok(SetValue::IfNotExists(path, fallback));
        }
        if self.is_function_call("list_append") {
            self.at += 2;
            let a = self.operand()?;
            self.expect_symbol(",")?;
            let b = self.operand()?;
            self.expect_symbol(")")?;
            return Ok(SetValue::ListAppend(a, b));
        }
        let operand = self.operand()?;
        if let Operand::Size(_) = operand {
            return Err(
                self.invalid("The function is not allowed in an update expression; function: size")
            );
        }
        Ok(SetValue::Operand(operand))
    }

    fn set_value(&mut self) -> Result<SetValue, ApiError> {
        let first = self.set_operand()?;
        let plus = self.eat_symbol("+");
        if !plus && !self.eat_symbol("-") {
            return Ok(first);
        }
        let second = self.set_operand()?;
        match (first, second) {
            (SetValue::Operand(a), SetValue::Operand(b)) => Ok(if plus {
                SetValue::Plus(a, b)
            } else {
                SetValue::Minus(a, b)
            }),
            _ => Err(self.invalid(
                "dynamodb-memory does not support a function call as an operand of + or - \
                 (e.g. if_not_exists(a, :z) + :one); compute it in two steps",
            )),
        }
    }
}

fn is_function(word: &str) -> bool {
    matches!(
        word,
        "attribute_exists"
            | "attribute_not_exists"
            | "attribute_type"
            | "begins_with"
            | "contains"
            | "size"
            | "if_not_exists"
            | "list_append"
    )
}

fn value_type(name: &str) -> Option<ValueType> {
    Some(match name {
        "S" => ValueType::S,
        "N" => ValueType::N,
        "B" => ValueType::B,
        "BOOL" => ValueType::Bool,
        "NULL" => ValueType::Null,
        "L" => ValueType::L,
        "M" => ValueType::M,
        "SS" => ValueType::Ss,
        "NS" => ValueType::Ns,
        "BS" => ValueType::Bs,
        _ => return None,
    })
}

fn operand_type(operand: &Operand) -> String {
    match operand {
        Operand::Value(v) => v.value_type().descriptor().to_string(),
        Operand::Path(_) => "PATH".into(),
        Operand::Size(_) => "N".into(),
    }
}

// --------------------------------------------------------------- entry points ---

/// A `ConditionExpression` (`kind` names it in errors) or `FilterExpression`.
pub(crate) fn condition(
    placeholders: &mut Placeholders,
    kind: &'static str,
    text: &str,
) -> Result<Condition, ApiError> {
    let mut p = Parser::new(kind, text, placeholders)?;
    let c = p.condition()?;
    p.done()?;
    Ok(c)
}

/// An `UpdateExpression`.
pub(crate) fn update(placeholders: &mut Placeholders, text: &str) -> Result<Update, ApiError> {
    let mut p = Parser::new("UpdateExpression", text, placeholders)?;
    let u = p.update()?;
    p.done()?;
    if let Some((first, second)) = u.overlapping_paths() {
        return Err(ApiError::validation(format!(
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

/// A `ProjectionExpression`.
pub(crate) fn projection(
    placeholders: &mut Placeholders,
    text: &str,
) -> Result<Vec<Path>, ApiError> {
    let mut p = Parser::new("ProjectionExpression", text, placeholders)?;
    let mut paths = vec![p.path()?];
    while p.eat_symbol(",") {
        paths.push(p.path()?);
    }
    p.done()?;
    Ok(paths)
}

/// A `KeyConditionExpression` on a table or index whose partition key is `hash_key` and whose
/// sort key, if any, is `range_key`.
pub(crate) fn key_condition(
    placeholders: &mut Placeholders,
    text: &str,
    hash_key: &str,
    range_key: Option<&str>,
) -> Result<KeyCondition, ApiError> {
    let mut p = Parser::new("KeyConditionExpression", text, placeholders)?;
    let parsed = p.condition()?;
    p.done()?;
    let invalid = |m: &str| ApiError::validation(format!("Invalid KeyConditionExpression: {m}"));
    let parts = match parsed {
        Condition::And(parts) => parts,
        one => vec![one],
    };
    if parts.len() > 2 {
        return Err(invalid(
            "The expression can only contain a partition key condition and a sort key condition",
        ));
    }
    let mut partition = None;
    let mut sort = None;
    for part in parts {
        let (name, cond) = key_part(part)?;
        if name == hash_key {
            match cond {
                SortKeyCondition::Eq(v) if partition.is_none() => partition = Some(v),
                SortKeyCondition::Eq(_) => {
                    return Err(invalid(
                        "KeyConditionExpressions must only contain one condition per key",
                    ))
                }
                _ => return Err(ApiError::validation("Query key condition not supported")),
            }
        } else if Some(name.as_str()) == range_key && sort.is_none() {
            sort = Some((name, cond));
        } else if Some(name.as_str()) == range_key {
            return Err(invalid(
                "KeyConditionExpressions must only contain one condition per key",
            ));
        } else {
            return Err(ApiError::validation(format!(
                "Query condition missed key schema element: {hash_key}"
            )));
        }
    }
    let partition_value = partition.ok_or_else(|| {
        ApiError::validation(format!(
            "Query condition missed key schema element: {hash_key}"
        ))
    })?;
    Ok(KeyCondition {
        partition_name: hash_key.to_string(),
        partition_value,
        sort,
    })
}

/// One side of a key condition: a top-level attribute compared with values.
fn key_part(part: Condition) -> Result<(String, SortKeyCondition), ApiError> {
    let unsupported = || ApiError::validation("Query key condition not supported");
    let top = |operand: Operand| match operand {
        Operand::Path(p) if p.is_top_level() => Ok(p.root().to_string()),
        Operand::Path(_) => Err(ApiError::validation(
            "Invalid KeyConditionExpression: Key attributes must be top-level attributes",
        )),
        _ => Err(unsupported()),
    };
    let value = |operand: Operand| match operand {
        Operand::Value(v) => Ok(v),
        _ => Err(unsupported()),
    };
    match part {
        Condition::Compare(lhs, op, rhs) => {
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
        Condition::Between(lhs, low, high) => Ok((
            top(lhs)?,
            SortKeyCondition::Between(value(low)?, value(high)?),
        )),
        Condition::BeginsWith(path, prefix) => Ok((
            top(Operand::Path(path))?,
            SortKeyCondition::BeginsWith(value(prefix)?),
        )),
        _ => Err(unsupported()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orm_core::expr::attr;

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
    fn reserved_words_are_known() {
        assert!(is_reserved("status") && is_reserved("STATUS") && is_reserved("Name"));
        assert!(!is_reserved("title") && !is_reserved("pk"));
        assert_eq!(RESERVED.lines().count(), 573);
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
            "ConditionExpression",
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
        let err = condition(&mut p, "ConditionExpression", "#a = :v").unwrap_err();
        assert!(
            err.message.contains("attribute name: #a"),
            "{}",
            err.message
        );
        let mut p = ph(&[("#a", "a")], &[]);
        let err = condition(&mut p, "ConditionExpression", "#a = :v").unwrap_err();
        assert!(
            err.message.contains("attribute value: :v"),
            "{}",
            err.message
        );
        let mut p = ph(&[("#a", "a"), ("#b", "b")], &[(":v", n(1))]);
        condition(&mut p, "ConditionExpression", "#a = :v").unwrap();
        let err = p.finish().unwrap_err();
        assert!(
            err.message.contains("unused in expressions: keys: {#b}"),
            "{}",
            err.message
        );
    }

    #[test]
    fn reserved_words_and_syntax_errors() {
        let mut p = ph(&[], &[(":v", n(1))]);
        let err = condition(&mut p, "FilterExpression", "status = :v").unwrap_err();
        assert_eq!(
            err.message,
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
            let err = condition(&mut p, "ConditionExpression", bad).unwrap_err();
            assert_eq!(err.kind, "ValidationException", "{bad}");
            assert!(
                err.message.starts_with("Invalid ConditionExpression"),
                "{bad}: {}",
                err.message
            );
        }
        let long = format!("a = :v{}", " ".repeat(MAX_EXPRESSION_BYTES));
        let mut p = ph(&[], &[(":v", n(1))]);
        assert!(condition(&mut p, "ConditionExpression", &long)
            .unwrap_err()
            .message
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
                SetValue::Plus(Operand::Path(Path::name("count")), n(1).into())
            )
        );
        let mut p = ph(&[], &[(":v", n(1))]);
        let err = update(&mut p, "SET a = :v SET b = :v").unwrap_err();
        assert!(err.message.contains("only be used once"), "{}", err.message);
        let mut p = ph(&[], &[(":v", n(1))]);
        let err = update(&mut p, "SET a = :v REMOVE a").unwrap_err();
        assert!(err.message.contains("overlap"), "{}", err.message);
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
        let err = key_condition(&mut p, "sk = :p", "pk", Some("sk")).unwrap_err();
        assert!(
            err.message.contains("missed key schema element: pk"),
            "{}",
            err.message
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
