//! Synthetic channel exports of a Spanish/British retailer, with ground truth, at any scale.
//!
//! [`generate`] writes the seven demo exports that `pipelines/retail_demo.toml` maps
//! (`web_orders.csv`, `pos_tickets.csv`, `loyalty_members.csv`, `app_users.jsonl`,
//! `app_orders.jsonl`, `call_centre.csv`, `messaging_contacts.csv`: same columns, formats,
//! id shapes and noise as the committed `sample_data/`, which it made), plus:
//!
//! - `truth.csv` (`source,record_id,person_id`): the person behind every valid record
//!   (anonymous store tickets are their own person, `ANON-<ticket_id>`);
//! - `truth_transactions.csv` (`person_id,source,transaction_id,ts,amount,currency,kind`):
//!   every purchase and return, to check RFM after resolution;
//! - `bad_rows.csv` (`file,line,record_id,reason`): the deliberately malformed rows, which
//!   are in no truth file. CSV line numbers count the header as line 1; JSON-lines files
//!   start at line 1. No field contains a newline.
//!
//! The population is about 75% Spanish and 25% British, with the hard negatives identity
//! resolution must not merge (households sharing an address, a landline and sometimes a
//! family mailbox; namesakes in one city; `test@test.com` and `000000000` typed by store
//! staff) and the noise it must see through (e-mail case, Gmail dots and `+tags`, phone
//! formats, dropped accents, nicknames, `SURNAMES, NAME`, abbreviated addresses, people who
//! moved, missing fields). About 8.25 records per person.
//!
//! **Deterministic:** the same options give byte-identical files whatever the number of
//! threads. Persons are generated in fixed blocks of [`BLOCK_PERSONS`], each from its own
//! seeded ChaCha8 generators; blocks run in parallel (rayon) and are written in order. E-mail
//! addresses and phone numbers are made unique across the run by a registry the blocks pass
//! through in order (about 10 bytes per value held, ~25 bytes per person).
//!
//! ```no_run
//! use std::path::Path;
//!
//! use omni_datagen::{Channel, GenOptions, generate};
//!
//! let opts = GenOptions { persons: 100_000, seed: 7, ..GenOptions::default() };
//! let summary = generate(&opts, Path::new("/tmp/omni-data"))?;
//! println!("{} records, {} bad rows", summary.records, summary.bad_rows);
//!
//! // Only the web shop and the call centre:
//! let opts = GenOptions { channels: vec![Channel::Web, "call_centre".parse()?], ..opts };
//! generate(&opts, Path::new("/tmp/omni-web-cc"))?;
//! # Ok::<(), omni_datagen::Error>(())
//! ```

mod address;
mod block;
mod channels;
mod contact;
pub mod error;
pub mod eval;
mod ids;
mod names;
mod noise;
mod output;
mod person;
mod places;
mod registry;
pub mod rfm_check;
mod rng;
mod text;
mod time;

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use rayon::prelude::*;
use serde::Serialize;

use crate::block::{BlockOut, Selection};
pub use crate::error::{Error, Result};
use crate::ids::Ids;
use crate::output::Output;
use crate::person::{BLOCK, Block};
use crate::registry::Registry;

/// Persons per generation block (households and namesakes are formed within a block).
pub const BLOCK_PERSONS: u64 = BLOCK;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenOptions {
    /// Number of persons (at least 1).
    pub persons: u64,
    pub seed: u64,
    /// Channels to write; empty means all. `pos` and `loyalty` are written together (tickets
    /// carry loyalty cards); store returns of web orders need `web` too.
    pub channels: Vec<Channel>,
    /// Share of deliberately malformed rows added to each file, in `[0, 0.5]`.
    pub bad_row_rate: f64,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            persons: 400,
            seed: 20_261_122,
            channels: Vec::new(),
            bad_row_rate: 0.0005,
        }
    }
}

/// A channel of the retailer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Web,
    Pos,
    Loyalty,
    App,
    CallCentre,
    Messaging,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Channel::Web,
        Channel::Pos,
        Channel::Loyalty,
        Channel::App,
        Channel::CallCentre,
        Channel::Messaging,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Pos => "pos",
            Channel::Loyalty => "loyalty",
            Channel::App => "app",
            Channel::CallCentre => "call_centre",
            Channel::Messaging => "messaging",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Channel {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim().to_ascii_lowercase().replace('-', "_");
        Channel::ALL
            .into_iter()
            .find(|c| c.name() == t)
            .ok_or_else(|| Error::UnknownChannel {
                name: s.to_string(),
                suggestion: omni_core::suggest(&t, Channel::ALL.iter().map(|c| c.name())),
            })
    }
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GenSummary {
    /// `(file name, data rows, bytes)`, exports first, then `truth.csv`,
    /// `truth_transactions.csv` and `bad_rows.csv`. Data rows exclude the header and
    /// include bad rows.
    pub files: Vec<(String, u64, u64)>,
    pub persons: u64,
    /// Valid records (the rows of `truth.csv`).
    pub records: u64,
    pub bad_rows: u64,
}

