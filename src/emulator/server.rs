//! The HTTP layer: routes, authentication from the wire, idempotency and simulation headers,
//! request ids, the control API and the redirect URL. Handlers only parse, authenticate, lock
//! the tenant, call into it and render.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{Duration, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::bounded::Bounded;
use super::checkout_session::BuyerChoice;
use super::error::ErrorResponse;
use super::simulation::{simulation_for, TEST_BUYERS};
use super::tenant::{BuyerStep, Tenant};
use crate::evidence::{body_value, recorded_headers, Exchange};
use crate::model::Timestamp;
use crate::operation::Operation;
use crate::pacing::{sandbox_quota, TokenBuckets};
use crate::signing::{parse_amz_date, verify_wire_request, Authorization, PublicKey, VerifyError, WireRequest};

/// Largest request body accepted; larger ones get a 400, not a crash.
const MAX_BODY: usize = 256 * 1024;

#[derive(Clone, Debug)]
pub struct Settings {
    /// Allowed difference between `x-amz-pay-date` and real time. Amazon's value is (unconfirmed);
    /// 15 minutes, as AWS SigV4. `None` switches the check off (replaying recorded vectors).
    pub max_clock_skew: Option<Duration>,
    /// Base URL of the hosted pages (for `amazonPayRedirectUrl`), e.g. `http://127.0.0.1:8080`.
    pub public_base: String,
    /// Enforce the sandbox's throttling quotas per merchant and operation (429 `TooManyRequests`).
    /// Off by default: the suite's scenarios each have their own tenant and run at full speed.
    pub throttle: bool,
    /// Per merchant: how many requests the traffic record keeps, and how many events the event
    /// log keeps; the oldest go first (`serve --record-cap`).
    pub record_cap: usize,
}

/// The default of [`Settings::record_cap`]: a whole scenario's evidence many times over, and a
/// few MiB per merchant at most.
pub const RECORD_CAP: usize = 1_000;

/// The emulator's shared state: every tenant, keyed by public key id.
pub struct Emulator {
    tenants: Mutex<HashMap<String, Tenant>>,
    /// Requests whose key id names no registered merchant (or that carry none).
    unknown: Mutex<Bounded<Exchange>>,
    settings: Settings,
    /// Throttling quotas used, per merchant and operation (real time, like Amazon's); only when
    /// `Settings::throttle` is on.
    quotas: Option<TokenBuckets<(String, Operation)>>,
}

impl Emulator {
    pub fn new(settings: Settings) -> Arc<Self> {
        Arc::new(Emulator {
            tenants: Mutex::new(HashMap::new()),
            unknown: Mutex::new(Bounded::new(settings.record_cap)),
            quotas: settings.throttle.then(TokenBuckets::default),
            settings,
        })
    }

    fn tenants(&self) -> MutexGuard<'_, HashMap<String, Tenant>> {
        self.tenants.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Registers a merchant key; `LIVE-` keys are refused: this is a sandbox.
    pub fn register(&self, public_key_id: &str, pem: &str) -> Result<bool, ErrorResponse> {
        if public_key_id.trim().is_empty() || crate::client::is_live_key(public_key_id) {
            return Err(ErrorResponse::invalid_parameter("publicKeyId", "a sandbox key id is required"));
        }
        let key = PublicKey::from_pem(pem).map_err(|e| ErrorResponse::invalid_parameter("publicKeyPem", e))?;
        let mut tenants = self.tenants();
        if let Some(existing) = tenants.get(public_key_id) {
            return if existing.public_key == key {
                Ok(false)
            } else {
                Err(ErrorResponse::new(
                    StatusCode::CONFLICT,
                    "InvalidRequest",
                    "This key id is registered with another key.",
                ))
            };
        }
        let cap = self.settings().record_cap;
        tenants.insert(public_key_id.to_owned(), Tenant::new(public_key_id.to_owned(), key, cap));
        Ok(true)
    }

    pub fn key_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.tenants().keys().cloned().collect();
        ids.sort();
        ids
    }
}

