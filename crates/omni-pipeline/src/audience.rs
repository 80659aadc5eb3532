//! Audience exports for marketing platforms: `omni export` and the pipeline's `[[export]]`.
//!
//! An audience is a segment's current members or the customers (`customer_id`) a query
//! returns. [`export_audience`] writes it as a plain data file (`csv`, `json`, `jsonl`,
//! `parquet`) or in the upload layout of a platform, leaves out customers without consent
//! for the export's [`Purpose`] (counted, by reason), splits large audiences into numbered
//! files, and writes a manifest (`PATH.manifest.json`) with counts, the SQL, the snapshot and
//! a SHA-256 per file. Every file appears whole (temp file + rename).
//!
//! Platform layouts (column names as each vendor documents them):
//!
//! - `meta` — Meta Custom Audiences customer file: `EMAIL, PHONE, FN, LN, CT, ZIP, COUNTRY,
//!   DOBY, DOBM, DOBD`, each normalised the way Meta requires, then SHA-256 hex
//!   (<https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences>,
//!   "Hashing and normalizing data"; header list:
//!   <https://www.facebook.com/business/help/2082575038703844>).
//! - `google` — Google Ads Customer Match: `Email, Phone, First Name, Last Name, Country, Zip`;
//!   identifiers hashed, country and zip plain
//!   (<https://support.google.com/google-ads/answer/7659867>,
//!   <https://support.google.com/google-ads/answer/7475964>).
//! - `mailchimp` — contact import: `Email Address, First Name, Last Name, Phone Number,
//!   Address, Tags, Status`; the address is one cell, parts separated by two spaces, no commas;
//!   status `subscribed` / `unsubscribed` / `non-subscribed`
//!   (<https://mailchimp.com/help/format-guidelines-for-your-import-file>,
//!   <http://kb.mailchimp.com/lists/growth/format-list-fields>).
//! - `klaviyo` — list import: `Email, Phone Number, First Name, Last Name, City, Zip Code,
//!   Country, Email Marketing Consent, SMS Marketing Consent` with `SUBSCRIBED` /
//!   `UNSUBSCRIBED` / `NEVER_SUBSCRIBED`
//!   (<https://help.klaviyo.com/hc/en-us/articles/360043841811>,
//!   <https://developers.klaviyo.com/en/docs/collect_email_and_sms_consent_via_api>).
//!
//! Consent: profiles carry the latest statement per channel (`consent_email`, `consent_sms`,
//! `consent_whatsapp`, `consent_push`; null when the customer never made one). A customer
//! passes for purpose `email`/`sms`/`whatsapp`/`push` when that channel's consent is true.
//! There is no advertising consent column: purpose `ads` (the default of `meta` and `google`)
//! passes when the customer opted in to email or SMS — the channels whose identifiers are
//! uploaded. No statement counts as no consent.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, StringArray};
use arrow::compute::{concat_batches, filter_record_batch};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use omni_core::ids::sha256_hex;
use omni_core::text::as_utf8;
use omni_normalize::{PhoneNormalizer, fold_name, normalize_email};
use omni_sql::SessionContext;
use omni_sql::output::{Format, write_results};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result, io};

/// What an audience file looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AudienceFormat {
    Csv,
    /// One JSON array.
    Json,
    /// One JSON object per line.
    Jsonl,
    Parquet,
    Meta,
    Google,
    Mailchimp,
    Klaviyo,
}

/// The accepted format names, for messages and docs.
pub const FORMAT_NAMES: &str = "csv, parquet, jsonl, json, meta, google, mailchimp or klaviyo";

impl FromStr for AudienceFormat {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Ok(match s {
            "csv" => AudienceFormat::Csv,
            "json" => AudienceFormat::Json,
            "jsonl" => AudienceFormat::Jsonl,
            "parquet" => AudienceFormat::Parquet,
            "meta" => AudienceFormat::Meta,
            "google" => AudienceFormat::Google,
            "mailchimp" => AudienceFormat::Mailchimp,
            "klaviyo" => AudienceFormat::Klaviyo,
            _ => return Err(format!("{s:?} is not an export format: use {FORMAT_NAMES}")),
        })
    }
}

