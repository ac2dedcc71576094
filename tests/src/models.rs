//! Models used by the conformance cases.

use orm_core::{collection, Model, Number};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A user profile: `USER#{id}` / `PROFILE`.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "User", pk = "USER#{id}", sk = "PROFILE")]
pub struct User {
    /// User id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Optional email (absent when None).
    pub email: Option<String>,
}

/// A todo of a user, with a status index.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Todo", pk = "USER#{user_id}", sk = "TODO#{seq}")]
#[model(index(name = "gsi1", pk = "STATUS#{status}", sk = "{seq}"))]
pub struct Todo {
    /// Owner.
    pub user_id: String,
    /// Sequence number (zero-padded in the key).
    pub seq: u32,
    /// Title.
    pub title: String,
    /// `open` / `done`; absent means not in the status index (sparse).
    pub status: Option<String>,
    /// View counter.
    pub views: u64,
}

/// An entity whose keys overlap `User`'s prefix on purpose (`USER#..` / `PROFILE#..`).
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Profile", pk = "USER#{user_id}", sk = "PROFILE#{kind}")]
pub struct Profile {
    /// Owner.
    pub user_id: String,
    /// Kind of profile.
    pub kind: String,
    /// Free text.
    pub bio: String,
}

/// An account with optimistic locking.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Account", pk = "ACCOUNT#{id}", sk = "ACCOUNT")]
pub struct Account {
    /// Account id.
    pub id: String,
    /// Balance in coins.
    pub coins: i64,
    /// Version for optimistic locking.
    #[model(version)]
    pub version: u64,
}

/// Exact numbers of every width.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Numbers", pk = "NUM#{id}", sk = "NUM")]
pub struct Numbers {
    /// Id.
    pub id: String,
    /// A 38-digit decimal.
    pub exact: Number,
    /// Largest u128 DynamoDB can hold exactly (38 digits).
    pub big: u128,
    /// Smallest i128 DynamoDB can hold exactly.
    pub small: i128,
    /// i64 extreme.
    pub i: i64,
    /// u64 extreme.
    pub u: u64,
    /// A float with a shortest round-trip text.
    pub f: f64,
    /// A nested map of numbers.
    pub nested: BTreeMap<String, Vec<Number>>,
}

/// A document with attribute names DynamoDB treats specially (reserved words, dots, `#`, `:`).
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Weird", pk = "WEIRD#{name}", sk = "{status}")]
pub struct Weird {
    /// Reserved word.
    pub name: String,
    /// Reserved word.
    pub status: String,
    /// Reserved word.
    pub size: u32,
    /// A dot in the name.
    #[serde(rename = "a.b")]
    pub dotted: String,
    /// A hash in the name.
    #[serde(rename = "x#y")]
    pub hashed: String,
    /// A colon in the name.
    #[serde(rename = "c:d")]
    pub coloned: String,
}

impl Weird {
    /// The document the cases store: `n`/`open`, size 3, and one letter in each awkward field.
    pub fn sample() -> Weird {
        Weird {
            name: "n".into(),
            status: "open".into(),
            size: 3,
            dotted: "d".into(),
            hashed: "h".into(),
            coloned: "c".into(),
        }
    }
}

/// A large document for size-limit tests.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Blob", pk = "BLOB#{id}", sk = "BLOB")]
pub struct Blob {
    /// Id.
    pub id: String,
    /// Payload.
    pub data: String,
}

/// A note with an index, `by_kind`, that the conformance table is created without: a case adds
/// it to the live table (UpdateTable), backfilled with the notes already stored.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Note", pk = "NOTE#{id}", sk = "NOTE")]
#[model(index(name = "by_kind", pk = "KIND#{kind}", sk = "{id}"))]
pub struct Note {
    /// Id.
    pub id: String,
    /// Kind, the index's partition.
    pub kind: String,
    /// Free text.
    pub text: String,
}

/// A ticket in the sparse "open tickets" index `gsi1` only while its status is open, ranked
/// there by a computed sort key (priority first, then number): index keys that depend on a
/// condition and on code, kept right by every write path.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Ticket", pk = "ORG#{org}", sk = "TICKET#{number:6}")]
#[model(index(
    name = "gsi1",
    pk = "OPEN#{org}",
    sk = "{Self::rank(priority, number):7}",
    when = "Self::is_open(status)"
))]
pub struct Ticket {
    /// Organisation.
    pub org: String,
    /// Ticket number, six digits in keys.
    pub number: u32,
    /// `open`, `closed`...
    pub status: String,
    /// 0 (lowest) to 9 (most urgent).
    pub priority: u8,
    /// Comment counter (no index depends on it).
    pub comments: u64,
}

