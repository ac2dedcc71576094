//! The expression AST: attribute paths, conditions (filters and write conditions), update
//! actions and key conditions, with a readable `Display` (values inline, for messages and tests).
//!
//! Nothing here writes DynamoDB's placeholder syntax: [`render`](super::render) does, and
//! [`parse`](super::parse) reads it back.

use super::limits::MAX_IN_OPERANDS;
use crate::error::{Error, Result};
use crate::value::{Value, ValueType};
use std::fmt;

/// The comparison builders of something that becomes the left operand of a comparison through
/// its `left(self) -> Operand`: `eq`, `ne`, `lt`, `le`, `gt`, `ge` and `between`, documented as
/// `` `$left = $right` ``.
macro_rules! comparisons {
    ($left:literal, $right:literal) => {
        /// Compares this operand with another.
        fn compare(self, op: CompareOp, rhs: impl IntoOperand) -> Condition {
            Condition::built(|| Ok(Condition::Compare(self.left(), op, rhs.into_operand()?)))
        }
        comparisons!(@op $left, $right: eq Eq "=", ne Ne "<>", lt Lt "<", le Le "<=", gt Gt ">", ge Ge ">=");
        #[doc = concat!("`", $left, " BETWEEN low AND high` (inclusive).")]
        pub fn between(self, low: impl IntoOperand, high: impl IntoOperand) -> Condition {
            Condition::built(|| {
                let (low, high) = (low.into_operand()?, high.into_operand()?);
                Ok(Condition::Between(self.left(), low, high))
            })
        }
    };
    (@op $left:literal, $right:literal: $($method:ident $op:ident $symbol:literal),+) => {
        $(
            #[doc = concat!("`", $left, " ", $symbol, " ", $right, "`.")]
            pub fn $method(self, rhs: impl IntoOperand) -> Condition {
                self.compare(CompareOp::$op, rhs)
            }
        )+
    };
}

/// One step of an attribute path: a map key or a list index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathElement {
    /// A (map or top-level) attribute name, used verbatim: dots, `#`, `:` and reserved words are safe.
    Name(String),
    /// A list index.
    Index(usize),
}

/// A path to an attribute or a nested element (`a.b[2].c`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path(Vec<PathElement>);

impl Path {
    /// A top-level attribute with exactly this name (no parsing: `"a.b"` is one attribute).
    pub fn name(name: impl Into<String>) -> Path {
        Path(vec![PathElement::Name(name.into())])
    }

    /// Parses a document path: `.` separates map keys and `[n]` indexes lists (`a.b[2].c`).
    ///
    /// Use [`Path::name`] or [`Path::key`] for names that contain `.` or `[`.
    pub fn parse(text: &str) -> Result<Path> {
        let bad = |why: &str| Error::validation(format!("attribute path `{text}`: {why}"));
        let mut elements = Vec::new();
        for (i, segment) in text.split('.').enumerate() {
            let (name, mut rest) = match segment.find('[') {
                Some(p) => (&segment[..p], &segment[p..]),
                None => (segment, ""),
            };
            if name.is_empty() {
                if i == 0 || !rest.is_empty() || segment.is_empty() {
                    return Err(bad("empty attribute name"));
                }
            } else {
                elements.push(PathElement::Name(name.to_owned()));
            }
            while !rest.is_empty() {
                let close = rest.find(']').ok_or_else(|| bad("unclosed `[`"))?;
                if !rest.starts_with('[') {
                    return Err(bad("unexpected text after `]`"));
                }
                let index: usize = rest[1..close]
                    .parse()
                    .map_err(|_| bad("list index must be a non-negative integer"))?;
                elements.push(PathElement::Index(index));
                rest = &rest[close + 1..];
            }
        }
        if elements.is_empty() {
            return Err(bad("empty path"));
        }
        Ok(Path(elements))
    }

    /// This path extended by a map key (used verbatim).
    pub fn key(mut self, name: impl Into<String>) -> Path {
        self.0.push(PathElement::Name(name.into()));
        self
    }

