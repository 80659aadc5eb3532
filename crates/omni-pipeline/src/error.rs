//! Errors of the pipeline layer.

use std::path::PathBuf;

use omni_core::{Classify, ErrorKind};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The pipeline file is wrong: names the file, the key and the fix.
    #[error("{}: {}", file.display(), problems.join("\n  "))]
    Config {
        file: PathBuf,
        problems: Vec<String>,
    },
    #[error("cannot read pipeline file {}: {source}", file.display())]
    ReadConfig {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("source `{source_name}`: {error}")]
    Ingest {
        source_name: String,
        #[source]
        error: Box<omni_ingest::Error>,
    },
    #[error(transparent)]
    Resolve(#[from] omni_resolve::Error),
    #[error(transparent)]
    Profile(#[from] omni_profile::Error),
    #[error(transparent)]
    Sql(#[from] omni_sql::Error),
    #[error("warehouse {} is locked by a running build (pid {pid}); wait for it, or remove {} if no build is running", dir.display(), lock.display())]
    Locked {
        dir: PathBuf,
        lock: PathBuf,
        pid: u32,
    },
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A Parquet file that could not be written or read (a full disk, a damaged file).
    #[error("cannot {action} {}: {message}", path.display())]
    Parquet {
        path: PathBuf,
        action: &'static str,
        message: String,
    },
    /// A user mistake outside the pipeline file (an unknown run id, say).
    #[error("{0}")]
    User(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl Classify for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::Config { .. }
            | Error::ReadConfig { .. }
            | Error::Locked { .. }
            | Error::User(_) => ErrorKind::User,
            Error::Ingest { error, .. } => error.kind(),
            Error::Resolve(e) => e.kind(),
            Error::Profile(e) => e.kind(),
            Error::Sql(e) => e.kind(),
            Error::Io { .. } | Error::Parquet { .. } | Error::Internal(_) => ErrorKind::Internal,
        }
    }
}

/// Names the file in a Parquet error; an I/O failure underneath (a full disk) keeps its own
/// message ("No space left on device").
pub(crate) fn pq(
    path: &std::path::Path,
    action: &'static str,
) -> impl FnOnce(parquet::errors::ParquetError) -> Error {
    let path = path.to_path_buf();
    move |e| {
        let message = match &e {
            parquet::errors::ParquetError::External(inner) => inner.to_string(),
            _ => e.to_string(),
        };
        Error::Parquet {
            path,
            action,
            message,
        }
    }
}

pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.to_path_buf();
    move |source| Error::Io { path, source }
}

impl From<datafusion::error::DataFusionError> for Error {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        Error::Internal(e.to_string())
    }
}

impl From<arrow::error::ArrowError> for Error {
    fn from(e: arrow::error::ArrowError) -> Self {
        Error::Internal(e.to_string())
    }
}

impl From<parquet::errors::ParquetError> for Error {
    fn from(e: parquet::errors::ParquetError) -> Self {
        Error::Internal(e.to_string())
    }
}
