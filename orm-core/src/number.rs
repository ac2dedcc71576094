//! Exact decimal numbers following the rules of DynamoDB's `N` type.
//!
//! DynamoDB stores numbers as decimal text with at most 38 significant digits and
//! a magnitude in `1e-130 <= |n| < 1e126` (or exactly zero). [`Number`] enforces
//! exactly those rules, never goes through binary floating point, and keeps its
//! canonical plain-notation text so that it can be written to DynamoDB (or compared,
//! hashed and displayed) without any formatting work.

use std::cmp::Ordering;
use std::fmt::{self, Write as _};
use std::str::FromStr;

/// Most significant digits DynamoDB accepts in a number.
const MAX_DIGITS: usize = 38;
/// Smallest allowed base-10 exponent of the most significant digit (`|n| >= 1e-130`).
const MIN_ADJ: i64 = -130;
/// Largest allowed base-10 exponent of the most significant digit (`|n| < 1e126`).
const MAX_ADJ: i64 = 125;
/// Parsed exponents saturate here: far outside the valid range, far from overflow.
const EXP_LIMIT: i64 = 1 << 48;
/// Digit positions needed for the exact sum of two valid numbers: from `1e126`
/// (a carry out of `1e125`) down to `1e-167` (the last digit of a 38-digit number
/// starting at `1e-130`), which is 294 positions, rounded up.
const ACC_LEN: usize = 296;

/// An exact decimal number that DynamoDB can store as an `N` value.
///
/// A `Number` always satisfies DynamoDB's rules: at most 38 significant digits and
/// a magnitude of zero or `1e-130 <= |n| < 1e126`. It keeps the canonical text of
/// its value in plain notation (no exponent, no leading zeros, no trailing
/// fractional zeros, no `-0`), available for free through [`Number::as_str`] and
/// [`Display`](fmt::Display). Because the text is canonical, equality and hashing
/// are by value (`1.50 == 1.5`), and [`Ord`] compares numerically. For example
/// `"-001.500e1"` parses to the number whose text is `-15`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Number {
    /// Canonical plain-notation text, e.g. `-0.001` or `12300`.
    text: Box<str>,
    /// Base-10 exponent of the most significant digit (0 for zero).
    adj: i16,
    /// Whether the value is below zero.
    neg: bool,
}

/// An error from parsing, building, converting or adding DynamoDB numbers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NumberError {
    /// The text is not a decimal number (`[+-]digits[.digits][(e|E)[+-]digits]`).
    #[error("`{input}` is not a number")]
    Syntax {
        /// The rejected text.
        input: String,
    },
    /// The value has more significant digits than DynamoDB's 38.
    #[error("`{input}` has {digits} significant digits; DynamoDB allows at most 38")]
    TooManyDigits {
        /// The rejected text (for arithmetic, the exact result in plain notation).
        input: String,
        /// How many significant digits the value has.
        digits: usize,
    },
    /// The value is nonzero but its magnitude is below `1e-130` or at least `1e126`.
    #[error(
        "`{input}` is out of DynamoDB's range (magnitude must be 1e-130 <= |n| < 1e126, or 0)"
    )]
    OutOfRange {
        /// The rejected text (for arithmetic, the exact result in plain notation).
        input: String,
    },
    /// The value is NaN or infinite, which DynamoDB cannot store.
    #[error("`{input}` cannot be stored: DynamoDB numbers must be finite (no NaN or infinity)")]
    NotFinite {
        /// The rejected value as text, e.g. `NaN` or `-inf`.
        input: String,
    },
    /// The number cannot be converted to the target type without losing information.
    #[error("{value} does not fit in {target}")]
    DoesNotFit {
        /// The canonical text of the number.
        value: String,
        /// The name of the target type, e.g. `i64`.
        target: &'static str,
    },
}

/// Why text was rejected, before the text is attached to make a [`NumberError`].
#[derive(Debug, Clone, Copy)]
enum Fail {
    Syntax,
    NotFinite,
    TooManyDigits(usize),
    OutOfRange,
}

impl Fail {
    fn with_input(self, input: String) -> NumberError {
        match self {
            Fail::Syntax => NumberError::Syntax { input },
            Fail::NotFinite => NumberError::NotFinite { input },
            Fail::TooManyDigits(digits) => NumberError::TooManyDigits { input, digits },
            Fail::OutOfRange => NumberError::OutOfRange { input },
        }
    }
}

impl Number {
    /// Parses decimal text into a number, checking DynamoDB's digit and range rules.
    ///
    /// Accepts an optional sign, digits with at most one `.` (`.5` and `5.` are
    /// fine), and an optional exponent (`e`/`E`, optional sign, digits). Whitespace,
    /// `_`, hexadecimal and empty text are rejected with [`NumberError::Syntax`];
    /// `NaN`/`inf`/`infinity` (any case, optional sign) with
    /// [`NumberError::NotFinite`].
    pub fn parse(s: &str) -> Result<Number, NumberError> {
        parse_bytes(s.as_bytes()).map_err(|fail| fail.with_input(s.to_owned()))
    }

