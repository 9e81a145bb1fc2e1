//! 返金: Create / Get Refund on the scenario's latest charge.

use cucumber::{then, when};

use super::needs::{Declared, Vocabulary};
use super::params::{Attempt, Refunds, Yen};
use super::{ConformanceWorld, StepResult};
use crate::model::*;

/// Any merchant can do what these steps ask, on any target.
pub(super) const VOCABULARY: Vocabulary = Vocabulary { file: file!(), needs: Declared::Nothing };

#[when(expr = r"出品者が {yen} を返金{attempt}")]
async fn merchant_refunds(w: &mut ConformanceWorld, amount: Yen, attempt: Attempt) -> StepResult {
    let request = CreateRefundRequest {
        charge_id: Some(w.charge_id(None)?),
        refund_amount: Some(amount.price()),
        ..CreateRefundRequest::default()
    };
    let result = w.merchant()?.create_refund(&request).await;
    if let Some(refund) = w.settle(attempt, "Create Refund", result)? {
        w.refunds.push(refund.refund_id);
    }
    Ok(())
}

async fn refund_state(w: &mut ConformanceWorld, id: &str) -> anyhow::Result<RefundState> {
    let result = w.merchant()?.get_refund(id).await;
    let refund = w.settle(Attempt::Must, "Get Refund", result)?.expect("Must gives a value");
    Ok(refund.status_details.state)
}

#[then(expr = r"{refunds}は「{refund_state}」である")]
async fn refunds_are(w: &mut ConformanceWorld, which: Refunds, state: RefundState) -> StepResult {
    Ok(w.eventually(move |w| Box::pin(refunds_are_holds(w, which, state))).await?)
}

async fn refunds_are_holds(w: &mut ConformanceWorld, which: Refunds, state: RefundState) -> anyhow::Result<()> {
    let ids: Vec<String> = match which {
        Refunds::Latest => w.refunds.last().cloned().into_iter().collect(),
        Refunds::All => w.refunds.clone(),
    };
    ensure!(!ids.is_empty(), "no refund was created");
    for id in ids {
        let got = refund_state(w, &id).await?;
        ensure!(got == state, "Refund {id} is {got:?}, expected {state:?}");
    }
    Ok(())
}
