//! Configuration: environment variables, then an optional `apay-conformance.toml`, then flags,
//! each later source overriding the earlier one.
//!
//! Every value remembers where it came from, so an error names the variable, file key or flag
//! the user has to fix. Nothing here ever prints a private key: `Debug` shows a path as a path and
//! PEM text as `<PEM text, redacted>`.

use std::fmt;
use std::path::{Path, PathBuf};

use reqwest::Url;
use serde::Deserialize;

use crate::client::{Client, ClientError, ClientOptions, Environment, Region};
use crate::signing::{Algorithm, PrivateKey, Signer};

/// The default configuration file, read from the working directory when present.
pub const DEFAULT_FILE: &str = "apay-conformance.toml";

/// One configurable setting: its environment variable, its key in the TOML file and its flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    pub env: &'static str,
    pub file: &'static str,
    pub flag: &'static str,
}

pub const PUBLIC_KEY_ID: Key = Key { env: "AMAZON_PAY_PUBLIC_KEY_ID", file: "public_key_id", flag: "--public-key-id" };
pub const PRIVATE_KEY: Key = Key { env: "AMAZON_PAY_PRIVATE_KEY", file: "private_key", flag: "--private-key" };
pub const REGION: Key = Key { env: "AMAZON_PAY_REGION", file: "region", flag: "--region" };
pub const MERCHANT_ID: Key = Key { env: "AMAZON_PAY_MERCHANT_ID", file: "merchant_id", flag: "--merchant-id" };
pub const STORE_ID: Key = Key { env: "AMAZON_PAY_STORE_ID", file: "store_id", flag: "--store-id" };
pub const ALGORITHM: Key = Key { env: "AMAZON_PAY_ALGORITHM", file: "algorithm", flag: "--algorithm" };
pub const ENDPOINT: Key = Key { env: "AMAZON_PAY_ENDPOINT", file: "endpoint", flag: "--endpoint" };
/// The sandbox test buyer (Seller Central → Integration → Test Accounts) the browser signs in as.
pub const TEST_BUYER_EMAIL: Key =
    Key { env: "AMAZON_PAY_TEST_BUYER_EMAIL", file: "test_buyer_email", flag: "(no flag)" };
pub const TEST_BUYER_PASSWORD: Key =
    Key { env: "AMAZON_PAY_TEST_BUYER_PASSWORD", file: "test_buyer_password", flag: "(no flag)" };

/// Where a value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Env(&'static str),
    File { path: PathBuf, key: &'static str },
    Flag(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Env(var) => f.write_str(var),
            Source::File { path, key } => write!(f, "`{key}` in {}", path.display()),
            Source::Flag(flag) => f.write_str(flag),
        }
    }
}

/// A value and where it came from.
#[derive(Clone, PartialEq, Eq)]
pub struct Sourced {
    pub value: String,
    pub source: Source,
}

/// Configuration errors: one line each, naming what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{} is not set: {hint} (or `{}` in {DEFAULT_FILE}, or {})", .key.env, .key.file, .key.flag)]
    Missing { key: Key, hint: &'static str },
    #[error("{origin}: cannot read the private key file {path}: {reason}")]
    UnreadableKey { origin: Source, path: String, reason: String },
    #[error("{origin}: not an RSA private key in PKCS#8 or PKCS#1 PEM")]
    InvalidKey { origin: Source },
    #[error("{origin}: {message}")]
    Invalid { origin: Source, message: String },
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(
        "{origin}: `{key_id}` is a LIVE key; apay-conformance only talks to the sandbox and never moves real money"
    )]
    LiveKey { origin: Source, key_id: String },
}

/// The settings of the configuration file. Unknown keys are an error, so a typo is not ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    public_key_id: Option<String>,
    private_key: Option<String>,
    region: Option<String>,
    merchant_id: Option<String>,
    store_id: Option<String>,
    algorithm: Option<String>,
    endpoint: Option<String>,
    test_buyer_email: Option<String>,
    test_buyer_password: Option<String>,
}

