//! The direct driver: plain HTTP on the emulator's hosted pages. It reads each page's HTML and
//! submits its forms exactly as a browser would (the form's `action`, its fields, the checked
//! radio buttons), following redirects until the buyer is back on the merchant's site. It never
//! uses the emulator's control API, so what passes here is what a buyer can actually do. It
//! takes CSS selectors; what they mean is for the page objects (`super::pages`).

use std::time::SystemTime;

use anyhow::{anyhow, bail, Context as _};
use reqwest::redirect::Policy;
use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::pages::Recording;
use super::{Landing, SeenAt};
use crate::report::{mask, PageSeen};

/// Redirect chains longer than this are a loop, not a checkout.
const MAX_REDIRECTS: usize = 10;

#[derive(Clone, Debug)]
struct Current {
    url: Url,
    html: String,
}

pub struct DirectDriver {
    http: reqwest::Client,
    /// Amazon Pay's side: `checkout.js` and the hosted pages live here; any other origin is the merchant's.
    amazon: Url,
    /// How the pages' markup says what to write down for the report.
    recording: &'static Recording,
    current: Option<Current>,
    /// Inputs typed into (selector, text) and radio buttons checked (selector) on the current
    /// page, sent with the next form submission.
    filled: Vec<(String, String)>,
    checked: Vec<String>,
    seen: Vec<SeenAt>,
}

impl std::fmt::Debug for DirectDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectDriver").field("amazon", &self.amazon.as_str()).finish_non_exhaustive()
    }
}

fn selector(css: &str) -> Selector {
    Selector::parse(css).expect("selectors in this file are valid CSS")
}

/// A selector from the page objects' tables.
fn parse(css: &str) -> anyhow::Result<Selector> {
    Selector::parse(css).map_err(|e| anyhow!("`{css}` is not a valid CSS selector: {e}"))
}

fn form_of(element: ElementRef<'_>) -> Option<ElementRef<'_>> {
    element.ancestors().filter_map(ElementRef::wrap).find(|e| e.value().name() == "form")
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

impl DirectDriver {
    /// `amazon` is the base URL of the emulator's hosted pages.
    pub fn new(amazon: Url, recording: &'static Recording) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(Policy::none())
            .danger_accept_invalid_certs(true)
            .build()
            .context("cannot build the buyer's HTTP client")?;
        Ok(DirectDriver {
            http,
            amazon,
            recording,
            current: None,
            filled: Vec::new(),
            checked: Vec::new(),
            seen: Vec::new(),
        })
    }

    /// Pages seen since the last call.
    pub fn take_seen(&mut self) -> Vec<SeenAt> {
        std::mem::take(&mut self.seen)
    }

    fn is_amazon(&self, url: &Url) -> bool {
        url.origin() == self.amazon.origin()
    }

    /// Posts a form as a page's script would (what `checkout.js` posts for the button), then
    /// follows the redirects.
    pub async fn post_form(&mut self, url: &Url, fields: &[(&str, &str)]) -> anyhow::Result<Landing> {
        let fields: Vec<(String, String)> = fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        self.submit(url.clone(), &fields).await
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
                self.filled.clear();
                self.checked.clear();
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
            page: PageSeen { url: shown_url(url), title, texts: self.recording.texts(&document), screenshot: None },
        });
        self.current = Some(Current { url: url.clone(), html });
        self.filled.clear();
        self.checked.clear();
    }

    fn current(&self) -> anyhow::Result<&Current> {
        self.current.as_ref().ok_or_else(|| anyhow!("the buyer is not on an Amazon Pay page"))
    }

    /// The visible text of the first element matching `css` on the current page.
    pub fn text(&self, css: &str) -> Option<String> {
        let current = self.current.as_ref()?;
        let document = Html::parse_document(&current.html);
        let text = document.select(&parse(css).ok()?).next()?.text().collect::<Vec<_>>().join(" ");
        Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    /// Whether the current page has an element matching `css`.
    pub fn sees(&self, css: &str) -> bool {
        let Ok(selector) = parse(css) else { return false };
        self.current.as_ref().is_some_and(|c| Html::parse_document(&c.html).select(&selector).next().is_some())
    }

    fn require(&self, css: &str, what: &str) -> anyhow::Result<()> {
        let url = &self.current()?.url;
        if !self.sees(css) {
            bail!("no {what} `{css}` on {url}");
        }
        Ok(())
    }

    /// Types `text` into the input `css`; sent with the next form submission.
    pub fn fill(&mut self, css: &str, text: &str) -> anyhow::Result<()> {
        self.require(css, "input")?;
        self.filled.push((css.to_owned(), text.to_owned()));
        Ok(())
    }

    /// Checks the radio button `css`; sent with the next form submission.
    pub fn check(&mut self, css: &str) -> anyhow::Result<()> {
        self.require(css, "choice")?;
        self.checked.push(css.to_owned());
        Ok(())
    }

    /// Clicks `css`: follows a link's `href`, or submits the form the control is in with the
    /// form's fields as the page set them (hidden inputs, checked radios), what was typed, and
    /// the radios checked since the page loaded.
    pub async fn click(&mut self, css: &str) -> anyhow::Result<Landing> {
        let current = self.current()?.clone();
        let (action, fields) = {
            let document = Html::parse_document(&current.html);
            let control =
                document.select(&parse(css)?).next().ok_or_else(|| anyhow!("no `{css}` on {}", current.url))?;
            if let Some(href) = control.value().attr("href") {
                (current.url.join(href)?, None)
            } else {
                let form = form_of(control).ok_or_else(|| anyhow!("`{css}` is neither a link nor in a form"))?;
                let action = current.url.join(form.value().attr("action").unwrap_or(""))?;
                let matching =
                    |css: &str| -> anyhow::Result<Vec<ElementRef<'_>>> { Ok(document.select(&parse(css)?).collect()) };
                let mut typed = Vec::new();
                for (css, text) in &self.filled {
                    typed.extend(matching(css)?.into_iter().map(|e| (e.id(), text.clone())));
                }
                // A checked radio replaces the page's checked one of the same name.
                let mut chosen: Vec<(String, String)> = Vec::new();
                for css in &self.checked {
                    for input in matching(css)? {
                        let name = input.value().attr("name").unwrap_or_default().to_owned();
                        chosen.retain(|(n, _)| *n != name);
                        chosen.push((name, input.value().attr("value").unwrap_or("on").to_owned()));
                    }
                }
                let mut fields = Vec::new();
                for input in form.select(&selector("input")) {
                    let element = input.value();
                    let Some(name) = element.attr("name") else { continue };
                    if let Some((_, text)) = typed.iter().find(|(id, _)| *id == input.id()) {
                        fields.push((name.to_owned(), text.clone()));
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
                (action, Some(fields))
            }
        };
        match fields {
            Some(fields) => self.submit(action, &fields).await,
            None => self.open(&action).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buyer_tokens_in_urls_are_masked() {
        let url = Url::parse("https://shop.example/signin?buyerToken=SECRETTOKEN&x=1").unwrap();
        let shown = shown_url(&url);
        assert!(!shown.contains("SECRETTOKEN") && shown.contains("x=1"), "{shown}");
    }
}
