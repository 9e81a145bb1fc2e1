//! The Checkout v2 WebStore operations (spec §1.3): method, path and body of each, in one table
//! that the client, the CLI and the emulator all read.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::Method;

/// One API operation. The CLI names them in kebab-case (`create-checkout-session`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Operation {
    CreateCheckoutSession,
    GetCheckoutSession,
    UpdateCheckoutSession,
    CompleteCheckoutSession,
    FinalizeCheckoutSession,
    GetChargePermission,
    UpdateChargePermission,
    CloseChargePermission,
    CreateCharge,
    GetCharge,
    CaptureCharge,
    CancelCharge,
    CreateRefund,
    GetRefund,
    GetBuyer,
    CreateDeliveryTracker,
}

/// Characters a path segment may carry unencoded. Amazon's ids are plain ASCII (`S03-…`, UUIDs,
/// buyer tokens with `.`), so this only matters for a caller's typo, which must not change the path.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

impl Operation {
    pub const ALL: [Operation; 16] = [
        Operation::CreateCheckoutSession,
        Operation::GetCheckoutSession,
        Operation::UpdateCheckoutSession,
        Operation::CompleteCheckoutSession,
        Operation::FinalizeCheckoutSession,
        Operation::GetChargePermission,
        Operation::UpdateChargePermission,
        Operation::CloseChargePermission,
        Operation::CreateCharge,
        Operation::GetCharge,
        Operation::CaptureCharge,
        Operation::CancelCharge,
        Operation::CreateRefund,
        Operation::GetRefund,
        Operation::GetBuyer,
        Operation::CreateDeliveryTracker,
    ];

    /// The operation's name as the docs write it ("Create Checkout Session").
    pub fn title(self) -> &'static str {
        use Operation::*;
        match self {
            CreateCheckoutSession => "Create Checkout Session",
            GetCheckoutSession => "Get Checkout Session",
            UpdateCheckoutSession => "Update Checkout Session",
            CompleteCheckoutSession => "Complete Checkout Session",
            FinalizeCheckoutSession => "Finalize Checkout Session",
            GetChargePermission => "Get Charge Permission",
            UpdateChargePermission => "Update Charge Permission",
            CloseChargePermission => "Close Charge Permission",
            CreateCharge => "Create Charge",
            GetCharge => "Get Charge",
            CaptureCharge => "Capture Charge",
            CancelCharge => "Cancel Charge",
            CreateRefund => "Create Refund",
            GetRefund => "Get Refund",
            GetBuyer => "Get Buyer",
            CreateDeliveryTracker => "Create Delivery Tracker",
        }
    }

    pub fn method(self) -> Method {
        use Operation::*;
        match self {
            CreateCheckoutSession
            | CompleteCheckoutSession
            | FinalizeCheckoutSession
            | CreateCharge
            | CaptureCharge
            | CreateRefund
            | CreateDeliveryTracker => Method::POST,
            GetCheckoutSession | GetChargePermission | GetCharge | GetRefund | GetBuyer => Method::GET,
            UpdateCheckoutSession | UpdateChargePermission => Method::PATCH,
            // Both are DELETE requests that carry a JSON body.
            CloseChargePermission | CancelCharge => Method::DELETE,
        }
    }

    /// The collection the operation addresses, as it appears in the path.
    pub fn resource(self) -> &'static str {
        use Operation::*;
        match self {
            CreateCheckoutSession
            | GetCheckoutSession
            | UpdateCheckoutSession
            | CompleteCheckoutSession
            | FinalizeCheckoutSession => "checkoutSessions",
            GetChargePermission | UpdateChargePermission | CloseChargePermission => "chargePermissions",
            CreateCharge | GetCharge | CaptureCharge | CancelCharge => "charges",
            CreateRefund | GetRefund => "refunds",
            GetBuyer => "buyers",
            CreateDeliveryTracker => "deliveryTrackers",
        }
    }

    /// The trailing action segment (`/complete`, `/capture`, …), if any.
    pub fn action(self) -> Option<&'static str> {
        use Operation::*;
        match self {
            CompleteCheckoutSession => Some("complete"),
            FinalizeCheckoutSession => Some("finalize"),
            CloseChargePermission => Some("close"),
            CaptureCharge => Some("capture"),
            CancelCharge => Some("cancel"),
            _ => None,
        }
    }

    /// Whether the path names an object (`/charges/{chargeId}`).
    pub fn takes_id(self) -> bool {
        use Operation::*;
        !matches!(self, CreateCheckoutSession | CreateCharge | CreateRefund | CreateDeliveryTracker)
    }

    /// Whether the request carries a JSON body (GETs never do).
    pub fn has_body(self) -> bool {
        self.method() != Method::GET
    }

    /// Whether the client attaches an idempotency key: every POST, since each one creates an
    /// object or moves money, and a retry must not do it twice (spec §5.4).
    pub fn is_idempotent_post(self) -> bool {
        self.method() == Method::POST
    }

    /// The path after the `/v2` prefix, e.g. `/charges/S03-…/capture`.
    pub fn path(self, id: Option<&str>) -> Result<String, String> {
        let mut path = format!("/{}", self.resource());
        match (self.takes_id(), id) {
            (true, Some(id)) if !id.trim().is_empty() => {
                path.push('/');
                path.push_str(&utf8_percent_encode(id.trim(), SEGMENT).to_string());
            }
            (true, _) => return Err(format!("{} needs the id of the object", self.title())),
            (false, Some(_)) => return Err(format!("{} takes no id", self.title())),
            (false, None) => {}
        }
        if let Some(action) = self.action() {
            path.push('/');
            path.push_str(action);
        }
        Ok(path)
    }
}

/// Evidence names an operation by its title ("Create Charge"), as the docs and the report do.
impl serde::Serialize for Operation {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.title())
    }
}

impl<'de> serde::Deserialize<'de> for Operation {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let title = String::deserialize(deserializer)?;
        Operation::ALL
            .into_iter()
            .find(|op| op.title() == title)
            .ok_or_else(|| serde::de::Error::custom(format!("no operation is called `{title}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_documented_table() {
        assert_eq!(Operation::CreateCheckoutSession.path(None).unwrap(), "/checkoutSessions");
        assert_eq!(
            Operation::CompleteCheckoutSession.path(Some("bd504926")).unwrap(),
            "/checkoutSessions/bd504926/complete"
        );
        assert_eq!(Operation::CloseChargePermission.method(), Method::DELETE);
        assert_eq!(Operation::GetBuyer.path(Some("BUYER-TOKEN.eyJ0")).unwrap(), "/buyers/BUYER-TOKEN.eyJ0");
        assert_eq!(Operation::GetCharge.path(Some("a/b c")).unwrap(), "/charges/a%2Fb%20c");
        assert!(Operation::GetCharge.path(None).is_err());
        assert!(Operation::CreateCharge.path(Some("x")).is_err());
        assert!(Operation::ALL.iter().filter(|o| o.is_idempotent_post()).count() == 7);
    }
}
