//! The probabilistic tier: blocking → candidate pairs → comparison levels → Fellegi-Sunter
//! weights with m and u estimated without labels.
//!
//! - **u** (how often non-matching records agree at each level) comes from random record
//!   pairs, almost all of which are non-matches.
//! - **m** (how often matching records agree) comes from EM over the *distinct comparison
//!   patterns* of the candidate pairs, one EM per blocking rule with the comparisons that
//!   rule blocks on (and fields correlated with them) left out, since its pairs agree there
//!   by construction; the estimates of the rules are averaged, weighted by the matches each
//!   rule is estimated to hold.
//! - the prior (share of candidate pairs that match) is then fitted by EM with m and u
//!   fixed, over every candidate pair.
//! - exact agreement on names and cities is weighted by the value's frequency (term
//!   frequency adjustment): two records called "Maria Garcia" are weaker evidence than two
//!   called "Eider Zubizarreta".
//!
//! Everything is deterministic: sampling uses a fixed seed, pairs are sorted, and parallel
//! work is gathered in input order.

use rustc_hash::FxHashMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::compare::{self, Comparison};
use crate::config::ProbabilisticConfig;
use crate::error::{Error, Result};
use crate::features::{Features, NO_DATE, NONE};

/// A blocking key part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKey {
    FirstName,
    LastName,
    Surname1,
    FirstInitial,
    BirthDate,
    BirthYear,
    Postcode,
    City,
    Address,
    EmailLocal,
    Phone,
    NationalId,
    First3,
    Last3,
}

impl BlockKey {
    pub const NAMES: [&'static str; 14] = [
        "first_name",
        "last_name",
        "surname1",
        "first_initial",
        "birth_date",
        "birth_year",
        "postcode",
        "city",
        "address",
        "email_local",
        "phone",
        "national_id",
        "first3",
        "last3",
    ];

    pub fn parse(s: &str) -> Option<BlockKey> {
        use BlockKey::*;
        Some(match s {
            "first_name" => FirstName,
            "last_name" => LastName,
            "surname1" => Surname1,
            "first_initial" => FirstInitial,
            "birth_date" => BirthDate,
            "birth_year" => BirthYear,
            "postcode" => Postcode,
            "city" => City,
            "address" => Address,
            "email_local" => EmailLocal,
            "phone" => Phone,
            "national_id" => NationalId,
            "first3" => First3,
            "last3" => Last3,
            _ => return None,
        })
    }

    /// The comparisons a pair blocked on this key agrees on by construction, or nearly
    /// (fields of one place move together: postcode, city, address).
    fn blocks(self) -> &'static [Comparison] {
        use Comparison as C;
        match self {
            BlockKey::FirstName | BlockKey::FirstInitial | BlockKey::First3 => &[C::FirstName],
            BlockKey::LastName | BlockKey::Surname1 | BlockKey::Last3 => &[C::LastName],
            BlockKey::BirthDate | BlockKey::BirthYear => &[C::BirthDate],
            BlockKey::Postcode | BlockKey::City | BlockKey::Address => {
                &[C::Postcode, C::City, C::Address]
            }
            BlockKey::EmailLocal => &[C::Email],
            BlockKey::Phone => &[C::Phone],
            BlockKey::NationalId => &[C::NationalId],
        }
    }
}

