//! チャージとチャージパーミッション: Create / Get / Capture / Cancel Charge, Get / Close Charge
//! Permission, and the states they reach.

use anyhow::Context as _;
use cucumber::{then, when};

use super::checkout::expect_status;
use super::needs::{Declared, Vocabulary};
use super::params::{Attempt, ChargeAmount, Nth, Optional, ReasonCode, Yen};
use super::{ConformanceWorld, StepResult};
use crate::model::*;

/// Any merchant can do what these steps ask, on any target.
pub(super) const VOCABULARY: Vocabulary = Vocabulary { file: file!(), needs: Declared::Nothing };

async fn create_charge(
    w: &mut ConformanceWorld,
    attempt: Attempt,
    amount: Yen,
    capture_now: bool,
    simulation: Option<&ReasonCode>,
) -> anyhow::Result<()> {
    let request = CreateChargeRequest {
        charge_permission_id: Some(w.permission_id()?),
        charge_amount: Some(amount.price()),
        capture_now: Some(capture_now),
        ..CreateChargeRequest::default()
    };
    let result = w.merchant()?.create_charge(&request, simulation.map(|code| code.0.as_str())).await;
    if let Some(charge) = w.settle(attempt, "Create Charge", result)? {
        w.charges.push(charge.charge_id);
    }
    Ok(())
}

#[when(expr = r"出品者が {yen} のチャージを作成{attempt}")]
async fn merchant_charges(w: &mut ConformanceWorld, amount: Yen, attempt: Attempt) -> StepResult {
    Ok(create_charge(w, attempt, amount, false, None).await?)
}

#[when(expr = r"出品者が {yen} のチャージを即時売上請求で作成{attempt}")]
async fn merchant_charges_and_captures(w: &mut ConformanceWorld, amount: Yen, attempt: Attempt) -> StepResult {
    Ok(create_charge(w, attempt, amount, true, None).await?)
}

/// The sandbox's simulation codes are named after the reason code they produce.
#[when(expr = r"出品者がシミュレーション「{reason}」で {yen} のチャージを作成しようとする")]
async fn merchant_charges_simulated(w: &mut ConformanceWorld, code: ReasonCode, amount: Yen) -> StepResult {
    Ok(create_charge(w, Attempt::Try, amount, false, Some(&code)).await?)
}

#[when(expr = r"出品者が {yen} のチャージを {int} 回作成する")]
async fn merchant_charges_repeatedly(w: &mut ConformanceWorld, amount: Yen, times: usize) -> StepResult {
    for _ in 0..times {
        create_charge(w, Attempt::Must, amount, false, None).await?;
    }
    Ok(())
}

async fn capture(w: &mut ConformanceWorld, attempt: Attempt, amount: Option<Yen>) -> anyhow::Result<()> {
    let id = w.charge_id(None)?;
    let amount = match amount {
        Some(a) => a.price(),
        None => get_charge(w, None).await?.charge_amount.context("the Charge has no chargeAmount")?,
    };
    let request = CaptureChargeRequest { capture_amount: Some(amount), ..CaptureChargeRequest::default() };
    let result = w.merchant()?.capture_charge(&id, &request).await;
    w.settle(attempt, "Capture Charge", result)?;
    Ok(())
}

#[when(expr = r"出品者がチャージを売上請求{attempt}")]
async fn merchant_captures(w: &mut ConformanceWorld, attempt: Attempt) -> StepResult {
    Ok(capture(w, attempt, None).await?)
}

#[when(expr = r"出品者がチャージの {yen} を売上請求する")]
async fn merchant_captures_part(w: &mut ConformanceWorld, amount: Yen) -> StepResult {
    Ok(capture(w, Attempt::Must, Some(amount)).await?)
}

#[when(expr = r"出品者がチャージを取り消{attempt}")]
async fn merchant_cancels(w: &mut ConformanceWorld, attempt: Attempt) -> StepResult {
    let id = w.charge_id(None)?;
    let request = CancelChargeRequest { cancellation_reason: Some("注文取消".into()) };
    let result = w.merchant()?.cancel_charge(&id, &request).await;
    w.settle(attempt, "Cancel Charge", result)?;
    Ok(())
}

async fn close(w: &mut ConformanceWorld, cancel_pending: bool) -> anyhow::Result<()> {
    let id = w.permission_id()?;
    let request = CloseChargePermissionRequest {
        closure_reason: Some("購入者の退会".into()),
        cancel_pending_charges: Some(cancel_pending),
    };
    let result = w.merchant()?.close_charge_permission(&id, &request).await;
    w.settle(Attempt::Must, "Close Charge Permission", result)?;
    Ok(())
}

#[when(regex = r"^出品者がチャージパーミッションをクローズする$")]
async fn merchant_closes(w: &mut ConformanceWorld) -> StepResult {
    Ok(close(w, false).await?)
}

