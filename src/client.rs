//! The merchant's signed Amazon Pay API client: one async method per Checkout v2 operation.
//!
//! It behaves like the official SDKs where they agree (spec §1–§2, §5.3–§5.4): the host follows
//! the region, the path prefix follows the key id, every header sent is signed, each POST carries an
//! idempotency key (generated unless the caller gives one), and 408/425/429/5xx are retried with
//! backoff resending the same idempotency key. An endpoint override points it at the emulator or a
//! proxy; the signed `x-amz-pay-host` then names that host, as the SDKs' override does.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::evidence::{body_value, recorded_headers, Exchange};
use crate::model::*;
use crate::operation::Operation;
use crate::signing::{format_amz_date, Signer, SigningError};

/// Amazon Pay regions and their API hosts (spec §1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Region {
    /// North America (`us`, `na`): `pay-api.amazon.com`.
    Na,
    /// Europe and the UK (`eu`, `uk`, `de`): `pay-api.amazon.eu`.
    Eu,
    /// Japan (`jp`): `pay-api.amazon.jp`.
    #[default]
    Jp,
}

impl Region {
    pub fn host(self) -> &'static str {
        match self {
            Region::Na => "pay-api.amazon.com",
            Region::Eu => "pay-api.amazon.eu",
            Region::Jp => "pay-api.amazon.jp",
        }
    }

    /// The value of the signed `x-amz-pay-region` header (the SDKs' lower-case short form).
    pub fn code(self) -> &'static str {
        match self {
            Region::Na => "na",
            Region::Eu => "eu",
            Region::Jp => "jp",
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Region {
    type Err = String;

    /// The SDKs' aliases: `us`/`na` → NA, `eu`/`uk`/`de` → EU, `jp` → JP (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "us" | "na" => Ok(Region::Na),
            "eu" | "uk" | "de" => Ok(Region::Eu),
            "jp" => Ok(Region::Jp),
            other => Err(format!("unknown region `{other}` (expected jp, us/na or eu/uk/de)")),
        }
    }
}

/// Which environment a legacy (not environment-specific) key talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Environment {
    #[default]
    Sandbox,
    Live,
}

/// True for key ids that carry their environment (`SANDBOX-…`, `LIVE-…`, case-insensitive).
pub fn is_environment_specific_key(public_key_id: &str) -> bool {
    let upper = public_key_id.to_ascii_uppercase();
    upper.starts_with("SANDBOX-") || is_live_key(public_key_id)
}

/// True for `LIVE-…` key ids (case-insensitive): the one test of "is this real money" that the
/// configuration, the emulator and the client share.
pub fn is_live_key(public_key_id: &str) -> bool {
    public_key_id.trim().to_ascii_uppercase().starts_with("LIVE-")
}

/// The API's path prefix for a key id (spec §1.2): `/v2` for `SANDBOX-`/`LIVE-` keys, whose id
/// selects the environment, otherwise `/sandbox/v2` or `/live/v2`.
pub fn path_prefix(public_key_id: &str, environment: Environment) -> &'static str {
    match (is_environment_specific_key(public_key_id), environment) {
        (true, _) => "/v2",
        (false, Environment::Sandbox) => "/sandbox/v2",
        (false, Environment::Live) => "/live/v2",
    }
}

/// Where requests go: the base URL (scheme, authority and prefix) and the host that is signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiBase {
    /// e.g. `https://pay-api.amazon.jp/v2`, without a trailing slash.
    pub url: String,
    /// The signed `x-amz-pay-host`: the authority actually connected to.
    pub host: String,
}

impl ApiBase {
    /// Builds the base from region and key id, or from an endpoint override (http or https, with
    /// an optional path prefix of its own, e.g. a proxy mount point).
    pub fn new(
        region: Region,
        public_key_id: &str,
        environment: Environment,
        endpoint: Option<&Url>,
    ) -> Result<Self, ClientError> {
        let prefix = path_prefix(public_key_id, environment);
        let Some(endpoint) = endpoint else {
            return Ok(ApiBase { url: format!("https://{}{prefix}", region.host()), host: region.host().to_owned() });
        };
        if !matches!(endpoint.scheme(), "http" | "https") {
            return Err(ClientError::InvalidRequest(format!(
                "endpoint `{endpoint}` must be an http:// or https:// URL"
            )));
        }
        let host = endpoint
            .host_str()
            .ok_or_else(|| ClientError::InvalidRequest(format!("endpoint `{endpoint}` has no host")))?;
        let authority = match endpoint.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        let mount = endpoint.path().trim_end_matches('/');
        Ok(ApiBase { url: format!("{}://{authority}{mount}{prefix}", endpoint.scheme()), host: authority })
    }
}

