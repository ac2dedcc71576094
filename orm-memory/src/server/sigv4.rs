//! AWS Signature Version 4, verified as DynamoDB verifies it: who may send requests to a server
//! started with `--require-signature` (or [`MemoryServerBuilder::require_signature`]).
//!
//! A request is signed either in its `Authorization` header or in its query string
//! (`X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=...`, a presigned request). The server
//! rebuilds the canonical request (method, URI path, query, the signed headers, the payload hash),
//! the string to sign (algorithm, request date, credential scope `date/region/dynamodb/aws4_request`,
//! the canonical request's hash), derives the signing key from the secret of the access key named
//! in the credential (`AWS4<secret>` -> date -> region -> `dynamodb` -> `aws4_request`) and compares
//! signatures in constant time. It also checks what DynamoDB checks around that:
//! - the request date (`X-Amz-Date`, else `Date`) is within 15 minutes of the server's clock;
//! - a presigned request has not expired (`X-Amz-Expires`, at most 7 days);
//! - the scope's date is the request's date, its service `dynamodb`, its terminator `aws4_request`
//!   (any region is accepted: the server has none of its own);
//! - `host` is among the signed headers;
//! - `x-amz-content-sha256`, when sent, is the hash of the body (it is what the signature covers);
//! - `X-Amz-Security-Token` is the session token configured with the key (and absent when none is).
//!
//! Failures are DynamoDB's errors, all HTTP 400 in the `com.amazon.coral.service` namespace:
//! `MissingAuthenticationTokenException` (no signature at all), `IncompleteSignatureException` (a
//! signature missing parts), `UnrecognizedClientException` (an unknown access key or a wrong
//! session token) and `InvalidSignatureException` (everything else: a wrong secret, a changed
//! request or body, an expired date).
//!
//! [`MemoryServerBuilder::require_signature`]: super::MemoryServerBuilder::require_signature

use super::error::ApiError;
use crate::fields;
use hmac::{Hmac, Mac};
use hyper::HeaderMap;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

type HmacSha256 = Hmac<Sha256>;

/// The only algorithm SigV4 names.
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The service every credential scope must name.
const SERVICE: &str = "dynamodb";
/// The scope's last part.
const TERMINATOR: &str = "aws4_request";
/// How far a request's date may be from the server's clock, either way (DynamoDB's 15 minutes).
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);
/// The longest validity a presigned request may ask for (`X-Amz-Expires`): 7 days.
const MAX_EXPIRES_SECS: u64 = 7 * 24 * 3600;

const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const INVALID_TOKEN: &str = "The security token included in the request is invalid.";
const MISSING_TOKEN: &str = "Request is missing Authentication Token";

/// An access key a server accepts: `KEY:SECRET`, optionally with the session token that
/// temporary credentials carry (`KEY:SECRET:TOKEN`). `Debug` shows the key id only.
///
/// ```
/// use orm_memory::server::Credentials;
///
/// let c: Credentials = "AKIDEXAMPLE:wJalrXUtnFEMI".parse().unwrap();
/// assert_eq!(c.access_key_id(), "AKIDEXAMPLE");
/// assert!(!format!("{c:?}").contains("wJalr"));
/// assert!("no-secret".parse::<Credentials>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

impl Credentials {
    /// Long-term credentials: an access key id and its secret.
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: None,
        }
    }

    /// Temporary credentials: requests must carry this `X-Amz-Security-Token`.
    pub fn with_session_token(mut self, token: impl Into<String>) -> Self {
        self.session_token = Some(token.into());
        self
    }

    /// The access key id.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<secret>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<token>"),
            )
            .finish()
    }
}

impl std::str::FromStr for Credentials {
    type Err = String;

    /// Parses `KEY:SECRET` or `KEY:SECRET:TOKEN` (a key id holds no `:`; a secret neither).
    fn from_str(s: &str) -> Result<Self, String> {
        let mut parts = s.splitn(3, ':');
        let key = parts.next().unwrap_or_default();
        let secret = parts.next().unwrap_or_default();
        let token = parts.next();
        if key.is_empty() || secret.is_empty() || token.is_some_and(str::is_empty) {
            return Err(format!(
                "expected KEY:SECRET or KEY:SECRET:SESSION_TOKEN, got {:?}",
                redact(s)
            ));
        }
        let credentials = Credentials::new(key, secret);
        Ok(match token {
            Some(token) => credentials.with_session_token(token),
            None => credentials,
        })
    }
}

