//! Amount rules, one function each, with the source of the rule (spec §3, §6).
//!
//! The emulator is JP-first: the ledger currency is JPY, which has no minor unit.

use chrono::{DateTime, Datelike, FixedOffset, Utc};
use rust_decimal::Decimal;

use super::error::ErrorResponse;
use crate::model::{Amount, ChargePermissionType, Price};

/// The ledger currency of a JP merchant.
pub const LEDGER_CURRENCY: &str = "JPY";

/// Largest single charge or refund in JP: ¥10,000,000
/// (developer.amazon.com/docs/amazon-pay-paymentmethodonfile/charge.html, ja).
pub const MAX_SINGLE_AMOUNT: i64 = 10_000_000;

/// Checks one money field: JPY only (`CurrencyMismatch`), whole yen and positive
/// (`InvalidParameterValue`), at most ¥10,000,000 (`TransactionAmountExceeded`).
/// JPY with a fraction being `InvalidParameterValue` is (unconfirmed) in spec §3.
pub fn check_price(field: &str, price: &Price) -> Result<(), ErrorResponse> {
    if price.currency_code != LEDGER_CURRENCY {
        return Err(ErrorResponse::currency_mismatch(field, &price.currency_code, LEDGER_CURRENCY));
    }
    if price.amount.has_fraction() {
        return Err(ErrorResponse::invalid_parameter(&format!("{field}.amount"), "JPY amounts have no decimals"));
    }
    if price.amount.0 <= Decimal::ZERO {
        return Err(ErrorResponse::invalid_parameter(&format!("{field}.amount"), "the amount must be greater than 0"));
    }
    if price.amount.0 > Decimal::from(MAX_SINGLE_AMOUNT) {
        return Err(ErrorResponse::transaction_amount_exceeded(format!(
            "{field} exceeds the maximum of {MAX_SINGLE_AMOUNT} JPY for a single transaction."
        )));
    }
    Ok(())
}

/// How much may be authorized on a OneTime permission above the order amount:
/// min(15 %, ¥8,400) (v1 JP rule, which the project applies to v2: ¥10,000 → ¥1,500,
/// ¥60,000 → ¥8,400); with `allowOvercharge`, max(900 %, ¥70,000) (JP FAQ QA-12).
/// Fractions of a yen are rounded down (unconfirmed).
pub fn over_authorization_allowance(order: Amount, allow_overcharge: bool) -> Amount {
    let order = order.0;
    let allowance = if allow_overcharge {
        (order * Decimal::from(9)).max(Decimal::from(70_000))
    } else {
        (order * Decimal::new(15, 2)).floor().min(Decimal::from(8_400))
    };
    Amount(allowance)
}

/// The most that may be authorized in total on a OneTime permission.
pub fn authorization_cap(order: Amount, allow_overcharge: bool) -> Amount {
    Amount(order.0 + over_authorization_allowance(order, allow_overcharge).0)
}

/// The most that may be refunded in total on a charge: the captured amount plus
/// min(15 %, ¥8,400) (developer.amazon.com/docs/amazon-pay-api-v2/refund.html, en + ja).
pub fn refund_cap(captured: Amount) -> Amount {
    Amount(captured.0 + over_authorization_allowance(captured, false).0)
}

/// Monthly charge limit per permission: Recurring ¥100,000 (JP FAQ QA-55),
/// PaymentMethodOnFile ¥2,000,000 (docs monthly-paymentmethodonfile-charge-limits); none for OneTime.
pub fn monthly_limit(kind: ChargePermissionType) -> Option<Amount> {
    match kind {
        ChargePermissionType::OneTime => None,
        ChargePermissionType::Recurring => Some(Amount::new(100_000)),
        ChargePermissionType::PaymentMethodOnFile => Some(Amount::new(2_000_000)),
    }
}

/// The calendar month a charge counts toward: "reset on the 1st" (JP FAQ QA-55). Which time zone
/// Amazon uses is (unconfirmed); a JP merchant's month is taken in JST (UTC+9).
pub fn billing_month(at: DateTime<Utc>) -> (i32, u32) {
    let jst = at.with_timezone(&FixedOffset::east_opt(9 * 3600).expect("UTC+9 is valid"));
    (jst.year(), jst.month())
}

/// The most a OneTime permission may carry in charges (ja one-time-payment-scenarios: up to 25).
pub const MAX_CHARGES_PER_ONE_TIME_PERMISSION: usize = 25;

#[cfg(test)]
mod tests {
    use super::*;

    fn jpy(n: i64) -> Amount {
        Amount::new(n)
    }

    #[test]
    fn over_authorization_is_the_lesser_of_15_percent_and_8400_yen() {
        assert_eq!(authorization_cap(jpy(10_000), false), jpy(11_500));
        assert_eq!(authorization_cap(jpy(56_000), false), jpy(64_400));
        assert_eq!(authorization_cap(jpy(60_000), false), jpy(68_400));
        assert_eq!(authorization_cap(jpy(10_001), false), jpy(11_501)); // 1500.15 rounds down
        assert_eq!(refund_cap(jpy(10_000)), jpy(11_500));
    }

    #[test]
    fn allow_overcharge_is_the_greater_of_900_percent_and_70000_yen() {
        assert_eq!(authorization_cap(jpy(1_000), true), jpy(71_000));
        assert_eq!(authorization_cap(jpy(10_000), true), jpy(100_000));
    }

    #[test]
    fn prices_must_be_whole_positive_yen_up_to_ten_million() {
        assert!(check_price("chargeAmount", &Price::jpy(10_000_000)).is_ok());
        assert_eq!(
            check_price("chargeAmount", &Price::jpy(10_000_001)).unwrap_err().reason_code,
            "TransactionAmountExceeded"
        );
        assert_eq!(check_price("chargeAmount", &Price::jpy(0)).unwrap_err().reason_code, "InvalidParameterValue");
        let decimals = Price { amount: "100.5".parse().unwrap(), currency_code: "JPY".into() };
        assert_eq!(check_price("chargeAmount", &decimals).unwrap_err().reason_code, "InvalidParameterValue");
        assert_eq!(check_price("chargeAmount", &Price::new(10, "USD")).unwrap_err().reason_code, "CurrencyMismatch");
    }

    #[test]
    fn months_are_counted_in_japan_time() {
        let last_of_month_utc = "2025-01-31T15:30:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(billing_month(last_of_month_utc), (2025, 2)); // already 1 February 00:30 JST
        assert_eq!(monthly_limit(ChargePermissionType::Recurring), Some(jpy(100_000)));
    }
}
