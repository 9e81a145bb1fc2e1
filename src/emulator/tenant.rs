//! One merchant (one registered public key): its objects, idempotency keys, traffic log and
//! virtual clock, and the operations that tie the per-object state machines together.
//!
//! Every operation validates everything first and only then writes, so a rejected request
//! changes nothing.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use super::charge::{ChargeRecord, Start};
use super::charge_permission::PermissionRecord;
use super::checkout_session::{BuyerChoice, SessionRecord};
use super::clock::Clock;
use super::error::ErrorResponse;
use super::limits;
use super::refund::RefundRecord;
use super::simulation::{self, buyer_by_id, Simulation};
use crate::model::*;
use crate::operation::Operation;
use crate::signing::PublicKey;

/// A stored response for an idempotency key (spec §5.4).
#[derive(Clone, Debug)]
struct Stored {
    fingerprint: (Operation, Option<String>, Value),
    status: u16,
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

/// One API exchange, for debugging and, later, the reports.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exchange {
    pub at: Timestamp,
    pub operation: Option<&'static str>,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub request: Value,
    pub response: Value,
}

pub struct Tenant {
    pub public_key_id: String,
    pub public_key: PublicKey,
    pub clock: Clock,
    sessions: BTreeMap<String, SessionRecord>,
    permissions: BTreeMap<String, PermissionRecord>,
    charges: BTreeMap<String, ChargeRecord>,
    refunds: BTreeMap<String, RefundRecord>,
    idempotency: HashMap<String, Stored>,
    pub traffic: Vec<Exchange>,
    sequence: u64,
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

/// Parses a request body strictly: malformed JSON is `InvalidRequestFormat`, an unknown field
/// `UnrecognizedField`, a wrong type or value `InvalidParameterValue`, all naming the field.
pub fn parse_body<T: DeserializeOwned>(body: &Value) -> Result<T, ErrorResponse> {
    if !body.is_object() {
        return Err(ErrorResponse::invalid_request_format("the body must be a JSON object"));
    }
    let mut unknown = Vec::new();
    let mut track = serde_path_to_error::Track::new();
    let parsed = serde_ignored::deserialize(serde_path_to_error::Deserializer::new(body, &mut track), |path| {
        // serde_ignored writes `?` for an Option level; the field path is what a merchant needs.
        unknown.push(path.to_string().split('.').filter(|s| *s != "?").collect::<Vec<_>>().join("."))
    });
    match parsed {
        Err(e) => {
            let path = track.path().to_string();
            let text = e.to_string();
            Err(if text.starts_with("missing field") {
                let field = text.split('`').nth(1).unwrap_or("");
                ErrorResponse::missing_parameter(&if path == "." {
                    field.to_owned()
                } else {
                    format!("{path}.{field}")
                })
            } else {
                ErrorResponse::invalid_parameter(&path, text)
            })
        }
        Ok(_) if !unknown.is_empty() => Err(ErrorResponse::unrecognized_field(&unknown[0])),
        Ok(value) => Ok(value),
    }
}

fn json_of<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("model types always serialize")
}

impl Tenant {
    pub fn new(public_key_id: String, public_key: PublicKey) -> Self {
        Tenant {
            public_key_id,
            public_key,
            clock: Clock::default(),
            sessions: BTreeMap::new(),
            permissions: BTreeMap::new(),
            charges: BTreeMap::new(),
            refunds: BTreeMap::new(),
            idempotency: HashMap::new(),
            traffic: Vec::new(),
            sequence: 0,
            sign_ins: HashMap::new(),
            buyer_tokens: HashMap::new(),
        }
    }

