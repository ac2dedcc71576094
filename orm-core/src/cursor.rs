//! Opaque pagination cursors.
//!
//! A [`Cursor`] is a base64url token (URL-safe, no padding) that carries where a query stopped
//! (the key of the last item returned) and is bound to the query it came from: its entities,
//! index, key condition and filter. Handing it to another query is [`Error::InvalidCursor`].
//!
//! # What a cursor reveals
//!
//! - **Without a cursor secret** (the default), a cursor is the last item's key in plain text,
//!   base64url-encoded: anyone holding it can decode the key attribute names and values (a
//!   tenant id, a user id, a timestamp in a sort key) and the query's fingerprint. Its bytes can
//!   be changed into another key of the same query.
//! - **With a cursor secret** ([`Table::with_cursor_secret`]), a cursor is sealed with
//!   AES-256-GCM-SIV: the key is encrypted (nothing of it can be read) and authenticated
//!   together with the query's fingerprint, so a changed byte, another secret or another query
//!   (another filter included) is [`Error::InvalidCursor`]. A random 12-byte nonce makes two
//!   cursors of the same key differ (and GCM-SIV stays safe should two nonces ever repeat: it
//!   would only show that two cursors hold the same key). Only its length says anything: about
//!   the key's length.
//!
//! Secrets rotate: the current secret seals, and it and the previous ones
//! ([`Table::with_previous_cursor_secrets`]) open, so cursors handed out before a rotation keep
//! working until the old secret is dropped. A table can require a secret
//! ([`TableConfig::require_cursor_secret`]): then a plain cursor is refused, and a query with no
//! secret configured fails rather than hand one out.
//!
//! # Token layout
//!
//! - Version 1, plain (no secret): `1, flags = 0, fingerprint:[u8; 8], key`.
//! - Version 2, sealed: `2, nonce:[u8; 12], AES-256-GCM-SIV(key)` with the 16-byte tag, the
//!   associated data being `2, fingerprint`; the AEAD key is HMAC-SHA256(secret,
//!   `"orm-core cursor v2"`).
//!
//! `key` is `count:u8` then per attribute `name_len:u16, name, type:u8, len:u16, bytes`.
//!
//! Version 1 also had a signed form (flag 1, an HMAC-SHA256 tag after the key; readable, not
//! bound to the filter), which this version no longer issues. Such a cursor is refused with an
//! `InvalidCursor` naming version 1: a listing in progress when the table upgrades starts again
//! from its first page.
//!
//! [`Table::with_cursor_secret`]: crate::Table::with_cursor_secret
//! [`Table::with_previous_cursor_secrets`]: crate::Table::with_previous_cursor_secrets
//! [`TableConfig::require_cursor_secret`]: crate::TableConfig::require_cursor_secret

use crate::error::{Error, Result};
use crate::number::Number;
use crate::value::{Item, Value};
use aes_gcm_siv::aead::{Aead, KeyInit, Payload};
use aes_gcm_siv::{Aes256GcmSiv, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// A plain cursor (or, before version 2, a signed one).
const PLAIN: u8 = 1;
/// A sealed (encrypted and authenticated) cursor.
const SEALED: u8 = 2;
/// Version 1's flag of a signed cursor.
const FLAG_SIGNED: u8 = 1;
/// Version 1's HMAC tag after a signed cursor's key.
const MAC_LEN: usize = 32;
/// Version 1's header: version, flags, fingerprint.
const HEADER_LEN: usize = 10;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// What the AEAD key is derived with, from a secret.
const KEY_LABEL: &[u8] = b"orm-core cursor v2";

/// An opaque pagination token: `Display` and `FromStr` (so it travels in URLs), serde as a string.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Cursor {
    token: String,
}

/// The secrets a table's cursors are sealed with: the current one seals, it and the previous
/// ones open. Without any, cursors are plain (see the [module](self) docs for what that
/// reveals); `required` refuses plain cursors. `Debug` shows how many secrets, not them.
#[derive(Clone, Copy, Default)]
pub struct CursorSecrets<'a> {
    current: Option<&'a [u8]>,
    previous: &'a [Vec<u8>],
    required: bool,
}

impl fmt::Debug for CursorSecrets<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CursorSecrets")
            .field("current", &self.current.map(|_| "<secret>"))
            .field("previous", &self.previous.len())
            .field("required", &self.required)
            .finish()
    }
}

