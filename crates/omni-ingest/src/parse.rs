//! Typed parsing of raw text: timestamps, dates, yes/no words and amounts.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

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
pub fn parse_timestamp(raw: &str, formats: &[String]) -> Result<i64, String> {
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
        if let Ok(d) = parse_date(t, &[]) {
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

/// Parses a date into days since the epoch.
pub fn parse_date(raw: &str, formats: &[String]) -> Result<i32, String> {
    let t = raw.trim();
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    let days = |d: NaiveDate| (d - epoch).num_days() as i32;
    let found = if formats.is_empty() {
        DEFAULT_DATE_FORMATS
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
    } else {
        formats
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
    };
    found.map(days).ok_or_else(|| {
        let tried = if formats.is_empty() {
            DEFAULT_DATE_FORMATS.join(" | ")
        } else {
            formats.join(" | ")
        };
        format!("cannot parse {t:?} as a date with formats {tried}")
    })
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
