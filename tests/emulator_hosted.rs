//! The hosted pages and checkout.js, used the way a buyer's browser uses them (plain HTTP form
//! posts): button → sign-in → address and card → 続行 → review URL; APB 今すぐ支払う; cancel link;
//! a bad button signature.

mod common;

use apay_conformance::client::{Client, ClientOptions};
use apay_conformance::emulator::listen::{start, ListenOptions, Running};
use apay_conformance::model::*;
use apay_conformance::signing::{Algorithm, PrivateKey, Signer};
use common::vectors;
use reqwest::redirect::Policy;
use reqwest::Url;

const KEY_ID: &str = "SANDBOX-AEXAMPLEVECTORKEY0000000";

fn signer() -> Signer {
    Signer::new(KEY_ID, PrivateKey::from_pem(&vectors::read("test-key.pem")).unwrap(), Algorithm::V2)
}

async fn emulator() -> (Running, Client) {
    let running = start(ListenOptions::default()).await.unwrap();
    running.emulator.register(KEY_ID, &vectors::read("test-key.pub.pem")).unwrap();
    let options =
        ClientOptions { endpoint: Some(Url::parse(&running.http_url()).unwrap()), ..ClientOptions::default() };
    let client = Client::new(signer(), options).unwrap();
    (running, client)
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(Policy::none()).build().unwrap()
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

async fn post_form(running: &Running, path: &str, pairs: &[(&str, &str)]) -> reqwest::Response {
    browser()
        .post(format!("{}{path}", running.http_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(pairs))
        .send()
        .await
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    assert!(response.status().is_redirection(), "expected a redirect, got {}", response.status());
    response.headers()["location"].to_str().unwrap().to_owned()
}

async fn click_button(
    running: &Running,
    payload: &str,
    product_type: &str,
    signature: Option<&str>,
) -> reqwest::Response {
    let signed = signer().sign_button_payload(payload).unwrap();
    post_form(
        running,
        "/hosted/button",
        &[
            ("payloadJSON", payload),
            ("signature", signature.unwrap_or(&signed)),
            ("publicKeyId", KEY_ID),
            ("algorithm", "AMZN-PAY-RSASSA-PSS-V2"),
            ("productType", product_type),
        ],
    )
    .await
}

async fn page(running: &Running, path: &str) -> (u16, String) {
    let response = browser().get(format!("{}{path}", running.http_url())).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn checkout_js_offers_the_documented_functions_against_this_emulator() {
    let (running, _) = emulator().await;
    let (status, js) = page(&running, "/checkout.js").await;
    assert_eq!(status, 200);
    for f in ["renderButton", "initCheckout", "bindChangeAction", "signout"] {
        assert!(js.contains(f), "{f}");
    }
    assert!(js.contains(&running.http_url()));
    running.shutdown().await;
}

#[tokio::test]
async fn button_sign_in_choice_and_review_then_change_payment() {
    let (running, client) = emulator().await;
    let payload = r#"{"webCheckoutDetails":{"checkoutReviewReturnUrl":"http://localhost/review","checkoutCancelUrl":"http://localhost/cart"},"storeId":"amzn1.application-oa2-client.x","chargePermissionType":"OneTime"}"#;
    let hosted = location(&click_button(&running, payload, "PayAndShip", None).await);
    let session_id = hosted.rsplit('/').next().unwrap().to_owned();
    let (_, html) = page(&running, &hosted).await;
    assert!(html.contains("サインイン") && html.contains(r#"data-testid="signin-email""#), "{html}");

    let wrong =
        post_form(&running, &format!("{hosted}/signin"), &[("email", "taro.yamada@example.jp"), ("password", "nope")])
            .await;
    assert_eq!(wrong.status().as_u16(), 400);
    let signed_in = post_form(
        &running,
        &format!("{hosted}/signin"),
        &[("email", "taro.yamada@example.jp"), ("password", "sandbox-pass-1")],
    )
    .await;
    assert_eq!(location(&signed_in), hosted);
    let (_, html) = page(&running, &hosted).await;
    for label in
        ["お届け先住所", "支払い方法", "続行", r#"data-testid="card-1111""#, r#"data-testid="cancel-link""#, "153-0064"]
    {
        assert!(html.contains(label), "{label} on the choice page");
    }

    let review =
        location(&post_form(&running, &format!("{hosted}/continue"), &[("address", "1"), ("card", "1")]).await);
    assert_eq!(review, format!("http://localhost/review?amazonCheckoutSessionId={session_id}"));
    let session = client.get_checkout_session(&session_id).await.unwrap();
    assert_eq!(session.shipping_address.as_ref().unwrap().postal_code.as_deref(), Some("530-0001"));
    assert_eq!(session.payment_descriptor(), Some("Mastercard ****4444"));
    assert_eq!(session.buyer.as_ref().unwrap().name.as_deref(), Some("山田 太郎"));

    // bindChangeAction(changePayment): same session, new card, back to the review URL.
    let (status, html) = page(&running, &format!("{hosted}?changeAction=changePayment")).await;
    assert!(status == 200 && html.contains("支払い方法"));
    let again = location(&post_form(&running, &format!("{hosted}/continue"), &[("card", "5")]).await);
    assert_eq!(again, review);
    let session = client.get_checkout_session(&session_id).await.unwrap();
    assert_eq!(session.payment_descriptor(), Some("JCB ****0000"));
    assert_eq!(
        session.shipping_address.as_ref().unwrap().postal_code.as_deref(),
        Some("530-0001"),
        "the address stays"
    );

    // The cancel link: back to the cart, session Canceled/BuyerCanceled.
    let cart = location(&browser().get(format!("{}{hosted}/cancel", running.http_url())).send().await.unwrap());
    assert!(cart.starts_with("http://localhost/cart?amazonCheckoutSessionId="));
    let session = client.get_checkout_session(&session_id).await.unwrap();
    assert_eq!(
        (session.state(), session.status_details.reason_code.as_deref()),
        (CheckoutSessionState::Canceled, Some("BuyerCanceled"))
    );
    running.shutdown().await;
}

#[tokio::test]
async fn apb_pay_only_shows_the_amount_and_pays_now() {
    let (running, client) = emulator().await;
    let payload = r#"{"storeId":"amzn1.application-oa2-client.x","webCheckoutDetails":{"checkoutResultReturnUrl":"http://localhost/result","checkoutMode":"ProcessOrder"},"paymentDetails":{"paymentIntent":"Authorize","chargeAmount":{"amount":"321","currencyCode":"JPY"}}}"#;
    let hosted = location(&click_button(&running, payload, "PayOnly", None).await);
    let session_id = hosted.rsplit('/').next().unwrap().to_owned();
    post_form(
        &running,
        &format!("{hosted}/signin"),
        &[("email", "hanako.sato@example.jp"), ("password", "sandbox-pass-2")],
    )
    .await;
    let (_, html) = page(&running, &hosted).await;
    assert!(html.contains("今すぐ支払う") && html.contains("¥321"), "{html}");
    assert!(!html.contains("お届け先住所"), "PayOnly shows no address");
    let result = location(&post_form(&running, &format!("{hosted}/pay"), &[("card", "0")]).await);
    assert_eq!(result, format!("http://localhost/result?amazonCheckoutSessionId={session_id}"));
    let done = client
        .complete_checkout_session(
            &session_id,
            &CompleteCheckoutSessionRequest { charge_amount: Some(Price::jpy(321)), total_order_amount: None },
        )
        .await
        .unwrap();
    assert_eq!(done.state(), CheckoutSessionState::Completed);
    assert!(done.charge_id.is_some());
    running.shutdown().await;
}

#[tokio::test]
async fn a_bad_button_signature_shows_an_error_page() {
    let (running, _) = emulator().await;
    let payload = r#"{"webCheckoutDetails":{"checkoutReviewReturnUrl":"http://localhost/review"},"storeId":"s"}"#;
    let other = signer().sign_button_payload(r#"{"storeId":"other"}"#).unwrap();
    let response = click_button(&running, payload, "PayAndShip", Some(&other)).await;
    assert_eq!(response.status().as_u16(), 400);
    let html = response.text().await.unwrap();
    assert!(html.contains("エラー") && html.contains("InvalidRequestSignature"), "{html}");
    running.shutdown().await;
}

#[tokio::test]
async fn sign_in_button_returns_a_buyer_token_for_get_buyer() {
    let (running, client) = emulator().await;
    let payload = r#"{"signInReturnUrl":"http://localhost/signed-in","storeId":"amzn1.application-oa2-client.x","signInScopes":["name","email","postalCode"]}"#;
    let hosted = location(&click_button(&running, payload, "SignIn", None).await);
    let (_, html) = page(&running, &hosted).await;
    assert!(html.contains("サインイン"));
    let back = location(
        &post_form(
            &running,
            &format!("{hosted}/signin"),
            &[("email", "hanako.sato@example.jp"), ("password", "sandbox-pass-2")],
        )
        .await,
    );
    let token =
        back.strip_prefix("http://localhost/signed-in?buyerToken=").expect("return URL with buyerToken").to_owned();
    let profile = client.get_buyer(&token).await.unwrap();
    assert_eq!(profile.name.as_deref(), Some("佐藤 花子"));
    assert_eq!(profile.postal_code.as_deref(), Some("460-0008"));
    assert_eq!(profile.phone_number, None, "phoneNumber was not in the scopes");
    let unknown = client.get_buyer("BUYER-TOKEN.unknown").await.unwrap_err();
    assert_eq!(unknown.api().unwrap().status, 404);
    running.shutdown().await;
}
