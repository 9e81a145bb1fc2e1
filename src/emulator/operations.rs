//! The API operations, on a [`Tx`]: each validates, asks the per-object state machines for their
//! transitions, and stages the records and events. The ones that touch several objects are here,
//! in one place: Complete (session → permission and first charge), Create Charge and Capture
//! (charge → permission limits and closing), Create Refund (refund → charge limits), Close with
//! `cancelPendingCharges`, and [`settle`]: expiries and asynchronous outcomes when time passes.
//!
//! `Err` means the request is refused and nothing changes. A documented outcome that Amazon
//! delivers as an error response *and* that changes state (a synchronous decline that makes the
//! permission NonChargeable, a simulated cancellation of the session) is `Ok(Answer::Refusal)`:
//! its changes are staged and applied like any other.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::charge::{ChargeRecord, Outcome, Start};
use super::charge_permission::PermissionRecord;
use super::checkout_session::{BuyerChoice, SessionRecord};
use super::error::ErrorResponse;
use super::limits;
use super::moved::Moved;
use super::refund::RefundRecord;
use super::simulation::{self, buyer_by_id, Simulation};
use super::store::{json_of, Object, Tx};
use crate::model::*;
use crate::operation::Operation;

/// What the merchant is answered once the operation's changes are applied.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    Object(StatusCode, Object),
    Json(StatusCode, Value),
    /// An error response that is the documented outcome of a call that did change state.
    Refusal(ErrorResponse),
}

/// Brings every object up to `now`: expiries and asynchronous outcomes that are due, with the
/// permission changes they cause. Events are in the order they were due.
pub fn settle(tx: &mut Tx<'_>, now: DateTime<Utc>) {
    let sessions: Vec<_> = tx.sessions().into_iter().map(|s| s.settle(now)).filter(|m| !m.events.is_empty()).collect();
    sessions.into_iter().for_each(|m| tx.put_session(m));
    let refunds: Vec<_> = tx.refunds().into_iter().map(|r| r.settle(now)).filter(|m| !m.events.is_empty()).collect();
    refunds.into_iter().for_each(|m| tx.put_refund(m));
    let charges: Vec<_> =
        tx.charges().into_iter().map(|c| (c.settle(now), c)).filter(|(m, c)| &m.record != *c).map(|(m, _)| m).collect();
    for charge in charges {
        if charge.state == ChargeState::Declined {
            let code = charge.reason_code.clone().unwrap_or_default();
            if let Ok(permission) = tx.permission(&charge.charge_permission_id) {
                let after = permission.after_decline(&code, charge.updated);
                tx.put_permission(after);
            }
        }
        tx.put_charge(charge);
    }
    // Only the permissions that change are cloned (settle runs before every request).
    let permissions: Vec<_> = tx
        .permissions()
        .into_iter()
        .map(|p| p.settle(now).then(|p| p.close_if_fully_captured(&tx.charges_of(&p.id), now)))
        .filter(|m| !m.events.is_empty())
        .collect();
    permissions.into_iter().for_each(|m| tx.put_permission(m));
    tx.events_mut().sort_by_key(|e| e.at);
}

