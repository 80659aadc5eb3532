//! The channels: each turns a block's persons into rows of its export files (phase C).
//!
//! A channel produces [`Row`]s: the text after the record id, a sort time, the owner (a
//! person, an anonymous customer or a deliberately bad row) and the transaction, if any.
//! [`assemble`] orders a block's rows by time, gives them their ids and writes the block's
//! part of the file, of `truth.csv` and of `truth_transactions.csv`.

pub mod app;
pub mod call_centre;
pub mod loyalty;
pub mod messaging;
pub mod pos;
pub mod web;

use crate::Ctx;
use crate::ids::{IdSpace, push_card};
use crate::person::Block;
use crate::rng::{BlockRng, lognormal, unit};
use crate::text::push_cents_dot;
use crate::time::push_utc;

/// The export files, in the order they are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Web,
    Pos,
    Loyalty,
    AppUsers,
    AppOrders,
    CallCentre,
    Messaging,
}

impl FileKind {
    pub const ALL: [FileKind; 7] = [
        FileKind::Web,
        FileKind::Pos,
        FileKind::Loyalty,
        FileKind::AppUsers,
        FileKind::AppOrders,
        FileKind::CallCentre,
        FileKind::Messaging,
    ];

    pub fn file_name(self) -> &'static str {
        match self {
            FileKind::Web => "web_orders.csv",
            FileKind::Pos => "pos_tickets.csv",
            FileKind::Loyalty => "loyalty_members.csv",
            FileKind::AppUsers => "app_users.jsonl",
            FileKind::AppOrders => "app_orders.jsonl",
            FileKind::CallCentre => "call_centre.csv",
            FileKind::Messaging => "messaging_contacts.csv",
        }
    }

    /// The source name used in `truth.csv` (and by `pipelines/retail_demo.toml`).
    pub fn source(self) -> &'static str {
        match self {
            FileKind::Web => "web_orders",
            FileKind::Pos => "pos_tickets",
            FileKind::Loyalty => "loyalty_members",
            FileKind::AppUsers => "app_users",
            FileKind::AppOrders => "app_orders",
            FileKind::CallCentre => "call_centre",
            FileKind::Messaging => "messaging_contacts",
        }
    }

    /// The header line (without newline) of CSV files; `None` for JSON lines.
    pub fn header(self) -> Option<&'static str> {
        Some(match self {
            FileKind::Web => {
                "order_id,created_at,customer_email,customer_name,phone,shipping_address,\
                 shipping_postcode,shipping_city,country,total,currency,refund_of"
            }
            FileKind::Pos => {
                "ticket_id;fecha;tienda;tarjeta_fidelidad;email_ticket;telefono;importe;moneda;devolucion_de"
            }
            FileKind::Loyalty => {
                "card_number,first_name,last_names,birth_date,email,mobile,postcode,city,signup_date,accepts_email"
            }
            FileKind::CallCentre => "contact_id,contact_time,caller_name,phone,email,reason",
            FileKind::Messaging => {
                "contact_id,channel,phone,email,profile_name,whatsapp_opt_in,email_opt_in,updated_at"
            }
            FileKind::AppUsers | FileKind::AppOrders => return None,
        })
    }

    fn delimiter(self) -> char {
        if self == FileKind::Pos { ';' } else { ',' }
    }

    /// What comes before the id on each line.
    fn line_prefix(self) -> &'static str {
        match self {
            FileKind::AppUsers => "{\"user\": {\"account_id\": \"",
            FileKind::AppOrders => "{\"order_ref\": \"",
            _ => "",
        }
    }

    fn id_space(self, ctx: &Ctx) -> IdSpace {
        let ids = &ctx.ids;
        match self {
            FileKind::Web => ids.web,
            FileKind::Pos => ids.pos,
            FileKind::AppOrders => ids.app_orders,
            FileKind::CallCentre => ids.call_centre,
            FileKind::Messaging => ids.messaging,
            FileKind::AppUsers => ids.account,
            FileKind::Loyalty => IdSpace {
                prefix: "",
                width: 13,
                stride: 0,
            },
        }
    }
}

