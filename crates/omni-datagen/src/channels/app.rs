//! `app_users.jsonl` (nested objects, fields sometimes missing or `null`) and
//! `app_orders.jsonl` (the buyer is known by account id only; epoch seconds).

use super::{BadKind, Owner, Refer, Row, Tx, money_cents};
use crate::Ctx;
use crate::contact::{PhoneChannel, new_device, phone_for};
use crate::noise::variant_name;
use crate::person::{Block, Person, new_person};
use crate::rng::{
    BlockRng, Stream, block_rng, chance, pick_copy, pick_index, stochastic_round, unit,
};
use crate::text::{push_cents_json, push_json_opt, push_json_str, push_u64, slug};
use crate::time::{D_HI, D_LO, DAY, push_utc, rand_day, to_utc, web_dt, web_dt_between};

/// The block's app users and app orders.
pub struct AppRows {
    pub users: Vec<Row>,
    pub orders: Vec<Row>,
}

/// Generates the block's app users and their orders.
pub fn generate(ctx: &Ctx, block: &Block) -> AppRows {
    let mut rng = block_rng(ctx.seed, block.index, Stream::App);
    let rng = &mut rng;
    let (mut users, mut orders) = (Vec::new(), Vec::new());
    let mut buyers = Vec::new();
    for (i, p) in block.persons.iter().enumerate() {
        let Some(account) = p.account else { continue };
        let created = web_dt_between(rng, D_LO, D_HI - 30);
        let r = unit(rng);
        let email = if r < 0.88 {
            Some(Some(block.email_for(rng, i, block.family_owner(i), 0.2)))
        } else if r < 0.94 {
            Some(None)
        } else {
            None
        };
        let device = if chance(rng, 0.05) {
            None
        } else {
            p.device.clone()
        };
        users.push(user(
            rng,
            p,
            account,
            created,
            device,
            email,
            Owner::Person(i as u32),
        ));
        for _ in 0..=pick_index(rng, &[25, 25, 20, 15, 15]) {
            orders.push(order(
                ctx,
                rng,
                p,
                account,
                created,
                Owner::Person(i as u32),
            ));
        }
        buyers.push(i);
    }
    if !users.is_empty() {
        for k in 0..stochastic_round(rng, users.len() as f64 * ctx.bad_row_rate) {
            let fake = new_person(rng, u64::MAX);
            let account = ctx.ids.account(block.index, block.accounts + k as u64);
            let created = web_dt_between(rng, D_LO, D_HI - 30);
            let email = Some(Some(format!(
                "{}{}@hotmail.com",
                slug(fake.first),
                slug(fake.s1)
            )));
            let device = Some(new_device(rng));
            users.push(user(
                rng,
                &fake,
                account,
                created,
                device,
                email,
                Owner::Bad(BadKind::Json),
            ));
        }
    }
    if !orders.is_empty() {
        for _ in 0..stochastic_round(rng, orders.len() as f64 * ctx.bad_row_rate) {
            let i = pick_copy(rng, &buyers);
            let p = &block.persons[i];
            let account = p.account.unwrap_or_default();
            let created = web_dt_between(rng, D_LO, D_HI - 30);
            orders.push(order(
                ctx,
                rng,
                p,
                account,
                created,
                Owner::Bad(BadKind::Json),
            ));
        }
    }
    AppRows { users, orders }
}

/// An app user. `email`: `None` = missing, `Some(None)` = `null`.
fn user(
    rng: &mut BlockRng,
    p: &Person,
    account: u64,
    created: i64,
    device: Option<String>,
    email: Option<Option<String>>,
    owner: Owner,
) -> Row {
    // The line starts with `{"user": {"account_id": "` and the id (see `assemble`).
    let mut b = String::with_capacity(256);
    b.push_str("\", \"device_id\": ");
    push_json_opt(&mut b, device.as_deref());
    if let Some(email) = email {
        b.push_str(", \"email\": ");
        push_json_opt(&mut b, email.as_deref());
    }
    let r = unit(rng);
    if r < 0.9 {
        let last = match p.s2 {
            Some(s2) if chance(rng, 0.5) => format!("{} {s2}", p.s1),
            _ => p.s1.to_string(),
        };
        b.push_str(", \"name\": {\"first\": ");
        push_json_str(&mut b, &variant_name(rng, p.first, 0.15, 0.03, 0.03));
        if chance(rng, 0.93) {
            b.push_str(", \"last\": ");
            push_json_str(&mut b, &variant_name(rng, &last, 0.15, 0.03, 0.03));
        }
        b.push('}');
    } else if r < 0.95 {
        b.push_str(", \"name\": null");
    }
    let r = unit(rng);
    if r < 0.7 {
        b.push_str(", \"phone\": ");
        push_json_str(&mut b, &phone_for(rng, p.mobile, p.es, PhoneChannel::App));
    } else if r < 0.85 {
        b.push_str(", \"phone\": null");
    }
    b.push('}');
    if chance(rng, 0.95) {
        b.push_str(if chance(rng, 0.6) {
            ", \"push_opt_in\": true"
        } else {
            ", \"push_opt_in\": false"
        });
    }
    b.push_str(", \"created_at\": \"");
    push_utc(&mut b, to_utc(created, p.es));
    b.push_str("\"}");
    Row {
        t: created,
        id: Some(account),
        body: b,
        refer: Refer::None,
        owner,
        tx: None,
    }
}

/// An app order of account `account`, placed after `created`.
fn order(
    ctx: &Ctx,
    rng: &mut BlockRng,
    p: &Person,
    account: u64,
    created: i64,
    owner: Owner,
) -> Row {
    let day = rand_day(rng, created / DAY + 1, D_HI);
    let utc = to_utc(web_dt(rng, day), p.es);
    let cents = money_cents(rng, 3.3, 0.6, 395, 99_000);
    let items = 1 + pick_index(rng, &[35, 28, 16, 10, 6, 5]);
    // The line starts with `{"order_ref": "` and the id (see `assemble`).
    let mut b = String::with_capacity(128);
    b.push_str("\", \"account_id\": \"");
    ctx.ids.account.push(&mut b, account);
    b.push_str("\", \"placed_at\": ");
    push_u64(&mut b, utc as u64);
    b.push_str(", \"amount\": {\"value\": ");
    push_cents_json(&mut b, cents);
    b.push_str(if p.es {
        ", \"currency\": \"EUR\"}, \"items\": "
    } else {
        ", \"currency\": \"GBP\"}, \"items\": "
    });
    push_u64(&mut b, items as u64);
    b.push('}');
    let tx = matches!(owner, Owner::Person(_)).then_some(Tx {
        utc,
        cents,
        eur: p.es,
    });
    Row {
        t: utc,
        id: None,
        body: b,
        refer: Refer::None,
        owner,
        tx,
    }
}
