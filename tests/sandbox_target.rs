//! `run --target sandbox`: the URLs it builds for every region and key style, the refusal of
//! live keys and paths, and a whole run against `serve --sandbox-faithful` — an emulator without
//! the control API, in real time — exactly as the run would go against Amazon: everything that
//! can run there passes, waiting for asynchronous outcomes, and the `@clock` scenarios are
//! reported not run with the reason.

mod common;

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use apay_conformance::client::{Client, ClientOptions};
use apay_conformance::config::{Config, Overrides};
use apay_conformance::operation::Operation;
use apay_conformance::pacing::Pacer;
use apay_conformance::runner::target::Target;
use apay_conformance::signing::{Algorithm, PrivateKey, Signer};
use apay_conformance::steps::{Need, Needs};
use serde_json::Value;

const KEY_ID: &str = "SANDBOX-AEXAMPLEVECTORKEY0000000";

fn key_path() -> String {
    common::vectors::dir().join("test-key.pem").display().to_string()
}

fn config(vars: &[(&str, &str)]) -> Result<Config, String> {
    let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let env = move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    Config::resolve(env, None, &Overrides::default()).map_err(|e| e.to_string())
}

#[test]
fn the_sandbox_target_builds_the_documented_urls_for_every_region_and_key_style() {
    let key = key_path();
    for (region, key_id, expected) in [
        ("jp", KEY_ID, "https://pay-api.amazon.jp/v2"),
        ("jp", "AFVX7ULWSGBZ5535PCUQOY7B", "https://pay-api.amazon.jp/sandbox/v2"),
        ("us", KEY_ID, "https://pay-api.amazon.com/v2"),
        ("na", "AFVX7ULWSGBZ5535PCUQOY7B", "https://pay-api.amazon.com/sandbox/v2"),
        ("eu", KEY_ID, "https://pay-api.amazon.eu/v2"),
        ("uk", "AFVX7ULWSGBZ5535PCUQOY7B", "https://pay-api.amazon.eu/sandbox/v2"),
    ] {
        let config = config(&[
            ("AMAZON_PAY_PUBLIC_KEY_ID", key_id),
            ("AMAZON_PAY_PRIVATE_KEY", &key),
            ("AMAZON_PAY_REGION", region),
            ("AMAZON_PAY_STORE_ID", "amzn1.application-oa2-client.x"),
        ])
        .unwrap();
        let target = Target::sandbox(config, None).unwrap();
        assert_eq!(target.endpoint.as_str().trim_end_matches('/'), expected, "{region} {key_id}");
        assert!(target.hosted.is_none(), "Amazon's own hosted pages");
        assert!(target.is_sandbox());
    }
}

/// The official Node SDK's requests (the vectors): the sandbox target sends to the same host, under
/// the same path prefix, for the same region and key id. (The vectors' `/live/v2` request is the
/// SDK with `sandbox: false`, which this tool never sends.)
#[test]
fn the_sandbox_target_sends_where_the_official_sdk_sends() {
    let key = key_path();
    let mut real_hosts = 0;
    for v in common::vectors::api_requests().into_iter().filter(|v| !v.path.starts_with("/live/")) {
        let config = config(&[
            ("AMAZON_PAY_PUBLIC_KEY_ID", &v.public_key_id),
            ("AMAZON_PAY_PRIVATE_KEY", &key),
            ("AMAZON_PAY_REGION", &v.headers_sent["x-amz-pay-region"]),
            ("AMAZON_PAY_STORE_ID", "amzn1.application-oa2-client.x"),
        ])
        .unwrap();
        let base = Target::sandbox(config, None).unwrap().endpoint;
        let prefix = base.path().trim_end_matches('/');
        assert!(!prefix.is_empty() && v.path.starts_with(&format!("{prefix}/")), "{}: {} under {base}", v.name, v.path);
        let host = &v.headers_sent["x-amz-pay-host"];
        // Most vectors were captured against an overridden local host; the others name Amazon's.
        if !host.starts_with("127.0.0.1") {
            assert_eq!(base.host_str(), Some(host.as_str()), "{}", v.name);
            real_hosts += 1;
        }
    }
    assert!(real_hosts >= 2, "the vectors with Amazon's own hosts (jp, us) were compared");
}

