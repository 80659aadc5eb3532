//! One build per warehouse at a time: `warehouse/.lock` holds the builder's pid. A lock left
//! by a killed build (its pid no longer runs) is stale and taken over.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result, io};

pub const LOCK_FILE: &str = ".lock";

/// Held while a build runs; removes the lock file when dropped.
#[derive(Debug)]
pub struct BuildLock {
    path: PathBuf,
}

fn pid_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    // Linux: a live process has /proc/<pid>. Elsewhere, assume alive (never steal a lock).
    if Path::new("/proc/self").exists() {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

impl BuildLock {
    /// Takes the lock of `dir` (created if missing).
    pub fn acquire(dir: &Path) -> Result<BuildLock> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let path = dir.join(LOCK_FILE);
        for _ in 0..3 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    writeln!(f, "{}", std::process::id()).map_err(io(&path))?;
                    f.sync_all().map_err(io(&path))?;
                    return Ok(BuildLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = std::fs::read_to_string(&path)
                        .ok()
                        .and_then(|s| s.trim().parse::<u32>().ok());
                    match holder {
                        Some(pid) if pid_alive(pid) => {
                            return Err(Error::Locked {
                                dir: dir.to_path_buf(),
                                lock: path,
                                pid,
                            });
                        }
                        // Stale (dead pid) or unreadable (a build killed while writing it).
                        _ => {
                            tracing::warn!(lock = %path.display(), "removing stale build lock");
                            let _ = std::fs::remove_file(&path);
                        }
                    }
                }
                Err(e) => return Err(io(&path)(e)),
            }
        }
        Err(Error::Internal(format!(
            "could not take the lock {} after removing a stale one",
            path.display()
        )))
    }
}

impl Drop for BuildLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_fails_and_stale_lock_is_taken_over() {
        let d = tempfile::tempdir().unwrap();
        let l = BuildLock::acquire(d.path()).unwrap();
        assert!(matches!(
            BuildLock::acquire(d.path()),
            Err(Error::Locked { .. })
        ));
        drop(l);
        // A pid that cannot be running (above the kernel's pid_max).
        std::fs::write(d.path().join(LOCK_FILE), "4294967\n").unwrap();
        let l = BuildLock::acquire(d.path()).unwrap();
        drop(l);
        assert!(!d.path().join(LOCK_FILE).exists());
    }
}
