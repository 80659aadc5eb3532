//! Arrow schemas of the tables stages exchange and the warehouse stores.

use std::sync::{Arc, LazyLock};

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::fields::{CanonicalField, FieldType};

/// Column names shared by several tables.
pub mod col {
    pub const SOURCE: &str = "source";
    pub const RECORD_ID: &str = "record_id";
    pub const CHANNEL: &str = "channel";
    pub const FILE: &str = "file";
    pub const LINE: &str = "line";
    pub const CUSTOMER_ID: &str = "customer_id";
    pub const EMAIL_RAW: &str = "email_raw";
    pub const EMAIL_MATCH: &str = "email_match";
    pub const PHONE_RAW: &str = "phone_raw";
    pub const FIRST_NAME_NORM: &str = "first_name_norm";
    pub const LAST_NAME_NORM: &str = "last_name_norm";
    pub const TRANSACTION_ID: &str = "transaction_id";
    pub const TS: &str = "ts";
    pub const AMOUNT: &str = "amount";
    pub const CURRENCY: &str = "currency";
    pub const STORE: &str = "store";
    pub const KIND: &str = "kind";
    pub const ORIGINAL_ID: &str = "original_id";
    pub const RAW: &str = "raw";
    pub const REASON: &str = "reason";
    pub const FIELD: &str = "field";
}

/// Money is exact: `Decimal128(18, 2)`.
pub const AMOUNT_PRECISION: u8 = 18;
pub const AMOUNT_SCALE: i8 = 2;

/// Timestamps are microseconds in UTC.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn utf8(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Utf8, nullable)
}

/// The Arrow type a canonical field is stored as.
pub fn canonical_type(f: CanonicalField) -> DataType {
    match f.field_type() {
        FieldType::Text => DataType::Utf8,
        FieldType::Timestamp => timestamp_type(),
        FieldType::Date => DataType::Date32,
        FieldType::Bool => DataType::Boolean,
    }
}

static SOURCE_RECORDS: LazyLock<SchemaRef> = LazyLock::new(|| {
    let mut fields = vec![
        utf8(col::SOURCE, false),
        utf8(col::RECORD_ID, false),
        utf8(col::CHANNEL, false),
        utf8(col::FILE, false),
        Field::new(col::LINE, DataType::UInt64, true),
    ];
    for f in CanonicalField::ALL {
        match f {
            CanonicalField::RecordId => {}
            CanonicalField::Email => {
                fields.push(utf8(col::EMAIL_RAW, true));
                fields.push(utf8(f.name(), true));
                fields.push(utf8(col::EMAIL_MATCH, true));
            }
            CanonicalField::Phone => {
                fields.push(utf8(col::PHONE_RAW, true));
                fields.push(utf8(f.name(), true));
            }
            CanonicalField::LastName => {
                fields.push(utf8(f.name(), true));
                fields.push(utf8(col::FIRST_NAME_NORM, true));
                fields.push(utf8(col::LAST_NAME_NORM, true));
            }
            _ => fields.push(Field::new(f.name(), canonical_type(*f), true)),
        }
    }
    Arc::new(Schema::new(fields))
});

/// `source_records`: one row per ingested record, identifiers raw and normalised.
pub fn source_records() -> SchemaRef {
    SOURCE_RECORDS.clone()
}

/// `transactions`: one row per order, ticket or return.
pub fn transactions() -> SchemaRef {
    static S: LazyLock<SchemaRef> = LazyLock::new(|| {
        Arc::new(Schema::new(vec![
            utf8(col::SOURCE, false),
            utf8(col::TRANSACTION_ID, false),
            utf8(col::RECORD_ID, false),
            utf8(col::CHANNEL, false),
            Field::new(col::TS, timestamp_type(), true),
            Field::new(
                col::AMOUNT,
                DataType::Decimal128(AMOUNT_PRECISION, AMOUNT_SCALE),
                false,
            ),
            utf8(col::CURRENCY, true),
            utf8(col::STORE, true),
            utf8(col::KIND, false),
            utf8(col::ORIGINAL_ID, true),
        ]))
    });
    S.clone()
}