impl<'a> CursorSecrets<'a> {
    /// No secret: plain cursors.
    pub const NONE: CursorSecrets<'static> = CursorSecrets {
        current: None,
        previous: &[],
        required: false,
    };

    /// Cursors sealed with `current`.
    pub fn new(current: &'a [u8]) -> Self {
        CursorSecrets {
            current: Some(current),
            ..CursorSecrets::default()
        }
    }

    /// The secrets of a table's configuration (`cursor_secret`, `previous_cursor_secrets`,
    /// `require_cursor_secret`).
    pub fn of(config: &'a crate::table::TableConfig) -> Self {
        CursorSecrets {
            current: config.cursor_secret.as_deref(),
            previous: &config.previous_cursor_secrets,
            required: config.require_cursor_secret,
        }
    }

    /// Also opens cursors sealed with any of `previous` (secrets being rotated out).
    pub fn with_previous(mut self, previous: &'a [Vec<u8>]) -> Self {
        self.previous = previous;
        self
    }

    /// Whether plain cursors are refused (and not issued).
    pub fn required(mut self, required: bool) -> Self {
        self.required = required;
        self
    }

    /// Whether any secret is configured (current or previous).
    fn any(&self) -> bool {
        self.current.is_some() || !self.previous.is_empty()
    }

    /// Every secret that opens, the current one first.
    fn openers(&self) -> impl Iterator<Item = &'a [u8]> {
        self.current
            .into_iter()
            .chain(self.previous.iter().map(Vec::as_slice))
    }
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
    /// Parses a token, checking its structure (not yet its fingerprint or seal, which depend on
    /// the query it is used with).
    fn from_str(s: &str) -> Result<Cursor> {
        let bytes = decode_base64(s)?;
        match bytes.first() {
            Some(&SEALED) => {
                if bytes.len() < 1 + NONCE_LEN + 1 + TAG_LEN {
                    return Err(invalid("truncated cursor"));
                }
            }
            _ => {
                parse_structure(&bytes)?;
            }
        }
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

    /// Encodes a resume key for the query with `fingerprint`: sealed with the current secret,
    /// else plain (an error when `secrets` requires a secret and has none to seal with).
    pub fn encode(fingerprint: [u8; 8], key: &Item, secrets: &CursorSecrets<'_>) -> Result<Cursor> {
        let mut out = Vec::with_capacity(64);
        match secrets.current {
            Some(secret) => {
                let mut plain = Vec::with_capacity(48);
                push_key(&mut plain, key)?;
                let mut nonce = [0u8; NONCE_LEN];
                rand::thread_rng().fill_bytes(&mut nonce);
                let aad = associated_data(fingerprint);
                let sealed = with_aead(secret, |aead| {
                    aead.encrypt(
                        Nonce::from_slice(&nonce),
                        Payload {
                            msg: &plain,
                            aad: &aad,
                        },
                    )
                    .map_err(|_| Error::validation("a cursor could not be sealed"))
                })??;
                out.push(SEALED);
                out.extend_from_slice(&nonce);
                out.extend_from_slice(&sealed);
            }
            None if secrets.required => {
                return Err(Error::validation(
                    "this table requires cursor secrets (TableConfig::require_cursor_secret), \
                     but has no current cursor_secret to seal a cursor with",
                ))
            }
            None => {
                out.push(PLAIN);
                out.push(0);
                out.extend_from_slice(&fingerprint);
                push_key(&mut out, key)?;
            }
        }
        Ok(Cursor {
            token: URL_SAFE_NO_PAD.encode(out),
        })
    }

    /// Decodes the resume key, checking that the cursor belongs to the query with `fingerprint`
    /// and is sealed with one of `secrets` (or plain, when the table has none).
    pub fn decode(&self, fingerprint: [u8; 8], secrets: &CursorSecrets<'_>) -> Result<Item> {
        let bytes = decode_base64(&self.token)?;
        match bytes.first() {
            Some(&SEALED) => open(&bytes, fingerprint, secrets),
            _ => {
                let parsed = parse_structure(&bytes)?;
                if parsed.signed {
                    return Err(invalid(if secrets.any() {
                        "cursor version 1 (signed, not encrypted) is no longer accepted: this \
                         table seals cursors (version 2); start the listing again"
                    } else {
                        "cursor version 1 is signed, but this table has no cursor secret"
                    }));
                }
                if secrets.any() || secrets.required {
                    return Err(invalid(
                        "cursor is plain (not sealed), and this table requires sealed cursors",
                    ));
                }
                if parsed.fingerprint != fingerprint {
                    return Err(invalid(
                        "cursor belongs to another query (entity, index, key condition or \
                         filter differ)",
                    ));
                }
                Ok(parsed.key)
            }
        }
    }
}

