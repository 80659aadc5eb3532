//! Noise injected on a minority of records: e-mail case, spaces, Gmail dots and `+tags`;
//! names without accents, in upper or lower case, nicknames; abbreviated or upper-case
//! addresses; city spellings; postcodes that lost a leading zero or their space.

use crate::address::{Address, Flat};
use crate::names::nicknames;
use crate::places::{ABBREV_ES, ABBREV_GB, City, GMAIL_TAGS};
use crate::rng::{BlockRng, chance, pick_copy, pick_index, unit};
use crate::text::fold;

/// `e`, changed with probability `p` the way people and forms change addresses.
pub fn noisy_email(rng: &mut BlockRng, e: &str, p: f64) -> String {
    if e.is_empty() || !chance(rng, p) {
        return e.to_string();
    }
    let Some((local, dom)) = e.split_once('@') else {
        return e.to_string();
    };
    // case 40, gmail 35, space 20, upper 5
    let mut kind = pick_index(rng, &[40, 35, 20, 5]);
    if kind == 1 && dom != "gmail.com" {
        kind = 0;
    }
    match kind {
        3 => e.to_uppercase(),
        2 => match rng_index(rng, 4) {
            0 => format!(" {e}"),
            1 => format!("{e} "),
            2 => format!(" {e} "),
            _ => format!("  {e}"),
        },
        0 => {
            let local2: Vec<String> = local.split('.').map(capitalise).collect();
            format!("{}@{}", local2.join("."), capitalise(dom))
        }
        _ => {
            let mut local2 = if local.contains('.') && chance(rng, 0.6) {
                local.replace('.', "")
            } else {
                let b = local.as_bytes();
                let spots: Vec<usize> = (1..b.len())
                    .filter(|&i| b[i - 1].is_ascii_alphabetic() && b[i].is_ascii_alphabetic())
                    .collect();
                if spots.is_empty() {
                    local.to_string()
                } else {
                    let at = pick_copy(rng, &spots);
                    format!("{}.{}", &local[..at], &local[at..])
                }
            };
            if chance(rng, 0.55) {
                local2.push('+');
                local2.push_str(pick_copy(rng, GMAIL_TAGS));
            }
            format!("{local2}@{dom}")
        }
    }
}

fn rng_index(rng: &mut BlockRng, n: usize) -> usize {
    (unit(rng) * n as f64) as usize % n
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Keys next to each letter on a QWERTY keyboard, for substitution typos.
fn neighbours(c: char) -> &'static str {
    match c.to_ascii_lowercase() {
        'a' => "qwsz",
        'b' => "vghn",
        'c' => "xdfv",
        'd' => "serfcx",
        'e' => "wsdr",
        'f' => "drtgvc",
        'g' => "ftyhbv",
        'h' => "gyujnb",
        'i' => "ujko",
        'j' => "huikmn",
        'k' => "jiolm",
        'l' => "kop",
        'm' => "njk",
        'n' => "bhjm",
        'o' => "iklp",
        'p' => "ol",
        'q' => "wa",
        'r' => "edft",
        's' => "awedxz",
        't' => "rfgy",
        'u' => "yhji",
        'v' => "cfgb",
        'w' => "qase",
        'x' => "zsdc",
        'y' => "tghu",
        'z' => "asx",
        _ => "",
    }
}

