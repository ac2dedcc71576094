//! The model a `#[derive(Model)]` input describes, checked: fields with their attribute names
//! and kinds, key templates resolved to fields, indexes, special fields.

use crate::attr::{self, Errors, IndexAttr, ProjectionAttr, SerdeNames};
use crate::case::RenameRule;
use crate::template::{self, Call, RawPart};
use crate::types::{self, Kind, TypeInfo};
use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::{Data, DeriveInput, Fields, FieldsNamed, Generics, Ident, LitStr, Path, Visibility};

/// A checked model.
#[derive(Debug)]
pub(crate) struct ModelDef {
    /// The struct's name.
    pub(crate) ident: Ident,
    /// The struct's visibility (given to the generated constructors).
    pub(crate) vis: Visibility,
    /// The struct's generics, bounds included.
    pub(crate) generics: Generics,
    /// The path of the orm-core crate (`::orm_core`).
    pub(crate) krate: Path,
    /// The entity name.
    pub(crate) entity: String,
    /// The stored fields, in declaration order (serde-skipped and flattened fields left out).
    pub(crate) fields: Vec<FieldDef>,
    /// The partition-key template.
    pub(crate) pk: Template,
    /// The sort-key template.
    pub(crate) sk: Option<Template>,
    /// Secondary indexes, in declaration order.
    pub(crate) indexes: Vec<IndexDef>,
    /// The `#[model(version)]` field.
    pub(crate) version: Option<usize>,
    /// The `#[model(ttl)]` field.
    pub(crate) ttl: Option<usize>,
    /// The `#[model(created_at)]` field.
    pub(crate) created_at: Option<usize>,
    /// The `#[model(updated_at)]` field.
    pub(crate) updated_at: Option<usize>,
    /// `schema_version = N` (1 when not given).
    pub(crate) schema_version: u32,
    /// `upgrade = path`: the function upgrading stored items one schema version.
    pub(crate) upgrade: Option<Path>,
    /// Unique constraints: `#[model(unique)]` fields, then `unique(...)` groups.
    pub(crate) unique: Vec<UniqueDef>,
}

/// A unique constraint: a field, or a named group of fields.
#[derive(Debug)]
pub(crate) struct UniqueDef {
    /// The constraint's name (the field's name for a single field).
    pub(crate) name: String,
    /// Its fields (indexes into [`ModelDef::fields`]), in order.
    pub(crate) fields: Vec<usize>,
}

/// A stored field.
#[derive(Debug)]
pub(crate) struct FieldDef {
    /// The field as written (possibly raw: `r#type`).
    pub(crate) ident: Ident,
    /// The Rust name, unraw (`type`): what templates name.
    pub(crate) name: String,
    /// The attribute it is stored under (serde's name for it).
    pub(crate) attribute: String,
    /// What its type tells.
    pub(crate) info: TypeInfo,
    /// The declared type.
    pub(crate) ty: syn::Type,
    /// The field's `#[serde(with)]` / `#[serde(serialize_with)]`, if any: (key, path).
    pub(crate) serialize_with: Option<(String, syn::LitStr)>,
    /// The field's `#[serde(with)]` / `#[serde(deserialize_with)]`, if any: (key, path).
    pub(crate) deserialize_with: Option<(String, syn::LitStr)>,
    /// Whether any key template uses it.
    pub(crate) in_key: bool,
}

/// A key template resolved against the fields.
#[derive(Debug)]
pub(crate) struct Template {
    /// The text as written.
    pub(crate) text: String,
    /// Its parts.
    pub(crate) parts: Vec<Part>,
}

/// A resolved template part.
#[derive(Debug, Clone)]
pub(crate) enum Part {
    /// Literal text.
    Literal(String),
    /// The field at this index of [`ModelDef::fields`], with the width the template writes
    /// (`{seq:6}`), if any.
    Field(usize, Option<u8>),
    /// A segment computed by a function of fields (`{Self::bucket(created_at)}`).
    Computed(Computed),
}

/// A call of a function on fields: a computed key segment, or an index's `when` predicate.
#[derive(Debug, Clone)]
pub(crate) struct Computed {
    /// The function.
    pub(crate) function: Path,
    /// The function as written, spaces removed.
    pub(crate) function_text: String,
    /// The fields passed (indexes of [`ModelDef::fields`]), in order.
    pub(crate) args: Vec<usize>,
    /// The zero-padded width of an integer result, if written.
    pub(crate) width: Option<u8>,
    /// Where it is written: errors of the generated call point here.
    pub(crate) span: Span,
}

