//! The typed values a step's captures become, parsed once where cucumber matches the step, so no
//! step body compares Japanese text: amounts, attempts, API enum values, reason codes, the pages
//! and buttons the buyer meets, durations and the named bad inputs.
//!
//! Each is a cucumber parameter type: its regex is declared once, here, and steps written as
//! cucumber expressions name it (`出品者が {yen} のチャージを作成{attempt}`). Steps with optional
//! parts (`(?:、理由は「…」)?`), free text, or a named capture their needs read (the time step)
//! stay regexes and take the same types through `FromStr`.

use std::fmt;
use std::str::FromStr;

use crate::buyer::{CardSuffix, Change, Submit};
use crate::model::{ChargePermissionState, ChargeState, CheckoutSessionState, PaymentIntent, RefundState};
use crate::signing::Algorithm;

/// An amount in yen as written in the features: `¥10,000`, `10,000` or `100.5` (JPY has no
/// decimals, but a page may show one and K-3 must be able to send one).
#[derive(Clone, Copy, Debug, PartialEq, cucumber::Parameter)]
#[param(regex = r"¥[\d,]+", name = "yen")]
pub struct Yen(pub rust_decimal::Decimal);

impl FromStr for Yen {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let digits: String = s.trim().trim_start_matches('¥').chars().filter(|c| *c != ',').collect();
        digits.parse().map(Yen).map_err(|e| format!("`{s}` is not an amount in yen: {e}"))
    }
}

impl fmt::Display for Yen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "¥{}", self.0)
    }
}

impl Yen {
    pub fn price(self) -> crate::model::Price {
        crate::model::Price { amount: crate::model::Amount(self.0), currency_code: "JPY".into() }
    }
}

/// `する` / `す` (must succeed) or `しようとする` / `そうとする` (may fail; the error is kept for
/// the next `エラー「…」` step).
#[derive(Clone, Copy, Debug, PartialEq, Eq, cucumber::Parameter)]
#[param(regex = r"しようとする|そうとする|する|す", name = "attempt")]
pub enum Attempt {
    Must,
    Try,
}

impl FromStr for Attempt {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "する" | "す" => Ok(Attempt::Must),
            "しようとする" | "そうとする" => Ok(Attempt::Try),
            other => Err(format!("「{other}」 is neither する nor しようとする")),
        }
    }
}

/// An optional capture (`(?:…「(\w+)」)?`): cucumber hands an unmatched group over as `""`.
#[derive(Clone, Debug, PartialEq)]
pub struct Optional<T>(pub Option<T>);

impl<T: FromStr> FromStr for Optional<T> {
    type Err = T::Err;
    fn from_str(s: &str) -> Result<Self, T::Err> {
        if s.is_empty() {
            Ok(Optional(None))
        } else {
            s.parse().map(|v| Optional(Some(v)))
        }
    }
}

/// A `reasonCode` the API returns (`AmountMismatch`, `HardDeclined`, …).
#[derive(Clone, Debug, PartialEq, Eq, cucumber::Parameter)]
#[param(regex = r"\w+", name = "reason")]
pub struct ReasonCode(pub String);

impl FromStr for ReasonCode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()) {
            Ok(ReasonCode(s.to_owned()))
        } else {
            Err(format!("「{s}」 is not a reason code"))
        }
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// 「N 回目の」: which of the scenario's charges (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nth(pub usize);

impl FromStr for Nth {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.parse() {
            Ok(n) if n > 0 => Ok(Nth(n)),
            _ => Err(format!("「{s}」 is not a count from 1")),
        }
    }
}

/// The API's enum values as the features write them (`Authorize`, `Chargeable`, …): the wire
/// names, so the model's serde names are the one truth.
macro_rules! api_values {
    ($($ty:ty),+) => {$(
        impl FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                serde_json::from_value(serde_json::Value::String(s.to_owned()))
                    .map_err(|_| format!("「{s}」 is not a value of {}", stringify!($ty)))
            }
        }
    )+};
}

api_values!(PaymentIntent, CheckoutSessionState, ChargeState, ChargePermissionState, RefundState);

/// Parameter types for what other modules define (the API's enums, the signing algorithm, the
/// buyer's choices): implemented here, where the steps' syntax lives, rather than derived there.
macro_rules! parameters {
    ($($ty:ty => $name:literal, $regex:literal;)+) => {$(
        impl cucumber::Parameter for $ty {
            const REGEX: &'static str = $regex;
            const NAME: &'static str = $name;
        }
    )+};
}

parameters! {
    PaymentIntent => "intent", r"\w+";
    ChargeState => "charge_state", r"\w+";
    RefundState => "refund_state", r"\w+";
    Algorithm => "algorithm", r"[A-Z0-9-]+";
    CardSuffix => "card", r"\d{4}";
    Change => "change", "お届け先|支払い方法";
    Submit => "button", "続行|今すぐ支払う";
}

/// The merchant's pages the buyer returns to; a step names the result and the cancel page
/// (結果 / キャンセル).
#[derive(Clone, Copy, Debug, PartialEq, Eq, cucumber::Parameter)]
#[param(regex = r"結果|キャンセル", name = "return_page")]
pub enum MerchantPage {
    /// `checkoutReviewReturnUrl`.
    Review,
    /// `checkoutResultReturnUrl` (結果ページ).
    Result,
    /// `checkoutCancelUrl`, the cart (キャンセルページ).
    Cart,
}

