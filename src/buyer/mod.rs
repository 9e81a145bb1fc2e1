//! The buyer's role: whoever clicks the Amazon Pay button and walks the hosted pages. The steps
//! talk to [`HostedPages`] only in the buyer's terms (click the button, sign in, choose, 続行,
//! 今すぐ支払う, 変更, 注文を確定する, cancel); [`pages`] implements them for the emulator's pages
//! with either [`Driver`]: plain HTTP ([`direct`]) or Chromium ([`browser`], on the merchant
//! pages of [`shop`]).

pub mod browser;
pub mod direct;
pub mod pages;
pub mod shop;

use std::fmt;
use std::str::FromStr;
use std::time::SystemTime;

use async_trait::async_trait;
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

/// Which 変更 button on the review page (what `bindChangeAction` opens).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Address,
    Payment,
}

/// The button that ends the buyer's part on the hosted page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Submit {
    /// 続行: back to the merchant's review page.
    Continue,
    /// 今すぐ支払う (APB): the payment is made and the buyer goes to the result page.
    PayNow,
}

/// What a hosted page shows that a scenario checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    /// The amount to be charged (APB).
    Amount,
    /// The address the merchant collected itself and passed as `addressDetails` (APB).
    MerchantAddress,
    /// How often a recurring charge is made (`recurringMetadata.frequency`).
    RecurringFrequency,
}

/// A card as the buyer tells it apart on the page: its last four digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardSuffix(String);

impl CardSuffix {
    pub fn digits(&self) -> &str {
        &self.0
    }
}

impl FromStr for CardSuffix {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.len() == 4 && s.chars().all(|c| c.is_ascii_digit()) {
            Ok(CardSuffix(s.to_owned()))
        } else {
            Err(format!("`{s}` is not the last four digits of a card"))
        }
    }
}

impl fmt::Display for CardSuffix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "…{}", self.0)
    }
}

/// The buyer's role: page objects for everything the buyer does on (and around) Amazon Pay's
/// hosted pages, in the buyer's terms. Steps speak only to this; which pages (the emulator's,
/// later Amazon's own) and which driver (plain HTTP, Chromium) are the implementation's business.
#[async_trait(?Send)]
pub trait HostedPages: fmt::Debug {
    /// Clicks the Amazon Pay button on the merchant's `cart`, which carries `button`.
    async fn click_amazon_pay_button(&mut self, button: &ButtonClick, cart: &Url) -> anyhow::Result<Landing>;

    async fn sign_in(&mut self, email: &str, password: &str) -> anyhow::Result<Landing>;

    /// Picks the `n`-th (0-based) of the buyer's addresses; sent with the next [`Self::press`].
    async fn choose_address(&mut self, n: usize) -> anyhow::Result<()>;

    /// Picks a card; sent with the next [`Self::press`].
    async fn choose_card(&mut self, card: &CardSuffix) -> anyhow::Result<()>;

    /// Whether the page offers this button.
    async fn offers(&mut self, button: Submit) -> bool;

    async fn press(&mut self, button: Submit) -> anyhow::Result<Landing>;

    /// キャンセル on the hosted page: back to the merchant's `checkoutCancelUrl`.
    async fn cancel(&mut self) -> anyhow::Result<Landing>;

    /// 変更 on the merchant's review page for `session_id` (what `bindChangeAction` opens).
    async fn change(&mut self, what: Change, session_id: &str) -> anyhow::Result<Landing>;

    /// 注文を確定する on the merchant's review page, which leads to `redirect`
    /// (`amazonPayRedirectUrl`).
    async fn place_order(&mut self, redirect: &Url) -> anyhow::Result<Landing>;

    /// The text the current page shows for `what`, if it shows it.
    async fn shown(&mut self, what: Shown) -> Option<String>;

    /// Pages seen since the last call, for the report.
    fn take_seen(&mut self) -> Vec<SeenAt>;

    /// Ends the buyer's part (a browser session goes back to its pool).
    async fn release(&mut self);
}

/// How the pages are walked. Drivers take CSS selectors and know forms and links, never what a
/// page means; the page objects of [`pages`] give the selectors their meaning.
#[derive(Debug)]
pub enum Driver {
    Direct(direct::DirectDriver),
    Browser(browser::BrowserDriver),
}

impl Driver {
    /// Opens a URL and follows where it leads.
    pub async fn open(&mut self, url: &Url) -> anyhow::Result<Landing> {
        match self {
            Driver::Direct(d) => d.open(url).await,
            Driver::Browser(b) => b.open(url).await,
        }
    }

    /// Types `text` into the input `css` (sent with the next submitting [`Self::click`]).
    pub async fn fill(&mut self, css: &str, text: &str) -> anyhow::Result<()> {
        match self {
            Driver::Direct(d) => d.fill(css, text),
            Driver::Browser(b) => b.fill(css, text).await,
        }
    }

    /// Checks the radio button `css`.
    pub async fn check(&mut self, css: &str) -> anyhow::Result<()> {
        match self {
            Driver::Direct(d) => d.check(css),
            Driver::Browser(b) => b.check(css).await,
        }
    }

    /// Clicks `css`: follows a link, or submits the form a button is in.
    pub async fn click(&mut self, css: &str) -> anyhow::Result<Landing> {
        match self {
            Driver::Direct(d) => d.click(css).await,
            Driver::Browser(b) => b.click(css).await,
        }
    }

    /// The visible text of `css` on the current page, whitespace collapsed.
    pub async fn text(&mut self, css: &str) -> Option<String> {
        match self {
            Driver::Direct(d) => d.text(css),
            Driver::Browser(b) => b.text(css).await,
        }
    }

    /// Whether the current page has an element matching `css`.
    pub async fn sees(&mut self, css: &str) -> bool {
        match self {
            Driver::Direct(d) => d.sees(css),
            Driver::Browser(b) => b.sees(css).await,
        }
    }

    pub fn take_seen(&mut self) -> Vec<SeenAt> {
        match self {
            Driver::Direct(d) => d.take_seen(),
            Driver::Browser(b) => b.take_seen(),
        }
    }

    pub async fn release(&mut self) {
        if let Driver::Browser(b) = self {
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
