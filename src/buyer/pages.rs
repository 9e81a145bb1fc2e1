//! Page objects: what each buyer action means on a given set of pages, as CSS selectors and
//! URLs. Everything the harness knows about the pages' markup is in the tables below — one for
//! the emulator's hosted pages ([`EMULATOR`]), one for the harness's own merchant pages
//! ([`SHOP`]) — so Amazon's real hosted pages can be added as a second [`HostedTable`] without
//! touching a step or a driver.

use async_trait::async_trait;
use url::Url;

use super::{ButtonClick, CardSuffix, Change, Driver, HostedPages, Landing, SeenAt, Shown, Submit};

/// The hosted pages' selectors and URLs.
#[derive(Debug)]
pub struct HostedTable {
    /// The Amazon Pay button `checkout.js` renders on the merchant's cart.
    pub amazon_pay_button: &'static str,
    /// Where `checkout.js` posts the signed payload when the button is clicked (relative to the
    /// hosted pages' base).
    pub button_action: &'static str,
    pub signin_email: &'static str,
    pub signin_password: &'static str,
    pub signin_submit: &'static str,
    /// The `n`-th (0-based) address's radio button.
    pub address: fn(usize) -> String,
    /// The radio button of the card ending in these digits.
    pub card: fn(&str) -> String,
    pub continue_button: &'static str,
    pub pay_now: &'static str,
    pub cancel: &'static str,
    pub amount: &'static str,
    pub merchant_address: &'static str,
    pub recurring_frequency: &'static str,
    /// Where `bindChangeAction` sends the buyer: the session's page with `changeAction`.
    pub change: fn(&Url, &str, Change) -> anyhow::Result<Url>,
}

/// The emulator's hosted pages (`src/emulator/hosted/page.html`, `checkout.js`).
pub const EMULATOR: HostedTable = HostedTable {
    amazon_pay_button: r#"[data-testid="amazon-pay-button"]"#,
    button_action: "/hosted/button",
    signin_email: r#"[data-testid="signin-email"]"#,
    signin_password: r#"[data-testid="signin-password"]"#,
    signin_submit: r#"[data-testid="signin-submit"]"#,
    address: |n| format!(r#"[data-testid="address-{n}"]"#),
    card: |digits| format!(r#"[data-testid="card-{digits}"]"#),
    continue_button: r#"[data-testid="continue"]"#,
    pay_now: r#"[data-testid="pay-now"]"#,
    cancel: r#"[data-testid="cancel-link"]"#,
    amount: r#"[data-testid="amount"]"#,
    merchant_address: r#"[data-testid="merchant-address"]"#,
    recurring_frequency: r#"[data-testid="recurring-frequency"]"#,
    change: |hosted, session_id, what| {
        let mut url = hosted.join(&format!("/hosted/checkout-sessions/{session_id}"))?;
        let action = match what {
            Change::Address => "changeAddress",
            Change::Payment => "changePayment",
        };
        url.query_pairs_mut().append_pair("changeAction", action);
        Ok(url)
    },
};

/// The harness's merchant pages (`shop.html`) that the browser walks around the hosted pages.
#[derive(Debug)]
pub struct ShopTable {
    pub change_address: &'static str,
    pub change_payment: &'static str,
    pub place_order: &'static str,
}

pub const SHOP: ShopTable = ShopTable {
    change_address: r#"[data-testid="change-address"]"#,
    change_payment: r#"[data-testid="change-payment"]"#,
    place_order: r#"[data-testid="place-order"]"#,
};

/// The emulator's hosted pages, walked by either driver. The direct driver has no merchant
/// pages, so it does what they would make a browser do: post what `checkout.js` posts, open
/// what `bindChangeAction` and the 注文を確定する link open.
#[derive(Debug)]
pub struct EmulatorPages {
    driver: Driver,
    /// The hosted pages' base URL.
    hosted: Url,
    table: &'static HostedTable,
}

impl EmulatorPages {
    pub fn new(driver: Driver, hosted: Url) -> Self {
        EmulatorPages { driver, hosted, table: &EMULATOR }
    }

    fn submit_selector(&self, button: Submit) -> &'static str {
        match button {
            Submit::Continue => self.table.continue_button,
            Submit::PayNow => self.table.pay_now,
        }
    }
}

#[async_trait(?Send)]
impl HostedPages for EmulatorPages {
    async fn click_amazon_pay_button(&mut self, button: &ButtonClick, cart: &Url) -> anyhow::Result<Landing> {
        match &mut self.driver {
            Driver::Direct(direct) => {
                let fields = [
                    ("payloadJSON", button.payload_json.as_str()),
                    ("signature", &button.signature),
                    ("publicKeyId", &button.public_key_id),
                    ("algorithm", &button.algorithm),
                    ("productType", &button.product_type),
                ];
                direct.post_form(&self.hosted.join(self.table.button_action)?, &fields).await
            }
            Driver::Browser(browser) => {
                browser.open(cart).await?;
                browser.wait_for(self.table.amazon_pay_button).await.map_err(|e| {
                    e.context("the cart page shows no Amazon Pay button: checkout.js did not render it")
                })?;
                browser.click(self.table.amazon_pay_button).await
            }
        }
    }

    async fn sign_in(&mut self, email: &str, password: &str) -> anyhow::Result<Landing> {
        self.driver.fill(self.table.signin_email, email).await?;
        self.driver.fill(self.table.signin_password, password).await?;
        self.driver.click(self.table.signin_submit).await
    }

    async fn choose_address(&mut self, n: usize) -> anyhow::Result<()> {
        self.driver.check(&(self.table.address)(n)).await
    }

    async fn choose_card(&mut self, card: &CardSuffix) -> anyhow::Result<()> {
        self.driver.check(&(self.table.card)(card.digits())).await
    }

    async fn offers(&mut self, button: Submit) -> bool {
        let css = self.submit_selector(button);
        self.driver.sees(css).await
    }

    async fn press(&mut self, button: Submit) -> anyhow::Result<Landing> {
        let css = self.submit_selector(button);
        self.driver.click(css).await
    }

    async fn cancel(&mut self) -> anyhow::Result<Landing> {
        self.driver.click(self.table.cancel).await
    }

    async fn change(&mut self, what: Change, session_id: &str) -> anyhow::Result<Landing> {
        match &mut self.driver {
            Driver::Direct(direct) => direct.open(&(self.table.change)(&self.hosted, session_id, what)?).await,
            Driver::Browser(browser) => {
                let css = match what {
                    Change::Address => SHOP.change_address,
                    Change::Payment => SHOP.change_payment,
                };
                browser.click(css).await
            }
        }
    }

    async fn place_order(&mut self, redirect: &Url) -> anyhow::Result<Landing> {
        match &mut self.driver {
            Driver::Direct(direct) => direct.open(redirect).await,
            Driver::Browser(browser) => {
                // The review page was rendered before Update: reloaded, it links to `redirect`.
                browser.reload().await?;
                browser.click(SHOP.place_order).await
            }
        }
    }

    async fn shown(&mut self, what: Shown) -> Option<String> {
        let css = match what {
            Shown::Amount => self.table.amount,
            Shown::MerchantAddress => self.table.merchant_address,
            Shown::RecurringFrequency => self.table.recurring_frequency,
        };
        self.driver.text(css).await
    }

    fn take_seen(&mut self) -> Vec<SeenAt> {
        self.driver.take_seen()
    }

    async fn release(&mut self) {
        self.driver.release().await;
    }
}
