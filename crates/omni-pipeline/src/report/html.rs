//! The run report as one self-contained HTML page: inline CSS, charts as inline SVG drawn
//! here, no scripts, fonts or anything fetched. Every string that comes from user data (file
//! and source names, reject reasons, segment names, channels, ids) goes through [`esc`].

use std::fmt::Write;

use super::{RfmGrid, RunReport};

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// 1234567 → "1,234,567".
fn n(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / (1024.0 * 1024.0))
}

const CSS: &str = r#"
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1e293b;margin:0;background:#f8fafc}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #cbd5e1;padding-bottom:4px}
h3{font-size:14px;margin:16px 0 6px}
.meta{color:#475569}
table{border-collapse:collapse;margin:6px 0 12px;background:#fff}
th,td{padding:4px 10px;border:1px solid #e2e8f0;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tr.total td{font-weight:600;background:#f1f5f9}
.warn{background:#fef3c7;border:1px solid #f59e0b;border-radius:6px;padding:10px 14px;margin:12px 0}
.warn ul{margin:4px 0 0;padding-left:20px}
.ok{background:#dcfce7;border:1px solid #22c55e;border-radius:6px;padding:8px 14px;margin:12px 0}
.note{color:#475569;font-style:italic}
.grid{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
svg{background:#fff;border:1px solid #e2e8f0;border-radius:4px}
svg text{font:12px system-ui,sans-serif;fill:#1e293b}
"#;

/// Renders the report.
pub fn render(r: &RunReport) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let _ = writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>omni build report: {} — {}</title><style>{CSS}</style></head><body><main>",
        esc(&r.pipeline),
        esc(&r.run_id)
    );
    let _ = writeln!(
        h,
        "<h1>Run report: {}</h1><p class=\"meta\">run <code>{}</code> · started {} · finished {} · RFM as of {}{}</p>",
        esc(&r.pipeline),
        esc(&r.run_id),
        esc(&r.started_at),
        esc(&r.finished_at),
        esc(&r.as_of),
        match &r.previous_run {
            Some(p) => format!(" · compared with run <code>{}</code>", esc(p)),
            None => String::new(),
        }
    );
    warnings(&mut h, r);
    sources(&mut h, r);
    identity(&mut h, r);
    coverage(&mut h, r);
    rfm(&mut h, r);
    overlap(&mut h, r);
    stages(&mut h, r);
    h.push_str("</main></body></html>\n");
    h
}

fn warnings(h: &mut String, r: &RunReport) {
    if r.warnings.is_empty() {
        let _ = writeln!(
            h,
            "<div class=\"ok\" id=\"drift\">{}</div>",
            match &r.previous_run {
                Some(p) => format!("No drift warnings against run <code>{}</code>.", esc(p)),
                None => "First run of this warehouse: no previous run to compare with.".into(),
            }
        );
        return;
    }
    let _ = write!(
        h,
        "<div class=\"warn\" id=\"drift\"><strong>{} drift warning{}</strong> against run <code>{}</code>:<ul>",
        r.warnings.len(),
        if r.warnings.len() == 1 { "" } else { "s" },
        esc(r.previous_run.as_deref().unwrap_or("?"))
    );
    for w in &r.warnings {
        let _ = write!(h, "<li class=\"drift-warning\">{}</li>", esc(&w.message));
    }
    let t = &r.drift_thresholds;
    let _ = writeln!(
        h,
        "</ul><p class=\"note\">Thresholds: rows read ±{:.0}% per source; reject rate +{} points and doubled; largest cluster ×{} and +{} records; customers −{:.0}%.</p></div>",
        t.source_rows_change * 100.0,
        t.reject_rate_points,
        t.largest_cluster_factor,
        t.largest_cluster_min_increase,
        t.customers_drop * 100.0
    );
}

fn sources(h: &mut String, r: &RunReport) {
    h.push_str("<h2 id=\"sources\">Sources</h2>\n<table><tr><th>source</th><th class=\"n\">files</th><th class=\"n\">rows read</th><th class=\"n\">accepted</th><th class=\"n\">rejected</th><th class=\"n\">reject rate</th><th class=\"n\">transactions</th><th>top reject reasons</th></tr>\n");
    let (mut files, mut read, mut acc, mut rej, mut tx) = (0usize, 0u64, 0u64, 0u64, 0u64);
    for s in &r.sources {
        let mut reasons: Vec<(&String, &u64)> = s.reject_reasons.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        let top: Vec<String> = reasons
            .iter()
            .take(3)
            .map(|(k, v)| format!("{} ({})", esc(k), n(**v)))
            .collect();
        let more = reasons.len().saturating_sub(3);
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.2}%</td><td class=\"n\">{}</td><td>{}{}</td></tr>",
            esc(&s.source),
            s.files,
            n(s.rows_read),
            n(s.accepted),
            n(s.rejected),
            pct(s.rejected, s.rows_read),
            n(s.transactions),
            if top.is_empty() {
                "—".to_string()
            } else {
                top.join("; ")
            },
            if more > 0 {
                format!("; {more} more")
            } else {
                String::new()
            }
        );
        files += s.files;
        read += s.rows_read;
        acc += s.accepted;
        rej += s.rejected;
        tx += s.transactions;
    }
    let _ = writeln!(
        h,
        "<tr class=\"total\"><td>total</td><td class=\"n\">{files}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.2}%</td><td class=\"n\">{}</td><td></td></tr></table>",
        n(read),
        n(acc),
        n(rej),
        pct(rej, read),
        n(tx)
    );
    let adds_up = r
        .sources
        .iter()
        .all(|s| s.rows_read == s.accepted + s.rejected);
    let _ = writeln!(
        h,
        "<p id=\"balance\">Every row read is accepted or rejected: {} read = {} accepted + {} rejected {}</p>",
        n(read),
        n(acc),
        n(rej),
        if adds_up && read == acc + rej {
            "✓"
        } else {
            "<strong>✗ the counts do not add up</strong>"
        }
    );
}

fn kv_table(h: &mut String, head: (&str, &str), rows: &[(String, u64)]) {
    let _ = write!(
        h,
        "<table><tr><th>{}</th><th class=\"n\">{}</th></tr>",
        esc(head.0),
        esc(head.1)
    );
    for (k, v) in rows {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
            esc(k),
            n(*v)
        );
    }
    h.push_str("</table>\n");
}

fn identity(h: &mut String, r: &RunReport) {
    let id = &r.identity;
    h.push_str("<h2 id=\"identity\">Identity</h2>\n<div class=\"grid\"><div>");
    kv_table(
        h,
        ("", "count"),
        &[
            ("records".into(), id.records),
            ("customers".into(), id.customers),
            ("largest cluster (records)".into(), id.largest_cluster),
            ("candidate pairs compared".into(), id.pairs_compared),
            ("pairs scored (probabilistic)".into(), id.pairs_scored),
        ],
    );
    let ids = &id.ids;
    h.push_str("<h3>Customer ids</h3>");
    kv_table(
        h,
        ("id event", "customers"),
        &[
            ("kept".into(), ids.kept),
            ("created".into(), ids.created),
            ("merged".into(), ids.merged),
            ("split".into(), ids.split),
            ("retired".into(), ids.retired),
        ],
    );
    h.push_str("</div><div><h3>Links by rule</h3><table><tr><th>rule</th><th class=\"n\">kept</th><th class=\"n\">refused</th><th class=\"n\">generic values</th></tr>");
    let mut rules: Vec<&String> = id
        .links_by_rule
        .keys()
        .chain(id.rejected_by_rule.keys())
        .chain(id.generic_values.keys())
        .collect();
    rules.sort();
    rules.dedup();
    let get = |m: &std::collections::BTreeMap<String, u64>, k: &str| m.get(k).copied().unwrap_or(0);
    for k in &rules {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(k),
            n(get(&id.links_by_rule, k)),
            n(get(&id.rejected_by_rule, k)),
            n(get(&id.generic_values, k))
        );
    }
    if rules.is_empty() {
        h.push_str("<tr><td colspan=\"4\">no links</td></tr>");
    }
    h.push_str("</table><h3>Guard actions</h3>");
    if id.guard_actions.is_empty() {
        h.push_str("<p class=\"note\">No guard acted in this run.</p>");
    } else {
        let rows: Vec<(String, u64)> = id
            .guard_actions
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        kv_table(h, ("guard", "links affected"), &rows);
    }
    h.push_str("</div><div><h3>Largest clusters</h3>");
    if id.largest_clusters.is_empty() {
        h.push_str("<p class=\"note\">No customer has more than one record.</p>");
    } else {
        let rows: Vec<(String, u64)> = id
            .largest_clusters
            .iter()
            .map(|c| (c.customer_id.clone(), c.records))
            .collect();
        kv_table(h, ("customer_id", "records"), &rows);
    }
    h.push_str("</div></div>\n<h3>Cluster sizes (customers by number of records)</h3>\n");
    h.push_str(&cluster_chart(&id.cluster_sizes));
    h.push_str("\n<h3>Match weights (probabilistic tier)</h3>\n");
    if id.match_weights.is_empty() {
        h.push_str("<p class=\"note\" id=\"no-weights\">The probabilistic tier did not run: no match weights to show (links are deterministic only).</p>\n");
    } else {
        h.push_str(&weight_chart(&id.match_weights));
    }
}

/// Cluster sizes in buckets (1, 2, ..., 5, 6–10, 11–20, 21–50, 51–100, 101+), trailing
/// empty buckets dropped.
pub fn cluster_buckets(sizes: &std::collections::BTreeMap<u64, u64>) -> Vec<(String, u64)> {
    const B: [(u64, u64); 10] = [
        (1, 1),
        (2, 2),
        (3, 3),
        (4, 4),
        (5, 5),
        (6, 10),
        (11, 20),
        (21, 50),
        (51, 100),
        (101, u64::MAX),
    ];
    let mut out: Vec<(String, u64)> = B
        .iter()
        .map(|&(lo, hi)| {
            let label = if lo == hi {
                lo.to_string()
            } else if hi == u64::MAX {
                format!("{lo}+")
            } else {
                format!("{lo}–{hi}")
            };
            let count = sizes.range(lo..=hi).map(|(_, c)| c).sum();
            (label, count)
        })
        .collect();
    while out.len() > 1 && out.last().is_some_and(|b| b.1 == 0) {
        out.pop();
    }
    out
}

fn cluster_chart(sizes: &std::collections::BTreeMap<u64, u64>) -> String {
    let buckets = cluster_buckets(sizes);
    let (w, top, bottom, left) = (60.0, 24.0, 40.0, 20.0);
    let height = 220.0;
    let plot = height - top - bottom;
    let max = buckets.iter().map(|b| b.1).max().unwrap_or(0).max(1) as f64;
    let width = left * 2.0 + w * buckets.len() as f64;
    let mut s = format!(
        "<svg class=\"chart\" id=\"chart-clusters\" role=\"img\" aria-label=\"cluster size distribution\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    for (i, (label, count)) in buckets.iter().enumerate() {
        let bh = plot * *count as f64 / max;
        let x = left + w * i as f64;
        let y = top + plot - bh;
        let _ = write!(
            s,
            "<rect class=\"bar\" x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"#3b82f6\"><title>{} records: {} customers</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            x + 6.0,
            w - 12.0,
            esc(label),
            n(*count),
            x + w / 2.0,
            y - 4.0,
            n(*count),
            x + w / 2.0,
            height - bottom + 16.0,
            esc(label)
        );
    }
    let _ = write!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">records per customer</text></svg>",
        width / 2.0,
        height - 6.0
    );
    s
}

/// A histogram bound: open-ended bins have infinite bounds (JSON writes them as null).
fn bound(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.1}")
    } else if v < 0.0 {
        "−∞".into()
    } else {
        "∞".into()
    }
}

