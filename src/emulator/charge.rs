//! The Charge state machine (spec §4.3): pure transitions, no HTTP and no store.
//!
//! ```text
//! AuthorizationInitiated ──30 s──▶ Authorized ──capture──▶ Captured
//!          │  └──30 s──▶ Declined        │  └─capture >7 d─▶ CaptureInitiated ──▶ Captured | Declined
//!          └──cancel──▶ Canceled ◀──cancel / 30 d unused / permission closed
//! ```

use chrono::{DateTime, Duration, Utc};

use super::error::ErrorResponse;
use super::moved::Moved;
use crate::evidence::{Event, ObjectType};
use crate::model::{self, Amount, ChargeState, MerchantMetadata, Price, ProviderMetadata, StatusDetails, Timestamp};

/// An authorization lapses after 30 days unused (docs charge intro).
pub const AUTHORIZATION_LIFETIME: Duration = Duration::days(30);
/// Captures later than this after authorization are asynchronous (docs asynchronous-processing).
pub const SYNCHRONOUS_CAPTURE_WINDOW: Duration = Duration::days(7);
/// How long asynchronous outcomes take: 30 s for the …0701 / …4354 cards (sandbox-simulations);
/// the same delay is used for asynchronous captures, whose sandbox timing is (unconfirmed).
pub const ASYNC_DELAY: Duration = Duration::seconds(30);

/// What a pending charge turns into when its deadline passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Authorize,
    Capture,
    Decline(&'static str),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub at: DateTime<Utc>,
    pub outcome: Outcome,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChargeRecord {
    pub id: String,
    pub charge_permission_id: String,
    pub amount: Price,
    pub captured: Option<Price>,
    pub state: ChargeState,
    pub reason_code: Option<String>,
    pub reason_description: Option<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub authorized_at: Option<DateTime<Utc>>,
    pub pending: Option<Pending>,
    pub soft_descriptor: Option<String>,
    pub merchant_metadata: Option<MerchantMetadata>,
    pub provider_metadata: Option<ProviderMetadata>,
    pub platform_id: Option<String>,
    pub charge_initiator: Option<String>,
    pub channel: Option<String>,
}

/// How a new charge starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    Authorized,
    Captured,
    /// Asynchronous authorization that resolves to `then` after [`ASYNC_DELAY`] from `since`.
    Pending {
        since: DateTime<Utc>,
        then: Outcome,
    },
}

impl ChargeRecord {
    /// A new charge, and the event of its creation in its first state.
    pub fn new(
        id: String,
        charge_permission_id: String,
        amount: Price,
        start: Start,
        now: DateTime<Utc>,
    ) -> Moved<Self> {
        let mut charge = ChargeRecord {
            id,
            charge_permission_id,
            amount: amount.clone(),
            captured: None,
            state: ChargeState::Authorized,
            reason_code: None,
            reason_description: None,
            created: now,
            updated: now,
            authorized_at: Some(now),
            pending: None,
            soft_descriptor: None,
            merchant_metadata: None,
            provider_metadata: None,
            platform_id: None,
            charge_initiator: None,
            channel: None,
        };
        match start {
            Start::Authorized => {}
            Start::Captured => {
                charge.state = ChargeState::Captured;
                charge.captured = Some(amount);
            }
            Start::Pending { since, then } => {
                charge.state = ChargeState::AuthorizationInitiated;
                charge.authorized_at = None;
                charge.pending = Some(Pending { at: since + ASYNC_DELAY, outcome: then });
            }
        }
        let created = Event::new(ObjectType::Charge, &charge.id, None, &charge.state, None, now);
        Moved::with(charge, created)
    }

    /// The amount this charge holds against its permission's limits: nothing once canceled or
    /// declined, the captured amount once captured, otherwise the authorized amount.
    pub fn held_amount(&self) -> Amount {
        match self.state {
            ChargeState::Canceled | ChargeState::Declined => Amount::ZERO,
            ChargeState::Captured => self.captured.as_ref().map_or(Amount::ZERO, |p| p.amount),
            _ => self.amount.amount,
        }
    }

    pub fn expires(&self) -> DateTime<Utc> {
        self.created + AUTHORIZATION_LIFETIME
    }

    fn moved(&self, state: ChargeState, reason: Option<(&str, Option<String>)>, at: DateTime<Utc>) -> Moved<Self> {
        let mut next = self.clone();
        next.state = state;
        next.reason_code = reason.as_ref().map(|(c, _)| (*c).to_owned());
        next.reason_description = reason.and_then(|(_, d)| d);
        next.updated = at;
        next.pending = None;
        let event =
            Event::new(ObjectType::Charge, &self.id, Some(&self.state), &state, next.reason_code.as_deref(), at);
        Moved::with(next, event)
    }

    fn wrong_state(&self, operation: &str) -> ErrorResponse {
        ErrorResponse::unprocessable(
            "InvalidChargeStatus",
            format!("You cannot {operation} a Charge in the {:?} state.", self.state),
        )
    }

