//! `#[derive(Model)]`: the schema it builds, the keys it renders and the key constructors it
//! generates (compile errors are in `ui.rs`).

use orm_core::backend::Projection;
use orm_core::key::{KeyTemplate, TemplatePart};
use orm_core::model::IndexSchema;
use orm_core::{Error, Field, FieldKind, Key, Model, Result, Schema, Value};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Status {
    Open,
    InProgress,
}

/// The design's example model.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(
    entity = "Todo",
    pk = "USER#{user_id}",
    sk = "TODO#{created_at}#{todo_id}"
)]
#[model(index(name = "gsi1", pk = "STATUS#{status}", sk = "{created_at}"))]
#[serde(rename_all = "camelCase")]
struct Todo {
    user_id: String,
    todo_id: String,
    title: String,
    status: Status,
    created_at: u64,
    #[model(version)]
    version: u64,
    #[model(ttl)]
    expires_at: Option<i64>,
    #[model(created_at, rename = "firstSeen")]
    first_seen: Option<u64>,
}

fn todo() -> Todo {
    Todo {
        user_id: "alice".into(),
        todo_id: "t1".into(),
        title: "write docs".into(),
        status: Status::InProgress,
        created_at: 5,
        version: 0,
        expires_at: None,
        first_seen: None,
    }
}

fn s(value: &Value) -> &str {
    value.as_s().expect("a string key")
}

fn sort(key: &Key) -> &str {
    s(key.sort.as_ref().expect("a sort key"))
}

#[test]
fn schema_of_todo() {
    let schema = Todo::schema();
    assert_eq!(schema.entity, "Todo");
    let field = |name, attribute, kind, optional, in_key| Field {
        name,
        attribute,
        kind,
        optional,
        in_key,
    };
    assert_eq!(
        schema.fields,
        [
            field("user_id", "userId", FieldKind::String, false, true),
            field("todo_id", "todoId", FieldKind::String, false, true),
            field("title", "title", FieldKind::String, false, false),
            field("status", "status", FieldKind::Other, false, true),
            field("created_at", "createdAt", FieldKind::Integer, false, true),
            field("version", "version", FieldKind::Integer, false, false),
            field("expires_at", "expiresAt", FieldKind::Integer, true, false),
            field("first_seen", "firstSeen", FieldKind::Integer, true, false),
        ]
    );
    assert_eq!(
        schema.partition_key,
        Some(KeyTemplate {
            text: "USER#{user_id}",
            parts: &[
                TemplatePart::Literal("USER#"),
                TemplatePart::Field("user_id")
            ],
        })
    );
    let sk = schema.sort_key.expect("a sort key");
    assert_eq!(sk.text, "TODO#{created_at}#{todo_id}");
    assert_eq!(
        sk.parts,
        [
            TemplatePart::Literal("TODO#"),
            TemplatePart::Padded {
                field: "created_at",
                width: 20
            },
            TemplatePart::Literal("#"),
            TemplatePart::Field("todo_id"),
        ]
    );
    assert_eq!(sk.fields().collect::<Vec<_>>(), ["created_at", "todo_id"]);
    assert!(schema.has_sort_key);
    assert_eq!(
        schema.indexes,
        [IndexSchema {
            name: "gsi1",
            local: false,
            partition_key: Some(KeyTemplate {
                text: "STATUS#{status}",
                parts: &[
                    TemplatePart::Literal("STATUS#"),
                    TemplatePart::Field("status")
                ],
            }),
            sort_key: Some(KeyTemplate {
                text: "{created_at}",
                parts: &[TemplatePart::Padded {
                    field: "created_at",
                    width: 20
                }],
            }),
            partition_attributes: &[],
            sort_attributes: &[],
            projection: Projection::All,
            when: None,
        }]
    );
    assert_eq!(schema.version, Some("version"));
    assert_eq!(schema.ttl, Some("expiresAt"));
    assert_eq!(schema.created_at, Some("firstSeen"));
    assert_eq!(schema.updated_at, None);
    assert_eq!(
        schema.field_by_attribute("userId").map(|f| f.name),
        Some("user_id")
    );
    // One static schema, not rebuilt per call.
    assert!(std::ptr::eq(Todo::schema(), Todo::schema()));
}