impl MerchantPage {
    /// The page's path on the merchant's site.
    pub fn path(self) -> &'static str {
        match self {
            MerchantPage::Review => "checkout/review",
            MerchantPage::Result => "checkout/result",
            MerchantPage::Cart => "cart",
        }
    }
}

impl FromStr for MerchantPage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "結果" => Ok(MerchantPage::Result),
            "キャンセル" => Ok(MerchantPage::Cart),
            other => Err(format!("the merchant has no 「{other}」 page")),
        }
    }
}

impl FromStr for Change {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "お届け先" => Ok(Change::Address),
            "支払い方法" => Ok(Change::Payment),
            other => Err(format!("the review page has no 変更 for 「{other}」")),
        }
    }
}

impl FromStr for Submit {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "続行" => Ok(Submit::Continue),
            "今すぐ支払う" => Ok(Submit::PayNow),
            other => Err(format!("the hosted page has no 「{other}」 button")),
        }
    }
}

/// The amounts a charge accumulates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, cucumber::Parameter)]
#[param(regex = r"売上請求額|返金済み額", name = "charge_amount")]
pub enum ChargeAmount {
    /// 売上請求額 (`captureAmount`).
    Captured,
    /// 返金済み額 (`refundedAmount`).
    Refunded,
}

impl FromStr for ChargeAmount {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "売上請求額" => Ok(ChargeAmount::Captured),
            "返金済み額" => Ok(ChargeAmount::Refunded),
            other => Err(format!("a charge has no 「{other}」")),
        }
    }
}

/// Which of the scenario's refunds a step means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, cucumber::Parameter)]
#[param(regex = r"すべての返金|返金", name = "refunds")]
pub enum Refunds {
    /// 返金: the latest.
    Latest,
    /// すべての返金.
    All,
}

impl FromStr for Refunds {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "返金" => Ok(Refunds::Latest),
            "すべての返金" => Ok(Refunds::All),
            other => Err(format!("「{other}」 names no refunds")),
        }
    }
}

/// How long a step lets pass: `30 秒`, `23 時間`, `13 か月`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elapsed(pub chrono::Duration);

impl FromStr for Elapsed {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (n, unit) = s.split_at(split);
        let n: i64 = n.parse().map_err(|_| format!("「{s}」 does not start with a number"))?;
        let by = match unit.trim() {
            "秒" => chrono::Duration::seconds(n),
            "分" => chrono::Duration::minutes(n),
            "時間" => chrono::Duration::hours(n),
            "日" => chrono::Duration::days(n),
            // A calendar month is at most 31 days; expiries of "13 months" are checked past that.
            "か月" => chrono::Duration::days(31 * n),
            other => return Err(format!("「{other}」 is not a unit of time")),
        };
        Ok(Elapsed(by))
    }
}

impl Elapsed {
    /// The longest a run in real time (the sandbox) waits for a step: asynchronous outcomes take
    /// about 30 s; anything beyond a few minutes needs the emulator's clock.
    pub const REAL_TIME_LIMIT: chrono::Duration = chrono::Duration::minutes(5);

    pub fn needs_clock(self) -> bool {
        self.0 > Self::REAL_TIME_LIMIT
    }
}

/// The bodies a careless integration sends (K-3), by the names the feature gives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, cucumber::Parameter)]
#[param(regex = r".+", name = "bad_input")]
pub enum BadInput {
    /// 円の小数を含む金額 ¥100.5
    FractionalYen,
    /// 上限を超える金額 ¥10,000,001
    AboveLimit,
    /// 未知の項目
    UnknownField,
    /// 壊れた JSON
    BrokenJson,
}

impl FromStr for BadInput {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "円の小数を含む金額 ¥100.5" => Ok(BadInput::FractionalYen),
            "上限を超える金額 ¥10,000,001" => Ok(BadInput::AboveLimit),
            "未知の項目" => Ok(BadInput::UnknownField),
            "壊れた JSON" => Ok(BadInput::BrokenJson),
            other => Err(format!("no bad input called 「{other}」 is defined")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_beyond_a_few_minutes_need_the_clock() {
        let elapsed = |s: &str| s.parse::<Elapsed>().unwrap();
        assert!(!elapsed("30 秒").needs_clock());
        assert!(!elapsed("5 分").needs_clock());
        assert!(elapsed("1 時間").needs_clock());
        assert_eq!(elapsed("13 か月").0, chrono::Duration::days(403));
        assert!("3 週".parse::<Elapsed>().is_err());
    }

    #[test]
    fn attempts_and_optional_captures_parse_strictly() {
        assert_eq!("しようとする".parse(), Ok(Attempt::Try));
        assert_eq!("す".parse(), Ok(Attempt::Must));
        assert!("したい".parse::<Attempt>().is_err());
        assert_eq!("".parse::<Optional<ReasonCode>>(), Ok(Optional(None)));
        assert_eq!("Expired".parse(), Ok(Optional(Some(ReasonCode("Expired".into())))));
        assert_eq!("Authorize".parse(), Ok(PaymentIntent::Authorize));
        assert!("Authorise".parse::<PaymentIntent>().is_err());
    }
}
