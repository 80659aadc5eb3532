//! The run report: what one build did, written into its snapshot (before publishing, so it is
//! part of the atomic snapshot) as `report.json` and as one self-contained `report.html`
//! (inline CSS and SVG charts, no scripts, nothing fetched).
//!
//! [`RunReport`] is plain data; [`to_json`] and [`html::render`] are pure functions of it, and
//! [`drift`] compares it with the previous run's report ([`Baseline`]). The figures that need
//! SQL over the staged tables (coverage, RFM grid, channel overlap) come from [`collect`].
//!
//! Drift warnings (thresholds in [`DriftThresholds`], the defaults below):
//! - a source's rows read move by more than ±30 %;
//! - a source's reject rate rises by more than 2 percentage points *and* at least doubles;
//! - the largest cluster at least doubles *and* grows by 10 records or more;
//! - the number of customers drops by more than 20 %.

pub mod collect;
pub mod html;

use std::collections::BTreeMap;

use omni_ingest::SourceStats;
use omni_profile::segments::SegmentSize;
use omni_resolve::ResolveStats;
use serde::Serialize;

/// File name of the JSON report inside a snapshot.
pub const REPORT_JSON: &str = "report.json";
/// File name of the HTML report inside a snapshot.
pub const REPORT_HTML: &str = "report.html";

/// Everything the report shows.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub run_id: String,
    pub pipeline: String,
    /// The run this one was compared with (the snapshot published before it).
    pub previous_run: Option<String>,
    pub started_at: String,
    pub finished_at: String,
    pub as_of: String,
    pub sources: Vec<SourceStats>,
    pub identity: ResolveStats,
    pub coverage: Coverage,
    pub rfm: RfmGrid,
    /// The pipeline's segments with their movement since the previous run.
    pub segments: Vec<SegmentSize>,
    /// Customers per combination of channels, most common first.
    pub channel_overlap: Vec<ChannelCombo>,
    pub stages: Vec<StageStat>,
    /// Highest resident set size of the build process, in bytes (0 where unknown).
    pub peak_rss_bytes: u64,
    pub drift_thresholds: DriftThresholds,
    pub warnings: Vec<DriftWarning>,
}

/// Profile and consent coverage: customers having each attribute.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Coverage {
    pub customers: u64,
    pub email: u64,
    pub phone: u64,
    pub name: u64,
    pub address: u64,
    /// Customers whose consent for a channel (email, sms, whatsapp, push) is granted.
    pub consent: BTreeMap<String, u64>,
}

/// The RFM grid: `cells[r - 1][f - 1]` customers with recency score r and frequency score f.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RfmGrid {
    pub cells: [[u64; 5]; 5],
    /// Customers in `rfm` without an R or F score.
    pub unscored: u64,
    /// Customers per RFM segment name, largest first.
    pub segments: Vec<NamedCount>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NamedCount {
    pub name: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChannelCombo {
    /// Channels, sorted.
    pub channels: Vec<String>,
    pub customers: u64,
}

/// Wall and CPU time of a stage, and the process's peak memory when it ended.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct StageStat {
    pub stage: String,
    pub wall_secs: f64,
    /// User + system CPU time of the whole process (all threads) during the stage.
    pub cpu_secs: f64,
    /// Resident set size high-water mark after the stage, in bytes.
    pub max_rss_bytes: u64,
}

/// When a change from the previous run is worth a warning.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DriftThresholds {
    /// A source's rows read move by more than this share (0.30: ±30 %).
    pub source_rows_change: f64,
    /// A source's reject rate rises by more than this many percentage points (and doubles).
    pub reject_rate_points: f64,
    /// The largest cluster grows by this factor or more ...
    pub largest_cluster_factor: f64,
    /// ... and by at least this many records.
    pub largest_cluster_min_increase: u64,
    /// Customers drop by more than this share (0.20: −20 %).
    pub customers_drop: f64,
}

impl Default for DriftThresholds {
    fn default() -> Self {
        DriftThresholds {
            source_rows_change: 0.30,
            reject_rate_points: 2.0,
            largest_cluster_factor: 2.0,
            largest_cluster_min_increase: 10,
            customers_drop: 0.20,
        }
    }
}

/// A sharp change from the previous run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DriftWarning {
    /// `source_rows`, `reject_rate`, `largest_cluster` or `customers`.
    pub kind: String,
    /// The source concerned, or `identity`.
    pub subject: String,
    pub previous: f64,
    pub current: f64,
    pub message: String,
}

/// What drift is measured against: the previous run's counts, read from its `report.json`
/// (or, for snapshots older than the report, its `manifest.json`, which has the same keys).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Baseline {
    pub run_id: String,
    /// (source, rows read, rejected)
    pub sources: Vec<(String, u64, u64)>,
    pub customers: u64,
    pub largest_cluster: u64,
}