#[test]
fn schema_attributes_are_the_serde_names() {
    let json = serde_json::to_value(todo()).unwrap();
    let mut stored: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    let mut attributes: Vec<&str> = Todo::schema().fields.iter().map(|f| f.attribute).collect();
    stored.sort_unstable();
    attributes.sort_unstable();
    assert_eq!(stored, attributes);
}

#[test]
fn primary_and_index_keys_of_todo() {
    let todo = todo();
    let key = todo.primary_key().unwrap();
    assert_eq!(s(&key.partition), "USER#alice");
    assert_eq!(sort(&key), "TODO#00000000000000000005#t1");

    let gsi = todo.index_key("gsi1").unwrap().expect("in gsi1");
    assert_eq!(s(&gsi.partition), "STATUS#IN_PROGRESS");
    assert_eq!(sort(&gsi), "00000000000000000005");
    assert_eq!(todo.index_key("gsi2").unwrap(), None);
}

#[test]
fn key_constructors_of_todo() {
    let key = Todo::key("alice", 5, "t1").unwrap();
    assert_eq!(key, todo().primary_key().unwrap());
    let owned = String::from("t1");
    assert_eq!(Todo::key(String::from("alice"), 5, &owned).unwrap(), key);

    assert_eq!(Todo::partition("alice").unwrap(), key.partition);
    assert_eq!(Some(Todo::sort_key(5, "t1").unwrap()), key.sort);
    assert_eq!(s(&Todo::sk_prefix().unwrap()), "TODO#");
    // Through the field and the delimiter after it, so 1 does not match 10.
    assert_eq!(
        s(&Todo::sk_prefix_created_at(5).unwrap()),
        "TODO#00000000000000000005#"
    );
    assert!(sort(&key).starts_with(s(&Todo::sk_prefix_created_at(5).unwrap())));

    let gsi = Todo::gsi1_key(Status::InProgress, 5).unwrap();
    assert_eq!(Some(gsi.clone()), todo().index_key("gsi1").unwrap());
    assert_eq!(
        s(&Todo::gsi1_partition(Status::Open).unwrap()),
        "STATUS#OPEN"
    );
    assert_eq!(Some(Todo::gsi1_sort_key(5).unwrap()), gsi.sort);
}

#[test]
fn the_delimiter_is_rejected_naming_the_field() {
    let mut todo = todo();
    todo.todo_id = "t#1".into();
    let message = todo.primary_key().unwrap_err().to_string();
    assert!(message.contains("`todo_id`"), "{message}");
    assert!(message.contains("delimiter"), "{message}");

    let error = Todo::key("a#b", 1, "t1").unwrap_err();
    assert!(matches!(error, Error::Validation { .. }), "{error:?}");
    assert!(error.to_string().contains("`user_id`"), "{error}");
    assert!(Todo::partition("a#b").is_err());
    assert!(Todo::sk_prefix_created_at(1).is_ok());
}

/// Sparse, local and projected indexes; negative and optional key fields; every kind.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(pk = "ORDER#{id}", sk = "ORDER")]
#[model(
    index(name = "by_customer", pk = "CUSTOMER#{customer}", sk = "{placed_at}#{id}", projection = "keys_only"),
    index(name = "by_coupon", pk = "COUPON#{coupon}", projection = ["id", "total_cents", "memo"])
)]
#[model(local_index(name = "lsi_total", sk = "TOTAL#{total_cents}"))]
#[model(local_index(name = "lsi-shipped", sk = "{shipped_at}"))]
struct Order {
    id: String,
    customer: String,
    placed_at: i64,
    coupon: Option<String>,
    total_cents: u32,
    shipped_at: Option<i64>,
    #[serde(rename = "note")]
    #[model(rename = "note")]
    memo: String,
    #[serde(skip)]
    cache: u8,
    #[serde(with = "serde_bytes")]
    blob: Vec<u8>,
    raw: serde_bytes::ByteBuf,
    ratio: f64,
    gift: bool,
    grade: char,
    #[model(updated_at)]
    touched: Option<String>,
}

fn order() -> Order {
    Order {
        id: "o1".into(),
        customer: "c1".into(),
        placed_at: -1,
        coupon: None,
        total_cents: 42,
        shipped_at: None,
        memo: "ring twice".into(),
        cache: 0,
        blob: vec![1, 2],
        raw: serde_bytes::ByteBuf::from(vec![3]),
        ratio: 0.5,
        gift: false,
        grade: 'A',
        touched: None,
    }
}

