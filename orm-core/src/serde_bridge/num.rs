//! `Serialize` and `Deserialize` for [`Number`].
//!
//! A number serializes as a newtype struct with a private magic name wrapping its canonical
//! text (the trick serde_json's `arbitrary_precision` uses). This crate's serializer recognizes
//! the name and stores `N` exactly; every other serializer sees a newtype around a string and,
//! being transparent to newtypes, writes the text: `serde_json` writes `"12.5"` (a JSON string,
//! so that 38-digit values survive JSON parsers that read numbers as `f64`).
//!
//! Deserializing takes `N` exactly from this crate's deserializer, and from other formats any
//! string holding a decimal number, any integer, or any finite float (via its shortest
//! round-trip text).

use super::NUMBER;
use crate::number::Number;
use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};
use std::fmt;

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(NUMBER, self.as_str())
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Number, D::Error> {
        deserializer.deserialize_newtype_struct(NUMBER, NumberVisitor)
    }
}

struct NumberVisitor;

impl<'de> Visitor<'de> for NumberVisitor {
    type Value = Number;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a DynamoDB number (decimal text, an integer or a finite float)")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Number, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Number, E> {
        Number::parse(v).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
        Ok(Number::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
        Ok(Number::from(v))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Number, E> {
        Number::try_from(v).map_err(E::custom)
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Number, E> {
        Number::try_from(v).map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
        Number::from_f64(v).map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_gets_the_text_and_reads_text_or_numbers() {
        let n = Number::parse("12.5").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"12.5\"");
        let back: Number = serde_json::from_str("\"12.5\"").unwrap();
        assert_eq!(back, n);
        let from_float: Number = serde_json::from_str("12.5").unwrap();
        assert_eq!(from_float, n);
        let from_int: Number = serde_json::from_str("-7").unwrap();
        assert_eq!(from_int, Number::from(-7i64));
        let from_big: Number = serde_json::from_str("18446744073709551615").unwrap();
        assert_eq!(from_big, Number::from(u64::MAX));
        assert!(serde_json::from_str::<Number>("\"abc\"").is_err());
        assert!(serde_json::from_str::<Number>("true").is_err());
    }
}
