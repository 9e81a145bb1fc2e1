//! Amazon Pay request signing, used by both sides of the wire.
//!
//! The client signs with it and the emulator verifies with it, so there is exactly one
//! implementation of the canonical request (spec §2.3). Everything here follows what the official
//! SDKs do, as captured in `../shared/vectors/` from the Node SDK:
//!
//! ```text
//! CanonicalRequest = METHOD \n PATH \n CanonicalQuery \n (name:value \n)* \n SignedHeaders \n hex(sha256(body))
//! StringToSign     = ALGORITHM \n hex(sha256(CanonicalRequest))
//! Signature        = base64(RSASSA-PSS(SHA-256, MGF1-SHA-256, salt 20 | 32)(StringToSign))
//! ```
//!
//! Verification works **from the wire**: the raw path (never re-encoded), the raw query (decoded and
//! re-encoded, because `'` arrives as `%27` although Node signed it bare), the headers named in
//! `SignedHeaders` walked in the order given and spelled as given, and the raw body bytes.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use chrono::{DateTime, NaiveDateTime, Utc};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::pss::{BlindedSigningKey, Signature, VerifyingKey};
use rsa::signature::{RandomizedSigner, SignatureEncoding, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};

/// The two signature algorithms Amazon Pay accepts (spec §2.1). Both are RSASSA-PSS with SHA-256
/// and MGF1-SHA-256; they differ only in the salt length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Algorithm {
    /// `AMZN-PAY-RSASSA-PSS`, salt 20: still the default of every official SDK.
    Legacy,
    /// `AMZN-PAY-RSASSA-PSS-V2`, salt 32: what the current English docs describe; our default.
    #[default]
    V2,
}

impl Algorithm {
    pub const ALL: [Algorithm; 2] = [Algorithm::Legacy, Algorithm::V2];

    /// The name as it appears in the string to sign and the `Authorization` header.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Legacy => "AMZN-PAY-RSASSA-PSS",
            Algorithm::V2 => "AMZN-PAY-RSASSA-PSS-V2",
        }
    }

    pub fn salt_len(self) -> usize {
        match self {
            Algorithm::Legacy => 20,
            Algorithm::V2 => 32,
        }
    }

    /// The algorithm with the other salt length (used by negative tests and diagnostics).
    pub fn other(self) -> Algorithm {
        match self {
            Algorithm::Legacy => Algorithm::V2,
            Algorithm::V2 => Algorithm::Legacy,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = SigningError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| SigningError::UnknownAlgorithm(s.to_owned()))
    }
}

/// Errors of this module. Messages never contain key material or signatures.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SigningError {
    #[error("unknown signature algorithm `{0}` (expected AMZN-PAY-RSASSA-PSS or AMZN-PAY-RSASSA-PSS-V2)")]
    UnknownAlgorithm(String),
    #[error("not an RSA private key in PKCS#8 or PKCS#1 PEM")]
    InvalidPrivateKey,
    #[error("not an RSA public key in SPKI (BEGIN PUBLIC KEY) or PKCS#1 (BEGIN RSA PUBLIC KEY) PEM")]
    InvalidPublicKey,
    #[error("RSA signing failed")]
    SigningFailed,
}

/// An RSA private key. Its `Debug` and `Display` never show the key.
#[derive(Clone)]
pub struct PrivateKey(RsaPrivateKey);

impl PrivateKey {
    /// Parses PKCS#8 or PKCS#1 PEM text (what `openssl genrsa` writes, in either generation).
    pub fn from_pem(pem: &str) -> Result<Self, SigningError> {
        let pem = pem.trim();
        RsaPrivateKey::from_pkcs8_pem(pem)
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem))
            .map(PrivateKey)
            .map_err(|_| SigningError::InvalidPrivateKey)
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.to_public_key())
    }

    pub fn bits(&self) -> usize {
        self.0.size() * 8
    }

    /// Signs `message` and returns the standard base64 (padded) signature.
    pub fn sign(&self, algorithm: Algorithm, message: &str) -> Result<String, SigningError> {
        let key = BlindedSigningKey::<Sha256>::new_with_salt_len(self.0.clone(), algorithm.salt_len());
        let signature = key
            .try_sign_with_rng(&mut rsa::rand_core::OsRng, message.as_bytes())
            .map_err(|_| SigningError::SigningFailed)?;
        Ok(BASE64.encode(signature.to_bytes()))
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey(RSA-{}, redacted)", self.bits())
    }
}