/// `rejects`: one row per input row that could not be ingested, with the reason.
pub fn rejects() -> SchemaRef {
    static S: LazyLock<SchemaRef> = LazyLock::new(|| {
        Arc::new(Schema::new(vec![
            utf8(col::SOURCE, false),
            utf8(col::FILE, false),
            Field::new(col::LINE, DataType::UInt64, true),
            utf8(col::RAW, false),
            utf8(col::FIELD, true),
            utf8(col::REASON, false),
        ]))
    });
    S.clone()
}

/// `identity_map`: one row per record, its customer.
pub fn identity_map() -> SchemaRef {
    static S: LazyLock<SchemaRef> = LazyLock::new(|| {
        Arc::new(Schema::new(vec![
            utf8(col::SOURCE, false),
            utf8(col::RECORD_ID, false),
            utf8(col::CUSTOMER_ID, false),
        ]))
    });
    S.clone()
}

/// `customer_id_history`: one row per id event (`created`, `merged_into`, `split_from`,
/// `retired`), carried from snapshot to snapshot.
pub fn customer_id_history() -> SchemaRef {
    static S: LazyLock<SchemaRef> = LazyLock::new(|| {
        Arc::new(Schema::new(vec![
            utf8(col::CUSTOMER_ID, false),
            utf8("event", false),
            utf8("other_customer_id", true),
            utf8("run_id", false),
            Field::new("records", DataType::UInt64, false),
        ]))
    });
    S.clone()
}

/// `identity_edges`: every candidate link considered, kept or rejected, and why.
pub fn identity_edges() -> SchemaRef {
    static S: LazyLock<SchemaRef> = LazyLock::new(|| {
        Arc::new(Schema::new(vec![
            utf8("left_source", false),
            utf8("left_record_id", false),
            utf8("right_source", false),
            utf8("right_record_id", false),
            utf8("rule", false),
            utf8("value", true),
            Field::new("weight", DataType::Float64, true),
            utf8("decision", false),
            utf8(col::REASON, true),
        ]))
    });
    S.clone()
}

/// `contact_points`: one row per distinct email or phone of a customer — where it was seen,
/// when first and last, in how many records, and whether it is the primary one (the value
/// the attribute's survivorship rule chose for `profiles`).
pub fn contact_points() -> SchemaRef {
    static S: LazyLock<SchemaRef> = LazyLock::new(|| {
        Arc::new(Schema::new(vec![
            utf8(col::CUSTOMER_ID, false),
            utf8("kind", false),
            utf8("value", false),
            utf8("sources", false),
            Field::new("first_seen", timestamp_type(), true),
            Field::new("last_seen", timestamp_type(), true),
            Field::new("record_count", DataType::Int64, false),
            Field::new("is_primary", DataType::Boolean, false),
        ]))
    });
    S.clone()
}

/// `rfm_cut_points`: per metric (`recency_days`, `frequency`, `monetary`) and score, the
/// lowest and highest value of the customers given that score, and how many they are (bounds
/// are null for recency when purchases have no timestamp).
pub fn rfm_cut_points() -> SchemaRef {
    static S: LazyLock<SchemaRef> = LazyLock::new(|| {
        Arc::new(Schema::new(vec![
            utf8("metric", false),
            Field::new("score", DataType::Int32, false),
            Field::new(
                "lower_bound",
                DataType::Decimal128(AMOUNT_PRECISION, AMOUNT_SCALE),
                true,
            ),
            Field::new(
                "upper_bound",
                DataType::Decimal128(AMOUNT_PRECISION, AMOUNT_SCALE),
                true,
            ),
            Field::new("customers", DataType::Int64, false),
            Field::new("as_of", DataType::Date32, false),
        ]))
    });
    S.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_records_has_every_canonical_field_once() {
        let s = source_records();
        for f in CanonicalField::ALL {
            assert_eq!(
                s.fields().iter().filter(|x| x.name() == f.name()).count(),
                1,
                "{}",
                f.name()
            );
        }
        assert_eq!(
            s.field_with_name("birth_date").unwrap().data_type(),
            &DataType::Date32
        );
    }
}
