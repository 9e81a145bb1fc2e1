//! Keeps buyer personal data out of reports and snapshots. Amazon returns the buyer's name,
//! e-mail, phone and addresses in Checkout Session, Charge Permission and Buyer objects; the
//! report needs to show that they were there without showing what they were.

use serde_json::Value;

/// Members holding personal data, wherever they appear in a response or request body.
const PERSONAL: &[&str] = &[
    "name",
    "email",
    "phoneNumber",
    "addressLine1",
    "addressLine2",
    "addressLine3",
    "postalCode",
    "city",
    "county",
    "district",
    "primeMembershipTypes",
];

/// Masks every personal member of `value` in place (recursively). `merchantMetadata` and
/// `merchantStoreName`-like fields are the merchant's own data and stay readable.
pub fn scrub(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, member) in map.iter_mut() {
                if key == "merchantMetadata" {
                    continue;
                }
                if PERSONAL.contains(&key.as_str()) {
                    if let Value::String(s) = member {
                        *s = if key == "email" { email(s) } else { text(s) };
                    }
                } else {
                    scrub(member);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(scrub),
        _ => {}
    }
}

/// A recorded `authorization` header (already without its signature) with its `PublicKeyId`
/// masked like every id in the report.
pub fn authorization(value: &str) -> String {
    value
        .split(", ")
        .map(|part| match part.split_once("PublicKeyId=") {
            Some((before, id)) => format!("{before}PublicKeyId={}", crate::config::mask(id)),
            None => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `山田 太郎` → `山***`: the first character stays, so a reader can tell fields apart; the
/// rest is a fixed `***`, so not even the length is disclosed.
pub fn text(s: &str) -> String {
    s.chars().next().map(|first| format!("{first}***")).unwrap_or_default()
}

/// `taro.yamada@example.jp` → `t***@example.jp`.
pub fn email(s: &str) -> String {
    match s.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
        None => text(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_id_in_an_authorization_header_is_masked() {
        let shown =
            authorization("AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=SANDBOX-AFVX7ULWSGBZ5535PCUQOY7B, SignedHeaders=a;b");
        assert_eq!(shown, "AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=SANDBOX-AF…OY7B, SignedHeaders=a;b");
    }
    use serde_json::json;

    #[test]
    fn buyer_data_is_masked_wherever_it_appears_and_merchant_data_is_not() {
        let mut v = json!({
            "buyer": { "name": "山田 太郎", "email": "taro.yamada@example.jp", "phoneNumber": "0312345678", "buyerId": "amzn1.account.X" },
            "shippingAddress": { "name": "山田 太郎", "addressLine1": "目黒区下目黒1-8-1", "postalCode": "153-0064", "stateOrRegion": "東京都", "countryCode": "JP" },
            "paymentPreferences": [{ "paymentDescriptor": "Visa ****1111" }],
            "merchantMetadata": { "merchantStoreName": "テストストア" }
        });
        scrub(&mut v);
        let text = v.to_string();
        for secret in ["太郎", "taro.yamada", "0312345678", "下目黒", "153-0064"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert_eq!(v["buyer"]["email"], "t***@example.jp");
        assert_eq!(v["buyer"]["name"], "山***");
        assert_eq!(v["shippingAddress"]["stateOrRegion"], "東京都");
        assert_eq!(v["paymentPreferences"][0]["paymentDescriptor"], "Visa ****1111");
        assert_eq!(v["merchantMetadata"]["merchantStoreName"], "テストストア");
        assert_eq!(v["buyer"]["buyerId"], "amzn1.account.X");
    }
}