    pub fn has_session(&self, id: &str) -> bool {
        self.sessions.contains_key(id) || self.sign_ins.contains_key(id)
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
        for session in self.sessions.values_mut() {
            *session = session.settle(now);
        }
        for refund in self.refunds.values_mut() {
            *refund = refund.settle(now);
        }
        let mut declined = Vec::new();
        for charge in self.charges.values_mut() {
            let next = charge.settle(now);
            if next.state == ChargeState::Declined && charge.state != ChargeState::Declined {
                declined.push((
                    next.charge_permission_id.clone(),
                    next.reason_code.clone().unwrap_or_default(),
                    next.updated,
                ));
            }
            *charge = next;
        }
        for charge in self.charges.values_mut() {
            let refunded = self
                .refunds
                .values()
                .filter(|r| r.charge_id == charge.id && r.state == RefundState::Refunded)
                .fold(Amount::ZERO, |sum, r| Amount(sum.0 + r.amount.amount.0));
            charge.refunded = refunded;
        }
        for (permission_id, code, at) in declined {
            if let Some(p) = self.permissions.get_mut(&permission_id) {
                *p = p.after_decline(&code, at);
            }
        }
        let ids: Vec<String> = self.permissions.keys().cloned().collect();
        for id in ids {
            let charges: Vec<&ChargeRecord> = self.charges.values().filter(|c| c.charge_permission_id == id).collect();
            let p = &self.permissions[&id];
            let next = p.settle(now).close_if_fully_captured(&charges, now);
            self.permissions.insert(id, next);
        }
    }

    fn next_permission_id(&mut self) -> String {
        self.sequence += 1;
        let random = uuid::Uuid::new_v4().as_u128();
        format!("S03-{:07}-{:07}", (random % 10_000_000) as u64, self.sequence % 10_000_000)
    }

    fn next_child_id(&mut self, permission_id: &str, letter: char) -> String {
        self.sequence += 1;
        format!("{permission_id}-{letter}{:06}", self.sequence % 1_000_000)
    }

    fn charges_of(&self, permission_id: &str) -> Vec<&ChargeRecord> {
        self.charges.values().filter(|c| c.charge_permission_id == permission_id).collect()
    }

