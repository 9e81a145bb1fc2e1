//! The emulator over HTTP, driven by the project's own client: authentication, bad input,
//! idempotency, the flows' state transitions, limits and the virtual clock.

mod common;

use common::emulator::*;

use apay_conformance::client::{Client, ClientOptions};
use apay_conformance::model::*;
use apay_conformance::operation::Operation;
use apay_conformance::signing::{Algorithm, PrivateKey, Signer};
use common::vectors;
use reqwest::Url;
use serde_json::{json, Value};

#[tokio::test]
async fn every_signing_vector_is_accepted_when_replayed_with_its_original_headers() {
    let running = emulator(false).await;
    let http = reqwest::Client::new();
    for v in vectors::api_requests() {
        let _ = running.emulator.register(&v.public_key_id, &vectors::read("test-key.pub.pem"));
    }
    for v in vectors::api_requests() {
        let url = format!("{}{}{}{}", running.http_url(), v.path, if v.query.is_empty() { "" } else { "?" }, v.query);
        let mut request = http.request(v.method.parse().unwrap(), url).body(v.body.clone());
        for (name, value) in &v.headers_sent {
            if !matches!(name.as_str(), "host" | "content-length" | "connection" | "accept-encoding") {
                request = request.header(name, value);
            }
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        if v.path.starts_with("/live/") {
            assert_eq!(
                (status, body["reasonCode"].as_str()),
                (400, Some("InvalidRequest")),
                "{}: this is a sandbox",
                v.name
            );
        } else {
            assert!(status != 403 && body["reasonCode"] != "MissingHeader", "{}: {status} {body}", v.name);
        }
    }
    running.shutdown().await;
}

#[tokio::test]
async fn authentication_errors_are_the_documented_ones() {
    let running = emulator(true).await;
    let good = client(&running, Algorithm::V2);
    // Both algorithms are accepted.
    assert_eq!(api_error(good.get_charge("S03-0000000-0000000-C000000").await), (404, "ResourceNotFound".into()));
    let legacy = client(&running, Algorithm::Legacy);
    assert_eq!(api_error(legacy.get_charge("S03-0000000-0000000-C000000").await), (404, "ResourceNotFound".into()));

    // An unregistered key and a different private key both fail as a bad signature.
    let other_key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
    let pem = {
        use rsa::pkcs8::EncodePrivateKey;
        other_key.to_pkcs8_pem(rsa::pkcs8::LineEnding::LF).unwrap().to_string()
    };
    let options =
        ClientOptions { endpoint: Some(Url::parse(&running.http_url()).unwrap()), ..ClientOptions::default() };
    let wrong =
        Client::new(Signer::new(KEY_ID, PrivateKey::from_pem(&pem).unwrap(), Algorithm::V2), options.clone()).unwrap();
    assert_eq!(api_error(wrong.get_charge("x").await), (403, "InvalidRequestSignature".into()));
    let unknown =
        Client::new(Signer::new("SANDBOX-UNKNOWN", PrivateKey::from_pem(&pem).unwrap(), Algorithm::V2), options)
            .unwrap();
    assert_eq!(api_error(unknown.get_charge("x").await), (403, "InvalidRequestSignature".into()));

    // Unsigned requests, stale dates and /live/ paths.
    let http = reqwest::Client::new();
    let bare = http.get(format!("{}/v2/charges/x", running.http_url())).send().await.unwrap();
    assert_eq!(bare.status().as_u16(), 400);
    assert!(bare.headers().contains_key("x-amz-pay-request-id"));
    assert_eq!(serde_json::from_str::<Value>(&bare.text().await.unwrap()).unwrap()["reasonCode"], "MissingHeader");
    let prepared = good.prepare(Operation::GetCharge, Some("x"), Vec::new(), None, "20200101T000000Z").unwrap();
    let mut stale = http.get(&prepared.url);
    for (n, v) in &prepared.headers {
        stale = stale.header(n, v);
    }
    let stale = stale.send().await.unwrap();
    assert_eq!(stale.status().as_u16(), 403);
    let live = http.get(format!("{}/live/v2/charges/x", running.http_url())).send().await.unwrap();
    assert_eq!(serde_json::from_str::<Value>(&live.text().await.unwrap()).unwrap()["reasonCode"], "InvalidRequest");
    running.shutdown().await;
}

#[tokio::test]
async fn bad_input_gets_the_documented_status_and_changes_nothing() {
    let running = emulator(true).await;
    let c = client(&running, Algorithm::V2);
    let raw = |op, id: Option<&str>, body: &str| {
        let c = c.clone();
        let body = body.as_bytes().to_vec();
        let id = id.map(str::to_owned);
        async move {
            let r = c.call(op, id.as_deref(), Some(body)).await.unwrap();
            (
                r.status,
                r.json().unwrap()["reasonCode"].as_str().unwrap_or("").to_owned(),
                r.json().unwrap()["message"].as_str().unwrap_or("").to_owned(),
            )
        }
    };
    assert_eq!(raw(Operation::CreateCheckoutSession, None, "{not json").await.1, "InvalidRequestFormat");
    let (status, code, message) = raw(
        Operation::CreateCheckoutSession,
        None,
        r#"{"storeId":"s","webCheckoutDetails":{"checkoutReviewReturnUrl":"http://x/","bogus":1}}"#,
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "UnrecognizedField"));
    assert!(message.contains("webCheckoutDetails.bogus"), "{message}");
    let (_, code, message) = raw(Operation::CreateCheckoutSession, None, r#"{"storeId":"s","webCheckoutDetails":{"checkoutReviewReturnUrl":"http://x/"},"paymentDetails":{"chargeAmount":{"amount":"10.5","currencyCode":"JPY"}}}"#).await;
    assert_eq!(code, "InvalidParameterValue");
    assert!(message.contains("chargeAmount"), "{message}");
    let (_, code, _) = raw(
        Operation::CreateCheckoutSession,
        None,
        r#"{"webCheckoutDetails":{"checkoutReviewReturnUrl":"http://x/"}}"#,
    )
    .await;
    assert_eq!(code, "MissingParameterValue");
    let (_, code, _) = raw(Operation::CreateCheckoutSession, None, r#"{"storeId":"s","webCheckoutDetails":{"checkoutReviewReturnUrl":"http://x/"},"paymentDetails":{"chargeAmount":{"amount":"10000001","currencyCode":"JPY"}}}"#).await;
    assert_eq!(code, "TransactionAmountExceeded");
    let (_, code, _) = raw(Operation::CreateCheckoutSession, None, r#"{"storeId":"s","webCheckoutDetails":{"checkoutReviewReturnUrl":"http://x/"},"paymentDetails":{"chargeAmount":{"amount":"100","currencyCode":"USD"}}}"#).await;
    assert_eq!(code, "CurrencyMismatch");
    let simulated = c.simulating("NoSuchCode").create_checkout_session(&create_request()).await;
    assert_eq!(api_error(simulated), (400, "InvalidSandboxSimulationSpecified".into()));

    // A rejected update leaves the session as it was.
    let session = c.create_checkout_session(&create_request()).await.unwrap();
    let bad = UpdateCheckoutSessionRequest { payment_details: Some(authorize(10_000_001)), ..Default::default() };
    assert_eq!(
        api_error(c.update_checkout_session(&session.checkout_session_id, &bad).await).1,
        "TransactionAmountExceeded"
    );
    let after = c.get_checkout_session(&session.checkout_session_id).await.unwrap();
    assert_eq!(after.payment_details.as_ref().unwrap().charge_amount, None);
    let objects: Value = serde_json::from_str(
        &reqwest::get(format!("{}/__emulator/merchants/{KEY_ID}/objects", running.http_url()))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(objects["checkoutSessions"].as_array().unwrap().len(), 1, "no failed create left an object behind");
    running.shutdown().await;
}

#[tokio::test]
async fn idempotency_replays_the_first_response_and_refuses_a_changed_body() {
    let running = emulator(true).await;
    let c = client(&running, Algorithm::V2).with_idempotency_key("replay-key-0001");
    let first = c.create_checkout_session(&create_request()).await.unwrap();
    let again = c.create_checkout_session(&create_request()).await.unwrap();
    assert_eq!(first.checkout_session_id, again.checkout_session_id);
    let mut changed = create_request();
    changed.store_id = Some("another".into());
    assert_eq!(api_error(c.create_checkout_session(&changed).await), (400, "DuplicateIdempotencyKey".into()));
    let too_long = client(&running, Algorithm::V2).with_idempotency_key("x".repeat(33));
    assert_eq!(api_error(too_long.create_checkout_session(&create_request()).await).1, "InvalidHeaderValue");

    // Concurrent requests with one key create exactly one object.
    let same = client(&running, Algorithm::V2).with_idempotency_key("concurrent-0001");
    let results = futures_join(&same).await;
    assert!(results.windows(2).all(|w| w[0] == w[1]), "{results:?}");
    running.shutdown().await;
}

async fn futures_join(c: &Client) -> Vec<String> {
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move {
                c.create_checkout_session(&create_request()).await.unwrap().checkout_session_id.clone()
            })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids
}

#[tokio::test]
async fn one_time_flow_capture_refund_and_limits() {
    let running = emulator(true).await;
    let c = client(&running, Algorithm::V2);
    let done = checkout(&running, &c, "1111", authorize(10_000)).await.unwrap();
    assert_eq!((done.status, done.state()), (200, CheckoutSessionState::Completed));
    let charge_id = done.charge_id.clone().unwrap();
    let permission_id = done.charge_permission_id.clone().unwrap();
    let session_id = done.checkout_session_id.clone();
    // A second Complete is refused.
    let again = c
        .complete_checkout_session(
            &session_id,
            &CompleteCheckoutSessionRequest { charge_amount: Some(Price::jpy(10_000)), total_order_amount: None },
        )
        .await;
    assert_eq!(api_error(again), (422, "InvalidCheckoutSessionStatus".into()));

    // Over-authorization: order ¥10,000 → ¥11,500 in total.
    let more = |amount| CreateChargeRequest {
        charge_permission_id: Some(permission_id.clone()),
        charge_amount: Some(Price::jpy(amount)),
        ..Default::default()
    };
    assert_eq!(api_error(c.create_charge(&more(1_501)).await), (400, "TransactionAmountExceeded".into()));
    let extra = c.create_charge(&more(1_500)).await.unwrap();
    assert_eq!(extra.state(), ChargeState::Authorized);
    c.cancel_charge(&extra.charge_id, &CancelChargeRequest { cancellation_reason: Some("not needed".into()) })
        .await
        .unwrap();

    // Refund before capture is refused; after capture it settles on the clock.
    assert_eq!(
        api_error(
            c.create_refund(&CreateRefundRequest {
                charge_id: Some(charge_id.clone()),
                refund_amount: Some(Price::jpy(100)),
                soft_descriptor: None
            })
            .await
        ),
        (422, "InvalidChargeStatus".into())
    );
    let captured = c
        .capture_charge(
            &charge_id,
            &CaptureChargeRequest { capture_amount: Some(Price::jpy(10_000)), soft_descriptor: None },
        )
        .await
        .unwrap();
    assert_eq!(captured.state(), ChargeState::Captured);
    let permission = c.get_charge_permission(&permission_id).await.unwrap();
    assert_eq!((permission.state(), permission.reason_codes()), (ChargePermissionState::Closed, vec!["AmazonClosed"]));
    assert_eq!(
        api_error(c.cancel_charge(&charge_id, &CancelChargeRequest::default()).await),
        (422, "InvalidChargeStatus".into())
    );
    let refund = |amount| CreateRefundRequest {
        charge_id: Some(charge_id.clone()),
        refund_amount: Some(Price::jpy(amount)),
        soft_descriptor: None,
    };
    let r1 = c.create_refund(&refund(6_000)).await.unwrap();
    assert_eq!(r1.state(), RefundState::RefundInitiated);
    c.create_refund(&refund(5_500)).await.unwrap();
    assert_eq!(api_error(c.create_refund(&refund(1)).await), (400, "TransactionAmountExceeded".into()));
    advance(&running, 30).await;
    assert_eq!(c.get_refund(&r1.refund_id).await.unwrap().state(), RefundState::Refunded);
    let charge = c.get_charge(&charge_id).await.unwrap();
    assert_eq!(charge.refunded_amount, Some(Price::jpy(11_500)));
    running.shutdown().await;
}

#[tokio::test]
async fn simulations_pending_cards_declines_and_expiry() {
    let running = emulator(true).await;
    let c = client(&running, Algorithm::V2);
    // …0701 with canHandlePendingAuthorization: 202, pending, Authorized 30 s later.
    let pending = PaymentDetails { can_handle_pending_authorization: Some(true), ..authorize(5_000) };
    let done = checkout(&running, &c, "0701", pending).await.unwrap();
    assert_eq!(done.status, 202);
    let charge_id = done.charge_id.clone().unwrap();
    assert_eq!(c.get_charge(&charge_id).await.unwrap().state(), ChargeState::AuthorizationInitiated);
    advance(&running, 30).await;
    assert_eq!(c.get_charge(&charge_id).await.unwrap().state(), ChargeState::Authorized);
    // …0701 without it: the documented prerequisite error.
    let refused = checkout(&running, &c, "0701", authorize(5_000)).await;
    assert_eq!(api_error(refused), (400, "InvalidSandboxSimulationSpecified".into()));
    // …3434: declined at checkout.
    let declined = checkout(&running, &c, "3434", authorize(5_000)).await;
    assert_eq!(api_error(declined), (422, "CheckoutSessionCanceled".into()));
    // HardDeclined by simulation code: an error, and the permission becomes NonChargeable.
    let confirm = PaymentDetails { payment_intent: Some(PaymentIntent::Confirm), ..authorize(50_000) };
    let done = checkout(&running, &c, "1111", confirm).await.unwrap();
    let permission_id = done.charge_permission_id.clone().unwrap();
    assert!(done.charge_id.is_none());
    let charge = CreateChargeRequest {
        charge_permission_id: Some(permission_id.clone()),
        charge_amount: Some(Price::jpy(1_000)),
        ..Default::default()
    };
    assert_eq!(api_error(c.simulating("HardDeclined").create_charge(&charge).await), (422, "HardDeclined".into()));
    assert_eq!(c.get_charge_permission(&permission_id).await.unwrap().state(), ChargePermissionState::NonChargeable);
    // Authorizations lapse after 30 days.
    advance(&running, 31 * 24 * 3600).await;
    let expired = c.get_charge(&charge_id).await.unwrap();
    assert_eq!((expired.state(), expired.reason_code()), (ChargeState::Canceled, Some("ExpiredUnused")));
    running.shutdown().await;
}

fn charge_on(permission_id: &str, amount: i64) -> CreateChargeRequest {
    CreateChargeRequest {
        charge_permission_id: Some(permission_id.to_owned()),
        charge_amount: Some(Price::jpy(amount)),
        ..Default::default()
    }
}

#[tokio::test]
async fn recurring_monthly_limit_and_reset_next_month() {
    let running = emulator(true).await;
    let c = client(&running, Algorithm::V2);
    let update = UpdateCheckoutSessionRequest {
        payment_details: Some(authorize(60_000)),
        charge_permission_type: Some(ChargePermissionType::Recurring),
        recurring_metadata: Some(RecurringMetadata {
            frequency: Some(Frequency { unit: "Month".into(), value: "1".into() }),
            amount: Some(Price::jpy(60_000)),
        }),
        ..Default::default()
    };
    let done = checkout_with(&running, &c, "1111", update).await.unwrap();
    let permission_id = done.charge_permission_id.clone().unwrap();
    let permission = c.get_charge_permission(&permission_id).await.unwrap();
    let limits = permission.limits.clone().unwrap();
    assert_eq!((limits.amount_limit, limits.amount_balance), (Some(Price::jpy(100_000)), Some(Price::jpy(40_000))));
    assert_eq!(
        api_error(c.create_charge(&charge_on(&permission_id, 40_001)).await),
        (400, "PeriodicAmountExceeded".into())
    );
    c.create_charge(&charge_on(&permission_id, 40_000)).await.unwrap();
    advance(&running, 32 * 24 * 3600).await;
    c.create_charge(&charge_on(&permission_id, 100_000)).await.unwrap();
    // Withdrawal: Close → Closed/MerchantClosed; charging afterwards fails.
    let closed = c
        .close_charge_permission(
            &permission_id,
            &CloseChargePermissionRequest {
                closure_reason: Some("解約".into()), cancel_pending_charges: Some(false)
            },
        )
        .await
        .unwrap();
    assert_eq!((closed.state(), closed.reason_codes()), (ChargePermissionState::Closed, vec!["MerchantClosed"]));
    assert_eq!(
        api_error(c.create_charge(&charge_on(&permission_id, 1)).await),
        (422, "InvalidChargePermissionStatus".into())
    );
    running.shutdown().await;
}

#[tokio::test]
async fn close_with_cancel_pending_charges_and_the_26th_charge() {
    let running = emulator(true).await;
    let c = client(&running, Algorithm::V2);
    let confirm = |amount| PaymentDetails { payment_intent: Some(PaymentIntent::Confirm), ..authorize(amount) };
    let done = checkout(&running, &c, "1111", confirm(10_000)).await.unwrap();
    let permission_id = done.charge_permission_id.clone().unwrap();
    let a = c.create_charge(&charge_on(&permission_id, 3_000)).await.unwrap();
    let b = c.create_charge(&charge_on(&permission_id, 3_000)).await.unwrap();
    c.close_charge_permission(
        &permission_id,
        &CloseChargePermissionRequest { closure_reason: None, cancel_pending_charges: Some(true) },
    )
    .await
    .unwrap();
    for id in [&a.charge_id, &b.charge_id] {
        let charge = c.get_charge(id).await.unwrap();
        assert_eq!((charge.state(), charge.reason_code()), (ChargeState::Canceled, Some("ChargePermissionCanceled")));
    }

    let done = checkout(&running, &c, "1111", confirm(100_000)).await.unwrap();
    let permission_id = done.charge_permission_id.clone().unwrap();
    for _ in 0..25 {
        c.create_charge(&charge_on(&permission_id, 1)).await.unwrap();
    }
    assert_eq!(
        api_error(c.create_charge(&charge_on(&permission_id, 1)).await),
        (422, "TransactionCountExceeded".into())
    );
    running.shutdown().await;
}

#[tokio::test]
async fn capture_at_checkout_finalize_and_expiries() {
    let running = emulator(true).await;
    let c = client(&running, Algorithm::V2);
    let with_capture = PaymentDetails { payment_intent: Some(PaymentIntent::AuthorizeWithCapture), ..authorize(3_000) };
    let done = checkout(&running, &c, "0000", with_capture).await.unwrap();
    assert_eq!(c.get_charge(done.charge_id.as_ref().unwrap()).await.unwrap().state(), ChargeState::Captured);

    // Finalize completes with the amounts it carries.
    let session = c.create_checkout_session(&create_request()).await.unwrap();
    let id = session.checkout_session_id.clone();
    buyer(&running, &id, json!({ "card": "1111" })).await;
    let update = UpdateCheckoutSessionRequest {
        web_checkout_details: Some(WebCheckoutDetails {
            checkout_result_return_url: Some("http://localhost/result".into()),
            ..Default::default()
        }),
        payment_details: Some(authorize(2_000)),
        ..Default::default()
    };
    c.update_checkout_session(&id, &update).await.unwrap();
    buyer(&running, &id, json!({})).await;
    let finalized = c
        .finalize_checkout_session(
            &id,
            &FinalizeCheckoutSessionRequest {
                charge_amount: Some(Price::jpy(2_000)),
                payment_intent: Some(PaymentIntent::Authorize),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(finalized.state(), CheckoutSessionState::Completed);
    let permission_id = finalized.charge_permission_id.clone().unwrap();

    // …4354: pending, then Declined/HardDeclined.
    let pending = PaymentDetails { can_handle_pending_authorization: Some(true), ..authorize(5_000) };
    let declined = checkout(&running, &c, "4354", pending).await.unwrap();
    advance(&running, 30).await;
    let charge = c.get_charge(declined.charge_id.as_ref().unwrap()).await.unwrap();
    assert_eq!((charge.state(), charge.reason_code()), (ChargeState::Declined, Some("HardDeclined")));

    // An Open session is Canceled/Expired after 24 h; a OneTime permission Closed/Expired after 180 days.
    let open = c.create_checkout_session(&create_request()).await.unwrap();
    advance(&running, 25 * 3600).await;
    let expired = c.get_checkout_session(&open.checkout_session_id).await.unwrap();
    assert_eq!(
        (expired.state(), expired.status_details.reason_code.as_deref()),
        (CheckoutSessionState::Canceled, Some("Expired"))
    );
    advance(&running, 181 * 24 * 3600).await;
    let permission = c.get_charge_permission(&permission_id).await.unwrap();
    assert_eq!((permission.state(), permission.reason_codes()), (ChargePermissionState::Closed, vec!["Expired"]));
    running.shutdown().await;
}

#[tokio::test]
async fn oversized_bodies_and_unknown_ids_are_4xx() {
    let running = emulator(true).await;
    let c = client(&running, Algorithm::V2);
    let huge = format!(r#"{{"storeId":"{}"}}"#, "x".repeat(300 * 1024));
    let response = c.call(Operation::CreateCheckoutSession, None, Some(huge.into_bytes())).await.unwrap();
    assert_eq!(response.status, 400);
    assert_eq!(api_error(c.get_refund("S03-0000000-0000000-R000000").await), (404, "ResourceNotFound".into()));
    assert_eq!(api_error(c.get_checkout_session("no-such-session").await), (404, "ResourceNotFound".into()));
    running.shutdown().await;
}
