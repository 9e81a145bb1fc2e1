//! The report's data, built by the runner and rendered by every writer. Serialized as-is to
//! `selfcheck.json`, so field names are the machine-readable contract.

use serde::{Deserialize, Serialize};

/// The language of the report's own text (the Gherkin is always Japanese).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Ja,
    En,
}

/// The outcome of a scenario or a self-check item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Status {
    Passed,
    Failed,
    /// Not executed on this target (or filtered out); the reason is beside it.
    NotRun,
}

impl Status {
    /// ✅ / ❌ / ⏭️, as shown in every writer.
    pub fn icon(self) -> &'static str {
        match self {
            Status::Passed => "✅",
            Status::Failed => "❌",
            Status::NotRun => "⏭️",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Status::Passed, Lang::Ja) => "合格",
            (Status::Failed, Lang::Ja) => "不合格",
            (Status::NotRun, Lang::Ja) => "未実施",
            (Status::Passed, Lang::En) => "passed",
            (Status::Failed, Lang::En) => "failed",
            (Status::NotRun, Lang::En) => "not run",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StepStatus {
    Passed,
    Failed,
    /// Not executed because an earlier step failed (or no step definition matched).
    Skipped,
}

impl StepStatus {
    /// The same icons as [`Status::icon`], so a step reads like the scenario it belongs to.
    pub fn icon(self) -> &'static str {
        match self {
            StepStatus::Passed => Status::Passed.icon(),
            StepStatus::Failed => Status::Failed.icon(),
            StepStatus::Skipped => Status::NotRun.icon(),
        }
    }
}

/// Everything a run produced.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    pub header: Header,
    pub summary: Summary,
    /// The self-check sheet, in the sheet's order.
    pub items: Vec<ItemResult>,
    /// In feature-file order.
    pub scenarios: Vec<ScenarioReport>,
}

/// What ran, against what, by whom. Ids are masked before they get here.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    /// `emulator` or `sandbox`.
    pub target: String,
    pub endpoint: String,
    pub region: String,
    pub merchant_id: Option<String>,
    pub store_id: Option<String>,
    pub public_key_id: String,
    pub algorithm: String,
    /// `direct` or `browser`.
    pub buyer: String,
    /// Chromium's version when the browser buyer ran.
    pub browser: Option<String>,
    pub harness_version: String,
    /// RFC 3339, local offset.
    pub started_at: String,
    pub duration_ms: u64,
    pub lang: Lang,
    /// The `--tags` expression, when one narrowed the run.
    pub tags: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub scenarios_passed: usize,
    pub scenarios_failed: usize,
    pub scenarios_not_run: usize,
    pub items_passed: usize,
    pub items_failed: usize,
    pub items_not_run: usize,
}

impl Summary {
    pub fn is_success(&self) -> bool {
        self.scenarios_failed == 0 && self.items_failed == 0
    }
}

/// One line of the self-check sheet.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemResult {
    /// `A-1` …
    pub id: String,
    /// Short title in the report's language.
    pub title: String,
    /// What the item checks, in the report's language.
    pub description: String,
    /// Passed when every linked scenario passed; failed when one failed; not run otherwise.
    pub status: Status,
    /// Why it did not run (or which scenario failed).
    pub reason: Option<String>,
    /// [`ScenarioReport::id`]s of the scenarios tagged `@check:<id>`.
    pub scenarios: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioReport {
    /// Stable anchor: feature file stem and line, e.g. `01_onetime-12`.
    pub id: String,
    /// The feature's name (`機能:` line).
    pub feature: String,
    /// Path of the `.feature` file, relative to the features directory.
    pub feature_file: String,
    pub name: String,
    pub line: usize,
    pub tags: Vec<String>,
    /// The `@check:` ids without the prefix.
    pub checks: Vec<String>,
    pub status: Status,
    /// For [`Status::NotRun`]: why (e.g. `@clock` on the real sandbox).
    pub reason: Option<String>,
    pub duration_ms: u64,
    pub steps: Vec<StepReport>,
    /// Every state change of the scenario's objects: on the emulator its own events (so a
    /// settlement nobody polled shows), on the sandbox the states the responses showed.
    pub transitions: Vec<Transition>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepReport {
    /// `前提`, `もし`, `ならば`, `かつ` … as written.
    pub keyword: String,
    pub text: String,
    pub status: StepStatus,
    pub duration_ms: u64,
    /// The assertion or error message when the step failed.
    pub error: Option<String>,
    /// API calls the step made, in order.
    pub exchanges: Vec<Exchange>,
    /// Pages the buyer saw during the step.
    pub pages: Vec<PageSeen>,
    /// Background step (from `背景:`).
    pub background: bool,
}

/// API exchanges and state transitions are the shared evidence types: in a report, an
/// exchange's bodies have buyer data masked, and a transition is an [`Event`].
pub use crate::evidence::{Event as Transition, Exchange};

/// A page the buyer saw on the hosted pages (or the merchant's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageSeen {
    /// With query values that identify the buyer masked.
    pub url: String,
    pub title: String,
    /// Visible text by `data-testid` (masked), e.g. `amount: ¥10000`.
    pub texts: Vec<(String, String)>,
    /// `data:image/png;base64,…` when the browser buyer took a screenshot.
    pub screenshot: Option<String>,
}
