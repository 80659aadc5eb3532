//! `web_orders.csv`: web shop orders, one row per order; refunds are new negative rows.

use rand::Rng;

use super::{BadKind, Owner, Refer, Row, Tx, money_cents};
use crate::Ctx;
use crate::address::new_address;
use crate::contact::{PhoneChannel, phone_for};
use crate::noise::{
    address_variant, city_variant, maybe_nickname, noisy_email, postcode_variant, variant_name,
};
use crate::person::Block;
use crate::rng::{
    BlockRng, Stream, block_rng, chance, pick_copy, pick_index, stochastic_round, unit,
};
use crate::text::{push_cents_dot, push_next};
use crate::time::{D_HI, D_LO, DAY, later, push_local_offset, to_utc, web_dt_between};

struct Order {
    person: u32,
    t: i64,
    email: String,
    name: String,
    phone: String,
    address: String,
    postcode: String,
    city: String,
    cents: i64,
    refund_of: Option<u32>,
}

/// An order that could be returned in a store instead (see the POS channel).
#[derive(Debug, Clone, Copy)]
pub struct Returnable {
    pub row: u32,
    pub person: u32,
    pub t: i64,
    pub cents: i64,
}

/// The block's web orders, and those a store return may refer to.
pub struct WebOrders {
    pub rows: Vec<Row>,
    pub returnable: Vec<Returnable>,
}

fn web_name(rng: &mut BlockRng, block: &Block, i: usize) -> String {
    let p = &block.persons[i];
    let first = maybe_nickname(rng, p.first, 0.04);
    let s2 = p.s2.filter(|_| unit(rng) > 0.2);
    let surnames = match s2 {
        Some(s2) => format!("{} {s2}", p.s1),
        None => p.s1.to_string(),
    };
    let r = unit(rng);
    let name = if r < 0.03 {
        format!("{surnames}, {first}")
    } else if r < 0.04 {
        format!("{} {first}", p.s1)
    } else {
        format!("{first} {surnames}")
    };
    variant_name(rng, &name, 0.12, 0.05, 0.03)
}

fn make_order(rng: &mut BlockRng, block: &Block, i: usize) -> Order {
    let p = &block.persons[i];
    let t = web_dt_between(rng, D_LO, D_HI);
    let name = web_name(rng, block, i);
    let email = block.email_for(rng, i, true, 0.3);
    let r = unit(rng);
    let phone = match p.landline {
        _ if r < 0.8 => phone_for(rng, p.mobile, p.es, PhoneChannel::Web),
        Some(l) if r < 0.9 => phone_for(rng, l, p.es, PhoneChannel::Web),
        _ => String::new(),
    };
    let (address, postcode, city) = if chance(rng, 0.06) {
        // A gift, or the workplace.
        let q = new_address(rng, p.city());
        (q.full(), q.postcode, p.city().name.to_string())
    } else {
        let a = p.address_at(t / DAY);
        let address = address_variant(rng, a);
        let postcode = postcode_variant(rng, &a.postcode, p.es, 0.05);
        (address, postcode, city_variant(rng, p.city(), 0.12))
    };
    let cents = money_cents(rng, 4.0, 0.7, 595, 90_000);
    Order {
        person: i as u32,
        t,
        email,
        name,
        phone,
        address,
        postcode,
        city,
        cents,
        refund_of: None,
    }
}