/// The kinds of deliberately malformed rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadKind {
    /// `created_at` is `not-a-date`.
    Date,
    /// The record id is empty.
    NoId,
    /// One field too many: a `SURNAMES, NAME` value written without quotes.
    Extra,
    /// `importe` is `abc`.
    Amount,
    /// `fecha` is `31/02/2025 10:00`.
    ImpossibleDate,
    /// `birth_date` is `1985-13-45`.
    Birth,
    /// A truncated JSON object.
    Json,
    /// The row stops after its third field.
    Short,
}

impl BadKind {
    pub fn reason(self, file: FileKind) -> &'static str {
        match (self, file) {
            (BadKind::Date, _) => "created_at is `not-a-date`",
            (BadKind::NoId, FileKind::Web) => "order_id is empty",
            (BadKind::NoId, _) => "contact_id is empty",
            (BadKind::Extra, FileKind::Web) => {
                "13 fields instead of 12: customer_name written as `SURNAMES, NAME` without quotes, \
                 so the comma splits it"
            }
            (BadKind::Extra, _) => {
                "9 fields instead of 8: profile_name written as `SURNAME, NAME` without quotes, \
                 so the comma splits it"
            }
            (BadKind::Amount, _) => "importe is `abc`",
            (BadKind::ImpossibleDate, _) => "fecha is `31/02/2025 10:00` (impossible date)",
            (BadKind::Birth, _) => "birth_date is `1985-13-45` (month 13, day 45)",
            (BadKind::Json, _) => "truncated JSON object (not valid JSON)",
            (BadKind::Short, _) => "only 3 fields instead of 6 (row cut after caller_name)",
        }
    }
}

/// Whose record a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// Index of the person in the block.
    Person(u32),
    /// An anonymous store customer: their own person `ANON-<ticket_id>` in the truth.
    Anon,
    /// A malformed row, left out of the truth.
    Bad(BadKind),
}

/// The record a row refers to (a refund's order, a return's ticket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refer {
    None,
    /// Index of a row in the block's web orders.
    Web(u32),
    /// Index of a row in the block's POS tickets.
    Pos(u32),
}

/// A transaction: UTC instant, signed amount in cents, euro (`true`) or pound.
#[derive(Debug, Clone, Copy)]
pub struct Tx {
    pub utc: i64,
    pub cents: i64,
    pub eur: bool,
}

#[derive(Debug)]
pub struct Row {
    /// Sort key: the record's time.
    pub t: i64,
    /// The id, for persons-level ids (cards, accounts); `None` for sequential ones.
    pub id: Option<u64>,
    /// The line after the id (and before the reference column, if the file has one).
    pub body: String,
    pub refer: Refer,
    pub owner: Owner,
    pub tx: Option<Tx>,
}

/// A malformed row of a block: its row index (from 0) in the block's part of the file.
#[derive(Debug, Clone)]
pub struct BadRow {
    pub row: u64,
    pub record_id: String,
    pub reason: &'static str,
}

/// A block's part of one export file.
#[derive(Debug, Default)]
pub struct Chunk {
    pub data: String,
    pub rows: u64,
    pub bad: Vec<BadRow>,
    /// The id of each row, by the channel's row index (for references).
    pub ids: Vec<u64>,
}

/// A block's part of `truth.csv` and `truth_transactions.csv`.
#[derive(Debug, Default)]
pub struct Truth {
    pub truth: String,
    pub truth_rows: u64,
    pub tx: String,
    pub tx_rows: u64,
}

/// An amount in cents: log-normal, clamped, often ending in `.99` or a multiple of 5.
pub fn money_cents(rng: &mut BlockRng, mu: f64, sigma: f64, lo: i64, hi: i64) -> i64 {
    let mut c = ((lognormal(rng, mu, sigma) * 100.0).round() as i64).clamp(lo, hi);
    let r = unit(rng);
    if r < 0.35 {
        if c > 100 {
            c = (c / 100) * 100 + 99;
        }
    } else if r < 0.75 {
        c -= c % 5;
    }
    c
}