/// On Amazon's own sandbox (no `--endpoint`), what a scenario needs decides whether it runs: our
/// own client is the merchant, but the clock cannot move and Amazon's pages are not driven yet.
#[test]
fn on_amazons_sandbox_protocol_scenarios_run_and_clock_and_buyer_scenarios_do_not() {
    let config = config(&[
        ("AMAZON_PAY_PUBLIC_KEY_ID", KEY_ID),
        ("AMAZON_PAY_PRIVATE_KEY", &key_path()),
        ("AMAZON_PAY_STORE_ID", "amzn1.application-oa2-client.x"),
    ])
    .unwrap();
    let target = Target::sandbox(config, None).unwrap();
    assert_eq!(target.cannot_run(&Needs::new()), None);
    assert_eq!(target.cannot_run(&Needs::from([Need::OwnClient])), None);
    let clock = target.cannot_run(&Needs::from([Need::Clock, Need::OwnClient])).unwrap();
    assert!(clock.contains("clock"), "{clock}");
    let buyer = target.cannot_run(&Needs::from([Need::Buyer])).unwrap();
    assert!(buyer.contains("Amazon's own hosted pages"), "{buyer}");
}

#[test]
fn live_keys_and_live_paths_are_refused() {
    let key = key_path();
    let live =
        config(&[("AMAZON_PAY_PUBLIC_KEY_ID", "LIVE-AFVX7ULWSGBZ5535PCUQOY7B"), ("AMAZON_PAY_PRIVATE_KEY", &key)])
            .unwrap_err();
    assert!(live.contains("LIVE") && live.contains("never moves real money"), "{live}");
    let path = config(&[
        ("AMAZON_PAY_PUBLIC_KEY_ID", "AFVX7ULWSGBZ5535PCUQOY7B"),
        ("AMAZON_PAY_PRIVATE_KEY", &key),
        ("AMAZON_PAY_ENDPOINT", "https://pay-api.amazon.jp/live"),
    ])
    .unwrap_err();
    assert!(path.contains("/live/") && path.contains("AMAZON_PAY_ENDPOINT"), "{path}");
    let no_store = Target::sandbox(
        config(&[("AMAZON_PAY_PUBLIC_KEY_ID", KEY_ID), ("AMAZON_PAY_PRIVATE_KEY", &key)]).unwrap(),
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(no_store.contains("AMAZON_PAY_STORE_ID"), "{no_store}");
}

/// `serve --sandbox-faithful` with the test key registered; killed on drop.
struct Faithful {
    child: Child,
    url: String,
}

impl Drop for Faithful {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn faithful() -> Faithful {
    let public = common::vectors::dir().join("test-key.pub.pem").display().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_apay-conformance"))
        .args(["serve", "--sandbox-faithful", "--port", "0", "--tls-port", "0", "--public-key"])
        .arg(format!("{KEY_ID}={public}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines
        .find_map(|l| l.ok().and_then(|l| l.strip_prefix("listening ").map(str::to_owned)))
        .expect("serve prints where it listens");
    // Keep reading: serve prints more, and a closed pipe would end it.
    std::thread::spawn(move || lines.for_each(drop));
    Faithful { child, url }
}

#[test]
fn a_sandbox_run_against_a_sandbox_faithful_emulator_passes_what_can_run_and_skips_clock_scenarios() {
    let emulator = faithful();
    // Like Amazon's sandbox: no control API to move time or play the buyer.
    let control_url = format!("{}/__emulator/merchants/{KEY_ID}/objects", emulator.url);
    let status =
        tokio::runtime::Runtime::new().unwrap().block_on(async { reqwest::get(control_url).await.unwrap().status() });
    assert_ne!(status.as_u16(), 200, "the control API is off");

    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_apay-conformance"))
        .args(["run", "--target", "sandbox", "--endpoint", &emulator.url, "--buyer", "direct", "--concurrency", "8"])
        .args(["--report-dir", dir.path().to_str().unwrap()])
        .env("AMAZON_PAY_PUBLIC_KEY_ID", KEY_ID)
        .env("AMAZON_PAY_PRIVATE_KEY", key_path())
        .env("AMAZON_PAY_STORE_ID", "amzn1.application-oa2-client.sandboxtest")
        .env("AMAZON_PAY_TEST_BUYER_EMAIL", "taro.yamada@example.jp")
        .env("AMAZON_PAY_TEST_BUYER_PASSWORD", "sandbox-pass-1")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("⏳ 03_dynamic_authorization.feature:11: waiting up to"),
        "the waits show in the progress output, naming the scenario: {stderr}"
    );

    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("selfcheck.json")).unwrap()).unwrap();
    assert_eq!(report["header"]["target"], "sandbox");
    assert!(!report.to_string().contains(KEY_ID), "the key id is masked");
    let html = std::fs::read_to_string(dir.path().join("selfcheck.html")).unwrap();
    for secret in ["sandbox-pass-1", "taro.yamada@example.jp"] {
        assert!(!report.to_string().contains(secret) && !html.contains(secret), "{secret} leaked into the report");
    }
    let scenarios = report["scenarios"].as_array().unwrap();
    for s in scenarios {
        let clock = s["tags"].as_array().unwrap().iter().any(|t| t == "@clock");
        let expected = if clock { "notRun" } else { "passed" };
        assert_eq!(s["status"], expected, "{}: {}", s["name"], s["reason"]);
        if clock {
            assert!(s["reason"].as_str().unwrap().contains("clock"), "{}", s["reason"]);
        }
    }
    // Pacing kept the whole run within the sandbox's throttling quotas: no exchange was retried
    // after a 429 (the emulator enforces them as Amazon does).
    let throttled: Vec<String> = scenarios
        .iter()
        .flat_map(|s| s["steps"].as_array().unwrap())
        .flat_map(|step| step["exchanges"].as_array().unwrap())
        .filter(|x| {
            x["retriedAfter"].as_array().is_some_and(|r| r.iter().any(|why| why.as_str().unwrap().starts_with("429")))
        })
        .map(|x| format!("{} {}", x["operation"], x["retriedAfter"]))
        .collect();
    assert!(throttled.is_empty(), "throttled despite pacing: {throttled:?}");
    let not_run = scenarios.iter().filter(|s| s["status"] == "notRun").count();
    let passed = scenarios.len() - not_run;
    assert!(
        stderr.contains(&format!("⏭️ not run here ({not_run}): needs the emulator's clock"))
            && stderr.contains("        05_recurring.feature:"),
        "what is not run is listed before the run: {stderr}"
    );
    assert!(stderr.contains(&format!("scenarios: {passed} passed, 0 failed, {not_run} not run")), "{stderr}");
    let item = |id: &str| report["items"].as_array().unwrap().iter().find(|i| i["id"] == id).unwrap().clone();
    assert_eq!(item("L-1")["status"], "notRun");
    assert_eq!(item("E-3")["status"], "notRun");
    for id in ["A-1", "C-1", "C-2", "H-1", "H-2", "I-2"] {
        assert_eq!(item(id)["status"], "passed", "{id}: waited for in real time");
    }
}

/// A client of the faithful emulator as the test account, without retries so a 429 shows.
fn client(emulator: &Faithful, pacer: Option<std::sync::Arc<Pacer>>) -> Client {
    let key = PrivateKey::from_pem(&std::fs::read_to_string(key_path()).unwrap()).unwrap();
    let options = ClientOptions {
        endpoint: Some(emulator.url.parse().unwrap()),
        max_retries: 0,
        pacer,
        ..ClientOptions::default()
    };
    Client::new(Signer::new(KEY_ID, key, Algorithm::V2), options).unwrap()
}

#[tokio::test]
async fn the_sandbox_faithful_emulator_throttles_a_burst_and_the_pacer_stays_within_the_quota() {
    let emulator = faithful();
    // Get Refund: a burst of 5, then 1 per second. Eight at once: the last ones are refused.
    let unpaced = client(&emulator, None);
    let ids: Vec<String> = (0..8).map(|i| format!("S03-0000000-0000000-R0000{i}")).collect();
    let answers =
        futures::future::join_all(ids.iter().map(|id| unpaced.call(Operation::GetRefund, Some(id), None))).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.as_ref().unwrap().status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 404).count(), 5, "{statuses:?}");
    let throttled = answers.iter().map(|a| a.as_ref().unwrap()).find(|a| a.status == 429).expect("a 429");
    let error = throttled.error().unwrap();
    assert_eq!(error.reason_code, "TooManyRequests", "{error:?}");
    assert!(error.message.contains("Get Refund"), "{error:?}");

    // Get Charge, paced: eight in a row all reach the emulator, none throttled.
    let paced = client(&emulator, Some(std::sync::Arc::new(Pacer::sandbox())));
    let started = std::time::Instant::now();
    for i in 0..8 {
        let answer =
            paced.call(Operation::GetCharge, Some(&format!("S03-0000000-0000000-C0000{i}")), None).await.unwrap();
        assert_eq!(answer.status, 404, "request {i} after {:?}: {}", started.elapsed(), answer.body);
    }
    // The pacer's burst is 4 (one below the quota), then 0.9 per second.
    assert!(started.elapsed() >= std::time::Duration::from_secs(4), "{:?}", started.elapsed());
}