/// `s` with everything after the first `:` hidden (it holds a secret).
fn redact(s: &str) -> String {
    match s.split_once(':') {
        Some((key, _)) => format!("{key}:<hidden>"),
        None => s.to_owned(),
    }
}

/// The access keys a server accepts, by key id.
#[derive(Clone, Default)]
pub(crate) struct Verifier {
    keys: HashMap<String, Credentials>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.keys.values()).finish()
    }
}

/// What of a request the signature covers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SignedRequest<'a> {
    pub(crate) method: &'a str,
    /// The path as sent (still percent-encoded).
    pub(crate) path: &'a str,
    /// The query string as sent, without `?` (empty when none).
    pub(crate) query: &'a str,
    pub(crate) headers: &'a HeaderMap,
    /// The body as sent (before any `Content-Encoding` is undone).
    pub(crate) body: &'a [u8],
}

/// The region a request is signed for, whether or not its signature is checked: the third
/// field of its credential scope (`Authorization: AWS4-HMAC-SHA256
/// Credential=AKID/20240101/eu-west-1/dynamodb/aws4_request, ...`, or a presigned request's
/// `X-Amz-Credential`). `None` for an unsigned request or a region that is not one (the ARNs the
/// server writes carry it, so it must be a plain name).
pub(crate) fn signing_region(headers: &HeaderMap, query: &str) -> Option<String> {
    let from_header = headers
        .get("authorization")
        .and_then(|a| a.to_str().ok())
        .and_then(|a| a.split("Credential=").nth(1))
        .map(str::to_owned);
    let from_query = || {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("X-Amz-Credential="))
            .map(|c| c.replace("%2F", "/").replace("%2f", "/"))
    };
    let credential = from_header.or_else(from_query)?;
    let region = credential.split(['/', ',']).nth(2)?.trim();
    let plain = !region.is_empty()
        && region.len() <= 32
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    plain.then(|| region.to_owned())
}

/// The parts of a signature, from the `Authorization` header or the query string.
#[derive(Debug)]
struct Signature {
    access_key_id: String,
    scope_date: String,
    region: String,
    service: String,
    terminator: String,
    /// `scope_date/region/service/terminator`, as sent.
    scope: String,
    /// Lowercase header names, as listed.
    signed_headers: Vec<String>,
    /// Hex.
    signature: String,
    /// The request date in `X-Amz-Date` form (`YYYYMMDDTHHMMSSZ`).
    date_text: String,
    /// The request date, seconds since the epoch.
    date: u64,
    /// `X-Amz-Expires` of a presigned request.
    expires: Option<u64>,
    /// Whether it came in the query string (whose `X-Amz-Signature` is then left out of the
    /// canonical query).
    presigned: bool,
    session_token: Option<String>,
}

impl Verifier {
    /// Accepts requests signed with any of `keys`.
    pub(crate) fn new(keys: impl IntoIterator<Item = Credentials>) -> Verifier {
        Verifier {
            keys: keys
                .into_iter()
                .map(|c| (c.access_key_id.clone(), c))
                .collect(),
        }
    }

    /// Whether any key is configured (else every request is accepted, as DynamoDB Local does).
    pub(crate) fn is_enabled(&self) -> bool {
        !self.keys.is_empty()
    }

    /// Checks `request`'s signature at time `now`.
    pub(crate) fn verify(
        &self,
        request: &SignedRequest<'_>,
        now: SystemTime,
    ) -> Result<(), ApiError> {
        let signature = parse(request)?;
        let Some(credentials) = self.keys.get(&signature.access_key_id) else {
            return Err(unrecognized());
        };
        if signature.session_token.as_deref() != credentials.session_token.as_deref() {
            return Err(unrecognized());
        }
        check_date(&signature, now)?;
        check_scope(&signature)?;
        if !signature.signed_headers.iter().any(|h| h == "host") {
            return Err(invalid(
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
            ));
        }
        let payload_hash = payload_hash(request)?;
        let canonical = canonical_request(request, &signature, &payload_hash);
        let string_to_sign = format!(
            "{ALGORITHM}\n{}\n{}\n{}",
            signature.date_text,
            signature.scope,
            hex(&Sha256::digest(canonical.as_bytes()))
        );
        let key = signing_key(
            &credentials.secret_access_key,
            &signature.scope_date,
            &signature.region,
            &signature.service,
        );
        let provided = unhex(&signature.signature).ok_or_else(|| invalid(SIGNATURE_MISMATCH))?;
        let mut mac = hmac(&key);
        mac.update(string_to_sign.as_bytes());
        mac.verify_slice(&provided)
            .map_err(|_| invalid(SIGNATURE_MISMATCH))
    }
}

