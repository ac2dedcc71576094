//! The syntax of `#[model(...)]` and the parts of `#[serde(...)]` the derive reads, as written
//! (validation against the struct's fields happens in [`crate::ast`]).

use proc_macro2::Span;
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, LitStr, Token};

/// Collects every error found, so that one compile reports them all.
#[derive(Debug, Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    /// Records an error.
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// Records an error at `span`.
    pub(crate) fn at(&mut self, span: Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    /// `Err` with every recorded error, if there is one.
    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// The container's `#[model(...)]` attributes, merged.
#[derive(Debug, Default)]
pub(crate) struct ContainerAttrs {
    /// `entity = "Todo"`.
    pub(crate) entity: Option<LitStr>,
    /// `pk = "USER#{user_id}"`.
    pub(crate) pk: Option<LitStr>,
    /// `sk = "TODO#{created_at}"`.
    pub(crate) sk: Option<LitStr>,
    /// `index(...)` and `local_index(...)`, in order.
    pub(crate) indexes: Vec<IndexAttr>,
    /// `crate = "path"`.
    pub(crate) krate: Option<syn::Path>,
    /// `schema_version = 3`.
    pub(crate) schema_version: Option<syn::LitInt>,
    /// `upgrade = path::to::fn`.
    pub(crate) upgrade: Option<syn::Path>,
    /// `unique(name = "...", fields = [...])`, in order.
    pub(crate) unique: Vec<UniqueAttr>,
}

/// One `unique(name = "...", fields = ["a", "b"])`: a named unique group of fields.
#[derive(Debug)]
pub(crate) struct UniqueAttr {
    /// The span of the `unique` keyword.
    pub(crate) span: Span,
    /// `name = "tenant_email"`.
    pub(crate) name: Option<LitStr>,
    /// `fields = ["tenant", "email"]`: field names.
    pub(crate) fields: Vec<LitStr>,
}

/// One `index(...)` or `local_index(...)`.
#[derive(Debug)]
pub(crate) struct IndexAttr {
    /// `local_index` rather than `index`.
    pub(crate) local: bool,
    /// The span of the `index` / `local_index` keyword.
    pub(crate) span: Span,
    /// `name = "gsi1"`.
    pub(crate) name: Option<LitStr>,
    /// `pk = "..."` (global indexes only).
    pub(crate) pk: Option<LitStr>,
    /// `sk = "..."`.
    pub(crate) sk: Option<LitStr>,
    /// `pk = [field, ...]`: a multi-attribute partition key (global indexes only).
    pub(crate) pk_fields: Option<Vec<Ident>>,
    /// `sk = [field, ...]`: a multi-attribute sort key.
    pub(crate) sk_fields: Option<Vec<Ident>>,
    /// `projection = ...`.
    pub(crate) projection: Option<ProjectionAttr>,
    /// `when = "Self::is_open(status)"`: the predicate for an item to be in the index.
    pub(crate) when: Option<LitStr>,
}

/// `projection = "all" | "keys_only" | ["field", ...]`.
#[derive(Debug)]
pub(crate) enum ProjectionAttr {
    /// `"all"`.
    All,
    /// `"keys_only"`.
    KeysOnly,
    /// `["a", "b"]`: field names.
    Include(Vec<LitStr>),
}

/// A field's `#[model(...)]` attributes, merged.
#[derive(Debug, Default)]
pub(crate) struct FieldAttrs {
    /// `version`.
    pub(crate) version: Option<Span>,
    /// `ttl`.
    pub(crate) ttl: Option<Span>,
    /// `created_at`.
    pub(crate) created_at: Option<Span>,
    /// `updated_at`.
    pub(crate) updated_at: Option<Span>,
    /// `rename = "attr"`.
    pub(crate) rename: Option<LitStr>,
    /// `unique`.
    pub(crate) unique: Option<Span>,
}

impl FieldAttrs {
    /// The span of the first attribute given, if any.
    pub(crate) fn any(&self) -> Option<Span> {
        self.version
            .or(self.ttl)
            .or(self.created_at)
            .or(self.updated_at)
            .or(self.rename.as_ref().map(LitStr::span))
            .or(self.unique)
    }
}

/// A serde name given for both directions or for each (`rename`, `rename_all`).
#[derive(Debug, Default, Clone)]
pub(crate) struct SerdeNames {
    /// The name used when serializing, if given.
    pub(crate) serialize: Option<LitStr>,
    /// The name used when deserializing, if given.
    pub(crate) deserialize: Option<LitStr>,
}

/// What the derive reads from the container's `#[serde(...)]`.
#[derive(Debug, Default)]
pub(crate) struct SerdeContainer {
    /// `rename_all = "camelCase"` (an unknown rule is serde's error to report).
    pub(crate) rename_all: SerdeNames,
}

/// What the derive reads from a field's `#[serde(...)]`.
#[derive(Debug, Default)]
pub(crate) struct SerdeField {
    /// `rename = "name"`.
    pub(crate) rename: SerdeNames,
    /// `skip` or `skip_serializing`: the field is never stored.
    pub(crate) skip: bool,
    /// `flatten`: the field has no attribute of its own.
    pub(crate) flatten: bool,
    /// `with = "serde_bytes"` (or `serialize_with` from it): stored as bytes.
    pub(crate) bytes: bool,
    /// `with = "..."` / `serialize_with = "..."` as written: (key, path), to serialize values of
    /// the field the ORM computes itself (timestamps) the same way serde serializes the field.
    pub(crate) serialize_with: Option<(String, LitStr)>,
    /// `with = "..."` / `deserialize_with = "..."` as written: (key, path), to decode the values
    /// the ORM stores for the field (timestamps) the same way a read decodes it.
    pub(crate) deserialize_with: Option<(String, LitStr)>,
}

const CONTAINER_KEYS: &str =
    "entity, pk, sk, index, local_index, unique, crate, schema_version, upgrade";
const INDEX_KEYS: &str = "name, pk, sk, projection, when";
const LOCAL_INDEX_KEYS: &str = "name, sk, projection, when";
const FIELD_KEYS: &str = "version, ttl, created_at, updated_at, rename, unique";

fn path_name(meta: &ParseNestedMeta<'_>) -> String {
    meta.path.to_token_stream().to_string().replace(' ', "")
}

fn set_once<T>(slot: &mut Option<T>, value: T, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if slot.is_some() {
        return Err(meta.error(format_args!("duplicate `{}` in #[model]", path_name(meta))));
    }
    *slot = Some(value);
    Ok(())
}

/// Parses the value of `key = value` into `slot`, which must be empty.
fn set_value<T: Parse>(slot: &mut Option<T>, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    let value: T = meta.value()?.parse()?;
    set_once(slot, value, meta)
}

/// Where the entry's keyword (`index`, `unique`, `version`...) is written.
fn keyword_span(meta: &ParseNestedMeta<'_>) -> Span {
    meta.path
        .get_ident()
        .map_or_else(Span::call_site, |i| i.span())
}

/// Runs `entry` on each entry of every `#[name(...)]` in `attrs`, and returns the error of each
/// attribute whose entries did not parse.
fn each_entry(
    attrs: &[Attribute],
    name: &str,
    mut entry: impl FnMut(ParseNestedMeta<'_>) -> syn::Result<()>,
) -> Vec<syn::Error> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident(name))
        .filter_map(|a| a.parse_nested_meta(&mut entry).err())
        .collect()
}

