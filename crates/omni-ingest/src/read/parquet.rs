//! Parquet sources, read by polars. Nested struct columns are flattened to dotted paths.

use std::fs::File;
use std::path::Path;

use polars::prelude::*;

use super::{RawTable, bridge};
use crate::error::{Error, Result};

fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn unreadable(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Unreadable {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Flattens struct columns (`user` with field `email` becomes `user.email`).
fn flatten(df: DataFrame, path: &Path) -> Result<DataFrame> {
    let mut cols: Vec<Column> = Vec::with_capacity(df.width());
    let mut stack: Vec<Series> = df
        .columns()
        .iter()
        .rev()
        .map(|c| c.as_materialized_series().clone())
        .collect();
    while let Some(s) = stack.pop() {
        if let DataType::Struct(_) = s.dtype() {
            let prefix = s.name().to_string();
            let st = s.struct_().map_err(|e| unreadable(path, e))?;
            for mut f in st.fields_as_series().into_iter().rev() {
                let n = format!("{prefix}.{}", f.name());
                f.rename(n.into());
                stack.push(f);
            }
        } else {
            cols.push(s.into());
        }
    }
    DataFrame::new_infer_height(cols).map_err(|e| unreadable(path, e))
}

/// Column names (flattened) of a Parquet file.
pub fn columns(path: &Path) -> Result<Vec<String>> {
    let df = ParquetReader::new(open(path)?)
        .with_slice(Some((0, 0)))
        .finish()
        .map_err(|e| unreadable(path, e))?;
    Ok(flatten(df, path)?
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect())
}

/// Reads a Parquet file; `lines` holds 1-based row numbers.
pub fn read(path: &Path) -> Result<RawTable> {
    let df = ParquetReader::new(open(path)?)
        .finish()
        .map_err(|e| unreadable(path, e))?;
    let df = flatten(df, path)?;
    let n = df.height();
    Ok(RawTable {
        columns: bridge::dataframe_to_text_columns(&df, path)?,
        lines: (1..=n as u64).collect(),
        ..RawTable::empty()
    })
}
