//! Profiles and RFM over small hand-made tables.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Decimal128Array, Int64Array, StringArray,
    TimestampMicrosecondArray, new_null_array,
};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use chrono::NaiveDate;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use omni_core::schema;
use omni_profile::config::{ProfileConfig, RfmConfig, Survivorship, default_segment_rules};

fn ts(s: &str) -> i64 {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .unwrap()
        .and_utc()
        .timestamp_micros()
}

/// A source_records row: (source, record_id, event_ts, [(column, value)]).
type Rec<'a> = (&'a str, &'a str, &'a str, &'a [(&'a str, &'a str)]);

fn records(rows: &[Rec]) -> RecordBatch {
    let s = schema::source_records();
    let cols: Vec<ArrayRef> = s
        .fields()
        .iter()
        .map(|f| {
            let name = f.name().as_str();
            match (name, f.data_type()) {
                ("event_ts", _) => Arc::new(
                    TimestampMicrosecondArray::from(
                        rows.iter().map(|r| Some(ts(r.2))).collect::<Vec<_>>(),
                    )
                    .with_timezone("UTC"),
                ) as ArrayRef,
                (_, DataType::Utf8) => Arc::new(StringArray::from(
                    rows.iter()
                        .map(|(src, id, _, kv)| match name {
                            "source" => Some(src.to_string()),
                            "record_id" => Some(id.to_string()),
                            "channel" | "file" => Some(src.to_string()),
                            _ => kv
                                .iter()
                                .find(|(k, _)| *k == name)
                                .map(|(_, v)| v.to_string()),
                        })
                        .collect::<Vec<_>>(),
                )),
                (_, DataType::Boolean) => Arc::new(BooleanArray::from(
                    rows.iter()
                        .map(|(_, _, _, kv)| {
                            kv.iter()
                                .find(|(k, _)| *k == name)
                                .map(|(_, v)| *v == "true")
                        })
                        .collect::<Vec<_>>(),
                )),
                (_, t) => new_null_array(t, rows.len()),
            }
        })
        .collect();
    RecordBatch::try_new(s, cols).unwrap()
}

fn identity_map(rows: &[(&str, &str, &str)]) -> RecordBatch {
    let col = |i: usize| -> ArrayRef {
        Arc::new(StringArray::from(
            rows.iter().map(|r| [r.0, r.1, r.2][i]).collect::<Vec<_>>(),
        ))
    };
    RecordBatch::try_new(schema::identity_map(), vec![col(0), col(1), col(2)]).unwrap()
}

