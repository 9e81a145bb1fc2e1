//! Sandbox test data and simulations (spec §7): the test buyers and their cards, what each card
//! ending does, and which `x-amz-pay-simulation-code` values each operation accepts.

use std::sync::LazyLock;

use super::charge::Outcome;
use super::error::ErrorResponse;
use crate::model::Address;
use crate::operation::Operation;

/// A test card. The payment descriptor reads like the documented example, `Visa ****1111`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Card {
    pub brand: &'static str,
    pub last4: &'static str,
}

impl Card {
    pub fn descriptor(&self) -> String {
        format!("{} ****{}", self.brand, self.last4)
    }

    pub fn behaviour(&self) -> CardBehaviour {
        card_behaviour(self.last4)
    }
}

/// What paying with a card ending does on the hosted page (sandbox-simulations and JP FAQ QA-9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardBehaviour {
    /// …1111, …0005, …4444, …9424, …1212, …0000.
    Approve,
    /// …3064: the session is `Canceled/BuyerCanceled` when the buyer returns.
    BuyerCancel,
    /// …3434: the session is `Canceled/Declined` when the buyer returns.
    Decline,
    /// …0701 / …4354: `AuthorizationInitiated`, then this outcome 30 s later. Needs
    /// `paymentIntent: Authorize` and `canHandlePendingAuthorization: true`.
    Pending(Outcome),
}

pub fn card_behaviour(last4: &str) -> CardBehaviour {
    match last4 {
        "3064" => CardBehaviour::BuyerCancel,
        "3434" => CardBehaviour::Decline,
        "0701" => CardBehaviour::Pending(Outcome::Authorize),
        "4354" => CardBehaviour::Pending(Outcome::Decline("HardDeclined")),
        _ => CardBehaviour::Approve,
    }
}

#[derive(Clone, Debug)]
pub struct TestBuyer {
    pub buyer_id: &'static str,
    pub name: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub phone: &'static str,
    pub addresses: Vec<Address>,
    pub cards: Vec<Card>,
}

fn jp_address(name: &str, postal: &str, prefecture: &str, line1: &str, line2: &str, phone: &str) -> Address {
    Address {
        name: Some(name.into()),
        address_line1: Some(line1.into()),
        address_line2: Some(line2.into()),
        address_line3: None,
        // JP addresses have no city; the sandbox's mandatory City field is not used (JP FAQ QA-35).
        city: None,
        county: None,
        district: None,
        state_or_region: Some(prefecture.into()),
        postal_code: Some(postal.into()),
        country_code: Some("JP".into()),
        phone_number: Some(phone.into()),
    }
}

const fn card(brand: &'static str, last4: &'static str) -> Card {
    Card { brand, last4 }
}

/// Two JP test buyers. The first holds every simulation card, the second only happy-path cards.
pub static TEST_BUYERS: LazyLock<Vec<TestBuyer>> = LazyLock::new(|| {
    vec![
        TestBuyer {
            buyer_id: "amzn1.account.AEMULATORTESTBUYER1XXXXXXXXXX",
            name: "山田 太郎",
            email: "taro.yamada@example.jp",
            password: "sandbox-pass-1",
            phone: "0312345678",
            addresses: vec![
                jp_address("山田 太郎", "153-0064", "東京都", "目黒区下目黒1-8-1", "アルコタワー", "0312345678"),
                jp_address(
                    "山田 太郎",
                    "530-0001",
                    "大阪府",
                    "大阪市北区梅田3-1-1",
                    "グランフロント 10F",
                    "0612345678",
                ),
            ],
            cards: vec![
                card("Visa", "1111"),
                card("Mastercard", "4444"),
                card("American Express", "0005"),
                card("Diners Club", "1212"),
                card("Diners Club", "9424"),
                card("JCB", "0000"),
                card("Visa", "3064"),
                card("Visa", "3434"),
                card("Visa", "0701"),
                card("Visa", "4354"),
            ],
        },
        TestBuyer {
            buyer_id: "amzn1.account.AEMULATORTESTBUYER2XXXXXXXXXX",
            name: "佐藤 花子",
            email: "hanako.sato@example.jp",
            password: "sandbox-pass-2",
            phone: "0527654321",
            addresses: vec![jp_address("佐藤 花子", "460-0008", "愛知県", "名古屋市中区栄3-4-5", "", "0527654321")],
            cards: vec![card("JCB", "0000"), card("Visa", "1111")],
        },
    ]
});

pub fn buyer_by_email(email: &str) -> Option<&'static TestBuyer> {
    TEST_BUYERS.iter().find(|b| b.email.eq_ignore_ascii_case(email.trim()))
}

/// A test buyer's sign-in on the hosted page: e-mail (any case) and password.
pub fn sign_in(email: &str, password: &str) -> Result<&'static TestBuyer, ErrorResponse> {
    buyer_by_email(email)
        .filter(|b| b.password == password)
        .ok_or_else(|| ErrorResponse::invalid_parameter("email", "unknown test buyer or wrong password"))
}

