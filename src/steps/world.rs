//! One World per scenario: the merchant (a fresh tenant) and the buyer's hosted pages — the
//! roles the steps speak to — and what the scenario has created so far. Our own merchant client
//! records every call, so the report can show it.

use std::io::Write as _;
use std::sync::Arc;

use anyhow::{anyhow, Context as _};
use url::Url;

use super::params::{Attempt, Elapsed, MerchantPage};
use super::Need;
use crate::buyer::pages::EmulatorPages;
use crate::buyer::{ButtonClick, HostedPages, Landing, SeenAt};
use crate::client::{ApiError, CallLog, Client, ClientError, Reply};
use crate::evidence::{Event, Exchange};
use crate::merchant::Merchant;
use crate::model::*;
use crate::runner::target::Target;
use crate::signing::Algorithm;

/// What the merchant is selling and how (set by the `前提` steps, used to build the button's payload).
#[derive(Clone, Debug, Default)]
pub struct Cart {
    pub amount: Option<Price>,
    pub product_type: ProductType,
    pub kind: ChargePermissionType,
    pub recurring: Option<RecurringMetadata>,
    pub setup_only: bool,
    pub can_handle_pending: bool,
    pub extend_expiration: bool,
    /// 今すぐ支払う (APB): the payment intent given on the button.
    pub apb_intent: Option<PaymentIntent>,
}

/// The amounts the merchant set with Update Checkout Session; Complete must repeat them.
#[derive(Clone, Debug)]
pub struct Confirmed {
    pub charge_amount: Option<Price>,
    pub total_order_amount: Option<Price>,
}

/// The result of the last attempted call: its HTTP status, or the error it returned.
#[derive(Clone, Debug)]
pub enum Outcome {
    Success(u16),
    Failure(ApiError),
}

/// What a scenario leaves for the report.
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    /// What Amazon Pay received: the emulator's own record of the scenario's merchant, or, on the
    /// real sandbox, our client's log.
    pub exchanges: Vec<Exchange>,
    /// The emulator's events for the scenario's merchant; `None` on the real sandbox, where the
    /// report shows the states the responses showed instead.
    pub events: Option<Vec<Event>>,
    pub pages: Vec<SeenAt>,
}

#[derive(Debug, Default, cucumber::World)]
pub struct ConformanceWorld {
    target: Option<Arc<Target>>,
    /// `01_onetime.feature:12`, for progress lines printed while the scenario runs; `None` with
    /// `--quiet`.
    label: Option<String>,
    merchant: Option<Box<dyn Merchant>>,
    pages: Option<Box<dyn HostedPages>>,
    /// The merchant's site: its review, result and cancel pages.
    merchant_site: Option<Url>,
    log: CallLog,
    pub cart: Cart,
    pub confirmed: Option<Confirmed>,
    pub session_id: Option<String>,
    pub session: Option<CheckoutSession>,
    pub landing: Option<Landing>,
    pub permission_id: Option<String>,
    pub charges: Vec<String>,
    pub refunds: Vec<String>,
    pub outcome: Option<Outcome>,
    /// On the sandbox, how long the last 「…が経過する」 asked to wait: the next check waits for it.
    wait: Option<std::time::Duration>,
    /// The idempotency key and body of the last Create Checkout Session, for replays (K-2).
    pub sent: Option<(String, CreateCheckoutSessionRequest)>,
}

impl ConformanceWorld {
    /// Called by the runner before the first step.
    pub fn attach(&mut self, target: Arc<Target>, label: Option<String>) {
        self.target = Some(target);
        self.label = label;
    }

    /// Called by the runner after the last step.
    pub fn take_evidence(&mut self) -> Evidence {
        Evidence {
            exchanges: self.log.take(),
            events: None,
            pages: self.pages.as_mut().map(|p| p.take_seen()).unwrap_or_default(),
        }
    }

    /// Called by the runner after the last step: the browser session goes back to the pool and
    /// the merchant's store closes.
    pub async fn finish(&mut self) {
        if let Some(pages) = self.pages.as_mut() {
            pages.release().await;
        }
        if let (Some(target), Some(site)) = (&self.target, &self.merchant_site) {
            if let Some((_, shop)) = &target.browser {
                shop.close_store(site);
            }
        }
    }

    /// The public key id of the scenario's merchant, once registered: the emulator keeps its
    /// record of the scenario under it.
    pub fn merchant_key_id(&self) -> Option<String> {
        self.merchant.as_ref().map(|m| m.public_key_id().to_owned())
    }

    fn target(&self) -> anyhow::Result<&Arc<Target>> {
        self.target.as_ref().ok_or_else(|| anyhow!("the runner attached no target"))
    }

