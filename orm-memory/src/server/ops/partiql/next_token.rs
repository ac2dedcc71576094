//! ExecuteStatement's `NextToken`: where a `SELECT` stopped (which of its partitions, and the
//! last key evaluated there), bound to the statement and parameters it was issued for.

use super::super::super::error::ApiError;
use super::super::super::json::{encode_item, item};
use base64::Engine;
use orm_core::Item;
use serde_json::{json, Value as Json};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Where a read continues.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct Position {
    /// The partition (of the statement's list) to read next; 0 for a Scan.
    pub(super) partition: usize,
    /// The key to continue after in it; `None` to start it.
    pub(super) key: Option<Item>,
}

/// A digest of a statement and its parameters (FNV-1a), so that a token is only taken by the
/// read it came from.
pub(super) fn digest(statement: &str, parameters: Option<&Json>) -> u64 {
    let parameters = parameters.map(Json::to_string).unwrap_or_default();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in statement.bytes().chain([0]).chain(parameters.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The token of `position` for the read with `digest`.
pub(super) fn encode(digest: u64, position: &Position) -> String {
    let mut token = json!({ "v": 1, "d": format!("{digest:016x}"), "p": position.partition });
    if let Some(key) = &position.key {
        token["k"] = encode_item(key);
    }
    B64.encode(token.to_string())
}

fn invalid() -> ApiError {
    ApiError::validation("Invalid NextToken")
}

/// The position `token` holds, when it was issued for the read with `digest`.
pub(super) fn decode(token: &str, digest: u64) -> Result<Position, ApiError> {
    let bytes = B64.decode(token).map_err(|_| invalid())?;
    let token: Json = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if token["v"] != 1 {
        return Err(invalid());
    }
    if token["d"].as_str() != Some(format!("{digest:016x}").as_str()) {
        return Err(ApiError::validation(
            "Invalid NextToken: it was issued for another statement or other parameters",
        ));
    }
    let partition = token["p"]
        .as_u64()
        .and_then(|p| usize::try_from(p).ok())
        .ok_or_else(invalid)?;
    let key = match token.get("k") {
        None => None,
        Some(k) => Some(item(k, "NextToken").map_err(|_| invalid())?),
    };
    Ok(Position { partition, key })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_takes_its_read_back_to_where_it_stopped() {
        let d = digest("SELECT * FROM t", None);
        let at = Position {
            partition: 2,
            key: Some(Item::new().with("pk", "a").with("n", 1)),
        };
        assert_eq!(decode(&encode(d, &at), d).unwrap(), at);
        let start = Position::default();
        assert_eq!(decode(&encode(d, &start), d).unwrap(), start);
        let other = digest("SELECT * FROM t", Some(&json!([{"S": "x"}])));
        assert_ne!(d, other);
        assert!(decode(&encode(d, &at), other)
            .unwrap_err()
            .message
            .contains("another statement"));
        for bad in ["", "garbage", "e30=", &B64.encode("{\"v\":1,\"d\":\"x\"}")] {
            assert!(decode(bad, d).is_err(), "{bad}");
        }
    }
}
