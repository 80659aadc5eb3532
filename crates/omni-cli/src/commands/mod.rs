//! One module per subcommand.

pub mod build;
pub mod datagen;
pub mod eval;
pub mod explain;
pub mod export;
pub mod runs;
pub mod serve;
pub mod sql;

use std::path::PathBuf;

use clap::Args;
use omni_core::{Classify, ErrorKind};

/// `--warehouse DIR`, shared by the commands that read a warehouse.
#[derive(Debug, Args)]
pub struct WarehouseArg {
    /// Warehouse directory.
    #[arg(
        long,
        value_name = "DIR",
        env = "OMNI_WAREHOUSE",
        default_value = "warehouse"
    )]
    pub warehouse: PathBuf,
}

/// A failed command: what to print and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    pub fn user(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: 1,
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: 2,
        }
    }

    pub fn from_error<E: Classify + std::fmt::Display>(e: E) -> Self {
        let code = match e.kind() {
            ErrorKind::User => 1,
            ErrorKind::Internal => 2,
        };
        Failure {
            message: e.to_string(),
            code,
        }
    }
}

impl From<omni_pipeline::Error> for Failure {
    fn from(e: omni_pipeline::Error) -> Self {
        Failure::from_error(e)
    }
}

impl From<omni_sql::Error> for Failure {
    fn from(e: omni_sql::Error) -> Self {
        Failure::from_error(e)
    }
}
