//! The synthetic population: persons generated block by block, with the hard negatives
//! formed inside each block (namesakes, households sharing an address and a landline,
//! family mailboxes), people who moved, and their channel memberships.
//!
//! E-mail addresses and phone numbers drawn here are candidates: [`crate::registry`] makes
//! them unique across the whole run before any record is written.

use std::sync::LazyLock;

use rand::Rng;

use crate::Ctx;
use crate::address::{Address, new_address};
use crate::contact::{make_email, new_device, new_landline, new_mobile};
use crate::names;
use crate::noise;
use crate::places::{CITIES, City, city_index};
use crate::rng::{
    BlockRng, LazyWeighted, Stream, Weighted, block_rng, chance, pick, pick_copy, unit,
};
use crate::text::slug;
use crate::time::{D_HI, D_LO, days_from_civil, rand_day};

/// Persons per block. Fixed: changing it changes every generated file.
pub const BLOCK: u64 = 4096;

#[derive(Debug, Clone)]
pub struct Person {
    /// Index in the whole population, from 0.
    pub global: u64,
    pub es: bool,
    pub first: &'static str,
    pub s1: &'static str,
    pub s2: Option<&'static str>,
    pub city: usize,
    /// Day number of the birth date.
    pub birth: i64,
    pub home: Address,
    /// Day of a move (within the city) and the new address.
    pub moved: Option<(i64, Address)>,
    /// National significant numbers (ES 9 digits, GB 10 digits).
    pub mobile: u64,
    pub landline: Option<u64>,
    pub email: String,
    /// A work address, used now and then.
    pub alt_email: Option<String>,
    pub household: Option<u32>,
    pub namesake: bool,
    pub card: Option<u64>,
    /// Day of the loyalty signup (when `card` is set).
    pub signup: i64,
    pub account: Option<u64>,
    pub device: Option<String>,
    pub home_store: &'static str,
    pub in_web: bool,
    pub in_pos: bool,
    pub in_cc: bool,
    pub in_msg: bool,
}

impl Person {
    pub fn city(&self) -> &'static City {
        &CITIES[self.city]
    }

    /// The home address on `day`.
    pub fn address_at(&self, day: i64) -> &Address {
        match &self.moved {
            Some((d, new)) if day >= *d => new,
            _ => &self.home,
        }
    }

    /// The latest home address.
    pub fn current_address(&self) -> &Address {
        self.moved.as_ref().map_or(&self.home, |(_, a)| a)
    }
}

/// Two persons sharing an address and a landline, sometimes a family mailbox.
#[derive(Debug, Clone)]
pub struct Household {
    pub head: u32,
    pub member: u32,
    pub family_email: Option<String>,
}

/// One block of persons, ready for the channels once the registry has run.
#[derive(Debug)]
pub struct Block {
    pub index: u64,
    pub persons: Vec<Person>,
    pub households: Vec<Household>,
    /// Cards and accounts taken by the block's persons (bad rows take the next ones).
    pub cards: u64,
    pub accounts: u64,
}

impl Block {
    /// The family mailbox of person `i`, if their household has one.
    pub fn family_email(&self, i: usize) -> Option<&str> {
        let h = self.persons[i].household?;
        self.households[h as usize].family_email.as_deref()
    }

    /// Whether person `i` heads a household with a family mailbox (and uses it everywhere).
    pub fn family_owner(&self, i: usize) -> bool {
        self.persons[i].household.is_some_and(|h| {
            self.households[h as usize].head as usize == i && self.family_email(i).is_some()
        })
    }

    /// An address person `i` gives, with the noise of [`noise::noisy_email`].
    pub fn email_for(
        &self,
        rng: &mut BlockRng,
        i: usize,
        allow_family: bool,
        p_noise: f64,
    ) -> String {
        let e = self.pick_email(rng, i, allow_family);
        noise::noisy_email(rng, e, p_noise)
    }

    /// An e-mail address person `i` gives: the family one, the work one or their own.
    pub fn pick_email(&self, rng: &mut BlockRng, i: usize, allow_family: bool) -> &str {
        let p = &self.persons[i];
        if allow_family
            && let Some(f) = self.family_email(i)
            && chance(rng, 0.6)
        {
            return f;
        }
        if let Some(alt) = &p.alt_email
            && chance(rng, 0.3)
        {
            return alt;
        }
        &p.email
    }
}

static ES_F: LazyWeighted<&str> =
    LazyLock::new(|| Weighted::new(names::ES_FIRST_F.iter().copied()));
static ES_M: LazyWeighted<&str> =
    LazyLock::new(|| Weighted::new(names::ES_FIRST_M.iter().copied()));
