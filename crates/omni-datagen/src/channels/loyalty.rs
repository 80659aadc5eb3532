//! `loyalty_members.csv`: one row per card holder, in signup order.

use super::{BadKind, Owner, Refer, Row};
use crate::Ctx;
use crate::contact::{PhoneChannel, phone_for};
use crate::noise::{city_variant, postcode_variant, variant_name};
use crate::person::{Block, Person, new_person};
use crate::rng::{BlockRng, Stream, block_rng, chance, pick_index, stochastic_round, unit};
use crate::text::{push_next, slug};
use crate::time::{D_HI, D_LO, DAY, push_dmy, push_ymd, rand_day};

/// Generates the block's loyalty members.
pub fn generate(ctx: &Ctx, block: &Block) -> Vec<Row> {
    let mut rng = block_rng(ctx.seed, block.index, Stream::Loyalty);
    let rng = &mut rng;
    let mut rows = Vec::new();
    for (i, p) in block.persons.iter().enumerate() {
        if let Some(card) = p.card {
            let email = if chance(rng, 0.12) {
                String::new()
            } else {
                block.email_for(rng, i, true, 0.25)
            };
            rows.push(render(rng, p, card, &email, Owner::Person(i as u32)));
        }
    }
    if !rows.is_empty() {
        for k in 0..stochastic_round(rng, rows.len() as f64 * ctx.bad_row_rate) {
            // Someone who is nobody else in the data, with a fresh card.
            let mut fake = new_person(rng, u64::MAX);
            fake.signup = rand_day(rng, D_LO, D_HI);
            let email = format!("{}.{}@gmail.com", slug(fake.first), slug(fake.s1));
            let card = ctx.ids.card(block.index, block.cards + k as u64);
            rows.push(render(rng, &fake, card, &email, Owner::Bad(BadKind::Birth)));
        }
    }
    rows
}

fn render(rng: &mut BlockRng, p: &Person, card: u64, email: &str, owner: Owner) -> Row {
    let mut b = String::with_capacity(128);
    push_next(&mut b, &variant_name(rng, p.first, 0.1, 0.15, 0.0), ',');
    let last =
        p.s2.map_or_else(|| p.s1.to_string(), |s2| format!("{} {s2}", p.s1));
    push_next(&mut b, &variant_name(rng, &last, 0.1, 0.15, 0.0), ',');
    b.push(',');
    if owner == Owner::Bad(BadKind::Birth) {
        b.push_str("1985-13-45");
    } else if !chance(rng, 0.04) {
        // Members who signed up online were stored in ISO form by the web form.
        if chance(rng, 0.15) {
            push_ymd(&mut b, p.birth);
        } else {
            push_dmy(&mut b, p.birth);
        }
    }
    push_next(&mut b, email, ',');
    let r = unit(rng);
    let mobile = match p.landline {
        _ if r < 0.04 => String::new(),
        Some(l) if r < 0.09 => phone_for(rng, l, p.es, PhoneChannel::Loyalty),
        _ => phone_for(rng, p.mobile, p.es, PhoneChannel::Loyalty),
    };
    push_next(&mut b, &mobile, ',');
    let a = p.current_address();
    let postcode = if chance(rng, 0.04) {
        String::new()
    } else {
        postcode_variant(rng, &a.postcode, p.es, 0.1)
    };
    push_next(&mut b, &postcode, ',');
    push_next(&mut b, &city_variant(rng, p.city(), 0.15), ',');
    b.push(',');
    push_ymd(&mut b, p.signup);
    b.push(',');
    b.push_str(["sí", "no", "si"][pick_index(rng, &[55, 38, 7])]);
    Row {
        t: p.signup * DAY,
        id: Some(card),
        body: b,
        refer: Refer::None,
        owner,
        tx: None,
    }
}
