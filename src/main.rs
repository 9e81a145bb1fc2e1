//! The `apay-conformance` command line.

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context as _};
use apay_conformance::buyer::BuyerMode;
use apay_conformance::client::{CallOptions, ClientOptions};
use apay_conformance::config::{Config, Overrides};
use apay_conformance::operation::Operation;
use apay_conformance::report::Lang;
use apay_conformance::runner::{default_features, RunOptions, TargetChoice};
use clap::{Args, Parser, Subcommand};
use serde_json::json;

/// Protocol-conformance harness for Amazon Pay Checkout v2 (Japan first).
#[derive(Parser)]
#[command(name = "apay-conformance", version, about, propagate_version = true)]
struct Cli {
    /// Configuration file (default: ./apay-conformance.toml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the conformance scenarios and write the self-check report.
    ///
    /// Without arguments: starts the embedded emulator, runs every feature, writes
    /// reports/selfcheck.{html,json,md} and reports/junit.xml, prints a summary, and exits 1 when
    /// a scenario failed.
    Run(RunArgs),
    /// Call one Amazon Pay API operation with a signed request, like Amazon's Scratch Pad.
    ///
    /// Prints the HTTP status on stderr and the pretty JSON response on stdout; exits 1 when the
    /// API answers with an error, 2 when the request could not be sent.
    Api(ApiArgs),
    /// Sign a button payload (`createCheckoutSessionConfig`) as generateButtonSignature does.
    SignButton(SignButtonArgs),
    /// Check that this machine is ready for a sandbox run: configuration, key, endpoint, a signed
    /// request, the browser, the report directory. One line each; exits 1 when one fails.
    Doctor(DoctorArgs),
    /// Run the sandbox emulator standalone (HTTP and HTTPS) until Ctrl-C.
    ///
    /// Prints `listening http://HOST:PORT` and `listening https://HOST:PORT`, then the registered keys.
    Serve(ServeArgs),
}

/// What `run` tests against.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum TargetArg {
    /// The sandbox emulator: embedded, or the one at --endpoint.
    Emulator,
    /// Your Amazon Pay sandbox account (credentials from the configuration); --endpoint points it
    /// at `serve --sandbox-faithful` instead of Amazon.
    Sandbox,
}

#[derive(Args)]
struct RunArgs {
    /// What to test against.
    #[arg(long, value_enum, default_value = "emulator")]
    target: TargetArg,
    /// An emulator already running (e.g. `apay-conformance serve`) instead of the embedded one;
    /// with --target sandbox, where to send the sandbox's requests.
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// Who plays the buyer: browser (Chromium via ChromeDriver), direct (HTTP form posts), or auto:
    /// the browser when installed, else direct (with CI=true a missing browser is an error).
    #[arg(long, value_enum, default_value = "auto")]
    buyer: BuyerMode,
    /// Only the scenarios matching this tag expression, e.g. "@flow:onetime and not @clock".
    #[arg(long, value_name = "EXPR")]
    tags: Option<String>,
    #[arg(long, default_value = "reports", value_name = "DIR")]
    report_dir: PathBuf,
    /// Language of the report (the scenarios stay Japanese).
    #[arg(long, value_enum, default_value = "ja")]
    lang: Lang,
    /// Scenarios in flight at once (default 16 on the emulator, 2 on the sandbox).
    #[arg(long)]
    concurrency: Option<usize>,
    /// Feature files to run: a directory or one file (default: the harness's features/).
    #[arg(long, value_name = "PATH")]
    features: Option<PathBuf>,
    /// No progress lines, only the summary.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    credentials: CredentialArgs,
}