/// The items of a bracketed list (`[a, b]`), if `value` is one; an empty list is an error
/// saying `empty`.
fn bracketed_list<T: Parse>(value: ParseStream<'_>, empty: &str) -> syn::Result<Option<Vec<T>>> {
    if !value.peek(syn::token::Bracket) {
        return Ok(None);
    }
    let content;
    let bracket = syn::bracketed!(content in value);
    let items = Punctuated::<T, Token![,]>::parse_terminated(&content)?;
    if items.is_empty() {
        return Err(syn::Error::new(bracket.span.join(), empty));
    }
    Ok(Some(items.into_iter().collect()))
}

/// Reads every `#[model(...)]` on the container.
pub(crate) fn container(attrs: &[Attribute], errors: &mut Errors) -> ContainerAttrs {
    let mut out = ContainerAttrs::default();
    let failed = each_entry(attrs, "model", |meta| {
        if meta.path.is_ident("entity") {
            set_value(&mut out.entity, &meta)
        } else if meta.path.is_ident("pk") {
            set_value(&mut out.pk, &meta)
        } else if meta.path.is_ident("sk") {
            set_value(&mut out.sk, &meta)
        } else if meta.path.is_ident("crate") {
            let lit: LitStr = meta.value()?.parse()?;
            set_once(&mut out.krate, lit.parse()?, &meta)
        } else if meta.path.is_ident("schema_version") {
            set_value(&mut out.schema_version, &meta)
        } else if meta.path.is_ident("upgrade") {
            set_value(&mut out.upgrade, &meta)
        } else if meta.path.is_ident("unique") {
            out.unique.push(unique(&meta)?);
            Ok(())
        } else if meta.path.is_ident("index") || meta.path.is_ident("local_index") {
            out.indexes.push(index(&meta)?);
            Ok(())
        } else {
            Err(meta.error(format_args!(
                "unknown #[model] attribute `{}`; expected one of: {CONTAINER_KEYS}",
                path_name(&meta)
            )))
        }
    });
    failed.into_iter().for_each(|e| errors.push(e));
    out
}

