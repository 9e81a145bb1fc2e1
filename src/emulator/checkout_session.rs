//! The CheckoutSession state machine (spec §4.1, §9.2–§9.3): constraints, the buyer's steps on
//! the hosted pages, and Complete. Pure: the caller creates the permission and charge that a
//! successful [`SessionRecord::complete`] asks for.
//!
//! ```text
//! Open ─buyer signs in, chooses, continues─▶ (review) ─Update clears constraints─▶ amazonPayRedirectUrl
//!   ─buyer returns─▶ processed ─Complete (same amount)─▶ Completed
//!   └ …3064 / cancel link ▶ Canceled/BuyerCanceled   └ …3434 ▶ Canceled/Declined   └ 24 h ▶ Canceled/Expired
//! ```

use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};

use super::charge::{Outcome, Start};
use super::error::ErrorResponse;
use super::limits;
use super::moved::Moved;
use super::simulation::{buyer_by_id, CardBehaviour, Simulation};
use crate::evidence::{Event, ObjectType};
use crate::model::{
    AddressDetails, ChargePermissionType, CheckoutMode, CheckoutSessionState, CompleteCheckoutSessionRequest,
    Constraint, CreateCheckoutSessionRequest, MerchantMetadata, PaymentDetails, PaymentIntent,
    PaymentMethodOnFileMetadata, Price, ProductType, RecurringMetadata, UpdateCheckoutSessionRequest,
    WebCheckoutDetails,
};

/// An Open session is canceled `Expired` 24 h after creation (docs checkout-session intro).
pub const LIFETIME: Duration = Duration::hours(24);

/// The buyer's choices on the hosted page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuyerChoice {
    pub buyer_id: String,
    pub address: usize,
    pub card: usize,
}

/// What happened when the buyer returned through `amazonPayRedirectUrl` (or paid on APB).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Processed {
    Approved,
    /// …0701 / …4354: authorization pending since the buyer's return.
    Pending {
        since: DateTime<Utc>,
        then: Outcome,
    },
    /// A pending-authorization card without its prerequisite; Complete answers
    /// `InvalidSandboxSimulationSpecified` (which error Amazon gives is (unconfirmed)).
    Ineligible(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: String,
    pub store_id: String,
    pub web: WebCheckoutDetails,
    pub product_type: ProductType,
    pub kind: ChargePermissionType,
    pub recurring_metadata: Option<RecurringMetadata>,
    pub payment_method_on_file_metadata: Option<PaymentMethodOnFileMetadata>,
    pub payment: PaymentDetails,
    pub merchant_metadata: MerchantMetadata,
    pub address_details: Option<AddressDetails>,
    pub buyer: Option<BuyerChoice>,
    pub processed: Option<Processed>,
    pub state: CheckoutSessionState,
    pub reason_code: Option<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub charge_permission_id: Option<String>,
    pub charge_id: Option<String>,
}

/// What a successful Complete asks the caller to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    /// The first charge, if the intent authorizes at checkout.
    pub charge: Option<(Price, Start)>,
    /// 200, or 202 while the authorization is pending.
    pub status: StatusCode,
}

fn check_amounts(payment: &PaymentDetails) -> Result<(), ErrorResponse> {
    if let Some(p) = &payment.charge_amount {
        limits::check_price("paymentDetails.chargeAmount", p)?;
    }
    if let Some(p) = &payment.total_order_amount {
        limits::check_price("paymentDetails.totalOrderAmount", p)?;
    }
    if let Some(currency) = payment.presentment_currency.as_deref().filter(|c| *c != limits::LEDGER_CURRENCY) {
        return Err(ErrorResponse::currency_mismatch(
            "paymentDetails.presentmentCurrency",
            currency,
            limits::LEDGER_CURRENCY,
        ));
    }
    Ok(())
}

