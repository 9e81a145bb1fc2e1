//! The ChargePermission state machine (spec §4.2) and the limits it enforces on new charges
//! (spec §6, via [`super::limits`]).
//!
//! ```text
//! Chargeable ──HardDeclined──▶ NonChargeable/PaymentMethodInvalid
//!     │ ──Close──────────────▶ Closed/MerchantClosed
//!     │ ──order captured─────▶ Closed/AmazonClosed   (OneTime)
//!     │ ──AmazonRejected─────▶ Closed/AmazonCanceled
//!     └ ──180 d / 13 months──▶ Closed/Expired
//! ```

use chrono::{DateTime, Duration, Months, Utc};

use super::charge::ChargeRecord;
use super::error::ErrorResponse;
use super::limits;
use super::moved::Moved;
use crate::evidence::{Event, ObjectType};
use crate::model::{
    self, Address, Amount, Buyer, ChargePermissionState, ChargePermissionStatusDetails, ChargePermissionType, Limits,
    MerchantMetadata, PaymentMethodOnFileMetadata, PaymentPreference, Price, Reason, RecurringMetadata, Timestamp,
};

/// OneTime permissions expire after 180 days, 13 months with `extendExpiration` (docs introduction;
/// advanced-one-time-payment-options).
pub const ONE_TIME_LIFETIME: Duration = Duration::days(180);
/// Buyer details of a OneTime permission are returned for 30 days (docs charge-permission).
pub const BUYER_DATA_RETENTION: Duration = Duration::days(30);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PermissionRecord {
    pub id: String,
    pub kind: ChargePermissionType,
    pub state: ChargePermissionState,
    pub reasons: Vec<Reason>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub extend_expiration: bool,
    /// The order a OneTime permission pays for: `totalOrderAmount`, else `chargeAmount`.
    pub order_amount: Option<Price>,
    pub allow_overcharge: bool,
    pub buyer: Buyer,
    pub shipping_address: Option<Address>,
    pub billing_address: Option<Address>,
    pub payment_descriptor: String,
    pub merchant_metadata: MerchantMetadata,
    pub recurring_metadata: Option<RecurringMetadata>,
    pub payment_method_on_file_metadata: Option<PaymentMethodOnFileMetadata>,
    pub platform_id: Option<String>,
    pub last_charged: Option<DateTime<Utc>>,
}

fn reason(code: &str, description: Option<String>) -> Reason {
    Reason { reason_code: code.to_owned(), reason_description: description }
}

impl PermissionRecord {
    /// When the permission expires: OneTime 180 days (13 months extended) after creation;
    /// Recurring 13 months after the last charge (unconfirmed, spec §6); PaymentMethodOnFile never.
    pub fn expires(&self) -> Option<DateTime<Utc>> {
        match self.kind {
            ChargePermissionType::OneTime if self.extend_expiration => self.created.checked_add_months(Months::new(13)),
            ChargePermissionType::OneTime => Some(self.created + ONE_TIME_LIFETIME),
            ChargePermissionType::Recurring => {
                self.last_charged.unwrap_or(self.created).checked_add_months(Months::new(13))
            }
            ChargePermissionType::PaymentMethodOnFile => None,
        }
    }

    /// The event of the permission's creation (it starts `Chargeable`).
    pub fn created(self) -> Moved<Self> {
        let event = Event::new(ObjectType::ChargePermission, &self.id, None, &self.state, None, self.created);
        Moved::with(self, event)
    }

    fn moved(&self, state: ChargePermissionState, reasons: Vec<Reason>, at: DateTime<Utc>) -> Moved<Self> {
        let mut next = self.clone();
        next.state = state;
        next.reasons = reasons;
        next.updated = at;
        let reason = next.reasons.first().map(|r| r.reason_code.as_str());
        let event = Event::new(ObjectType::ChargePermission, &self.id, Some(&self.state), &state, reason, at);
        Moved::with(next, event)
    }

    /// `amountLimit` and `amountBalance`: the over-authorization cap of a OneTime permission, or
    /// the monthly limit of a Recurring / PaymentMethodOnFile one, minus what `charges` hold.
    pub fn limits(&self, charges: &[&ChargeRecord], now: DateTime<Utc>) -> Option<(Amount, Amount)> {
        let (limit, counted): (Amount, Vec<&&ChargeRecord>) = match limits::monthly_limit(self.kind) {
            Some(monthly) => {
                let month = limits::billing_month(now);
                (monthly, charges.iter().filter(|c| limits::billing_month(c.created) == month).collect())
            }
            None => {
                let order = self.order_amount.as_ref()?;
                (limits::authorization_cap(order.amount, self.allow_overcharge), charges.iter().collect())
            }
        };
        let held: Amount = counted.iter().map(|c| c.held_amount()).sum();
        Some((limit, Amount((limit.0 - held.0).max(rust_decimal::Decimal::ZERO))))
    }