/// With probability `p`, one keyboard slip in `s` — a neighbouring key, a dropped, doubled
/// or swapped letter — as people make when typing a name at a till or a call centre. Only
/// ASCII letters after the first character are touched, so initials and accents survive.
pub fn typo(rng: &mut BlockRng, s: &str, p: f64) -> String {
    if !chance(rng, p) {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let spots: Vec<usize> = (1..chars.len())
        .filter(|&i| chars[i].is_ascii_alphabetic())
        .collect();
    if spots.is_empty() {
        return s.to_string();
    }
    let i = spots[rng_index(rng, spots.len())];
    let mut out = chars.clone();
    match rng_index(rng, 4) {
        0 => {
            let keys: Vec<char> = neighbours(chars[i]).chars().collect();
            if !keys.is_empty() {
                let k = keys[rng_index(rng, keys.len())];
                out[i] = if chars[i].is_ascii_uppercase() {
                    k.to_ascii_uppercase()
                } else {
                    k
                };
            }
        }
        1 => {
            out.remove(i);
        }
        2 => out.insert(i, chars[i]),
        _ => {
            if i + 1 < out.len() && out[i + 1].is_ascii_alphabetic() {
                out.swap(i, i + 1);
            } else {
                out.swap(i - 1, i);
            }
        }
    }
    out.into_iter().collect()
}

/// The share of hand-typed names with a typo.
pub const P_NAME_TYPO: f64 = 0.04;

/// `s` with accents dropped (probability `p_fold`), a typo ([`P_NAME_TYPO`]), then upper case
/// (`p_upper`) or lower case (`p_lower`).
pub fn variant_name(
    rng: &mut BlockRng,
    s: &str,
    p_fold: f64,
    p_upper: f64,
    p_lower: f64,
) -> String {
    let s = if chance(rng, p_fold) {
        fold(s).into_owned()
    } else {
        s.to_string()
    };
    let s = typo(rng, &s, P_NAME_TYPO);
    let r = unit(rng);
    if r < p_upper {
        s.to_uppercase()
    } else if r < p_upper + p_lower {
        s.to_lowercase()
    } else {
        s
    }
}

/// `first`, or with probability `p` one of its nicknames (`Pepe` for `José`).
pub fn maybe_nickname(rng: &mut BlockRng, first: &'static str, p: f64) -> &'static str {
    match nicknames(first) {
        Some(nicks) if chance(rng, p) => pick_copy(rng, nicks),
        _ => first,
    }
}

/// The city's name, or with probability `p` another spelling of it.
pub fn city_variant(rng: &mut BlockRng, city: &City, p: f64) -> String {
    if !chance(rng, p) {
        return city.name.to_string();
    }
    let n = 2 + city.spellings.len();
    match rng_index(rng, n) {
        0 => city.name.to_uppercase(),
        1 => fold(city.name).into_owned(),
        i => city.spellings[i - 2].to_string(),
    }
}

/// The postcode, or with probability `p` as a spreadsheet or a hurried clerk wrote it.
pub fn postcode_variant(rng: &mut BlockRng, postcode: &str, es: bool, p: f64) -> String {
    if !chance(rng, p) {
        return postcode.to_string();
    }
    if !es {
        return if chance(rng, 0.5) {
            postcode.to_lowercase()
        } else {
            postcode.replace(' ', "")
        };
    }
    // A spreadsheet ate the leading zero.
    postcode.strip_prefix('0').unwrap_or(postcode).to_string()
}

/// The address as written on one record: in full (60%), abbreviated, upper case without
/// accents, or without the floor and door.
pub fn address_variant(rng: &mut BlockRng, a: &Address) -> String {
    let r = unit(rng);
    if r < 0.6 {
        return a.full();
    }
    if a.es {
        if r < 0.8 {
            let street = ABBREV_ES
                .iter()
                .find_map(|(long, short)| {
                    a.street
                        .strip_prefix(long)
                        .map(|rest| format!("{short}{rest}"))
                })
                .unwrap_or_else(|| a.street.to_string());
            return match a.flat {
                Some(Flat::Es { floor, door }) => format!("{street} {}, {floor}º{door}", a.num),
                _ => format!("{street} {}", a.num),
            };
        }
        if r < 0.9 {
            return fold(&a.full()).to_uppercase();
        }
        return format!("{}, {}", a.street, a.num);
    }
    let mut street = a.street.to_string();
    for (long, short) in ABBREV_GB {
        street = street.replace(long, short);
    }
    if r < 0.85 {
        return match a.flat {
            Some(Flat::Gb(n)) => format!("Flat {n} {} {street}", a.num),
            _ => format!("{} {street}", a.num),
        };
    }
    a.full().to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Stream, block_rng};

    #[test]
    fn email_noise_keeps_the_mailbox() {
        let mut rng = block_rng(5, 0, Stream::Web);
        for _ in 0..500 {
            for e in ["maria.garcia@gmail.com", "jsmith84@btinternet.com"] {
                let n = noisy_email(&mut rng, e, 1.0);
                assert_eq!(
                    crate::contact::email_key(&n),
                    crate::contact::email_key(e),
                    "{n}"
                );
                assert!(!n.contains(',') && !n.contains('\n'));
            }
        }
    }

    #[test]
    fn typos_change_one_letter_and_keep_the_initial() {
        let mut rng = block_rng(1, 0, Stream::Web);
        let mut changed = 0;
        for _ in 0..200 {
            let t = typo(&mut rng, "Fernandez", 1.0);
            assert!(t.starts_with('F'), "{t}");
            let d = strsim_like_distance("Fernandez", &t);
            assert!((1..=2).contains(&d), "{t}");
            changed += 1;
        }
        assert_eq!(changed, 200);
        assert_eq!(typo(&mut rng, "Fernandez", 0.0), "Fernandez");
        assert_eq!(typo(&mut rng, "Ñ", 1.0), "Ñ");
    }

    /// Edit distance with transpositions counted as 2, enough to bound a single slip.
    fn strsim_like_distance(a: &str, b: &str) -> usize {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for i in 1..=a.len() {
            let mut cur = vec![i; b.len() + 1];
            for j in 1..=b.len() {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            }
            prev = cur;
        }
        prev[b.len()]
    }

    #[test]
    fn address_variants() {
        let a = Address {
            street: "Calle de Alcalá",
            num: 12,
            flat: Some(Flat::Es {
                floor: 3,
                door: "B",
            }),
            postcode: "28009".into(),
            es: true,
        };
        let mut rng = block_rng(5, 0, Stream::Web);
        let seen: Vec<String> = (0..200).map(|_| address_variant(&mut rng, &a)).collect();
        assert!(seen.contains(&"Calle de Alcalá, 12, 3º B".to_string()));
        assert!(seen.contains(&"C/ Alcalá 12, 3ºB".to_string()));
        assert!(seen.contains(&"CALLE DE ALCALA, 12, 3º B".to_string()));
        assert!(seen.contains(&"Calle de Alcalá, 12".to_string()));
        assert_eq!(postcode_variant(&mut rng, "08036", true, 1.0), "8036");
    }
}