    /// This path extended by a list index.
    pub fn index(mut self, index: usize) -> Path {
        self.0.push(PathElement::Index(index));
        self
    }

    /// The path's elements.
    pub fn elements(&self) -> &[PathElement] {
        &self.0
    }

    /// The top-level attribute name this path starts with.
    pub fn root(&self) -> &str {
        match self.0.first() {
            Some(PathElement::Name(n)) => n,
            _ => "",
        }
    }

    /// Whether the path is a single top-level attribute.
    pub fn is_top_level(&self) -> bool {
        self.0.len() == 1
    }

    /// This path as the left operand of a comparison.
    fn left(self) -> Operand {
        Operand::Path(self)
    }

    comparisons!("path", "value");

    /// `path IN (v1, v2, ...)` (at most 100 values).
    pub fn is_in<I, V>(self, values: I) -> Condition
    where
        I: IntoIterator<Item = V>,
        V: IntoOperand,
    {
        Condition::built(|| {
            let values = values
                .into_iter()
                .map(IntoOperand::into_operand)
                .collect::<Result<_>>()?;
            Ok(Condition::In(Operand::Path(self), values))
        })
    }
    /// `begins_with(path, prefix)` for strings and binaries.
    pub fn begins_with(self, prefix: impl IntoOperand) -> Condition {
        Condition::built(|| Ok(Condition::BeginsWith(self, prefix.into_operand()?)))
    }
    /// `contains(path, operand)`: substring of a string, member of a set, element of a list.
    pub fn contains(self, operand: impl IntoOperand) -> Condition {
        Condition::built(|| Ok(Condition::Contains(self, operand.into_operand()?)))
    }
    /// `attribute_exists(path)`.
    pub fn exists(self) -> Condition {
        Condition::Exists(self)
    }
    /// `attribute_not_exists(path)`.
    pub fn not_exists(self) -> Condition {
        Condition::NotExists(self)
    }
    /// `attribute_type(path, type)`.
    pub fn is_type(self, value_type: ValueType) -> Condition {
        Condition::IsType(self, value_type)
    }
    /// `size(path)`, to compare: `attr("tags").size().gt(2)`.
    pub fn size(self) -> SizeOf {
        SizeOf(self)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            match e {
                PathElement::Name(n) if i == 0 => write!(f, "{n}")?,
                PathElement::Name(n) => write!(f, ".{n}")?,
                PathElement::Index(x) => write!(f, "[{x}]")?,
            }
        }
        Ok(())
    }
}

/// Builds a [`Path`] from document-path text (`"a.b[2]"`).
///
/// # Panics
/// Panics on malformed path text (an empty name, an unclosed `[`); use [`Path::parse`] for
/// text that is not a literal, and [`Path::name`] for a name containing `.` or `[`.
pub fn attr(path: &str) -> Path {
    match Path::parse(path) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    }
}

/// Something that names an attribute path in builder methods: a [`Path`], or path text
/// (`"a.b[2]"`, parsed like [`attr`]).
///
/// Deliberately not `From<&str> for Path`: in value positions a string must stay a value.
pub trait IntoPath {
    /// The path.
    fn into_path(self) -> Path;
}

impl IntoPath for Path {
    fn into_path(self) -> Path {
        self
    }
}

impl IntoPath for &Path {
    fn into_path(self) -> Path {
        self.clone()
    }
}

impl IntoPath for &str {
    fn into_path(self) -> Path {
        attr(self)
    }
}

impl IntoPath for String {
    fn into_path(self) -> Path {
        attr(&self)
    }
}

/// `size(path)`, awaiting a comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct SizeOf(Path);

impl SizeOf {
    /// `size(path)` as the left operand of a comparison.
    fn left(self) -> Operand {
        Operand::Size(self.0)
    }