fn merge_web(into: &mut WebCheckoutDetails, from: WebCheckoutDetails) -> Result<(), ErrorResponse> {
    if from.amazon_pay_redirect_url.is_some() {
        return Err(ErrorResponse::invalid_parameter(
            "webCheckoutDetails.amazonPayRedirectUrl",
            "it is set by Amazon Pay",
        ));
    }
    for (field, url) in [
        ("checkoutReviewReturnUrl", &from.checkout_review_return_url),
        ("checkoutResultReturnUrl", &from.checkout_result_return_url),
        ("checkoutCancelUrl", &from.checkout_cancel_url),
    ] {
        if let Some(url) = url {
            // HTTP is allowed in the sandbox; at most 512 characters (spec §3.1).
            let valid = (url.starts_with("http://") || url.starts_with("https://")) && url.len() <= 512;
            if !valid {
                return Err(ErrorResponse::invalid_parameter(
                    &format!("webCheckoutDetails.{field}"),
                    "an http(s) URL of at most 512 characters",
                ));
            }
        }
    }
    into.checkout_review_return_url = from.checkout_review_return_url.or(into.checkout_review_return_url.take());
    into.checkout_result_return_url = from.checkout_result_return_url.or(into.checkout_result_return_url.take());
    into.checkout_cancel_url = from.checkout_cancel_url.or(into.checkout_cancel_url.take());
    into.checkout_mode = from.checkout_mode.or(into.checkout_mode);
    Ok(())
}

impl SessionRecord {
    /// Create Checkout Session (or the button's payload). `product_type` comes from the button
    /// (`renderButton`'s option); API-created sessions are `PayAndShip`.
    pub fn create(
        id: String,
        request: CreateCheckoutSessionRequest,
        product_type: ProductType,
        now: DateTime<Utc>,
    ) -> Result<Moved<Self>, ErrorResponse> {
        let store_id = request.store_id.ok_or_else(|| ErrorResponse::missing_parameter("storeId"))?;
        let mut web = WebCheckoutDetails::default();
        merge_web(
            &mut web,
            request.web_checkout_details.ok_or_else(|| ErrorResponse::missing_parameter("webCheckoutDetails"))?,
        )?;
        let payment = request.payment_details.unwrap_or_default();
        check_amounts(&payment)?;
        let session = SessionRecord {
            id,
            store_id,
            web,
            product_type,
            kind: request.charge_permission_type.unwrap_or_default(),
            recurring_metadata: request.recurring_metadata,
            payment_method_on_file_metadata: request.payment_method_on_file_metadata,
            payment,
            merchant_metadata: request.merchant_metadata.unwrap_or_default(),
            address_details: request.address_details,
            buyer: None,
            processed: None,
            state: CheckoutSessionState::Open,
            reason_code: None,
            created: now,
            updated: now,
            charge_permission_id: None,
            charge_id: None,
        };
        if session.is_apb() {
            // APB: result URL, intent and amount up front; PayAndShip needs the buyer's address
            // from the merchant (ja amazon-pay-apb-checkout/add-the-amazon-pay-button).
            if session.web.checkout_result_return_url.is_none() {
                return Err(ErrorResponse::missing_parameter("webCheckoutDetails.checkoutResultReturnUrl"));
            }
            if session.payment.payment_intent.is_none() {
                return Err(ErrorResponse::missing_parameter("paymentDetails.paymentIntent"));
            }
            if session.payment.charge_amount.is_none() && !session.setup_only() {
                return Err(ErrorResponse::missing_parameter("paymentDetails.chargeAmount"));
            }
            if session.product_type == ProductType::PayAndShip && session.address_details.is_none() {
                return Err(ErrorResponse::missing_parameter("addressDetails"));
            }
        } else if session.web.checkout_review_return_url.is_none() {
            return Err(ErrorResponse::missing_parameter("webCheckoutDetails.checkoutReviewReturnUrl"));
        }
        let created = Event::new(ObjectType::CheckoutSession, &session.id, None, &session.state, None, now);
        Ok(Moved::with(session, created))
    }

    /// APB ("今すぐ支払う"): `checkoutMode: ProcessOrder`.
    pub fn is_apb(&self) -> bool {
        self.web.checkout_mode == Some(CheckoutMode::ProcessOrder)
    }

    /// A saved wallet set up without a charge needs neither amount nor intent.
    pub fn setup_only(&self) -> bool {
        self.kind == ChargePermissionType::PaymentMethodOnFile
            && self.payment_method_on_file_metadata.as_ref().and_then(|m| m.setup_only) == Some(true)
    }