    /// Registers this scenario's merchant (its own emulator tenant) and opens its pages for the
    /// buyer.
    pub async fn register_merchant(&mut self, algorithm: Algorithm) -> anyhow::Result<()> {
        let target = self.target()?.clone();
        let mut merchant = target.new_merchant(algorithm).await?;
        merchant.client = merchant.client.recording(self.log.clone());
        // Amazon's own pages (no emulator): the buyer steps of such a scenario are not run.
        let hosted = target.hosted.clone().unwrap_or_else(|| target.endpoint.clone());
        let (pages, site) = match &target.browser {
            Some((pool, shop)) => {
                (EmulatorPages::browser(pool.clone(), hosted), shop.open_store(merchant.client.clone()))
            }
            None => (EmulatorPages::direct(hosted)?, target.merchant_site.clone()),
        };
        self.pages = Some(Box::new(pages));
        self.merchant_site = Some(site);
        self.merchant = Some(Box::new(merchant));
        Ok(())
    }

    /// A page of the merchant's site.
    pub fn merchant_url(&self, page: MerchantPage) -> anyhow::Result<Url> {
        let site = self.merchant_site.as_ref().ok_or_else(|| anyhow!("no merchant yet"))?;
        Ok(site.join(page.path())?)
    }

    pub fn merchant(&self) -> anyhow::Result<&dyn Merchant> {
        self.merchant
            .as_deref()
            .ok_or_else(|| anyhow!("no merchant yet: start with 「出品者は Amazon Pay に登録済みである」"))
    }

    /// Our own client, for what only it can do; steps that use it declare [`Need::OwnClient`].
    pub fn own_client(&self) -> anyhow::Result<&Client> {
        self.merchant()?
            .own_client()
            .ok_or_else(|| anyhow!("this step needs {}, but the scenario's merchant is a foreign one", Need::OwnClient))
    }

    /// The buyer's hosted pages.
    pub fn pages(&mut self) -> anyhow::Result<&mut (dyn HostedPages + 'static)> {
        self.pages.as_deref_mut().ok_or_else(|| anyhow!("no buyer yet: the merchant must be registered first"))
    }

    /// Puts the merchant's signed button on its cart page (the browser buyer's shop shows it).
    pub fn show_button(&self, button: &ButtonClick, amount: Option<&Price>) -> anyhow::Result<()> {
        if let (Some((_, shop)), Some(site)) = (&self.target()?.browser, &self.merchant_site) {
            shop.set_button(site, button.clone(), amount.map(|p| p.amount.to_string()));
        }
        Ok(())
    }

    /// The test buyer's e-mail and password.
    pub fn test_buyer(&self) -> anyhow::Result<(String, String)> {
        self.target()?.test_buyer()
    }

    /// Lets time pass: the emulator's clock moves at once; where time is real (the sandbox),
    /// the next check waits for it (see [`Self::eventually`]).
    pub async fn let_time_pass(&mut self, elapsed: Elapsed) -> anyhow::Result<()> {
        if self.target()?.has_clock() {
            self.advance_clock(elapsed.0).await?;
        } else {
            self.wait = Some(elapsed.0.to_std().unwrap_or_default());
        }
        Ok(())
    }