/// What a sealed cursor authenticates besides its key: the version and the query's fingerprint.
fn associated_data(fingerprint: [u8; 8]) -> [u8; 9] {
    let mut aad = [SEALED; 9];
    aad[1..].copy_from_slice(&fingerprint);
    aad
}

/// Runs `f` with the AEAD keyed with HMAC-SHA256(secret, label). The keyed AEADs of the last
/// few secrets are kept per thread, so a page pays the key derivation and AES key schedule once
/// per secret, not once per cursor.
fn with_aead<R>(secret: &[u8], f: impl FnOnce(&Aes256GcmSiv) -> R) -> Result<R> {
    if secret.is_empty() {
        return Err(Error::validation("a cursor secret must not be empty"));
    }
    /// How many secrets a thread keeps keyed: a current one and a few being rotated out.
    const KEPT: usize = 4;
    thread_local! {
        static KEYED: std::cell::RefCell<Vec<(Vec<u8>, Aes256GcmSiv)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    KEYED.with(|keyed| {
        let mut keyed = keyed.borrow_mut();
        let at = match keyed.iter().position(|(s, _)| s.as_slice() == secret) {
            Some(at) => at,
            None => {
                let key = mac(secret, KEY_LABEL);
                if keyed.len() == KEPT {
                    keyed.remove(0);
                }
                keyed.push((secret.to_vec(), Aes256GcmSiv::new((&key).into())));
                keyed.len() - 1
            }
        };
        Ok(f(&keyed[at].1))
    })
}

/// Opens a sealed cursor with the first secret that can.
fn open(bytes: &[u8], fingerprint: [u8; 8], secrets: &CursorSecrets<'_>) -> Result<Item> {
    if !secrets.any() {
        return Err(invalid(
            "cursor is sealed (version 2), but this table has no cursor secret",
        ));
    }
    let nonce = bytes
        .get(1..1 + NONCE_LEN)
        .ok_or_else(|| invalid("truncated cursor"))?;
    let sealed = &bytes[1 + NONCE_LEN..];
    let aad = associated_data(fingerprint);
    for secret in secrets.openers() {
        let payload = Payload {
            msg: sealed,
            aad: &aad,
        };
        let Ok(Ok(plain)) = with_aead(secret, |aead| {
            aead.decrypt(Nonce::from_slice(nonce), payload)
        }) else {
            continue;
        };
        let (key, end) = parse_key(&plain, 0)?;
        if end != plain.len() {
            return Err(invalid("trailing bytes"));
        }
        return Ok(key);
    }
    Err(invalid(
        "cursor does not open with this table's cursor secrets: it was changed, sealed with \
         another secret, or belongs to another query (entity, index, key condition or filter \
         differ)",
    ))
}

/// Appends `key` as `count:u8` then its attributes.
fn push_key(out: &mut Vec<u8>, key: &Item) -> Result<()> {
    let count = u8::try_from(key.len())
        .map_err(|_| Error::validation("a cursor key has at most 255 attributes"))?;
    out.push(count);
    for (name, value) in key.iter() {
        push_bytes(out, name.as_bytes())?;
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
        push_bytes(out, bytes)?;
    }
    Ok(())
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

/// A version 1 token: header, key, and (signed) the tag.
fn parse_structure(bytes: &[u8]) -> Result<Parsed> {
    let truncated = || invalid("truncated cursor");
    if bytes.len() < HEADER_LEN + 1 {
        return Err(truncated());
    }
    if bytes[0] != PLAIN {
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
    let (key, pos) = parse_key(body, HEADER_LEN)?;
    if pos != body.len() {
        return Err(invalid("trailing bytes"));
    }
    Ok(Parsed {
        signed,
        fingerprint,
        key,
    })
}

/// A key (`count:u8`, then its attributes) starting at `pos`; returns it and where it ends.
fn parse_key(body: &[u8], mut pos: usize) -> Result<(Item, usize)> {
    let truncated = || invalid("truncated cursor");
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
    Ok((key, pos))
}

/// A fingerprint of a query's identity, which cursors are bound to.
#[derive(Debug, Clone)]
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

    fn fp() -> [u8; 8] {
        Fingerprint::new().part("e", b"Todo").finish()
    }

    const NONE: CursorSecrets<'static> = CursorSecrets::NONE;

    fn bytes_of(c: &Cursor) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(c.as_str()).unwrap()
    }

    #[test]
    fn round_trips_plain_and_sealed() {
        let c = Cursor::encode(fp(), &key(), &NONE).unwrap();
        let parsed: Cursor = c.to_string().parse().unwrap();
        assert_eq!(parsed.decode(fp(), &NONE).unwrap(), key());
        let secrets = CursorSecrets::new(b"secret");
        let s = Cursor::encode(fp(), &key(), &secrets).unwrap();
        let parsed: Cursor = s.to_string().parse().unwrap();
        assert_eq!(parsed.decode(fp(), &secrets).unwrap(), key());
        assert_eq!(bytes_of(&s)[0], SEALED);
        // Plain and sealed do not mix.
        assert!(s.decode(fp(), &NONE).is_err());
        assert!(c.decode(fp(), &secrets).is_err());
    }

    #[test]
    fn a_plain_cursor_is_the_key_in_clear_and_a_sealed_one_hides_it() {
        let plain = bytes_of(&Cursor::encode(fp(), &key(), &NONE).unwrap());
        assert!(
            plain.windows(10).any(|w| w == b"USER#alice"),
            "a plain cursor shows the key"
        );
        let secrets = CursorSecrets::new(b"secret");
        let a = Cursor::encode(fp(), &key(), &secrets).unwrap();
        let b = Cursor::encode(fp(), &key(), &secrets).unwrap();
        assert_ne!(a, b, "a fresh nonce each time");
        for sealed in [bytes_of(&a), bytes_of(&b)] {
            for needle in [&b"alice"[..], b"USER", b"TODO", b"pk", b"-1.5", &fp()[..]] {
                assert!(
                    !sealed.windows(needle.len()).any(|w| w == needle),
                    "the sealed cursor shows {needle:?}"
                );
            }
        }
    }

    #[test]
    fn rejects_other_queries_and_garbage() {
        let other = Fingerprint::new().part("e", b"User").finish();
        let c = Cursor::encode(fp(), &key(), &NONE).unwrap();
        assert!(matches!(
            c.decode(other, &NONE),
            Err(Error::InvalidCursor { .. })
        ));
        let secrets = CursorSecrets::new(b"k");
        let s = Cursor::encode(fp(), &key(), &secrets).unwrap();
        let err = s.decode(other, &secrets).unwrap_err().to_string();
        assert!(err.contains("another query"), "{err}");
        for bad in ["", "!!!", "AAAA", "Ag", &c.as_str()[..c.as_str().len() - 3]] {
            assert!(bad.parse::<Cursor>().is_err(), "{bad}");
        }
        let unknown = URL_SAFE_NO_PAD.encode([9u8; 40]);
        let err = unknown.parse::<Cursor>().unwrap_err().to_string();
        assert!(err.contains("unknown cursor version 9"), "{err}");
    }

    #[test]
    fn every_single_byte_change_of_a_sealed_cursor_is_rejected() {
        let secrets = CursorSecrets::new(b"k");
        let c = Cursor::encode(fp(), &key(), &secrets).unwrap();
        let bytes = bytes_of(&c);
        for i in 0..bytes.len() {
            for flip in [0x01, 0x80] {
                let mut b = bytes.clone();
                b[i] ^= flip;
                let token = URL_SAFE_NO_PAD.encode(&b);
                let res = token
                    .parse::<Cursor>()
                    .and_then(|c| c.decode(fp(), &secrets));
                assert!(
                    matches!(res, Err(Error::InvalidCursor { .. })),
                    "byte {i} changed but accepted"
                );
            }
        }
        // Cut short or extended.
        for end in 0..bytes.len() {
            let token = URL_SAFE_NO_PAD.encode(&bytes[..end]);
            let res = token
                .parse::<Cursor>()
                .and_then(|c| c.decode(fp(), &secrets));
            assert!(res.is_err(), "cut at {end} accepted");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        let res = URL_SAFE_NO_PAD
            .encode(&longer)
            .parse::<Cursor>()
            .and_then(|c| c.decode(fp(), &secrets));
        assert!(res.is_err());
    }

    #[test]
    fn secrets_rotate_the_current_seals_and_all_open() {
        let old = CursorSecrets::new(b"old secret");
        let sealed_old = Cursor::encode(fp(), &key(), &old).unwrap();
        let previous = vec![b"old secret".to_vec()];
        let rotated = CursorSecrets::new(b"new secret").with_previous(&previous);
        // Cursors handed out before the rotation still open; new ones are sealed with the new.
        assert_eq!(sealed_old.decode(fp(), &rotated).unwrap(), key());
        let sealed_new = Cursor::encode(fp(), &key(), &rotated).unwrap();
        assert_eq!(sealed_new.decode(fp(), &rotated).unwrap(), key());
        assert!(
            sealed_new.decode(fp(), &old).is_err(),
            "the old secret alone cannot open it"
        );
        // The old secret dropped: its cursors no longer open.
        let dropped = CursorSecrets::new(b"new secret");
        let err = sealed_old.decode(fp(), &dropped).unwrap_err().to_string();
        assert!(err.contains("another secret"), "{err}");
        // Another secret altogether.
        assert!(sealed_new
            .decode(fp(), &CursorSecrets::new(b"other"))
            .is_err());
    }

    #[test]
    fn a_required_secret_refuses_plain_cursors() {
        let plain = Cursor::encode(fp(), &key(), &NONE).unwrap();
        let required = CursorSecrets::NONE.required(true);
        assert!(matches!(
            plain.decode(fp(), &required),
            Err(Error::InvalidCursor { .. })
        ));
        let err = Cursor::encode(fp(), &key(), &required).unwrap_err();
        assert!(matches!(err, Error::Validation { .. }), "{err}");
        let sealing = CursorSecrets::new(b"s").required(true);
        let sealed = Cursor::encode(fp(), &key(), &sealing).unwrap();
        assert_eq!(sealed.decode(fp(), &sealing).unwrap(), key());
        assert!(Cursor::encode(fp(), &key(), &CursorSecrets::new(b"")).is_err());
        let debug = format!("{:?}", CursorSecrets::new(b"hunter2"));
        assert!(
            debug.contains("<secret>") && !debug.contains("104"),
            "{debug}"
        );
    }

    #[test]
    fn signed_version_1_cursors_are_refused_naming_the_version() {
        // A signed cursor as version 1 issued it: header (flag 1), key, HMAC tag.
        let mut v1 = vec![PLAIN, FLAG_SIGNED];
        v1.extend_from_slice(&fp());
        push_key(&mut v1, &key()).unwrap();
        let tag = mac(b"secret", &v1);
        v1.extend_from_slice(&tag);
        let cursor: Cursor = URL_SAFE_NO_PAD.encode(&v1).parse().unwrap();
        let err = cursor
            .decode(fp(), &CursorSecrets::new(b"secret"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("version 1"), "{err}");
        let err = cursor.decode(fp(), &NONE).unwrap_err().to_string();
        assert!(err.contains("no cursor secret"), "{err}");
    }

    proptest! {
        #[test]
        fn codec_round_trips(pk in ".{0,40}", sk in proptest::collection::vec(any::<u8>(), 0..40), n in any::<i64>()) {
            let k = Item::new().with("pk", pk).with("sk", sk).with("n", n);
            let fp = [7u8; 8];
            for secrets in [NONE, CursorSecrets::new(b"prop")] {
                let c = Cursor::encode(fp, &k, &secrets).unwrap();
                let back: Cursor = c.to_string().parse().unwrap();
                prop_assert_eq!(back.decode(fp, &secrets).unwrap(), k.clone());
            }
        }

        #[test]
        fn decoding_arbitrary_text_never_panics(s in "[A-Za-z0-9_-]{0,120}") {
            if let Ok(c) = s.parse::<Cursor>() {
                let _ = c.decode([0; 8], &NONE);
                let _ = c.decode([0; 8], &CursorSecrets::new(b"x"));
            }
        }
    }
}
