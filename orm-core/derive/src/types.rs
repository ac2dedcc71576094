//! What the derive can tell about a field from its type: its [`Kind`], whether it is an
//! `Option`, and how key constructors take it as a parameter.

use syn::{GenericArgument, PathArguments, Type};

/// Mirrors `orm_core::FieldKind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Strings and chars.
    String,
    /// Integers.
    Integer,
    /// Floats.
    Float,
    /// Booleans.
    Bool,
    /// Byte strings.
    Bytes,
    /// Anything else.
    Other,
}

/// How a key constructor (`Todo::key(..)`) takes a key field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamStyle {
    /// `impl AsRef<str>` (for `String`): `"alice"`, `String`, `&String` all work without copying.
    Str,
    /// The type itself (integers, bools, chars), so that literals like `5` infer it.
    Exact,
    /// `impl Into<T>`.
    Into,
}

/// What the derive knows about a field's type.
#[derive(Debug, Clone)]
pub(crate) struct TypeInfo {
    /// The kind of the value (of `T` for `Option<T>`).
    pub(crate) kind: Kind,
    /// Whether the type is `Option<T>`.
    pub(crate) optional: bool,
    /// The type with one `Option` removed: what key constructors take.
    pub(crate) value_ty: Type,
    /// How key constructors take it.
    pub(crate) param: ParamStyle,
    /// A guess of its rendered length in a key (exact for integers), to pre-size key strings.
    pub(crate) rendered_len: usize,
    /// For an integer type the derive knows (`u32`, `NonZeroU64`...): the digits its keys are
    /// zero-padded to (`u32`: 10; a `-` comes before them for negative values).
    pub(crate) digits: Option<u8>,
}

/// The length guessed for a rendered key field of unknown width.
const DEFAULT_LEN: usize = 16;

/// Classifies `ty`; `serde_bytes` says whether the field has `#[serde(with = "serde_bytes")]`.
pub(crate) fn classify(ty: &Type, serde_bytes: bool) -> TypeInfo {
    let ty = ungroup(ty);
    if let Some(inner) = generic_arg(ty, "Option") {
        let inner_info = classify(inner, serde_bytes);
        return TypeInfo {
            optional: true,
            value_ty: inner.clone(),
            ..inner_info
        };
    }
    let (kind, param, rendered_len) = scalar(ty, serde_bytes);
    TypeInfo {
        kind,
        optional: false,
        value_ty: ty.clone(),
        param,
        rendered_len,
        digits: integer_digits(ty),
    }
}

/// The digits keys pad an integer type to (see [`TypeInfo::digits`]).
fn integer_digits(ty: &Type) -> Option<u8> {
    let Type::Path(p) = ungroup(ty) else {
        return None;
    };
    let last = p.path.segments.last()?;
    if !last.arguments.is_empty() {
        return None;
    }
    let name = last.ident.to_string().to_ascii_lowercase();
    let name = name.strip_prefix("nonzero").unwrap_or(&name);
    let width = integer_width(name)?;
    let signed = name.starts_with('i');
    u8::try_from(width - usize::from(signed)).ok()
}

fn scalar(ty: &Type, serde_bytes: bool) -> (Kind, ParamStyle, usize) {
    use ParamStyle::{Exact, Into};
    match ty {
        Type::Reference(r) => {
            let (kind, _, len) = scalar(ungroup(&r.elem), serde_bytes);
            (kind, Into, len)
        }
        Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return (Kind::Other, Into, DEFAULT_LEN);
            };
            let name = last.ident.to_string();
            if last.arguments.is_empty() {
                if let Some(len) = integer_width(&name) {
                    return (Kind::Integer, Exact, len);
                }
                return match name.as_str() {
                    "String" => (Kind::String, ParamStyle::Str, DEFAULT_LEN),
                    "str" => (Kind::String, Into, DEFAULT_LEN),
                    "char" => (Kind::String, Exact, 4),
                    "bool" => (Kind::Bool, Exact, 5),
                    "f32" | "f64" => (Kind::Float, Exact, DEFAULT_LEN),
                    "ByteBuf" | "Bytes" => (Kind::Bytes, Into, DEFAULT_LEN),
                    _ if name.starts_with("NonZeroU") || name.starts_with("NonZeroI") => {
                        let width = integer_width(&name["NonZero".len()..].to_ascii_lowercase());
                        (Kind::Integer, Into, width.unwrap_or(DEFAULT_LEN))
                    }
                    _ => (Kind::Other, Into, DEFAULT_LEN),
                };
            }
            if name == "Vec" && serde_bytes {
                if let Some(Type::Path(elem)) = generic_arg(ty, "Vec").map(ungroup) {
                    if elem.path.is_ident("u8") {
                        return (Kind::Bytes, Into, DEFAULT_LEN);
                    }
                }
            }
            if let Some(inner) = ["Box", "Arc", "Rc", "Cow"]
                .iter()
                .find_map(|wrapper| generic_arg(ty, wrapper))
            {
                let (kind, _, len) = scalar(ungroup(inner), serde_bytes);
                return (kind, Into, len);
            }
            (Kind::Other, Into, DEFAULT_LEN)
        }
        _ => (Kind::Other, Into, DEFAULT_LEN),
    }
}

