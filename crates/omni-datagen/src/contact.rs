//! Contact identifiers: e-mail addresses, valid phone numbers (libphonenumber's Spanish and
//! UK ranges), device ids, and how each channel writes a phone number.

use rand::Rng;

use crate::person::Person;
use crate::places::{
    CUSTOM_DOMAINS_ES, CUSTOM_DOMAINS_GB, City, FREE_DOMAINS_ES, FREE_DOMAINS_GB, WORK_DOMAINS_ES,
    WORK_DOMAINS_GB,
};
use crate::rng::{BlockRng, chance, digits, pick, pick_copy, pick_index};
use crate::text::{fold, push_u64, slug};
use crate::time::year_of;

/// Three-digit starts of UK mobiles that libphonenumber accepts (`07xx`), avoiding the
/// reserved drama range 07700 900xxx and the gaps of the numbering plan.
const UK_MOBILE: &[u16] = &[
    710, 711, 712, 713, 714, 715, 716, 717, 718, 719, 720, 721, 722, 723, 724, 725, 726, 727, 728,
    729, 730, 731, 732, 733, 734, 735, 736, 737, 738, 739, 740, 741, 742, 743, 744, 746, 747, 748,
    749, 753, 754, 755, 756, 757, 758, 759, 771, 772, 773, 774, 775, 776, 777, 780, 781, 784, 785,
    786, 787, 788, 789, 790, 792, 794, 795, 796, 797, 798, 799,
];

/// A mobile number: Spanish `6xx xxx xxx` / `71x-74x`, or UK `07xxx xxxxxx`.
pub fn new_mobile(rng: &mut BlockRng, es: bool) -> u64 {
    if es {
        if chance(rng, 0.8) {
            600_000_000 + digits(rng, 8)
        } else {
            rng.random_range(71..=74) * 10_000_000 + digits(rng, 7)
        }
    } else {
        u64::from(pick_copy(rng, UK_MOBILE)) * 10_000_000 + digits(rng, 7)
    }
}

/// A landline of `city`: `91 xxx xx xx`, `954 xx xx xx`, `020 xxxx xxxx`, `0161 xxx xxxx`.
pub fn new_landline(rng: &mut BlockRng, city: &City) -> u64 {
    let prefix = pick_copy(rng, city.landline_prefixes);
    let next = pick_copy(rng, city.landline_next.as_bytes()) - b'0';
    let total = if city.es { 9 } else { 10 };
    let rest = (total - prefix.len() - 1) as u32;
    let head: u64 = prefix
        .bytes()
        .fold(0, |acc, b| acc * 10 + u64::from(b - b'0'));
    (head * 10 + u64::from(next)) * 10u64.pow(rest) + digits(rng, rest)
}

/// A UUID v4, upper case for iOS (IDFV) or lower case for Android.
pub fn new_device(rng: &mut BlockRng) -> String {
    let mut v: u128 = rng.random();
    v = (v & !(0xF << 76)) | (0x4 << 76);
    v = (v & !(0x3 << 62)) | (0x2 << 62);
    let h = format!("{v:032x}");
    let u = format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    );
    if chance(rng, 0.5) {
        u.to_uppercase()
    } else {
        u
    }
}

