//! Order dates, emitted in calendar order without sorting.
//!
//! The benchmark script draws a date per order and then numbers orders by date, which needs
//! a sort of every order. At scale 100 that is 100 million rows, too many to hold. Instead,
//! the script's date distribution is integrated into a cumulative share per day, and day
//! `d` receives `round(N · F(d + 1)) − round(N · F(d))` orders. The counts add up to exactly
//! `N`, follow the same distribution, and let the generator stream orders day by day so
//! that `order_id` grows with `order_date` by construction.

use chrono::{Days, NaiveDate};

use crate::prng::pow_unit;

/// The first order date, 2023-01-01.
const FIRST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2023, 1, 1) {
    Some(date) => date,
    None => panic!("2023-01-01 is a valid date"),
};

/// Days from 2023-01-01 to 2024-12-31 inclusive (2024 is a leap year).
pub(crate) const ORDER_DAYS: u32 = 731;

/// Length of each holiday window, 15 November to 31 December inclusive.
const HOLIDAY_DAYS: u32 = 47;

/// Day offsets of 2023-11-15 and 2024-11-15 (checked against chrono by a test).
const HOLIDAY_STARTS: [u32; 2] = [318, 684];

/// Share of all orders drawn from the holiday bump rather than the trend.
const HOLIDAY_SHARE: f64 = 0.12;

/// Share of the holiday bump that falls in 2023 (the rest falls in 2024).
const HOLIDAY_2023_SHARE: f64 = 0.45;

/// The script draws trend days as `floor(731 · u^0.8)`: an exponent below one pushes mass
/// to later days, i.e. business grows. Its CDF is `(k / 731)^(1 / 0.8)`.
const TREND_CDF_POWER: f64 = 1.0 / 0.8;

/// Returns the share of orders dated strictly before day `k` (0 ≤ k ≤ 731).
fn share_before(k: u32) -> f64 {
    let trend = pow_unit(f64::from(k) / f64::from(ORDER_DAYS), TREND_CDF_POWER);
    let in_window = |start: u32| f64::from(k.saturating_sub(start).min(HOLIDAY_DAYS)) / f64::from(HOLIDAY_DAYS);
    let holiday =
        HOLIDAY_2023_SHARE * in_window(HOLIDAY_STARTS[0]) + (1.0 - HOLIDAY_2023_SHARE) * in_window(HOLIDAY_STARTS[1]);
    (1.0 - HOLIDAY_SHARE) * trend + HOLIDAY_SHARE * holiday
}

/// Iterates the order days in calendar order, yielding each date and its number of orders
/// (possibly zero at tiny scales).
#[derive(Debug, Clone)]
pub(crate) struct OrderDays {
    orders: u64,
    day: u32,
    before: u64,
}

impl OrderDays {
    /// Spreads `orders` orders over the two years.
    pub(crate) const fn new(orders: u64) -> Self {
        Self { orders, day: 0, before: 0 }
    }

    /// Returns how many orders fall strictly before day `k`; exact at both ends so the
    /// per-day counts always add up to `orders`.
    fn orders_before(&self, k: u32) -> u64 {
        if k >= ORDER_DAYS {
            self.orders
        } else {
            ((self.orders as f64 * share_before(k)).round() as u64).min(self.orders)
        }
    }
}

impl Iterator for OrderDays {
    type Item = (NaiveDate, u64);

    fn next(&mut self) -> Option<Self::Item> {
        if self.day >= ORDER_DAYS {
            return None;
        }
        let date = FIRST_DAY + Days::new(u64::from(self.day));
        self.day += 1;
        let upto = self.orders_before(self.day);
        let count = upto - self.before;
        self.before = upto;
        Some((date, count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_match_the_calendar() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let offset = |d: NaiveDate| u32::try_from((d - FIRST_DAY).num_days()).unwrap();
        assert_eq!(offset(date(2024, 12, 31)) + 1, ORDER_DAYS);
        assert_eq!(offset(date(2023, 11, 15)), HOLIDAY_STARTS[0]);
        assert_eq!(offset(date(2024, 11, 15)), HOLIDAY_STARTS[1]);
        assert_eq!(offset(date(2023, 12, 31)) + 1, HOLIDAY_STARTS[0] + HOLIDAY_DAYS);
        assert_eq!(ORDER_DAYS, HOLIDAY_STARTS[1] + HOLIDAY_DAYS);
    }

    #[test]
    fn counts_add_up_and_dates_ascend() {
        for orders in [1, 7, 1_000, 1_000_003] {
            let days: Vec<_> = OrderDays::new(orders).collect();
            assert_eq!(days.len(), ORDER_DAYS as usize);
            assert_eq!(days.iter().map(|(_, n)| n).sum::<u64>(), orders);
            assert!(days.windows(2).all(|w| w[0].0 < w[1].0));
            assert_eq!(days[730].0, NaiveDate::from_ymd_opt(2024, 12, 31).unwrap());
        }
    }

    #[test]
    fn shape_has_growth_and_holiday_bump() {
        let days: Vec<_> = OrderDays::new(1_000_000).collect();
        let total = |range: std::ops::Range<usize>| days[range].iter().map(|(_, n)| n).sum::<u64>();
        let y2023 = total(0..365);
        let y2024 = total(365..731);
        assert!(y2024 > y2023 + y2023 / 10, "growth: {y2023} then {y2024}");
        // The bump puts 12% of orders in the windows and the trend adds 88% × 14.6% more.
        let holidays = total(318..365) + total(684..731);
        assert!((240_000..256_000).contains(&holidays), "{holidays}");
        let (nov_14, nov_15) = (days[317].1, days[318].1);
        // 12% × 45% of a million orders over 47 days is 1,149 extra orders a day in 2023.
        assert!((1_140..1_160).contains(&(nov_15 - nov_14)), "bump on 15 Nov: {nov_14} then {nov_15}");
    }
}
