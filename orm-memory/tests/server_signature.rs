//! Who gets in: a MemoryServer built with `require_signature` verifies AWS Signature Version 4.
//! The right key passes through aws-sdk-dynamodb (long-term and session credentials, header and
//! presigned forms). A wrong secret, an unknown key, a wrong session token, an expired or future
//! date, a changed body or header and a false `x-amz-content-sha256` are each refused with
//! DynamoDB's error, and write nothing. The refused requests are signed here with aws-sigv4 (the
//! SDK's own signer, independent of the server's verifier) and then changed, or sent as signed
//! at another time.

use crate::raw_http;

use aws_credential_types::Credentials as AwsCredentials;
use aws_sdk_dynamodb::config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use aws_sigv4::http_request::{
    sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use orm_memory::server::{Credentials, MemoryServer};
use orm_memory::MemoryBackend;
use raw_http::Answer;
use serde_json::json;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

const KEY: &str = "AKIDMEMORYTEST";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TEMP_KEY: &str = "ASIAMEMORYTEST";
const TEMP_SECRET: &str = "temporary-secret";
const TOKEN: &str = "session-token-of-the-temporary-key";
const TABLE: &str = "guarded";

fn server() -> MemoryServer {
    let server = MemoryServer::builder(MemoryBackend::new())
        .require_signature(Credentials::new(KEY, SECRET))
        .require_signature(Credentials::new(TEMP_KEY, TEMP_SECRET).with_session_token(TOKEN))
        .start()
        .expect("start the server");
    assert!(server.addr().ip().is_loopback());
    server
}

fn client(
    endpoint: &str,
    key: &str,
    secret: &str,
    token: Option<&str>,
) -> aws_sdk_dynamodb::Client {
    let credentials = AwsCredentials::new(key, secret, token.map(str::to_owned), None, "test");
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-3"))
        .endpoint_url(endpoint)
        .credentials_provider(credentials)
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

async fn create_table(client: &aws_sdk_dynamodb::Client) {
    client
        .create_table()
        .table_name(TABLE)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("CreateTable with the right key");
}

/// The error code of a failed SDK call.
fn code<E, R>(
    result: Result<impl std::fmt::Debug, aws_sdk_dynamodb::error::SdkError<E, R>>,
) -> String
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    let err = result.expect_err("the call must be refused");
    err.as_service_error()
        .and_then(|e| e.code())
        .unwrap_or_else(|| panic!("not a service error: {err:?}"))
        .to_owned()
}

#[tokio::test]
async fn the_right_key_gets_in_through_the_sdk_and_others_do_not() {
    let server = server();
    let endpoint = server.endpoint();
    let good = client(&endpoint, KEY, SECRET, None);
    create_table(&good).await;
    good.put_item()
        .table_name(TABLE)
        .item("pk", AttributeValue::S("a".into()))
        .send()
        .await
        .expect("PutItem with the right key");
    let tables = good.list_tables().send().await.unwrap();
    assert_eq!(tables.table_names(), [TABLE]);

    // Temporary credentials: the key, its secret and its session token.
    let temp = client(&endpoint, TEMP_KEY, TEMP_SECRET, Some(TOKEN));
    let got = temp
        .get_item()
        .table_name(TABLE)
        .key("pk", AttributeValue::S("a".into()))
        .send()
        .await
        .expect("GetItem with the temporary key and its token");
    assert!(got.item().is_some());

    let wrong_secret = client(&endpoint, KEY, "not-the-secret", None);
    assert_eq!(
        code(wrong_secret.list_tables().send().await),
        "InvalidSignatureException"
    );
    let unknown = client(&endpoint, "AKIDUNKNOWN", SECRET, None);
    assert_eq!(
        code(unknown.list_tables().send().await),
        "UnrecognizedClientException"
    );
    let wrong_token = client(&endpoint, TEMP_KEY, TEMP_SECRET, Some("another-token"));
    assert_eq!(
        code(wrong_token.list_tables().send().await),
        "UnrecognizedClientException"
    );
    let no_token = client(&endpoint, TEMP_KEY, TEMP_SECRET, None);
    assert_eq!(
        code(no_token.list_tables().send().await),
        "UnrecognizedClientException"
    );
    // A long-term key sent with a session token is refused as DynamoDB refuses it.
    let stray_token = client(&endpoint, KEY, SECRET, Some(TOKEN));
    assert_eq!(
        code(stray_token.list_tables().send().await),
        "UnrecognizedClientException"
    );
    // Nothing the refused clients sent was written.
    let scan = good.scan().table_name(TABLE).send().await.unwrap();
    assert_eq!(scan.count(), 1);
}

/// A request signed by aws-sigv4: headers to send (the signature's included).
#[derive(Clone)]
struct Signed {
    headers: Vec<(&'static str, String)>,
    /// The query string of a presigned request (empty otherwise).
    query: String,
}

fn target(op: &str) -> String {
    format!("DynamoDB_20120810.{op}")
}

/// Signs `POST /` with `op` and `body` at `time`, as the SDK would.
fn sign_request(
    addr: SocketAddr,
    op: &str,
    body: &[u8],
    time: SystemTime,
    secret: &str,
    location: SignatureLocation,
) -> Signed {
    let identity: Identity = AwsCredentials::new(KEY, secret, None, None, "test").into();
    let mut settings = SigningSettings::default();
    settings.signature_location = location;
    if location == SignatureLocation::QueryParams {
        settings.expires_in = Some(Duration::from_secs(300));
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("dynamodb")
        .time(time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let host = addr.to_string();
    let target = target(op);
    let base = [
        ("host", host.as_str()),
        ("content-type", "application/x-amz-json-1.0"),
        ("x-amz-target", target.as_str()),
    ];
    let request = SignableRequest::new(
        "POST",
        format!("http://{addr}/"),
        base.iter().copied(),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _) = sign(request, &params).unwrap().into_parts();
    let mut headers: Vec<(&'static str, String)> = vec![
        ("Content-Type", "application/x-amz-json-1.0".into()),
        ("X-Amz-Target", target.clone()),
    ];
    for (name, value) in instructions.headers() {
        let name: &'static str = match name {
            "authorization" => "Authorization",
            "x-amz-date" => "X-Amz-Date",
            "x-amz-content-sha256" => "X-Amz-Content-Sha256",
            "x-amz-security-token" => "X-Amz-Security-Token",
            other => panic!("unexpected signed header {other}"),
        };
        headers.push((name, value.to_owned()));
    }
    let query = instructions
        .params()
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    Signed { headers, query }
}

/// Percent-encodes a query value.
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn send(addr: SocketAddr, signed: &Signed, body: Vec<u8>) -> Answer {
    let path = if signed.query.is_empty() {
        "/".to_owned()
    } else {
        format!("/?{}", signed.query)
    };
    raw_http::post_to(addr, &path, &signed.headers, body)
}

/// The answer must be a 400 `com.amazon.coral.service#<code>` whose message contains `needle`.
fn assert_refused(answer: &Answer, code: &str, needle: &str) {
    let body = answer.json();
    assert_eq!(answer.status, 400, "{body}");
    assert_eq!(
        body["__type"],
        format!("com.amazon.coral.service#{code}"),
        "{body}"
    );
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains(needle), "{message:?} lacks {needle:?}");
}

fn put_body(pk: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"TableName": TABLE, "Item": {"pk": {"S": pk}}})).unwrap()
}

