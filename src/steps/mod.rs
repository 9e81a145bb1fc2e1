//! The cucumber World and the step definitions, grouped by vocabulary — and so by what they
//! need of the roles (see [`needs`]): [`checkout`] (the merchant's side of checkout: cart,
//! button payload, review, Update/Complete, errors), [`buyer`] (the buyer on the hosted pages),
//! [`charges`] (charges, capture, cancel, the charge permission), [`refunds`], [`own_client`]
//! (signatures, idempotency, bad input: our own client's powers) and [`time`]. Steps speak
//! Japanese business facts, with their captures typed in [`params`], and talk only to the roles:
//! the [`crate::merchant::Merchant`] and the buyer's [`crate::buyer::HostedPages`].
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

mod buyer;
mod charges;
mod checkout;
mod needs;
mod own_client;
pub mod params;
mod refunds;
mod time;
mod world;

pub use needs::{Need, Needs, StepNeeds};
pub use world::{ConformanceWorld, Evidence};

use std::fmt;

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
