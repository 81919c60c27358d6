//! Calendar dates: the one home of the day arithmetic the feeds (their publication dates), the
//! status pages (RFC 3339 times), the exports and the pages (ages) need. UTC only, proleptic
//! Gregorian, no clock: `now` is always passed in.

use crate::Millis;

/// Milliseconds in a day.
pub const DAY_MS: Millis = 86_400_000;

/// Days since 1970-01-01 of a date (Howard Hinnant's `days_from_civil`: March-based years make
/// the leap day the last one).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (year, month, day) of a day number since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The leading `YYYY-MM-DD` of a timestamp (`2026-08-22-15-17-05`, `2026-05-05T19:04:08`).
pub fn iso_date(text: &str) -> Option<&str> {
    let day = text.get(..10)?;
    let b = day.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
            .then(|| day.get(r)?.parse::<u32>().ok())
            .flatten()
    };
    let month = digits(5..7)?;
    let dom = digits(8..10)?;
    let well_formed = digits(0..4).is_some()
        && b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && (1..=12).contains(&month)
        && (1..=31).contains(&dom)
        && !text.as_bytes().get(10).is_some_and(u8::is_ascii_digit);
    well_formed.then_some(day)
}

/// Days since 1970-01-01 of a timestamp's leading `YYYY-MM-DD`; `None` when the text does not
/// start with a valid day.
pub fn day_number(text: &str) -> Option<i64> {
    let day = iso_date(text)?;
    let y: i64 = day.get(..4)?.parse().ok()?;
    let m: i64 = day.get(5..7)?.parse().ok()?;
    let d: i64 = day.get(8..10)?.parse().ok()?;
    Some(days_from_civil(y, m, d))
}

/// Whole days between a `YYYY-MM-DD…` date and `now`; `None` if it is not such a date or lies
/// in the future.
pub fn days_old(date: &str, now: Millis) -> Option<u64> {
    let then = day_number(date)?;
    let today = i64::try_from(now / DAY_MS).ok()?;
    u64::try_from(today - then).ok()
}

/// Milliseconds since the epoch as `2026-11-22T18:41:00Z`.
pub fn iso_time(ms: Millis) -> String {
    let secs = ms / 1000;
    let (y, m, d) = civil_from_days(i64::try_from(secs / 86_400).unwrap_or(0));
    let s = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip_over_four_centuries() {
        for days in (-200_000..200_000).step_by(7) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn day_numbers_of_timestamps() {
        assert_eq!(day_number("1970-01-01"), Some(0));
        assert_eq!(day_number("2000-03-01T00:00:00"), Some(11_017));
        assert_eq!(day_number("2026-08-22-15-17-05"), Some(20_687));
        assert_eq!(day_number("2024-02-29"), Some(19_782));
        assert_eq!(day_number("2024-13-01"), None);
        assert_eq!(day_number("20240101"), None);
        assert_eq!(
            day_number("2024-01-011"),
            None,
            "a longer number is not a date"
        );
        assert_eq!(day_number("yesterday"), None);
        assert_eq!(day_number("2024-01-"), None);
    }

    #[test]
    fn ages_and_times() {
        let now = 20_687 * DAY_MS + 3_600_000;
        assert_eq!(days_old("2026-08-22", now), Some(0));
        assert_eq!(days_old("2026-08-20T10:00:00Z", now), Some(2));
        assert_eq!(days_old("2026-08-23", now), None, "in the future");
        assert_eq!(days_old("soon", now), None);
        assert_eq!(iso_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_time(now + 61_000), "2026-08-22T01:01:01Z");
    }
}