/// Generates the block's web orders.
pub fn generate(ctx: &Ctx, block: &Block) -> WebOrders {
    let mut rng = block_rng(ctx.seed, block.index, Stream::Web);
    let rng = &mut rng;
    let mut orders: Vec<Order> = Vec::new();
    let mut first_order = vec![usize::MAX; block.persons.len()];
    for (i, p) in block.persons.iter().enumerate() {
        if !p.in_web {
            continue;
        }
        first_order[i] = orders.len();
        for _ in 0..=pick_index(rng, &[25, 24, 19, 14, 10, 8]) {
            let o = make_order(rng, block, i);
            orders.push(o);
        }
    }
    for o in orders.iter_mut() {
        if chance(rng, 0.0044) {
            o.cents = rng.random_range(100_000..=180_000);
        }
    }
    // Family mailbox: both members of such a household order with it at least once.
    for h in &block.households {
        if let Some(f) = &h.family_email {
            for m in [h.head, h.member] {
                if let Some(o) = orders.get_mut(first_order[m as usize]) {
                    o.email = noisy_email(rng, f, 0.3);
                }
            }
        }
    }
    let mut refunded = vec![false; orders.len()];
    for i in 0..orders.len() {
        if chance(rng, 0.04) && orders[i].t / DAY <= D_HI - 3 {
            let o = &orders[i];
            let cents = if chance(rng, 0.8) {
                -o.cents
            } else {
                -(o.cents * rng.random_range(20..=80) / 100)
            };
            let refund = Order {
                t: later(rng, o.t, 1, 30),
                cents,
                refund_of: Some(i as u32),
                email: o.email.clone(),
                name: o.name.clone(),
                phone: o.phone.clone(),
                address: o.address.clone(),
                postcode: o.postcode.clone(),
                city: o.city.clone(),
                ..*o
            };
            refunded[i] = true;
            orders.push(refund);
        }
    }
    let returnable = orders
        .iter()
        .enumerate()
        .filter(|&(i, o)| {
            o.refund_of.is_none()
                && !refunded.get(i).copied().unwrap_or(true)
                && o.t / DAY <= D_HI - 10
        })
        .map(|(i, o)| Returnable {
            row: i as u32,
            person: o.person,
            t: o.t,
            cents: o.cents,
        })
        .collect();
    let mut rows: Vec<Row> = orders.iter().map(|o| render(block, o, None)).collect();

    let buyers: Vec<usize> = (0..block.persons.len())
        .filter(|&i| block.persons[i].in_web)
        .collect();
    if !buyers.is_empty() {
        for _ in 0..stochastic_round(rng, rows.len() as f64 * ctx.bad_row_rate) {
            let i = pick_copy(rng, &buyers);
            let o = make_order(rng, block, i);
            let kind = pick_copy(rng, &[BadKind::Date, BadKind::NoId, BadKind::Extra]);
            rows.push(render(block, &o, Some(kind)));
        }
    }
    WebOrders { rows, returnable }
}

fn render(block: &Block, o: &Order, bad: Option<BadKind>) -> Row {
    let p = &block.persons[o.person as usize];
    let mut b = String::with_capacity(160);
    b.push(',');
    if bad == Some(BadKind::Date) {
        b.push_str("not-a-date");
    } else {
        push_local_offset(&mut b, o.t, p.es);
    }
    push_next(&mut b, &o.email, ',');
    if bad == Some(BadKind::Extra) {
        // `SURNAMES, NAME` without quotes: one field too many.
        let surnames =
            p.s2.map_or_else(|| p.s1.to_string(), |s2| format!("{} {s2}", p.s1));
        b.push(',');
        b.push_str(&surnames);
        b.push_str(", ");
        b.push_str(p.first);
    } else {
        push_next(&mut b, &o.name, ',');
    }
    push_next(&mut b, &o.phone, ',');
    push_next(&mut b, &o.address, ',');
    push_next(&mut b, &o.postcode, ',');
    push_next(&mut b, &o.city, ',');
    b.push_str(if p.es { ",ES," } else { ",GB," });
    push_cents_dot(&mut b, o.cents);
    b.push_str(if p.es { ",EUR" } else { ",GBP" });
    Row {
        t: o.t,
        id: None,
        body: b,
        refer: o.refund_of.map_or(Refer::None, Refer::Web),
        owner: bad.map_or(Owner::Person(o.person), Owner::Bad),
        tx: bad.is_none().then(|| Tx {
            utc: to_utc(o.t, p.es),
            cents: o.cents,
            eur: p.es,
        }),
    }
}
