//! Row generation: the statistical shape of `shared/bench/retail_dataset.sql`, streamed.
//!
//! Every row is a pure function of `(table, id, scale)`: it draws from its own
//! [`SplitMix64`] stream seeded by its id, so nothing needs the other tables in memory.
//! The only cross-table state is small: `order_items` recomputes the 2,000 product list
//! prices up front, and orders are laid out day by day by [`OrderDays`].
//!
//! Draws happen in the same order and with the same formulas as the script's `random()`
//! columns (`r1`, `r2`, …), which keeps the two easy to compare; the values themselves
//! differ, since Postgres' generator is not reproduced.

use std::iter::FusedIterator;

use chrono::{Days, NaiveDate};

use crate::calendar::OrderDays;
use crate::prng::SplitMix64;
use crate::scale::ScaleFactor;
use crate::schema::Table;

/// One generated value, typed after the column's [`LogicalType`](crate::LogicalType).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DemoValue {
    /// Any integer column (`Int16`, `Int32` or `Int64`).
    Int(i64),
    /// A text column.
    Text(String),
    /// A date column.
    Date(NaiveDate),
    /// A `Decimal(10,2)` column as integer hundredths, so money never touches a float.
    Cents(i64),
}

/// Per-table stream constants. They only need to differ from each other; changing one
/// changes that table's data for good.
mod stream {
    pub(super) const STORES: u64 = 0x6B75_726F_6265_0001;
    pub(super) const CUSTOMERS: u64 = 0x6B75_726F_6265_0002;
    pub(super) const PRODUCTS: u64 = 0x6B75_726F_6265_0003;
    pub(super) const ORDERS: u64 = 0x6B75_726F_6265_0004;
    pub(super) const ORDER_ITEMS: u64 = 0x6B75_726F_6265_0005;
}

const REGIONS: [&str; 8] = [
    "North America East",
    "North America West",
    "Latin America",
    "Western Europe",
    "Northern Europe",
    "Middle East & Africa",
    "South Asia",
    "East Asia & Pacific",
];

const STORE_COUNT: u64 = 200;
const STORE_TYPES: [&str; 4] = ["flagship", "mall", "outlet", "online"];
/// Low region ids get more stores.
const STORE_REGION_POWER: f64 = 1.6;
/// Stores opened over ten years from 2012-01-01.
const STORE_OPENING_DAYS: u64 = 3650;
const STORE_FIRST_OPENING: NaiveDate = ymd(2012, 1, 1);

/// Segment thresholds on one uniform draw: 62% consumer, 26% corporate, 12% home office.
const SEGMENTS: [(f64, &str); 3] = [(0.62, "consumer"), (0.88, "corporate"), (1.0, "home_office")];
/// Customers signed up over seven years from 2018-01-01.
const SIGNUP_DAYS: u64 = 2555;
const FIRST_SIGNUP: NaiveDate = ymd(2018, 1, 1);

const PRODUCT_COUNT: u64 = 2000;
/// Categories with their price scale in dollars: list price = 1.99 + scale · u².
const CATEGORIES: [(&str, i64); 12] = [
    ("Electronics", 900),
    ("Home & Kitchen", 250),
    ("Clothing", 120),
    ("Beauty", 60),
    ("Sports & Outdoors", 300),
    ("Toys & Games", 80),
    ("Books", 40),
    ("Grocery", 25),
    ("Automotive", 200),
    ("Garden", 150),
    ("Office Supplies", 50),
    ("Pet Supplies", 45),
];
/// Low category ids (Electronics first) hold more products.
const CATEGORY_POWER: f64 = 1.3;
const BRAND_COUNT: u64 = 60;
const MIN_LIST_PRICE_CENTS: i64 = 199;

/// Power laws of the order's customer (a few loyal customers order a lot) and store.
const CUSTOMER_POWER: f64 = 1.8;
const STORE_POWER: f64 = 1.5;
/// Status thresholds on one uniform draw: 72 / 12 / 5 / 6 / 5 %.
const STATUSES: [(f64, &str); 5] =
    [(0.72, "completed"), (0.84, "shipped"), (0.89, "processing"), (0.95, "cancelled"), (1.0, "returned")];

