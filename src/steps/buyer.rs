//! 一般的な決済フロー, the buyer's side: the Amazon Pay button, signing in, choosing an address and
//! a card, 続行 / 今すぐ支払う, キャンセル, 変更 and 注文を確定する on the review page, what the
//! hosted pages show, and where the buyer returns. Also the shortcuts that take a whole checkout
//! to a completed session, since the buyer walks it.

use anyhow::{anyhow, Context as _};
use cucumber::{given, then, when};

use super::checkout::{button_payload, complete, confirm_amount, get_session, merchant_collected_address, update};
use super::needs::{Declared, Need, Vocabulary};
use super::params::{Attempt, MerchantPage, Yen};
use super::world::Cart;
use super::{ConformanceWorld, StepResult};
use crate::buyer::{ButtonClick, CardSuffix, Change, Shown, Submit};
use crate::model::*;

/// Every step here has the buyer act on, or read, hosted pages.
pub(super) const VOCABULARY: Vocabulary = Vocabulary { file: file!(), needs: Declared::Always(Need::Buyer) };

#[when(regex = r"^購入者が Amazon Pay ボタンを押す$")]
async fn click_button(w: &mut ConformanceWorld) -> StepResult {
    Ok(press_amazon_pay_button(w).await?)
}

async fn press_amazon_pay_button(w: &mut ConformanceWorld) -> anyhow::Result<()> {
    let payload = String::from_utf8(crate::client::request_body(&button_payload(w)?)?)?;
    let merchant = w.merchant()?;
    let signed = merchant.sign_button(&payload)?;
    let button = ButtonClick {
        signature: signed.signature,
        algorithm: signed.algorithm,
        payload_json: payload,
        public_key_id: merchant.public_key_id().to_owned(),
        product_type: serde_json::to_value(w.cart.product_type)?.as_str().unwrap_or("PayAndShip").to_owned(),
    };
    w.show_button(&button, w.cart.amount.as_ref())?;
    let cart = w.merchant_url(MerchantPage::Cart)?;
    let landing = w.pages()?.click_amazon_pay_button(&button, &cart).await?;
    w.landing = Some(landing);
    Ok(())
}

#[when(regex = r"^購入者がテスト購入者としてサインインする$")]
async fn sign_in(w: &mut ConformanceWorld) -> StepResult {
    Ok(sign_in_as_test_buyer(w).await?)
}

async fn sign_in_as_test_buyer(w: &mut ConformanceWorld) -> anyhow::Result<()> {
    let (email, password) = w.test_buyer()?;
    let landing = w.pages()?.sign_in(&email, &password).await?;
    w.landing = Some(landing);
    Ok(())
}

async fn choose(
    w: &mut ConformanceWorld,
    address: Option<usize>,
    card: &CardSuffix,
    button: Submit,
) -> anyhow::Result<()> {
    let pages = w.pages()?;
    ensure!(pages.offers(button).await, "the Amazon Pay page offers no {button:?} button");
    if let Some(n) = address {
        pages.choose_address(n - 1).await?;
    }
    pages.choose_card(card).await?;
    let landing = pages.press(button).await?;
    w.landing = Some(landing);
    Ok(())
}

#[when(expr = r"購入者が末尾 {card} のカードを選んで「{button}」を押す")]
async fn choose_card(w: &mut ConformanceWorld, card: CardSuffix, button: Submit) -> StepResult {
    Ok(choose(w, None, &card, button).await?)
}

#[when(expr = r"購入者が {int} 番目のお届け先と末尾 {card} のカードを選んで「続行」を押す")]
async fn choose_address_and_card(w: &mut ConformanceWorld, address: usize, card: CardSuffix) -> StepResult {
    ensure!(address > 0, "addresses are counted from 1");
    Ok(choose(w, Some(address), &card, Submit::Continue).await?)
}

/// Button, sign-in and choice in one step, for scenarios about what comes after.
async fn checkout_as_buyer(w: &mut ConformanceWorld, card: &CardSuffix, button: Submit) -> anyhow::Result<()> {
    press_amazon_pay_button(w).await?;
    sign_in_as_test_buyer(w).await?;
    choose(w, None, card, button).await
}

#[when(expr = r"購入者が Amazon Pay でサインインし、末尾 {card} のカードで「{button}」を押す")]
async fn buyer_checkout(w: &mut ConformanceWorld, card: CardSuffix, button: Submit) -> StepResult {
    Ok(checkout_as_buyer(w, &card, button).await?)
}

#[then(regex = r"^購入者はレビュー画面に戻る$")]
async fn back_on_review(w: &mut ConformanceWorld) -> StepResult {
    w.session_id = Some(w.session_id_from_landing(MerchantPage::Review)?);
    Ok(())
}

#[then(regex = r"^購入者は同じチェックアウトセッションでレビュー画面に戻る$")]
async fn back_on_review_same_session(w: &mut ConformanceWorld) -> StepResult {
    let returned = w.session_id_from_landing(MerchantPage::Review)?;
    let before = w.session_id()?;
    ensure!(returned == before, "the buyer returned with Checkout Session {returned}, not {before}");
    Ok(())
}