    comparisons!("size(path)", "n");
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CompareOp {
    /// The six operators.
    pub const ALL: [CompareOp; 6] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Lt,
        CompareOp::Le,
        CompareOp::Gt,
        CompareOp::Ge,
    ];

    /// The operator with its operands swapped: `a < b` is `b > a`.
    ///
    /// ```
    /// use orm_core::expr::CompareOp;
    /// assert_eq!(CompareOp::Lt.flipped(), CompareOp::Gt);
    /// assert_eq!(CompareOp::Eq.flipped(), CompareOp::Eq);
    /// ```
    pub fn flipped(self) -> CompareOp {
        match self {
            CompareOp::Eq => CompareOp::Eq,
            CompareOp::Ne => CompareOp::Ne,
            CompareOp::Lt => CompareOp::Gt,
            CompareOp::Le => CompareOp::Ge,
            CompareOp::Gt => CompareOp::Lt,
            CompareOp::Ge => CompareOp::Le,
        }
    }

    /// The operator's DynamoDB spelling.
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "<>",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

/// A function of DynamoDB's expression language: the vocabulary the renderer writes and the
/// parser reads, each with its one spelling.
///
/// Adding one starts here: [`Function::name`], [`Function::ALL`] and the parser's dispatch are
/// exhaustive, so the compiler names every place that must learn it (see the
/// [module docs](super#adding-a-condition-function)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    /// `attribute_exists(path)` (conditions).
    AttributeExists,
    /// `attribute_not_exists(path)` (conditions).
    AttributeNotExists,
    /// `attribute_type(path, type)` (conditions).
    AttributeType,
    /// `begins_with(path, prefix)` (conditions, key conditions).
    BeginsWith,
    /// `contains(path, operand)` (conditions).
    Contains,
    /// `size(path)` (an operand of conditions).
    Size,
    /// `if_not_exists(path, operand)` (an operand of update `SET` values).
    IfNotExists,
    /// `list_append(list, list)` (update `SET` values, as the whole value).
    ListAppend,
}

impl Function {
    /// Every function.
    pub const ALL: [Function; 8] = [
        Function::AttributeExists,
        Function::AttributeNotExists,
        Function::AttributeType,
        Function::BeginsWith,
        Function::Contains,
        Function::Size,
        Function::IfNotExists,
        Function::ListAppend,
    ];

    /// The function's name as written in expressions (case-sensitive, as in DynamoDB).
    pub fn name(self) -> &'static str {
        match self {
            Function::AttributeExists => "attribute_exists",
            Function::AttributeNotExists => "attribute_not_exists",
            Function::AttributeType => "attribute_type",
            Function::BeginsWith => "begins_with",
            Function::Contains => "contains",
            Function::Size => "size",
            Function::IfNotExists => "if_not_exists",
            Function::ListAppend => "list_append",
        }
    }

    /// The function spelled `name` (exactly: `Size` is not `size`).
    pub fn from_name(name: &str) -> Option<Function> {
        Function::ALL.into_iter().find(|f| f.name() == name)
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A value in an expression: a literal, an attribute path, or `size(path)`.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A literal value.
    Value(Value),
    /// The value stored at a path.
    Path(Path),
    /// `size(path)`.
    Size(Path),
}

/// `From` a [`Path`] (its `Path` variant) and from anything that is a [`Value`] (its `Value`
/// variant), for the operands that have both.
macro_rules! path_or_value_from {
    ($($operand:ident),+) => {$(
        impl From<Path> for $operand {
            fn from(p: Path) -> Self {
                $operand::Path(p)
            }
        }

        impl<T: Into<Value>> From<T> for $operand {
            fn from(v: T) -> Self {
                $operand::Value(v.into())
            }
        }
    )+};
}

path_or_value_from!(Operand, SetOperand);

/// A literal value as the readable form shows it inline: strings quoted, so that they read
/// apart from paths.
fn write_literal(f: &mut fmt::Formatter<'_>, value: &Value) -> fmt::Result {
    match value {
        Value::S(s) => write!(f, "{s:?}"),
        v => write!(f, "{v}"),
    }
}

