//! `uuid::Uuid` (feature `uuid`): works through serde as it is, stored as its hyphenated text
//! (`S`), in fields and in key templates alike (`ORDER#{id}` renders
//! `ORDER#67e55044-10b1-426f-9247-bb680e5fe0c8`; a UUID holds no `#`).
//!
//! ```
//! use orm_core::Model;
//! use serde::{Deserialize, Serialize};
//! use uuid::Uuid;
//!
//! #[derive(Model, Serialize, Deserialize, Debug, PartialEq)]
//! #[model(entity = "Order", pk = "ORDER#{id}", sk = "ORDER")]
//! struct Order { id: Uuid, parent: Option<Uuid> }
//!
//! let id = Uuid::parse_str("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap();
//! let key = Order::key(id).unwrap();
//! assert_eq!(key.partition.as_s(), Some("ORDER#67e55044-10b1-426f-9247-bb680e5fe0c8"));
//! ```