#[then(expr = r"購入者は{return_page}ページに戻る")]
async fn back_on_page(w: &mut ConformanceWorld, page: MerchantPage) -> StepResult {
    let id = w.session_id_from_landing(page)?;
    if let Some(known) = &w.session_id {
        ensure!(&id == known, "the {page:?} page names Checkout Session {id}, not {known}");
    }
    w.session_id = Some(id);
    Ok(())
}

#[when(expr = r"購入者がレビュー画面で{change}の「変更」を押す")]
async fn change(w: &mut ConformanceWorld, what: Change) -> StepResult {
    let id = w.session_id()?;
    let landing = w.pages()?.change(what, &id).await?;
    w.landing = Some(landing);
    Ok(())
}

#[when(regex = r"^購入者が Amazon Pay の画面で「キャンセル」を押す$")]
async fn cancel(w: &mut ConformanceWorld) -> StepResult {
    let landing = w.pages()?.cancel().await?;
    w.landing = Some(landing);
    Ok(())
}

#[then(expr = r"Amazon Pay の画面に請求額 {yen} が表示されている")]
async fn page_shows_amount(w: &mut ConformanceWorld, amount: Yen) -> StepResult {
    let shown = w.pages()?.shown(Shown::Amount).await.context("the page shows no amount")?;
    let shown: Yen = shown.parse().map_err(|e: String| anyhow!(e))?;
    ensure!(shown == amount, "the page shows {shown}, expected {amount}");
    Ok(())
}

#[then(regex = r"^Amazon Pay の画面に出品者が指定したお届け先が表示されている$")]
async fn page_shows_merchant_address(w: &mut ConformanceWorld) -> StepResult {
    let shown =
        w.pages()?.shown(Shown::MerchantAddress).await.context("the page shows no address from the merchant")?;
    let expected = merchant_collected_address();
    for part in [expected.postal_code, expected.address_line1, expected.name].into_iter().flatten() {
        ensure!(shown.contains(&part), "the address shown ({shown}) lacks {part}");
    }
    Ok(())
}

#[then(regex = r"^Amazon Pay の画面に支払い頻度「(.+)」が表示されている$")]
async fn page_shows_frequency(w: &mut ConformanceWorld, frequency: String) -> StepResult {
    let shown = w.pages()?.shown(Shown::RecurringFrequency).await.context("the page shows no recurring frequency")?;
    ensure!(shown.contains(&frequency), "the page shows 「{shown}」, expected 「{frequency}」");
    Ok(())
}

#[when(regex = r"^購入者がレビュー画面で注文を確定する$")]
async fn buyer_places_order(w: &mut ConformanceWorld) -> StepResult {
    Ok(place_order(w).await?)
}

async fn place_order(w: &mut ConformanceWorld) -> anyhow::Result<()> {
    let session = w.session.as_ref().context("the merchant has not updated the Checkout Session")?;
    let url = session
        .amazon_pay_redirect_url()
        .context("the review page has no amazonPayRedirectUrl to send the buyer to")?;
    let url = url::Url::parse(url)?;
    let landing = w.pages()?.place_order(&url).await?;
    w.landing = Some(landing);
    Ok(())
}

/// The whole checkout up to a completed session, for scenarios about what comes after it.
async fn checked_out(w: &mut ConformanceWorld, card: &CardSuffix, intent: PaymentIntent) -> anyhow::Result<()> {
    if w.cart.apb_intent.is_some() {
        checkout_as_buyer(w, card, Submit::PayNow).await?;
        w.session_id = Some(w.session_id_from_landing(MerchantPage::Result)?);
        get_session(w).await?;
    } else {
        checkout_as_buyer(w, card, Submit::Continue).await?;
        w.session_id = Some(w.session_id_from_landing(MerchantPage::Review)?);
        get_session(w).await?;
        if w.cart.setup_only {
            update(w, None).await?;
        } else {
            confirm_amount(w, intent).await?;
        }
        place_order(w).await?;
        w.landed_at(MerchantPage::Result)?;
    }
    complete(w, Attempt::Must, None).await
}

#[given(expr = r"購入者が末尾 {card} のカードで {yen} の注文を確定し、出品者が支払い意図「{intent}」で完了済みである")]
async fn order_completed(w: &mut ConformanceWorld, card: CardSuffix, amount: Yen, intent: PaymentIntent) -> StepResult {
    w.cart = Cart { amount: Some(amount.price()), ..Cart::default() };
    Ok(checked_out(w, &card, intent).await?)
}

#[given(expr = r"購入者が末尾 {card} のカードでチェックアウトを終え、出品者が支払い意図「{intent}」で完了済みである")]
async fn cart_completed(w: &mut ConformanceWorld, card: CardSuffix, intent: PaymentIntent) -> StepResult {
    Ok(checked_out(w, &card, intent).await?)
}

#[given(expr = r"購入者がサインインして末尾 {card} のカードを選び、レビュー画面に戻っている")]
async fn on_review(w: &mut ConformanceWorld, card: CardSuffix) -> StepResult {
    checkout_as_buyer(w, &card, Submit::Continue).await?;
    w.session_id = Some(w.session_id_from_landing(MerchantPage::Review)?);
    Ok(())
}