/// What a condition compares a path with: another [`Path`] or [`Operand`], a [`Value`], or any
/// `Serialize` value, stored as a model's field of that type is (`Status::Closed` becomes
/// the string its serde gives; `Option::None` becomes NULL; numbers keep every digit).
///
/// ```
/// use orm_core::{attr, Value};
/// use serde::Serialize;
///
/// #[derive(Serialize)]
/// #[serde(rename_all = "lowercase")]
/// enum Status { Open, Closed }
///
/// let open = attr("status").ne(Status::Closed);
/// assert_eq!(open.to_string(), r#"status <> "closed""#);
/// assert!(attr("status").is_in([Status::Open, Status::Closed]).validate().is_ok());
/// // A value DynamoDB cannot store is an error when the condition is used.
/// let nan = attr("score").gt(f64::NAN);
/// assert!(nan.validate().unwrap_err().to_string().contains("NaN"));
/// ```
///
/// Bytes compare as binary (`B`) when given as a [`Value::B`] or through `serde_bytes`
/// (`serde_bytes::Bytes::new(&data)`); a plain `Vec<u8>` serializes as a list of numbers, as
/// a `Vec<u8>` field without `#[serde(with = "serde_bytes")]` is stored.
pub trait IntoOperand {
    /// The operand; an error for a value that cannot be stored (such as NaN).
    fn into_operand(self) -> Result<Operand>;
}

impl IntoOperand for Operand {
    fn into_operand(self) -> Result<Operand> {
        Ok(self)
    }
}

impl IntoOperand for Path {
    fn into_operand(self) -> Result<Operand> {
        Ok(Operand::Path(self))
    }
}

impl IntoOperand for Value {
    fn into_operand(self) -> Result<Operand> {
        Ok(Operand::Value(self))
    }
}

impl IntoOperand for crate::value::Item {
    fn into_operand(self) -> Result<Operand> {
        Ok(Operand::Value(self.into()))
    }
}

impl<T: serde::Serialize> IntoOperand for T {
    fn into_operand(self) -> Result<Operand> {
        crate::serde_bridge::to_value(&self).map(Operand::Value)
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Value(v) => write_literal(f, v),
            Operand::Path(p) => write!(f, "{p}"),
            Operand::Size(p) => write!(f, "{}({p})", Function::Size),
        }
    }
}

/// A condition: a filter on reads, or a condition on writes.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `a <op> b`.
    Compare(Operand, CompareOp, Operand),
    /// `a BETWEEN low AND high`.
    Between(Operand, Operand, Operand),
    /// `a IN (...)`.
    In(Operand, Vec<Operand>),
    /// `begins_with(path, prefix)`.
    BeginsWith(Path, Operand),
    /// `contains(path, operand)`.
    Contains(Path, Operand),
    /// `attribute_exists(path)`.
    Exists(Path),
    /// `attribute_not_exists(path)`.
    NotExists(Path),
    /// `attribute_type(path, type)`.
    IsType(Path, ValueType),
    /// All of these (an empty list is true).
    And(Vec<Condition>),
    /// Any of these (an empty list is false).
    Or(Vec<Condition>),
    /// The negation.
    Not(Box<Condition>),
    /// A condition that could not be built, with the reason: a value in it cannot be stored
    /// (NaN, a number out of DynamoDB's range...). [`Condition::validate`] rejects it, and every
    /// backend validates before it renders or evaluates, so none is ever sent.
    Invalid(String),
}

impl Condition {
    /// `self AND other` (flattened).
    pub fn and(self, other: Condition) -> Condition {
        self.join(other, true)
    }

    /// `self OR other` (flattened).
    pub fn or(self, other: Condition) -> Condition {
        self.join(other, false)
    }

