//! Typed parsing of raw text: timestamps, dates, yes/no words and amounts.

use chrono::format::{self, Item, ParseError, ParseErrorKind, Parsed, StrftimeItems};
use chrono::{DateTime, NaiveDate, Utc};

/// Timestamp formats tried when a mapping declares none (after RFC 3339).
const DEFAULT_TS_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
];
/// Date formats tried when a mapping declares none.
const DEFAULT_DATE_FORMATS: &[&str] = &["%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"];

/// Parses a timestamp into microseconds since the epoch (UTC). Values without an offset are
/// taken as UTC. `formats` are chrono formats tried in order; `epoch` means Unix seconds,
/// `epoch_ms` milliseconds. With no formats: RFC 3339, ISO forms, then a bare date.
///
/// For many values, compile the formats once ([`Formats::timestamp`]) and keep a
/// [`ParseState`]: same results, without re-reading the format strings on every value.
pub fn parse_timestamp(raw: &str, formats: &[String]) -> Result<i64, String> {
    Formats::timestamp(formats).parse_timestamp(raw, &mut ParseState::default())
}

/// Parses a date into days since the epoch.
pub fn parse_date(raw: &str, formats: &[String]) -> Result<i32, String> {
    Formats::date(formats).parse_date(raw, &mut ParseState::default())
}

