//! Load for `scripts/soak-serve.sh`: signed Get Charge requests (each a 404) at a running
//! `serve`, as a long-lived merchant integration would poll it, so that the script can compare
//! the server's memory before and after. Bounded in count and time, loopback only.
//!
//! `cargo run --release --example soak_serve -- URL KEY_ID PRIVATE_KEY_PEM COUNT [CONCURRENCY]`

use std::time::{Duration, Instant};

use apay_conformance::client::{Client, ClientOptions};
use apay_conformance::signing::{Algorithm, PrivateKey, Signer};
use futures::StreamExt as _;

/// However large COUNT is, the load stops after this long.
const TIME_LIMIT: Duration = Duration::from_secs(600);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, key_id, pem, count, rest @ ..] = args.as_slice() else {
        anyhow::bail!("usage: soak_serve URL KEY_ID PRIVATE_KEY_PEM COUNT [CONCURRENCY]");
    };
    let endpoint: url::Url = url.parse()?;
    anyhow::ensure!(
        matches!(endpoint.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")),
        "the soak only targets loopback, not {endpoint}"
    );
    let count: usize = count.parse()?;
    let concurrency: usize = rest.first().map(|c| c.parse()).transpose()?.unwrap_or(8);
    let key = PrivateKey::from_pem(&std::fs::read_to_string(pem)?)?;
    let options = ClientOptions { endpoint: Some(endpoint), max_retries: 0, ..ClientOptions::default() };
    let client = Client::new(Signer::new(key_id.as_str(), key, Algorithm::V2), options)?;
    let started = Instant::now();
    let answered = futures::stream::iter(0..count)
        .take_while(|_| futures::future::ready(started.elapsed() < TIME_LIMIT))
        .map(|n| {
            let client = client.clone();
            async move { client.get_charge(&format!("S03-0000000-0000000-C{:06}", n % 1_000_000)).await.is_err() }
        })
        .buffer_unordered(concurrency)
        .filter(|refused| futures::future::ready(*refused))
        .count()
        .await;
    println!("{answered} requests answered 404 in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
