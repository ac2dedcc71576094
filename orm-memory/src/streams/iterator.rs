//! Shard iterators: opaque, signed, dated positions in a shard.
//!
//! An iterator reads `<stream ARN>|1|<payload>`, DynamoDB's shape, where the payload is the
//! base64url of `<shard id>|<next sequence number>|<issued at, ms>|<tag>`. The tag is a keyed
//! hash (SipHash with a random key per backend) of everything before it, so an iterator that was
//! altered, made up, or issued by another backend (or another process) is refused with
//! DynamoDB's `Invalid ShardIterator` rather than read.

use crate::fields;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

/// A decoded shard iterator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Position {
    /// The stream's ARN, as it was handed out.
    pub(crate) stream_arn: String,
    /// The shard.
    pub(crate) shard_id: String,
    /// The sequence number of the first record to read (records at or after it).
    pub(crate) next: u64,
    /// When the iterator was handed out (the backend clock, in ms).
    pub(crate) issued_ms: u64,
}

/// The version field of the iterators written here.
const VERSION: &str = "1";

fn tag(secret: &RandomState, stream_arn: &str, shard_id: &str, next: u64, issued_ms: u64) -> u64 {
    secret.hash_one((stream_arn, shard_id, next, issued_ms))
}

impl Position {
    /// The iterator's text, signed with `secret`.
    pub(crate) fn encode(&self, secret: &RandomState) -> String {
        let tag = tag(
            secret,
            &self.stream_arn,
            &self.shard_id,
            self.next,
            self.issued_ms,
        );
        let payload = format!(
            "{}|{}|{}|{tag:016x}",
            self.shard_id, self.next, self.issued_ms
        );
        format!(
            "{}|{VERSION}|{}",
            self.stream_arn,
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    /// The position an iterator names, if `secret` signed it.
    pub(crate) fn decode(text: &str, secret: &RandomState) -> Option<Position> {
        let [Some(payload), Some(VERSION), Some(stream_arn)] = fields(text.rsplitn(3, '|')) else {
            return None;
        };
        let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        let [Some(shard_id), Some(next), Some(issued_ms), Some(given), None] =
            fields(payload.split('|'))
        else {
            return None;
        };
        let next: u64 = next.parse().ok()?;
        let issued_ms: u64 = issued_ms.parse().ok()?;
        let given = u64::from_str_radix(given, 16).ok()?;
        (given == tag(secret, stream_arn, shard_id, next, issued_ms)).then(|| Position {
            stream_arn: stream_arn.to_owned(),
            shard_id: shard_id.to_owned(),
            next,
            issued_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position() -> Position {
        Position {
            stream_arn:
                "arn:aws:dynamodb:us-east-1:000000000000:table/app/stream/2026-12-07T08:36:05.888"
                    .into(),
            shard_id: "shardId-00000001796632565919-e2f516eb".into(),
            next: 42,
            issued_ms: 1_796_632_565_919,
        }
    }

    #[test]
    fn iterators_round_trip_with_their_secret_only() {
        let secret = RandomState::new();
        let text = position().encode(&secret);
        assert!(text.starts_with(&format!("{}|1|", position().stream_arn)));
        assert!(text.len() <= 2048);
        assert_eq!(Position::decode(&text, &secret), Some(position()));
        // Another backend's secret: a foreign iterator.
        assert_eq!(Position::decode(&text, &RandomState::new()), None);
    }

    #[test]
    fn altered_or_made_up_iterators_are_refused() {
        let secret = RandomState::new();
        let text = position().encode(&secret);
        let mut moved = position();
        moved.next = 1;
        let (head, _) = text.rsplit_once('|').unwrap();
        let forged_payload = URL_SAFE_NO_PAD.encode(format!(
            "{}|{}|{}|0000000000000000",
            moved.shard_id, moved.next, moved.issued_ms
        ));
        for forged in [
            String::new(),
            "x".repeat(50),
            format!("{head}|{forged_payload}"),
            text.replace("|1|", "|2|"),
            text.replace("table/app", "table/other"),
            format!("{text}A"),
        ] {
            assert_eq!(Position::decode(&forged, &secret), None, "{forged}");
        }
    }
}
