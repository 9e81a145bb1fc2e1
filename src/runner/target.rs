//! What a run talks to.
//!
//! * **The emulator** (embedded, or at `--endpoint`): each scenario registers its own merchant key
//!   (a tenant), so scenarios run concurrently without seeing each other's objects, and `@clock`
//!   scenarios move only their own tenant's clock.
//! * **The sandbox** (Amazon's, or an emulator started with `serve --sandbox-faithful`): the
//!   configured account is the merchant of every scenario; time cannot be moved, so asynchronous
//!   outcomes are waited for, and what needs the emulator is reported as not run.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::json;
use url::Url;

use crate::buyer::browser::Browser;
use crate::buyer::shop::Shop;
use crate::client::{Client, ClientOptions};
use crate::config::{Config, ConfigError, STORE_ID as STORE_ID_KEY, TEST_BUYER_EMAIL};
use crate::evidence::{Event, Exchange};
use crate::merchant::OwnMerchant;
use crate::pacing::Pacer;
use crate::signing::{Algorithm, PrivateKey, Signer};
use crate::steps::{Need, Needs};

/// The emulator's store id; any value works there, this one has the documented shape.
pub const STORE_ID: &str = "amzn1.application-oa2-client.emulator0000000000000000";

/// Who the merchant is.
enum Identity {
    /// A fresh emulator tenant per scenario, all signing with one key generated for the run.
    Tenants { key_pem: String, public_pem: String, control: reqwest::Client },
    /// The configured sandbox account.
    Account { config: Box<Config>, private_key: Box<PrivateKey>, store_id: String, pacer: Arc<Pacer> },
}

pub struct Target {
    /// API base (the emulator, or the sandbox's host unless `--endpoint` overrides it).
    pub endpoint: Url,
    /// Where `checkout.js` and the hosted pages are, when they are the emulator's (the direct
    /// and browser buyers can only walk those); `None` on Amazon's own sandbox.
    pub hosted: Option<Url>,
    /// The merchant's site for the direct buyer (never fetched): review, result and cancel URLs.
    pub merchant_site: Url,
    /// For the browser buyer: Chromium's session pool and the harness's merchant pages.
    pub browser: Option<(Arc<Browser>, Arc<Shop>)>,
    identity: Identity,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target").field("endpoint", &self.endpoint.as_str()).finish_non_exhaustive()
    }
}

fn merchant_site() -> Url {
    Url::parse("https://shop.example.jp/").expect("a valid URL")
}

