//! `call_centre.csv`: contacts with the caller's name as `SURNAMES, NAME` in upper case.

use super::{BadKind, Owner, Refer, Row};
use crate::Ctx;
use crate::contact::{PhoneChannel, phone_for};
use crate::noise::{P_NAME_TYPO, maybe_nickname, typo};
use crate::person::{Block, Person, es_surname, new_person};
use crate::rng::{BlockRng, Stream, block_rng, chance, pick_index, stochastic_round, unit};
use crate::text::{fold, push_next};
use crate::time::{D_HI, D_LO, local_dt_between, push_ymd_hms};

const REASONS: [&str; 5] = [
    "delivery",
    "return",
    "complaint",
    "product question",
    "account",
];

fn caller_name(rng: &mut BlockRng, p: &Person) -> String {
    let last = match p.s2 {
        Some(s2) if unit(rng) > 0.2 => format!("{} {s2}", p.s1),
        _ => p.s1.to_string(),
    };
    let first = maybe_nickname(rng, p.first, 0.03);
    // Agents type the name while on the phone: typos are more frequent than elsewhere.
    let last = typo(rng, &last, 2.0 * P_NAME_TYPO);
    let s = format!("{last}, {first}").to_uppercase();
    if chance(rng, 0.35) {
        fold(&s).into_owned()
    } else {
        s
    }
}

/// Generates the block's call-centre contacts.
pub fn generate(ctx: &Ctx, block: &Block) -> Vec<Row> {
    let mut rng = block_rng(ctx.seed, block.index, Stream::CallCentre);
    let rng = &mut rng;
    let mut rows = Vec::new();
    for (i, p) in block.persons.iter().enumerate() {
        if !p.in_cc {
            continue;
        }
        let mut n = 1 + pick_index(rng, &[50, 30, 14, 6]);
        if p.household.is_some() {
            n = n.max(2);
        }
        for call in 0..n {
            let t = local_dt_between(rng, D_LO, D_HI, 9, 20);
            let mut b = String::with_capacity(96);
            b.push(',');
            push_ymd_hms(&mut b, t);
            let name = if chance(rng, 0.03) {
                String::new()
            } else {
                caller_name(rng, p)
            };
            push_next(&mut b, &name, ',');
            let r = unit(rng);
            let phone = match p.landline {
                // The first call of a household comes from the shared home line.
                Some(l) if p.household.is_some() && call == 0 => {
                    phone_for(rng, l, p.es, PhoneChannel::CallCentre)
                }
                _ if r < 0.04 => String::new(),
                Some(l) if r < 0.3 => phone_for(rng, l, p.es, PhoneChannel::CallCentre),
                _ => phone_for(rng, p.mobile, p.es, PhoneChannel::CallCentre),
            };
            push_next(&mut b, &phone, ',');
            let email = if chance(rng, 0.35) {
                block.email_for(rng, i, true, 0.3)
            } else {
                String::new()
            };
            push_next(&mut b, &email, ',');
            let bought = p.in_web || p.account.is_some();
            let member = p.card.is_some() || p.account.is_some();
            let w = [
                if bought { 30 } else { 8 },
                20,
                15,
                20,
                if member { 15 } else { 5 },
            ];
            b.push(',');
            b.push_str(REASONS[pick_index(rng, &w)]);
            rows.push(Row {
                t,
                id: None,
                body: b,
                refer: Refer::None,
                owner: Owner::Person(i as u32),
                tx: None,
            });
        }
    }
    if !rows.is_empty() {
        for _ in 0..stochastic_round(rng, rows.len() as f64 * ctx.bad_row_rate) {
            // Cut after the caller's name: 3 fields instead of 6.
            let fake = new_person(rng, u64::MAX);
            let t = local_dt_between(rng, D_LO, D_HI, 9, 20);
            let mut b = String::from(",");
            push_ymd_hms(&mut b, t);
            b.push(',');
            b.push_str(&fold(&format!("{} {}", fake.s1, es_surname(rng))).to_uppercase());
            rows.push(Row {
                t,
                id: None,
                body: b,
                refer: Refer::None,
                owner: Owner::Bad(BadKind::Short),
                tx: None,
            });
        }
    }
    rows
}
