//! Loading and validating a pipeline file before anything runs. Every message names the
//! file, the key and the fix; all problems are reported at once, not one per run.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use omni_ingest::normalize::PhoneNormalizer;
use omni_ingest::{check_columns, mapping::mapping_problems, source_files};

use crate::error::{Error, Result};
use crate::spec::PipelineSpec;

/// A validated pipeline, with its sources' files resolved.
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub spec: PipelineSpec,
    /// The pipeline file.
    pub file: PathBuf,
    /// Relative paths in the file are relative to this directory.
    pub base_dir: PathBuf,
    /// The files of each source, in `spec.source` order.
    pub files: Vec<Vec<PathBuf>>,
    /// Hash of the file's text, recorded with each run.
    pub config_hash: String,
}

impl Pipeline {
    /// The warehouse directory: `override_dir`, else the file's `warehouse` key.
    pub fn warehouse_dir(&self, override_dir: Option<&Path>) -> PathBuf {
        match override_dir {
            Some(d) => d.to_path_buf(),
            None => omni_ingest::clean_path(&self.base_dir.join(&self.spec.pipeline.warehouse)),
        }
    }

    pub fn resolve_path(&self, p: &str) -> PathBuf {
        omni_ingest::clean_path(&self.base_dir.join(p))
    }
}

