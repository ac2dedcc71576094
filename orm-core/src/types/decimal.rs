//! `rust_decimal::Decimal` (feature `rust_decimal`): exact conversions to and from [`Number`],
//! and a serde helper that stores a `Decimal` as an exact DynamoDB `N`.
//!
//! A `Decimal` holds at most 28 or 29 significant digits (a 96-bit mantissa) and a scale of at
//! most 28; a DynamoDB number holds up to 38 digits and exponents from -130 to 125. So:
//! - `Decimal` -> [`Number`] always succeeds, exactly;
//! - [`Number`] -> `Decimal` fails with [`NumberError::DoesNotFit`] when the number needs more
//!   digits or a larger magnitude or scale than a `Decimal` holds. It never rounds. Use
//!   [`Number`] itself (or `bigdecimal`) for fields that may hold such values.
//!
//! Without the helper, `Decimal`'s own serde (its `serde` features) writes a string or a float;
//! `#[serde(with = "orm_core::types::decimal::number")]` writes `N`, so that the value can be
//! compared, added to (`update().add(..)`) and summed by other DynamoDB clients.
//!
//! ```
//! use orm_core::{from_item, to_item, Number, Value};
//! use rust_decimal::Decimal;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! struct Price {
//!     #[serde(with = "orm_core::types::decimal::number")]
//!     amount: Decimal,
//! }
//!
//! let p = Price { amount: "19.990".parse().unwrap() };
//! let item = to_item(&p).unwrap();
//! assert_eq!(item.get("amount"), Some(&Value::N(Number::parse("19.99").unwrap())));
//! assert_eq!(from_item::<Price>(item).unwrap(), p);
//!
//! let too_precise = Number::parse("1.2345678901234567890123456789012345678").unwrap();
//! assert!(Decimal::try_from(&too_precise).is_err()); // 38 digits: an error, never rounded
//! ```

use crate::number::{Number, NumberError};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

fn does_not_fit(n: &Number) -> NumberError {
    NumberError::DoesNotFit {
        value: n.as_str().to_owned(),
        target: "rust_decimal::Decimal",
    }
}

impl TryFrom<Decimal> for Number {
    type Error = NumberError;
    /// Exact: a `Decimal` always fits (at most 29 digits, scale at most 28).
    fn try_from(d: Decimal) -> Result<Number, NumberError> {
        Number::parse(&d.normalize().to_string())
    }
}

impl TryFrom<&Decimal> for Number {
    type Error = NumberError;
    fn try_from(d: &Decimal) -> Result<Number, NumberError> {
        Number::try_from(*d)
    }
}

impl TryFrom<&Number> for Decimal {
    type Error = NumberError;
    /// Exact, or [`NumberError::DoesNotFit`]: never rounds.
    fn try_from(n: &Number) -> Result<Decimal, NumberError> {
        let text = n.as_str();
        let parsed = if text.contains(['e', 'E']) {
            Decimal::from_scientific(text)
        } else {
            Decimal::from_str_exact(text)
        }
        .map_err(|_| does_not_fit(n))?;
        // Belt and braces: the conversion must give back exactly the same number.
        match Number::try_from(parsed) {
            Ok(back) if &back == n => Ok(parsed),
            _ => Err(does_not_fit(n)),
        }
    }
}

impl TryFrom<Number> for Decimal {
    type Error = NumberError;
    fn try_from(n: Number) -> Result<Decimal, NumberError> {
        Decimal::try_from(&n)
    }
}

/// Serde helper: a `Decimal` stored as an exact `N`. Use as
/// `#[serde(with = "orm_core::types::decimal::number")]`; reading a number a `Decimal` cannot
/// hold exactly is an error naming the field, never a rounding.
pub mod number {
    use super::*;

    /// Writes the decimal as an exact number.
    pub fn serialize<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        Number::try_from(*d)
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }

    /// Reads an exact number into a decimal.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let n = Number::deserialize(d)?;
        Decimal::try_from(&n).map_err(serde::de::Error::custom)
    }

    /// The same for `Option<Decimal>` (`None` is not stored).
    pub mod option {
        use super::*;

        /// Writes the decimal as an exact number, or nothing for `None`.
        pub fn serialize<S: Serializer>(d: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
            match d {
                Some(d) => {
                    s.serialize_some(&Number::try_from(*d).map_err(serde::ser::Error::custom)?)
                }
                None => s.serialize_none(),
            }
        }

        /// Reads an exact number into a decimal, or `None`.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
            match Option::<Number>::deserialize(d)? {
                Some(n) => Decimal::try_from(&n)
                    .map(Some)
                    .map_err(serde::de::Error::custom),
                None => Ok(None),
            }
        }
    }
}