/// The emulator's routes. `control_api: false` is `serve --sandbox-faithful`: no `/__emulator/`
/// routes (no registration over HTTP, no clock travel, no buyer shortcut), so the clock runs in
/// real time and a client sees only what Amazon's sandbox offers.
pub fn router(emulator: Arc<Emulator>, control_api: bool) -> Router {
    let control = Router::new()
        .route("/__emulator/merchants", post(register_merchant))
        .route("/__emulator/merchants/{key_id}/clock", post(advance_clock))
        .route("/__emulator/merchants/{key_id}/objects", get(objects))
        .route("/__emulator/merchants/{key_id}/traffic", get(traffic))
        .route("/__emulator/merchants/{key_id}/events", get(events))
        .route("/__emulator/unknown-merchant/traffic", get(unknown_traffic))
        .route("/__emulator/checkout-sessions/{id}/buyer", post(act_as_buyer));
    let base = if control_api { control } else { Router::new() };
    base.route("/hosted/checkout-sessions/{id}/redirect", get(redirect_url))
        .merge(super::hosted::routes())
        .fallback(api)
        .layer(axum::middleware::map_response(add_request_id))
        .with_state(emulator)
}

const REQUEST_ID: &str = "x-amz-pay-request-id";

/// Every response carries `x-amz-pay-request-id` (the Java SDK dereferences it unconditionally);
/// API answers get theirs in [`api`], where the traffic record notes it.
async fn add_request_id(mut response: Response) -> Response {
    if !response.headers().contains_key(REQUEST_ID) {
        let id = uuid::Uuid::new_v4().to_string();
        response.headers_mut().insert(REQUEST_ID, HeaderValue::from_str(&id).expect("a UUID is a valid header"));
    }
    response
}

/// Maps a path after the prefix (`/charges/C1/capture`) to its operation.
fn route(method: &Method, rest: &str) -> Result<(Operation, Option<String>), ErrorResponse> {
    let segments: Vec<&str> = rest.trim_matches('/').split('/').collect();
    let mut path_matches = false;
    for op in Operation::ALL {
        let expected = match (op.takes_id(), op.action()) {
            (false, _) => 1,
            (true, None) => 2,
            (true, Some(_)) => 3,
        };
        let fits = segments.len() == expected
            && segments[0] == op.resource()
            && op.action().is_none_or(|a| segments[2] == a)
            && segments.iter().all(|s| !s.is_empty());
        if fits {
            path_matches = true;
            if op.method() == *method {
                return Ok((op, op.takes_id().then(|| segments[1].to_owned())));
            }
        }
    }
    Err(if path_matches {
        ErrorResponse::unsupported_operation(format!("{method} is not supported on this path."))
    } else {
        ErrorResponse::not_found("resource", rest)
    })
}

fn authenticate(emulator: &Emulator, wire: &WireRequest<'_>, settings: &Settings) -> Result<String, ErrorResponse> {
    let date = wire.header("x-amz-pay-date").ok_or_else(|| ErrorResponse::missing_header("x-amz-pay-date"))?;
    let at = parse_amz_date(&date).ok_or_else(|| {
        ErrorResponse::invalid_header("x-amz-pay-date", "expected 20250115T093000Z or 2025-01-15T09:30:00Z")
    })?;
    if let Some(max) = settings.max_clock_skew {
        if (Utc::now() - at).abs() > max {
            return Err(ErrorResponse::invalid_signature(format!(
                "x-amz-pay-date is more than {} minutes away from the server's time.",
                max.num_minutes()
            )));
        }
    }
    let verified = verify_wire_request(wire, |id| emulator.tenants().get(id).map(|t| t.public_key.clone())).map_err(
        |e| match e {
            VerifyError::MissingAuthorization => ErrorResponse::missing_header("authorization"),
            VerifyError::MissingSignedHeader(name) => ErrorResponse::missing_header(&name),
            VerifyError::MalformedAuthorization(_) | VerifyError::UnknownAlgorithm(_) => {
                ErrorResponse::invalid_header("authorization", e)
            }
            VerifyError::UnknownKey(_) | VerifyError::BadSignature => ErrorResponse::invalid_signature(
                "The signature in the Authorization header of your API call is invalid.",
            ),
        },
    )?;
    for required in ["x-amz-pay-date", "x-amz-pay-host"] {
        if !verified.signed_headers.iter().any(|h| h.eq_ignore_ascii_case(required)) {
            return Err(ErrorResponse::invalid_signature(format!("{required} must be signed.")));
        }
    }
    Ok(verified.public_key_id)
}

