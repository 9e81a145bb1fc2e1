//! A cucumber [`Writer`] that keeps what each scenario and step did, with timestamps, for the
//! report, and prints one progress line per finished scenario.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use cucumber::event::{self, Cucumber, Feature, RetryableScenario, Rule, Scenario, Step, StepError};
use cucumber::{cli, gherkin, parser, Event, Writer};

use crate::report::{Status, StepStatus};
use crate::steps::ConformanceWorld;

/// Scenarios are keyed by their file and line (an outline's examples each have their own line).
pub type ScenarioKey = (String, usize);

pub fn key_of(feature: &gherkin::Feature, scenario: &gherkin::Scenario) -> ScenarioKey {
    let path = feature.path.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
    (path, scenario.position.line)
}

/// `01_onetime.feature:12`: how progress lines name a scenario.
pub fn label_of((path, line): &ScenarioKey) -> String {
    format!("{}:{line}", path.rsplit('/').next().unwrap_or(path))
}

/// A scenario the target cannot run, reported with the reason.
#[derive(Clone, Debug)]
pub struct NotRun {
    pub feature: gherkin::Feature,
    pub scenario: gherkin::Scenario,
    pub tags: Vec<String>,
    pub reason: &'static str,
}

/// Filled while the features are filtered, before any scenario starts.
pub type NotRunList = Arc<Mutex<Vec<NotRun>>>;

#[derive(Clone, Debug)]
pub struct StepRun {
    pub keyword: String,
    pub text: String,
    pub line: usize,
    pub background: bool,
    pub status: StepStatus,
    pub started: Option<SystemTime>,
    pub finished: Option<SystemTime>,
    pub error: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ScenarioRun {
    pub feature: Arc<gherkin::Feature>,
    pub rule_tags: Vec<String>,
    pub scenario: Arc<gherkin::Scenario>,
    pub started: SystemTime,
    pub finished: Option<SystemTime>,
    pub steps: Vec<StepRun>,
    /// A failed before/after hook (e.g. the emulator refused the tenant).
    pub hook_error: Option<String>,
}

impl ScenarioRun {
    pub fn status(&self) -> Status {
        let failed = self.hook_error.is_some()
            || self.finished.is_none()
            || self.steps.iter().any(|s| s.status != StepStatus::Passed);
        if failed {
            Status::Failed
        } else {
            Status::Passed
        }
    }

    pub fn failure(&self) -> Option<String> {
        if let Some(e) = &self.hook_error {
            return Some(e.clone());
        }
        self.steps.iter().find(|s| s.status != StepStatus::Passed).map(|s| {
            let why = s.error.clone().unwrap_or_else(|| "not run".into());
            format!("{}{} — {why}", s.keyword, s.text)
        })
    }
}

pub struct Collector {
    progress: bool,
    not_run: NotRunList,
    total: usize,
    done: usize,
    pub scenarios: BTreeMap<ScenarioKey, ScenarioRun>,
    pub parse_errors: Vec<String>,
}

impl Collector {
    pub fn new(progress: bool, not_run: NotRunList) -> Self {
        Collector { progress, not_run, total: 0, done: 0, scenarios: BTreeMap::new(), parse_errors: Vec::new() }
    }

    fn started(
        &mut self,
        feature: &Arc<gherkin::Feature>,
        rule: Option<&gherkin::Rule>,
        scenario: &Arc<gherkin::Scenario>,
        at: SystemTime,
    ) {
        let step = |s: &gherkin::Step, background: bool| StepRun {
            keyword: s.keyword.trim().to_owned(),
            text: s.value.clone(),
            line: s.position.line,
            background,
            status: StepStatus::Skipped,
            started: None,
            finished: None,
            error: Some("not run: an earlier step failed".into()),
        };
        let mut steps: Vec<StepRun> = Vec::new();
        steps.extend(feature.background.iter().flat_map(|b| &b.steps).map(|s| step(s, true)));
        steps.extend(rule.iter().flat_map(|r| &r.background).flat_map(|b| &b.steps).map(|s| step(s, true)));
        steps.extend(scenario.steps.iter().map(|s| step(s, false)));
        let run = ScenarioRun {
            feature: feature.clone(),
            rule_tags: rule.map(|r| r.tags.clone()).unwrap_or_default(),
            scenario: scenario.clone(),
            started: at,
            finished: None,
            steps,
            hook_error: None,
        };
        self.scenarios.insert(key_of(feature, scenario), run);
    }