/// An index's name, locality, templates and projection.
type IndexSummary<'a> = (
    &'a str,
    bool,
    Option<&'a str>,
    Option<&'a str>,
    &'a Projection,
);

#[test]
fn schema_of_order() {
    let schema = Order::schema();
    assert_eq!(schema.entity, "Order");
    let kinds: Vec<(&str, &str, FieldKind, bool, bool)> = schema
        .fields
        .iter()
        .map(|f| (f.name, f.attribute, f.kind, f.optional, f.in_key))
        .collect();
    assert_eq!(
        kinds,
        [
            ("id", "id", FieldKind::String, false, true),
            ("customer", "customer", FieldKind::String, false, true),
            ("placed_at", "placed_at", FieldKind::Integer, false, true),
            ("coupon", "coupon", FieldKind::String, true, true),
            (
                "total_cents",
                "total_cents",
                FieldKind::Integer,
                false,
                true
            ),
            ("shipped_at", "shipped_at", FieldKind::Integer, true, true),
            ("memo", "note", FieldKind::String, false, false),
            ("blob", "blob", FieldKind::Bytes, false, false),
            ("raw", "raw", FieldKind::Bytes, false, false),
            ("ratio", "ratio", FieldKind::Float, false, false),
            ("gift", "gift", FieldKind::Bool, false, false),
            ("grade", "grade", FieldKind::String, false, false),
            ("touched", "touched", FieldKind::String, true, false),
        ]
    );
    assert_eq!(
        schema.sort_key,
        Some(KeyTemplate {
            text: "ORDER",
            parts: &[TemplatePart::Literal("ORDER")],
        })
    );
    assert_eq!(
        (schema.version, schema.ttl, schema.created_at),
        (None, None, None)
    );
    assert_eq!(schema.updated_at, Some("touched"));
    let summary: Vec<IndexSummary<'_>> = schema
        .indexes
        .iter()
        .map(|i| {
            (
                i.name,
                i.local,
                i.partition_key.map(|t| t.text),
                i.sort_key.map(|t| t.text),
                &i.projection,
            )
        })
        .collect();
    let include = Projection::Include(vec!["id".into(), "total_cents".into(), "note".into()]);
    assert_eq!(
        summary,
        [
            (
                "by_customer",
                false,
                Some("CUSTOMER#{customer}"),
                Some("{placed_at}#{id}"),
                &Projection::KeysOnly
            ),
            ("by_coupon", false, Some("COUPON#{coupon}"), None, &include),
            (
                "lsi_total",
                true,
                None,
                Some("TOTAL#{total_cents}"),
                &Projection::All
            ),
            (
                "lsi-shipped",
                true,
                None,
                Some("{shipped_at}"),
                &Projection::All
            ),
        ]
    );
    assert!(std::ptr::eq(Order::schema(), Order::schema()));
    assert_eq!(schema.index("lsi_total").map(|i| i.local), Some(true));
}

#[test]
fn order_keys_sparse_local_and_negative() {
    let mut order = order();
    let key = order.primary_key().unwrap();
    assert_eq!((s(&key.partition), sort(&key)), ("ORDER#o1", "ORDER"));

    let by_customer = order.index_key("by_customer").unwrap().unwrap();
    assert_eq!(s(&by_customer.partition), "CUSTOMER#c1");
    assert_eq!(sort(&by_customer), "-9223372036854775807#o1");

    // Sparse: no coupon, no shipping date -> not in those indexes.
    assert_eq!(order.index_key("by_coupon").unwrap(), None);
    assert_eq!(order.index_key("lsi-shipped").unwrap(), None);
    order.coupon = Some("SAVE10".into());
    order.shipped_at = Some(7);
    let by_coupon = order.index_key("by_coupon").unwrap().unwrap();
    assert_eq!(
        (s(&by_coupon.partition), by_coupon.sort),
        ("COUPON#SAVE10", None)
    );

    // Local: the table's partition key and the index's sort key.
    let shipped = order.index_key("lsi-shipped").unwrap().unwrap();
    assert_eq!(
        (s(&shipped.partition), sort(&shipped)),
        ("ORDER#o1", "0000000000000000007")
    );
    let total = order.index_key("lsi_total").unwrap().unwrap();
    assert_eq!(
        (s(&total.partition), sort(&total)),
        ("ORDER#o1", "TOTAL#0000000042")
    );

    order.coupon = Some("SAVE#10".into());
    let message = order.index_key("by_coupon").unwrap_err().to_string();
    assert!(
        message.contains("`coupon`") && message.contains("delimiter"),
        "{message}"
    );
}

