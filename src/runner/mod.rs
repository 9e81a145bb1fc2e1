//! The runner: one entry point, [`run`], used by `apay-conformance run` and by `cargo test`
//! (`tests/conformance.rs`). It starts the embedded emulator unless given an endpoint, runs the
//! features concurrently (each scenario its own tenant), and assembles and writes the report.

mod assemble;
mod collector;
pub mod target;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{anyhow, Context as _};
use cucumber::tag::Ext as _;
use cucumber::World as _;
use futures::FutureExt as _;
use url::Url;

use crate::buyer::browser::{find_programs, Browser};
use crate::buyer::shop::Shop;
use crate::buyer::BuyerMode;
use crate::emulator::listen::{self, ListenOptions};
use crate::report::{self, Header, Lang, RunReport};
use crate::signing::Algorithm;
use crate::steps::{ConformanceWorld, Evidence};
use collector::{key_of, Collector, ScenarioKey};
use target::Target;

/// What to run and where the report goes.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// An emulator already running (e.g. `serve`); `None` starts one in-process.
    pub endpoint: Option<Url>,
    pub buyer: BuyerMode,
    /// A cucumber tag expression, e.g. `@flow:onetime and not @clock`.
    pub tags: Option<String>,
    /// Where the four report files go; `None` writes nothing.
    pub report_dir: Option<PathBuf>,
    pub lang: Lang,
    /// Scenarios in flight at once.
    pub concurrency: usize,
    /// The `.feature` files (a directory or one file).
    pub features: PathBuf,
    /// One line per finished scenario on stderr.
    pub progress: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            endpoint: None,
            buyer: BuyerMode::Auto,
            tags: None,
            report_dir: Some(PathBuf::from("reports")),
            lang: Lang::Ja,
            concurrency: 16,
            features: PathBuf::from("features"),
            progress: true,
        }
    }
}

pub struct RunOutcome {
    pub report: RunReport,
    /// The report files written.
    pub files: Vec<PathBuf>,
}

type EvidenceStore = Arc<Mutex<HashMap<ScenarioKey, Evidence>>>;

