//! The direct buyer: plain HTTP on the emulator's hosted pages. It reads each page's HTML and
//! submits its forms exactly as a browser would (the form's `action`, its fields, the checked
//! radio buttons), following redirects until the buyer is back on the merchant's site. It never
//! uses the emulator's control API, so what passes here is what a buyer can actually do.

use std::time::SystemTime;

use anyhow::{anyhow, bail, Context as _};
use reqwest::redirect::Policy;
use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::{ButtonClick, Landing, SeenAt};
use crate::report::{mask, PageSeen};

/// Redirect chains longer than this are a loop, not a checkout.
const MAX_REDIRECTS: usize = 10;

#[derive(Clone, Debug)]
struct Current {
    url: Url,
    html: String,
}

pub struct DirectBuyer {
    http: reqwest::Client,
    /// Amazon Pay's side: `checkout.js` and the hosted pages live here; any other origin is the merchant's.
    amazon: Url,
    current: Option<Current>,
    seen: Vec<SeenAt>,
}

impl std::fmt::Debug for DirectBuyer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectBuyer").field("amazon", &self.amazon.as_str()).finish_non_exhaustive()
    }
}

fn selector(css: &str) -> Selector {
    Selector::parse(css).expect("selectors in this file are valid CSS")
}

fn by_testid(id: &str) -> Selector {
    selector(&format!("[data-testid=\"{id}\"]"))
}

fn form_of(element: ElementRef<'_>) -> Option<ElementRef<'_>> {
    element.ancestors().filter_map(ElementRef::wrap).find(|e| e.value().name() == "form")
}

/// Visible texts by `data-testid`, masked where they name the buyer or an address.
pub(super) fn texts(document: &Html) -> Vec<(String, String)> {
    document
        .select(&selector("[data-testid]"))
        .filter(|e| !matches!(e.value().name(), "input" | "form" | "main"))
        // The emulator's list of test accounts is a hint for people, not something the buyer saw of the order.
        .filter(|e| e.value().attr("data-testid") != Some("test-buyers"))
        .filter_map(|e| {
            let id = e.value().attr("data-testid")?.to_owned();
            let text = e.text().collect::<Vec<_>>().join(" ").split_whitespace().collect::<Vec<_>>().join(" ");
            if text.is_empty() {
                return None;
            }
            let text = match id.as_str() {
                "buyer-name" | "merchant-address" => mask::text(&text),
                _ => text,
            };
            Some((id, text))
        })
        .collect()
}

/// The URL as the report shows it: a `buyerToken` identifies the buyer, so its value is masked.
pub(super) fn shown_url(url: &Url) -> String {
    let mut shown = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "buyerToken" { mask::text(&v) } else { v.into_owned() };
            (k.into_owned(), v)
        })
        .collect();
    if !pairs.is_empty() {
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.to_string()
}