    /// Capture Charge: only `Authorized`; at most the authorized amount (capturing more than was
    /// authorized is (unconfirmed) for v2 and refused); asynchronous after 7 days, or when the
    /// `CaptureInitiated` / `AmazonRejected` simulation asks for it.
    pub fn capture(
        &self,
        amount: Price,
        simulate: Option<Outcome>,
        now: DateTime<Utc>,
    ) -> Result<Moved<Self>, ErrorResponse> {
        if self.state != ChargeState::Authorized {
            return Err(self.wrong_state("capture"));
        }
        if amount.amount > self.amount.amount {
            return Err(ErrorResponse::transaction_amount_exceeded(format!(
                "captureAmount {} exceeds the authorized chargeAmount {}.",
                amount, self.amount
            )));
        }
        let late = self.authorized_at.is_some_and(|at| now - at > SYNCHRONOUS_CAPTURE_WINDOW);
        let mut next = match (simulate, late) {
            (None, false) => self.moved(ChargeState::Captured, None, now),
            (outcome, _) => {
                let mut next = self.moved(ChargeState::CaptureInitiated, None, now);
                next.record.pending =
                    Some(Pending { at: now + ASYNC_DELAY, outcome: outcome.unwrap_or(Outcome::Capture) });
                next
            }
        };
        next.record.captured = Some(amount);
        Ok(next)
    }

    /// Cancel Charge: `AuthorizationInitiated` or `Authorized` → `Canceled/MerchantCanceled`, the
    /// merchant's `cancellationReason` as description.
    pub fn cancel(&self, reason: Option<String>, now: DateTime<Utc>) -> Result<Moved<Self>, ErrorResponse> {
        if !matches!(self.state, ChargeState::AuthorizationInitiated | ChargeState::Authorized) {
            return Err(self.wrong_state("cancel"));
        }
        Ok(self.moved(ChargeState::Canceled, Some(("MerchantCanceled", reason)), now))
    }

    /// Close Charge Permission with `cancelPendingCharges`: open authorizations are canceled with
    /// `ChargePermissionCanceled`. Charges in other states are left as they are.
    pub fn cancel_for_closed_permission(&self, now: DateTime<Utc>) -> Moved<Self> {
        if matches!(self.state, ChargeState::AuthorizationInitiated | ChargeState::Authorized) {
            self.moved(ChargeState::Canceled, Some(("ChargePermissionCanceled", None)), now)
        } else {
            Moved::unchanged(self.clone())
        }
    }

    /// Brings the charge up to `now`: a pending outcome whose time has come, or an authorization
    /// unused for 30 days. Transitions are stamped with the time they were due, not `now`.
    pub fn settle(&self, now: DateTime<Utc>) -> Moved<Self> {
        let mut charge = Moved::unchanged(self.clone());
        if let Some(pending) = self.pending.clone().filter(|p| p.at <= now) {
            charge = charge.then(|c| match (c.state, pending.outcome) {
                (ChargeState::AuthorizationInitiated, Outcome::Authorize) => {
                    let mut next = c.moved(ChargeState::Authorized, None, pending.at);
                    next.record.authorized_at = Some(pending.at);
                    next
                }
                (ChargeState::CaptureInitiated, Outcome::Capture) => c.moved(ChargeState::Captured, None, pending.at),
                (_, Outcome::Decline(code)) => {
                    let mut next = c.moved(ChargeState::Declined, Some((code, None)), pending.at);
                    next.record.captured = None;
                    next
                }
                // An outcome that no longer fits the state (the charge was canceled meanwhile).
                _ => Moved::unchanged(ChargeRecord { pending: None, ..c.clone() }),
            });
        }
        if charge.state == ChargeState::Authorized && charge.expires() <= now {
            charge = charge.then(|c| c.moved(ChargeState::Canceled, Some(("ExpiredUnused", None)), c.expires()));
        }
        charge
    }

