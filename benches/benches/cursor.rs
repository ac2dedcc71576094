//! What sealed cursors cost per page (issue 31): a page's cursor sealed with AES-256-GCM-SIV
//! (a fresh nonce, encryption, base64url) and opened again, beside the plain
//! cursor of a table without a secret. The key is a GSI query's resume key (table and index
//! keys, four attributes), the largest an ORM cursor carries. The target is at most 2 µs per
//! page for the sealing.
//!
//! ```text
//! cargo bench -p orm-benches --bench cursor
//! ```

use criterion::Criterion;
use orm_core::cursor::{Cursor, CursorSecrets, Fingerprint};
use orm_core::Item;
use std::hint::black_box;

fn key() -> Item {
    Item::new()
        .with("pk", "TENANT#0001234#USER#alice@example.com")
        .with("sk", "ORDER#2026-12-07T08:00:00.000000Z#000042")
        .with("gsi1pk", "STATUS#open")
        .with("gsi1sk", "2026-12-07T08:00:00.000000Z")
}

fn cursors(c: &mut Criterion) {
    let fp = Fingerprint::new()
        .part("entity", b"Order")
        .part("index", b"gsi1")
        .finish();
    let key = key();
    let secret = b"a 32-byte random secret, say....".to_vec();
    let sealing = CursorSecrets::new(&secret);
    let previous = vec![b"the secret before the rotation..".to_vec()];
    let rotated = CursorSecrets::new(b"the secret after the rotation...").with_previous(&previous);
    let mut g = c.benchmark_group("cursor");
    g.bench_function("encode_plain", |b| {
        b.iter(|| Cursor::encode(black_box(fp), black_box(&key), &CursorSecrets::NONE).unwrap())
    });
    g.bench_function("encode_sealed", |b| {
        b.iter(|| Cursor::encode(black_box(fp), black_box(&key), &sealing).unwrap())
    });
    let plain = Cursor::encode(fp, &key, &CursorSecrets::NONE).unwrap();
    g.bench_function("decode_plain", |b| {
        b.iter(|| black_box(&plain).decode(fp, &CursorSecrets::NONE).unwrap())
    });
    let sealed = Cursor::encode(fp, &key, &sealing).unwrap();
    g.bench_function("decode_sealed", |b| {
        b.iter(|| black_box(&sealed).decode(fp, &sealing).unwrap())
    });
    // A cursor sealed before a rotation: the current secret fails first, the previous opens.
    let old = Cursor::encode(fp, &key, &CursorSecrets::new(&previous[0])).unwrap();
    g.bench_function("decode_sealed_previous_secret", |b| {
        b.iter(|| black_box(&old).decode(fp, &rotated).unwrap())
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    cursors(&mut c);
    c.final_summary();
}