/// One API operation on the merchant's objects.
pub fn execute(
    tx: &mut Tx<'_>,
    op: Operation,
    id: Option<&str>,
    body: &Value,
    simulation: Option<Simulation>,
    now: DateTime<Utc>,
) -> Result<Answer, ErrorResponse> {
    use Operation::*;
    let id = id.unwrap_or_default();
    let ok = |object| Ok(Answer::Object(StatusCode::OK, object));
    match op {
        CreateCheckoutSession => {
            let request: CreateCheckoutSessionRequest = parse_body(body)?;
            let session =
                SessionRecord::create(uuid::Uuid::new_v4().to_string(), request, ProductType::PayAndShip, now)?;
            let id = session.id.clone();
            tx.put_session(session);
            Ok(Answer::Object(StatusCode::CREATED, Object::Session(id)))
        }
        GetCheckoutSession => {
            tx.session(id)?;
            ok(Object::Session(id.to_owned()))
        }
        UpdateCheckoutSession => {
            let request: UpdateCheckoutSessionRequest = parse_body(body)?;
            let next = tx.session(id)?.update(request, now)?;
            tx.put_session(Moved::unchanged(next));
            ok(Object::Session(id.to_owned()))
        }
        CompleteCheckoutSession => {
            let request: CompleteCheckoutSessionRequest = parse_body(body)?;
            let session = tx.session(id)?.clone();
            complete(tx, session, &request, simulation, now)
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
            let updated = tx.session(id)?.update(update, now)?;
            let complete_request = CompleteCheckoutSessionRequest {
                charge_amount: request.charge_amount,
                total_order_amount: request.total_order_amount,
            };
            complete(tx, updated, &complete_request, simulation, now)
        }
        GetChargePermission => {
            tx.permission(id)?;
            ok(Object::Permission(id.to_owned()))
        }
        UpdateChargePermission => {
            let request: UpdateChargePermissionRequest = parse_body(body)?;
            let next = tx.permission(id)?.update(request.merchant_metadata, request.recurring_metadata, now)?;
            tx.put_permission(Moved::unchanged(next));
            ok(Object::Permission(id.to_owned()))
        }
        CloseChargePermission => {
            let request: CloseChargePermissionRequest = parse_body(body)?;
            if request.closure_reason.as_ref().is_some_and(|r| r.chars().count() > 255) {
                return Err(ErrorResponse::invalid_parameter("closureReason", "at most 255 characters"));
            }
            let code = if simulation == Some(Simulation::AmazonClosed) { "AmazonClosed" } else { "MerchantClosed" };
            let closed = tx.permission(id)?.close(code, request.closure_reason, now)?;
            tx.put_permission(closed);
            if request.cancel_pending_charges == Some(true) {
                let canceled: Vec<_> = tx
                    .charges_of(id)
                    .into_iter()
                    .map(|c| c.cancel_for_closed_permission(now))
                    .filter(|m| !m.events.is_empty())
                    .collect();
                canceled.into_iter().for_each(|m| tx.put_charge(m));
            }
            ok(Object::Permission(id.to_owned()))
        }
        CreateCharge => create_charge(tx, parse_body(body)?, simulation, now),
        GetCharge => {
            tx.charge(id)?;
            ok(Object::Charge(id.to_owned()))
        }
        CaptureCharge => {
            let request: CaptureChargeRequest = parse_body(body)?;
            let amount = request.capture_amount.ok_or_else(|| ErrorResponse::missing_parameter("captureAmount"))?;
            limits::check_price("captureAmount", &amount)?;
            let outcome = match simulation {
                Some(Simulation::AsyncCapture(outcome)) => Some(outcome),
                _ => None,
            };
            let captured = tx.charge(id)?.capture(amount, outcome, now)?;
            let permission_id = captured.charge_permission_id.clone();
            tx.put_charge(captured);
            let closed = tx.permission(&permission_id)?.close_if_fully_captured(&tx.charges_of(&permission_id), now);
            tx.put_permission(closed);
            ok(Object::Charge(id.to_owned()))
        }
        CancelCharge => {
            let request: CancelChargeRequest = parse_body(body)?;
            let canceled = tx.charge(id)?.cancel(request.cancellation_reason, now)?;
            tx.put_charge(canceled);
            ok(Object::Charge(id.to_owned()))
        }
        CreateRefund => create_refund(tx, parse_body(body)?, simulation, now),
        GetRefund => {
            tx.refund(id)?;
            ok(Object::Refund(id.to_owned()))
        }
        GetBuyer => unreachable!("Get Buyer reads the tenant's buyer tokens, not the store"),
        CreateDeliveryTracker => {
            let request: DeliveryTrackerRequest = parse_body(body)?;
            if let Some(pid) = &request.charge_permission_id {
                tx.permission(pid)?;
            }
            if request.delivery_details.as_ref().is_none_or(Vec::is_empty) {
                return Err(ErrorResponse::missing_parameter("deliveryDetails"));
            }
            Ok(Answer::Json(StatusCode::OK, json_of(&request)))
        }
    }
}

