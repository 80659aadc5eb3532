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
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum FieldSpec {
    Column(String),
    Detailed(DetailedField),
}

/// Written by hand rather than `#[serde(untagged)]` so that a mistake inside the table (an
/// unknown key, a bad `part`) is reported as itself, not as "did not match any variant".
impl<'de> Deserialize<'de> for FieldSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = FieldSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a column name, or a table such as { column = \"...\", formats = [...] }, \
                     { concat = [\"a\", \"b\"], sep = \" \" } or { split = \"name\", part = \"first\" }",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<FieldSpec, E> {
                Ok(FieldSpec::Column(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<FieldSpec, A::Error> {
                DetailedField::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(FieldSpec::Detailed)
            }
        }
        d.deserialize_any(V)
    }
}

/// A field read through options or an expression. Exactly one of `column`, `concat` and
/// `split` is given (checked by [`FieldSpec::problems`]).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DetailedField {
    /// Source column (a dotted path such as `user.email` for nested JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Columns whose non-empty values are joined with `sep` (`address = { concat =
    /// ["line1", "line2"], sep = ", " }`); empty values are skipped, all empty is null.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub concat: Vec<String>,
    /// Separator of `concat` (default one space).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sep: Option<String>,
    /// A full-name column split into given name and surnames (`first_name = { split =
    /// "nombre", part = "first" }`), as `full_name` is split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<String>,
    /// Which part of `split` this field takes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<NamePart>,
    /// chrono formats tried in order for timestamps and dates (`%d/%m/%Y %H:%M`), or `epoch`
    /// for Unix seconds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub formats: Vec<String>,
}

/// The part of a split full name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NamePart {
    /// The given name(s).
    First,
    /// The surname(s).
    Last,
}

/// Where a field's text comes from.
#[derive(Debug, Clone, Copy)]
pub enum FieldExpr<'a> {
    Column(&'a str),
    Concat { columns: &'a [String], sep: &'a str },
    Split { column: &'a str, part: NamePart },
}

impl FieldSpec {
    /// Where the field's text comes from. A spec with problems ([`FieldSpec::problems`])
    /// reads its `column` (or nothing, an empty column name).
    pub fn expr(&self) -> FieldExpr<'_> {
        match self {
            FieldSpec::Column(c) => FieldExpr::Column(c),
            FieldSpec::Detailed(d) => {
                if !d.concat.is_empty() {
                    FieldExpr::Concat {
                        columns: &d.concat,
                        sep: d.sep.as_deref().unwrap_or(" "),
                    }
                } else if let (Some(column), Some(part)) = (&d.split, d.part) {
                    FieldExpr::Split { column, part }
                } else {
                    FieldExpr::Column(d.column.as_deref().unwrap_or(""))
                }
            }
        }
    }

    /// Every source column the field reads.
    pub fn columns(&self) -> Vec<&str> {
        match self.expr() {
            FieldExpr::Column(c) => vec![c],
            FieldExpr::Concat { columns, .. } => columns.iter().map(String::as_str).collect(),
            FieldExpr::Split { column, .. } => vec![column],
        }
    }

    pub fn formats(&self) -> &[String] {
        match self {
            FieldSpec::Column(_) => &[],
            FieldSpec::Detailed(d) => &d.formats,
        }
    }

    /// What is wrong with the spec's keys, each message with the fix; empty when fine.
    pub fn problems(&self) -> Vec<String> {
        let FieldSpec::Detailed(d) = self else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let given = usize::from(d.column.is_some())
            + usize::from(!d.concat.is_empty())
            + usize::from(d.split.is_some());
        if given != 1 {
            out.push(
                "give exactly one of `column = \"...\"`, `concat = [\"...\", ...]` or \
                 `split = \"...\"` (with `part = \"first\"` or `\"last\"`)"
                    .to_string(),
            );
        }
        if d.concat.iter().any(|c| c.trim().is_empty()) {
            out.push("`concat` lists an empty column name; list the columns to join".into());
        }
        if d.sep.is_some() && d.concat.is_empty() {
            out.push("`sep` is the separator of `concat`; remove it or add `concat`".into());
        }
        match (&d.split, d.part) {
            (Some(_), None) => out.push(
                "`split` needs `part = \"first\"` (given name) or `part = \"last\"` (surnames)"
                    .into(),
            ),
            (None, Some(_)) => out.push(
                "`part` goes with `split = \"<full name column>\"`; add `split` or remove `part`"
                    .into(),
            ),
            _ => {}
        }
        if [d.column.as_deref(), d.split.as_deref()]
            .into_iter()
            .flatten()
            .any(|c| c.trim().is_empty())
        {
            out.push("the column name is empty; give the source column".into());
        }
        out
    }
}
