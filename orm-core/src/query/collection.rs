//! Collections: one query decoding several models that share a partition.

/// Declares an enum over several models read together by one query (a *collection*: e.g. a
/// user's profile and orders, which share a partition, in one round trip).
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use orm_core::{collection, Model, ModelExt, QueryExt, Table};
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
                let entity = match item.get(&table.config().entity_attribute).as_deref() {
                    ::std::option::Option::Some($crate::Value::S(e)) => e.clone(),
                    _ => ::std::string::String::new(),
                };
                $(
                    if entity == <$model as $crate::Model>::schema().entity {
                        return table.from_raw_item::<$model>(item).map($name::$variant);
                    }
                )+
                ::std::result::Result::Err($crate::Error::EntityMismatch {
                    expected: ::std::stringify!($name).into(),
                    found: entity,
                    key: ::std::string::String::new(),
                })
            }
        }
    };
}
