//! One merchant (one registered public key): its objects, idempotency keys, traffic record, event
//! log and virtual clock. Every change goes through [`Tenant::transact`]: time is settled first,
//! then the operation runs on a transaction ([`super::store::Tx`]) whose records and events are
//! applied together, or not at all.

use std::collections::HashMap;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::bounded::Bounded;
use super::checkout_session::{BuyerChoice, SessionRecord};
use super::clock::Clock;
use super::error::ErrorResponse;
use super::moved::Moved;
use super::operations::{self, parse_body, Answer};
use super::simulation::{self, buyer_by_id, Simulation};
use super::store::{json_of, Store, Tx};
use crate::evidence::{Event, Exchange};
use crate::model::*;
use crate::operation::Operation;
use crate::signing::PublicKey;

/// Idempotency keys kept per merchant; the oldest are forgotten first. Amazon documents no count
/// (keys are honoured for a day, spec §5.4); a bound keeps a long-running `serve` from growing.
const IDEMPOTENCY_KEYS: usize = 10_000;

/// A stored response for an idempotency key (spec §5.4).
#[derive(Clone, Debug)]
struct Stored {
    fingerprint: (Operation, Option<String>, Value),
    status: StatusCode,
    body: Value,
}

/// What the buyer does on a hosted page.
#[derive(Clone, Debug)]
pub enum BuyerStep {
    SignIn {
        email: String,
        password: String,
    },
    /// 続行: address and card chosen, back to the merchant's review page.
    Continue(BuyerChoice),
    /// 今すぐ支払う (APB): choose and pay at once.
    Pay(BuyerChoice),
    /// Back through `amazonPayRedirectUrl`: the payment is processed.
    Return,
    /// The cancel link.
    Cancel,
}

pub struct Tenant {
    pub public_key_id: String,
    pub public_key: PublicKey,
    pub clock: Clock,
    store: Store,
    idempotency: HashMap<String, Stored>,
    idempotency_order: Bounded<String>,
    /// Every request the emulator received for this merchant, rejected ones too.
    traffic: Bounded<Exchange>,
    /// Every state change of this merchant's objects.
    events: Bounded<Event>,
    /// Sign-In button clicks waiting for the buyer: id → (signInReturnUrl, scopes).
    sign_ins: HashMap<String, (String, Vec<Scope>)>,
    /// Issued buyer tokens: token → (buyer id, scopes).
    buyer_tokens: HashMap<String, (String, Vec<Scope>)>,
}

/// The Sign-In button's payload (`signInConfig.payloadJSON`, spec §3.6 / §9.4).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SignInPayload {
    pub sign_in_return_url: Option<String>,
    pub store_id: Option<String>,
    pub sign_in_scopes: Option<Vec<Scope>>,
}

impl Tenant {
    /// `record_cap`: how many requests and how many events the tenant keeps (oldest dropped).
    pub fn new(public_key_id: String, public_key: PublicKey, record_cap: usize) -> Self {
        Tenant {
            public_key_id,
            public_key,
            clock: Clock::default(),
            store: Store::default(),
            idempotency: HashMap::new(),
            idempotency_order: Bounded::new(IDEMPOTENCY_KEYS),
            traffic: Bounded::new(record_cap),
            events: Bounded::new(record_cap),
            sign_ins: HashMap::new(),
            buyer_tokens: HashMap::new(),
        }
    }

    /// A request the emulator received for this merchant.
    pub fn record(&mut self, exchange: Exchange) {
        self.traffic.push(exchange);
    }

    /// What the emulator received for this merchant, oldest first.
    pub fn traffic(&self) -> impl Iterator<Item = &Exchange> {
        self.traffic.iter()
    }