/// How the client connects and retries.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    pub region: Region,
    pub environment: Environment,
    pub endpoint: Option<Url>,
    /// Per attempt.
    pub timeout: Duration,
    /// Retries after the first attempt (the SDKs use 3).
    pub max_retries: u32,
    /// First backoff; doubled on each retry (SDK schedule: 1 s, 2 s, 4 s).
    pub retry_base_delay: Duration,
    /// `user-agent` to send (and sign); `None` for `apay-conformance/VERSION (Rust; OS)`.
    pub user_agent: Option<String>,
    /// Throttling quotas to stay within (the sandbox target shares one across its clients).
    pub pacer: Option<Arc<crate::pacing::Pacer>>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            region: Region::Jp,
            environment: Environment::Sandbox,
            endpoint: None,
            timeout: Duration::from_secs(30),
            max_retries: 3,
            retry_base_delay: Duration::from_secs(1),
            user_agent: None,
            pacer: None,
        }
    }
}

/// Errors of an API call. `Api` is an error response; the others mean no usable response.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0}")]
    Api(ApiError),
    #[error("request to {url} failed: {source}")]
    Transport {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("HTTP {status}: the response is not the expected {expected}: {detail}")]
    UnexpectedResponse { status: u16, expected: &'static str, detail: String, request_id: Option<String> },
    #[error("{0}")]
    InvalidRequest(String),
    #[error(transparent)]
    Signing(#[from] SigningError),
}

impl ClientError {
    /// The error response, when the API answered with one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            ClientError::Api(e) => Some(e),
            _ => None,
        }
    }
}

/// An error response: HTTP status, `reasonCode`, `message` and the request id Amazon assigned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub reason_code: String,
    pub message: String,
    pub request_id: Option<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {} {}: {}", self.status, self.reason_code, self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (x-amz-pay-request-id {id})")?;
        }
        Ok(())
    }
}

/// Per-call options that are not part of the body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallOptions {
    /// Used instead of a generated key (POST only; other methods ignore idempotency keys).
    pub idempotency_key: Option<String>,
    /// Sent as `x-amz-pay-simulation-code` (sandbox simulations, spec §7.3).
    pub simulation_code: Option<String>,
    /// Sends a signature with one character changed, to prove the server checks it (K-1).
    pub corrupt_signature: bool,
}

/// What the signer produced for the last attempt: shown by `api --verbose`. Never the signature.
#[derive(Clone, Debug)]
pub struct SigningTrace {
    pub canonical_request: String,
    pub string_to_sign: String,
}

/// One signed attempt, ready to send. `headers` include `authorization`.
#[derive(Clone, Debug)]
pub struct PreparedRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub trace: SigningTrace,
}

/// A response as received, whatever its status.
#[derive(Clone, Debug)]
pub struct RawResponse {
    pub status: u16,
    pub request_id: Option<String>,
    pub body: String,
    /// The idempotency key the request carried, if any.
    pub idempotency_key: Option<String>,
    pub trace: SigningTrace,
}

impl RawResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON (`null` for an empty body), or the reason it is not JSON.
    pub fn json(&self) -> Result<Value, serde_json::Error> {
        if self.body.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&self.body)
    }

    /// The error this response stands for, if its status is not 2xx.
    pub fn error(&self) -> Option<ApiError> {
        if self.is_success() {
            return None;
        }
        let parsed: Option<ErrorBody> = serde_json::from_str(&self.body).ok();
        let (reason_code, message) = match parsed {
            Some(e) => (e.reason_code, e.message),
            None => ("(no reasonCode)".to_owned(), self.body.chars().take(300).collect()),
        };
        Some(ApiError { status: self.status, reason_code, message, request_id: self.request_id.clone() })
    }
}

/// A successful typed response: the object plus the HTTP status (Complete answers 200 or 202).
#[derive(Clone, Debug)]
pub struct Reply<T> {
    pub status: u16,
    pub request_id: Option<String>,
    pub value: T,
}

impl<T> std::ops::Deref for Reply<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

