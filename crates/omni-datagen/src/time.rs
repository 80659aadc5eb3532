//! Calendar arithmetic without a time-zone database: civil dates from day numbers,
//! Europe/Madrid and Europe/London offsets (EU summer time rules), and the timestamp formats
//! the exports use, written straight into a buffer.
//!
//! Times are `i64` seconds since 1970-01-01 00:00; "local" values count wall-clock seconds
//! as if the local time were UTC.

use rand::Rng;

use crate::rng::{BlockRng, pick_index};
use crate::text::push_padded;

pub const DAY: i64 = 86_400;

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub const fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = (if y >= 0 { y } else { y - 399 }) / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date `(year, month, day)` of a day number.
pub const fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = (if z >= 0 { z } else { z - 146_096 }) / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = (if mp < 10 { mp + 3 } else { mp - 9 }) as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// First and last local day of generated activity: local times, UTC times and epoch
/// seconds all fall between 2024-01-01 and 2026-10-31.
pub const D_LO: i64 = days_from_civil(2024, 1, 2);
pub const D_HI: i64 = days_from_civil(2026, 10, 30);
pub const END: i64 = D_HI * DAY + DAY - 1;

/// Day of the week, 0 = Sunday.
const fn weekday(days: i64) -> i64 {
    (days + 4).rem_euclid(7)
}

const fn last_sunday(year: i64, month: u32) -> i64 {
    let last = if month == 12 {
        days_from_civil(year + 1, 1, 1)
    } else {
        days_from_civil(year, month + 1, 1)
    } - 1;
    last - weekday(last)
}

/// Hours ahead of UTC at a local wall-clock time, for Madrid (`es`) or London.
pub fn utc_offset_hours(local: i64, es: bool) -> i64 {
    let base = i64::from(es);
    let guess = local - base * 3600;
    let (year, _, _) = civil_from_days(guess.div_euclid(DAY));
    let start = last_sunday(year, 3) * DAY + 3600;
    let end = last_sunday(year, 10) * DAY + 3600;
    base + i64::from(start <= guess && guess < end)
}

/// The UTC instant of a local wall-clock time.
pub fn to_utc(local: i64, es: bool) -> i64 {
    local - utc_offset_hours(local, es) * 3600
}

/// A uniform day in `[lo, hi]` (`lo` when `hi < lo`).
pub fn rand_day(rng: &mut BlockRng, lo: i64, hi: i64) -> i64 {
    if hi <= lo {
        lo
    } else {
        rng.random_range(lo..=hi)
    }
}

/// A local time on `day` with the hour uniform in `[h_lo, h_hi]`.
pub fn local_dt(rng: &mut BlockRng, day: i64, h_lo: i64, h_hi: i64) -> i64 {
    let h = rng.random_range(h_lo..=h_hi);
    day * DAY + h * 3600 + rng.random_range(0..3600)
}

/// Relative activity of the web shop and the app by hour of the day.
pub const WEB_HOUR_W: [u32; 24] = [
    4, 2, 2, 1, 1, 1, 2, 4, 6, 8, 10, 10, 12, 12, 10, 10, 10, 12, 14, 16, 18, 18, 14, 8,
];

/// A local time on `day` with the hour drawn from [`WEB_HOUR_W`].
pub fn web_dt(rng: &mut BlockRng, day: i64) -> i64 {
    let h = pick_index(rng, &WEB_HOUR_W) as i64;
    day * DAY + h * 3600 + rng.random_range(0..3600)
}

/// A web/app time on a uniform day in `[lo, hi]`.
pub fn web_dt_between(rng: &mut BlockRng, lo: i64, hi: i64) -> i64 {
    let day = rand_day(rng, lo, hi);
    web_dt(rng, day)
}

/// A local time on a uniform day in `[lo, hi]`, the hour uniform in `[h_lo, h_hi]`.
pub fn local_dt_between(rng: &mut BlockRng, lo: i64, hi: i64, h_lo: i64, h_hi: i64) -> i64 {
    let day = rand_day(rng, lo, hi);
    local_dt(rng, day, h_lo, h_hi)
}

/// Some days after `t` (a return, a refund), never past [`END`].
pub fn later(rng: &mut BlockRng, t: i64, min_days: i64, max_days: i64) -> i64 {
    let out = t + rng.random_range(min_days..=max_days) * DAY + rng.random_range(0..=36_000);
    out.min(END - rng.random_range(60..=20_000))
}

