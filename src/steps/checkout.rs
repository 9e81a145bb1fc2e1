//! 一般的な決済フロー, the merchant's side: registration, the cart and the button's payload, the
//! review page (Get), the final amount (Update), Complete, and what the merchant then sees. The
//! buyer's side is in [`super::buyer`].

use anyhow::Context as _;
use cucumber::{given, then, when};

use super::needs::{Declared, Vocabulary};
use super::params::{Attempt, MerchantPage, Optional, ReasonCode, Yen};
use super::world::{Cart, Confirmed};
use super::{ConformanceWorld, StepResult};
use crate::model::*;
use crate::signing::Algorithm;

/// Any merchant can do what these steps ask, on any target.
pub(super) const VOCABULARY: Vocabulary = Vocabulary { file: file!(), needs: Declared::Nothing };

/// Compares an object's `statusDetails` with the state (and, when given, the reason) a step names.
pub(super) fn expect_status<S>(
    object: &str,
    details: &StatusDetails<S>,
    state: S,
    reason: &Optional<ReasonCode>,
) -> anyhow::Result<()>
where
    S: PartialEq + std::fmt::Debug,
{
    let got = (&details.state, details.reason_code.as_deref());
    ensure!(got.0 == &state, "the {object} is {:?} ({:?}), expected {state:?}", got.0, got.1);
    if let Optional(Some(reason)) = reason {
        ensure!(got.1 == Some(reason.0.as_str()), "the {object}'s reason is {:?}, expected {reason}", got.1);
    }
    Ok(())
}

#[given(regex = r"^出品者は Amazon Pay に登録済みである$")]
async fn merchant_registered(w: &mut ConformanceWorld) -> StepResult {
    Ok(w.register_merchant(Algorithm::V2).await?)
}

// ── the cart ─────────────────────────────────────────────────────────────────────────────────

#[given(expr = r"カートに {yen} の商品がある")]
async fn cart_goods(w: &mut ConformanceWorld, amount: Yen) {
    w.cart = Cart { amount: Some(amount.price()), ..Cart::default() };
}

#[given(expr = r"カートに {yen} のデジタル商品 \(配送なし\) がある")]
async fn cart_digital(w: &mut ConformanceWorld, amount: Yen) {
    w.cart = Cart { amount: Some(amount.price()), product_type: ProductType::PayOnly, ..Cart::default() };
}

#[given(expr = r"カートに月額 {yen} の定期購入の商品がある")]
async fn cart_recurring(w: &mut ConformanceWorld, amount: Yen) {
    w.cart = Cart {
        amount: Some(amount.price()),
        kind: ChargePermissionType::Recurring,
        recurring: Some(RecurringMetadata {
            frequency: Some(Frequency { unit: "Month".into(), value: "1".into() }),
            amount: Some(amount.price()),
        }),
        ..Cart::default()
    };
}

#[given(regex = r"^出品者は保留中のオーソリに対応している$")]
async fn handles_pending(w: &mut ConformanceWorld) {
    w.cart.can_handle_pending = true;
}

#[given(regex = r"^出品者は購入者の支払い方法を保存する$")]
async fn payment_method_on_file(w: &mut ConformanceWorld) {
    w.cart.kind = ChargePermissionType::PaymentMethodOnFile;
}

#[given(regex = r"^出品者は支払い方法の保存のみを行う \(setupOnly\)$")]
async fn setup_only(w: &mut ConformanceWorld) {
    w.cart.kind = ChargePermissionType::PaymentMethodOnFile;
    w.cart.setup_only = true;
}

#[given(regex = r"^出品者はチャージパーミッションの有効期限を延長する \(extendExpiration\)$")]
async fn extend_expiration(w: &mut ConformanceWorld) {
    w.cart.extend_expiration = true;
}

#[given(expr = r"出品者は「今すぐ支払う」ボタンを表示する \(支払い意図「{intent}」\)")]
async fn apb_button(w: &mut ConformanceWorld, intent: PaymentIntent) {
    w.cart.apb_intent = Some(intent);
}