#[test]
fn order_constructors() {
    assert_eq!(
        Order::key("o1").unwrap(),
        Key::with_sort(Value::S("ORDER#o1".into()), Value::S("ORDER".into()))
    );
    assert_eq!(s(&Order::partition("o1").unwrap()), "ORDER#o1");
    assert_eq!(s(&Order::sort_key().unwrap()), "ORDER");

    let by_customer = Order::by_customer_key("c1", -1, "o1").unwrap();
    assert_eq!(
        Some(by_customer.clone()),
        order().index_key("by_customer").unwrap()
    );
    assert_eq!(
        s(&Order::by_customer_partition("c1").unwrap()),
        "CUSTOMER#c1"
    );
    assert_eq!(
        Order::by_customer_sort_key(-1, "o1").unwrap(),
        by_customer.sort.unwrap()
    );
    assert_eq!(
        s(&Order::by_customer_sk_prefix_placed_at(i64::MIN).unwrap()),
        "-0000000000000000000#"
    );
    assert_eq!(
        Order::by_coupon_key("SAVE10").unwrap(),
        Key::new(Value::S("COUPON#SAVE10".into()))
    );
    assert_eq!(
        s(&Order::by_coupon_partition("SAVE10").unwrap()),
        "COUPON#SAVE10"
    );
    // Option<T> fields are taken as T.
    assert_eq!(
        s(&Order::lsi_shipped_sort_key(7).unwrap()),
        "0000000000000000007"
    );
    assert_eq!(
        s(&Order::lsi_total_sort_key(42).unwrap()),
        "TOTAL#0000000042"
    );
    assert_eq!(s(&Order::lsi_total_sk_prefix().unwrap()), "TOTAL#");
}

#[derive(Model, Serialize, Deserialize)]
#[model(pk = "DEVICE#{serial}")]
struct Device {
    serial: Option<String>,
}

#[test]
fn a_none_primary_key_field_is_an_error() {
    let error = Device { serial: None }
        .primary_key()
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("`serial`") && error.contains("None"),
        "{error}"
    );
    let key = Device {
        serial: Some("x1".into()),
    }
    .primary_key()
    .unwrap();
    assert_eq!(key, Key::new(Value::S("DEVICE#x1".into())));
    assert_eq!(Device::key("x1").unwrap(), key);
    assert!(!Device::schema().has_sort_key);
    assert_eq!(Device::schema().sort_key, None);
}

/// A field in both templates is one parameter; prefixes end at each sort-key field.
#[derive(Model, Serialize, Deserialize)]
#[model(
    entity = "Document",
    pk = "TENANT#{tenant}",
    sk = "TENANT#{tenant}#DOC#{doc_id}#V#{rev}"
)]
struct Doc {
    tenant: String,
    doc_id: String,
    rev: u16,
}

#[test]
fn shared_fields_are_taken_once() {
    let key = Doc::key("acme", "d1", 3).unwrap();
    assert_eq!(s(&key.partition), "TENANT#acme");
    assert_eq!(sort(&key), "TENANT#acme#DOC#d1#V#00003");
    let stored = Doc {
        tenant: "acme".into(),
        doc_id: "d1".into(),
        rev: 3,
    };
    assert_eq!(stored.primary_key().unwrap(), key);
    assert_eq!(s(&Doc::sk_prefix().unwrap()), "TENANT#");
    assert_eq!(
        s(&Doc::sk_prefix_tenant("acme").unwrap()),
        "TENANT#acme#DOC#"
    );
    assert_eq!(
        s(&Doc::sk_prefix_doc_id("acme", "d1").unwrap()),
        "TENANT#acme#DOC#d1#V#"
    );
    assert_eq!(
        s(&Doc::sort_key("acme", "d1", 3).unwrap()),
        "TENANT#acme#DOC#d1#V#00003"
    );
    assert_eq!(Doc::schema().entity, "Document");
}

