//! Timestamps the ORM sets itself (`#[model(created_at)]`, `#[model(updated_at)]`), and their text
//! form: fixed-width UTC RFC 3339 (`2026-11-21T14:33:02.123456Z`), which sorts as a string.
//!
//! A field type becomes usable as an ORM-set timestamp by implementing [`Timestamp`]: epoch
//! seconds as `i64`/`u64`, fixed-width text as `String`, and (behind cargo features) the date-time
//! types of chrono and time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A type the ORM can set to "now" for `#[model(created_at)]` / `#[model(updated_at)]` fields.
pub trait Timestamp: Sized {
    /// The value for the instant `now`.
    fn from_system_time(now: SystemTime) -> Self;
}

impl Timestamp for i64 {
    /// Whole seconds since the Unix epoch.
    fn from_system_time(now: SystemTime) -> Self {
        match now.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
        }
    }
}

impl Timestamp for u64 {
    /// Whole seconds since the Unix epoch (0 before it).
    fn from_system_time(now: SystemTime) -> Self {
        now.duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
}

impl Timestamp for String {
    /// Fixed-width UTC RFC 3339 with microseconds.
    fn from_system_time(now: SystemTime) -> Self {
        rfc3339(now)
    }
}

impl Timestamp for SystemTime {
    fn from_system_time(now: SystemTime) -> Self {
        now
    }
}

impl<T: Timestamp> Timestamp for Option<T> {
    fn from_system_time(now: SystemTime) -> Self {
        Some(T::from_system_time(now))
    }
}

/// Formats `t` as fixed-width UTC RFC 3339 with microseconds: `YYYY-MM-DDTHH:MM:SS.ffffffZ`
/// (years 0000 to 9999; instants outside are clamped).
pub fn rfc3339(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let max = 253_402_300_799u64; // 9999-12-31T23:59:59
    let secs = since.as_secs().min(max);
    let micros = if since.as_secs() > max {
        999_999
    } else {
        since.subsec_micros()
    };
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_fixed_width_utc() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
        let t = UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789);
        assert_eq!(rfc3339(t), "2023-11-14T22:13:20.123456Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(&rfc3339(leap)[..10], "2000-02-29");
        assert_eq!(i64::from_system_time(t), 1_700_000_000);
    }

    #[test]
    fn text_order_is_time_order() {
        let mut last = String::new();
        for s in (0..4_000_000_000u64).step_by(37_000_001) {
            let text = rfc3339(UNIX_EPOCH + Duration::from_secs(s));
            assert_eq!(text.len(), 27);
            assert!(text > last, "{text} <= {last}");
            last = text;
        }
    }
}
