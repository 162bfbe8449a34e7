//! The scale factor: how many customers and orders to generate.

use std::fmt;

/// How big a dataset to generate, relative to the benchmark script.
///
/// Scale 1.0 reproduces the script's sizes: 8 regions, 200 stores, 100,000 customers, 2,000
/// products, 1,000,000 orders and about 3,000,000 order lines. Only customers and orders
/// (and with them order lines) grow with the scale: the dimension tables stay fixed so that
/// every scale shares the same regions, stores and catalogue, as in a real business that
/// simply has more traffic.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct ScaleFactor(f64);

impl ScaleFactor {
    /// The benchmark script's sizes.
    pub const ONE: Self = Self(1.0);

    /// The largest accepted scale: a billion orders, and customer ids far inside `INTEGER`.
    pub const MAX: f64 = 1000.0;

    /// Validates `scale`, which must be finite, positive and at most [`Self::MAX`].
    ///
    /// # Errors
    ///
    /// Returns [`InvalidScale`] for NaN, infinities, zero, negative values or values above
    /// [`Self::MAX`].
    pub fn new(scale: f64) -> Result<Self, InvalidScale> {
        if scale.is_finite() && scale > 0.0 && scale <= Self::MAX { Ok(Self(scale)) } else { Err(InvalidScale(scale)) }
    }

    /// Returns the scale as a number.
    #[must_use]
    pub const fn get(self) -> f64 {
        self.0
    }

    /// Returns the number of customers: 100,000 × scale, rounded, at least 1.
    #[must_use]
    pub fn customers(self) -> u64 {
        self.scaled(100_000)
    }

    /// Returns the number of orders: 1,000,000 × scale, rounded, at least 1.
    #[must_use]
    pub fn orders(self) -> u64 {
        self.scaled(1_000_000)
    }

    /// Returns `base × scale` rounded to the nearest integer, but never 0 so every foreign
    /// key has something to point to. `round` is exact in IEEE 754, so the count is the same
    /// on every platform.
    fn scaled(self, base: u64) -> u64 {
        ((base as f64 * self.0).round() as u64).max(1)
    }
}

impl Default for ScaleFactor {
    fn default() -> Self {
        Self::ONE
    }
}

impl fmt::Display for ScaleFactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The error returned by [`ScaleFactor::new`] for an unusable scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InvalidScale(pub f64);

impl fmt::Display for InvalidScale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid demo scale factor {}: expected a number above 0 and at most {}", self.0, ScaleFactor::MAX)
    }
}

impl std::error::Error for InvalidScale {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_the_scale() {
        let one = ScaleFactor::ONE;
        assert_eq!((one.customers(), one.orders()), (100_000, 1_000_000));
        let small = ScaleFactor::new(0.001).unwrap();
        assert_eq!((small.customers(), small.orders()), (100, 1_000));
        let tiny = ScaleFactor::new(1e-9).unwrap();
        assert_eq!((tiny.customers(), tiny.orders()), (1, 1));
        let big = ScaleFactor::new(100.0).unwrap();
        assert_eq!((big.customers(), big.orders()), (10_000_000, 100_000_000));
    }

    #[test]
    fn rejects_unusable_scales() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1000.5] {
            assert!(ScaleFactor::new(bad).is_err(), "{bad}");
        }
        assert!(ScaleFactor::new(1000.0).is_ok());
    }
}
