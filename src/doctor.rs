//! `apay-conformance doctor`: is this machine ready to run against a sandbox account? One check
//! per line, each with a fix hint when it fails, in the order a person would fix them: the
//! configuration, the key, where requests go, whether Amazon accepts a signed request, the
//! browser, and the report directory.

use std::path::Path;
use std::time::Duration;

use crate::client::{ApiBase, ClientOptions, Environment};
use crate::config::{load_private_key, Config, ConfigError, Overrides, PRIVATE_KEY, PUBLIC_KEY_ID};
use crate::operation::Operation;
use crate::signing::PrivateKey;

/// One line of the diagnosis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub ok: bool,
    pub name: &'static str,
    /// What was found (never a secret).
    pub detail: String,
    /// What to do about it, when it failed.
    pub hint: Option<String>,
}

impl Check {
    fn pass(name: &'static str, detail: impl Into<String>) -> Self {
        Check { ok: true, name, detail: detail.into(), hint: None }
    }

    fn fail(name: &'static str, detail: impl Into<String>, hint: impl Into<String>) -> Self {
        Check { ok: false, name, detail: detail.into(), hint: Some(hint.into()) }
    }

    /// `✅ name: detail` or `❌ name: detail — hint`.
    pub fn line(&self) -> String {
        match &self.hint {
            Some(hint) if !self.ok => format!("❌ {}: {} — {hint}", self.name, self.detail),
            _ => format!("{} {}: {}", if self.ok { "✅" } else { "❌" }, self.name, self.detail),
        }
    }
}