impl fmt::Display for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// An RSA public key, as registered for a public key id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey(RsaPublicKey);

impl PublicKey {
    /// Parses SPKI (`BEGIN PUBLIC KEY`, what Seller Central takes) or PKCS#1 public PEM.
    pub fn from_pem(pem: &str) -> Result<Self, SigningError> {
        let pem = pem.trim();
        RsaPublicKey::from_public_key_pem(pem)
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem))
            .map(PublicKey)
            .map_err(|_| SigningError::InvalidPublicKey)
    }

    /// Verifies a base64 signature over `message`. The salt length must match the algorithm
    /// exactly: a salt-20 signature does not verify as V2 and vice versa.
    pub fn verify(&self, algorithm: Algorithm, message: &str, signature_b64: &str) -> bool {
        let Ok(bytes) = BASE64.decode(signature_b64.trim()) else {
            return false;
        };
        let Ok(signature) = Signature::try_from(bytes.as_slice()) else {
            return false;
        };
        VerifyingKey::<Sha256>::new_with_salt_len(self.0.clone(), algorithm.salt_len())
            .verify(message.as_bytes(), &signature)
            .is_ok()
    }
}

/// Lower-case hex SHA-256, the hash used everywhere in the scheme.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `ALGORITHM \n hex(sha256(canonical_request))` (spec §2.4).
pub fn string_to_sign(algorithm: Algorithm, canonical_request: &str) -> String {
    format!("{}\n{}", algorithm.name(), sha256_hex(canonical_request.as_bytes()))
}

