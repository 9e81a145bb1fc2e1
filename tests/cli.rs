//! The `api` and `sign-button` commands, run as a user runs them, against a tiny local server
//! that records what arrives and checks it with an independent verifier (built directly on the
//! `rsa` crate, sharing no code with `src/signing.rs`).

mod common;

use std::net::SocketAddr;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use common::vectors;
use rsa::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256};

#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// Answers like Amazon would for the few cases the tests need: an unknown checkout session is a
/// 404, the first Create Charge hits a 503 and the retry succeeds.
async fn handler(
    axum::extract::State(log): axum::extract::State<Log>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let seen = Seen {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or("").to_owned(),
        headers: headers.iter().map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned())).collect(),
        body: body.to_vec(),
    };
    let attempts = {
        let mut log = log.lock().unwrap();
        log.push(seen.clone());
        log.iter().filter(|s| s.path == seen.path).count()
    };
    let json = [("content-type", "application/json"), ("x-amz-pay-request-id", "req-0001")];
    match (seen.method.as_str(), seen.path.as_str()) {
        ("POST", "/v2/charges") if attempts == 1 => (StatusCode::SERVICE_UNAVAILABLE, json, r#"{"reasonCode":"ServiceUnavailable","message":"try again"}"#.to_owned()),
        ("POST", "/v2/charges") => (
            StatusCode::CREATED,
            json,
            r#"{"chargeId":"S03-1-1-C1","chargePermissionId":"S03-1-1","statusDetails":{"state":"Authorized","reasonCode":null,"reasonDescription":null,"lastUpdatedTimestamp":"20250115T093000Z"}}"#.to_owned(),
        ),
        _ => (StatusCode::NOT_FOUND, json, r#"{"reasonCode":"ResourceNotFound","message":"The requested resource was not found."}"#.to_owned()),
    }
}

struct Server {
    addr: SocketAddr,
    log: Log,
    runtime: tokio::runtime::Runtime,
}

fn server() -> Server {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let log: Log = Arc::default();
    let app = axum::Router::new().fallback(handler).with_state(log.clone());
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
    Server { addr, log, runtime }
}

fn key_path() -> String {
    vectors::dir().join("test-key.pem").display().to_string()
}

/// Runs the binary in an empty directory with only the given AMAZON_PAY_* variables.
fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_apay-conformance"));
    cmd.args(args).current_dir(dir.path());
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("AMAZON_PAY_")) {
        cmd.env_remove(k);
    }
    cmd.envs(env.iter().copied()).output().unwrap()
}

/// An independent verifier: canonical request rebuilt by hand from the recorded request,
/// RSASSA-PSS checked with the `rsa` crate's own PSS scheme.
fn independently_verified(seen: &Seen) -> bool {
    let header = |name: &str| seen.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
    let authorization = header("authorization").expect("authorization header");
    let (algorithm, rest) = authorization.split_once(' ').unwrap();
    let mut parts = rest.split(", ").map(|p| p.split_once('=').unwrap());
    let (_, _key_id) = parts.next().unwrap();
    let (_, signed_headers) = parts.next().unwrap();
    let (_, signature) = parts.next().unwrap();
    let mut canonical = format!("{}\n{}\n{}\n", seen.method, seen.path, seen.query);
    for name in signed_headers.split(';') {
        canonical += &format!("{}:{}\n", name.to_lowercase(), header(name).unwrap().trim());
    }
    canonical += &format!("\n{signed_headers}\n{}", hex::encode(Sha256::digest(&seen.body)));
    let string_to_sign = format!("{algorithm}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
    let salt = match algorithm {
        "AMZN-PAY-RSASSA-PSS-V2" => 32,
        "AMZN-PAY-RSASSA-PSS" => 20,
        _ => return false,
    };
    use base64::Engine as _;
    let signature = base64::engine::general_purpose::STANDARD.decode(signature).unwrap();
    let key = rsa::RsaPublicKey::from_public_key_pem(&vectors::read("test-key.pub.pem")).unwrap();
    let hashed = Sha256::digest(string_to_sign.as_bytes());
    key.verify(rsa::Pss::new_with_salt::<Sha256>(salt), &hashed, &signature).is_ok()
}

fn header_of<'a>(seen: &'a Seen, name: &str) -> Option<&'a str> {
    seen.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

