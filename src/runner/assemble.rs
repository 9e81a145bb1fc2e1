//! Turns what the collector saw and what the scenarios recorded into the [`RunReport`]: steps
//! with their API exchanges and pages (by time), state transitions, and the self-check items.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};

use super::collector::{ScenarioKey, ScenarioRun};
use cucumber::gherkin;

use crate::evidence::{Exchange, ObjectType};
use crate::model::Timestamp;
use crate::report::{checklist, mask, ItemResult, Lang, ScenarioReport, Status, StepReport, Summary, Transition};
use crate::steps::Evidence;

fn millis(from: SystemTime, to: Option<SystemTime>) -> u64 {
    to.and_then(|t| t.duration_since(from).ok()).unwrap_or(Duration::ZERO).as_millis() as u64
}

/// An exchange as the report shows it: buyer data masked in both bodies, the key id in
/// `authorization` masked as the report's header masks it.
pub fn exchange(mut exchange: Exchange) -> Exchange {
    for body in [&mut exchange.request, &mut exchange.response].into_iter().flatten() {
        mask::scrub(body);
    }
    if let Some(auth) = exchange.request_headers.get_mut("authorization") {
        *auth = mask::authorization(auth);
    }
    exchange
}

/// Which object a response describes, by the operation's resource.
fn object_of(exchange: &Exchange) -> Option<(ObjectType, &'static str)> {
    match exchange.operation?.resource() {
        "checkoutSessions" => Some((ObjectType::CheckoutSession, "checkoutSessionId")),
        "chargePermissions" => Some((ObjectType::ChargePermission, "chargePermissionId")),
        "charges" => Some((ObjectType::Charge, "chargeId")),
        "refunds" => Some((ObjectType::Refund, "refundId")),
        _ => None,
    }
}

/// Where the emulator's events are not to be had (the real sandbox): each object's states in
/// the order successful responses showed them, stamped with the object's own
/// `lastUpdatedTimestamp`. A change nobody polled is missing here; see [`Evidence::events`].
pub fn transitions_seen(exchanges: &[Exchange]) -> Vec<Transition> {
    let mut last: HashMap<String, (String, Option<String>)> = HashMap::new();
    let mut out = Vec::new();
    for exchange in exchanges.iter().filter(|e| e.is_success()) {
        let (Some((object_type, id_field)), Some(body)) = (object_of(exchange), &exchange.response) else { continue };
        let details = &body["statusDetails"];
        let (Some(id), Some(state)) = (body[id_field].as_str(), details["state"].as_str()) else { continue };
        let reason =
            details["reasonCode"].as_str().or_else(|| details["reasons"][0]["reasonCode"].as_str()).map(str::to_owned);
        let at = details["lastUpdatedTimestamp"].as_str().and_then(|t| t.parse().ok());
        let seen = (state.to_owned(), reason.clone());
        let previous = last.insert(id.to_owned(), seen.clone());
        if previous.as_ref() != Some(&seen) {
            out.push(Transition {
                object_type,
                id: id.to_owned(),
                from: previous.map(|(s, _)| s),
                to: state.to_owned(),
                reason_code: reason,
                at: at.unwrap_or(Timestamp(exchange.at)),
            });
        }
    }
    out
}

fn file_stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.strip_suffix(".feature").unwrap_or(name)
}

pub fn scenario(key: &ScenarioKey, run: &ScenarioRun, evidence: Evidence, features_root: &str) -> ScenarioReport {
    let mut tags: Vec<String> = run
        .feature
        .tags
        .iter()
        .chain(&run.rule_tags)
        .chain(&run.scenario.tags)
        .map(|t| format!("@{}", t.trim_start_matches('@')))
        .collect();
    tags.dedup();
    let checks = tags.iter().filter_map(|t| t.strip_prefix("@check:")).map(str::to_owned).collect();
    let transitions = match evidence.events {
        Some(events) => events,
        None => transitions_seen(&evidence.exchanges),
    };
    let mut steps: Vec<StepReport> = run
        .steps
        .iter()
        .map(|s| StepReport {
            keyword: s.keyword.clone(),
            text: s.text.clone(),
            status: s.status,
            duration_ms: s.started.map_or(0, |at| millis(at, s.finished)),
            error: s.error.clone().filter(|_| s.status != crate::report::StepStatus::Passed),
            exchanges: Vec::new(),
            pages: Vec::new(),
            background: s.background,
        })
        .collect();
    // A call or page belongs to the last step that had started by then.
    let owner = |at: SystemTime| run.steps.iter().rposition(|s| s.started.is_some_and(|st| st <= at));
    for x in evidence.exchanges {
        if let Some(i) = owner(x.at.into()) {
            steps[i].exchanges.push(exchange(x));
        }
    }
    for seen in evidence.pages {
        if let Some(i) = owner(seen.at) {
            steps[i].pages.push(seen.page);
        }
    }
    let relative = key.0.strip_prefix(features_root).unwrap_or(&key.0).trim_start_matches('/').to_owned();
    ScenarioReport {
        id: format!("{}-{}", file_stem(&key.0), key.1),
        feature: run.feature.name.clone(),
        feature_file: relative,
        name: run.scenario.name.clone(),
        line: key.1,
        tags,
        checks,
        status: run.status(),
        reason: run.failure().filter(|_| run.status() == Status::Failed),
        duration_ms: millis(run.started, run.finished),
        steps,
        transitions,
    }
}