struct Civil {
    h: i64,
    mi: i64,
    s: i64,
}

fn civil(t: i64) -> Civil {
    let sod = t.rem_euclid(DAY);
    Civil {
        h: sod / 3600,
        mi: sod / 60 % 60,
        s: sod % 60,
    }
}

/// `YYYY-MM-DD` of a day number.
pub fn push_ymd(buf: &mut String, day: i64) {
    let (y, m, d) = civil_from_days(day);
    push_padded(buf, y as u64, 4);
    buf.push('-');
    push_padded(buf, u64::from(m), 2);
    buf.push('-');
    push_padded(buf, u64::from(d), 2);
}

/// `dd/mm/YYYY` of a day number.
pub fn push_dmy(buf: &mut String, day: i64) {
    let (y, m, d) = civil_from_days(day);
    push_padded(buf, u64::from(d), 2);
    buf.push('/');
    push_padded(buf, u64::from(m), 2);
    buf.push('/');
    push_padded(buf, y as u64, 4);
}

fn push_hms(buf: &mut String, c: &Civil, seconds: bool) {
    push_padded(buf, c.h as u64, 2);
    buf.push(':');
    push_padded(buf, c.mi as u64, 2);
    if seconds {
        buf.push(':');
        push_padded(buf, c.s as u64, 2);
    }
}

/// `YYYY-MM-DD HH:MM:SS`.
pub fn push_ymd_hms(buf: &mut String, t: i64) {
    push_ymd(buf, t.div_euclid(DAY));
    buf.push(' ');
    push_hms(buf, &civil(t), true);
}

/// `dd/mm/YYYY HH:MM`.
pub fn push_dmy_hm(buf: &mut String, t: i64) {
    push_dmy(buf, t.div_euclid(DAY));
    buf.push(' ');
    push_hms(buf, &civil(t), false);
}

/// `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, UTC).
pub fn push_utc(buf: &mut String, t: i64) {
    let c = civil(t);
    push_ymd(buf, t.div_euclid(DAY));
    buf.push('T');
    push_hms(buf, &c, true);
    buf.push('Z');
}

/// `YYYY-MM-DDTHH:MM:SS+HH:00` of a local time in Madrid (`es`) or London.
pub fn push_local_offset(buf: &mut String, local: i64, es: bool) {
    let c = civil(local);
    push_ymd(buf, local.div_euclid(DAY));
    buf.push('T');
    push_hms(buf, &c, true);
    buf.push('+');
    push_padded(buf, utc_offset_hours(local, es) as u64, 2);
    buf.push_str(":00");
}

/// The year of a day number.
pub fn year_of(day: i64) -> i64 {
    civil_from_days(day).0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(y: i64, m: u32, d: u32, h: i64) -> i64 {
        days_from_civil(y, m, d) * DAY + h * 3600
    }

    #[test]
    fn civil_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        for z in -800_000..800_000i64 {
            if z % 997 == 0 {
                let (y, m, d) = civil_from_days(z);
                assert_eq!(days_from_civil(y, m, d), z);
            }
        }
        assert_eq!(weekday(days_from_civil(2026, 11, 22)), 0); // a Sunday
    }

    #[test]
    fn summer_time() {
        // 2025: summer time from 30 March to 26 October.
        assert_eq!(utc_offset_hours(local(2025, 1, 15, 12), true), 1);
        assert_eq!(utc_offset_hours(local(2025, 7, 15, 12), true), 2);
        assert_eq!(utc_offset_hours(local(2025, 7, 15, 12), false), 1);
        assert_eq!(utc_offset_hours(local(2025, 12, 1, 12), false), 0);
        assert_eq!(utc_offset_hours(local(2025, 3, 30, 1), true), 1);
        assert_eq!(utc_offset_hours(local(2025, 3, 30, 4), true), 2);
        assert_eq!(utc_offset_hours(local(2025, 10, 26, 4), true), 1);
    }

    #[test]
    fn formats() {
        let t = local(2025, 3, 14, 18) + 22 * 60 + 5;
        let mut s = String::new();
        push_local_offset(&mut s, t, true);
        s.push('|');
        push_dmy_hm(&mut s, t);
        s.push('|');
        push_ymd_hms(&mut s, t);
        s.push('|');
        push_utc(&mut s, to_utc(t, true));
        assert_eq!(
            s,
            "2025-03-14T18:22:05+01:00|14/03/2025 18:22|2025-03-14 18:22:05|2025-03-14T17:22:05Z"
        );
    }
}
