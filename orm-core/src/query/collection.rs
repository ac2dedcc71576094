//! Collections: one query decoding several models that share a partition.

/// Declares an enum over several models read together by one query (a *collection*: e.g. a
/// user's profile and orders, which share a partition, in one round trip).
///
/// The enum implements [`QueryTarget`](crate::query::QueryTarget) (each item is decoded into the
/// variant of its entity) and gets the associated functions `query(&table)` and `scan(&table)`,
/// so no trait import is needed to read it.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use orm_core::{collection, Model, ModelExt, Table};
/// use orm_memory::MemoryBackend;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Model, Serialize, Deserialize, Debug, Clone, PartialEq)]
/// #[model(entity = "User", pk = "USER#{id}", sk = "A#PROFILE")]
/// struct User { id: String, name: String }
///
/// #[derive(Model, Serialize, Deserialize, Debug, Clone, PartialEq)]
/// #[model(entity = "Order", pk = "USER#{user}", sk = "B#ORDER#{id}")]
/// struct Order { user: String, id: u32 }
///
/// collection! {
///     /// A user's profile and orders.
///     #[derive(Debug, PartialEq)]
///     pub enum UserData { User(User), Order(Order) }
/// }
///
/// let table = Table::new(MemoryBackend::new(), "app");
/// table.create_table::<(User, Order)>().await?;
/// User { id: "al".into(), name: "Al".into() }.create(&table).await?;
/// Order { user: "al".into(), id: 1 }.create(&table).await?;
/// let all = UserData::query(&table).partition(User::partition("al")).all().await?;
/// assert!(matches!(all[0], UserData::User(_)));
/// assert!(matches!(all[1], UserData::Order(_)));
/// # Ok::<(), orm_core::Error>(()) }).unwrap();
/// ```
#[macro_export]
macro_rules! collection {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($variant:ident($model:ty)),+ $(,)? }) => {
        $(#[$meta])*
        $vis enum $name { $(
            #[doc = concat!("A `", stringify!($model), "`.")]
            $variant($model)
        ),+ }

        impl $name {
            /// A query decoding into this collection (its models' items in one partition).
            #[allow(dead_code)]
            $vis fn query(
                table: &$crate::Table,
            ) -> $crate::query::Query<Self, $crate::query::NoPartition> {
                $crate::query::Query::new(table)
            }

            /// A scan decoding into this collection.
            #[allow(dead_code)]
            $vis fn scan(table: &$crate::Table) -> $crate::query::Scan<Self> {
                $crate::query::Scan::new(table)
            }
        }

        impl $crate::query::QueryTarget for $name {
            fn schemas() -> ::std::vec::Vec<&'static $crate::Schema> {
                ::std::vec![$(<$model as $crate::Model>::schema()),+]
            }
            fn decode(table: &$crate::Table, item: $crate::Item) -> $crate::Result<Self> {
                <Self as $crate::query::QueryTarget>::decode_raw(
                    table,
                    $crate::backend::RawItem::Item(item),
                )
            }
            fn decode_raw(
                table: &$crate::Table,
                item: $crate::backend::RawItem,
            ) -> $crate::Result<Self> {
                let entity = match item.get(&table.config().entity_attribute)?.as_deref() {
                    ::std::option::Option::Some($crate::Value::S(e)) => e.clone(),
                    _ => ::std::string::String::new(),
                };
                $(
                    if entity == <$model as $crate::Model>::schema().entity {
                        return table.layout().from_raw_item::<$model>(item).map($name::$variant);
                    }
                )+
                let config = table.config();
                let sort = item.get(&config.sort_key)?.map(|sort| sort.into_owned());
                let key = item.get(&config.partition_key)?.map(|partition| $crate::Key {
                    partition: partition.into_owned(),
                    sort,
                });
                ::std::result::Result::Err($crate::Error::EntityMismatch {
                    expected: ::std::stringify!($name).into(),
                    found: entity,
                    key,
                })
            }
        }
    };
}
