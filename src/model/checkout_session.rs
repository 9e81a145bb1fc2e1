//! CheckoutSession: the object behind the button, the hosted pages and the review page
//! (spec §3.1, §4.1).

use serde::{Deserialize, Serialize};

use super::common::{
    Address, AddressDetails, Buyer, MerchantMetadata, Price, ProviderMetadata, StatusDetails, StringOrNumber, Timestamp,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CheckoutSessionState {
    Open,
    Completed,
    Canceled,
}

/// What Complete Checkout Session does with the payment (spec §3.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PaymentIntent {
    /// Only create a Charge Permission; charge later.
    Confirm,
    /// Authorize at checkout, capture later.
    Authorize,
    /// Authorize and capture at checkout.
    AuthorizeWithCapture,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum ProductType {
    #[default]
    PayAndShip,
    PayOnly,
    SignIn,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum ChargePermissionType {
    #[default]
    OneTime,
    Recurring,
    PaymentMethodOnFile,
}

/// `checkoutMode`: only `ProcessOrder` exists (APB, "今すぐ支払う").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CheckoutMode {
    ProcessOrder,
}

/// Buyer data the merchant asks for (`scopes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Scope {
    Name,
    Email,
    PostalCode,
    ShippingAddress,
    PhoneNumber,
    PrimeStatus,
    BillingAddress,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WebCheckoutDetails {
    /// Max 512 characters; where the buyer returns to review the order.
    pub checkout_review_return_url: Option<String>,
    /// Max 512 characters; where the buyer lands after `amazonPayRedirectUrl`.
    pub checkout_result_return_url: Option<String>,
    pub checkout_cancel_url: Option<String>,
    /// Set by Amazon once no constraint is left; never sent by the merchant.
    pub amazon_pay_redirect_url: Option<String>,
    pub checkout_mode: Option<CheckoutMode>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PaymentDetails {
    pub payment_intent: Option<PaymentIntent>,
    /// Enables asynchronous ("Dynamic") authorization; the API writes `false` when unset.
    pub can_handle_pending_authorization: Option<bool>,
    pub charge_amount: Option<Price>,
    pub total_order_amount: Option<Price>,
    pub soft_descriptor: Option<String>,
    pub presentment_currency: Option<String>,
    /// Creation only: raises the limit to max(900 %, ¥70,000).
    pub allow_overcharge: Option<bool>,
    /// Creation only: OneTime permission lives 13 months instead of 180 days.
    pub extend_expiration: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Frequency {
    /// `Year`, `Month`, `Week`, `Day` or `Variable`.
    pub unit: String,
    /// The JP sample sends `"1"`, .NET sends `1`: read both, write a string.
    #[serde(deserialize_with = "string_or_number")]
    pub value: String,
}

fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    StringOrNumber::deserialize(d).map(|s| s.0)
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RecurringMetadata {
    pub frequency: Option<Frequency>,
    pub amount: Option<Price>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PaymentMethodOnFileMetadata {
    /// Save the payment method without charging now.
    pub setup_only: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CountryRestriction {
    pub states_or_regions: Option<Vec<String>>,
    pub zip_codes: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AddressRestrictions {
    /// `Allowed` or `NotAllowed`.
    #[serde(rename = "type", default)]
    pub restriction_type: Option<String>,
    /// Keyed by country code, e.g. `"JP"`.
    pub restrictions: Option<std::collections::BTreeMap<String, CountryRestriction>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeliverySpecifications {
    /// `RestrictPOBoxes`, `RestrictPackstations`.
    pub special_restrictions: Option<Vec<String>>,
    pub address_restrictions: Option<AddressRestrictions>,
}

/// `{constraintId, description}`: what still blocks `amazonPayRedirectUrl`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Constraint {
    pub constraint_id: String,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentPreference {
    /// Display string of the buyer's instrument, e.g. `Visa ****1111`.
    #[serde(default)]
    pub payment_descriptor: Option<String>,
}

/// A CheckoutSession as the API returns it: every field present, `null` when unset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutSession {
    pub checkout_session_id: String,
    #[serde(default)]
    pub web_checkout_details: Option<WebCheckoutDetails>,
    #[serde(default)]
    pub product_type: Option<ProductType>,
    #[serde(default)]
    pub payment_details: Option<PaymentDetails>,
    #[serde(default)]
    pub charge_permission_type: Option<ChargePermissionType>,
    #[serde(default)]
    pub recurring_metadata: Option<RecurringMetadata>,
    #[serde(default)]
    pub payment_method_on_file_metadata: Option<PaymentMethodOnFileMetadata>,
    #[serde(default)]
    pub merchant_metadata: Option<MerchantMetadata>,
    #[serde(default)]
    pub supplementary_data: Option<String>,
    #[serde(default)]
    pub buyer: Option<Buyer>,
    #[serde(default)]
    pub shipping_address: Option<Address>,
    /// Multi-address checkout: each element is a JSON-encoded **string** (the SDKs `JSON.parse` it).
    #[serde(default)]
    pub shipping_address_list: Option<Vec<String>>,
    #[serde(default)]
    pub billing_address: Option<Address>,
    /// `[null]` before the buyer signed in.
    #[serde(default)]
    pub payment_preferences: Option<Vec<Option<PaymentPreference>>>,
    pub status_details: StatusDetails<CheckoutSessionState>,
    #[serde(default)]
    pub constraints: Option<Vec<Constraint>>,
    #[serde(default)]
    pub creation_timestamp: Option<Timestamp>,
    #[serde(default)]
    pub expiration_timestamp: Option<Timestamp>,
    #[serde(default)]
    pub charge_permission_id: Option<String>,
    #[serde(default)]
    pub charge_id: Option<String>,
    #[serde(default)]
    pub store_id: Option<String>,
    #[serde(default)]
    pub delivery_specifications: Option<DeliverySpecifications>,
    #[serde(default)]
    pub platform_id: Option<String>,
    #[serde(default)]
    pub provider_metadata: Option<ProviderMetadata>,
    #[serde(default)]
    pub release_environment: Option<String>,
}

impl CheckoutSession {
    pub fn state(&self) -> CheckoutSessionState {
        self.status_details.state
    }

    pub fn amazon_pay_redirect_url(&self) -> Option<&str> {
        self.web_checkout_details.as_ref()?.amazon_pay_redirect_url.as_deref()
    }

    pub fn payment_descriptor(&self) -> Option<&str> {
        self.payment_preferences.as_ref()?.iter().flatten().find_map(|p| p.payment_descriptor.as_deref())
    }

    pub fn constraint_ids(&self) -> Vec<&str> {
        self.constraints.iter().flatten().map(|c| c.constraint_id.as_str()).collect()
    }
}

/// Create Checkout Session (spec §3.1.2). Also the button's `payloadJSON`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateCheckoutSessionRequest {
    pub web_checkout_details: Option<WebCheckoutDetails>,
    /// Required: the Login with Amazon client id `amzn1.application-oa2-client.…`.
    pub store_id: Option<String>,
    pub scopes: Option<Vec<Scope>>,
    pub delivery_specifications: Option<DeliverySpecifications>,
    /// APB with `PayAndShip`: the buyer's address as the merchant knows it.
    pub address_details: Option<AddressDetails>,
    pub payment_details: Option<PaymentDetails>,
    pub merchant_metadata: Option<MerchantMetadata>,
    pub platform_id: Option<String>,
    pub provider_metadata: Option<ProviderMetadata>,
    pub supplementary_data: Option<String>,
    pub charge_permission_type: Option<ChargePermissionType>,
    pub recurring_metadata: Option<RecurringMetadata>,
    pub payment_method_on_file_metadata: Option<PaymentMethodOnFileMetadata>,
    /// Saved-wallet update flows: the permission to update.
    pub charge_permission_id: Option<String>,
    pub multi_addresses_checkout_metadata: Option<Vec<serde_json::Value>>,
    /// Button payloads only: `PayAndShip`, `PayOnly`, `SignIn` (checkout.js passes it).
    pub product_type: Option<ProductType>,
}

/// Update Checkout Session (spec §3.1.2).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UpdateCheckoutSessionRequest {
    pub web_checkout_details: Option<WebCheckoutDetails>,
    pub payment_details: Option<PaymentDetails>,
    pub merchant_metadata: Option<MerchantMetadata>,
    pub platform_id: Option<String>,
    pub provider_metadata: Option<ProviderMetadata>,
    pub supplementary_data: Option<String>,
    pub charge_permission_type: Option<ChargePermissionType>,
    pub recurring_metadata: Option<RecurringMetadata>,
    pub multi_addresses_checkout_metadata: Option<Vec<serde_json::Value>>,
}

/// Complete Checkout Session: `chargeAmount` must equal the session's (else `AmountMismatch`);
/// `{}` for a setup-only saved wallet.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CompleteCheckoutSessionRequest {
    pub charge_amount: Option<Price>,
    pub total_order_amount: Option<Price>,
}

/// Finalize Checkout Session (JS-based / Buy Now flows).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FinalizeCheckoutSessionRequest {
    pub shipping_address: Option<Address>,
    pub billing_address: Option<Address>,
    pub charge_amount: Option<Price>,
    pub total_order_amount: Option<Price>,
    pub payment_intent: Option<PaymentIntent>,
    pub can_handle_pending_authorization: Option<bool>,
    pub supplementary_data: Option<String>,
}