impl AudienceFormat {
    /// A platform layout (one row per customer, built from `profiles`), not the query's rows.
    pub fn is_platform(self) -> bool {
        matches!(
            self,
            AudienceFormat::Meta
                | AudienceFormat::Google
                | AudienceFormat::Mailchimp
                | AudienceFormat::Klaviyo
        )
    }

    /// The purpose whose consent is checked when none is given.
    pub fn default_purpose(self) -> Purpose {
        match self {
            AudienceFormat::Meta | AudienceFormat::Google => Purpose::Ads,
            _ => Purpose::Email,
        }
    }
}

/// What the audience will be used for; decides which consent is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    Email,
    Sms,
    Whatsapp,
    Push,
    /// Advertising: email or SMS consent (the identifiers uploaded to ad platforms).
    Ads,
}

impl FromStr for Purpose {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Ok(match s {
            "email" => Purpose::Email,
            "sms" => Purpose::Sms,
            "whatsapp" => Purpose::Whatsapp,
            "push" => Purpose::Push,
            "ads" => Purpose::Ads,
            _ => {
                return Err(format!(
                    "{s:?} is not a purpose: use email, sms, whatsapp, push or ads"
                ));
            }
        })
    }
}

/// The latest consent statement per channel (`None`: never stated).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Consent {
    pub email: Option<bool>,
    pub sms: Option<bool>,
    pub whatsapp: Option<bool>,
    pub push: Option<bool>,
}

/// Why a customer is in or out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Consented,
    OptedOut,
    NoConsentRecorded,
}

impl Consent {
    pub fn verdict(&self, purpose: Purpose) -> Verdict {
        let channels: &[Option<bool>] = match purpose {
            Purpose::Email => &[self.email],
            Purpose::Sms => &[self.sms],
            Purpose::Whatsapp => &[self.whatsapp],
            Purpose::Push => &[self.push],
            Purpose::Ads => &[self.email, self.sms],
        };
        if channels.contains(&Some(true)) {
            Verdict::Consented
        } else if channels.contains(&Some(false)) {
            Verdict::OptedOut
        } else {
            Verdict::NoConsentRecorded
        }
    }
}

/// Who is in the audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// A segment's current members (status entered or stayed).
    Segment(String),
    /// A SQL query over the snapshot; platform formats and consent need its `customer_id`.
    Query(String),
}

/// One export to write.
#[derive(Debug, Clone)]
pub struct AudienceRequest {
    pub selection: Selection,
    pub format: AudienceFormat,
    pub path: PathBuf,
    /// `None`: the format's default ([`AudienceFormat::default_purpose`]).
    pub purpose: Option<Purpose>,
    /// Leave out customers without consent for the purpose.
    pub suppress: bool,
    /// Split into files of at most this many rows, named `NAME-00001.EXT`, ...
    pub split_rows: Option<usize>,
}

/// The snapshot an export reads.
#[derive(Debug, Clone)]
pub struct SnapshotInfo {
    pub run_id: String,
    /// For phone numbers written without a country code.
    pub default_region: String,
}

impl SnapshotInfo {
    /// Reads the run id (the directory name) and region (its manifest) of a snapshot dir.
    pub fn of_dir(dir: &Path) -> SnapshotInfo {
        let default_region = std::fs::read_to_string(dir.join(omni_sql::warehouse::MANIFEST))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|m| m["default_region"].as_str().map(str::to_string))
            .unwrap_or_else(|| "ES".to_string());
        SnapshotInfo {
            run_id: dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            default_region,
        }
    }
}

/// Customers left out, by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Suppressed {
    pub total: u64,
    /// The latest statement for the purpose's channel(s) is a refusal.
    pub opted_out: u64,
    /// The customer never stated consent for the purpose's channel(s).
    pub no_consent_recorded: u64,
    /// The query returned a `customer_id` that is not in `profiles`.
    pub unknown_customer: u64,
}

/// One written file.
#[derive(Debug, Clone, Serialize)]
pub struct FileEntry {
    /// File name, in the manifest's directory.
    pub file: String,
    pub rows: u64,
    pub sha256: String,
}

