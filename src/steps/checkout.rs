//! 一般的な決済フロー: the cart, the Amazon Pay button, the buyer on the hosted pages, the review
//! page (Get), the final amount (Update), the buyer's return, and Complete.

use anyhow::{anyhow, Context as _};
use cucumber::{given, then, when};
use serde::de::DeserializeOwned;

use super::world::{Cart, Confirmed};
use super::{Attempt, ConformanceWorld, StepResult, Yen};
use crate::buyer::{ButtonClick, Change};
use crate::model::*;
use crate::signing::Algorithm;

pub(super) const REVIEW: &str = "checkout/review";
pub(super) const RESULT: &str = "checkout/result";
pub(super) const CANCEL: &str = "cart";

/// Compares an object's `statusDetails` with the state (and, when given, the reason) a step names.
pub(super) fn expect_status<S>(
    object: &str,
    details: &StatusDetails<S>,
    state: &str,
    reason: &str,
) -> anyhow::Result<()>
where
    S: DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let expected: S = api_value(state)?;
    let got = (&details.state, details.reason_code.as_deref());
    ensure!(got.0 == &expected, "the {object} is {:?} ({:?}), expected {state}", got.0, got.1);
    ensure!(reason.is_empty() || got.1 == Some(reason), "the {object}'s reason is {:?}, expected {reason}", got.1);
    Ok(())
}

/// Parses an API enum value as written in a feature (`Authorize`, `Chargeable` …).
pub(super) fn api_value<T: DeserializeOwned>(text: &str) -> anyhow::Result<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| anyhow!("「{text}」 is not a value the API knows here"))
}

#[given(regex = r"^出品者は Amazon Pay に登録済みである$")]
async fn merchant_registered(w: &mut ConformanceWorld) -> StepResult {
    Ok(w.register_merchant(Algorithm::V2).await?)
}

#[given(regex = r"^出品者は署名方式「([A-Z0-9-]+)」で Amazon Pay に登録済みである$")]
async fn merchant_registered_with(w: &mut ConformanceWorld, algorithm: String) -> StepResult {
    Ok(w.register_merchant(algorithm.parse()?).await?)
}

// ── the cart ─────────────────────────────────────────────────────────────────────────────────

#[given(regex = r"^カートに ¥([\d,]+) の商品がある$")]
async fn cart_goods(w: &mut ConformanceWorld, amount: Yen) {
    w.cart = Cart { amount: Some(amount.price()), ..Cart::default() };
}

#[given(regex = r"^カートに ¥([\d,]+) のデジタル商品 \(配送なし\) がある$")]
async fn cart_digital(w: &mut ConformanceWorld, amount: Yen) {
    w.cart = Cart { amount: Some(amount.price()), product_type: ProductType::PayOnly, ..Cart::default() };
}

#[given(regex = r"^カートに月額 ¥([\d,]+) の定期購入の商品がある$")]
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

#[given(regex = r"^出品者は「今すぐ支払う」ボタンを表示する \(支払い意図「(\w+)」\)$")]
async fn apb_button(w: &mut ConformanceWorld, intent: String) -> StepResult {
    w.cart.apb_intent = Some(api_value(&intent)?);
    Ok(())
}