/// A scenario this target cannot run: listed with its steps, none executed, and the reason.
pub fn not_run(
    feature: &gherkin::Feature,
    scenario: &gherkin::Scenario,
    tags: &[String],
    reason: &str,
    features_root: &str,
) -> ScenarioReport {
    let path = feature.path.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
    let tags: Vec<String> = tags.iter().map(|t| format!("@{}", t.trim_start_matches('@'))).collect();
    let step = |s: &gherkin::Step, background: bool| StepReport {
        keyword: s.keyword.trim().to_owned(),
        text: s.value.clone(),
        status: crate::report::StepStatus::Skipped,
        duration_ms: 0,
        error: None,
        exchanges: Vec::new(),
        pages: Vec::new(),
        background,
    };
    let steps = feature
        .background
        .iter()
        .flat_map(|b| &b.steps)
        .map(|s| step(s, true))
        .chain(scenario.steps.iter().map(|s| step(s, false)))
        .collect();
    ScenarioReport {
        id: format!("{}-{}", file_stem(&path), scenario.position.line),
        feature: feature.name.clone(),
        feature_file: path.strip_prefix(features_root).unwrap_or(&path).trim_start_matches('/').to_owned(),
        name: scenario.name.clone(),
        line: scenario.position.line,
        checks: tags.iter().filter_map(|t| t.strip_prefix("@check:")).map(str::to_owned).collect(),
        tags,
        status: Status::NotRun,
        reason: Some(reason.to_owned()),
        duration_ms: 0,
        steps,
        transitions: Vec::new(),
    }
}

/// The sheet: an item passes when every scenario proving it passed.
pub fn items(scenarios: &[ScenarioReport], lang: Lang, filtered: bool) -> Vec<ItemResult> {
    let mut by_item: BTreeMap<&str, Vec<&ScenarioReport>> = BTreeMap::new();
    for s in scenarios {
        for check in &s.checks {
            by_item.entry(check.as_str()).or_default().push(s);
        }
    }
    checklist::ITEMS
        .iter()
        .map(|item| {
            let linked = by_item.get(item.id).cloned().unwrap_or_default();
            let failed: Vec<&&ScenarioReport> = linked.iter().filter(|s| s.status == Status::Failed).collect();
            let ran = linked.iter().any(|s| s.status != Status::NotRun);
            let (status, reason) = if !failed.is_empty() {
                let names: Vec<&str> = failed.iter().map(|s| s.name.as_str()).collect();
                (Status::Failed, Some(names.join(" / ")))
            } else if ran {
                (Status::Passed, None)
            } else {
                let why = linked.iter().find_map(|s| s.reason.clone()).unwrap_or_else(|| match (filtered, lang) {
                    (true, Lang::Ja) => "--tags で選ばれたシナリオがない".into(),
                    (true, Lang::En) => "no scenario selected by --tags".into(),
                    (false, Lang::Ja) => "この項目を検証するシナリオがない".into(),
                    (false, Lang::En) => "no scenario proves this item".into(),
                });
                (Status::NotRun, Some(why))
            };
            ItemResult {
                id: item.id.to_owned(),
                title: item.title(lang).to_owned(),
                description: item.description(lang).to_owned(),
                status,
                reason,
                scenarios: linked.iter().map(|s| s.id.clone()).collect(),
            }
        })
        .collect()
}

pub fn summary(scenarios: &[ScenarioReport], items: &[ItemResult]) -> Summary {
    let count = |status| scenarios.iter().filter(|s| s.status == status).count();
    let count_items = |status| items.iter().filter(|i| i.status == status).count();
    Summary {
        scenarios_passed: count(Status::Passed),
        scenarios_failed: count(Status::Failed),
        scenarios_not_run: count(Status::NotRun),
        items_passed: count_items(Status::Passed),
        items_failed: count_items(Status::Failed),
        items_not_run: count_items(Status::NotRun),
    }
}