    fn step(
        &mut self,
        key: &ScenarioKey,
        step: &gherkin::Step,
        background: bool,
        ev: &Step<ConformanceWorld>,
        at: SystemTime,
    ) {
        let Some(run) = self.scenarios.get_mut(key) else { return };
        let Some(s) = run.steps.iter_mut().find(|s| s.line == step.position.line && s.background == background) else {
            return;
        };
        match ev {
            Step::Started => {
                s.started = Some(at);
                s.error = None;
            }
            Step::Passed(..) => {
                s.status = StepStatus::Passed;
                s.finished = Some(at);
            }
            Step::Skipped => {
                // cucumber skips a step no definition matches: for us that is a broken scenario.
                s.status = StepStatus::Failed;
                s.finished = Some(at);
                s.error = Some("no step definition matches this text".into());
            }
            Step::Failed(_, _, _, error) => {
                s.status = StepStatus::Failed;
                s.finished = Some(at);
                s.error = Some(describe(error));
            }
        }
    }

    fn scenario(
        &mut self,
        feature: &Arc<gherkin::Feature>,
        rule: Option<&gherkin::Rule>,
        scenario: &Arc<gherkin::Scenario>,
        ev: &RetryableScenario<ConformanceWorld>,
        at: SystemTime,
    ) {
        let key = key_of(feature, scenario);
        match &ev.event {
            Scenario::Started => self.started(feature, rule, scenario, at),
            Scenario::Background(step, ev) => self.step(&key, step, true, ev, at),
            Scenario::Step(step, ev) => self.step(&key, step, false, ev, at),
            Scenario::Hook(_, event::Hook::Failed(_, info)) => {
                if let Some(run) = self.scenarios.get_mut(&key) {
                    run.hook_error = Some(panic_text(info));
                }
            }
            Scenario::Hook(..) | Scenario::Log(_) => {}
            Scenario::Finished => {
                if let Some(run) = self.scenarios.get_mut(&key) {
                    run.finished = Some(at);
                }
                self.done += 1;
                self.print(&key);
            }
        }
    }

    fn print(&self, key: &ScenarioKey) {
        let (Some(run), true) = (self.scenarios.get(key), self.progress) else { return };
        let seconds = run.finished.and_then(|f| f.duration_since(run.started).ok()).unwrap_or_default().as_secs_f64();
        let status = run.status();
        let width = self.total.to_string().len();
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "[{:>width$}/{}] {} {} {} ({seconds:.2} s)",
            self.done,
            self.total,
            status.icon(),
            label_of(key),
            run.scenario.name
        );
        if let Some(failure) = run.failure().filter(|_| status == Status::Failed) {
            let _ = writeln!(err, "        {}", failure.replace('\n', "\n        "));
        }
    }

    /// Before the first scenario starts: what this target will not run, grouped by the reason, so
    /// a person sees at once that they are left out on purpose.
    fn print_not_run(&self) {
        let not_run = self.not_run.lock().unwrap_or_else(|e| e.into_inner());
        if !self.progress || not_run.is_empty() {
            return;
        }
        let mut by_reason: BTreeMap<&str, Vec<&NotRun>> = BTreeMap::new();
        for n in not_run.iter() {
            by_reason.entry(n.reason).or_default().push(n);
        }
        let mut err = std::io::stderr().lock();
        for (reason, scenarios) in by_reason {
            let _ = writeln!(err, "⏭️ not run here ({}): {reason}", scenarios.len());
            for n in scenarios {
                let label = label_of(&key_of(&n.feature, &n.scenario));
                let _ = writeln!(err, "        {label} {}", n.scenario.name);
            }
        }
    }
}

fn panic_text(info: &event::Info) -> String {
    info.downcast_ref::<String>()
        .cloned()
        .or_else(|| info.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "the step panicked".into())
}

fn describe(error: &StepError) -> String {
    match error {
        StepError::Panic(info) => panic_text(info),
        StepError::NotFound => "no step definition matches this text".into(),
        StepError::AmbiguousMatch(e) => format!("more than one step definition matches: {e}"),
    }
}

impl Writer<ConformanceWorld> for Collector {
    type Cli = cli::Empty;

    async fn handle_event(&mut self, event: parser::Result<Event<Cucumber<ConformanceWorld>>>, _: &Self::Cli) {
        let event = match event {
            Ok(event) => event,
            Err(e) => {
                self.parse_errors.push(e.to_string());
                return;
            }
        };
        let at = event.at;
        match event.value {
            Cucumber::ParsingFinished { scenarios, .. } => {
                self.total = scenarios;
                self.print_not_run();
            }
            Cucumber::Feature(feature, Feature::Scenario(scenario, ev)) => {
                let (feature, scenario): (Arc<gherkin::Feature>, Arc<gherkin::Scenario>) =
                    (feature.into(), scenario.into());
                self.scenario(&feature, None, &scenario, &ev, at);
            }
            Cucumber::Feature(feature, Feature::Rule(rule, Rule::Scenario(scenario, ev))) => {
                let (feature, scenario): (Arc<gherkin::Feature>, Arc<gherkin::Scenario>) =
                    (feature.into(), scenario.into());
                self.scenario(&feature, Some(&rule), &scenario, &ev, at);
            }
            _ => {}
        }
    }
}