/// The personal (or, with `work`, a work) e-mail address of a person: a candidate that the
/// registry may still change to make it unique.
pub fn make_email(rng: &mut BlockRng, p: &Person, work: bool) -> String {
    let folded = fold(p.first).to_lowercase();
    let parts: Vec<&str> = folded.split(' ').filter(|s| !s.is_empty()).collect();
    let f = if parts.len() == 1 || chance(rng, 0.6) {
        parts[0].to_string()
    } else {
        parts.iter().filter(|x| **x != "del").copied().collect()
    };
    let f0 = &f[..f.chars().next().map_or(0, char::len_utf8)];
    let a = slug(p.s1);
    if work {
        let dom = pick(
            rng,
            if p.es {
                WORK_DOMAINS_ES
            } else {
                WORK_DOMAINS_GB
            },
        );
        return if chance(rng, 0.7) {
            format!("{f}.{a}@{dom}")
        } else {
            format!("{f0}{a}@{dom}")
        };
    }
    let dom = if chance(rng, 0.83) {
        let free = if p.es {
            FREE_DOMAINS_ES
        } else {
            FREE_DOMAINS_GB
        };
        let w: Vec<u32> = free.iter().map(|(_, w)| *w).collect();
        free[pick_index(rng, &w)].0
    } else {
        pick_copy(
            rng,
            if p.es {
                CUSTOM_DOMAINS_ES
            } else {
                CUSTOM_DOMAINS_GB
            },
        )
    };
    let year = year_of(p.birth);
    let yy = year % 100;
    let n_patterns = if p.s2.is_some() { 11 } else { 8 };
    let b = p.s2.map(slug).unwrap_or_default();
    let local = match rng.random_range(0..n_patterns) {
        0 => format!("{f}.{a}"),
        1 => format!("{f}{a}"),
        2 => format!("{f0}{a}{yy:02}"),
        3 => format!("{f}{a}{year}"),
        4 => format!("{a}.{f}"),
        5 => format!("{f}_{a}{}", rng.random_range(1..=99)),
        6 => format!("{f}.{a}{yy:02}"),
        7 => format!("{f0}.{a}"),
        8 => format!("{f}.{a}.{b}"),
        9 => format!("{f}{a}{b}"),
        _ => format!(
            "{f0}{a}{}",
            &b[..b.chars().next().map_or(0, char::len_utf8)]
        ),
    };
    format!("{local}@{dom}")
}

/// The key under which e-mail addresses are the same mailbox: lower case, `+tag` dropped,
/// and dots ignored at Gmail.
pub fn email_key(e: &str) -> String {
    let e = e.trim().to_lowercase();
    let (local, dom) = e.split_once('@').unwrap_or((&e, ""));
    let local = local.split('+').next().unwrap_or(local);
    if dom == "gmail.com" || dom == "googlemail.com" {
        format!("{}@gmail.com", local.replace('.', ""))
    } else {
        format!("{local}@{dom}")
    }
}

/// How a phone number is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneStyle {
    IntlSpaced,
    DoubleZero,
    Dashes,
    Plain,
    E164,
    Pairs,
    Paren,
    National,
    WhatsApp,
}

/// Which channel writes the number (each has its habits).
#[derive(Debug, Clone, Copy)]
pub enum PhoneChannel {
    Web,
    Loyalty,
    App,
    WhatsApp,
    CallCentre,
    Pos,
}

fn styles(ch: PhoneChannel) -> &'static [(PhoneStyle, u32)] {
    use PhoneStyle::*;
    match ch {
        PhoneChannel::Web => &[
            (IntlSpaced, 20),
            (DoubleZero, 8),
            (Dashes, 10),
            (Plain, 30),
            (E164, 15),
            (Pairs, 7),
            (Paren, 5),
            (National, 15),
        ],
        PhoneChannel::Loyalty => &[
            (Plain, 50),
            (IntlSpaced, 15),
            (Pairs, 15),
            (Dashes, 10),
            (E164, 5),
            (National, 10),
            (Paren, 3),
        ],
        PhoneChannel::App => &[(E164, 80), (IntlSpaced, 10), (Plain, 10)],
        PhoneChannel::WhatsApp => &[(E164, 60), (WhatsApp, 40)],
        PhoneChannel::CallCentre => &[
            (DoubleZero, 35),
            (Plain, 40),
            (E164, 15),
            (IntlSpaced, 10),
            (National, 10),
        ],
        PhoneChannel::Pos => &[
            (Plain, 60),
            (Dashes, 20),
            (Pairs, 10),
            (IntlSpaced, 5),
            (National, 10),
        ],
    }
}

/// `num` written in one of `channel`'s usual styles.
pub fn phone_for(rng: &mut BlockRng, num: u64, es: bool, channel: PhoneChannel) -> String {
    let table = styles(channel);
    let w: Vec<u32> = table.iter().map(|(_, w)| *w).collect();
    format_phone(num, es, table[pick_index(rng, &w)].0)
}

