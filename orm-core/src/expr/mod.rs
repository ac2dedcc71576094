//! DynamoDB's expression language, in one place: the backend-neutral AST (paths, conditions,
//! updates, key conditions), its text with `#name` / `:value` placeholders both ways
//! ([`render`] and [`parse`]), the request's [placeholders](parse::Placeholders), DynamoDB's
//! [`reserved`] words and expression [`limits`], and random trees for tests (`strategy`, proptest
//! strategies behind feature `proptest`; `arbitrary`, `arbitrary::Arbitrary` behind feature
//! `arbitrary`).
//!
//! The ORM builds trees with [`attr`] and the builder methods; the DynamoDB backend renders them,
//! the memory backend evaluates them, and the memory server parses what clients send into the
//! same trees. Nothing here knows AWS types: rendered values stay [`Value`](crate::Value)s.
//!
//! ```
//! use orm_core::expr::{attr, Condition};
//! let c: Condition = attr("status").eq("open").and(attr("views").gt(10));
//! assert_eq!(c.to_string(), "(status = \"open\" AND views > 10)");
//! ```
//!
//! # Files
//!
//! | file | what |
//! |---|---|
//! | `ast.rs` | the AST, its builders and `Display`; [`Function`], the functions' names |
//! | `render.rs` | AST -> text and placeholder maps ([`render::Expressions`]) |
//! | `lexer.rs`, `parse.rs` | text -> AST, with DynamoDB's error messages |
//! | `scan.rs` | what this language's reader and PartiQL's share: the text scanner, the token walk, `OR`/`AND` |
//! | `placeholders.rs` | a request's names and values, and the unused-placeholder check |
//! | `reserved.rs`, `reserved_words.txt` | the 573 reserved words |
//! | `limits.rs` | 4 KB per expression, 100 `IN` operands |
//! | `strategy.rs` / `arbitrary.rs` | random trees for proptest / fuzzing, and the round trip `parse(render(ast)) == ast` |
//! | `coverage.rs` | (tests) every kind of node, which the generators' tests check they make |
//! | `partiql/` | DynamoDB's PartiQL statements read into (and written from) this AST: [`partiql`] |
//!
//! # Adding a condition function
//!
//! Say DynamoDB gains `foo(path, operand)`. Every step below is a `match` without a catch-all
//! arm, so after the first the compiler names the next:
//!
//! 1. **AST** (`ast.rs`): a variant `Condition::Foo(Path, Operand)`, a builder method on
//!    [`Path`], a variant `Function::Foo` with its name (and in [`Function::ALL`]); then
//!    [`Condition::function`], `Display` and [`Condition::validate`] ask for it.
//! 2. **Render** (`render.rs`): `Renderer::condition` asks for the variant.
//! 3. **Parse** (`parse.rs`): `Parser::function` asks for `Function::Foo`: read its arguments
//!    and build the variant.
//! 4. **Evaluate** (orm-memory `eval.rs`): `check_tree`, `operands`, `condition_roots` and `eval`
//!    ask for the variant: DynamoDB's up-front checks, then its truth for an item.
//! 5. **Generate** (`strategy.rs`, `arbitrary.rs`): `coverage.rs` (the kinds of node the
//!    generators' tests must see made) asks for the variant; add an arm to both generators, and
//!    the round-trip proptest (`parse(render(ast)) == ast`) and the differential test against
//!    DynamoDB Local exercise all of the above.
//!
//! An update function is the same walk through [`SetOperand`] or [`SetValue`] (render's
//! `set_operand` / `set_value`, parse's `set_term`, orm-memory's `update.rs`).

#[cfg(any(test, feature = "arbitrary"))]
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
pub mod arbitrary;
mod ast;
#[cfg(test)]
mod coverage;
mod lexer;
pub mod limits;
pub mod parse;
pub mod partiql;
mod placeholders;
pub mod render;
pub mod reserved;
mod scan;
#[cfg(any(test, feature = "proptest"))]
#[cfg_attr(docsrs, doc(cfg(feature = "proptest")))]
pub mod strategy;

pub use ast::{
    attr, CompareOp, Condition, Function, IntoPath, KeyCondition, Operand, Path, PathElement,
    SetOperand, SetValue, SizeOf, SortKeyCondition, Update, UpdateAction,
};

/// One expression of a request, as DynamoDB names its member; it names the expression in
/// parse errors (`Invalid FilterExpression: ...`) and gives rendered placeholders their prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Clause {
    /// `KeyConditionExpression` (placeholders `#k`, `:k`).
    KeyCondition,
    /// `ConditionExpression` (`#c`, `:c`).
    Condition,
    /// `FilterExpression` (`#f`, `:f`).
    Filter,
    /// `UpdateExpression` (`#u`, `:u`).
    Update,
    /// `ProjectionExpression` (`#p`).
    Projection,
}

impl Clause {
    /// The request member holding this expression (`ConditionExpression`...).
    pub fn member(self) -> &'static str {
        match self {
            Clause::KeyCondition => "KeyConditionExpression",
            Clause::Condition => "ConditionExpression",
            Clause::Filter => "FilterExpression",
            Clause::Update => "UpdateExpression",
            Clause::Projection => "ProjectionExpression",
        }
    }

    /// The placeholder prefix [`render`] gives this clause (after the `#` or `:`).
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Clause::KeyCondition => "k",
            Clause::Condition => "c",
            Clause::Filter => "f",
            Clause::Update => "u",
            Clause::Projection => "p",
        }
    }
}