/// What was exported, written beside the file as `PATH.manifest.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub format: AudienceFormat,
    pub purpose: Purpose,
    /// Whether customers without consent were left out (`--no-suppress` turns it off).
    pub suppression: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    /// The SQL that selected the audience.
    pub query: String,
    /// The snapshot's run id.
    pub snapshot: String,
    /// Rows (customers, for platform formats) selected before consent.
    pub selected: u64,
    /// Rows written, over all files.
    pub rows: u64,
    pub suppressed: Suppressed,
    /// Consenting customers left out because the format's required identifier is missing
    /// (an email for mailchimp; an email or phone for meta, google and klaviyo).
    pub skipped_no_identifier: u64,
    pub files: Vec<FileEntry>,
    pub created_at: String,
}

fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn user(msg: impl Into<String>) -> Error {
    Error::User(msg.into())
}

/// Fails with the known segment names when `name` is not a segment of the snapshot.
pub async fn check_segment(ctx: &SessionContext, name: &str) -> Result<()> {
    let (_, b) = omni_sql::query(
        ctx,
        "SELECT DISTINCT segment FROM segment_membership ORDER BY segment",
    )
    .await?;
    let mut names = Vec::new();
    for batch in &b {
        let a = as_utf8(batch.column(0).as_ref())?;
        names.extend(a.iter().flatten().map(str::to_string));
    }
    if names.iter().any(|n| n == name) {
        return Ok(());
    }
    let hint = omni_core::suggest(name, names.iter().map(String::as_str))
        .map(|s| format!("did you mean `{s}`? "))
        .unwrap_or_default();
    Err(user(format!(
        "no segment named `{name}` in the snapshot; {hint}(segments: {})",
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    )))
}

