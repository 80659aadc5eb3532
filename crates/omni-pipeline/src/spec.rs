//! The pipeline file (`pipelines/*.toml`), typed. Every section rejects unknown keys.
//! Every key is documented in `docs/pipeline.md`.

use serde::{Deserialize, Serialize};

use omni_ingest::config::SourceConfig;
use omni_profile::config::{ProfileConfig, RfmConfig, SegmentConfig};
use omni_resolve::IdentityConfig;

/// A whole pipeline file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSpec {
    pub pipeline: PipelineSection,
    /// Channel exports, one `[[source]]` table each.
    #[serde(default)]
    pub source: Vec<SourceConfig>,
    #[serde(default)]
    pub identity: IdentityConfig,
    /// Survivorship of golden attributes.
    #[serde(default)]
    pub profile: ProfileConfig,
    #[serde(default)]
    pub rfm: RfmConfig,
    #[serde(default)]
    pub segment: Vec<SegmentConfig>,
    #[serde(default)]
    pub export: Vec<ExportConfig>,
}

/// `[pipeline]`: name and defaults.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSection {
    pub name: String,
    /// Warehouse directory, relative to the pipeline file (`omni build --warehouse` wins).
    #[serde(default = "default_warehouse")]
    pub warehouse: String,
    /// Region for phone numbers written without a country code (ISO 3166 alpha-2).
    #[serde(default = "default_region")]
    pub default_region: String,
    /// Currency of amounts whose source maps no currency column (ISO 4217).
    #[serde(default = "default_currency")]
    pub default_currency: String,
    /// How many published snapshots to keep (older ones are deleted after a build).
    #[serde(default = "default_keep")]
    pub keep_snapshots: usize,
}

fn default_warehouse() -> String {
    "warehouse".into()
}
fn default_region() -> String {
    "ES".into()
}
fn default_currency() -> String {
    "EUR".into()
}
fn default_keep() -> usize {
    5
}

/// `[[export]]`: a file written after each successful build.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExportConfig {
    pub name: String,
    /// A segment name (exports its members' profiles) ...
    #[serde(default)]
    pub segment: Option<String>,
    /// ... or a SQL query over the snapshot.
    #[serde(default)]
    pub query: Option<String>,
    /// `csv`, `json`, `jsonl`, `parquet`, or a platform layout: `meta`, `google`,
    /// `mailchimp`, `klaviyo` (see `audience`).
    pub format: String,
    /// Output path, relative to the pipeline file.
    pub path: String,
    /// Whose consent is checked: `email`, `sms`, `whatsapp`, `push` or `ads` (default: `ads`
    /// for meta and google, `email` otherwise).
    #[serde(default)]
    pub purpose: Option<String>,
    /// Leave out customers without consent for the purpose (default: true for the platform
    /// formats, false for csv/json/jsonl/parquet).
    #[serde(default)]
    pub suppress: Option<bool>,
    /// Split into files of at most this many rows (`NAME-00001.EXT`, ...).
    #[serde(default)]
    pub split_rows: Option<usize>,
}
