//! Round trips of the optional field types (features `chrono`, `time`, `uuid`, `rust_decimal`,
//! `bigdecimal`) through the serde bridge, key templates and the in-memory backend.

#[allow(unused_imports)]
use orm_core::{from_item, to_item, Model, Number, Value};
#[cfg(any(feature = "chrono", feature = "time", feature = "uuid"))]
use orm_core::{ModelExt, Table};
#[cfg(any(feature = "chrono", feature = "time", feature = "uuid"))]
use orm_memory::MemoryBackend;
#[allow(unused_imports)]
use serde::{Deserialize, Serialize};

#[cfg(feature = "chrono")]
mod chrono_types {
    use super::*;
    use chrono::{DateTime, Duration, TimeZone, Utc};
    use orm_core::types::chrono::Rfc3339;

    #[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[model(entity = "Event", pk = "DEVICE#{device}", sk = "EVENT#{at}")]
    struct Event {
        device: String,
        at: Rfc3339,
        #[serde(with = "orm_core::types::chrono::rfc3339")]
        received: DateTime<Utc>,
        #[serde(with = "orm_core::types::chrono::rfc3339::option", default)]
        acked: Option<DateTime<Utc>>,
        #[model(ttl)]
        #[serde(with = "orm_core::types::chrono::epoch_seconds::option", default)]
        expires: Option<DateTime<Utc>>,
        #[model(created_at)]
        created: Option<Rfc3339>,
    }

    fn t(secs: i64, micros: u32) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, micros * 1000).unwrap()
    }

    #[test]
    fn serde_helpers_write_fixed_width_text_and_epoch_seconds() {
        let e = Event {
            device: "d".into(),
            at: t(1_700_000_000, 5).into(),
            received: t(1_700_000_000, 0),
            acked: None,
            expires: Some(t(1_700_086_400, 999)),
            created: None,
        };
        let item = to_item(&e).unwrap();
        assert_eq!(
            item.get("received"),
            Some(&Value::from("2023-11-14T22:13:20.000000Z"))
        );
        assert_eq!(
            item.get("at"),
            Some(&Value::from("2023-11-14T22:13:20.000005Z"))
        );
        assert_eq!(item.get("expires"), Some(&Value::from(1_700_086_400i64)));
        assert!(!item.contains_key("acked"), "None is not stored");
        let back: Event = from_item(item).unwrap();
        assert_eq!(
            back.expires,
            Some(t(1_700_086_400, 0)),
            "TTL keeps whole seconds"
        );
        assert_eq!(
            Event {
                expires: back.expires,
                ..e
            },
            back
        );
        // Any RFC 3339 text reads back, whatever its width or offset.
        let read = orm_core::types::chrono::parse_rfc3339("2023-11-14T23:13:20.5+01:00").unwrap();
        assert_eq!(read, t(1_700_000_000, 500_000));
    }

    #[test]
    fn key_fields_render_fixed_width_and_sort_as_time() {
        let base = t(1_700_000_000, 0);
        let mut keys = Vec::new();
        for offset in [0i64, 1, 500_000, 1_000_000, 86_400_000_000] {
            let at: Rfc3339 = (base + Duration::microseconds(offset)).into();
            let k = Event::sort_key(at).unwrap();
            keys.push(k.as_s().unwrap().to_owned());
        }
        assert!(keys.iter().all(|k| k.len() == "EVENT#".len() + 27));
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "text order is time order");
        // chrono's own serde writes variable-width fractions, which do not sort: the reason for
        // the helpers.
        let plain = |d: DateTime<Utc>| serde_json::to_string(&d).unwrap();
        assert!(plain(base) > plain(base + Duration::milliseconds(500)));
    }

    #[tokio::test]
    async fn stored_and_queried_on_the_memory_backend() {
        let table = Table::new(MemoryBackend::new(), "chrono");
        table.create_table::<Event>().await.unwrap();
        for (i, secs) in [30i64, 10, 20].into_iter().enumerate() {
            Event {
                device: "d".into(),
                at: t(1_700_000_000 + secs, i as u32).into(),
                received: t(1_700_000_000, 0),
                acked: Some(t(1_700_000_001, 0)),
                expires: None,
                created: None,
            }
            .create(&table)
            .await
            .unwrap();
        }
        let all = Event::query(&table)
            .partition(Event::partition("d"))
            .all()
            .await
            .unwrap();
        let secs: Vec<i64> = all
            .iter()
            .map(|e| e.at.timestamp() - 1_700_000_000)
            .collect();
        assert_eq!(secs, [10, 20, 30]);
        assert!(all.iter().all(|e| e.created.is_some()), "created_at set");
        let got = Event::get(&table, Event::key("d", t(1_700_000_020, 2)))
            .await
            .unwrap();
        assert_eq!(got.acked, Some(t(1_700_000_001, 0)));
        let after = Event::query(&table)
            .partition(Event::partition("d"))
            .sk_gt(Event::sort_key(t(1_700_000_015, 0)))
            .count()
            .await
            .unwrap();
        assert_eq!(after, 2);
    }

    #[test]
    fn timestamp_impls() {
        use orm_core::timestamp::Timestamp;
        let now = std::time::UNIX_EPOCH + std::time::Duration::from_micros(1_700_000_000_000_001);
        let c: DateTime<Utc> = Timestamp::from_system_time(now);
        assert_eq!(c, t(1_700_000_000, 1));
        let r: Rfc3339 = Timestamp::from_system_time(now);
        assert_eq!(r.to_string(), "2023-11-14T22:13:20.000001Z");
    }

    #[test]
    fn years_beyond_9999_are_refused_not_garbled() {
        let far = Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap();
        #[derive(Serialize)]
        struct W {
            #[serde(with = "orm_core::types::chrono::rfc3339")]
            t: DateTime<Utc>,
        }
        assert!(to_item(&W { t: far }).is_err());
    }
}