/// A constant key: a singleton item.
#[derive(Model, Serialize, Deserialize)]
#[model(pk = "CONFIG")]
struct Config {
    theme: String,
}

#[test]
fn constant_templates() {
    assert_eq!(Config::key().unwrap(), Key::new(Value::S("CONFIG".into())));
    assert_eq!(s(&Config::partition().unwrap()), "CONFIG");
    let config = Config {
        theme: "dark".into(),
    };
    assert_eq!(config.primary_key().unwrap(), Config::key().unwrap());
    assert!(!Config::schema().fields[0].in_key);
}

/// One model per `rename_all` rule (`$name: $rule => [its attribute names]`), and the test that
/// the derive names every field's attribute as serde does.
macro_rules! renamed {
    ($($name:ident: $rule:literal => [$($attribute:literal),*];)*) => {
        $(
            #[derive(Model, Serialize, Deserialize, Default)]
            #[serde(rename_all = $rule)]
            #[model(pk = "R#{user_id}", sk = "{type}")]
            struct $name {
                user_id: String,
                created_at_ms: u64,
                #[serde(rename = "Kind")]
                r#type: String,
                a: bool,
            }

            impl $name {
                fn check() {
                    let attributes: Vec<&str> =
                        $name::schema().fields.iter().map(|f| f.attribute).collect();
                    assert_eq!(attributes, [$($attribute),*], "{}", $rule);
                    let json = serde_json::to_value($name::default()).unwrap();
                    let mut stored: Vec<&str> =
                        json.as_object().unwrap().keys().map(|k| k.as_str()).collect();
                    let mut expected = attributes.clone();
                    stored.sort_unstable();
                    expected.sort_unstable();
                    assert_eq!(stored, expected, "{}", $rule);
                    assert_eq!($name::schema().fields[2].name, "type");
                    assert_eq!(s(&$name::sort_key("k").unwrap()), "k");
                }
            }
        )*

        #[test]
        fn rename_all_rules_match_serde() {
            $($name::check();)*
        }
    };
}

renamed! {
    Lower: "lowercase" => ["user_id", "created_at_ms", "Kind", "a"];
    Upper: "UPPERCASE" => ["USER_ID", "CREATED_AT_MS", "Kind", "A"];
    Pascal: "PascalCase" => ["UserId", "CreatedAtMs", "Kind", "A"];
    Camel: "camelCase" => ["userId", "createdAtMs", "Kind", "a"];
    Snake: "snake_case" => ["user_id", "created_at_ms", "Kind", "a"];
    Screaming: "SCREAMING_SNAKE_CASE" => ["USER_ID", "CREATED_AT_MS", "Kind", "A"];
    Kebab: "kebab-case" => ["user-id", "created-at-ms", "Kind", "a"];
    ScreamingKebab: "SCREAMING-KEBAB-CASE" => ["USER-ID", "CREATED-AT-MS", "Kind", "A"];
}

/// A hand-written impl, for arbitrary key logic, next to the derived ones.
#[derive(Serialize, Deserialize)]
struct Counter {
    name: String,
    value: u64,
}

impl Model for Counter {
    fn schema() -> &'static Schema {
        static SCHEMA: Schema = Schema {
            has_sort_key: true,
            ..Schema::new("Counter")
        };
        &SCHEMA
    }

    fn primary_key(&self) -> Result<Key> {
        Ok(Key::with_sort(
            Value::S(format!("COUNTER#{}", self.name.to_lowercase())),
            Value::S("TOTAL".into()),
        ))
    }
}

fn describe<M: Model>(model: &M) -> String {
    let key = model.primary_key().unwrap();
    format!("{} {key}", M::schema().entity)
}

#[test]
fn hand_written_and_derived_models_side_by_side() {
    let counter = Counter {
        name: "Visits".into(),
        value: 3,
    };
    assert_eq!(counter.value, 3);
    assert_eq!(Counter::schema().partition_key, None);
    assert_eq!(counter.index_key("gsi1").unwrap(), None);
    let described = [describe(&counter), describe(&todo())];
    assert!(described[0].starts_with("Counter ") && described[0].contains("COUNTER#visits"));
    assert!(described[1].starts_with("Todo ") && described[1].contains("USER#alice"));
}