    /// Moves the merchant's clock on the emulator; returns its new "now".
    pub async fn advance_clock(&self, by: chrono::Duration) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
        let key = self.merchant()?.public_key_id().to_owned();
        let now = self.target()?.advance_clock(&key, by).await?;
        let now: Timestamp =
            serde_json::from_value(serde_json::Value::String(now)).context("the emulator's clock answered no time")?;
        Ok(now.0)
    }

    pub fn session_id(&self) -> anyhow::Result<String> {
        self.session_id.clone().ok_or_else(|| anyhow!("no Checkout Session yet"))
    }

    pub fn permission_id(&self) -> anyhow::Result<String> {
        self.permission_id.clone().ok_or_else(|| anyhow!("no Charge Permission yet"))
    }

    /// The charge a step means: the latest, or the n-th (1-based).
    pub fn charge_id(&self, nth: Option<usize>) -> anyhow::Result<String> {
        let found = match nth {
            Some(n) => self.charges.get(n.wrapping_sub(1)),
            None => self.charges.last(),
        };
        found.cloned().ok_or_else(|| anyhow!("no such Charge (the scenario has {} so far)", self.charges.len()))
    }

    /// Keeps the outcome of a call. An error response is kept (and is a step failure unless the
    /// step only `Try`s); no response at all always fails the step.
    pub fn settle<T>(
        &mut self,
        attempt: Attempt,
        what: &str,
        result: Result<Reply<T>, ClientError>,
    ) -> anyhow::Result<Option<T>> {
        match result {
            Ok(reply) => {
                self.outcome = Some(Outcome::Success(reply.status));
                Ok(Some(reply.value))
            }
            Err(ClientError::Api(e)) => {
                self.outcome = Some(Outcome::Failure(e.clone()));
                match attempt {
                    Attempt::Try => Ok(None),
                    Attempt::Must => Err(anyhow!("{what} failed: {e}")),
                }
            }
            Err(e) => Err(anyhow::Error::new(e).context(format!("{what}: no usable response"))),
        }
    }

    /// Keeps the outcome of a raw call (one whose body is deliberately not a typed request).
    pub fn settle_raw(&mut self, raw: &crate::client::RawResponse) {
        self.outcome = Some(match raw.error() {
            Some(e) => Outcome::Failure(e),
            None => Outcome::Success(raw.status),
        });
    }

    /// Runs a check. After 「N 秒が経過する」 on the sandbox, where time cannot be moved, it is
    /// retried with backoff until it holds or the wait plus a minute of grace is over; each
    /// attempt's Get Charge (or Refund, …) is evidence of the polling.
    pub async fn eventually<F>(&mut self, mut check: F) -> anyhow::Result<()>
    where
        F: for<'w> FnMut(&'w mut ConformanceWorld) -> futures::future::LocalBoxFuture<'w, anyhow::Result<()>>,
    {
        use std::time::{Duration, Instant};
        let Some(wait) = self.wait.take() else { return check(self).await };
        let started = Instant::now();
        let budget = wait + Duration::from_secs(60);
        if let Some(label) = &self.label {
            let _ = writeln!(
                std::io::stderr(),
                "        ⏳ {label}: waiting up to {} s for the sandbox's asynchronous outcome",
                budget.as_secs()
            );
        }
        // Nothing arrives before the documented delay; after it, short polls with backoff.
        let mut delay = wait;
        loop {
            match check(self).await {
                Ok(()) => return Ok(()),
                Err(e) if started.elapsed() + delay < budget => {
                    tracing::info!("not yet after {:?}: {e:#}", started.elapsed());
                    tokio::time::sleep(delay).await;
                    delay = if started.elapsed() < wait + Duration::from_secs(2) {
                        Duration::from_secs(2)
                    } else {
                        (delay * 2).min(Duration::from_secs(10))
                    };
                }
                Err(e) => {
                    return Err(e.context(format!("still not so after waiting {} s", started.elapsed().as_secs())))
                }
            }
        }
    }

    /// The error the last attempted call returned.
    pub fn last_error(&self) -> anyhow::Result<&ApiError> {
        match &self.outcome {
            Some(Outcome::Failure(e)) => Ok(e),
            Some(Outcome::Success(status)) => {
                bail!("the last call succeeded (HTTP {status}) but an error was expected")
            }
            None => bail!("no call was made"),
        }
    }

    pub fn last_status(&self) -> anyhow::Result<u16> {
        match &self.outcome {
            Some(Outcome::Success(status)) => Ok(*status),
            Some(Outcome::Failure(e)) => bail!("the last call failed: {e}"),
            None => bail!("no call was made"),
        }
    }

    /// Remembers the objects a Checkout Session points to.
    pub fn saw_session(&mut self, session: CheckoutSession) {
        self.session_id = Some(session.checkout_session_id.clone());
        if let Some(id) = &session.charge_permission_id {
            self.permission_id = Some(id.clone());
        }
        if let Some(id) = &session.charge_id {
            if !self.charges.contains(id) {
                self.charges.push(id.clone());
            }
        }
        self.session = Some(session);
    }

    /// Where the buyer ended up, which must be this page of the merchant's.
    pub fn landed_at(&self, page: MerchantPage) -> anyhow::Result<Url> {
        let landing = self.landing.as_ref().ok_or_else(|| anyhow!("the buyer has not done anything yet"))?;
        let url = landing.merchant_url()?.clone();
        let expected = self.merchant_url(page)?;
        if (url.origin(), url.path()) != (expected.origin(), expected.path()) {
            bail!("the buyer returned to {url}, expected the merchant's {expected}");
        }
        Ok(url)
    }

    /// The session id from the buyer's return URL (`?amazonCheckoutSessionId=…`).
    pub fn session_id_from_landing(&self, page: MerchantPage) -> anyhow::Result<String> {
        let url = self.landed_at(page)?;
        url.query_pairs()
            .find(|(k, _)| k == "amazonCheckoutSessionId")
            .map(|(_, v)| v.into_owned())
            .with_context(|| format!("{url} carries no amazonCheckoutSessionId"))
    }
}