/// Values given on the command line; `None` means "not given".
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub public_key_id: Option<String>,
    pub private_key: Option<String>,
    pub region: Option<String>,
    pub merchant_id: Option<String>,
    pub store_id: Option<String>,
    pub algorithm: Option<String>,
    pub endpoint: Option<String>,
}

/// The resolved configuration.
#[derive(Clone)]
pub struct Config {
    pub public_key_id: Option<Sourced>,
    /// A path to a PEM file or the PEM text itself.
    pub private_key: Option<Sourced>,
    pub region: Region,
    pub merchant_id: Option<String>,
    pub store_id: Option<String>,
    pub algorithm: Algorithm,
    pub endpoint: Option<Url>,
    /// The test buyer's e-mail and password: a password, so never printed.
    pub test_buyer: Option<(String, String)>,
}

impl Config {
    /// Reads the process environment, then `file` (or `./apay-conformance.toml` if it exists), then
    /// `flags`.
    pub fn load(file: Option<&Path>, flags: &Overrides) -> Result<Config, ConfigError> {
        Config::resolve(|name| std::env::var(name).ok(), file, flags)
    }

    /// [`Config::load`] with the environment given as a function, for tests.
    pub fn resolve(
        env: impl Fn(&str) -> Option<String>,
        file: Option<&Path>,
        flags: &Overrides,
    ) -> Result<Config, ConfigError> {
        let (file_path, file_settings) = read_file(file)?;
        let pick = |key: Key, from_file: &Option<String>, from_flag: &Option<String>| -> Option<Sourced> {
            let non_empty = |v: &Option<String>| v.as_ref().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
            non_empty(from_flag)
                .map(|value| Sourced { value, source: Source::Flag(key.flag) })
                .or_else(|| {
                    non_empty(from_file).map(|value| Sourced {
                        value,
                        source: Source::File { path: file_path.clone().unwrap_or_default(), key: key.file },
                    })
                })
                .or_else(|| non_empty(&env(key.env)).map(|value| Sourced { value, source: Source::Env(key.env) }))
        };
        let f = &file_settings;
        let region = match pick(REGION, &f.region, &flags.region) {
            Some(s) => s.value.parse().map_err(|message| ConfigError::Invalid { origin: s.source, message })?,
            None => Region::Jp,
        };
        let algorithm = match pick(ALGORITHM, &f.algorithm, &flags.algorithm) {
            Some(s) => s.value.parse().map_err(|e: crate::signing::SigningError| ConfigError::Invalid {
                origin: s.source,
                message: e.to_string(),
            })?,
            None => Algorithm::V2,
        };
        let endpoint = pick(ENDPOINT, &f.endpoint, &flags.endpoint)
            .map(|s| {
                Url::parse(&s.value)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
                    .ok_or_else(|| ConfigError::Invalid {
                        origin: s.source.clone(),
                        message: format!("`{}` is not an http:// or https:// URL", s.value),
                    })
                    .and_then(|u| {
                        // Amazon's production path; this tool never moves real money.
                        let live = u.path_segments().is_some_and(|mut p| p.any(|seg| seg.eq_ignore_ascii_case("live")));
                        if live {
                            return Err(ConfigError::Invalid {
                                origin: s.source.clone(),
                                message: format!(
                                    "`{}` is a /live/ path; apay-conformance only talks to the sandbox",
                                    s.value
                                ),
                            });
                        }
                        Ok(u)
                    })
            })
            .transpose()?;
        let public_key_id = pick(PUBLIC_KEY_ID, &f.public_key_id, &flags.public_key_id);
        if let Some(id) = &public_key_id {
            if crate::client::is_live_key(&id.value) {
                return Err(ConfigError::LiveKey { origin: id.source.clone(), key_id: id.value.clone() });
            }
        }
        Ok(Config {
            public_key_id,
            private_key: pick(PRIVATE_KEY, &f.private_key, &flags.private_key),
            region,
            merchant_id: pick(MERCHANT_ID, &f.merchant_id, &flags.merchant_id).map(|s| s.value),
            store_id: pick(STORE_ID, &f.store_id, &flags.store_id).map(|s| s.value),
            algorithm,
            endpoint,
            test_buyer: pick(TEST_BUYER_EMAIL, &f.test_buyer_email, &None)
                .zip(pick(TEST_BUYER_PASSWORD, &f.test_buyer_password, &None))
                .map(|(email, password)| (email.value, password.value)),
        })
    }