impl Ticket {
    /// Whether the ticket belongs in the open-tickets index.
    pub fn is_open(status: &str) -> bool {
        status == "open"
    }

    /// The open-tickets sort key: the most urgent first, then by number.
    pub fn rank(priority: &u8, number: &u32) -> u64 {
        u64::from(9 - (*priority).min(9)) * 1_000_000 + u64::from(*number)
    }
}

collection! {
    /// A user's partition: profile and todos in one query.
    #[derive(Debug, Clone, PartialEq)]
    pub enum UserPartition { User(User), Todo(Todo), Profile(Profile) }
}

/// A session with ORM-set timestamps and a TTL.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Session", pk = "SESSION#{id}", sk = "SESSION")]
pub struct Session {
    /// Id.
    pub id: String,
    /// Owner, for queries by partition.
    pub data: String,
    /// Set once by the ORM, fixed-width RFC 3339 text.
    #[model(created_at)]
    pub created_at: String,
    /// Set by the ORM on every write, epoch seconds.
    #[model(updated_at)]
    pub updated_at: i64,
    /// Epoch seconds after which DynamoDB may delete the item.
    #[model(ttl)]
    pub expires_at: Option<i64>,
}

/// A member of an organisation, with a unique email and a unique handle within its org (a
/// named group, absent when `handle` is `None`).
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Member", pk = "MEMBER#{id}", sk = "MEMBER")]
#[model(unique(name = "org_handle", fields = ["org", "handle"]))]
pub struct Member {
    /// Id.
    pub id: String,
    /// Unique among members.
    #[model(unique)]
    pub email: String,
    /// Organisation.
    pub org: String,
    /// Unique within the organisation, when present.
    pub handle: Option<String>,
    /// Set once by the ORM (kept by saves, which read the stored item for the guards too).
    #[model(created_at)]
    pub joined: String,
}

/// A model whose keys come from hand-written logic instead of templates: tenant names are
/// case-insensitive, so the key lower-cases them.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Tenant {
    /// Display name, any case.
    pub name: String,
    /// Plan.
    pub plan: String,
}

impl Model for Tenant {
    fn schema() -> &'static orm_core::Schema {
        static SCHEMA: orm_core::Schema = orm_core::Schema {
            has_sort_key: true,
            ..orm_core::Schema::new("Tenant")
        };
        &SCHEMA
    }

    fn primary_key(&self) -> orm_core::Result<orm_core::Key> {
        Ok(Tenant::key_for(&self.name))
    }
}

impl Tenant {
    /// The key of the tenant called `name` (in any case).
    pub fn key_for(name: &str) -> orm_core::Key {
        orm_core::Key::with_sort(format!("TENANT#{}", name.to_lowercase()), "TENANT")
    }
}

/// Defines a tournament-match model: the entity `Match`, its keys and its fields, with the
/// attributes given (docs, indexes). [`Match`], its earlier deployment [`MatchBefore`] and
/// [`MatchKeysOnly`] are written with it, so they stay one entity that differs only in its
/// indexes.
macro_rules! match_model {
    ($(#[$($attr:tt)*])* $model:ident) => {
        #[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
        #[model(entity = "Match", pk = "MATCH#{match_id}", sk = "MATCH")]
        $(#[$($attr)*])*
        pub struct $model {
            /// Id.
            pub match_id: String,
            /// Tournament, the first partition attribute of `byRegion`.
            pub tournament: String,
            /// Region, the second.
            pub region: String,
            /// Round (a number attribute), the first sort attribute.
            pub round: u32,
            /// Bracket; absent means not in `byRegion` (sparse).
            pub bracket: Option<String>,
            /// Player, for the template index.
            pub player: String,
        }
    };
}

match_model! {
    /// A tournament match: a template index (`by_player`) and a multi-attribute one (`byRegion`:
    /// partition `tournament`, `region`; sort `round`, `bracket`) in one model. The conformance
    /// table is created without it; [`crate::query::multi_attribute_model_queries`] gives it a
    /// table of its own.
    #[model(index(name = "by_player", pk = "PLAYER#{player}", sk = "{match_id}"))]
    #[model(index(name = "byRegion", pk = [tournament, region], sk = [round, bracket]))]
    Match
}

match_model! {
    /// [`Match`] as first deployed: the same entity, keys and fields, without its indexes.
    MatchBefore
}

match_model! {
    /// [`Match`] with only `by_player`, declared `KEYS_ONLY`.
    #[model(index(
        name = "by_player",
        pk = "PLAYER#{player}",
        sk = "{match_id}",
        projection = "keys_only"
    ))]
    MatchKeysOnly
}