impl Part {
    /// The indexes of the fields the part uses, in order.
    pub(crate) fn fields(&self) -> &[usize] {
        match self {
            Part::Literal(_) => &[],
            Part::Field(i, _) => std::slice::from_ref(i),
            Part::Computed(c) => &c.args,
        }
    }
}

impl Template {
    /// The indexes of the fields the template uses, in order, repeats included.
    pub(crate) fn fields(&self) -> impl Iterator<Item = usize> + '_ {
        self.parts.iter().flat_map(|p| p.fields().iter().copied())
    }
}

/// A secondary index.
#[derive(Debug)]
pub(crate) struct IndexDef {
    /// The index name.
    pub(crate) name: String,
    /// Where the name was written.
    pub(crate) span: Span,
    /// The name as a prefix of Rust method names (`gsi1`).
    pub(crate) method_prefix: String,
    /// A local index (table's partition key).
    pub(crate) local: bool,
    /// The partition-key template (global indexes).
    pub(crate) pk: Option<Template>,
    /// The sort-key template.
    pub(crate) sk: Option<Template>,
    /// A multi-attribute key's partition fields (indexes into [`ModelDef::fields`]), in key
    /// order; empty for a template index.
    pub(crate) pk_fields: Vec<usize>,
    /// A multi-attribute key's sort fields, in key order.
    pub(crate) sk_fields: Vec<usize>,
    /// The projection.
    pub(crate) projection: ProjectionDef,
    /// `when = "..."`: the predicate for an item to be in the index.
    pub(crate) when: Option<Computed>,
}

/// The most attributes a multi-attribute partition or sort key may have (DynamoDB's limit).
const MAX_KEY_ATTRIBUTES: usize = 4;

/// A resolved projection.
#[derive(Debug)]
pub(crate) enum ProjectionDef {
    /// Every attribute.
    All,
    /// Keys only.
    KeysOnly,
    /// These attributes (attribute names).
    Include(Vec<String>),
}

/// What template resolution needs to know about the struct's fields.
struct Resolver<'a> {
    fields: &'a [FieldDef],
    /// Fields serde never stores (`skip`, `skip_serializing`).
    skipped: Vec<String>,
    /// `#[serde(flatten)]` fields.
    flattened: Vec<String>,
    version: Option<usize>,
}

