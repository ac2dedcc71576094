//! Opaque pagination cursors.
//!
//! A [`Cursor`] is a base64url token (URL-safe, no padding) that carries where a query stopped
//! (the key of the last item returned) and a fingerprint of the query it came from (entity, index,
//! key condition). Handing it to another query is [`Error::InvalidCursor`]. With a cursor secret on
//! the [`Table`](crate::Table), tokens are signed with HMAC-SHA256 and a token whose bytes were
//! changed, or that is unsigned, is rejected.
//!
//! Token layout (version 1): `version:u8, flags:u8, fingerprint:[u8; 8], key, [mac:[u8; 32]]`,
//! where `key` is `count:u8` then per attribute `name_len:u16, name, type:u8, len:u16, bytes`.

use crate::error::{Error, Result};
use crate::number::Number;
use crate::value::{Item, Value};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

const VERSION: u8 = 1;
const FLAG_SIGNED: u8 = 1;
const MAC_LEN: usize = 32;
const HEADER_LEN: usize = 10;

/// An opaque pagination token: `Display` and `FromStr` (so it travels in URLs), serde as a string.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Cursor {
    token: String,
}

impl fmt::Debug for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cursor({})", self.token)
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.token)
    }
}

impl FromStr for Cursor {
    type Err = Error;
    /// Parses a token, checking its structure (not yet its fingerprint or signature, which
    /// depend on the query it is used with).
    fn from_str(s: &str) -> Result<Cursor> {
        let bytes = decode_base64(s)?;
        parse_structure(&bytes)?;
        Ok(Cursor {
            token: s.to_owned(),
        })
    }
}

impl serde::Serialize for Cursor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.token)
    }
}

impl<'de> serde::Deserialize<'de> for Cursor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Cursor {
    /// The token text.
    pub fn as_str(&self) -> &str {
        &self.token
    }

    /// Encodes a resume key for the query with `fingerprint`, signed when a secret is given.
    pub fn encode(fingerprint: [u8; 8], key: &Item, secret: Option<&[u8]>) -> Result<Cursor> {
        let mut out = Vec::with_capacity(64);
        out.push(VERSION);
        out.push(if secret.is_some() { FLAG_SIGNED } else { 0 });
        out.extend_from_slice(&fingerprint);
        let count = u8::try_from(key.len())
            .map_err(|_| Error::validation("a cursor key has at most 255 attributes"))?;
        out.push(count);
        for (name, value) in key.iter() {
            push_bytes(&mut out, name.as_bytes())?;
            let (tag, bytes): (u8, &[u8]) = match value {
                Value::S(s) => (b'S', s.as_bytes()),
                Value::N(n) => (b'N', n.as_str().as_bytes()),
                Value::B(b) => (b'B', b),
                other => {
                    return Err(Error::validation(format!(
                        "key attribute `{name}` has type {}, not S, N or B",
                        other.value_type()
                    )))
                }
            };
            out.push(tag);
            push_bytes(&mut out, bytes)?;
        }
        if let Some(secret) = secret {
            let mac = mac(secret, &out);
            out.extend_from_slice(&mac);
        }
        Ok(Cursor {
            token: URL_SAFE_NO_PAD.encode(out),
        })
    }

    /// Decodes the resume key, checking that the cursor belongs to the query with `fingerprint`
    /// and, when a secret is given, that it is signed with it.
    pub fn decode(&self, fingerprint: [u8; 8], secret: Option<&[u8]>) -> Result<Item> {
        let bytes = decode_base64(&self.token)?;
        let parsed = parse_structure(&bytes)?;
        match (secret, parsed.signed) {
            (Some(secret), true) => {
                let body = &bytes[..bytes.len() - MAC_LEN];
                let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret)
                    .map_err(|_| invalid("bad secret"))?;
                m.update(body);
                m.verify_slice(&bytes[bytes.len() - MAC_LEN..])
                    .map_err(|_| {
                        invalid("signature does not match (tampered or signed with another secret)")
                    })?;
            }
            (Some(_), false) => {
                return Err(invalid(
                    "cursor is not signed, and this table requires signed cursors",
                ))
            }
            (None, true) => {
                return Err(invalid(
                    "cursor is signed, but this table has no cursor secret",
                ))
            }
            (None, false) => {}
        }
        if parsed.fingerprint != fingerprint {
            return Err(invalid(
                "cursor belongs to another query (entity, index or key condition differ)",
            ));
        }
        Ok(parsed.key)
    }
}

