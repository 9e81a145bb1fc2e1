//! The buyer's role: whoever clicks the Amazon Pay button and walks the hosted pages. The steps
//! talk to a [`Buyer`] only in the buyer's terms (click the button, sign in, choose, 続行,
//! 今すぐ支払う, 変更, 注文を確定する, cancel), so the same scenario runs with plain HTTP
//! ([`direct`]) or in Chromium ([`browser`], on the merchant pages of [`shop`]).

pub mod browser;
pub mod direct;
pub mod shop;

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
    /// The browser when Chromium and ChromeDriver are installed, otherwise direct (in CI, with
    /// `CI=true`, a missing browser is an error instead).
    #[default]
    Auto,
    /// Plain HTTP on the emulator's hosted pages: the same form posts a browser makes.
    Direct,
    /// Chromium through ChromeDriver, on the harness's merchant pages and the hosted pages.
    Browser,
}

/// Which 変更 button on the review page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Address,
    Payment,
}

/// The buyer of one scenario.
#[derive(Debug)]
pub enum Buyer {
    Direct(direct::DirectBuyer),
    Browser(browser::BrowserBuyer),
}

impl Buyer {
    /// Clicks the Amazon Pay button: the direct buyer posts what `checkout.js` would; the browser
    /// opens the merchant's `cart` page and clicks the button rendered there.
    pub async fn click_button(&mut self, click: &ButtonClick, cart: &Url) -> anyhow::Result<Landing> {
        match self {
            Buyer::Direct(b) => b.click_button(click).await,
            Buyer::Browser(b) => b.click_button(cart).await,
        }
    }

    pub async fn sign_in(&mut self, email: &str, password: &str) -> anyhow::Result<Landing> {
        match self {
            Buyer::Direct(b) => b.sign_in(email, password).await,
            Buyer::Browser(b) => b.sign_in(email, password).await,
        }
    }

    /// Chooses an address (0-based) and a card (last four digits), then 続行 or 今すぐ支払う.
    pub async fn choose_and_submit(&mut self, address: Option<usize>, card: Option<&str>) -> anyhow::Result<Landing> {
        match self {
            Buyer::Direct(b) => b.choose_and_submit(address, card).await,
            Buyer::Browser(b) => b.choose_and_submit(address, card).await,
        }
    }

    pub async fn follow_link(&mut self, testid: &str) -> anyhow::Result<Landing> {
        match self {
            Buyer::Direct(b) => b.follow_link(testid).await,
            Buyer::Browser(b) => b.follow_link(testid).await,
        }
    }

    /// 変更 on the review page. `hosted` is where `bindChangeAction` sends the buyer, which the
    /// direct buyer opens itself; the browser clicks the merchant page's button.
    pub async fn change(&mut self, what: Change, hosted: &Url) -> anyhow::Result<Landing> {
        match self {
            Buyer::Direct(b) => b.open(hosted).await,
            Buyer::Browser(b) => {
                b.follow_link(if what == Change::Address { "change-address" } else { "change-payment" }).await
            }
        }
    }

    /// 注文を確定する on the review page, which leads to `amazonPayRedirectUrl`.
    pub async fn place_order(&mut self, redirect: &Url) -> anyhow::Result<Landing> {
        match self {
            Buyer::Direct(b) => b.open(redirect).await,
            Buyer::Browser(b) => b.reload_and_click("place-order").await,
        }
    }

    /// The visible text of the element with this `data-testid` on the current page.
    pub async fn text(&mut self, testid: &str) -> Option<String> {
        match self {
            Buyer::Direct(b) => b.text(testid),
            Buyer::Browser(b) => b.text(testid).await,
        }
    }

    pub async fn sees(&mut self, testid: &str) -> bool {
        match self {
            Buyer::Direct(b) => b.sees(testid),
            Buyer::Browser(b) => b.sees(testid).await,
        }
    }

    pub fn take_seen(&mut self) -> Vec<SeenAt> {
        match self {
            Buyer::Direct(b) => b.take_seen(),
            Buyer::Browser(b) => b.take_seen(),
        }
    }

    /// Ends the buyer's part: the browser session goes back to the pool.
    pub async fn release(&mut self) {
        if let Buyer::Browser(b) = self {
            b.release().await;
        }
    }
}

/// A page the buyer saw, stamped so the report can put it under the step that was running.
#[derive(Clone, Debug)]
pub struct SeenAt {
    pub at: SystemTime,
    pub page: PageSeen,
}
