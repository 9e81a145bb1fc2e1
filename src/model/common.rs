//! Value types shared by every API object: money, timestamps, addresses, buyers, metadata and
//! the error body (spec §3 general conventions, §3.2, §5.1).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// A decimal amount. The API writes amounts as strings (`"1000"`, `"14.00"`); requests may carry
/// strings (Node, PHP) or JSON numbers (.NET), so both are read and a string is always written.
/// The scale is kept as given, so `"14.00"` round-trips unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(pub Decimal);

impl Amount {
    pub const ZERO: Amount = Amount(Decimal::ZERO);

    pub fn new(value: impl Into<Decimal>) -> Self {
        Amount(value.into())
    }

    /// True when the amount has a non-zero fractional part (JPY has no minor unit).
    pub fn has_fraction(self) -> bool {
        !self.0.fract().is_zero()
    }
}

/// Totals (held, captured, refunded) are sums of amounts.
impl std::iter::Sum for Amount {
    fn sum<I: Iterator<Item = Amount>>(amounts: I) -> Self {
        Amount(amounts.map(|a| a.0).sum())
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for Amount {
    type Err = rust_decimal::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Decimal::from_str_exact(s.trim()).map(Amount)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = StringOrNumber::deserialize(deserializer)?.0;
        text.parse().map_err(|_| de::Error::invalid_value(de::Unexpected::Str(&text), &"a decimal amount"))
    }
}

/// A JSON string or number, kept as its text. Used where the SDKs disagree on the JSON type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StringOrNumber(pub String);

impl<'de> Deserialize<'de> for StringOrNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = StringOrNumber;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(StringOrNumber(v.to_owned()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(StringOrNumber(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(StringOrNumber(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(StringOrNumber(v.to_string()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// `{ "amount": "1000", "currencyCode": "JPY" }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Price {
    pub amount: Amount,
    pub currency_code: String,
}

impl Price {
    pub fn new(amount: impl Into<Decimal>, currency_code: impl Into<String>) -> Self {
        Price { amount: Amount::new(amount), currency_code: currency_code.into() }
    }

    /// A yen amount (JPY has no minor unit).
    pub fn jpy(amount: i64) -> Self {
        Price::new(amount, "JPY")
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency_code)
    }
}

/// A timestamp in the compact UTC form every object uses: `20191015T204327Z`. The .NET SDK parses
/// exactly that format, so it is also exactly what is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    pub const FORMAT: &'static str = "%Y%m%dT%H%M%SZ";
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format(Self::FORMAT))
    }
}

impl FromStr for Timestamp {
    type Err = chrono::ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NaiveDateTime::parse_from_str(s, Self::FORMAT).map(|n| Timestamp(n.and_utc()))
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(at: DateTime<Utc>) -> Self {
        Timestamp(at)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse()
            .map_err(|_| de::Error::invalid_value(de::Unexpected::Str(&text), &"a timestamp like 20191015T204327Z"))
    }
}

/// `statusDetails` of CheckoutSession, Charge and Refund: one reason code (ChargePermission has
/// a list instead, see [`super::ChargePermissionStatusDetails`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusDetails<S> {
    pub state: S,
    #[serde(default)]
    pub reason_code: Option<String>,
    #[serde(default)]
    pub reason_description: Option<String>,
    pub last_updated_timestamp: Timestamp,
}

/// A postal address as the API returns it (spec §3.2). JP: `stateOrRegion` is the prefecture.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Address {
    pub name: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub address_line3: Option<String>,
    pub city: Option<String>,
    pub county: Option<String>,
    pub district: Option<String>,
    pub state_or_region: Option<String>,
    pub postal_code: Option<String>,
    pub country_code: Option<String>,
    pub phone_number: Option<String>,
}

/// The buyer's address as an APB merchant supplies it (`addressDetails`): like [`Address`] but
/// with `districtOrCounty` (spec §3.2).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AddressDetails {
    pub name: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub address_line3: Option<String>,
    pub city: Option<String>,
    pub district_or_county: Option<String>,
    pub state_or_region: Option<String>,
    pub postal_code: Option<String>,
    pub country_code: Option<String>,
    pub phone_number: Option<String>,
}

/// The buyer on a CheckoutSession or ChargePermission.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Buyer {
    pub buyer_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub prime_membership_types: Option<Vec<String>>,
}

/// `GET /buyers/{buyerToken}` (Sign-In), spec §3.6.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BuyerProfile {
    pub buyer_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub postal_code: Option<String>,
    pub country_code: Option<String>,
    pub phone_number: Option<String>,
    pub shipping_address: Option<Address>,
    pub billing_address: Option<Address>,
    pub prime_membership_types: Option<Vec<String>>,
}

/// `merchantMetadata` in responses: every field present, null when unset.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MerchantMetadata {
    /// Max 256 characters.
    pub merchant_reference_id: Option<String>,
    /// Max 50 characters.
    pub merchant_store_name: Option<String>,
    /// Max 255 characters.
    pub note_to_buyer: Option<String>,
    /// Max 4096 characters; never shown to the buyer.
    pub custom_information: Option<String>,
}

/// `providerMetadata` (payment service providers only).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProviderMetadata {
    pub provider_reference_id: Option<String>,
}

/// The body of every error response: `{"reasonCode": …, "message": …}` (spec §5.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub reason_code: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn amounts_read_strings_and_numbers_and_write_strings() {
        let from_string: Price = serde_json::from_value(json!({"amount": "1000", "currencyCode": "JPY"})).unwrap();
        let from_number: Price = serde_json::from_value(json!({"amount": 1000, "currencyCode": "JPY"})).unwrap();
        assert_eq!(from_string, from_number);
        assert_eq!(serde_json::to_value(&from_number).unwrap(), json!({"amount": "1000", "currencyCode": "JPY"}));
        let usd: Price = serde_json::from_value(json!({"amount": "14.00", "currencyCode": "USD"})).unwrap();
        assert_eq!(serde_json::to_value(&usd).unwrap()["amount"], "14.00");
        assert!(!usd.amount.has_fraction());
        assert!("10.5".parse::<Amount>().unwrap().has_fraction());
        assert!(serde_json::from_value::<Price>(json!({"amount": "ten", "currencyCode": "JPY"})).is_err());
        assert!(serde_json::from_value::<Price>(json!({"amount": true, "currencyCode": "JPY"})).is_err());
    }

    #[test]
    fn timestamps_use_the_compact_form() {
        let ts: Timestamp = serde_json::from_value(json!("20191015T204327Z")).unwrap();
        assert_eq!(serde_json::to_value(ts).unwrap(), json!("20191015T204327Z"));
        assert!(serde_json::from_value::<Timestamp>(json!("2019-10-15T20:43:27Z")).is_err());
    }
}
