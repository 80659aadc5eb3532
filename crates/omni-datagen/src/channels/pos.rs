//! `pos_tickets.csv`: store tickets (`;`, decimal comma, Spanish headers): card holders'
//! and known customers' tickets, returns, store returns of web orders, generic values typed
//! by staff, and anonymous tickets.

use rand::Rng;

use super::web::Returnable;
use super::{BadKind, Owner, Refer, Row, Tx, money_cents};
use crate::Ctx;
use crate::contact::{PhoneChannel, phone_for};
use crate::ids::push_card;
use crate::person::Block;
use crate::places::{STORES, store_es};
use crate::rng::{
    BlockRng, Stream, block_rng, chance, pick_copy, pick_index, shuffle, stochastic_round,
};
use crate::text::{push_cents_comma, push_next};
use crate::time::{D_HI, D_LO, DAY, later, local_dt_between, push_dmy_hm, to_utc};

#[derive(Clone)]
struct Ticket {
    person: Option<u32>,
    t: i64,
    store: &'static str,
    card: Option<u64>,
    email: String,
    tel: String,
    cents: i64,
    refer: Refer,
}

/// A store time: opening hours, whole minutes (the ticket shows no seconds).
fn store_dt(rng: &mut BlockRng, lo: i64, hi: i64) -> i64 {
    let t = local_dt_between(rng, lo, hi, 10, 21);
    t - t % 60
}

fn pos_store(rng: &mut BlockRng, block: &Block, i: usize) -> &'static str {
    let p = &block.persons[i];
    let r: f64 = rng.random();
    if r < 0.8 {
        p.home_store
    } else if r < 0.92 {
        pick_copy(rng, p.city().stores)
    } else {
        let same: Vec<&'static str> = STORES
            .iter()
            .filter(|(_, es)| *es == p.es)
            .map(|(c, _)| *c)
            .collect();
        pick_copy(rng, &same)
    }
}

/// Sets the identifiers a known customer leaves on a ticket: card, e-receipt e-mail, phone.
fn ident(rng: &mut BlockRng, block: &Block, i: usize, t: &mut Ticket, force_card: bool) {
    let p = &block.persons[i];
    let card_ok = p.card.is_some() && t.t / DAY >= p.signup;
    t.card = p
        .card
        .filter(|_| card_ok && (force_card || chance(rng, 0.62)));
    t.email = if chance(rng, 0.2) {
        block.email_for(rng, i, true, 0.25)
    } else {
        String::new()
    };
    t.tel = if chance(rng, 0.1) {
        phone_for(rng, p.mobile, p.es, PhoneChannel::Pos)
    } else {
        String::new()
    };
    if t.card.is_none() && t.email.is_empty() && t.tel.is_empty() {
        if card_ok && chance(rng, 0.4) {
            t.card = p.card;
        } else if chance(rng, 0.7) {
            t.email = block.email_for(rng, i, true, 0.25);
        } else {
            t.tel = phone_for(rng, p.mobile, p.es, PhoneChannel::Pos);
        }
    }
}

fn new_ticket(rng: &mut BlockRng, block: &Block, i: usize) -> Ticket {
    let t = store_dt(rng, D_LO, D_HI);
    let store = pos_store(rng, block, i);
    let mut ticket = Ticket {
        person: Some(i as u32),
        t,
        store,
        card: None,
        email: String::new(),
        tel: String::new(),
        cents: 0,
        refer: Refer::None,
    };
    ident(rng, block, i, &mut ticket, false);
    ticket.cents = money_cents(rng, 3.4, 0.8, 195, 99_000);
    ticket
}