fn weight_chart(bins: &[omni_resolve::WeightBin]) -> String {
    let (w, top, bottom, left) = (36.0, 24.0, 44.0, 20.0);
    let height = 240.0;
    let plot = height - top - bottom;
    let max = bins
        .iter()
        .map(|b| b.linked + b.rejected)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let width = (left * 2.0 + w * bins.len() as f64).max(320.0);
    let mut s = format!(
        "<svg class=\"chart\" id=\"chart-weights\" role=\"img\" aria-label=\"match weight histogram\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    for (i, b) in bins.iter().enumerate() {
        let x = left + w * i as f64;
        let hr = plot * b.rejected as f64 / max;
        let hl = plot * b.linked as f64 / max;
        let base = top + plot;
        let _ = write!(
            s,
            "<rect class=\"bar\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{hr:.1}\" fill=\"#94a3b8\"><title>weight {} to {}: {} not linked</title></rect>\
             <rect class=\"bar\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{hl:.1}\" fill=\"#16a34a\"><title>weight {} to {}: {} linked</title></rect>",
            x + 3.0,
            base - hr,
            w - 6.0,
            bound(b.lo),
            bound(b.hi),
            n(b.rejected),
            x + 3.0,
            base - hr - hl,
            w - 6.0,
            bound(b.lo),
            bound(b.hi),
            n(b.linked),
        );
        if i % 2 == 0 {
            let lo = if b.lo.is_finite() {
                format!("{:.0}", b.lo)
            } else if b.lo < 0.0 {
                "−∞".to_string()
            } else {
                "∞".to_string()
            };
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{lo}</text>",
                x + w / 2.0,
                base + 16.0,
            );
        }
    }
    let _ = write!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">match weight (log2 Bayes factor): green linked, grey not linked</text></svg>",
        width / 2.0,
        height - 8.0
    );
    s
}

