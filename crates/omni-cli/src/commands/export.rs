//! `omni export`: an audience (a segment or a query) to a file a marketing platform accepts.

use std::path::PathBuf;

use clap::{ArgGroup, Args};
use omni_pipeline::audience::{
    AudienceFormat, AudienceRequest, FORMAT_NAMES, Purpose, Selection, SnapshotInfo,
    export_audience, manifest_path,
};
use omni_sql::Warehouse;

use super::{Failure, WarehouseArg};

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("audience").required(true).args(["segment", "query"])))]
pub struct ExportArgs {
    /// Export this segment's current members.
    #[arg(long, value_name = "NAME")]
    pub segment: Option<String>,
    /// Export the customers (`customer_id`) of this SQL query; csv/json/jsonl/parquet write
    /// its rows as they are.
    #[arg(long, value_name = "SQL")]
    pub query: Option<String>,
    /// Format: csv, parquet, jsonl, json, or a platform upload layout: meta (Custom
    /// Audiences, hashed), google (Customer Match, hashed), mailchimp, klaviyo.
    #[arg(long = "to", value_name = "FORMAT", value_parser = parse_format)]
    pub to: AudienceFormat,
    /// Output file; a manifest is written beside it as PATH.manifest.json.
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: PathBuf,
    #[command(flatten)]
    pub wh: WarehouseArg,
    /// Consent required: email, sms, whatsapp, push or ads (default: ads for meta and
    /// google — email or SMS opt-in —, email otherwise).
    #[arg(long, value_parser = parse_purpose)]
    pub purpose: Option<Purpose>,
    /// Keep customers without consent for the purpose (default: leave them out and count them).
    #[arg(long)]
    pub no_suppress: bool,
    /// Split into files of at most N rows: PATH's name with -00001, -00002, ...
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub split_rows: Option<u64>,
}

fn parse_format(s: &str) -> Result<AudienceFormat, String> {
    s.parse()
        .map_err(|_| format!("unknown format {s:?}: use {FORMAT_NAMES}"))
}

fn parse_purpose(s: &str) -> Result<Purpose, String> {
    s.parse()
}

pub async fn run(args: ExportArgs) -> Result<(), Failure> {
    let wh = Warehouse::new(&args.wh.warehouse);
    let dir = wh.current_dir()?;
    let ctx = omni_sql::open_snapshot(&dir).await?;
    let selection = match (args.segment, args.query) {
        (Some(s), _) => {
            omni_pipeline::audience::check_segment(&ctx, &s).await?;
            Selection::Segment(s)
        }
        (None, Some(q)) => Selection::Query(q),
        (None, None) => return Err(Failure::user("give --segment NAME or --query SQL")),
    };
    let req = AudienceRequest {
        selection,
        format: args.to,
        path: args.output,
        purpose: args.purpose,
        suppress: !args.no_suppress,
        split_rows: args.split_rows.map(|n| n as usize),
    };
    let m = export_audience(&ctx, &SnapshotInfo::of_dir(&dir), &req).await?;
    let s = &m.suppressed;
    let files = if m.files.len() == 1 {
        req.path
            .with_file_name(&m.files[0].file)
            .display()
            .to_string()
    } else {
        format!("{} files ({} …)", m.files.len(), m.files[0].file)
    };
    println!("exported {} rows to {files}", m.rows);
    if m.suppression {
        println!(
            "suppressed {} without {} consent (opted out {}, no consent recorded {}, unknown customer {})",
            s.total,
            serde_json::to_value(m.purpose)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            s.opted_out,
            s.no_consent_recorded,
            s.unknown_customer
        );
    } else {
        println!("consent not checked (--no-suppress)");
    }
    if m.skipped_no_identifier > 0 {
        println!(
            "skipped {} without the identifier the format needs",
            m.skipped_no_identifier
        );
    }
    println!("manifest: {}", manifest_path(&req.path).display());
    Ok(())
}
