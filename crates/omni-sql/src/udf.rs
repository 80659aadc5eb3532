//! SQL functions analysts get on top of DataFusion's, running the pipeline's own code:
//! `normalize_email(text)`, `email_match_key(text)`, `normalize_phone(text [, region])`,
//! `jaro_winkler(a, b)`, `sha256_hex(text)`. (`levenshtein(a, b)` is DataFusion's own.)

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Builder, StringArray, StringBuilder};
use arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};
use datafusion::prelude::SessionContext;
use omni_normalize::{PhoneNormalizer, normalize_email};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Kind {
    NormalizeEmail,
    EmailMatchKey,
    NormalizePhone { default_region: String },
    JaroWinkler,
    Sha256Hex,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct OmniFunction {
    name: &'static str,
    kind: Kind,
    signature: Signature,
}

fn text_args(args: &ScalarFunctionArgs) -> Result<Vec<StringArray>> {
    ColumnarValue::values_to_arrays(&args.args)?
        .iter()
        .map(|a| Ok(omni_core::text::as_utf8(a.as_ref())?))
        .collect()
}

/// Applies `f` row by row to one text column; nulls stay null.
fn map_text(a: &StringArray, mut f: impl FnMut(&str) -> Option<String>) -> ArrayRef {
    let mut b = StringBuilder::with_capacity(a.len(), a.len() * 16);
    for v in a.iter() {
        b.append_option(v.and_then(&mut f));
    }
    Arc::new(b.finish())
}

impl ScalarUDFImpl for OmniFunction {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(match self.kind {
            Kind::JaroWinkler => DataType::Float64,
            _ => DataType::Utf8,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let a = text_args(&args)?;
        let out: ArrayRef = match &self.kind {
            Kind::NormalizeEmail => map_text(&a[0], |v| normalize_email(v).map(|e| e.address)),
            Kind::EmailMatchKey => map_text(&a[0], |v| normalize_email(v).map(|e| e.match_key)),
            Kind::Sha256Hex => map_text(&a[0], |v| Some(omni_core::ids::sha256_hex(v.as_bytes()))),
            Kind::NormalizePhone { default_region } => {
                let mut cache: HashMap<String, Option<PhoneNormalizer>> = HashMap::new();
                let mut b = StringBuilder::with_capacity(a[0].len(), a[0].len() * 13);
                for i in 0..a[0].len() {
                    let region = match a.get(1) {
                        Some(r) if r.is_null(i) => None,
                        Some(r) => Some(r.value(i)),
                        None => Some(default_region.as_str()),
                    };
                    let norm = region.and_then(|r| {
                        *cache
                            .entry(r.to_string())
                            .or_insert_with(|| PhoneNormalizer::new(r).ok())
                    });
                    match (norm, a[0].is_null(i)) {
                        (Some(n), false) => b.append_option(n.normalize(a[0].value(i))),
                        _ => b.append_null(),
                    }
                }
                Arc::new(b.finish())
            }
            Kind::JaroWinkler => {
                let mut b = Float64Builder::with_capacity(a[0].len());
                for (x, y) in a[0].iter().zip(a[1].iter()) {
                    match (x, y) {
                        (Some(x), Some(y)) => b.append_value(strsim::jaro_winkler(x, y)),
                        _ => b.append_null(),
                    }
                }
                Arc::new(b.finish())
            }
        };
        if out.len() != args.number_rows && args.number_rows != 1 {
            return exec_err!(
                "{}: produced {} rows for {}",
                self.name,
                out.len(),
                args.number_rows
            );
        }
        Ok(ColumnarValue::Array(out))
    }
}

/// Registers omnicanal's functions. `default_region` is used by the one-argument
/// `normalize_phone` (the pipeline's `default_region`).
pub fn register(ctx: &SessionContext, default_region: &str) {
    let imm = Volatility::Immutable;
    let funcs = [
        (
            "normalize_email",
            Kind::NormalizeEmail,
            Signature::string(1, imm),
        ),
        (
            "email_match_key",
            Kind::EmailMatchKey,
            Signature::string(1, imm),
        ),
        ("sha256_hex", Kind::Sha256Hex, Signature::string(1, imm)),
        ("jaro_winkler", Kind::JaroWinkler, Signature::string(2, imm)),
        (
            "normalize_phone",
            Kind::NormalizePhone {
                default_region: default_region.to_string(),
            },
            Signature::one_of(
                vec![TypeSignature::String(1), TypeSignature::String(2)],
                imm,
            ),
        ),
    ];
    for (name, kind, signature) in funcs {
        ctx.register_udf(ScalarUDF::new_from_impl(OmniFunction {
            name,
            kind,
            signature,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn one_row(sql: &str) -> String {
        let ctx = crate::new_context();
        register(&ctx, "ES");
        let b = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        arrow::util::pretty::pretty_format_batches(&b)
            .unwrap()
            .to_string()
    }

    #[tokio::test]
    async fn functions_run_the_pipeline_normalisers() {
        let t = one_row(
            "SELECT normalize_email(' Ana.B+x@GMAIL.com') AS e, email_match_key(' Ana.B+x@GMAIL.com') AS k, \
             normalize_phone('612 345 678') AS p, normalize_phone('07911 123456', 'GB') AS uk, \
             normalize_phone('12') AS bad, sha256_hex('abc') AS h, \
             round(jaro_winkler('martha', 'marhta'), 4) AS jw, levenshtein('kitten', 'sitting') AS lev",
        )
        .await;
        for want in [
            "ana.b+x@gmail.com",
            "anab@gmail.com",
            "+34612345678",
            "+447911123456",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "0.9611",
            "| 3 ",
        ] {
            assert!(t.contains(want), "{want} missing in\n{t}");
        }
    }

    #[tokio::test]
    async fn nulls_stay_null_and_views_are_accepted() {
        let t = one_row(
            "SELECT normalize_email(CAST(NULL AS VARCHAR)) IS NULL AS a, \
             jaro_winkler(arrow_cast('abc', 'Utf8View'), 'abd') > 0.5 AS b",
        )
        .await;
        assert!(t.contains("| true | true |"), "{t}");
    }
}