/// Characters JavaScript's `encodeURIComponent` leaves alone: the Node SDK encodes query
/// parameters with it, so `!*'()` stay bare in what it signs.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// RFC 3986 unreserved characters only: what the Java, .NET and PHP SDKs leave bare.
const RFC3986_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Which query encoding a signer used; see [`canonical_query_from_pairs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryEncoding {
    /// `encodeURIComponent` (Node SDK, and this crate's client).
    UriComponent,
    /// RFC 3986 unreserved set (Java, .NET, PHP SDKs).
    Rfc3986,
}

impl QueryEncoding {
    fn set(self) -> &'static AsciiSet {
        match self {
            QueryEncoding::UriComponent => URI_COMPONENT,
            QueryEncoding::Rfc3986 => RFC3986_UNRESERVED,
        }
    }
}

/// The canonical query line from decoded `(name, value)` pairs: each encoded, sorted by name and
/// then value, joined with `&`. Empty when there are no parameters.
pub fn canonical_query_from_pairs<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)], encoding: QueryEncoding) -> String {
    let mut encoded: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| {
            (
                utf8_percent_encode(k.as_ref(), encoding.set()).to_string(),
                utf8_percent_encode(v.as_ref(), encoding.set()).to_string(),
            )
        })
        .collect();
    encoded.sort();
    encoded.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// Decodes a raw wire query (`a=1&b=%27x%27`) into pairs. `+` is kept literally: no SDK emits it
/// for a space.
pub fn decode_query(raw_query: &str) -> Vec<(String, String)> {
    raw_query
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            (decode(k), decode(v))
        })
        .collect()
}

/// The canonical request of spec §2.3.
///
/// `headers` are the signed headers **in the order of `SignedHeaders`**, with their names as they
/// appear there: the header lines use the lower-cased name and the trimmed value, while the
/// `SignedHeaders` line repeats the names verbatim, as the SDKs do.
pub fn canonical_request(
    method: &str,
    path: &str,
    canonical_query: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> String {
    let mut out = String::with_capacity(256 + headers.len() * 48);
    out.push_str(&method.to_ascii_uppercase());
    out.push('\n');
    out.push_str(path);
    out.push('\n');
    out.push_str(canonical_query);
    out.push('\n');
    for (name, value) in headers {
        out.push_str(&name.to_ascii_lowercase());
        out.push(':');
        out.push_str(value.trim());
        out.push('\n');
    }
    out.push('\n');
    let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
    out.push_str(&names.join(";"));
    out.push('\n');
    out.push_str(&sha256_hex(body));
    out
}

/// The parsed `Authorization` header:
/// `ALGORITHM PublicKeyId=…, SignedHeaders=a;b;c, Signature=…`.
///
/// `Debug` hides the signature; `Display` renders the real header value and is only meant for
/// putting it on the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct Authorization {
    pub algorithm: Algorithm,
    pub public_key_id: String,
    /// Names exactly as sent (spelling and order are both part of what was signed).
    pub signed_headers: Vec<String>,
    pub signature: String,
}

impl Authorization {
    pub fn parse(value: &str) -> Result<Self, VerifyError> {
        let malformed = |why: &str| VerifyError::MalformedAuthorization(why.to_owned());
        let (algorithm, rest) = value
            .trim()
            .split_once(' ')
            .ok_or_else(|| malformed("expected `ALGORITHM PublicKeyId=…, SignedHeaders=…, Signature=…`"))?;
        let algorithm: Algorithm =
            algorithm.parse().map_err(|_| VerifyError::UnknownAlgorithm(algorithm.to_owned()))?;
        let (mut key_id, mut signed, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let (k, v) = part.trim().split_once('=').ok_or_else(|| malformed("each part must be `Name=value`"))?;
            match k.trim() {
                "PublicKeyId" => key_id = Some(v.trim().to_owned()),
                "SignedHeaders" => signed = Some(v.trim().to_owned()),
                "Signature" => signature = Some(v.trim().to_owned()),
                _ => return Err(malformed("unknown part")),
            }
        }
        let public_key_id = key_id.filter(|s| !s.is_empty()).ok_or_else(|| malformed("PublicKeyId is missing"))?;
        let signed = signed.filter(|s| !s.is_empty()).ok_or_else(|| malformed("SignedHeaders is missing"))?;
        let signature = signature.filter(|s| !s.is_empty()).ok_or_else(|| malformed("Signature is missing"))?;
        Ok(Authorization {
            algorithm,
            public_key_id,
            signed_headers: signed.split(';').map(str::to_owned).collect(),
            signature,
        })
    }
}

impl fmt::Display for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} PublicKeyId={}, SignedHeaders={}, Signature={}",
            self.algorithm,
            self.public_key_id,
            self.signed_headers.join(";"),
            self.signature
        )
    }
}

impl fmt::Debug for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorization")
            .field("algorithm", &self.algorithm)
            .field("public_key_id", &self.public_key_id)
            .field("signed_headers", &self.signed_headers)
            .field("signature", &"<redacted>")
            .finish()
    }
}

/// Everything a signer produced for one request.
#[derive(Clone)]
pub struct SignedRequest {
    pub canonical_request: String,
    pub string_to_sign: String,
    pub authorization: Authorization,
}

/// A merchant's signing identity: key id, private key and algorithm. `Debug` never shows the key.
#[derive(Clone, Debug)]
pub struct Signer {
    pub public_key_id: String,
    pub algorithm: Algorithm,
    key: PrivateKey,
}

impl Signer {
    pub fn new(public_key_id: impl Into<String>, key: PrivateKey, algorithm: Algorithm) -> Self {
        Signer { public_key_id: public_key_id.into(), algorithm, key }
    }

    pub fn private_key(&self) -> &PrivateKey {
        &self.key
    }

    /// Signs a request the way the Node SDK does: **every** header given is signed, sorted by
    /// name, and `canonical_query` is used both in the canonical request and as the URL's query.
    pub fn sign_request(
        &self,
        method: &str,
        path: &str,
        canonical_query: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<SignedRequest, SigningError> {
        let mut sorted: Vec<(String, String)> =
            headers.iter().map(|(n, v)| (n.to_ascii_lowercase(), v.clone())).collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let canonical_request = canonical_request(method, path, canonical_query, &sorted, body);
        let string_to_sign = string_to_sign(self.algorithm, &canonical_request);
        let signature = self.key.sign(self.algorithm, &string_to_sign)?;
        Ok(SignedRequest {
            canonical_request,
            string_to_sign,
            authorization: Authorization {
                algorithm: self.algorithm,
                public_key_id: self.public_key_id.clone(),
                signed_headers: sorted.into_iter().map(|(n, _)| n).collect(),
                signature,
            },
        })
    }

    /// Signs a button payload byte for byte, as `generateButtonSignature` does.
    pub fn sign_button_payload(&self, payload_json: &str) -> Result<String, SigningError> {
        self.key.sign(self.algorithm, &button_string_to_sign(self.algorithm, payload_json))
    }
}

/// A request as it arrived: nothing normalised, nothing re-serialised.
#[derive(Clone, Copy, Debug)]
pub struct WireRequest<'a> {
    pub method: &'a str,
    /// Path as sent, without the query.
    pub path: &'a str,
    /// Raw query as sent, without `?` (`""` when none).
    pub query: &'a str,
    /// Every header as received; names in any case, a name may repeat.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

impl WireRequest<'_> {
    /// The header's value (case-insensitive name; repeated headers joined with `,`).
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> =
            self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect();
        (!values.is_empty()).then(|| values.join(","))
    }
}

/// Why a request did not verify. The emulator maps these to Amazon's error responses.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("the Authorization header is missing")]
    MissingAuthorization,
    #[error("the Authorization header is malformed: {0}")]
    MalformedAuthorization(String),
    #[error("unknown signature algorithm `{0}`")]
    UnknownAlgorithm(String),
    #[error("header `{0}` is listed in SignedHeaders but was not sent")]
    MissingSignedHeader(String),
    #[error("unknown public key id `{0}`")]
    UnknownKey(String),
    #[error("the signature does not match the request")]
    BadSignature,
}

/// A request that verified, with the strings the verifier rebuilt (for logs and reports).
#[derive(Clone, Debug)]
pub struct Verified {
    pub public_key_id: String,
    pub algorithm: Algorithm,
    pub signed_headers: Vec<String>,
    pub canonical_request: String,
    pub string_to_sign: String,
}

/// Rebuilds the canonical request of a wire request for a given query encoding.
fn wire_canonical_request(
    request: &WireRequest<'_>,
    auth: &Authorization,
    encoding: QueryEncoding,
) -> Result<String, VerifyError> {
    let headers = auth
        .signed_headers
        .iter()
        .map(|name| {
            request
                .header(name)
                .map(|value| (name.clone(), value))
                .ok_or_else(|| VerifyError::MissingSignedHeader(name.clone()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let query = canonical_query_from_pairs(&decode_query(request.query), encoding);
    Ok(canonical_request(request.method, request.path, &query, &headers, request.body))
}

/// Verifies a request from the wire against the public key registered for its key id.
///
/// The query is canonicalised as the Node SDK signs it (`encodeURIComponent`); if that does not
/// verify and the RFC 3986 form differs, that form is tried too, since the Java, .NET and PHP
/// SDKs encode `!*'()`. (Which form Amazon itself accepts is unconfirmed; accepting both is the
/// forgiving choice and can only matter for query strings, which no checkout operation uses.)
pub fn verify_wire_request(
    request: &WireRequest<'_>,
    lookup_key: impl FnOnce(&str) -> Option<PublicKey>,
) -> Result<Verified, VerifyError> {
    let value = request.header("authorization").ok_or(VerifyError::MissingAuthorization)?;
    let auth = Authorization::parse(&value)?;
    let canonical = wire_canonical_request(request, &auth, QueryEncoding::UriComponent)?;
    let key = lookup_key(&auth.public_key_id).ok_or_else(|| VerifyError::UnknownKey(auth.public_key_id.clone()))?;
    let mut candidates = vec![canonical];
    let rfc = wire_canonical_request(request, &auth, QueryEncoding::Rfc3986)?;
    if rfc != candidates[0] {
        candidates.push(rfc);
    }
    for canonical_request in candidates {
        let string_to_sign = string_to_sign(auth.algorithm, &canonical_request);
        if key.verify(auth.algorithm, &string_to_sign, &auth.signature) {
            return Ok(Verified {
                public_key_id: auth.public_key_id,
                algorithm: auth.algorithm,
                signed_headers: auth.signed_headers,
                canonical_request,
                string_to_sign,
            });
        }
    }
    Err(VerifyError::BadSignature)
}

/// The string a button signature covers: `ALGORITHM \n hex(sha256(payloadJSON))` (spec §2.7).
pub fn button_string_to_sign(algorithm: Algorithm, payload_json: &str) -> String {
    format!("{}\n{}", algorithm.name(), sha256_hex(payload_json.as_bytes()))
}

/// Verifies a button signature over the exact payload string.
pub fn verify_button_signature(key: &PublicKey, algorithm: Algorithm, payload_json: &str, signature_b64: &str) -> bool {
    key.verify(algorithm, &button_string_to_sign(algorithm, payload_json), signature_b64)
}

/// Formats `x-amz-pay-date` in the compact form the PHP, Java and .NET SDKs send: the same form
/// as the API's own timestamps.
pub fn format_amz_date(at: DateTime<Utc>) -> String {
    crate::model::Timestamp(at).to_string()
}

/// Parses `x-amz-pay-date` in either form seen on the wire: `20250115T093000Z` (PHP, Java, .NET)
/// or `2025-01-15T09:30:00Z` (Node).
pub fn parse_amz_date(value: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    [crate::model::Timestamp::FORMAT, "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S%.fZ"]
        .iter()
        .find_map(|fmt| NaiveDateTime::parse_from_str(value, fmt).ok())
        .map(|naive| naive.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_query_sorts_and_encodes_like_encode_uri_component() {
        let pairs = [("nextToken", "a+b/c= !*'()~é"), ("a", "1")];
        assert_eq!(
            canonical_query_from_pairs(&pairs, QueryEncoding::UriComponent),
            "a=1&nextToken=a%2Bb%2Fc%3D%20!*'()~%C3%A9"
        );
        assert_eq!(
            canonical_query_from_pairs(&pairs, QueryEncoding::Rfc3986),
            "a=1&nextToken=a%2Bb%2Fc%3D%20%21%2A%27%28%29~%C3%A9"
        );
    }

    #[test]
    fn java_sdk_vector_get_vanilla() {
        // amzn/amazon-pay-api-sdk-java testdata `get-vanilla` (spec §2.5).
        let headers: Vec<(String, String)> = [
            ("accept", "application/json"),
            ("content-type", "application/json"),
            ("x-amz-pay-date", "20180524T223710Z"),
            ("x-amz-pay-host", "pay-api.amazon.eu"),
            ("x-amz-pay-region", "EU"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let canonical = canonical_request("GET", "/", "", &headers, b"");
        assert_eq!(
            string_to_sign(Algorithm::Legacy, &canonical),
            "AMZN-PAY-RSASSA-PSS\nbb49552975c396f1e49d5510e1555b8b0627dc491bc61aaefdb561f202ad8020"
        );
    }

    #[test]
    fn both_date_forms_parse_to_the_same_instant() {
        assert_eq!(parse_amz_date("20250115T093000Z"), parse_amz_date("2025-01-15T09:30:00Z"));
        assert!(parse_amz_date("2025-01-15").is_none());
        assert_eq!(format_amz_date(parse_amz_date("2025-01-15T09:30:00Z").unwrap()), "20250115T093000Z");
    }

    #[test]
    fn authorization_round_trips_and_rejects_garbage() {
        let text = "AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=SANDBOX-X, SignedHeaders=accept;X-Amz-Pay-Date, Signature=abc==";
        let auth = Authorization::parse(text).unwrap();
        assert_eq!(auth.signed_headers, ["accept", "X-Amz-Pay-Date"]);
        assert_eq!(auth.signature, "abc==");
        assert_eq!(auth.to_string(), text);
        assert!(!format!("{auth:?}").contains("abc=="));
        assert!(matches!(Authorization::parse("Bearer xyz"), Err(VerifyError::UnknownAlgorithm(_))));
        assert!(matches!(
            Authorization::parse("AMZN-PAY-RSASSA-PSS PublicKeyId=x"),
            Err(VerifyError::MalformedAuthorization(_))
        ));
    }
}
