//! `[[export]]`: files written from the published snapshot after each build, through the
//! same code as `omni export` ([`crate::audience`]).

use omni_sql::Warehouse;

use crate::audience::{AudienceFormat, AudienceRequest, Purpose, Selection, SnapshotInfo};
use crate::build::ExportResult;
use crate::error::{Error, Result};
use crate::spec::ExportConfig;
use crate::validate::Pipeline;

/// The audience request of one `[[export]]` (validated beforehand).
pub fn request(p: &Pipeline, x: &ExportConfig) -> Result<AudienceRequest> {
    let format: AudienceFormat = x.format.parse().map_err(Error::Internal)?;
    let purpose: Option<Purpose> = x
        .purpose
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(Error::Internal)?;
    let selection = match (&x.segment, &x.query) {
        (Some(seg), _) => Selection::Segment(seg.clone()),
        (None, Some(q)) => Selection::Query(q.clone()),
        (None, None) => return Err(Error::Internal("validated: segment or query".into())),
    };
    Ok(AudienceRequest {
        selection,
        format,
        path: p.resolve_path(&x.path),
        purpose,
        // Data formats stay as they were before consent suppression existed; platform
        // uploads are suppressed unless the file says otherwise.
        suppress: x.suppress.unwrap_or(format.is_platform()),
        split_rows: x.split_rows,
    })
}

/// Writes every export of the pipeline; each file appears whole (temp file + rename), with
/// its manifest (`PATH.manifest.json`).
pub async fn run_exports(p: &Pipeline, wh: &Warehouse) -> Result<Vec<ExportResult>> {
    if p.spec.export.is_empty() {
        return Ok(Vec::new());
    }
    let dir = wh.current_dir()?;
    let ctx = omni_sql::open_snapshot(&dir).await?;
    let snap = SnapshotInfo::of_dir(&dir);
    let mut out = Vec::new();
    for x in &p.spec.export {
        let req = request(p, x)?;
        let m = crate::audience::export_audience(&ctx, &snap, &req)
            .await
            .map_err(|e| match e {
                Error::Sql(_) | Error::User(_) => Error::Config {
                    file: p.file.clone(),
                    problems: vec![format!("key `export[{}]`: {e}", x.name)],
                },
                other => other,
            })?;
        out.push(ExportResult {
            name: x.name.clone(),
            path: req.path,
            rows: m.rows,
        });
    }
    Ok(out)
}