/// Horizontal bars: (label, value, value text). Values are scaled to the largest.
fn hbars(id: &str, aria: &str, items: &[(String, f64, String)]) -> String {
    // Labels right-aligned before the bars, wide enough for the longest (about 7 px a char).
    let longest = items.iter().map(|i| i.0.chars().count()).max().unwrap_or(0);
    let label_w = (longest as f64 * 7.2 + 16.0).clamp(80.0, 460.0);
    let (bar_w, row) = (420.0, 22.0);
    let width = label_w + bar_w + 90.0;
    let height = row * items.len().max(1) as f64 + 12.0;
    let max = items.iter().map(|i| i.1).fold(0.0_f64, f64::max);
    let max = if max > 0.0 { max } else { 1.0 };
    let mut s = format!(
        "<svg class=\"chart\" id=\"{id}\" role=\"img\" aria-label=\"{}\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" xmlns=\"http://www.w3.org/2000/svg\">",
        esc(aria)
    );
    for (i, (label, v, text)) in items.iter().enumerate() {
        let y = 6.0 + row * i as f64;
        let bw = bar_w * v / max;
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect class=\"bar\" x=\"{label_w:.1}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" fill=\"#3b82f6\"><title>{}: {}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            label_w - 8.0,
            y + 15.0,
            esc(label),
            y + 3.0,
            row - 6.0,
            esc(label),
            esc(text),
            label_w + bw + 6.0,
            y + 15.0,
            esc(text)
        );
    }
    s.push_str("</svg>");
    s
}

