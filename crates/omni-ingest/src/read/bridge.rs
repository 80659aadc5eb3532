//! polars → arrow-rs without copying, through the Arrow C Data Interface.
//!
//! polars 0.55 has no arrow-rs interop of its own; both sides implement the C Data Interface,
//! whose two structs have the same layout in `polars_arrow::ffi` and `arrow::ffi` (checked at
//! compile time below). Strings stay `Utf8View`: buffers are shared, not copied.

use std::path::Path;

use arrow::array::{ArrayRef, make_array};
use arrow::ffi::{FFI_ArrowArray, FFI_ArrowSchema, from_ffi};
use polars::prelude::{CompatLevel, DataFrame, DataType as PlDataType};

use super::TextColumn;
use crate::error::{Error, Result};

const _: () = {
    assert!(
        std::mem::size_of::<polars_arrow::ffi::ArrowArray>()
            == std::mem::size_of::<FFI_ArrowArray>()
    );
    assert!(
        std::mem::size_of::<polars_arrow::ffi::ArrowSchema>()
            == std::mem::size_of::<FFI_ArrowSchema>()
    );
};

/// Moves one single-chunk polars array into arrow-rs.
pub fn polars_array_to_arrow(
    name: &str,
    array: Box<dyn polars_arrow::array::Array>,
) -> arrow::error::Result<ArrayRef> {
    let field = polars_arrow::datatypes::Field::new(name.into(), array.dtype().clone(), true);
    let c_schema = polars_arrow::ffi::export_field_to_c(&field);
    let c_array = polars_arrow::ffi::export_array_to_c(array);
    // SAFETY: both types are #[repr(C)] definitions of the same C Data Interface structs
    // (sizes asserted above); ownership moves to arrow-rs, whose Drop calls the release
    // callback polars installed.
    let (a, s) = unsafe {
        (
            std::mem::transmute::<polars_arrow::ffi::ArrowArray, FFI_ArrowArray>(c_array),
            std::mem::transmute::<polars_arrow::ffi::ArrowSchema, FFI_ArrowSchema>(c_schema),
        )
    };
    // SAFETY: `a` and `s` were just exported by polars and describe the same array.
    let data = unsafe { from_ffi(a, &s) }?;
    Ok(make_array(data))
}

/// Every column of a DataFrame as text (non-string columns are cast to strings first).
pub fn dataframe_to_text_columns(df: &DataFrame, path: &Path) -> Result<Vec<(String, TextColumn)>> {
    let internal = |message: String| Error::Internal {
        path: path.to_path_buf(),
        message,
    };
    let mut out = Vec::with_capacity(df.width());
    for col in df.columns() {
        let name = col.name().to_string();
        let s = col.as_materialized_series();
        let text = match s.dtype() {
            PlDataType::String => Ok(s.clone()),
            // A time-zone-aware datetime holds UTC instants, which polars (built without
            // `timezones`) cannot format: write them as UTC wall-clock time, which
            // `parse_timestamp` reads as UTC.
            PlDataType::Datetime(unit, Some(_)) => s
                .to_physical_repr()
                .cast(&PlDataType::Datetime(*unit, None))
                .and_then(|x| x.cast(&PlDataType::String)),
            _ => s.cast(&PlDataType::String),
        };
        let s = text.map_err(|e| Error::Unreadable {
            path: path.to_path_buf(),
            message: format!("column {name} ({}) cannot be read as text: {e}", s.dtype()),
        })?;
        let s = s.rechunk();
        let arr = s.to_arrow(0, CompatLevel::newest());
        let arrow = polars_array_to_arrow(&name, arr).map_err(|e| internal(e.to_string()))?;
        out.push((name.clone(), TextColumn::from_array(path, &name, &arrow)?));
    }
    Ok(out)
}
