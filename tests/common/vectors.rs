//! The signing vectors captured from the official Node SDK (`../shared/vectors/`).
//!
//! Tests read `../shared/vectors/` when it is there (the source of truth) and otherwise the copy in
//! `tests/fixtures/vectors/`; `the_fixture_copy_matches_shared` catches any drift between them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Vector {
    ApiRequest(Box<ApiRequestVector>),
    ButtonSignature(ButtonVector),
}

#[derive(Debug, Deserialize)]
pub struct ApiRequestVector {
    pub name: String,
    pub sdk_method: String,
    pub method: String,
    pub path: String,
    pub query: String,
    pub query_params: Option<BTreeMap<String, serde_json::Value>>,
    pub canonical_query: String,
    pub headers_sent: BTreeMap<String, String>,
    pub signed_headers: Vec<String>,
    pub body: String,
    pub canonical_request: String,
    pub string_to_sign: String,
    pub algorithm: String,
    pub salt_length: usize,
    pub public_key_id: String,
    pub signature: String,
    pub raw_wire_query_verifies: bool,
}

#[derive(Debug, Deserialize)]
pub struct ButtonVector {
    pub name: String,
    pub payload: String,
    pub algorithm: String,
    pub salt_length: usize,
    pub public_key_id: String,
    pub string_to_sign: String,
    pub signature: String,
}

/// `../shared/vectors` next to the checkout when present, else the committed fixture copy.
pub fn dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/vectors");
    if shared.join("signing-vectors.json").is_file() {
        shared
    } else {
        root.join("tests/fixtures/vectors")
    }
}

pub fn read(name: &str) -> String {
    let path = dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

pub fn all() -> Vec<Vector> {
    serde_json::from_str(&read("signing-vectors.json")).expect("signing-vectors.json parses")
}

pub fn api_requests() -> Vec<ApiRequestVector> {
    all()
        .into_iter()
        .filter_map(|v| match v {
            Vector::ApiRequest(v) => Some(*v),
            Vector::ButtonSignature(_) => None,
        })
        .collect()
}

pub fn buttons() -> Vec<ButtonVector> {
    all()
        .into_iter()
        .filter_map(|v| match v {
            Vector::ButtonSignature(v) => Some(v),
            Vector::ApiRequest(_) => None,
        })
        .collect()
}

impl ApiRequestVector {
    /// The SDK's query parameters as strings: arrays are joined with `,`, as the Node SDK does.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        self.query_params
            .iter()
            .flatten()
            .map(|(k, v)| match v {
                serde_json::Value::Array(items) => (k.clone(), items.iter().map(text).collect::<Vec<_>>().join(",")),
                other => (k.clone(), text(other)),
            })
            .collect()
    }

    /// Headers as a list, the way a server hands them over.
    pub fn header_list(&self) -> Vec<(String, String)> {
        self.headers_sent.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}
