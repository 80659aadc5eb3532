//! The `[rfm]` and `[[segment]]` sections of a pipeline file.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// RFM settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RfmConfig {
    /// Reference date (`YYYY-MM-DD`) for recency; default: the build date (UTC).
    #[serde(default)]
    pub as_of: Option<String>,
    /// Score-to-segment mapping; replaces [`default_segment_rules`] when given.
    #[serde(default)]
    pub segments: Vec<RfmSegmentRule>,
}

/// One named RFM segment: customers whose R score and F score fall in the ranges.
/// Rules are tried in order; the first match names the segment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RfmSegmentRule {
    pub name: String,
    /// Inclusive range of recency scores, e.g. `[4, 5]`.
    pub r: [u8; 2],
    /// Inclusive range of frequency scores.
    pub f: [u8; 2],
}

/// The classic R × F grid, eleven segments, covering all 25 cells.
pub fn default_segment_rules() -> Vec<RfmSegmentRule> {
    let rule = |name: &str, r: [u8; 2], f: [u8; 2]| RfmSegmentRule {
        name: name.into(),
        r,
        f,
    };
    vec![
        rule("Champions", [5, 5], [4, 5]),
        rule("Loyal", [3, 4], [4, 5]),
        rule("Potential Loyalist", [4, 5], [2, 3]),
        rule("New", [5, 5], [1, 1]),
        rule("Promising", [4, 4], [1, 1]),
        rule("Need Attention", [3, 3], [3, 3]),
        rule("About to Sleep", [3, 3], [1, 2]),
        rule("Can't Lose Them", [1, 2], [5, 5]),
        rule("At Risk", [1, 2], [3, 4]),
        rule("Lost", [1, 1], [1, 1]),
        rule("Hibernating", [1, 2], [1, 2]),
    ]
}

impl RfmConfig {
    /// The rules in force.
    pub fn rules(&self) -> Vec<RfmSegmentRule> {
        if self.segments.is_empty() {
            default_segment_rules()
        } else {
            self.segments.clone()
        }
    }

    /// The reference date, or a message naming the fix.
    pub fn as_of_date(&self, today: NaiveDate) -> Result<NaiveDate, String> {
        match &self.as_of {
            None => Ok(today),
            Some(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map_err(|_| format!("as_of = {s:?} is not a date: write it as \"YYYY-MM-DD\"")),
        }
    }

    /// Every problem with the settings: bad date, score ranges outside 1–5, grid cells no
    /// rule covers (a customer there would get no segment).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Err(m) = self.as_of_date(NaiveDate::MIN) {
            out.push(("rfm.as_of".to_string(), m));
        }
        let rules = self.rules();
        for (i, r) in rules.iter().enumerate() {
            for (k, v) in [("r", r.r), ("f", r.f)] {
                if !(1..=5).contains(&v[0]) || !(1..=5).contains(&v[1]) || v[0] > v[1] {
                    out.push((
                        format!("rfm.segments[{i}].{k}"),
                        format!(
                            "{k} = [{}, {}] must be an inclusive range within 1..5, low first",
                            v[0], v[1]
                        ),
                    ));
                }
            }
            if r.name.trim().is_empty() {
                out.push((
                    format!("rfm.segments[{i}].name"),
                    "segment names cannot be empty".into(),
                ));
            }
        }
        let uncovered: Vec<String> = (1..=5u8)
            .flat_map(|r| (1..=5u8).map(move |f| (r, f)))
            .filter(|(r, f)| {
                !rules
                    .iter()
                    .any(|x| (x.r[0]..=x.r[1]).contains(r) && (x.f[0]..=x.f[1]).contains(f))
            })
            .map(|(r, f)| format!("(r={r}, f={f})"))
            .collect();
        if !uncovered.is_empty() {
            out.push((
                "rfm.segments".into(),
                format!(
                    "no rule covers {}: add rules so that every R × F cell has a segment",
                    uncovered.join(", ")
                ),
            ));
        }
        out
    }
}

/// A segment defined in SQL: a query returning a `customer_id` column.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentConfig {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Runs against the new snapshot's tables (`profiles`, `rfm`, `transactions`, ...).
    pub sql: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_grid_covers_every_cell() {
        assert!(RfmConfig::default().problems().is_empty());
    }

    #[test]
    fn gaps_and_bad_dates_are_reported() {
        let cfg = RfmConfig {
            as_of: Some("01/11/2026".into()),
            segments: vec![RfmSegmentRule {
                name: "All but one".into(),
                r: [1, 5],
                f: [1, 4],
            }],
        };
        let p = cfg.problems();
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(p[0].0, "rfm.as_of");
        assert!(p[1].1.contains("(r=1, f=5)"));
    }
}

/// How a golden attribute is chosen among a customer's records. Empty values never win.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Survivorship {
    /// The value of the most recent record (by `event_ts`).
    MostRecent,
    /// The value most records agree on (ties: the most recent).
    MostFrequent,
    /// The longest value, as the most complete (ties: the most recent).
    Longest,
    /// The value from the first source in this list that has one (ties: the most recent);
    /// sources not listed come last.
    SourcePriority(Vec<String>),
}

/// Golden attributes whose survivorship can be configured.
pub const GOLDEN_ATTRIBUTES: &[&str] = &[
    "first_name",
    "last_name",
    "full_name",
    "email",
    "phone",
    "birth_date",
    "address",
    "postcode",
    "city",
    "country",
];

/// The `[profile]` section of a pipeline file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileConfig {
    /// Rule per golden attribute; attributes not listed use `most_recent`.
    #[serde(default)]
    pub survivorship: std::collections::BTreeMap<String, Survivorship>,
}

impl ProfileConfig {
    /// The rule for an attribute.
    pub fn rule(&self, attribute: &str) -> &Survivorship {
        self.survivorship
            .get(attribute)
            .unwrap_or(&Survivorship::MostRecent)
    }

    /// Problems with the section, given the pipeline's source names.
    pub fn problems(&self, sources: &[&str]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (attr, rule) in &self.survivorship {
            let key = format!("profile.survivorship.{attr}");
            if !GOLDEN_ATTRIBUTES.contains(&attr.as_str()) {
                let hint = omni_core::suggest(attr, GOLDEN_ATTRIBUTES.iter().copied())
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                out.push((
                    key.clone(),
                    format!(
                        "`{attr}` is not a golden attribute; {hint}they are: {}",
                        GOLDEN_ATTRIBUTES.join(", ")
                    ),
                ));
            }
            if let Survivorship::SourcePriority(list) = rule {
                if list.is_empty() {
                    out.push((
                        key.clone(),
                        "source_priority needs at least one source".into(),
                    ));
                }
                for s in list {
                    if !sources.contains(&s.as_str()) {
                        let hint = omni_core::suggest(s, sources.iter().copied())
                            .map(|x| format!("; did you mean `{x}`?"))
                            .unwrap_or_default();
                        out.push((key.clone(), format!("no source named `{s}`{hint}")));
                    }
                }
            }
        }
        out
    }
}
