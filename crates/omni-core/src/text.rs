//! Reading text columns whatever their string layout.

use arrow::array::{Array, StringArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use arrow::error::ArrowError;

/// Any string-like array (`Utf8`, `LargeUtf8`, `Utf8View`, dictionaries) as a `StringArray`,
/// so one code path reads what Parquet, DataFusion or polars produced.
pub fn as_utf8(array: &dyn Array) -> Result<StringArray, ArrowError> {
    if let Some(s) = array.as_any().downcast_ref::<StringArray>() {
        return Ok(s.clone());
    }
    let a = cast(array, &DataType::Utf8)?;
    Ok(a.as_any()
        .downcast_ref::<StringArray>()
        .expect("cast to Utf8 gives a StringArray")
        .clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::StringViewArray;

    #[test]
    fn views_become_plain_strings() {
        let v = StringViewArray::from(vec![
            Some("a"),
            None,
            Some("a long string, past inline size"),
        ]);
        let s = as_utf8(&v).unwrap();
        assert_eq!(s.value(2), "a long string, past inline size");
        assert!(s.is_null(1));
    }
}
