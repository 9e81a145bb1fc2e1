//! The cucumber World and the step definitions, grouped by vocabulary as in the documentation:
//! [`checkout`] (cart, button, buyer, review, Update/Complete), [`charges`] (charges, capture,
//! cancel, the charge permission), [`refunds`], [`protocol`] (signatures, idempotency, bad input)
//! and [`time`]. Steps speak Japanese business facts; API details live here.
//!
//! An action step must succeed unless its text says the merchant *tries* (`…しようとする`), in
//! which case the error is kept for a following `エラー「…」(HTTP …) になる` step.

/// `anyhow::ensure!` for steps, converting into the function's error type (anyhow's own macro
/// returns `anyhow::Error` as is, which a [`StepResult`] cannot take without `?`).
macro_rules! ensure {
    ($cond:expr, $($arg:tt)+) => {
        if !$cond {
            return Err(anyhow::anyhow!($($arg)+).into());
        }
    };
}

/// `anyhow::bail!` for steps; see [`ensure!`].
macro_rules! bail {
    ($($arg:tt)+) => {
        return Err(anyhow::anyhow!($($arg)+).into())
    };
}

mod charges;
mod checkout;
mod protocol;
mod refunds;
mod time;
mod world;

pub use world::{ConformanceWorld, Evidence};

use std::fmt;
use std::str::FromStr;

/// What a step returns: a failure's message shows the whole cause chain.
pub type StepResult = Result<(), StepFailure>;

pub struct StepFailure(anyhow::Error);

impl<E: Into<anyhow::Error>> From<E> for StepFailure {
    fn from(e: E) -> Self {
        StepFailure(e.into())
    }
}

impl fmt::Display for StepFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

/// An amount in yen as written in the features: `¥10,000`, `10,000` or `100.5` (JPY has no
/// decimals, but K-3 must be able to send one).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Yen(pub rust_decimal::Decimal);

impl FromStr for Yen {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let digits: String = s.trim().trim_start_matches('¥').chars().filter(|c| *c != ',').collect();
        digits.parse().map(Yen).map_err(|e| format!("`{s}` is not an amount in yen: {e}"))
    }
}

impl fmt::Display for Yen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "¥{}", self.0)
    }
}

impl Yen {
    pub fn price(self) -> crate::model::Price {
        crate::model::Price { amount: crate::model::Amount(self.0), currency_code: "JPY".into() }
    }
}

/// `する` (must succeed) or `しようとする` / `そうとする` (may fail; the error is kept).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempt {
    Must,
    Try,
}

impl FromStr for Attempt {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(if s.contains("うとする") { Attempt::Try } else { Attempt::Must })
    }
}