/// Writes one audience from the snapshot `ctx` reads, then its manifest.
pub async fn export_audience(
    ctx: &SessionContext,
    snap: &SnapshotInfo,
    req: &AudienceRequest,
) -> Result<Manifest> {
    let purpose = req.purpose.unwrap_or(req.format.default_purpose());
    let base = match &req.selection {
        Selection::Segment(s) if req.format.is_platform() => format!(
            "SELECT customer_id FROM segment_membership WHERE segment = {} AND status <> 'exited'",
            sql_string(s)
        ),
        Selection::Segment(s) => format!(
            "SELECT p.* FROM profiles p JOIN segment_membership s ON p.customer_id = s.customer_id \
             WHERE s.segment = {} AND s.status <> 'exited' ORDER BY p.customer_id",
            sql_string(s)
        ),
        Selection::Query(q) => {
            let q = q.trim().trim_end_matches(';').trim();
            if q.is_empty() {
                return Err(user("the export query is empty"));
            }
            q.to_string()
        }
    };
    let needs_customer = req.format.is_platform() || req.suppress;
    if needs_customer {
        // Planned through omni_sql::query so that a mistyped table gets its hint.
        let (schema, _) =
            omni_sql::query(ctx, &format!("SELECT * FROM ({base}) AS q LIMIT 0")).await?;
        if schema.index_of("customer_id").is_err() {
            let cols: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
            let why = if req.format.is_platform() {
                "platform formats export customers"
            } else {
                "consent is checked per customer (or pass --no-suppress / suppress = false)"
            };
            return Err(user(format!(
                "the query returns no customer_id column (columns: {}): {why}; select customer_id, \
                 e.g. SELECT customer_id FROM rfm WHERE rfm_segment = 'Champions'",
                cols.join(", ")
            )));
        }
    }
    let mut suppressed = Suppressed::default();
    let mut skipped = 0u64;
    let (selected, batch) = if req.format.is_platform() {
        let people = load_people(ctx, &base).await?;
        let (_, b) = omni_sql::query(
            ctx,
            &format!("SELECT count(DISTINCT customer_id) FROM ({base}) AS q"),
        )
        .await?;
        let selected = b
            .first()
            .and_then(|b| {
                b.column(0)
                    .as_any()
                    .downcast_ref::<arrow::array::Int64Array>()
                    .map(|a| a.value(0) as u64)
            })
            .unwrap_or(people.len() as u64);
        let unknown = selected.saturating_sub(people.len() as u64);
        suppressed.unknown_customer = unknown;
        let phones = PhoneNormalizer::new(&snap.default_region).map_err(Error::User)?;
        let tags = match &req.selection {
            Selection::Segment(s) => s.clone(),
            Selection::Query(_) => String::new(),
        };
        let layout = Layout::of(req.format);
        let mut rows = Vec::with_capacity(people.len());
        for p in &people {
            match p.consent.verdict(purpose) {
                Verdict::OptedOut if req.suppress => suppressed.opted_out += 1,
                Verdict::NoConsentRecorded if req.suppress => suppressed.no_consent_recorded += 1,
                _ => match layout.row(p, &phones, &tags) {
                    Some(r) => rows.push(r),
                    None => skipped += 1,
                },
            }
        }
        (selected, layout.batch(&rows)?)
    } else {
        let (schema, batches) = omni_sql::query(ctx, &base).await?;
        let batch = concat_batches(&schema, &batches)?;
        let selected = batch.num_rows() as u64;
        let batch = if req.suppress {
            let consent = load_consent(ctx, &base).await?;
            let ids = as_utf8(batch.column(schema.index_of("customer_id")?).as_ref())?;
            let mut keep = Vec::with_capacity(ids.len());
            for id in ids.iter() {
                let v = id
                    .and_then(|id| consent.get(id))
                    .map(|c| c.verdict(purpose));
                keep.push(match v {
                    Some(Verdict::Consented) => true,
                    Some(Verdict::OptedOut) => {
                        suppressed.opted_out += 1;
                        false
                    }
                    Some(Verdict::NoConsentRecorded) => {
                        suppressed.no_consent_recorded += 1;
                        false
                    }
                    None => {
                        suppressed.unknown_customer += 1;
                        false
                    }
                });
            }
            filter_record_batch(&batch, &BooleanArray::from(keep))?
        } else {
            batch
        };
        (selected, batch)
    };
    suppressed.total =
        suppressed.opted_out + suppressed.no_consent_recorded + suppressed.unknown_customer;
    let files = write_files(req, &batch)?;
    let manifest = Manifest {
        format: req.format,
        purpose,
        suppression: req.suppress,
        segment: match &req.selection {
            Selection::Segment(s) => Some(s.clone()),
            Selection::Query(_) => None,
        },
        query: base,
        snapshot: snap.run_id.clone(),
        selected,
        rows: batch.num_rows() as u64,
        suppressed,
        skipped_no_identifier: skipped,
        files,
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    let text = serde_json::to_string_pretty(&manifest)
        .map_err(|e| Error::Internal(format!("manifest: {e}")))?;
    let mpath = manifest_path(&req.path);
    write_atomic(&mpath, |w| {
        use std::io::Write;
        w.write_all(text.as_bytes())?;
        w.write_all(b"\n")
    })?;
    Ok(manifest)
}

/// `PATH.manifest.json`.
pub fn manifest_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".manifest.json");
    PathBuf::from(s)
}

/// A profile's fields that platform layouts use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Person {
    pub customer_id: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub postcode: Option<String>,
    pub country: Option<String>,
    /// `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    pub consent: Consent,
}

const PERSON_COLUMNS: [&str; 14] = [
    "customer_id",
    "email",
    "phone",
    "first_name",
    "last_name",
    "address",
    "city",
    "postcode",
    "country",
    "birth_date",
    "consent_email",
    "consent_sms",
    "consent_whatsapp",
    "consent_push",
];

