//! The buyer's side: `checkout.js`, the button endpoint and the hosted pages, in Japanese with
//! the labels of the real ones (サインイン, お届け先住所, 支払い方法, 続行, 今すぐ支払う, 継続支払い)
//! and a `data-testid` on every control for automation. The pages only render a session and
//! post the buyer's steps to [`Tenant::buyer_step`](super::tenant::Tenant::buyer_step).

use std::sync::{Arc, LazyLock};

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::{context, Environment};
use serde::Deserialize;
use serde_json::Value;

use super::checkout_session::{BuyerChoice, SessionRecord};
use super::error::ErrorResponse;
use super::server::{with_session_tenant, with_tenant, Emulator};
use super::simulation::{buyer_by_id, TEST_BUYERS};
use super::tenant::BuyerStep;
use crate::model::{CheckoutSessionState, ProductType};
use crate::signing::{verify_button_signature, Algorithm};

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.add_template("page.html", include_str!("hosted/page.html")).expect("the hosted page template parses");
    env
});

pub fn routes() -> Router<Arc<Emulator>> {
    Router::new()
        .route("/checkout.js", get(checkout_js))
        .route("/hosted/button", post(button))
        .route("/hosted/signout", get(signout))
        .route("/hosted/checkout-sessions/{id}", get(page))
        .route("/hosted/checkout-sessions/{id}/signin", post(sign_in))
        .route("/hosted/checkout-sessions/{id}/continue", post(continue_))
        .route("/hosted/checkout-sessions/{id}/pay", post(pay))
        .route("/hosted/checkout-sessions/{id}/cancel", get(cancel))
}

fn render(status: StatusCode, page: &str, ctx: minijinja::Value) -> Response {
    let ctx = context! { page => page, ..ctx };
    match TEMPLATES.get_template("page.html").and_then(|t| t.render(ctx)) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("template error: {e}")).into_response(),
    }
}

fn message(status: StatusCode, text: impl Into<String>) -> Response {
    render(status, "message", context! { message => text.into() })
}