#[derive(Args)]
struct ServeArgs {
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// HTTP port (0: any free port).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// HTTPS port (0: any free port), with a self-signed certificate unless --tls-cert/--tls-key.
    #[arg(long, default_value_t = 8443)]
    tls_port: u16,
    /// PEM certificate for HTTPS (with --tls-key).
    #[arg(long, requires = "tls_key", value_name = "PEM")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for HTTPS (with --tls-cert).
    #[arg(long, requires = "tls_cert", value_name = "PEM")]
    tls_key: Option<PathBuf>,
    /// Register a merchant: key id and the path of its public key PEM. Repeatable.
    #[arg(long = "public-key", value_name = "ID=PATH")]
    public_keys: Vec<String>,
    /// Allowed x-amz-pay-date skew in minutes (0 switches the check off).
    #[arg(long, default_value_t = 15)]
    max_clock_skew_minutes: i64,
    /// Play the real sandbox: no control API (so no clock travel), asynchronous outcomes in real
    /// time, and the sandbox's throttling quotas (429 TooManyRequests). Merchants are registered
    /// with --public-key only. For `run --target sandbox --endpoint`.
    #[arg(long)]
    sandbox_faithful: bool,
    /// Per merchant: how many requests the traffic record and how many events the event log keep
    /// (the oldest are dropped), so a long-running serve stays within bounds.
    #[arg(long, default_value_t = apay_conformance::emulator::server::RECORD_CAP, value_name = "N")]
    record_cap: usize,
}

/// Credentials and account settings; each overrides the environment and the configuration file.
#[derive(Args, Clone, Default)]
struct CredentialArgs {
    /// Public key id from Seller Central (env AMAZON_PAY_PUBLIC_KEY_ID).
    #[arg(long, value_name = "ID")]
    public_key_id: Option<String>,
    /// Private key: path of a PEM file, or the PEM text (env AMAZON_PAY_PRIVATE_KEY).
    #[arg(long, value_name = "PATH|PEM")]
    private_key: Option<String>,
    /// jp (default), us/na or eu/uk/de (env AMAZON_PAY_REGION).
    #[arg(long)]
    region: Option<String>,
    /// AMZN-PAY-RSASSA-PSS-V2 (default) or AMZN-PAY-RSASSA-PSS (env AMAZON_PAY_ALGORITHM).
    #[arg(long)]
    algorithm: Option<String>,
    /// Store id of the button's store, amzn1.application-oa2-client.… (env AMAZON_PAY_STORE_ID).
    #[arg(long, value_name = "ID")]
    store_id: Option<String>,
    /// Merchant id from Seller Central, shown masked in the report (env AMAZON_PAY_MERCHANT_ID).
    #[arg(long, value_name = "ID")]
    merchant_id: Option<String>,
}

impl CredentialArgs {
    fn overrides(&self, endpoint: Option<String>) -> Overrides {
        Overrides {
            public_key_id: self.public_key_id.clone(),
            private_key: self.private_key.clone(),
            region: self.region.clone(),
            algorithm: self.algorithm.clone(),
            store_id: self.store_id.clone(),
            merchant_id: self.merchant_id.clone(),
            endpoint,
        }
    }
}

#[derive(Args)]
struct ApiArgs {
    /// The operation, e.g. create-checkout-session, get-charge, capture-charge.
    #[arg(value_enum)]
    operation: Operation,
    /// The id of the object (checkout session, charge permission, charge, refund, buyer token).
    id: Option<String>,
    /// Request body: JSON text, `@file`, or `@-` for stdin (default `{}` where a body is sent).
    #[arg(long, value_name = "JSON|@FILE")]
    body: Option<String>,
    /// Sent as x-amz-pay-simulation-code (sandbox simulations).
    #[arg(long, value_name = "CODE")]
    simulation_code: Option<String>,
    /// Idempotency key for POSTs (default: a fresh one per command).
    #[arg(long, value_name = "KEY")]
    idempotency_key: Option<String>,
    /// Send to this base URL instead of Amazon (e.g. the emulator: http://127.0.0.1:8080).
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// Seconds to wait for each attempt.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Retries on 408/425/429/5xx.
    #[arg(long, default_value_t = 3)]
    retries: u32,
    /// Also print the canonical request and the string to sign (never the signature or the key).
    #[arg(long, short)]
    verbose: bool,
    #[command(flatten)]
    credentials: CredentialArgs,
}

