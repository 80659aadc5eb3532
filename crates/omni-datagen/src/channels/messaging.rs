//! `messaging_contacts.csv`: WhatsApp contacts (a phone and a profile name such as
//! `Mari 🌸`) and e-mail marketing contacts; the opt-in is in the column of the contact's
//! channel, the other is empty.

use super::{BadKind, Owner, Refer, Row};
use crate::Ctx;
use crate::contact::{PhoneChannel, phone_for};
use crate::names::{EMOJIS, nicknames};
use crate::person::{Block, Person};
use crate::rng::{BlockRng, Stream, block_rng, chance, pick, pick_copy, stochastic_round, unit};
use crate::text::push_next;
use crate::time::{D_HI, D_LO, DAY, push_utc, rand_day};

fn profile_name(rng: &mut BlockRng, p: &Person) -> String {
    let first = if chance(rng, 0.7) {
        p.first.split(' ').next().unwrap_or(p.first)
    } else {
        p.first
    };
    let nick = |rng: &mut BlockRng| -> &'static str {
        nicknames(p.first).map_or(first, |n| pick_copy(rng, n))
    };
    let r = unit(rng);
    if r < 0.35 {
        first.to_string()
    } else if r < 0.6 {
        let n = nick(rng);
        format!("{n} {}", pick(rng, EMOJIS))
    } else if r < 0.7 {
        format!("{first} {}", pick(rng, EMOJIS))
    } else if r < 0.85 {
        format!("{first} {}", p.s1)
    } else if r < 0.95 {
        let n = nick(rng);
        format!("{n} {}.", p.s1.chars().next().unwrap_or('X'))
    } else {
        String::new()
    }
}

/// Generates the block's messaging contacts.
pub fn generate(ctx: &Ctx, block: &Block) -> Vec<Row> {
    let mut rng = block_rng(ctx.seed, block.index, Stream::Messaging);
    let rng = &mut rng;
    let mut rows = Vec::new();
    let mut whatsapp_people = Vec::new();
    for (i, p) in block.persons.iter().enumerate() {
        if !p.in_msg {
            continue;
        }
        let r = unit(rng);
        let (wa, mail) = (!(0.35..0.65).contains(&r), r >= 0.35);
        if wa {
            let phone = phone_for(rng, p.mobile, p.es, PhoneChannel::WhatsApp);
            let profile = profile_name(rng, p);
            rows.push(contact(
                rng,
                true,
                &phone,
                "",
                &profile,
                Owner::Person(i as u32),
            ));
            whatsapp_people.push(i);
        }
        if mail {
            let email = block.email_for(rng, i, block.family_owner(i), 0.2);
            let rr = unit(rng);
            let profile = if rr < 0.5 {
                String::new()
            } else if rr < 0.8 {
                format!("{} {}", p.first, p.s1)
            } else {
                p.first.to_string()
            };
            rows.push(contact(
                rng,
                false,
                "",
                &email,
                &profile,
                Owner::Person(i as u32),
            ));
        }
    }
    if !whatsapp_people.is_empty() {
        for _ in 0..stochastic_round(rng, rows.len() as f64 * ctx.bad_row_rate) {
            let p = &block.persons[pick_copy(rng, &whatsapp_people)];
            let phone = phone_for(rng, p.mobile, p.es, PhoneChannel::WhatsApp);
            if chance(rng, 0.5) {
                rows.push(contact(
                    rng,
                    true,
                    &phone,
                    "",
                    p.first,
                    Owner::Bad(BadKind::NoId),
                ));
            } else {
                // `SURNAME, NAME` without quotes: one field too many.
                let profile = format!("{}, {}", p.s1, p.first);
                rows.push(contact(
                    rng,
                    true,
                    &phone,
                    "",
                    &profile,
                    Owner::Bad(BadKind::Extra),
                ));
            }
        }
    }
    rows
}

fn contact(
    rng: &mut BlockRng,
    whatsapp: bool,
    phone: &str,
    email: &str,
    profile: &str,
    owner: Owner,
) -> Row {
    let mut b = String::with_capacity(96);
    b.push_str(if whatsapp { ",whatsapp" } else { ",email" });
    push_next(&mut b, phone, ',');
    push_next(&mut b, email, ',');
    if owner == Owner::Bad(BadKind::Extra) {
        b.push(',');
        b.push_str(profile);
    } else {
        push_next(&mut b, profile, ',');
    }
    let opt_in = if chance(rng, 0.75) { "Y" } else { "N" };
    b.push_str(if whatsapp { "," } else { ",," });
    b.push_str(opt_in);
    b.push_str(if whatsapp { ",," } else { "," });
    let day = rand_day(rng, D_LO, D_HI);
    let t = day * DAY + (unit(rng) * DAY as f64) as i64;
    push_utc(&mut b, t);
    Row {
        t,
        id: None,
        body: b,
        refer: Refer::None,
        owner,
        tx: None,
    }
}
