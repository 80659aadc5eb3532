//! `[[export]]`: files written from the published snapshot after each build.

use std::path::PathBuf;

use omni_sql::Warehouse;
use omni_sql::output::{Format, write_results};

use crate::build::ExportResult;
use crate::error::{Error, Result, io};
use crate::validate::Pipeline;

fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Writes every export of the pipeline; each file appears whole (temp file + rename).
pub async fn run_exports(p: &Pipeline, wh: &Warehouse) -> Result<Vec<ExportResult>> {
    if p.spec.export.is_empty() {
        return Ok(Vec::new());
    }
    let ctx = omni_sql::open_snapshot(&wh.current_dir()?).await?;
    let mut out = Vec::new();
    for x in &p.spec.export {
        let sql = match (&x.segment, &x.query) {
            (Some(seg), _) => format!(
                "SELECT p.* FROM profiles p JOIN segment_membership s ON p.customer_id = s.customer_id \
                 WHERE s.segment = {} AND s.status <> 'exited' ORDER BY p.customer_id",
                sql_string(seg)
            ),
            (None, Some(q)) => q.clone(),
            (None, None) => unreachable!("validated: segment or query"),
        };
        let (schema, batches) = omni_sql::query(&ctx, &sql)
            .await
            .map_err(|e| Error::Config {
                file: p.file.clone(),
                problems: vec![format!("key `export[{}]`: {e}", x.name)],
            })?;
        let format: Format = x.format.parse().map_err(Error::Internal)?;
        let path: PathBuf = p.resolve_path(&x.path);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        let tmp = path.with_extension("omni-tmp");
        let f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
        write_results(format, &schema, &batches, std::io::BufWriter::new(f))?;
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        out.push(ExportResult {
            name: x.name.clone(),
            path,
            rows: batches.iter().map(|b| b.num_rows() as u64).sum(),
        });
    }
    Ok(out)
}