/// The rendered width of a zero-padded integer type (with the sign of signed types).
fn integer_width(name: &str) -> Option<usize> {
    Some(match name {
        "u8" => 3,
        "u16" => 5,
        "u32" => 10,
        "u64" | "usize" => 20,
        "u128" => 39,
        "i8" => 4,
        "i16" => 6,
        "i32" => 11,
        "i64" | "isize" => 20,
        "i128" => 40,
        _ => return None,
    })
}

/// Removes invisible groups and parentheses around a type.
fn ungroup(mut ty: &Type) -> &Type {
    loop {
        match ty {
            Type::Group(g) => ty = &g.elem,
            Type::Paren(p) => ty = &p.elem,
            _ => return ty,
        }
    }
}

/// The single type argument of `ty` if it is `<wrapper><T>` (lifetimes aside): `Option<T>` -> `T`.
fn generic_arg<'a>(ty: &'a Type, wrapper: &str) -> Option<&'a Type> {
    let Type::Path(p) = ungroup(ty) else {
        return None;
    };
    if p.qself.is_some() {
        return None;
    }
    let last = p.path.segments.last()?;
    if last.ident != wrapper {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|a| match a {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    });
    let first = types.next()?;
    types.next().is_none().then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(src: &str, bytes: bool) -> TypeInfo {
        classify(&syn::parse_str(src).unwrap(), bytes)
    }

    #[test]
    fn kinds() {
        assert_eq!(info("String", false).kind, Kind::String);
        assert_eq!(info("String", false).param, ParamStyle::Str);
        assert_eq!(info("std::string::String", false).kind, Kind::String);
        assert_eq!(info("u64", false).kind, Kind::Integer);
        assert_eq!(info("u64", false).param, ParamStyle::Exact);
        assert_eq!(info("i128", false).rendered_len, 40);
        assert_eq!(info("i128", false).digits, Some(39));
        assert_eq!(info("u32", false).digits, Some(10));
        assert_eq!(info("Option<i32>", false).digits, Some(10));
        assert_eq!(info("std::num::NonZeroU16", false).digits, Some(5));
        assert_eq!(info("String", false).digits, None);
        assert_eq!(info("f64", false).kind, Kind::Float);
        assert_eq!(info("bool", false).kind, Kind::Bool);
        assert_eq!(info("Vec<u8>", false).kind, Kind::Other);
        assert_eq!(info("Vec<u8>", true).kind, Kind::Bytes);
        assert_eq!(info("serde_bytes::ByteBuf", false).kind, Kind::Bytes);
        assert_eq!(info("Box<str>", false).kind, Kind::String);
        assert_eq!(info("Cow<'static, str>", false).kind, Kind::String);
        assert_eq!(info("std::num::NonZeroU32", false).kind, Kind::Integer);
        assert_eq!(info("Status", false).kind, Kind::Other);
        assert_eq!(info("T", false).kind, Kind::Other);
        let opt = info("Option<i64>", false);
        assert!(opt.optional);
        assert_eq!(opt.kind, Kind::Integer);
        assert_eq!(opt.param, ParamStyle::Exact);
        assert_eq!(opt.value_ty, syn::parse_str::<Type>("i64").unwrap());
        let opt = info("Option<Vec<u8>>", true);
        assert_eq!((opt.kind, opt.optional), (Kind::Bytes, true));
    }
}
