//! ChargePermission: the buyer's consent to be charged, one-time, recurring or on file
//! (spec §3.3, §4.2).

use serde::{Deserialize, Serialize};

use super::checkout_session::{
    ChargePermissionType, PaymentMethodOnFileMetadata, PaymentPreference, RecurringMetadata,
};
use super::common::{Address, Buyer, MerchantMetadata, Price, Timestamp};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChargePermissionState {
    Chargeable,
    NonChargeable,
    Closed,
}

/// One entry of `statusDetails.reasons[]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    pub reason_code: String,
    #[serde(default)]
    pub reason_description: Option<String>,
}

/// Unlike the other objects, a ChargePermission carries a **list** of reasons (`null` when none).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChargePermissionStatusDetails {
    pub state: ChargePermissionState,
    #[serde(default)]
    pub reasons: Option<Vec<Reason>>,
    pub last_updated_timestamp: Timestamp,
}

/// `limits`: the amount still chargeable (`amountBalance`) under `amountLimit`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Limits {
    pub amount_limit: Option<Price>,
    pub amount_balance: Option<Price>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChargePermission {
    pub charge_permission_id: String,
    #[serde(default)]
    pub charge_permission_reference_id: Option<String>,
    #[serde(default)]
    pub amazon_pay_token: Option<String>,
    #[serde(default)]
    pub charge_permission_type: Option<ChargePermissionType>,
    #[serde(default)]
    pub recurring_metadata: Option<RecurringMetadata>,
    #[serde(default)]
    pub payment_method_on_file_metadata: Option<PaymentMethodOnFileMetadata>,
    #[serde(default)]
    pub limits: Option<Limits>,
    #[serde(default)]
    pub buyer: Option<Buyer>,
    #[serde(default)]
    pub shipping_address: Option<Address>,
    #[serde(default)]
    pub billing_address: Option<Address>,
    #[serde(default)]
    pub payment_preferences: Option<Vec<Option<PaymentPreference>>>,
    #[serde(default)]
    pub merchant_metadata: Option<MerchantMetadata>,
    #[serde(default)]
    pub platform_id: Option<String>,
    pub status_details: ChargePermissionStatusDetails,
    #[serde(default)]
    pub creation_timestamp: Option<Timestamp>,
    /// `null` for a saved wallet, which only closes when canceled.
    #[serde(default)]
    pub expiration_timestamp: Option<Timestamp>,
    #[serde(default)]
    pub presentment_currency: Option<String>,
    #[serde(default)]
    pub release_environment: Option<String>,
}

impl ChargePermission {
    pub fn state(&self) -> ChargePermissionState {
        self.status_details.state
    }

    pub fn reason_codes(&self) -> Vec<&str> {
        self.status_details.reasons.iter().flatten().map(|r| r.reason_code.as_str()).collect()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UpdateChargePermissionRequest {
    pub merchant_metadata: Option<MerchantMetadata>,
    pub recurring_metadata: Option<RecurringMetadata>,
}

/// Close Charge Permission: a DELETE **with** this JSON body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CloseChargePermissionRequest {
    /// Max 255 characters.
    pub closure_reason: Option<String>,
    /// Cancel the permission's open (authorized, not captured) charges too.
    pub cancel_pending_charges: Option<bool>,
}