    /// `self AND other` (`and`) or `self OR other`: a `self` that already is that junction
    /// gains `other` as its last term.
    fn join(self, other: Condition, and: bool) -> Condition {
        let mut terms = match self {
            Condition::And(terms) if and => terms,
            Condition::Or(terms) if !and => terms,
            c => vec![c],
        };
        terms.push(other);
        if and {
            Condition::And(terms)
        } else {
            Condition::Or(terms)
        }
    }

    /// `NOT self`.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Condition {
        Condition::Not(Box::new(self))
    }

    /// The condition `build` makes, or [`Condition::Invalid`] with the reason it could not.
    fn built(build: impl FnOnce() -> Result<Condition>) -> Condition {
        build().unwrap_or_else(|e| Condition::Invalid(format!("invalid condition value: {e}")))
    }

    /// Combines an optional condition with another by AND.
    pub fn and_opt(a: Option<Condition>, b: Option<Condition>) -> Option<Condition> {
        match (a, b) {
            (Some(a), Some(b)) => Some(a.and(b)),
            (a, None) => a,
            (None, b) => b,
        }
    }

    /// Checks the tree for what DynamoDB would reject (empty AND/OR, IN over 100 values) and
    /// for values that could not be stored ([`Condition::Invalid`]).
    pub fn validate(&self) -> Result<()> {
        match self {
            Condition::And(v) | Condition::Or(v) => {
                if v.is_empty() {
                    return Err(Error::validation("empty AND/OR in a condition"));
                }
                v.iter().try_for_each(Condition::validate)
            }
            Condition::In(_, v) if v.is_empty() || v.len() > MAX_IN_OPERANDS => {
                Err(Error::validation(format!(
                    "IN takes 1 to {MAX_IN_OPERANDS} values, got {}",
                    v.len()
                )))
            }
            Condition::Not(c) => c.validate(),
            Condition::Invalid(reason) => Err(Error::validation(reason.clone())),
            Condition::In(..)
            | Condition::Compare(..)
            | Condition::Between(..)
            | Condition::BeginsWith(..)
            | Condition::Contains(..)
            | Condition::Exists(_)
            | Condition::NotExists(_)
            | Condition::IsType(..) => Ok(()),
        }
    }

    /// The function this node is written with (`begins_with(...)`), `None` for operators and
    /// junctions.
    pub fn function(&self) -> Option<Function> {
        match self {
            Condition::BeginsWith(..) => Some(Function::BeginsWith),
            Condition::Contains(..) => Some(Function::Contains),
            Condition::Exists(_) => Some(Function::AttributeExists),
            Condition::NotExists(_) => Some(Function::AttributeNotExists),
            Condition::IsType(..) => Some(Function::AttributeType),
            Condition::Compare(..)
            | Condition::Between(..)
            | Condition::In(..)
            | Condition::And(_)
            | Condition::Or(_)
            | Condition::Not(_)
            | Condition::Invalid(_) => None,
        }
    }
}

impl std::ops::Not for Condition {
    type Output = Condition;
    fn not(self) -> Condition {
        Condition::Not(Box::new(self))
    }
}

impl fmt::Display for Condition {
    /// A readable, DynamoDB-like rendering with values inline (for messages and tests, never sent).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |f: &mut fmt::Formatter<'_>, v: &[Condition], sep: &str| {
            f.write_str("(")?;
            for (i, c) in v.iter().enumerate() {
                if i > 0 {
                    write!(f, " {sep} ")?;
                }
                write!(f, "{c}")?;
            }
            f.write_str(")")
        };
        match self {
            Condition::Compare(a, op, b) => write!(f, "{a} {} {b}", op.symbol()),
            Condition::Between(a, l, h) => write!(f, "{a} BETWEEN {l} AND {h}"),
            Condition::In(a, v) => {
                write!(f, "{a} IN (")?;
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{x}")?;
                }
                f.write_str(")")
            }
            Condition::BeginsWith(p, v) => write!(f, "{}({p}, {v})", Function::BeginsWith),
            Condition::Contains(p, v) => write!(f, "{}({p}, {v})", Function::Contains),
            Condition::Exists(p) => write!(f, "{}({p})", Function::AttributeExists),
            Condition::NotExists(p) => write!(f, "{}({p})", Function::AttributeNotExists),
            Condition::IsType(p, t) => write!(f, "{}({p}, {t})", Function::AttributeType),
            Condition::And(v) => join(f, v, "AND"),
            Condition::Or(v) => join(f, v, "OR"),
            Condition::Not(c) => write!(f, "NOT {c}"),
            Condition::Invalid(reason) => write!(f, "<{reason}>"),
        }
    }
}