/// Complete Checkout Session: the session completes and the permission (and, with an intent that
/// authorizes, the first charge) are created, all in one change.
fn complete(
    tx: &mut Tx<'_>,
    session: SessionRecord,
    request: &CompleteCheckoutSessionRequest,
    simulation: Option<Simulation>,
    now: DateTime<Utc>,
) -> Result<Answer, ErrorResponse> {
    if let Some(Simulation::CancelCheckout(reason)) = simulation {
        // The simulated cancellation is the point of the call: the session is canceled, and
        // Complete answers as it does for any canceled session.
        let canceled = session.canceled(reason, now);
        let refusal = canceled.complete(request, None).expect_err("a canceled session never completes");
        tx.put_session(canceled);
        return Ok(Answer::Refusal(refusal));
    }
    let completion = session.complete(request, simulation)?;
    let choice: &BuyerChoice = session.buyer.as_ref().expect("a processed session has a buyer");
    let buyer = buyer_by_id(&choice.buyer_id).expect("chosen buyers exist");
    let permission_id = tx.next_permission_id();
    let permission = PermissionRecord {
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
    let mut permission = permission.created();
    let charge = match completion.charge {
        Some((amount, start)) => {
            permission.check_new_charge(&amount, &[], now)?;
            let id = tx.next_child_id(&permission_id, 'C');
            let mut charge = ChargeRecord::new(id, permission_id.clone(), amount, start, now);
            charge.record.merchant_metadata = Some(session.merchant_metadata.clone());
            permission.record.last_charged = Some(now);
            Some(charge)
        }
        None => None,
    };
    // In the order Amazon would report them: the session completes, then what it created.
    tx.put_session(session.completed(permission_id.clone(), charge.as_ref().map(|c| c.id.clone()), now));
    tx.put_permission(permission);
    if let Some(charge) = charge {
        tx.put_charge(charge);
        let closed = tx.permission(&permission_id)?.close_if_fully_captured(&tx.charges_of(&permission_id), now);
        tx.put_permission(closed);
    }
    Ok(Answer::Object(completion.status, Object::Session(session.id)))
}

fn create_charge(
    tx: &mut Tx<'_>,
    request: CreateChargeRequest,
    simulation: Option<Simulation>,
    now: DateTime<Utc>,
) -> Result<Answer, ErrorResponse> {
    let permission_id =
        request.charge_permission_id.ok_or_else(|| ErrorResponse::missing_parameter("chargePermissionId"))?;
    let amount = request.charge_amount.ok_or_else(|| ErrorResponse::missing_parameter("chargeAmount"))?;
    limits::check_price("chargeAmount", &amount)?;
    let permission = tx.permission(&permission_id)?.clone();
    permission.check_new_charge(&amount, &tx.charges_of(&permission_id), now)?;
    let pending_ok = request.can_handle_pending_authorization == Some(true);
    let start = match (simulation, pending_ok) {
        (Some(Simulation::DeclineCharge(code)), false) => {
            // A synchronous decline is an error response that creates no charge (unconfirmed)
            // but does what a decline does to the permission.
            tx.put_permission(permission.after_decline(code, now));
            return Ok(Answer::Refusal(ErrorResponse::new(
                simulation::decline_status(code),
                code,
                format!("The authorization was declined ({code})."),
            )));
        }
        (Some(Simulation::DeclineCharge(code)), true) => Start::Pending { since: now, then: Outcome::Decline(code) },
        _ if request.capture_now == Some(true) => Start::Captured,
        _ => Start::Authorized,
    };
    let charge_id = tx.next_child_id(&permission_id, 'C');
    let mut charge = ChargeRecord::new(charge_id.clone(), permission_id.clone(), amount, start, now);
    let record = &mut charge.record;
    record.soft_descriptor = request.soft_descriptor;
    record.merchant_metadata = request.merchant_metadata;
    record.provider_metadata = request.provider_metadata;
    record.platform_id = request.platform_id;
    record.charge_initiator = request.charge_initiator;
    record.channel = request.channel;
    tx.put_charge(charge);
    let mut charged = permission;
    charged.last_charged = Some(now);
    let next = charged.close_if_fully_captured(&tx.charges_of(&permission_id), now);
    tx.put_permission(next);
    Ok(Answer::Object(StatusCode::CREATED, Object::Charge(charge_id)))
}

fn create_refund(
    tx: &mut Tx<'_>,
    request: CreateRefundRequest,
    simulation: Option<Simulation>,
    now: DateTime<Utc>,
) -> Result<Answer, ErrorResponse> {
    let charge_id = request.charge_id.ok_or_else(|| ErrorResponse::missing_parameter("chargeId"))?;
    let amount = request.refund_amount.ok_or_else(|| ErrorResponse::missing_parameter("refundAmount"))?;
    limits::check_price("refundAmount", &amount)?;
    let charge = tx.charge(&charge_id)?;
    if charge.state != ChargeState::Captured {
        return Err(ErrorResponse::unprocessable(
            "InvalidChargeStatus",
            format!("You cannot refund a Charge in the {:?} state.", charge.state),
        ));
    }
    let refunded = RefundRecord::total(tx.refunds_of(&charge_id), false);
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
    let permission_id = charge.charge_permission_id.clone();
    let refund_id = tx.next_child_id(&permission_id, 'R');
    let mut refund = RefundRecord::new(refund_id.clone(), charge_id, amount, decline, now);
    refund.record.soft_descriptor = request.soft_descriptor;
    tx.put_refund(refund);
    Ok(Answer::Object(StatusCode::CREATED, Object::Refund(refund_id)))
}

/// Parses a request body strictly: malformed JSON is `InvalidRequestFormat`, an unknown field
/// `UnrecognizedField`, a wrong type or value `InvalidParameterValue`, all naming the field.
pub fn parse_body<T: serde::de::DeserializeOwned>(body: &Value) -> Result<T, ErrorResponse> {
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