/// The button's `payloadJSON`, as the merchant's server builds it for `renderButton`.
pub(super) fn button_payload(w: &ConformanceWorld) -> anyhow::Result<CreateCheckoutSessionRequest> {
    let cart = &w.cart;
    let url = |page: MerchantPage| w.merchant_url(page).ok().map(String::from);
    let mut web = WebCheckoutDetails { checkout_cancel_url: url(MerchantPage::Cart), ..WebCheckoutDetails::default() };
    let mut payment = PaymentDetails::default();
    let mut address_details = None;
    match cart.apb_intent {
        Some(intent) => {
            web.checkout_mode = Some(CheckoutMode::ProcessOrder);
            web.checkout_result_return_url = url(MerchantPage::Result);
            payment.payment_intent = Some(intent);
            payment.can_handle_pending_authorization = cart.can_handle_pending.then_some(true);
            if !cart.setup_only {
                payment.charge_amount = cart.amount.clone();
            }
            if cart.product_type == ProductType::PayAndShip {
                address_details = Some(merchant_collected_address());
            }
        }
        None => web.checkout_review_return_url = url(MerchantPage::Review),
    }
    payment.extend_expiration = cart.extend_expiration.then_some(true);
    let payment_details = (payment != PaymentDetails::default()).then_some(payment);
    Ok(CreateCheckoutSessionRequest {
        web_checkout_details: Some(web),
        store_id: Some(w.merchant()?.store_id().to_owned()),
        charge_permission_type: Some(cart.kind),
        recurring_metadata: cart.recurring.clone(),
        payment_method_on_file_metadata: (cart.kind == ChargePermissionType::PaymentMethodOnFile)
            .then_some(PaymentMethodOnFileMetadata { setup_only: Some(cart.setup_only) }),
        payment_details,
        address_details,
        merchant_metadata: Some(merchant_metadata()),
        ..CreateCheckoutSessionRequest::default()
    })
}

/// The address an APB merchant collected itself and passes as `addressDetails`.
pub(super) fn merchant_collected_address() -> AddressDetails {
    AddressDetails {
        name: Some("鈴木 一郎".into()),
        address_line1: Some("渋谷区渋谷2-21-1".into()),
        address_line2: Some("ヒカリエ 8F".into()),
        state_or_region: Some("東京都".into()),
        postal_code: Some("150-8510".into()),
        country_code: Some("JP".into()),
        phone_number: Some("0300000000".into()),
        ..AddressDetails::default()
    }
}

fn merchant_metadata() -> MerchantMetadata {
    MerchantMetadata {
        merchant_reference_id: Some(format!("order-{}", &uuid::Uuid::new_v4().simple().to_string()[..12])),
        merchant_store_name: Some("apay-conformance テストストア".into()),
        ..MerchantMetadata::default()
    }
}

// ── the merchant: review page, Update, Complete ──────────────────────────────────────────────

pub(super) async fn get_session(w: &mut ConformanceWorld) -> anyhow::Result<CheckoutSession> {
    let id = w.session_id()?;
    let result = w.merchant()?.get_checkout_session(&id).await;
    let session = w.settle(Attempt::Must, "Get Checkout Session", result)?.expect("Must gives a value");
    w.saw_session(session.clone());
    Ok(session)
}

#[when(regex = r"^出品者がチェックアウトセッションを取得する$")]
async fn merchant_gets_session(w: &mut ConformanceWorld) -> StepResult {
    get_session(w).await?;
    Ok(())
}

pub(super) async fn update(w: &mut ConformanceWorld, payment: Option<PaymentDetails>) -> anyhow::Result<()> {
    let id = w.session_id()?;
    let result_url = w.merchant_url(MerchantPage::Result)?.to_string();
    let request = UpdateCheckoutSessionRequest {
        web_checkout_details: Some(WebCheckoutDetails {
            checkout_result_return_url: Some(result_url),
            ..WebCheckoutDetails::default()
        }),
        payment_details: payment.clone(),
        merchant_metadata: Some(merchant_metadata()),
        ..UpdateCheckoutSessionRequest::default()
    };
    let result = w.merchant()?.update_checkout_session(&id, &request).await;
    let session = w.settle(Attempt::Must, "Update Checkout Session", result)?.expect("Must gives a value");
    w.confirmed = Some(Confirmed {
        charge_amount: payment.as_ref().and_then(|p| p.charge_amount.clone()),
        total_order_amount: payment.and_then(|p| p.total_order_amount),
    });
    w.saw_session(session);
    Ok(())
}