/// An operand of a `SET` value: a literal, the value at a path, or `if_not_exists(path,
/// fallback)`, which nests (`if_not_exists(a, if_not_exists(b, :v))`).
///
/// Paths and function calls read the item as it was before the update.
///
/// ```
/// use orm_core::expr::{attr, SetOperand, SetValue};
/// // SET views = if_not_exists(views, 0) + 1
/// let value = SetValue::Plus(SetOperand::if_not_exists(attr("views"), 0), 1.into());
/// # let _ = value;
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum SetOperand {
    /// A literal value.
    Value(Value),
    /// The value stored at a path.
    Path(Path),
    /// `if_not_exists(path, fallback)`: the value at `path`, or `fallback` where it is absent.
    IfNotExists(Path, Box<SetOperand>),
}

impl SetOperand {
    /// `if_not_exists(path, fallback)`.
    pub fn if_not_exists(path: Path, fallback: impl Into<SetOperand>) -> SetOperand {
        SetOperand::IfNotExists(path, Box::new(fallback.into()))
    }
}

impl fmt::Display for SetOperand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetOperand::Value(v) => write_literal(f, v),
            SetOperand::Path(p) => write!(f, "{p}"),
            SetOperand::IfNotExists(p, fallback) => {
                write!(f, "{}({p}, {fallback})", Function::IfNotExists)
            }
        }
    }
}

/// The right-hand side of a `SET` action: an operand, a sum or difference of two operands, or
/// `list_append` of two (DynamoDB allows `list_append` only as the whole value).
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    /// One operand.
    Operand(SetOperand),
    /// `a + b` (numbers).
    Plus(SetOperand, SetOperand),
    /// `a - b` (numbers).
    Minus(SetOperand, SetOperand),
    /// `list_append(a, b)` (lists: `b`'s elements after `a`'s).
    ListAppend(SetOperand, SetOperand),
}

impl SetValue {
    /// `if_not_exists(path, fallback)` as the whole value.
    pub fn if_not_exists(path: Path, fallback: impl Into<SetOperand>) -> SetValue {
        SetValue::Operand(SetOperand::if_not_exists(path, fallback))
    }
}

impl<T: Into<SetOperand>> From<T> for SetValue {
    fn from(operand: T) -> Self {
        SetValue::Operand(operand.into())
    }
}

impl fmt::Display for SetValue {
    /// A readable, DynamoDB-like rendering with values inline (for messages and tests).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetValue::Operand(o) => write!(f, "{o}"),
            SetValue::Plus(a, b) => write!(f, "{a} + {b}"),
            SetValue::Minus(a, b) => write!(f, "{a} - {b}"),
            SetValue::ListAppend(a, b) => write!(f, "{}({a}, {b})", Function::ListAppend),
        }
    }
}

/// One action of an update expression.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateAction {
    /// `SET path = value`.
    Set(Path, SetValue),
    /// `REMOVE path`.
    Remove(Path),
    /// `ADD path value` (number increment or set union).
    Add(Path, Value),
    /// `DELETE path set` (set difference).
    Delete(Path, Value),
}

impl UpdateAction {
    /// The path this action writes.
    pub fn path(&self) -> &Path {
        match self {
            UpdateAction::Set(p, _)
            | UpdateAction::Remove(p)
            | UpdateAction::Add(p, _)
            | UpdateAction::Delete(p, _) => p,
        }
    }
}