/// One request and the keys to check it against, prepared outside a server so that only the
/// verification is timed: what the signature benchmark measures. Not a stable API.
#[doc(hidden)]
#[derive(Debug)]
pub struct PreparedSignatureCheck {
    verifier: Verifier,
    method: String,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl PreparedSignatureCheck {
    /// `headers` are the request's (name, value) pairs.
    pub fn new(
        keys: &[Credentials],
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Self, String> {
        let mut map = HeaderMap::with_capacity(headers.len());
        for (name, value) in headers {
            let name = hyper::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| format!("header name {name:?}: {e}"))?;
            let value = hyper::header::HeaderValue::from_str(value)
                .map_err(|e| format!("header value {value:?}: {e}"))?;
            map.append(name, value);
        }
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        Ok(PreparedSignatureCheck {
            verifier: Verifier::new(keys.iter().cloned()),
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers: map,
            body: body.to_vec(),
        })
    }

    /// Verifies at `now`; the error is the answer's `__type` and message.
    pub fn verify(&self, now: SystemTime) -> Result<(), String> {
        let request = SignedRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        };
        self.verifier
            .verify(&request, now)
            .map_err(|e| format!("{}{}: {}", e.namespace, e.kind, e.message))
    }
}

fn unrecognized() -> ApiError {
    ApiError::service("UnrecognizedClientException", INVALID_TOKEN)
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::service("InvalidSignatureException", message)
}

fn incomplete(message: impl Into<String>) -> ApiError {
    ApiError::service("IncompleteSignatureException", message)
}

fn missing_token() -> ApiError {
    ApiError::service("MissingAuthenticationTokenException", MISSING_TOKEN)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The query's `name=value` pairs, percent-decoded (`None` for a pair that is not valid
/// percent-encoding).
fn query_pairs(query: &str) -> impl Iterator<Item = Option<(String, String)>> + '_ {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        Some((percent_decode(k)?, percent_decode(v)?))
    })
}

/// The value of query parameter `name` (percent-decoded), if present.
fn query_param(query: &str, name: &str) -> Option<String> {
    query_pairs(query)
        .flatten()
        .find_map(|(k, v)| (k == name).then_some(v))
}

/// Reads the signature's parts from the header or the query string.
fn parse(request: &SignedRequest<'_>) -> Result<Signature, ApiError> {
    let authorization = header(request.headers, "authorization");
    let presigned = query_param(request.query, "X-Amz-Algorithm").is_some();
    match (authorization, presigned) {
        (Some(_), true) => Err(invalid(
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
        )),
        (Some(auth), false) => parse_header(request, auth),
        (None, true) => parse_query(request),
        (None, false) => Err(missing_token()),
    }
}

/// `AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex`.
fn parse_header(request: &SignedRequest<'_>, auth: &str) -> Result<Signature, ApiError> {
    let Some(rest) = auth.strip_prefix(ALGORITHM) else {
        return Err(missing_token());
    };
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split([',', ' ']).filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed_headers = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => {}
        }
    }
    let amz_date = header(request.headers, "x-amz-date");
    let http_date = header(request.headers, "date");
    let mut missing = Vec::new();
    if credential.is_none() {
        missing.push("Authorization header requires 'Credential' parameter.".to_owned());
    }
    if signature.is_none() {
        missing.push("Authorization header requires 'Signature' parameter.".to_owned());
    }
    if signed_headers.is_none() {
        missing.push("Authorization header requires 'SignedHeaders' parameter.".to_owned());
    }
    if amz_date.is_none() && http_date.is_none() {
        missing.push(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                .to_owned(),
        );
    }
    let (Some(credential), Some(signed_headers), Some(signature), true) =
        (credential, signed_headers, signature, missing.is_empty())
    else {
        missing.push(format!("Authorization={auth}"));
        return Err(incomplete(missing.join(" ")));
    };
    let (date_text, date) = match amz_date {
        Some(d) => (d.to_owned(), parse_amz_date(d).ok_or_else(|| bad_date(d))?),
        None => {
            let d = http_date.unwrap_or_default();
            let secs = parse_http_date(d).ok_or_else(|| bad_date(d))?;
            (format_amz_date(secs), secs)
        }
    };
    let parts = Parts {
        credential,
        signed_headers,
        signature,
        date_text,
        date,
        expires: None,
        presigned: false,
        session_token: header(request.headers, "x-amz-security-token").map(str::to_owned),
    };
    parts.into_signature()
}

