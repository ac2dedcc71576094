//! `chrono::DateTime<Utc>` (feature `chrono`).
//!
//! - [`Timestamp`] for `DateTime<Utc>`, so `#[model(created_at)]` / `#[model(updated_at)]` fields
//!   may have that type.
//! - [`rfc3339`]: `#[serde(with = "orm_core::types::chrono::rfc3339")]` stores fixed-width UTC
//!   RFC 3339 text that sorts as time (plain serde of `DateTime` does not: see [the module
//!   docs](crate::types#date-times-and-sorting)); [`rfc3339::option`] for `Option<DateTime<Utc>>`.
//! - [`epoch_seconds`]: stores whole seconds since the epoch as a number, which is what DynamoDB
//!   TTL needs: `#[model(ttl)] #[serde(default, with = "orm_core::types::chrono::epoch_seconds::option")]`.
//!
//! The `option` helpers need `default` beside `with` (`#[serde(default, with = "...::option")]`):
//! serde requires a field that has a `with` module, so without it an item stored while the
//! field was `None` (the attribute is then absent) fails to read.
//! - [`Rfc3339`]: a newtype whose own `Serialize` is the fixed-width text, for fields used in key
//!   templates (`sk = "EVENT#{at}"`), where `#[serde(with)]` does not apply.
//!
//! ```
//! use chrono::{DateTime, TimeZone, Utc};
//! use orm_core::types::chrono::Rfc3339;
//! use orm_core::{to_item, Model, Value};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Model, Serialize, Deserialize, Debug, PartialEq)]
//! #[model(entity = "Event", pk = "DEVICE#{device}", sk = "EVENT#{at}")]
//! struct Event {
//!     device: String,
//!     at: Rfc3339,                                          // in the sort key: sorts as time
//!     #[serde(with = "orm_core::types::chrono::rfc3339")]
//!     received: DateTime<Utc>,                              // a plain field, sortable text
//!     #[model(ttl)]
//!     #[serde(default, with = "orm_core::types::chrono::epoch_seconds::option")]
//!     expires: Option<DateTime<Utc>>,                       // TTL: a Number of epoch seconds
//! }
//!
//! let at = Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap();
//! let e = Event { device: "d1".into(), at: at.into(), received: at, expires: Some(at) };
//! let key = e.primary_key().unwrap();
//! assert_eq!(key.sort.unwrap().as_s(), Some("EVENT#2025-01-02T03:04:05.000000Z"));
//! let item = to_item(&e).unwrap();
//! assert_eq!(item.get("received"), Some(&Value::from("2025-01-02T03:04:05.000000Z")));
//! assert_eq!(item.get("expires"), Some(&Value::from(1_735_787_045i64)));
//! ```

use crate::timestamp::Timestamp;
use ::chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::time::SystemTime;

impl Timestamp for DateTime<Utc> {
    fn from_system_time(now: SystemTime) -> Self {
        DateTime::<Utc>::from(now)
    }
}

/// The fixed-width UTC RFC 3339 text of `t` (`2025-01-02T03:04:05.000000Z`); an error for years
/// outside 0000..=9999.
pub fn to_rfc3339(t: &DateTime<Utc>) -> Result<String, String> {
    super::format_fixed(
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond() / 1000,
    )
}

/// Parses any RFC 3339 text (any offset, any fraction width) into UTC.
pub fn parse_rfc3339(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("`{text}` is not an RFC 3339 date-time: {e}"))
}

/// Serde helper: `DateTime<Utc>` as fixed-width UTC RFC 3339 text (microseconds), which sorts
/// as time. Use as `#[serde(with = "orm_core::types::chrono::rfc3339")]`.
pub mod rfc3339 {
    use super::*;

    /// Writes fixed-width RFC 3339 text.
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        to_rfc3339(t)
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }

    /// Reads any RFC 3339 text.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }

    /// The same for `Option<DateTime<Utc>>` (`None` is not stored). Use it with `default`,
    /// `#[serde(default, with = "orm_core::types::chrono::rfc3339::option")]`, so that an item
    /// without the attribute reads as `None`.
    pub mod option {
        use super::*;

        /// Writes fixed-width RFC 3339 text, or nothing for `None`.
        pub fn serialize<S: Serializer>(
            t: &Option<DateTime<Utc>>,
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
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            Ok(Option::<Rfc3339>::deserialize(d)?.map(|t| t.0))
        }
    }
}

/// Serde helper: `DateTime<Utc>` as whole seconds since the Unix epoch (a Number; the fraction
/// is dropped), the form DynamoDB TTL reads. Use as
/// `#[serde(with = "orm_core::types::chrono::epoch_seconds")]`.
pub mod epoch_seconds {
    use super::*;

    /// Writes the whole seconds since the epoch.
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(t.timestamp())
    }

    /// Reads seconds since the epoch.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let secs = i64::deserialize(d)?;
        DateTime::from_timestamp(secs, 0)
            .ok_or_else(|| serde::de::Error::custom(format!("{secs} s is out of chrono's range")))
    }

    /// The same for `Option<DateTime<Utc>>` (`None` is not stored: no TTL). Use it with
    /// `default` (`#[serde(default, with = "...")]`), so that an item without the attribute
    /// reads as `None`.
    pub mod option {
        use super::*;

        /// Writes the whole seconds since the epoch, or nothing for `None`.
        pub fn serialize<S: Serializer>(
            t: &Option<DateTime<Utc>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_some(&t.timestamp()),
                None => s.serialize_none(),
            }
        }

        /// Reads seconds since the epoch, or `None`.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            match Option::<i64>::deserialize(d)? {
                Some(secs) => DateTime::from_timestamp(secs, 0).map(Some).ok_or_else(|| {
                    serde::de::Error::custom(format!("{secs} s is out of chrono's range"))
                }),
                None => Ok(None),
            }
        }
    }
}

/// A `DateTime<Utc>` whose `Serialize` writes fixed-width UTC RFC 3339 text (microseconds), so
/// that it sorts as time in fields *and in key templates*. Derefs to the `DateTime`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rfc3339(pub DateTime<Utc>);

impl Rfc3339 {
    /// The wrapped date-time.
    pub fn into_inner(self) -> DateTime<Utc> {
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
    type Target = DateTime<Utc>;
    fn deref(&self) -> &DateTime<Utc> {
        &self.0
    }
}

impl From<DateTime<Utc>> for Rfc3339 {
    fn from(t: DateTime<Utc>) -> Self {
        Rfc3339(t)
    }
}

impl From<Rfc3339> for DateTime<Utc> {
    fn from(t: Rfc3339) -> Self {
        t.0
    }
}

impl Timestamp for Rfc3339 {
    fn from_system_time(now: SystemTime) -> Self {
        Rfc3339(DateTime::<Utc>::from(now))
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
