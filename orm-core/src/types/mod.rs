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

/// The serde helpers and the sortable newtype of one date-time type, written once for the
/// `chrono` and `time` modules: `Timestamp` for `$T`, the modules `rfc3339` and
/// `epoch_seconds` (each with its `option`), and `Rfc3339`. The invoking module defines
/// `to_rfc3339`, `parse_rfc3339`, `to_epoch_seconds` and `from_epoch_seconds` for `$T`;
/// `$name` is `$T` as the docs spell it, `$module` the module's name.
#[cfg(any(feature = "chrono", feature = "time"))]
macro_rules! date_time_helpers {
    ($T:ty, $name:literal, $module:literal) => {
        impl Timestamp for $T {
            fn from_system_time(now: SystemTime) -> Self {
                <$T>::from(now)
            }
        }

        #[doc = concat!("Serde helper: `", $name, "` as fixed-width UTC RFC 3339 text (microseconds), which")]
        #[doc = concat!("sorts as time. Use as `#[serde(with = \"orm_core::types::", $module, "::rfc3339\")]`.")]
        pub mod rfc3339 {
            use super::*;

            /// Writes fixed-width RFC 3339 text.
            pub fn serialize<S: Serializer>(t: &$T, s: S) -> Result<S::Ok, S::Error> {
                to_rfc3339(t)
                    .map_err(serde::ser::Error::custom)?
                    .serialize(s)
            }

            /// Reads any RFC 3339 text.
            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<$T, D::Error> {
                let text = String::deserialize(d)?;
                parse_rfc3339(&text).map_err(serde::de::Error::custom)
            }

            #[doc = concat!("The same for `Option<", $name, ">` (`None` is not stored). Use it with `default`,")]
            #[doc = concat!("`#[serde(default, with = \"orm_core::types::", $module, "::rfc3339::option\")]`, so that")]
            /// an item without the attribute reads as `None`.
            pub mod option {
                use super::*;

                /// Writes fixed-width RFC 3339 text, or nothing for `None`.
                pub fn serialize<S: Serializer>(t: &Option<$T>, s: S) -> Result<S::Ok, S::Error> {
                    match t {
                        Some(t) => s.serialize_some(&Rfc3339(*t)),
                        None => s.serialize_none(),
                    }
                }

                /// Reads any RFC 3339 text, or `None`.
                pub fn deserialize<'de, D: Deserializer<'de>>(
                    d: D,
                ) -> Result<Option<$T>, D::Error> {
                    Ok(Option::<Rfc3339>::deserialize(d)?.map(|t| t.0))
                }
            }
        }

        #[doc = concat!("Serde helper: `", $name, "` as whole seconds since the Unix epoch (a Number; the")]
        /// fraction is dropped), the form DynamoDB TTL reads. Use as
        #[doc = concat!("`#[serde(with = \"orm_core::types::", $module, "::epoch_seconds\")]`.")]
        pub mod epoch_seconds {
            use super::*;

            /// Writes the whole seconds since the epoch.
            pub fn serialize<S: Serializer>(t: &$T, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_i64(to_epoch_seconds(t))
            }

            /// Reads seconds since the epoch.
            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<$T, D::Error> {
                from_epoch_seconds(i64::deserialize(d)?).map_err(serde::de::Error::custom)
            }

            #[doc = concat!("The same for `Option<", $name, ">` (`None` is not stored: no TTL). Use it with")]
            /// `default` (`#[serde(default, with = "...")]`), so that an item without the attribute
            /// reads as `None`.
            pub mod option {
                use super::*;

                /// Writes the whole seconds since the epoch, or nothing for `None`.
                pub fn serialize<S: Serializer>(t: &Option<$T>, s: S) -> Result<S::Ok, S::Error> {
                    match t {
                        Some(t) => s.serialize_some(&to_epoch_seconds(t)),
                        None => s.serialize_none(),
                    }
                }

                /// Reads seconds since the epoch, or `None`.
                pub fn deserialize<'de, D: Deserializer<'de>>(
                    d: D,
                ) -> Result<Option<$T>, D::Error> {
                    Option::<i64>::deserialize(d)?
                        .map(from_epoch_seconds)
                        .transpose()
                        .map_err(serde::de::Error::custom)
                }
            }
        }

        #[doc = concat!("A `", $name, "` whose `Serialize` writes fixed-width UTC RFC 3339 text (microseconds),")]
        #[doc = concat!("so that it sorts as time in fields *and in key templates*. Derefs to the `", $name, "`.")]
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct Rfc3339(pub $T);

        impl Rfc3339 {
            /// The wrapped date-time.
            pub fn into_inner(self) -> $T {
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
            type Target = $T;
            fn deref(&self) -> &$T {
                &self.0
            }
        }

        impl From<$T> for Rfc3339 {
            fn from(t: $T) -> Self {
                Rfc3339(t)
            }
        }

        impl From<Rfc3339> for $T {
            fn from(t: Rfc3339) -> Self {
                t.0
            }
        }

        impl Timestamp for Rfc3339 {
            fn from_system_time(now: SystemTime) -> Self {
                Rfc3339(<$T>::from(now))
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
    };
}

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