fn coverage(h: &mut String, r: &RunReport) {
    let c = &r.coverage;
    let _ = writeln!(
        h,
        "<h2 id=\"coverage\">Profile and consent coverage</h2>\n<p>Share of the {} customers whose golden profile has each attribute, and whose consent for each channel is granted (latest statement).</p>",
        n(c.customers)
    );
    let mut items: Vec<(String, f64, String)> = [
        ("email", c.email),
        ("phone", c.phone),
        ("name", c.name),
        ("address", c.address),
    ]
    .iter()
    .map(|(k, v)| {
        (
            k.to_string(),
            pct(*v, c.customers),
            format!("{:.1}% ({})", pct(*v, c.customers), n(*v)),
        )
    })
    .collect();
    for (k, v) in &c.consent {
        items.push((
            format!("consent: {k}"),
            pct(*v, c.customers),
            format!("{:.1}% ({})", pct(*v, c.customers), n(*v)),
        ));
    }
    h.push_str(&hbars(
        "chart-coverage",
        "profile and consent coverage",
        &items,
    ));
    h.push('\n');
}

/// Colour of a heat-map cell: from light slate to deep blue by the square root of the share
/// of the fullest cell (so small cells stay visible).
fn heat_colour(v: u64, max: u64) -> (String, &'static str) {
    let t = if max == 0 {
        0.0
    } else {
        (v as f64 / max as f64).sqrt()
    };
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    let fill = format!(
        "#{:02x}{:02x}{:02x}",
        lerp(241.0, 29.0),
        lerp(245.0, 78.0),
        lerp(249.0, 216.0)
    );
    (fill, if t > 0.55 { "#ffffff" } else { "#1e293b" })
}