fn bad_date(d: &str) -> ApiError {
    incomplete(format!(
        "Date must be in ISO-8601 'basic format'. Got '{d}'. See http://en.wikipedia.org/wiki/ISO_8601"
    ))
}

/// A presigned request: `X-Amz-Algorithm`, `-Credential`, `-Date`, `-SignedHeaders`,
/// `-Signature`, optionally `-Expires` and `-Security-Token`, in the query string.
fn parse_query(request: &SignedRequest<'_>) -> Result<Signature, ApiError> {
    let param = |name: &str| query_param(request.query, name);
    let algorithm = param("X-Amz-Algorithm").unwrap_or_default();
    let mut missing = Vec::new();
    if algorithm.is_empty() {
        missing.push("'X-Amz-Algorithm'");
    }
    let (credential, signature, signed_headers, date_text) = (
        param("X-Amz-Credential"),
        param("X-Amz-Signature"),
        param("X-Amz-SignedHeaders"),
        param("X-Amz-Date"),
    );
    for (value, label) in [
        (&credential, "'X-Amz-Credential'"),
        (&signature, "'X-Amz-Signature'"),
        (&signed_headers, "'X-Amz-SignedHeaders'"),
        (&date_text, "'X-Amz-Date'"),
    ] {
        if value.is_none() {
            missing.push(label);
        }
    }
    let (Some(credential), Some(signature), Some(signed_headers), Some(date_text), true) = (
        credential,
        signature,
        signed_headers,
        date_text,
        missing.is_empty(),
    ) else {
        let parts: String = missing
            .iter()
            .map(|p| format!("AWS query-string parameters must include {p}. "))
            .collect();
        return Err(incomplete(format!(
            "{parts}Re-examine the query-string parameters."
        )));
    };
    if algorithm != ALGORITHM {
        return Err(incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'"
        )));
    }
    let date = parse_amz_date(&date_text).ok_or_else(|| bad_date(&date_text))?;
    let expires = match param("X-Amz-Expires") {
        None => None,
        Some(e) => Some(
            e.parse::<u64>()
                .ok()
                .filter(|e| *e <= MAX_EXPIRES_SECS)
                .ok_or_else(|| {
                    invalid(format!(
                        "X-Amz-Expires must be a number of seconds from 0 to {MAX_EXPIRES_SECS}, got '{e}'"
                    ))
                })?,
        ),
    };
    let parts = Parts {
        credential: &credential,
        signed_headers: &signed_headers,
        signature: &signature,
        date_text,
        date,
        expires,
        presigned: true,
        session_token: param("X-Amz-Security-Token"),
    };
    parts.into_signature()
}

/// A signature's parts as read, before the credential is split.
struct Parts<'a> {
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
    date_text: String,
    date: u64,
    expires: Option<u64>,
    presigned: bool,
    session_token: Option<String>,
}

impl Parts<'_> {
    /// Splits `KEY/DATE/REGION/SERVICE/TERMINATOR`.
    fn into_signature(self) -> Result<Signature, ApiError> {
        let [Some(key), Some(date), Some(region), Some(service), Some(terminator)] =
            fields(self.credential.splitn(5, '/'))
        else {
            return Err(incomplete(format!(
                "Credential should be scoped to a valid region, and a service, and end with 'aws4_request'. Got '{}'.",
                self.credential
            )));
        };
        if key.is_empty() {
            return Err(incomplete("Credential should name an access key id."));
        }
        Ok(Signature {
            access_key_id: key.to_owned(),
            scope_date: date.to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
            terminator: terminator.to_owned(),
            scope: self.credential[key.len() + 1..].to_owned(),
            signed_headers: self
                .signed_headers
                .split(';')
                .map(str::to_ascii_lowercase)
                .collect(),
            signature: self.signature.to_owned(),
            date_text: self.date_text,
            date: self.date,
            expires: self.expires,
            presigned: self.presigned,
            session_token: self.session_token,
        })
    }
}

