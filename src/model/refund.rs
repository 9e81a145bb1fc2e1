//! Refund (spec §3.5, §4.4) and the delivery tracker request.

use serde::{Deserialize, Serialize};

use super::common::{Price, StatusDetails, Timestamp};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RefundState {
    /// Every refund starts here: refunds are always asynchronous.
    RefundInitiated,
    Refunded,
    Declined,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    pub refund_id: String,
    pub charge_id: String,
    #[serde(default)]
    pub refund_amount: Option<Price>,
    #[serde(default)]
    pub soft_descriptor: Option<String>,
    #[serde(default)]
    pub creation_timestamp: Option<Timestamp>,
    pub status_details: StatusDetails<RefundState>,
    #[serde(default)]
    pub release_environment: Option<String>,
}

impl Refund {
    pub fn state(&self) -> RefundState {
        self.status_details.state
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateRefundRequest {
    pub charge_id: Option<String>,
    pub refund_amount: Option<Price>,
    pub soft_descriptor: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryDetail {
    pub tracking_number: String,
    pub carrier_code: String,
}

/// Delivery Trackers (allow-listed merchants): tells Amazon a shipment's tracking number.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeliveryTrackerRequest {
    pub amazon_order_reference_id: Option<String>,
    pub charge_permission_id: Option<String>,
    pub delivery_details: Option<Vec<DeliveryDetail>>,
}