/// An update expression: a list of actions applied together, atomically.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Update {
    /// The actions, in the order given.
    pub actions: Vec<UpdateAction>,
}

impl Update {
    /// An empty update.
    pub fn new() -> Update {
        Update::default()
    }
    /// Adds `SET path = value` (a value, or another path).
    pub fn set(mut self, path: Path, value: impl Into<SetOperand>) -> Update {
        self.actions
            .push(UpdateAction::Set(path, SetValue::Operand(value.into())));
        self
    }
    /// Adds `SET path = <expression>`.
    pub fn set_expr(mut self, path: Path, value: SetValue) -> Update {
        self.actions.push(UpdateAction::Set(path, value));
        self
    }
    /// Adds `REMOVE path`.
    pub fn remove(mut self, path: Path) -> Update {
        self.actions.push(UpdateAction::Remove(path));
        self
    }
    /// Adds `ADD path value`.
    pub fn add(mut self, path: Path, value: impl Into<Value>) -> Update {
        self.actions.push(UpdateAction::Add(path, value.into()));
        self
    }
    /// Adds `DELETE path set`.
    pub fn delete(mut self, path: Path, set: impl Into<Value>) -> Update {
        self.actions.push(UpdateAction::Delete(path, set.into()));
        self
    }
    /// Whether there are no actions.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }
    /// Rejects what DynamoDB rejects up front: no actions, and two actions on overlapping paths.
    pub fn validate(&self) -> Result<()> {
        if self.actions.is_empty() {
            return Err(Error::validation("an update needs at least one action"));
        }
        match self.overlapping_paths() {
            Some((first, second)) => Err(Error::validation(format!(
                "two update actions touch overlapping paths `{first}` and `{second}`"
            ))),
            None => Ok(()),
        }
    }

    /// The first two actions whose paths overlap (one is a prefix of the other, or they are
    /// equal), in action order: DynamoDB rejects such an update. `None` when all are disjoint.
    ///
    /// ```
    /// use orm_core::expr::{attr, Update};
    /// let u = Update::new().set(attr("a.b"), 1).remove(attr("a"));
    /// assert_eq!(u.overlapping_paths().map(|(a, b)| (a.to_string(), b.to_string())),
    ///            Some(("a.b".to_string(), "a".to_string())));
    /// ```
    pub fn overlapping_paths(&self) -> Option<(&Path, &Path)> {
        self.actions.iter().enumerate().find_map(|(i, a)| {
            self.actions[..i].iter().find_map(|b| {
                let (pa, pb) = (a.path().elements(), b.path().elements());
                let n = pa.len().min(pb.len());
                (pa[..n] == pb[..n]).then(|| (b.path(), a.path()))
            })
        })
    }
}

/// A sort-key condition of a query.
#[derive(Debug, Clone, PartialEq)]
pub enum SortKeyCondition {
    /// `sk = v`
    Eq(Value),
    /// `sk < v`
    Lt(Value),
    /// `sk <= v`
    Le(Value),
    /// `sk > v`
    Gt(Value),
    /// `sk >= v`
    Ge(Value),
    /// `sk BETWEEN a AND b`
    Between(Value, Value),
    /// `begins_with(sk, prefix)`
    BeginsWith(Value),
}

/// A query's key condition: partition key equality and an optional sort-key condition.
///
/// On an index with a multi-attribute key, every partition attribute is compared for equality
/// (the first in `partition_name`/`partition_value`, the others in `extra_partition`), and the
/// sort attributes are given left to right: `sort_prefix` holds the equalities on the leading
/// ones, and `sort` the condition on the last one given (any comparison, `BETWEEN` or
/// `begins_with`).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyCondition {
    /// The partition key attribute name (the first of a multi-attribute key).
    pub partition_name: String,
    /// The partition key value.
    pub partition_value: Value,
    /// The sort key attribute name and its condition (for a multi-attribute sort key: the last
    /// attribute given).
    pub sort: Option<(String, SortKeyCondition)>,
    /// Equalities on the further attributes of a multi-attribute partition key.
    pub extra_partition: Vec<(String, Value)>,
    /// Equalities on the sort attributes before the one `sort` names, in key order.
    pub sort_prefix: Vec<(String, Value)>,
}

