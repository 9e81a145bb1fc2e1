//! The wire format of Amazon Pay Checkout v2: serde types for every object and request body,
//! shared by the client and the emulator so that there is one truth per field.
//!
//! Conventions (spec §3): camelCase names; every field of a response is present and `null` when
//! unset, so structs serialize `None` as `null` (the client strips nulls from request bodies, as
//! the .NET SDK does); amounts are strings; timestamps are `YYYYMMDDTHHMMSSZ`. Deserialization is
//! lenient about unknown fields so a client keeps working when Amazon adds one; the emulator
//! detects them itself to answer `UnrecognizedField`.

mod charge;
mod charge_permission;
mod checkout_session;
mod common;
mod refund;

pub use charge::*;
pub use charge_permission::*;
pub use checkout_session::*;
pub use common::*;
pub use refund::*;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The documented Open session (spec §3.1.2) reads into the model and writes back unchanged.
    #[test]
    fn documented_open_session_round_trips_with_its_nulls() {
        let doc = json!({
            "checkoutSessionId": "bd504926-f659-4ad7-a1a9-9a747aaf5275",
            "webCheckoutDetails": { "checkoutReviewReturnUrl": "https://shop.example/review", "checkoutResultReturnUrl": null,
                "amazonPayRedirectUrl": null, "checkoutCancelUrl": null, "checkoutMode": null },
            "productType": "PayAndShip", "chargePermissionType": "OneTime", "recurringMetadata": null,
            "paymentMethodOnFileMetadata": null,
            "paymentDetails": { "paymentIntent": null, "canHandlePendingAuthorization": false, "chargeAmount": null,
                "totalOrderAmount": null, "softDescriptor": null, "presentmentCurrency": null,
                "allowOvercharge": null, "extendExpiration": null },
            "merchantMetadata": { "merchantReferenceId": null, "merchantStoreName": null, "noteToBuyer": null, "customInformation": null },
            "supplementaryData": null, "buyer": null, "shippingAddress": null, "shippingAddressList": null, "billingAddress": null,
            "paymentPreferences": [null],
            "statusDetails": { "state": "Open", "reasonCode": null, "reasonDescription": null, "lastUpdatedTimestamp": "20191015T204327Z" },
            "constraints": [ { "constraintId": "BuyerNotAssociated", "description": "There is no buyer associated with the Checkout Session." },
                             { "constraintId": "ChargeAmountNotSet", "description": "chargeAmount is not set." } ],
            "creationTimestamp": "20191015T204313Z", "expirationTimestamp": "20191016T204313Z",
            "chargePermissionId": null, "chargeId": null, "platformId": null,
            "storeId": "amzn1.application-oa2-client.8b5e45312b5248b69eeaStoreId",
            "deliverySpecifications": null,
            "providerMetadata": { "providerReferenceId": null }, "releaseEnvironment": "Sandbox"
        });
        let session: CheckoutSession = serde_json::from_value(doc.clone()).unwrap();
        assert_eq!(session.state(), CheckoutSessionState::Open);
        assert_eq!(session.constraint_ids(), ["BuyerNotAssociated", "ChargeAmountNotSet"]);
        assert_eq!(session.payment_descriptor(), None);
        assert_eq!(serde_json::to_value(&session).unwrap(), doc);
    }

    #[test]
    fn unknown_response_fields_are_tolerated() {
        let charge: Charge = serde_json::from_value(json!({
            "chargeId": "S03-1-1-C1", "chargePermissionId": "S03-1-1",
            "statusDetails": { "state": "Authorized", "lastUpdatedTimestamp": "20250115T093000Z" },
            "someFutureField": { "x": 1 }
        }))
        .unwrap();
        assert_eq!(charge.state(), ChargeState::Authorized);
        assert_eq!(charge.reason_code(), None);
    }

    #[test]
    fn charge_permission_reasons_are_a_list() {
        let cp: ChargePermission = serde_json::from_value(json!({
            "chargePermissionId": "S03-1-1",
            "statusDetails": { "state": "Closed", "reasons": [ { "reasonCode": "MerchantClosed", "reasonDescription": "x" } ],
                               "lastUpdatedTimestamp": "20250115T093000Z" }
        }))
        .unwrap();
        assert_eq!(cp.state(), ChargePermissionState::Closed);
        assert_eq!(cp.reason_codes(), ["MerchantClosed"]);
    }

    #[test]
    fn recurring_frequency_value_reads_numbers_and_strings() {
        let a: Frequency = serde_json::from_value(json!({"unit": "Month", "value": 1})).unwrap();
        let b: Frequency = serde_json::from_value(json!({"unit": "Month", "value": "1"})).unwrap();
        assert_eq!(a, b);
        assert_eq!(serde_json::to_value(&a).unwrap(), json!({"unit": "Month", "value": "1"}));
    }
}