#[cfg(feature = "time")]
mod time_types {
    use super::*;
    use orm_core::types::time::Rfc3339;
    use time::{Duration, OffsetDateTime, UtcOffset};

    #[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[model(entity = "Reading", pk = "SENSOR#{sensor}", sk = "{at}")]
    struct Reading {
        sensor: String,
        at: Rfc3339,
        #[serde(with = "orm_core::types::time::rfc3339")]
        local: OffsetDateTime,
        #[serde(with = "orm_core::types::time::rfc3339::option", default)]
        seen: Option<OffsetDateTime>,
        #[model(ttl)]
        #[serde(with = "orm_core::types::time::epoch_seconds")]
        expires: OffsetDateTime,
        #[model(updated_at)]
        updated: Option<Rfc3339>,
    }

    fn t(secs: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(secs).unwrap()
    }

    #[test]
    fn serde_helpers_round_trip() {
        let plus2 = UtcOffset::from_hms(2, 0, 0).unwrap();
        let r = Reading {
            sensor: "s".into(),
            at: (t(1_700_000_000) + Duration::microseconds(7)).into(),
            local: t(1_700_000_000).to_offset(plus2),
            seen: Some(t(1)),
            expires: t(1_700_086_400),
            updated: None,
        };
        let item = to_item(&r).unwrap();
        assert_eq!(
            item.get("local"),
            Some(&Value::from("2023-11-14T22:13:20.000000Z")),
            "written in UTC"
        );
        assert_eq!(
            item.get("at"),
            Some(&Value::from("2023-11-14T22:13:20.000007Z"))
        );
        assert_eq!(
            item.get("seen"),
            Some(&Value::from("1970-01-01T00:00:01.000000Z"))
        );
        assert_eq!(item.get("expires"), Some(&Value::from(1_700_086_400i64)));
        let back: Reading = from_item(item).unwrap();
        assert_eq!(back, r, "same instant (OffsetDateTime compares instants)");
        assert_eq!(back.local.offset(), UtcOffset::UTC);
    }

    #[tokio::test]
    async fn stored_sorted_and_timestamped() {
        let table = Table::new(MemoryBackend::new(), "time");
        table.create_table::<Reading>().await.unwrap();
        for secs in [3i64, 1, 2] {
            Reading {
                sensor: "s".into(),
                at: t(secs).into(),
                local: t(secs),
                seen: None,
                expires: t(secs + 100),
                updated: None,
            }
            .save(&table)
            .await
            .unwrap();
        }
        let all = Reading::query(&table)
            .partition(Reading::partition("s"))
            .reverse()
            .all()
            .await
            .unwrap();
        assert_eq!(
            all.iter()
                .map(|r| r.at.unix_timestamp())
                .collect::<Vec<_>>(),
            [3, 2, 1]
        );
        assert!(all.iter().all(|r| r.updated.is_some()), "updated_at set");
        use orm_core::timestamp::Timestamp;
        let now: OffsetDateTime = Timestamp::from_system_time(std::time::SystemTime::now());
        assert!(now > t(1_700_000_000));
    }
}

