//! Cursor decoding of arbitrary tokens: never panics; a decoded key re-encodes to a cursor that
//! decodes to the same key, plain or sealed (and, sealed, opens after a secret rotation); another
//! query's fingerprint is always rejected.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orm_core::cursor::{Cursor, CursorSecrets};

const FINGERPRINT: [u8; 8] = *b"fuzzfuzz";
const SECRET: &[u8] = b"fuzz-secret";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(cursor) = text.parse::<Cursor>() else {
        return;
    };
    let previous = [SECRET.to_vec()];
    let rotated = CursorSecrets::new(b"fuzz-next").with_previous(&previous);
    for secrets in [CursorSecrets::NONE, CursorSecrets::new(SECRET), rotated] {
        if let Ok(key) = cursor.decode(FINGERPRINT, &secrets) {
            let again = Cursor::encode(FINGERPRINT, &key, &secrets).expect("a decoded key encodes");
            assert_eq!(again.decode(FINGERPRINT, &secrets).expect("round trip"), key);
            // Another query's fingerprint is always rejected.
            assert!(cursor.decode(*b"otherfp!", &secrets).is_err());
        }
    }
});