    /// What still blocks `amazonPayRedirectUrl`, with the documented descriptions (spec §3.1).
    pub fn constraints(&self) -> Vec<Constraint> {
        let mut out = Vec::new();
        let mut add = |id: &str, description: &str| {
            out.push(Constraint { constraint_id: id.to_owned(), description: description.to_owned() })
        };
        if self.buyer.is_none() {
            add("BuyerNotAssociated", "There is no buyer associated with the Checkout Session. Return the checkout session id to the Amazon Pay Button to allow buyer to login.");
        }
        if self.payment.charge_amount.is_none() && !self.setup_only() {
            add("ChargeAmountNotSet", "chargeAmount is not set.");
        }
        if self.web.checkout_result_return_url.is_none() {
            add("CheckoutResultReturnUrlNotSet", "checkoutResultReturnUrl is not set.");
        }
        if self.payment.payment_intent.is_none() && !self.setup_only() {
            add("PaymentIntentNotSet", "paymentIntent is not set.");
        }
        if self.kind == ChargePermissionType::Recurring
            && self.recurring_metadata.as_ref().and_then(|m| m.frequency.as_ref()).is_none()
        {
            add("RecurringFrequencyNotSet", "recurringMetadata.frequency is not set.");
        }
        out
    }

    fn require_open(&self, operation: &str) -> Result<(), ErrorResponse> {
        if self.state != CheckoutSessionState::Open {
            return Err(ErrorResponse::unprocessable(
                "InvalidCheckoutSessionStatus",
                format!("You cannot {operation} a Checkout Session in the {:?} state.", self.state),
            ));
        }
        Ok(())
    }

    /// Update Checkout Session: only while Open. `allowOvercharge` and `extendExpiration` can only
    /// be set at creation (advanced-one-time-payment-options); refusing them here is (unconfirmed).
    pub fn update(&self, request: UpdateCheckoutSessionRequest, now: DateTime<Utc>) -> Result<Self, ErrorResponse> {
        self.require_open("update")?;
        let mut next = self.clone();
        if let Some(web) = request.web_checkout_details {
            merge_web(&mut next.web, web)?;
        }
        if let Some(p) = request.payment_details {
            if p.allow_overcharge.is_some() || p.extend_expiration.is_some() {
                let field = if p.allow_overcharge.is_some() { "allowOvercharge" } else { "extendExpiration" };
                return Err(ErrorResponse::invalid_parameter(
                    &format!("paymentDetails.{field}"),
                    "it can only be set when the Checkout Session is created",
                ));
            }
            // Fields given replace the session's; fields left out keep their value.
            let current = &next.payment;
            let merged = PaymentDetails {
                payment_intent: p.payment_intent.or(current.payment_intent),
                can_handle_pending_authorization: p
                    .can_handle_pending_authorization
                    .or(current.can_handle_pending_authorization),
                charge_amount: p.charge_amount.or_else(|| current.charge_amount.clone()),
                total_order_amount: p.total_order_amount.or_else(|| current.total_order_amount.clone()),
                soft_descriptor: p.soft_descriptor.or_else(|| current.soft_descriptor.clone()),
                presentment_currency: p.presentment_currency.or_else(|| current.presentment_currency.clone()),
                allow_overcharge: current.allow_overcharge,
                extend_expiration: current.extend_expiration,
            };
            check_amounts(&merged)?;
            next.payment = merged;
        }
        if let Some(m) = request.merchant_metadata {
            next.merchant_metadata = m;
        }
        if let Some(kind) = request.charge_permission_type {
            next.kind = kind;
        }
        if request.recurring_metadata.is_some() {
            next.recurring_metadata = request.recurring_metadata;
        }
        next.updated = now;
        Ok(next)
    }