impl Resolver<'_> {
    fn field_list(&self) -> String {
        if self.fields.is_empty() {
            return "(the struct stores no fields)".to_owned();
        }
        self.fields
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Resolves one template; errors go to `errors`.
    fn template(&self, lit: &LitStr, errors: &mut Errors) -> Option<Template> {
        let raw = match template::parse(lit) {
            Ok(raw) => raw,
            Err(e) => {
                errors.push(e);
                return None;
            }
        };
        let mut parts = Vec::with_capacity(raw.len());
        let mut ok = true;
        for part in raw {
            match part {
                RawPart::Literal(l) => parts.push(Part::Literal(l)),
                RawPart::Field(name, width, span) => {
                    match self
                        .field(&name, span)
                        .and_then(|i| self.width(i, width, span))
                    {
                        Ok(i) => parts.push(Part::Field(i, width)),
                        Err(e) => {
                            errors.push(e);
                            ok = false;
                        }
                    }
                }
                RawPart::Computed(call, width, span) => match self.call(&call, width, span) {
                    Ok(computed) => parts.push(Part::Computed(computed)),
                    Err(e) => {
                        errors.push(e);
                        ok = false;
                    }
                },
            }
        }
        ok.then(|| Template {
            text: lit.value(),
            parts,
        })
    }

    /// A field named as an attribute of a multi-attribute index key: stored, of a type that is
    /// a key (a string, an integer or bytes), not the version field.
    fn key_attribute(&self, ident: &syn::Ident, errors: &mut Errors) -> Option<usize> {
        let name = ident.unraw().to_string();
        let Some(i) = self.fields.iter().position(|f| f.name == name) else {
            errors.at(
                ident.span(),
                format_args!(
                    "unknown field `{name}` in index key; fields are: {}",
                    self.field_list()
                ),
            );
            return None;
        };
        let field = &self.fields[i];
        if !matches!(field.info.kind, Kind::String | Kind::Integer | Kind::Bytes) {
            errors.at(
                ident.span(),
                format_args!(
                    "field `{name}` cannot be a key attribute: a multi-attribute key attribute \
                     is a string (S), an integer (N) or bytes (B)"
                ),
            );
            return None;
        }
        if self.version == Some(i) {
            errors.at(
                ident.span(),
                format_args!(
                    "field `{name}` is the #[model(version)] field; it changes on every save, \
                     so it cannot be part of a key"
                ),
            );
            return None;
        }
        Some(i)
    }

    /// Checks that a width written for field `i` (`{seq:6}`) is on an integer field.
    fn width(&self, i: usize, width: Option<u8>, span: Span) -> syn::Result<usize> {
        let field = &self.fields[i];
        match (width, field.info.kind) {
            (Some(width), Kind::String | Kind::Bool) => Err(syn::Error::new(
                span,
                format!(
                    "field `{}` is not an integer: a width (`{{{}:{width}}}`) zero-pads integers \
                     so that they sort",
                    field.name, field.name
                ),
            )),
            _ => Ok(i),
        }
    }

    /// Resolves a function call's arguments: fields the function gets a reference to. Any
    /// stored field may be an argument (the function decides what a float or a struct renders
    /// as), except the version field, which changes on every save.
    fn call(&self, call: &Call, width: Option<u8>, span: Span) -> syn::Result<Computed> {
        let mut args = Vec::with_capacity(call.args.len());
        let mut errors = Vec::new();
        for name in &call.args {
            match self.stored_field(name, span) {
                Ok(i) if self.version == Some(i) => errors.push(format!(
                    "field `{name}` is the #[model(version)] field; it changes on every save, so \
                     no key may depend on it"
                )),
                Ok(i) => args.push(i),
                Err(e) => errors.push(e.to_string()),
            }
        }
        if !errors.is_empty() {
            return Err(syn::Error::new(span, errors.join("; ")));
        }
        Ok(Computed {
            function: call.function.clone(),
            function_text: call.function_text.clone(),
            args,
            width,
            span,
        })
    }

    /// The index of the stored field `name`, or an error saying why it is not one.
    fn stored_field(&self, name: &str, span: Span) -> syn::Result<usize> {
        let Some(i) = self.fields.iter().position(|f| f.name == name) else {
            let message = if self.skipped.iter().any(|s| s == name) {
                format!(
                    "field `{name}` is skipped by serde (#[serde(skip)]), so it is not stored \
                     and cannot be part of a key"
                )
            } else if self.flattened.iter().any(|s| s == name) {
                format!(
                    "field `{name}` is #[serde(flatten)]: it has no attribute of its own and \
                     cannot be part of a key"
                )
            } else {
                format!(
                    "unknown field `{name}` in key template; fields are: {}",
                    self.field_list()
                )
            };
            return Err(syn::Error::new(span, message));
        };
        Ok(i)
    }

    fn field(&self, name: &str, span: Span) -> syn::Result<usize> {
        let i = self.stored_field(name, span)?;
        let field = &self.fields[i];
        let bad_kind = match field.info.kind {
            Kind::Float => Some("a float"),
            Kind::Bytes => Some("bytes"),
            _ => None,
        };
        if let Some(what) = bad_kind {
            return Err(syn::Error::new(
                span,
                format!(
                    "field `{name}` is {what} and cannot be part of a key; key fields are \
                     strings, integers, bools or unit enums"
                ),
            ));
        }
        if self.version == Some(i) {
            return Err(syn::Error::new(
                span,
                format!(
                    "field `{name}` is the #[model(version)] field; it changes on every save, \
                     so it cannot be part of a key"
                ),
            ));
        }
        Ok(i)
    }
}