fn index(meta: &ParseNestedMeta<'_>) -> syn::Result<IndexAttr> {
    let local = meta.path.is_ident("local_index");
    let mut out = IndexAttr {
        local,
        span: keyword_span(meta),
        name: None,
        pk: None,
        sk: None,
        pk_fields: None,
        sk_fields: None,
        projection: None,
        when: None,
    };
    meta.parse_nested_meta(|inner| {
        if inner.path.is_ident("name") {
            set_value(&mut out.name, &inner)
        } else if inner.path.is_ident("pk") {
            if local {
                return Err(inner.error(
                    "a local index shares the table's partition key, so it takes no `pk`; \
                     use `index(...)` for a global index with a partition key of its own",
                ));
            }
            if out.pk_fields.is_some() {
                return Err(inner.error("duplicate `pk`"));
            }
            match key_spec(&inner)? {
                KeySpec::Template(lit) => set_once(&mut out.pk, lit, &inner),
                KeySpec::Fields(fields) => {
                    if out.pk.is_some() {
                        return Err(inner.error("duplicate `pk`"));
                    }
                    out.pk_fields = Some(fields);
                    Ok(())
                }
            }
        } else if inner.path.is_ident("sk") {
            if out.sk_fields.is_some() {
                return Err(inner.error("duplicate `sk`"));
            }
            match key_spec(&inner)? {
                KeySpec::Template(lit) => set_once(&mut out.sk, lit, &inner),
                KeySpec::Fields(fields) => {
                    if local {
                        return Err(inner.error(
                            "a local index has one sort attribute: multi-attribute keys \
                             (`sk = [a, b]`) are for global indexes, `index(...)`",
                        ));
                    }
                    if out.sk.is_some() {
                        return Err(inner.error("duplicate `sk`"));
                    }
                    out.sk_fields = Some(fields);
                    Ok(())
                }
            }
        } else if inner.path.is_ident("projection") {
            let projection = projection(&inner)?;
            set_once(&mut out.projection, projection, &inner)
        } else if inner.path.is_ident("when") {
            set_value(&mut out.when, &inner)
        } else {
            let expected = if local { LOCAL_INDEX_KEYS } else { INDEX_KEYS };
            Err(inner.error(format_args!(
                "unknown index attribute `{}`; expected one of: {expected}",
                path_name(&inner)
            )))
        }
    })?;
    Ok(out)
}

fn unique(meta: &ParseNestedMeta<'_>) -> syn::Result<UniqueAttr> {
    let mut out = UniqueAttr {
        span: keyword_span(meta),
        name: None,
        fields: Vec::new(),
    };
    if !meta.input.peek(syn::token::Paren) {
        return Err(meta.error(
            "`unique` on the struct names a group: unique(name = \"...\", fields = [\"a\", \"b\"]); \
             put #[model(unique)] on a field for a single unique field",
        ));
    }
    let mut seen_fields = false;
    meta.parse_nested_meta(|inner| {
        if inner.path.is_ident("name") {
            set_value(&mut out.name, &inner)
        } else if inner.path.is_ident("fields") {
            if seen_fields {
                return Err(inner.error("duplicate `fields` in unique(...)"));
            }
            seen_fields = true;
            let value = inner.value()?;
            let content;
            syn::bracketed!(content in value);
            let names = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
            out.fields = names.into_iter().collect();
            Ok(())
        } else {
            Err(inner.error(format_args!(
                "unknown unique attribute `{}`; expected one of: name, fields",
                path_name(&inner)
            )))
        }
    })?;
    Ok(out)
}

/// An index key as written: a template (`"STATUS#{status}"`) or a list of fields
/// (`[tournament, region]`, a multi-attribute key).
enum KeySpec {
    Template(LitStr),
    Fields(Vec<Ident>),
}

fn key_spec(meta: &ParseNestedMeta<'_>) -> syn::Result<KeySpec> {
    let value = meta.value()?;
    let empty = "empty key attribute list: name 1 to 4 fields, e.g. [tournament_id, region]";
    if let Some(fields) = bracketed_list(value, empty)? {
        return Ok(KeySpec::Fields(fields));
    }
    Ok(KeySpec::Template(value.parse()?))
}