/// Key ids are 24 upper-case letters and digits, after `SANDBOX-` for environment-specific keys.
fn key_id_shape(id: &str) -> bool {
    let bare = id.strip_prefix("SANDBOX-").unwrap_or(id);
    bare.len() == 24 && bare.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Runs every check; later checks that need an earlier one's result are reported as failed with
/// the reason, so the output always has one line per check.
pub async fn diagnose(config_file: Option<&Path>, overrides: &Overrides, report_dir: &Path) -> Vec<Check> {
    let mut checks = Vec::new();
    let config = match Config::load(config_file, overrides) {
        Ok(config) => config,
        Err(e) => {
            checks.push(Check::fail("configuration", e.to_string(), "fix the setting it names"));
            checks.extend(local_checks(report_dir));
            return checks;
        }
    };
    checks.push(configuration(&config));
    let key = private_key(&config, &mut checks);
    checks.push(key_id(&config));
    checks.push(where_requests_go(&config));
    let client =
        config.client(ClientOptions { timeout: Duration::from_secs(10), max_retries: 0, ..ClientOptions::default() });
    match (client, key) {
        (Ok(client), Some(_)) => checks.extend(remote(&client).await),
        _ => {
            let why = "not tried: the checks above must pass first";
            checks.push(Check::fail("endpoint answers", why, "fix the checks above"));
            checks.push(Check::fail("signed request accepted", why, "fix the checks above"));
        }
    }
    checks.extend(local_checks(report_dir));
    checks
}

/// The base URL requests go to, from the region, the key id's style and any endpoint override.
fn where_requests_go(config: &Config) -> Check {
    let id = config.public_key_id.as_ref().map_or("SANDBOX-", |s| s.value.as_str());
    match ApiBase::new(config.region, id, Environment::Sandbox, config.endpoint.as_ref()) {
        Ok(base) => Check::pass("region and endpoint", format!("{} → {}", config.region.code(), base.url)),
        Err(e) => Check::fail("region and endpoint", e.to_string(), "fix AMAZON_PAY_REGION or AMAZON_PAY_ENDPOINT"),
    }
}

fn configuration(config: &Config) -> Check {
    let missing: Vec<&str> = [
        (config.public_key_id.is_none(), PUBLIC_KEY_ID.env),
        (config.private_key.is_none(), PRIVATE_KEY.env),
        (config.store_id.is_none(), crate::config::STORE_ID.env),
    ]
    .into_iter()
    .filter_map(|(absent, name)| absent.then_some(name))
    .collect();
    if missing.is_empty() {
        Check::pass("configuration", "public key id, private key and store id are set")
    } else {
        Check::fail(
            "configuration",
            format!("{} not set", missing.join(", ")),
            format!("set them in the environment or in {}", crate::config::DEFAULT_FILE),
        )
    }
}

/// The key loads, is RSA of a usable size, and signs with the configured algorithm so that its
/// own public half verifies the signature.
fn private_key(config: &Config, checks: &mut Vec<Check>) -> Option<PrivateKey> {
    let Some(setting) = &config.private_key else {
        checks.push(Check::fail(
            "private key",
            "not set",
            format!("set {} to the path of your PEM file", PRIVATE_KEY.env),
        ));
        return None;
    };
    let key = match load_private_key(setting) {
        Ok(key) => key,
        Err(e @ (ConfigError::UnreadableKey { .. } | ConfigError::InvalidKey { .. })) => {
            checks.push(Check::fail(
                "private key",
                e.to_string(),
                "give the PEM file Seller Central's key pair came with (PKCS#8 or PKCS#1)",
            ));
            return None;
        }
        Err(e) => {
            checks.push(Check::fail("private key", e.to_string(), "fix the setting it names"));
            return None;
        }
    };
    let probe = "apay-conformance doctor";
    let signs =
        key.sign(config.algorithm, probe).is_ok_and(|sig| key.public_key().verify(config.algorithm, probe, &sig));
    if signs && key.bits() >= 2048 {
        checks.push(Check::pass(
            "private key",
            format!("RSA {} bits, signs and verifies with {}", key.bits(), config.algorithm),
        ));
        Some(key)
    } else {
        checks.push(Check::fail(
            "private key",
            format!("cannot sign with {}", config.algorithm),
            "use an RSA key of at least 2048 bits",
        ));
        None
    }
}

fn key_id(config: &Config) -> Check {
    let Some(id) = &config.public_key_id else {
        return Check::fail("key id", "not set", format!("set {}", PUBLIC_KEY_ID.env));
    };
    let masked = crate::config::mask(&id.value);
    if !key_id_shape(&id.value) {
        return Check::fail(
            "key id",
            format!("{masked} does not look like a public key id"),
            "copy the id Seller Central shows next to the key (24 letters and digits, SANDBOX-… for sandbox keys)",
        );
    }
    let environment = if id.value.starts_with("SANDBOX-") {
        "sandbox key (/v2/…)"
    } else {
        "legacy key, sandbox path (/sandbox/v2/…)"
    };
    Check::pass("key id", format!("{masked}: {environment}"))
}

async fn remote(client: &crate::client::Client) -> Vec<Check> {
    // A random id of the real shape (Checkout Session ids are UUIDs, so no 400 for the id's form):
    // 404 ResourceNotFound proves the signature was checked and accepted.
    let probe = uuid::Uuid::new_v4().to_string();
    match client.call(Operation::GetCheckoutSession, Some(&probe), None).await {
        Err(e) => vec![
            Check::fail("endpoint answers", e.to_string(), "check the network, the region and AMAZON_PAY_ENDPOINT"),
            Check::fail("signed request accepted", "not tried: the endpoint did not answer", "fix the check above"),
        ],
        Ok(response) => {
            let answers = Check::pass("endpoint answers", format!("HTTP {}", response.status));
            let error = response.error();
            let accepted = match error.as_ref().map(|e| (e.status, e.reason_code.as_str())) {
                Some((404, _)) => Check::pass("signed request accepted", "Get Checkout Session on a random id: 404 ResourceNotFound"),
                Some((403, reason)) => Check::fail(
                    "signed request accepted",
                    format!("403 {reason}"),
                    "the private key does not belong to this public key id, or the algorithm is wrong: check both in Seller Central",
                ),
                Some((status, reason)) => Check::fail(
                    "signed request accepted",
                    format!("unexpected {status} {reason}"),
                    "expected 404 ResourceNotFound; see the message with `apay-conformance api get-checkout-session x -v`",
                ),
                None => Check::fail("signed request accepted", format!("unexpected {} for a random id", response.status), "is the endpoint Amazon Pay?"),
            };
            vec![answers, accepted]
        }
    }
}

fn local_checks(report_dir: &Path) -> Vec<Check> {
    let browser = match crate::buyer::browser::find_programs() {
        Ok((driver, chrome)) => Check::pass("browser", format!("{} and {}", driver.display(), chrome.display())),
        Err(e) => Check::fail(
            "browser",
            e.to_string(),
            format!("needed for --buyer browser: {}", crate::buyer::browser::INSTALL_HINT),
        ),
    };
    let writable = std::fs::create_dir_all(report_dir)
        .and_then(|()| tempfile::NamedTempFile::new_in(report_dir).map(drop))
        .map_or_else(
            |e| {
                Check::fail("report directory", format!("{}: {e}", report_dir.display()), "choose another --report-dir")
            },
            |()| Check::pass("report directory", format!("{} is writable", report_dir.display())),
        );
    vec![browser, writable]
}
