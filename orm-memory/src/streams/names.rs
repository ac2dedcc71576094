//! The names DynamoDB Streams gives things, written and read back: stream labels and ARNs,
//! shard ids, sequence numbers and event ids.
//!
//! - A stream's label is the UTC time it was enabled, to the millisecond
//!   (`2024-01-31T12:34:56.789`), and its ARN
//!   `arn:aws:dynamodb:<region>:000000000000:table/<table>/stream/<label>` (the account is
//!   DynamoDB Local's). The engine knows a stream by its table and label; the region is the
//!   caller's (any region reads any stream).
//! - A shard id is `shardId-<creation time in ms, 20 digits>-<8 hex digits>` (DynamoDB's shape).
//! - A sequence number is 21 digits, zero-padded (DynamoDB Local's shape; DynamoDB's are 21 to
//!   40 digits), from one counter per backend: increasing in commit order, unique across tables.

use crate::fields;

/// The account id in every ARN, as DynamoDB Local's.
pub(crate) const ACCOUNT: &str = "000000000000";

/// The region the in-process backend names in ARNs and records (the server names the caller's).
pub(crate) const DEFAULT_REGION: &str = "us-east-1";

/// Digits of a sequence number.
const SEQUENCE_DIGITS: usize = 21;

/// The UTC calendar date and time of `ms` milliseconds after the epoch, as a stream label:
/// `2024-01-31T12:34:56.789` (orm-core's RFC 3339 to the millisecond, without the zone).
pub(crate) fn label(ms: u64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    let mut text = orm_core::timestamp::rfc3339(time);
    text.truncate("2024-01-31T12:34:56.789".len());
    text
}

/// A stream's ARN.
pub(crate) fn stream_arn(region: &str, table: &str, label: &str) -> String {
    format!("arn:aws:dynamodb:{region}:{ACCOUNT}:table/{table}/stream/{label}")
}

/// A DynamoDB ARN taken apart: `arn:<partition>:dynamodb:<region>:<account>:<resource>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DynamoDbArn<'a> {
    /// The region (not checked).
    pub(crate) region: &'a str,
    /// The account id (not checked).
    pub(crate) account: &'a str,
    /// The resource: `table/<name>...`.
    pub(crate) resource: &'a str,
}

/// `arn` taken apart, if it is a DynamoDB ARN of one of AWS's partitions (`aws`, `aws-cn`...).
pub(crate) fn split_arn(arn: &str) -> Option<DynamoDbArn<'_>> {
    let [Some("arn"), Some(partition), Some("dynamodb"), Some(region), Some(account), Some(resource)] =
        fields(arn.splitn(6, ':'))
    else {
        return None;
    };
    partition.starts_with("aws").then_some(DynamoDbArn {
        region,
        account,
        resource,
    })
}

/// The table and label a stream ARN names, or `None` if it is not one of this engine's stream
/// ARNs (another account, another service, another shape).
pub(crate) fn parse_stream_arn(arn: &str) -> Option<(&str, &str)> {
    let arn = split_arn(arn).filter(|a| a.account == ACCOUNT)?;
    let (table, label) = arn
        .resource
        .strip_prefix("table/")?
        .split_once("/stream/")?;
    let plausible = |s: &str| !s.is_empty() && !s.contains(['/', '|']);
    (plausible(table) && plausible(label)).then_some((table, label))
}

/// A shard id created at `ms` with `salt`'s 32 low bits.
pub(crate) fn shard_id(ms: u64, salt: u64) -> String {
    format!("shardId-{ms:020}-{:08x}", salt & 0xffff_ffff)
}

/// A sequence number's text (written by hand: a stream read writes one per record).
pub(crate) fn sequence_number(n: u64) -> String {
    let mut digits = [b'0'; SEQUENCE_DIGITS];
    let mut rest = n;
    for digit in digits.iter_mut().rev() {
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    debug_assert_eq!(rest, 0, "u64 has at most 20 digits");
    digits.iter().map(|&d| char::from(d)).collect()
}

/// The value of a sequence number's text (checked to be digits by the request's `validate`);
/// numbers beyond `u64` are `u64::MAX`, after every record.
pub(crate) fn parse_sequence_number(text: &str) -> u64 {
    let digits = text.trim_start_matches('0');
    if digits.is_empty() {
        return 0;
    }
    digits.parse().unwrap_or(u64::MAX)
}

/// A record's event id: 32 hex digits, unique per record (its sequence number, mixed with the
/// backend's salt so that ids look like DynamoDB's hashes and differ between backends).
pub(crate) fn event_id(salt: u64, sequence: u64) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let high = mix(salt ^ sequence);
    let low = mix(high ^ sequence.rotate_left(32));
    let mut id = String::with_capacity(32);
    for half in [high, low] {
        for shift in (0..16).rev() {
            id.push(char::from(HEX[(half >> (shift * 4)) as usize & 0xf]));
        }
    }
    id
}

/// splitmix64's finaliser: a bijection of `u64` that scatters every input bit.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_utc_to_the_millisecond() {
        assert_eq!(label(0), "1970-01-01T00:00:00.000");
        // 2026-12-07T08:36:05.888Z, a label DynamoDB Local wrote.
        assert_eq!(label(1_796_632_565_888), "2026-12-07T08:36:05.888");
        assert_eq!(label(951_782_400_000), "2000-02-29T00:00:00.000");
    }

    #[test]
    fn arns_round_trip_and_strangers_are_refused() {
        let arn = stream_arn("eu-west-1", "app", "2026-12-07T08:36:05.888");
        assert_eq!(
            arn,
            "arn:aws:dynamodb:eu-west-1:000000000000:table/app/stream/2026-12-07T08:36:05.888"
        );
        assert_eq!(
            parse_stream_arn(&arn),
            Some(("app", "2026-12-07T08:36:05.888"))
        );
        for bad in [
            "",
            "garbage",
            "arn:aws:dynamodb:us-east-1:000000000000:table/app",
            "arn:aws:dynamodb:us-east-1:123456789012:table/app/stream/x",
            "arn:aws:s3:us-east-1:000000000000:table/app/stream/x",
            "arn:aws:dynamodb:us-east-1:000000000000:table//stream/x",
            "arn:aws:dynamodb:us-east-1:000000000000:table/app/stream/",
        ] {
            assert_eq!(parse_stream_arn(bad), None, "{bad}");
        }
    }

    #[test]
    fn ids_have_dynamodb_s_shapes() {
        let shard = shard_id(1_796_632_565_919, 0xe2f5_16eb);
        assert_eq!(shard, "shardId-00000001796632565919-e2f516eb");
        assert!((28..=65).contains(&shard.len()));
        assert_eq!(sequence_number(1), "000000000000000000001");
        assert_eq!(parse_sequence_number("000000000000000000001"), 1);
        assert_eq!(parse_sequence_number(&"0".repeat(21)), 0);
        assert_eq!(parse_sequence_number(&"9".repeat(40)), u64::MAX);
        assert_eq!(sequence_number(u64::MAX), format!("{:021}", u64::MAX));
        assert_eq!(
            parse_sequence_number(&sequence_number(1_234_567)),
            1_234_567
        );
        let mixed = (mix(7 ^ 3), mix(mix(7 ^ 3) ^ 3u64.rotate_left(32)));
        assert_eq!(event_id(7, 3), format!("{:016x}{:016x}", mixed.0, mixed.1));
        let a = event_id(7, 1);
        assert_eq!(a.len(), 32);
        assert_ne!(a, event_id(7, 2));
        assert_ne!(a, event_id(8, 1));
    }
}