    /// [`Number::parse`] of an owned string, keeping its allocation as the number's text when it
    /// is already a canonical integer (`0`, or an optional `-` and up to 38 digits without a
    /// leading zero): numbers read back from DynamoDB mostly are, and then nothing is copied.
    ///
    /// ```
    /// use orm_core::Number;
    ///
    /// assert_eq!(Number::parse_owned("42".to_owned())?, Number::parse("42")?);
    /// assert_eq!(Number::parse_owned("007.50".to_owned())?.to_string(), "7.5");
    /// assert!(Number::parse_owned("-0".to_owned())?.is_zero());
    /// # Ok::<(), orm_core::NumberError>(())
    /// ```
    pub fn parse_owned(s: String) -> Result<Number, NumberError> {
        let bytes = s.as_bytes();
        let (neg, digits) = match bytes.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, bytes),
        };
        let canonical_integer = match digits {
            [b'0'] => !neg,
            [b'1'..=b'9', rest @ ..] => rest.len() < 38 && rest.iter().all(u8::is_ascii_digit),
            _ => false,
        };
        if !canonical_integer {
            return Number::parse(&s);
        }
        // At most 38 digits: the exponent of the first one fits easily.
        let adj = if digits == b"0" {
            0
        } else {
            digits.len() as i16 - 1
        };
        Ok(Number {
            text: s.into_boxed_str(),
            adj,
            neg,
        })
    }

    /// Returns the number zero.
    pub fn zero() -> Number {
        Number {
            text: Box::from("0"),
            adj: 0,
            neg: false,
        }
    }

    /// Returns whether this number is zero.
    pub fn is_zero(&self) -> bool {
        self.text.as_bytes() == b"0"
    }

    /// Returns whether this number is below zero.
    pub fn is_negative(&self) -> bool {
        self.neg
    }

    /// Returns whether this number has no fractional part.
    pub fn is_integer(&self) -> bool {
        !self.text.contains('.')
    }

    /// Returns the canonical plain-notation text of this number, e.g. `-0.001`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// How many significant digits the number has (none for zero): the digits from the first
    /// nonzero one to the last nonzero one, read off the canonical text without scanning it
    /// (except an integer's trailing zeros).
    #[inline]
    pub(crate) fn significant_digits(&self) -> usize {
        let len = self.text.len() - usize::from(self.neg);
        let adj = i64::from(self.adj);
        if adj < 0 {
            // `0.` and `-adj - 1` zeros, then the digits.
            len - 1 - (-adj) as usize
        } else if len > adj as usize + 1 {
            // All digits but the point.
            len - 1
        } else {
            len - self.text.bytes().rev().take_while(|&d| d == b'0').count()
        }
    }

    /// The canonical plain-notation text ([`Number::as_str`]) as an owned string, moved out of
    /// the number without a copy (what a backend sends as an `N` value).
    ///
    /// ```
    /// use orm_core::Number;
    ///
    /// assert_eq!(Number::parse("-1.50")?.into_string(), "-1.5");
    /// # Ok::<(), orm_core::NumberError>(())
    /// ```
    pub fn into_string(self) -> String {
        self.text.into_string()
    }

    /// Converts a finite `f64` to the number with its shortest round-trip decimal text.
    ///
    /// `0.1` becomes exactly `0.1` (not `0.1000000000000000055…`), and
    /// [`to_f64`](Number::to_f64) gives back the same `f64`. NaN and infinities are
    /// [`NumberError::NotFinite`]; values whose shortest text is outside DynamoDB's
    /// range (such as `1e300` or subnormals below `1e-130`) are
    /// [`NumberError::OutOfRange`]. Negative zero becomes zero.
    pub fn from_f64(f: f64) -> Result<Number, NumberError> {
        Number::from_float(f, f.is_finite(), f == 0.0)
    }

    /// Converts a finite `f32` to the number with its shortest round-trip decimal text.
    ///
    /// `0.1f32` becomes exactly `0.1`, and [`to_f32`](Number::to_f32) gives back the
    /// same `f32`. Every finite `f32` is within DynamoDB's range, so the only error
    /// is [`NumberError::NotFinite`] for NaN and infinities.
    pub fn from_f32(f: f32) -> Result<Number, NumberError> {
        Number::from_float(f, f.is_finite(), f == 0.0)
    }

    /// [`from_f64`](Number::from_f64) and [`from_f32`](Number::from_f32): the number with the
    /// shortest round-trip text of `f`, whose finiteness and zeroness the caller tells.
    fn from_float(
        f: impl fmt::LowerExp + fmt::Display,
        finite: bool,
        zero: bool,
    ) -> Result<Number, NumberError> {
        if !finite {
            return Err(NumberError::NotFinite {
                input: f.to_string(),
            });
        }
        if zero {
            return Ok(Number::zero());
        }
        let mut buf = StackStr::new();
        // `{}` prints the shortest text that round-trips in plain notation, which for moderate
        // magnitudes is short and already canonical: taken as it is, nothing is parsed.
        if write!(buf, "{f}").is_ok() {
            if let Some(n) = Number::from_canonical_text(buf.as_bytes()) {
                return Ok(n);
            }
        }
        buf.len = 0;
        // `{:e}` prints the shortest text that round-trips, with an exponent,
        // so it is short even for 1e300.
        if write!(buf, "{f:e}").is_err() {
            return Err(NumberError::Syntax {
                input: format!("{f:e}"),
            });
        }
        parse_bytes(buf.as_bytes()).map_err(|fail| fail.with_input(format!("{f:e}")))
    }

    /// Returns the `f64` nearest to this number (correctly rounded).
    pub fn to_f64(&self) -> f64 {
        self.text
            .parse()
            .expect("canonical number text is valid f64 syntax")
    }

    /// Returns the `f32` nearest to this number (correctly rounded).
    ///
    /// Magnitudes beyond `f32::MAX` become infinite and very small ones become zero.
    pub fn to_f32(&self) -> f32 {
        self.text
            .parse()
            .expect("canonical number text is valid f32 syntax")
    }

    /// Returns the exact sum `self + other`, or an error if it breaks DynamoDB's rules.
    ///
    /// This is what DynamoDB's `ADD` and `SET a = a + b` compute: the sum is exact,
    /// and fails with [`NumberError::TooManyDigits`] or [`NumberError::OutOfRange`]
    /// (quoting the exact result) instead of rounding.
    pub fn checked_add(&self, other: &Number) -> Result<Number, NumberError> {
        self.add_signed(other, false)
    }

    /// Returns the exact difference `self - other`, or an error if it breaks DynamoDB's rules.
    ///
    /// Errors are as for [`checked_add`](Number::checked_add).
    pub fn checked_sub(&self, other: &Number) -> Result<Number, NumberError> {
        self.add_signed(other, true)
    }

    /// Returns this number with its sign flipped (zero stays zero).
    pub fn neg(&self) -> Number {
        if self.is_zero() {
            return self.clone();
        }
        let text = if self.neg {
            Box::from(&self.text[1..])
        } else {
            let mut s = String::with_capacity(self.text.len() + 1);
            s.push('-');
            s.push_str(&self.text);
            s.into_boxed_str()
        };
        Number {
            text,
            adj: self.adj,
            neg: !self.neg,
        }
    }

    /// Converts an `i128`, failing with [`NumberError::TooManyDigits`] beyond 38 significant digits.
    ///
    /// Only values of 39 digits (`|v| >= 10^38`) whose digits do not end in zeros
    /// fail, e.g. `i128::MIN` and `i128::MAX`; `10^38` has one significant digit.
    pub fn from_i128(v: i128) -> Result<Number, NumberError> {
        Number::from_u128_magnitude(v < 0, v.unsigned_abs())
    }

    /// Converts a `u128`, failing with [`NumberError::TooManyDigits`] beyond 38 significant digits.
    ///
    /// Only values of 39 digits (`v >= 10^38`) whose digits do not end in zeros
    /// fail, e.g. `u128::MAX`; `10^38` has one significant digit.
    pub fn from_u128(v: u128) -> Result<Number, NumberError> {
        Number::from_u128_magnitude(false, v)
    }

    // ----- construction helpers -----

    /// Builds a number from its significant digits (ASCII, first and last nonzero,
    /// at most 38) and the exponent of the first one (within range).
    fn assemble(neg: bool, digits: &[u8], adj: i64) -> Number {
        debug_assert!(!digits.is_empty() && digits.len() <= MAX_DIGITS);
        debug_assert!(digits[0] != b'0' && digits[digits.len() - 1] != b'0');
        debug_assert!((MIN_ADJ..=MAX_ADJ).contains(&adj));
        Number {
            text: plain_text(neg, digits, adj).into_boxed_str(),
            adj: adj as i16,
            neg,
        }
    }

    /// Checks DynamoDB's rules for an exact value given by its significant digits
    /// (first and last nonzero) and the exponent of the first one.
    fn finish(neg: bool, digits: &[u8], adj: i64) -> Result<Number, NumberError> {
        if digits.len() > MAX_DIGITS {
            Err(NumberError::TooManyDigits {
                input: plain_text(neg, digits, adj),
                digits: digits.len(),
            })
        } else if !(MIN_ADJ..=MAX_ADJ).contains(&adj) {
            Err(NumberError::OutOfRange {
                input: plain_text(neg, digits, adj),
            })
        } else {
            Ok(Number::assemble(neg, digits, adj))
        }
    }

    /// The number whose canonical text is `text`, or `None` if `text` is not canonical plain
    /// notation of a nonzero number within DynamoDB's rules (the caller then parses it).
    /// Canonical: an optional `-`, an integer part without leading zeros (`0` before a point),
    /// and a fractional part, if any, not ending in `0`.
    fn from_canonical_text(text: &[u8]) -> Option<Number> {
        let (neg, magnitude) = match text {
            [b'-', rest @ ..] => (true, rest),
            _ => (false, text),
        };
        let (int, frac) = match magnitude.iter().position(|&b| b == b'.') {
            Some(p) => (&magnitude[..p], &magnitude[p + 1..]),
            None => (magnitude, &[][..]),
        };
        let well_formed = !int.is_empty()
            && int.iter().all(u8::is_ascii_digit)
            && frac.iter().all(u8::is_ascii_digit)
            && (int.len() == magnitude.len() || frac.last().is_some_and(|&d| d != b'0'));
        if !well_formed {
            return None;
        }
        let (adj, significant) = if int == b"0" {
            let zeros = frac.iter().take_while(|&&d| d == b'0').count();
            if zeros == frac.len() {
                return None;
            }
            (-to_i64(zeros) - 1, frac.len() - zeros)
        } else if int[0] == b'0' {
            return None;
        } else {
            let trailing = if frac.is_empty() {
                int.iter().rev().take_while(|&&d| d == b'0').count()
            } else {
                0
            };
            (to_i64(int.len()) - 1, int.len() + frac.len() - trailing)
        };
        if significant > MAX_DIGITS || !(MIN_ADJ..=MAX_ADJ).contains(&adj) {
            return None;
        }
        Some(Number {
            text: Box::from(std::str::from_utf8(text).ok()?),
            adj: adj as i16,
            neg,
        })
    }

    /// Builds an integer from its decimal digits (ASCII, no leading zero, nonzero),
    /// which must have at most 38 significant digits.
    fn from_int_digits(neg: bool, digits: &[u8]) -> Number {
        let mut s = String::with_capacity(digits.len() + usize::from(neg));
        if neg {
            s.push('-');
        }
        push_digits(&mut s, digits);
        Number {
            text: s.into_boxed_str(),
            adj: (digits.len() - 1) as i16,
            neg,
        }
    }

    fn from_u64_magnitude(neg: bool, mag: u64) -> Number {
        if mag == 0 {
            return Number::zero();
        }
        let mut buf = [0u8; 20];
        Number::from_int_digits(neg, decimal_digits(mag, &mut buf))
    }

    fn from_u128_magnitude(neg: bool, mag: u128) -> Result<Number, NumberError> {
        if let Ok(small) = u64::try_from(mag) {
            return Ok(Number::from_u64_magnitude(neg, small));
        }
        let mut buf = [0u8; 39];
        let digits = decimal_digits(mag, &mut buf);
        let trailing_zeros = digits.iter().rev().take_while(|&&d| d == b'0').count();
        let significant = digits.len() - trailing_zeros;
        if significant > MAX_DIGITS {
            let mut input = String::with_capacity(digits.len() + 1);
            if neg {
                input.push('-');
            }
            push_digits(&mut input, digits);
            return Err(NumberError::TooManyDigits {
                input,
                digits: significant,
            });
        }
        Ok(Number::from_int_digits(neg, digits))
    }

    // ----- inspection helpers -----

    /// The canonical text without its sign.
    fn magnitude(&self) -> &str {
        &self.text[usize::from(self.neg)..]
    }

    /// -1, 0 or 1.
    fn signum(&self) -> i8 {
        if self.neg {
            -1
        } else if self.is_zero() {
            0
        } else {
            1
        }
    }

    /// Compares absolute values of two nonzero numbers.
    fn cmp_magnitude(&self, other: &Number) -> Ordering {
        // With equal leading exponents, the plain texts line up digit for digit
        // (same integer-part length, or the same run of zeros after `0.`), and a
        // text that is a proper prefix of the other lacks some nonzero digits.
        self.adj.cmp(&other.adj).then_with(|| {
            self.magnitude()
                .as_bytes()
                .cmp(other.magnitude().as_bytes())
        })
    }

    /// Exponent of the last digit of the canonical text (0 for integers).
    fn last_digit_exp(&self) -> i64 {
        match self.text.find('.') {
            Some(dot) => -((self.text.len() - dot - 1) as i64),
            None => 0,
        }
    }

    /// Writes the digit values of this number's magnitude into `acc`, where index
    /// `i` holds the digit for `10^(i + base)`.
    fn scatter(&self, acc: &mut [u8; ACC_LEN], base: i64) {
        let mag = self.magnitude();
        let (int, frac) = mag.split_once('.').unwrap_or((mag, ""));
        let int_len = int.len() as i64;
        for (k, c) in int.bytes().enumerate() {
            if c != b'0' {
                acc[(int_len - 1 - k as i64 - base) as usize] = c - b'0';
            }
        }
        for (k, c) in frac.bytes().enumerate() {
            if c != b'0' {
                acc[(-1 - k as i64 - base) as usize] = c - b'0';
            }
        }
    }

    /// Exact `self + other` (or `self - other` when `flip`), checked.
    fn add_signed(&self, other: &Number, flip: bool) -> Result<Number, NumberError> {
        if other.is_zero() {
            return Ok(self.clone());
        }
        if self.is_zero() {
            return Ok(if flip { other.neg() } else { other.clone() });
        }
        let other_neg = other.neg != flip;
        let (big, small, neg) = if self.cmp_magnitude(other) == Ordering::Less {
            (other, self, other_neg)
        } else {
            (self, other, self.neg)
        };
        let base = self.last_digit_exp().min(other.last_digit_exp());
        let mut acc = [0u8; ACC_LEN];
        let mut sub = [0u8; ACC_LEN];
        big.scatter(&mut acc, base);
        small.scatter(&mut sub, base);
        // One position past the leading digit of `big`, for a carry.
        let top = (i64::from(big.adj) + 2 - base) as usize;
        if self.neg == other_neg {
            let mut carry = 0;
            for (a, &b) in acc[..top].iter_mut().zip(&sub[..top]) {
                let s = *a + b + carry;
                *a = s % 10;
                carry = s / 10;
            }
        } else {
            // |big| >= |small|, so this never borrows out of the top.
            let mut borrow = 0;
            for (a, &b) in acc[..top].iter_mut().zip(&sub[..top]) {
                let s = b + borrow;
                if *a >= s {
                    *a -= s;
                    borrow = 0;
                } else {
                    *a = *a + 10 - s;
                    borrow = 1;
                }
            }
        }
        let result = &acc[..top];
        let Some(hi) = result.iter().rposition(|&d| d != 0) else {
            return Ok(Number::zero());
        };
        let lo = result.iter().position(|&d| d != 0).unwrap_or(hi);
        let mut digits = [0u8; ACC_LEN];
        let n = hi - lo + 1;
        for (out, &d) in digits.iter_mut().zip(result[lo..=hi].iter().rev()) {
            *out = b'0' + d;
        }
        Number::finish(neg, &digits[..n], base + hi as i64)
    }

    /// Magnitude of an integral number as `u128`, or `DoesNotFit` for `target`.
    fn int_magnitude(&self, target: &'static str) -> Result<u128, NumberError> {
        let digits = self.magnitude();
        if digits.len() > 39 || digits.contains('.') {
            return Err(self.does_not_fit(target));
        }
        let mut v: u128 = 0;
        for c in digits.bytes() {
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u128::from(c - b'0')))
                .ok_or_else(|| self.does_not_fit(target))?;
        }
        Ok(v)
    }

    fn does_not_fit(&self, target: &'static str) -> NumberError {
        NumberError::DoesNotFit {
            value: self.text.to_string(),
            target,
        }
    }
}

