//! The emulator's own evidence over its control API: the traffic record (every request it
//! received, rejected ones too, never a signature, within its cap) and the event log (every state
//! change, polled or not); and that a refused request changes neither objects nor events, while a
//! refusal that is the documented outcome applies its change like any other transition.

mod common;

use apay_conformance::client::Client;
use apay_conformance::emulator::listen::{start, ListenOptions, Running};
use apay_conformance::model::*;
use apay_conformance::operation::Operation;
use apay_conformance::signing::{Algorithm, PrivateKey, Signer};
use common::emulator::*;
use common::vectors;
use serde_json::Value;

async fn control(running: &Running, path: &str) -> Value {
    let url = format!("{}/__emulator/{path}", running.http_url());
    let response = reqwest::get(&url).await.unwrap();
    assert!(response.status().is_success(), "GET {url}: {}", response.status());
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}

async fn traffic(running: &Running) -> Vec<Value> {
    control(running, &format!("merchants/{KEY_ID}/traffic")).await.as_array().unwrap().clone()
}

async fn events(running: &Running) -> Vec<Value> {
    control(running, &format!("merchants/{KEY_ID}/events")).await.as_array().unwrap().clone()
}

async fn objects(running: &Running) -> Value {
    control(running, &format!("merchants/{KEY_ID}/objects")).await
}

/// `(objectType, from, to, reasonCode)` of each event, for comparisons.
fn moves(events: &[Value]) -> Vec<(String, String, String, String)> {
    let text = |v: &Value| v.as_str().unwrap_or("-").to_owned();
    events.iter().map(|e| (text(&e["objectType"]), text(&e["from"]), text(&e["to"]), text(&e["reasonCode"]))).collect()
}

