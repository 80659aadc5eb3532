//! Errors of the SQL layer.

use std::path::PathBuf;
use std::sync::Arc;

use omni_core::{Classify, ErrorKind};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{} has no published snapshot: run `omni build PIPELINE` first (or pass --warehouse DIR)", path.display())]
    NoSnapshot { path: PathBuf },
    #[error("warehouse {}: {message}", path.display())]
    Corrupt { path: PathBuf, message: String },
    #[error("{message}")]
    Query { message: String },
    #[error("{0}")]
    Usage(String),
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("writing output: {0}")]
    Output(String),
    #[error("internal query error: {0}")]
    Internal(String),
}

impl Classify for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::NoSnapshot { .. } | Error::Query { .. } | Error::Usage(_) | Error::Io { .. } => {
                ErrorKind::User
            }
            Error::Corrupt { .. } | Error::Output(_) | Error::Internal(_) => ErrorKind::Internal,
        }
    }
}

impl From<datafusion::error::DataFusionError> for Error {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        use datafusion::error::DataFusionError as D;
        match e {
            D::SQL(..) | D::Plan(..) | D::SchemaError(..) | D::NotImplemented(..) => Error::Query {
                message: e.to_string(),
            },
            D::Diagnostic(_, inner) => Error::from(*inner),
            D::Collection(mut errs) if !errs.is_empty() => Error::from(errs.remove(0)),
            D::Shared(inner) => match Arc::try_unwrap(inner) {
                Ok(e) => Error::from(e),
                Err(shared) => Error::Internal(shared.to_string()),
            },
            D::Context(ctx, inner) => match Error::from(*inner) {
                Error::Query { message } => Error::Query {
                    message: format!("{ctx}: {message}"),
                },
                other => other,
            },
            other => Error::Internal(other.to_string()),
        }
    }
}
