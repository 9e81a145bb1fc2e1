//! The evidence model every side shares: an [`Exchange`] is one request and its answer, as the
//! merchant's client logged it, as the emulator received it, and as the report shows it; an
//! [`Event`] is one state change of one object, as the emulator's state machines emit it.
//!
//! One type for all three places is what lets a merchant that is not our client (an SDK, a shop)
//! be judged: the emulator's record of what it received is shaped exactly like our own client's
//! log, so the report cannot tell (and need not care) who sent a request.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::Timestamp;
use crate::operation::Operation;

/// Request headers that are evidence. `authorization` is kept without its `Signature=` part (the
/// algorithm, key id and signed headers say how the merchant signed; the signature itself is a
/// secret as good as the key for replaying the request).
pub fn recorded_headers<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> BTreeMap<String, String> {
    headers
        .into_iter()
        .map(|(name, value)| {
            let name = name.to_ascii_lowercase();
            let value = if name == "authorization" { without_signature(value) } else { value.to_owned() };
            (name, value)
        })
        .collect()
}

/// `AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=K, SignedHeaders=a;b, Signature=XYZ` → the same without
/// the `Signature` parameter, wherever it stands.
fn without_signature(authorization: &str) -> String {
    let (scheme, params) = authorization.trim().split_once(' ').unwrap_or((authorization.trim(), ""));
    let kept: Vec<&str> = params
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty() && !p.to_ascii_lowercase().starts_with("signature="))
        .collect();
    if kept.is_empty() {
        scheme.to_owned()
    } else {
        format!("{scheme} {}", kept.join(", "))
    }
}

/// A body as evidence: JSON when it parses, else the text as a string (a malformed body is
/// evidence too); `None` when empty.
pub fn body_value(bytes: &[u8]) -> Option<Value> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    Some(serde_json::from_slice(bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned())))
}

/// One request to the Amazon Pay API and what came back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Exchange {
    /// When the request left (client) or arrived (emulator), wall-clock time.
    pub at: DateTime<Utc>,
    /// The merchant's virtual time on the emulator when it handled the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_at: Option<Timestamp>,
    /// From the request leaving to the answer read, retries included.
    pub duration_ms: u64,
    /// `None` for a path that is no operation (answered 404 or 405).
    pub operation: Option<Operation>,
    pub method: String,
    /// The URL path, with its `/v2` or `/sandbox/v2` prefix.
    pub path: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub query: String,
    /// Lower-case names; see [`recorded_headers`].
    #[serde(default)]
    pub request_headers: BTreeMap<String, String>,
    /// The body as sent (`None` when there was none).
    pub request: Option<Value>,
    /// `None` when no answer came ([`Exchange::transport_error`] says why).
    pub status: Option<u16>,
    /// The `reasonCode` of an error answer: why the request was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
    /// `x-amz-pay-request-id`.
    pub request_id: Option<String>,
    /// `retry-after`, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<String>,
    pub response: Option<Value>,
    /// The answers a client retried before this one (`429 TooManyRequests`, `connection: …`);
    /// empty on a first-try answer and in the emulator's record, where each attempt is its own
    /// exchange.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retried_after: Vec<String>,
    /// Why there was no answer (connection refused, timeout …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport_error: Option<String>,
}

impl Exchange {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.request_headers.get(name).map(String::as_str)
    }

    pub fn idempotency_key(&self) -> Option<&str> {
        self.header("x-amz-pay-idempotency-key")
    }

    pub fn simulation_code(&self) -> Option<&str> {
        self.header("x-amz-pay-simulation-code")
    }

    pub fn is_success(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// The kind of object an [`Event`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ObjectType {
    CheckoutSession,
    ChargePermission,
    Charge,
    Refund,
}

/// One state change of one object: created (no `from`), or moved from one state to another.
/// `at` is the merchant's virtual time when the change was due, so a settlement nobody polled is
/// stamped when it happened, not when someone looked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub object_type: ObjectType,
    pub id: String,
    pub from: Option<String>,
    pub to: String,
    pub reason_code: Option<String>,
    pub at: Timestamp,
}

/// The API's name of a state (`Authorized`, `Chargeable` …).
pub fn state_name<S: Serialize>(state: &S) -> String {
    match serde_json::to_value(state) {
        Ok(Value::String(name)) => name,
        other => format!("{other:?}"),
    }
}

impl Event {
    /// An event from typed states; `from: None` means the object was created in `to`.
    pub fn new<S: Serialize>(
        object_type: ObjectType,
        id: &str,
        from: Option<&S>,
        to: &S,
        reason_code: Option<&str>,
        at: DateTime<Utc>,
    ) -> Self {
        Event {
            object_type,
            id: id.to_owned(),
            from: from.map(state_name),
            to: state_name(to),
            reason_code: reason_code.map(str::to_owned),
            at: Timestamp(at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_never_reaches_the_record() {
        let headers = recorded_headers([
            (
                "Authorization",
                "AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=SANDBOX-K, SignedHeaders=accept;x-amz-pay-date, Signature=c2VjcmV0",
            ),
            ("x-amz-pay-date", "20250115T093000Z"),
        ]);
        let auth = &headers["authorization"];
        assert_eq!(auth, "AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=SANDBOX-K, SignedHeaders=accept;x-amz-pay-date");
        assert!(!format!("{headers:?}").contains("Signature="));
        assert_eq!(without_signature("Bearer Signature=abc"), "Bearer");
    }

    #[test]
    fn malformed_bodies_are_kept_as_text() {
        assert_eq!(body_value(b""), None);
        assert_eq!(body_value(br#"{"a":1}"#), Some(serde_json::json!({"a": 1})));
        assert_eq!(body_value(b"{\"a\":"), Some(Value::String("{\"a\":".into())));
    }
}
