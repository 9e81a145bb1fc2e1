//! The whole conformance suite against the embedded emulator, as `cargo test` runs it: every
//! feature, the same runner as `apay-conformance run`, the report written under the target
//! directory. Then each feature's API responses, normalised (ids and timestamps replaced), are
//! compared with the insta snapshots in `snapshots/`, so a changed response shape after an
//! upgrade shows up as a diff. Exits non-zero when a scenario or a snapshot fails.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::process::ExitCode;

use apay_conformance::buyer::BuyerMode;
use apay_conformance::report::{RunReport, ScenarioReport, Status};
use apay_conformance::runner::{run, RunOptions};
use serde_json::{json, Value};

/// Members whose values are generated per run: replaced by a numbered placeholder per value, so
/// a snapshot still shows which responses refer to the same object.
const IDS: &[&str] =
    &["checkoutSessionId", "chargePermissionId", "chargeId", "refundId", "merchantReferenceId", "buyerId"];

fn collect_ids(value: &Value, ids: &mut HashMap<String, String>, counters: &mut HashMap<String, usize>) {
    match value {
        Value::Object(map) => {
            for (key, member) in map {
                if let (true, Some(id)) = (IDS.contains(&key.as_str()), member.as_str()) {
                    if !ids.contains_key(id) {
                        let n = counters.entry(key.clone()).or_default();
                        *n += 1;
                        ids.insert(id.to_owned(), format!("<{key}#{n}>"));
                    }
                }
                collect_ids(member, ids, counters);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_ids(v, ids, counters)),
        _ => {}
    }
}

fn normalise(value: &mut Value, ids: &[(String, String)]) {
    match value {
        Value::Object(map) => {
            for (key, member) in map.iter_mut() {
                if key.ends_with("Timestamp") && member.is_string() {
                    *member = json!("<timestamp>");
                } else {
                    normalise(member, ids);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| normalise(v, ids)),
        Value::String(s) => {
            for (id, placeholder) in ids {
                if s.contains(id.as_str()) {
                    *s = s.replace(id.as_str(), placeholder);
                }
            }
            // The embedded emulator listens on a random port.
            if let Some(start) = s.find("http://127.0.0.1:") {
                let rest = &s[start + 17..];
                let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
                *s = format!("{}http://127.0.0.1:<port>{}", &s[..start], &rest[end..]);
            }
        }
        _ => {}
    }
}

/// A feature's responses, normalised: one per operation, status and object state, with the
/// scenario and step that first produced it (a 25th identical Create Charge adds nothing).
fn shapes(scenarios: &[&ScenarioReport]) -> Vec<Value> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for scenario in scenarios {
        let mut ids = HashMap::new();
        let mut counters = HashMap::new();
        for exchange in scenario.steps.iter().flat_map(|s| &s.exchanges) {
            exchange.response.iter().for_each(|r| collect_ids(r, &mut ids, &mut counters));
        }
        // Longer ids first: a charge id contains its permission id.
        let mut ids: Vec<(String, String)> = ids.into_iter().collect();
        ids.sort_by_key(|(id, _)| std::cmp::Reverse(id.len()));
        for step in &scenario.steps {
            for exchange in &step.exchanges {
                let state = exchange.response.as_ref().and_then(|r| r["statusDetails"]["state"].as_str());
                if !seen.insert((exchange.operation, exchange.status, state.map(str::to_owned))) {
                    continue;
                }
                let mut response = exchange.response.clone().unwrap_or(Value::Null);
                normalise(&mut response, &ids);
                out.push(json!({
                    "call": format!(
                        "{} {}",
                        exchange.operation.map_or("(no operation)", |op| op.title()),
                        exchange.status.map_or_else(|| "(no answer)".to_owned(), |s| s.to_string())
                    ),
                    "scenario": scenario.name,
                    "step": format!("{} {}", step.keyword, step.text),
                    "response": response,
                }));
            }
        }
    }
    out
}

/// Snapshot name per feature file, e.g. `01_onetime`.
fn by_feature(report: &RunReport) -> BTreeMap<String, Vec<Value>> {
    let mut features: BTreeMap<String, Vec<&ScenarioReport>> = BTreeMap::new();
    for scenario in report.scenarios.iter().filter(|s| s.status == Status::Passed) {
        let stem = scenario.feature_file.trim_end_matches(".feature").replace('/', "__");
        features.entry(stem).or_default().push(scenario);
    }
    features.into_iter().map(|(name, scenarios)| (name, shapes(&scenarios))).collect()
}

fn main() -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let report_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("conformance-report");
    // The direct buyer: snapshots must not depend on whether a browser is installed (the browser
    // buyer has its own test, and `.ci/run` runs the suite with it).
    let options = RunOptions {
        report_dir: Some(report_dir),
        features: root.join("features"),
        buyer: BuyerMode::Direct,
        ..RunOptions::default()
    };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let outcome = match runtime.block_on(run(options)) {
        Ok(outcome) => outcome,
        Err(e) => {
            eprintln!("the conformance run could not start: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let summary = &outcome.report.summary;
    eprintln!(
        "conformance: {} scenarios passed, {} failed; items {} passed, {} failed, {} not run; report in {}",
        summary.scenarios_passed,
        summary.scenarios_failed,
        summary.items_passed,
        summary.items_failed,
        summary.items_not_run,
        outcome.files.first().and_then(|f| f.parent()).map(|p| p.display().to_string()).unwrap_or_default()
    );

    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root.join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    let mismatched: Vec<String> = settings.bind(|| {
        by_feature(&outcome.report)
            .into_iter()
            .filter(|(name, shapes)| {
                std::panic::catch_unwind(|| insta::assert_json_snapshot!(name.as_str(), shapes)).is_err()
            })
            .map(|(name, _)| name)
            .collect()
    });
    if !mismatched.is_empty() {
        eprintln!("response shapes changed in: {} (review with `cargo insta review`)", mismatched.join(", "));
    }
    let every_item_passed = summary.items_passed == outcome.report.items.len();
    if summary.is_success() && every_item_passed && mismatched.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
