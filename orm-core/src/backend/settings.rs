//! A table's settings beside its shape ([`super::schema`]): how it is billed, its provisioned
//! throughput, its stream, its storage class. [`UpdateTable`](super::UpdateTable) changes them.

use std::fmt;

/// How a table is billed: DynamoDB's `BillingMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BillingMode {
    /// On demand (`PAY_PER_REQUEST`): no provisioned throughput.
    PayPerRequest,
    /// Provisioned capacity (`PROVISIONED`): the table, and each global index, has a
    /// [`Throughput`].
    Provisioned,
}

impl BillingMode {
    /// DynamoDB's name: `PAY_PER_REQUEST` or `PROVISIONED`.
    pub fn as_str(self) -> &'static str {
        match self {
            BillingMode::PayPerRequest => "PAY_PER_REQUEST",
            BillingMode::Provisioned => "PROVISIONED",
        }
    }
}

impl fmt::Display for BillingMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Provisioned throughput: read and write capacity units (each at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Throughput {
    /// Read capacity units.
    pub read_capacity_units: u64,
    /// Write capacity units.
    pub write_capacity_units: u64,
}

impl Throughput {
    /// The largest capacity DynamoDB accepts for either unit count (its "out of bounds" limit).
    pub const MAX_UNITS: u64 = 1_000_000_000_000;

    /// `read` read and `write` write capacity units.
    pub fn new(read: u64, write: u64) -> Throughput {
        Throughput {
            read_capacity_units: read,
            write_capacity_units: write,
        }
    }

    /// DynamoDB's checks of the unit counts: each at least 1 and at most [`Throughput::MAX_UNITS`].
    /// `at` names the member in the message (`provisionedThroughput`,
    /// `globalSecondaryIndexUpdates.1.member.create.provisionedThroughput`...).
    pub fn validate(&self, at: &str) -> crate::Result<()> {
        for (name, units) in [
            ("readCapacityUnits", self.read_capacity_units),
            ("writeCapacityUnits", self.write_capacity_units),
        ] {
            if units < 1 {
                return Err(crate::Error::validation(format!(
                    "1 validation error detected: Value '{units}' at '{at}.{name}' failed to \
                     satisfy constraint: Member must have value greater than or equal to 1"
                )));
            }
        }
        for (name, units) in [
            ("ReadCapacityUnits", self.read_capacity_units),
            ("WriteCapacityUnits", self.write_capacity_units),
        ] {
            if units > Throughput::MAX_UNITS {
                return Err(crate::Error::validation(format!(
                    "Given value {units} for {name} is out of bounds"
                )));
            }
        }
        Ok(())
    }
}

/// What a table's stream records of each change: DynamoDB's `StreamViewType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamViewType {
    /// Only the key attributes of the changed item.
    KeysOnly,
    /// The item as it is after the change.
    NewImage,
    /// The item as it was before the change.
    OldImage,
    /// Both.
    NewAndOldImages,
}

impl StreamViewType {
    /// Every view type, in DynamoDB's order.
    pub const ALL: [StreamViewType; 4] = [
        StreamViewType::NewImage,
        StreamViewType::OldImage,
        StreamViewType::NewAndOldImages,
        StreamViewType::KeysOnly,
    ];

    /// DynamoDB's name: `KEYS_ONLY`, `NEW_IMAGE`, `OLD_IMAGE` or `NEW_AND_OLD_IMAGES`.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamViewType::KeysOnly => "KEYS_ONLY",
            StreamViewType::NewImage => "NEW_IMAGE",
            StreamViewType::OldImage => "OLD_IMAGE",
            StreamViewType::NewAndOldImages => "NEW_AND_OLD_IMAGES",
        }
    }

    /// The view type DynamoDB names `name`.
    pub fn from_name(name: &str) -> Option<StreamViewType> {
        StreamViewType::ALL.into_iter().find(|v| v.as_str() == name)
    }

    /// Whether records carry the item as it is after the change.
    pub fn has_new_image(self) -> bool {
        matches!(
            self,
            StreamViewType::NewImage | StreamViewType::NewAndOldImages
        )
    }

    /// Whether records carry the item as it was before the change.
    pub fn has_old_image(self) -> bool {
        matches!(
            self,
            StreamViewType::OldImage | StreamViewType::NewAndOldImages
        )
    }
}

impl fmt::Display for StreamViewType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a table has a stream, and what it records: DynamoDB's `StreamSpecification`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamSpecification {
    /// No stream.
    Disabled,
    /// A stream recording each change as the view type says.
    Enabled(StreamViewType),
}

/// A table's storage class: DynamoDB's `TableClass`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TableClass {
    /// `STANDARD` (the default).
    #[default]
    Standard,
    /// `STANDARD_INFREQUENT_ACCESS`.
    StandardInfrequentAccess,
}

impl TableClass {
    /// DynamoDB's name: `STANDARD` or `STANDARD_INFREQUENT_ACCESS`.
    pub fn as_str(self) -> &'static str {
        match self {
            TableClass::Standard => "STANDARD",
            TableClass::StandardInfrequentAccess => "STANDARD_INFREQUENT_ACCESS",
        }
    }

    /// The table class DynamoDB names `name`.
    pub fn from_name(name: &str) -> Option<TableClass> {
        [TableClass::Standard, TableClass::StandardInfrequentAccess]
            .into_iter()
            .find(|c| c.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throughput_bounds_are_dynamodb_s() {
        assert!(Throughput::new(1, 1)
            .validate("provisionedThroughput")
            .is_ok());
        let zero = Throughput::new(0, 5)
            .validate("provisionedThroughput")
            .unwrap_err()
            .to_string();
        assert!(
            zero.contains("Value '0' at 'provisionedThroughput.readCapacityUnits'"),
            "{zero}"
        );
        let huge = Throughput::new(1, Throughput::MAX_UNITS + 1)
            .validate("provisionedThroughput")
            .unwrap_err()
            .to_string();
        assert!(
            huge.contains("for WriteCapacityUnits is out of bounds"),
            "{huge}"
        );
    }

    #[test]
    fn names_round_trip() {
        for v in StreamViewType::ALL {
            assert_eq!(StreamViewType::from_name(v.as_str()), Some(v));
        }
        assert_eq!(StreamViewType::from_name("ALL"), None);
        for c in [TableClass::Standard, TableClass::StandardInfrequentAccess] {
            assert_eq!(TableClass::from_name(c.as_str()), Some(c));
        }
        assert_eq!(BillingMode::Provisioned.to_string(), "PROVISIONED");
    }
}
