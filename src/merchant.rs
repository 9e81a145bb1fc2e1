//! The merchant's role: everything a scenario asks the merchant to do, as one trait, so the same
//! steps can judge our own signed client today and, later, a merchant's SDK (through an adapter)
//! or a merchant's own web shop.
//!
//! What only our own client can do — send a corrupted signature, pin an idempotency key, send a
//! malformed body, sign with a chosen algorithm — is not part of the role: a step that needs it
//! asks for [`Merchant::own_client`], which a foreign merchant does not have, and the scenario
//! declares that need (see `steps::needs`).

use async_trait::async_trait;

use crate::client::{Client, ClientError, Reply};
use crate::model::*;

/// What `generateButtonSignature` gives the merchant's page for `amazon.Pay.renderButton`.
#[derive(Clone, Debug)]
pub struct ButtonSignature {
    pub signature: String,
    /// The algorithm the signature was made with (`AMZN-PAY-RSASSA-PSS-V2`, …).
    pub algorithm: String,
}

/// The merchant of one scenario. `?Send`: a scenario's world lives on one task, and a foreign
/// merchant (a child process, a browser on the merchant's shop) need not be shareable.
#[async_trait(?Send)]
pub trait Merchant: std::fmt::Debug {
    /// The public key id the merchant signs with (the emulator's tenant, or the sandbox account).
    fn public_key_id(&self) -> &str;

    /// The store id the button's payload names.
    fn store_id(&self) -> &str;

    /// Signs the button's `payloadJSON` as the merchant's server does (`generateButtonSignature`).
    fn sign_button(&self, payload_json: &str) -> anyhow::Result<ButtonSignature>;

    async fn create_checkout_session(
        &self,
        request: &CreateCheckoutSessionRequest,
    ) -> Result<Reply<CheckoutSession>, ClientError>;

    async fn get_checkout_session(&self, id: &str) -> Result<Reply<CheckoutSession>, ClientError>;

    async fn update_checkout_session(
        &self,
        id: &str,
        request: &UpdateCheckoutSessionRequest,
    ) -> Result<Reply<CheckoutSession>, ClientError>;

    async fn complete_checkout_session(
        &self,
        id: &str,
        request: &CompleteCheckoutSessionRequest,
    ) -> Result<Reply<CheckoutSession>, ClientError>;

    async fn finalize_checkout_session(
        &self,
        id: &str,
        request: &FinalizeCheckoutSessionRequest,
    ) -> Result<Reply<CheckoutSession>, ClientError>;

    async fn get_charge_permission(&self, id: &str) -> Result<Reply<ChargePermission>, ClientError>;

    async fn update_charge_permission(
        &self,
        id: &str,
        request: &UpdateChargePermissionRequest,
    ) -> Result<Reply<ChargePermission>, ClientError>;

    async fn close_charge_permission(
        &self,
        id: &str,
        request: &CloseChargePermissionRequest,
    ) -> Result<Reply<ChargePermission>, ClientError>;

    /// Create Charge; `simulation` is the sandbox's `x-amz-pay-simulation-code`, which every
    /// official SDK lets the merchant send as a header.
    async fn create_charge(
        &self,
        request: &CreateChargeRequest,
        simulation: Option<&str>,
    ) -> Result<Reply<Charge>, ClientError>;

    async fn get_charge(&self, id: &str) -> Result<Reply<Charge>, ClientError>;

    async fn capture_charge(&self, id: &str, request: &CaptureChargeRequest) -> Result<Reply<Charge>, ClientError>;

    async fn cancel_charge(&self, id: &str, request: &CancelChargeRequest) -> Result<Reply<Charge>, ClientError>;

    async fn create_refund(&self, request: &CreateRefundRequest) -> Result<Reply<Refund>, ClientError>;

    async fn get_refund(&self, id: &str) -> Result<Reply<Refund>, ClientError>;

    /// Our own client, when the merchant is played by it: the powers no foreign merchant has.
    fn own_client(&self) -> Option<&Client> {
        None
    }
}

/// Our signed Rust client as the merchant, with the store id its button names.
#[derive(Clone, Debug)]
pub struct OwnMerchant {
    pub client: Client,
    pub store_id: String,
}

#[async_trait(?Send)]
impl Merchant for OwnMerchant {
    fn public_key_id(&self) -> &str {
        &self.client.signer().public_key_id
    }

    fn store_id(&self) -> &str {
        &self.store_id
    }

    fn sign_button(&self, payload_json: &str) -> anyhow::Result<ButtonSignature> {
        let signer = self.client.signer();
        Ok(ButtonSignature {
            signature: signer.sign_button_payload(payload_json)?,
            algorithm: signer.algorithm.to_string(),
        })
    }

    async fn create_checkout_session(
        &self,
        request: &CreateCheckoutSessionRequest,
    ) -> Result<Reply<CheckoutSession>, ClientError> {
        self.client.create_checkout_session(request).await
    }

    async fn get_checkout_session(&self, id: &str) -> Result<Reply<CheckoutSession>, ClientError> {
        self.client.get_checkout_session(id).await
    }

    async fn update_checkout_session(
        &self,
        id: &str,
        request: &UpdateCheckoutSessionRequest,
    ) -> Result<Reply<CheckoutSession>, ClientError> {
        self.client.update_checkout_session(id, request).await
    }

    async fn complete_checkout_session(
        &self,
        id: &str,
        request: &CompleteCheckoutSessionRequest,
    ) -> Result<Reply<CheckoutSession>, ClientError> {
        self.client.complete_checkout_session(id, request).await
    }

    async fn finalize_checkout_session(
        &self,
        id: &str,
        request: &FinalizeCheckoutSessionRequest,
    ) -> Result<Reply<CheckoutSession>, ClientError> {
        self.client.finalize_checkout_session(id, request).await
    }

    async fn get_charge_permission(&self, id: &str) -> Result<Reply<ChargePermission>, ClientError> {
        self.client.get_charge_permission(id).await
    }

    async fn update_charge_permission(
        &self,
        id: &str,
        request: &UpdateChargePermissionRequest,
    ) -> Result<Reply<ChargePermission>, ClientError> {
        self.client.update_charge_permission(id, request).await
    }

    async fn close_charge_permission(
        &self,
        id: &str,
        request: &CloseChargePermissionRequest,
    ) -> Result<Reply<ChargePermission>, ClientError> {
        self.client.close_charge_permission(id, request).await
    }

    async fn create_charge(
        &self,
        request: &CreateChargeRequest,
        simulation: Option<&str>,
    ) -> Result<Reply<Charge>, ClientError> {
        match simulation {
            Some(code) => self.client.simulating(code).create_charge(request).await,
            None => self.client.create_charge(request).await,
        }
    }

    async fn get_charge(&self, id: &str) -> Result<Reply<Charge>, ClientError> {
        self.client.get_charge(id).await
    }

    async fn capture_charge(&self, id: &str, request: &CaptureChargeRequest) -> Result<Reply<Charge>, ClientError> {
        self.client.capture_charge(id, request).await
    }

    async fn cancel_charge(&self, id: &str, request: &CancelChargeRequest) -> Result<Reply<Charge>, ClientError> {
        self.client.cancel_charge(id, request).await
    }

    async fn create_refund(&self, request: &CreateRefundRequest) -> Result<Reply<Refund>, ClientError> {
        self.client.create_refund(request).await
    }

    async fn get_refund(&self, id: &str) -> Result<Reply<Refund>, ClientError> {
        self.client.get_refund(id).await
    }

    fn own_client(&self) -> Option<&Client> {
        Some(&self.client)
    }
}