struct Inner {
    http: reqwest::Client,
    signer: Signer,
    base: ApiBase,
    region: Region,
    options: ClientOptions,
    user_agent: String,
}

/// The signed client. Cheap to clone; [`Client::with_call_options`] and friends return a copy that
/// applies its options to every call made through it.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    call: CallOptions,
    log: Option<CallLog>,
}

/// Where a recording client appends its [`Exchange`]s; shared by its copies.
#[derive(Clone, Debug, Default)]
pub struct CallLog(Arc<Mutex<Vec<Exchange>>>);

impl CallLog {
    fn push(&self, exchange: Exchange) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(exchange);
    }

    /// Removes and returns what was recorded so far.
    pub fn take(&self) -> Vec<Exchange> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("public_key_id", &self.inner.signer.public_key_id)
            .field("algorithm", &self.inner.signer.algorithm)
            .field("base", &self.inner.base)
            .field("call", &self.call)
            .finish_non_exhaustive()
    }
}

/// Idempotency keys are at most 32 of `[A-Za-z0-9_-]`; a dash-less v4 UUID is exactly 32.
pub fn new_idempotency_key() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Serializes a request body the way the .NET SDK does: `null` members are dropped, so an unset
/// `Option` is never sent.
pub fn request_body<T: Serialize>(body: &T) -> Result<Vec<u8>, ClientError> {
    fn strip_nulls(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.retain(|_, v| !v.is_null());
                map.values_mut().for_each(strip_nulls);
            }
            Value::Array(items) => items.iter_mut().for_each(strip_nulls),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(body).map_err(|e| ClientError::InvalidRequest(e.to_string()))?;
    strip_nulls(&mut value);
    Ok(serde_json::to_vec(&value).expect("a serde_json::Value always serializes"))
}

fn is_retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 425 | 429) || status.is_server_error()
}

impl Client {
    pub fn new(signer: Signer, options: ClientOptions) -> Result<Self, ClientError> {
        let base = ApiBase::new(options.region, &signer.public_key_id, options.environment, options.endpoint.as_ref())?;
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            // The emulator serves a self-signed certificate on loopback; Amazon's hosts are always
            // verified (the Node SDK turns checks off for any override, which is broader).
            .danger_accept_invalid_certs(options.endpoint.as_ref().is_some_and(is_loopback))
            .build()
            .map_err(|e| ClientError::InvalidRequest(format!("cannot build the HTTP client: {e}")))?;
        let user_agent = options.user_agent.clone().unwrap_or_else(|| {
            format!("apay-conformance/{} (Rust; {})", env!("CARGO_PKG_VERSION"), std::env::consts::OS)
        });
        Ok(Client {
            inner: Arc::new(Inner { http, signer, base, region: options.region, options, user_agent }),
            call: CallOptions::default(),
            log: None,
        })
    }

    pub fn base(&self) -> &ApiBase {
        &self.inner.base
    }

    pub fn signer(&self) -> &Signer {
        &self.inner.signer
    }

    /// A copy of this client that sends these options with every call.
    pub fn with_call_options(&self, call: CallOptions) -> Client {
        Client { inner: self.inner.clone(), call, log: self.log.clone() }
    }

    /// A copy that appends every completed call (and its copies' calls) to `log`.
    pub fn recording(&self, log: CallLog) -> Client {
        Client { inner: self.inner.clone(), call: self.call.clone(), log: Some(log) }
    }

    /// A copy that sends `x-amz-pay-simulation-code: code` with every call.
    pub fn simulating(&self, code: impl Into<String>) -> Client {
        self.with_call_options(CallOptions { simulation_code: Some(code.into()), ..self.call.clone() })
    }

    /// A copy whose requests carry a tampered signature (the server must answer 403).
    pub fn with_corrupted_signature(&self) -> Client {
        self.with_call_options(CallOptions { corrupt_signature: true, ..self.call.clone() })
    }

    /// A copy that uses this idempotency key on its POSTs (e.g. to replay a request on purpose).
    pub fn with_idempotency_key(&self, key: impl Into<String>) -> Client {
        self.with_call_options(CallOptions { idempotency_key: Some(key.into()), ..self.call.clone() })
    }