fn heat_map(g: &RfmGrid) -> String {
    let (cell, left, top) = (64.0, 70.0, 20.0);
    let width = left + cell * 5.0 + 20.0;
    let height = top + cell * 5.0 + 50.0;
    let max = g.cells.iter().flatten().copied().max().unwrap_or(0);
    let mut s = format!(
        "<svg class=\"chart\" id=\"chart-rfm\" role=\"img\" aria-label=\"RFM heat map, recency by frequency\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    // Rows: R = 5 (most recent) at the top; columns: F = 1 .. 5 left to right.
    for (row, r) in (1..=5usize).rev().enumerate() {
        let y = top + cell * row as f64;
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">R {r}</text>",
            left - 8.0,
            y + cell / 2.0 + 4.0
        );
        for f in 1..=5usize {
            let v = g.cells[r - 1][f - 1];
            let (fill, ink) = heat_colour(v, max);
            let x = left + cell * (f - 1) as f64;
            let _ = write!(
                s,
                "<rect class=\"heat-cell\" data-r=\"{r}\" data-f=\"{f}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{cell:.1}\" height=\"{cell:.1}\" fill=\"{fill}\" stroke=\"#ffffff\" stroke-width=\"2\"><title>R {r} × F {f}: {} customers</title></rect>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" style=\"fill:{ink}\">{}</text>",
                n(v),
                x + cell / 2.0,
                y + cell / 2.0 + 4.0,
                n(v)
            );
        }
    }
    for f in 1..=5 {
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">F {f}</text>",
            left + cell * (f - 1) as f64 + cell / 2.0,
            top + cell * 5.0 + 18.0
        );
    }
    let _ = write!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">frequency score →   (recency score ↑)</text></svg>",
        left + cell * 2.5,
        height - 8.0
    );
    s
}

fn rfm(h: &mut String, r: &RunReport) {
    h.push_str("<h2 id=\"rfm\">RFM and segments</h2>\n<div class=\"grid\"><div>");
    h.push_str(&heat_map(&r.rfm));
    if r.rfm.unscored > 0 {
        let _ = write!(
            h,
            "<p class=\"note\">{} customers without an R or F score are not in the grid.</p>",
            n(r.rfm.unscored)
        );
    }
    h.push_str("</div><div><h3>RFM segments</h3>");
    let rows: Vec<(String, u64)> = r
        .rfm
        .segments
        .iter()
        .map(|s| (s.name.clone(), s.count))
        .collect();
    kv_table(h, ("rfm_segment", "customers"), &rows);
    h.push_str("<h3>Pipeline segments</h3>");
    if r.segments.is_empty() {
        h.push_str("<p class=\"note\">The pipeline defines no segments.</p>");
    } else {
        h.push_str("<table><tr><th>segment</th><th class=\"n\">members</th><th class=\"n\">entered</th><th class=\"n\">exited</th></tr>");
        for s in &r.segments {
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">+{}</td><td class=\"n\">−{}</td></tr>",
                esc(&s.segment),
                n(s.members),
                n(s.entered),
                n(s.exited)
            );
        }
        h.push_str("</table>");
    }
    h.push_str("</div></div>\n");
}

fn overlap(h: &mut String, r: &RunReport) {
    let total: u64 = r.channel_overlap.iter().map(|c| c.customers).sum();
    let _ = writeln!(
        h,
        "<h2 id=\"channels\">Channel overlap</h2>\n<p>Customers by the combination of channels they were seen in ({} combinations; the chart shows the 15 largest).</p>",
        r.channel_overlap.len()
    );
    let items: Vec<(String, f64, String)> = r
        .channel_overlap
        .iter()
        .take(15)
        .map(|c| {
            (
                c.channels.join(" + "),
                c.customers as f64,
                format!("{} ({:.1}%)", n(c.customers), pct(c.customers, total)),
            )
        })
        .collect();
    h.push_str(&hbars(
        "chart-channels",
        "customers by channel combination",
        &items,
    ));
    h.push_str("\n<table><tr><th>channels</th><th class=\"n\">number</th><th class=\"n\">customers</th><th class=\"n\">share</th></tr>");
    for c in &r.channel_overlap {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.1}%</td></tr>",
            esc(&c.channels.join(" + ")),
            c.channels.len(),
            n(c.customers),
            pct(c.customers, total)
        );
    }
    h.push_str("</table>\n");
}

