//! DynamoDB's PartiQL dialect: the statements of `ExecuteStatement`, `BatchExecuteStatement` and
//! `ExecuteTransaction`, read into a [`Statement`] built from the same AST as the expression
//! language ([`Condition`], [`Update`], [`Path`], [`Value`](crate::Value)s), and written back ([`render`]).
//!
//! ```
//! use orm_core::expr::attr;
//! use orm_core::expr::partiql::{self, Statement};
//! use orm_core::Value;
//!
//! let statement = partiql::parse(
//!     r#"SELECT title FROM "app" WHERE pk = ? AND views > 10"#,
//!     &[Value::from("USER#alice")],
//! )?;
//! let Statement::Select(select) = &statement else { unreachable!() };
//! assert_eq!(select.table, "app");
//! assert_eq!(select.projection, Some(vec![attr("title")]));
//! assert_eq!(select.condition, Some(attr("pk").eq("USER#alice").and(attr("views").gt(10))));
//!
//! // Rendered back: every name quoted, values as literals (binaries as `?` parameters).
//! let rendered = partiql::render(&statement)?;
//! assert_eq!(partiql::parse(&rendered.statement, &rendered.parameters)?, statement);
//! # Ok::<(), orm_core::Error>(())
//! ```
//!
//! # What it reads
//!
//! - `SELECT * | path, ... FROM "table"["index"] [WHERE condition] [ORDER BY key [ASC|DESC], ...]`
//! - `INSERT INTO "table" VALUE {'name': value, ...}`
//! - `UPDATE "table" SET path = value, ... REMOVE path, ... [WHERE condition]
//!   [RETURNING ALL|MODIFIED OLD|NEW *]` (`SET` and `REMOVE` clauses in any order and number)
//! - `DELETE FROM "table" [WHERE condition] [RETURNING ALL OLD *]`
//! - `EXISTS(SELECT * FROM "table" WHERE condition)` (a condition check of `ExecuteTransaction`)
//!
//! Names are bare identifiers (not one of PartiQL's [reserved words](is_reserved)) or
//! `"double-quoted"`; paths nest with `.name`, `[index]` and `['name']`. Values are literals
//! (`'text'` with `''` for a quote, numbers kept exact, `TRUE`, `FALSE`, `NULL`, lists `[...]`,
//! maps `{'name': value}`, string and number sets `<<...>>`) or `?` parameters, taken in order
//! from the request's `Parameters` (the only way to write a binary).
//!
//! A condition is a [`Condition`]: `= <> != < <= > >=`, `BETWEEN`, `IN [...]` (or `(...)`),
//! `IS [NOT] MISSING` ([`Condition::NotExists`] / [`Condition::Exists`]), `IS [NOT] NULL`
//! (`attribute_type(path, 'NULL')`), `begins_with`, `contains`, `attribute_exists`,
//! `attribute_not_exists`, `attribute_type`, `size(path)`, `AND`, `OR`, `NOT` and parentheses.
//! A `SET` value is a [`SetValue`](super::SetValue): a value, a path, `if_not_exists`, one `+` or
//! `-`, or `list_append`; `SET p = set_add(p, set)` and `SET p = set_delete(p, set)` are the
//! update actions `ADD` and `DELETE`.
//!
//! Errors are [`Error::Validation`] with DynamoDB's messages: a syntax error reads
//! `Statement wasn't well formed, can't be processed: ...` and says what was found where
//! (`line:column`). What depends on the table (the key a write must name, whether a read is a
//! Query or a Scan) is the executor's: orm-memory's server plans statements into requests.
//!
//! # Files
//!
//! | file | what |
//! |---|---|
//! | `mod.rs` | the [`Statement`] AST |
//! | `lexer.rs`, `parse.rs` | text and parameters -> [`Statement`] |
//! | `render.rs` | [`Statement`] -> text and parameters ([`Rendered`]) |
//! | `reserved_words.txt` | PartiQL's 240 reserved words ([`is_reserved`]) |
//! | `strategy.rs` | random statements for proptest, and the round trip `parse(render(s)) == s` |

mod lexer;
mod parse;
mod render;
#[cfg(any(test, feature = "proptest"))]
#[cfg_attr(docsrs, doc(cfg(feature = "proptest")))]
pub mod strategy;

pub use parse::parse;
pub use render::{render, Rendered};

use super::reserved::WordList;
use super::{Condition, Path, Update};
use crate::error::Error;
use crate::value::Item;

/// The longest statement DynamoDB takes, in bytes (`Statement`'s length constraint).
pub const MAX_STATEMENT_BYTES: usize = 8192;

/// One PartiQL statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `SELECT`: a Query when its condition fixes the partition key, else a Scan.
    Select(Select),
    /// `INSERT INTO table VALUE {...}`: a put that fails on an existing item.
    Insert {
        /// The table.
        table: String,
        /// The item.
        item: Item,
    },
    /// `UPDATE table SET ... REMOVE ... WHERE ...`: an update of one existing item.
    Update {
        /// The table.
        table: String,
        /// The actions, in the order written.
        update: Update,
        /// The `WHERE` condition: the item's full key, and any further condition.
        condition: Option<Condition>,
        /// What `RETURNING` asks for.
        returning: Option<Returning>,
    },
    /// `DELETE FROM table WHERE ...`: a delete of one item.
    Delete {
        /// The table.
        table: String,
        /// The `WHERE` condition: the item's full key, and any further condition.
        condition: Option<Condition>,
        /// What `RETURNING` asks for (only [`Returning::AllOld`] parses).
        returning: Option<Returning>,
    },
    /// `EXISTS(SELECT * FROM table WHERE ...)`: a condition check on one item, in a
    /// transaction.
    Exists(Select),
}