async fn load_people(ctx: &SessionContext, base: &str) -> Result<Vec<Person>> {
    let cols: Vec<String> = PERSON_COLUMNS.iter().map(|c| format!("p.{c}")).collect();
    let sql = format!(
        "SELECT {} FROM profiles p WHERE p.customer_id IN (SELECT customer_id FROM ({base}) AS q) \
         ORDER BY p.customer_id",
        cols.join(", ")
    );
    let (_, batches) = omni_sql::query(ctx, &sql).await?;
    let mut out = Vec::new();
    for b in &batches {
        let c: Vec<StringArray> = b
            .columns()
            .iter()
            .map(|a| as_utf8(a.as_ref()))
            .collect::<std::result::Result<_, _>>()?;
        let get = |i: usize, r: usize| {
            (!c[i].is_null(r))
                .then(|| c[i].value(r).trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let flag = |i: usize, r: usize| (!c[i].is_null(r)).then(|| c[i].value(r) == "true");
        for r in 0..b.num_rows() {
            out.push(Person {
                customer_id: c[0].value(r).to_string(),
                email: get(1, r),
                phone: get(2, r),
                first_name: get(3, r),
                last_name: get(4, r),
                address: get(5, r),
                city: get(6, r),
                postcode: get(7, r),
                country: get(8, r),
                birth_date: get(9, r),
                consent: Consent {
                    email: flag(10, r),
                    sms: flag(11, r),
                    whatsapp: flag(12, r),
                    push: flag(13, r),
                },
            });
        }
    }
    Ok(out)
}

async fn load_consent(ctx: &SessionContext, base: &str) -> Result<HashMap<String, Consent>> {
    let people = load_people(ctx, base).await?;
    Ok(people
        .into_iter()
        .map(|p| (p.customer_id, p.consent))
        .collect())
}

// ── normalisation for hashed formats ───────────────────────────────────────────────────────

/// SHA-256 hex of a normalised value; a missing value stays empty (never the hash of "").
pub fn hash(v: Option<String>) -> String {
    v.map(|s| sha256_hex(s.as_bytes())).unwrap_or_default()
}

/// Meta EMAIL: trimmed, lowercase (the pipeline's email normaliser).
pub fn meta_email(raw: &str) -> Option<String> {
    normalize_email(raw).map(|e| e.address)
}

/// Meta PHONE: digits only, with the country code, no `+` (E.164 from the pipeline's
/// normaliser, without its `+`).
pub fn meta_phone(raw: &str, phones: &PhoneNormalizer) -> Option<String> {
    phones
        .normalize(raw)
        .map(|e| e.trim_start_matches('+').to_string())
}

/// Meta FN/LN: lowercase letters only — no punctuation, spaces or digits; accented letters
/// kept as UTF-8.
pub fn meta_name(raw: &str) -> Option<String> {
    let s: String = raw
        .chars()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .collect();
    (!s.is_empty()).then_some(s)
}

/// Meta CT: lowercase a-z only: accents folded, no punctuation, no spaces.
pub fn meta_city(raw: &str) -> Option<String> {
    let s: String = fold_name(raw)?
        .chars()
        .filter(|c| c.is_ascii_lowercase())
        .collect();
    (!s.is_empty()).then_some(s)
}

/// Meta ZIP: lowercase, no spaces or dashes; US: the first 5 digits.
pub fn meta_zip(raw: &str, country: Option<&str>) -> Option<String> {
    let s: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    let s = if country.is_some_and(|c| c.eq_ignore_ascii_case("us")) {
        s.chars().take(5).collect()
    } else {
        s
    };
    (!s.is_empty()).then_some(s)
}

/// ISO 3166 alpha-2, lowercase (Meta) — `None` for anything else.
pub fn country_code(raw: &str) -> Option<String> {
    let t = raw.trim();
    (t.len() == 2 && t.chars().all(|c| c.is_ascii_alphabetic())).then(|| t.to_ascii_lowercase())
}

/// Google Email: lowercase, no whitespace; for gmail.com / googlemail.com addresses the dots
/// and the `+tag` of the local part are removed.
pub fn google_email(raw: &str) -> Option<String> {
    let address = normalize_email(raw)?.address;
    let (local, domain) = address.split_once('@')?;
    if matches!(domain, "gmail.com" | "googlemail.com") {
        let base: String = local
            .split('+')
            .next()
            .unwrap_or(local)
            .chars()
            .filter(|c| *c != '.')
            .collect();
        return (!base.is_empty()).then(|| format!("{base}@{domain}"));
    }
    Some(address)
}

/// Google Phone: E.164 with the `+`.
pub fn google_phone(raw: &str, phones: &PhoneNormalizer) -> Option<String> {
    phones.normalize(raw)
}

/// Google First/Last Name: lowercase, surrounding and repeated whitespace removed.
pub fn google_name(raw: &str) -> Option<String> {
    let s = raw
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    (!s.is_empty()).then_some(s)
}

// ── platform layouts ───────────────────────────────────────────────────────────────────────

struct Layout {
    format: AudienceFormat,
    headers: &'static [&'static str],
}

impl Layout {
    fn of(format: AudienceFormat) -> Layout {
        let headers: &'static [&'static str] = match format {
            AudienceFormat::Meta => &[
                "EMAIL", "PHONE", "FN", "LN", "CT", "ZIP", "COUNTRY", "DOBY", "DOBM", "DOBD",
            ],
            AudienceFormat::Google => &[
                "Email",
                "Phone",
                "First Name",
                "Last Name",
                "Country",
                "Zip",
            ],
            AudienceFormat::Mailchimp => &[
                "Email Address",
                "First Name",
                "Last Name",
                "Phone Number",
                "Address",
                "Tags",
                "Status",
            ],
            _ => &[
                "Email",
                "Phone Number",
                "First Name",
                "Last Name",
                "City",
                "Zip Code",
                "Country",
                "Email Marketing Consent",
                "SMS Marketing Consent",
            ],
        };
        Layout { format, headers }
    }

    /// One customer's row, or `None` when the format's required identifier is missing.
    fn row(&self, p: &Person, phones: &PhoneNormalizer, tags: &str) -> Option<Vec<String>> {
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        let email = p.email.as_deref();
        let phone = p.phone.as_deref();
        match self.format {
            AudienceFormat::Meta => {
                let e = email.and_then(meta_email);
                let ph = phone.and_then(|v| meta_phone(v, phones));
                if e.is_none() && ph.is_none() {
                    return None;
                }
                let dob = p.birth_date.as_deref().filter(|d| d.len() == 10);
                let part = |r: std::ops::Range<usize>| dob.map(|d| d[r].to_string());
                Some(vec![
                    hash(e),
                    hash(ph),
                    hash(p.first_name.as_deref().and_then(meta_name)),
                    hash(p.last_name.as_deref().and_then(meta_name)),
                    hash(p.city.as_deref().and_then(meta_city)),
                    hash(
                        p.postcode
                            .as_deref()
                            .and_then(|z| meta_zip(z, p.country.as_deref())),
                    ),
                    hash(p.country.as_deref().and_then(country_code)),
                    hash(part(0..4)),
                    hash(part(5..7)),
                    hash(part(8..10)),
                ])
            }
            AudienceFormat::Google => {
                let e = email.and_then(google_email);
                let ph = phone.and_then(|v| google_phone(v, phones));
                if e.is_none() && ph.is_none() {
                    return None;
                }
                Some(vec![
                    hash(e),
                    hash(ph),
                    hash(p.first_name.as_deref().and_then(google_name)),
                    hash(p.last_name.as_deref().and_then(google_name)),
                    p.country
                        .as_deref()
                        .and_then(country_code)
                        .map(|c| c.to_ascii_uppercase())
                        .unwrap_or_default(),
                    s(&p.postcode),
                ])
            }
            AudienceFormat::Mailchimp => {
                let e = email.and_then(meta_email)?;
                let street = p.address.as_deref().map(|a| a.replace(',', " "));
                let address: Vec<String> = [
                    street,
                    p.city.clone(),
                    p.postcode.clone(),
                    p.country.as_deref().and_then(country_code).map(|c| {
                        // Mailchimp wants GB, not UK.
                        if c == "uk" {
                            "GB".into()
                        } else {
                            c.to_ascii_uppercase()
                        }
                    }),
                ]
                .into_iter()
                .flatten()
                .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|v| !v.is_empty())
                .collect();
                Some(vec![
                    e,
                    s(&p.first_name),
                    s(&p.last_name),
                    phone.and_then(|v| phones.normalize(v)).unwrap_or_default(),
                    address.join("  "),
                    tags.to_string(),
                    match p.consent.email {
                        Some(true) => "subscribed",
                        Some(false) => "unsubscribed",
                        None => "non-subscribed",
                    }
                    .to_string(),
                ])
            }
            _ => {
                let e = email.and_then(meta_email);
                let ph = phone.and_then(|v| phones.normalize(v));
                if e.is_none() && ph.is_none() {
                    return None;
                }
                let klaviyo = |c: Option<bool>| match c {
                    Some(true) => "SUBSCRIBED",
                    Some(false) => "UNSUBSCRIBED",
                    None => "NEVER_SUBSCRIBED",
                };
                Some(vec![
                    e.unwrap_or_default(),
                    ph.unwrap_or_default(),
                    s(&p.first_name),
                    s(&p.last_name),
                    s(&p.city),
                    s(&p.postcode),
                    p.country
                        .as_deref()
                        .and_then(country_code)
                        .map(|c| c.to_ascii_uppercase())
                        .unwrap_or_default(),
                    klaviyo(p.consent.email).to_string(),
                    klaviyo(p.consent.sms).to_string(),
                ])
            }
        }
    }

    fn batch(&self, rows: &[Vec<String>]) -> Result<RecordBatch> {
        let schema: SchemaRef = Arc::new(Schema::new(
            self.headers
                .iter()
                .map(|h| Field::new(*h, DataType::Utf8, false))
                .collect::<Vec<_>>(),
        ));
        let cols: Vec<ArrayRef> = (0..self.headers.len())
            .map(|i| {
                Arc::new(StringArray::from_iter_values(
                    rows.iter().map(|r| r[i].as_str()),
                )) as ArrayRef
            })
            .collect();
        Ok(RecordBatch::try_new(schema, cols)?)
    }
}

