//! The warehouse directory: snapshots of Parquet tables and a pointer to the published one.
//!
//! ```text
//! warehouse/
//!   CURRENT                      name of the published snapshot (replaced atomically)
//!   snapshots/<run_id>/          one directory per build: <table>.parquet, manifest.json
//!   snapshots/.staging-<run_id>/ a build in progress (renamed into place when complete)
//! ```
//! A reader resolves `CURRENT` once and reads that whole snapshot, so a build publishing
//! meanwhile is never seen half-way.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub const CURRENT: &str = "CURRENT";
pub const SNAPSHOTS: &str = "snapshots";
pub const STAGING_PREFIX: &str = ".staging-";
pub const MANIFEST: &str = "manifest.json";

/// A warehouse root directory.
#[derive(Debug, Clone)]
pub struct Warehouse {
    root: PathBuf,
}

impl Warehouse {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Warehouse { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn snapshots_dir(&self) -> PathBuf {
        self.root.join(SNAPSHOTS)
    }

    pub fn snapshot_dir(&self, run_id: &str) -> PathBuf {
        self.snapshots_dir().join(run_id)
    }

    pub fn staging_dir(&self, run_id: &str) -> PathBuf {
        self.snapshots_dir()
            .join(format!("{STAGING_PREFIX}{run_id}"))
    }

    /// The published snapshot's run id, if any.
    pub fn current(&self) -> Result<Option<String>> {
        let p = self.root.join(CURRENT);
        match std::fs::read_to_string(&p) {
            Ok(s) => {
                let id = s.trim().to_string();
                if id.is_empty() || id.contains(['/', '\\']) || id.starts_with('.') {
                    return Err(Error::Corrupt {
                        path: p,
                        message: format!("CURRENT holds {s:?}, not a snapshot name"),
                    });
                }
                Ok(Some(id))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::Io { path: p, source }),
        }
    }

    /// The directory of the published snapshot, or a user error telling how to make one.
    pub fn current_dir(&self) -> Result<PathBuf> {
        let id = self.current()?.ok_or_else(|| Error::NoSnapshot {
            path: self.root.clone(),
        })?;
        let dir = self.snapshot_dir(&id);
        if !dir.is_dir() {
            return Err(Error::Corrupt {
                path: dir,
                message: format!("CURRENT names snapshot {id}, which is missing"),
            });
        }
        Ok(dir)
    }

    /// Points `CURRENT` at a complete snapshot: write a temporary file, fsync, rename.
    pub fn publish(&self, run_id: &str) -> Result<()> {
        use std::io::Write;
        let tmp = self.root.join(format!(".{CURRENT}.{run_id}.tmp"));
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Io { path, source }
        };
        let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(format!("{run_id}\n").as_bytes())
            .map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
        let dest = self.root.join(CURRENT);
        std::fs::rename(&tmp, &dest).map_err(io(&dest))?;
        if let Ok(d) = std::fs::File::open(&self.root) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Complete snapshots, oldest first (run ids sort by time).
    pub fn snapshots(&self) -> Result<Vec<String>> {
        let dir = self.snapshots_dir();
        let rd = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(Error::Io { path: dir, source }),
        };
        let mut out: Vec<String> = rd
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| !n.starts_with('.'))
            .collect();
        out.sort();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_and_read_back() {
        let d = tempfile::tempdir().unwrap();
        let w = Warehouse::new(d.path());
        assert!(matches!(w.current_dir(), Err(Error::NoSnapshot { .. })));
        std::fs::create_dir_all(w.snapshot_dir("r1")).unwrap();
        std::fs::create_dir_all(w.staging_dir("r2")).unwrap();
        w.publish("r1").unwrap();
        assert_eq!(w.current().unwrap().as_deref(), Some("r1"));
        assert_eq!(w.current_dir().unwrap(), w.snapshot_dir("r1"));
        assert_eq!(w.snapshots().unwrap(), vec!["r1"]);
        std::fs::write(d.path().join(CURRENT), "../etc\n").unwrap();
        assert!(matches!(w.current(), Err(Error::Corrupt { .. })));
    }
}