#[when(regex = r"^出品者が保留中のチャージも取り消してチャージパーミッションをクローズする$")]
async fn merchant_closes_cancelling(w: &mut ConformanceWorld) -> StepResult {
    Ok(close(w, true).await?)
}

#[when(regex = r"^出品者が存在しないチャージを取得しようとする$")]
async fn merchant_gets_unknown(w: &mut ConformanceWorld) -> StepResult {
    let result = w.merchant()?.get_charge("S03-0000000-0000000-C000000").await;
    w.settle(Attempt::Try, "Get Charge", result)?;
    Ok(())
}

async fn get_charge(w: &mut ConformanceWorld, nth: Option<Nth>) -> anyhow::Result<Charge> {
    let id = w.charge_id(nth.map(|n| n.0))?;
    let result = w.merchant()?.get_charge(&id).await;
    Ok(w.settle(Attempt::Must, "Get Charge", result)?.expect("Must gives a value"))
}

#[then(regex = r"^(?:(\d+) 回目の)?チャージは「(\w+)」(?:、理由は「(\w+)」)?である$")]
async fn charge_state(
    w: &mut ConformanceWorld,
    nth: Optional<Nth>,
    state: ChargeState,
    reason: Optional<ReasonCode>,
) -> StepResult {
    Ok(w.eventually(move |w| Box::pin(charge_state_holds(w, nth.0, state, reason.clone()))).await?)
}

async fn charge_state_holds(
    w: &mut ConformanceWorld,
    nth: Option<Nth>,
    state: ChargeState,
    reason: Optional<ReasonCode>,
) -> anyhow::Result<()> {
    let charge = get_charge(w, nth).await?;
    expect_status("Charge", &charge.status_details, state, &reason)
}

#[then(expr = r"チャージは「{charge_state}」で、金額は {yen} である")]
async fn charge_state_and_amount(w: &mut ConformanceWorld, state: ChargeState, amount: Yen) -> StepResult {
    Ok(w.eventually(move |w| Box::pin(charge_state_and_amount_holds(w, state, amount))).await?)
}

async fn charge_state_and_amount_holds(
    w: &mut ConformanceWorld,
    state: ChargeState,
    amount: Yen,
) -> anyhow::Result<()> {
    let charge = get_charge(w, None).await?;
    ensure!(
        charge.status_details.state == state,
        "the Charge is {:?}, expected {state:?}",
        charge.status_details.state
    );
    let got = charge.charge_amount.context("the Charge has no chargeAmount")?;
    ensure!(got == amount.price(), "chargeAmount is {got}, expected {amount}");
    Ok(())
}

#[then(expr = r"チャージの{charge_amount}は {yen} である")]
async fn charge_amounts(w: &mut ConformanceWorld, which: ChargeAmount, amount: Yen) -> StepResult {
    Ok(w.eventually(move |w| Box::pin(charge_amounts_holds(w, which, amount))).await?)
}

async fn charge_amounts_holds(w: &mut ConformanceWorld, which: ChargeAmount, amount: Yen) -> anyhow::Result<()> {
    let charge = get_charge(w, None).await?;
    let (name, got) = match which {
        ChargeAmount::Captured => ("captureAmount", charge.capture_amount),
        ChargeAmount::Refunded => ("refundedAmount", charge.refunded_amount),
    };
    let got = got.with_context(|| format!("the Charge has no {name}"))?;
    ensure!(got == amount.price(), "{name} is {got}, expected {amount}");
    Ok(())
}

#[then(regex = r"^チャージパーミッションは「(\w+)」(?:、理由は「(\w+)」)?である$")]
async fn permission_state(
    w: &mut ConformanceWorld,
    state: ChargePermissionState,
    reason: Optional<ReasonCode>,
) -> StepResult {
    Ok(w.eventually(move |w| Box::pin(permission_state_holds(w, state, reason.clone()))).await?)
}

async fn permission_state_holds(
    w: &mut ConformanceWorld,
    state: ChargePermissionState,
    reason: Optional<ReasonCode>,
) -> anyhow::Result<()> {
    let id = w.permission_id()?;
    let result = w.merchant()?.get_charge_permission(&id).await;
    let permission = w.settle(Attempt::Must, "Get Charge Permission", result)?.expect("Must gives a value");
    let details = &permission.status_details;
    let reasons: Vec<&str> = details.reasons.iter().flatten().map(|r| r.reason_code.as_str()).collect();
    ensure!(details.state == state, "the Charge Permission is {:?} {reasons:?}, expected {state:?}", details.state);
    if let Optional(Some(reason)) = &reason {
        ensure!(reasons.contains(&reason.0.as_str()), "the reasons are {reasons:?}, expected {reason}");
    }
    Ok(())
}
