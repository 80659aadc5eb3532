//! Hashes are checked against SHA-256 computed outside Rust (`printf '%s' VALUE | sha256sum`),
//! with the normalised value that was hashed written beside each literal.

use super::*;

fn es() -> PhoneNormalizer {
    PhoneNormalizer::new("ES").unwrap()
}

#[test]
fn meta_normalises_each_field_as_meta_requires() {
    assert_eq!(
        meta_email("  Ana.Garcia+Shop@GMAIL.com ").as_deref(),
        Some("ana.garcia+shop@gmail.com")
    );
    assert_eq!(
        meta_phone("612 345 678", &es()).as_deref(),
        Some("34612345678")
    );
    assert_eq!(
        meta_phone("+44 7911 123456", &es()).as_deref(),
        Some("447911123456")
    );
    assert_eq!(meta_name(" José-María ").as_deref(), Some("josémaría"));
    assert_eq!(meta_name("O'Neill").as_deref(), Some("oneill"));
    assert_eq!(meta_name(" - "), None);
    assert_eq!(meta_city("A Coruña").as_deref(), Some("acoruna"));
    assert_eq!(meta_zip("28 020", Some("ES")).as_deref(), Some("28020"));
    assert_eq!(meta_zip("SW1A 1AA", Some("GB")).as_deref(), Some("sw1a1aa"));
    assert_eq!(meta_zip("94016-1234", Some("US")).as_deref(), Some("94016"));
    assert_eq!(country_code(" ES ").as_deref(), Some("es"));
    assert_eq!(country_code("Spain"), None);
}

#[test]
fn google_folds_gmail_only_and_keeps_the_plus_in_phones() {
    assert_eq!(
        google_email(" Noa.Blanco68+promo@GMAIL.com").as_deref(),
        Some("noablanco68@gmail.com")
    );
    assert_eq!(
        google_email("J.Doe+x@googlemail.com").as_deref(),
        Some("jdoe@googlemail.com")
    );
    // Other providers keep dots and tags.
    assert_eq!(
        google_email("ana.b+x@outlook.com").as_deref(),
        Some("ana.b+x@outlook.com")
    );
    assert_eq!(google_email("not an email"), None);
    assert_eq!(
        google_phone("612-345-678", &es()).as_deref(),
        Some("+34612345678")
    );
    assert_eq!(
        google_name("  José   María ").as_deref(),
        Some("josé maría")
    );
}

fn ana() -> Person {
    Person {
        customer_id: "c_1".into(),
        email: Some(" Ana.Garcia+Shop@GMAIL.com ".into()),
        phone: Some("+34 612 345 678".into()),
        first_name: Some("José-María".into()),
        last_name: Some("O'Neill".into()),
        address: Some("Calle Mayor, 1".into()),
        city: Some("A Coruña".into()),
        postcode: Some("28020".into()),
        country: Some("ES".into()),
        birth_date: Some("1956-08-16".into()),
        consent: Consent {
            email: Some(true),
            sms: None,
            whatsapp: None,
            push: Some(false),
        },
    }
}

#[test]
fn meta_row_is_hashes_of_normalised_values() {
    let row = Layout::of(AudienceFormat::Meta)
        .row(&ana(), &es(), "")
        .unwrap();
    let want = [
        // ana.garcia+shop@gmail.com
        "2005c1b97ac370b7c2b580f5d488ab5f09fbffdeb2820d0deeacf2d7b0d54e6d",
        // 34612345678
        "11f976ff0fae9007051c1c0be7821b65f86e69e36f63542ae8c72dbf3b9cd9dc",
        // josémaría
        "a6a9049d39c4dd1cc332a44c64da6e6ce99e4ddbc1e9b6595e7f7bad60ef5ef6",
        // oneill
        "fa0fd24b2d0175a5c48e1b82f4d707a8a95f5279c4abdc43fa2f19d8e30eb47d",
        // acoruna
        "702adee260fc8ec5f2b66739ee51db97c30698fb10df42221cddb25aab8c7e60",
        // 28020
        "b826981c8c6c380fb387d65ef37d4792f26e24cd835029040cee70c100afe789",
        // es
        "c0bc1e08f9743b2d50d5f1607503bf4e849af0e729fca896515bea955d70a33e",
        // 1956
        "04aa39fcb509e7842f0bd5b135b6181b0b57c8a74422838362f430351fc364f2",
        // 08
        "323783be9a53a31e158ec9600626a4703e99f4e183bc1acb8772cbdf5c3a1ece",
        // 16
        "b17ef6d19c7a5b1ee83b907c595526dcb1eb06db8227d650d5dda0a9f4ce8cd9",
    ];
    assert_eq!(row, want);
}