/// Parses number syntax and checks DynamoDB's rules, without attaching the input to errors.
fn parse_bytes(b: &[u8]) -> Result<Number, Fail> {
    let (neg, body) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, b),
    };

    // Mantissa: digits with at most one point.
    let mut i = 0;
    let mut point = None;
    let mut first_nonzero = None;
    let mut last_nonzero = 0;
    let mut any_digit = false;
    while let Some(&c) = body.get(i) {
        match c {
            b'0' => any_digit = true,
            b'1'..=b'9' => {
                any_digit = true;
                if first_nonzero.is_none() {
                    first_nonzero = Some(i);
                }
                last_nonzero = i;
            }
            b'.' if point.is_none() => point = Some(i),
            _ => break,
        }
        i += 1;
    }
    if !any_digit {
        return Err(if is_non_finite_word(body) {
            Fail::NotFinite
        } else {
            Fail::Syntax
        });
    }
    let mantissa_end = i;

    // Exponent, saturating far outside the valid range.
    let mut exp: i64 = 0;
    if let Some(&c) = body.get(i) {
        if c != b'e' && c != b'E' {
            return Err(Fail::Syntax);
        }
        i += 1;
        let exp_neg = match body.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let digits = &body[i..];
        if digits.is_empty() {
            return Err(Fail::Syntax);
        }
        for &c in digits {
            if !c.is_ascii_digit() {
                return Err(Fail::Syntax);
            }
            exp = (exp * 10 + i64::from(c - b'0')).min(EXP_LIMIT);
        }
        if exp_neg {
            exp = -exp;
        }
    }

    let Some(first) = first_nonzero else {
        return Ok(Number::zero());
    };
    let point = point.unwrap_or(mantissa_end);
    let span = last_nonzero - first + 1;
    let count = if first < point && point < last_nonzero {
        span - 1
    } else {
        span
    };
    if count > MAX_DIGITS {
        return Err(Fail::TooManyDigits(count));
    }
    // The digit just left of the point has exponent 0.
    let adj = if first < point {
        to_i64(point - first - 1)
    } else {
        -to_i64(first - point)
    }
    .saturating_add(exp);
    if !(MIN_ADJ..=MAX_ADJ).contains(&adj) {
        return Err(Fail::OutOfRange);
    }
    let mut digits = [0u8; MAX_DIGITS];
    let mut n = 0;
    for &c in &body[first..=last_nonzero] {
        if c != b'.' {
            digits[n] = c;
            n += 1;
        }
    }
    Ok(Number::assemble(neg, &digits[..n], adj))
}

/// Whether `s` (after any sign) spells NaN or infinity the way common formatters do.
fn is_non_finite_word(s: &[u8]) -> bool {
    s.eq_ignore_ascii_case(b"nan")
        || s.eq_ignore_ascii_case(b"inf")
        || s.eq_ignore_ascii_case(b"infinity")
}

fn to_i64(x: usize) -> i64 {
    i64::try_from(x).unwrap_or(i64::MAX)
}

/// Plain-notation text of the exact value with significant digits `digits`
/// (ASCII, first and last nonzero) whose first digit has exponent `adj`.
fn plain_text(neg: bool, digits: &[u8], adj: i64) -> String {
    let n = digits.len() as i64;
    // Exponent of the last digit.
    let last = adj - n + 1;
    let len = if last >= 0 {
        n + last
    } else if adj >= 0 {
        n + 1
    } else {
        1 - adj + n
    };
    let mut s = String::with_capacity(len as usize + usize::from(neg));
    if neg {
        s.push('-');
    }
    if last >= 0 {
        push_digits(&mut s, digits);
        s.extend(std::iter::repeat_n('0', last as usize));
    } else if adj >= 0 {
        let int_len = (adj + 1) as usize;
        push_digits(&mut s, &digits[..int_len]);
        s.push('.');
        push_digits(&mut s, &digits[int_len..]);
    } else {
        s.push_str("0.");
        s.extend(std::iter::repeat_n('0', (-adj - 1) as usize));
        push_digits(&mut s, digits);
    }
    s
}

/// Appends ASCII digits (a copy of the bytes, not one `char` at a time).
fn push_digits(s: &mut String, digits: &[u8]) {
    s.push_str(std::str::from_utf8(digits).expect("decimal digits are ASCII"));
}

/// A small stack buffer for formatting floats without allocating.
struct StackStr {
    buf: [u8; 64],
    len: usize,
}