    /// The headers of one attempt, before signing, in the order they are sent.
    fn headers(&self, idempotency_key: Option<&str>, date: &str) -> Vec<(String, String)> {
        let mut headers = vec![
            ("accept".to_owned(), "application/json".to_owned()),
            // Sent and signed even on GET, like every SDK.
            ("content-type".to_owned(), "application/json".to_owned()),
            ("user-agent".to_owned(), self.inner.user_agent.clone()),
            ("x-amz-pay-date".to_owned(), date.to_owned()),
            ("x-amz-pay-host".to_owned(), self.inner.base.host.clone()),
            ("x-amz-pay-region".to_owned(), self.inner.region.code().to_owned()),
        ];
        if let Some(key) = idempotency_key {
            headers.push(("x-amz-pay-idempotency-key".to_owned(), key.to_owned()));
        }
        if let Some(code) = &self.call.simulation_code {
            headers.push(("x-amz-pay-simulation-code".to_owned(), code.clone()));
        }
        headers
    }

    /// Builds and signs one attempt of a request, without sending it. `date` is the
    /// `x-amz-pay-date` value (normally now, in the compact form); every header is signed.
    pub fn prepare(
        &self,
        op: Operation,
        id: Option<&str>,
        body: Vec<u8>,
        idempotency_key: Option<&str>,
        date: &str,
    ) -> Result<PreparedRequest, ClientError> {
        let path = op.path(id).map_err(ClientError::InvalidRequest)?;
        let signed_path = format!("{}{path}", path_of(&self.inner.base.url));
        let mut headers = self.headers(idempotency_key, date);
        let signed = self.inner.signer.sign_request(op.method().as_str(), &signed_path, "", &headers, &body)?;
        let mut authorization = signed.authorization.to_string();
        if self.call.corrupt_signature {
            // Changing the signature's first base64 character keeps the header well-formed
            // (the padding at its end stays valid), so only the signature check can catch it.
            if let Some(at) = authorization.find("Signature=").map(|i| i + "Signature=".len()) {
                let flipped = if authorization[at..].starts_with('A') { "B" } else { "A" };
                authorization.replace_range(at..at + 1, flipped);
            }
        }
        headers.push(("authorization".to_owned(), authorization));
        Ok(PreparedRequest {
            method: op.method(),
            url: format!("{}{path}", self.inner.base.url),
            headers,
            body,
            trace: SigningTrace { canonical_request: signed.canonical_request, string_to_sign: signed.string_to_sign },
        })
    }