/// Checks a `#[derive(Model)]` input and describes the model.
pub(crate) fn parse(input: &DeriveInput) -> syn::Result<ModelDef> {
    let named = named_fields(input)?;
    let mut errors = Errors::default();
    let container = attr::container(&input.attrs, &mut errors);
    let serde_container = attr::serde_container(&input.attrs);
    let rename_all = rename_rule(&serde_container.rename_all, &mut errors);

    let mut fields: Vec<FieldDef> = Vec::new();
    let mut skipped = Vec::new();
    let mut flattened = Vec::new();
    let mut specials: [Option<(usize, Span)>; 4] = [None; 4];
    let mut unique: Vec<UniqueDef> = Vec::new();
    for field in &named.named {
        let Some(ident) = field.ident.clone() else {
            continue;
        };
        let name = ident.unraw().to_string();
        let serde = attr::serde_field(&field.attrs);
        let model = attr::field(&field.attrs, &mut errors);
        if serde.skip || serde.flatten {
            if let Some(span) = model.any() {
                errors.at(
                    span,
                    format_args!(
                        "#[model] on field `{name}`, which serde does not store under its own \
                         name (skip / flatten)"
                    ),
                );
            }
            if serde.skip {
                skipped.push(name);
            } else {
                flattened.push(name);
            }
            continue;
        }

        let default = rename_all.map_or_else(|| name.clone(), |r| r.apply_to_field(&name));
        let serialize = serde
            .rename
            .serialize
            .as_ref()
            .map_or(default.clone(), LitStr::value);
        let deserialize = serde
            .rename
            .deserialize
            .as_ref()
            .map_or(default, LitStr::value);
        if serialize != deserialize {
            let span = serde
                .rename
                .serialize
                .as_ref()
                .or(serde.rename.deserialize.as_ref())
                .map_or_else(|| ident.span(), LitStr::span);
            errors.at(
                span,
                format_args!(
                    "#[derive(Model)] needs one attribute name per field, but serde writes field \
                     `{name}` as \"{serialize}\" and reads it as \"{deserialize}\""
                ),
            );
        }
        if let Some(rename) = &model.rename {
            if rename.value() != serialize {
                errors.at(
                    rename.span(),
                    format_args!(
                        "#[model(rename = \"{r}\")] disagrees with serde, which stores field \
                         `{name}` as \"{serialize}\"; rename it with #[serde(rename = \"{r}\")] \
                         instead (serde decides attribute names)",
                        r = rename.value()
                    ),
                );
            }
        }
        if let Some(other) = fields.iter().find(|f| f.attribute == serialize) {
            errors.at(
                ident.span(),
                format_args!(
                    "fields `{}` and `{name}` are both stored as attribute \"{serialize}\"",
                    other.name
                ),
            );
        }

        let info = types::classify(&field.ty, serde.bytes);
        let index = fields.len();
        let flags = [model.version, model.ttl, model.created_at, model.updated_at];
        for (slot, (flag, what)) in specials.iter_mut().zip(flags.into_iter().zip([
            "version",
            "ttl",
            "created_at",
            "updated_at",
        ])) {
            let Some(span) = flag else { continue };
            match slot {
                Some((previous, _)) => errors.at(
                    span,
                    format_args!(
                        "#[model({what})] is already on field `{}`; a model has at most one \
                         {what} field",
                        fields[*previous].name
                    ),
                ),
                None => *slot = Some((index, span)),
            }
        }
        if model.version.is_some() && (info.kind != Kind::Integer || info.optional) {
            errors.push(syn::Error::new_spanned(
                &field.ty,
                "#[model(version)] needs an integer field such as `u64` (not an `Option`)",
            ));
        }
        if model.ttl.is_some() && matches!(info.kind, Kind::String | Kind::Bool | Kind::Bytes) {
            errors.push(syn::Error::new_spanned(
                &field.ty,
                "#[model(ttl)] needs epoch seconds: an integer such as `i64` or `Option<i64>` \
                 (DynamoDB ignores a TTL attribute that is not a number)",
            ));
        }
        if let Some(span) = model.unique {
            if let Some(bad) = unique_field_problem(&info, model.version.is_some()) {
                errors.at(
                    span,
                    format_args!("#[model(unique)] on field `{name}`: {bad}"),
                );
            }
            unique.push(UniqueDef {
                name: name.clone(),
                fields: vec![index],
            });
        }
        fields.push(FieldDef {
            ident,
            name,
            attribute: serialize,
            info,
            ty: field.ty.clone(),
            serialize_with: serde.serialize_with.clone(),
            deserialize_with: serde.deserialize_with.clone(),
            in_key: false,
        });
    }
    let [version, ttl, created_at, updated_at] = specials.map(|s| s.map(|(i, _)| i));

    let entity = match &container.entity {
        Some(lit) if lit.value().is_empty() => {
            errors.at(lit.span(), "empty entity name");
            String::new()
        }
        Some(lit) => lit.value(),
        None => input.ident.unraw().to_string(),
    };
    let schema_version = match &container.schema_version {
        None => 1,
        Some(lit) => match lit.base10_parse::<u32>() {
            Ok(0) | Err(_) => {
                errors.at(
                    lit.span(),
                    "schema_version must be a whole number from 1 (the first version) up; \
                     items stored without a schema version are version 1",
                );
                1
            }
            Ok(v) => v,
        },
    };
    if let (Some(path), None) = (&container.upgrade, &container.schema_version) {
        errors.push(syn::Error::new_spanned(
            path,
            "`upgrade` without `schema_version`: an upgrade function brings items of older schema \
             versions to the current one, so declare the current one, e.g. \
             #[model(schema_version = 2, upgrade = ...)]",
        ));
    }
    let krate = container
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::orm_core));

    let resolver = Resolver {
        fields: &fields,
        skipped,
        flattened,
        version,
    };
    let pk = match &container.pk {
        Some(lit) => resolver.template(lit, &mut errors),
        None => {
            errors.at(
                input.ident.span(),
                "missing partition key template: add #[model(pk = \"...\")], e.g. \
                 #[model(pk = \"USER#{id}\")]",
            );
            None
        }
    };
    let sk = container
        .sk
        .as_ref()
        .and_then(|lit| resolver.template(lit, &mut errors));
    for group in &container.unique {
        if let Some(def) = unique_group(group, &fields, version, &unique, &mut errors) {
            unique.push(def);
        }
    }
    let mut indexes: Vec<IndexDef> = Vec::new();
    for index in &container.indexes {
        if let Some(def) = index_def(index, &resolver, &indexes, &mut errors) {
            indexes.push(def);
        }
    }
    errors.finish()?;
    let pk = pk.expect("errors were reported");

    let mut model = ModelDef {
        ident: input.ident.clone(),
        vis: input.vis.clone(),
        generics: input.generics.clone(),
        krate,
        entity,
        fields,
        pk,
        sk,
        indexes,
        version,
        ttl,
        created_at,
        updated_at,
        schema_version,
        upgrade: container.upgrade.clone(),
        unique,
    };
    let used: Vec<usize> = std::iter::once(&model.pk)
        .chain(&model.sk)
        .chain(model.indexes.iter().flat_map(|i| i.pk.iter().chain(&i.sk)))
        .flat_map(Template::fields)
        .chain(
            model
                .indexes
                .iter()
                .flat_map(|i| i.pk_fields.iter().chain(&i.sk_fields).copied()),
        )
        .collect();
    for i in used {
        model.fields[i].in_key = true;
    }
    Ok(model)
}