    /// The charge as Get Charge returns it; `refunded` is what its settled refunds add up to.
    pub fn to_model(&self, refunded: Amount) -> model::Charge {
        let zero = || Price { amount: Amount::ZERO, currency_code: self.amount.currency_code.clone() };
        model::Charge {
            charge_id: self.id.clone(),
            charge_permission_id: self.charge_permission_id.clone(),
            charge_amount: Some(self.amount.clone()),
            capture_amount: Some(self.captured.clone().unwrap_or_else(zero)),
            refunded_amount: Some(Price { amount: refunded, currency_code: self.amount.currency_code.clone() }),
            converted_amount: None,
            conversion_rate: None,
            soft_descriptor: self.soft_descriptor.clone(),
            merchant_metadata: Some(self.merchant_metadata.clone().unwrap_or_default()),
            provider_metadata: Some(self.provider_metadata.clone().unwrap_or_default()),
            platform_id: self.platform_id.clone(),
            charge_initiator: self.charge_initiator.clone(),
            channel: self.channel.clone(),
            web_checkout_details: None,
            status_details: StatusDetails {
                state: self.state,
                reason_code: self.reason_code.clone(),
                reason_description: self.reason_description.clone(),
                last_updated_timestamp: Timestamp(self.updated),
            },
            creation_timestamp: Some(Timestamp(self.created)),
            expiration_timestamp: Some(Timestamp(self.expires())),
            release_environment: Some("Sandbox".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        "2025-01-15T09:30:00Z".parse().unwrap()
    }

    fn authorized() -> ChargeRecord {
        ChargeRecord::new("C1".into(), "P1".into(), Price::jpy(10_000), Start::Authorized, t0()).record
    }

    #[test]
    fn authorized_charges_capture_in_full_or_in_part_but_not_above_the_authorization() {
        let full = authorized().capture(Price::jpy(10_000), None, t0()).unwrap();
        assert_eq!((full.state, full.held_amount()), (ChargeState::Captured, Amount::new(10_000)));
        let part = authorized().capture(Price::jpy(1), None, t0()).unwrap();
        assert_eq!(part.captured, Some(Price::jpy(1)));
        let over = authorized().capture(Price::jpy(10_001), None, t0()).unwrap_err();
        assert_eq!(over.reason_code, "TransactionAmountExceeded");
        assert_eq!(full.capture(Price::jpy(1), None, t0()).unwrap_err().reason_code, "InvalidChargeStatus");
    }

    #[test]
    fn a_capture_after_seven_days_is_asynchronous() {
        let late = t0() + Duration::days(8);
        let charge = authorized().capture(Price::jpy(10_000), None, late).unwrap();
        assert_eq!(charge.state, ChargeState::CaptureInitiated);
        assert_eq!(charge.settle(late + Duration::seconds(29)).state, ChargeState::CaptureInitiated);
        assert_eq!(charge.settle(late + ASYNC_DELAY).state, ChargeState::Captured);
        let rejected =
            authorized().capture(Price::jpy(10_000), Some(Outcome::Decline("AmazonRejected")), t0()).unwrap();
        let settled = rejected.settle(t0() + ASYNC_DELAY);
        assert_eq!((settled.state, settled.reason_code.as_deref()), (ChargeState::Declined, Some("AmazonRejected")));
    }

    #[test]
    fn cancel_is_for_open_authorizations_only() {
        let canceled = authorized().cancel(Some("out of stock".into()), t0()).unwrap();
        assert_eq!(canceled.state, ChargeState::Canceled);
        assert_eq!(canceled.reason_code.as_deref(), Some("MerchantCanceled"));
        assert_eq!(canceled.reason_description.as_deref(), Some("out of stock"));
        assert_eq!(canceled.held_amount(), Amount::ZERO);
        let captured = authorized().capture(Price::jpy(10_000), None, t0()).unwrap();
        assert_eq!(captured.cancel(None, t0()).unwrap_err().reason_code, "InvalidChargeStatus");
        assert_eq!(captured.cancel_for_closed_permission(t0()).state, ChargeState::Captured);
        let closed = authorized().cancel_for_closed_permission(t0());
        assert_eq!(closed.reason_code.as_deref(), Some("ChargePermissionCanceled"));
    }

    #[test]
    fn pending_authorizations_resolve_after_thirty_seconds() {
        let ok = ChargeRecord::new(
            "C".into(),
            "P".into(),
            Price::jpy(5_000),
            Start::Pending { since: t0(), then: Outcome::Authorize },
            t0(),
        );
        assert_eq!(ok.state, ChargeState::AuthorizationInitiated);
        assert_eq!(ok.capture(Price::jpy(1), None, t0()).unwrap_err().reason_code, "InvalidChargeStatus");
        assert_eq!(ok.settle(t0() + Duration::seconds(29)).state, ChargeState::AuthorizationInitiated);
        let settled = ok.settle(t0() + Duration::seconds(45));
        assert_eq!(settled.state, ChargeState::Authorized);
        assert_eq!(settled.updated, t0() + ASYNC_DELAY, "stamped when it was due");
        let event = &settled.events[0];
        assert_eq!(
            (event.from.as_deref(), event.to.as_str(), event.at),
            (Some("AuthorizationInitiated"), "Authorized", Timestamp(t0() + ASYNC_DELAY)),
            "the settlement is an event, stamped when it was due"
        );
        assert!(ok.settle(t0() + Duration::seconds(29)).events.is_empty(), "nothing due, nothing happened");
        let declined = ChargeRecord::new(
            "C".into(),
            "P".into(),
            Price::jpy(5_000),
            Start::Pending { since: t0(), then: Outcome::Decline("HardDeclined") },
            t0(),
        )
        .settle(t0() + ASYNC_DELAY);
        assert_eq!((declined.state, declined.reason_code.as_deref()), (ChargeState::Declined, Some("HardDeclined")));
    }

    #[test]
    fn unused_authorizations_expire_after_thirty_days() {
        let charge = authorized();
        assert_eq!(charge.settle(t0() + Duration::days(29)).state, ChargeState::Authorized);
        let expired = charge.settle(t0() + Duration::days(31));
        assert_eq!((expired.state, expired.reason_code.as_deref()), (ChargeState::Canceled, Some("ExpiredUnused")));
    }
}
