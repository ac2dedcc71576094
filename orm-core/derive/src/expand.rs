//! Code generation: the `Model` impl and the inherent key constructors of a checked model.

use crate::ast::{self, Computed, FieldDef, IndexDef, ModelDef, Part, ProjectionDef, Template};
use crate::types::{Kind, ParamStyle};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use std::collections::HashSet;
use syn::DeriveInput;

/// Expands `#[derive(Model)]` on `input`.
pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let model = ast::parse(input)?;
    let generator = Generator { model: &model };
    let model_impl = generator.model_impl();
    let constructors = generator.constructors()?;
    Ok(quote! {
        #model_impl
        #constructors
    })
}

/// Whether a `None` field is an error (primary keys) or makes the key absent (sparse indexes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Required,
    Sparse,
}

/// Where field values come from: `&self` (the `Model` impl) or the parameters of a constructor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    SelfFields,
    Params,
}

/// One generated inherent method.
struct Method {
    name: String,
    /// Where a clash of its name is reported.
    span: Span,
    tokens: TokenStream,
}

const ERRORS_DOC: &str = "\n\n# Errors\n\n`Error::Validation` when a value cannot be part of a \
    key: a string containing the key delimiter `#`, a float, bytes or a collection.";

struct Generator<'a> {
    model: &'a ModelDef,
}