    /// May a charge of `amount` be created now? `charges` are this permission's charges.
    pub fn check_new_charge(
        &self,
        amount: &Price,
        charges: &[&ChargeRecord],
        now: DateTime<Utc>,
    ) -> Result<(), ErrorResponse> {
        if self.state != ChargePermissionState::Chargeable {
            return Err(ErrorResponse::unprocessable(
                "InvalidChargePermissionStatus",
                format!("You cannot create a Charge on a Charge Permission in the {:?} state.", self.state),
            ));
        }
        if self.kind == ChargePermissionType::OneTime && charges.len() >= limits::MAX_CHARGES_PER_ONE_TIME_PERMISSION {
            return Err(ErrorResponse::unprocessable(
                "TransactionCountExceeded",
                format!(
                    "A OneTime Charge Permission allows at most {} charges.",
                    limits::MAX_CHARGES_PER_ONE_TIME_PERMISSION
                ),
            ));
        }
        if let Some((limit, balance)) = self.limits(charges, now) {
            if amount.amount > balance {
                return Err(match self.kind {
                    ChargePermissionType::OneTime => ErrorResponse::transaction_amount_exceeded(format!(
                        "chargeAmount {amount} exceeds the remaining {balance} JPY of the {limit} JPY this Charge Permission may authorize."
                    )),
                    _ => ErrorResponse::periodic_amount_exceeded(),
                });
            }
        }
        Ok(())
    }