pub(super) async fn confirm_amount(w: &mut ConformanceWorld, intent: PaymentIntent) -> anyhow::Result<()> {
    let amount = w.cart.amount.clone().context("the cart has no amount")?;
    let payment = PaymentDetails {
        payment_intent: Some(intent),
        charge_amount: Some(amount),
        can_handle_pending_authorization: w.cart.can_handle_pending.then_some(true),
        ..PaymentDetails::default()
    };
    update(w, Some(payment)).await
}

#[when(expr = r"出品者が支払い意図「{intent}」で金額を確定する")]
async fn merchant_confirms(w: &mut ConformanceWorld, intent: PaymentIntent) -> StepResult {
    Ok(confirm_amount(w, intent).await?)
}

#[when(expr = r"出品者が注文額 {yen} のうち {yen} を今回のオーソリ額として確定する")]
async fn merchant_confirms_part(w: &mut ConformanceWorld, total: Yen, now: Yen) -> StepResult {
    let payment = PaymentDetails {
        payment_intent: Some(PaymentIntent::Authorize),
        charge_amount: Some(now.price()),
        total_order_amount: Some(total.price()),
        ..PaymentDetails::default()
    };
    update(w, Some(payment)).await?;
    Ok(())
}

#[when(regex = r"^出品者が支払い方法の保存のみを確定する$")]
async fn merchant_confirms_setup(w: &mut ConformanceWorld) -> StepResult {
    Ok(update(w, None).await?)
}

#[then(regex = r"^購入者を Amazon Pay に戻す URL \(amazonPayRedirectUrl\) が返される$")]
async fn redirect_url_given(w: &mut ConformanceWorld) -> StepResult {
    let session = w.session.as_ref().context("no Checkout Session response yet")?;
    let constraints = session.constraint_ids();
    ensure!(constraints.is_empty(), "constraints remain: {constraints:?}");
    session.amazon_pay_redirect_url().context("the response has no amazonPayRedirectUrl")?;
    Ok(())
}

pub(super) async fn complete(w: &mut ConformanceWorld, attempt: Attempt, amount: Option<Yen>) -> anyhow::Result<()> {
    let id = w.session_id()?;
    let confirmed = w.confirmed.clone();
    // The amount the merchant's order says: what Update set, else (APB) what the button carried.
    let session_amount =
        || w.session.as_ref().and_then(|s| s.payment_details.as_ref()).and_then(|p| p.charge_amount.clone());
    let button_amount = || w.cart.apb_intent.and(w.cart.amount.clone()).filter(|_| !w.cart.setup_only);
    let request = CompleteCheckoutSessionRequest {
        charge_amount: amount
            .map(Yen::price)
            .or_else(|| confirmed.as_ref().and_then(|c| c.charge_amount.clone()))
            .or_else(session_amount)
            .or_else(button_amount),
        total_order_amount: confirmed.and_then(|c| c.total_order_amount),
    };
    let result = w.merchant()?.complete_checkout_session(&id, &request).await;
    if let Some(session) = w.settle(attempt, "Complete Checkout Session", result)? {
        w.saw_session(session);
    }
    Ok(())
}

#[when(expr = r"出品者がチェックアウトセッションを完了{attempt}")]
async fn merchant_completes(w: &mut ConformanceWorld, attempt: Attempt) -> StepResult {
    Ok(complete(w, attempt, None).await?)
}

#[when(expr = r"出品者が {yen} でチェックアウトセッションを完了しようとする")]
async fn merchant_completes_with(w: &mut ConformanceWorld, amount: Yen) -> StepResult {
    Ok(complete(w, Attempt::Try, Some(amount)).await?)
}

// ── what the merchant sees ───────────────────────────────────────────────────────────────────

#[then(regex = r"^チェックアウトセッションは「(\w+)」(?:、理由は「(\w+)」)?である$")]
async fn session_state(
    w: &mut ConformanceWorld,
    state: CheckoutSessionState,
    reason: Optional<ReasonCode>,
) -> StepResult {
    Ok(w.eventually(move |w| Box::pin(session_state_holds(w, state, reason.clone()))).await?)
}