/// FNV-1a, for blocking keys built from strings (stable across runs and platforms).
fn fnv(bytes: &[u8], mut h: u64) -> u64 {
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

fn mix(h: u64, x: u64) -> u64 {
    fnv(&x.to_le_bytes(), h)
}

/// The key `k` of record `p`, for keys read straight from a column (the derived ones are in
/// [`Derived`]).
fn key_part(f: &Features, k: BlockKey, p: usize) -> Option<u64> {
    let id = |v: u32| (v != NONE).then_some(v as u64);
    match k {
        BlockKey::FirstName => id(f.first.ids[p]),
        BlockKey::LastName => id(f.last.ids[p]),
        BlockKey::FirstInitial => f.first.get(p).and_then(|s| s.bytes().next()).map(u64::from),
        BlockKey::BirthDate => (f.dob[p] != NO_DATE).then(|| f.dob[p] as u32 as u64),
        BlockKey::BirthYear => (f.dob[p] != NO_DATE).then(|| compare::ymd(f.dob[p]).0 as u64),
        BlockKey::Postcode => id(f.postcode.ids[p]),
        BlockKey::City => id(f.city.ids[p]),
        BlockKey::Address => id(f.address.ids[p]),
        BlockKey::Phone => id(f.phone.ids[p]),
        BlockKey::NationalId => id(f.national_id.ids[p]),
        BlockKey::Surname1 | BlockKey::EmailLocal | BlockKey::First3 | BlockKey::Last3 => {
            unreachable!("derived keys are looked up per value")
        }
    }
}

/// The first three bytes of a folded (ASCII) value, hashed.
fn prefix3(s: &str, seed: u64) -> u64 {
    fnv(&s.as_bytes()[..s.len().min(3)], seed)
}

/// Parsed blocking rules and comparisons of a config.
#[derive(Debug, Clone)]
pub struct Plan {
    pub comparisons: Vec<Comparison>,
    pub rules: Vec<Vec<BlockKey>>,
    pub rule_names: Vec<String>,
    pub tf: Vec<bool>,
}

impl Plan {
    pub fn new(cfg: &ProbabilisticConfig) -> Result<Plan> {
        let mut comparisons = Vec::new();
        for c in &cfg.comparisons {
            let cmp = Comparison::parse(c).ok_or_else(|| {
                Error::Config(format!(
                    "identity.probabilistic.comparisons: unknown comparison `{c}`; use some of: {}",
                    Comparison::ALL.map(|c| c.name()).join(", ")
                ))
            })?;
            if !comparisons.contains(&cmp) {
                comparisons.push(cmp);
            }
        }
        let mut rules = Vec::new();
        let mut rule_names = Vec::new();
        for (i, r) in cfg.blocking.iter().enumerate() {
            if r.is_empty() {
                return Err(Error::Config(format!(
                    "identity.probabilistic.blocking[{i}] is empty; give at least one key, e.g. [\"last_name\", \"postcode\"]"
                )));
            }
            let keys = r
                .iter()
                .map(|k| {
                    BlockKey::parse(k).ok_or_else(|| {
                        Error::Config(format!(
                            "identity.probabilistic.blocking[{i}]: unknown key `{k}`; use some of: {}",
                            BlockKey::NAMES.join(", ")
                        ))
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            rules.push(keys);
            rule_names.push(r.join("+"));
        }
        if comparisons.len() > 16 {
            return Err(Error::Config(
                "identity.probabilistic.comparisons: at most 16".into(),
            ));
        }
        if rules.len() > 16 {
            return Err(Error::Config(format!(
                "identity.probabilistic.blocking: {} rules, at most 16 are supported; drop the \
                 narrowest rules (a pair found by a broader rule needs no narrower one)",
                rules.len()
            )));
        }
        for t in &cfg.term_frequency {
            if !matches!(
                Comparison::parse(t),
                Some(Comparison::FirstName | Comparison::LastName | Comparison::City)
            ) {
                return Err(Error::Config(format!(
                    "identity.probabilistic.term_frequency: `{t}` cannot be frequency-adjusted; use some of: first_name, last_name, city"
                )));
            }
        }
        if !(0.0..1.0).contains(&cfg.threshold) || cfg.threshold <= 0.0 {
            return Err(Error::Config(format!(
                "identity.probabilistic.threshold = {}: a match probability strictly between 0 and 1, e.g. 0.99",
                cfg.threshold
            )));
        }
        let tf = comparisons
            .iter()
            .map(|c| cfg.term_frequency.iter().any(|t| t == c.name()))
            .collect();
        Ok(Plan {
            comparisons,
            rules,
            rule_names,
            tf,
        })
    }
}

/// Candidate pairs, sorted, with the rules that produced each (bit `r` for rule `r`).
#[derive(Debug, Default)]
pub struct Candidates {
    pub pairs: Vec<(u32, u32)>,
    pub rules: Vec<u16>,
    /// Whether the pair is already one customer (deterministically): such pairs train the
    /// model (they show how one person's records agree) but need no decision.
    pub same: Vec<bool>,
    /// Key values skipped because too many records share them, per rule.
    pub hot_keys: Vec<u64>,
}

/// Most records one resolve takes: a candidate pair is packed into one `u64` with its rule
/// (30 bits for each record position, 4 for the rule).
pub const MAX_RECORDS: usize = 1 << 30;

/// A candidate pair `(a, b)` of rule `r`, packed so that sorting the numbers sorts by
/// `(a, b)` and then by rule.
#[inline]
fn pack(a: u32, b: u32, r: usize) -> u64 {
    ((a as u64) << 34) | ((b as u64) << 4) | r as u64
}

/// Blocking keys derived from a value (a first surname, a prefix, an e-mail's local part),
/// computed once per distinct value instead of once per record.
struct Derived {
    surname1: Option<Vec<Option<u64>>>,
    first3: Option<Vec<Option<u64>>>,
    last3: Option<Vec<Option<u64>>>,
    email_local: Option<Vec<Option<u64>>>,
}

impl Derived {
    fn new(f: &Features, plan: &Plan) -> Derived {
        let used = |k: BlockKey| plan.rules.iter().flatten().any(|&x| x == k);
        let table = |k: BlockKey, col: &crate::features::Interned| {
            used(k).then(|| {
                col.values
                    .par_iter()
                    .map(|v| derived_key(k, v))
                    .collect::<Vec<_>>()
            })
        };
        Derived {
            surname1: table(BlockKey::Surname1, &f.last),
            first3: table(BlockKey::First3, &f.first),
            last3: table(BlockKey::Last3, &f.last),
            email_local: table(BlockKey::EmailLocal, &f.email),
        }
    }
}

/// The key `k` derives from one value of its column.
fn derived_key(k: BlockKey, v: &str) -> Option<u64> {
    match k {
        BlockKey::Surname1 => compare::surname_tokens(v)
            .first()
            .map(|t| fnv(t.as_bytes(), 7)),
        BlockKey::First3 => Some(prefix3(v, 13)),
        BlockKey::Last3 => Some(prefix3(v, 17)),
        BlockKey::EmailLocal => {
            let local = v.split_once('@').map_or(v, |x| x.0);
            (local.len() >= 4).then(|| fnv(local.as_bytes(), 11))
        }
        _ => None,
    }
}

/// Records agreeing on every key of a rule are candidate pairs; `cluster_of` tells which are
/// already one customer.
pub fn candidates(f: &Features, plan: &Plan, max_block: usize, cluster_of: &[u32]) -> Candidates {
    assert!(
        f.n <= MAX_RECORDS && plan.rules.len() <= 16,
        "the resolver checks the record and rule counts first"
    );
    let derived = Derived::new(f, plan);
    let by_value = |t: &Option<Vec<Option<u64>>>, col: &crate::features::Interned, p: usize| {
        let id = col.ids[p];
        if id == NONE {
            return None;
        }
        t.as_ref().expect("derived for the rules that use it")[id as usize]
    };
    let key = |k: BlockKey, p: usize| match k {
        BlockKey::Surname1 => by_value(&derived.surname1, &f.last, p),
        BlockKey::First3 => by_value(&derived.first3, &f.first, p),
        BlockKey::Last3 => by_value(&derived.last3, &f.last, p),
        BlockKey::EmailLocal => by_value(&derived.email_local, &f.email, p),
        _ => key_part(f, k, p),
    };
    let mut all: Vec<u64> = Vec::new();
    let mut hot_keys = Vec::new();
    for (r, keys) in plan.rules.iter().enumerate() {
        let mut keyed: Vec<(u64, u32)> = (0..f.n)
            .into_par_iter()
            .filter_map(|p| {
                let mut h = mix(0xcbf2_9ce4_8422_2325, r as u64);
                for &k in keys {
                    h = mix(h, key(k, p)?);
                }
                Some((h, p as u32))
            })
            .collect();
        keyed.par_sort_unstable();
        let groups: Vec<&[(u64, u32)]> = keyed
            .chunk_by(|a, b| a.0 == b.0)
            .filter(|g| g.len() >= 2)
            .collect();
        hot_keys.push(groups.iter().filter(|g| g.len() > max_block).count() as u64);
        // Within a group the positions ascend, so every pair has a < b.
        let pairs: Vec<u64> = groups
            .par_iter()
            .filter(|g| g.len() <= max_block)
            .flat_map_iter(|g| {
                (0..g.len())
                    .flat_map(move |i| (i + 1..g.len()).map(move |j| pack(g[i].1, g[j].1, r)))
            })
            .collect();
        all.extend(pairs);
    }
    all.par_sort_unstable();
    let (pairs, rules, same) = group_pairs(&all, cluster_of);
    Candidates {
        pairs,
        rules,
        same,
        hot_keys,
    }
}

/// The sorted packed pairs of every rule, one entry per record pair: the pair, the mask of
/// the rules that found it, and whether it is already one customer. In parallel pieces cut at
/// pair boundaries, each written in place into its share of the output (counted first), so
/// the result is the same at any thread count.
fn group_pairs(all: &[u64], cluster_of: &[u32]) -> (Vec<(u32, u32)>, Vec<u16>, Vec<bool>) {
    let same_pair = |x: u64, y: u64| x >> 4 == y >> 4;
    // Piece boundaries: even cuts moved forward to the start of a pair's run.
    let pieces = (rayon::current_num_threads() * 4).max(1);
    let mut cuts: Vec<usize> = (0..=pieces).map(|k| all.len() * k / pieces).collect();
    for c in cuts.iter_mut() {
        while *c > 0 && *c < all.len() && same_pair(all[*c - 1], all[*c]) {
            *c += 1;
        }
    }
    cuts.dedup();
    let ranges: Vec<&[u64]> = cuts.windows(2).map(|w| &all[w[0]..w[1]]).collect();
    let counts: Vec<usize> = ranges
        .par_iter()
        .map(|r| r.chunk_by(|&x, &y| same_pair(x, y)).count())
        .collect();
    let total: usize = counts.iter().sum();
    let mut pairs = vec![(0u32, 0u32); total];
    let mut rules = vec![0u16; total];
    let mut same = vec![false; total];
    let mut outs = Vec::with_capacity(ranges.len());
    let (mut p, mut r, mut s) = (&mut pairs[..], &mut rules[..], &mut same[..]);
    for &n in &counts {
        let (p1, p2) = std::mem::take(&mut p).split_at_mut(n);
        let (r1, r2) = std::mem::take(&mut r).split_at_mut(n);
        let (s1, s2) = std::mem::take(&mut s).split_at_mut(n);
        outs.push((p1, r1, s1));
        (p, r, s) = (p2, r2, s2);
    }
    ranges
        .into_par_iter()
        .zip(outs)
        .for_each(|(range, (p, r, s))| {
            let runs = range.chunk_by(|&x, &y| same_pair(x, y));
            for (((g, p), r), s) in runs.zip(p).zip(r).zip(s) {
                let (a, b) = (
                    (g[0] >> 34) as u32,
                    ((g[0] >> 4) & (MAX_RECORDS as u64 - 1)) as u32,
                );
                *p = (a, b);
                *r = g.iter().fold(0u16, |m, x| m | 1 << (x & 0xf));
                *s = cluster_of[a as usize] == cluster_of[b as usize];
            }
        });
    (pairs, rules, same)
}

/// Levels already computed for pairs of distinct values, per comparison: names, postcodes
/// and cities repeat across pairs, and a string comparison costs far more than a lookup.
/// One map per comparison, keyed by the unordered value-id pair, with a multiplicative hash
/// (the keys are small integers, not attacker-chosen: SipHash's cost buys nothing here).
#[derive(Debug, Default)]
pub struct Memo(Vec<FxHashMap<u64, u8>>, bool);

impl Memo {
    /// No memory: for random pairs, whose values seldom meet twice.
    pub fn off() -> Memo {
        Memo(Vec::new(), true)
    }

    #[inline]
    fn get_or(&mut self, c: Comparison, x: u32, y: u32, compute: impl FnOnce() -> u8) -> u8 {
        if self.1 {
            return compute();
        }
        let k = c as usize;
        if self.0.len() <= k {
            self.0.resize_with(k + 1, Default::default);
        }
        let key = ((x.min(y) as u64) << 32) | x.max(y) as u64;
        *self.0[k].entry(key).or_insert_with(compute)
    }
}

/// The level of comparison `c` for records `a` and `b`.
#[inline]
pub fn level(f: &Features, c: Comparison, a: usize, b: usize, memo: &mut Memo) -> u8 {
    // `cmp` gets each side's value id and text.
    let text = |col: &crate::features::Interned,
                memo: &mut Memo,
                cmp: &dyn Fn(u32, &str, u32, &str) -> u8|
     -> u8 {
        let (x, y) = (col.ids[a], col.ids[b]);
        if x == NONE || y == NONE {
            0
        } else if x == y {
            1
        } else {
            // Every comparator is symmetric, so the key is the unordered pair.
            memo.get_or(c, x, y, || {
                cmp(x, &col.values[x as usize], y, &col.values[y as usize])
            })
        }
    };
    // The address and surname comparators read words split once per value, when the
    // features have them.
    let words = |w: &crate::compare::Words,
                 x: u32,
                 y: u32,
                 split: fn(&str, compare::Split, &str, compare::Split) -> u8,
                 plain: fn(&str, &str) -> u8,
                 sx: &str,
                 sy: &str|
     -> u8 {
        match (w.get(x), w.get(y)) {
            (Some(wx), Some(wy)) => split(sx, wx, sy, wy),
            _ => plain(sx, sy),
        }
    };
    // Comparators cheaper than a memo lookup (a few byte comparisons) run every time.
    let direct = |col: &crate::features::Interned, cmp: &dyn Fn(&str, &str) -> u8| -> u8 {
        let (x, y) = (col.ids[a], col.ids[b]);
        if x == NONE || y == NONE {
            0
        } else if x == y {
            1
        } else {
            cmp(&col.values[x as usize], &col.values[y as usize])
        }
    };
    // First name and surname written the other way round on one side: checked only for
    // pairs whose names disagree (the memo holds single-field levels).
    let swap = |l: u8, different: u8| -> u8 {
        if l == different
            && let (Some(fa), Some(la), Some(fb), Some(lb)) =
                (f.first.get(a), f.last.get(a), f.first.get(b), f.last.get(b))
            && compare::swapped(fa, la, fb, lb)
        {
            different - 1
        } else {
            l
        }
    };
    match c {
        Comparison::FirstName => {
            // The formal names were interned with the features (the nickname lookup is
            // done once per distinct name, not per pair).
            let l = text(&f.first, memo, &|_, x, _, y| {
                let cx = f.first_canon.get(a).unwrap_or(x);
                let cy = f.first_canon.get(b).unwrap_or(y);
                compare::first_name(x, y, cx, cy)
            });
            swap(l, c.different_level())
        }
        Comparison::LastName => {
            let l = text(&f.last, memo, &|x, sx, y, sy| {
                words(
                    &f.last_words,
                    x,
                    y,
                    compare::last_name_words,
                    compare::last_name,
                    sx,
                    sy,
                )
            });
            swap(l, c.different_level())
        }
        Comparison::BirthDate => {
            let (x, y) = (f.dob[a], f.dob[b]);
            if x == NO_DATE || y == NO_DATE {
                0
            } else {
                compare::birth_date(x, y)
            }
        }
        Comparison::Postcode => direct(&f.postcode, &compare::postcode),
        Comparison::Address => text(&f.address, memo, &|x, sx, y, sy| {
            words(
                &f.address_words,
                x,
                y,
                compare::address_words,
                compare::address,
                sx,
                sy,
            )
        }),
        // The city is evidence only when a postcode is missing: two records with one
        // postcode are in one city, and counting both would count the place twice.
        // A record without a city but with a landline is placed by its area code.
        Comparison::City => {
            let (ca, cb) = (f.city.get(a), f.city.get(b));
            if f.place_by_postcode && f.postcode.ids[a] != NONE && f.postcode.ids[b] != NONE {
                0
            } else if ca.is_some() && cb.is_some() {
                text(&f.city, memo, &|_, x, _, y| compare::city(x, y))
            } else if let (Some(city), Some(area)) = (ca, f.phone_area.get(b)) {
                compare::city_by_area(area, city)
            } else if let (Some(area), Some(city)) = (f.phone_area.get(a), cb) {
                compare::city_by_area(area, city)
            } else {
                0
            }
        }
        // Most pairs of different e-mails are told apart by their summaries (domain, length)
        // alone, cheaper than a memo lookup.
        Comparison::Email => {
            let (x, y) = (f.email.ids[a], f.email.ids[b]);
            if x != NONE
                && y != NONE
                && x != y
                && let (Some(&sx), Some(&sy)) = (
                    f.email_summary.get(x as usize),
                    f.email_summary.get(y as usize),
                )
                && !compare::email_may_be_close(sx, sy)
            {
                c.different_level()
            } else {
                text(&f.email, memo, &|_, x, _, y| compare::email(x, y))
            }
        }
        // A geographic landline against a number that is not one (a mobile, usually): people
        // have both, so the difference says less than two different mobiles.
        Comparison::Phone => {
            let l = direct(&f.phone, &compare::phone);
            if l == c.different_level()
                && (f.phone_area.ids[a] == NONE) != (f.phone_area.ids[b] == NONE)
            {
                c.different_level() - 1
            } else {
                l
            }
        }
        Comparison::NationalId => direct(&f.national_id, &compare::national_id),
    }
}

/// Packs the levels of a pair: 4 bits a comparison.
pub fn pattern(f: &Features, comps: &[Comparison], a: usize, b: usize, memo: &mut Memo) -> u64 {
    let mut p = 0u64;
    for (k, &c) in comps.iter().enumerate() {
        p |= (level(f, c, a, b, memo) as u64) << (4 * k);
    }
    p
}

/// The patterns of many pairs, one comparison at a time (its two columns and its memo stay in
/// cache, instead of every column of both records for each pair), in parallel chunks with a
/// memo each (same result at any thread count: the memo only caches pure functions).
pub fn patterns(f: &Features, comps: &[Comparison], pairs: &[(u32, u32)]) -> Vec<u64> {
    let mut out = vec![0u64; pairs.len()];
    for (k, &c) in comps.iter().enumerate() {
        let t0 = std::time::Instant::now();
        out.par_chunks_mut(32_768)
            .zip(pairs.par_chunks(32_768))
            .for_each_init(Memo::default, |memo, (out, chunk)| {
                for (o, &(a, b)) in out.iter_mut().zip(chunk) {
                    *o |= (level(f, c, a as usize, b as usize, memo) as u64) << (4 * k);
                }
            });
        tracing::debug!(
            comparison = c.name(),
            ms = t0.elapsed().as_millis() as u64,
            "compared"
        );
    }
    out
}

#[inline]
pub fn level_of(pattern: u64, k: usize) -> usize {
    ((pattern >> (4 * k)) & 0xf) as usize
}

/// Fitted Fellegi-Sunter parameters.
#[derive(Debug, Clone, Serialize)]
pub struct Model {
    pub comparisons: Vec<Comparison>,
    /// `m[k][level]`: P(level | match). Index 0 (null) unused.
    pub m: Vec<Vec<f64>>,
    /// `u[k][level]`: P(level | non-match).
    pub u: Vec<Vec<f64>>,
    /// Probability that two records drawn at random are one person.
    pub prior: f64,
    /// Whether exact agreement of comparison k is frequency-adjusted.
    pub tf: Vec<bool>,
    /// EM iterations run, per blocking rule.
    pub em_iterations: Vec<usize>,
    /// Whether m came from EM (false: too few candidate pairs, defaults used).
    pub trained: bool,
}

/// splitmix64: a small seeded generator for the u sample (fixed seed, so runs repeat).
struct SplitMix(u64);
impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// u probabilities from random pairs (all pairs when there are fewer than `samples`).
pub fn estimate_u(f: &Features, comps: &[Comparison], samples: usize) -> Vec<Vec<f64>> {
    let n = f.n as u64;
    let total = n * n.saturating_sub(1) / 2;
    let pairs: Vec<(u32, u32)> = if total <= samples as u64 {
        (0..f.n as u32)
            .flat_map(|a| (a + 1..f.n as u32).map(move |b| (a, b)))
            .collect()
    } else {
        let mut rng = SplitMix(0x6f6d_6e69_6361_6e61);
        let mut v = Vec::with_capacity(samples);
        while v.len() < samples {
            let a = (rng.next() % n) as u32;
            let b = (rng.next() % n) as u32;
            if a != b {
                v.push((a.min(b), a.max(b)));
            }
        }
        v
    };
    // Chunks small enough to keep both cores busy to the end (the counts are integers: the
    // same sums whatever the split).
    let counts: Vec<Vec<u64>> = pairs
        .par_chunks(8_192)
        .map(|chunk| {
            let mut c: Vec<Vec<u64>> = comps.iter().map(|k| vec![0; k.n_levels()]).collect();
            let mut memo = Memo::off();
            for (k, &cmp) in comps.iter().enumerate() {
                for &(a, b) in chunk {
                    c[k][level(f, cmp, a as usize, b as usize, &mut memo) as usize] += 1;
                }
            }
            c
        })
        .reduce(
            || comps.iter().map(|k| vec![0; k.n_levels()]).collect(),
            |mut x, y| {
                for (a, b) in x.iter_mut().zip(y) {
                    for (p, q) in a.iter_mut().zip(b) {
                        *p += q;
                    }
                }
                x
            },
        );
    counts
        .iter()
        .zip(comps)
        .map(|(c, &cmp)| {
            let levels = c.len() - 1;
            // Exact agreement of two random records is known exactly from the value counts
            // (sum over values of c(c-1) / P(P-1)); the sample gives the split of the rest.
            let exact = exact_agreement(f, cmp);
            let seen: u64 = c[1..].iter().sum();
            // Additive smoothing keeps every level possible (small data, unseen levels).
            let alpha = 0.5;
            let mut u = vec![0.0; c.len()];
            for l in 1..c.len() {
                u[l] = (c[l] as f64 + alpha) / (seen as f64 + alpha * levels as f64);
            }
            if let Some(x) = exact {
                let rest: f64 = u[2..].iter().sum();
                let x = x.clamp(1e-9, 1.0 - 1e-9);
                u[1] = x;
                for v in u[2..].iter_mut() {
                    *v *= (1.0 - x) / rest;
                }
            }
            u
        })
        .collect()
}

/// P(two random records with values agree exactly), from the interned value counts.
fn exact_agreement(f: &Features, c: Comparison) -> Option<f64> {
    let col = match c {
        Comparison::FirstName => &f.first,
        Comparison::LastName => &f.last,
        Comparison::Postcode => &f.postcode,
        Comparison::Address => &f.address,
        Comparison::Email => &f.email,
        Comparison::Phone => &f.phone,
        Comparison::NationalId => &f.national_id,
        // birth dates are not interned; the city is compared only without postcodes
        Comparison::BirthDate | Comparison::City => return None,
    };
    let p = col.present as f64;
    if p < 2.0 {
        return None;
    }
    let same: f64 = col
        .counts
        .iter()
        .map(|&c| c as f64 * (c as f64 - 1.0))
        .sum();
    Some(same / (p * (p - 1.0)))
}

/// Starting m (P(level | match)), from what is known of customer data: a person's records
/// mostly agree exactly, birth dates nearly always, e-mails and phones less (people have
/// several). EM starts here, and comparisons the data cannot inform keep it.
pub fn initial_m(c: Comparison) -> Vec<f64> {
    let m: &[f64] = match c {
        Comparison::FirstName => &[0.0, 0.80, 0.08, 0.04, 0.02, 0.02, 0.01, 0.03],
        Comparison::LastName => &[0.0, 0.80, 0.12, 0.04, 0.02, 0.005, 0.01, 0.005],
        Comparison::BirthDate => &[0.0, 0.92, 0.02, 0.04, 0.02],
        Comparison::Postcode => &[0.0, 0.85, 0.10, 0.05],
        Comparison::Address => &[0.0, 0.60, 0.20, 0.08, 0.12],
        Comparison::City => &[0.0, 0.85, 0.05, 0.04, 0.02, 0.04],
        Comparison::Email => &[0.0, 0.85, 0.02, 0.13],
        Comparison::Phone => &[0.0, 0.85, 0.02, 0.06, 0.07],
        Comparison::NationalId => &[0.0, 0.90, 0.05, 0.05],
    };
    debug_assert_eq!(m.len(), c.n_levels());
    m.to_vec()
}

/// log-likelihood pieces of a pattern: (log P(pattern|match), log P(pattern|non-match)).
fn log_likelihoods(p: u64, m: &[Vec<f64>], u: &[Vec<f64>], active: &[bool]) -> (f64, f64) {
    let (mut lm, mut lu) = (0.0, 0.0);
    for k in 0..m.len() {
        let l = level_of(p, k);
        if l == 0 || !active[k] {
            continue;
        }
        lm += m[k][l].max(1e-12).ln();
        lu += u[k][l].max(1e-12).ln();
    }
    (lm, lu)
}

/// EM over distinct patterns with u fixed. `fit_m` false fits only the prior.
/// Returns (m, prior, iterations, expected matches).
fn em(
    patterns: &[(u64, u64)],
    m0: Vec<Vec<f64>>,
    u: &[Vec<f64>],
    active: &[bool],
    fit_m: bool,
    max_iter: usize,
) -> (Vec<Vec<f64>>, f64, usize, f64) {
    let mut m = m0.clone();
    let mut prior = 0.1f64;
    let total: f64 = patterns.iter().map(|x| x.1 as f64).sum();
    let mut iterations = 0;
    let mut matches = 0.0;
    if total == 0.0 {
        return (m, prior, 0, 0.0);
    }
    for _ in 0..max_iter {
        iterations += 1;
        let mut acc: Vec<Vec<f64>> = m.iter().map(|x| vec![0.0; x.len()]).collect();
        matches = 0.0;
        let lp = prior.ln();
        let lq = (1.0 - prior).ln();
        for &(p, c) in patterns {
            let (lm, lu) = log_likelihoods(p, &m, u, active);
            let a = lp + lm;
            let b = lq + lu;
            let w = 1.0 / (1.0 + (b - a).exp());
            let cw = c as f64 * w;
            matches += cw;
            if fit_m {
                for (k, row) in acc.iter_mut().enumerate() {
                    let l = level_of(p, k);
                    if l != 0 && active[k] {
                        row[l] += cw;
                    }
                }
            }
        }
        let new_prior = (matches / total).clamp(1e-9, 1.0 - 1e-9);
        let mut delta = (new_prior - prior).abs();
        prior = new_prior;
        if fit_m {
            for (k, row) in acc.iter().enumerate() {
                let s: f64 = row.iter().sum();
                if s <= 0.0 || !active[k] {
                    continue;
                }
                for l in 1..row.len() {
                    // Pseudo-counts from the starting m: a level seen in few matching pairs
                    // keeps a plausible probability instead of 0 or 1.
                    let v = ((row[l] + SMOOTHING * m0[k][l]) / (s + SMOOTHING)).max(1e-6);
                    delta = delta.max((v - m[k][l]).abs());
                    m[k][l] = v;
                }
            }
        }
        if delta < 1e-7 {
            break;
        }
    }
    (m, prior, iterations, matches)
}

/// Weight (in matching pairs) of the starting m in every M step.
const SMOOTHING: f64 = 20.0;

/// Counts distinct patterns, from (pattern, occurrences) items; sorted by pattern.
fn count_patterns(it: impl Iterator<Item = (u64, u64)>) -> Vec<(u64, u64)> {
    let mut h: FxHashMap<u64, u64> = FxHashMap::default();
    for (p, n) in it {
        *h.entry(p).or_default() += n;
    }
    let mut v: Vec<(u64, u64)> = h.into_iter().collect();
    v.sort_unstable();
    v
}

/// Known (deterministic) matching pairs a comparison needs on both sides for its EM
/// estimate to be used.
pub const MIN_KNOWN_MATCHES: u64 = 30;

/// Deterministically linked candidate pairs needed before [`MIN_KNOWN_MATCHES`] applies (with
/// fewer, there is no deterministic tier to check against and EM is trusted).
pub const MIN_KNOWN_PAIRS: u64 = 1000;

/// Below this many candidate pairs for a rule, its EM is skipped (too little data).
pub const MIN_PAIRS_FOR_EM: usize = 200;

/// Fits the model on the candidates' patterns.
pub fn fit(
    f: &Features,
    plan: &Plan,
    cand: &Candidates,
    patterns: &[u64],
    known_matching_pairs: u64,
    cfg: &ProbabilisticConfig,
) -> Model {
    let comps = &plan.comparisons;
    let t0 = std::time::Instant::now();
    let u = estimate_u(f, comps, cfg.u_sample_pairs);
    tracing::debug!(ms = t0.elapsed().as_millis() as u64, "u estimated");
    let k = comps.len();
    let mut sum_m: Vec<Vec<f64>> = comps.iter().map(|c| vec![0.0; c.n_levels()]).collect();
    let mut weight = vec![0.0f64; k];
    let mut iterations = Vec::new();
    let mut most_matches = 0.0f64;
    // Distinct (pattern, rules) combinations, counted once: each rule's pattern counts are
    // sums over them (a few thousand), not a pass over every candidate pair.
    let combos: Vec<((u64, u16), u64)> = {
        let counted = patterns
            .par_chunks(1 << 16)
            .zip(cand.rules.par_chunks(1 << 16))
            .fold(FxHashMap::<(u64, u16), u64>::default, |mut h, (ps, rs)| {
                for (&p, &r) in ps.iter().zip(rs) {
                    *h.entry((p, r)).or_default() += 1;
                }
                h
            })
            .reduce(FxHashMap::default, |mut x, y| {
                for (k, v) in y {
                    *x.entry(k).or_default() += v;
                }
                x
            });
        counted.into_iter().collect()
    };
    for (r, keys) in plan.rules.iter().enumerate() {
        let active: Vec<bool> = comps
            .iter()
            .map(|c| !keys.iter().any(|key| key.blocks().contains(c)))
            .collect();
        let mine = combos.iter().filter(|((_, mask), _)| *mask & (1 << r) != 0);
        if mine.clone().map(|(_, n)| n).sum::<u64>() < MIN_PAIRS_FOR_EM as u64 {
            iterations.push(0);
            continue;
        }
        let pats = count_patterns(mine.map(|&((p, _), n)| (p, n)));
        let m0: Vec<Vec<f64>> = comps.iter().map(|&c| initial_m(c)).collect();
        let (m, _prior, it, matches) = em(&pats, m0, &u, &active, true, cfg.em_max_iterations);
        iterations.push(it);
        most_matches = most_matches.max(matches);
        for kk in 0..k {
            if active[kk] {
                for (s, v) in sum_m[kk].iter_mut().zip(&m[kk]) {
                    *s += v * matches;
                }
                weight[kk] += matches;
            }
        }
    }
    let trained = weight.iter().any(|&w| w > 0.0);
    // A comparison that (almost) no deterministically linked pair has on both sides cannot
    // be checked against known matches; EM's estimate for it rests on look-alikes (namesakes
    // who agree on everything else) and is not trusted: the starting m is kept.
    let mut known = vec![0u64; k];
    for (&p, &same) in patterns.iter().zip(&cand.same) {
        if same {
            for (kk, n) in known.iter_mut().enumerate() {
                if level_of(p, kk) != 0 {
                    *n += 1;
                }
            }
        }
    }
    let det_informative = cand.same.iter().filter(|&&x| x).count() as u64 >= MIN_KNOWN_PAIRS;
    let m: Vec<Vec<f64>> = comps
        .iter()
        .enumerate()
        .map(|(kk, &c)| {
            if weight[kk] > 0.0 && (!det_informative || known[kk] >= MIN_KNOWN_MATCHES) {
                sum_m[kk].iter().map(|s| s / weight[kk]).collect()
            } else {
                initial_m(c)
            }
        })
        .collect();
    // The prior: the chance that two records drawn at random are one person. The matching
    // pairs are at least those the deterministic tier already joined, and at least the
    // matches EM finds among any one blocking rule's candidates (rules are OR-ed, each sees
    // a part). Estimating it over all candidate pairs at once instead would count the
    // blocking's agreement as evidence twice.
    let n = f.n as f64;
    let all_pairs = (n * (n - 1.0) / 2.0).max(1.0);
    let matching = (known_matching_pairs as f64).max(most_matches).max(1.0);
    let prior = (matching / all_pairs).clamp(1e-12, 0.5);
    Model {
        comparisons: comps.clone(),
        m,
        u,
        prior,
        tf: plan.tf.clone(),
        em_iterations: iterations,
        trained,
    }
}

/// A scored pair's evidence: the weight (log2 Bayes factor) of each comparison.
#[derive(Debug, Clone)]
pub struct Scored {
    /// Per comparison: (level, weight).
    pub parts: Vec<(u8, f64)>,
    /// Prior log2-odds + the parts.
    pub total: f64,
    pub probability: f64,
}

impl Model {
    /// The prior as log2 odds.
    pub fn prior_weight(&self) -> f64 {
        (self.prior / (1.0 - self.prior)).log2()
    }

    /// Weight of level `l` of comparison `k`, frequency-adjusted for record `a`'s value.
    #[inline]
    pub fn part(&self, f: &Features, k: usize, l: usize, a: usize) -> f64 {
        if l == 0 {
            return 0.0;
        }
        if l == 1
            && let Some(col) = self.tf_column(f, k)
        {
            let tf = col.tf(a);
            if tf > 0.0 {
                return self.weight(k, l, tf);
            }
        }
        self.weight(k, l, self.u[k][l])
    }

    /// The interned column whose term frequencies adjust exact agreement of comparison `k`.
    fn tf_column<'f>(&self, f: &'f Features, k: usize) -> Option<&'f crate::features::Interned> {
        if !self.tf[k] {
            return None;
        }
        match self.comparisons[k] {
            Comparison::FirstName => Some(&f.first),
            Comparison::LastName => Some(&f.last),
            Comparison::City => Some(&f.city),
            _ => None,
        }
    }

    /// log2(m / u) of level `l` of comparison `k` (`l` ≥ 1) with the given u.
    fn weight(&self, k: usize, l: usize, u: f64) -> f64 {
        let w = (self.m[k][l] / u.max(1e-12)).log2();
        if l >= 2 {
            // Partial agreement is never stronger evidence than exact agreement (a level
            // rarely seen in the u sample would otherwise get an absurd weight).
            w.min((self.m[k][1] / self.u[k][1].max(1e-12)).log2())
        } else {
            w
        }
    }

    /// Total weight of a pair with the given pattern (no allocation).
    #[inline]
    pub fn total(&self, f: &Features, pattern: u64, a: usize) -> f64 {
        let mut w = self.prior_weight();
        for k in 0..self.comparisons.len() {
            w += self.part(f, k, level_of(pattern, k), a);
        }
        w
    }

    pub fn score(&self, f: &Features, pattern: u64, a: usize) -> Scored {
        let parts: Vec<(u8, f64)> = (0..self.comparisons.len())
            .map(|k| {
                let l = level_of(pattern, k);
                (l as u8, self.part(f, k, l, a))
            })
            .collect();
        scored(self.prior_weight(), parts)
    }

    /// The weights of every level, and of every value's exact agreement where frequencies
    /// adjust it, computed once: scoring millions of pairs then adds table entries instead
    /// of taking logarithms (same values, bit for bit, as [`Model::part`]).
    pub fn weights<'f>(&self, f: &'f Features) -> Weights<'f> {
        let level = (0..self.comparisons.len())
            .map(|k| {
                (0..self.m[k].len())
                    .map(|l| {
                        if l == 0 {
                            0.0
                        } else {
                            self.weight(k, l, self.u[k][l])
                        }
                    })
                    .collect()
            })
            .collect();
        let exact = (0..self.comparisons.len())
            .map(|k| {
                self.tf_column(f, k).map(|col| {
                    let by_value = col
                        .counts
                        .iter()
                        .map(|&c| {
                            let tf = c as f64 / col.present as f64;
                            if tf > 0.0 {
                                self.weight(k, 1, tf)
                            } else {
                                self.weight(k, 1, self.u[k][1])
                            }
                        })
                        .collect();
                    (col.ids.as_slice(), by_value)
                })
            })
            .collect();
        Weights {
            prior: self.prior_weight(),
            level,
            exact,
        }
    }

    /// "prior(-14.46); first_name=exact(+6.10); last_name=null; ..." for `identity_edges`
    /// (`omni explain` reads it back as a waterfall).
    pub fn describe(&self, s: &Scored) -> String {
        let mut out = String::new();
        self.describe_into(s, &mut out);
        out
    }

    /// [`Model::describe`], appended to `out` (no allocation of its own).
    pub fn describe_into(&self, s: &Scored, out: &mut String) {
        use std::fmt::Write;
        // Writing to a String cannot fail.
        let _ = write!(out, "prior({:+.2})", self.prior_weight());
        for (k, &(l, w)) in s.parts.iter().enumerate() {
            let c = self.comparisons[k];
            out.push_str("; ");
            out.push_str(c.name());
            out.push('=');
            out.push_str(c.levels()[l as usize]);
            if l != 0 {
                let _ = write!(out, "({w:+.2})");
            }
        }
    }
}

/// A model's level weights for one set of features ([`Model::weights`]).
pub struct Weights<'f> {
    prior: f64,
    /// `level[k][l]`: weight of level `l` of comparison `k`, without frequency adjustment.
    level: Vec<Vec<f64>>,
    /// For comparisons whose exact agreement is frequency-adjusted: the records' value ids
    /// and the exact-agreement weight of each value.
    exact: Vec<Option<(&'f [u32], Vec<f64>)>>,
}

impl Weights<'_> {
    /// [`Model::part`] from the tables.
    #[inline]
    pub fn part(&self, k: usize, l: usize, a: usize) -> f64 {
        if l == 1
            && let Some((ids, by_value)) = &self.exact[k]
            && ids[a] != crate::features::NONE
        {
            return by_value[ids[a] as usize];
        }
        self.level[k][l]
    }

    /// [`Model::total`] from the tables.
    #[inline]
    pub fn total(&self, pattern: u64, a: usize) -> f64 {
        let mut w = self.prior;
        for k in 0..self.level.len() {
            w += self.part(k, level_of(pattern, k), a);
        }
        w
    }

    /// [`Model::score`] from the tables.
    pub fn score(&self, pattern: u64, a: usize) -> Scored {
        let parts = (0..self.level.len())
            .map(|k| {
                let l = level_of(pattern, k);
                (l as u8, self.part(k, l, a))
            })
            .collect();
        scored(self.prior, parts)
    }
}