const KEY_ID: &str = "SANDBOX-AEXAMPLEVECTORKEY0000000";

#[test]
fn api_get_checkout_session_sends_a_request_an_independent_verifier_accepts() {
    let server = server();
    let endpoint = format!("http://{}", server.addr);
    let key = key_path();
    let out = run(
        &["api", "get-checkout-session", "some-id", "--endpoint", &endpoint],
        &[("AMAZON_PAY_PUBLIC_KEY_ID", KEY_ID), ("AMAZON_PAY_PRIVATE_KEY", &key)],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "an error response exits 1\n{stderr}");
    assert!(stderr.contains("HTTP 404 Not Found") && stderr.contains("req-0001"), "{stderr}");
    let printed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(printed["reasonCode"], "ResourceNotFound");

    let log = server.log.lock().unwrap();
    assert_eq!(log.len(), 1, "a 404 is not retried");
    let seen = &log[0];
    assert_eq!((seen.method.as_str(), seen.path.as_str()), ("GET", "/v2/checkoutSessions/some-id"));
    assert!(seen.body.is_empty());
    assert_eq!(header_of(seen, "x-amz-pay-host"), Some(server.addr.to_string().as_str()));
    assert_eq!(header_of(seen, "x-amz-pay-region"), Some("jp"));
    assert!(header_of(seen, "authorization").unwrap().starts_with("AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=SANDBOX-AEXAMPLEVECTORKEY0000000, SignedHeaders=accept;content-type;user-agent;x-amz-pay-date;x-amz-pay-host;x-amz-pay-region, Signature="));
    assert!(independently_verified(seen), "{seen:?}");
    drop(log);
    drop(server.runtime);
}

#[test]
fn api_create_charge_retries_a_503_with_the_same_idempotency_key_and_never_prints_the_signature() {
    let server = server();
    let endpoint = format!("http://{}", server.addr);
    let key = key_path();
    let body = r#"{"chargePermissionId":"S03-1-1","chargeAmount":{"amount":"1000","currencyCode":"JPY"}}"#;
    let out = run(
        &[
            "api",
            "create-charge",
            "--body",
            body,
            "--simulation-code",
            "HardDeclined",
            "--verbose",
            "--endpoint",
            &endpoint,
            "--algorithm",
            "AMZN-PAY-RSASSA-PSS",
        ],
        &[("AMAZON_PAY_PUBLIC_KEY_ID", KEY_ID), ("AMAZON_PAY_PRIVATE_KEY", &key)],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("HTTP 201 Created"), "{stderr}");
    assert!(stderr.contains("--- canonical request ---\nPOST\n/v2/charges\n"), "{stderr}");
    assert!(stderr.contains("AMZN-PAY-RSASSA-PSS\n"), "string to sign shown: {stderr}");
    let printed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(printed["statusDetails"]["state"], "Authorized");

    let log = server.log.lock().unwrap();
    assert_eq!(log.len(), 2, "the 503 was retried once");
    let keys: Vec<_> = log.iter().map(|s| header_of(s, "x-amz-pay-idempotency-key").unwrap().to_owned()).collect();
    assert_eq!(keys[0], keys[1], "the retry resends the same idempotency key");
    assert_eq!(keys[0].len(), 32);
    for seen in log.iter() {
        assert_eq!(seen.body, body.as_bytes(), "the body is sent exactly as given");
        assert_eq!(header_of(seen, "x-amz-pay-simulation-code"), Some("HardDeclined"));
        assert!(
            header_of(seen, "authorization").unwrap().contains("x-amz-pay-simulation-code"),
            "the simulation code is signed"
        );
        assert!(independently_verified(seen));
        let signature = header_of(seen, "authorization").unwrap().rsplit("Signature=").next().unwrap();
        assert!(!stderr.contains(signature) && !stdout.contains(signature), "the signature must never be printed");
    }
    assert!(!stderr.contains("PRIVATE KEY"));
    drop(log);
    drop(server.runtime);
}

