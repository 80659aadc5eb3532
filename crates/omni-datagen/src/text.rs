//! Text helpers: numbers, money and quoted fields written straight into a buffer, and
//! accent folding.

use std::borrow::Cow;
use std::fmt::Write;

/// `n` in decimal, zero-padded to at least `width` digits.
pub fn push_padded(buf: &mut String, n: u64, width: usize) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    let mut v = n;
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for _ in (tmp.len() - i)..width {
        buf.push('0');
    }
    // Only ASCII digits were written.
    buf.push_str(std::str::from_utf8(&tmp[i..]).unwrap_or_default());
}

/// `n` in decimal.
pub fn push_u64(buf: &mut String, n: u64) {
    push_padded(buf, n, 1);
}

/// Number of decimal digits of `n`.
pub fn decimal_digits(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// Cents with a `.` decimal point: `-45.90`.
pub fn push_cents_dot(buf: &mut String, cents: i64) {
    if cents < 0 {
        buf.push('-');
    }
    let c = cents.unsigned_abs();
    push_u64(buf, c / 100);
    buf.push('.');
    push_padded(buf, c % 100, 2);
}

/// Cents with a decimal comma and `.` for thousands: `1.234,50`.
pub fn push_cents_comma(buf: &mut String, cents: i64) {
    if cents < 0 {
        buf.push('-');
    }
    let c = cents.unsigned_abs();
    let units = c / 100;
    if units >= 1000 {
        push_u64(buf, units / 1000);
        buf.push('.');
        push_padded(buf, units % 1000, 3);
    } else {
        push_u64(buf, units);
    }
    buf.push(',');
    push_padded(buf, c % 100, 2);
}

/// Cents as the shortest JSON number, like Python's `cents / 100`: `40.0`, `23.5`, `19.99`.
pub fn push_cents_json(buf: &mut String, cents: i64) {
    if cents < 0 {
        buf.push('-');
    }
    let c = cents.unsigned_abs();
    push_u64(buf, c / 100);
    buf.push('.');
    let frac = c % 100;
    if frac.is_multiple_of(10) {
        push_u64(buf, frac / 10);
    } else {
        push_padded(buf, frac, 2);
    }
}

/// A CSV field, quoted (RFC 4180) when it holds the delimiter or a quote.
pub fn push_field(buf: &mut String, s: &str, delim: char) {
    if s.contains(delim) || s.contains('"') {
        buf.push('"');
        for ch in s.chars() {
            if ch == '"' {
                buf.push('"');
            }
            buf.push(ch);
        }
        buf.push('"');
    } else {
        buf.push_str(s);
    }
}

/// A delimiter, then a CSV field.
pub fn push_next(buf: &mut String, s: &str, delim: char) {
    buf.push(delim);
    push_field(buf, s, delim);
}

/// A JSON string literal.
pub fn push_json_str(buf: &mut String, s: &str) {
    buf.push('"');
    for ch in s.chars() {
        match ch {
            '"' => buf.push_str("\\\""),
            '\\' => buf.push_str("\\\\"),
            '\n' => buf.push_str("\\n"),
            '\r' => buf.push_str("\\r"),
            '\t' => buf.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(buf, "\\u{:04x}", c as u32);
            }
            c => buf.push(c),
        }
    }
    buf.push('"');
}

/// A JSON string literal, or `null`.
pub fn push_json_opt(buf: &mut String, s: Option<&str>) {
    match s {
        Some(s) => push_json_str(buf, s),
        None => buf.push_str("null"),
    }
}

fn fold_char(c: char) -> Option<char> {
    Some(match c {
        'á' | 'à' | 'â' | 'ä' | 'ã' => 'a',
        'Á' | 'À' | 'Â' | 'Ä' | 'Ã' => 'A',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'É' | 'È' | 'Ê' | 'Ë' => 'E',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'Í' | 'Ì' | 'Î' | 'Ï' => 'I',
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
        'Ó' | 'Ò' | 'Ô' | 'Ö' | 'Õ' => 'O',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'Ú' | 'Ù' | 'Û' | 'Ü' => 'U',
        'ñ' => 'n',
        'Ñ' => 'N',
        'ç' => 'c',
        'Ç' => 'C',
        _ => return None,
    })
}

/// Accents and tildes dropped (`José` → `Jose`, `Núñez` → `Nunez`), like NFD minus marks.
pub fn fold(s: &str) -> Cow<'_, str> {
    if s.is_ascii() || !s.chars().any(|c| fold_char(c).is_some()) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().map(|c| fold_char(c).unwrap_or(c)).collect())
}

/// Folded, lower case, without spaces or apostrophes: the stuff of e-mail addresses.
pub fn slug(s: &str) -> String {
    fold(s)
        .chars()
        .filter(|c| *c != '\'' && *c != ' ' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(f: impl FnOnce(&mut String)) -> String {
        let mut s = String::new();
        f(&mut s);
        s
    }

    #[test]
    fn numbers_and_money() {
        assert_eq!(with(|b| push_padded(b, 42, 6)), "000042");
        assert_eq!(with(|b| push_padded(b, 1234567, 3)), "1234567");
        assert_eq!(with(|b| push_cents_dot(b, -4590)), "-45.90");
        assert_eq!(with(|b| push_cents_dot(b, 5)), "0.05");
        assert_eq!(with(|b| push_cents_comma(b, 123450)), "1.234,50");
        assert_eq!(with(|b| push_cents_comma(b, -100005)), "-1.000,05");
        assert_eq!(with(|b| push_cents_comma(b, 4590)), "45,90");
        assert_eq!(with(|b| push_cents_json(b, 4000)), "40.0");
        assert_eq!(with(|b| push_cents_json(b, 2350)), "23.5");
        assert_eq!(with(|b| push_cents_json(b, 1999)), "19.99");
        assert_eq!(with(|b| push_cents_json(b, 1905)), "19.05");
        assert_eq!(decimal_digits(0), 1);
        assert_eq!(decimal_digits(999_999), 6);
        assert_eq!(decimal_digits(1_000_000), 7);
    }

    #[test]
    fn quoting_and_folding() {
        assert_eq!(
            with(|b| push_field(b, "Calle Mayor, 3", ',')),
            "\"Calle Mayor, 3\""
        );
        assert_eq!(
            with(|b| push_field(b, "Calle Mayor, 3", ';')),
            "Calle Mayor, 3"
        );
        assert_eq!(with(|b| push_field(b, "a\"b", ',')), "\"a\"\"b\"");
        assert_eq!(
            with(|b| push_json_str(b, "O'Brien \"x\"")),
            "\"O'Brien \\\"x\\\"\""
        );
        assert_eq!(fold("José Núñez, Àngels"), "Jose Nunez, Angels");
        assert_eq!(fold("3º B"), "3º B");
        assert_eq!(slug("O'Brien"), "obrien");
        assert_eq!(slug("Álvarez"), "alvarez");
    }
}