    /// Sends one operation with a raw body and returns the response whatever its status; only a
    /// transport failure (after retries) is an error. This is what `apay-conformance api` uses.
    ///
    /// Each retry is signed afresh (a new `x-amz-pay-date`) but carries the same idempotency key,
    /// so Amazon replays rather than repeats a POST that did reach it.
    pub async fn call(
        &self,
        op: Operation,
        id: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Result<RawResponse, ClientError> {
        let body = if op.has_body() { body.unwrap_or_else(|| b"{}".to_vec()) } else { Vec::new() };
        let idempotency_key =
            op.is_idempotent_post().then(|| self.call.idempotency_key.clone().unwrap_or_else(new_idempotency_key));
        let options = &self.inner.options;
        let (at, started) = (Utc::now(), Instant::now());
        let mut attempt = 0;
        let mut retried_after = Vec::new();
        loop {
            attempt += 1;
            if let Some(pacer) = &options.pacer {
                pacer.acquire(op).await;
            }
            let prepared =
                self.prepare(op, id, body.clone(), idempotency_key.as_deref(), &format_amz_date(Utc::now()))?;
            tracing::debug!(
                operation = op.title(),
                method = %prepared.method,
                url = %prepared.url,
                attempt,
                idempotency_key = idempotency_key.as_deref().unwrap_or("-"),
                simulation_code = self.call.simulation_code.as_deref().unwrap_or("-"),
                body = %String::from_utf8_lossy(&prepared.body),
                "request"
            );
            let delay = options.retry_base_delay * 2u32.saturating_pow(attempt - 1);
            let can_retry = attempt <= options.max_retries;
            let url = prepared.url.clone();
            // What the evidence keeps of this attempt: never the signature (see `recorded_headers`).
            let exchange = Exchange {
                at,
                virtual_at: None,
                duration_ms: 0,
                operation: Some(op),
                method: op.method().to_string(),
                path: reqwest::Url::parse(&url).map(|u| u.path().to_owned()).unwrap_or_else(|_| url.clone()),
                query: String::new(),
                request_headers: recorded_headers(prepared.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()))),
                request: body_value(&body),
                status: None,
                reason_code: None,
                request_id: None,
                retry_after: None,
                response: None,
                retried_after: Vec::new(),
                transport_error: None,
            };
            let mut request = self.inner.http.request(prepared.method.clone(), &url);
            for (name, value) in &prepared.headers {
                request = request.header(name, value);
            }
            if !prepared.body.is_empty() {
                request = request.body(prepared.body);
            }
            let answer = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    let header =
                        |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
                    let (request_id, retry_after) = (header("x-amz-pay-request-id"), header("retry-after"));
                    response.text().await.map(|text| (status, request_id, retry_after, text))
                }
                Err(e) => Err(e),
            };
            match answer {
                Ok((status, request_id, retry_after, text)) => {
                    tracing::debug!(status = status.as_u16(), request_id = request_id.as_deref().unwrap_or("-"), body = %text, "response");
                    let reason_code = serde_json::from_str::<ErrorBody>(&text).ok().map(|e| e.reason_code);
                    if is_retryable(status) && can_retry {
                        let wait = retry_after
                            .as_deref()
                            .and_then(|v| v.trim().parse::<u64>().ok())
                            .map_or(delay, |ra| Duration::from_secs(ra).clamp(delay, Duration::from_secs(60)));
                        tracing::info!(status = status.as_u16(), attempt, "retrying {} in {:?}", op.title(), wait);
                        retried_after.push(match &reason_code {
                            Some(code) => format!("{} {code}", status.as_u16()),
                            None => status.as_u16().to_string(),
                        });
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    if let Some(log) = &self.log {
                        log.push(Exchange {
                            duration_ms: started.elapsed().as_millis() as u64,
                            status: Some(status.as_u16()),
                            reason_code: reason_code.filter(|_| !status.is_success()),
                            request_id: request_id.clone(),
                            retry_after,
                            response: body_value(text.as_bytes()),
                            retried_after,
                            ..exchange
                        });
                    }
                    return Ok(RawResponse {
                        status: status.as_u16(),
                        request_id,
                        body: text,
                        idempotency_key,
                        trace: prepared.trace,
                    });
                }
                // A lost connection is retried only when resending cannot act twice: GETs, and
                // POSTs, whose idempotency key makes the retry a replay.
                Err(source) if can_retry && (op.method() == Method::GET || idempotency_key.is_some()) => {
                    tracing::info!(attempt, error = %source, "retrying {} in {:?}", op.title(), delay);
                    retried_after.push(format!("connection: {source}"));
                    tokio::time::sleep(delay).await;
                }
                Err(source) => {
                    if let Some(log) = &self.log {
                        log.push(Exchange {
                            duration_ms: started.elapsed().as_millis() as u64,
                            retried_after,
                            transport_error: Some(source.to_string()),
                            ..exchange
                        });
                    }
                    return Err(ClientError::Transport { url, source });
                }
            }
        }
    }

    /// Sends a typed body and decodes a typed success; an error status becomes [`ClientError::Api`].
    async fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        op: Operation,
        id: Option<&str>,
        body: Option<&B>,
    ) -> Result<Reply<T>, ClientError> {
        let body = body.map(request_body).transpose()?;
        let raw = self.call(op, id, body).await?;
        if let Some(error) = raw.error() {
            return Err(ClientError::Api(error));
        }
        let value = serde_json::from_str(&raw.body).map_err(|e| ClientError::UnexpectedResponse {
            status: raw.status,
            expected: std::any::type_name::<T>().rsplit("::").next().unwrap_or("object"),
            detail: e.to_string(),
            request_id: raw.request_id.clone(),
        })?;
        Ok(Reply { status: raw.status, request_id: raw.request_id, value })
    }

    pub async fn create_checkout_session(
        &self,
        body: &CreateCheckoutSessionRequest,
    ) -> Result<Reply<CheckoutSession>, ClientError> {
        self.send(Operation::CreateCheckoutSession, None, Some(body)).await
    }

    pub async fn get_checkout_session(&self, checkout_session_id: &str) -> Result<Reply<CheckoutSession>, ClientError> {
        self.send::<(), _>(Operation::GetCheckoutSession, Some(checkout_session_id), None).await
    }

    pub async fn update_checkout_session(
        &self,
        checkout_session_id: &str,
        body: &UpdateCheckoutSessionRequest,
    ) -> Result<Reply<CheckoutSession>, ClientError> {
        self.send(Operation::UpdateCheckoutSession, Some(checkout_session_id), Some(body)).await
    }

    /// 200 when done, 202 when the authorization is still pending.
    pub async fn complete_checkout_session(
        &self,
        checkout_session_id: &str,
        body: &CompleteCheckoutSessionRequest,
    ) -> Result<Reply<CheckoutSession>, ClientError> {
        self.send(Operation::CompleteCheckoutSession, Some(checkout_session_id), Some(body)).await
    }

    pub async fn finalize_checkout_session(
        &self,
        checkout_session_id: &str,
        body: &FinalizeCheckoutSessionRequest,
    ) -> Result<Reply<CheckoutSession>, ClientError> {
        self.send(Operation::FinalizeCheckoutSession, Some(checkout_session_id), Some(body)).await
    }

    pub async fn get_charge_permission(
        &self,
        charge_permission_id: &str,
    ) -> Result<Reply<ChargePermission>, ClientError> {
        self.send::<(), _>(Operation::GetChargePermission, Some(charge_permission_id), None).await
    }

    pub async fn update_charge_permission(
        &self,
        charge_permission_id: &str,
        body: &UpdateChargePermissionRequest,
    ) -> Result<Reply<ChargePermission>, ClientError> {
        self.send(Operation::UpdateChargePermission, Some(charge_permission_id), Some(body)).await
    }

    pub async fn close_charge_permission(
        &self,
        charge_permission_id: &str,
        body: &CloseChargePermissionRequest,
    ) -> Result<Reply<ChargePermission>, ClientError> {
        self.send(Operation::CloseChargePermission, Some(charge_permission_id), Some(body)).await
    }

    pub async fn create_charge(&self, body: &CreateChargeRequest) -> Result<Reply<Charge>, ClientError> {
        self.send(Operation::CreateCharge, None, Some(body)).await
    }

    pub async fn get_charge(&self, charge_id: &str) -> Result<Reply<Charge>, ClientError> {
        self.send::<(), _>(Operation::GetCharge, Some(charge_id), None).await
    }

    pub async fn capture_charge(
        &self,
        charge_id: &str,
        body: &CaptureChargeRequest,
    ) -> Result<Reply<Charge>, ClientError> {
        self.send(Operation::CaptureCharge, Some(charge_id), Some(body)).await
    }

    pub async fn cancel_charge(
        &self,
        charge_id: &str,
        body: &CancelChargeRequest,
    ) -> Result<Reply<Charge>, ClientError> {
        self.send(Operation::CancelCharge, Some(charge_id), Some(body)).await
    }

    pub async fn create_refund(&self, body: &CreateRefundRequest) -> Result<Reply<Refund>, ClientError> {
        self.send(Operation::CreateRefund, None, Some(body)).await
    }

    pub async fn get_refund(&self, refund_id: &str) -> Result<Reply<Refund>, ClientError> {
        self.send::<(), _>(Operation::GetRefund, Some(refund_id), None).await
    }

    pub async fn get_buyer(&self, buyer_token: &str) -> Result<Reply<BuyerProfile>, ClientError> {
        self.send::<(), _>(Operation::GetBuyer, Some(buyer_token), None).await
    }

    /// The response shape is not documented for v2, so it is returned as JSON.
    pub async fn create_delivery_tracker(&self, body: &DeliveryTrackerRequest) -> Result<Reply<Value>, ClientError> {
        self.send(Operation::CreateDeliveryTracker, None, Some(body)).await
    }
}