impl Baseline {
    /// Reads the counts out of a previous report; `None` if the text is not one.
    pub fn from_json(text: &str) -> Option<Baseline> {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        let identity = v.get("identity")?;
        let sources = v
            .get("sources")?
            .as_array()?
            .iter()
            .filter_map(|s| {
                Some((
                    s.get("source")?.as_str()?.to_string(),
                    s.get("rows_read")?.as_u64()?,
                    s.get("rejected")?.as_u64()?,
                ))
            })
            .collect();
        Some(Baseline {
            run_id: v
                .get("run_id")
                .and_then(|r| r.as_str())
                .unwrap_or_default()
                .to_string(),
            sources,
            customers: identity.get("customers")?.as_u64()?,
            largest_cluster: identity.get("largest_cluster")?.as_u64()?,
        })
    }
}

fn rate(rejected: u64, read: u64) -> f64 {
    if read == 0 {
        0.0
    } else {
        100.0 * rejected as f64 / read as f64
    }
}

/// Drift warnings of `current` against the previous run, in a fixed order (sources in the
/// current run's order, then identity).
pub fn drift(
    prev: &Baseline,
    sources: &[SourceStats],
    identity: &ResolveStats,
    t: &DriftThresholds,
) -> Vec<DriftWarning> {
    let mut out = Vec::new();
    for s in sources {
        let Some((_, prev_read, prev_rej)) = prev.sources.iter().find(|p| p.0 == s.source) else {
            continue;
        };
        let (prev_read, prev_rej) = (*prev_read, *prev_rej);
        if prev_read > 0 {
            let change = (s.rows_read as f64 - prev_read as f64) / prev_read as f64;
            if change.abs() > t.source_rows_change {
                out.push(DriftWarning {
                    kind: "source_rows".into(),
                    subject: s.source.clone(),
                    previous: prev_read as f64,
                    current: s.rows_read as f64,
                    message: format!(
                        "source {}: {} rows read, {:+.0}% from {} in the previous run (threshold ±{:.0}%)",
                        s.source,
                        s.rows_read,
                        change * 100.0,
                        prev_read,
                        t.source_rows_change * 100.0
                    ),
                });
            }
        }
        let (before, now) = (rate(prev_rej, prev_read), rate(s.rejected, s.rows_read));
        if now - before > t.reject_rate_points && now >= 2.0 * before {
            out.push(DriftWarning {
                kind: "reject_rate".into(),
                subject: s.source.clone(),
                previous: before,
                current: now,
                message: format!(
                    "source {}: {:.1}% of rows rejected, up from {:.1}% (threshold: +{} points and doubled)",
                    s.source, now, before, t.reject_rate_points
                ),
            });
        }
    }
    let (before, now) = (prev.largest_cluster, identity.largest_cluster);
    if before > 0
        && now as f64 >= t.largest_cluster_factor * before as f64
        && now >= before + t.largest_cluster_min_increase
    {
        out.push(DriftWarning {
            kind: "largest_cluster".into(),
            subject: "identity".into(),
            previous: before as f64,
            current: now as f64,
            message: format!(
                "the largest customer now has {now} records, up from {before} (threshold: ×{} and +{} records); check for an over-merging identifier",
                t.largest_cluster_factor, t.largest_cluster_min_increase
            ),
        });
    }
    let (before, now) = (prev.customers, identity.customers);
    if before > 0 && (before as f64 - now as f64) / before as f64 > t.customers_drop {
        out.push(DriftWarning {
            kind: "customers".into(),
            subject: "identity".into(),
            previous: before as f64,
            current: now as f64,
            message: format!(
                "{now} customers, down {:.0}% from {before} (threshold −{:.0}%)",
                100.0 * (before - now) as f64 / before as f64,
                t.customers_drop * 100.0
            ),
        });
    }
    out
}

