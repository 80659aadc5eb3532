//! Errors of the profile stage.

use omni_core::{Classify, ErrorKind};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Config(String),
    #[error("segment `{segment}`: {message}")]
    Segment { segment: String, message: String },
    /// A query result does not fit its warehouse schema (a bug, not a user error).
    #[error("{table}: {message}")]
    Schema { table: String, message: String },
    #[error("query error in {stage}: {source}")]
    DataFusion {
        stage: &'static str,
        #[source]
        source: datafusion::error::DataFusionError,
    },
}

impl Classify for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::Config(_) | Error::Segment { .. } => ErrorKind::User,
            Error::DataFusion { .. } | Error::Schema { .. } => ErrorKind::Internal,
        }
    }
}

pub(crate) fn df(stage: &'static str) -> impl FnOnce(datafusion::error::DataFusionError) -> Error {
    move |source| Error::DataFusion { stage, source }
}
