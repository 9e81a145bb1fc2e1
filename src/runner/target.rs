//! What a run talks to. Today that is the emulator, embedded or at `--endpoint`: each scenario
//! registers its own merchant key with it (a tenant), so scenarios run concurrently without
//! seeing each other's objects, and `@clock` scenarios move only their own tenant's clock.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::json;
use url::Url;

use crate::buyer::browser::Browser;
use crate::buyer::shop::Shop;
use crate::client::{Client, ClientOptions};
use crate::signing::{Algorithm, PrivateKey, Signer};

/// The emulator's store id; any value works there, this one has the documented shape.
pub const STORE_ID: &str = "amzn1.application-oa2-client.emulator0000000000000000";

/// A merchant registered for one scenario.
#[derive(Clone, Debug)]
pub struct Merchant {
    pub public_key_id: String,
    pub store_id: String,
    pub client: Client,
}

/// The emulator's addresses and the key every tenant of this run signs with.
pub struct Target {
    /// API base, and also where `checkout.js` and the hosted pages are served.
    pub endpoint: Url,
    /// The merchant's site for the direct buyer (never fetched): review, result and cancel URLs.
    pub merchant_site: Url,
    /// For the browser buyer: Chromium's session pool and the harness's merchant pages.
    pub browser: Option<(Arc<Browser>, Arc<Shop>)>,
    key_pem: String,
    public_pem: String,
    control: reqwest::Client,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target").field("endpoint", &self.endpoint.as_str()).finish_non_exhaustive()
    }
}

impl Target {
    /// One fresh RSA key for the whole run: generated, never written anywhere, forgotten at exit.
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
        let merchant_site = Url::parse("https://shop.example.jp/").expect("a valid URL");
        Ok(Target { endpoint, merchant_site, browser, key_pem, public_pem, control })
    }

    /// The sign-in of the test buyer who holds every simulation card.
    pub fn test_buyer(&self) -> (String, String) {
        let buyer = &crate::emulator::simulation::TEST_BUYERS[0];
        (buyer.email.to_owned(), buyer.password.to_owned())
    }

    async fn control(&self, path: &str, body: serde_json::Value) -> anyhow::Result<serde_json::Value> {
        let url = self.endpoint.join(path)?;
        let response = self
            .control
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

    /// Registers a new tenant and returns its merchant, signing with `algorithm`.
    pub async fn new_merchant(&self, algorithm: Algorithm) -> anyhow::Result<Merchant> {
        let public_key_id = format!("SANDBOX-{}", uuid::Uuid::new_v4().simple().to_string().to_uppercase());
        self.control("/__emulator/merchants", json!({ "publicKeyId": public_key_id, "publicKeyPem": self.public_pem }))
            .await?;
        let client = self.client(&public_key_id, algorithm)?;
        Ok(Merchant { public_key_id, store_id: STORE_ID.to_owned(), client })
    }

    /// A client for an already registered key id.
    pub fn client(&self, public_key_id: &str, algorithm: Algorithm) -> anyhow::Result<Client> {
        let signer = Signer::new(public_key_id, PrivateKey::from_pem(&self.key_pem)?, algorithm);
        let options = ClientOptions {
            endpoint: Some(self.endpoint.clone()),
            // The emulator answers at once; a 500 it returns on purpose need not wait seconds.
            retry_base_delay: Duration::from_millis(20),
            ..ClientOptions::default()
        };
        Ok(Client::new(signer, options)?)
    }

    /// Moves the tenant's clock forward; returns the tenant's new "now" (RFC 3339 or compact).
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