#[test]
fn google_row_hashes_identifiers_and_keeps_country_and_zip_plain() {
    let mut p = ana();
    p.email = Some(" Noa.Blanco68+promo@GMAIL.com".into());
    p.first_name = Some("  José   María ".into());
    let row = Layout::of(AudienceFormat::Google)
        .row(&p, &es(), "")
        .unwrap();
    let want = [
        // noablanco68@gmail.com
        "dd2ae9d87dc9a50d2b3bc496cea4c7cf17bebcf48830bbd874df5f60e6f58fad",
        // +34612345678
        "1e41ef79cb1baa05fa88e837a70de6f6ae248454bc8dae474312c0baebe8c7a5",
        // josé maría
        "27151c896748a1288d7e5682b4b5190b3d61e43820a310cadd43f6ea28ee75c5",
        // o'neill
        "4897794243f02aab17572801e8e9629de1efcf107bcc8671f97aeb3d565b3d68",
        "ES",
        "28020",
    ];
    assert_eq!(row, want);
}

#[test]
fn missing_values_stay_empty_and_rows_need_an_identifier() {
    let mut p = ana();
    p.phone = None;
    p.first_name = None;
    p.birth_date = None;
    let row = Layout::of(AudienceFormat::Meta).row(&p, &es(), "").unwrap();
    assert_eq!(row[1], "");
    assert_eq!(row[2], "");
    assert_eq!(&row[7..], ["", "", ""]);
    p.email = Some("not an email".into());
    for f in [
        AudienceFormat::Meta,
        AudienceFormat::Google,
        AudienceFormat::Mailchimp,
        AudienceFormat::Klaviyo,
    ] {
        assert_eq!(Layout::of(f).row(&p, &es(), ""), None, "{f:?}");
    }
}

#[test]
fn mailchimp_and_klaviyo_use_their_vocabulary() {
    let row = Layout::of(AudienceFormat::Mailchimp)
        .row(&ana(), &es(), "champions")
        .unwrap();
    assert_eq!(
        row,
        [
            "ana.garcia+shop@gmail.com",
            "José-María",
            "O'Neill",
            "+34612345678",
            "Calle Mayor 1  A Coruña  28020  ES",
            "champions",
            "subscribed",
        ]
    );
    let row = Layout::of(AudienceFormat::Klaviyo)
        .row(&ana(), &es(), "")
        .unwrap();
    assert_eq!(&row[..2], ["ana.garcia+shop@gmail.com", "+34612345678"]);
    assert_eq!(&row[6..], ["ES", "SUBSCRIBED", "NEVER_SUBSCRIBED"]);
}

#[test]
fn consent_verdicts_per_purpose() {
    let c = ana().consent;
    assert_eq!(c.verdict(Purpose::Email), Verdict::Consented);
    assert_eq!(c.verdict(Purpose::Push), Verdict::OptedOut);
    assert_eq!(c.verdict(Purpose::Sms), Verdict::NoConsentRecorded);
    assert_eq!(c.verdict(Purpose::Ads), Verdict::Consented);
    let sms_only_refused = Consent {
        sms: Some(false),
        ..Consent::default()
    };
    assert_eq!(sms_only_refused.verdict(Purpose::Ads), Verdict::OptedOut);
    assert_eq!(
        Consent::default().verdict(Purpose::Ads),
        Verdict::NoConsentRecorded
    );
}