fn stages(h: &mut String, r: &RunReport) {
    h.push_str("<h2 id=\"stages\">Stages</h2>\n<table><tr><th>stage</th><th class=\"n\">wall</th><th class=\"n\">CPU</th><th class=\"n\">peak memory after</th></tr>");
    for s in &r.stages {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"n\">{:.2} s</td><td class=\"n\">{:.2} s</td><td class=\"n\">{}</td></tr>",
            esc(&s.stage),
            s.wall_secs,
            s.cpu_secs,
            mib(s.max_rss_bytes)
        );
    }
    let wall: f64 = r.stages.iter().map(|s| s.wall_secs).sum();
    let cpu: f64 = r.stages.iter().map(|s| s.cpu_secs).sum();
    let _ = writeln!(
        h,
        "<tr class=\"total\"><td>total</td><td class=\"n\">{wall:.2} s</td><td class=\"n\">{cpu:.2} s</td><td class=\"n\">{}</td></tr></table>",
        mib(r.peak_rss_bytes)
    );
    let items: Vec<(String, f64, String)> = r
        .stages
        .iter()
        .map(|s| {
            (
                s.stage.clone(),
                s.wall_secs,
                format!("{:.2} s wall, {:.2} s CPU", s.wall_secs, s.cpu_secs),
            )
        })
        .collect();
    h.push_str(&hbars("chart-stages", "wall time per stage", &items));
    let _ = writeln!(
        h,
        "\n<p>Peak memory (resident set high-water mark of the build process): {}.</p>",
        mib(r.peak_rss_bytes)
    );
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::report::tests::sample;

    #[test]
    fn escapes_user_strings() {
        assert_eq!(
            esc(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        let mut r = sample();
        r.sources[0].source = "<b>web</b>".into();
        r.sources[0]
            .reject_reasons
            .insert("bad \"date\" <x>".into(), 2);
        r.segments[0].segment = "vip & <friends>".into();
        r.channel_overlap[0].channels = vec!["<img src=x>".into()];
        r.identity.largest_clusters[0].customer_id = "c_<1>".into();
        let html = render(&r);
        for raw in ["<b>web", "<x>", "<friends>", "<img", "c_<1>"] {
            assert!(!html.contains(raw), "{raw} is not escaped");
        }
        assert!(html.contains("&lt;b&gt;web&lt;/b&gt;"));
        assert!(html.contains("vip &amp; &lt;friends&gt;"));
    }

    #[test]
    fn page_is_self_contained_with_all_charts() {
        let html = render(&sample());
        assert!(html.starts_with("<!DOCTYPE html>"));
        for bad in ["<script", "http://", "https://", "@import", "<link", "url("] {
            // The SVG namespace is an identifier, not a fetch.
            let hits = html.matches(bad).count()
                - if bad == "http://" {
                    html.matches("http://www.w3.org/2000/svg").count()
                } else {
                    0
                };
            assert_eq!(hits, 0, "{bad} in a self-contained page");
        }
        for id in [
            "chart-clusters",
            "chart-weights",
            "chart-coverage",
            "chart-rfm",
            "chart-channels",
            "chart-stages",
        ] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id} missing");
        }
        assert_eq!(html.matches("<svg").count(), 6);
        assert_eq!(html.matches("class=\"heat-cell\"").count(), 25);
        // The grid's counts are in the cells (R 5 × F 5 holds 7).
        assert!(html.contains("R 5 × F 5: 7 customers"));
        assert!(html.contains("3 read = 2 accepted + 1 rejected ✓"));
        assert!(html.contains("First run of this warehouse"));
    }

    #[test]
    fn empty_weights_say_the_tier_did_not_run_and_warnings_come_first() {
        let mut r = sample();
        r.identity.match_weights.clear();
        r.previous_run = Some("r0".into());
        r.warnings = vec![crate::report::DriftWarning {
            kind: "customers".into(),
            subject: "identity".into(),
            previous: 10.0,
            current: 5.0,
            message: "5 customers, down 50% from 10".into(),
        }];
        let html = render(&r);
        assert!(html.contains("The probabilistic tier did not run"));
        assert_eq!(html.matches("<svg").count(), 5);
        let warn = html.find("drift-warning").unwrap();
        assert!(warn < html.find("id=\"sources\"").unwrap());
        assert!(html.contains("1 drift warning</strong> against run <code>r0</code>"));
    }

    #[test]
    fn cluster_buckets_group_large_sizes() {
        let sizes: BTreeMap<u64, u64> = [(1, 50), (2, 9), (7, 3), (9, 1), (30, 1)].into();
        let b = cluster_buckets(&sizes);
        let labels: Vec<&str> = b.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(
            labels,
            vec!["1", "2", "3", "4", "5", "6–10", "11–20", "21–50"]
        );
        assert_eq!(b[5].1, 4);
        assert_eq!(b[7].1, 1);
        assert_eq!(cluster_buckets(&BTreeMap::new()), vec![("1".into(), 0)]);
    }

    #[test]
    fn numbers_have_separators() {
        assert_eq!(n(0), "0");
        assert_eq!(n(999), "999");
        assert_eq!(n(1000), "1,000");
        assert_eq!(n(1234567), "1,234,567");
    }
}