/// transactions: (source, id, record_id, ts, cents).
fn transactions(rows: &[(&str, &str, &str, &str, i128)]) -> RecordBatch {
    let s = |f: fn(&(&str, &str, &str, &str, i128)) -> String| -> ArrayRef {
        Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    let cols: Vec<ArrayRef> = vec![
        s(|r| r.0.to_string()),
        s(|r| r.1.to_string()),
        s(|r| r.2.to_string()),
        s(|r| r.0.to_string()),
        Arc::new(
            TimestampMicrosecondArray::from(rows.iter().map(|r| ts(r.3)).collect::<Vec<_>>())
                .with_timezone("UTC"),
        ),
        Arc::new(
            Decimal128Array::from(rows.iter().map(|r| r.4).collect::<Vec<_>>())
                .with_precision_and_scale(18, 2)
                .unwrap(),
        ),
        s(|_| "EUR".to_string()),
        Arc::new(StringArray::from(vec![None::<&str>; rows.len()])),
        s(|r| {
            if r.4 < 0 {
                "return".into()
            } else {
                "purchase".into()
            }
        }),
        Arc::new(StringArray::from(vec![None::<&str>; rows.len()])),
    ];
    RecordBatch::try_new(schema::transactions(), cols).unwrap()
}

fn ctx(tables: Vec<(&str, RecordBatch)>) -> SessionContext {
    let ctx = SessionContext::new();
    for (name, b) in tables {
        let t = MemTable::try_new(b.schema(), vec![vec![b]]).unwrap();
        ctx.register_table(name, Arc::new(t)).unwrap();
    }
    ctx
}

async fn collect(df: datafusion::dataframe::DataFrame) -> RecordBatch {
    let batches = df.collect().await.unwrap();
    arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap()
}

fn strings(b: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let a = cast(b.column_by_name(name).unwrap(), &DataType::Utf8).unwrap();
    let a = a.as_any().downcast_ref::<StringArray>().unwrap();
    (0..a.len())
        .map(|i| a.is_valid(i).then(|| a.value(i).to_string()))
        .collect()
}

#[tokio::test]
async fn profiles_take_the_latest_non_empty_value_and_every_contact() {
    let recs = records(&[
        (
            "web",
            "W1",
            "2025-01-01 10:00",
            &[
                ("first_name", "Maria"),
                ("email", "maria@old.es"),
                ("consent_email", "true"),
            ],
        ),
        (
            "loyalty",
            "L1",
            "2025-06-01 10:00",
            &[
                ("first_name", "María"),
                ("email", "maria@new.es"),
                ("consent_email", "false"),
            ],
        ),
        (
            "call",
            "C1",
            "2025-09-01 10:00",
            &[("phone", "+34600000001")],
        ),
        ("web", "W2", "2025-02-01 10:00", &[("first_name", "Bob")]),
    ]);
    let map = identity_map(&[
        ("web", "W1", "c_a"),
        ("loyalty", "L1", "c_a"),
        ("call", "C1", "c_a"),
        ("web", "W2", "c_b"),
    ]);
    let tx = transactions(&[
        ("web", "W1", "W1", "2025-01-01 10:00", 10000),
        ("web", "W2", "W2", "2025-02-01 10:00", 2000),
        ("web", "R1", "W2", "2025-02-03 10:00", -500),
    ]);
    let c = ctx(vec![
        ("source_records", recs),
        ("identity_map", map),
        ("transactions", tx),
    ]);
    let p = collect(
        omni_profile::golden::profiles(
            &c,
            NaiveDate::from_ymd_opt(2025, 10, 1).unwrap(),
            &ProfileConfig::default(),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(p.num_rows(), 2);
    assert_eq!(
        strings(&p, "customer_id"),
        vec![Some("c_a".into()), Some("c_b".into())]
    );
    // The call-centre record is the latest but has no name: the loyalty one wins.
    assert_eq!(strings(&p, "first_name")[0].as_deref(), Some("María"));
    assert_eq!(strings(&p, "email")[0].as_deref(), Some("maria@new.es"));
    assert_eq!(
        strings(&p, "emails")[0].as_deref(),
        Some("[maria@new.es, maria@old.es]")
    );
    assert_eq!(strings(&p, "phone")[0].as_deref(), Some("+34600000001"));
    // The latest consent statement wins.
    assert_eq!(strings(&p, "consent_email")[0].as_deref(), Some("false"));
    assert_eq!(
        strings(&p, "channels")[0].as_deref(),
        Some("[call, loyalty, web]")
    );
    // Bob: one purchase of 20.00 and a 5.00 return.
    let orders = p
        .column_by_name("orders")
        .unwrap()
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap();
    assert_eq!(orders.values(), &[1, 1]);
    assert_eq!(
        strings(&p, "lifetime_value"),
        vec![Some("100.00".into()), Some("15.00".into())]
    );
    assert_eq!(strings(&p, "returns")[1].as_deref(), Some("1"));
}

#[tokio::test]
async fn rfm_scores_quintiles_with_ties_and_ignores_the_future() {
    // Ten customers: c0 bought once long ago ... c9 bought often and recently.
    let mut tx_rows: Vec<(String, String, String, String, i128)> = Vec::new();
    let mut map_rows = Vec::new();
    for c in 0..10 {
        for k in 0..=c {
            let id = format!("T{c}_{k}");
            let day = 1 + c * 2 + k % 2;
            tx_rows.push((
                "pos".into(),
                id.clone(),
                id.clone(),
                format!("2026-10-{day:02} 12:00"),
                1000 * (c as i128 + 1),
            ));
            map_rows.push(("pos".to_string(), id, format!("c{c}")));
        }
    }
    // A purchase after as_of is ignored entirely.
    tx_rows.push((
        "pos".into(),
        "F".into(),
        "F".into(),
        "2026-12-01 12:00".into(),
        99_900,
    ));
    map_rows.push(("pos".into(), "F".into(), "c0".into()));
    // A return only: no rfm row for c_ret.
    tx_rows.push((
        "pos".into(),
        "R".into(),
        "R".into(),
        "2026-10-05 12:00".into(),
        -500,
    ));
    map_rows.push(("pos".into(), "R".into(), "c_ret".into()));
    let tx: Vec<(&str, &str, &str, &str, i128)> = tx_rows
        .iter()
        .map(|r| (r.0.as_str(), r.1.as_str(), r.2.as_str(), r.3.as_str(), r.4))
        .collect();
    let map: Vec<(&str, &str, &str)> = map_rows
        .iter()
        .map(|r| (r.0.as_str(), r.1.as_str(), r.2.as_str()))
        .collect();
    let c = ctx(vec![
        ("identity_map", identity_map(&map)),
        ("transactions", transactions(&tx)),
    ]);
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let r = collect(
        omni_profile::rfm::rfm(&c, as_of, &default_segment_rules())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.num_rows(), 10, "no row for a customer with returns only");
    let ids = strings(&r, "customer_id");
    let get_i = |name: &str| -> Vec<i64> {
        let a = cast(r.column_by_name(name).unwrap(), &DataType::Int64).unwrap();
        a.as_any()
            .downcast_ref::<Int64Array>()
            .unwrap()
            .values()
            .to_vec()
    };
    let pos = |id: &str| ids.iter().position(|x| x.as_deref() == Some(id)).unwrap();
    let freq = get_i("frequency");
    let rec = get_i("recency_days");
    assert_eq!(freq[pos("c0")], 1, "the future purchase does not count");
    assert_eq!(freq[pos("c9")], 10);
    // c9's last purchase: 2026-10-20 → 12 days before 2026-11-01.
    assert_eq!(rec[pos("c9")], 12);
    let f = get_i("f_score");
    let m = get_i("m_score");
    let rs = get_i("r_score");
    // Ten distinct frequencies → two customers per quintile.
    assert_eq!(f[pos("c0")], 1);
    assert_eq!(f[pos("c1")], 1);
    assert_eq!(f[pos("c2")], 2);
    assert_eq!(f[pos("c9")], 5);
    assert_eq!(m[pos("c9")], 5);
    assert_eq!(rs[pos("c9")], 5);
    assert_eq!(rs[pos("c0")], 1);
    assert_eq!(
        strings(&r, "rfm_segment")[pos("c9")].as_deref(),
        Some("Champions")
    );
    assert_eq!(
        strings(&r, "rfm_segment")[pos("c0")].as_deref(),
        Some("Lost")
    );
}

#[tokio::test]
async fn ties_share_a_score() {
    // Four customers with one purchase each on the same day: all get the same scores.
    let tx = transactions(&[
        ("pos", "A", "A", "2026-10-01 10:00", 1000),
        ("pos", "B", "B", "2026-10-01 11:00", 1000),
        ("pos", "C", "C", "2026-10-01 12:00", 1000),
        ("pos", "D", "D", "2026-10-01 13:00", 1000),
    ]);
    let map = identity_map(&[
        ("pos", "A", "a"),
        ("pos", "B", "b"),
        ("pos", "C", "c"),
        ("pos", "D", "d"),
    ]);
    let c = ctx(vec![("identity_map", map), ("transactions", tx)]);
    let as_of = RfmConfig::default()
        .as_of_date(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap())
        .unwrap();
    let r = collect(
        omni_profile::rfm::rfm(&c, as_of, &default_segment_rules())
            .await
            .unwrap(),
    )
    .await;
    for name in ["r_score", "f_score", "m_score", "rfm_segment"] {
        let v = strings(&r, name);
        assert!(v.iter().all(|x| x == &v[0]), "{name}: {v:?}");
    }
}

#[tokio::test]
async fn consent_conflicts_traits_and_timeline() {
    let recs = records(&[
        // Same time, opposite statements: no consent. SMS: only one yes.
        (
            "loyalty",
            "L1",
            "2025-06-01 10:00",
            &[("consent_email", "true"), ("consent_sms", "true")],
        ),
        (
            "messaging",
            "M1",
            "2025-06-01 10:00",
            &[("consent_email", "false")],
        ),
        // An older yes does not outweigh them.
        (
            "web",
            "W1",
            "2025-01-01 10:00",
            &[("consent_email", "true")],
        ),
        ("pos", "T1", "2025-03-01 10:00", &[]),
        ("pos", "T2", "2025-04-01 10:00", &[]),
        ("call", "C1", "2025-09-21 10:00", &[]),
    ]);
    let map = identity_map(&[
        ("loyalty", "L1", "c_a"),
        ("messaging", "M1", "c_a"),
        ("web", "W1", "c_a"),
        ("pos", "T1", "c_a"),
        ("pos", "T2", "c_a"),
        ("call", "C1", "c_a"),
    ]);
    let tx = transactions(&[
        ("web", "W1", "W1", "2025-01-01 10:00", 1000),
        ("pos", "T1", "T1", "2025-03-01 10:00", 2000),
        ("pos", "T2", "T2", "2025-04-01 10:00", -500),
    ]);
    let c = ctx(vec![
        ("source_records", recs),
        ("identity_map", map),
        ("transactions", tx),
    ]);
    let as_of = NaiveDate::from_ymd_opt(2025, 10, 1).unwrap();
    let p = collect(
        omni_profile::golden::profiles(&c, as_of, &ProfileConfig::default())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(strings(&p, "consent_email")[0].as_deref(), Some("false"));
    assert_eq!(
        strings(&p, "consent_email_source")[0].as_deref(),
        Some("loyalty,messaging")
    );
    assert!(
        strings(&p, "consent_email_at")[0]
            .as_deref()
            .unwrap()
            .starts_with("2025-06-01T10:00")
    );
    assert_eq!(strings(&p, "consent_sms")[0].as_deref(), Some("true"));
    assert_eq!(
        strings(&p, "consent_sms_source")[0].as_deref(),
        Some("loyalty")
    );
    assert_eq!(strings(&p, "consent_push")[0], None);
    assert_eq!(strings(&p, "consent_push_source")[0], None);
    assert_eq!(strings(&p, "consent_push_at")[0], None);
    // Consent columns come last, after the traits.
    let names: Vec<String> = p
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let at = |n: &str| names.iter().position(|x| x == n).unwrap();
    assert!(at("days_since_last_contact") < at("consent_email"));
    assert_eq!(names.last().map(String::as_str), Some("consent_push_at"));
    // Purchases: one web, one store (the store's second ticket is a return).
    assert_eq!(strings(&p, "preferred_channel")[0].as_deref(), Some("pos"));
    assert_eq!(
        strings(&p, "days_since_last_contact")[0].as_deref(),
        Some("9")
    );
    assert_eq!(strings(&p, "channel_count")[0].as_deref(), Some("5"));

    let e = collect(omni_profile::timeline::events(&c).await.unwrap()).await;
    assert_eq!(e.num_rows(), 6);
    let types = strings(&e, "event_type");
    let ids = strings(&e, "record_id");
    let got: Vec<(String, String)> = ids
        .into_iter()
        .zip(types)
        .map(|(a, b)| (a.unwrap(), b.unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            ("W1", "purchase"),
            ("T1", "purchase"),
            ("T2", "return"),
            ("L1", "opt_in"),
            ("M1", "opt_out"),
            ("C1", "contact")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
}

#[tokio::test]
async fn survivorship_rules_choose_as_configured() {
    let recs = records(&[
        (
            "web",
            "W1",
            "2025-01-01 10:00",
            &[
                ("city", "Madrid"),
                ("address", "C/ Mayor 1"),
                ("email", "a@web.es"),
            ],
        ),
        (
            "web",
            "W2",
            "2025-02-01 10:00",
            &[
                ("city", "Madrid"),
                ("address", "Calle Mayor 1, 3º B"),
                ("email", "a@web2.es"),
            ],
        ),
        (
            "loyalty",
            "L1",
            "2025-03-01 10:00",
            &[
                ("city", "Getafe"),
                ("address", "C/ Mayor 1"),
                ("email", "a@loyal.es"),
            ],
        ),
        ("call", "C1", "2025-04-01 10:00", &[("email", "a@call.es")]),
    ]);
    let map = identity_map(&[
        ("web", "W1", "c"),
        ("web", "W2", "c"),
        ("loyalty", "L1", "c"),
        ("call", "C1", "c"),
    ]);
    let tx = transactions(&[("web", "W1", "W1", "2025-01-01 10:00", 100)]);
    let c = ctx(vec![
        ("source_records", recs),
        ("identity_map", map),
        ("transactions", tx),
    ]);
    let as_of = NaiveDate::from_ymd_opt(2025, 10, 1).unwrap();
    let run = |cfg: ProfileConfig| {
        let c = &c;
        async move {
            collect(
                omni_profile::golden::profiles(c, as_of, &cfg)
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    // Default: the most recent non-empty value of each.
    let p = run(ProfileConfig::default()).await;
    assert_eq!(strings(&p, "city")[0].as_deref(), Some("Getafe"));
    assert_eq!(strings(&p, "email")[0].as_deref(), Some("a@call.es"));
    let cfg: ProfileConfig = toml::from_str(
        r#"
        [survivorship]
        city = "most_frequent"
        address = "longest"
        email = { source_priority = ["loyalty", "web"] }
        "#,
    )
    .unwrap();
    assert_eq!(
        cfg.rule("email"),
        &Survivorship::SourcePriority(vec!["loyalty".into(), "web".into()])
    );
    let p = run(cfg).await;
    assert_eq!(strings(&p, "city")[0].as_deref(), Some("Madrid"));
    assert_eq!(
        strings(&p, "address")[0].as_deref(),
        Some("Calle Mayor 1, 3º B")
    );
    assert_eq!(strings(&p, "email")[0].as_deref(), Some("a@loyal.es"));
    // Unknown attributes and sources are reported with suggestions.
    let bad: ProfileConfig = toml::from_str(
        "[survivorship]\ncty = \"longest\"\nemail = { source_priority = [\"loyalti\"] }",
    )
    .unwrap();
    let problems = bad.problems(&["loyalty", "web"]);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|(_, m)| m.contains("did you mean `city`?"))
    );
    assert!(
        problems
            .iter()
            .any(|(_, m)| m.contains("did you mean `loyalty`?"))
    );
}

/// Registers a collected frame as a table (what the build does with the written Parquet).
fn register(c: &SessionContext, name: &str, b: RecordBatch) {
    let t = MemTable::try_new(b.schema(), vec![vec![b]]).unwrap();
    c.register_table(name, Arc::new(t)).unwrap();
}

fn concat(batches: &[RecordBatch], schema: arrow::datatypes::SchemaRef) -> RecordBatch {
    arrow::compute::concat_batches(&schema, batches).unwrap()
}

#[tokio::test]
async fn contact_points_keep_every_email_and_phone_with_the_rule_s_primary() {
    let recs = records(&[
        (
            "web",
            "W1",
            "2025-01-01 10:00",
            &[("email", "maria@old.es")],
        ),
        (
            "web",
            "W2",
            "2025-02-01 10:00",
            &[("email", "maria@old.es"), ("phone", "+34600000001")],
        ),
        (
            "loyalty",
            "L1",
            "2025-06-01 10:00",
            &[("email", "maria@new.es"), ("phone", "+34600000002")],
        ),
        (
            "call",
            "C1",
            "2025-09-01 10:00",
            &[("phone", "+34600000001")],
        ),
        ("web", "W9", "2025-03-01 10:00", &[("email", "bob@x.es")]),
        // A customer without any contact point has no rows.
        ("pos", "T1", "2025-03-01 10:00", &[]),
    ]);
    let map = identity_map(&[
        ("web", "W1", "c_a"),
        ("web", "W2", "c_a"),
        ("loyalty", "L1", "c_a"),
        ("call", "C1", "c_a"),
        ("web", "W9", "c_b"),
        ("pos", "T1", "c_c"),
    ]);
    let tx = transactions(&[("web", "W1", "W1", "2025-01-01 10:00", 100)]);
    let as_of = NaiveDate::from_ymd_opt(2025, 10, 1).unwrap();
    let run = |cfg: ProfileConfig| {
        let (recs, map, tx) = (recs.clone(), map.clone(), tx.clone());
        async move {
            let c = ctx(vec![
                ("source_records", recs),
                ("identity_map", map),
                ("transactions", tx),
            ]);
            let p = collect(
                omni_profile::golden::profiles(&c, as_of, &cfg)
                    .await
                    .unwrap(),
            )
            .await;
            register(&c, "profiles", p.clone());
            let cp = omni_profile::contact_points::contact_points(&c)
                .await
                .unwrap();
            (p, concat(&cp, schema::contact_points()))
        }
    };
    let (p, cp) = run(ProfileConfig::default()).await;
    assert_eq!(cp.schema(), schema::contact_points());
    let rows: Vec<String> = (0..cp.num_rows())
        .map(|i| {
            [
                "customer_id",
                "kind",
                "value",
                "sources",
                "first_seen",
                "last_seen",
                "record_count",
                "is_primary",
            ]
            .iter()
            .map(|c| strings(&cp, c)[i].clone().unwrap_or_default())
            .collect::<Vec<_>>()
            .join(" | ")
        })
        .collect();
    let day = |d: &str| format!("2025-{d}T10:00:00Z");
    let want = [
        format!(
            "c_a | email | maria@new.es | loyalty | {} | {} | 1 | true",
            day("06-01"),
            day("06-01")
        ),
        format!(
            "c_a | email | maria@old.es | web | {} | {} | 2 | false",
            day("01-01"),
            day("02-01")
        ),
        format!(
            "c_a | phone | +34600000001 | call,web | {} | {} | 2 | true",
            day("02-01"),
            day("09-01")
        ),
        format!(
            "c_a | phone | +34600000002 | loyalty | {} | {} | 1 | false",
            day("06-01"),
            day("06-01")
        ),
        format!(
            "c_b | email | bob@x.es | web | {} | {} | 1 | true",
            day("03-01"),
            day("03-01")
        ),
    ];
    assert_eq!(rows, want);
    // The primary is the golden value.
    assert_eq!(strings(&p, "email")[0].as_deref(), Some("maria@new.es"));
    assert_eq!(strings(&p, "phone")[0].as_deref(), Some("+34600000001"));

    // Other rules pick other primaries: the email most records carry, the loyalty phone.
    let cfg: ProfileConfig = toml::from_str(
        "[survivorship]\nemail = \"most_frequent\"\nphone = { source_priority = [\"loyalty\"] }",
    )
    .unwrap();
    let (p, cp) = run(cfg).await;
    let primary: Vec<(String, String)> = (0..cp.num_rows())
        .filter(|&i| strings(&cp, "is_primary")[i].as_deref() == Some("true"))
        .map(|i| {
            (
                strings(&cp, "customer_id")[i].clone().unwrap(),
                strings(&cp, "value")[i].clone().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        primary,
        [
            ("c_a", "maria@old.es"),
            ("c_a", "+34600000002"),
            ("c_b", "bob@x.es")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert_eq!(strings(&p, "email")[0].as_deref(), Some("maria@old.es"));
    assert_eq!(strings(&p, "phone")[0].as_deref(), Some("+34600000002"));
}

#[tokio::test]
async fn rfm_scores_segments_and_cut_points_match_a_hand_computed_example() {
    // as_of 2026-11-01, six customers (n = 6), score = 1 + floor(5 (rank − 1) / 6):
    //   a: 10.00 on 10-01                                  R 31, F 1, M 10
    //   b: 20.00 on 10-11                                  R 21, F 1, M 20
    //   c: 30.00 on 10-21                                  R 11, F 1, M 30
    //   d: 25.00 on 09-01, 15.00 on 10-21                  R 11, F 2, M 40
    //   e: 20.00 on 08-01, 09-01, 10-31, −5.00 on 10-31    R 1,  F 3, M 55
    //   f: 10.00 on 10-01, 10-02, 10-03                    R 29, F 3, M 30
    // Recency, worst first: a(1) f(2) b(3) c=d(4) e(6) → scores 1 1 2 3 3 5.
    // Frequency: a=b=c(1) d(4) e=f(5) → 1 1 1 3 4 4 (scores 2 and 5 empty).
    // Monetary: a(1) b(2) c=f(3) d(5) e(6) → 1 1 2 2 4 5.
    let rows = [
        ("a", "2026-10-01 12:00", 1000),
        ("b", "2026-10-11 12:00", 2000),
        ("c", "2026-10-21 12:00", 3000),
        ("d", "2026-09-01 12:00", 2500),
        ("d", "2026-10-21 12:00", 1500),
        ("e", "2026-08-01 12:00", 2000),
        ("e", "2026-09-01 12:00", 2000),
        ("e", "2026-10-31 12:00", 2000),
        ("e", "2026-10-31 18:00", -500),
        ("f", "2026-10-01 12:00", 1000),
        ("f", "2026-10-02 12:00", 1000),
        ("f", "2026-10-03 12:00", 1000),
    ];
    let ids: Vec<String> = (0..rows.len()).map(|i| format!("T{i}")).collect();
    let tx: Vec<(&str, &str, &str, &str, i128)> = rows
        .iter()
        .zip(&ids)
        .map(|(r, id)| ("pos", id.as_str(), id.as_str(), r.1, r.2))
        .collect();
    let map: Vec<(&str, &str, &str)> = rows
        .iter()
        .zip(&ids)
        .map(|(r, id)| ("pos", id.as_str(), r.0))
        .collect();
    let c = ctx(vec![
        ("identity_map", identity_map(&map)),
        ("transactions", transactions(&tx)),
    ]);
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let r = collect(
        omni_profile::rfm::rfm(&c, as_of, &default_segment_rules())
            .await
            .unwrap(),
    )
    .await;
    let got: Vec<String> = (0..r.num_rows())
        .map(|i| {
            [
                "customer_id",
                "recency_days",
                "frequency",
                "monetary",
                "r_score",
                "f_score",
                "m_score",
                "rfm_segment",
            ]
            .iter()
            .map(|c| strings(&r, c)[i].clone().unwrap())
            .collect::<Vec<_>>()
            .join(" ")
        })
        .collect();
    assert_eq!(
        got,
        [
            "a 31 1 10.00 1 1 1 Lost",
            "b 21 1 20.00 2 1 1 Hibernating",
            "c 11 1 30.00 3 1 2 About to Sleep",
            "d 11 2 40.00 3 3 4 Need Attention",
            "e 1 3 55.00 5 4 5 Champions",
            "f 29 3 30.00 1 4 2 At Risk",
        ]
    );

    register(&c, "rfm", r);
    let cp = omni_profile::rfm::cut_points(&c).await.unwrap();
    let cp = concat(&cp, schema::rfm_cut_points());
    assert_eq!(cp.schema(), schema::rfm_cut_points());
    let got: Vec<String> = (0..cp.num_rows())
        .map(|i| {
            [
                "metric",
                "score",
                "lower_bound",
                "upper_bound",
                "customers",
                "as_of",
            ]
            .iter()
            .map(|c| strings(&cp, c)[i].clone().unwrap())
            .collect::<Vec<_>>()
            .join(" ")
        })
        .collect();
    assert_eq!(
        got,
        [
            "frequency 1 1.00 1.00 3 2026-11-01",
            "frequency 3 2.00 2.00 1 2026-11-01",
            "frequency 4 3.00 3.00 2 2026-11-01",
            "monetary 1 10.00 20.00 2 2026-11-01",
            "monetary 2 30.00 30.00 2 2026-11-01",
            "monetary 4 40.00 40.00 1 2026-11-01",
            "monetary 5 55.00 55.00 1 2026-11-01",
            "recency_days 1 29.00 31.00 2 2026-11-01",
            "recency_days 2 21.00 21.00 1 2026-11-01",
            "recency_days 3 11.00 11.00 2 2026-11-01",
            "recency_days 5 1.00 1.00 1 2026-11-01",
        ]
    );
}