/// 1 to 5 lines per order, uniformly: a mean of 3.
const MAX_LINES: u64 = 5;
/// Product popularity: low product ids sell far more.
const PRODUCT_POWER: f64 = 2.2;
/// Discounts of 0, 5, 10 or 15 %, in steps of this many percent.
const DISCOUNT_STEP_PERCENT: i64 = 5;
const DISCOUNT_STEPS: u64 = 4;

/// Builds a date in a constant, so an invalid literal fails the build instead of a run.
const fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => date,
        None => panic!("invalid date constant"),
    }
}

/// Picks the label of the first threshold above `u` (the script's `CASE WHEN r < …`).
fn pick(u: f64, thresholds: &[(f64, &'static str)]) -> &'static str {
    thresholds.iter().find(|(limit, _)| u < *limit).map_or("", |(_, label)| label)
}

/// Converts an id to the `Int` variant; every id and count here is far below `i64::MAX`.
fn int(value: u64) -> DemoValue {
    DemoValue::Int(value as i64)
}

/// Returns a lazy iterator over the rows of `table` at `scale`, in primary-key order.
///
/// Each row has one value per column of [`Table::def`], in column order. Memory use is
/// constant (order lines keep a 2,000-entry price table), so scale 100 streams as easily as
/// scale 0.001.
#[must_use]
pub fn rows(table: Table, scale: ScaleFactor) -> Rows {
    let generator = match table {
        Table::Regions => Generator::ById { row: region_row, next: 1, count: REGIONS.len() as u64 },
        Table::Stores => Generator::ById { row: store_row, next: 1, count: STORE_COUNT },
        Table::Customers => Generator::ById { row: customer_row, next: 1, count: scale.customers() },
        Table::Products => Generator::ById { row: product_row, next: 1, count: PRODUCT_COUNT },
        Table::Orders => Generator::Orders(OrdersGen::new(scale)),
        Table::OrderItems => Generator::Items(ItemsGen::new(scale)),
    };
    Rows { generator }
}

/// The iterator returned by [`rows`].
#[derive(Debug, Clone)]
pub struct Rows {
    generator: Generator,
}

#[derive(Debug, Clone)]
enum Generator {
    /// Tables whose rows depend on nothing but their id: `row(next)` up to `row(count)`.
    ById {
        row: fn(u64) -> Vec<DemoValue>,
        next: u64,
        count: u64,
    },
    Orders(OrdersGen),
    Items(ItemsGen),
}

impl Iterator for Rows {
    type Item = Vec<DemoValue>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.generator {
            Generator::ById { row, next, count } => {
                if *next > *count {
                    return None;
                }
                let id = *next;
                *next += 1;
                Some(row(id))
            }
            Generator::Orders(orders) => orders.next(),
            Generator::Items(items) => items.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let (low, high) = match &self.generator {
            Generator::ById { next, count, .. } => {
                let left = (*count + 1).saturating_sub(*next);
                (left, Some(left))
            }
            Generator::Orders(orders) => (orders.left(), Some(orders.left())),
            // At least one line per order still to come, at most five.
            Generator::Items(items) => items.left(),
        };
        let to_usize = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        (to_usize(low), high.and_then(|h| usize::try_from(h).ok()))
    }
}

impl FusedIterator for Rows {}

fn region_row(id: u64) -> Vec<DemoValue> {
    let name = REGIONS.get((id - 1) as usize).copied().unwrap_or_default();
    vec![int(id), DemoValue::Text(name.to_owned())]
}

fn store_row(id: u64) -> Vec<DemoValue> {
    let mut rng = SplitMix64::for_row(stream::STORES, id);
    let region = 1 + rng.skewed_index(REGIONS.len() as u64, STORE_REGION_POWER);
    let store_type = STORE_TYPES[rng.uniform_index(STORE_TYPES.len() as u64) as usize];
    let opened = STORE_FIRST_OPENING + Days::new(rng.uniform_index(STORE_OPENING_DAYS));
    vec![
        int(id),
        DemoValue::Text(format!("Store {id:03}")),
        int(region),
        DemoValue::Text(store_type.to_owned()),
        DemoValue::Date(opened),
    ]
}

fn customer_row(id: u64) -> Vec<DemoValue> {
    let mut rng = SplitMix64::for_row(stream::CUSTOMERS, id);
    let segment = pick(rng.next_unit(), &SEGMENTS);
    let signup = FIRST_SIGNUP + Days::new(rng.uniform_index(SIGNUP_DAYS));
    vec![
        int(id),
        // Zero-padded like the script, but never truncated: ids beyond 999,999 keep all
        // their digits (the script's `lpad` would cut them and create duplicate names).
        DemoValue::Text(format!("Customer {id:06}")),
        DemoValue::Text(format!("customer{id}@example.com")),
        DemoValue::Text(segment.to_owned()),
        DemoValue::Date(signup),
    ]
}

/// The generated attributes of one product.
struct Product {
    category: &'static str,
    brand: u64,
    list_price_cents: i64,
}

fn product(id: u64) -> Product {
    let mut rng = SplitMix64::for_row(stream::PRODUCTS, id);
    let (category, price_scale) = CATEGORIES[rng.skewed_index(CATEGORIES.len() as u64, CATEGORY_POWER) as usize];
    let u = rng.next_unit();
    // round(1.99 + scale · u², 2) in cents; `round` is exact and ties go away from zero,
    // like Postgres' numeric round.
    let list_price_cents = MIN_LIST_PRICE_CENTS + (price_scale as f64 * 100.0 * u * u).round() as i64;
    let brand = 1 + rng.uniform_index(BRAND_COUNT);
    Product { category, brand, list_price_cents }
}

fn product_row(id: u64) -> Vec<DemoValue> {
    let p = product(id);
    vec![
        int(id),
        DemoValue::Text(format!("Product {id:04}")),
        DemoValue::Text(p.category.to_owned()),
        DemoValue::Text(format!("Brand {:02}", p.brand)),
        DemoValue::Cents(p.list_price_cents),
    ]
}

/// Streams orders day by day so ids follow dates without a sort (see [`OrderDays`]).
#[derive(Debug, Clone)]
struct OrdersGen {
    days: OrderDays,
    date: NaiveDate,
    left_today: u64,
    next_id: u64,
    orders: u64,
    customers: u64,
}

impl OrdersGen {
    fn new(scale: ScaleFactor) -> Self {
        let orders = scale.orders();
        Self {
            days: OrderDays::new(orders),
            date: NaiveDate::MIN,
            left_today: 0,
            next_id: 1,
            orders,
            customers: scale.customers(),
        }
    }

    fn left(&self) -> u64 {
        (self.orders + 1).saturating_sub(self.next_id)
    }

    fn next(&mut self) -> Option<Vec<DemoValue>> {
        while self.left_today == 0 {
            (self.date, self.left_today) = self.days.next()?;
        }
        self.left_today -= 1;
        let id = self.next_id;
        self.next_id += 1;
        let mut rng = SplitMix64::for_row(stream::ORDERS, id);
        let customer = 1 + rng.skewed_index(self.customers, CUSTOMER_POWER);
        let store = 1 + rng.skewed_index(STORE_COUNT, STORE_POWER);
        let status = pick(rng.next_unit(), &STATUSES);
        Some(vec![int(id), int(customer), int(store), DemoValue::Date(self.date), DemoValue::Text(status.to_owned())])
    }
}

/// Streams order lines. Each order's lines come from a stream seeded by its `order_id`
/// alone, so this needs only the order count, not the orders themselves.
#[derive(Debug, Clone)]
struct ItemsGen {
    /// List price in cents of product `i + 1`.
    prices: Vec<i64>,
    orders: u64,
    order_id: u64,
    rng: SplitMix64,
    lines: u64,
    line: u64,
    next_item_id: u64,
}

impl ItemsGen {
    fn new(scale: ScaleFactor) -> Self {
        Self {
            prices: (1..=PRODUCT_COUNT).map(|id| product(id).list_price_cents).collect(),
            orders: scale.orders(),
            order_id: 0,
            rng: SplitMix64::for_row(stream::ORDER_ITEMS, 0),
            lines: 0,
            line: 0,
            next_item_id: 1,
        }
    }

    /// Returns bounds on the lines still to come: the current order's rest plus 1 to 5 per
    /// order not yet started.
    fn left(&self) -> (u64, Option<u64>) {
        let current = self.lines - self.line;
        let later = self.orders.saturating_sub(self.order_id);
        (current + later, Some(current + MAX_LINES * later))
    }

    fn next(&mut self) -> Option<Vec<DemoValue>> {
        if self.line == self.lines {
            if self.order_id >= self.orders {
                return None;
            }
            self.order_id += 1;
            self.rng = SplitMix64::for_row(stream::ORDER_ITEMS, self.order_id);
            self.lines = 1 + self.rng.uniform_index(MAX_LINES);
            self.line = 0;
        }
        self.line += 1;
        let rng = &mut self.rng;
        let product = rng.skewed_index(PRODUCT_COUNT, PRODUCT_POWER);
        // 1 + floor(5 · u³): mostly single units, occasionally up to five.
        let u = rng.next_unit();
        let quantity = 1 + ((5.0 * u * u * u).floor() as u64).min(4);
        let discount = rng.uniform_index(DISCOUNT_STEPS) as i64 * DISCOUNT_STEP_PERCENT;
        let list = self.prices[product as usize];
        // round(list · (1 − discount/100), 2) in integer cents, ties away from zero.
        let unit_price = (list * (100 - discount) + 50) / 100;
        let item_id = self.next_item_id;
        self.next_item_id += 1;
        Some(vec![
            int(item_id),
            int(self.order_id),
            int(self.line),
            int(product + 1),
            int(quantity),
            DemoValue::Cents(unit_price),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scale(s: f64) -> ScaleFactor {
        ScaleFactor::new(s).unwrap()
    }

    #[test]
    fn rows_match_column_count_and_size_hint() {
        for table in Table::ALL {
            let mut it = rows(table, scale(0.001));
            let (low, high) = it.size_hint();
            let all: Vec<_> = it.by_ref().collect();
            assert!(low <= all.len() && high.is_none_or(|h| all.len() <= h), "{table}");
            assert!(all.iter().all(|r| r.len() == table.def().columns.len()), "{table}");
            assert_eq!(it.next(), None);
        }
    }

    #[test]
    fn unit_price_applies_discount_in_cents() {
        let price = |list: i64, discount: i64| (list * (100 - discount) + 50) / 100;
        assert_eq!(price(1999, 0), 1999);
        assert_eq!(price(1999, 5), 1899); // 18.9905 -> 18.99
        assert_eq!(price(1999, 15), 1699); // 16.9915 -> 16.99
        assert_eq!(price(10, 15), 9); // 0.085 -> 0.09 (half away from zero)
    }

    #[test]
    fn products_follow_the_catalogue_shape() {
        let products: Vec<_> = (1..=PRODUCT_COUNT).map(product).collect();
        for p in &products {
            let scale = CATEGORIES.iter().find(|c| c.0 == p.category).unwrap().1;
            assert!((199..=199 + scale * 100).contains(&p.list_price_cents));
            assert!((1..=BRAND_COUNT).contains(&p.brand));
        }
        let electronics = products.iter().filter(|p| p.category == "Electronics").count();
        let pets = products.iter().filter(|p| p.category == "Pet Supplies").count();
        assert!(2 * electronics > 3 * pets, "category skew: {electronics} vs {pets}");
    }
}
