//! Page objects: what each buyer action means on a given set of pages, as CSS selectors and
//! URLs. Everything the harness knows about the pages' markup is in the tables below — one for
//! the emulator's hosted pages ([`EMULATOR`]), one for the harness's own merchant pages
//! ([`SHOP`]), and how both mark what the report may show ([`RECORDING`]) — so Amazon's real
//! hosted pages can be added as a second [`HostedTable`] without touching a step or a driver.

use std::sync::Arc;

use async_trait::async_trait;
use scraper::{Html, Selector};
use url::Url;

use super::browser::{Browser, BrowserDriver};
use super::direct::DirectDriver;
use super::{ButtonClick, CardSuffix, Change, Driver, HostedPages, Landing, SeenAt, Shown, Submit};
use crate::report::mask;

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

/// How a page the buyer saw is written down for the report, by the pages' own markup.
#[derive(Debug)]
pub struct Recording {
    /// The attribute that labels what a page shows; each labelled element's text is recorded
    /// under its label.
    pub label: &'static str,
    /// Labels of hints for people (the emulator's list of test accounts), not of the order.
    pub skipped: &'static [&'static str],
    /// The buyer's personal data (name, addresses): blurred in screenshots, masked in texts.
    pub personal_data: &'static str,
}

/// The emulator's hosted pages and the harness's merchant pages mark both alike.
pub const RECORDING: Recording =
    Recording { label: "data-testid", skipped: &["test-buyers"], personal_data: "[data-pii]" };

impl Recording {
    /// The visible texts of a page by label, masked where they are the buyer's personal data.
    pub fn texts(&self, document: &Html) -> Vec<(String, String)> {
        let labelled = Selector::parse(&format!("[{}]", self.label)).expect("an attribute selector");
        let personal = Selector::parse(self.personal_data).expect("the table's selector is valid CSS");
        document
            .select(&labelled)
            .filter(|e| !matches!(e.value().name(), "input" | "form" | "main"))
            .filter_map(|e| {
                let label = e.value().attr(self.label)?.to_owned();
                if self.skipped.contains(&label.as_str()) {
                    return None;
                }
                let text = e.text().collect::<Vec<_>>().join(" ").split_whitespace().collect::<Vec<_>>().join(" ");
                if text.is_empty() {
                    return None;
                }
                let text = if personal.matches(&e) { mask::text(&text) } else { text };
                Some((label, text))
            })
            .collect()
    }
}

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
    /// Over plain HTTP; `hosted` is the hosted pages' base URL.
    pub fn direct(hosted: Url) -> anyhow::Result<Self> {
        let driver = Driver::Direct(DirectDriver::new(hosted.clone(), &RECORDING)?);
        Ok(EmulatorPages { driver, hosted, table: &EMULATOR })
    }

    /// In Chromium, from the pool's sessions.
    pub fn browser(pool: Arc<Browser>, hosted: Url) -> Self {
        let driver = Driver::Browser(BrowserDriver::new(pool, hosted.clone(), &RECORDING));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_texts_mask_the_buyer_and_keep_the_amount() {
        let html = r#"<main data-testid="page-choose"><p data-testid="buyer-name" data-pii>山田 太郎 様</p>
            <ul data-testid="test-buyers" data-pii><li>taro@example.jp</li></ul>
            <p data-testid="amount">¥10000</p><input data-testid="card-1111" name="card" value="0"></main>"#;
        let texts = RECORDING.texts(&Html::parse_document(html));
        assert_eq!(texts, vec![("buyer-name".into(), "山***".into()), ("amount".into(), "¥10000".into())]);
    }

    /// The merchant's review page shows the buyer's address too (`shop.html`): it is masked like
    /// the hosted pages' personal data, not only blurred in the screenshot.
    #[test]
    fn the_merchant_pages_address_is_masked() {
        let html = r#"<dd data-testid="shop-address" data-pii>〒153-0064 東京都目黒区 山田 太郎</dd>"#;
        let texts = RECORDING.texts(&Html::parse_document(html));
        assert_eq!(texts.len(), 1);
        assert!(!texts[0].1.contains("目黒区") && !texts[0].1.contains("太郎"), "{texts:?}");
    }
}
