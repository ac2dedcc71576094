//! What `--require-signature` costs the server per request: verifying the AWS Signature Version 4
//! of a typical PutItem (a 200-byte body, the headers aws-sdk-dynamodb sends) signed by aws-sigv4,
//! the SDK's own signer. The target (issue 31) is at most 15 µs of server CPU per request; this
//! runs on one thread, so its time is that CPU. A 64 KB body shows the part that grows with the
//! body (its SHA-256).
//!
//! ```text
//! cargo bench -p orm-benches --bench signature
//! ```

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use criterion::{Criterion, Throughput};
use orm_memory::server::{Credentials, PreparedSignatureCheck};
use std::hint::black_box;
use std::time::SystemTime;

const KEY: &str = "AKIDBENCHMARK";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// A PutItem as the SDK sends it, signed now.
fn signed_put(body: &[u8], now: SystemTime) -> PreparedSignatureCheck {
    let identity: Identity = AwsCredentials::new(KEY, SECRET, None, None, "bench").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("dynamodb")
        .time(now)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let length = body.len().to_string();
    let base = [
        ("host", "127.0.0.1:8000"),
        ("content-type", "application/x-amz-json-1.0"),
        ("content-length", length.as_str()),
        ("x-amz-target", "DynamoDB_20120810.PutItem"),
        ("user-agent", "aws-sdk-rust/1.3 os/linux lang/rust/1.94.0"),
        (
            "x-amz-user-agent",
            "aws-sdk-rust/1.3 api/dynamodb/1.0 os/linux lang/rust/1.94.0",
        ),
        (
            "amz-sdk-invocation-id",
            "5e0b3f3c-6c35-4d0c-9a53-3c1e2f0f8a11",
        ),
        ("amz-sdk-request", "attempt=1; max=3"),
    ];
    let request = SignableRequest::new(
        "POST",
        "http://127.0.0.1:8000/",
        base.iter().copied(),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _) = sign(request, &params).unwrap().into_parts();
    let mut headers: Vec<(&str, &str)> = base.to_vec();
    headers.extend(instructions.headers());
    let check = PreparedSignatureCheck::new(
        &[Credentials::new(KEY, SECRET)],
        "POST",
        "/",
        &headers,
        body,
    )
    .unwrap();
    check.verify(now).expect("the signed request verifies");
    check
}

fn put_body(len: usize) -> Vec<u8> {
    let mut body = br#"{"TableName":"bench","Item":{"pk":{"S":"USER#alice"},"sk":{"S":"TODO#0001"},"title":{"S":""#
        .to_vec();
    let tail = br#""},"status":{"S":"open"}}}"#;
    body.resize(len.saturating_sub(tail.len()).max(body.len()), b'x');
    body.extend_from_slice(tail);
    body
}

fn verification(c: &mut Criterion) {
    let now = SystemTime::now();
    let mut group = c.benchmark_group("signature");
    for (name, len) in [("verify_put_200B", 200), ("verify_put_64KB", 64 * 1024)] {
        let check = signed_put(&put_body(len), now);
        group.throughput(Throughput::Elements(1));
        group.bench_function(name, |b| b.iter(|| black_box(&check).verify(now).unwrap()));
    }
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    verification(&mut c);
    c.final_summary();
}