/// One compiled way of reading a timestamp or a date.
#[derive(Debug, Clone)]
enum Step {
    Rfc3339,
    Epoch,
    EpochMs,
    /// A chrono format with an offset (`%z`, `%:z`, `%#z`).
    Offset(Vec<Item<'static>>),
    /// A chrono format without an offset: a date and time, or else a bare date at midnight.
    Naive(Vec<Item<'static>>),
    /// A date format; a timestamp is its midnight UTC.
    Date(Vec<Item<'static>>),
}

/// Why a step did not read a value.
enum Miss {
    /// The value's layout does not fit the format (a literal or a digit where the format
    /// wants something else, too short, too long): every value of the same shape (digits
    /// alike, every other character the same) misses it too.
    Shape,
    /// Anything else (a month 13, a 31 February, an overflow): depends on the digits.
    Value,
}

fn miss(e: ParseError) -> Miss {
    match e.kind() {
        ParseErrorKind::Invalid | ParseErrorKind::TooShort | ParseErrorKind::TooLong => Miss::Shape,
        _ => Miss::Value,
    }
}

fn compile(f: &str) -> Vec<Item<'static>> {
    StrftimeItems::new(f).map(|i| i.to_owned()).collect()
}

impl Step {
    /// Microseconds since the epoch (timestamps).
    fn micros(&self, t: &str) -> Result<i64, Miss> {
        match self {
            // Integer overflow depends on the digits: never a shape miss.
            Step::Epoch => t
                .parse::<i64>()
                .ok()
                .and_then(|s| s.checked_mul(1_000_000))
                .ok_or(Miss::Value),
            Step::EpochMs => t
                .parse::<i64>()
                .ok()
                .and_then(|s| s.checked_mul(1_000))
                .ok_or(Miss::Value),
            Step::Rfc3339 => match rfc3339_usual(t) {
                Some(v) => Ok(v),
                None => DateTime::parse_from_rfc3339(t)
                    .map(|d| d.timestamp_micros())
                    .map_err(miss),
            },
            Step::Offset(items) => {
                let mut p = Parsed::new();
                format::parse(&mut p, t, items.iter()).map_err(miss)?;
                p.to_datetime()
                    .map(|d| d.timestamp_micros())
                    .map_err(|_| Miss::Value)
            }
            Step::Naive(items) => {
                // What `NaiveDateTime::parse_from_str` then `NaiveDate::parse_from_str` with
                // the same format give, scanning the value once.
                let mut p = Parsed::new();
                format::parse(&mut p, t, items.iter()).map_err(miss)?;
                p.to_naive_datetime_with_offset(0)
                    .map(|d| d.and_utc().timestamp_micros())
                    .ok()
                    .or_else(|| {
                        p.to_naive_date()
                            .ok()
                            .and_then(|d| d.and_hms_opt(0, 0, 0))
                            .map(|d| d.and_utc().timestamp_micros())
                    })
                    .ok_or(Miss::Value)
            }
            Step::Date(_) => self.days(t).map(|d| i64::from(d) * 86_400_000_000),
        }
    }

    /// Days since the epoch (dates).
    fn days(&self, t: &str) -> Result<i32, Miss> {
        let Step::Date(items) = self else {
            return Err(Miss::Value);
        };
        let mut p = Parsed::new();
        format::parse(&mut p, t, items.iter()).map_err(miss)?;
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
        p.to_naive_date()
            .map(|d| (d - epoch).num_days() as i32)
            .map_err(|_| Miss::Value)
    }
}

/// RFC 3339 in the shape exports write it, `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, read
/// directly, as microseconds since the epoch: what chrono's `DateTime::parse_from_rfc3339`
/// gives for it (tested on every kind of value). `None` for any other shape or an unusual
/// value (a leap second, an offset of 24 hours or more, more than 9 fraction digits, a
/// lowercase or space separator), which chrono then reads or refuses.
fn rfc3339_usual(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let two = |i: usize| -> Option<i64> {
        let (x, y) = (b.get(i)?, b.get(i + 1)?);
        (x.is_ascii_digit() && y.is_ascii_digit()).then(|| i64::from((x - b'0') * 10 + (y - b'0')))
    };
    let year = two(0)? * 100 + two(2)?;
    let (month, day, hour, minute, second) = (two(5)?, two(8)?, two(11)?, two(14)?, two(17)?);
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0i64;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            nanos = nanos * 10 + i64::from(b[i] - b'0');
            i += 1;
        }
        let digits = i - start;
        if digits == 0 || digits > 9 {
            return None;
        }
        nanos *= 10i64.pow(9 - digits as u32);
    }
    let offset = match *b.get(i)? {
        b'Z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let (h, m) = (two(i + 1)?, two(i + 4)?);
            if h > 23 || m > 59 {
                return None;
            }
            if sign == b'-' {
                -(h * 3600 + m * 60)
            } else {
                h * 3600 + m * 60
            }
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(
        year as i32,
        u32::try_from(month).ok()?,
        u32::try_from(day).ok()?,
    )?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    let days = (date - epoch).num_days();
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Some(seconds * 1_000_000 + nanos / 1_000)
}

/// The formats of one mapped timestamp or date field, compiled once.
///
/// The first format (in declared order) that reads a value wins, as declared. What makes
/// many values fast: a [`ParseState`] remembers which formats missed the previous value
/// because of its *shape* (digits alike, every other character the same: `2025-03-14 10:00`
/// and `1999-12-31 23:59` share one), and skips them while the values keep that shape. So the
/// format that matched last is tried first, but only when every format declared before it
/// is known to miss: `%d/%m/%Y` then `%m/%d/%Y` still read `04/07/2025` as 4 July after
/// `12/25/2025` (a month 25 is a value miss, not a shape miss). chrono reports layout
/// mismatches as `Invalid`, `TooShort` or `TooLong`, which depend only on the shape; range
/// errors (`OutOfRange`, `Impossible`) are never taken as shape misses.
#[derive(Debug, Clone)]
pub struct Formats {
    steps: Vec<Step>,
    /// For error messages.
    declared: Vec<String>,
}

/// Per-worker memory of a [`Formats`]: the shape of the last value and the formats that
/// missed it because of its shape (one bit per format).
#[derive(Debug, Default, Clone)]
pub struct ParseState {
    shape: Vec<u8>,
    shape_misses: u64,
}

impl ParseState {
    /// Makes `t`'s shape current; clears the misses when it changed.
    fn enter(&mut self, t: &str) {
        let b = t.as_bytes();
        let same = b.len() == self.shape.len()
            && b.iter().zip(&self.shape).all(|(&c, &s)| shape_byte(c) == s);
        if !same {
            self.shape.clear();
            self.shape.extend(b.iter().map(|&c| shape_byte(c)));
            self.shape_misses = 0;
        }
    }
}

fn shape_byte(c: u8) -> u8 {
    if c.is_ascii_digit() { b'0' } else { c }
}

impl Formats {
    /// Timestamp formats; none means RFC 3339, ISO forms, then a bare date.
    pub fn timestamp(formats: &[String]) -> Self {
        let steps = if formats.is_empty() {
            std::iter::once(Step::Rfc3339)
                .chain(DEFAULT_TS_FORMATS.iter().map(|f| Step::Naive(compile(f))))
                .chain(DEFAULT_DATE_FORMATS.iter().map(|f| Step::Date(compile(f))))
                .collect()
        } else {
            formats
                .iter()
                .map(|f| match f.as_str() {
                    "epoch" => Step::Epoch,
                    "epoch_ms" => Step::EpochMs,
                    "rfc3339" => Step::Rfc3339,
                    f if f.contains("%z") || f.contains("%:z") || f.contains("%#z") => {
                        Step::Offset(compile(f))
                    }
                    f => Step::Naive(compile(f)),
                })
                .collect()
        };
        Formats {
            steps,
            declared: formats.to_vec(),
        }
    }

