//! The protocol underneath every flow, exercised with powers only our own client has: signing
//! with a chosen algorithm, a tampered signature, a pinned idempotency key, malformed bodies. A
//! foreign merchant (an SDK, a shop) cannot be made to do these, so they need [`Need::OwnClient`].

use anyhow::Context as _;
use cucumber::{given, then, when};

use super::checkout::get_session;
use super::needs::{Declared, Need, Vocabulary};
use super::params::{Attempt, BadInput, MerchantPage};
use super::{ConformanceWorld, StepResult};
use crate::client::new_idempotency_key;
use crate::model::*;
use crate::operation::Operation;
use crate::signing::Algorithm;

pub(super) const VOCABULARY: Vocabulary = Vocabulary { file: file!(), needs: Declared::Always(Need::OwnClient) };

#[given(expr = r"出品者は署名方式「{algorithm}」で Amazon Pay に登録済みである")]
async fn merchant_registered_with(w: &mut ConformanceWorld, algorithm: Algorithm) -> StepResult {
    Ok(w.register_merchant(algorithm).await?)
}

fn create_request(w: &ConformanceWorld, reference: &str) -> anyhow::Result<CreateCheckoutSessionRequest> {
    Ok(CreateCheckoutSessionRequest {
        web_checkout_details: Some(WebCheckoutDetails {
            checkout_review_return_url: Some(w.merchant_url(MerchantPage::Review)?.to_string()),
            ..WebCheckoutDetails::default()
        }),
        store_id: Some(w.merchant()?.store_id().to_owned()),
        merchant_metadata: Some(MerchantMetadata {
            merchant_reference_id: Some(reference.to_owned()),
            ..MerchantMetadata::default()
        }),
        ..CreateCheckoutSessionRequest::default()
    })
}

/// Creates with a pinned idempotency key, kept (with the body) for the replays below.
#[when(regex = r"^出品者がチェックアウトセッションを作成する$")]
async fn merchant_creates(w: &mut ConformanceWorld) -> StepResult {
    let key = new_idempotency_key();
    let request = create_request(w, "order-0001")?;
    let result = w.own_client()?.with_idempotency_key(key.clone()).create_checkout_session(&request).await;
    let session = w.settle(Attempt::Must, "Create Checkout Session", result)?.expect("Must gives a value");
    w.saw_session(session);
    w.sent = Some((key, request));
    Ok(())
}

#[when(regex = r"^出品者が改ざんした署名でチェックアウトセッションを作成しようとする$")]
async fn merchant_creates_tampered(w: &mut ConformanceWorld) -> StepResult {
    let request = create_request(w, "order-0002")?;
    let result = w.own_client()?.with_corrupted_signature().create_checkout_session(&request).await;
    if let Some(session) = w.settle(Attempt::Try, "Create Checkout Session", result)? {
        bail!("a tampered signature was accepted: Checkout Session {}", session.checkout_session_id);
    }
    Ok(())
}

#[when(regex = r"^出品者が同じ冪等キーでチェックアウトセッションの作成を再送する$")]
async fn merchant_replays(w: &mut ConformanceWorld) -> StepResult {
    let (key, request) = w.sent.clone().context("no Create Checkout Session was sent")?;
    let result = w.own_client()?.with_idempotency_key(key).create_checkout_session(&request).await;
    let replayed = w.settle(Attempt::Must, "Create Checkout Session (replay)", result)?.expect("Must gives a value");
    let first = w.session_id()?;
    ensure!(
        replayed.checkout_session_id == first,
        "the replay created Checkout Session {} instead of returning {first}",
        replayed.checkout_session_id
    );
    Ok(())
}

#[when(regex = r"^出品者が同じ冪等キーで内容を変えてチェックアウトセッションを作成しようとする$")]
async fn merchant_reuses_key(w: &mut ConformanceWorld) -> StepResult {
    let (key, _) = w.sent.clone().context("no Create Checkout Session was sent")?;
    let changed = create_request(w, "order-9999")?;
    let result = w.own_client()?.with_idempotency_key(key).create_checkout_session(&changed).await;
    w.settle(Attempt::Try, "Create Checkout Session", result)?;
    Ok(())
}

#[then(regex = r"^同じチェックアウトセッションが返される$")]
async fn same_session(w: &mut ConformanceWorld) -> StepResult {
    // The replay step compared ids; the object must still be the one first created.
    let session = get_session(w).await?;
    let reference = session.merchant_metadata.and_then(|m| m.merchant_reference_id);
    ensure!(reference.as_deref() == Some("order-0001"), "the Checkout Session changed: {reference:?}");
    Ok(())
}

/// The body a careless integration sends for this bad input.
fn bad_update_body(input: BadInput) -> Vec<u8> {
    let amount = |amount: &str| {
        format!(
            r#"{{"paymentDetails":{{"paymentIntent":"Authorize","chargeAmount":{{"amount":"{amount}","currencyCode":"JPY"}}}}}}"#
        )
    };
    match input {
        BadInput::FractionalYen => amount("100.5"),
        BadInput::AboveLimit => amount("10000001"),
        BadInput::UnknownField => r#"{"paymentDetails":{"paymentIntent":"Authorize","chargeAmount":{"amount":"100","currencyCode":"JPY"}},"giftWrap":true}"#.to_owned(),
        BadInput::BrokenJson => r#"{"paymentDetails":{"paymentIntent":"Authorize","#.to_owned(),
    }
    .into_bytes()
}

#[when(expr = r"出品者が「{bad_input}」でチェックアウトセッションを更新しようとする")]
async fn merchant_sends_bad_update(w: &mut ConformanceWorld, input: BadInput) -> StepResult {
    let id = w.session_id()?;
    let raw = w.own_client()?.call(Operation::UpdateCheckoutSession, Some(&id), Some(bad_update_body(input))).await?;
    w.settle_raw(&raw);
    Ok(())
}