impl Statement {
    /// The table the statement reads or writes.
    pub fn table(&self) -> &str {
        match self {
            Statement::Select(s) | Statement::Exists(s) => &s.table,
            Statement::Insert { table, .. }
            | Statement::Update { table, .. }
            | Statement::Delete { table, .. } => table,
        }
    }

    /// Whether the statement only reads (`SELECT`).
    pub fn is_read(&self) -> bool {
        matches!(self, Statement::Select(_))
    }
}

/// A `SELECT`.
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    /// The table.
    pub table: String,
    /// The index (`FROM "table"."index"`).
    pub index: Option<String>,
    /// The projected paths; `None` for `*`. Each comes back named by its last name and the
    /// indexes after it (`a.b[1]` as `b[1]`).
    pub projection: Option<Vec<Path>>,
    /// The `WHERE` condition.
    pub condition: Option<Condition>,
    /// The `ORDER BY` keys.
    pub order_by: Vec<OrderBy>,
}

impl Select {
    /// `SELECT * FROM table`.
    pub fn new(table: impl Into<String>) -> Select {
        Select {
            table: table.into(),
            index: None,
            projection: None,
            condition: None,
            order_by: Vec::new(),
        }
    }
}

/// One key of an `ORDER BY`.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderBy {
    /// The key attribute.
    pub path: Path,
    /// `DESC` (else `ASC`).
    pub descending: bool,
}

/// What `RETURNING` returns of an updated or deleted item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Returning {
    /// `ALL OLD *`: the whole item before.
    AllOld,
    /// `MODIFIED OLD *`: the updated attributes, before.
    ModifiedOld,
    /// `ALL NEW *`: the whole item after.
    AllNew,
    /// `MODIFIED NEW *`: the updated attributes, after.
    ModifiedNew,
}

impl Returning {
    /// The four, in DynamoDB's order.
    pub const ALL: [Returning; 4] = [
        Returning::AllOld,
        Returning::ModifiedOld,
        Returning::AllNew,
        Returning::ModifiedNew,
    ];

    /// The clause's words after `RETURNING`, without the `*` (`ALL OLD`).
    pub fn words(self) -> &'static str {
        match self {
            Returning::AllOld => "ALL OLD",
            Returning::ModifiedOld => "MODIFIED OLD",
            Returning::AllNew => "ALL NEW",
            Returning::ModifiedNew => "MODIFIED NEW",
        }
    }
}

/// The name a projected path comes back under: its last name and the list indexes after it
/// (`a.b[1]` is `b[1]`, `l[0]` is `l[0]`), as DynamoDB names them.
///
/// ```
/// use orm_core::expr::attr;
/// use orm_core::expr::partiql::projected_name;
/// assert_eq!(projected_name(&attr("a.b[1]")), "b[1]");
/// assert_eq!(projected_name(&attr("a")), "a");
/// ```
pub fn projected_name(path: &Path) -> String {
    use super::PathElement;
    let elements = path.elements();
    let last_name = elements
        .iter()
        .rposition(|e| matches!(e, PathElement::Name(_)))
        .unwrap_or(0);
    let mut out = String::new();
    for element in &elements[last_name..] {
        match element {
            PathElement::Name(n) => out.push_str(n),
            PathElement::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

/// The 240 words.
static RESERVED: WordList = WordList::new(include_str!("reserved_words.txt"));

/// Whether `word` is one of PartiQL's reserved words (case-insensitive): a bare name in a
/// statement must not be one (write it `"double-quoted"`). They are the SQL-92 words, PartiQL's
/// own (`MISSING`, `REMOVE`, `RETURNING`...) and its type names (`LIST`, `STRING`...); the
/// set is DynamoDB's, probed word by word.
///
/// ```
/// use orm_core::expr::partiql::is_reserved;
/// assert!(is_reserved("value") && is_reserved("KEY") && is_reserved("size"));
/// assert!(!is_reserved("name") && !is_reserved("status") && !is_reserved("data"));
/// ```
pub fn is_reserved(word: &str) -> bool {
    RESERVED.contains(word)
}

/// The 1-based line and column of byte `at` of `text`.
fn line_column(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..floor_boundary(text, at)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// The largest char boundary of `text` not after `at`.
fn floor_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// DynamoDB's syntax error: `Statement wasn't well formed, can't be processed: ` and what was
/// wrong at byte `at`.
fn syntax_error(text: &str, at: usize, what: &str) -> Error {
    let (line, column) = line_column(text, at);
    Error::validation(format!(
        "Statement wasn't well formed, can't be processed: {what} at {line}:{column}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::attr;

    #[test]
    fn reserved_words_are_sorted_and_complete() {
        RESERVED.assert_well_formed(240);
        for word in ["select", "Missing", "returning", "bag", "exists", "count"] {
            assert!(is_reserved(word), "{word}");
        }
        for word in [
            "name",
            "status",
            "data",
            "type",
            "year",
            "pk",
            "begins_with",
        ] {
            assert!(!is_reserved(word), "{word}");
        }
    }

    #[test]
    fn positions_count_lines_and_characters() {
        assert_eq!(line_column("abc", 0), (1, 1));
        assert_eq!(line_column("é x", 3), (1, 3));
        assert_eq!(line_column("a\nbc d", 5), (2, 4));
        assert_eq!(line_column("é", 1), (1, 1));
    }

    #[test]
    fn projected_names_are_the_last_name_and_its_indexes() {
        assert_eq!(projected_name(&attr("m.x[1][2]")), "x[1][2]");
        assert_eq!(projected_name(&attr("l[0]")), "l[0]");
        assert_eq!(projected_name(&Path::name("a.b")), "a.b");
    }
}