/// Generates the block's tickets; `web` holds the web orders that may be returned in store
/// (only when the web channel is generated too).
pub fn generate(ctx: &Ctx, block: &Block, web: Option<&[Returnable]>) -> Vec<Row> {
    let mut rng = block_rng(ctx.seed, block.index, Stream::Pos);
    let rng = &mut rng;
    let mut tickets = Vec::new();
    let shoppers: Vec<usize> = (0..block.persons.len())
        .filter(|&i| block.persons[i].in_pos)
        .collect();
    for &i in &shoppers {
        for _ in 0..=pick_index(rng, &[22, 22, 18, 15, 12, 11]) {
            tickets.push(new_ticket(rng, block, i));
        }
    }
    let purchases = tickets.len();
    for t in tickets.iter_mut() {
        if chance(rng, 0.007) {
            t.cents = rng.random_range(100_000..=260_000);
        }
    }
    // Returns of earlier tickets, in store.
    for k in 0..purchases {
        if !(chance(rng, 0.05) && tickets[k].t / DAY <= D_HI - 2) {
            continue;
        }
        let orig = tickets[k].clone();
        let i = orig.person.unwrap_or_default() as usize;
        let store = if chance(rng, 0.8) {
            orig.store
        } else {
            pos_store(rng, block, i)
        };
        let t = later(rng, orig.t, 1, 30);
        let t = (t / DAY) * DAY + rng.random_range(10..=21) * 3600 + t % 3600;
        let mut r = Ticket {
            t: t - t % 60,
            store,
            refer: Refer::Pos(k as u32),
            ..orig.clone()
        };
        r.card = orig.card.filter(|_| chance(rng, 0.9));
        r.email = if !orig.email.is_empty() && (r.card.is_none() || chance(rng, 0.3)) {
            orig.email
        } else {
            String::new()
        };
        r.tel = if !orig.tel.is_empty() && r.card.is_none() && r.email.is_empty() {
            orig.tel
        } else {
            String::new()
        };
        if r.card.is_none() && r.email.is_empty() && r.tel.is_empty() {
            ident(rng, block, i, &mut r, true);
        }
        r.cents = if chance(rng, 0.75) {
            -orig.cents
        } else {
            -(orig.cents * rng.random_range(30..=70) / 100)
        };
        tickets.push(r);
    }
    // Generic values typed by store staff, on carded tickets of distinct persons.
    let n = block.persons.len() as f64;
    let mut carded: Vec<usize> = (0..purchases)
        .filter(|&k| tickets[k].card.is_some())
        .collect();
    for (value, count, is_email) in [
        ("test@test.com", (n * 0.0375).round(), true),
        ("000000000", (n * 0.025).round(), false),
    ] {
        shuffle(rng, &mut carded);
        let mut seen = std::collections::HashSet::new();
        let mut done = 0;
        for &k in &carded {
            if done as f64 >= count {
                break;
            }
            let t = &mut tickets[k];
            if t.email == "test@test.com" || !seen.insert(t.person) {
                continue;
            }
            if is_email {
                t.email = value.to_string()
            } else {
                t.tel = value.to_string()
            }
            done += 1;
        }
    }
    // Anonymous tickets: about a quarter of all tickets.
    for _ in 0..(tickets.len() as f64 / 3.0).round() as usize {
        let store = block.persons[rng.random_range(0..block.persons.len())].home_store;
        let t = store_dt(rng, D_LO, D_HI);
        let cents = money_cents(rng, 3.2, 0.8, 195, 99_000);
        let (email, tel) = (String::new(), String::new());
        tickets.push(Ticket {
            person: None,
            t,
            store,
            card: None,
            email,
            tel,
            cents,
            refer: Refer::None,
        });
    }
    let mut rows: Vec<Row> = tickets.iter().map(|t| render(t, None)).collect();
    if !shoppers.is_empty() {
        for _ in 0..stochastic_round(rng, rows.len() as f64 * ctx.bad_row_rate) {
            let i = pick_copy(rng, &shoppers);
            let t = new_ticket(rng, block, i);
            rows.push(render(
                &t,
                Some(pick_copy(rng, &[BadKind::Amount, BadKind::ImpossibleDate])),
            ));
        }
    }
    // Store returns of web orders: the same person's card or e-mail is on the ticket.
    if let Some(web) = web {
        let mut rng = block_rng(ctx.seed, block.index, Stream::StoreReturns);
        let rng = &mut rng;
        for o in web {
            if !chance(rng, 0.015) {
                continue;
            }
            let i = o.person as usize;
            let p = &block.persons[i];
            let day = o.t / DAY;
            let t = store_dt(rng, day + 2, D_HI.min(day + 40));
            let card = p.card.filter(|_| t / DAY >= p.signup);
            let email = if card.is_none() || chance(rng, 0.4) {
                block.email_for(rng, i, true, 0.2)
            } else {
                String::new()
            };
            let store = p.home_store;
            let ticket = Ticket {
                person: Some(o.person),
                t,
                store,
                card,
                email,
                tel: String::new(),
                cents: -o.cents,
                refer: Refer::Web(o.row),
            };
            // The home store is in the customer's country: the refund is in the web order's
            // currency.
            rows.push(render(&ticket, None));
        }
    }
    rows
}

fn render(t: &Ticket, bad: Option<BadKind>) -> Row {
    let es = store_es(t.store);
    let mut b = String::with_capacity(96);
    b.push(';');
    if bad == Some(BadKind::ImpossibleDate) {
        b.push_str("31/02/2025 10:00");
    } else {
        push_dmy_hm(&mut b, t.t);
    }
    b.push(';');
    b.push_str(t.store);
    b.push(';');
    if let Some(card) = t.card {
        push_card(&mut b, card);
    }
    push_next(&mut b, &t.email, ';');
    push_next(&mut b, &t.tel, ';');
    b.push(';');
    if bad == Some(BadKind::Amount) {
        b.push_str("abc");
    } else {
        push_cents_comma(&mut b, t.cents);
    }
    b.push_str(if es { ";EUR" } else { ";GBP" });
    let owner = match (bad, t.person) {
        (Some(k), _) => Owner::Bad(k),
        (None, Some(i)) => Owner::Person(i),
        (None, None) => Owner::Anon,
    };
    Row {
        t: t.t,
        id: None,
        body: b,
        refer: t.refer,
        owner,
        tx: bad.is_none().then(|| Tx {
            utc: to_utc(t.t, es),
            cents: t.cents,
            eur: es,
        }),
    }
}