impl StackStr {
    fn new() -> StackStr {
        StackStr {
            buf: [0; 64],
            len: 0,
        }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl fmt::Write for StackStr {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let dest = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dest.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl Default for Number {
    fn default() -> Number {
        Number::zero()
    }
}

impl FromStr for Number {
    type Err = NumberError;

    fn from_str(s: &str) -> Result<Number, NumberError> {
        Number::parse(s)
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.text)
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Number({})", self.text)
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Number) -> Ordering {
        let sign = self.signum();
        match sign.cmp(&other.signum()) {
            Ordering::Equal => {}
            unequal => return unequal,
        }
        match sign {
            0 => Ordering::Equal,
            1 => self.cmp_magnitude(other),
            _ => other.cmp_magnitude(self),
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

macro_rules! from_small_signed {
    ($($t:ty),*) => {$(
        impl From<$t> for Number {
            fn from(v: $t) -> Number {
                Number::from_u64_magnitude(v < 0, v.unsigned_abs().into())
            }
        }
    )*};
}
from_small_signed!(i8, i16, i32, i64);

macro_rules! from_small_unsigned {
    ($($t:ty),*) => {$(
        impl From<$t> for Number {
            fn from(v: $t) -> Number {
                Number::from_u64_magnitude(false, v.into())
            }
        }
    )*};
}
from_small_unsigned!(u8, u16, u32, u64);

impl From<isize> for Number {
    fn from(v: isize) -> Number {
        // `isize` is at most 64 bits wide on every target Rust supports.
        Number::from(v as i64)
    }
}

impl From<usize> for Number {
    fn from(v: usize) -> Number {
        // `usize` is at most 64 bits wide on every target Rust supports.
        Number::from(v as u64)
    }
}

/// `TryFrom<$t> for Number` through the named constructor, with the docs given.
macro_rules! try_from_through {
    ($($(#[$doc:meta])* $t:ty => $via:ident;)*) => {$(
        impl TryFrom<$t> for Number {
            type Error = NumberError;

            $(#[$doc])*
            fn try_from(v: $t) -> Result<Number, NumberError> {
                Number::$via(v)
            }
        }
    )*};
}
try_from_through! {
    i128 => from_i128;
    u128 => from_u128;
    /// Same as [`Number::from_f64`]: the shortest round-trip text; NaN, infinities and
    /// out-of-range values are errors that quote the value.
    f64 => from_f64;
    /// Same as [`Number::from_f32`]: the shortest round-trip text; NaN and infinities are
    /// errors that quote the value.
    f32 => from_f32;
}

macro_rules! try_into_int {
    ($($t:ty),*) => {$(
        impl TryFrom<&Number> for $t {
            type Error = NumberError;

            fn try_from(n: &Number) -> Result<$t, NumberError> {
                let target = stringify!($t);
                let mag = n.int_magnitude(target)?;
                let fits = if n.neg {
                    0i128.checked_sub_unsigned(mag).and_then(|w| <$t>::try_from(w).ok())
                } else {
                    <$t>::try_from(mag).ok()
                };
                fits.ok_or_else(|| n.does_not_fit(target))
            }
        }

        impl TryFrom<Number> for $t {
            type Error = NumberError;

            fn try_from(n: Number) -> Result<$t, NumberError> {
                <$t>::try_from(&n)
            }
        }
    )*};
}
try_into_int!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);

/// The decimal digits of `v` (none for zero), written at the end of `buf`.
fn decimal_digits<T>(mut v: T, buf: &mut [u8]) -> &[u8]
where
    T: Copy + PartialEq + From<u8> + std::ops::Rem<Output = T> + std::ops::Div<Output = T>,
    u8: TryFrom<T>,
{
    let (zero, ten) = (T::from(0), T::from(10));
    let mut pos = buf.len();
    while v != zero {
        pos -= 1;
        // A remainder of a division by ten always fits.
        buf[pos] = b'0' + u8::try_from(v % ten).unwrap_or(0);
        v = v / ten;
    }
    &buf[pos..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::hash_map::DefaultHasher;
    use std::hash::{Hash, Hasher};

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
    }

    fn zeros(k: usize) -> String {
        "0".repeat(k)
    }

    fn hash_of(x: &Number) -> u64 {
        let mut h = DefaultHasher::new();
        x.hash(&mut h);
        h.finish()
    }

    // ----- parsing and canonical form -----

    #[test]
    fn canonical_form_table() {
        let big = format!("1{}", zeros(125));
        let tiny = format!("0.{}1", zeros(129));
        let cases: &[(&str, &str)] = &[
            ("0", "0"),
            ("-0", "0"),
            ("+0", "0"),
            ("0.000", "0"),
            ("000", "0"),
            ("0e5", "0"),
            ("-0.0e-999", "0"),
            ("0e99999999999999999999999999", "0"),
            (".0", "0"),
            ("0.", "0"),
            ("001.500", "1.5"),
            ("1e2", "100"),
            ("-1.0E-3", "-0.001"),
            ("1E+125", &big),
            ("1e-130", &tiny),
            (".5", "0.5"),
            ("-.5", "-0.5"),
            ("5.", "5"),
            ("+5", "5"),
            ("5.e3", "5000"),
            ("123.456e1", "1234.56"),
            ("123.456e3", "123456"),
            ("123.456e-5", "0.00123456"),
            ("12300", "12300"),
            ("1230e-1", "123"),
            ("0.1e1", "1"),
            ("-12.5", "-12.5"),
            ("1e0000000000000000000000000002", "100"),
            ("100e-2", "1"),
            ("0.00100", "0.001"),
            ("10.01", "10.01"),
            ("-0001000.0001000", "-1000.0001"),
            ("1.5E0", "1.5"),
            ("15e-1", "1.5"),
            ("0.000015e5", "1.5"),
        ];
        for &(input, want) in cases {
            let got = n(input);
            assert_eq!(got.as_str(), want, "canonical form of {input:?}");
            assert_eq!(got.to_string(), want);
            // Canonical text re-parses to itself.
            assert_eq!(n(want), got);
            assert_eq!(n(want).as_str(), want);
        }
    }

    #[test]
    fn long_inputs_with_insignificant_zeros() {
        // 200 leading zeros, 200 trailing fractional zeros.
        let s = format!("{}12.5{}", zeros(200), zeros(200));
        assert_eq!(n(&s).as_str(), "12.5");
        // Huge mantissa scaled back into range by the exponent.
        let s = format!("1{}e-200", zeros(200));
        assert_eq!(n(&s).as_str(), "1");
        let s = format!("0.{}7e205", zeros(200));
        assert_eq!(n(&s).as_str(), "70000");
    }

    #[test]
    fn syntax_errors() {
        for bad in [
            "", " 1", "1 ", " ", "+", "-", ".", "-.", "e5", ".e5", "1e", "1e+", "1e-", "1..2",
            "1.2.3", "--1", "+-1", "-+1", "0x10", "1_000", "1,5", "abc", "1e5.5", "1e5e5", "1e 5",
            "1 e5", "\u{0661}", "\u{ff11}", "1f", "1d", "NaN1", "infinit", "1e+-5", "\n1", "1\t",
        ] {
            assert_eq!(
                Number::parse(bad),
                Err(NumberError::Syntax {
                    input: bad.to_owned()
                }),
                "{bad:?}"
            );
            assert!(bad.parse::<Number>().is_err());
        }
    }

    #[test]
    fn non_finite_words() {
        for bad in [
            "NaN",
            "nan",
            "-nan",
            "inf",
            "-inf",
            "+Infinity",
            "INF",
            "infinity",
        ] {
            assert_eq!(
                Number::parse(bad),
                Err(NumberError::NotFinite {
                    input: bad.to_owned()
                }),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn digit_limit() {
        let d38 = "9".repeat(38);
        let d39 = "9".repeat(39);
        assert_eq!(n(&d38).as_str(), d38);
        assert_eq!(
            Number::parse(&d39),
            Err(NumberError::TooManyDigits {
                input: d39.clone(),
                digits: 39
            })
        );
        // The point does not count, nor do leading/trailing zeros.
        let split = format!("{}.{}", "1".repeat(20), "2".repeat(18));
        assert_eq!(n(&split).as_str(), split);
        let split39 = format!("{}.{}", "1".repeat(20), "2".repeat(19));
        assert!(matches!(
            Number::parse(&split39),
            Err(NumberError::TooManyDigits { digits: 39, .. })
        ));
        let padded = format!("000{d38}.000");
        assert_eq!(n(&padded).as_str(), d38);
        let frac = format!("0.{}", "3".repeat(38));
        assert_eq!(n(&frac).as_str(), frac);
        assert!(matches!(
            Number::parse(&format!("0.{}", "3".repeat(39))),
            Err(NumberError::TooManyDigits { digits: 39, .. })
        ));
        let sparse = format!("1{}1", zeros(37));
        assert!(matches!(
            Number::parse(&sparse),
            Err(NumberError::TooManyDigits { digits: 39, .. })
        ));
        // Three significant digits, 44 digits long.
        let wide = format!("123{}", zeros(41));
        assert_eq!(n(&wide).as_str(), wide);
        let long_frac = format!("1.5{}", zeros(100));
        assert_eq!(n(&long_frac).as_str(), "1.5");
        // Digits are checked even when the exponent is also out of range.
        assert!(matches!(
            Number::parse(&format!("{d39}e999")),
            Err(NumberError::TooManyDigits { digits: 39, .. })
        ));
    }

    #[test]
    fn range_edges() {
        let max = format!("9.{}e125", "9".repeat(37));
        let max_n = n(&max);
        assert_eq!(max_n.as_str(), format!("{}{}", "9".repeat(38), zeros(88)));
        assert_eq!(n(&format!("-{max}")), max_n.neg());
        assert_eq!(n("1e-130").as_str(), format!("0.{}1", zeros(129)));
        assert_eq!(n("-1e-130").as_str(), format!("-0.{}1", zeros(129)));
        assert_eq!(n("0.1e-129"), n("1e-130"));
        assert_eq!(n("10e124"), n("1e125"));
        // Smallest 38-digit number at the bottom of the range.
        let low = format!("1.{}e-130", "1".repeat(37));
        assert_eq!(
            n(&low).as_str(),
            format!("0.{}{}", zeros(129), "1".repeat(38))
        );
        for bad in [
            "1e126",
            "-1e126",
            "10e125",
            "1e-131",
            "-1e-131",
            "0.99e-130",
            "9.99e-131",
            "1e999999999999",
            "1e-999999999999",
            "1e99999999999999999999999999999999",
            "-1e-99999999999999999999999999999999",
        ] {
            assert_eq!(
                Number::parse(bad),
                Err(NumberError::OutOfRange {
                    input: bad.to_owned()
                }),
                "{bad:?}"
            );
        }
        let too_big = format!("1{}", zeros(126));
        assert!(matches!(
            Number::parse(&too_big),
            Err(NumberError::OutOfRange { .. })
        ));
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            Number::parse("abc").unwrap_err().to_string(),
            "`abc` is not a number"
        );
        let d39 = "1".repeat(39);
        assert_eq!(
            Number::parse(&d39).unwrap_err().to_string(),
            format!("`{d39}` has 39 significant digits; DynamoDB allows at most 38")
        );
        assert_eq!(
            Number::parse("1e126").unwrap_err().to_string(),
            "`1e126` is out of DynamoDB's range (magnitude must be 1e-130 <= |n| < 1e126, or 0)"
        );
        assert_eq!(
            Number::from_f64(f64::NAN).unwrap_err().to_string(),
            "`NaN` cannot be stored: DynamoDB numbers must be finite (no NaN or infinity)"
        );
        assert_eq!(
            i64::try_from(&n("1.5")).unwrap_err().to_string(),
            "1.5 does not fit in i64"
        );
    }

    // ----- accessors, formatting, traits -----

    #[test]
    fn predicates() {
        assert!(Number::zero().is_zero());
        assert!(Number::zero().is_integer());
        assert!(!Number::zero().is_negative());
        assert_eq!(Number::default(), Number::zero());
        assert_eq!(Number::zero().as_str(), "0");
        assert!(n("-0.5").is_negative());
        assert!(!n("-0.5").is_integer());
        assert!(!n("-0.5").is_zero());
        assert!(n("1e3").is_integer());
        assert!(n("-1e3").is_integer());
        assert!(!n("1e-3").is_integer());
        assert!(n("12.5e1").is_integer());
    }

    #[test]
    fn display_debug_and_hash() {
        let x = n("001.500");
        assert_eq!(format!("{x}"), "1.5");
        assert_eq!(format!("{x:>6}"), "   1.5");
        assert_eq!(format!("{x:?}"), "Number(1.5)");
        assert_eq!(format!("{:?}", n("-1e-3")), "Number(-0.001)");
        assert_eq!(n("1.50"), n("15e-1"));
        assert_eq!(hash_of(&n("1.50")), hash_of(&n("15e-1")));
        assert_eq!(hash_of(&n("-0")), hash_of(&n("0.0e9")));
        assert_ne!(n("1.5"), n("-1.5"));
        assert_eq!("42".parse::<Number>(), Ok(Number::from(42u8)));
    }

    #[test]
    fn negation() {
        assert_eq!(n("1.5").neg().as_str(), "-1.5");
        assert_eq!(n("-1.5").neg().as_str(), "1.5");
        assert_eq!(Number::zero().neg(), Number::zero());
        assert_eq!(n("1e-130").neg().neg(), n("1e-130"));
        assert!(n("7").neg().is_negative());
    }

    #[test]
    fn ordering_examples() {
        let sorted = [
            "-1e125", "-10", "-1.5", "-1", "-0.5", "-1e-130", "0", "1e-130", "2e-130", "0.0999",
            "0.1", "0.5", "0.51", "1", "1.05", "1.5", "9.99", "10", "100", "1e125",
        ]
        .map(n);
        for (i, a) in sorted.iter().enumerate() {
            for (j, b) in sorted.iter().enumerate() {
                assert_eq!(a.cmp(b), i.cmp(&j), "{a} vs {b}");
                assert_eq!(a.partial_cmp(b), Some(i.cmp(&j)));
                assert_eq!(a == b, i == j);
            }
        }
        let mut shuffled = sorted.clone();
        shuffled.reverse();
        shuffled.sort();
        assert_eq!(shuffled, sorted);
        assert_eq!(n("1.50").cmp(&n("1.5")), Ordering::Equal);
    }

    // ----- floats -----

    #[test]
    fn from_f64_table() {
        assert_eq!(Number::from_f64(0.1).unwrap().as_str(), "0.1");
        assert_eq!(Number::from_f64(1.5).unwrap().as_str(), "1.5");
        assert_eq!(Number::from_f64(-2.0).unwrap().as_str(), "-2");
        assert_eq!(Number::from_f64(0.0).unwrap(), Number::zero());
        assert_eq!(Number::from_f64(-0.0).unwrap(), Number::zero());
        assert_eq!(
            Number::from_f64(1e20).unwrap().as_str(),
            "100000000000000000000"
        );
        assert_eq!(
            Number::from_f64(0.1 + 0.2).unwrap().as_str(),
            "0.30000000000000004"
        );
        assert_eq!(Number::from_f64(1e-130).unwrap(), n("1e-130"));
        assert_eq!(Number::from_f64(1e125).unwrap(), n("1e125"));
        assert_eq!(
            Number::from_f64(1e126),
            Err(NumberError::OutOfRange {
                input: "1e126".into()
            })
        );
        assert_eq!(
            Number::from_f64(5e-324),
            Err(NumberError::OutOfRange {
                input: "5e-324".into()
            })
        );
        assert!(matches!(
            Number::from_f64(f64::MAX),
            Err(NumberError::OutOfRange { .. })
        ));
        assert!(matches!(
            Number::from_f64(-1e-200),
            Err(NumberError::OutOfRange { .. })
        ));
        for (f, text) in [
            (f64::NAN, "NaN"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            assert_eq!(
                Number::from_f64(f),
                Err(NumberError::NotFinite { input: text.into() })
            );
        }
    }

    /// Only canonical plain text of a nonzero number within DynamoDB's rules is taken as it is.
    #[test]
    fn canonical_text_taken_as_it_is() {
        for text in [
            "1",
            "-1",
            "0.5",
            "-0.05",
            "12.25",
            "100",
            "1234500000000000",
        ] {
            let got = Number::from_canonical_text(text.as_bytes()).expect(text);
            assert_eq!(got, n(text), "{text}");
        }
        for text in [
            "0", "-0", "0.0", "00.5", "01", "1.50", "1.", ".5", "-", "", "1e5", "1.2.3", "+1",
            "inf", "NaN",
        ] {
            assert_eq!(Number::from_canonical_text(text.as_bytes()), None, "{text}");
        }
        // 39 significant digits, and magnitudes out of range.
        let long = "1".repeat(39);
        assert_eq!(Number::from_canonical_text(long.as_bytes()), None);
        let big = format!("1{}", "0".repeat(126));
        assert_eq!(Number::from_canonical_text(big.as_bytes()), None);
        let small = format!("0.{}1", "0".repeat(130));
        assert_eq!(Number::from_canonical_text(small.as_bytes()), None);
    }

    #[test]
    fn significant_digits_and_text() {
        for (text, digits) in [
            ("0", 0),
            ("7", 1),
            ("-12300", 3),
            ("10.05", 4),
            ("-0.00105", 3),
            ("1e125", 1),
            ("123e-130", 3),
        ] {
            assert_eq!(n(text).significant_digits(), digits, "{text}");
        }
        assert_eq!(n("-001.500e1").into_string(), "-15");
    }

    #[test]
    fn try_from_floats() {
        assert_eq!(Number::try_from(1.5f64).unwrap().as_str(), "1.5");
        assert_eq!(Number::try_from(0.1f64).unwrap().as_str(), "0.1");
        assert_eq!(Number::try_from(-2.0f64).unwrap().as_str(), "-2");
        assert_eq!(Number::try_from(1.5f32).unwrap().as_str(), "1.5");
        assert_eq!(Number::try_from(0.1f32).unwrap().as_str(), "0.1");
        let n: Number = 2.25f64.try_into().unwrap();
        assert_eq!(n.as_str(), "2.25");
        for (f, text) in [
            (f64::NAN, "NaN"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            let err = Number::try_from(f).unwrap_err();
            assert_eq!(err, NumberError::NotFinite { input: text.into() });
            assert!(err.to_string().contains(&format!("`{text}`")), "{err}");
        }
        for (f, text) in [(f32::NAN, "NaN"), (f32::INFINITY, "inf")] {
            let err = Number::try_from(f).unwrap_err();
            assert_eq!(err, NumberError::NotFinite { input: text.into() });
            assert!(err.to_string().contains(&format!("`{text}`")), "{err}");
        }
        assert_eq!(
            Number::try_from(1e126f64),
            Err(NumberError::OutOfRange {
                input: "1e126".into()
            })
        );
    }

    #[test]
    fn from_f32_table() {
        assert_eq!(Number::from_f32(0.1).unwrap().as_str(), "0.1");
        assert_eq!(Number::from_f32(-0.0).unwrap(), Number::zero());
        assert_eq!(
            Number::from_f32(f32::MAX).unwrap().as_str(),
            "340282350000000000000000000000000000000"
        );
        let min_sub = Number::from_f32(f32::from_bits(1)).unwrap();
        assert_eq!(min_sub, n("1e-45"));
        assert_eq!(min_sub.to_f32(), f32::from_bits(1));
        assert!(matches!(
            Number::from_f32(f32::NAN),
            Err(NumberError::NotFinite { .. })
        ));
        assert!(matches!(
            Number::from_f32(f32::NEG_INFINITY),
            Err(NumberError::NotFinite { .. })
        ));
    }

    #[test]
    fn to_float() {
        assert_eq!(n("0.1").to_f64(), 0.1);
        assert_eq!(n("-1.5").to_f64(), -1.5);
        assert_eq!(n("1e-130").to_f64(), 1e-130);
        assert_eq!(n("1e125").to_f64(), 1e125);
        assert_eq!(Number::zero().to_f64(), 0.0);
        assert_eq!(n(&"9".repeat(38)).to_f64(), 1e38);
        assert_eq!(n("0.1").to_f32(), 0.1f32);
        assert_eq!(n("1e125").to_f32(), f32::INFINITY);
        assert_eq!(n("-1e125").to_f32(), f32::NEG_INFINITY);
        assert_eq!(n("1e-130").to_f32(), 0.0);
    }

    // ----- integers -----

    macro_rules! check_int_extremes {
        ($($t:ty),*) => {$(
            for v in [<$t>::MIN, <$t>::MAX, 0 as $t, 1 as $t, <$t>::MAX / 10] {
                let x = Number::from(v);
                assert_eq!(x.as_str(), v.to_string(), "{}", stringify!($t));
                assert!(x.is_integer());
                assert_eq!(<$t>::try_from(&x), Ok(v));
                assert_eq!(<$t>::try_from(x.clone()), Ok(v));
            }
        )*};
    }

    #[test]
    fn integer_extremes_round_trip() {
        check_int_extremes!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);
    }

    #[test]
    fn wide_integers() {
        for v in [
            i128::MIN,
            i128::MAX,
            -(10i128.pow(38)) + 1,
            10i128.pow(38) - 1,
            u128::MAX.try_into().unwrap_or(0),
        ] {
            let text = v.to_string();
            let digits = text.trim_start_matches('-').trim_end_matches('0').len();
            if digits <= 38 {
                let x = Number::from_i128(v).unwrap();
                assert_eq!(x.as_str(), text);
                assert_eq!(i128::try_from(&x), Ok(v));
            } else {
                assert_eq!(
                    Number::try_from(v),
                    Err(NumberError::TooManyDigits {
                        input: text,
                        digits
                    })
                );
            }
        }
        assert_eq!(
            Number::from_u128(u128::MAX),
            Err(NumberError::TooManyDigits {
                input: "340282366920938463463374607431768211455".into(),
                digits: 39
            })
        );
        assert_eq!(
            Number::try_from(i128::MIN),
            Err(NumberError::TooManyDigits {
                input: "-170141183460469231731687303715884105728".into(),
                digits: 39
            })
        );
        assert!(Number::try_from(i128::MAX).is_err());
        // 39-digit values ending in zeros are fine: 10^38 has one significant digit.
        let p38 = 10u128.pow(38);
        let x = Number::from_u128(p38).unwrap();
        assert_eq!(x.as_str(), format!("1{}", zeros(38)));
        assert_eq!(u128::try_from(&x), Ok(p38));
        let x = Number::from_u128(340_282_366_920_938_463_463_374_607_431_768_211_450).unwrap();
        assert_eq!(
            u128::try_from(x),
            Ok(340_282_366_920_938_463_463_374_607_431_768_211_450)
        );
        let x = Number::try_from(-(10i128.pow(38))).unwrap();
        assert_eq!(i128::try_from(&x), Ok(-(10i128.pow(38))));
        // Small values go through the 64-bit path.
        assert_eq!(Number::from_u128(7).unwrap().as_str(), "7");
        assert_eq!(Number::from_i128(-7).unwrap().as_str(), "-7");
        assert_eq!(Number::from_i128(0).unwrap(), Number::zero());
    }

    #[test]
    fn lossy_reads_fail() {
        let err = |s: &str, target: &'static str| NumberError::DoesNotFit {
            value: s.to_owned(),
            target,
        };
        assert_eq!(i64::try_from(&n("1.5")), Err(err("1.5", "i64")));
        assert_eq!(i64::try_from(n("-0.5")), Err(err("-0.5", "i64")));
        assert_eq!(u8::try_from(&n("256")), Err(err("256", "u8")));
        assert_eq!(u8::try_from(&n("255")), Ok(255));
        assert_eq!(i8::try_from(&n("-129")), Err(err("-129", "i8")));
        assert_eq!(i8::try_from(&n("-128")), Ok(-128));
        assert_eq!(u32::try_from(&n("-1")), Err(err("-1", "u32")));
        assert_eq!(usize::try_from(&n("-1")), Err(err("-1", "usize")));
        assert_eq!(
            i64::try_from(&n("9223372036854775808")),
            Err(err("9223372036854775808", "i64"))
        );
        assert_eq!(
            i64::try_from(&n("-9223372036854775809")),
            Err(err("-9223372036854775809", "i64"))
        );
        assert_eq!(
            u64::try_from(&n("18446744073709551616")),
            Err(err("18446744073709551616", "u64"))
        );
        let huge = format!("1{}", zeros(125));
        assert_eq!(i128::try_from(&n(&huge)), Err(err(&huge, "i128")));
        assert_eq!(u128::try_from(&n(&huge)), Err(err(&huge, "u128")));
        // 2^128 has 39 digits but ends in ...456, so build 3.5e38 instead.
        assert_eq!(
            u128::try_from(&n("3.5e38")),
            Err(err(&format!("35{}", zeros(37)), "u128"))
        );
        assert_eq!(
            i128::try_from(&n("1.8e38")),
            Err(err(&format!("18{}", zeros(37)), "i128"))
        );
        assert_eq!(
            u16::try_from(&n("1e-130")).unwrap_err().to_string(),
            format!("0.{}1 does not fit in u16", zeros(129))
        );
        assert_eq!(i32::try_from(&Number::zero()), Ok(0));
        assert_eq!(u32::try_from(&n("-0")), Ok(0));
    }

    // ----- arithmetic -----

    #[test]
    fn addition_table() {
        let cases: &[(&str, &str, &str)] = &[
            ("0.1", "0.2", "0.3"),
            ("-5", "3", "-2"),
            ("5", "-3", "2"),
            ("1", "-1", "0"),
            ("0", "0", "0"),
            ("0", "-2.5", "-2.5"),
            ("-2.5", "0", "-2.5"),
            ("999", "1", "1000"),
            ("-999", "-1", "-1000"),
            ("1000", "-0.001", "999.999"),
            ("1e125", "1e125", "2e125"),
            ("1e-130", "1e-130", "2e-130"),
            ("1e-130", "-1e-130", "0"),
            ("0.5", "0.5", "1"),
            ("123.456", "-23.456", "100"),
            ("1e100", "1e99", "1.1e100"),
        ];
        for &(a, b, want) in cases {
            assert_eq!(n(a).checked_add(&n(b)), Ok(n(want)), "{a} + {b}");
            assert_eq!(n(b).checked_add(&n(a)), Ok(n(want)), "{b} + {a}");
            assert_eq!(n(want).checked_sub(&n(b)), Ok(n(a)), "{want} - {b}");
            assert_eq!(n(a).neg().checked_sub(&n(b)), Ok(n(want).neg()));
        }
        assert_eq!(n("3").checked_sub(&n("5")), Ok(n("-2")));
        assert_eq!(Number::zero().checked_sub(&n("5")), Ok(n("-5")));
        assert_eq!(n("5").checked_sub(&Number::zero()), Ok(n("5")));
    }

    #[test]
    fn addition_limits() {
        let nines = n(&"9".repeat(38));
        // Carrying into a 39th digit that is a trailing zero is fine...
        assert_eq!(
            nines.checked_add(&n("1")),
            Ok(n(&format!("1{}", zeros(38))))
        );
        // ...but a carry that leaves 39 significant digits is not.
        assert_eq!(
            nines.checked_add(&n("2")),
            Err(NumberError::TooManyDigits {
                input: format!("1{}1", zeros(37)),
                digits: 39
            })
        );
        assert!(matches!(
            n(&format!("1{}1", zeros(36))).checked_add(&n("0.1")),
            Err(NumberError::TooManyDigits { digits: 39, .. })
        ));
        assert!(matches!(
            n("1e125").checked_sub(&n("1")),
            Err(NumberError::TooManyDigits { digits: 125, .. })
        ));
        assert!(matches!(
            n("1").checked_add(&n("1e-130")),
            Err(NumberError::TooManyDigits { digits: 131, .. })
        ));
        // Overflowing the range.
        let max = n(&format!("9.{}e125", "9".repeat(37)));
        assert_eq!(
            max.checked_add(&n("1e88")),
            Err(NumberError::OutOfRange {
                input: format!("1{}", zeros(126))
            })
        );
        assert!(matches!(
            max.neg().checked_sub(&n("1e88")),
            Err(NumberError::OutOfRange { .. })
        ));
        // Twice the maximum has 39 significant digits; that is reported first.
        assert!(matches!(
            max.checked_add(&max),
            Err(NumberError::TooManyDigits { digits: 39, .. })
        ));
        assert!(matches!(
            n("9e125").checked_add(&n("1e125")),
            Err(NumberError::OutOfRange { .. })
        ));
        // Cancelling below 1e-130.
        let low = n(&format!("1.{}1e-130", zeros(36)));
        assert_eq!(
            low.checked_sub(&n("1e-130")),
            Err(NumberError::OutOfRange {
                input: format!("0.{}1", zeros(166))
            })
        );
        // The extremes themselves are reachable.
        assert_eq!(
            max.checked_sub(&n("1e88")),
            Ok(n(&format!("9.{}8e125", "9".repeat(36))))
        );
        assert_eq!(max.checked_sub(&max), Ok(Number::zero()));
        assert_eq!(low.checked_add(&low.neg()), Ok(Number::zero()));
    }

    // ----- property tests -----

    /// Independent canonicalizer by string manipulation: (canonical text,
    /// significant digit count, exponent of the first significant digit).
    fn reference(s: &str) -> Option<(String, usize, i64)> {
        let (neg, body) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let (mant, exp) = match body.find(['e', 'E']) {
            Some(i) => (&body[..i], body[i + 1..].parse::<i64>().ok()?),
            None => (body, 0),
        };
        let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        let all: String = format!("{int}{frac}");
        let lead = all.len() - all.trim_start_matches('0').len();
        let sig = all.trim_matches('0');
        if sig.is_empty() {
            return Some(("0".into(), 0, 0));
        }
        let adj = int.len() as i64 - 1 - lead as i64 + exp;
        let last = adj - sig.len() as i64 + 1;
        let mut text = String::new();
        if neg {
            text.push('-');
        }
        if last >= 0 {
            text += sig;
            text += &"0".repeat(last as usize);
        } else {
            // Pad on the left so there is at least one integer digit.
            let frac_len = (-last) as usize;
            let padded = format!(
                "{}{sig}",
                "0".repeat((frac_len + 1).saturating_sub(sig.len()))
            );
            let (i, f) = padded.split_at(padded.len() - frac_len);
            text += i;
            text.push('.');
            text += f;
        }
        Some((text, sig.len(), adj))
    }

    fn assert_canonical(x: &Number) {
        let s = x.as_str();
        let mag = s.strip_prefix('-').unwrap_or(s);
        assert_ne!(s, "-0");
        assert!(!mag.is_empty());
        assert!(mag.bytes().all(|c| c.is_ascii_digit() || c == b'.'));
        let int = mag.split('.').next().unwrap_or("");
        assert!(int == "0" || !int.starts_with('0'), "{s}");
        if let Some(frac) = mag.split_once('.').map(|p| p.1) {
            assert!(!frac.is_empty() && !frac.ends_with('0'), "{s}");
        }
        assert_eq!(x.is_negative(), s.starts_with('-'));
    }

    fn exact(m: i64, e: i32) -> Number {
        n(&format!("{m}e{e}"))
    }

    /// Exact comparison of m1*10^e1 and m2*10^e2 in i128 (|e1 - e2| <= 18).
    fn scaled(m1: i64, e1: i32, m2: i64, e2: i32) -> (i128, i128, i32) {
        let base = e1.min(e2);
        let a = i128::from(m1) * 10i128.pow((e1 - base) as u32);
        let b = i128::from(m2) * 10i128.pow((e2 - base) as u32);
        (a, b, base)
    }

    proptest! {
        // No failure persistence: the tests must not write files into the source tree.
        #![proptest_config(ProptestConfig {
            cases: 2000,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn prop_parse_owned_matches_parse(
            s in "[+-]?0*[0-9]{0,41}(\\.[0-9]{0,3})?([eE][+-]?[0-9]{1,2})?"
        ) {
            let owned = Number::parse_owned(s.clone());
            let parsed = Number::parse(&s);
            prop_assert_eq!(&owned, &parsed);
            if let (Ok(a), Ok(b)) = (owned, parsed) {
                prop_assert_eq!(a.to_string(), b.to_string());
                prop_assert_eq!(a.cmp(&b), std::cmp::Ordering::Equal);
            }
        }

        #[test]
        fn prop_parse_matches_reference(
            s in "[+-]?[0-9]{0,45}(\\.[0-9]{0,45})?([eE][+-]?[0-9]{1,3})?"
        ) {
            let got = Number::parse(&s);
            match reference(&s) {
                None => prop_assert!(matches!(got, Err(NumberError::Syntax { .. })), "{:?}", got),
                Some((text, digits, adj)) => {
                    if digits > 38 {
                        prop_assert_eq!(got, Err(NumberError::TooManyDigits { input: s.clone(), digits }));
                    } else if digits > 0 && !(-130..=125).contains(&adj) {
                        prop_assert_eq!(got, Err(NumberError::OutOfRange { input: s.clone() }));
                    } else {
                        let x = got.unwrap();
                        prop_assert_eq!(x.as_str(), text.as_str());
                        assert_canonical(&x);
                        // Round trip through the canonical text and Display.
                        prop_assert_eq!(&Number::parse(x.as_str()).unwrap(), &x);
                        prop_assert_eq!(&x.to_string().parse::<Number>().unwrap(), &x);
                        // Same nearest f64 as the original text.
                        prop_assert_eq!(x.to_f64(), s.parse::<f64>().unwrap());
                    }
                }
            }
        }

        #[test]
        fn prop_format_parse_round_trip(
            neg in any::<bool>(),
            digits in "[1-9]([0-9]{0,36}[1-9])?",
            adj in -130i64..=125,
            exp_shift in -300i64..300,
        ) {
            let x = Number::assemble(neg, digits.as_bytes(), adj);
            assert_canonical(&x);
            prop_assert_eq!(&Number::parse(x.as_str()).unwrap(), &x);
            // The same value written in scientific notation with a shifted exponent.
            let sign = if neg { "-" } else { "" };
            let sci = format!("{sign}{}.{}e{}", &digits[..1], &digits[1..], adj);
            prop_assert_eq!(&Number::parse(&sci).unwrap(), &x);
            let shifted = if exp_shift >= 0 {
                format!("{sign}{digits}{}e{}", "0".repeat(exp_shift as usize), adj - digits.len() as i64 + 1 - exp_shift)
            } else {
                format!("{sign}0.{}{digits}e{}", "0".repeat((-exp_shift) as usize), adj + 1 - exp_shift)
            };
            prop_assert_eq!(&Number::parse(&shifted).unwrap(), &x);
            prop_assert_eq!(x.neg().neg(), x.clone());
        }

        #[test]
        fn prop_order_and_arithmetic_match_exact(
            m1 in any::<i64>(), e1 in -9i32..=9,
            m2 in any::<i64>(), e2 in -9i32..=9,
        ) {
            let (a, b) = (exact(m1, e1), exact(m2, e2));
            let (sa, sb, base) = scaled(m1, e1, m2, e2);
            prop_assert_eq!(a.cmp(&b), sa.cmp(&sb));
            prop_assert_eq!(a == b, sa == sb);
            if a == b {
                prop_assert_eq!(hash_of(&a), hash_of(&b));
            }
            let sum = n(&format!("{}e{base}", sa + sb));
            let diff = n(&format!("{}e{base}", sa - sb));
            prop_assert_eq!(a.checked_add(&b), Ok(sum));
            prop_assert_eq!(a.checked_sub(&b), Ok(diff));
        }

        #[test]
        fn prop_order_wide(
            a in (any::<bool>(), "[1-9]([0-9]{0,36}[1-9])?", -130i64..=125),
            b in (any::<bool>(), "[1-9]([0-9]{0,36}[1-9])?", -130i64..=125),
            b_near in any::<bool>(),
        ) {
            let x = Number::assemble(a.0, a.1.as_bytes(), a.2);
            // Often put b close to a so the digit comparison matters.
            let b_adj = if b_near { a.2 } else { b.2 };
            let y = Number::assemble(b.0, b.1.as_bytes(), b_adj);
            let ord = x.cmp(&y);
            prop_assert_eq!(y.cmp(&x), ord.reverse());
            prop_assert_eq!(x.neg().cmp(&y.neg()), ord.reverse());
            prop_assert_eq!(ord == Ordering::Equal, x == y);
            // The exact difference, when representable, has the right sign.
            if let Ok(d) = x.checked_sub(&y) {
                prop_assert_eq!(d.cmp(&Number::zero()), ord);
                prop_assert_eq!(d.checked_add(&y), Ok(x.clone()));
            }
            // Different nearest floats must order the same way.
            let (fx, fy) = (x.to_f64(), y.to_f64());
            if fx != fy {
                prop_assert_eq!(Some(ord), fx.partial_cmp(&fy));
            }
        }

        #[test]
        fn prop_i64_conversions(v in any::<i64>()) {
            let x = Number::from(v);
            prop_assert_eq!(x.as_str(), v.to_string());
            prop_assert_eq!(i64::try_from(&x), Ok(v));
            prop_assert_eq!(i8::try_from(&x).ok(), i8::try_from(v).ok());
            prop_assert_eq!(i16::try_from(&x).ok(), i16::try_from(v).ok());
            prop_assert_eq!(i32::try_from(&x).ok(), i32::try_from(v).ok());
            prop_assert_eq!(i128::try_from(&x).ok(), Some(i128::from(v)));
            prop_assert_eq!(isize::try_from(&x).ok(), isize::try_from(v).ok());
            prop_assert_eq!(u8::try_from(&x).ok(), u8::try_from(v).ok());
            prop_assert_eq!(u16::try_from(&x).ok(), u16::try_from(v).ok());
            prop_assert_eq!(u32::try_from(&x).ok(), u32::try_from(v).ok());
            prop_assert_eq!(u64::try_from(&x).ok(), u64::try_from(v).ok());
            prop_assert_eq!(u128::try_from(&x).ok(), u128::try_from(v).ok());
            prop_assert_eq!(usize::try_from(&x).ok(), usize::try_from(v).ok());
        }

        #[test]
        fn prop_small_int_round_trips(
            a in any::<i8>(), b in any::<i16>(), c in any::<i32>(), d in any::<isize>(),
            e in any::<u8>(), f in any::<u16>(), g in any::<u32>(), h in any::<u64>(),
            i in any::<usize>(),
        ) {
            prop_assert_eq!(i8::try_from(Number::from(a)), Ok(a));
            prop_assert_eq!(i16::try_from(Number::from(b)), Ok(b));
            prop_assert_eq!(i32::try_from(Number::from(c)), Ok(c));
            prop_assert_eq!(isize::try_from(Number::from(d)), Ok(d));
            prop_assert_eq!(u8::try_from(Number::from(e)), Ok(e));
            prop_assert_eq!(u16::try_from(Number::from(f)), Ok(f));
            prop_assert_eq!(u32::try_from(Number::from(g)), Ok(g));
            prop_assert_eq!(u64::try_from(Number::from(h)), Ok(h));
            prop_assert_eq!(usize::try_from(Number::from(i)), Ok(i));
            prop_assert_eq!(Number::from(h).to_string(), h.to_string());
            prop_assert_eq!(Number::from(d).to_string(), d.to_string());
        }

        #[test]
        fn prop_wide_int_round_trips(
            v in any::<i128>(),
            u in any::<u128>(),
            shift in 0u32..=38,
        ) {
            // Also values with trailing zeros, which have fewer significant digits.
            for w in [v, v / 10i128.pow(shift) * 10i128.pow(shift)] {
                let text = w.to_string();
                let digits = text.trim_start_matches('-').trim_end_matches('0').len();
                match Number::try_from(w) {
                    Ok(x) => {
                        prop_assert!(digits <= 38);
                        prop_assert_eq!(x.as_str(), text.as_str());
                        prop_assert_eq!(i128::try_from(&x), Ok(w));
                        prop_assert_eq!(u128::try_from(&x).ok(), u128::try_from(w).ok());
                        prop_assert_eq!(i64::try_from(&x).ok(), i64::try_from(w).ok());
                    }
                    Err(e) => {
                        prop_assert_eq!(e, NumberError::TooManyDigits { input: text, digits });
                    }
                }
            }
            for w in [u, u / 10u128.pow(shift) * 10u128.pow(shift)] {
                let text = w.to_string();
                let digits = text.trim_end_matches('0').len();
                match Number::try_from(w) {
                    Ok(x) => {
                        prop_assert!(digits <= 38);
                        prop_assert_eq!(x.as_str(), text.as_str());
                        prop_assert_eq!(u128::try_from(x), Ok(w));
                    }
                    Err(e) => {
                        prop_assert_eq!(e, NumberError::TooManyDigits { input: text, digits });
                    }
                }
            }
        }

        #[test]
        fn prop_f64_round_trip(x in prop_oneof![any::<f64>(), any::<u64>().prop_map(f64::from_bits)]) {
            let got = Number::from_f64(x);
            if !x.is_finite() {
                prop_assert!(matches!(got, Err(NumberError::NotFinite { .. })), "{:?}", got);
            } else if x == 0.0 {
                prop_assert_eq!(got, Ok(Number::zero()));
            } else if x.abs() < 1e-130 || x.abs() >= 1e126 {
                prop_assert!(matches!(got, Err(NumberError::OutOfRange { .. })), "{:e}", x);
            } else {
                let num = got.unwrap();
                assert_canonical(&num);
                prop_assert_eq!(num.to_f64(), x);
                prop_assert_eq!(&n(&format!("{x:e}")), &num);
                prop_assert_eq!(&n(&x.to_string()), &num);
            }
        }

        /// Moderate magnitudes (whose `{}` text is taken as it is, not parsed) give the number
        /// the text of `{:e}` parses to, field for field.
        #[test]
        fn prop_f64_plain_text_is_the_parsed_number(
            m in -1_000_000_000i64..1_000_000_000,
            e in -30i32..30,
        ) {
            let x = m as f64 * 10f64.powi(e);
            let got = Number::from_f64(x).unwrap();
            assert_canonical(&got);
            prop_assert_eq!(&got, &n(&format!("{x:e}")));
            let y = x as f32;
            prop_assert_eq!(Number::from_f32(y).unwrap(), n(&format!("{y:e}")));
        }

        /// Significant digits read off the canonical text equal those counted digit by digit.
        #[test]
        fn prop_significant_digits(x in any::<f64>().prop_filter("finite", |x| x.is_finite())) {
            let text = format!("{x:e}");
            if let Ok(num) = Number::parse(&text) {
                let s = num.as_str();
                let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_digit).collect();
                let first = digits.iter().position(|&d| d != b'0');
                let last = digits.iter().rposition(|&d| d != b'0');
                let counted = match (first, last) {
                    (Some(f), Some(l)) => l - f + 1,
                    _ => 0,
                };
                prop_assert_eq!(num.significant_digits(), counted, "{}", s);
            }
        }

        #[test]
        fn prop_try_from_floats_is_from_floats(bits in any::<u64>(), bits32 in any::<u32>()) {
            let x = f64::from_bits(bits);
            prop_assert_eq!(Number::try_from(x), Number::from_f64(x));
            let y = f32::from_bits(bits32);
            prop_assert_eq!(Number::try_from(y), Number::from_f32(y));
        }

        #[test]
        fn prop_f32_round_trip(x in prop_oneof![any::<f32>(), any::<u32>().prop_map(f32::from_bits)]) {
            match Number::from_f32(x) {
                Ok(num) => {
                    prop_assert!(x.is_finite());
                    prop_assert_eq!(num.to_f32(), x);
                    prop_assert_eq!(&n(&x.to_string()), &num);
                }
                Err(e) => {
                    prop_assert!(!x.is_finite());
                    prop_assert!(matches!(e, NumberError::NotFinite { .. }), "{}", e);
                }
            }
        }
    }
}
