//! Optional field types from other crates, each behind the cargo feature of the same name.
//!
//! # Cargo features
//!
//! | feature | module | what it adds |
//! |---|---|---|
//! | `chrono` | [`types::chrono`][chrono] | `Timestamp` for `DateTime<Utc>`, the sortable key type [`chrono::Rfc3339`][chrono-key], serde helpers `rfc3339` and `epoch_seconds` |
//! | `time` | [`types::time`][time] | the same for `time::OffsetDateTime` |
//! | `uuid` | [`types::uuid`][uuid] | `uuid::Uuid` fields and key fields, through serde as hyphenated text |
//! | `rust_decimal` | [`types::decimal`][decimal] | exact `Decimal` <-> [`Number`](crate::Number) conversions, serde helper `decimal::number` |
//! | `bigdecimal` | [`types::bigdecimal`][bigdecimal] | exact `BigDecimal` <-> [`Number`](crate::Number) conversions, serde helper `bigdecimal::number` |
//!
//! The modules exist only with their feature on (docs.rs documents every feature); in a build
//! without it, its link leads back to this table.
//!
//! # Date-times and sorting
//!
//! DynamoDB compares strings byte by byte, so a timestamp stored as text sorts by time only when
//! every timestamp has the same width and the same zone. The helpers here always write UTC as
//! `YYYY-MM-DDTHH:MM:SS.ffffffZ` (microseconds, 27 characters, years 0000 to 9999), the format of
//! [`timestamp::rfc3339`](crate::timestamp::rfc3339). Plain serde of `chrono::DateTime` writes as
//! many fraction digits as needed (`12:00:00Z`, `12:00:00.5Z`, `12:00:00.123456789Z`), which does
//! **not** sort: `12:00:00Z` sorts *after* `12:00:00.5Z`, because `Z` comes after `.`. So
//! use [`chrono::rfc3339`][chrono-serde] on fields that a sort key or a filter
//! compares, and the [`chrono::Rfc3339`][chrono-key] newtype for fields used *in key
//! templates* (templates render a field with its type's own `Serialize`, not with
//! `#[serde(with)]`).
//!
//! Sub-microsecond digits are dropped when writing; reading accepts any RFC 3339 text.
//!
// Link targets: the module with its feature on, this page's table without it, so that the
// docs of every feature combination are free of broken links.
#![cfg_attr(feature = "chrono", doc = "[chrono]: self::chrono")]
#![cfg_attr(feature = "chrono", doc = "[chrono-key]: self::chrono::Rfc3339")]
#![cfg_attr(feature = "chrono", doc = "[chrono-serde]: self::chrono::rfc3339")]
#![cfg_attr(not(feature = "chrono"), doc = "[chrono]: #cargo-features")]
#![cfg_attr(not(feature = "chrono"), doc = "[chrono-key]: #cargo-features")]
#![cfg_attr(not(feature = "chrono"), doc = "[chrono-serde]: #cargo-features")]
#![cfg_attr(feature = "time", doc = "[time]: self::time")]
#![cfg_attr(not(feature = "time"), doc = "[time]: #cargo-features")]
#![cfg_attr(feature = "uuid", doc = "[uuid]: self::uuid")]
#![cfg_attr(not(feature = "uuid"), doc = "[uuid]: #cargo-features")]
#![cfg_attr(feature = "rust_decimal", doc = "[decimal]: self::decimal")]
#![cfg_attr(not(feature = "rust_decimal"), doc = "[decimal]: #cargo-features")]
#![cfg_attr(feature = "bigdecimal", doc = "[bigdecimal]: self::bigdecimal")]
#![cfg_attr(not(feature = "bigdecimal"), doc = "[bigdecimal]: #cargo-features")]

#[cfg(feature = "bigdecimal")]
#[cfg_attr(docsrs, doc(cfg(feature = "bigdecimal")))]
pub mod bigdecimal;
#[cfg(feature = "chrono")]
#[cfg_attr(docsrs, doc(cfg(feature = "chrono")))]
pub mod chrono;
#[cfg(feature = "rust_decimal")]
#[cfg_attr(docsrs, doc(cfg(feature = "rust_decimal")))]
pub mod decimal;
#[cfg(feature = "time")]
#[cfg_attr(docsrs, doc(cfg(feature = "time")))]
pub mod time;
#[cfg(feature = "uuid")]
#[cfg_attr(docsrs, doc(cfg(feature = "uuid")))]
pub mod uuid;

/// Formats UTC date-time parts as fixed-width RFC 3339 with microseconds.
#[cfg(any(feature = "chrono", feature = "time"))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn format_fixed(
    year: i32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    micros: u32,
) -> Result<String, String> {
    if !(0..=9999).contains(&year) {
        return Err(format!(
            "year {year} cannot be written as fixed-width RFC 3339 (0000 to 9999)"
        ));
    }
    Ok(format!(
        "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{:06}Z",
        micros.min(999_999)
    ))
}