    /// The buyer signs in, or picks another address or card (change address / change payment).
    pub fn choose(&self, choice: BuyerChoice, now: DateTime<Utc>) -> Result<Self, ErrorResponse> {
        self.require_open("change the buyer of")?;
        let buyer = buyer_by_id(&choice.buyer_id)
            .ok_or_else(|| ErrorResponse::invalid_parameter("buyer", "no such test buyer"))?;
        if choice.address >= buyer.addresses.len() || choice.card >= buyer.cards.len() {
            return Err(ErrorResponse::invalid_parameter("buyer", "no such address or card"));
        }
        let mut next = self.clone();
        next.buyer = Some(choice);
        next.processed = None;
        next.updated = now;
        Ok(next)
    }

    /// The buyer returns through `amazonPayRedirectUrl` (or presses 今すぐ支払う on APB): the
    /// chosen card decides (spec §7.2). Declines and cancels end the session here.
    pub fn process(&self, now: DateTime<Utc>) -> Result<Moved<Self>, ErrorResponse> {
        self.require_open("process")?;
        if let Some(first) = self.constraints().first() {
            return Err(ErrorResponse::unprocessable("InvalidCheckoutSessionStatus", first.description.clone()));
        }
        let choice = self.buyer.as_ref().expect("no BuyerNotAssociated constraint means a buyer");
        let card = &buyer_by_id(&choice.buyer_id).expect("chosen buyers exist").cards[choice.card];
        let mut next = self.clone();
        next.updated = now;
        match card.behaviour() {
            CardBehaviour::BuyerCancel => return Ok(next.canceled("BuyerCanceled", now)),
            CardBehaviour::Decline => return Ok(next.canceled("Declined", now)),
            CardBehaviour::Approve => next.processed = Some(Processed::Approved),
            CardBehaviour::Pending(then) => {
                let eligible = self.payment.payment_intent == Some(PaymentIntent::Authorize)
                    && self.payment.can_handle_pending_authorization == Some(true);
                next.processed = Some(if eligible {
                    Processed::Pending { since: now, then }
                } else {
                    Processed::Ineligible(format!(
                        "The card …{} simulates a pending authorization and needs paymentIntent Authorize with canHandlePendingAuthorization true.",
                        card.last4
                    ))
                });
            }
        }
        Ok(Moved::unchanged(next))
    }

    fn moved(&self, state: CheckoutSessionState, reason: Option<&str>, at: DateTime<Utc>) -> Moved<Self> {
        let mut next = self.clone();
        next.state = state;
        next.reason_code = reason.map(str::to_owned);
        next.updated = at;
        let event = Event::new(ObjectType::CheckoutSession, &self.id, Some(&self.state), &state, reason, at);
        Moved::with(next, event)
    }

    /// `Canceled` with a reason: the buyer's cancel link, a decline, a simulation, or expiry.
    pub fn canceled(&self, reason: &str, at: DateTime<Utc>) -> Moved<Self> {
        self.moved(CheckoutSessionState::Canceled, Some(reason), at)
    }