/// The button's `payloadJSON`, as the merchant's server builds it for `renderButton`.
fn button_payload(w: &ConformanceWorld) -> anyhow::Result<CreateCheckoutSessionRequest> {
    let cart = &w.cart;
    let url = |path: &str| w.merchant_url(path).ok().map(String::from);
    let mut web = WebCheckoutDetails { checkout_cancel_url: url(CANCEL), ..WebCheckoutDetails::default() };
    let mut payment = PaymentDetails::default();
    let mut address_details = None;
    match cart.apb_intent {
        Some(intent) => {
            web.checkout_mode = Some(CheckoutMode::ProcessOrder);
            web.checkout_result_return_url = url(RESULT);
            payment.payment_intent = Some(intent);
            payment.can_handle_pending_authorization = cart.can_handle_pending.then_some(true);
            if !cart.setup_only {
                payment.charge_amount = cart.amount.clone();
            }
            if cart.product_type == ProductType::PayAndShip {
                address_details = Some(merchant_collected_address());
            }
        }
        None => web.checkout_review_return_url = url(REVIEW),
    }
    payment.extend_expiration = cart.extend_expiration.then_some(true);
    let payment_details = (payment != PaymentDetails::default()).then_some(payment);
    Ok(CreateCheckoutSessionRequest {
        web_checkout_details: Some(web),
        store_id: Some(w.merchant()?.store_id.clone()),
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
fn merchant_collected_address() -> AddressDetails {
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

// ── the buyer ────────────────────────────────────────────────────────────────────────────────

#[when(regex = r"^購入者が Amazon Pay ボタンを押す$")]
async fn click_button(w: &mut ConformanceWorld) -> StepResult {
    let payload = String::from_utf8(crate::client::request_body(&button_payload(w)?)?)?;
    let merchant = w.merchant()?;
    let click = ButtonClick {
        signature: merchant.client.signer().sign_button_payload(&payload)?,
        payload_json: payload,
        public_key_id: merchant.public_key_id.clone(),
        algorithm: merchant.client.signer().algorithm.to_string(),
        product_type: serde_json::to_value(w.cart.product_type)?.as_str().unwrap_or("PayAndShip").to_owned(),
    };
    let cart = w.merchant_url(CANCEL)?;
    if let (Some((_, shop)), Ok(site)) = (&w.target()?.browser, w.merchant_url("")) {
        shop.set_button(&site, click.clone(), w.cart.amount.as_ref().map(|p| p.amount.to_string()));
    }
    let landing = w.buyer()?.click_button(&click, &cart).await?;
    w.landing = Some(landing);
    Ok(())
}

#[when(regex = r"^購入者がテスト購入者としてサインインする$")]
async fn sign_in(w: &mut ConformanceWorld) -> StepResult {
    let (email, password) = w.target()?.test_buyer()?;
    let landing = w.buyer()?.sign_in(&email, &password).await?;
    w.landing = Some(landing);
    Ok(())
}

async fn choose(w: &mut ConformanceWorld, address: Option<usize>, card: &str, button: &str) -> anyhow::Result<()> {
    let buyer = w.buyer()?;
    let expected = if button == "今すぐ支払う" { "pay-now" } else { "continue" };
    ensure!(buyer.sees(expected).await, "the Amazon Pay page offers no 「{button}」 button");
    let landing = buyer.choose_and_submit(address.map(|n| n - 1), Some(card)).await?;
    w.landing = Some(landing);
    Ok(())
}

#[when(regex = r"^購入者が末尾 (\d{4}) のカードを選んで「(続行|今すぐ支払う)」を押す$")]
async fn choose_card(w: &mut ConformanceWorld, card: String, button: String) -> StepResult {
    Ok(choose(w, None, &card, &button).await?)
}

#[when(regex = r"^購入者が (\d+) 番目のお届け先と末尾 (\d{4}) のカードを選んで「続行」を押す$")]
async fn choose_address_and_card(w: &mut ConformanceWorld, address: usize, card: String) -> StepResult {
    Ok(choose(w, Some(address), &card, "続行").await?)
}

/// Button, sign-in and choice in one step, for scenarios about what comes after.
async fn checkout_as_buyer(w: &mut ConformanceWorld, card: &str, button: &str) -> anyhow::Result<()> {
    click_button(w).await.map_err(|e| anyhow!("{e}"))?;
    sign_in(w).await.map_err(|e| anyhow!("{e}"))?;
    choose(w, None, card, button).await
}

#[when(regex = r"^購入者が Amazon Pay でサインインし、末尾 (\d{4}) のカードで「(続行|今すぐ支払う)」を押す$")]
async fn buyer_checkout(w: &mut ConformanceWorld, card: String, button: String) -> StepResult {
    Ok(checkout_as_buyer(w, &card, &button).await?)
}

#[then(regex = r"^購入者はレビュー画面に戻る$")]
async fn back_on_review(w: &mut ConformanceWorld) -> StepResult {
    w.session_id = Some(w.session_id_from_landing(REVIEW)?);
    Ok(())
}

#[then(regex = r"^購入者は同じチェックアウトセッションでレビュー画面に戻る$")]
async fn back_on_review_same_session(w: &mut ConformanceWorld) -> StepResult {
    let returned = w.session_id_from_landing(REVIEW)?;
    let before = w.session_id()?;
    ensure!(returned == before, "the buyer returned with Checkout Session {returned}, not {before}");
    Ok(())
}

#[then(regex = r"^購入者は(結果|キャンセル)ページに戻る$")]
async fn back_on_page(w: &mut ConformanceWorld, page: String) -> StepResult {
    let path = if page == "結果" { RESULT } else { CANCEL };
    let url = w.landed_at(path)?;
    let id = url.query_pairs().find(|(k, _)| k == "amazonCheckoutSessionId").map(|(_, v)| v.into_owned());
    let id = id.with_context(|| format!("{url} carries no amazonCheckoutSessionId"))?;
    if let Some(known) = &w.session_id {
        ensure!(&id == known, "the {page} page names Checkout Session {id}, not {known}");
    }
    w.session_id = Some(id);
    Ok(())
}

#[when(regex = r"^購入者がレビュー画面で(お届け先|支払い方法)の「変更」を押す$")]
async fn change(w: &mut ConformanceWorld, what: String) -> StepResult {
    let (change, action) =
        if what == "お届け先" { (Change::Address, "changeAddress") } else { (Change::Payment, "changePayment") };
    let id = w.session_id()?;
    // Where `amazon.Pay.bindChangeAction` sends the buyer.
    let hosted = w.target()?.hosted.clone().context("the hosted pages are Amazon's own")?;
    let mut url = hosted.join(&format!("/hosted/checkout-sessions/{id}"))?;
    url.query_pairs_mut().append_pair("changeAction", action);
    let landing = w.buyer()?.change(change, &url).await?;
    w.landing = Some(landing);
    Ok(())
}

#[when(regex = r"^購入者が Amazon Pay の画面で「キャンセル」を押す$")]
async fn cancel_link(w: &mut ConformanceWorld) -> StepResult {
    let landing = w.buyer()?.follow_link("cancel-link").await?;
    w.landing = Some(landing);
    Ok(())
}

#[then(regex = r"^Amazon Pay の画面に請求額 ¥([\d,]+) が表示されている$")]
async fn page_shows_amount(w: &mut ConformanceWorld, amount: Yen) -> StepResult {
    let shown = w.buyer()?.text("amount").await.context("the page shows no amount")?;
    let shown: Yen = shown.parse().map_err(|e: String| anyhow!(e))?;
    ensure!(shown == amount, "the page shows {shown}, expected {amount}");
    Ok(())
}

#[then(regex = r"^Amazon Pay の画面に出品者が指定したお届け先が表示されている$")]
async fn page_shows_merchant_address(w: &mut ConformanceWorld) -> StepResult {
    let shown = w.buyer()?.text("merchant-address").await.context("the page shows no address from the merchant")?;
    let expected = merchant_collected_address();
    for part in [expected.postal_code, expected.address_line1, expected.name].into_iter().flatten() {
        ensure!(shown.contains(&part), "the address shown ({shown}) lacks {part}");
    }
    Ok(())
}

#[then(regex = r"^Amazon Pay の画面に支払い頻度「(.+)」が表示されている$")]
async fn page_shows_frequency(w: &mut ConformanceWorld, frequency: String) -> StepResult {
    let shown = w.buyer()?.text("recurring-frequency").await.context("the page shows no recurring frequency")?;
    ensure!(shown.contains(&frequency), "the page shows 「{shown}」, expected 「{frequency}」");
    Ok(())
}

// ── the merchant: review page, Update, Complete ──────────────────────────────────────────────

pub(super) async fn get_session(w: &mut ConformanceWorld) -> anyhow::Result<CheckoutSession> {
    let id = w.session_id()?;
    let result = w.client()?.get_checkout_session(&id).await;
    let session = w.settle(Attempt::Must, "Get Checkout Session", result)?.expect("Must gives a value");
    w.saw_session(session.clone());
    Ok(session)
}

#[when(regex = r"^出品者がチェックアウトセッションを取得する$")]
async fn merchant_gets_session(w: &mut ConformanceWorld) -> StepResult {
    get_session(w).await?;
    Ok(())
}

async fn update(w: &mut ConformanceWorld, payment: Option<PaymentDetails>) -> anyhow::Result<()> {
    let id = w.session_id()?;
    let result_url = w.merchant_url(RESULT)?.to_string();
    let request = UpdateCheckoutSessionRequest {
        web_checkout_details: Some(WebCheckoutDetails {
            checkout_result_return_url: Some(result_url),
            ..WebCheckoutDetails::default()
        }),
        payment_details: payment.clone(),
        merchant_metadata: Some(merchant_metadata()),
        ..UpdateCheckoutSessionRequest::default()
    };
    let result = w.client()?.update_checkout_session(&id, &request).await;
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

#[when(regex = r"^出品者が支払い意図「(\w+)」で金額を確定する$")]
async fn merchant_confirms(w: &mut ConformanceWorld, intent: String) -> StepResult {
    Ok(confirm_amount(w, api_value(&intent)?).await?)
}

#[when(regex = r"^出品者が注文額 ¥([\d,]+) のうち ¥([\d,]+) を今回のオーソリ額として確定する$")]
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

#[when(regex = r"^購入者がレビュー画面で注文を確定する$")]
async fn buyer_places_order(w: &mut ConformanceWorld) -> StepResult {
    let session = w.session.as_ref().context("the merchant has not updated the Checkout Session")?;
    let url = session
        .amazon_pay_redirect_url()
        .context("the review page has no amazonPayRedirectUrl to send the buyer to")?;
    let url = url::Url::parse(url)?;
    let landing = w.buyer()?.place_order(&url).await?;
    w.landing = Some(landing);
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
    let result = w.client()?.complete_checkout_session(&id, &request).await;
    if let Some(session) = w.settle(attempt, "Complete Checkout Session", result)? {
        w.saw_session(session);
    }
    Ok(())
}

#[when(regex = r"^出品者がチェックアウトセッションを完了(する|しようとする)$")]
async fn merchant_completes(w: &mut ConformanceWorld, attempt: Attempt) -> StepResult {
    Ok(complete(w, attempt, None).await?)
}

#[when(regex = r"^出品者が ¥([\d,]+) でチェックアウトセッションを完了しようとする$")]
async fn merchant_completes_with(w: &mut ConformanceWorld, amount: Yen) -> StepResult {
    Ok(complete(w, Attempt::Try, Some(amount)).await?)
}

/// The whole checkout up to a completed session, for scenarios about what comes after it.
async fn checked_out(w: &mut ConformanceWorld, card: &str, intent: &str) -> anyhow::Result<()> {
    let intent: PaymentIntent = api_value(intent)?;
    if w.cart.apb_intent.is_some() {
        checkout_as_buyer(w, card, "今すぐ支払う").await?;
        let id = w.session_id_from_landing(RESULT)?;
        w.session_id = Some(id);
        get_session(w).await?;
    } else {
        checkout_as_buyer(w, card, "続行").await?;
        w.session_id = Some(w.session_id_from_landing(REVIEW)?);
        get_session(w).await?;
        if w.cart.setup_only {
            update(w, None).await?;
        } else {
            confirm_amount(w, intent).await?;
        }
        let url = w.session.as_ref().and_then(|s| s.amazon_pay_redirect_url()).context("no amazonPayRedirectUrl")?;
        let url = url::Url::parse(url)?;
        let landing = w.buyer()?.place_order(&url).await?;
        w.landing = Some(landing);
        w.landed_at(RESULT)?;
    }
    complete(w, Attempt::Must, None).await
}

#[given(
    regex = r"^購入者が末尾 (\d{4}) のカードで ¥([\d,]+) の注文を確定し、出品者が支払い意図「(\w+)」で完了済みである$"
)]
async fn order_completed(w: &mut ConformanceWorld, card: String, amount: Yen, intent: String) -> StepResult {
    w.cart = Cart { amount: Some(amount.price()), ..Cart::default() };
    checked_out(w, &card, &intent).await?;
    Ok(())
}

#[given(regex = r"^購入者が末尾 (\d{4}) のカードでチェックアウトを終え、出品者が支払い意図「(\w+)」で完了済みである$")]
async fn cart_completed(w: &mut ConformanceWorld, card: String, intent: String) -> StepResult {
    Ok(checked_out(w, &card, &intent).await?)
}

#[given(regex = r"^購入者がサインインして末尾 (\d{4}) のカードを選び、レビュー画面に戻っている$")]
async fn on_review(w: &mut ConformanceWorld, card: String) -> StepResult {
    checkout_as_buyer(w, &card, "続行").await?;
    w.session_id = Some(w.session_id_from_landing(REVIEW)?);
    Ok(())
}

// ── what the merchant sees ───────────────────────────────────────────────────────────────────

#[then(regex = r"^チェックアウトセッションは「(\w+)」(?:、理由は「(\w+)」)?である$")]
async fn session_state(w: &mut ConformanceWorld, state: String, reason: String) -> StepResult {
    Ok(w.eventually(move |w| Box::pin(session_state_holds(w, state.clone(), reason.clone()))).await?)
}

async fn session_state_holds(w: &mut ConformanceWorld, state: String, reason: String) -> anyhow::Result<()> {
    let session = get_session(w).await?;
    expect_status("Checkout Session", &session.status_details, &state, &reason)
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