/// Idempotency keys: at most 32 of `[A-Za-z0-9_-]` (docs idempotency); required on the create
/// and money-moving POSTs the docs name, optional elsewhere.
fn idempotency_key(op: Operation, headers: &HeaderMap) -> Result<Option<String>, ErrorResponse> {
    const NAME: &str = "x-amz-pay-idempotency-key";
    if op.method() != Method::POST {
        return Ok(None);
    }
    let Some(value) = headers.get(NAME) else {
        return match op {
            Operation::CreateCheckoutSession
            | Operation::CreateCharge
            | Operation::CaptureCharge
            | Operation::CreateRefund => Err(ErrorResponse::missing_header(NAME)),
            _ => Ok(None),
        };
    };
    let key = value.to_str().unwrap_or_default();
    let valid =
        !key.is_empty() && key.len() <= 32 && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        return Err(ErrorResponse::invalid_header(NAME, "at most 32 characters of A-Z a-z 0-9 _ -"));
    }
    Ok(Some(key.to_owned()))
}

/// Who a request claims to come from: the authenticated key id, or else the `PublicKeyId` of its
/// `Authorization` header (a bad signature still belongs to that merchant's record).
fn claimed_key_id(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("authorization")?.to_str().ok()?;
    Authorization::parse(value).ok().map(|a| a.public_key_id)
}

async fn api(
    State(emulator): State<Arc<Emulator>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (arrived, started) = (Utc::now(), std::time::Instant::now());
    let settings = emulator.settings();
    // `answer` notes the merchant and the operation as soon as it knows them, so a request refused
    // later (a bad signature, a malformed body) is still recorded as what it was.
    let (mut key_id, mut operation) = (None, None);
    let result = answer(&emulator, settings, &method, &uri, &headers, &body, &mut key_id, &mut operation);
    let (status, out, reason_code) = match result {
        Ok((status, out)) => (status, out, None),
        Err(e) => (e.status, e.body(), Some(e.reason_code.to_owned())),
    };
    let request_id = uuid::Uuid::new_v4().to_string();
    let exchange = Exchange {
        at: arrived,
        virtual_at: None,
        duration_ms: started.elapsed().as_millis() as u64,
        operation,
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or_default().to_owned(),
        request_headers: recorded_headers(
            headers.iter().map(|(n, v)| (n.as_str(), std::str::from_utf8(v.as_bytes()).unwrap_or("(not UTF-8)"))),
        ),
        request: body_value(&body),
        status: Some(status.as_u16()),
        reason_code,
        request_id: Some(request_id.clone()),
        retry_after: None,
        response: Some(out.clone()),
        retried_after: Vec::new(),
        transport_error: None,
    };
    emulator.record(key_id.or_else(|| claimed_key_id(&headers)), exchange);
    let mut response = (status, Json(out)).into_response();
    response.headers_mut().insert(REQUEST_ID, HeaderValue::from_str(&request_id).expect("a UUID is a valid header"));
    response
}