/// Why a field cannot be (part of) a unique constraint, if it cannot.
fn unique_field_problem(info: &TypeInfo, version: bool) -> Option<&'static str> {
    if version {
        Some("the #[model(version)] field changes on every write, so it cannot be unique")
    } else if info.kind == Kind::Float {
        Some("a float has no exact text to compare; use an integer, a string or a decimal type")
    } else {
        None
    }
}

/// Checks one `unique(name = "...", fields = [...])` group.
fn unique_group(
    group: &attr::UniqueAttr,
    fields: &[FieldDef],
    version: Option<usize>,
    previous: &[UniqueDef],
    errors: &mut Errors,
) -> Option<UniqueDef> {
    let Some(name_lit) = &group.name else {
        errors.at(
            group.span,
            "unique(...) needs a name: unique(name = \"...\", fields = [\"a\", \"b\"])",
        );
        return None;
    };
    let name = name_lit.value();
    let mut ok = true;
    if name.is_empty() || name.contains('#') {
        errors.at(
            name_lit.span(),
            format_args!("invalid unique name \"{name}\": it must be non-empty and without `#`"),
        );
        ok = false;
    }
    if previous.iter().any(|p| p.name == name) {
        errors.at(
            name_lit.span(),
            format_args!(
                "duplicate unique name \"{name}\" (a #[model(unique)] field's constraint is named after the field)"
            ),
        );
        ok = false;
    }
    if group.fields.is_empty() {
        errors.at(
            group.span,
            format_args!(
                "unique group \"{name}\" needs at least one field: fields = [\"a\", \"b\"]"
            ),
        );
        return None;
    }
    let mut members = Vec::with_capacity(group.fields.len());
    for lit in &group.fields {
        let wanted = lit.value();
        let Some(i) = fields.iter().position(|f| f.name == wanted) else {
            let list: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            errors.at(
                lit.span(),
                format_args!(
                    "unknown field `{wanted}` in unique group \"{name}\"; fields are: {}",
                    list.join(", ")
                ),
            );
            ok = false;
            continue;
        };
        if members.contains(&i) {
            errors.at(lit.span(), format_args!("field `{wanted}` is listed twice"));
            ok = false;
        }
        if let Some(bad) = unique_field_problem(&fields[i].info, version == Some(i)) {
            errors.at(lit.span(), format_args!("field `{wanted}`: {bad}"));
            ok = false;
        }
        members.push(i);
    }
    ok.then_some(UniqueDef {
        name,
        fields: members,
    })
}