static EN_F: LazyWeighted<&str> =
    LazyLock::new(|| Weighted::new(names::EN_FIRST_F.iter().copied()));
static EN_M: LazyWeighted<&str> =
    LazyLock::new(|| Weighted::new(names::EN_FIRST_M.iter().copied()));
static ES_SUR: LazyWeighted<&str> =
    LazyLock::new(|| Weighted::new(names::ES_SURNAMES.iter().copied()));
static EN_SUR: LazyWeighted<&str> =
    LazyLock::new(|| Weighted::new(names::EN_SURNAMES.iter().copied()));
static ES_CITY: LazyWeighted<usize> = LazyLock::new(|| city_table(true));
static GB_CITY: LazyWeighted<usize> = LazyLock::new(|| city_table(false));

fn city_table(es: bool) -> Weighted<usize> {
    Weighted::new(
        CITIES
            .iter()
            .enumerate()
            .filter(|(_, c)| c.es == es)
            .map(|(i, c)| (i, c.weight)),
    )
}

/// A Spanish surname, weighted by frequency.
pub fn es_surname(rng: &mut BlockRng) -> &'static str {
    ES_SUR.sample(rng)
}

const BIRTH_LO: i64 = days_from_civil(1946, 1, 1);
const BIRTH_HI: i64 = days_from_civil(2006, 10, 1);

/// A new random person (the e-mail is left empty: it is made once the names are final).
pub fn new_person(rng: &mut BlockRng, global: u64) -> Person {
    let es = !chance(rng, 0.25);
    let female = rng.random_bool(0.5);
    let (first, s1, s2, city) = if es {
        let first = if female {
            ES_F.sample(rng)
        } else {
            ES_M.sample(rng)
        };
        let s1 = ES_SUR.sample(rng);
        let s2 = chance(rng, 0.93).then(|| ES_SUR.sample(rng));
        (first, s1, s2, ES_CITY.sample(rng))
    } else {
        let first = if female {
            EN_F.sample(rng)
        } else {
            EN_M.sample(rng)
        };
        (first, EN_SUR.sample(rng), None, GB_CITY.sample(rng))
    };
    let birth = rand_day(rng, BIRTH_LO, BIRTH_HI);
    let home = new_address(rng, &CITIES[city]);
    let mobile = new_mobile(rng, es);
    let landline = chance(rng, 0.22).then(|| new_landline(rng, &CITIES[city]));
    Person {
        global,
        es,
        first,
        s1,
        s2,
        city,
        birth,
        home,
        moved: None,
        mobile,
        landline,
        email: String::new(),
        alt_email: None,
        household: None,
        namesake: false,
        card: None,
        signup: 0,
        account: None,
        device: None,
        home_store: CITIES[city].stores[0],
        in_web: false,
        in_pos: false,
        in_cc: false,
        in_msg: false,
    }
}

/// Two distinct indices among those satisfying `ok`, if there are two.
fn pick_two(
    rng: &mut BlockRng,
    persons: &[Person],
    ok: impl Fn(&Person) -> bool,
) -> Option<(usize, usize)> {
    let cands: Vec<usize> = (0..persons.len()).filter(|&i| ok(&persons[i])).collect();
    if cands.len() < 2 {
        return None;
    }
    let a = rng.random_range(0..cands.len());
    let mut b = rng.random_range(0..cands.len() - 1);
    if b >= a {
        b += 1;
    }
    Some((cands[a], cands[b]))
}