pub fn buyer_by_id(buyer_id: &str) -> Option<&'static TestBuyer> {
    TEST_BUYERS.iter().find(|b| b.buyer_id == buyer_id)
}

/// A simulation requested with `x-amz-pay-simulation-code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Simulation {
    /// Complete Checkout Session: the session is canceled with this reason.
    CancelCheckout(&'static str),
    /// Complete Checkout Session: the authorization is pending (202).
    PendingAuthorization,
    /// Create Charge: declined with this reason code.
    DeclineCharge(&'static str),
    /// Capture Charge: `CaptureInitiated`, then this outcome.
    AsyncCapture(Outcome),
    /// Close Charge Permission: closed as if by Amazon.
    AmazonClosed,
    /// Create Refund: the refund is declined with this reason code.
    DeclineRefund(&'static str),
}

/// The codes each operation accepts (spec §7.3; placement partly (unconfirmed)). Any other code,
/// or a code on another operation, is `400 InvalidSandboxSimulationSpecified`.
pub fn simulation_for(op: Operation, code: &str) -> Result<Simulation, ErrorResponse> {
    use Operation::*;
    let simulation = match (op, code) {
        (CompleteCheckoutSession, "BuyerCanceled") => Simulation::CancelCheckout("BuyerCanceled"),
        (CompleteCheckoutSession, "AmazonCanceled") => Simulation::CancelCheckout("AmazonCanceled"),
        (CompleteCheckoutSession, "Declined") => Simulation::CancelCheckout("Declined"),
        (CompleteCheckoutSession, "AuthorizationInitiated") => Simulation::PendingAuthorization,
        (CreateCharge, "SoftDeclined") => Simulation::DeclineCharge("SoftDeclined"),
        (CreateCharge, "HardDeclined") => Simulation::DeclineCharge("HardDeclined"),
        (CreateCharge, "AmazonRejected") => Simulation::DeclineCharge("AmazonRejected"),
        (CreateCharge, "ProcessingFailure") => Simulation::DeclineCharge("ProcessingFailure"),
        (CreateCharge, "TransactionTimedOut") => Simulation::DeclineCharge("TransactionTimedOut"),
        (CaptureCharge, "CaptureInitiated") => Simulation::AsyncCapture(Outcome::Capture),
        (CaptureCharge, "AmazonRejected") => Simulation::AsyncCapture(Outcome::Decline("AmazonRejected")),
        (CloseChargePermission, "AmazonClosed") => Simulation::AmazonClosed,
        (CreateRefund, "AmazonRejected") => Simulation::DeclineRefund("AmazonRejected"),
        (CreateRefund, "ProcessingFailure") => Simulation::DeclineRefund("ProcessingFailure"),
        _ => {
            return Err(ErrorResponse::invalid_simulation(format!(
                "The simulation code {code} is not valid for {}.",
                op.title()
            )))
        }
    };
    Ok(simulation)
}

/// The HTTP status of a synchronous Create Charge decline (spec §5.2: 422, ProcessingFailure 500).
pub fn decline_status(code: &str) -> axum::http::StatusCode {
    if code == "ProcessingFailure" {
        axum::http::StatusCode::INTERNAL_SERVER_ERROR
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_card_ending_has_its_behaviour() {
        for ok in ["1111", "0005", "4444", "9424", "1212", "0000"] {
            assert_eq!(card_behaviour(ok), CardBehaviour::Approve, "{ok}");
        }
        assert_eq!(card_behaviour("3064"), CardBehaviour::BuyerCancel);
        assert_eq!(card_behaviour("3434"), CardBehaviour::Decline);
        assert_eq!(card_behaviour("0701"), CardBehaviour::Pending(Outcome::Authorize));
        assert_eq!(card_behaviour("4354"), CardBehaviour::Pending(Outcome::Decline("HardDeclined")));
        let first = &TEST_BUYERS[0];
        for last4 in ["1111", "0005", "4444", "9424", "1212", "0000", "3064", "3434", "0701", "4354"] {
            assert!(first.cards.iter().any(|c| c.last4 == last4), "test buyer 1 holds …{last4}");
        }
        assert!(TEST_BUYERS.len() >= 2);
        assert_eq!(buyer_by_email("TARO.YAMADA@example.jp").unwrap().name, "山田 太郎");
    }

    #[test]
    fn simulation_codes_are_checked_per_operation() {
        assert_eq!(
            simulation_for(Operation::CreateCharge, "HardDeclined").unwrap(),
            Simulation::DeclineCharge("HardDeclined")
        );
        let wrong_op = simulation_for(Operation::GetCharge, "HardDeclined").unwrap_err();
        assert_eq!((wrong_op.status.as_u16(), wrong_op.reason_code), (400, "InvalidSandboxSimulationSpecified"));
        assert!(simulation_for(Operation::CreateCharge, "NoSuchCode").is_err());
    }
}