/// Generic structs: bounds pass through; a type parameter may be a key field. (`Model` needs
/// `DeserializeOwned`; serde's own `T: Deserialize<'de>` bounds are then redundant.)
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Wrapped", pk = "W#{id}", sk = "SEQ#{seq}")]
#[serde(bound(deserialize = ""))]
struct Wrapper<K, T: Clone + Send + Sync + 'static>
where
    K: Serialize + DeserializeOwned + Send + Sync + 'static,
    T: Serialize + DeserializeOwned,
{
    id: K,
    seq: u32,
    payload: T,
}

#[test]
fn generic_struct() {
    let wrapped = Wrapper {
        id: 7u32,
        seq: 1,
        payload: vec!["x".to_owned()],
    };
    let key = wrapped.primary_key().unwrap();
    assert_eq!(s(&key.partition), "W#0000000007");
    assert_eq!(sort(&key), "SEQ#0000000001");
    assert_eq!(Wrapper::<u32, Vec<String>>::key(7u32, 1).unwrap(), key);
    assert_eq!(s(&Wrapper::<String, ()>::partition("w").unwrap()), "W#w");
    let schema = Wrapper::<u32, String>::schema();
    assert_eq!(schema.entity, "Wrapped");
    assert_eq!(schema.fields[0].kind, FieldKind::Other);
    assert!(std::ptr::eq(schema, Wrapper::<String, bool>::schema()));
}

mod reexport {
    pub(crate) use orm_core as store;
}

/// `crate = "..."` for crates that reach orm-core through a re-export.
#[derive(Model, Serialize, Deserialize)]
#[model(crate = "crate::derive::reexport::store", pk = "P#{id}", index(name = "by_tag", pk = "T#{tag}", projection = ["id"]))]
struct ThroughReexport {
    id: u8,
    tag: Option<String>,
}

#[test]
fn crate_path_override() {
    let item = ThroughReexport { id: 1, tag: None };
    assert_eq!(s(&item.primary_key().unwrap().partition), "P#001");
    assert_eq!(item.index_key("by_tag").unwrap(), None);
    assert_eq!(
        ThroughReexport::schema().indexes[0].projection,
        Projection::Include(vec!["id".into()])
    );
}

proptest! {
    /// The constructors and the model agree, and sort keys sort like (created_at, todo_id).
    #[test]
    fn constructors_agree_and_keys_sort(
        a in (any::<u64>(), "[a-z0-9]{1,8}"),
        b in (any::<u64>(), "[a-z0-9]{1,8}"),
    ) {
        let stored = |(created_at, todo_id): (u64, String)| Todo { created_at, todo_id, ..todo() };
        let (ka, kb) = (stored(a.clone()).primary_key().unwrap(), stored(b.clone()).primary_key().unwrap());
        prop_assert_eq!(&ka, &Todo::key("alice", a.0, &a.1).unwrap());
        prop_assert!(sort(&ka).starts_with(s(&Todo::sk_prefix_created_at(a.0).unwrap())));
        if a.0 != b.0 {
            prop_assert_eq!(a.0.cmp(&b.0), sort(&ka).cmp(sort(&kb)));
        }
    }
}

/// An item read as unsorted attributes (`RawItem::Entries`, as the DynamoDB backend hands
/// query pages to the ORM) decodes exactly like the same item sorted into an `Item`: the same
/// model, the same entity check, the same error paths.
#[test]
fn raw_items_decode_like_stored_items() {
    use orm_core::backend::RawItem;
    let table = orm_core::Table::new(orm_memory::MemoryBackend::new(), "t");
    let todo = todo();
    let stored = table.layout().to_stored_item(&todo).unwrap();
    let entries: Vec<(String, Value)> = stored.clone().into_inner().into_iter().rev().collect();
    assert_eq!(
        RawItem::Entries(entries.clone()).into_item().unwrap(),
        stored
    );
    assert_eq!(
        table
            .layout()
            .from_raw_item::<Todo>(RawItem::Entries(entries.clone()))
            .unwrap(),
        todo
    );
    assert_eq!(
        table
            .layout()
            .from_raw_item::<Todo>(RawItem::Item(stored.clone()))
            .unwrap(),
        todo
    );

    let with = |name: &str, value: Value| -> Vec<(String, Value)> {
        entries
            .iter()
            .map(|(n, v)| (n.clone(), if n == name { value.clone() } else { v.clone() }))
            .collect()
    };
    let other = with("__entity", Value::from("Other"));
    let raw_err = table
        .layout()
        .from_raw_item::<Todo>(RawItem::Entries(other.clone()))
        .unwrap_err();
    let sorted_err = table
        .layout()
        .from_stored_item::<Todo>(RawItem::Entries(other).into_item().unwrap())
        .unwrap_err();
    assert!(matches!(raw_err, Error::EntityMismatch { .. }), "{raw_err}");
    assert_eq!(raw_err.to_string(), sorted_err.to_string());

    let bad = table
        .layout()
        .from_raw_item::<Todo>(RawItem::Entries(with("createdAt", Value::from("soon"))))
        .unwrap_err()
        .to_string();
    assert!(bad.starts_with("createdAt: expected a number"), "{bad}");
}

