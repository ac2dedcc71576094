//! Cursor decoding of arbitrary tokens: never panics; a decoded key re-encodes to a cursor that
//! decodes to the same key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orm_core::Cursor;

const FINGERPRINT: [u8; 8] = *b"fuzzfuzz";
const SECRET: &[u8] = b"fuzz-secret";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(cursor) = text.parse::<Cursor>() else {
        return;
    };
    for secret in [None, Some(SECRET)] {
        if let Ok(key) = cursor.decode(FINGERPRINT, secret) {
            let again = Cursor::encode(FINGERPRINT, &key, secret).expect("a decoded key encodes");
            assert_eq!(again.decode(FINGERPRINT, secret).expect("round trip"), key);
            // Another query's fingerprint is always rejected.
            assert!(cursor.decode(*b"otherfp!", secret).is_err());
        }
    }
});