    /// Every state change of this merchant's objects, oldest first.
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.events.iter()
    }

    pub fn has_session(&self, id: &str) -> bool {
        self.store.session(id).is_some() || self.sign_ins.contains_key(id)
    }

    /// A Sign-In button click: remembers where to return; the buyer signs in next.
    pub fn begin_sign_in(&mut self, payload: &Value) -> Result<String, ErrorResponse> {
        let payload: SignInPayload = parse_body(payload)?;
        payload.store_id.as_ref().ok_or_else(|| ErrorResponse::missing_parameter("storeId"))?;
        let url = payload.sign_in_return_url.ok_or_else(|| ErrorResponse::missing_parameter("signInReturnUrl"))?;
        // Default scopes: name and email (spec §3.6, unconfirmed).
        let scopes = payload.sign_in_scopes.unwrap_or_else(|| vec![Scope::Name, Scope::Email]);
        let id = uuid::Uuid::new_v4().to_string();
        self.sign_ins.insert(id.clone(), (url, scopes));
        Ok(id)
    }

    pub fn is_sign_in(&self, id: &str) -> bool {
        self.sign_ins.contains_key(id)
    }

    /// The buyer signed in on a Sign-In page: a buyer token is issued and appended to
    /// `signInReturnUrl` as `buyerToken` (the parameter name is (unconfirmed), spec §3.6).
    pub fn finish_sign_in(&mut self, id: &str, email: &str, password: &str) -> Result<String, ErrorResponse> {
        let buyer = simulation::sign_in(email, password)?;
        let (url, scopes) = self.sign_ins.remove(id).ok_or_else(|| ErrorResponse::not_found("sign-in", id))?;
        let token = format!("BUYER-TOKEN.{}", uuid::Uuid::new_v4().simple());
        self.buyer_tokens.insert(token.clone(), (buyer.buyer_id.to_owned(), scopes));
        let sep = if url.contains('?') { '&' } else { '?' };
        Ok(format!("{url}{sep}buyerToken={token}"))
    }

    /// Get Buyer: the fields the Sign-In scopes asked for.
    fn buyer_profile(&self, token: &str) -> Result<BuyerProfile, ErrorResponse> {
        let (buyer_id, scopes) =
            self.buyer_tokens.get(token).ok_or_else(|| ErrorResponse::not_found("buyer token", token))?;
        let buyer = buyer_by_id(buyer_id).expect("issued tokens name existing buyers");
        let has = |s: Scope| scopes.contains(&s);
        let home = &buyer.addresses[0];
        Ok(BuyerProfile {
            buyer_id: Some(buyer.buyer_id.into()),
            name: has(Scope::Name).then(|| buyer.name.into()),
            email: has(Scope::Email).then(|| buyer.email.into()),
            postal_code: has(Scope::PostalCode).then(|| home.postal_code.clone()).flatten(),
            country_code: has(Scope::PostalCode).then(|| home.country_code.clone()).flatten(),
            phone_number: has(Scope::PhoneNumber).then(|| buyer.phone.into()),
            shipping_address: has(Scope::ShippingAddress).then(|| home.clone()),
            billing_address: has(Scope::BillingAddress).then(|| home.clone()),
            prime_membership_types: None,
        })
    }

    /// Applies every transition that is due on this tenant's clock.
    pub fn settle(&mut self) {
        let now = self.clock.now();
        let mut tx = self.store.begin();
        operations::settle(&mut tx, now);
        if tx.has_changes() {
            let events = self.store.apply(tx.into_changes());
            self.keep_events(events);
        }
    }

    fn keep_events(&mut self, events: Vec<Event>) {
        for event in events {
            self.events.push(event);
        }
    }

    /// Runs `change` on a transaction after settling the clock: its records and events are
    /// applied when it returns `Ok`, and nothing is when it returns `Err`.
    fn transact<R>(
        &mut self,
        change: impl FnOnce(&mut Tx<'_>, DateTime<Utc>) -> Result<R, ErrorResponse>,
    ) -> Result<R, ErrorResponse> {
        self.settle();
        let now = self.clock.now();
        let mut tx = self.store.begin();
        let result = change(&mut tx, now)?;
        let changes = tx.into_changes();
        let events = self.store.apply(changes);
        self.keep_events(events);
        Ok(result)
    }

    /// Runs one operation with idempotency: a POST with a known key and the same request replays
    /// the first response; with another request it is `DuplicateIdempotencyKey`. Server errors
    /// are not stored, so a retry may succeed.
    #[allow(clippy::too_many_arguments)]
    pub fn execute_idempotent(
        &mut self,
        op: Operation,
        id: Option<&str>,
        body: Value,
        idempotency_key: Option<&str>,
        simulation: Option<Simulation>,
        redirect_base: &str,
    ) -> Result<(StatusCode, Value), ErrorResponse> {
        let fingerprint = (op, id.map(str::to_owned), body.clone());
        if let Some(stored) = idempotency_key.and_then(|k| self.idempotency.get(k)) {
            if stored.fingerprint != fingerprint {
                return Err(ErrorResponse::duplicate_idempotency_key());
            }
            return Ok((stored.status, stored.body.clone()));
        }
        let result = self.execute(op, id, &body, simulation, redirect_base);
        if let Some(key) = idempotency_key {
            let (status, stored_body) = match &result {
                Ok((status, body)) => (*status, body.clone()),
                Err(e) => (e.status, e.body()),
            };
            if !status.is_server_error() {
                if let Some(forgotten) = self.idempotency_order.push(key.to_owned()) {
                    self.idempotency.remove(&forgotten);
                }
                self.idempotency.insert(key.to_owned(), Stored { fingerprint, status, body: stored_body });
            }
        }
        result
    }

    fn execute(
        &mut self,
        op: Operation,
        id: Option<&str>,
        body: &Value,
        simulation: Option<Simulation>,
        redirect_base: &str,
    ) -> Result<(StatusCode, Value), ErrorResponse> {
        if op == Operation::GetBuyer {
            return Ok((StatusCode::OK, json_of(&self.buyer_profile(id.unwrap_or_default())?)));
        }
        let answer = self.transact(|tx, now| operations::execute(tx, op, id, body, simulation, now))?;
        let now = self.clock.now();
        match answer {
            Answer::Object(status, object) => {
                let body = self.store.render(&object, redirect_base, now).expect("an answered object exists");
                Ok((status, body))
            }
            Answer::Json(status, body) => Ok((status, body)),
            Answer::Refusal(e) => Err(e),
        }
    }

    /// Creates a session from a verified button payload (`renderButton` / `initCheckout`).
    pub fn create_from_button(&mut self, payload: &Value, product_type: ProductType) -> Result<String, ErrorResponse> {
        let request: CreateCheckoutSessionRequest = parse_body(payload)?;
        self.transact(|tx, now| {
            let session = SessionRecord::create(uuid::Uuid::new_v4().to_string(), request, product_type, now)?;
            let id = session.id.clone();
            tx.put_session(session);
            Ok(id)
        })
    }

    /// The session as the hosted pages show it.
    pub fn session(&mut self, session_id: &str) -> Result<SessionRecord, ErrorResponse> {
        self.settle();
        self.store.session(session_id).cloned().ok_or_else(|| ErrorResponse::not_found("Checkout Session", session_id))
    }

    /// One step of the buyer on the hosted pages; returns where the buyer is sent next, with
    /// `amazonCheckoutSessionId` appended where Amazon appends it.
    pub fn buyer_step(&mut self, session_id: &str, step: BuyerStep) -> Result<String, ErrorResponse> {
        self.transact(|tx, now| {
            let session = tx.session(session_id)?.clone();
            let with_id = |url: String| {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}amazonCheckoutSessionId={session_id}")
            };
            let result_url = || with_id(session.web.checkout_result_return_url.clone().unwrap_or_default());
            let review_url = || with_id(session.web.checkout_review_return_url.clone().unwrap_or_default());
            let (next, url) = match step {
                BuyerStep::SignIn { email, password } => {
                    let buyer = simulation::sign_in(&email, &password)?;
                    let choice = BuyerChoice { buyer_id: buyer.buyer_id.into(), address: 0, card: 0 };
                    (Moved::unchanged(session.choose(choice, now)?), format!("/hosted/checkout-sessions/{session_id}"))
                }
                BuyerStep::Continue(choice) if !session.is_apb() => {
                    (Moved::unchanged(session.choose(choice, now)?), review_url())
                }
                BuyerStep::Pay(choice) if session.is_apb() => {
                    (session.choose(choice, now)?.process(now)?, result_url())
                }
                BuyerStep::Return if !session.is_apb() => (session.process(now)?, result_url()),
                BuyerStep::Cancel => {
                    let url = session.web.checkout_cancel_url.clone().map(with_id).unwrap_or_else(|| {
                        if session.is_apb() {
                            result_url()
                        } else {
                            review_url()
                        }
                    });
                    (session.canceled("BuyerCanceled", now), url)
                }
                _ => {
                    return Err(ErrorResponse::invalid_request(
                        "This step is not possible on this Checkout Session's page.",
                    ))
                }
            };
            tx.put_session(next);
            Ok(url)
        })
    }

    /// Every object of the tenant as the API would return it (control API, debugging).
    pub fn objects(&self, redirect_base: &str) -> Value {
        let now = self.clock.now();
        let mut out = json!({
            "now": Timestamp(now),
            "checkoutSessions": [], "chargePermissions": [], "charges": [], "refunds": [],
        });
        for object in self.store.objects() {
            let list = match object {
                super::store::Object::Session(_) => "checkoutSessions",
                super::store::Object::Permission(_) => "chargePermissions",
                super::store::Object::Charge(_) => "charges",
                super::store::Object::Refund(_) => "refunds",
            };
            if let (Some(rendered), Some(items)) =
                (self.store.render(&object, redirect_base, now), out[list].as_array_mut())
            {
                items.push(rendered);
            }
        }
        out
    }
}