/// A session with a five-customer `profiles` and a `segment_membership`.
async fn ctx() -> SessionContext {
    let ctx = omni_sql::new_context();
    let profiles = "CREATE TABLE profiles AS SELECT column1 AS customer_id, column2 AS email, \
        column3 AS phone, column4 AS first_name, column5 AS last_name, \
        CAST(NULL AS VARCHAR) AS address, column6 AS city, column7 AS postcode, \
        column8 AS country, CAST(column9 AS DATE) AS birth_date, \
        CAST(column10 AS BOOLEAN) AS consent_email, CAST(column11 AS BOOLEAN) AS consent_sms, \
        CAST(NULL AS BOOLEAN) AS consent_whatsapp, CAST(NULL AS BOOLEAN) AS consent_push \
        FROM (VALUES \
        ('c_1', 'ana@x.es', '+34612345678', 'Ana', 'Ruiz', 'Madrid', '28001', 'ES', '1980-01-02', 'true', NULL), \
        ('c_2', 'bob@x.es', NULL, 'Bob', 'Lee', 'Leeds', 'LS1 1AA', 'GB', NULL, 'false', 'true'), \
        ('c_3', 'eva@x.es', '+34622222222', 'Eva', 'Sanz', NULL, NULL, 'ES', NULL, NULL, NULL), \
        ('c_4', NULL, '+34633333333', 'Leo', 'Gil', NULL, NULL, 'ES', NULL, 'true', NULL), \
        ('c_5', 'max@x.es', NULL, 'Max', 'Paz', NULL, NULL, 'ES', NULL, 'true', 'false'))";
    ctx.sql(profiles).await.unwrap().collect().await.unwrap();
    ctx.sql(
        "CREATE TABLE segment_membership AS SELECT * FROM (VALUES \
         ('vip', 'c_1', 'entered'), ('vip', 'c_2', 'stayed'), ('vip', 'c_3', 'entered'), \
         ('vip', 'c_4', 'stayed'), ('vip', 'c_5', 'exited')) AS t(segment, customer_id, status)",
    )
    .await
    .unwrap()
    .collect()
    .await
    .unwrap();
    ctx
}

fn snap() -> SnapshotInfo {
    SnapshotInfo {
        run_id: "r1".into(),
        default_region: "ES".into(),
    }
}

fn req(dir: &Path, sel: Selection, format: AudienceFormat, file: &str) -> AudienceRequest {
    AudienceRequest {
        selection: sel,
        format,
        path: dir.join(file),
        purpose: None,
        suppress: true,
        split_rows: None,
    }
}