fn invalid(reason: &str) -> Error {
    Error::InvalidCursor {
        reason: reason.to_owned(),
    }
}

fn mac(secret: &[u8], body: &[u8]) -> [u8; MAC_LEN] {
    // HMAC accepts keys of any length; new_from_slice cannot fail for it.
    let mut m = match <Hmac<Sha256> as Mac>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    m.update(body);
    m.finalize().into_bytes().into()
}

fn push_bytes(out: &mut Vec<u8>, bytes: &[u8]) -> Result<()> {
    let len = u16::try_from(bytes.len())
        .map_err(|_| Error::validation("a cursor key value is longer than 65535 bytes"))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

fn decode_base64(s: &str) -> Result<Vec<u8>> {
    if s.is_empty() {
        return Err(invalid("empty cursor"));
    }
    URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| invalid("not a base64url token"))
}

struct Parsed {
    signed: bool,
    fingerprint: [u8; 8],
    key: Item,
}

fn parse_structure(bytes: &[u8]) -> Result<Parsed> {
    let truncated = || invalid("truncated cursor");
    if bytes.len() < HEADER_LEN + 1 {
        return Err(truncated());
    }
    if bytes[0] != VERSION {
        return Err(invalid(&format!("unknown cursor version {}", bytes[0])));
    }
    let flags = bytes[1];
    if flags & !FLAG_SIGNED != 0 {
        return Err(invalid("unknown cursor flags"));
    }
    let signed = flags & FLAG_SIGNED != 0;
    let end = if signed {
        bytes.len().checked_sub(MAC_LEN).ok_or_else(truncated)?
    } else {
        bytes.len()
    };
    let mut fingerprint = [0u8; 8];
    fingerprint.copy_from_slice(&bytes[2..HEADER_LEN]);
    let body = bytes.get(..end).ok_or_else(truncated)?;
    let mut pos = HEADER_LEN;
    let count = *body.get(pos).ok_or_else(truncated)?;
    pos += 1;
    let mut key = Item::new();
    let take = |pos: &mut usize| -> Result<&[u8]> {
        let len_bytes = body.get(*pos..*pos + 2).ok_or_else(truncated)?;
        let len = u16::from_be_bytes([len_bytes[0], len_bytes[1]]) as usize;
        let v = body.get(*pos + 2..*pos + 2 + len).ok_or_else(truncated)?;
        *pos += 2 + len;
        Ok(v)
    };
    for _ in 0..count {
        let name = std::str::from_utf8(take(&mut pos)?)
            .map_err(|_| invalid("attribute name is not UTF-8"))?
            .to_owned();
        let tag = *body.get(pos).ok_or_else(truncated)?;
        pos += 1;
        let raw = take(&mut pos)?;
        let value = match tag {
            b'S' => Value::S(
                std::str::from_utf8(raw)
                    .map_err(|_| invalid("string is not UTF-8"))?
                    .to_owned(),
            ),
            b'N' => Value::N(
                std::str::from_utf8(raw)
                    .ok()
                    .and_then(|s| Number::parse(s).ok())
                    .ok_or_else(|| invalid("bad number"))?,
            ),
            b'B' => Value::B(raw.to_vec()),
            _ => return Err(invalid("unknown value type")),
        };
        if key.insert(name, value).is_some() {
            return Err(invalid("duplicate attribute"));
        }
    }
    if pos != body.len() {
        return Err(invalid("trailing bytes"));
    }
    Ok(Parsed {
        signed,
        fingerprint,
        key,
    })
}

/// A fingerprint of a query's identity, which cursors are bound to.
#[derive(Debug)]
pub struct Fingerprint(Sha256);

impl Default for Fingerprint {
    fn default() -> Self {
        Fingerprint(Sha256::new())
    }
}