// ── files ──────────────────────────────────────────────────────────────────────────────────

/// `dir/name.ext` → `dir/name-00001.ext`.
pub fn part_path(path: &Path, n: usize) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{n:05}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{n:05}"),
    };
    path.with_file_name(name)
}

/// Writes `path` through a temporary file in the same directory and renames it into place.
fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> Result<()> {
    let tmp = temp_path(path);
    let f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    let mut w = std::io::BufWriter::new(f);
    write(&mut w).map_err(io(&tmp))?;
    let f = w.into_inner().map_err(|e| io(&tmp)(e.into_error()))?;
    f.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.omni-tmp"))
}

fn write_one(format: AudienceFormat, batch: &RecordBatch, path: &Path) -> Result<()> {
    let tmp = temp_path(path);
    let f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    let w = std::io::BufWriter::new(f);
    let schema = batch.schema();
    let batches = [batch.clone()];
    match format {
        AudienceFormat::Jsonl => {
            let mut jw = arrow::json::LineDelimitedWriter::new(w);
            jw.write_batches(&batches.iter().collect::<Vec<_>>())?;
            jw.finish()?;
            let w = jw.into_inner();
            w.into_inner()
                .map_err(|e| io(&tmp)(e.into_error()))?
                .sync_all()
                .map_err(io(&tmp))?;
        }
        _ => {
            let f = match format {
                AudienceFormat::Json => Format::Json,
                AudienceFormat::Parquet => Format::Parquet,
                _ => Format::Csv,
            };
            write_results(f, &schema, &batches, w)?;
        }
    }
    std::fs::rename(&tmp, path).map_err(io(path))
}