#[cfg(feature = "uuid")]
mod uuid_types {
    use super::*;
    use uuid::Uuid;

    #[derive(Model, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[model(entity = "Session", pk = "USER#{user}", sk = "SESSION#{id}")]
    #[model(index(name = "gsi1", pk = "SESSION#{id}"))]
    struct Session {
        user: Uuid,
        id: Uuid,
        parent: Option<Uuid>,
    }

    #[tokio::test]
    async fn uuid_fields_and_keys_round_trip() {
        let user = Uuid::parse_str("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap();
        let id = Uuid::new_v4();
        let s = Session {
            user,
            id,
            parent: Some(Uuid::nil()),
        };
        let key = s.primary_key().unwrap();
        assert_eq!(
            key.partition.as_s(),
            Some("USER#67e55044-10b1-426f-9247-bb680e5fe0c8")
        );
        assert_eq!(
            key.sort.as_ref().and_then(Value::as_s),
            Some(format!("SESSION#{}", id.hyphenated()).as_str())
        );
        let item = to_item(&s).unwrap();
        assert_eq!(item.get("id"), Some(&Value::from(id.to_string())));
        assert_eq!(from_item::<Session>(item).unwrap(), s);

        let table = Table::new(MemoryBackend::new(), "uuid");
        table.create_table::<Session>().await.unwrap();
        s.clone().create(&table).await.unwrap();
        assert_eq!(
            Session::get(&table, Session::key(user, id)).await.unwrap(),
            s
        );
        let by_id = Session::query(&table)
            .index("gsi1")
            .partition(Session::gsi1_partition(id))
            .first()
            .await
            .unwrap();
        assert_eq!(by_id, Some(s));
    }
}

#[cfg(feature = "rust_decimal")]
mod decimal_types {
    use super::*;
    use rust_decimal::Decimal;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Price {
        #[serde(with = "orm_core::types::decimal::number")]
        amount: Decimal,
        #[serde(with = "orm_core::types::decimal::number::option", default)]
        discount: Option<Decimal>,
    }

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn decimals_convert_exactly_both_ways() {
        for text in [
            "0",
            "1.5",
            "-0.0000000000000000000000000001",
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "3.1415926535897932384626433832",
            "100",
            "12345678901234567890.123456789",
        ] {
            let d = dec(text);
            let n = Number::try_from(d).unwrap();
            assert_eq!(n, Number::parse(text).unwrap(), "{text}");
            assert_eq!(Decimal::try_from(&n).unwrap(), d, "{text}");
        }
        // Trailing zeros are not significant (DynamoDB normalizes them too).
        assert_eq!(Number::try_from(dec("1.500")).unwrap().as_str(), "1.5");
    }

    #[test]
    fn numbers_a_decimal_cannot_hold_are_errors_never_rounded() {
        for text in [
            "1.2345678901234567890123456789012345678", // 38 digits
            "79228162514264337593543950336",           // Decimal::MAX + 1
            "1e30",
            "1e-29",
            "-9.99e125",
        ] {
            let n = Number::parse(text).unwrap();
            let err = Decimal::try_from(&n).unwrap_err();
            assert!(err.to_string().contains("does not fit"), "{text}: {err}");
        }
    }

    #[test]
    fn serde_helper_stores_n() {
        let p = Price {
            amount: dec("19.99"),
            discount: None,
        };
        let item = to_item(&p).unwrap();
        assert_eq!(
            item.get("amount"),
            Some(&Value::N(Number::parse("19.99").unwrap()))
        );
        assert!(!item.contains_key("discount"));
        assert_eq!(from_item::<Price>(item).unwrap(), p);
        let with = Price {
            amount: dec("1"),
            discount: Some(dec("0.25")),
        };
        assert_eq!(from_item::<Price>(to_item(&with).unwrap()).unwrap(), with);
        // A stored 38-digit number read into a Decimal field is an error naming the field.
        let item = orm_core::Item::new().with(
            "amount",
            Value::N(Number::parse("1.2345678901234567890123456789012345678").unwrap()),
        );
        let err = from_item::<Price>(item).unwrap_err().to_string();
        assert!(
            err.contains("amount") && err.contains("does not fit"),
            "{err}"
        );
    }
}

#[cfg(feature = "bigdecimal")]
mod bigdecimal_types {
    use super::*;
    use bigdecimal::BigDecimal;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Balance {
        #[serde(with = "orm_core::types::bigdecimal::number")]
        amount: BigDecimal,
        #[serde(with = "orm_core::types::bigdecimal::number::option", default)]
        limit: Option<BigDecimal>,
    }