/// The path part of a base URL (`https://h/v2` → `/v2`): what the canonical request signs.
fn path_of(base_url: &str) -> &str {
    let after_scheme = base_url.split_once("://").map_or(base_url, |(_, rest)| rest);
    after_scheme.find('/').map_or("", |i| &after_scheme[i..])
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_map_like_the_sdks() {
        for (alias, region, host, code) in [
            ("jp", Region::Jp, "pay-api.amazon.jp", "jp"),
            ("us", Region::Na, "pay-api.amazon.com", "na"),
            ("NA", Region::Na, "pay-api.amazon.com", "na"),
            ("eu", Region::Eu, "pay-api.amazon.eu", "eu"),
            ("uk", Region::Eu, "pay-api.amazon.eu", "eu"),
            ("de", Region::Eu, "pay-api.amazon.eu", "eu"),
        ] {
            let parsed: Region = alias.parse().unwrap();
            assert_eq!((parsed, parsed.host(), parsed.code()), (region, host, code), "{alias}");
        }
        assert!("fr".parse::<Region>().is_err());
    }

    #[test]
    fn key_style_selects_the_path_prefix() {
        let base = |key: &str, env| ApiBase::new(Region::Jp, key, env, None).unwrap().url;
        assert_eq!(base("SANDBOX-AFVX7ULWSGBZ5535PCUQOY7B", Environment::Sandbox), "https://pay-api.amazon.jp/v2");
        assert_eq!(base("sandbox-lowercase", Environment::Live), "https://pay-api.amazon.jp/v2");
        assert_eq!(base("LIVE-AFVX7ULWSGBZ5535PCUQOY7B", Environment::Live), "https://pay-api.amazon.jp/v2");
        assert_eq!(base("AFVX7ULWSGBZ5535PCUQOY7B", Environment::Sandbox), "https://pay-api.amazon.jp/sandbox/v2");
        assert_eq!(base("AFVX7ULWSGBZ5535PCUQOY7B", Environment::Live), "https://pay-api.amazon.jp/live/v2");
    }

    #[test]
    fn endpoint_override_sets_url_and_signed_host() {
        let url = Url::parse("http://127.0.0.1:8080").unwrap();
        let base = ApiBase::new(Region::Jp, "SANDBOX-X", Environment::Sandbox, Some(&url)).unwrap();
        assert_eq!(base, ApiBase { url: "http://127.0.0.1:8080/v2".into(), host: "127.0.0.1:8080".into() });
        let proxy = Url::parse("https://proxy.example/amazon-pay/").unwrap();
        let base = ApiBase::new(Region::Jp, "LEGACYKEY", Environment::Sandbox, Some(&proxy)).unwrap();
        assert_eq!(base.url, "https://proxy.example/amazon-pay/sandbox/v2");
        assert_eq!(base.host, "proxy.example");
        assert_eq!(path_of(&base.url), "/amazon-pay/sandbox/v2");
        let ftp = Url::parse("ftp://x").unwrap();
        assert!(ApiBase::new(Region::Jp, "K", Environment::Sandbox, Some(&ftp)).is_err());
    }

    #[test]
    fn request_bodies_drop_nulls() {
        let body = CompleteCheckoutSessionRequest { charge_amount: Some(Price::jpy(1000)), total_order_amount: None };
        assert_eq!(request_body(&body).unwrap(), br#"{"chargeAmount":{"amount":"1000","currencyCode":"JPY"}}"#);
    }

    #[tokio::test]
    async fn a_call_that_got_no_answer_is_evidence_with_its_retries() {
        // A port nobody listens on: bound, then released.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let key = crate::signing::PrivateKey::from_pem(include_str!("../tests/fixtures/vectors/test-key.pem")).unwrap();
        let options = ClientOptions {
            endpoint: Some(Url::parse(&format!("http://127.0.0.1:{port}")).unwrap()),
            max_retries: 2,
            retry_base_delay: Duration::from_millis(1),
            ..ClientOptions::default()
        };
        let log = CallLog::default();
        let client = Client::new(Signer::new("SANDBOX-K", key, crate::signing::Algorithm::V2), options)
            .unwrap()
            .recording(log.clone());
        assert!(matches!(client.get_charge("C1").await, Err(ClientError::Transport { .. })));
        let logged = log.take();
        assert_eq!(logged.len(), 1, "one exchange, however many attempts");
        let exchange = &logged[0];
        assert_eq!((exchange.status, exchange.operation), (None, Some(Operation::GetCharge)));
        assert!(exchange.transport_error.is_some(), "{exchange:?}");
        assert_eq!(exchange.retried_after.len(), 2, "both retries are named: {:?}", exchange.retried_after);
        assert!(exchange.retried_after.iter().all(|why| why.starts_with("connection: ")));
        assert!(!exchange.header("authorization").unwrap().contains("Signature="));
    }

    #[test]
    fn generated_idempotency_keys_fit_the_documented_shape() {
        let key = new_idempotency_key();
        assert_eq!(key.len(), 32);
        assert!(key.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(key, new_idempotency_key());
    }
}