/// The scope's date, service and terminator.
fn check_scope(s: &Signature) -> Result<(), ApiError> {
    if s.service != SERVICE {
        return Err(invalid(format!(
            "Credential should be scoped to correct service: '{SERVICE}'. "
        )));
    }
    if s.terminator != TERMINATOR {
        return Err(invalid(format!(
            "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{}'.",
            s.terminator
        )));
    }
    if s.region.is_empty() {
        return Err(invalid("Credential should be scoped to a valid region. "));
    }
    let request_day = s.date_text.get(..8).unwrap_or_default();
    if s.scope_date != request_day {
        return Err(invalid(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{request_day}', from '{}'.",
            s.scope_date, s.date_text
        )));
    }
    Ok(())
}

/// The request date within [`MAX_CLOCK_SKEW`] of `now` (a presigned request: not expired).
fn check_date(s: &Signature, now: SystemTime) -> Result<(), ApiError> {
    let now = now
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    let skew = MAX_CLOCK_SKEW.as_secs();
    if let Some(expires) = s.expires {
        if now > s.date.saturating_add(expires) {
            return Err(invalid(format!(
                "Signature expired: {} is now earlier than {} ({} - {expires} sec.)",
                format_amz_date(s.date + expires),
                format_amz_date(now),
                format_amz_date(now)
            )));
        }
    } else if s.date + skew < now {
        return Err(invalid(format!(
            "Signature expired: {} is now earlier than {} ({} - 15 min.)",
            s.date_text,
            format_amz_date(now - skew),
            format_amz_date(now)
        )));
    }
    if s.date > now + skew {
        return Err(invalid(format!(
            "Signature not yet current: {} is still later than {} ({} + 15 min.)",
            s.date_text,
            format_amz_date(now + skew),
            format_amz_date(now)
        )));
    }
    Ok(())
}

/// The payload hash the canonical request ends with: `x-amz-content-sha256` when sent (checked
/// against the body), else the body's hash.
fn payload_hash(request: &SignedRequest<'_>) -> Result<String, ApiError> {
    let computed = hex(&Sha256::digest(request.body));
    match header(request.headers, "x-amz-content-sha256") {
        None => Ok(computed),
        Some(sent) if sent.eq_ignore_ascii_case(&computed) => Ok(sent.to_owned()),
        Some(sent) => Err(invalid(format!(
            "The provided 'x-amz-content-sha256' header does not match what was computed: '{sent}' (the body hashes to '{computed}'; this server accepts signed payloads only)."
        ))),
    }
}

/// The canonical request: method, canonical URI, canonical query, canonical headers, signed
/// headers, payload hash, one per line.
fn canonical_request(request: &SignedRequest<'_>, s: &Signature, payload_hash: &str) -> String {
    let mut out = String::with_capacity(256 + request.query.len());
    out.push_str(request.method);
    out.push('\n');
    canonical_uri(request.path, &mut out);
    out.push('\n');
    canonical_query(request.query, s.presigned, &mut out);
    out.push('\n');
    for name in &s.signed_headers {
        out.push_str(name);
        out.push(':');
        let mut first = true;
        for value in request.headers.get_all(name.as_str()) {
            if !first {
                out.push(',');
            }
            first = false;
            push_trimmed(&String::from_utf8_lossy(value.as_bytes()), &mut out);
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&s.signed_headers.join(";"));
    out.push('\n');
    out.push_str(payload_hash);
    out
}

/// A header value with leading and trailing spaces removed and inner runs of spaces collapsed.
fn push_trimmed(value: &str, out: &mut String) {
    let mut space = false;
    for c in value.trim().chars() {
        if c == ' ' || c == '\t' {
            space = true;
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
}

/// The path, normalised (`.` and `..` segments resolved, empty = `/`) and each segment
/// URI-encoded as sent again (the double encoding every service but S3 uses).
fn canonical_uri(path: &str, out: &mut String) {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/').skip(1) {
        match segment {
            "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    if segments.is_empty() {
        out.push('/');
        return;
    }
    for segment in segments {
        out.push('/');
        uri_encode(segment, out);
    }
}

/// The query's parameters, each name and value URI-encoded, sorted by name then value,
/// `X-Amz-Signature` left out of a presigned request's.
fn canonical_query(query: &str, presigned: bool, out: &mut String) {
    let mut pairs: Vec<(String, String)> = query_pairs(query)
        .map(|p| p.unwrap_or_default())
        .filter(|(k, _)| !(presigned && k == "X-Amz-Signature"))
        .map(|(k, v)| {
            let (mut ek, mut ev) = (String::new(), String::new());
            uri_encode(&k, &mut ek);
            uri_encode(&v, &mut ev);
            (ek, ev)
        })
        .collect();
    pairs.sort();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
}

/// RFC 3986 encoding: everything but `A-Z a-z 0-9 - _ . ~` as `%XX` (uppercase).
fn uri_encode(s: &str, out: &mut String) {
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX_UPPER[usize::from(b >> 4)] as char);
            out.push(HEX_UPPER[usize::from(b & 15)] as char);
        }
    }
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// `%XX` escapes decoded (`+` stays `+`, as RFC 3986 has it); `None` for a broken escape or
/// non-UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hi = (*bytes.get(i + 1)? as char).to_digit(16)?;
                let lo = (*bytes.get(i + 2)? as char).to_digit(16)?;
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn hmac(key: &[u8]) -> HmacSha256 {
    match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    }
}