/// Everything a block's generation reads.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub seed: u64,
    pub persons: u64,
    pub bad_row_rate: f64,
    pub selection: Selection,
    pub ids: Ids,
}

/// Generates the exports and truth files into `out_dir` (created if missing).
///
/// Files are written as `<name>.tmp` and renamed when complete. Runs on the current rayon
/// thread pool.
pub fn generate(opts: &GenOptions, out_dir: &Path) -> Result<GenSummary> {
    if opts.persons == 0 || opts.persons > 10_000_000_000 {
        return Err(Error::Options {
            option: "persons",
            message: format!("{} is not in 1..=10^10", opts.persons),
        });
    }
    if !(0.0..=0.5).contains(&opts.bad_row_rate) {
        return Err(Error::Options {
            option: "bad_row_rate",
            message: format!("{} is not in [0, 0.5]", opts.bad_row_rate),
        });
    }
    let all = opts.channels.is_empty();
    let has = |c: Channel| all || opts.channels.contains(&c);
    let selection = Selection {
        web: has(Channel::Web),
        store: has(Channel::Pos) || has(Channel::Loyalty),
        app: has(Channel::App),
        call_centre: has(Channel::CallCentre),
        messaging: has(Channel::Messaging),
    };
    let ctx = Ctx {
        seed: opts.seed,
        persons: opts.persons,
        bad_row_rate: opts.bad_row_rate,
        selection,
        ids: Ids::new(opts.persons),
    };
    let mut output = Output::create(out_dir, selection)?;
    if let Err(e) = run(&ctx, &mut output) {
        output.abort();
        return Err(e);
    }
    let (records, bad_rows) = output.counts();
    let files = output.finish()?;
    Ok(GenSummary {
        files,
        persons: opts.persons,
        records,
        bad_rows,
    })
}

fn run(ctx: &Ctx, output: &mut Output) -> Result<()> {
    let n_blocks = ctx.persons.div_ceil(BLOCK);
    // Blocks in flight at once: any number gives the same output.
    let wave = (rayon::current_num_threads() as u64 * 2).clamp(2, 64);
    let mut registry =
        Registry::with_capacity((ctx.persons as usize).saturating_mul(5).min(1 << 30) / 2);
    let mut start = 0;
    while start < n_blocks {
        let end = (start + wave).min(n_blocks);
        let mut blocks: Vec<Block> = (start..end)
            .into_par_iter()
            .map(|b| person::generate_block(ctx, b))
            .collect();
        for b in blocks.iter_mut() {
            registry.register(b, ctx.seed)?;
        }
        let outs: Vec<BlockOut> = blocks.par_iter().map(|b| block::render(ctx, b)).collect();
        for out in outs {
            output.write_block(out)?;
        }
        start = end;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use omni_core::{Classify, ErrorKind};

    #[test]
    fn channel_names_round_trip() {
        for c in Channel::ALL {
            assert_eq!(c.name().parse::<Channel>().unwrap(), c);
        }
        assert_eq!(
            "Call-Centre".parse::<Channel>().unwrap(),
            Channel::CallCentre
        );
        let err = "loyality".parse::<Channel>().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("did you mean `loyalty`"), "{msg}");
        assert!(
            msg.contains("web, pos, loyalty, app, call_centre, messaging"),
            "{msg}"
        );
        assert_eq!(err.kind(), ErrorKind::User);
    }

    #[test]
    fn bad_options_are_user_errors() {
        let dir = tempfile::tempdir().unwrap();
        for opts in [
            GenOptions {
                persons: 0,
                ..GenOptions::default()
            },
            GenOptions {
                bad_row_rate: 0.9,
                ..GenOptions::default()
            },
            GenOptions {
                bad_row_rate: f64::NAN,
                ..GenOptions::default()
            },
        ] {
            let err = generate(&opts, dir.path()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::User, "{err}");
        }
        // A file where the output directory should be.
        let file = dir.path().join("f");
        std::fs::write(&file, "x").unwrap();
        let err = generate(
            &GenOptions {
                persons: 5,
                ..GenOptions::default()
            },
            &file,
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::User, "{err}");
    }
}
