//! `bigdecimal::BigDecimal` (feature `bigdecimal`): exact conversions to and from [`Number`], and
//! a serde helper that stores a `BigDecimal` as an exact DynamoDB `N`.
//!
//! A `BigDecimal` holds any number of digits; a DynamoDB number at most 38 significant digits
//! and a magnitude from 1e-130 to below 1e126. So:
//! - [`Number`] -> `BigDecimal` always succeeds, exactly;
//! - `BigDecimal` -> [`Number`] fails with [`NumberError::TooManyDigits`] or
//!   [`NumberError::OutOfRange`] beyond that. It never rounds: round explicitly first
//!   (`BigDecimal::with_prec(38)`) if that is what you want.
//!
//! ```
//! use bigdecimal::BigDecimal;
//! use orm_core::{from_item, to_item, Number, Value};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! struct Balance {
//!     #[serde(with = "orm_core::types::bigdecimal::number")]
//!     amount: BigDecimal,
//! }
//!
//! let digits38 = "1234567890123456789012345678.9012345678";
//! let b = Balance { amount: digits38.parse().unwrap() };
//! let item = to_item(&b).unwrap();
//! assert_eq!(item.get("amount"), Some(&Value::N(Number::parse(digits38).unwrap())));
//! assert_eq!(from_item::<Balance>(item).unwrap(), b);
//!
//! let digits39: BigDecimal = "1.23456789012345678901234567890123456789".parse().unwrap();
//! assert!(Number::try_from(&digits39).is_err()); // an error, never rounded
//! ```

use crate::number::{Number, NumberError};
use bigdecimal::BigDecimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::str::FromStr;

impl TryFrom<&BigDecimal> for Number {
    type Error = NumberError;
    /// Exact, or an error beyond 38 significant digits or DynamoDB's range.
    fn try_from(d: &BigDecimal) -> Result<Number, NumberError> {
        // Scientific notation keeps huge and tiny values short; Number parses it exactly.
        let (digits, scale) = d.as_bigint_and_exponent();
        Number::parse(&format!("{digits}e{}", -scale))
    }
}

impl TryFrom<BigDecimal> for Number {
    type Error = NumberError;
    fn try_from(d: BigDecimal) -> Result<Number, NumberError> {
        Number::try_from(&d)
    }
}

impl From<&Number> for BigDecimal {
    /// Always exact.
    fn from(n: &Number) -> BigDecimal {
        BigDecimal::from_str(n.as_str()).expect("a Number's text is a valid decimal")
    }
}

impl From<Number> for BigDecimal {
    fn from(n: Number) -> BigDecimal {
        BigDecimal::from(&n)
    }
}

/// Serde helper: a `BigDecimal` stored as an exact `N`. Use as
/// `#[serde(with = "orm_core::types::bigdecimal::number")]`; writing a value DynamoDB cannot
/// hold (39+ digits, out of range) is an error naming the field.
pub mod number {
    use super::*;

    /// Writes the decimal as an exact number.
    pub fn serialize<S: Serializer>(d: &BigDecimal, s: S) -> Result<S::Ok, S::Error> {
        Number::try_from(d)
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }

    /// Reads an exact number.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BigDecimal, D::Error> {
        Number::deserialize(d).map(BigDecimal::from)
    }

    /// The same for `Option<BigDecimal>` (`None` is not stored).
    pub mod option {
        use super::*;

        /// Writes the decimal as an exact number, or nothing for `None`.
        pub fn serialize<S: Serializer>(d: &Option<BigDecimal>, s: S) -> Result<S::Ok, S::Error> {
            match d {
                Some(d) => {
                    s.serialize_some(&Number::try_from(d).map_err(serde::ser::Error::custom)?)
                }
                None => s.serialize_none(),
            }
        }

        /// Reads an exact number, or `None`.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<BigDecimal>, D::Error> {
            Ok(Option::<Number>::deserialize(d)?.map(BigDecimal::from))
        }
    }
}