fn hmac_bytes(key: &[u8], data: &str) -> [u8; 32] {
    let mut mac = hmac(key);
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().into()
}

/// `AWS4<secret>` -> date -> region -> service -> `aws4_request`.
fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac_bytes(format!("AWS4{secret}").as_bytes(), date);
    let k_region = hmac_bytes(&k_date, region);
    let k_service = hmac_bytes(&k_region, service);
    hmac_bytes(&k_service, TERMINATOR)
}

fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 15)] as char);
    }
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.as_bytes()
        .chunks(2)
        .map(|p| {
            let hi = (p[0] as char).to_digit(16)?;
            let lo = (p[1] as char).to_digit(16)?;
            Some((hi * 16 + lo) as u8)
        })
        .collect()
}

/// `YYYYMMDDTHHMMSSZ` -> seconds since the epoch.
fn parse_amz_date(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    epoch_seconds(
        i64::from(num(0..4)?),
        num(4..6)?,
        num(6..8)?,
        num(9..11)?,
        num(11..13)?,
        num(13..15)?,
    )
}

/// An RFC 7231 IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) -> seconds since the epoch.
fn parse_http_date(s: &str) -> Option<u64> {
    let mut parts = s.split_ascii_whitespace();
    let _weekday = parts.next()?;
    let day: u32 = parts.next()?.parse().ok()?;
    let month = parts.next()?;
    let year: i64 = parts.next()?.parse().ok()?;
    let time = parts.next()?;
    if parts.next()? != "GMT" {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month)? as u32 + 1;
    let mut hms = time.split(':').map(|p| p.parse::<u32>().ok());
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    epoch_seconds(year, month, day, h, m, sec)
}

