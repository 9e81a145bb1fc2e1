//! The protocol underneath every flow: signed requests, idempotency and bad input.

use anyhow::Context as _;
use cucumber::{then, when};

use super::checkout::{get_session, REVIEW};
use super::{Attempt, ConformanceWorld, StepResult};
use crate::client::new_idempotency_key;
use crate::model::*;
use crate::operation::Operation;

fn create_request(w: &ConformanceWorld, reference: &str) -> anyhow::Result<CreateCheckoutSessionRequest> {
    Ok(CreateCheckoutSessionRequest {
        web_checkout_details: Some(WebCheckoutDetails {
            checkout_review_return_url: Some(w.merchant_url(REVIEW)?.to_string()),
            ..WebCheckoutDetails::default()
        }),
        store_id: Some(w.merchant()?.store_id.clone()),
        merchant_metadata: Some(MerchantMetadata {
            merchant_reference_id: Some(reference.to_owned()),
            ..MerchantMetadata::default()
        }),
        ..CreateCheckoutSessionRequest::default()
    })
}

#[when(regex = r"^出品者がチェックアウトセッションを作成する$")]
async fn merchant_creates(w: &mut ConformanceWorld) -> StepResult {
    let key = new_idempotency_key();
    let request = create_request(w, "order-0001")?;
    let result = w.client()?.with_idempotency_key(key.clone()).create_checkout_session(&request).await;
    let session = w.settle(Attempt::Must, "Create Checkout Session", result)?.expect("Must gives a value");
    w.saw_session(session);
    w.sent = Some((key, request));
    Ok(())
}

#[when(regex = r"^出品者が改ざんした署名でチェックアウトセッションを作成しようとする$")]
async fn merchant_creates_tampered(w: &mut ConformanceWorld) -> StepResult {
    let request = create_request(w, "order-0002")?;
    let result = w.client()?.with_corrupted_signature().create_checkout_session(&request).await;
    if let Some(session) = w.settle(Attempt::Try, "Create Checkout Session", result)? {
        bail!("a tampered signature was accepted: Checkout Session {}", session.checkout_session_id);
    }
    Ok(())
}

#[when(regex = r"^出品者が同じ冪等キーでチェックアウトセッションの作成を再送する$")]
async fn merchant_replays(w: &mut ConformanceWorld) -> StepResult {
    let (key, request) = w.sent.clone().context("no Create Checkout Session was sent")?;
    let result = w.client()?.with_idempotency_key(key).create_checkout_session(&request).await;
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
    let result = w.client()?.with_idempotency_key(key).create_checkout_session(&changed).await;
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

/// Bodies a careless integration sends, named as the feature names them.
fn bad_update_body(kind: &str) -> anyhow::Result<Vec<u8>> {
    let amount = |amount: &str| {
        format!(
            r#"{{"paymentDetails":{{"paymentIntent":"Authorize","chargeAmount":{{"amount":"{amount}","currencyCode":"JPY"}}}}}}"#
        )
    };
    Ok(match kind {
        "円の小数を含む金額 ¥100.5" => amount("100.5"),
        "上限を超える金額 ¥10,000,001" => amount("10000001"),
        "未知の項目" => r#"{"paymentDetails":{"paymentIntent":"Authorize","chargeAmount":{"amount":"100","currencyCode":"JPY"}},"giftWrap":true}"#.to_owned(),
        "壊れた JSON" => r#"{"paymentDetails":{"paymentIntent":"Authorize","#.to_owned(),
        other => bail!("no bad input called 「{other}」 is defined"),
    }
    .into_bytes())
}

#[when(regex = r"^出品者が「(.+)」でチェックアウトセッションを更新しようとする$")]
async fn merchant_sends_bad_update(w: &mut ConformanceWorld, kind: String) -> StepResult {
    let body = bad_update_body(&kind)?;
    let id = w.session_id()?;
    let raw = w.client()?.call(Operation::UpdateCheckoutSession, Some(&id), Some(body)).await?;
    w.settle_raw(&raw);
    Ok(())
}

#[when(regex = r"^出品者が存在しないチャージを取得しようとする$")]
async fn merchant_gets_unknown(w: &mut ConformanceWorld) -> StepResult {
    let result = w.client()?.get_charge("S03-0000000-0000000-C000000").await;
    w.settle(Attempt::Try, "Get Charge", result)?;
    Ok(())
}

#[then(regex = r"^エラー「(\w+)」\(HTTP (\d{3})\) になる$")]
async fn error_is(w: &mut ConformanceWorld, reason: String, status: u16) -> StepResult {
    let error = w.last_error()?;
    ensure!(
        error.reason_code == reason && error.status == status,
        "the error is HTTP {} {} ({}), expected HTTP {status} {reason}",
        error.status,
        error.reason_code,
        error.message
    );
    ensure!(!error.message.is_empty(), "the error has no message");
    Ok(())
}