#[test]
fn a_legacy_key_id_uses_the_sandbox_path() {
    let server = server();
    let endpoint = format!("http://{}", server.addr);
    let key = key_path();
    let out = run(
        &[
            "api",
            "get-charge",
            "S03-1-1-C1",
            "--endpoint",
            &endpoint,
            "--public-key-id",
            "AEXAMPLELEGACYKEY",
            "--private-key",
            &key,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let log = server.log.lock().unwrap();
    assert_eq!(log[0].path, "/sandbox/v2/charges/S03-1-1-C1");
    assert!(independently_verified(&log[0]));
    drop(log);
    drop(server.runtime);
}

#[test]
fn sign_button_output_verifies_with_the_public_key() {
    let dir = tempfile::tempdir().unwrap();
    let payload = r#"{"webCheckoutDetails":{"checkoutReviewReturnUrl":"http://localhost/review"},"storeId":"amzn1.application-oa2-client.x"}"#;
    let file = dir.path().join("payload.json");
    std::fs::write(&file, format!("{payload}\n")).unwrap();
    let pem = vectors::read("test-key.pem");
    let arg = format!("@{}", file.display());
    let out = run(
        &["sign-button", "--payload", &arg],
        &[("AMAZON_PAY_PUBLIC_KEY_ID", KEY_ID), ("AMAZON_PAY_PRIVATE_KEY", &pem)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["payloadJSON"], payload);
    assert_eq!(printed["publicKeyId"], KEY_ID);
    assert_eq!(printed["algorithm"], "AMZN-PAY-RSASSA-PSS-V2");
    let public = apay_conformance::signing::PublicKey::from_pem(&vectors::read("test-key.pub.pem")).unwrap();
    assert!(apay_conformance::signing::verify_button_signature(
        &public,
        apay_conformance::signing::Algorithm::V2,
        payload,
        printed["signature"].as_str().unwrap()
    ));

    let bad = run(
        &["sign-button", "--payload", "{not json"],
        &[("AMAZON_PAY_PUBLIC_KEY_ID", KEY_ID), ("AMAZON_PAY_PRIVATE_KEY", &pem)],
    );
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn missing_credentials_are_one_clear_line_not_a_panic() {
    let out = run(&["api", "get-charge", "x"], &[("AMAZON_PAY_PUBLIC_KEY_ID", KEY_ID)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: AMAZON_PAY_PRIVATE_KEY is not set"), "{stderr}");

    let out = run(
        &["api", "get-charge", "x"],
        &[("AMAZON_PAY_PUBLIC_KEY_ID", KEY_ID), ("AMAZON_PAY_PRIVATE_KEY", "/no/such/key.pem")],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("AMAZON_PAY_PRIVATE_KEY: cannot read the private key file /no/such/key.pem"), "{stderr}");
    assert!(!stderr.contains("panicked"));

    let out = run(
        &["api", "get-charge", "x"],
        &[("AMAZON_PAY_PUBLIC_KEY_ID", "LIVE-ABCDEF"), ("AMAZON_PAY_PRIVATE_KEY", &key_path())],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("LIVE key"));
}

#[test]
fn the_store_id_flag_the_error_names_exists() {
    let reports = tempfile::tempdir().unwrap();
    let args = |extra: &[&'static str]| {
        let mut args = vec!["run", "--target", "sandbox", "--endpoint", "http://127.0.0.1:9", "--buyer", "direct"];
        args.extend(["--tags", "@no-scenario-has-this", "--quiet", "--report-dir"]);
        args.push(reports.path().to_str().unwrap());
        args.extend_from_slice(extra);
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let env = [("AMAZON_PAY_PUBLIC_KEY_ID", KEY_ID.to_owned()), ("AMAZON_PAY_PRIVATE_KEY", key_path())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let without = run(&args(&[]).iter().map(String::as_str).collect::<Vec<_>>(), &env);
    let stderr = String::from_utf8_lossy(&without.stderr);
    assert_eq!(without.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("AMAZON_PAY_STORE_ID is not set") && stderr.contains("--store-id"), "{stderr}");

    let given = args(&["--store-id", "amzn1.application-oa2-client.cli", "--merchant-id", "A1MERCHANT"]);
    let with = run(&given.iter().map(String::as_str).collect::<Vec<_>>(), &env);
    assert!(with.status.success(), "{}", String::from_utf8_lossy(&with.stderr));
    let report = std::fs::read_to_string(reports.path().join("selfcheck.json")).unwrap();
    assert!(report.contains("\"storeId\": \"am….cli\"") && report.contains("\"merchantId\": \"A1…HANT\""), "{report}");
}