async fn session_state_holds(
    w: &mut ConformanceWorld,
    state: CheckoutSessionState,
    reason: Optional<ReasonCode>,
) -> anyhow::Result<()> {
    let session = get_session(w).await?;
    expect_status("Checkout Session", &session.status_details, state, &reason)
}

#[then(regex = r"^レビュー画面に購入者の氏名とメールアドレスがある$")]
async fn review_has_buyer(w: &mut ConformanceWorld) -> StepResult {
    let session = w.session.as_ref().context("the merchant has not got the Checkout Session")?;
    let buyer = session.buyer.as_ref().context("the Checkout Session has no buyer")?;
    ensure!(buyer.name.as_deref().is_some_and(|n| !n.is_empty()), "the buyer has no name");
    ensure!(buyer.email.as_deref().is_some_and(|e| e.contains('@')), "the buyer has no e-mail address");
    Ok(())
}

#[then(regex = r"^レビュー画面にお届け先「(.+)」がある$")]
async fn review_has_address(w: &mut ConformanceWorld, region: String) -> StepResult {
    let session = w.session.as_ref().context("the merchant has not got the Checkout Session")?;
    let address = session.shipping_address.as_ref().context("the Checkout Session has no shippingAddress")?;
    ensure!(
        address.state_or_region.as_deref() == Some(region.as_str()),
        "the shipping address is in {:?}, expected {region}",
        address.state_or_region
    );
    ensure!(address.postal_code.is_some() && address.address_line1.is_some(), "the shipping address is incomplete");
    Ok(())
}

#[then(regex = r"^レビュー画面にお届け先がない$")]
async fn review_has_no_address(w: &mut ConformanceWorld) -> StepResult {
    let session = w.session.as_ref().context("the merchant has not got the Checkout Session")?;
    ensure!(session.shipping_address.is_none(), "a PayOnly Checkout Session has a shippingAddress");
    Ok(())
}

#[then(regex = r"^レビュー画面に支払い方法「(.+)」がある$")]
async fn review_has_payment(w: &mut ConformanceWorld, descriptor: String) -> StepResult {
    let session = w.session.as_ref().context("the merchant has not got the Checkout Session")?;
    let shown = session.payment_descriptor();
    ensure!(shown == Some(descriptor.as_str()), "the payment descriptor is {shown:?}, expected {descriptor}");
    Ok(())
}

#[then(regex = r"^完了は処理中 \(HTTP 202\) として受け付けられる$")]
async fn completed_pending(w: &mut ConformanceWorld) -> StepResult {
    let status = w.last_status()?;
    ensure!(status == 202, "Complete answered HTTP {status}, expected 202 Accepted");
    Ok(())
}

#[then(regex = r"^チャージは作成されていない$")]
async fn no_charge(w: &mut ConformanceWorld) -> StepResult {
    let session = get_session(w).await?;
    if let Some(id) = session.charge_id {
        bail!("the Checkout Session points to Charge {id}");
    }
    ensure!(w.charges.is_empty(), "the scenario has seen charges {:?}", w.charges);
    Ok(())
}

#[then(regex = r"^チェックアウトセッションの金額は設定されていない$")]
async fn session_amount_unset(w: &mut ConformanceWorld) -> StepResult {
    let session = get_session(w).await?;
    let amount = session.payment_details.and_then(|p| p.charge_amount.clone());
    ensure!(amount.is_none(), "the refused update left chargeAmount {amount:?} behind");
    Ok(())
}

#[then(expr = r"エラー「{reason}」\(HTTP {int}\) になる")]
async fn error_is(w: &mut ConformanceWorld, reason: ReasonCode, status: u16) -> StepResult {
    let error = w.last_error()?;
    ensure!(
        error.reason_code == reason.0 && error.status == status,
        "the error is HTTP {} {} ({}), expected HTTP {status} {reason}",
        error.status,
        error.reason_code,
        error.message
    );
    ensure!(!error.message.is_empty(), "the error has no message");
    Ok(())
}
