//! The `[[source]]` section of a pipeline file: where a channel export is and how its columns
//! map to canonical fields. Deserialised by `omni-pipeline`, which adds file/key context to
//! every validation message.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// File format of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Jsonl,
    Parquet,
}

/// One channel export.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// Name of the source; becomes `source` in every table.
    pub name: String,
    /// Channel the source belongs to (`web`, `store`, `app`, `call_centre`, `messaging`, ...).
    pub channel: String,
    /// A file path or glob, relative to the pipeline file.
    pub path: String,
    pub format: Format,
    /// CSV reader options.
    #[serde(default)]
    pub csv: CsvOptions,
    /// Amounts use a decimal comma (`1.234,50`).
    #[serde(default)]
    pub decimal_comma: bool,
    /// Canonical field → source column (or a table with `column` and `formats`).
    pub fields: BTreeMap<String, FieldSpec>,
    /// Present when every row of the source is also a transaction (order, ticket, return).
    #[serde(default)]
    pub transaction: Option<BTreeMap<String, FieldSpec>>,
}

/// CSV dialect.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CsvOptions {
    /// One character; `"\t"` for tabs.
    #[serde(default = "default_delimiter")]
    pub delimiter: String,
    /// One character, or empty for no quoting.
    #[serde(default = "default_quote")]
    pub quote: String,
    #[serde(default = "default_true")]
    pub has_header: bool,
    /// Column names when the file has no header.
    #[serde(default)]
    pub columns: Vec<String>,
}

fn default_delimiter() -> String {
    ",".into()
}
fn default_quote() -> String {
    "\"".into()
}
fn default_true() -> bool {
    true
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: default_delimiter(),
            quote: default_quote(),
            has_header: true,
            columns: Vec::new(),
        }
    }
}

impl CsvOptions {
    /// The delimiter byte, or a message saying what is wrong.
    pub fn delimiter_byte(&self) -> Result<u8, String> {
        single_ascii(&self.delimiter).ok_or_else(|| {
            format!(
                "delimiter must be one ASCII character such as \",\" \";\" or \"\\t\", not {:?}",
                self.delimiter
            )
        })
    }

    /// The quote byte (None: no quoting), or a message saying what is wrong.
    pub fn quote_byte(&self) -> Result<Option<u8>, String> {
        if self.quote.is_empty() {
            return Ok(None);
        }
        single_ascii(&self.quote).map(Some).ok_or_else(|| {
            format!(
                "quote must be one ASCII character or \"\" for none, not {:?}",
                self.quote
            )
        })
    }
}

fn single_ascii(s: &str) -> Option<u8> {
    let b = s.as_bytes();
    (b.len() == 1 && b[0].is_ascii() && b[0] != b'\n' && b[0] != b'\r').then(|| b[0])
}

/// How one canonical field is read: a column name, or a table with options.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum FieldSpec {
    Column(String),
    Detailed(DetailedField),
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DetailedField {
    /// Source column (a dotted path such as `user.email` for nested JSON).
    pub column: String,
    /// chrono formats tried in order for timestamps and dates (`%d/%m/%Y %H:%M`), or `epoch`
    /// for Unix seconds.
    #[serde(default)]
    pub formats: Vec<String>,
}

impl FieldSpec {
    pub fn column(&self) -> &str {
        match self {
            FieldSpec::Column(c) => c,
            FieldSpec::Detailed(d) => &d.column,
        }
    }

    pub fn formats(&self) -> &[String] {
        match self {
            FieldSpec::Column(_) => &[],
            FieldSpec::Detailed(d) => &d.formats,
        }
    }
}
