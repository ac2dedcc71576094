#![doc = include_str!("../README.md")]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

mod ast;
mod attr;
mod case;
mod expand;
mod template;
mod types;

/// Derives `orm_core::Model` for a struct with named fields, and typed key constructors.
///
/// # Attributes
///
/// On the struct, in one or several `#[model(...)]` attributes:
///
/// ```text
/// entity = "Todo"                       entity name (default: the struct's name)
/// pk = "USER#{user_id}"                 partition-key template (required)
/// sk = "TODO#{created_at}#{todo_id}"    sort-key template (optional)
/// index(name = "gsi1", pk = "STATUS#{status}", sk = "{created_at}", projection = ...)
///                                       a global secondary index (sk optional), repeatable
/// local_index(name = "lsi1", sk = "{title}", projection = ...)
///                                       a local secondary index: the table's partition key
/// index(.., when = "Self::is_open(status)")
///                                       the item is in the index only while the function,
///                                       called with references to the fields named, is true
/// projection = "all" | "keys_only" | ["title", "status"]   (default "all"; field names)
/// schema_version = 3                    the model's schema version (default 1), stored in `__schema`
/// upgrade = path::to::upgrade_fn        `fn(Item, from: u32) -> Result<Item>`: one version step
///                                       of an older stored item (needs schema_version)
/// crate = "path::to::orm_core"          where orm-core is, for crates that re-export it
/// ```
///
/// A template is literal text with `{field}` references to the struct's (Rust) field names.
/// Fields render so that keys sort like their values (integers zero-padded, see
/// `orm_core::key`); a string containing the delimiter `#` is rejected at run time. Inside the
/// braces:
///
/// - `{seq:8}`: an integer zero-padded to 8 digits whatever its Rust type; a value that does
///   not fit is an error at run time, a width on a string or bool field a compile error;
/// - `{Self::bucket(created_at)}` (or any function path): what the function returns when
///   called with references to the fields named, rendered as a field of that type (`None`: the
///   key is absent); `{Self::bucket(created_at):5}` pads an integer result. The derive knows
///   the fields the key depends on, so updates of them recompute it.
///
/// On fields: `#[model(version)]` (an integer: optimistic locking), `#[model(ttl)]` (epoch
/// seconds), `#[model(created_at)]`, `#[model(updated_at)]`, and `#[model(rename = "attr")]`,
/// which must agree with serde. Attribute names are serde's: `#[serde(rename = "...")]` and
/// `#[serde(rename_all = "...")]` decide them; `#[serde(skip)]` and `#[serde(flatten)]` fields
/// are not part of the schema.
///
/// # Generated code
///
/// For `#[model(pk = "USER#{user_id}", sk = "TODO#{created_at}#{todo_id}")]` and
/// `index(name = "gsi1", pk = "STATUS#{status}", sk = "{created_at}")`:
///
/// - `impl Model`: `schema()` (a static `Schema`), `primary_key()`, `index_key(name)` (`None`
///   when a field of the index's keys is `None`: a sparse index).
/// - `Todo::key(user_id, created_at, todo_id) -> Result<Key>`: the primary key, from the
///   partition-key fields then the sort-key fields, each once.
/// - `Todo::partition(user_id) -> Result<Value>` and `Todo::sort_key(created_at, todo_id)`.
/// - `Todo::sk_prefix()` (`TODO#`) and `Todo::sk_prefix_created_at(created_at)`
///   (`TODO#{created_at}#`): sort-key prefixes for `begins_with` queries.
/// - Per global index: `gsi1_key(..)`, `gsi1_partition(..)`, `gsi1_sort_key(..)` and
///   `gsi1_sk_prefix*(..)`; per local index `<name>_sort_key(..)` and `<name>_sk_prefix*(..)`.
///
/// Constructors take `String` fields as `impl AsRef<str>`, integers, bools and chars as
/// themselves (so that literals work: `Todo::key("alice", 5, "t1")`), other types as
/// `impl Into<T>`, and `Option<T>` fields as `T`.
///
/// ```ignore
/// use orm_core::Model;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Model, Serialize, Deserialize)]
/// #[model(entity = "Todo", pk = "USER#{user_id}", sk = "TODO#{created_at}#{todo_id}")]
/// #[model(index(name = "gsi1", pk = "STATUS#{status}", sk = "{created_at}"))]
/// struct Todo {
///     user_id: String,
///     todo_id: String,
///     status: String,
///     created_at: u64,
///     #[model(version)]
///     version: u64,
/// }
///
/// let key = Todo::key("alice", 5, "t1")?;
/// assert_eq!(key.partition.as_s(), Some("USER#alice"));
/// ```
#[proc_macro_derive(Model, attributes(model))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
