//! What the code `#[derive(Model)]` generates calls, and nothing else.
//!
//! Not part of the public API: hidden from the docs, and free to change in any release (serde's
//! `__private`, for the same reason). Write keys through the derive's constructors
//! (`Todo::key(..)`) or [`Key`](crate::Key) instead.

use crate::error::Result;
use serde::Serialize;

/// serde, for the `#[serde(crate = ...)]` of the structs the derive generates, so that they do
/// not depend on the user's crate naming serde `serde`.
pub use serde;

/// Appends one key-template field's value to the key being rendered, an integer zero-padded to
/// `width` digits if the template gives one (`{seq:6}`); `Ok(false)` when the value is `None`
/// (the key is absent, as in a sparse index).
#[inline]
pub fn write_part<T: Serialize + ?Sized>(
    out: &mut String,
    value: &T,
    field: &str,
    width: Option<u8>,
) -> Result<bool> {
    crate::key::write_padded_part(out, value, field, width)
}

/// Appends one key-template field's value to the key being rendered; `None` is an error naming
/// the field (primary keys need every field of their template).
#[inline]
pub fn write_required_part<T: Serialize + ?Sized>(
    out: &mut String,
    value: &T,
    field: &str,
    width: Option<u8>,
) -> Result<()> {
    crate::key::write_required_part(out, value, field, width)
}
