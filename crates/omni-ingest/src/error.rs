//! Errors of the ingest stage.

use std::path::PathBuf;

use omni_core::{Classify, ErrorKind};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot parse {}: {message}", path.display())]
    Unreadable { path: PathBuf, message: String },
    #[error(
        "column `{column}` (mapped by `{key}`) not found in {}{}; columns there: {}",
        path.display(),
        suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default(),
        available.join(", ")
    )]
    UnknownColumn {
        key: String,
        column: String,
        path: PathBuf,
        suggestion: Option<String>,
        available: Vec<String>,
    },
    #[error("internal error in ingest of {}: {message}", path.display())]
    Internal { path: PathBuf, message: String },
    #[error("arrow error: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
}

impl Classify for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::Io { .. } | Error::Unreadable { .. } | Error::UnknownColumn { .. } => {
                ErrorKind::User
            }
            Error::Internal { .. } | Error::Arrow(_) => ErrorKind::Internal,
        }
    }
}
