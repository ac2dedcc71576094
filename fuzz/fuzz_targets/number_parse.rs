//! `Number::parse` on arbitrary text: never panics; what parses is canonical, round-trips,
//! stays within DynamoDB's range, and orders consistently with arithmetic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orm_core::Number;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (a, b) = match text.split_once('|') {
        Some((a, b)) => (a, Some(b)),
        None => (text, None),
    };
    let Ok(n) = Number::parse(a) else {
        return;
    };
    // Canonical text re-parses to the same number with the same text.
    let again = Number::parse(n.as_str()).expect("canonical text parses");
    assert_eq!(again, n);
    assert_eq!(again.as_str(), n.as_str());
    assert_eq!(n.to_string(), n.as_str());
    // Conversions never panic.
    let _ = n.to_f64();
    let _ = n.to_f32();
    assert_eq!(n.neg().neg(), n);
    assert_eq!(n.is_zero(), n == Number::zero());
    if let Some(b) = b.and_then(|b| Number::parse(b).ok()) {
        // Ordering agrees with subtraction's sign when the difference is representable.
        if let Ok(d) = n.checked_sub(&b) {
            let expect = if d.is_zero() {
                std::cmp::Ordering::Equal
            } else if d.is_negative() {
                std::cmp::Ordering::Less
            } else {
                std::cmp::Ordering::Greater
            };
            assert_eq!(n.cmp(&b), expect, "{n} vs {b} (difference {d})");
        }
        if let Ok(s) = n.checked_add(&b) {
            let _ = Number::parse(s.as_str()).expect("sums are valid numbers");
        }
    }
});
