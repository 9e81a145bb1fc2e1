//! The Refund state machine (spec §4.4): every refund starts `RefundInitiated` and settles on the
//! clock to `Refunded`, or to `Declined` when a simulation asks for it.

use chrono::{DateTime, Duration, Utc};

use super::moved::Moved;
use crate::evidence::{Event, ObjectType};
use crate::model::{self, Amount, Price, RefundState, StatusDetails, Timestamp};

/// Sandbox settlement delay of a refund: (unconfirmed), spec §4.5 says "plan for seconds to
/// minutes"; 30 s like the other asynchronous simulations.
pub const SETTLEMENT_DELAY: Duration = Duration::seconds(30);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundRecord {
    pub id: String,
    pub charge_id: String,
    pub amount: Price,
    pub state: RefundState,
    pub reason_code: Option<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    /// `Some(code)` when the refund will be declined (simulation `AmazonRejected` / `ProcessingFailure`).
    pub decline_with: Option<&'static str>,
    pub soft_descriptor: Option<String>,
}

impl RefundRecord {
    pub fn new(
        id: String,
        charge_id: String,
        amount: Price,
        decline_with: Option<&'static str>,
        now: DateTime<Utc>,
    ) -> Moved<Self> {
        let refund = RefundRecord {
            id,
            charge_id,
            amount,
            state: RefundState::RefundInitiated,
            reason_code: None,
            created: now,
            updated: now,
            decline_with,
            soft_descriptor: None,
        };
        let created = Event::new(ObjectType::Refund, &refund.id, None, &refund.state, None, now);
        Moved::with(refund, created)
    }

    /// Whether the refund still counts toward the charge's refund limit.
    pub fn counts(&self) -> bool {
        self.state != RefundState::Declined
    }

    /// What `refunds` add up to: all that still count toward the refund limit (`settled_only:
    /// false`, pending ones included), or only the settled ones, which the charge's
    /// `refundedAmount` shows. The one place a refunded total is computed.
    pub fn total<'a>(refunds: impl IntoIterator<Item = &'a RefundRecord>, settled_only: bool) -> Amount {
        refunds
            .into_iter()
            .filter(|r| if settled_only { r.state == RefundState::Refunded } else { r.counts() })
            .map(|r| r.amount.amount)
            .sum()
    }

    fn next_deadline(&self) -> Option<DateTime<Utc>> {
        (self.state == RefundState::RefundInitiated).then(|| self.created + SETTLEMENT_DELAY)
    }

    pub fn settle(&self, now: DateTime<Utc>) -> Moved<Self> {
        let mut next = self.clone();
        let Some(at) = self.next_deadline().filter(|at| *at <= now) else { return Moved::unchanged(next) };
        match self.decline_with {
            Some(code) => {
                next.state = RefundState::Declined;
                next.reason_code = Some(code.to_owned());
            }
            None => next.state = RefundState::Refunded,
        }
        next.updated = at;
        let event =
            Event::new(ObjectType::Refund, &self.id, Some(&self.state), &next.state, next.reason_code.as_deref(), at);
        Moved::with(next, event)
    }

    pub fn to_model(&self) -> model::Refund {
        model::Refund {
            refund_id: self.id.clone(),
            charge_id: self.charge_id.clone(),
            refund_amount: Some(self.amount.clone()),
            soft_descriptor: self.soft_descriptor.clone(),
            creation_timestamp: Some(Timestamp(self.created)),
            status_details: StatusDetails {
                state: self.state,
                reason_code: self.reason_code.clone(),
                reason_description: None,
                last_updated_timestamp: Timestamp(self.updated),
            },
            release_environment: Some("Sandbox".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refunds_settle_on_the_clock() {
        let t0: DateTime<Utc> = "2025-01-15T09:30:00Z".parse().unwrap();
        let refund = RefundRecord::new("R1".into(), "C1".into(), Price::jpy(500), None, t0);
        assert_eq!(refund.settle(t0 + Duration::seconds(10)).state, RefundState::RefundInitiated);
        assert_eq!(refund.settle(t0 + SETTLEMENT_DELAY).state, RefundState::Refunded);
        let rejected = RefundRecord::new("R2".into(), "C1".into(), Price::jpy(500), Some("AmazonRejected"), t0)
            .settle(t0 + Duration::hours(1));
        assert_eq!((rejected.state, rejected.reason_code.as_deref()), (RefundState::Declined, Some("AmazonRejected")));
        assert!(!rejected.counts());
        assert_eq!(rejected.updated, t0 + SETTLEMENT_DELAY);
    }
}
