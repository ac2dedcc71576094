//! `time::OffsetDateTime` (feature `time`): the same helpers as the `chrono` module (feature `chrono`).
//!
//! - [`Timestamp`] for `OffsetDateTime` (UTC), so `#[model(created_at)]` / `#[model(updated_at)]`
//!   fields may have that type.
//! - [`rfc3339`] (and [`rfc3339::option`]): fixed-width UTC RFC 3339 text that sorts as time;
//!   values with another offset are converted to UTC when written.
//! - [`epoch_seconds`] (and [`epoch_seconds::option`]): whole seconds since the epoch, for
//!   `#[model(ttl)]` fields.
//! - [`Rfc3339`]: a newtype whose own `Serialize` is the fixed-width text, for key templates.
//!
//! ```
//! use orm_core::types::time::Rfc3339;
//! use orm_core::{to_item, Model, Value};
//! use serde::{Deserialize, Serialize};
//! use time::OffsetDateTime;
//!
//! #[derive(Model, Serialize, Deserialize, Debug, PartialEq)]
//! #[model(entity = "Event", pk = "DEVICE#{device}", sk = "EVENT#{at}")]
//! struct Event {
//!     device: String,
//!     at: Rfc3339,
//!     #[model(ttl)]
//!     #[serde(with = "orm_core::types::time::epoch_seconds")]
//!     expires: OffsetDateTime,
//! }
//!
//! let at = OffsetDateTime::from_unix_timestamp(1_735_787_045).unwrap();
//! let e = Event { device: "d1".into(), at: at.into(), expires: at };
//! let key = e.primary_key().unwrap();
//! assert_eq!(key.sort.unwrap().as_s(), Some("EVENT#2025-01-02T03:04:05.000000Z"));
//! assert_eq!(to_item(&e).unwrap().get("expires"), Some(&Value::from(1_735_787_045i64)));
//! ```

use crate::timestamp::Timestamp;
use ::time::format_description::well_known::Rfc3339 as WellKnownRfc3339;
use ::time::{OffsetDateTime, UtcOffset};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::time::SystemTime;

impl Timestamp for OffsetDateTime {
    fn from_system_time(now: SystemTime) -> Self {
        OffsetDateTime::from(now)
    }
}

/// The fixed-width UTC RFC 3339 text of `t` (`2025-01-02T03:04:05.000000Z`); an error for years
/// outside 0000..=9999.
pub fn to_rfc3339(t: &OffsetDateTime) -> Result<String, String> {
    let t = t.to_offset(UtcOffset::UTC);
    super::format_fixed(
        t.year(),
        u32::from(u8::from(t.month())),
        u32::from(t.day()),
        u32::from(t.hour()),
        u32::from(t.minute()),
        u32::from(t.second()),
        t.microsecond(),
    )
}

/// Parses any RFC 3339 text (any offset, any fraction width) into UTC.
pub fn parse_rfc3339(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &WellKnownRfc3339)
        .map(|t| t.to_offset(UtcOffset::UTC))
        .map_err(|e| format!("`{text}` is not an RFC 3339 date-time: {e}"))
}

/// Serde helper: `OffsetDateTime` as fixed-width UTC RFC 3339 text (microseconds), which sorts
/// as time. Use as `#[serde(with = "orm_core::types::time::rfc3339")]`.
pub mod rfc3339 {
    use super::*;

    /// Writes fixed-width RFC 3339 text.
    pub fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        to_rfc3339(t)
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }

    /// Reads any RFC 3339 text.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let text = String::deserialize(d)?;
        parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }

    /// The same for `Option<OffsetDateTime>` (`None` is not stored). Use it with `default`,
    /// `#[serde(default, with = "orm_core::types::time::rfc3339::option")]`, so that an item
    /// without the attribute reads as `None`.
    pub mod option {
        use super::*;

        /// Writes fixed-width RFC 3339 text, or nothing for `None`.
        pub fn serialize<S: Serializer>(
            t: &Option<OffsetDateTime>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_some(&Rfc3339(*t)),
                None => s.serialize_none(),
            }
        }

        /// Reads any RFC 3339 text, or `None`.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<OffsetDateTime>, D::Error> {
            Ok(Option::<Rfc3339>::deserialize(d)?.map(|t| t.0))
        }
    }
}

/// Serde helper: `OffsetDateTime` as whole seconds since the Unix epoch (a Number; the fraction
/// is dropped), the form DynamoDB TTL reads. Use as
/// `#[serde(with = "orm_core::types::time::epoch_seconds")]`.
pub mod epoch_seconds {
    use super::*;

    /// Writes the whole seconds since the epoch.
    pub fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(t.unix_timestamp())
    }

    /// Reads seconds since the epoch.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let secs = i64::deserialize(d)?;
        OffsetDateTime::from_unix_timestamp(secs).map_err(serde::de::Error::custom)
    }

    /// The same for `Option<OffsetDateTime>` (`None` is not stored: no TTL). Use it with
    /// `default` (`#[serde(default, with = "...")]`), so that an item without the attribute
    /// reads as `None`.
    pub mod option {
        use super::*;

        /// Writes the whole seconds since the epoch, or nothing for `None`.
        pub fn serialize<S: Serializer>(
            t: &Option<OffsetDateTime>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_some(&t.unix_timestamp()),
                None => s.serialize_none(),
            }
        }

        /// Reads seconds since the epoch, or `None`.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<OffsetDateTime>, D::Error> {
            match Option::<i64>::deserialize(d)? {
                Some(secs) => OffsetDateTime::from_unix_timestamp(secs)
                    .map(Some)
                    .map_err(serde::de::Error::custom),
                None => Ok(None),
            }
        }
    }
}

/// A `OffsetDateTime` whose `Serialize` writes fixed-width UTC RFC 3339 text (microseconds), so
/// that it sorts as time in fields *and in key templates*. Derefs to the `DateTime`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rfc3339(pub OffsetDateTime);

impl Rfc3339 {
    /// The wrapped date-time.
    pub fn into_inner(self) -> OffsetDateTime {
        self.0
    }
}

impl fmt::Debug for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match to_rfc3339(&self.0) {
            Ok(text) => f.write_str(&text),
            Err(_) => fmt::Display::fmt(&self.0, f),
        }
    }
}

impl std::ops::Deref for Rfc3339 {
    type Target = OffsetDateTime;
    fn deref(&self) -> &OffsetDateTime {
        &self.0
    }
}

impl From<OffsetDateTime> for Rfc3339 {
    fn from(t: OffsetDateTime) -> Self {
        Rfc3339(t)
    }
}

impl From<Rfc3339> for OffsetDateTime {
    fn from(t: Rfc3339) -> Self {
        t.0
    }
}

impl Timestamp for Rfc3339 {
    fn from_system_time(now: SystemTime) -> Self {
        Rfc3339(OffsetDateTime::from(now))
    }
}

impl Serialize for Rfc3339 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        rfc3339::serialize(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for Rfc3339 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        rfc3339::deserialize(d).map(Rfc3339)
    }
}