fn named_fields(input: &DeriveInput) -> syn::Result<&FieldsNamed> {
    const NEEDS: &str = "#[derive(Model)] needs a struct with named fields";
    match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(named) => Ok(named),
            Fields::Unnamed(unnamed) => Err(syn::Error::new(
                unnamed.paren_token.span.join(),
                format!(
                    "{NEEDS}; a tuple struct has no field names to store its fields under and to \
                     name in key templates"
                ),
            )),
            Fields::Unit => Err(syn::Error::new(
                input.ident.span(),
                format!("{NEEDS}; a unit struct has nothing to store"),
            )),
        },
        Data::Enum(e) => Err(syn::Error::new(
            e.enum_token.span,
            format!("{NEEDS}, not an enum (an enum can be the type of a model's field)"),
        )),
        Data::Union(u) => Err(syn::Error::new(
            u.union_token.span,
            format!("{NEEDS}, not a union"),
        )),
    }
}

/// The container's `rename_all` rule; one for both directions.
fn rename_rule(names: &SerdeNames, errors: &mut Errors) -> Option<RenameRule> {
    let rule = |lit: &Option<LitStr>| lit.as_ref().and_then(|l| RenameRule::from_name(&l.value()));
    let (serialize, deserialize) = (rule(&names.serialize), rule(&names.deserialize));
    if serialize != deserialize {
        let span = names
            .serialize
            .as_ref()
            .or(names.deserialize.as_ref())
            .map_or_else(Span::call_site, LitStr::span);
        errors.at(
            span,
            "#[derive(Model)] needs one attribute name per field, but this rename_all names \
             fields differently for serialize and deserialize",
        );
    }
    serialize
}