fn file_sha256(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(io(path))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(io(path))?;
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

fn write_files(req: &AudienceRequest, batch: &RecordBatch) -> Result<Vec<FileEntry>> {
    if let Some(dir) = req.path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let parts: Vec<(PathBuf, RecordBatch)> = match req.split_rows {
        None => vec![(req.path.clone(), batch.clone())],
        Some(0) => return Err(user("--split-rows must be at least 1")),
        Some(n) => {
            let count = batch.num_rows().div_ceil(n).max(1);
            (0..count)
                .map(|i| {
                    let off = i * n;
                    let len = n.min(batch.num_rows() - off.min(batch.num_rows()));
                    (part_path(&req.path, i + 1), batch.slice(off, len))
                })
                .collect()
        }
    };
    let mut files = Vec::with_capacity(parts.len());
    for (path, b) in &parts {
        write_one(req.format, b, path)?;
        files.push(FileEntry {
            file: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            rows: b.num_rows() as u64,
            sha256: file_sha256(path)?,
        });
    }
    // Parts left over from an earlier, larger export of the same name would be mistaken for
    // this one's.
    if req.split_rows.is_some() {
        let mut n = parts.len() + 1;
        while std::fs::remove_file(part_path(&req.path, n)).is_ok() {
            n += 1;
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests;
