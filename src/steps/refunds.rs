//! 返金: Create / Get Refund on the scenario's latest charge.

use cucumber::{then, when};

use super::checkout::api_value;
use super::{Attempt, ConformanceWorld, StepResult, Yen};
use crate::model::*;

#[when(regex = r"^出品者が ¥([\d,]+) を返金(する|しようとする)$")]
async fn merchant_refunds(w: &mut ConformanceWorld, amount: Yen, attempt: Attempt) -> StepResult {
    let request = CreateRefundRequest {
        charge_id: Some(w.charge_id(None)?),
        refund_amount: Some(amount.price()),
        ..CreateRefundRequest::default()
    };
    let result = w.client()?.create_refund(&request).await;
    if let Some(refund) = w.settle(attempt, "Create Refund", result)? {
        w.refunds.push(refund.refund_id);
    }
    Ok(())
}

async fn refund_state(w: &mut ConformanceWorld, id: String) -> anyhow::Result<RefundState> {
    let result = w.client()?.get_refund(&id).await;
    let refund = w.settle(Attempt::Must, "Get Refund", result)?.expect("Must gives a value");
    Ok(refund.status_details.state)
}

#[then(regex = r"^(返金|すべての返金)は「(\w+)」である$")]
async fn refunds_are(w: &mut ConformanceWorld, which: String, state: String) -> StepResult {
    Ok(w.eventually(move |w| Box::pin(refunds_are_holds(w, which.clone(), state.clone()))).await?)
}

async fn refunds_are_holds(w: &mut ConformanceWorld, which: String, state: String) -> anyhow::Result<()> {
    let expected: RefundState = api_value(&state)?;
    let ids: Vec<String> =
        if which == "返金" { w.refunds.last().cloned().into_iter().collect() } else { w.refunds.clone() };
    ensure!(!ids.is_empty(), "no refund was created");
    for id in ids {
        let got = refund_state(w, id.clone()).await?;
        ensure!(got == expected, "Refund {id} is {got:?}, expected {state}");
    }
    Ok(())
}