fn scored(prior: f64, parts: Vec<(u8, f64)>) -> Scored {
    let total = prior + parts.iter().map(|x| x.1).sum::<f64>();
    Scored {
        parts,
        total,
        probability: probability(total),
    }
}

/// Match probability of a total log2-odds weight.
pub fn probability(weight: f64) -> f64 {
    1.0 / (1.0 + (-weight).exp2())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Candidate pairs against a plain reference: every pair of records whose keys (computed
    /// per record from the strings) agree on all keys of a rule, in groups no larger than the
    /// cap, with the bits of every rule that finds it; hot keys counted per rule.
    #[test]
    fn candidates_are_the_pairs_agreeing_on_a_rule() {
        use crate::features::Interned;
        use rand::{Rng, SeedableRng};
        use std::collections::{BTreeMap, HashMap};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let n = 400;
        let pick = |rng: &mut rand_chacha::ChaCha8Rng, v: &[&'static str]| {
            let i = rng.random_range(0..v.len() + 1);
            v.get(i).copied()
        };
        let (mut first, mut last, mut email, mut postcode, mut dob) =
            (vec![], vec![], vec![], vec![], vec![]);
        for _ in 0..n {
            first.push(pick(
                &mut rng,
                &["ana", "anabel", "luis", "maria jose", "m", "jose"],
            ));
            last.push(pick(
                &mut rng,
                &[
                    "garcia lopez",
                    "garcia",
                    "de la fuente",
                    "ruiz",
                    "garces",
                    "lopez garcia",
                ],
            ));
            email.push(pick(
                &mut rng,
                &["ana.g@x.es", "ana.g@y.com", "jo@x.es", "luis@z.es"],
            ));
            postcode.push(pick(&mut rng, &["28001", "28002", "8016"]));
            dob.push(if rng.random_bool(0.2) {
                NO_DATE
            } else {
                rng.random_range(0..900)
            });
        }
        let f = Features {
            n,
            first: Interned::from_strs(n, |p| first[p], None),
            last: Interned::from_strs(n, |p| last[p], None),
            email: Interned::from_strs(n, |p| email[p], None),
            postcode: Interned::from_strs(n, |p| postcode[p], None),
            dob: dob.clone(),
            ..Default::default()
        };
        let rules: Vec<Vec<String>> = [
            &["first_name", "last_name"][..],
            &["surname1", "postcode"],
            &["first3", "last3"],
            &["email_local"],
            &["first_initial", "birth_year"],
            &["birth_date"],
        ]
        .iter()
        .map(|r| r.iter().map(|k| k.to_string()).collect())
        .collect();
        let cfg = ProbabilisticConfig {
            blocking: rules,
            ..Default::default()
        };
        let plan = Plan::new(&cfg).unwrap();
        let max_block = 12;
        // Every other record is already joined to the next.
        let cluster_of: Vec<u32> = (0..n as u32).map(|p| p / 2).collect();
        let got = candidates(&f, &plan, max_block, &cluster_of);

        // The reference: keys from the strings, record by record.
        let key = |k: BlockKey, p: usize| -> Option<u64> {
            match k {
                BlockKey::Surname1 | BlockKey::Last3 => last[p].and_then(|v| derived_key(k, v)),
                BlockKey::First3 => first[p].and_then(|v| derived_key(k, v)),
                BlockKey::EmailLocal => email[p].and_then(|v| derived_key(k, v)),
                _ => key_part(&f, k, p),
            }
        };
        let mut want: BTreeMap<(u32, u32), u16> = BTreeMap::new();
        let mut hot = vec![];
        for (r, keys) in plan.rules.iter().enumerate() {
            let mut groups: HashMap<Vec<u64>, Vec<u32>> = HashMap::new();
            for p in 0..n {
                if let Some(k) = keys.iter().map(|&k| key(k, p)).collect::<Option<Vec<_>>>() {
                    groups.entry(k).or_default().push(p as u32);
                }
            }
            hot.push(groups.values().filter(|g| g.len() > max_block).count() as u64);
            for g in groups.values().filter(|g| g.len() <= max_block) {
                for (i, &a) in g.iter().enumerate() {
                    for &b in &g[i + 1..] {
                        *want.entry((a, b)).or_default() |= 1 << r;
                    }
                }
            }
        }
        let pairs: Vec<(u32, u32)> = want.keys().copied().collect();
        let masks: Vec<u16> = want.values().copied().collect();
        assert!(pairs.len() > 500, "{}", pairs.len());
        assert!(hot.iter().any(|&h| h > 0) && masks.iter().any(|m| m.count_ones() > 1));
        assert_eq!(got.pairs, pairs);
        assert_eq!(got.rules, masks);
        assert_eq!(got.hot_keys, hot);
        let same: Vec<bool> = pairs.iter().map(|&(a, b)| a / 2 == b / 2).collect();
        assert_eq!(got.same, same);
    }

    /// The precomputed tables give every part, total and score of the model itself, bit for
    /// bit, frequency-adjusted values included (a missing value falls back to the level's u).
    #[test]
    fn weight_tables_give_the_model_weights_bit_for_bit() {
        use crate::features::Interned;
        let firsts = ["ana", "ana", "luis", "maria", "ana", "luis", "pepa"];
        let lasts = ["garcia", "garcia", "lopez", "", "garcia", "ruiz", "garcia"];
        let cities = ["madrid", "madrid", "bilbao", "madrid", "", "madrid", "vigo"];
        let n = firsts.len();
        let some = |v: &'static str| (!v.is_empty()).then_some(v);
        let f = Features {
            n,
            first: Interned::from_strs(n, |p| some(firsts[p]), None),
            last: Interned::from_strs(n, |p| some(lasts[p]), None),
            city: Interned::from_strs(n, |p| some(cities[p]), None),
            ..Default::default()
        };
        let comparisons = vec![
            Comparison::FirstName,
            Comparison::LastName,
            Comparison::City,
            Comparison::BirthDate,
        ];
        let u: Vec<Vec<f64>> = comparisons
            .iter()
            .map(|c| {
                let k = c.n_levels();
                (0..k)
                    .map(|l| (l + 1) as f64 / (k * (k + 1) / 2) as f64)
                    .collect()
            })
            .collect();
        let model = Model {
            m: comparisons.iter().map(|&c| initial_m(c)).collect(),
            u,
            prior: 1e-4,
            tf: vec![true, true, true, false],
            em_iterations: vec![],
            trained: true,
            comparisons,
        };
        let table = model.weights(&f);
        let mut checked = 0;
        for a in 0..n {
            for l0 in 0..8u64 {
                for l1 in 0..8u64 {
                    for l2 in 0..6u64 {
                        for l3 in 0..5u64 {
                            let p = l0 | l1 << 4 | l2 << 8 | l3 << 12;
                            assert_eq!(
                                table.total(p, a).to_bits(),
                                model.total(&f, p, a).to_bits()
                            );
                            let (x, y) = (table.score(p, a), model.score(&f, p, a));
                            assert_eq!(x.total.to_bits(), y.total.to_bits());
                            assert_eq!(x.parts, y.parts);
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(checked, n * 8 * 8 * 6 * 5);
        // Frequency adjustment is in the tables: agreeing on a rare first name ("pepa", one
        // record) weighs more than on a common one ("ana", three).
        let exact_first = 1u64;
        assert!(table.total(exact_first, 6) > table.total(exact_first, 0));
    }

    /// Simulated patterns from known m and u: EM recovers m (u given, as in `fit`).
    #[test]
    fn em_recovers_known_m_on_simulated_pairs() {
        // Three comparisons with 3 levels each (null, agree, disagree) + one with 4.
        let true_m = [
            vec![0.0, 0.9, 0.1],
            vec![0.0, 0.8, 0.2],
            vec![0.0, 0.7, 0.2, 0.1],
        ];
        let u = vec![
            vec![0.0, 0.05, 0.95],
            vec![0.0, 0.1, 0.9],
            vec![0.0, 0.02, 0.08, 0.9],
        ];
        let prior = 0.2;
        let mut rng = SplitMix(42);
        let mut draw = |probs: &[f64]| {
            let x = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
            let mut acc = 0.0;
            for (l, &p) in probs.iter().enumerate().skip(1) {
                acc += p;
                if x < acc {
                    return l as u64;
                }
            }
            (probs.len() - 1) as u64
        };
        let mut pats = Vec::new();
        for i in 0..200_000 {
            let is_match = (i % 10) < 2; // exactly 20 %
            let mut p = 0u64;
            for k in 0..3 {
                let probs = if is_match { &true_m[k] } else { &u[k] };
                p |= draw(probs) << (4 * k);
            }
            pats.push(p);
        }
        let counted = count_patterns(pats.into_iter().map(|p| (p, 1)));
        let m0 = vec![
            vec![0.0, 0.6, 0.4],
            vec![0.0, 0.6, 0.4],
            vec![0.0, 0.5, 0.3, 0.2],
        ];
        let (m, p, _, _) = em(&counted, m0, &u, &[true; 3], true, 500);
        assert!((p - prior).abs() < 0.01, "prior {p}");
        for k in 0..3 {
            for l in 1..true_m[k].len() {
                assert!(
                    (m[k][l] - true_m[k][l]).abs() < 0.02,
                    "m[{k}][{l}] = {} vs {}",
                    m[k][l],
                    true_m[k][l]
                );
            }
        }
    }

    #[test]
    fn initial_m_is_a_distribution() {
        for c in Comparison::ALL {
            let m = initial_m(c);
            assert!((m.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            assert_eq!(m[0], 0.0);
            assert!(m[1] > m[c.different_level() as usize]);
        }
    }

    #[test]
    fn plan_rejects_unknown_keys_with_the_fix() {
        let cfg = ProbabilisticConfig {
            blocking: vec![vec!["surname".into()]],
            ..Default::default()
        };
        let e = Plan::new(&cfg).unwrap_err().to_string();
        assert!(
            e.contains("unknown key `surname`") && e.contains("surname1"),
            "{e}"
        );
        let cfg = ProbabilisticConfig {
            comparisons: vec!["dob".into()],
            ..Default::default()
        };
        assert!(
            Plan::new(&cfg)
                .unwrap_err()
                .to_string()
                .contains("birth_date")
        );
        assert!(Plan::new(&ProbabilisticConfig::default()).is_ok());
    }

    #[test]
    fn probability_is_logistic_in_bits() {
        assert!((probability(0.0) - 0.5).abs() < 1e-12);
        assert!((probability(10.0) - 1024.0 / 1025.0).abs() < 1e-12);
    }
}