/// An issue of a tracker: a sparse "open issues" index present only while `status` is open,
/// a computed partition segment (a week bucket of an integer timestamp), and explicit widths.
#[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[model(entity = "Issue", pk = "ORG#{org}", sk = "ISSUE#{number:6}")]
#[model(index(
    name = "open",
    pk = "OPEN#{org}",
    sk = "{number:6}",
    when = "Self::is_open(status)"
))]
#[model(index(
    name = "by_week",
    pk = "WEEK#{Self::week(opened_at):5}",
    sk = "{org}#{number:6}"
))]
#[model(index(name = "by_label", pk = "LABEL#{Self::first_label(labels)}"))]
struct Issue {
    org: String,
    number: u32,
    status: Status,
    opened_at: u64,
    labels: Vec<String>,
}

impl Issue {
    fn is_open(status: &Status) -> bool {
        *status == Status::Open
    }
    fn week(opened_at: &u64) -> u64 {
        opened_at / (7 * 86_400)
    }
    fn first_label(labels: &[String]) -> Option<&str> {
        labels.first().map(String::as_str)
    }
}

fn issue() -> Issue {
    Issue {
        org: "acme".into(),
        number: 42,
        status: Status::Open,
        opened_at: 14 * 86_400 + 5,
        labels: vec!["bug".into()],
    }
}

#[test]
fn computed_and_conditional_index_keys() {
    let mut issue = issue();
    assert_eq!(
        issue.primary_key().unwrap(),
        Key::with_sort("ORG#acme", "ISSUE#000042")
    );
    assert_eq!(
        issue.index_key("open").unwrap(),
        Some(Key::with_sort("OPEN#acme", "000042"))
    );
    assert_eq!(
        issue.index_key("by_week").unwrap(),
        Some(Key::with_sort("WEEK#00002", "acme#000042"))
    );
    assert_eq!(
        issue.index_key("by_label").unwrap(),
        Some(Key::new("LABEL#bug"))
    );
    // The predicate false: not in the index. A computed `None`: not in the index.
    issue.status = Status::InProgress;
    issue.labels.clear();
    assert_eq!(issue.index_key("open").unwrap(), None);
    assert_eq!(issue.index_key("by_label").unwrap(), None);
    // Constructors call the same functions on their parameters.
    assert_eq!(
        Issue::by_week_partition(14u64 * 86_400).unwrap(),
        Value::from("WEEK#00002")
    );
    assert_eq!(
        Issue::by_label_key(vec!["ui".to_owned()]).unwrap(),
        Key::new("LABEL#ui")
    );
    assert_eq!(
        Issue::open_partition("acme").unwrap(),
        Value::from("OPEN#acme")
    );
    // The schema names the functions and the fields they read.
    let schema = Issue::schema();
    let open = schema.index("open").unwrap();
    assert_eq!(
        open.when,
        Some(orm_core::model::IndexPredicate {
            function: "Self::is_open",
            fields: &["status"],
        })
    );
    assert_eq!(
        open.fields().collect::<Vec<_>>(),
        ["org", "number", "status"]
    );
    let week = schema.index("by_week").unwrap();
    assert_eq!(
        week.partition_key.unwrap().parts,
        [
            TemplatePart::Literal("WEEK#"),
            TemplatePart::Computed {
                function: "Self::week",
                fields: &["opened_at"],
                width: Some(5),
            }
        ]
    );
    assert!(week.partition_key.unwrap().is_computed());
    assert_eq!(
        schema.sort_key.unwrap().parts[1],
        TemplatePart::Padded {
            field: "number",
            width: 6
        }
    );
}