impl Emulator {
    /// Files a request under its merchant, or under the unknown merchant when no registered key
    /// id is named; each record keeps its newest [`Settings::record_cap`] requests.
    fn record(&self, key_id: Option<String>, mut exchange: Exchange) {
        let mut tenants = self.tenants();
        match key_id.as_deref().and_then(|id| tenants.get_mut(id)) {
            Some(tenant) => {
                exchange.virtual_at = Some(Timestamp(tenant.clock.now()));
                tenant.record(exchange);
            }
            None => {
                drop(tenants);
                self.unknown.lock().unwrap_or_else(|e| e.into_inner()).push(exchange);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn answer(
    emulator: &Emulator,
    settings: &Settings,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
    key_id: &mut Option<String>,
    operation: &mut Option<Operation>,
) -> Result<(StatusCode, Value), ErrorResponse> {
    let path = uri.path();
    let rest = if let Some(rest) = path.strip_prefix("/sandbox/v2") {
        rest
    } else if let Some(rest) = path.strip_prefix("/v2") {
        rest
    } else if path.starts_with("/live/") {
        return Err(ErrorResponse::invalid_request("This is a sandbox emulator: /live/ paths are not served."));
    } else {
        return Err(ErrorResponse::not_found("resource", path));
    };
    let (op, id) = route(method, rest)?;
    *operation = Some(op);
    if body.len() > MAX_BODY {
        return Err(ErrorResponse::invalid_request(format!("The request body exceeds {MAX_BODY} bytes.")));
    }
    let header_list: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let wire =
        WireRequest { method: method.as_str(), path, query: uri.query().unwrap_or(""), headers: &header_list, body };
    let authenticated = authenticate(emulator, &wire, settings)?;
    *key_id = Some(authenticated.clone());
    if let Some(quotas) = &emulator.quotas {
        // Counted once authenticated, before anything is looked at: a throttled request changes nothing.
        quotas
            .try_take((authenticated.clone(), op), sandbox_quota(op))
            .map_err(|_| ErrorResponse::too_many_requests(op.title()))?;
    }
    let simulation =
        wire.header("x-amz-pay-simulation-code").map(|code| simulation_for(op, code.trim())).transpose()?;
    let idempotency = idempotency_key(op, headers)?;
    let request_json = if op.has_body() && !body.iter().all(u8::is_ascii_whitespace) {
        serde_json::from_slice(body).map_err(ErrorResponse::invalid_request_format)?
    } else {
        json!({})
    };
    let mut tenants = emulator.tenants();
    let tenant = tenants.get_mut(&authenticated).expect("an authenticated key has a tenant");
    tenant.execute_idempotent(
        op,
        id.as_deref(),
        request_json,
        idempotency.as_deref(),
        simulation,
        &settings.public_base,
    )
}

// ---- control API (not Amazon's; under /__emulator/) ----

fn control_error(e: ErrorResponse) -> Response {
    e.into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterMerchant {
    public_key_id: String,
    public_key_pem: String,
}

async fn register_merchant(State(emulator): State<Arc<Emulator>>, body: Bytes) -> Response {
    let request: RegisterMerchant = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return control_error(ErrorResponse::invalid_request_format(e)),
    };
    match emulator.register(&request.public_key_id, &request.public_key_pem) {
        Ok(created) => {
            let status = if created { StatusCode::CREATED } else { StatusCode::OK };
            (status, Json(json!({ "publicKeyId": request.public_key_id }))).into_response()
        }
        Err(e) => control_error(e),
    }
}

pub(super) fn with_tenant<T>(
    emulator: &Emulator,
    key_id: &str,
    f: impl FnOnce(&mut Tenant) -> T,
) -> Result<T, ErrorResponse> {
    let mut tenants = emulator.tenants();
    let tenant = tenants.get_mut(key_id).ok_or_else(|| ErrorResponse::not_found("merchant", key_id))?;
    tenant.settle();
    Ok(f(tenant))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AdvanceClock {
    advance_seconds: i64,
}

async fn advance_clock(State(emulator): State<Arc<Emulator>>, Path(key_id): Path<String>, body: Bytes) -> Response {
    let request: AdvanceClock = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return control_error(ErrorResponse::invalid_request_format(e)),
    };
    let result = with_tenant(&emulator, &key_id, |t| {
        t.clock.advance(Duration::seconds(request.advance_seconds));
        t.settle();
        json!({ "now": Timestamp(t.clock.now()) })
    });
    result.map_or_else(control_error, |v| Json(v).into_response())
}

async fn objects(State(emulator): State<Arc<Emulator>>, Path(key_id): Path<String>) -> Response {
    let base = emulator.settings().public_base.clone();
    with_tenant(&emulator, &key_id, |t| t.objects(&base)).map_or_else(control_error, |v| Json(v).into_response())
}

/// What the emulator received for a merchant, oldest first: every request, rejected ones too.
async fn traffic(State(emulator): State<Arc<Emulator>>, Path(key_id): Path<String>) -> Response {
    let record = with_recorded(&emulator, &key_id, |t| json!(t.traffic().collect::<Vec<_>>()));
    record.map_or_else(control_error, |v| Json(v).into_response())
}

/// Every state change of a merchant's objects, oldest first, including those nobody polled.
async fn events(State(emulator): State<Arc<Emulator>>, Path(key_id): Path<String>) -> Response {
    // Settled first: what is due by the merchant's clock has happened.
    let events = with_tenant(&emulator, &key_id, |t| json!(t.events().collect::<Vec<_>>()));
    events.map_or_else(control_error, |v| Json(v).into_response())
}

/// Requests that named no registered merchant, oldest first.
async fn unknown_traffic(State(emulator): State<Arc<Emulator>>) -> Response {
    let unknown = emulator.unknown.lock().unwrap_or_else(|e| e.into_inner());
    Json(json!(unknown.iter().collect::<Vec<_>>())).into_response()
}

/// Reads a tenant without settling its clock: reading the record changes nothing.
fn with_recorded<T>(emulator: &Emulator, key_id: &str, f: impl FnOnce(&Tenant) -> T) -> Result<T, ErrorResponse> {
    let tenants = emulator.tenants();
    tenants.get(key_id).map(f).ok_or_else(|| ErrorResponse::not_found("merchant", key_id))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
struct BuyerAction {
    card: Option<String>,
    action: Option<String>,
}

pub(super) fn with_session_tenant<T>(
    emulator: &Emulator,
    session_id: &str,
    f: impl FnOnce(&mut Tenant) -> Result<T, ErrorResponse>,
) -> Result<T, ErrorResponse> {
    let mut tenants = emulator.tenants();
    let tenant = tenants
        .values_mut()
        .find(|t| t.has_session(session_id))
        .ok_or_else(|| ErrorResponse::not_found("Checkout Session", session_id))?;
    f(tenant)
}

/// The control API's buyer: `continue` signs in test buyer 1 and chooses (card …1111 unless
/// given), or, once the merchant cleared the constraints, returns through `amazonPayRedirectUrl`;
/// `pay` is APB's 今すぐ支払う; `cancel` the cancel link.
fn control_buyer(
    emulator: &Emulator,
    session_id: &str,
    card: Option<&str>,
    action: &str,
) -> Result<String, ErrorResponse> {
    with_session_tenant(emulator, session_id, |tenant| {
        let session = tenant.session(session_id)?;
        let buyer = &TEST_BUYERS[0];
        let last4 = card.unwrap_or("1111");
        let choice = || -> Result<BuyerChoice, ErrorResponse> {
            let card = buyer.cards.iter().position(|c| c.last4 == last4).ok_or_else(|| {
                ErrorResponse::invalid_parameter("card", format!("the test buyer has no card ending {last4}"))
            })?;
            let address = session.buyer.as_ref().map_or(0, |b| b.address);
            Ok(BuyerChoice { buyer_id: buyer.buyer_id.into(), address, card })
        };
        let step = match action {
            "cancel" => BuyerStep::Cancel,
            "pay" => BuyerStep::Pay(choice()?),
            "continue" if session.buyer.is_none() || card.is_some() || !session.constraints().is_empty() => {
                BuyerStep::Continue(choice()?)
            }
            "continue" => BuyerStep::Return,
            other => return Err(ErrorResponse::invalid_parameter("action", format!("unknown action `{other}`"))),
        };
        tenant.buyer_step(session_id, step)
    })
}

async fn act_as_buyer(State(emulator): State<Arc<Emulator>>, Path(id): Path<String>, body: Bytes) -> Response {
    let request: BuyerAction = if body.is_empty() {
        BuyerAction::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(r) => r,
            Err(e) => return control_error(ErrorResponse::invalid_request_format(e)),
        }
    };
    let action = request.action.as_deref().unwrap_or("continue");
    match control_buyer(&emulator, &id, request.card.as_deref(), action) {
        Ok(url) => Json(json!({ "redirectUrl": url })).into_response(),
        Err(e) => control_error(e),
    }
}

/// `amazonPayRedirectUrl`: the buyer returns through it and is sent to the result URL.
async fn redirect_url(State(emulator): State<Arc<Emulator>>, Path(id): Path<String>) -> Response {
    match with_session_tenant(&emulator, &id, |t| t.buyer_step(&id, BuyerStep::Return)) {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => control_error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_route_to_operations_with_or_without_trailing_slash() {
        assert_eq!(route(&Method::POST, "/checkoutSessions").unwrap(), (Operation::CreateCheckoutSession, None));
        assert_eq!(route(&Method::POST, "/checkoutSessions/").unwrap().0, Operation::CreateCheckoutSession);
        assert_eq!(
            route(&Method::POST, "/charges/C1/capture/").unwrap(),
            (Operation::CaptureCharge, Some("C1".into()))
        );
        assert_eq!(route(&Method::DELETE, "/chargePermissions/P1/close").unwrap().0, Operation::CloseChargePermission);
        assert_eq!(route(&Method::PUT, "/charges/C1").unwrap_err().reason_code, "UnsupportedOperation");
        assert_eq!(route(&Method::GET, "/nothing/here").unwrap_err().status, StatusCode::NOT_FOUND);
    }
}