/// Turns a TOML/serde error into "line:col: message; did you mean ...".
fn toml_message(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().to_string();
    let pos = e.span().map(|s| {
        let before = &text[..s.start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let col = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
        format!("line {line}, column {col}: ")
    });
    let mut hint = String::new();
    // serde: "unknown field `delimter`, expected one of `delimiter`, `quote`"
    if let Some(rest) = msg.strip_prefix("unknown field `")
        && let Some((bad, tail)) = rest.split_once('`')
    {
        let expected: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
        if let Some(s) = omni_core::suggest(bad, expected.iter().copied()) {
            hint = format!("; did you mean `{s}`?");
        } else {
            hint = "; remove it or fix its spelling (see docs/pipeline.md)".into();
        }
    } else if msg.starts_with("missing field `") {
        hint = "; add it (see docs/pipeline.md)".into();
    }
    format!("{}{msg}{hint}", pos.unwrap_or_default())
}

/// Reads, parses and validates a pipeline file, and checks that every source's files exist
/// and have the mapped columns.
pub fn load(path: &Path) -> Result<Pipeline> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::ReadConfig {
        file: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// [`load`] for text already read.
pub fn parse(path: &Path, text: &str) -> Result<Pipeline> {
    let config_err = |problems: Vec<String>| Error::Config {
        file: path.to_path_buf(),
        problems,
    };
    let spec: PipelineSpec =
        toml::from_str(text).map_err(|e| config_err(vec![toml_message(text, &e)]))?;
    let base_dir = path
        .parent()
        .map(Path::to_path_buf)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    let mut problems: Vec<String> = Vec::new();
    let mut p = |key: String, msg: String| problems.push(format!("key `{key}`: {msg}"));

    let ps = &spec.pipeline;
    if ps.name.trim().is_empty() {
        p("pipeline.name".into(), "give the pipeline a name".into());
    }
    if let Err(m) = PhoneNormalizer::new(&ps.default_region) {
        p("pipeline.default_region".into(), m);
    }
    if !(ps.default_currency.len() == 3
        && ps.default_currency.chars().all(|c| c.is_ascii_uppercase()))
    {
        p(
            "pipeline.default_currency".into(),
            format!(
                "{:?} is not an ISO 4217 code such as \"EUR\"",
                ps.default_currency
            ),
        );
    }
    if ps.keep_snapshots == 0 {
        p(
            "pipeline.keep_snapshots".into(),
            "keep at least 1 snapshot (the published one)".into(),
        );
    }
    if spec.source.is_empty() {
        p(
            "source".into(),
            "the pipeline has no [[source]]: add at least one channel export".into(),
        );
    }

    let mut names = HashSet::new();
    for (i, s) in spec.source.iter().enumerate() {
        let at = if s.name.is_empty() {
            format!("source[{i}]")
        } else {
            format!("source[{}]", s.name)
        };
        if !is_identifier(&s.name) {
            p(
                format!("{at}.name"),
                format!(
                    "{:?} must be a name of letters, digits and _ (it becomes the `source` value in every table)",
                    s.name
                ),
            );
        }
        if !names.insert(s.name.as_str()) {
            p(
                format!("{at}.name"),
                "two sources have this name; names must be unique".into(),
            );
        }
        if s.channel.trim().is_empty() {
            p(
                format!("{at}.channel"),
                "give the channel (web, store, app, call_centre, messaging, ...)".into(),
            );
        }
        if let Err(m) = s.csv.delimiter_byte() {
            p(format!("{at}.csv.delimiter"), m);
        }
        if let Err(m) = s.csv.quote_byte() {
            p(format!("{at}.csv.quote"), m);
        }
        if !s.csv.has_header && s.csv.columns.is_empty() {
            p(
                format!("{at}.csv.columns"),
                "with has_header = false, list the column names in csv.columns".into(),
            );
        }
        for (key, msg) in mapping_problems(s) {
            p(format!("{at}.{key}"), msg);
        }
    }

    if let Err(e) = omni_resolve::validate(&spec.identity) {
        p("identity".into(), e.to_string());
    }
    if spec.identity.max_records_per_value < 2 {
        p(
            "identity.max_records_per_value".into(),
            "must be at least 2 (a value shared by 2 records is what links them)".into(),
        );
    }
    for (key, msg) in spec.rfm.problems() {
        p(key, msg);
    }
    let source_names: Vec<&str> = spec.source.iter().map(|s| s.name.as_str()).collect();
    for (key, msg) in spec.profile.problems(&source_names) {
        p(key, msg);
    }
    let mut seg_names = HashSet::new();
    for (i, s) in spec.segment.iter().enumerate() {
        let at = format!("segment[{i}]");
        if s.name.trim().is_empty() {
            p(format!("{at}.name"), "segments need a name".into());
        }
        if !seg_names.insert(s.name.as_str()) {
            p(
                format!("{at}.name"),
                format!("segment `{}` is defined twice", s.name),
            );
        }
        if s.sql.trim().is_empty() {
            p(
                format!("{at}.sql"),
                "write a query returning customer_id".into(),
            );
        }
    }
    let mut export_names = HashSet::new();
    for (i, x) in spec.export.iter().enumerate() {
        let at = format!(
            "export[{}]",
            if x.name.is_empty() {
                i.to_string()
            } else {
                x.name.clone()
            }
        );
        if !export_names.insert(x.name.as_str()) {
            p(format!("{at}.name"), "export names must be unique".into());
        }
        match (&x.segment, &x.query) {
            (Some(_), Some(_)) | (None, None) => p(
                at.clone(),
                "give exactly one of `segment` or `query`".into(),
            ),
            (Some(seg), None) if !seg_names.contains(seg.as_str()) => {
                let hint = omni_core::suggest(seg, seg_names.iter().copied())
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                p(
                    format!("{at}.segment"),
                    format!("no segment named `{seg}`; {hint}define it in a [[segment]]"),
                );
            }
            _ => {}
        }
        if let Err(e) = x.format.parse::<crate::audience::AudienceFormat>() {
            p(format!("{at}.format"), e);
        }
        if let Some(Err(e)) = x
            .purpose
            .as_ref()
            .map(|v| v.parse::<crate::audience::Purpose>())
        {
            p(format!("{at}.purpose"), e);
        }
        if x.split_rows == Some(0) {
            p(
                format!("{at}.split_rows"),
                "must be at least 1 (or leave it out for one file)".into(),
            );
        }
    }
    if !problems.is_empty() {
        return Err(config_err(problems));
    }

    // Files and columns: checked per source, all reported together.
    let mut files = Vec::with_capacity(spec.source.len());
    let mut file_problems = Vec::new();
    for s in &spec.source {
        match source_files(s, &base_dir).and_then(|f| check_columns(s, &f).map(|_| f)) {
            Ok(f) => files.push(f),
            Err(e) => {
                let key = match &e {
                    omni_ingest::Error::UnknownColumn { key, .. } => {
                        format!("source[{}].{key}", s.name)
                    }
                    _ => format!("source[{}].path", s.name),
                };
                let fix = match &e {
                    omni_ingest::Error::Io { .. } => " (paths are relative to the pipeline file)",
                    _ => "",
                };
                file_problems.push(format!("key `{key}`: {e}{fix}"));
                files.push(Vec::new());
            }
        }
    }
    if !file_problems.is_empty() {
        return Err(config_err(file_problems));
    }
    Ok(Pipeline {
        config_hash: omni_core::ids::sha256_hex(text.as_bytes()),
        spec,
        file: path.to_path_buf(),
        base_dir,
        files,
    })
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

/// Blocked values of the identity config, normalised like the data they are compared with.
pub fn normalized_blocked(p: &Pipeline) -> HashMap<String, HashSet<String>> {
    let phone = PhoneNormalizer::new(&p.spec.pipeline.default_region).ok();
    let mut out: HashMap<String, HashSet<String>> = HashMap::new();
    for (rule, values) in &p.spec.identity.blocked_values {
        let set = out.entry(rule.clone()).or_default();
        for v in values {
            let n = match rule.as_str() {
                "email" => omni_ingest::normalize::normalize_email(v).map(|e| e.match_key),
                "phone" => phone.and_then(|ph| ph.normalize(v)),
                _ => omni_ingest::normalize::normalize_id(v),
            };
            if let Some(n) = n {
                set.insert(n);
            }
        }
    }
    out
}
