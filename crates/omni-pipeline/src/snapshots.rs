//! Listing published snapshots (`omni runs`) and republishing an earlier one
//! (`omni rollback`).

use std::path::Path;

use omni_sql::Warehouse;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::lock::BuildLock;

/// One snapshot of a warehouse, as its manifest describes it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SnapshotInfo {
    pub run_id: String,
    pub published: bool,
    pub pipeline: String,
    pub finished_at: String,
    pub rows_read: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub records: u64,
    pub customers: u64,
    pub seconds: f64,
}

fn info(wh: &Warehouse, run_id: &str, current: Option<&str>) -> Result<SnapshotInfo> {
    let path = wh.snapshot_dir(run_id).join(omni_sql::warehouse::MANIFEST);
    let text = std::fs::read_to_string(&path).map_err(crate::error::io(&path))?;
    let m: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::Internal(format!("{}: {e}", path.display())))?;
    let sum = |key: &str| -> u64 {
        m["sources"]
            .as_array()
            .map(|a| a.iter().filter_map(|s| s[key].as_u64()).sum())
            .unwrap_or(0)
    };
    Ok(SnapshotInfo {
        run_id: run_id.to_string(),
        published: current == Some(run_id),
        pipeline: m["pipeline"].as_str().unwrap_or_default().to_string(),
        finished_at: m["finished_at"].as_str().unwrap_or_default().to_string(),
        rows_read: sum("rows_read"),
        accepted: sum("accepted"),
        rejected: sum("rejected"),
        records: m["identity"]["records"].as_u64().unwrap_or(0),
        customers: m["identity"]["customers"].as_u64().unwrap_or(0),
        seconds: m["timings"]
            .as_array()
            .map(|t| t.iter().filter_map(|x| x[1].as_f64()).sum())
            .unwrap_or(0.0),
    })
}

/// Every complete snapshot of the warehouse, oldest first.
pub fn list(dir: &Path) -> Result<Vec<SnapshotInfo>> {
    let wh = Warehouse::new(dir);
    let current = wh.current()?;
    wh.snapshots()?
        .iter()
        .map(|id| info(&wh, id, current.as_deref()))
        .collect()
}

/// Republishes snapshot `run` (default: the one before the published one) and returns its
/// run id. Takes the build lock, so it never races a build.
pub fn rollback(dir: &Path, run: Option<&str>) -> Result<String> {
    let wh = Warehouse::new(dir);
    let current = wh.current()?.ok_or_else(|| {
        Error::Sql(omni_sql::Error::NoSnapshot {
            path: dir.to_path_buf(),
        })
    })?;
    let _lock = BuildLock::acquire(dir)?;
    let all = wh.snapshots()?;
    let target = match run {
        Some(r) => {
            if !all.iter().any(|s| s == r) {
                let hint = omni_core::suggest(r, all.iter().map(String::as_str))
                    .map(|s| format!(" did you mean {s}?"))
                    .unwrap_or_default();
                return Err(Error::User(format!(
                    "no snapshot {r} in {};{hint} `omni runs` lists them",
                    dir.display()
                )));
            }
            r.to_string()
        }
        None => {
            let pos = all.iter().position(|s| *s == current).unwrap_or(all.len());
            match pos.checked_sub(1).and_then(|p| all.get(p)) {
                Some(prev) => prev.clone(),
                None => {
                    return Err(Error::User(format!(
                        "{current} is the oldest snapshot in {}: there is nothing to roll back to",
                        dir.display()
                    )));
                }
            }
        }
    };
    wh.publish(&target)?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    const R1: &str = "20261122T100000000Z-aaaa";
    const R2: &str = "20261122T110000000Z-bbbb";

    fn fake_snapshot(wh: &Warehouse, id: &str, customers: u64) {
        let d = wh.snapshot_dir(id);
        std::fs::create_dir_all(&d).unwrap();
        let m = serde_json::json!({
            "pipeline": "p", "finished_at": "t",
            "sources": [{"rows_read": 3, "accepted": 2, "rejected": 1}],
            "identity": {"records": 2, "customers": customers},
            "timings": [["ingest", 0.5], ["resolve", 0.25]],
        });
        std::fs::write(d.join(omni_sql::warehouse::MANIFEST), m.to_string()).unwrap();
    }

    #[test]
    fn lists_and_rolls_back() {
        let d = tempfile::tempdir().unwrap();
        let wh = Warehouse::new(d.path());
        fake_snapshot(&wh, R1, 10);
        fake_snapshot(&wh, R2, 11);
        wh.publish(R2).unwrap();
        let l = list(d.path()).unwrap();
        assert_eq!(l.len(), 2);
        assert!(l[1].published && !l[0].published);
        assert_eq!((l[0].rows_read, l[0].rejected, l[0].customers), (3, 1, 10));
        assert_eq!(l[0].seconds, 0.75);

        assert_eq!(rollback(d.path(), None).unwrap(), R1);
        assert_eq!(wh.current().unwrap().as_deref(), Some(R1));
        // r1 is the oldest: nothing before it.
        assert!(matches!(rollback(d.path(), None), Err(Error::User(_))));
        // Forward again by name; unknown names are user errors with a hint.
        assert_eq!(rollback(d.path(), Some(R2)).unwrap(), R2);
        let e = rollback(d.path(), Some("20261122T11000000Z-bbbb"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no snapshot 20261122T11000000Z-bbbb") && e.contains("did you mean"),
            "{e}"
        );
    }
}
