//! Request bodies as the server reads them: within the body timeout (`ServerLimits`), at
//! most [`MAX_REQUEST_BYTES`] as sent, and, under `Content-Encoding: gzip` or `deflate`, at most
//! [`MAX_REQUEST_BYTES`] once decoded: a body that inflates past it (a zip bomb) is refused as
//! soon as the decoder has produced one byte too many, never held whole.
//!
//! A body over the limit, as sent or decoded, is HTTP 413, as DynamoDB answers a request over its
//! 16 MB: `com.amazon.coral.service#RequestEntityTooLargeException`, and the connection closes
//! (the rest of the body is not read).

use super::error::ApiError;
use bytes::Bytes;
use flate2::read::{DeflateDecoder, MultiGzDecoder, ZlibDecoder};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::HeaderMap;
use std::io::Read;
use std::time::Duration;

/// The largest request body accepted, as sent and once decoded (`Content-Encoding`): DynamoDB's
/// 16 MB (a full BatchWriteItem). Larger is HTTP 413.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

/// A 413 for a body over the limit; `what` says which size.
fn too_large(what: impl std::fmt::Display) -> ApiError {
    ApiError::service(
        "RequestEntityTooLargeException",
        format!("Request entity too large: {what}, over the {MAX_REQUEST_BYTES} bytes a request may hold"),
    )
    .with_status(413)
}

/// Reads `body` whole as sent, within `timeout`. A `Content-Length` over the limit is refused
/// before any of the body is read.
pub(crate) async fn read(
    headers: &HeaderMap,
    body: Incoming,
    timeout: Duration,
) -> Result<Bytes, ApiError> {
    let announced = headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(length) = announced.filter(|l| *l > MAX_REQUEST_BYTES as u64) {
        return Err(too_large(format_args!("a body of {length} bytes")));
    }
    let collected = tokio::time::timeout(timeout, Limited::new(body, MAX_REQUEST_BYTES).collect())
        .await
        .map_err(|_| {
            ApiError::service(
                "RequestTimeoutException",
                format!(
                    "The request body was not received within {} s",
                    timeout.as_secs_f64()
                ),
            )
            .with_status(408)
        })?;
    let body = collected.map_err(|e| {
        if e.downcast_ref::<LengthLimitError>().is_some() {
            too_large("a body of more bytes")
        } else {
            ApiError::serialization(format!("The request body could not be read: {e}"))
        }
    })?;
    Ok(body.to_bytes())
}

/// One `Content-Encoding` the server undoes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Gzip,
    /// HTTP's `deflate`: zlib-wrapped (RFC 1950), or raw deflate (RFC 1951) as some clients send.
    Deflate,
}

/// The codings of `Content-Encoding`, in the order they were applied (`identity` dropped).
fn codings(headers: &HeaderMap) -> Result<Vec<Coding>, ApiError> {
    let mut out = Vec::new();
    for value in headers.get_all(hyper::header::CONTENT_ENCODING) {
        let value = value.to_str().map_err(|_| unsupported("(not text)"))?;
        for token in value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            match token.to_ascii_lowercase().as_str() {
                "identity" => {}
                "gzip" | "x-gzip" => out.push(Coding::Gzip),
                "deflate" => out.push(Coding::Deflate),
                _ => return Err(unsupported(token)),
            }
        }
    }
    Ok(out)
}

fn unsupported(coding: &str) -> ApiError {
    ApiError::serialization(format!(
        "Unsupported Content-Encoding '{coding}': this server decodes gzip and deflate"
    ))
}

/// The body with its `Content-Encoding` undone (the last coding applied first), each step at
/// most [`MAX_REQUEST_BYTES`].
pub(crate) fn decode(headers: &HeaderMap, body: Bytes) -> Result<Bytes, ApiError> {
    let codings = codings(headers)?;
    let mut body = body;
    for coding in codings.into_iter().rev() {
        body = inflate(coding, &body)?;
    }
    Ok(body)
}