/// Checks one `index(...)` / `local_index(...)`.
fn index_def(
    index: &IndexAttr,
    resolver: &Resolver<'_>,
    previous: &[IndexDef],
    errors: &mut Errors,
) -> Option<IndexDef> {
    let kind = if index.local { "local_index" } else { "index" };
    let Some(name_lit) = &index.name else {
        errors.at(
            index.span,
            format_args!("{kind}(...) needs a name: {kind}(name = \"...\", ...)"),
        );
        return None;
    };
    let name = name_lit.value();
    let mut ok = true;
    if !(3..=255).contains(&name.len())
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        errors.at(
            name_lit.span(),
            format_args!(
                "invalid index name \"{name}\": DynamoDB index names are 3 to 255 characters \
                 of a-z, A-Z, 0-9, `_`, `-` and `.`"
            ),
        );
        ok = false;
    }
    if previous.iter().any(|p| p.name == name) {
        errors.at(
            name_lit.span(),
            format_args!("duplicate index name \"{name}\""),
        );
        ok = false;
    }
    let multi = index.pk_fields.is_some() || index.sk_fields.is_some();
    if multi && (index.pk.is_some() || index.sk.is_some()) {
        errors.at(
            index.span,
            format_args!(
                "index \"{name}\" mixes a template and a list of fields: a multi-attribute key \
                 lists fields for both, e.g. pk = [tournament_id, region], sk = [round]"
            ),
        );
        return None;
    }
    if multi && index.when.is_some() {
        errors.at(
            index.span,
            format_args!(
                "index \"{name}\" has a multi-attribute key and `when`: its items are those \
                 holding every key attribute (leave a field `None` to keep an item out); \
                 `when` is for template keys"
            ),
        );
        return None;
    }
    if index.sk_fields.is_some() && index.pk_fields.is_none() {
        errors.at(
            index.span,
            format_args!(
                "index \"{name}\" lists sort fields but has no partition fields: add \
                 pk = [field, ...]"
            ),
        );
        return None;
    }
    let mut used: Vec<usize> = Vec::new();
    let mut key_fields = |list: &Option<Vec<syn::Ident>>, side: &str| -> Option<Vec<usize>> {
        let Some(list) = list else {
            return Some(Vec::new());
        };
        let mut out = Vec::new();
        let mut good = true;
        if list.len() > MAX_KEY_ATTRIBUTES {
            errors.at(
                list[MAX_KEY_ATTRIBUTES].span(),
                format_args!(
                    "too many {side} attributes: a multi-attribute key has at most \
                     {MAX_KEY_ATTRIBUTES} partition and {MAX_KEY_ATTRIBUTES} sort attributes"
                ),
            );
            good = false;
        }
        for ident in list {
            match resolver.key_attribute(ident, errors) {
                Some(i) if used.contains(&i) => {
                    errors.at(
                        ident.span(),
                        format_args!(
                            "field `{ident}` is used twice in the key of index \"{name}\": \
                             each key attribute is one field"
                        ),
                    );
                    good = false;
                }
                Some(i) => {
                    used.push(i);
                    out.push(i);
                }
                None => good = false,
            }
        }
        good.then_some(out)
    };
    let pk_fields = key_fields(&index.pk_fields, "partition");
    let sk_fields = key_fields(&index.sk_fields, "sort");
    let (Some(pk_fields), Some(sk_fields)) = (pk_fields, sk_fields) else {
        return None;
    };
    let pk = match (&index.pk, index.local) {
        (Some(lit), _) => resolver.template(lit, errors),
        (None, true) => None,
        (None, false) if multi => None,
        (None, false) => {
            errors.at(
                index.span,
                format_args!(
                    "global index \"{name}\" needs a partition key template: \
                     index(name = \"{name}\", pk = \"...\"); use local_index(...) for an index \
                     that shares the table's partition key"
                ),
            );
            ok = false;
            None
        }
    };
    let sk = match &index.sk {
        Some(lit) => resolver.template(lit, errors),
        None if index.local => {
            errors.at(
                index.span,
                format_args!(
                    "local index \"{name}\" needs a sort key template: \
                     local_index(name = \"{name}\", sk = \"...\")"
                ),
            );
            ok = false;
            None
        }
        None => None,
    };
    ok &= (index.pk.is_none() || pk.is_some()) && (index.sk.is_none() || sk.is_some());
    let projection = match &index.projection {
        None | Some(ProjectionAttr::All) => ProjectionDef::All,
        Some(ProjectionAttr::KeysOnly) => ProjectionDef::KeysOnly,
        Some(ProjectionAttr::Include(names)) => {
            let mut attributes = Vec::with_capacity(names.len());
            for lit in names {
                let wanted = lit.value();
                let field = resolver
                    .fields
                    .iter()
                    .find(|f| f.name == wanted)
                    .or_else(|| resolver.fields.iter().find(|f| f.attribute == wanted));
                match field {
                    Some(f) if !attributes.contains(&f.attribute) => {
                        attributes.push(f.attribute.clone())
                    }
                    Some(_) => {}
                    None => {
                        errors.at(
                            lit.span(),
                            format_args!(
                                "unknown field `{wanted}` in projection; fields are: {}",
                                resolver.field_list()
                            ),
                        );
                        ok = false;
                    }
                }
            }
            ProjectionDef::Include(attributes)
        }
    };
    let mut method_prefix: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if method_prefix.starts_with(|c: char| c.is_ascii_digit()) {
        method_prefix.insert(0, '_');
    }
    let when = index.when.as_ref().and_then(|lit| {
        let call = template::parse_call(&lit.value(), lit.span())
            .and_then(|call| resolver.call(&call, None, lit.span()));
        call.map_err(|e| {
            errors.push(e);
            ok = false;
        })
        .ok()
    });
    ok.then(|| IndexDef {
        name,
        span: name_lit.span(),
        method_prefix,
        local: index.local,
        pk,
        sk,
        pk_fields,
        sk_fields,
        projection,
        when,
    })
}