    fn permission_json(&self, id: &str, now: DateTime<Utc>) -> Value {
        json_of(&self.permissions[id].to_model(&self.charges_of(id), now))
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
    ) -> Result<(u16, Value), ErrorResponse> {
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
                Err(e) => (e.status.as_u16(), e.body()),
            };
            if status < 500 {
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
    ) -> Result<(u16, Value), ErrorResponse> {
        use Operation::*;
        let now = self.clock.now();
        let id = id.unwrap_or_default();
        let session_of =
            |t: &Self| t.sessions.get(id).cloned().ok_or_else(|| ErrorResponse::not_found("Checkout Session", id));
        let permission_of = |t: &Self, id: &str| {
            t.permissions.get(id).cloned().ok_or_else(|| ErrorResponse::not_found("Charge Permission", id))
        };
        let charge_of =
            |t: &Self, id: &str| t.charges.get(id).cloned().ok_or_else(|| ErrorResponse::not_found("Charge", id));
        match op {
            CreateCheckoutSession => {
                let request: CreateCheckoutSessionRequest = parse_body(body)?;
                let session =
                    SessionRecord::create(uuid::Uuid::new_v4().to_string(), request, ProductType::PayAndShip, now)?;
                let out = json_of(&session.to_model(redirect_base));
                self.sessions.insert(session.id.clone(), session);
                Ok((201, out))
            }
            GetCheckoutSession => Ok((200, json_of(&session_of(self)?.to_model(redirect_base)))),
            UpdateCheckoutSession => {
                let request: UpdateCheckoutSessionRequest = parse_body(body)?;
                let next = session_of(self)?.update(request, now)?;
                let out = json_of(&next.to_model(redirect_base));
                self.sessions.insert(next.id.clone(), next);
                Ok((200, out))
            }
            CompleteCheckoutSession => {
                let request: CompleteCheckoutSessionRequest = parse_body(body)?;
                self.complete(session_of(self)?, &request, simulation, redirect_base, now)
            }
            FinalizeCheckoutSession => {
                // Finalize (JS-based flows) carries the final amounts and intent and completes in
                // one call; modelled as Update + Complete with the same amounts (unconfirmed).
                let request: FinalizeCheckoutSessionRequest = parse_body(body)?;
                let update = UpdateCheckoutSessionRequest {
                    payment_details: Some(PaymentDetails {
                        payment_intent: request.payment_intent,
                        can_handle_pending_authorization: request.can_handle_pending_authorization,
                        charge_amount: request.charge_amount.clone(),
                        total_order_amount: request.total_order_amount.clone(),
                        ..Default::default()
                    }),
                    ..Default::default()
                };
                let updated = session_of(self)?.update(update, now)?;
                let complete = CompleteCheckoutSessionRequest {
                    charge_amount: request.charge_amount,
                    total_order_amount: request.total_order_amount,
                };
                self.complete(updated, &complete, simulation, redirect_base, now)
            }
            GetChargePermission => {
                permission_of(self, id)?;
                Ok((200, self.permission_json(id, now)))
            }
            UpdateChargePermission => {
                let request: UpdateChargePermissionRequest = parse_body(body)?;
                let next =
                    permission_of(self, id)?.update(request.merchant_metadata, request.recurring_metadata, now)?;
                self.permissions.insert(id.to_owned(), next);
                Ok((200, self.permission_json(id, now)))
            }
            CloseChargePermission => {
                let request: CloseChargePermissionRequest = parse_body(body)?;
                if request.closure_reason.as_ref().is_some_and(|r| r.chars().count() > 255) {
                    return Err(ErrorResponse::invalid_parameter("closureReason", "at most 255 characters"));
                }
                let code = if simulation == Some(Simulation::AmazonClosed) { "AmazonClosed" } else { "MerchantClosed" };
                let next = permission_of(self, id)?.close(code, request.closure_reason, now)?;
                self.permissions.insert(id.to_owned(), next);
                if request.cancel_pending_charges == Some(true) {
                    for charge in self.charges.values_mut().filter(|c| c.charge_permission_id == id) {
                        *charge = charge.cancel_for_closed_permission(now);
                    }
                }
                Ok((200, self.permission_json(id, now)))
            }
            CreateCharge => self.create_charge(parse_body(body)?, simulation, now),
            GetCharge => Ok((200, json_of(&charge_of(self, id)?.to_model()))),
            CaptureCharge => {
                let request: CaptureChargeRequest = parse_body(body)?;
                let amount = request.capture_amount.ok_or_else(|| ErrorResponse::missing_parameter("captureAmount"))?;
                limits::check_price("captureAmount", &amount)?;
                let outcome = match simulation {
                    Some(Simulation::AsyncCapture(outcome)) => Some(outcome),
                    _ => None,
                };
                let next = charge_of(self, id)?.capture(amount, outcome, now)?;
                let permission_id = next.charge_permission_id.clone();
                let out = json_of(&next.to_model());
                self.charges.insert(id.to_owned(), next);
                let closed =
                    self.permissions[&permission_id].close_if_fully_captured(&self.charges_of(&permission_id), now);
                self.permissions.insert(permission_id, closed);
                Ok((200, out))
            }
            CancelCharge => {
                let request: CancelChargeRequest = parse_body(body)?;
                let next = charge_of(self, id)?.cancel(request.cancellation_reason, now)?;
                let out = json_of(&next.to_model());
                self.charges.insert(id.to_owned(), next);
                Ok((200, out))
            }
            CreateRefund => {
                let request: CreateRefundRequest = parse_body(body)?;
                let charge_id = request.charge_id.ok_or_else(|| ErrorResponse::missing_parameter("chargeId"))?;
                let amount = request.refund_amount.ok_or_else(|| ErrorResponse::missing_parameter("refundAmount"))?;
                limits::check_price("refundAmount", &amount)?;
                let charge = charge_of(self, &charge_id)?;
                if charge.state != ChargeState::Captured {
                    return Err(ErrorResponse::unprocessable(
                        "InvalidChargeStatus",
                        format!("You cannot refund a Charge in the {:?} state.", charge.state),
                    ));
                }
                let refunded = self
                    .refunds
                    .values()
                    .filter(|r| r.charge_id == charge_id && r.counts())
                    .fold(Amount::ZERO, |sum, r| Amount(sum.0 + r.amount.amount.0));
                let cap = limits::refund_cap(charge.held_amount());
                if refunded.0 + amount.amount.0 > cap.0 {
                    return Err(ErrorResponse::transaction_amount_exceeded(format!(
                        "The refunds of this Charge would exceed {cap} JPY (captured amount plus min(15 %, 8,400 JPY))."
                    )));
                }
                let decline = match simulation {
                    Some(Simulation::DeclineRefund(code)) => Some(code),
                    _ => None,
                };
                let refund_id = self.next_child_id(&charge.charge_permission_id, 'R');
                let mut refund = RefundRecord::new(refund_id.clone(), charge_id, amount, decline, now);
                refund.soft_descriptor = request.soft_descriptor;
                let out = json_of(&refund.to_model());
                self.refunds.insert(refund_id, refund);
                Ok((201, out))
            }
            GetRefund => {
                let refund = self.refunds.get(id).ok_or_else(|| ErrorResponse::not_found("Refund", id))?;
                Ok((200, json_of(&refund.to_model())))
            }
            GetBuyer => Ok((200, json_of(&self.buyer_profile(id)?))),
            CreateDeliveryTracker => {
                let request: DeliveryTrackerRequest = parse_body(body)?;
                if let Some(pid) = &request.charge_permission_id {
                    permission_of(self, pid)?;
                }
                if request.delivery_details.as_ref().is_none_or(Vec::is_empty) {
                    return Err(ErrorResponse::missing_parameter("deliveryDetails"));
                }
                Ok((200, json_of(&request)))
            }
        }
    }