impl Target {
    /// The emulator. One fresh RSA key for the whole run: generated, never written anywhere.
    pub fn emulator(endpoint: Url, browser: Option<(Arc<Browser>, Arc<Shop>)>) -> anyhow::Result<Self> {
        let key =
            rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).context("cannot generate the run's RSA key")?;
        let key_pem = key.to_pkcs8_pem(LineEnding::LF).context("cannot encode the run's key")?.to_string();
        let public_pem =
            key.to_public_key().to_public_key_pem(LineEnding::LF).context("cannot encode the run's public key")?;
        let control = reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .timeout(Duration::from_secs(30))
            .build()
            .context("cannot build the control client")?;
        Ok(Target {
            hosted: Some(endpoint.clone()),
            endpoint,
            merchant_site: merchant_site(),
            browser,
            identity: Identity::Tenants { key_pem, public_pem, control },
        })
    }

    /// The configured sandbox account; `config.endpoint` (from `--endpoint`) points at an
    /// emulator playing the sandbox, whose hosted pages the buyers can then walk.
    pub fn sandbox(config: Config, browser: Option<(Arc<Browser>, Arc<Shop>)>) -> Result<Self, ConfigError> {
        config.signer()?;
        let private_key = crate::config::load_private_key(config.private_key.as_ref().expect("checked by signer()"))?;
        let client = config.client(ClientOptions::default())?;
        let store_id = config.store_id.clone().ok_or(ConfigError::Missing {
            key: STORE_ID_KEY,
            hint: "give the store id (amzn1.application-oa2-client.…) of the button's store",
        })?;
        let endpoint = Url::parse(&client.base().url).map_err(|e| ConfigError::Invalid {
            origin: crate::config::Source::Flag("--endpoint"),
            message: e.to_string(),
        })?;
        let hosted = config.endpoint.as_ref().map(|e| {
            let mut base = e.clone();
            base.set_path("/");
            base
        });
        Ok(Target {
            endpoint,
            hosted,
            merchant_site: merchant_site(),
            browser,
            identity: Identity::Account {
                private_key: Box::new(private_key),
                config: Box::new(config),
                store_id,
                pacer: Arc::new(Pacer::sandbox()),
            },
        })
    }

    pub fn is_sandbox(&self) -> bool {
        matches!(self.identity, Identity::Account { .. })
    }

    /// Whether scenarios can move time (the emulator's control API); on the sandbox time is real.
    pub fn has_clock(&self) -> bool {
        matches!(self.identity, Identity::Tenants { .. })
    }

    /// Whether this target (with the merchant and buyer it sets up) gives a scenario `need`, and
    /// if not, why not.
    pub fn provides(&self, need: Need) -> Result<(), &'static str> {
        match need {
            Need::Clock if !self.has_clock() => {
                Err("needs the emulator's clock (more time passes than a real-time run can wait): time cannot be moved on the sandbox")
            }
            Need::Buyer if self.hosted.is_none() => {
                Err("the buyer's part on Amazon's own hosted pages is not automated yet")
            }
            // Every target's merchant is our own client (`new_merchant`).
            Need::Clock | Need::Buyer | Need::OwnClient => Ok(()),
        }
    }

    /// Why a scenario with these needs cannot run here, if it cannot: the first need not provided.
    pub fn cannot_run(&self, needs: &Needs) -> Option<&'static str> {
        needs.iter().find_map(|need| self.provides(*need).err())
    }

    async fn control(&self, path: &str, body: serde_json::Value) -> anyhow::Result<serde_json::Value> {
        let Identity::Tenants { control, .. } = &self.identity else {
            bail!("the sandbox has no control API ({path})");
        };
        let url = self.endpoint.join(path)?;
        let response = control
            .post(url.clone())
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .with_context(|| format!("POST {url}"))?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("the emulator's control API answered {status} to {path}: {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or_default())
    }

    /// This scenario's merchant, signing with `algorithm`: a new tenant on the emulator, the
    /// configured account on the sandbox.
    pub async fn new_merchant(&self, algorithm: Algorithm) -> anyhow::Result<OwnMerchant> {
        match &self.identity {
            Identity::Tenants { key_pem, public_pem, .. } => {
                let public_key_id = format!("SANDBOX-{}", uuid::Uuid::new_v4().simple().to_string().to_uppercase());
                self.control(
                    "/__emulator/merchants",
                    json!({ "publicKeyId": public_key_id, "publicKeyPem": public_pem }),
                )
                .await?;
                let signer = Signer::new(&public_key_id, PrivateKey::from_pem(key_pem)?, algorithm);
                let options = ClientOptions {
                    endpoint: Some(self.endpoint.clone()),
                    // The emulator answers at once; a 500 it returns on purpose need not wait seconds.
                    retry_base_delay: Duration::from_millis(20),
                    ..ClientOptions::default()
                };
                Ok(OwnMerchant { store_id: STORE_ID.to_owned(), client: Client::new(signer, options)? })
            }
            Identity::Account { config, private_key, store_id, pacer } => {
                let id = config.public_key_id.as_ref().map(|s| s.value.clone()).unwrap_or_default();
                let signer = Signer::new(&id, (**private_key).clone(), algorithm);
                let options = ClientOptions {
                    region: config.region,
                    endpoint: config.endpoint.clone(),
                    pacer: Some(pacer.clone()),
                    ..ClientOptions::default()
                };
                Ok(OwnMerchant { store_id: store_id.clone(), client: Client::new(signer, options)? })
            }
        }
    }

    /// The test buyer the buyer signs in as: the emulator's, or the configured sandbox one.
    pub fn test_buyer(&self) -> anyhow::Result<(String, String)> {
        match &self.identity {
            Identity::Tenants { .. } => {
                let buyer = &crate::emulator::simulation::TEST_BUYERS[0];
                Ok((buyer.email.to_owned(), buyer.password.to_owned()))
            }
            Identity::Account { config, .. } => config.test_buyer.clone().ok_or_else(|| {
                anyhow!(
                    "{} and AMAZON_PAY_TEST_BUYER_PASSWORD are not set: give a sandbox test buyer (Seller Central → Integration → Test Accounts)",
                    TEST_BUYER_EMAIL.env
                )
            }),
        }
    }

    /// The emulator's own record of a merchant: every request it received (rejected ones too)
    /// and every state change of its objects. `None` on the sandbox, which keeps no record we can
    /// read: there the evidence is what our client sent and saw.
    pub async fn record(&self, public_key_id: &str) -> anyhow::Result<Option<(Vec<Exchange>, Vec<Event>)>> {
        let Identity::Tenants { control, .. } = &self.identity else { return Ok(None) };
        let get = |what: &'static str| {
            let url = self.endpoint.join(&format!("/__emulator/merchants/{public_key_id}/{what}"));
            async move {
                let url = url?;
                let response = control.get(url.clone()).send().await.with_context(|| format!("GET {url}"))?;
                let status = response.status();
                let text = response.text().await.with_context(|| format!("reading GET {url}"))?;
                if !status.is_success() {
                    bail!("the emulator's control API answered {status} to GET {url}: {text}");
                }
                anyhow::Ok(text)
            }
        };
        let traffic = serde_json::from_str(&get("traffic").await?).context("the emulator's traffic record")?;
        let events = serde_json::from_str(&get("events").await?).context("the emulator's events")?;
        Ok(Some((traffic, events)))
    }

    /// Moves the tenant's clock forward; returns the tenant's new "now" (compact form).
    pub async fn advance_clock(&self, public_key_id: &str, by: chrono::Duration) -> anyhow::Result<String> {
        let answer = self
            .control(
                &format!("/__emulator/merchants/{public_key_id}/clock"),
                json!({ "advanceSeconds": by.num_seconds() }),
            )
            .await?;
        Ok(answer["now"].as_str().unwrap_or_default().to_owned())
    }
}