async fn count(server: &MemoryServer) -> i32 {
    let c = client(&server.endpoint(), KEY, SECRET, None);
    c.scan().table_name(TABLE).send().await.unwrap().count()
}

#[tokio::test]
async fn changed_expired_and_unsigned_requests_are_refused() {
    let server = server();
    let addr = server.addr();
    create_table(&client(&server.endpoint(), KEY, SECRET, None)).await;
    let now = SystemTime::now();
    let header = SignatureLocation::Headers;

    // As signed: accepted.
    let body = put_body("signed");
    let signed = sign_request(addr, "PutItem", &body, now, SECRET, header);
    let answer = send(addr, &signed, body.clone());
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );

    // A tampered body: the same signature over other bytes.
    let answer = send(addr, &signed, put_body("tampered"));
    assert_refused(
        &answer,
        "InvalidSignatureException",
        "does not match the signature",
    );

    // A changed signed header: another operation under the same signature.
    let mut changed = signed.clone();
    for (name, value) in &mut changed.headers {
        if *name == "X-Amz-Target" {
            *value = target("DeleteItem");
        }
    }
    let answer = send(addr, &changed, body.clone());
    assert_refused(
        &answer,
        "InvalidSignatureException",
        "does not match the signature",
    );

    // Signed with another secret.
    let other = sign_request(addr, "PutItem", &body, now, "another-secret", header);
    let answer = send(addr, &other, body.clone());
    assert_refused(
        &answer,
        "InvalidSignatureException",
        "does not match the signature",
    );

    // Signed 20 minutes ago (DynamoDB allows 15) and 20 minutes ahead.
    let put_at = |pk: &str, at: SystemTime| {
        let body = put_body(pk);
        send(
            addr,
            &sign_request(addr, "PutItem", &body, at, SECRET, header),
            body,
        )
    };
    let answer = put_at("old", now - Duration::from_secs(1200));
    assert_refused(&answer, "InvalidSignatureException", "Signature expired");
    assert_refused(&answer, "InvalidSignatureException", "- 15 min.)");
    let answer = put_at("ahead", now + Duration::from_secs(1200));
    assert_refused(
        &answer,
        "InvalidSignatureException",
        "Signature not yet current",
    );
    // Within the skew: accepted.
    assert_eq!(put_at("recent", now - Duration::from_secs(600)).status, 200);

    // A payload hash that is not the body's.
    let mut false_hash = signed.clone();
    false_hash
        .headers
        .push(("X-Amz-Content-Sha256", "0".repeat(64)));
    let answer = send(addr, &false_hash, body.clone());
    assert_refused(&answer, "InvalidSignatureException", "x-amz-content-sha256");

    // No signature at all, and one missing its parts.
    let bare = vec![
        ("Content-Type", "application/x-amz-json-1.0".to_owned()),
        ("X-Amz-Target", target("PutItem")),
    ];
    let answer = raw_http::post(addr, &bare, put_body("bare"));
    assert_refused(
        &answer,
        "MissingAuthenticationTokenException",
        "Request is missing Authentication Token",
    );
    let mut partial = bare.clone();
    partial.push((
        "Authorization",
        format!("AWS4-HMAC-SHA256 Credential={KEY}/20250101/us-east-1/dynamodb/aws4_request"),
    ));
    let answer = raw_http::post(addr, &partial, put_body("partial"));
    assert_refused(&answer, "IncompleteSignatureException", "'Signature'");

    // A presigned request (the signature in the query string) is verified too.
    let presigned = sign_request(
        addr,
        "PutItem",
        &put_body("presigned"),
        now,
        SECRET,
        SignatureLocation::QueryParams,
    );
    assert!(
        presigned.query.contains("X-Amz-Signature="),
        "{}",
        presigned.query
    );
    assert_eq!(send(addr, &presigned, put_body("presigned")).status, 200);
    let answer = send(addr, &presigned, put_body("presigned-tampered"));
    assert_refused(
        &answer,
        "InvalidSignatureException",
        "does not match the signature",
    );

    // A gzip body: the signature covers the bytes as sent, which are decoded once verified.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &put_body("gzipped")).unwrap();
    let gzipped = gz.finish().unwrap();
    let mut signed = sign_request(addr, "PutItem", &gzipped, now, SECRET, header);
    signed.headers.push(("Content-Encoding", "gzip".to_owned()));
    let answer = send(addr, &signed, gzipped);
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );

    // Only the four accepted requests wrote.
    assert_eq!(count(&server).await, 4);
}

#[tokio::test]
async fn without_required_signatures_anything_is_accepted() {
    let server = MemoryServer::start(MemoryBackend::new()).unwrap();
    let anyone = client(&server.endpoint(), "any", "thing", None);
    anyone
        .list_tables()
        .send()
        .await
        .expect("no signature is checked");
    let bare = vec![
        ("Content-Type", "application/x-amz-json-1.0".to_owned()),
        ("X-Amz-Target", target("ListTables")),
    ];
    assert_eq!(
        raw_http::post(server.addr(), &bare, b"{}".to_vec()).status,
        200
    );
}