/// Orders a block's rows by time, assigns ids and writes them.
pub fn assemble(
    ctx: &Ctx,
    block: &Block,
    kind: FileKind,
    rows: Vec<Row>,
    web_ids: &[u64],
    truth: &mut Truth,
) -> Chunk {
    let mut order: Vec<u32> = (0..rows.len() as u32).collect();
    order.sort_by_key(|&i| rows[i as usize].t);
    let space = kind.id_space(ctx);
    let mut ids = vec![0u64; rows.len()];
    for (k, &i) in order.iter().enumerate() {
        ids[i as usize] = rows[i as usize]
            .id
            .unwrap_or_else(|| space.number(block.index, k as u64));
    }
    let push_id = |buf: &mut String, n: u64| {
        if kind == FileKind::Loyalty {
            push_card(buf, n)
        } else {
            space.push(buf, n)
        }
    };
    let delim = kind.delimiter();
    let has_ref = matches!(kind, FileKind::Web | FileKind::Pos);
    let mut out = Chunk {
        data: String::with_capacity(rows.len() * 128),
        ..Chunk::default()
    };
    for (k, &i) in order.iter().enumerate() {
        let row = &rows[i as usize];
        let start = out.data.len();
        out.data.push_str(kind.line_prefix());
        let id_start = out.data.len();
        if row.owner != Owner::Bad(BadKind::NoId) {
            push_id(&mut out.data, ids[i as usize]);
        }
        let id_end = out.data.len();
        out.data.push_str(&row.body);
        if has_ref {
            out.data.push(delim);
            match row.refer {
                // A refund refers to an order of the same file; a store return to a web order.
                Refer::Web(j) if kind == FileKind::Web => {
                    space.push(&mut out.data, ids[j as usize])
                }
                Refer::Web(j) => ctx.ids.web.push(&mut out.data, web_ids[j as usize]),
                Refer::Pos(j) => space.push(&mut out.data, ids[j as usize]),
                Refer::None => {}
            }
        }
        let id = &out.data[id_start..id_end];
        match row.owner {
            Owner::Bad(bad) => {
                out.bad.push(BadRow {
                    row: k as u64,
                    record_id: id.to_string(),
                    reason: bad.reason(kind),
                });
                if bad == BadKind::Json {
                    let chars = out.data[start..].chars().count();
                    let keep = (chars as f64 * 0.55) as usize;
                    let cut = out.data[start..]
                        .char_indices()
                        .nth(keep)
                        .map_or(out.data.len(), |(b, _)| start + b);
                    out.data.truncate(cut);
                }
            }
            owner => {
                let t = &mut *truth;
                let person_start = t.truth.len() + kind.source().len() + id.len() + 2;
                t.truth.push_str(kind.source());
                t.truth.push(',');
                t.truth.push_str(id);
                t.truth.push(',');
                match owner {
                    Owner::Person(p) => ctx
                        .ids
                        .push_person(&mut t.truth, block.persons[p as usize].global),
                    _ => {
                        t.truth.push_str("ANON-");
                        t.truth.push_str(id);
                    }
                }
                t.truth_rows += 1;
                if let Some(tx) = row.tx {
                    t.tx.push_str(&t.truth[person_start..]);
                    t.tx.push(',');
                    t.tx.push_str(kind.source());
                    t.tx.push(',');
                    t.tx.push_str(id);
                    t.tx.push(',');
                    push_utc(&mut t.tx, tx.utc);
                    t.tx.push(',');
                    push_cents_dot(&mut t.tx, tx.cents);
                    t.tx.push_str(if tx.eur { ",EUR," } else { ",GBP," });
                    t.tx.push_str(if tx.cents < 0 {
                        "return\n"
                    } else {
                        "purchase\n"
                    });
                    t.tx_rows += 1;
                }
                t.truth.push('\n');
            }
        }
        out.data.push('\n');
    }
    out.rows = rows.len() as u64;
    out.ids = ids;
    out
}