pub async fn run(options: RunOptions) -> anyhow::Result<RunOutcome> {
    let started = Instant::now();
    let started_at = chrono::Local::now();
    let tags = options
        .tags
        .as_deref()
        .map(|t| t.parse::<cucumber::gherkin::tagexpr::TagOperation>().map_err(|e| anyhow!("--tags {t}: {e}")))
        .transpose()?;
    if !options.features.exists() {
        anyhow::bail!("no features at {}", options.features.display());
    }
    let embedded = match &options.endpoint {
        Some(_) => None,
        None => Some(listen::start(ListenOptions::default()).await.context("cannot start the embedded emulator")?),
    };
    let endpoint = match (&options.endpoint, &embedded) {
        (Some(url), _) => url.clone(),
        (None, Some(running)) => Url::parse(&running.http_url())?,
        (None, None) => unreachable!("an emulator was started when no endpoint was given"),
    };
    let browser = match start_browser(options.buyer, &endpoint).await {
        Ok(browser) => browser,
        Err(e) => {
            if let Some(running) = embedded {
                running.shutdown().await;
            }
            return Err(e);
        }
    };
    let (buyer, browser_version) = match &browser {
        Some((pool, _)) => ("browser", Some(pool.version.clone())),
        None => ("direct", None),
    };
    let target = Arc::new(Target::emulator(endpoint.clone(), browser.clone())?);
    let evidence: EvidenceStore = Arc::default();

    let collector = {
        let (before_target, after_store) = (target.clone(), evidence.clone());
        ConformanceWorld::cucumber()
            // The collector keys every event by its scenario, so interleaved events are fine.
            .with_writer(cucumber::writer::AssertNormalized::new(Collector::new(options.progress)))
            .with_cli(cucumber::cli::Opts::<_, _, _, cucumber::cli::Empty>::default())
            .max_concurrent_scenarios(options.concurrency.max(1))
            .before(move |_, _, _, world| {
                world.attach(before_target.clone());
                futures::future::ready(()).boxed_local()
            })
            .after(move |feature, _, scenario, _, world| {
                let store = after_store.clone();
                let key = key_of(feature, scenario);
                async move {
                    if let Some(world) = world {
                        let evidence = world.take_evidence();
                        world.finish().await;
                        store.lock().unwrap_or_else(|e| e.into_inner()).insert(key, evidence);
                    }
                }
                .boxed_local()
            })
            .filter_run(options.features.clone(), move |feature, rule, scenario| {
                tags.as_ref().is_none_or(|t| {
                    t.eval(feature.tags.iter().chain(rule.iter().flat_map(|r| &r.tags)).chain(scenario.tags.iter()))
                })
            })
            .await
    };
    if let Some((pool, shop)) = &browser {
        pool.shutdown().await;
        shop.stop();
    }
    if let Some(running) = embedded {
        running.shutdown().await;
    }

    let root = options.features.display().to_string();
    let mut store = std::mem::take(&mut *evidence.lock().unwrap_or_else(|e| e.into_inner()));
    let mut scenarios: Vec<_> = collector
        .scenarios
        .iter()
        .map(|(key, run)| assemble::scenario(key, run, store.remove(key).unwrap_or_default(), &root))
        .collect();
    scenarios.extend(collector.parse_errors.iter().map(|e| parse_failure(e)));
    let items = assemble::items(&scenarios, options.lang, options.tags.is_some());
    let summary = assemble::summary(&scenarios, &items);
    let header = Header {
        target: "emulator".into(),
        endpoint: if options.endpoint.is_some() { endpoint.to_string() } else { format!("{endpoint} (embedded)") },
        region: "jp".into(),
        merchant_id: None,
        store_id: Some(target::STORE_ID.into()),
        public_key_id: "SANDBOX-… (one emulator key per scenario)".into(),
        algorithm: Algorithm::V2.to_string(),
        buyer: buyer.into(),
        browser: browser_version,
        harness_version: env!("CARGO_PKG_VERSION").into(),
        started_at: started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        duration_ms: started.elapsed().as_millis() as u64,
        lang: options.lang,
        tags: options.tags.clone(),
    };
    let report = RunReport { header, summary, items, scenarios };
    let files = match &options.report_dir {
        Some(dir) => {
            report::write_all(&report, dir).with_context(|| format!("cannot write the report to {}", dir.display()))?
        }
        None => Vec::new(),
    };
    Ok(RunOutcome { report, files })
}

/// The browser buyer's pool and merchant pages, when the mode asks for (or, `auto`, allows) them.
async fn start_browser(mode: BuyerMode, amazon: &Url) -> anyhow::Result<Option<(Arc<Browser>, Arc<Shop>)>> {
    let wanted = match mode {
        BuyerMode::Direct => false,
        BuyerMode::Browser => true,
        // In CI a missing browser must fail the build, not quietly fall back.
        BuyerMode::Auto => find_programs().is_ok() || std::env::var("CI").is_ok_and(|v| v == "true"),
    };
    if !wanted {
        return Ok(None);
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let pool = Browser::start(cores).await.context("--buyer browser")?;
    let shop = Shop::start(amazon.clone()).await?;
    Ok(Some((pool, Arc::new(shop))))
}

/// A feature file that does not parse fails the run, visibly, as a scenario of its own.
fn parse_failure(error: &str) -> report::ScenarioReport {
    report::ScenarioReport {
        id: format!("parse-error-{}", error.len()),
        feature: "(parse error)".into(),
        feature_file: String::new(),
        name: error.lines().next().unwrap_or(error).to_owned(),
        line: 0,
        tags: Vec::new(),
        checks: Vec::new(),
        status: report::Status::Failed,
        reason: Some(error.to_owned()),
        duration_ms: 0,
        steps: Vec::new(),
        transitions: Vec::new(),
    }
}

/// The features shipped with the harness, wherever the command runs from.
pub fn default_features() -> PathBuf {
    let here = Path::new("features");
    if here.is_dir() {
        return here.to_path_buf();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("features")
}
