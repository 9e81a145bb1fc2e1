//! The buyer's role: whoever clicks the Amazon Pay button and walks the hosted pages. The steps
//! talk to a [`Buyer`] only in the buyer's terms (click the button, sign in, choose, 続行,
//! 今すぐ支払う, cancel, follow a link), so the same scenario runs with plain HTTP ([`direct`])
//! or, later, a real browser.

pub mod direct;

use std::time::SystemTime;

use serde::Serialize;
use url::Url;

use crate::report::PageSeen;

/// What `checkout.js` posts when the Amazon Pay button is clicked: the merchant's signed
/// `createCheckoutSessionConfig` and the product type.
#[derive(Clone, Debug, Serialize)]
pub struct ButtonClick {
    pub payload_json: String,
    pub signature: String,
    pub public_key_id: String,
    pub algorithm: String,
    /// `PayAndShip`, `PayOnly` or `SignIn`.
    pub product_type: String,
}

/// Where a buyer's action left the buyer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Landing {
    /// Still on Amazon Pay's pages (e.g. the sign-in or the choice page, or an error page).
    Hosted { url: Url, status: u16 },
    /// Redirected back to the merchant, e.g. `checkoutReviewReturnUrl?amazonCheckoutSessionId=…`.
    Merchant(Url),
}

impl Landing {
    /// The merchant URL, or an error naming the hosted page the buyer is stuck on.
    pub fn merchant_url(&self) -> anyhow::Result<&Url> {
        match self {
            Landing::Merchant(url) => Ok(url),
            Landing::Hosted { url, status } => {
                anyhow::bail!("the buyer stayed on the Amazon Pay page {url} (HTTP {status}) instead of returning")
            }
        }
    }
}

/// How the buyer is played in this run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum BuyerMode {
    /// The browser when one is installed, otherwise direct (browser support is not built yet,
    /// so today this is always direct).
    #[default]
    Auto,
    /// Plain HTTP on the emulator's hosted pages: the same form posts a browser makes.
    Direct,
}

/// A page the buyer saw, stamped so the report can put it under the step that was running.
#[derive(Clone, Debug)]
pub struct SeenAt {
    pub at: SystemTime,
    pub page: PageSeen,
}