#[test]
fn explicit_widths_refuse_values_that_do_not_fit() {
    let mut issue = issue();
    issue.number = 1_000_000;
    let e = issue.primary_key().unwrap_err().to_string();
    assert!(
        e.contains("key field `number`: 1000000 does not fit the 6 digits"),
        "{e}"
    );
    assert!(Issue::key("acme", 1_000_000).is_err());
    assert_eq!(
        Issue::key("acme", 999_999).unwrap(),
        Key::with_sort("ORG#acme", "ISSUE#999999")
    );
    // A computed segment's result is checked against its width too.
    issue.number = 1;
    issue.opened_at = 100_000 * 7 * 86_400;
    let e = issue.index_key("by_week").unwrap_err().to_string();
    assert!(
        e.contains("key field `Self::week(opened_at)`: 100000 does not fit the 5 digits"),
        "{e}"
    );
}

/// `batch_put` of `m` (in a table created for it) stores exactly `stored`.
fn assert_batch_put_stores<M: Model>(table: &orm_core::Table, m: &M, stored: &orm_core::Item) {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            table.create_table::<M>().await.unwrap();
            table.batch_put(std::slice::from_ref(m)).await.unwrap();
            let key = table
                .layout()
                .key_item::<M>(&m.primary_key().unwrap())
                .unwrap();
            let got = table
                .backend()
                .get_item(&orm_core::backend::GetItem::new(table.name(), key))
                .await
                .unwrap()
                .expect("stored");
            assert_eq!(&got.into_item().unwrap(), stored);
        });
}

/// A serializer that gives one field name twice stores its later value, once, in the stored item
/// and in what a batch put sends (the names told apart before the layout's are added).
#[test]
fn a_field_name_given_twice_keeps_its_later_value() {
    #[derive(Model, Deserialize, Clone, Debug, PartialEq)]
    #[model(entity = "Twice", pk = "T#{id}", sk = "T")]
    #[model(index(name = "gsi1", pk = "N#{n}", sk = "{id}"))]
    struct Twice {
        id: String,
        n: u8,
    }
    impl Serialize for Twice {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeStruct;
            let mut st = s.serialize_struct("Twice", 3)?;
            st.serialize_field("n", &0u8)?;
            st.serialize_field("id", &self.id)?;
            st.serialize_field("n", &self.n)?;
            st.end()
        }
    }
    let table = orm_core::Table::new(orm_memory::MemoryBackend::new(), "twice");
    let m = Twice {
        id: "a".into(),
        n: 7,
    };
    let stored = table.layout().to_stored_item(&m).unwrap();
    assert_eq!(stored["n"], Value::from(7u8));
    assert_eq!(
        stored.keys().map(String::as_str).collect::<Vec<_>>(),
        ["__entity", "gsi1pk", "gsi1sk", "id", "n", "pk", "sk"]
    );
    assert_batch_put_stores(&table, &m, &stored);
}

/// A field named like an index-key attribute is replaced by the index key in the stored item,
/// once (`to_stored_item`, and the unsorted attributes a batch put sends), as inserting it did.
#[test]
fn index_keys_replace_a_field_of_their_name() {
    #[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[model(entity = "Tagged", pk = "T#{id}", sk = "T")]
    #[model(index(name = "gsi1", pk = "TAG#{tag}", sk = "{id}"))]
    struct Tagged {
        id: String,
        tag: String,
        gsi1pk: String,
    }
    let table = orm_core::Table::new(orm_memory::MemoryBackend::new(), "tagged");
    let m = Tagged {
        id: "a".into(),
        tag: "x".into(),
        gsi1pk: "field".into(),
    };
    let stored = table.layout().to_stored_item(&m).unwrap();
    assert_eq!(stored["gsi1pk"], Value::from("TAG#x"));
    assert_eq!(
        stored.keys().map(String::as_str).collect::<Vec<_>>(),
        ["__entity", "gsi1pk", "gsi1sk", "id", "pk", "sk", "tag"]
    );
    assert_batch_put_stores(&table, &m, &stored);
}