    fn big(s: &str) -> BigDecimal {
        s.parse().unwrap()
    }

    #[test]
    fn bigdecimals_convert_exactly_both_ways() {
        for text in [
            "0",
            "-1.5",
            "12345678901234567890123456789012345678",
            "0.12345678901234567890123456789012345678",
            "9.9999999999999999999999999999999999999e125",
            "1e-130",
            "-1e125",
        ] {
            let b = big(text);
            let n = Number::try_from(&b).unwrap();
            assert_eq!(n, Number::parse(text).unwrap(), "{text}");
            assert_eq!(BigDecimal::from(&n), b, "{text}");
        }
        assert_eq!(Number::try_from(big("1.500")).unwrap().as_str(), "1.5");
    }

    #[test]
    fn beyond_38_digits_or_the_range_is_an_error() {
        for text in [
            "123456789012345678901234567890123456789",
            "1.23456789012345678901234567890123456789",
            "1e126",
            "1e-131",
        ] {
            assert!(Number::try_from(&big(text)).is_err(), "{text}");
        }
    }

    #[test]
    fn serde_helper_stores_n() {
        let b = Balance {
            amount: big("-12345678901234567890.123456789012345678"),
            limit: Some(big("1e100")),
        };
        let item = to_item(&b).unwrap();
        assert_eq!(
            item.get("amount"),
            Some(&Value::N(
                Number::parse("-12345678901234567890.123456789012345678").unwrap()
            ))
        );
        assert_eq!(from_item::<Balance>(item).unwrap(), b);
        let too_big = Balance {
            amount: big("123456789012345678901234567890123456789"),
            limit: None,
        };
        assert!(to_item(&too_big).is_err());
    }
}

/// Timestamps the ORM computes itself (for updates, upserts, batch_create, transactions) are
/// serialized through the field's own `#[serde(with)]`, so every write path stores one format.
#[cfg(feature = "chrono")]
mod computed_timestamps_follow_serde_with {
    use chrono::{DateTime, Utc};
    use orm_core::{Model, Value};
    use serde::{Deserialize, Serialize};
    use std::time::{Duration, UNIX_EPOCH};

    #[derive(Model, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[model(entity = "Stamped", pk = "S#{id}", sk = "S")]
    struct Stamped {
        id: String,
        #[model(created_at)]
        #[serde(with = "orm_core::types::chrono::rfc3339")]
        created_at: DateTime<Utc>,
        #[model(updated_at)]
        #[serde(with = "orm_core::types::chrono::epoch_seconds")]
        updated_at: DateTime<Utc>,
    }

    #[test]
    fn computed_values_use_the_field_format() {
        let now = UNIX_EPOCH + Duration::new(1_700_000_000, 500_000_789);
        let created = Stamped::created_at_value(now).unwrap().unwrap();
        assert_eq!(created, Value::from("2023-11-14T22:13:20.500000Z"));
        let updated = Stamped::updated_at_value(now).unwrap().unwrap();
        assert_eq!(updated, Value::from(1_700_000_000i64));
        // The model is set to the stored values, decoded as a read decodes them: the
        // microseconds of the text and the whole seconds of the number, not the clock's
        // nanoseconds; serializing it gives the stored values back.
        let mut s = Stamped {
            id: "x".into(),
            created_at: DateTime::<Utc>::default(),
            updated_at: DateTime::<Utc>::default(),
        };
        s.set_created_at(created.clone()).unwrap();
        s.set_updated_at(updated.clone()).unwrap();
        assert_eq!(
            s.created_at,
            DateTime::from_timestamp(1_700_000_000, 500_000_000).unwrap()
        );
        assert_eq!(
            s.updated_at,
            DateTime::from_timestamp(1_700_000_000, 0).unwrap()
        );
        let item = orm_core::to_item(&s).unwrap();
        assert_eq!(item.get("created_at"), Some(&created));
        assert_eq!(item.get("updated_at"), Some(&updated));
        // A value that is not the field's format is an error naming what was wrong.
        let err = s.set_created_at(Value::from(5)).unwrap_err().to_string();
        assert!(err.contains("not an RFC 3339 date-time"), "{err}");
    }
}