fn inflate(coding: Coding, body: &[u8]) -> Result<Bytes, ApiError> {
    let (name, decoded) = match coding {
        Coding::Gzip => ("gzip", read_bounded(MultiGzDecoder::new(body))),
        Coding::Deflate => {
            // zlib's two-byte header: CM = 8 and a multiple of 31; else raw deflate.
            let zlib = body.len() >= 2
                && body[0] & 0x0f == 8
                && (u16::from(body[0]) << 8 | u16::from(body[1])) % 31 == 0;
            let decoded = if zlib {
                read_bounded(ZlibDecoder::new(body))
            } else {
                read_bounded(DeflateDecoder::new(body))
            };
            ("deflate", decoded)
        }
    };
    match decoded {
        Ok(Some(bytes)) => Ok(bytes.into()),
        Ok(None) => Err(too_large(format_args!(
            "a body that decodes ({name}) to more bytes"
        ))),
        Err(e) => Err(ApiError::serialization(format!(
            "The request body is not valid {name} (Content-Encoding: {name}): {e}"
        ))),
    }
}

/// Everything `reader` produces, or `None` past [`MAX_REQUEST_BYTES`] (having read one byte
/// more than that, no further).
fn read_bounded(reader: impl Read) -> std::io::Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    reader
        .take(MAX_REQUEST_BYTES as u64 + 1)
        .read_to_end(&mut out)?;
    Ok((out.len() <= MAX_REQUEST_BYTES).then_some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
    use flate2::Compression;
    use hyper::header::HeaderValue;
    use std::io::Write;

    fn encoded(value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("content-encoding", HeaderValue::from_static(value));
        h
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn gzip_zlib_and_raw_deflate_are_decoded() {
        let json = br#"{"TableName":"t"}"#;
        let mut zlib = ZlibEncoder::new(Vec::new(), Compression::default());
        zlib.write_all(json).unwrap();
        let mut raw = DeflateEncoder::new(Vec::new(), Compression::default());
        raw.write_all(json).unwrap();
        for (coding, body) in [
            ("gzip", gzip(json)),
            ("deflate", zlib.finish().unwrap()),
            ("deflate", raw.finish().unwrap()),
        ] {
            let mut h = HeaderMap::new();
            h.insert("content-encoding", HeaderValue::from_str(coding).unwrap());
            assert_eq!(&decode(&h, body.into()).unwrap()[..], json, "{coding}");
        }
        // Several codings: undone last first; identity is nothing.
        let twice = gzip(&gzip(json));
        let h = encoded("gzip, identity, gzip");
        assert_eq!(&decode(&h, twice.into()).unwrap()[..], json);
        assert_eq!(
            &decode(&HeaderMap::new(), Bytes::from_static(json)).unwrap()[..],
            json
        );
    }

    #[test]
    fn a_zip_bomb_is_refused_at_the_limit() {
        let bomb = gzip(&vec![0u8; MAX_REQUEST_BYTES + 1]);
        assert!(bomb.len() < 64 * 1024, "{}", bomb.len());
        let e = decode(&encoded("gzip"), bomb.into()).unwrap_err();
        assert_eq!((e.status, e.kind), (413, "RequestEntityTooLargeException"));
        // Exactly at the limit: decoded.
        let full = gzip(&vec![b' '; MAX_REQUEST_BYTES]);
        assert_eq!(
            decode(&encoded("gzip"), full.into()).unwrap().len(),
            MAX_REQUEST_BYTES
        );
    }

    #[test]
    fn broken_or_unknown_encodings_are_named() {
        let e = decode(&encoded("gzip"), Bytes::from_static(b"{}")).unwrap_err();
        assert_eq!((e.status, e.kind), (400, "SerializationException"));
        assert!(e.message.contains("not valid gzip"), "{}", e.message);
        let e = decode(&encoded("br"), Bytes::from_static(b"{}")).unwrap_err();
        assert!(e.message.contains("'br'"), "{}", e.message);
        let mut truncated = gzip(b"{\"TableName\":\"t\"}");
        truncated.truncate(truncated.len() - 6);
        assert!(decode(&encoded("gzip"), truncated.into()).is_err());
    }
}
