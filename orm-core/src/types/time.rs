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

/// The whole seconds since the epoch of `t` (the fraction dropped).
fn to_epoch_seconds(t: &OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

/// The date-time `secs` seconds after the epoch; an error outside `time`'s range.
fn from_epoch_seconds(secs: i64) -> Result<OffsetDateTime, String> {
    OffsetDateTime::from_unix_timestamp(secs).map_err(|e| e.to_string())
}

date_time_helpers!(OffsetDateTime, "OffsetDateTime", "time");
