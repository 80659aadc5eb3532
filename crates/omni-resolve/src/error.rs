//! Errors of the resolve stage.

use omni_core::{Classify, ErrorKind};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "identity rule `{0}` is not an identifier; use one of: email, phone, loyalty_card, account_id, device_id, national_id"
    )]
    UnknownIdentifier(String),
    #[error("{0}")]
    Config(String),
    #[error("source_records has no column `{0}`")]
    MissingColumn(String),
    #[error("arrow error: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// The caller's `identity_edges` sink failed (a write error, say).
    #[error("identity_edges: {0}")]
    Sink(String),
}

impl Classify for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::UnknownIdentifier(_) | Error::Config(_) => ErrorKind::User,
            Error::MissingColumn(_) | Error::Arrow(_) | Error::Sink(_) => ErrorKind::Internal,
        }
    }
}