#[tokio::test]
async fn rejected_requests_are_recorded_with_their_reason_and_never_a_signature() {
    let running = emulator(false).await;
    let c = client(&running, Algorithm::V2);
    let tampered = c.with_corrupted_signature().create_checkout_session(&create_request()).await;
    assert_eq!(api_error(tampered), (403, "InvalidRequestSignature".into()));
    let malformed = c.call(Operation::CreateCheckoutSession, None, Some(b"{\"storeId\":".to_vec())).await.unwrap();
    assert_eq!(malformed.status, 400);
    let unknown_path = reqwest::get(format!("{}/v2/nothing/here", running.http_url())).await.unwrap();
    assert_eq!(unknown_path.status(), 404);
    // A key id nobody registered: the unknown merchant's record.
    let key = PrivateKey::from_pem(&vectors::read("test-key.pem")).unwrap();
    let stranger = Client::new(Signer::new("SANDBOX-NOBODY", key, Algorithm::V2), c_options(&running)).unwrap();
    assert_eq!(api_error(stranger.get_charge("S03-0000000-0000000-C000001").await).0, 403);

    let record = traffic(&running).await;
    let rows: Vec<(Option<&str>, u64, Option<&str>)> = record
        .iter()
        .map(|x| (x["operation"].as_str(), x["status"].as_u64().unwrap(), x["reasonCode"].as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            (Some("Create Checkout Session"), 403, Some("InvalidRequestSignature")),
            (Some("Create Checkout Session"), 400, Some("InvalidRequestFormat")),
        ],
        "both refusals are in the merchant's record, oldest first"
    );
    assert_eq!(record[1]["request"], "{\"storeId\":", "the malformed body is kept as it was sent");
    assert!(record[0]["requestHeaders"]["authorization"].as_str().unwrap().contains("PublicKeyId=SANDBOX-"));
    assert!(record[0]["requestId"].is_string() && record[0]["virtualAt"].is_string());

    let unknown = control(&running, "unknown-merchant/traffic").await;
    let statuses: Vec<u64> = unknown.as_array().unwrap().iter().map(|x| x["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [404, 403], "the unsigned unknown path and the unregistered key");

    let everything = format!("{record:?}{unknown}");
    assert!(!everything.contains("Signature="), "no signature in any record: {everything}");
    running.shutdown().await;
}

fn c_options(running: &Running) -> apay_conformance::client::ClientOptions {
    apay_conformance::client::ClientOptions {
        endpoint: Some(running.http_url().parse().unwrap()),
        max_retries: 0,
        ..Default::default()
    }
}

#[tokio::test]
async fn the_traffic_record_keeps_its_cap_under_a_burst() {
    let options = ListenOptions { max_clock_skew: None, record_cap: 25, ..ListenOptions::default() };
    let running = start(options).await.unwrap();
    running.emulator.register(KEY_ID, &vectors::read("test-key.pub.pem")).unwrap();
    let c = client(&running, Algorithm::V2);
    for n in 0..200 {
        let id = format!("S03-0000000-0000000-C{n:06}");
        assert_eq!(api_error(c.get_charge(&id).await).0, 404);
        let _ = reqwest::get(format!("{}/v2/unknown/{n}", running.http_url())).await.unwrap();
    }
    let record = traffic(&running).await;
    assert_eq!(record.len(), 25, "the merchant's record stays at its cap");
    assert!(record.last().unwrap()["path"].as_str().unwrap().ends_with("C000199"), "the newest is kept");
    assert!(record.first().unwrap()["path"].as_str().unwrap().ends_with("C000175"), "the oldest went first");
    let unknown = control(&running, "unknown-merchant/traffic").await;
    assert_eq!(unknown.as_array().unwrap().len(), 25, "so does the unknown merchant's");
    running.shutdown().await;
}

#[tokio::test]
async fn a_pending_authorization_settles_in_the_events_without_a_get() {
    let running = emulator(false).await;
    let c = client(&running, Algorithm::V2);
    let payment = PaymentDetails { can_handle_pending_authorization: Some(true), ..authorize(10_000) };
    let completed = checkout(&running, &c, "0701", payment).await.unwrap();
    assert_eq!(completed.status, 202);
    let charge_id = completed.charge_id.clone().unwrap();
    let gets_before = traffic(&running).await.len();
    advance(&running, 31).await;
    let log = events(&running).await;
    let charge: Vec<_> = log.iter().filter(|e| e["id"] == charge_id.as_str()).collect();
    let states: Vec<(&str, &str)> =
        charge.iter().map(|e| (e["from"].as_str().unwrap_or("-"), e["to"].as_str().unwrap())).collect();
    assert_eq!(states, [("-", "AuthorizationInitiated"), ("AuthorizationInitiated", "Authorized")]);
    let created: Timestamp = serde_json::from_value(charge[0]["at"].clone()).unwrap();
    let settled: Timestamp = serde_json::from_value(charge[1]["at"].clone()).unwrap();
    assert_eq!(settled.0 - created.0, chrono::Duration::seconds(30), "stamped when it was due");
    assert_eq!(traffic(&running).await.len(), gets_before, "nobody asked the API in between");
    running.shutdown().await;
}

#[tokio::test]
async fn refused_requests_change_neither_objects_nor_events() {
    let running = emulator(false).await;
    let c = client(&running, Algorithm::V2);
    let completed = checkout(&running, &c, "1111", authorize(10_000)).await.unwrap();
    let session_id = completed.checkout_session_id.clone();
    let permission_id = completed.charge_permission_id.clone().unwrap();
    let charge_id = completed.charge_id.clone().unwrap();
    let (objects_before, events_before) = (objects(&running).await, events(&running).await);

    let over = CreateChargeRequest {
        charge_permission_id: Some(permission_id.clone()),
        charge_amount: Some(Price::jpy(1_501)),
        ..Default::default()
    };
    assert_eq!(api_error(c.create_charge(&over).await).1, "TransactionAmountExceeded");
    let refund = CreateRefundRequest {
        charge_id: Some(charge_id.clone()),
        refund_amount: Some(Price::jpy(1)),
        ..Default::default()
    };
    assert_eq!(api_error(c.create_refund(&refund).await).1, "InvalidChargeStatus", "nothing captured yet");
    let capture = CaptureChargeRequest { capture_amount: Some(Price::jpy(10_001)), ..Default::default() };
    assert_eq!(api_error(c.capture_charge(&charge_id, &capture).await).1, "TransactionAmountExceeded");
    let update = UpdateCheckoutSessionRequest { payment_details: Some(authorize(1)), ..Default::default() };
    assert_eq!(api_error(c.update_checkout_session(&session_id, &update).await).1, "InvalidCheckoutSessionStatus");
    let malformed = c.call(Operation::CloseChargePermission, Some(&permission_id), Some(b"[]".to_vec())).await.unwrap();
    assert_eq!(malformed.status, 400);
    let tampered = c.with_corrupted_signature().cancel_charge(&charge_id, &CancelChargeRequest::default()).await;
    assert_eq!(api_error(tampered).0, 403);

    assert_eq!(objects(&running).await, objects_before, "no refused request changed an object");
    assert_eq!(events(&running).await, events_before, "no refused request caused an event");
    running.shutdown().await;
}

#[tokio::test]
async fn a_refusal_that_is_the_documented_outcome_applies_its_change_and_events() {
    let running = emulator(false).await;
    let c = client(&running, Algorithm::V2);
    let completed = checkout(&running, &c, "1111", authorize(10_000)).await.unwrap();
    let permission_id = completed.charge_permission_id.clone().unwrap();
    let charges_before = objects(&running).await["charges"].as_array().unwrap().len();
    let events_before = events(&running).await.len();

    let declined = c
        .simulating("HardDeclined")
        .create_charge(&CreateChargeRequest {
            charge_permission_id: Some(permission_id.clone()),
            charge_amount: Some(Price::jpy(1_000)),
            ..Default::default()
        })
        .await;
    assert_eq!(api_error(declined), (422, "HardDeclined".into()));
    let after = objects(&running).await;
    assert_eq!(after["charges"].as_array().unwrap().len(), charges_before, "a synchronous decline creates no charge");
    let permission = c.get_charge_permission(&permission_id).await.unwrap();
    assert_eq!(permission.status_details.state, ChargePermissionState::NonChargeable);
    let log = events(&running).await;
    assert_eq!(
        moves(&log[events_before..]),
        [("ChargePermission".into(), "Chargeable".into(), "NonChargeable".into(), "PaymentMethodInvalid".into())],
        "the decline's effect is an event like any other"
    );

    // A simulated cancellation on Complete: the session is canceled, and Complete is refused.
    let session = c.create_checkout_session(&create_request()).await.unwrap();
    let id = session.checkout_session_id.clone();
    buyer(&running, &id, serde_json::json!({ "card": "1111", "action": "continue" })).await;
    let result_url =
        WebCheckoutDetails { checkout_result_return_url: Some("http://localhost/result".into()), ..Default::default() };
    let update = UpdateCheckoutSessionRequest {
        web_checkout_details: Some(result_url),
        payment_details: Some(authorize(2_000)),
        ..Default::default()
    };
    c.update_checkout_session(&id, &update).await.unwrap();
    buyer(&running, &id, serde_json::json!({ "action": "continue" })).await;
    let before = events(&running).await.len();
    let body = CompleteCheckoutSessionRequest { charge_amount: Some(Price::jpy(2_000)), total_order_amount: None };
    let canceled = c.simulating("BuyerCanceled").complete_checkout_session(&id, &body).await;
    assert_eq!(api_error(canceled), (422, "CheckoutSessionCanceled".into()));
    let log = events(&running).await;
    assert_eq!(
        moves(&log[before..]),
        [("CheckoutSession".into(), "Open".into(), "Canceled".into(), "BuyerCanceled".into())]
    );
    let session = c.get_checkout_session(&id).await.unwrap();
    assert_eq!(session.status_details.state, CheckoutSessionState::Canceled);
    running.shutdown().await;
}