impl DirectBuyer {
    /// `amazon` is the base URL of the emulator's hosted pages.
    pub fn new(amazon: Url) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(Policy::none())
            .danger_accept_invalid_certs(true)
            .build()
            .context("cannot build the buyer's HTTP client")?;
        Ok(DirectBuyer { http, amazon, current: None, seen: Vec::new() })
    }

    /// Pages seen since the last call.
    pub fn take_seen(&mut self) -> Vec<SeenAt> {
        std::mem::take(&mut self.seen)
    }

    fn is_amazon(&self, url: &Url) -> bool {
        url.origin() == self.amazon.origin()
    }

    /// Clicks the Amazon Pay button: posts what `checkout.js` posts, then follows the redirects.
    pub async fn click_button(&mut self, click: &ButtonClick) -> anyhow::Result<Landing> {
        let url = self.amazon.join("/hosted/button")?;
        let fields = vec![
            ("payloadJSON".to_owned(), click.payload_json.clone()),
            ("signature".to_owned(), click.signature.clone()),
            ("publicKeyId".to_owned(), click.public_key_id.clone()),
            ("algorithm".to_owned(), click.algorithm.clone()),
            ("productType".to_owned(), click.product_type.clone()),
        ];
        self.submit(url, &fields).await
    }

    /// Opens a URL, e.g. `amazonPayRedirectUrl` or a change link, and follows the redirects.
    pub async fn open(&mut self, url: &Url) -> anyhow::Result<Landing> {
        let response = self.http.get(url.clone()).send().await.with_context(|| format!("GET {url}"))?;
        self.arrive(url.clone(), response).await
    }

    async fn submit(&mut self, url: Url, fields: &[(String, String)]) -> anyhow::Result<Landing> {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let response = self
            .http
            .post(url.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .with_context(|| format!("POST {url}"))?;
        self.arrive(url, response).await
    }

    async fn arrive(&mut self, mut url: Url, mut response: reqwest::Response) -> anyhow::Result<Landing> {
        for _ in 0..MAX_REDIRECTS {
            if !response.status().is_redirection() {
                let status = response.status().as_u16();
                let html = response.text().await.with_context(|| format!("reading {url}"))?;
                self.show(&url, html);
                return Ok(Landing::Hosted { url, status });
            }
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| anyhow!("redirect from {url} without a Location"))?;
            url = url.join(location).with_context(|| format!("bad Location {location}"))?;
            if !self.is_amazon(&url) {
                self.current = None;
                return Ok(Landing::Merchant(url));
            }
            response = self.http.get(url.clone()).send().await.with_context(|| format!("GET {url}"))?;
        }
        bail!("more than {MAX_REDIRECTS} redirects from {url}")
    }

    fn show(&mut self, url: &Url, html: String) {
        let document = Html::parse_document(&html);
        let title = document.select(&selector("title")).next().map(|t| t.text().collect()).unwrap_or_default();
        self.seen.push(SeenAt {
            at: SystemTime::now(),
            page: PageSeen { url: shown_url(url), title, texts: texts(&document), screenshot: None },
        });
        self.current = Some(Current { url: url.clone(), html });
    }

    fn current(&self) -> anyhow::Result<&Current> {
        self.current.as_ref().ok_or_else(|| anyhow!("the buyer is not on an Amazon Pay page"))
    }

    /// The visible text of the element with this `data-testid` on the current page.
    pub fn text(&self, testid: &str) -> Option<String> {
        let current = self.current.as_ref()?;
        let document = Html::parse_document(&current.html);
        let text = document.select(&by_testid(testid)).next()?.text().collect::<Vec<_>>().join(" ");
        Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    /// Whether the current page shows an element with this `data-testid`.
    pub fn sees(&self, testid: &str) -> bool {
        self.current.as_ref().is_some_and(|c| Html::parse_document(&c.html).select(&by_testid(testid)).next().is_some())
    }

    /// Fills the inputs named by `data-testid` and submits the form of the `submit` control,
    /// with the form's other fields as the page set them (checked radios, hidden inputs).
    async fn fill_and_submit(
        &mut self,
        filled: &[(&str, &str)],
        choose: &[&str],
        submit: &str,
    ) -> anyhow::Result<Landing> {
        let current = self.current()?.clone();
        let (action, fields) = {
            let document = Html::parse_document(&current.html);
            let button = document
                .select(&by_testid(submit))
                .next()
                .ok_or_else(|| anyhow!("no `{submit}` control on {}", current.url))?;
            let form = form_of(button).ok_or_else(|| anyhow!("`{submit}` is not in a form"))?;
            let action = current.url.join(form.value().attr("action").unwrap_or(""))?;
            // Radios chosen by test id replace the checked one of the same name.
            let mut chosen: Vec<(String, String)> = Vec::new();
            for id in choose {
                let input =
                    document.select(&by_testid(id)).next().ok_or_else(|| anyhow!("no `{id}` choice on the page"))?;
                let name = input.value().attr("name").unwrap_or_default().to_owned();
                chosen.push((name, input.value().attr("value").unwrap_or_default().to_owned()));
            }
            let mut fields = Vec::new();
            for input in form.select(&selector("input")) {
                let element = input.value();
                let Some(name) = element.attr("name") else { continue };
                let testid = element.attr("data-testid").unwrap_or_default();
                if let Some((_, value)) = filled.iter().find(|(id, _)| *id == testid) {
                    fields.push((name.to_owned(), (*value).to_owned()));
                } else if element.attr("type") == Some("radio") {
                    if chosen.iter().any(|(n, _)| n == name) {
                        continue;
                    }
                    if element.attr("checked").is_some() {
                        fields.push((name.to_owned(), element.attr("value").unwrap_or("on").to_owned()));
                    }
                } else {
                    fields.push((name.to_owned(), element.attr("value").unwrap_or_default().to_owned()));
                }
            }
            fields.extend(chosen);
            (action, fields)
        };
        self.submit(action, &fields).await
    }

    /// Signs in on the hosted sign-in page.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> anyhow::Result<Landing> {
        self.fill_and_submit(&[("signin-email", email), ("signin-password", password)], &[], "signin-submit").await
    }

    /// Chooses an address (index, PayAndShip only) and a card (last four digits), then presses
    /// 続行 (`continue`) or 今すぐ支払う (`pay-now`), whichever the page offers.
    pub async fn choose_and_submit(&mut self, address: Option<usize>, card: Option<&str>) -> anyhow::Result<Landing> {
        let mut choose = Vec::new();
        let address = address.map(|a| format!("address-{a}"));
        let card = card.map(|c| format!("card-{c}"));
        choose.extend(address.as_deref());
        choose.extend(card.as_deref());
        let submit = if self.sees("pay-now") { "pay-now" } else { "continue" };
        self.fill_and_submit(&[], &choose, submit).await
    }

    /// Follows the link with this `data-testid`, e.g. the cancel link.
    pub async fn follow_link(&mut self, testid: &str) -> anyhow::Result<Landing> {
        let current = self.current()?.clone();
        let href = {
            let document = Html::parse_document(&current.html);
            let link = document.select(&by_testid(testid)).next().ok_or_else(|| anyhow!("no `{testid}` link"))?;
            link.value().attr("href").ok_or_else(|| anyhow!("`{testid}` has no href"))?.to_owned()
        };
        let url = current.url.join(&href)?;
        self.open(&url).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_texts_mask_the_buyer_and_keep_the_amount() {
        let html = r#"<main data-testid="page-choose"><p data-testid="buyer-name">山田 太郎 様</p>
            <p data-testid="amount">¥10000</p><input data-testid="card-1111" name="card" value="0"></main>"#;
        let texts = texts(&Html::parse_document(html));
        assert_eq!(texts, vec![("buyer-name".into(), "山***".into()), ("amount".into(), "¥10000".into())]);
    }

    #[test]
    fn buyer_tokens_in_urls_are_masked() {
        let url = Url::parse("https://shop.example/signin?buyerToken=SECRETTOKEN&x=1").unwrap();
        let shown = shown_url(&url);
        assert!(!shown.contains("SECRETTOKEN") && shown.contains("x=1"), "{shown}");
    }
}