#[derive(Args)]
struct DoctorArgs {
    /// Send to this base URL instead of Amazon (e.g. `serve --sandbox-faithful`).
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// The directory `run` will write its report to.
    #[arg(long, default_value = "reports", value_name = "DIR")]
    report_dir: PathBuf,
    #[command(flatten)]
    credentials: CredentialArgs,
}

#[derive(Args)]
struct SignButtonArgs {
    /// The payload: JSON text, `@file`, or `@-` for stdin. Signed byte for byte as given.
    #[arg(long, value_name = "JSON|@FILE")]
    payload: String,
    #[command(flatten)]
    credentials: CredentialArgs,
}

/// Reads `@file`, `@-` (stdin) or the text itself. Surrounding whitespace (a file's final newline)
/// is not part of the value.
fn text_or_file(value: &str) -> anyhow::Result<String> {
    let text = match value.strip_prefix('@') {
        Some("-") => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).context("cannot read stdin")?;
            text
        }
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?,
        None => value.to_owned(),
    };
    Ok(text.trim().to_owned())
}

async fn api(config_file: Option<PathBuf>, args: ApiArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(config_file.as_deref(), &args.credentials.overrides(args.endpoint.clone()))?;
    let options = ClientOptions {
        timeout: Duration::from_secs(args.timeout),
        max_retries: args.retries,
        ..ClientOptions::default()
    };
    let client = config.client(options)?.with_call_options(CallOptions {
        idempotency_key: args.idempotency_key,
        simulation_code: args.simulation_code,
        ..CallOptions::default()
    });
    let body = match &args.body {
        Some(_) if !args.operation.has_body() => bail!("{} sends no body", args.operation.title()),
        Some(body) => Some(text_or_file(body)?.into_bytes()),
        None => None,
    };
    let response = client.call(args.operation, args.id.as_deref(), body).await?;
    if args.verbose {
        eprintln!(
            "--- canonical request ---\n{}\n--- string to sign ---\n{}\n---",
            response.trace.canonical_request, response.trace.string_to_sign
        );
        if let Some(key) = &response.idempotency_key {
            eprintln!("x-amz-pay-idempotency-key: {key}");
        }
    }
    let reason = reqwest::StatusCode::from_u16(response.status).ok().and_then(|s| s.canonical_reason()).unwrap_or("");
    eprintln!(
        "HTTP {} {reason}{}",
        response.status,
        response.request_id.as_deref().map(|id| format!("  (x-amz-pay-request-id {id})")).unwrap_or_default()
    );
    match response.json() {
        Ok(value) if !value.is_null() => println!("{}", serde_json::to_string_pretty(&value)?),
        Ok(_) => {}
        Err(_) => println!("{}", response.body),
    }
    Ok(if response.is_success() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn sign_button(config_file: Option<PathBuf>, args: SignButtonArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(config_file.as_deref(), &args.credentials.overrides(None))?;
    let signer = config.signer()?;
    let payload = text_or_file(&args.payload)?;
    serde_json::from_str::<serde_json::Value>(&payload).context("the payload is not valid JSON")?;
    let signature = signer.sign_button_payload(&payload)?;
    let out = json!({
        "payloadJSON": payload,
        "signature": signature,
        "publicKeyId": signer.public_key_id,
        "algorithm": signer.algorithm.name(),
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(ExitCode::SUCCESS)
}

async fn run(config_file: Option<PathBuf>, args: RunArgs) -> anyhow::Result<ExitCode> {
    let (target, endpoint) = match args.target {
        TargetArg::Emulator => {
            (TargetChoice::Emulator, args.endpoint.as_deref().map(url::Url::parse).transpose().context("--endpoint")?)
        }
        TargetArg::Sandbox => {
            let config = Config::load(config_file.as_deref(), &args.credentials.overrides(args.endpoint.clone()))?;
            (TargetChoice::Sandbox(Box::new(config)), None)
        }
    };
    let concurrency = args.concurrency.unwrap_or(if args.target == TargetArg::Sandbox { 2 } else { 16 });
    let options = RunOptions {
        target,
        endpoint,
        buyer: args.buyer,
        tags: args.tags,
        report_dir: Some(args.report_dir.clone()),
        lang: args.lang,
        concurrency,
        features: args.features.unwrap_or_else(default_features),
        progress: !args.quiet,
    };
    // Ctrl-C drops the run, and with it the browser pool, whose drop stops ChromeDriver and Chromium.
    let outcome = tokio::select! {
        outcome = apay_conformance::runner::run(options) => outcome?,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("interrupted: stopping the browser and the emulator");
            return Ok(ExitCode::from(130));
        }
    };
    let summary = &outcome.report.summary;
    let items = summary.items_passed + summary.items_failed + summary.items_not_run;
    let icon = if summary.is_success() { "✅" } else { "❌" };
    eprintln!(
        "{icon} self-check items: {} passed, {} failed, {} not run (of {items}) · scenarios: {} passed, {} failed, {} not run · {:.1} s",
        summary.items_passed,
        summary.items_failed,
        summary.items_not_run,
        summary.scenarios_passed,
        summary.scenarios_failed,
        summary.scenarios_not_run,
        outcome.report.header.duration_ms as f64 / 1000.0
    );
    for file in &outcome.files {
        println!("{}", file.display());
    }
    Ok(if summary.is_success() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

async fn doctor(config_file: Option<PathBuf>, args: DoctorArgs) -> anyhow::Result<ExitCode> {
    let overrides = args.credentials.overrides(args.endpoint.clone());
    let checks = apay_conformance::doctor::diagnose(config_file.as_deref(), &overrides, &args.report_dir).await;
    for check in &checks {
        println!("{}", check.line());
    }
    Ok(if checks.iter().all(|c| c.ok) { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    use apay_conformance::emulator::listen::{start, ListenOptions};
    let options = ListenOptions {
        host: args.host,
        port: args.port,
        tls_port: Some(args.tls_port),
        tls_cert_and_key: args.tls_cert.zip(args.tls_key),
        max_clock_skew: (args.max_clock_skew_minutes > 0)
            .then(|| chrono::Duration::minutes(args.max_clock_skew_minutes)),
        sandbox_faithful: args.sandbox_faithful,
        record_cap: args.record_cap,
    };
    let running = start(options).await?;
    for spec in &args.public_keys {
        let (id, path) = spec.split_once('=').with_context(|| format!("--public-key {spec}: expected ID=PATH"))?;
        let pem = std::fs::read_to_string(path).with_context(|| format!("--public-key {spec}: cannot read {path}"))?;
        running.emulator.register(id, &pem).map_err(|e| anyhow::anyhow!("--public-key {spec}: {}", e.message))?;
    }
    println!("listening {}", running.http_url());
    if let Some(https) = running.https {
        println!("listening https://{https}");
    }
    println!("keys: {}", running.emulator.key_ids().join(", "));
    tokio::signal::ctrl_c().await.context("cannot wait for Ctrl-C")?;
    eprintln!("stopping");
    running.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => tokio::runtime::Runtime::new()
            .context("cannot start the async runtime")
            .and_then(|rt| rt.block_on(run(cli.config, args))),
        Command::Api(args) => tokio::runtime::Runtime::new()
            .context("cannot start the async runtime")
            .and_then(|rt| rt.block_on(api(cli.config, args))),
        Command::SignButton(args) => sign_button(cli.config, args),
        Command::Doctor(args) => tokio::runtime::Runtime::new()
            .context("cannot start the async runtime")
            .and_then(|rt| rt.block_on(doctor(cli.config, args))),
        Command::Serve(args) => tokio::runtime::Runtime::new()
            .context("cannot start the async runtime")
            .and_then(|rt| rt.block_on(serve(args))),
    };
    result.unwrap_or_else(|error| {
        eprintln!("error: {error:#}");
        ExitCode::from(2)
    })
}