impl Generator<'_> {
    fn field(&self, index: usize) -> &FieldDef {
        &self.model.fields[index]
    }

    /// An expression of type `String`: the parts rendered.
    fn render(&self, parts: &[Part], source: Source, mode: Mode) -> TokenStream {
        let krate = &self.model.krate;
        if parts.iter().all(|p| matches!(p, Part::Literal(_))) {
            let text: String = parts
                .iter()
                .filter_map(|p| match p {
                    Part::Literal(l) => Some(l.as_str()),
                    _ => None,
                })
                .collect();
            return quote!(::std::string::String::from(#text));
        }
        let capacity: usize = parts
            .iter()
            .map(|p| match p {
                Part::Literal(l) => l.len(),
                Part::Field(i, width) => {
                    width.map_or(self.field(*i).info.rendered_len, |w| usize::from(w) + 1)
                }
                Part::Computed(c) => c.width.map_or(16, |w| usize::from(w) + 1),
            })
            .sum();
        let steps = parts.iter().map(|part| {
            let (value, name, width) = match part {
                Part::Literal(l) => {
                    let mut chars = l.chars();
                    return match (chars.next(), chars.next()) {
                        (Some(c), None) => quote!(__orm_key.push(#c);),
                        _ => quote!(__orm_key.push_str(#l);),
                    };
                }
                Part::Field(i, width) => {
                    let field = self.field(*i);
                    let ident = &field.ident;
                    let value = match (source, field.info.param) {
                        (Source::SelfFields, _) => quote!(&self.#ident),
                        (Source::Params, ParamStyle::Str) => quote!(#ident),
                        (Source::Params, _) => quote!(&#ident),
                    };
                    (value, field.name.clone(), *width)
                }
                Part::Computed(c) => (self.call(c, source), self.call_text(c), c.width),
            };
            let width = match width {
                Some(w) => quote!(::core::option::Option::Some(#w)),
                None => quote!(::core::option::Option::None),
            };
            match mode {
                Mode::Required => quote! {
                    #krate::__private::write_required_part(&mut __orm_key, #value, #name, #width)?;
                },
                Mode::Sparse => quote! {
                    if !#krate::__private::write_part(&mut __orm_key, #value, #name, #width)? {
                        return ::core::result::Result::Ok(::core::option::Option::None);
                    }
                },
            }
        });
        quote!({
            let mut __orm_key = ::std::string::String::with_capacity(#capacity);
            #(#steps)*
            __orm_key
        })
    }

    /// A computed segment or predicate as written: `Self::bucket(created_at)`.
    fn call_text(&self, c: &Computed) -> String {
        let args: Vec<&str> = c
            .args
            .iter()
            .map(|&i| self.field(i).name.as_str())
            .collect();
        format!("{}({})", c.function_text, args.join(", "))
    }

    /// A reference to the result of calling `c`'s function with references to its fields (of
    /// `self`, or made from a constructor's parameters), spanned at the template so that a
    /// type error points there.
    fn call(&self, c: &Computed, source: Source) -> TokenStream {
        let function = &c.function;
        let args = c.args.iter().map(|&i| {
            let field = self.field(i);
            let ident = &field.ident;
            if source == Source::SelfFields {
                return quote!(&self.#ident);
            }
            // A constructor's parameter, made a value of the field's declared type.
            let owned = match field.info.param {
                ParamStyle::Str => quote!(::std::string::String::from(#ident)),
                ParamStyle::Exact => quote!(#ident),
                ParamStyle::Into => quote!(::core::clone::Clone::clone(&#ident)),
            };
            match (field.info.optional, field.info.param) {
                (true, _) => quote!(&::core::option::Option::Some(#owned)),
                (false, ParamStyle::Str) => quote!(&#owned),
                (false, _) => quote!(&#ident),
            }
        });
        quote_spanned!(c.span=> &#function(#(#args),*))
    }

    /// The guard of an index's `when` predicate: the index key is absent when it is false.
    fn predicate(&self, when: Option<&Computed>) -> TokenStream {
        let Some(c) = when else {
            return TokenStream::new();
        };
        let call = self.call(c, Source::SelfFields);
        quote_spanned! {c.span=>
            let __orm_in_index: bool = *#call;
            if !__orm_in_index {
                return ::core::result::Result::Ok(::core::option::Option::None);
            }
        }
    }

    /// An expression of type `Value`: the parts rendered into a string value.
    fn value(&self, parts: &[Part], source: Source, mode: Mode) -> TokenStream {
        let krate = &self.model.krate;
        let rendered = self.render(parts, source, mode);
        quote!(#krate::Value::S(#rendered))
    }

    fn template(&self, template: &Template) -> TokenStream {
        let krate = &self.model.krate;
        let text = &template.text;
        let parts = template.parts.iter().map(|p| match p {
            Part::Literal(l) => quote!(#krate::key::TemplatePart::Literal(#l)),
            Part::Field(i, width) => {
                let field = self.field(*i);
                let name = &field.name;
                match width.or(field.info.digits) {
                    Some(width) => {
                        quote!(#krate::key::TemplatePart::Padded { field: #name, width: #width })
                    }
                    None => quote!(#krate::key::TemplatePart::Field(#name)),
                }
            }
            Part::Computed(c) => {
                let function = &c.function_text;
                let fields = c.args.iter().map(|&i| &self.field(i).name);
                let width = match c.width {
                    Some(w) => quote!(::core::option::Option::Some(#w)),
                    None => quote!(::core::option::Option::None),
                };
                quote! {
                    #krate::key::TemplatePart::Computed {
                        function: #function,
                        fields: &[#(#fields),*],
                        width: #width,
                    }
                }
            }
        });
        quote!(#krate::key::KeyTemplate { text: #text, parts: &[#(#parts),*] })
    }

    fn optional_template(&self, template: Option<&Template>) -> TokenStream {
        some_or_none(template.map(|t| self.template(t)))
    }

    fn schema_body(&self) -> TokenStream {
        let model = self.model;
        let krate = &model.krate;
        let entity = &model.entity;
        let fields = model.fields.iter().map(|f| {
            let name = &f.name;
            let attribute = &f.attribute;
            let kind = format_ident!(
                "{}",
                match f.info.kind {
                    Kind::String => "String",
                    Kind::Integer => "Integer",
                    Kind::Float => "Float",
                    Kind::Bool => "Bool",
                    Kind::Bytes => "Bytes",
                    Kind::Other => "Other",
                }
            );
            let optional = f.info.optional;
            let in_key = f.in_key;
            quote! {
                #krate::Field {
                    name: #name,
                    attribute: #attribute,
                    kind: #krate::FieldKind::#kind,
                    optional: #optional,
                    in_key: #in_key,
                }
            }
        });
        let lazy = model
            .indexes
            .iter()
            .any(|i| matches!(i.projection, ProjectionDef::Include(_)));
        let indexes = model.indexes.iter().map(|index| {
            let name = &index.name;
            let local = index.local;
            let pk = self.optional_template(index.pk.as_ref());
            let sk = self.optional_template(index.sk.as_ref());
            let when = some_or_none(index.when.as_ref().map(|c| {
                let function = &c.function_text;
                let fields = c.args.iter().map(|&i| &self.field(i).name);
                quote! {
                    #krate::model::IndexPredicate { function: #function, fields: &[#(#fields),*] }
                }
            }));
            let projection = match &index.projection {
                ProjectionDef::All => quote!(#krate::backend::Projection::All),
                ProjectionDef::KeysOnly => quote!(#krate::backend::Projection::KeysOnly),
                ProjectionDef::Include(names) => quote! {
                    #krate::backend::Projection::Include(::std::vec![
                        #(::std::string::String::from(#names)),*
                    ])
                },
            };
            let attributes = |fields: &[usize]| {
                let attributes = fields.iter().map(|&i| {
                    let field = self.field(i);
                    let attribute = &field.attribute;
                    let key_type = match field.info.kind {
                        Kind::Integer => quote!(N),
                        Kind::Bytes => quote!(B),
                        _ => quote!(S),
                    };
                    quote! {
                        #krate::model::IndexAttribute {
                            attribute: #attribute,
                            key_type: #krate::backend::KeyType::#key_type,
                        }
                    }
                });
                quote!(&[#(#attributes),*])
            };
            let partition_attributes = attributes(&index.pk_fields);
            let sort_attributes = attributes(&index.sk_fields);
            quote! {
                #krate::model::IndexSchema {
                    name: #name,
                    local: #local,
                    partition_key: #pk,
                    sort_key: #sk,
                    partition_attributes: #partition_attributes,
                    sort_attributes: #sort_attributes,
                    projection: #projection,
                    when: #when,
                }
            }
        });
        let indexes = if lazy {
            quote!(::std::vec::Vec::leak(::std::vec![#(#indexes),*]))
        } else {
            quote!(&[#(#indexes),*])
        };
        let pk = self.template(&model.pk);
        let sk = self.optional_template(model.sk.as_ref());
        let has_sort_key = model.sk.is_some();
        let attribute = |field: Option<usize>| {
            some_or_none(field.map(|i| {
                let attribute = &self.field(i).attribute;
                quote!(#attribute)
            }))
        };
        let (version, ttl) = (attribute(model.version), attribute(model.ttl));
        let (created_at, updated_at) = (attribute(model.created_at), attribute(model.updated_at));
        let schema_version = model.schema_version;
        let unique = model.unique.iter().map(|u| {
            let name = &u.name;
            let attributes = u.fields.iter().map(|i| &self.field(*i).attribute);
            quote!(#krate::model::UniqueSchema { name: #name, attributes: &[#(#attributes),*] })
        });
        let schema = quote! {
            #krate::Schema {
                entity: #entity,
                fields: &[#(#fields),*],
                partition_key: ::core::option::Option::Some(#pk),
                sort_key: #sk,
                has_sort_key: #has_sort_key,
                indexes: #indexes,
                version: #version,
                ttl: #ttl,
                created_at: #created_at,
                updated_at: #updated_at,
                schema_version: #schema_version,
                unique: &[#(#unique),*],
            }
        };
        if lazy {
            // `Projection::Include` holds a `Vec`: built once, on first use.
            quote! {
                static SCHEMA: ::std::sync::LazyLock<#krate::Schema> =
                    ::std::sync::LazyLock::new(|| #schema);
                ::std::sync::LazyLock::force(&SCHEMA)
            }
        } else {
            quote! {
                static SCHEMA: #krate::Schema = #schema;
                &SCHEMA
            }
        }
    }

    fn index_key_fn(&self) -> TokenStream {
        let model = self.model;
        if model.indexes.is_empty() {
            return TokenStream::new();
        }
        let krate = &model.krate;
        // A multi-attribute index has no synthetic keys: its attributes are the fields.
        let arms = model
            .indexes
            .iter()
            .filter(|i| i.pk_fields.is_empty())
            .map(|index| {
                let name = &index.name;
                let sort = match &index.sk {
                    Some(sk) => {
                        let value = self.value(&sk.parts, Source::SelfFields, Mode::Sparse);
                        quote!(::core::option::Option::Some(#value))
                    }
                    None => quote!(::core::option::Option::None),
                };
                let partition = match &index.pk {
                    Some(pk) => self.value(&pk.parts, Source::SelfFields, Mode::Sparse),
                    // A local index: the table's partition key.
                    None => self.value(&model.pk.parts, Source::SelfFields, Mode::Required),
                };
                let predicate = self.predicate(index.when.as_ref());
                // The sort key first: a local index is sparse by its sort key alone.
                quote! {
                    #name => {
                        #predicate
                        let sort = #sort;
                        let partition = #partition;
                        ::core::result::Result::Ok(::core::option::Option::Some(
                            #krate::Key { partition, sort },
                        ))
                    }
                }
            });
        quote! {
            fn index_key(
                &self,
                index: &str,
            ) -> #krate::Result<::core::option::Option<#krate::Key>> {
                match index {
                    #(#arms)*
                    _ => ::core::result::Result::Ok(::core::option::Option::None),
                }
            }
        }
    }

    fn model_impl(&self) -> TokenStream {
        let model = self.model;
        let krate = &model.krate;
        let ident = &model.ident;
        let (impl_generics, ty_generics, where_clause) = model.generics.split_for_impl();
        let schema = self.schema_body();
        let partition = self.value(&model.pk.parts, Source::SelfFields, Mode::Required);
        let sort = some_or_none(
            model
                .sk
                .as_ref()
                .map(|sk| self.value(&sk.parts, Source::SelfFields, Mode::Required)),
        );
        let index_key = self.index_key_fn();
        // The optimistic-locking version, read and written through the field itself.
        let version_fns = model.version.map(|i| {
            let field = &self.field(i).ident;
            quote! {
                fn version(&self) -> ::core::option::Option<u64> {
                    ::core::convert::TryFrom::try_from(self.#field).ok()
                }

                fn set_version(&mut self, version: u64) {
                    if let ::core::result::Result::Ok(v) = ::core::convert::TryFrom::try_from(version) {
                        self.#field = v;
                    }
                }
            }
        });
        // ORM-set timestamps, through `orm_core::timestamp::Timestamp` on the field's type:
        // the value stored for an instant is serialized as serde serializes the field, and the
        // model is set to that stored value decoded as a read decodes it.
        let stamp = |field: Option<usize>| field.map(|i| self.field(i));
        let (created, updated) = (stamp(model.created_at), stamp(model.updated_at));
        let serde_path = quote!(#krate::__private::serde).to_string();
        // `__OrmTimestamp`, a newtype of the field's type that serde serializes or deserializes
        // (`derive`) through the field's `with` module (`key = path`, as written on the field).
        let with_newtype = |derive: &str, (key, path): &(String, syn::LitStr), ty: &syn::Type| {
            let derive = syn::Ident::new(derive, proc_macro2::Span::call_site());
            let key = syn::Ident::new(key, proc_macro2::Span::call_site());
            quote! {
                #[derive(#krate::__private::serde::#derive)]
                #[serde(crate = #serde_path)]
                struct __OrmTimestamp(#[serde(#key = #path)] #ty);
            }
        };
        let value_fn = |name: &str, field: Option<&FieldDef>| {
            let name = syn::Ident::new(name, proc_macro2::Span::call_site());
            field.map(|f| {
                let ty = &f.ty;
                let now_value = quote!(<#ty as #krate::timestamp::Timestamp>::from_system_time(now));
                // Serialized as serde serializes the field: through its `with` module, if any.
                let value = match &f.serialize_with {
                    Some(with) => {
                        let newtype = with_newtype("Serialize", with, ty);
                        quote!({ #newtype #krate::to_value(&__OrmTimestamp(#now_value)) })
                    }
                    None => quote!(#krate::to_value(&#now_value)),
                };
                quote! {
                    fn #name(now: ::std::time::SystemTime) -> #krate::Result<::core::option::Option<#krate::Value>> {
                        #value.map(::core::option::Option::Some)
                    }
                }
            })
        };
        let set_fn = |name: &str, field: Option<&FieldDef>| {
            let name = syn::Ident::new(name, proc_macro2::Span::call_site());
            field.map(|f| {
                let (ident, ty) = (&f.ident, &f.ty);
                // Decoded as a read decodes the field: through its `with` module, if any.
                let decoded = match &f.deserialize_with {
                    Some(with) => {
                        let newtype = with_newtype("Deserialize", with, ty);
                        quote!({ #newtype #krate::from_value::<__OrmTimestamp>(value)?.0 })
                    }
                    None => quote!(#krate::from_value::<#ty>(value)?),
                };
                quote! {
                    fn #name(&mut self, value: #krate::Value) -> #krate::Result<()> {
                        self.#ident = #decoded;
                        ::core::result::Result::Ok(())
                    }
                }
            })
        };
        let created_value = value_fn("created_at_value", created);
        let updated_value = value_fn("updated_at_value", updated);
        let set_created = set_fn("set_created_at", created);
        let set_updated = set_fn("set_updated_at", updated);
        let upgrade_fn = model.upgrade.as_ref().map(|path| {
            quote! {
                fn upgrade(item: #krate::Item, from: u32) -> #krate::Result<#krate::Item> {
                    #path(item, from)
                }
            }
        });
        quote! {
            #[automatically_derived]
            impl #impl_generics #krate::Model for #ident #ty_generics #where_clause {
                #version_fns
                #upgrade_fn
                #created_value
                #updated_value
                #set_created
                #set_updated

                fn schema() -> &'static #krate::Schema {
                    #schema
                }

                fn primary_key(&self) -> #krate::Result<#krate::Key> {
                    ::core::result::Result::Ok(#krate::Key {
                        partition: #partition,
                        sort: #sort,
                    })
                }

                #index_key
            }
        }
    }

    /// A constructor taking `fields` (each once) and returning `ret` from `body`.
    fn method(
        &self,
        name: String,
        span: Span,
        doc: String,
        fields: &[usize],
        ret: TokenStream,
        body: TokenStream,
    ) -> Method {
        let vis = &self.model.vis;
        let params = fields.iter().map(|&i| {
            let field = self.field(i);
            let ident = &field.ident;
            let ty = &field.info.value_ty;
            match field.info.param {
                ParamStyle::Str => quote!(#ident: impl ::core::convert::AsRef<str>),
                ParamStyle::Exact => quote!(#ident: #ty),
                ParamStyle::Into => quote!(#ident: impl ::core::convert::Into<#ty>),
            }
        });
        let conversions = fields.iter().map(|&i| {
            let field = self.field(i);
            let ident = &field.ident;
            let ty = &field.info.value_ty;
            match field.info.param {
                ParamStyle::Str => {
                    quote!(let #ident: &str = ::core::convert::AsRef::<str>::as_ref(&#ident);)
                }
                ParamStyle::Exact => TokenStream::new(),
                ParamStyle::Into => quote!(let #ident: #ty = ::core::convert::Into::into(#ident);),
            }
        });
        let allow = if fields.len() > 7 {
            quote!(#[allow(clippy::too_many_arguments)])
        } else {
            TokenStream::new()
        };
        let fn_name = format_ident!("{}", name, span = span);
        let tokens = quote! {
            #[doc = #doc]
            #allow
            #vis fn #fn_name(#(#params),*) -> #ret {
                #(#conversions)*
                #body
            }
        };
        Method { name, span, tokens }
    }

    /// `*key`, `*partition`, `*sort_key` and `*sk_prefix*` for the table (prefix "") or an index.
    fn key_methods(
        &self,
        prefix: &str,
        what: &str,
        span: Span,
        index: Option<&IndexDef>,
        methods: &mut Vec<Method>,
    ) {
        let model = self.model;
        let krate = &model.krate;
        let ident = &model.ident;
        let (pk, sk) = match index {
            Some(index) => (index.pk.as_ref(), index.sk.as_ref()),
            None => (Some(&model.pk), model.sk.as_ref()),
        };
        let value_ty = quote!(#krate::Result<#krate::Value>);
        if let Some(pk) = pk {
            let pk_fields = unique(pk.fields());
            let partition = self.value(&pk.parts, Source::Params, Mode::Required);
            let key_fields = unique(pk.fields().chain(sk.iter().flat_map(|sk| sk.fields())));
            let sort =
                some_or_none(sk.map(|sk| self.value(&sk.parts, Source::Params, Mode::Required)));
            let sort_doc = sk.map_or_else(String::new, |sk| format!(", sort `{}`", sk.text));
            methods.push(self.method(
                format!("{prefix}key"),
                span,
                format!(
                    "The {} of a `{ident}` with these key fields: partition `{}`{sort_doc}.\
                     {ERRORS_DOC}",
                    if what.is_empty() {
                        "primary key".to_owned()
                    } else {
                        format!("{what}key")
                    },
                    pk.text
                ),
                &key_fields,
                quote!(#krate::Result<#krate::Key>),
                quote! {
                    ::core::result::Result::Ok(#krate::Key { partition: #partition, sort: #sort })
                },
            ));
            methods.push(self.method(
                format!("{prefix}partition"),
                span,
                format!(
                    "The {what}partition key `{}` of the `{ident}` items with these fields, \
                     to query them.{ERRORS_DOC}",
                    pk.text
                ),
                &pk_fields,
                value_ty.clone(),
                quote!(::core::result::Result::Ok(#partition)),
            ));
        }
        let Some(sk) = sk else { return };
        let sort = self.value(&sk.parts, Source::Params, Mode::Required);
        methods.push(self.method(
            format!("{prefix}sort_key"),
            span,
            format!(
                "The {what}sort key `{}` of a `{ident}` with these fields.{ERRORS_DOC}",
                sk.text
            ),
            &unique(sk.fields()),
            value_ty.clone(),
            quote!(::core::result::Result::Ok(#sort)),
        ));
        let field_positions: Vec<usize> = sk
            .parts
            .iter()
            .enumerate()
            .filter(|(_, p)| !matches!(p, Part::Literal(_)))
            .map(|(at, _)| at)
            .collect();
        let Some(&first) = field_positions.first() else {
            return; // A constant sort key: nothing to query by prefix.
        };
        if first > 0 {
            let literal = self.value(&sk.parts[..first], Source::Params, Mode::Required);
            let Part::Literal(text) = &sk.parts[0] else {
                unreachable!("parts before the first field are literal")
            };
            methods.push(self.method(
                format!("{prefix}sk_prefix"),
                span,
                format!(
                    "The literal start `{text}` of every {what}sort key of `{ident}` items, to \
                     query them all with `begins_with`.\n\nAlways `Ok`; a `Result` like the \
                     other key constructors."
                ),
                &[],
                value_ty.clone(),
                quote!(::core::result::Result::Ok(#literal)),
            ));
        }
        let mut seen = HashSet::new();
        let proper = field_positions.len() - 1;
        for &at in &field_positions[..proper] {
            let last_name = match &sk.parts[at] {
                Part::Field(i, _) => self.field(*i).name.clone(),
                Part::Computed(c) => c
                    .function
                    .segments
                    .last()
                    .map_or_else(String::new, |s| s.ident.to_string()),
                Part::Literal(_) => unreachable!("positions of fields"),
            };
            if !seen.insert(last_name.clone()) {
                continue; // A field repeated in the template: its first prefix is enough.
            }
            // Through the field and the literal after it: `TODO#{created_at}#`, so that a
            // prefix `1` does not also match `10`.
            let end = match sk.parts.get(at + 1) {
                Some(Part::Literal(_)) => at + 2,
                _ => at + 1,
            };
            let parts = &sk.parts[..end];
            let text: String = parts
                .iter()
                .map(|p| match p {
                    Part::Literal(l) => l.clone(),
                    Part::Field(i, None) => format!("{{{}}}", self.field(*i).name),
                    Part::Field(i, Some(w)) => format!("{{{}:{w}}}", self.field(*i).name),
                    Part::Computed(c) => format!("{{{}}}", self.call_text(c)),
                })
                .collect();
            let fields = unique(parts.iter().flat_map(|p| p.fields().iter().copied()));
            let value = self.value(parts, Source::Params, Mode::Required);
            methods.push(self.method(
                format!("{prefix}sk_prefix_{last_name}"),
                span,
                format!(
                    "The {what}sort-key prefix `{text}` of the `{ident}` items with these \
                     fields, to query them with `begins_with`.{ERRORS_DOC}"
                ),
                &fields,
                value_ty.clone(),
                quote!(::core::result::Result::Ok(#value)),
            ));
        }
    }

    /// `{index}_key(partition fields...)`: the key of a query on a multi-attribute index.
    fn composite_key_method(&self, prefix: &str, index: &IndexDef) -> Method {
        let krate = &self.model.krate;
        let ident = &self.model.ident;
        let name = &index.name;
        let names = |fields: &[usize]| {
            fields
                .iter()
                .map(|&i| format!("`{}`", self.field(i).attribute))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let values = index.pk_fields.iter().map(|&i| {
            let field = &self.field(i).ident;
            quote!(#krate::to_value(&#field))
        });
        self.method(
            format!("{prefix}key"),
            index.span,
            format!(
                "The key of a query on the index `{name}` of `{ident}` items: its partition \
                 attributes {} by equality. Add conditions on its sort attributes ({}) left to \
                 right with `.eq(..)`, the last one with any comparison, and pass it to \
                 `Query::key`.",
                names(&index.pk_fields),
                names(&index.sk_fields)
            ),
            &index.pk_fields,
            quote!(#krate::query::CompositeKey),
            quote! {
                let schema = <Self as #krate::Model>::schema();
                let index = schema.index(#name).expect("the derive declares this index");
                #krate::query::CompositeKey::new(index, [#(#values),*])
            },
        )
    }

    fn constructors(&self) -> syn::Result<TokenStream> {
        let model = self.model;
        let mut methods = Vec::new();
        self.key_methods("", "", Span::call_site(), None, &mut methods);
        for index in &model.indexes {
            let what = format!(
                "{} index `{}` ",
                if index.local { "local" } else { "global" },
                index.name
            );
            let prefix = format!("{}_", index.method_prefix);
            if index.pk_fields.is_empty() {
                self.key_methods(&prefix, &what, index.span, Some(index), &mut methods);
            } else {
                methods.push(self.composite_key_method(&prefix, index));
            }
        }
        let mut names = HashSet::new();
        for method in &methods {
            if !names.insert(method.name.as_str()) {
                return Err(syn::Error::new(
                    method.span,
                    format!(
                        "this index name makes #[derive(Model)] generate a second method named \
                         `{}`; rename the index",
                        method.name
                    ),
                ));
            }
        }
        let ident = &model.ident;
        let (impl_generics, ty_generics, where_clause) = model.generics.split_for_impl();
        let tokens = methods.iter().map(|m| &m.tokens);
        Ok(quote! {
            #[allow(dead_code)]
            impl #impl_generics #ident #ty_generics #where_clause {
                #(#tokens)*
            }
        })
    }
}

fn some_or_none(value: Option<TokenStream>) -> TokenStream {
    match value {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    }
}

/// The indexes in order, each once.
fn unique(fields: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut out = Vec::new();
    for field in fields {
        if !out.contains(&field) {
            out.push(field);
        }
    }
    out
}
