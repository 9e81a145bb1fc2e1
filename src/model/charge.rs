//! Charge: one authorization and its capture (spec §3.4, §4.3).

use serde::{Deserialize, Serialize};

use super::checkout_session::WebCheckoutDetails;
use super::common::{MerchantMetadata, Price, ProviderMetadata, StatusDetails, Timestamp};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChargeState {
    /// Pending (asynchronous / Dynamic Authorization).
    AuthorizationInitiated,
    Authorized,
    /// Capture in progress (captures more than 7 days after authorization are asynchronous).
    CaptureInitiated,
    Captured,
    Canceled,
    Declined,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Charge {
    pub charge_id: String,
    pub charge_permission_id: String,
    #[serde(default)]
    pub charge_amount: Option<Price>,
    #[serde(default)]
    pub capture_amount: Option<Price>,
    #[serde(default)]
    pub refunded_amount: Option<Price>,
    #[serde(default)]
    pub converted_amount: Option<serde_json::Value>,
    #[serde(default)]
    pub conversion_rate: Option<serde_json::Value>,
    #[serde(default)]
    pub soft_descriptor: Option<String>,
    #[serde(default)]
    pub merchant_metadata: Option<MerchantMetadata>,
    #[serde(default)]
    pub provider_metadata: Option<ProviderMetadata>,
    #[serde(default)]
    pub platform_id: Option<String>,
    /// `CITU`, `MITU`, `CITR`, `MITR`.
    #[serde(default)]
    pub charge_initiator: Option<String>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub web_checkout_details: Option<WebCheckoutDetails>,
    pub status_details: StatusDetails<ChargeState>,
    #[serde(default)]
    pub creation_timestamp: Option<Timestamp>,
    /// When an authorization lapses unused (30 days).
    #[serde(default)]
    pub expiration_timestamp: Option<Timestamp>,
    #[serde(default)]
    pub release_environment: Option<String>,
}

impl Charge {
    pub fn state(&self) -> ChargeState {
        self.status_details.state
    }

    pub fn reason_code(&self) -> Option<&str> {
        self.status_details.reason_code.as_deref()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateChargeRequest {
    pub charge_permission_id: Option<String>,
    pub charge_amount: Option<Price>,
    pub capture_now: Option<bool>,
    /// Max 16 characters; not available in JP (a fixed descriptor is shown).
    pub soft_descriptor: Option<String>,
    pub can_handle_pending_authorization: Option<bool>,
    pub merchant_metadata: Option<MerchantMetadata>,
    pub provider_metadata: Option<ProviderMetadata>,
    pub platform_id: Option<String>,
    pub charge_initiator: Option<String>,
    pub channel: Option<String>,
    /// Saved wallet: where the buyer returns after a step-up (MFA).
    pub web_checkout_details: Option<WebCheckoutDetails>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CaptureChargeRequest {
    pub capture_amount: Option<Price>,
    pub soft_descriptor: Option<String>,
}

/// Cancel Charge: a DELETE **with** this JSON body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CancelChargeRequest {
    pub cancellation_reason: Option<String>,
}