    fn complete(
        &mut self,
        session: SessionRecord,
        request: &CompleteCheckoutSessionRequest,
        simulation: Option<Simulation>,
        redirect_base: &str,
        now: DateTime<Utc>,
    ) -> Result<(u16, Value), ErrorResponse> {
        if let Some(Simulation::CancelCheckout(reason)) = simulation {
            // The simulated cancellation is the point of the call: it sticks, and Complete fails.
            let canceled = session.canceled(reason, now);
            self.sessions.insert(canceled.id.clone(), canceled.clone());
            return canceled.complete(request, None).map(|_| unreachable!("a canceled session never completes"));
        }
        let completion = session.complete(request, simulation)?;
        let choice: &BuyerChoice = session.buyer.as_ref().expect("a processed session has a buyer");
        let buyer = buyer_by_id(&choice.buyer_id).expect("chosen buyers exist");
        let permission_id = self.next_permission_id();
        let mut permission = PermissionRecord {
            id: permission_id.clone(),
            kind: session.kind,
            state: ChargePermissionState::Chargeable,
            reasons: Vec::new(),
            created: now,
            updated: now,
            extend_expiration: session.payment.extend_expiration == Some(true),
            order_amount: session.payment.total_order_amount.clone().or(session.payment.charge_amount.clone()),
            allow_overcharge: session.payment.allow_overcharge == Some(true),
            buyer: Buyer {
                buyer_id: Some(buyer.buyer_id.into()),
                name: Some(buyer.name.into()),
                email: Some(buyer.email.into()),
                phone_number: Some(buyer.phone.into()),
                prime_membership_types: None,
            },
            shipping_address: (session.product_type == ProductType::PayAndShip)
                .then(|| buyer.addresses[choice.address].clone()),
            billing_address: Some(buyer.addresses[0].clone()),
            payment_descriptor: buyer.cards[choice.card].descriptor(),
            merchant_metadata: session.merchant_metadata.clone(),
            recurring_metadata: session.recurring_metadata.clone(),
            payment_method_on_file_metadata: session.payment_method_on_file_metadata.clone(),
            platform_id: None,
            last_charged: None,
        };
        let mut charge = None;
        if let Some((amount, start)) = completion.charge {
            permission.check_new_charge(&amount, &[], now)?;
            let charge_id = self.next_child_id(&permission_id, 'C');
            let mut record = ChargeRecord::new(charge_id, permission_id.clone(), amount, start, now);
            record.merchant_metadata = Some(session.merchant_metadata.clone());
            permission.last_charged = Some(now);
            if start == Start::Captured {
                permission = permission.close_if_fully_captured(&[&record], now);
            }
            charge = Some(record);
        }
        let completed = session.completed(permission_id.clone(), charge.as_ref().map(|c| c.id.clone()), now);
        let out = json_of(&completed.to_model(redirect_base));
        self.sessions.insert(completed.id.clone(), completed);
        self.permissions.insert(permission_id, permission);
        if let Some(c) = charge {
            self.charges.insert(c.id.clone(), c);
        }
        Ok((completion.status, out))
    }