async fn checkout_js(State(emulator): State<Arc<Emulator>>) -> Response {
    let js = include_str!("hosted/checkout.js").replace("__BASE__", &emulator.settings().public_base);
    ([(header::CONTENT_TYPE, "application/javascript; charset=utf-8")], js).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ButtonForm {
    #[serde(rename = "payloadJSON")]
    payload_json: String,
    signature: String,
    public_key_id: String,
    #[serde(default)]
    algorithm: Option<String>,
    #[serde(default)]
    product_type: Option<String>,
}

/// The button click: the signed payload creates the session, as Amazon does. A bad signature
/// shows an error page instead (spec §2.7).
async fn button(State(emulator): State<Arc<Emulator>>, Form(form): Form<ButtonForm>) -> Response {
    let algorithm: Algorithm =
        match form.algorithm.as_deref().filter(|a| !a.is_empty()).unwrap_or("AMZN-PAY-RSASSA-PSS").parse() {
            Ok(a) => a,
            Err(e) => return message(StatusCode::BAD_REQUEST, format!("ボタンの設定が正しくありません: {e}")),
        };
    let product_type = match form.product_type.as_deref().unwrap_or("PayAndShip") {
        "SignIn" => ProductType::SignIn,
        "PayOnly" => ProductType::PayOnly,
        "PayAndShip" | "" => ProductType::PayAndShip,
        other => return message(StatusCode::BAD_REQUEST, format!("productType {other} はサポートされていません。")),
    };
    let created = with_tenant(&emulator, &form.public_key_id, |tenant| {
        if !verify_button_signature(&tenant.public_key, algorithm, &form.payload_json, &form.signature) {
            return Err(ErrorResponse::invalid_signature("The button signature does not match payloadJSON."));
        }
        let payload: Value = serde_json::from_str(&form.payload_json).map_err(ErrorResponse::invalid_request_format)?;
        if product_type == ProductType::SignIn {
            tenant.begin_sign_in(&payload)
        } else {
            tenant.create_from_button(&payload, product_type)
        }
    });
    match created {
        Ok(Ok(id)) => Redirect::to(&format!("/hosted/checkout-sessions/{id}")).into_response(),
        Ok(Err(e)) | Err(e) => message(
            StatusCode::BAD_REQUEST,
            format!("申し訳ございません。エラーが発生しました ({}): {}", e.reason_code, e.message),
        ),
    }
}

async fn signout() -> Response {
    (StatusCode::OK, "signed out").into_response()
}

fn frequency_text(session: &SessionRecord) -> Option<String> {
    let metadata = session.recurring_metadata.as_ref()?;
    let frequency = metadata.frequency.as_ref()?;
    let unit = match frequency.unit.as_str() {
        "Year" => "年",
        "Month" => "か月",
        "Week" => "週間",
        "Day" => "日",
        _ => "(不定期)",
    };
    let amount = metadata.amount.as_ref().map(|p| format!(" ¥{}", p.amount)).unwrap_or_default();
    Some(format!("{}{}ごと{}", frequency.value, unit, amount))
}

fn show(session: &SessionRecord, error: Option<String>) -> Response {
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    match session.state {
        CheckoutSessionState::Completed => return message(StatusCode::OK, "このお支払いは完了しています。"),
        CheckoutSessionState::Canceled => {
            return message(
                StatusCode::OK,
                format!("このお支払いはキャンセルされました ({}).", session.reason_code.as_deref().unwrap_or("")),
            )
        }
        CheckoutSessionState::Open => {}
    }
    let Some(choice) = &session.buyer else {
        return sign_in_page(&session.id, error);
    };
    let buyer = buyer_by_id(&choice.buyer_id).expect("chosen buyers exist");
    let cards: Vec<Value> =
        buyer.cards.iter().map(|c| serde_json::json!({ "last4": c.last4, "descriptor": c.descriptor() })).collect();
    render(
        status,
        "choose",
        context! {
            id => &session.id,
            error => error,
            buyer_name => buyer.name,
            apb => session.is_apb(),
            pay_and_ship => session.product_type == ProductType::PayAndShip,
            address_details => minijinja::Value::from(minijinja::value::Serde(&session.address_details)),
            amount => session.payment.charge_amount.as_ref().map(|p| p.amount.to_string()),
            addresses => minijinja::Value::from(minijinja::value::Serde(&buyer.addresses)),
            chosen_address => choice.address,
            cards => minijinja::Value::from(minijinja::value::Serde(&cards)),
            chosen_card => choice.card,
            recurring => frequency_text(session),
        },
    )
}

/// The hosted page. A signed-in buyer always sees the choice again, so `bindChangeAction`'s
/// `?changeAction=changeAddress|changePayment` lands on it with the same session.
async fn page(State(emulator): State<Arc<Emulator>>, Path(id): Path<String>) -> Response {
    if with_session_tenant(&emulator, &id, |t| Ok(t.is_sign_in(&id))).unwrap_or(false) {
        return sign_in_page(&id, None);
    }
    match with_session_tenant(&emulator, &id, |t| t.session(&id)) {
        Ok(session) => show(&session, None),
        Err(e) => message(e.status, e.message),
    }
}

/// Runs a step; on success the buyer is redirected, on failure the page shows why.
fn step(
    emulator: &Emulator,
    id: &str,
    make: impl FnOnce(&SessionRecord) -> Result<BuyerStep, ErrorResponse>,
) -> Response {
    let result = with_session_tenant(emulator, id, |tenant| {
        let session = tenant.session(id)?;
        let step = make(&session)?;
        tenant.buyer_step(id, step)
    });
    match result {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => match with_session_tenant(emulator, id, |t| t.session(id)) {
            Ok(session) => show(&session, Some(e.message)),
            Err(_) => message(e.status, e.message),
        },
    }
}

#[derive(Deserialize)]
struct SignInForm {
    email: String,
    password: String,
}

/// The Sign-In button's page: the same サインイン form; success returns to `signInReturnUrl`.
fn sign_in_page(id: &str, error: Option<String>) -> Response {
    let buyers: Vec<Value> =
        TEST_BUYERS.iter().map(|b| serde_json::json!({ "email": b.email, "password": b.password })).collect();
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    render(
        status,
        "signin",
        context! { id => id, buyers => minijinja::Value::from(minijinja::value::Serde(&buyers)), error => error },
    )
}

async fn sign_in(
    State(emulator): State<Arc<Emulator>>,
    Path(id): Path<String>,
    Form(form): Form<SignInForm>,
) -> Response {
    if with_session_tenant(&emulator, &id, |t| Ok(t.is_sign_in(&id))).unwrap_or(false) {
        return match with_session_tenant(&emulator, &id, |t| t.finish_sign_in(&id, &form.email, &form.password)) {
            Ok(url) => Redirect::to(&url).into_response(),
            Err(e) => sign_in_page(&id, Some(e.message)),
        };
    }
    step(&emulator, &id, |_| Ok(BuyerStep::SignIn { email: form.email, password: form.password }))
}

#[derive(Deserialize)]
struct ChoiceForm {
    #[serde(default)]
    address: Option<usize>,
    card: usize,
}

fn chosen(session: &SessionRecord, form: &ChoiceForm) -> Result<BuyerChoice, ErrorResponse> {
    let current = session.buyer.as_ref().ok_or_else(|| ErrorResponse::invalid_request("サインインしてください。"))?;
    Ok(BuyerChoice {
        buyer_id: current.buyer_id.clone(),
        address: form.address.unwrap_or(current.address),
        card: form.card,
    })
}

async fn continue_(
    State(emulator): State<Arc<Emulator>>,
    Path(id): Path<String>,
    Form(form): Form<ChoiceForm>,
) -> Response {
    step(&emulator, &id, |s| Ok(BuyerStep::Continue(chosen(s, &form)?)))
}

async fn pay(State(emulator): State<Arc<Emulator>>, Path(id): Path<String>, Form(form): Form<ChoiceForm>) -> Response {
    step(&emulator, &id, |s| Ok(BuyerStep::Pay(chosen(s, &form)?)))
}

async fn cancel(State(emulator): State<Arc<Emulator>>, Path(id): Path<String>) -> Response {
    step(&emulator, &id, |_| Ok(BuyerStep::Cancel))
}