impl Fingerprint {
    /// A fresh fingerprint.
    pub fn new() -> Fingerprint {
        Fingerprint::default()
    }

    /// Adds a labelled part (length-prefixed, so parts never run together).
    pub fn part(mut self, label: &str, bytes: &[u8]) -> Fingerprint {
        for p in [label.as_bytes(), bytes] {
            self.0.update((p.len() as u64).to_be_bytes());
            self.0.update(p);
        }
        self
    }

    /// Adds a value, typed.
    pub fn value(self, label: &str, value: &Value) -> Fingerprint {
        let (tag, bytes): (&str, Vec<u8>) = match value {
            Value::S(s) => ("S", s.as_bytes().to_vec()),
            Value::N(n) => ("N", n.as_str().as_bytes().to_vec()),
            Value::B(b) => ("B", b.clone()),
            other => ("?", format!("{other:?}").into_bytes()),
        };
        self.part(label, tag.as_bytes()).part(label, &bytes)
    }

    /// The first 8 bytes of the SHA-256 digest.
    pub fn finish(self) -> [u8; 8] {
        let digest = self.0.finalize();
        let mut out = [0u8; 8];
        out.copy_from_slice(&digest[..8]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key() -> Item {
        Item::new()
            .with("pk", "USER#alice")
            .with("sk", "TODO#0001")
            .with("n", Number::parse("-1.5").unwrap())
            .with("b", vec![0u8, 255])
    }

    #[test]
    fn round_trips_unsigned_and_signed() {
        let fp = Fingerprint::new().part("e", b"Todo").finish();
        let c = Cursor::encode(fp, &key(), None).unwrap();
        let parsed: Cursor = c.to_string().parse().unwrap();
        assert_eq!(parsed.decode(fp, None).unwrap(), key());
        let s = Cursor::encode(fp, &key(), Some(b"secret")).unwrap();
        assert_eq!(s.decode(fp, Some(b"secret")).unwrap(), key());
        assert!(s.decode(fp, Some(b"other")).is_err());
        assert!(s.decode(fp, None).is_err());
        assert!(c.decode(fp, Some(b"secret")).is_err());
    }

    #[test]
    fn rejects_other_queries_and_garbage() {
        let fp = Fingerprint::new().part("e", b"Todo").finish();
        let other = Fingerprint::new().part("e", b"User").finish();
        let c = Cursor::encode(fp, &key(), None).unwrap();
        assert!(matches!(
            c.decode(other, None),
            Err(Error::InvalidCursor { .. })
        ));
        for bad in ["", "!!!", "AAAA", &c.as_str()[..c.as_str().len() - 3]] {
            assert!(bad.parse::<Cursor>().is_err(), "{bad}");
        }
    }

    #[test]
    fn every_single_byte_change_of_a_signed_cursor_is_rejected() {
        let fp = Fingerprint::new().part("e", b"Todo").finish();
        let c = Cursor::encode(fp, &key(), Some(b"k")).unwrap();
        let bytes = URL_SAFE_NO_PAD.decode(c.as_str()).unwrap();
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            let token = URL_SAFE_NO_PAD.encode(&b);
            let res = token
                .parse::<Cursor>()
                .and_then(|c| c.decode(fp, Some(b"k")));
            assert!(res.is_err(), "byte {i} changed but accepted");
        }
    }

    proptest! {
        #[test]
        fn codec_round_trips(pk in ".{0,40}", sk in proptest::collection::vec(any::<u8>(), 0..40), n in any::<i64>()) {
            let k = Item::new().with("pk", pk).with("sk", sk).with("n", n);
            let fp = [7u8; 8];
            let c = Cursor::encode(fp, &k, None).unwrap();
            let back: Cursor = c.to_string().parse().unwrap();
            prop_assert_eq!(back.decode(fp, None).unwrap(), k);
        }

        #[test]
        fn decoding_arbitrary_text_never_panics(s in "[A-Za-z0-9_-]{0,80}") {
            if let Ok(c) = s.parse::<Cursor>() {
                let _ = c.decode([0; 8], None);
            }
        }
    }
}
