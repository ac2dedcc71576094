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

/// The whole seconds since the epoch of `t` (the fraction dropped).
fn to_epoch_seconds(t: &DateTime<Utc>) -> i64 {
    t.timestamp()
}

/// The date-time `secs` seconds after the epoch; an error outside chrono's range.
fn from_epoch_seconds(secs: i64) -> Result<DateTime<Utc>, String> {
    DateTime::from_timestamp(secs, 0).ok_or_else(|| format!("{secs} s is out of chrono's range"))
}

date_time_helpers!(DateTime<Utc>, "DateTime<Utc>", "chrono");
