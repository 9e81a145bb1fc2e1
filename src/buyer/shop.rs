//! The merchant's pages a buyer actually sees, served by the harness on loopback for the browser
//! buyer: a cart with the Amazon Pay button rendered by `checkout.js` from the signed payload, a
//! review page built from Get Checkout Session (address, payment descriptor, 変更 buttons wired
//! by `bindChangeAction`, 注文を確定する → `amazonPayRedirectUrl`), and the result page. Each
//! scenario has its own store under `/shop/{token}/`, with its own merchant client.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use anyhow::Context as _;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use minijinja::{context, Environment};
use url::Url;

use super::ButtonClick;
use crate::client::Client;

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.add_template("shop.html", include_str!("shop.html")).expect("the shop template parses");
    env
});

struct Store {
    client: Client,
    button: Option<ButtonClick>,
    amount: Option<String>,
}

struct ShopState {
    amazon: Url,
    stores: Mutex<HashMap<String, Store>>,
}

/// The running merchant site.
pub struct Shop {
    pub base: Url,
    state: Arc<ShopState>,
    server: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Shop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shop").field("base", &self.base.as_str()).finish_non_exhaustive()
    }
}

impl Shop {
    /// Serves the shop on `127.0.0.1:0`; `amazon` is where `checkout.js` comes from.
    pub async fn start(amazon: Url) -> anyhow::Result<Shop> {
        let state = Arc::new(ShopState { amazon, stores: Mutex::new(HashMap::new()) });
        let router = Router::new()
            .route("/shop/{token}/cart", get(cart))
            .route("/shop/{token}/checkout/review", get(review))
            .route("/shop/{token}/checkout/result", get(result))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("cannot open the shop's port")?;
        let base = Url::parse(&format!("http://{}/", listener.local_addr()?))?;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(Shop { base, state, server })
    }

    /// Opens a store for one scenario; its pages live under the returned URL.
    pub fn open_store(&self, client: Client) -> Url {
        let token = uuid::Uuid::new_v4().simple().to_string();
        self.stores().insert(token.clone(), Store { client, button: None, amount: None });
        self.base.join(&format!("shop/{token}/")).expect("a relative path")
    }

    /// Puts the button (and the cart total) on a store's cart page.
    pub fn set_button(&self, store: &Url, button: ButtonClick, amount: Option<String>) {
        if let Some(token) = token_of(store) {
            if let Some(s) = self.stores().get_mut(&token) {
                s.button = Some(button);
                s.amount = amount;
            }
        }
    }

    pub fn close_store(&self, store: &Url) {
        if let Some(token) = token_of(store) {
            self.stores().remove(&token);
        }
    }

    fn stores(&self) -> std::sync::MutexGuard<'_, HashMap<String, Store>> {
        self.state.stores.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn stop(&self) {
        self.server.abort();
    }
}

fn token_of(store: &Url) -> Option<String> {
    let mut segments = store.path_segments()?;
    (segments.next() == Some("shop")).then(|| segments.next().map(str::to_owned)).flatten()
}

fn render(ctx: minijinja::Value) -> Response {
    match TEMPLATES.get_template("shop.html").and_then(|t| t.render(ctx)) {
        Ok(html) => Html(html).into_response(),
        Err(e) => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, format!("template error: {e}")).into_response(),
    }
}

/// A JavaScript string literal that is safe inside `<script>`.
fn js(text: &str) -> minijinja::Value {
    let literal = serde_json::to_string(text).expect("a string serializes").replace("</", "<\\/");
    minijinja::Value::from_safe_string(literal)
}

async fn cart(
    State(state): State<Arc<ShopState>>,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let stores = state.stores.lock().unwrap_or_else(|e| e.into_inner());
    let Some(store) = stores.get(&token) else {
        return (axum::http::StatusCode::NOT_FOUND, "no such store").into_response();
    };
    let Some(button) = &store.button else {
        return (axum::http::StatusCode::NOT_FOUND, "no button yet").into_response();
    };
    render(context! {
        page => "cart",
        title => "カート",
        amazon => state.amazon.as_str().trim_end_matches('/'),
        canceled => query.contains_key("amazonCheckoutSessionId"),
        amount => store.amount.clone(),
        public_key_id => js(&button.public_key_id),
        product_type => js(&button.product_type),
        payload => js(&button.payload_json),
        signature => js(&button.signature),
        algorithm => js(&button.algorithm),
    })
}

/// The review page: what Get Checkout Session says, as a merchant's page shows it.
async fn review(
    State(state): State<Arc<ShopState>>,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let client = state.stores.lock().unwrap_or_else(|e| e.into_inner()).get(&token).map(|s| s.client.clone());
    let (Some(client), Some(id)) = (client, query.get("amazonCheckoutSessionId")) else {
        return (axum::http::StatusCode::NOT_FOUND, "no such store or session").into_response();
    };
    let amazon = state.amazon.as_str().trim_end_matches('/');
    match client.get_checkout_session(id).await {
        Ok(session) => render(context! {
            page => "review",
            title => "ご注文内容の確認",
            amazon => amazon,
            session_id => js(id),
            address => minijinja::Value::from(minijinja::value::Serde(&session.shipping_address)),
            descriptor => session.payment_descriptor(),
            amount => session.payment_details.as_ref().and_then(|p| p.charge_amount.as_ref()).map(|p| p.amount.to_string()),
            redirect => session.amazon_pay_redirect_url(),
        }),
        Err(e) => render(context! { page => "review", title => "エラー", amazon => amazon, error => e.to_string() }),
    }
}

async fn result() -> Response {
    render(context! { page => "result", title => "ご注文完了" })
}