fn projection(meta: &ParseNestedMeta<'_>) -> syn::Result<ProjectionAttr> {
    let value = meta.value()?;
    let empty = "empty projection list; use projection = \"keys_only\" for an index of keys only";
    if let Some(names) = bracketed_list(value, empty)? {
        return Ok(ProjectionAttr::Include(names));
    }
    let lit: LitStr = value.parse()?;
    match lit.value().as_str() {
        "all" | "ALL" => Ok(ProjectionAttr::All),
        "keys_only" | "KEYS_ONLY" => Ok(ProjectionAttr::KeysOnly),
        other => Err(syn::Error::new(
            lit.span(),
            format!(
                "unknown projection \"{other}\"; expected \"all\", \"keys_only\" or a list of \
                 fields such as [\"title\", \"status\"]"
            ),
        )),
    }
}

/// Reads every `#[model(...)]` on a field.
pub(crate) fn field(attrs: &[Attribute], errors: &mut Errors) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    let failed = each_entry(attrs, "model", |meta| {
        let span = keyword_span(&meta);
        if meta.path.is_ident("version") {
            set_once(&mut out.version, span, &meta)
        } else if meta.path.is_ident("ttl") {
            set_once(&mut out.ttl, span, &meta)
        } else if meta.path.is_ident("created_at") {
            set_once(&mut out.created_at, span, &meta)
        } else if meta.path.is_ident("updated_at") {
            set_once(&mut out.updated_at, span, &meta)
        } else if meta.path.is_ident("rename") {
            set_value(&mut out.rename, &meta)
        } else if meta.path.is_ident("unique") {
            set_once(&mut out.unique, span, &meta)
        } else {
            Err(meta.error(format_args!(
                "unknown #[model] field attribute `{}`; expected one of: {FIELD_KEYS}",
                path_name(&meta)
            )))
        }
    });
    failed.into_iter().for_each(|e| errors.push(e));
    out
}

/// Consumes the value of a `#[serde]` entry the derive does not read.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<proc_macro2::Group>()?;
    }
    Ok(())
}

/// `name = "x"` (both directions), or `name(serialize = "x", deserialize = "y")`.
fn serde_names(meta: &ParseNestedMeta<'_>) -> syn::Result<SerdeNames> {
    if meta.input.peek(Token![=]) {
        let lit: LitStr = meta.value()?.parse()?;
        return Ok(SerdeNames {
            serialize: Some(lit.clone()),
            deserialize: Some(lit),
        });
    }
    let mut names = SerdeNames::default();
    meta.parse_nested_meta(|inner| {
        if inner.path.is_ident("serialize") {
            names.serialize = Some(inner.value()?.parse()?);
        } else if inner.path.is_ident("deserialize") {
            names.deserialize = Some(inner.value()?.parse()?);
        } else {
            skip_value(&inner)?;
        }
        Ok(())
    })?;
    Ok(names)
}

/// Reads `rename_all` from the container's `#[serde(...)]`. Malformed serde attributes are
/// left for serde's own derive to report.
pub(crate) fn serde_container(attrs: &[Attribute]) -> SerdeContainer {
    let mut out = SerdeContainer::default();
    // Malformed: serde's error to report.
    let _ = each_entry(attrs, "serde", |meta| {
        if meta.path.is_ident("rename_all") {
            out.rename_all = serde_names(&meta)?;
        } else {
            skip_value(&meta)?;
        }
        Ok(())
    });
    out
}

/// Reads `rename`, `skip`, `skip_serializing`, `flatten` and `with` from a field's `#[serde]`.
pub(crate) fn serde_field(attrs: &[Attribute]) -> SerdeField {
    let mut out = SerdeField::default();
    // Malformed: serde's error to report.
    let _ = each_entry(attrs, "serde", |meta| {
        if meta.path.is_ident("rename") {
            out.rename = serde_names(&meta)?;
        } else if meta.path.is_ident("skip") || meta.path.is_ident("skip_serializing") {
            out.skip = true;
        } else if meta.path.is_ident("flatten") {
            out.flatten = true;
        } else if meta.path.is_ident("with") || meta.path.is_ident("serialize_with") {
            let lit: LitStr = meta.value()?.parse()?;
            let with = meta.path.is_ident("with");
            let key = if with { "with" } else { "serialize_with" };
            out.serialize_with = Some((key.to_owned(), lit.clone()));
            if with {
                out.deserialize_with = Some((key.to_owned(), lit.clone()));
            }
            let value = lit.value();
            out.bytes |= value == "serde_bytes"
                || value.ends_with("::serde_bytes")
                || value.starts_with("serde_bytes::");
        } else if meta.path.is_ident("deserialize_with") {
            let lit: LitStr = meta.value()?.parse()?;
            out.deserialize_with = Some(("deserialize_with".to_owned(), lit));
        } else {
            skip_value(&meta)?;
        }
        Ok(())
    });
    out
}
