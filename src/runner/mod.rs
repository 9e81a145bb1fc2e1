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
use crate::config::Config;
use crate::emulator::listen::{self, ListenOptions};
use crate::report::{self, Header, Lang, RunReport};
use crate::signing::Algorithm;
use crate::steps::{ConformanceWorld, Evidence};
use collector::{key_of, label_of, Collector, NotRun, NotRunList, ScenarioKey};
use target::Target;

/// What the scenarios run against.
#[derive(Clone, Debug, Default)]
pub enum TargetChoice {
    /// The emulator: embedded, or at [`RunOptions::endpoint`].
    #[default]
    Emulator,
    /// The configured sandbox account; `config.endpoint` may point at `serve --sandbox-faithful`.
    Sandbox(Box<Config>),
}

/// What to run and where the report goes.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub target: TargetChoice,
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
            target: TargetChoice::Emulator,
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
    let sandbox = match &options.target {
        TargetChoice::Sandbox(config) => Some(config.clone()),
        TargetChoice::Emulator => None,
    };
    let embedded = match (&sandbox, &options.endpoint) {
        (None, None) => {
            Some(listen::start(ListenOptions::default()).await.context("cannot start the embedded emulator")?)
        }
        _ => None,
    };
    let endpoint = match (&sandbox, &options.endpoint, &embedded) {
        (Some(config), _, _) => config.endpoint.clone(),
        (None, Some(url), _) => Some(url.clone()),
        (None, None, Some(running)) => Some(Url::parse(&running.http_url())?),
        (None, None, None) => unreachable!("an emulator was started when no endpoint was given"),
    };
    // The buyers can walk the emulator's hosted pages only (on Amazon's own, buyer scenarios are not run).
    let browser = match &endpoint {
        Some(hosted) => start_browser(options.buyer, hosted).await,
        None => Ok(None),
    };
    let browser = match browser {
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
    let target = match sandbox {
        Some(config) => Target::sandbox(*config, browser.clone())?,
        None => Target::emulator(endpoint.clone().expect("the emulator has an endpoint"), browser.clone())?,
    };
    let target = Arc::new(target);
    let not_run: NotRunList = Arc::default();
    let evidence: EvidenceStore = Arc::default();

    let collector = {
        let (before_target, after_target) = (target.clone(), target.clone());
        let (after_store, progress) = (evidence.clone(), options.progress);
        let (filter_target, filter_not_run) = (target.clone(), not_run.clone());
        ConformanceWorld::cucumber()
            // The collector keys every event by its scenario, so interleaved events are fine.
            .with_writer(cucumber::writer::AssertNormalized::new(Collector::new(options.progress, not_run.clone())))
            .with_cli(cucumber::cli::Opts::<_, _, _, cucumber::cli::Empty>::default())
            .max_concurrent_scenarios(options.concurrency.max(1))
            .before(move |feature, _, scenario, world| {
                world.attach(before_target.clone(), progress.then(|| label_of(&key_of(feature, scenario))));
                futures::future::ready(()).boxed_local()
            })
            .after(move |feature, _, scenario, _, world| {
                let (store, target) = (after_store.clone(), after_target.clone());
                let key = key_of(feature, scenario);
                async move {
                    if let Some(world) = world {
                        let mut evidence = world.take_evidence();
                        world.finish().await;
                        if let Some(key_id) = world.merchant_key_id() {
                            emulator_record(&target, &key_id, &mut evidence).await;
                        }
                        store.lock().unwrap_or_else(|e| e.into_inner()).insert(key, evidence);
                    }
                }
                .boxed_local()
            })
            .filter_run(options.features.clone(), move |feature, rule, scenario| {
                let all_tags: Vec<String> = feature
                    .tags
                    .iter()
                    .chain(rule.iter().flat_map(|r| &r.tags))
                    .chain(scenario.tags.iter())
                    .cloned()
                    .collect();
                if !tags.as_ref().is_none_or(|t| t.eval(all_tags.iter())) {
                    return false;
                }
                // What the scenario needs comes from the step definitions it uses.
                let needs = crate::steps::StepNeeds::shared().of_scenario(feature, rule, scenario);
                match filter_target.cannot_run(&needs) {
                    None => true,
                    Some(reason) => {
                        let record =
                            NotRun { feature: feature.clone(), scenario: scenario.clone(), tags: all_tags, reason };
                        filter_not_run.lock().unwrap_or_else(|e| e.into_inner()).push(record);
                        false
                    }
                }
            })
            .await
    };
    if let Some((pool, shop)) = &browser {
        pool.shutdown().await;
        shop.stop();
    }
    let embedded_url = embedded.as_ref().map(|r| r.http_url());
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
    let not_run = std::mem::take(&mut *not_run.lock().unwrap_or_else(|e| e.into_inner()));
    scenarios.extend(not_run.iter().map(|n| assemble::not_run(&n.feature, &n.scenario, &n.tags, n.reason, &root)));
    scenarios.sort_by(|a, b| (&a.feature_file, a.line).cmp(&(&b.feature_file, b.line)));
    let items = assemble::items(&scenarios, options.lang, options.tags.is_some());
    let summary = assemble::summary(&scenarios, &items);
    let header = Header {
        buyer: buyer.into(),
        browser: browser_version,
        harness_version: env!("CARGO_PKG_VERSION").into(),
        started_at: started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        duration_ms: started.elapsed().as_millis() as u64,
        lang: options.lang,
        tags: options.tags.clone(),
        ..describe(&options.target, endpoint.as_ref(), embedded_url.as_deref())
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

/// On the emulator, the evidence is Amazon's side of the story: what the emulator received from
/// the scenario's merchant (whoever that was) and the state changes it made, polled or not. If the
/// record cannot be read, our client's log stays (with a warning): less evidence, not none.
async fn emulator_record(target: &Target, key_id: &str, evidence: &mut Evidence) {
    match target.record(key_id).await {
        Ok(Some((exchanges, events))) => {
            evidence.exchanges = exchanges;
            evidence.events = Some(events);
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(
            "the emulator's record of {key_id} could not be read ({e:#}); the report shows our client's log"
        ),
    }
}

/// The report header's account lines: ids masked, never a key.
fn describe(target: &TargetChoice, endpoint: Option<&Url>, embedded: Option<&str>) -> Header {
    let (name, region, merchant_id, store_id, public_key_id, algorithm) = match target {
        TargetChoice::Emulator => (
            "emulator",
            "jp".to_owned(),
            None,
            Some(target::STORE_ID.to_owned()),
            "SANDBOX-… (one emulator key per scenario)".to_owned(),
            Algorithm::V2,
        ),
        TargetChoice::Sandbox(config) => (
            "sandbox",
            config.region.code().to_owned(),
            config.merchant_id.as_deref().map(crate::config::mask),
            config.store_id.as_deref().map(crate::config::mask),
            config.public_key_id.as_ref().map(|s| crate::config::mask(&s.value)).unwrap_or_default(),
            config.algorithm,
        ),
    };
    let endpoint = match (embedded, endpoint) {
        (Some(url), _) => format!("{url} (embedded)"),
        (None, Some(url)) => url.to_string(),
        (None, None) => match target {
            TargetChoice::Sandbox(config) => format!("https://{} (Amazon Pay sandbox)", config.region.host()),
            TargetChoice::Emulator => String::new(),
        },
    };
    Header {
        target: name.into(),
        endpoint,
        region,
        merchant_id,
        store_id,
        public_key_id,
        algorithm: algorithm.to_string(),
        buyer: String::new(),
        browser: None,
        harness_version: String::new(),
        started_at: String::new(),
        duration_ms: 0,
        lang: Lang::Ja,
        tags: None,
    }
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
