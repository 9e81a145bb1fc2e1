//! `selfcheck.html`: the sheet a merchant hands over at go-live review. One file with everything
//! inline, so it can be mailed or attached to a ticket and still open offline.

use std::collections::BTreeMap;

use minijinja::value::Serde;
use minijinja::{context, Environment, UndefinedBehavior, Value};
use serde::{Deserialize, Serialize};

use super::model::{RunReport, Status, StepStatus};
use super::words::{duration, words};

/// The name ends in `.html` so minijinja's default turns autoescaping on: step text, errors and
/// response bodies come from outside and must not become markup.
const NAME: &str = "selfcheck.html";
const TEMPLATE: &str = include_str!("selfcheck.html");

/// What an item's link needs to know about the scenario it points to, without carrying the
/// scenario's steps (and screenshots) into the template a second time.
#[derive(Serialize)]
struct Link<'a> {
    name: &'a str,
    status: Status,
}

/// Scenarios and steps share the `icon` filter; their serialized names only overlap where the
/// icons agree.
#[derive(Deserialize)]
#[serde(untagged)]
enum AnyStatus {
    Scenario(Status),
    Step(StepStatus),
}

pub fn render(report: &RunReport) -> Result<String, minijinja::Error> {
    let lang = report.header.lang;
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_filter("pretty", pretty);
    env.add_filter("duration", duration);
    env.add_filter("icon", |s: Serde<AnyStatus>| match s.0 {
        AnyStatus::Scenario(s) => s.icon(),
        AnyStatus::Step(s) => s.icon(),
    });
    env.add_filter("label", move |s: Serde<Status>| s.0.label(lang));
    env.add_template(NAME, TEMPLATE)?;
    let links: BTreeMap<&str, Link> =
        report.scenarios.iter().map(|s| (s.id.as_str(), Link { name: &s.name, status: s.status })).collect();
    env.get_template(NAME)?.render(context! {
        report => Value::from(Serde(report)),
        t => Value::from(Serde(words(lang))),
        links => Value::from(Serde(&links)),
        success => report.summary.is_success(),
    })
}

/// Bodies are stored as JSON values; indented they can be read against the API reference. A
/// body that was not JSON was kept as a string and is shown as it came.
fn pretty(value: Value) -> Result<String, minijinja::Error> {
    if let Some(text) = value.as_str() {
        return Ok(text.to_owned());
    }
    serde_json::to_string_pretty(&value)
        .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string()))
}