impl KeyCondition {
    /// Partition key equality only.
    pub fn partition(name: impl Into<String>, value: impl Into<Value>) -> KeyCondition {
        KeyCondition {
            partition_name: name.into(),
            partition_value: value.into(),
            sort: None,
            extra_partition: Vec::new(),
            sort_prefix: Vec::new(),
        }
    }

    /// This condition with a sort-key condition on `name`.
    pub fn with_sort(mut self, name: impl Into<String>, condition: SortKeyCondition) -> Self {
        self.sort = Some((name.into(), condition));
        self
    }

    /// Every partition attribute with its value, in order.
    pub fn partition_values(&self) -> impl Iterator<Item = (&str, &Value)> {
        std::iter::once((self.partition_name.as_str(), &self.partition_value))
            .chain(self.extra_partition.iter().map(|(n, v)| (n.as_str(), v)))
    }
}

impl fmt::Display for KeyCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {}", self.partition_name, self.partition_value)?;
        for (name, v) in self.extra_partition.iter().chain(&self.sort_prefix) {
            write!(f, " AND {name} = {v}")?;
        }
        if let Some((name, c)) = &self.sort {
            match c {
                SortKeyCondition::Eq(v) => write!(f, " AND {name} = {v}"),
                SortKeyCondition::Lt(v) => write!(f, " AND {name} < {v}"),
                SortKeyCondition::Le(v) => write!(f, " AND {name} <= {v}"),
                SortKeyCondition::Gt(v) => write!(f, " AND {name} > {v}"),
                SortKeyCondition::Ge(v) => write!(f, " AND {name} >= {v}"),
                SortKeyCondition::Between(a, b) => write!(f, " AND {name} BETWEEN {a} AND {b}"),
                SortKeyCondition::BeginsWith(v) => {
                    write!(f, " AND {}({name}, {v})", Function::BeginsWith)
                }
            }?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_document_paths() {
        let p = Path::parse("a.b[2].c").unwrap();
        assert_eq!(
            p.elements(),
            &[
                PathElement::Name("a".into()),
                PathElement::Name("b".into()),
                PathElement::Index(2),
                PathElement::Name("c".into())
            ]
        );
        assert_eq!(p.to_string(), "a.b[2].c");
        assert_eq!(Path::parse("l[0][1]").unwrap().elements().len(), 3);
        for bad in ["", ".a", "a..b", "a[", "a[x]", "a[1]b", "a.", "[1]"] {
            assert!(Path::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn name_is_verbatim() {
        let p = Path::name("a.b[1]");
        assert_eq!(p.elements(), &[PathElement::Name("a.b[1]".into())]);
    }

    #[test]
    fn builds_conditions() {
        let c = attr("a")
            .eq(1)
            .and(attr("b").begins_with("x"))
            .and(!attr("c").exists());
        assert_eq!(
            c.to_string(),
            "(a = 1 AND begins_with(b, \"x\") AND NOT attribute_exists(c))"
        );
        assert!(attr("a").is_in(Vec::<i32>::new()).validate().is_err());
        assert!(attr("t").size().gt(3).validate().is_ok());
    }

    #[test]
    fn update_rejects_overlapping_paths() {
        let u = Update::new().set(attr("a.b"), 1).remove(attr("a"));
        assert!(u.validate().is_err());
        let u = Update::new().set(attr("a.b"), 1).remove(attr("a.c"));
        assert!(u.validate().is_ok());
        assert!(Update::new().validate().is_err());
    }
}
