//! Date phrases ("2024", "March 2024", "Q1", "last month", "this year", "last 30 days")
//! as spans of days, resolved against a given today so answers are reproducible.

use chrono::{Datelike, Days, Months, NaiveDate};

use super::tokens::{Keyword, Token, TokenKind};
use crate::query::Granularity;

/// Both days included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// A token as the date reader needs it: its keyword if it is one, else its kind.
pub(super) type Read<'a> = (&'a Token, Option<Keyword>);

/// The span a date phrase at the start of `items` names, and how many tokens it used.
pub(super) fn span_at(items: &[Read<'_>], today: NaiveDate) -> Option<(Span, usize)> {
    let first = items.first()?;
    // "in the first quarter of 2024".
    if first.0.raw == "the" {
        return span_at(&items[1..], today).map(|(span, used)| (span, used + 1));
    }
    // A year after `at`, "of" allowed before it ("Q1 of 2024"): the year and the tokens used.
    let year_after = |at: usize| {
        let at = if items.get(at).is_some_and(|(t, _)| t.raw == "of") { at + 1 } else { at };
        match items.get(at) {
            Some((token, None)) => year(token).map(|y| (y, at + 1)),
            _ => None,
        }
    };
    // "first quarter", "second half": a part of a year by its ordinal.
    if let Some(n) = ordinal(&first.0.raw)
        && let Some((unit, keyword)) = items.get(1)
    {
        let months = match keyword {
            Some(Keyword::Unit(Granularity::Quarter)) if n <= 4 => 3,
            None if unit.raw == "half" && n <= 2 => 6,
            _ => return None,
        };
        let (y, used) = year_after(2).unwrap_or((today.year(), 2));
        let from = NaiveDate::from_ymd_opt(y, (n - 1) * months + 1, 1)?;
        return Some((Span { from, to: end_of(from, months)? }, used));
    }
    match first {
        (token, None) => {
            if let TokenKind::Date(day) = token.kind {
                return Some((Span { from: day, to: day }, 1));
            }
            let y = year(token)?;
            Some((whole_year(y)?, 1))
        }
        (_, Some(Keyword::Month(month))) => {
            let (y, used) = match year_after(1) {
                Some(found) => found,
                // A month without a year is the latest one that has begun.
                None => (if *month <= today.month() { today.year() } else { today.year() - 1 }, 1),
            };
            let from = NaiveDate::from_ymd_opt(y, *month, 1)?;
            Some((Span { from, to: end_of(from, 1)? }, used))
        }
        (_, Some(Keyword::Quarter(quarter))) => {
            let (y, used) = match year_after(1) {
                Some(found) => found,
                None => (today.year(), 1),
            };
            let from = NaiveDate::from_ymd_opt(y, (quarter - 1) * 3 + 1, 1)?;
            Some((Span { from, to: end_of(from, 3)? }, used))
        }
        (_, Some(Keyword::Today)) => Some((Span { from: today, to: today }, 1)),
        (_, Some(Keyword::Yesterday)) => {
            let day = today.pred_opt()?;
            Some((Span { from: day, to: day }, 1))
        }
        (_, Some(Keyword::Last)) => match items.get(1) {
            Some((_, Some(Keyword::Unit(unit)))) => Some((previous(*unit, today)?, 2)),
            Some((token, None)) => {
                let TokenKind::Number(n) = token.kind else { return None };
                let Some((_, Some(Keyword::Unit(unit)))) = items.get(2) else { return None };
                Some((rolling(*unit, n, today)?, 3))
            }
            _ => None,
        },
        (_, Some(Keyword::This)) => match items.get(1) {
            Some((_, Some(Keyword::Unit(unit)))) => Some((Span { from: start_of(*unit, today)?, to: today }, 2)),
            _ => None,
        },
        _ => None,
    }
}

/// 1 to 4 for "first" to "fourth".
fn ordinal(word: &str) -> Option<u32> {
    match word {
        "first" => Some(1),
        "second" => Some(2),
        "third" => Some(3),
        "fourth" => Some(4),
        _ => None,
    }
}

/// A plausible year: four digits between 1900 and 2100.
fn year(token: &Token) -> Option<i32> {
    match token.kind {
        TokenKind::Number(n) if n.fract() == 0.0 && (1900.0..=2100.0).contains(&n) && token.raw.len() == 4 => {
            Some(n as i32)
        }
        _ => None,
    }
}

fn whole_year(y: i32) -> Option<Span> {
    Some(Span { from: NaiveDate::from_ymd_opt(y, 1, 1)?, to: NaiveDate::from_ymd_opt(y, 12, 31)? })
}

/// The last day of the `months` months starting at `from`.
fn end_of(from: NaiveDate, months: u32) -> Option<NaiveDate> {
    from.checked_add_months(Months::new(months))?.pred_opt()
}

fn start_of(unit: Granularity, day: NaiveDate) -> Option<NaiveDate> {
    match unit {
        Granularity::Day => Some(day),
        Granularity::Week => day.checked_sub_days(Days::new(u64::from(day.weekday().num_days_from_monday()))),
        Granularity::Month => day.with_day(1),
        Granularity::Quarter => NaiveDate::from_ymd_opt(day.year(), (day.month0() / 3) * 3 + 1, 1),
        Granularity::Year => NaiveDate::from_ymd_opt(day.year(), 1, 1),
    }
}

/// The whole unit before the current one: "last month" in mid-May is April.
fn previous(unit: Granularity, today: NaiveDate) -> Option<Span> {
    let current = start_of(unit, today)?;
    let from = match unit {
        Granularity::Day => current.pred_opt()?,
        Granularity::Week => current.checked_sub_days(Days::new(7))?,
        Granularity::Month => current.checked_sub_months(Months::new(1))?,
        Granularity::Quarter => current.checked_sub_months(Months::new(3))?,
        Granularity::Year => current.checked_sub_months(Months::new(12))?,
    };
    Some(Span { from, to: current.pred_opt()? })
}

/// The last `n` units up to and including today: "last 30 days".
fn rolling(unit: Granularity, n: f64, today: NaiveDate) -> Option<Span> {
    if n < 1.0 || n.fract() != 0.0 || n > 10_000.0 {
        return None;
    }
    let n = n as u32;
    let after_today = today.succ_opt()?;
    let from = match unit {
        Granularity::Day => after_today.checked_sub_days(Days::new(u64::from(n)))?,
        Granularity::Week => after_today.checked_sub_days(Days::new(7 * u64::from(n)))?,
        Granularity::Month => after_today.checked_sub_months(Months::new(n))?,
        Granularity::Quarter => after_today.checked_sub_months(Months::new(3 * n))?,
        Granularity::Year => after_today.checked_sub_months(Months::new(12 * n))?,
    };
    Some(Span { from, to: today })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule_based::tokens::{keyword_at, tokenize};

    fn span(text: &str) -> Option<(NaiveDate, NaiveDate, usize)> {
        let tokens = tokenize(text);
        let items: Vec<Read<'_>> =
            (0..tokens.len()).map(|i| (&tokens[i], keyword_at(&tokens, i).map(|(k, _)| k))).collect();
        let today = NaiveDate::from_ymd_opt(2025, 5, 14).unwrap();
        span_at(&items, today).map(|(s, used)| (s.from, s.to, used))
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn phrases_resolve_against_today() {
        assert_eq!(span("2024"), Some((day(2024, 1, 1), day(2024, 12, 31), 1)));
        assert_eq!(span("march 2024"), Some((day(2024, 3, 1), day(2024, 3, 31), 2)));
        assert_eq!(span("march"), Some((day(2025, 3, 1), day(2025, 3, 31), 1)));
        assert_eq!(span("september"), Some((day(2024, 9, 1), day(2024, 9, 30), 1)));
        assert_eq!(span("q4 2024"), Some((day(2024, 10, 1), day(2024, 12, 31), 2)));
        assert_eq!(span("last month"), Some((day(2025, 4, 1), day(2025, 4, 30), 2)));
        assert_eq!(span("last year"), Some((day(2024, 1, 1), day(2024, 12, 31), 2)));
        assert_eq!(span("last week"), Some((day(2025, 5, 5), day(2025, 5, 11), 2)));
        assert_eq!(span("this year"), Some((day(2025, 1, 1), day(2025, 5, 14), 2)));
        assert_eq!(span("last 30 days"), Some((day(2025, 4, 15), day(2025, 5, 14), 3)));
        assert_eq!(span("2024-02-29"), Some((day(2024, 2, 29), day(2024, 2, 29), 1)));
        assert_eq!(span("500"), None);
        assert_eq!(span("the first quarter of 2024"), Some((day(2024, 1, 1), day(2024, 3, 31), 5)));
        assert_eq!(span("third quarter"), Some((day(2025, 7, 1), day(2025, 9, 30), 2)));
        assert_eq!(span("second half of 2024"), Some((day(2024, 7, 1), day(2024, 12, 31), 4)));
        assert_eq!(span("q1 of 2024"), Some((day(2024, 1, 1), day(2024, 3, 31), 3)));
        assert_eq!(span("march of 2023"), Some((day(2023, 3, 1), day(2023, 3, 31), 3)));
        assert_eq!(span("first order"), None);
    }
}