    /// Complete Checkout Session (spec §3.1.2, §4.1): the amounts must equal the session's
    /// (`409 AmountMismatch`); a canceled session answers `CheckoutSessionCanceled` (its status,
    /// 400 or 422, is disputed between sources: 422 here, (unconfirmed)).
    pub fn complete(
        &self,
        request: &CompleteCheckoutSessionRequest,
        simulation: Option<Simulation>,
    ) -> Result<Completion, ErrorResponse> {
        match self.state {
            CheckoutSessionState::Canceled => {
                return Err(ErrorResponse::unprocessable(
                    "CheckoutSessionCanceled",
                    format!(
                        "The Checkout Session was canceled ({}).",
                        self.reason_code.as_deref().unwrap_or("Canceled")
                    ),
                ))
            }
            CheckoutSessionState::Completed => self.require_open("complete")?,
            CheckoutSessionState::Open => {}
        }
        let processed = self.processed.as_ref().ok_or_else(|| {
            ErrorResponse::unprocessable(
                "InvalidCheckoutSessionStatus",
                "The buyer has not returned through amazonPayRedirectUrl yet.",
            )
        })?;
        if !self.setup_only() {
            let given =
                request.charge_amount.as_ref().ok_or_else(|| ErrorResponse::missing_parameter("chargeAmount"))?;
            if Some(given) != self.payment.charge_amount.as_ref() {
                return Err(ErrorResponse::amount_mismatch("chargeAmount"));
            }
            if let Some(total) = &self.payment.total_order_amount {
                match &request.total_order_amount {
                    None => return Err(ErrorResponse::missing_parameter("totalOrderAmount")),
                    Some(given) if given != total => return Err(ErrorResponse::amount_mismatch("totalOrderAmount")),
                    Some(_) => {}
                }
            }
        }
        if let Processed::Ineligible(why) = processed {
            return Err(ErrorResponse::invalid_simulation(why.clone()));
        }
        let amount = self.payment.charge_amount.clone();
        let pending = match (processed, simulation) {
            (Processed::Pending { since, then }, _) => Some((*since, *then)),
            (_, Some(Simulation::PendingAuthorization)) => Some((self.updated, Outcome::Authorize)),
            _ => None,
        };
        let charge = match (self.payment.payment_intent, amount) {
            (_, _) if self.setup_only() => None,
            (Some(PaymentIntent::Authorize), Some(amount)) => {
                Some((amount, pending.map_or(Start::Authorized, |(since, then)| Start::Pending { since, then })))
            }
            (Some(PaymentIntent::AuthorizeWithCapture), Some(amount)) => Some((amount, Start::Captured)),
            _ => None,
        };
        let status =
            if matches!(charge, Some((_, Start::Pending { .. }))) { StatusCode::ACCEPTED } else { StatusCode::OK };
        Ok(Completion { charge, status })
    }

    /// After the caller created the objects a [`Completion`] asked for.
    pub fn completed(
        &self,
        charge_permission_id: String,
        charge_id: Option<String>,
        now: DateTime<Utc>,
    ) -> Moved<Self> {
        let mut next = self.moved(CheckoutSessionState::Completed, None, now);
        next.record.charge_permission_id = Some(charge_permission_id);
        next.record.charge_id = charge_id;
        next
    }

    /// An Open session is `Canceled/Expired` 24 h after creation, authorization and all.
    pub fn settle(&self, now: DateTime<Utc>) -> Moved<Self> {
        let expires = self.created + LIFETIME;
        if self.state == CheckoutSessionState::Open && expires <= now {
            self.canceled("Expired", expires)
        } else {
            Moved::unchanged(self.clone())
        }
    }
}