    /// Date formats; none means the usual ISO and day-first forms.
    pub fn date(formats: &[String]) -> Self {
        let steps = if formats.is_empty() {
            DEFAULT_DATE_FORMATS
                .iter()
                .map(|f| Step::Date(compile(f)))
                .collect()
        } else {
            formats.iter().map(|f| Step::Date(compile(f))).collect()
        };
        Formats {
            steps,
            declared: formats.to_vec(),
        }
    }

    /// The first step's result, in order, skipping the steps the state knows miss this shape.
    fn first<T>(
        &self,
        t: &str,
        state: &mut ParseState,
        step: impl Fn(&Step, &str) -> Result<T, Miss>,
    ) -> Option<T> {
        // A state tracks at most 64 formats; more (never seen in practice) are all tried.
        let tracked = self.steps.len() <= 64;
        if tracked {
            state.enter(t);
        }
        for (k, s) in self.steps.iter().enumerate() {
            if tracked && state.shape_misses & (1 << k) != 0 {
                continue;
            }
            match step(s, t) {
                Ok(v) => return Some(v),
                Err(Miss::Shape) if tracked => state.shape_misses |= 1 << k,
                Err(_) => {}
            }
        }
        None
    }

    /// [`parse_timestamp`] with compiled formats.
    pub fn parse_timestamp(&self, raw: &str, state: &mut ParseState) -> Result<i64, String> {
        let t = raw.trim();
        self.first(t, state, Step::micros).ok_or_else(|| {
            if self.declared.is_empty() {
                format!(
                    "cannot parse {t:?} as a timestamp (tried RFC 3339 and ISO formats; declare `formats`)"
                )
            } else {
                format!(
                    "cannot parse {t:?} as a timestamp with formats {}",
                    self.declared.join(" | ")
                )
            }
        })
    }

    /// [`parse_date`] with compiled formats.
    pub fn parse_date(&self, raw: &str, state: &mut ParseState) -> Result<i32, String> {
        let t = raw.trim();
        self.first(t, state, Step::days).ok_or_else(|| {
            let tried = if self.declared.is_empty() {
                DEFAULT_DATE_FORMATS.join(" | ")
            } else {
                self.declared.join(" | ")
            };
            format!("cannot parse {t:?} as a date with formats {tried}")
        })
    }
}

/// Parses the yes/no words exports use: `true/false`, `sí/si/no`, `yes/no`, `1/0`, `Y/N`,
/// `S/N`, `opt-in/opt-out`.
pub fn parse_bool(raw: &str) -> Result<bool, String> {
    let t = raw.trim().to_lowercase();
    match t.as_str() {
        "true" | "t" | "yes" | "y" | "1" | "sí" | "si" | "s" | "opt-in" | "optin" | "on" => {
            Ok(true)
        }
        "false" | "f" | "no" | "n" | "0" | "opt-out" | "optout" | "off" => Ok(false),
        _ => Err(format!(
            "cannot read {:?} as yes/no (accepted: true/false, sí/no, yes/no, 1/0, Y/N)",
            raw.trim()
        )),
    }
}

/// Parses an amount into hundredths (cents), exactly. Currency symbols and codes around the
/// number are ignored. With `decimal_comma`, `,` is the decimal separator and `.` groups
/// thousands (`1.234,50`); otherwise the reverse (`1,234.50`).
pub fn parse_amount(raw: &str, decimal_comma: bool) -> Result<i128, String> {
    let err = || format!("cannot parse {:?} as an amount", raw.trim());
    let t = raw.trim();
    let negative_parens = t.starts_with('(') && t.ends_with(')');
    let mut negative = negative_parens;
    let mut digits = String::with_capacity(t.len());
    let mut frac: Option<String> = None;
    let (dec, group) = if decimal_comma {
        (',', '.')
    } else {
        ('.', ',')
    };
    let mut seen_digit = false;
    // A currency symbol or code after the number ends it: "12 EUR" is fine, "12 EUR 3" is not.
    let mut trailing = false;
    for c in t.chars() {
        if trailing
            && !(c.is_alphabetic() || c == ' ' || c == ')' || matches!(c, '€' | '$' | '£' | '¥'))
        {
            return Err(err());
        }
        match c {
            '0'..='9' => {
                seen_digit = true;
                match &mut frac {
                    Some(f) => f.push(c),
                    None => digits.push(c),
                }
            }
            '-' | '−' if !seen_digit => negative = true,
            '+' if !seen_digit => {}
            c if c == dec => {
                if frac.is_some() {
                    return Err(err());
                }
                frac = Some(String::new());
            }
            ' ' | '\u{a0}' if frac.is_some() => trailing = true,
            c if c == group || c == ' ' || c == '\u{a0}' || c == '\'' => {
                if frac.is_some() {
                    return Err(err());
                }
            }
            '(' | ')' if negative_parens => {}
            c if c.is_alphabetic() || matches!(c, '€' | '$' | '£' | '¥') => {
                trailing |= seen_digit;
            }
            _ => return Err(err()),
        }
    }
    if !seen_digit {
        return Err(err());
    }
    let frac = frac.unwrap_or_default();
    if frac.len() > 2 && frac[2..].chars().any(|c| c != '0') {
        return Err(format!(
            "amount {:?} has more than 2 decimals; amounts are stored to the cent",
            t
        ));
    }
    let whole: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| err())?
    };
    let mut cents = whole.checked_mul(100).ok_or_else(err)?;
    let f2: String = frac.chars().chain("00".chars()).take(2).collect();
    cents += f2.parse::<i128>().map_err(|_| err())?;
    if cents >= 10i128.pow(16) {
        return Err(format!("amount {t:?} is out of range"));
    }
    Ok(if negative { -cents } else { cents })
}

