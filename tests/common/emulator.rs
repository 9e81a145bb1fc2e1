//! The emulator over HTTP for the integration tests: one registered merchant, our client for it,
//! the control API's clock and buyer, and a whole checkout.

use apay_conformance::client::{Client, ClientError, ClientOptions, Reply};
use apay_conformance::emulator::listen::{start, ListenOptions, Running};
use apay_conformance::model::*;
use apay_conformance::signing::{Algorithm, PrivateKey, Signer};
use reqwest::Url;
use serde_json::{json, Value};

use super::vectors;

pub const KEY_ID: &str = "SANDBOX-AEXAMPLEVECTORKEY0000000";

pub async fn emulator(skew_check: bool) -> Running {
    let options =
        ListenOptions { max_clock_skew: skew_check.then(|| chrono::Duration::minutes(15)), ..ListenOptions::default() };
    let running = start(options).await.unwrap();
    running.emulator.register(KEY_ID, &vectors::read("test-key.pub.pem")).unwrap();
    running
}

pub fn client(running: &Running, algorithm: Algorithm) -> Client {
    let key = PrivateKey::from_pem(&vectors::read("test-key.pem")).unwrap();
    let options = ClientOptions {
        endpoint: Some(Url::parse(&running.http_url()).unwrap()),
        retry_base_delay: std::time::Duration::from_millis(10),
        ..ClientOptions::default()
    };
    Client::new(Signer::new(KEY_ID, key, algorithm), options).unwrap()
}

pub fn api_error(result: Result<impl std::fmt::Debug, ClientError>) -> (u16, String) {
    let err = result.unwrap_err();
    let api = err.api().unwrap_or_else(|| panic!("expected an error response, got {err}"));
    (api.status, api.reason_code.clone())
}

pub async fn advance(running: &Running, seconds: i64) {
    let url = format!("{}/__emulator/merchants/{KEY_ID}/clock", running.http_url());
    let response =
        reqwest::Client::new().post(url).body(json!({ "advanceSeconds": seconds }).to_string()).send().await.unwrap();
    assert!(response.status().is_success());
}

pub async fn buyer(running: &Running, session_id: &str, body: Value) -> String {
    let url = format!("{}/__emulator/checkout-sessions/{session_id}/buyer", running.http_url());
    let response = reqwest::Client::new().post(url).body(body.to_string()).send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.text().await.unwrap());
    let value: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    value["redirectUrl"].as_str().unwrap().to_owned()
}

pub fn create_request() -> CreateCheckoutSessionRequest {
    CreateCheckoutSessionRequest {
        store_id: Some("amzn1.application-oa2-client.test".into()),
        web_checkout_details: Some(WebCheckoutDetails {
            checkout_review_return_url: Some("http://localhost/review".into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Create → buyer → update → buyer returns → complete; returns the completed session.
pub async fn checkout(
    running: &Running,
    client: &Client,
    card: &str,
    payment: PaymentDetails,
) -> Result<Reply<CheckoutSession>, ClientError> {
    checkout_with(
        running,
        client,
        card,
        UpdateCheckoutSessionRequest { payment_details: Some(payment), ..Default::default() },
    )
    .await
}

/// [`checkout`] with a whole Update body (the result URL is added).
pub async fn checkout_with(
    running: &Running,
    client: &Client,
    card: &str,
    mut update: UpdateCheckoutSessionRequest,
) -> Result<Reply<CheckoutSession>, ClientError> {
    let session = client.create_checkout_session(&create_request()).await.unwrap();
    let id = session.checkout_session_id.clone();
    buyer(running, &id, json!({ "card": card, "action": "continue" })).await;
    let payment = update.payment_details.clone().unwrap_or_default();
    let amount = payment.charge_amount.clone();
    let total = payment.total_order_amount.clone();
    update.web_checkout_details = Some(WebCheckoutDetails {
        checkout_result_return_url: Some("http://localhost/result".into()),
        ..Default::default()
    });
    let updated = client.update_checkout_session(&id, &update).await.unwrap();
    assert!(updated.amazon_pay_redirect_url().is_some(), "constraints cleared: {:?}", updated.constraint_ids());
    let back = buyer(running, &id, json!({ "action": "continue" })).await;
    assert!(back.starts_with("http://localhost/result?amazonCheckoutSessionId="));
    client
        .complete_checkout_session(
            &id,
            &CompleteCheckoutSessionRequest { charge_amount: amount, total_order_amount: total },
        )
        .await
}

pub fn authorize(amount: i64) -> PaymentDetails {
    PaymentDetails {
        payment_intent: Some(PaymentIntent::Authorize),
        charge_amount: Some(Price::jpy(amount)),
        ..Default::default()
    }
}