/// Phase A of a block: its persons with candidate contacts (see [`crate::registry`]).
pub fn generate_block(ctx: &Ctx, index: u64) -> Block {
    let mut rng = block_rng(ctx.seed, index, Stream::Persons);
    let first_global = index * BLOCK;
    let n = BLOCK.min(ctx.persons - first_global);
    let mut persons: Vec<Person> = (0..n)
        .map(|i| new_person(&mut rng, first_global + i))
        .collect();

    // Hard negative 1: namesakes, different persons with the same full name in one city.
    let pairs = (n as f64 * 0.01).round() as usize;
    for k in 0..pairs {
        let (es, _female, first, s1, s2, city) = names::NAMESAKES[k % names::NAMESAKES.len()];
        let Some((a, b)) = pick_two(&mut rng, &persons, |p| p.es == es && !p.namesake) else {
            continue;
        };
        for i in [a, b] {
            let city = city_index(city);
            let p = &mut persons[i];
            (p.namesake, p.first, p.s1, p.s2, p.city) = (true, first, s1, s2, city);
            p.home = new_address(&mut rng, &CITIES[city]);
            if p.landline.is_some() {
                p.landline = Some(new_landline(&mut rng, &CITIES[city]));
            }
        }
    }

    // Hard negative 2: households (shared address and landline, sometimes a family mailbox).
    let mut households = Vec::new();
    for h in 0..(n as f64 * 0.025).round() as usize {
        let es = h % 5 != 3;
        let free = |p: &Person| p.es == es && !p.namesake && p.household.is_none();
        let Some((head, member)) = pick_two(&mut rng, &persons, free) else {
            continue;
        };
        let hp = persons[head].clone();
        let landline = hp
            .landline
            .unwrap_or_else(|| new_landline(&mut rng, hp.city()));
        persons[head].landline = Some(landline);
        let parent_child = rng.random_bool(0.5);
        let m = &mut persons[member];
        (m.city, m.home, m.landline) = (hp.city, hp.home.clone(), Some(landline));
        if parent_child {
            m.s1 = hp.s1;
            let (y, mo, _) = crate::time::civil_from_days(hp.birth);
            let born =
                days_from_civil(y + rng.random_range(22..=34), mo, 1) + rng.random_range(0..=27);
            m.birth = born.min(days_from_civil(2006, 9, 30));
        } else if !es && chance(&mut rng, 0.7) {
            m.s1 = hp.s1;
        }
        let id = households.len() as u32;
        persons[head].household = Some(id);
        persons[member].household = Some(id);
        households.push(Household {
            head: head as u32,
            member: member as u32,
            family_email: None,
        });
    }

    // People who moved house (within their city) at some point.
    for p in persons.iter_mut() {
        if p.household.is_none() && chance(&mut rng, 0.06) {
            let day = rand_day(&mut rng, D_LO + 60, D_HI - 30);
            p.moved = Some((day, new_address(&mut rng, p.city())));
        }
    }

    // E-mails, from the final names.
    for p in persons.iter_mut() {
        p.email = make_email(&mut rng, p, false);
        p.alt_email = chance(&mut rng, 0.08).then(|| make_email(&mut rng, p, true));
    }
    for (h, hh) in households.iter_mut().enumerate() {
        if h % 2 == 0 {
            let (head, member) = (&persons[hh.head as usize], &persons[hh.member as usize]);
            hh.family_email = Some(family_email(&mut rng, head, member));
        }
    }

    // Programme memberships and channel presence.
    let (mut cards, mut accounts) = (0, 0);
    for p in persons.iter_mut() {
        if chance(&mut rng, 0.62) {
            p.card = Some(ctx.ids.card(index, cards));
            cards += 1;
            let span = (D_HI - D_LO) as f64;
            p.signup = D_LO + (span * 0.9 * unit(&mut rng).powf(1.6)) as i64;
        }
        if chance(&mut rng, 0.4) {
            p.account = Some(ctx.ids.account(index, accounts));
            accounts += 1;
            p.device = Some(new_device(&mut rng));
        }
        p.home_store = pick_copy(&mut rng, p.city().stores);
        p.in_web = chance(&mut rng, 0.5);
        p.in_pos = chance(&mut rng, if p.card.is_some() { 0.9 } else { 0.35 });
        p.in_cc = chance(&mut rng, 0.35);
        p.in_msg = chance(&mut rng, 0.58);
        if p.namesake || p.household.is_some() {
            p.in_web = true;
            p.in_cc = true;
        }
        if !(p.card.is_some() || p.account.is_some() || p.in_web || p.in_pos || p.in_cc || p.in_msg)
        {
            p.in_web = true;
        }
    }
    Block {
        index,
        persons,
        households,
        cards,
        accounts,
    }
}

fn family_email(rng: &mut BlockRng, head: &Person, member: &Person) -> String {
    let a = slug(head.s1);
    if head.es {
        let b = if member.s1 == head.s1 {
            String::new()
        } else {
            slug(member.s1)
        };
        let local = match rng.random_range(0..3) {
            0 => format!("familia{a}{b}"),
            1 => format!("{a}{b}casa"),
            _ if b.is_empty() => format!("casa.{a}"),
            _ => format!("casa.{a}.{b}"),
        };
        format!(
            "{local}@{}",
            pick(rng, &["gmail.com", "hotmail.com", "telefonica.net"])
        )
    } else {
        let local = match rng.random_range(0..3) {
            0 => format!("the{a}s"),
            1 => format!("{a}family"),
            _ => format!("{a}.household"),
        };
        format!(
            "{local}@{}",
            pick(rng, &["btinternet.com", "gmail.com", "sky.com"])
        )
    }
}