/// Today's date in UTC, for defaults.
pub fn today_utc() -> NaiveDate {
    Utc::now().date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    /// The direct RFC 3339 reader gives chrono's value whenever it gives one, and declines
    /// exactly the values chrono must decide: 200,000 values built from fields that are
    /// sometimes out of range (month 13, 30 February, 24:00, a leap second, offsets ±24:00),
    /// with fractions of 0 to 10 digits, other separators and stray characters.
    #[test]
    fn usual_rfc3339_reads_as_chrono() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        let (mut read, mut declined) = (0, 0);
        for _ in 0..200_000 {
            let year = [1970, 2000, 2024, 1900, 1, 9999, 1969, 2100][next(8) as usize] + next(3);
            let month = next(14);
            let day = next(33);
            let (h, mi, sec) = (next(25), next(61), next(62));
            let frac = match next(5) {
                0 => String::new(),
                1 => format!(".{}", next(10)),
                2 => format!(".{:03}", next(1000)),
                3 => format!(".{:06}", next(1_000_000)),
                _ => format!(".{:010}", next(10_000_000_000)),
            };
            let sep = ["T", "T", "T", "t", " "][next(5) as usize];
            let zone = match next(6) {
                0 => "Z".to_string(),
                1 => "z".to_string(),
                2 => format!("+{:02}:{:02}", next(26), next(61)),
                3 => format!("-{:02}:{:02}", next(26), next(61)),
                4 => format!("+{:02}{:02}", next(24), next(60)),
                _ => "+01:00".to_string(),
            };
            let mut v =
                format!("{year:04}-{month:02}-{day:02}{sep}{h:02}:{mi:02}:{sec:02}{frac}{zone}");
            if next(20) == 0 {
                let k = next(v.len() as u64) as usize;
                v.replace_range(k..k + 1, ["x", "0", "-", " "][next(4) as usize]);
            }
            let chrono_value = DateTime::parse_from_rfc3339(&v)
                .map(|d| d.timestamp_micros())
                .ok();
            match rfc3339_usual(&v) {
                Some(ours) => {
                    read += 1;
                    assert_eq!(Some(ours), chrono_value, "{v}");
                }
                None => declined += 1,
            }
        }
        // Both kinds are exercised.
        assert!(
            read > 20_000 && declined > 20_000,
            "{read} read, {declined} declined"
        );
    }

    #[test]
    fn timestamps_with_offsets_and_formats() {
        let a = parse_timestamp("2025-03-14T18:22:05+01:00", &[]).unwrap();
        let b = parse_timestamp("2025-03-14 17:22:05", &[]).unwrap();
        assert_eq!(a, b);
        let c = parse_timestamp("14/03/2025 17:22", &s(&["%d/%m/%Y %H:%M"])).unwrap();
        assert_eq!(c, b - 5_000_000);
        assert_eq!(parse_timestamp("1741972925", &s(&["epoch"])).unwrap(), b);
        assert!(parse_timestamp("not-a-date", &[]).is_err());
        assert!(parse_timestamp("31/02/2025 10:00", &s(&["%d/%m/%Y %H:%M"])).is_err());
    }

    #[test]
    fn dates_in_several_formats() {
        let d = parse_date("1985-07-04", &[]).unwrap();
        assert_eq!(parse_date("04/07/1985", &[]).unwrap(), d);
        assert_eq!(parse_date("07/04/1985", &s(&["%m/%d/%Y"])).unwrap(), d);
        assert!(parse_date("1985-13-45", &[]).is_err());
    }

    /// The parser before formats were compiled, kept as the reference the compiled one
    /// must agree with.
    fn reference_timestamp(raw: &str, formats: &[String]) -> Result<i64, String> {
        use chrono::NaiveDateTime;
        let t = raw.trim();
        let try_one = |f: &str| -> Option<i64> {
            match f {
                "epoch" => t.parse::<i64>().ok().and_then(|s| s.checked_mul(1_000_000)),
                "epoch_ms" => t.parse::<i64>().ok().and_then(|s| s.checked_mul(1_000)),
                "rfc3339" => DateTime::parse_from_rfc3339(t)
                    .ok()
                    .map(|d| d.timestamp_micros()),
                f if f.contains("%z") || f.contains("%:z") || f.contains("%#z") => {
                    DateTime::parse_from_str(t, f)
                        .ok()
                        .map(|d| d.timestamp_micros())
                }
                f => NaiveDateTime::parse_from_str(t, f)
                    .ok()
                    .map(|d| d.and_utc().timestamp_micros())
                    .or_else(|| {
                        NaiveDate::parse_from_str(t, f)
                            .ok()
                            .and_then(|d| d.and_hms_opt(0, 0, 0))
                            .map(|d| d.and_utc().timestamp_micros())
                    }),
            }
        };
        if formats.is_empty() {
            if let Ok(d) = DateTime::parse_from_rfc3339(t) {
                return Ok(d.timestamp_micros());
            }
            if let Some(v) = DEFAULT_TS_FORMATS.iter().find_map(|f| try_one(f)) {
                return Ok(v);
            }
            if let Ok(d) = reference_date(t, &[]) {
                return Ok(i64::from(d) * 86_400_000_000);
            }
            return Err(format!(
                "cannot parse {t:?} as a timestamp (tried RFC 3339 and ISO formats; declare `formats`)"
            ));
        }
        formats.iter().find_map(|f| try_one(f)).ok_or_else(|| {
            format!(
                "cannot parse {t:?} as a timestamp with formats {}",
                formats.join(" | ")
            )
        })
    }

    fn reference_date(raw: &str, formats: &[String]) -> Result<i32, String> {
        let t = raw.trim();
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        let list: Vec<String> = if formats.is_empty() {
            s(DEFAULT_DATE_FORMATS)
        } else {
            formats.to_vec()
        };
        list.iter()
            .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
            .map(|d| (d - epoch).num_days() as i32)
            .ok_or_else(|| {
                format!(
                    "cannot parse {t:?} as a date with formats {}",
                    list.join(" | ")
                )
            })
    }

    const VALUES: &[&str] = &[
        "2025-03-14 17:22:05",
        "2025-03-14T17:22:05",
        "2025-03-14T18:22:05+01:00",
        "2025-03-14 18:22:05 +0100",
        "2025-03-14",
        "14/03/2025",
        "03/14/2025",
        "04/07/2025",
        "12/25/2025",
        "25/12/2025",
        "14/03/2025 10:00",
        "03/14/2025 10:00",
        "04/07/2025 10:00",
        "2025-02-30 10:00",
        "2025-13-01 00:00:00",
        "2025-03-14 17:22",
        "2025-03-14 17:22:05.123",
        "2025/03/14",
        "14.03.2025",
        "1741972925",
        "1741972925000",
        "99999999999999999999",
        "20250314",
        " 2025-03-14 17:22:05 ",
        "",
        "x",
        "2025-03-14 25:00:00",
        "2025-03-14 17:61",
    ];

    fn format_lists() -> Vec<Vec<String>> {
        vec![
            vec![],
            s(&["%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M"]),
            s(&["%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M"]),
            s(&["%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d"]),
            s(&["epoch", "%Y-%m-%d %H:%M:%S"]),
            s(&["epoch_ms", "epoch"]),
            s(&["%Y-%m-%d %H:%M:%S %z", "rfc3339", "%Y-%m-%d"]),
            s(&["%Y%m%d", "%Y-%m-%d %H:%M"]),
        ]
    }

    /// Every value in several orders through one state (as a worker parses a column) gives
    /// what the reference parser gives on its own: remembering which formats missed the
    /// previous value's shape never changes which declared format wins.
    #[test]
    fn compiled_formats_with_state_agree_with_the_reference() {
        let orders: Vec<Vec<&str>> = vec![
            VALUES.to_vec(),
            VALUES.iter().rev().copied().collect(),
            // Each value after every other, so every shape follows every other.
            VALUES
                .iter()
                .flat_map(|a| VALUES.iter().flat_map(move |b| [*a, *b]))
                .collect(),
        ];
        for formats in format_lists() {
            let ts = Formats::timestamp(&formats);
            let dates = Formats::date(&formats);
            for order in &orders {
                let (mut st, mut sd) = (ParseState::default(), ParseState::default());
                for v in order {
                    assert_eq!(
                        ts.parse_timestamp(v, &mut st),
                        reference_timestamp(v, &formats),
                        "timestamp {v:?} with {formats:?}"
                    );
                    assert_eq!(
                        dates.parse_date(v, &mut sd),
                        reference_date(v, &formats),
                        "date {v:?} with {formats:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_first_declared_format_wins_when_formats_disagree() {
        let day_first = s(&["%d/%m/%Y", "%m/%d/%Y"]);
        let f = Formats::date(&day_first);
        let mut st = ParseState::default();
        let july_4 = parse_date("2025-07-04", &[]).unwrap();
        let dec_25 = parse_date("2025-12-25", &[]).unwrap();
        // Only the second format reads 12/25: a month 25 is a value miss of the first, so
        // the first is still tried first on the next value of the same shape.
        assert_eq!(f.parse_date("12/25/2025", &mut st), Ok(dec_25));
        assert_eq!(st.shape_misses, 0);
        assert_eq!(f.parse_date("04/07/2025", &mut st), Ok(july_4));
        // A shape miss is remembered: ISO dates skip the day-first attempt (`20` then `2`
        // where a `/` must be). The month-first one reads a month 20 before it fails, a
        // value miss: it is tried again.
        let iso = s(&["%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d"]);
        let f = Formats::date(&iso);
        assert_eq!(f.parse_date("2025-07-04", &mut st), Ok(july_4));
        assert_eq!(st.shape_misses, 0b001);
        assert_eq!(f.parse_date("2025-12-25", &mut st), Ok(dec_25));
        assert_eq!(st.shape_misses, 0b001);
        // ...and forgotten when the shape changes.
        assert_eq!(f.parse_date("04/07/2025", &mut st), Ok(july_4));
        assert_eq!(st.shape_misses, 0);
        // With no declared formats, an ISO timestamp without offset misses RFC 3339 by shape.
        let f = Formats::timestamp(&[]);
        let mut st = ParseState::default();
        assert!(f.parse_timestamp("2025-03-14 17:22:05", &mut st).is_ok());
        assert_eq!(st.shape_misses, 0b1);
    }

    #[test]
    fn yes_no_words() {
        for y in ["sí", "SI", "Y", "1", "true", "yes"] {
            assert_eq!(parse_bool(y), Ok(true), "{y}");
        }
        for n in ["no", "N", "0", "false"] {
            assert_eq!(parse_bool(n), Ok(false), "{n}");
        }
        assert!(parse_bool("maybe").is_err());
    }

    #[test]
    fn amounts_exact_in_both_conventions() {
        assert_eq!(parse_amount("45,90", true), Ok(4590));
        assert_eq!(parse_amount("1.234,50", true), Ok(123450));
        assert_eq!(parse_amount("-12,5", true), Ok(-1250));
        assert_eq!(parse_amount("1,234.50", false), Ok(123450));
        assert_eq!(parse_amount("€ 19.99", false), Ok(1999));
        assert_eq!(parse_amount("19.99 EUR", false), Ok(1999));
        assert_eq!(parse_amount("(5.00)", false), Ok(-500));
        assert_eq!(parse_amount("23.5", false), Ok(2350));
        assert_eq!(parse_amount("7", false), Ok(700));
        assert!(parse_amount("abc", true).is_err());
        assert!(parse_amount("1.2.3", false).is_err());
        assert!(parse_amount("1.234", false).is_err());
        assert!(parse_amount("", false).is_err());
        assert!(parse_amount("12abc34", false).is_err());
    }
}