    /// Close Charge Permission: `Closed/MerchantClosed` with the merchant's `closureReason`
    /// (or the simulated reason). Closing a closed permission is refused.
    pub fn close(
        &self,
        code: &str,
        closure_reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Moved<Self>, ErrorResponse> {
        if self.state == ChargePermissionState::Closed {
            return Err(ErrorResponse::unprocessable(
                "InvalidChargePermissionStatus",
                "The Charge Permission is already Closed.",
            ));
        }
        Ok(self.moved(ChargePermissionState::Closed, vec![reason(code, closure_reason)], now))
    }

    /// Update Charge Permission: metadata only; a closed permission is not modifiable.
    pub fn update(
        &self,
        merchant_metadata: Option<MerchantMetadata>,
        recurring_metadata: Option<RecurringMetadata>,
        now: DateTime<Utc>,
    ) -> Result<Self, ErrorResponse> {
        if self.state == ChargePermissionState::Closed {
            return Err(ErrorResponse::unprocessable(
                "ChargePermissionNotModifiable",
                "A Closed Charge Permission cannot be updated.",
            ));
        }
        let mut next = self.clone();
        if let Some(m) = merchant_metadata {
            next.merchant_metadata = m;
        }
        if recurring_metadata.is_some() {
            next.recurring_metadata = recurring_metadata;
        }
        next.updated = now;
        Ok(next)
    }

    /// What a declined charge does to its permission (spec §4.2–§4.3): `AmazonRejected` closes it
    /// (documented); `HardDeclined` makes it `NonChargeable/PaymentMethodInvalid` until the buyer
    /// changes the instrument (unconfirmed); soft declines, processing failures and timeouts leave
    /// it chargeable so the merchant may retry.
    pub fn after_decline(&self, code: &str, now: DateTime<Utc>) -> Moved<Self> {
        match (code, self.state) {
            (_, ChargePermissionState::Closed) => Moved::unchanged(self.clone()),
            ("AmazonRejected", _) => {
                self.moved(ChargePermissionState::Closed, vec![reason("AmazonCanceled", None)], now)
            }
            ("HardDeclined", _) => {
                self.moved(ChargePermissionState::NonChargeable, vec![reason("PaymentMethodInvalid", None)], now)
            }
            _ => Moved::unchanged(self.clone()),
        }
    }

    /// A OneTime permission closes `AmazonClosed` once its order amount is captured.
    pub fn close_if_fully_captured(&self, charges: &[&ChargeRecord], now: DateTime<Utc>) -> Moved<Self> {
        let Some(order) = self.order_amount.as_ref().filter(|_| self.kind == ChargePermissionType::OneTime) else {
            return Moved::unchanged(self.clone());
        };
        let captured: Amount =
            charges.iter().filter(|c| c.state == model::ChargeState::Captured).map(|c| c.held_amount()).sum();
        if self.state != ChargePermissionState::Closed && captured >= order.amount {
            self.moved(ChargePermissionState::Closed, vec![reason("AmazonClosed", None)], now)
        } else {
            Moved::unchanged(self.clone())
        }
    }

    /// Brings the permission up to `now`: expiry.
    pub fn settle(&self, now: DateTime<Utc>) -> Moved<Self> {
        match self.expires() {
            Some(at) if at <= now && self.state != ChargePermissionState::Closed => {
                self.moved(ChargePermissionState::Closed, vec![reason("Expired", None)], at)
            }
            _ => Moved::unchanged(self.clone()),
        }
    }

    pub fn to_model(&self, charges: &[&ChargeRecord], now: DateTime<Utc>) -> model::ChargePermission {
        let buyer_visible = self.kind != ChargePermissionType::OneTime || now - self.created <= BUYER_DATA_RETENTION;
        let currency = || limits::LEDGER_CURRENCY.to_owned();
        let limits = self.limits(charges, now).map_or(Limits::default(), |(limit, balance)| Limits {
            amount_limit: Some(Price { amount: limit, currency_code: currency() }),
            amount_balance: Some(Price { amount: balance, currency_code: currency() }),
        });
        model::ChargePermission {
            charge_permission_id: self.id.clone(),
            charge_permission_reference_id: None,
            amazon_pay_token: None,
            charge_permission_type: Some(self.kind),
            recurring_metadata: Some(self.recurring_metadata.clone().unwrap_or_default()),
            payment_method_on_file_metadata: self.payment_method_on_file_metadata.clone(),
            limits: Some(limits),
            buyer: buyer_visible.then(|| self.buyer.clone()),
            shipping_address: self.shipping_address.clone().filter(|_| buyer_visible),
            billing_address: self.billing_address.clone().filter(|_| buyer_visible),
            payment_preferences: Some(vec![Some(PaymentPreference {
                payment_descriptor: Some(self.payment_descriptor.clone()),
            })]),
            merchant_metadata: Some(self.merchant_metadata.clone()),
            platform_id: self.platform_id.clone(),
            status_details: ChargePermissionStatusDetails {
                state: self.state,
                reasons: (!self.reasons.is_empty()).then(|| self.reasons.clone()),
                last_updated_timestamp: Timestamp(self.updated),
            },
            creation_timestamp: Some(Timestamp(self.created)),
            expiration_timestamp: self.expires().map(Timestamp),
            presentment_currency: Some(currency()),
            release_environment: Some("Sandbox".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::charge::Start;

    fn t0() -> DateTime<Utc> {
        "2025-01-15T09:30:00Z".parse().unwrap()
    }

    fn permission(kind: ChargePermissionType, order: Option<i64>) -> PermissionRecord {
        PermissionRecord {
            id: "P1".into(),
            kind,
            state: ChargePermissionState::Chargeable,
            reasons: vec![],
            created: t0(),
            updated: t0(),
            extend_expiration: false,
            order_amount: order.map(Price::jpy),
            allow_overcharge: false,
            buyer: Buyer::default(),
            shipping_address: None,
            billing_address: None,
            payment_descriptor: "Visa ****1111".into(),
            merchant_metadata: MerchantMetadata::default(),
            recurring_metadata: None,
            payment_method_on_file_metadata: None,
            platform_id: None,
            last_charged: None,
        }
    }

    fn charge(amount: i64, at: DateTime<Utc>) -> ChargeRecord {
        ChargeRecord::new(format!("C{amount}"), "P1".into(), Price::jpy(amount), Start::Authorized, at).record
    }

    #[test]
    fn one_time_authorizations_stop_at_the_order_plus_the_allowance() {
        let p = permission(ChargePermissionType::OneTime, Some(10_000));
        let first = charge(10_000, t0());
        assert!(p.check_new_charge(&Price::jpy(1_500), &[&first], t0()).is_ok());
        let err = p.check_new_charge(&Price::jpy(1_501), &[&first], t0()).unwrap_err();
        assert_eq!((err.status.as_u16(), err.reason_code), (400, "TransactionAmountExceeded"));
        assert_eq!(p.limits(&[&first], t0()), Some((Amount::new(11_500), Amount::new(1_500))));
        let canceled = first.cancel(None, t0()).unwrap().record;
        assert!(
            p.check_new_charge(&Price::jpy(11_500), &[&canceled], t0()).is_ok(),
            "a canceled charge frees its amount"
        );
    }

    #[test]
    fn the_26th_charge_on_a_one_time_permission_is_refused() {
        let p = permission(ChargePermissionType::OneTime, Some(1_000_000));
        let charges: Vec<ChargeRecord> = (0..25).map(|_| charge(100, t0())).collect();
        let refs: Vec<&ChargeRecord> = charges.iter().collect();
        assert!(p.check_new_charge(&Price::jpy(100), &refs[..24], t0()).is_ok());
        let err = p.check_new_charge(&Price::jpy(100), &refs, t0()).unwrap_err();
        assert_eq!((err.status.as_u16(), err.reason_code), (422, "TransactionCountExceeded"));
    }

    #[test]
    fn recurring_charges_stop_at_100000_yen_a_month_and_the_balance_resets() {
        let p = permission(ChargePermissionType::Recurring, None);
        let jan = charge(90_000, t0());
        assert_eq!(
            p.check_new_charge(&Price::jpy(10_001), &[&jan], t0()).unwrap_err().reason_code,
            "PeriodicAmountExceeded"
        );
        assert!(p.check_new_charge(&Price::jpy(10_000), &[&jan], t0()).is_ok());
        let february = "2025-02-01T00:00:00Z".parse().unwrap();
        assert_eq!(p.limits(&[&jan], february), Some((Amount::new(100_000), Amount::new(100_000))));
    }

    #[test]
    fn closing_declines_and_expiry() {
        let p = permission(ChargePermissionType::OneTime, Some(10_000));
        let closed = p.close("MerchantClosed", Some("withdrawn".into()), t0()).unwrap();
        assert_eq!(closed.state, ChargePermissionState::Closed);
        assert_eq!(closed.reasons[0].reason_code, "MerchantClosed");
        assert_eq!(
            closed.close("MerchantClosed", None, t0()).unwrap_err().reason_code,
            "InvalidChargePermissionStatus"
        );
        assert_eq!(closed.update(None, None, t0()).unwrap_err().reason_code, "ChargePermissionNotModifiable");
        assert_eq!(
            closed.check_new_charge(&Price::jpy(1), &[], t0()).unwrap_err().reason_code,
            "InvalidChargePermissionStatus"
        );

        assert_eq!(p.after_decline("SoftDeclined", t0()).state, ChargePermissionState::Chargeable);
        assert_eq!(p.after_decline("HardDeclined", t0()).state, ChargePermissionState::NonChargeable);
        assert_eq!(p.after_decline("AmazonRejected", t0()).reasons[0].reason_code, "AmazonCanceled");

        assert_eq!(p.settle(t0() + Duration::days(179)).state, ChargePermissionState::Chargeable);
        assert_eq!(p.settle(t0() + Duration::days(181)).reasons[0].reason_code, "Expired");
        let extended = PermissionRecord { extend_expiration: true, ..p.clone() };
        assert_eq!(extended.settle(t0() + Duration::days(181)).state, ChargePermissionState::Chargeable);
        assert_eq!(extended.settle(t0() + Duration::days(400)).state, ChargePermissionState::Closed);
        assert_eq!(permission(ChargePermissionType::PaymentMethodOnFile, None).expires(), None);
    }

    #[test]
    fn a_one_time_permission_closes_once_the_order_is_captured() {
        let p = permission(ChargePermissionType::OneTime, Some(10_000));
        let half = charge(5_000, t0()).capture(Price::jpy(5_000), None, t0()).unwrap().record;
        assert_eq!(p.close_if_fully_captured(&[&half], t0()).state, ChargePermissionState::Chargeable);
        let rest = charge(5_000, t0()).capture(Price::jpy(5_000), None, t0()).unwrap().record;
        let closed = p.close_if_fully_captured(&[&half, &rest], t0());
        assert_eq!(closed.reasons[0].reason_code, "AmazonClosed");
    }

    #[test]
    fn buyer_details_are_kept_30_days_on_one_time_permissions() {
        let mut p = permission(ChargePermissionType::OneTime, Some(10_000));
        p.buyer.name = Some("山田 太郎".into());
        assert!(p.to_model(&[], t0()).buyer.is_some());
        assert!(p.to_model(&[], t0() + Duration::days(31)).buyer.is_none());
    }
}