/// A national significant number written in `style`.
///
/// UK numbers always carry the country code (`+44`, `0044`, `(+44)`): the pipeline reads
/// phones without one as Spanish (`default_region = "ES"`), and `07712 900123` is no valid
/// Spanish number.
pub fn format_phone(num: u64, es: bool, style: PhoneStyle) -> String {
    use PhoneStyle::*;
    let mut n = String::with_capacity(10);
    push_u64(&mut n, num);
    if es {
        let g3 = format!("{} {} {}", &n[..3], &n[3..6], &n[6..]);
        return match style {
            IntlSpaced => format!("+34 {g3}"),
            DoubleZero => format!("0034{n}"),
            Dashes => format!("{}-{}-{}", &n[..3], &n[3..6], &n[6..]),
            Plain | National => n,
            E164 => format!("+34{n}"),
            Pairs => format!("{} {} {} {}", &n[..3], &n[3..5], &n[5..7], &n[7..]),
            Paren => format!("(+34) {g3}"),
            WhatsApp => format!("34{n}"),
        };
    }
    let grp = if n.starts_with('7') {
        format!("{} {}", &n[..4], &n[4..])
    } else if n.starts_with("20") {
        format!("{} {} {}", &n[..2], &n[2..6], &n[6..])
    } else {
        format!("{} {} {}", &n[..3], &n[3..6], &n[6..])
    };
    match style {
        IntlSpaced | National => format!("+44 {grp}"),
        DoubleZero | Plain => format!("0044{n}"),
        Dashes => format!("+44-{}", grp.replace(' ', "-")),
        E164 | WhatsApp => format!("+44{n}"),
        Pairs => format!("0044 {grp}"),
        Paren => format!("(+44) {grp}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::places::{CITIES, city_index};
    use crate::rng::{Stream, block_rng};

    #[test]
    fn phone_numbers_have_valid_shapes() {
        let mut rng = block_rng(3, 0, Stream::Persons);
        for _ in 0..2000 {
            let m = new_mobile(&mut rng, true);
            assert!((600_000_000..750_000_000).contains(&m), "{m}");
            let uk = new_mobile(&mut rng, false);
            assert!((7_100_000_000..8_000_000_000).contains(&uk), "{uk}");
            assert_ne!(uk / 1_000_000, 7700, "drama range");
            for c in CITIES {
                let l = new_landline(&mut rng, c);
                let digits = l.to_string();
                assert_eq!(digits.len(), if c.es { 9 } else { 10 }, "{} {l}", c.name);
                assert!(c.landline_prefixes.iter().any(|p| digits.starts_with(p)));
            }
        }
        let london = &CITIES[city_index("London")];
        assert!(new_landline(&mut rng, london).to_string().starts_with("20"));
    }

    #[test]
    fn phone_formats() {
        assert_eq!(
            format_phone(612_345_678, true, PhoneStyle::IntlSpaced),
            "+34 612 345 678"
        );
        assert_eq!(
            format_phone(612_345_678, true, PhoneStyle::Pairs),
            "612 34 56 78"
        );
        assert_eq!(
            format_phone(612_345_678, true, PhoneStyle::Dashes),
            "612-345-678"
        );
        assert_eq!(
            format_phone(7_712_900_123, false, PhoneStyle::National),
            "+44 7712 900123"
        );
        assert_eq!(
            format_phone(7_712_900_123, false, PhoneStyle::Paren),
            "(+44) 7712 900123"
        );
        assert_eq!(
            format_phone(2_079_460_000, false, PhoneStyle::Dashes),
            "+44-20-7946-0000"
        );
        assert_eq!(
            format_phone(1_612_345_678, false, PhoneStyle::DoubleZero),
            "00441612345678"
        );
    }

    #[test]
    fn email_keys_fold_gmail() {
        assert_eq!(
            email_key(" Maria.Garcia+shop@Gmail.com "),
            "mariagarcia@gmail.com"
        );
        assert_eq!(email_key("ana.ruiz+x@hotmail.es"), "ana.ruiz@hotmail.es");
    }

    #[test]
    fn device_ids_are_uuid_v4() {
        let mut rng = block_rng(3, 0, Stream::App);
        let d = new_device(&mut rng).to_lowercase();
        assert_eq!(d.len(), 36);
        assert_eq!(&d[14..15], "4");
        assert!("89ab".contains(&d[19..20]));
    }
}