    fn create_charge(
        &mut self,
        request: CreateChargeRequest,
        simulation: Option<Simulation>,
        now: DateTime<Utc>,
    ) -> Result<(u16, Value), ErrorResponse> {
        let permission_id =
            request.charge_permission_id.ok_or_else(|| ErrorResponse::missing_parameter("chargePermissionId"))?;
        let amount = request.charge_amount.ok_or_else(|| ErrorResponse::missing_parameter("chargeAmount"))?;
        limits::check_price("chargeAmount", &amount)?;
        let permission = self
            .permissions
            .get(&permission_id)
            .cloned()
            .ok_or_else(|| ErrorResponse::not_found("Charge Permission", &permission_id))?;
        permission.check_new_charge(&amount, &self.charges_of(&permission_id), now)?;
        let pending_ok = request.can_handle_pending_authorization == Some(true);
        let start = match (simulation, pending_ok) {
            (Some(Simulation::DeclineCharge(code)), false) => {
                // A synchronous decline is an error response and creates no charge (unconfirmed).
                let next = permission.after_decline(code, now);
                self.permissions.insert(permission_id, next);
                return Err(ErrorResponse::new(
                    simulation::decline_status(code),
                    code,
                    format!("The authorization was declined ({code})."),
                ));
            }
            (Some(Simulation::DeclineCharge(code)), true) => {
                Start::Pending { since: now, then: super::charge::Outcome::Decline(code) }
            }
            _ if request.capture_now == Some(true) => Start::Captured,
            _ => Start::Authorized,
        };
        let charge_id = self.next_child_id(&permission_id, 'C');
        let mut charge = ChargeRecord::new(charge_id.clone(), permission_id.clone(), amount, start, now);
        charge.soft_descriptor = request.soft_descriptor;
        charge.merchant_metadata = request.merchant_metadata;
        charge.provider_metadata = request.provider_metadata;
        charge.platform_id = request.platform_id;
        charge.charge_initiator = request.charge_initiator;
        charge.channel = request.channel;
        let out = json_of(&charge.to_model());
        self.charges.insert(charge_id, charge);
        let mut next = permission;
        next.last_charged = Some(now);
        let next = next.close_if_fully_captured(&self.charges_of(&permission_id), now);
        self.permissions.insert(permission_id, next);
        Ok((201, out))
    }

    /// Creates a session from a verified button payload (`renderButton` / `initCheckout`).
    pub fn create_from_button(&mut self, payload: &Value, product_type: ProductType) -> Result<String, ErrorResponse> {
        self.settle();
        let request: CreateCheckoutSessionRequest = parse_body(payload)?;
        let session = SessionRecord::create(uuid::Uuid::new_v4().to_string(), request, product_type, self.clock.now())?;
        let id = session.id.clone();
        self.sessions.insert(id.clone(), session);
        Ok(id)
    }

    /// The session as the hosted pages show it.
    pub fn session(&mut self, session_id: &str) -> Result<SessionRecord, ErrorResponse> {
        self.settle();
        self.sessions.get(session_id).cloned().ok_or_else(|| ErrorResponse::not_found("Checkout Session", session_id))
    }

    /// One step of the buyer on the hosted pages; returns where the buyer is sent next, with
    /// `amazonCheckoutSessionId` appended where Amazon appends it.
    pub fn buyer_step(&mut self, session_id: &str, step: BuyerStep) -> Result<String, ErrorResponse> {
        let session = self.session(session_id)?;
        let now = self.clock.now();
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
                (session.choose(choice, now)?, format!("/hosted/checkout-sessions/{session_id}"))
            }
            BuyerStep::Continue(choice) if !session.is_apb() => (session.choose(choice, now)?, review_url()),
            BuyerStep::Pay(choice) if session.is_apb() => (session.choose(choice, now)?.process(now)?, result_url()),
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
        self.sessions.insert(session_id.to_owned(), next);
        Ok(url)
    }

    /// Every object of the tenant as the API would return it (control API, debugging).
    pub fn objects(&self, redirect_base: &str) -> Value {
        let now = self.clock.now();
        json!({
            "now": Timestamp(now),
            "checkoutSessions": self.sessions.values().map(|s| json_of(&s.to_model(redirect_base))).collect::<Vec<_>>(),
            "chargePermissions": self.permissions.keys().map(|id| self.permission_json(id, now)).collect::<Vec<_>>(),
            "charges": self.charges.values().map(|c| json_of(&c.to_model())).collect::<Vec<_>>(),
            "refunds": self.refunds.values().map(|r| json_of(&r.to_model())).collect::<Vec<_>>(),
        })
    }
}