fn epoch_seconds(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<u64> {
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    u64::try_from(days * 86_400 + i64::from(h * 3600 + mi * 60 + s)).ok()
}

/// Seconds since the epoch -> `YYYYMMDDTHHMMSSZ` (orm-core's RFC 3339 text without its
/// separators and fraction).
fn format_amz_date(secs: u64) -> String {
    let rfc3339 = orm_core::timestamp::rfc3339(UNIX_EPOCH + Duration::from_secs(secs));
    // `YYYY-MM-DDTHH:MM:SS.ffffffZ`
    let mut out: String = rfc3339[..19]
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    out.push('Z');
    out
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_signing_region_names_the_arns() {
        let mut headers = HeaderMap::new();
        assert_eq!(super::signing_region(&headers, ""), None);
        headers.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKID/20250101/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00"
                .parse()
                .unwrap(),
        );
        assert_eq!(
            super::signing_region(&headers, "").as_deref(),
            Some("eu-west-1")
        );
        let presigned = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20250101%2Fap-south-2%2Fdynamodb%2Faws4_request";
        assert_eq!(
            super::signing_region(&HeaderMap::new(), presigned).as_deref(),
            Some("ap-south-2")
        );
        headers.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKID/20250101/EU WEST/dynamodb/aws4_request"
                .parse()
                .unwrap(),
        );
        assert_eq!(super::signing_region(&headers, ""), None);
    }

    use super::*;
    use hyper::header::HeaderValue;

    /// AWS's worked example (IAM `ListUsers`, General Reference "Signature Version 4 signing
    /// process"): the canonical request, its hash, the signing key and the signature.
    #[test]
    fn reproduces_the_aws_documentation_example() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        headers.insert("host", HeaderValue::from_static("iam.amazonaws.com"));
        headers.insert("x-amz-date", HeaderValue::from_static("20150830T123600Z"));
        let request = SignedRequest {
            method: "GET",
            path: "/",
            query: "Version=2010-05-08&Action=ListUsers",
            headers: &headers,
            body: b"",
        };
        let signature = Parts {
            credential: "AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request",
            signed_headers: "content-type;host;x-amz-date",
            signature: "",
            date_text: "20150830T123600Z".into(),
            date: parse_amz_date("20150830T123600Z").unwrap(),
            expires: None,
            presigned: false,
            session_token: None,
        }
        .into_signature()
        .unwrap();
        let canonical = canonical_request(&request, &signature, &payload_hash(&request).unwrap());
        assert_eq!(
            canonical,
            "GET\n/\nAction=ListUsers&Version=2010-05-08\n\
             content-type:application/x-www-form-urlencoded; charset=utf-8\n\
             host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n\
             content-type;host;x-amz-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(&Sha256::digest(canonical.as_bytes())),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20150830",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex(&key),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
        let string_to_sign = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\nf536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59";
        assert_eq!(
            hex(&hmac_bytes(&key, string_to_sign)),
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }

    #[test]
    fn dates_round_trip_and_bad_ones_are_refused() {
        for secs in [0u64, 951_782_400, 1_700_000_000, 4_102_444_799] {
            assert_eq!(parse_amz_date(&format_amz_date(secs)), Some(secs));
        }
        assert_eq!(format_amz_date(1_700_000_000), "20231114T221320Z");
        assert_eq!(
            parse_http_date("Tue, 14 Nov 2023 22:13:20 GMT"),
            Some(1_700_000_000)
        );
        for bad in [
            "",
            "20231114",
            "20231314T000000Z",
            "2023111XT221320Z",
            "20231114T221320",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
        assert_eq!(parse_http_date("Tue, 14 Nov 2023 22:13:20 PST"), None);
    }

    #[test]
    fn credentials_parse_and_hide_their_secret() {
        let c: Credentials = "AK:SE:TO".parse().unwrap();
        assert_eq!(c, Credentials::new("AK", "SE").with_session_token("TO"));
        let debug = format!("{:?}", Verifier::new([c]));
        assert!(debug.contains("AK") && !debug.contains("SE\"") && !debug.contains("TO\""));
        for bad in ["", "AK", "AK:", ":SE", "AK:SE:"] {
            let err = bad.parse::<Credentials>().unwrap_err();
            assert!(err.contains("KEY:SECRET"), "{err}");
        }
        // A refused value is named without its secret.
        let err = "x:very-secret:".parse::<Credentials>().unwrap_err();
        assert!(
            err.contains("x:<hidden>") && !err.contains("very-secret"),
            "{err}"
        );
    }

    #[test]
    fn the_scope_must_name_dynamodb_and_the_request_date() {
        let verifier = Verifier::new([Credentials::new("AK", "SE")]);
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("localhost"));
        headers.insert("x-amz-date", HeaderValue::from_static("20231114T221320Z"));
        let check = |scope: &str, headers: &HeaderMap| {
            let mut headers = headers.clone();
            let auth = format!(
                "AWS4-HMAC-SHA256 Credential=AK/{scope}, SignedHeaders=host;x-amz-date, Signature=00"
            );
            headers.insert("authorization", HeaderValue::from_str(&auth).unwrap());
            let request = SignedRequest {
                method: "POST",
                path: "/",
                query: "",
                headers: &headers,
                body: b"{}",
            };
            verifier.verify(&request, now).unwrap_err().message
        };
        assert!(check("20231114/us-east-1/s3/aws4_request", &headers).contains("'dynamodb'"));
        assert!(check("20231114/us-east-1/dynamodb/aws5", &headers).contains("terminator"));
        assert!(check("20231113/us-east-1/dynamodb/aws4_request", &headers)
            .contains("Date in Credential scope does not match"));
        assert!(check("20231114/us-east-1/dynamodb/aws4_request", &headers)
            .contains("does not match the signature"));
        headers.insert("x-amz-date", HeaderValue::from_static("yesterday"));
        assert!(check("20231114/us-east-1/dynamodb/aws4_request", &headers).contains("ISO-8601"));
    }
}