/// The report as pretty JSON.
pub fn to_json(r: &RunReport) -> String {
    // Plain data of numbers and strings: serialising cannot fail.
    serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// Peak memory and CPU time of this process so far, from `getrusage(RUSAGE_SELF)`:
/// (max RSS in bytes, user + system CPU seconds). Zeros where unsupported.
pub fn resource_usage() -> (u64, f64) {
    #[cfg(unix)]
    {
        // SAFETY: getrusage only writes the struct we hand it; zeroed is a valid rusage.
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: a valid pointer to a rusage, RUSAGE_SELF is a valid `who`.
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } == 0 {
            let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
            // Linux reports kilobytes, macOS bytes.
            let unit = if cfg!(target_os = "macos") { 1 } else { 1024 };
            return (
                (u.ru_maxrss as u64).saturating_mul(unit),
                secs(u.ru_utime) + secs(u.ru_stime),
            );
        }
        (0, 0.0)
    }
    #[cfg(not(unix))]
    {
        (0, 0.0)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn src(name: &str, read: u64, rejected: u64) -> SourceStats {
        SourceStats {
            source: name.into(),
            files: 1,
            rows_read: read,
            accepted: read - rejected,
            rejected,
            transactions: 0,
            reject_reasons: BTreeMap::new(),
        }
    }

    /// A small report with every section filled, for the renderers' tests.
    pub(crate) fn sample() -> RunReport {
        let mut grid = RfmGrid::default();
        grid.cells[4][4] = 7;
        grid.cells[0][0] = 2;
        grid.unscored = 1;
        grid.segments = vec![NamedCount {
            name: "Champions".into(),
            count: 7,
        }];
        RunReport {
            run_id: "20261122T100000000Z-abcdef12".into(),
            pipeline: "demo".into(),
            previous_run: None,
            started_at: "2026-11-22T10:00:00Z".into(),
            finished_at: "2026-11-22T10:00:03Z".into(),
            as_of: "2026-11-01".into(),
            sources: vec![SourceStats {
                reject_reasons: [("event_ts".to_string(), 1)].into(),
                ..src("web", 3, 1)
            }],
            identity: ResolveStats {
                records: 2,
                customers: 1,
                largest_cluster: 2,
                links_by_rule: [("email".to_string(), 1)].into(),
                cluster_sizes: [(2, 1)].into(),
                match_weights: vec![omni_resolve::WeightBin {
                    lo: 0.0,
                    hi: 2.0,
                    linked: 1,
                    rejected: 3,
                }],
                largest_clusters: vec![omni_resolve::ClusterSummary {
                    customer_id: "c_1".into(),
                    records: 2,
                }],
                ..Default::default()
            },
            coverage: Coverage {
                customers: 1,
                email: 1,
                consent: [("email".to_string(), 1)].into(),
                ..Default::default()
            },
            rfm: grid,
            segments: vec![SegmentSize {
                segment: "vip".into(),
                members: 1,
                entered: 1,
                exited: 0,
            }],
            channel_overlap: vec![ChannelCombo {
                channels: vec!["store".into(), "web".into()],
                customers: 1,
            }],
            stages: vec![StageStat {
                stage: "ingest".into(),
                wall_secs: 1.5,
                cpu_secs: 2.0,
                max_rss_bytes: 100 << 20,
            }],
            peak_rss_bytes: 100 << 20,
            drift_thresholds: DriftThresholds::default(),
            warnings: Vec::new(),
        }
    }

    fn identity(customers: u64, largest: u64) -> ResolveStats {
        ResolveStats {
            customers,
            largest_cluster: largest,
            ..Default::default()
        }
    }

    fn base() -> Baseline {
        Baseline {
            run_id: "r0".into(),
            sources: vec![("web".into(), 1000, 10), ("pos".into(), 1000, 10)],
            customers: 500,
            largest_cluster: 20,
        }
    }

    #[test]
    fn no_warnings_within_thresholds() {
        let w = drift(
            &base(),
            &[src("web", 1300, 30), src("pos", 700, 10), src("new", 5, 5)],
            &identity(400, 39),
            &DriftThresholds::default(),
        );
        assert_eq!(
            w,
            vec![],
            "30% moves, +2 points, ×1.95, −20% are all allowed"
        );
    }

    #[test]
    fn warns_past_each_threshold() {
        let w = drift(
            &base(),
            &[src("web", 1301, 10), src("pos", 1000, 31)],
            &identity(399, 40),
            &DriftThresholds::default(),
        );
        let kinds: Vec<(&str, &str)> = w
            .iter()
            .map(|w| (w.kind.as_str(), w.subject.as_str()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("source_rows", "web"),
                ("reject_rate", "pos"),
                ("largest_cluster", "identity"),
                ("customers", "identity"),
            ]
        );
        assert!(w[0].message.contains("+30%") && w[0].message.contains("1301"));
        assert_eq!((w[1].previous, w[1].current), (1.0, 3.1));
    }

    #[test]
    fn reject_rate_must_also_double() {
        // 10% → 12.5%: +2.5 points but not doubled.
        let prev = Baseline {
            sources: vec![("web".into(), 1000, 100)],
            ..base()
        };
        let w = drift(
            &prev,
            &[src("web", 1000, 125)],
            &identity(500, 20),
            &DriftThresholds::default(),
        );
        assert!(w.is_empty(), "{w:?}");
        // A small cluster doubling by fewer than 10 records is no warning either.
        let prev = Baseline {
            largest_cluster: 3,
            ..base()
        };
        let w = drift(&prev, &[], &identity(500, 12), &DriftThresholds::default());
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn baseline_reads_reports_and_manifests() {
        let text = r#"{"run_id": "r9", "sources": [{"source": "web", "rows_read": 7, "rejected": 2, "accepted": 5}],
                      "identity": {"customers": 3, "largest_cluster": 4}}"#;
        let b = Baseline::from_json(text).unwrap();
        assert_eq!(b.run_id, "r9");
        assert_eq!(b.sources, vec![("web".to_string(), 7, 2)]);
        assert_eq!((b.customers, b.largest_cluster), (3, 4));
        assert_eq!(Baseline::from_json("{\"sources\": []}"), None);
        assert_eq!(Baseline::from_json("not json"), None);
    }

    #[test]
    fn resource_usage_is_measured() {
        let (rss, cpu) = resource_usage();
        if cfg!(unix) {
            assert!(
                rss > 1024 * 1024,
                "a test process uses more than 1 MB: {rss}"
            );
            assert!(cpu >= 0.0);
        }
    }
}