#[tokio::test]
async fn suppression_counts_each_reason() {
    let d = tempfile::tempdir().unwrap();
    let ctx = ctx().await;
    let vip = Selection::Segment("vip".into());
    // Email purpose: c_1 and c_4 consent (c_4 has no email: klaviyo keeps it by phone).
    let m = export_audience(
        &ctx,
        &snap(),
        &req(d.path(), vip.clone(), AudienceFormat::Klaviyo, "k.csv"),
    )
    .await
    .unwrap();
    assert_eq!((m.selected, m.rows), (4, 2));
    assert_eq!(
        m.suppressed,
        Suppressed {
            total: 2,
            opted_out: 1,
            no_consent_recorded: 1,
            unknown_customer: 0
        }
    );
    // Mailchimp needs an email: c_4 is skipped, not suppressed.
    let m = export_audience(
        &ctx,
        &snap(),
        &req(d.path(), vip.clone(), AudienceFormat::Mailchimp, "m.csv"),
    )
    .await
    .unwrap();
    assert_eq!(
        (m.rows, m.suppressed.total, m.skipped_no_identifier),
        (1, 2, 1)
    );
    // Ads: email or SMS opt-in, so c_2 (SMS yes) passes too.
    let m = export_audience(
        &ctx,
        &snap(),
        &req(d.path(), vip.clone(), AudienceFormat::Meta, "meta.csv"),
    )
    .await
    .unwrap();
    assert_eq!(
        (m.purpose, m.rows, m.suppressed.total),
        (Purpose::Ads, 3, 1)
    );
    // A query naming a customer that does not exist; --no-suppress keeps everyone known.
    let q = Selection::Query("SELECT customer_id FROM profiles UNION ALL SELECT 'c_9';".into());
    let mut r = req(d.path(), q.clone(), AudienceFormat::Csv, "q.csv");
    let m = export_audience(&ctx, &snap(), &r).await.unwrap();
    assert_eq!((m.selected, m.rows), (6, 3));
    assert_eq!(m.suppressed.unknown_customer, 1);
    r.suppress = false;
    let m = export_audience(&ctx, &snap(), &r).await.unwrap();
    assert_eq!((m.rows, m.suppressed.total), (6, 0));
}

#[tokio::test]
async fn splits_into_numbered_files_with_checksums_in_the_manifest() {
    let d = tempfile::tempdir().unwrap();
    let ctx = ctx().await;
    let q = Selection::Query("SELECT customer_id, email FROM profiles ORDER BY customer_id".into());
    let mut r = req(d.path(), q, AudienceFormat::Csv, "all.csv");
    r.suppress = false;
    r.split_rows = Some(2);
    // A stale fourth part from an earlier, larger export is removed.
    std::fs::write(part_path(&r.path, 4), "old").unwrap();
    let m = export_audience(&ctx, &snap(), &r).await.unwrap();
    let names: Vec<&str> = m.files.iter().map(|f| f.file.as_str()).collect();
    assert_eq!(names, ["all-00001.csv", "all-00002.csv", "all-00003.csv"]);
    assert_eq!(
        m.files.iter().map(|f| f.rows).collect::<Vec<_>>(),
        [2, 2, 1]
    );
    assert!(!part_path(&r.path, 4).exists());
    let mut ids = Vec::new();
    for f in &m.files {
        let p = d.path().join(&f.file);
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!(f.sha256, sha256_hex(&bytes), "{}", f.file);
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("customer_id,email\n"), "{text}");
        ids.extend(text.lines().skip(1).map(|l| l[..3].to_string()));
    }
    assert_eq!(ids, ["c_1", "c_2", "c_3", "c_4", "c_5"]);
    // The manifest on disk says the same, and no temporary file is left behind.
    let on_disk: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(manifest_path(&r.path)).unwrap()).unwrap();
    assert_eq!(on_disk["rows"], 5);
    assert_eq!(on_disk["snapshot"], "r1");
    assert_eq!(on_disk["files"][2]["sha256"], m.files[2].sha256);
    let left: Vec<String> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("omni-tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn user_mistakes_are_named() {
    let d = tempfile::tempdir().unwrap();
    let ctx = ctx().await;
    let q = Selection::Query("SELECT email FROM profiles".into());
    let e = export_audience(
        &ctx,
        &snap(),
        &req(d.path(), q, AudienceFormat::Meta, "x.csv"),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(e.contains("no customer_id column (columns: email)"), "{e}");
    let e = check_segment(&ctx, "vipp").await.unwrap_err().to_string();
    assert!(e.contains("did you mean `vip`?"), "{e}");
    assert!(check_segment(&ctx, "vip").await.is_ok());
    assert!(
        "xlsx"
            .parse::<AudienceFormat>()
            .unwrap_err()
            .contains("use csv, parquet")
    );
    assert!("mail".parse::<Purpose>().is_err());
}
