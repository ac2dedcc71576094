//! Attribute-name signatures: a name's length, first and last byte folded into one of 64 bits
//! ([`signature_bit`]), so that a set of names (their bits OR-ed, [`NameSet`]) tells most other
//! names apart from all of them with one test, without comparing text. The table's layout
//! (`table/config.rs`, `table/layout.rs`) and the serializer of a model's fields
//! (`serde_bridge/ser.rs`) use them; this module depends on nothing but `value`, so both can.

use crate::value::Value;

/// The bit of `name`'s signature (its length, first and last byte, folded into one of 64 bits):
/// two names with different bits differ, so a set of names' bits (OR-ed) tells most other names
/// apart from all of them with one test, without comparing text.
#[inline]
pub(crate) fn signature_bit(name: &str) -> u64 {
    let (first, last) = match name.as_bytes() {
        [] => (0, 0),
        [first, .., last] => (*first, *last),
        [only] => (*only, *only),
    };
    signature_bit_of(name.len(), first, last)
}

/// The bit of the signature of a name `len` bytes long from `first` to `last`.
#[inline]
pub(crate) fn signature_bit_of(len: usize, first: u8, last: u8) -> u64 {
    let signature = len.wrapping_mul(7) + usize::from(first) * 3 + usize::from(last);
    1 << (signature & 63)
}

/// Names as they are added (an item's attributes): the union of their [`signature_bit`]s, and
/// whether a name was added twice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct NameSet {
    /// The union of the names' signature bits.
    pub(crate) signatures: u64,
    /// Whether a name was added twice.
    pub(crate) repeated: bool,
}

impl NameSet {
    /// Adds `name`, which follows the names of `earlier` (compared with them only when its
    /// signature bit is already there: for a model's dozen fields, a few comparisons).
    #[inline]
    pub(crate) fn add(&mut self, name: &str, earlier: &[(String, Value)]) {
        let bit = signature_bit(name);
        if self.signatures & bit != 0 && !self.repeated {
            self.repeated = earlier.iter().any(|(n, _)| n == name);
        }
        self.signatures |= bit;
    }
}