    /// The signing identity; fails with a one-line error naming the missing or bad setting.
    pub fn signer(&self) -> Result<Signer, ConfigError> {
        let id = self.public_key_id.as_ref().ok_or(ConfigError::Missing {
            key: PUBLIC_KEY_ID,
            hint: "give the public key id Seller Central showed for your key",
        })?;
        let key = self.private_key.as_ref().ok_or(ConfigError::Missing {
            key: PRIVATE_KEY,
            hint: "give the path of your private key PEM file, or the PEM text",
        })?;
        Ok(Signer::new(id.value.clone(), load_private_key(key)?, self.algorithm))
    }

    /// A client for the configured sandbox account (or the configured endpoint).
    pub fn client(&self, mut options: ClientOptions) -> Result<Client, ConfigError> {
        options.region = self.region;
        options.environment = Environment::Sandbox;
        if options.endpoint.is_none() {
            options.endpoint = self.endpoint.clone();
        }
        Ok(Client::new(self.signer()?, options)?)
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("public_key_id", &self.public_key_id.as_ref().map(|s| mask(&s.value)))
            .field("private_key", &self.private_key.as_ref().map(describe_key_setting))
            .field("region", &self.region)
            .field("merchant_id", &self.merchant_id.as_deref().map(mask))
            .field("store_id", &self.store_id.as_deref().map(mask))
            .field("algorithm", &self.algorithm)
            .field("endpoint", &self.endpoint.as_ref().map(Url::as_str))
            .field(
                "test_buyer",
                &self.test_buyer.as_ref().map(|(email, _)| (crate::report::mask::email(email), "<password redacted>")),
            )
            .finish()
    }
}

impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Masks an identifier for display: enough to recognise it, not enough to copy it.
/// `SANDBOX-AFVX7ULWSGBZ5535PCUQOY7B` → `SANDBOX-AF…OY7B`.
pub fn mask(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let prefix = id.find('-').filter(|&i| i < 12).map_or(2, |i| i + 3).min(chars.len() / 2);
    let head: String = chars[..prefix].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

fn is_pem_text(value: &str) -> bool {
    value.contains("-----BEGIN")
}

fn describe_key_setting(key: &Sourced) -> String {
    if is_pem_text(&key.value) {
        format!("<PEM text from {}, redacted>", key.source)
    } else {
        format!("file {} (from {})", key.value, key.source)
    }
}

/// Loads a private key given as PEM text or as the path of a PEM file.
///
/// CI secret stores often flatten newlines to a literal `\n`; such text is unflattened first.
pub fn load_private_key(setting: &Sourced) -> Result<PrivateKey, ConfigError> {
    let pem = if is_pem_text(&setting.value) {
        if setting.value.contains('\n') {
            setting.value.clone()
        } else {
            setting.value.replace("\\n", "\n")
        }
    } else {
        std::fs::read_to_string(&setting.value).map_err(|e| ConfigError::UnreadableKey {
            origin: setting.source.clone(),
            path: setting.value.clone(),
            reason: e.kind().to_string(),
        })?
    };
    PrivateKey::from_pem(&pem).map_err(|_| ConfigError::InvalidKey { origin: setting.source.clone() })
}

fn read_file(explicit: Option<&Path>) -> Result<(Option<PathBuf>, FileSettings), ConfigError> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None if Path::new(DEFAULT_FILE).is_file() => PathBuf::from(DEFAULT_FILE),
        None => return Ok((None, FileSettings::default())),
    };
    let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::File {
        path: path.display().to_string(),
        message: format!("cannot read: {}", e.kind()),
    })?;
    let settings = toml::from_str(&text)
        .map_err(|e| ConfigError::File { path: path.display().to_string(), message: e.message().to_owned() })?;
    Ok((Some(path), settings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn flags_override_file_which_overrides_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "region = \"us\"\nstore_id = \"from-file\"\n").unwrap();
        let e =
            env(&[("AMAZON_PAY_REGION", "eu"), ("AMAZON_PAY_STORE_ID", "from-env"), ("AMAZON_PAY_MERCHANT_ID", "M1")]);
        let flags = Overrides { store_id: Some("from-flag".into()), ..Default::default() };
        let config = Config::resolve(&e, Some(&file), &flags).unwrap();
        assert_eq!(config.region, Region::Na);
        assert_eq!(config.store_id.as_deref(), Some("from-flag"));
        assert_eq!(config.merchant_id.as_deref(), Some("M1"));
        assert_eq!(config.algorithm, Algorithm::V2);
    }

    #[test]
    fn defaults_are_jp_and_v2() {
        let config = Config::resolve(env(&[]), None, &Overrides::default()).unwrap();
        assert_eq!((config.region, config.algorithm), (Region::Jp, Algorithm::V2));
    }

    #[test]
    fn a_missing_key_is_one_line_naming_the_variable() {
        let config =
            Config::resolve(env(&[("AMAZON_PAY_PUBLIC_KEY_ID", "SANDBOX-X")]), None, &Overrides::default()).unwrap();
        let message = config.signer().unwrap_err().to_string();
        assert!(message.starts_with("AMAZON_PAY_PRIVATE_KEY is not set"), "{message}");
        assert!(!message.contains('\n'));
    }

    #[test]
    fn unreadable_and_invalid_keys_name_their_source() {
        let e = env(&[("AMAZON_PAY_PUBLIC_KEY_ID", "SANDBOX-X"), ("AMAZON_PAY_PRIVATE_KEY", "/nonexistent/key.pem")]);
        let err = Config::resolve(&e, None, &Overrides::default()).unwrap().signer().unwrap_err();
        assert!(
            matches!(err, ConfigError::UnreadableKey { ref origin, .. } if *origin == Source::Env("AMAZON_PAY_PRIVATE_KEY"))
        );
        let flags = Overrides {
            // PEM-shaped text with flattened newlines that is not a key (assembled so that no
            // committed line looks like key material).
            private_key: Some(format!("-----BEGIN {0}-----\\nnot a key\\n-----END {0}-----", "PRIVATE KEY")),
            ..Default::default()
        };
        let err = Config::resolve(&e, None, &flags).unwrap().signer().unwrap_err();
        assert_eq!(err.to_string().split(':').next(), Some("--private-key"));
    }

    #[test]
    fn live_keys_are_refused() {
        let err = Config::resolve(env(&[("AMAZON_PAY_PUBLIC_KEY_ID", "LIVE-ABC123")]), None, &Overrides::default())
            .unwrap_err();
        assert!(matches!(err, ConfigError::LiveKey { .. }));
    }

    #[test]
    fn bad_values_and_unknown_file_keys_are_errors() {
        let bad_region =
            Config::resolve(env(&[("AMAZON_PAY_REGION", "mars")]), None, &Overrides::default()).unwrap_err();
        assert!(bad_region.to_string().starts_with("AMAZON_PAY_REGION: unknown region"));
        let bad_alg = Overrides { algorithm: Some("RSA".into()), ..Default::default() };
        assert!(Config::resolve(env(&[]), None, &bad_alg).unwrap_err().to_string().starts_with("--algorithm:"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "regoin = \"jp\"\n").unwrap();
        assert!(matches!(Config::resolve(env(&[]), Some(&file), &Overrides::default()), Err(ConfigError::File { .. })));
    }

    #[test]
    fn masks_keep_ids_recognisable_but_not_copyable() {
        assert_eq!(mask("SANDBOX-AFVX7ULWSGBZ5535PCUQOY7B"), "SANDBOX-AF…OY7B");
        assert_eq!(mask("amzn1.application-oa2-client.8b5e45312b5248b69eea"), "am…9eea");
        assert_eq!(mask("A1B2C3"), "******");
    }
}