impl SessionRecord {
    /// The session as Get Checkout Session returns it. Buyer details are returned only while the
    /// session is Open (spec §3.1); `amazonPayRedirectUrl` only once no constraint is left, and
    /// never for APB, whose buyer pays on the hosted page.
    pub fn to_model(&self, redirect_base: &str) -> crate::model::CheckoutSession {
        use crate::model::{Buyer, CheckoutSession, PaymentPreference, ProviderMetadata, StatusDetails, Timestamp};
        let open = self.state == CheckoutSessionState::Open;
        let constraints = if open { self.constraints() } else { Vec::new() };
        let chosen = self.buyer.as_ref().filter(|_| open).and_then(|c| Some((c, buyer_by_id(&c.buyer_id)?)));
        let mut web = self.web.clone();
        if open && constraints.is_empty() && !self.is_apb() {
            web.amazon_pay_redirect_url =
                Some(format!("{redirect_base}/hosted/checkout-sessions/{}/redirect", self.id));
        }
        let mut payment = self.payment.clone();
        payment.can_handle_pending_authorization.get_or_insert(false);
        CheckoutSession {
            checkout_session_id: self.id.clone(),
            web_checkout_details: Some(web),
            product_type: Some(self.product_type),
            payment_details: Some(payment),
            charge_permission_type: Some(self.kind),
            recurring_metadata: self.recurring_metadata.clone(),
            payment_method_on_file_metadata: self.payment_method_on_file_metadata.clone(),
            merchant_metadata: Some(self.merchant_metadata.clone()),
            supplementary_data: None,
            buyer: chosen.map(|(_, b)| Buyer {
                buyer_id: Some(b.buyer_id.into()),
                name: Some(b.name.into()),
                email: Some(b.email.into()),
                phone_number: Some(b.phone.into()),
                prime_membership_types: None,
            }),
            shipping_address: chosen
                .filter(|_| self.product_type == ProductType::PayAndShip)
                .map(|(c, b)| b.addresses[c.address].clone()),
            // Must be null or a list of JSON strings: the official SDKs JSON.parse each element.
            shipping_address_list: None,
            billing_address: chosen.map(|(_, b)| b.addresses[0].clone()),
            payment_preferences: Some(vec![
                chosen.map(|(c, b)| PaymentPreference { payment_descriptor: Some(b.cards[c.card].descriptor()) })
            ]),
            status_details: StatusDetails {
                state: self.state,
                reason_code: self.reason_code.clone(),
                reason_description: None,
                last_updated_timestamp: Timestamp(self.updated),
            },
            constraints: Some(constraints),
            creation_timestamp: Some(Timestamp(self.created)),
            expiration_timestamp: Some(Timestamp(self.created + LIFETIME)),
            charge_permission_id: self.charge_permission_id.clone(),
            charge_id: self.charge_id.clone(),
            store_id: Some(self.store_id.clone()),
            delivery_specifications: None,
            platform_id: None,
            provider_metadata: Some(ProviderMetadata::default()),
            release_environment: Some("Sandbox".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::simulation::TEST_BUYERS;

    fn t0() -> DateTime<Utc> {
        "2025-01-15T09:30:00Z".parse().unwrap()
    }

    fn create() -> SessionRecord {
        let request = CreateCheckoutSessionRequest {
            store_id: Some("amzn1.application-oa2-client.x".into()),
            web_checkout_details: Some(WebCheckoutDetails {
                checkout_review_return_url: Some("http://localhost/review".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        SessionRecord::create("cs-1".into(), request, ProductType::PayAndShip, t0()).unwrap().record
    }

    fn card_index(last4: &str) -> usize {
        TEST_BUYERS[0].cards.iter().position(|c| c.last4 == last4).unwrap()
    }

    fn ready(last4: &str, intent: PaymentIntent, pending_ok: bool) -> SessionRecord {
        let choice = BuyerChoice { buyer_id: TEST_BUYERS[0].buyer_id.into(), address: 0, card: card_index(last4) };
        let update = UpdateCheckoutSessionRequest {
            web_checkout_details: Some(WebCheckoutDetails {
                checkout_result_return_url: Some("http://localhost/result".into()),
                ..Default::default()
            }),
            payment_details: Some(PaymentDetails {
                payment_intent: Some(intent),
                can_handle_pending_authorization: Some(pending_ok),
                charge_amount: Some(Price::jpy(10_000)),
                ..Default::default()
            }),
            ..Default::default()
        };
        create().choose(choice, t0()).unwrap().update(update, t0()).unwrap()
    }

    fn complete_body(amount: i64) -> CompleteCheckoutSessionRequest {
        CompleteCheckoutSessionRequest { charge_amount: Some(Price::jpy(amount)), total_order_amount: None }
    }

    #[test]
    fn constraints_clear_as_the_buyer_and_merchant_supply_what_is_missing() {
        let ids = |s: &SessionRecord| s.constraints().into_iter().map(|c| c.constraint_id).collect::<Vec<_>>();
        assert_eq!(
            ids(&create()),
            ["BuyerNotAssociated", "ChargeAmountNotSet", "CheckoutResultReturnUrlNotSet", "PaymentIntentNotSet"]
        );
        assert!(ids(&ready("1111", PaymentIntent::Authorize, false)).is_empty());
        let missing_store = CreateCheckoutSessionRequest { store_id: None, ..Default::default() };
        assert_eq!(
            SessionRecord::create("x".into(), missing_store, ProductType::PayAndShip, t0()).unwrap_err().reason_code,
            "MissingParameterValue"
        );
    }

    #[test]
    fn complete_authorizes_with_the_same_amount_only_once() {
        let processed = ready("1111", PaymentIntent::Authorize, false).process(t0()).unwrap();
        let mismatch = processed.complete(&complete_body(9_999), None).unwrap_err();
        assert_eq!((mismatch.status.as_u16(), mismatch.reason_code), (409, "AmountMismatch"));
        let done = processed.complete(&complete_body(10_000), None).unwrap();
        assert_eq!(done, Completion { charge: Some((Price::jpy(10_000), Start::Authorized)), status: StatusCode::OK });
        let completed = processed.completed("P1".into(), Some("C1".into()), t0());
        assert_eq!(
            completed.complete(&complete_body(10_000), None).unwrap_err().reason_code,
            "InvalidCheckoutSessionStatus"
        );
        assert_eq!(
            completed.update(UpdateCheckoutSessionRequest::default(), t0()).unwrap_err().reason_code,
            "InvalidCheckoutSessionStatus"
        );
        let not_returned = ready("1111", PaymentIntent::Authorize, false);
        assert_eq!(
            not_returned.complete(&complete_body(10_000), None).unwrap_err().reason_code,
            "InvalidCheckoutSessionStatus"
        );
    }

    #[test]
    fn intents_decide_the_first_charge() {
        let capture = ready("1111", PaymentIntent::AuthorizeWithCapture, false).process(t0()).unwrap();
        assert_eq!(
            capture.complete(&complete_body(10_000), None).unwrap().charge,
            Some((Price::jpy(10_000), Start::Captured))
        );
        let confirm = ready("1111", PaymentIntent::Confirm, false).process(t0()).unwrap();
        assert_eq!(confirm.complete(&complete_body(10_000), None).unwrap().charge, None);
    }

    #[test]
    fn simulation_cards_cancel_decline_or_pend() {
        let canceled = ready("3064", PaymentIntent::Authorize, false).process(t0()).unwrap();
        assert_eq!(
            (canceled.state, canceled.reason_code.as_deref()),
            (CheckoutSessionState::Canceled, Some("BuyerCanceled"))
        );
        let declined = ready("3434", PaymentIntent::Authorize, false).process(t0()).unwrap();
        assert_eq!(declined.reason_code.as_deref(), Some("Declined"));
        assert_eq!(declined.complete(&complete_body(10_000), None).unwrap_err().reason_code, "CheckoutSessionCanceled");

        let pending = ready("0701", PaymentIntent::Authorize, true).process(t0()).unwrap();
        let completion = pending.complete(&complete_body(10_000), None).unwrap();
        assert_eq!(completion.status, StatusCode::ACCEPTED);
        assert_eq!(completion.charge.unwrap().1, Start::Pending { since: t0(), then: Outcome::Authorize });

        let ineligible = ready("4354", PaymentIntent::Authorize, false).process(t0()).unwrap();
        assert_eq!(
            ineligible.complete(&complete_body(10_000), None).unwrap_err().reason_code,
            "InvalidSandboxSimulationSpecified"
        );
    }

    #[test]
    fn open_sessions_expire_after_24_hours() {
        let session = create();
        assert_eq!(session.settle(t0() + Duration::hours(23)).state, CheckoutSessionState::Open);
        let expired = session.settle(t0() + Duration::hours(25));
        assert_eq!((expired.state, expired.reason_code.as_deref()), (CheckoutSessionState::Canceled, Some("Expired")));
    }

    #[test]
    fn apb_needs_its_result_url_amount_and_address_up_front() {
        let apb = |address: Option<AddressDetails>, product: ProductType| {
            let request = CreateCheckoutSessionRequest {
                store_id: Some("s".into()),
                web_checkout_details: Some(WebCheckoutDetails {
                    checkout_result_return_url: Some("http://localhost/result".into()),
                    checkout_mode: Some(CheckoutMode::ProcessOrder),
                    ..Default::default()
                }),
                payment_details: Some(PaymentDetails {
                    payment_intent: Some(PaymentIntent::Authorize),
                    charge_amount: Some(Price::jpy(321)),
                    ..Default::default()
                }),
                address_details: address,
                ..Default::default()
            };
            SessionRecord::create("apb".into(), request, product, t0())
        };
        assert_eq!(apb(None, ProductType::PayAndShip).unwrap_err().message, "The addressDetails parameter is missing.");
        assert!(apb(None, ProductType::PayOnly).unwrap().is_apb());
        assert!(apb(Some(AddressDetails::default()), ProductType::PayAndShip).is_ok());
    }
}
