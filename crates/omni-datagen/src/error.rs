//! Errors of the data generator.

use std::path::PathBuf;

use omni_core::{Classify, ErrorKind};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid option `{option}`: {message}")]
    Options {
        option: &'static str,
        message: String,
    },
    #[error(
        "unknown channel `{name}`{}; valid channels: web, pos, loyalty, app, call_centre, messaging",
        suggestion.map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default()
    )]
    UnknownChannel {
        name: String,
        suggestion: Option<&'static str>,
    },
    #[error("internal error in the data generator: {message}")]
    Internal { message: String },
}

impl Classify for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::Io { .. } | Error::Options { .. } | Error::UnknownChannel { .. } => {
                ErrorKind::User
            }
            Error::Internal { .. } => ErrorKind::Internal,
        }
    }
}
