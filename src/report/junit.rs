//! `junit.xml`: so CI systems that already show JUnit results (GitHub, GitLab, Jenkins) list the
//! scenarios as tests, with the failing step as the failure message.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, SerializeError, TestCase, TestCaseStatus, TestSuite};

use super::model::{RunReport, ScenarioReport, Status, StepStatus};

pub fn render(report: &RunReport) -> Result<String, SerializeError> {
    let mut junit = Report::new("apay-conformance");
    junit.set_time(Duration::from_millis(report.header.duration_ms));
    // A malformed start time only costs the attribute, not the whole file.
    if let Ok(started) = chrono::DateTime::parse_from_rfc3339(&report.header.started_at) {
        junit.set_timestamp(started);
    }

    // Keyed by file rather than by name: two feature files may carry the same `機能:` title.
    let mut suites: Vec<(&str, TestSuite)> = Vec::new();
    for scenario in &report.scenarios {
        let index = match suites.iter().position(|(file, _)| *file == scenario.feature_file) {
            Some(index) => index,
            None => {
                suites.push((&scenario.feature_file, TestSuite::new(scenario.feature.as_str())));
                suites.len() - 1
            }
        };
        let suite = &mut suites[index].1;
        let time = suite.time.unwrap_or_default() + Duration::from_millis(scenario.duration_ms);
        suite.set_time(time);
        suite.add_test_case(test_case(scenario));
    }
    junit.add_test_suites(suites.into_iter().map(|(_, suite)| suite));
    junit.to_string()
}

fn test_case(scenario: &ScenarioReport) -> TestCase {
    let status = match scenario.status {
        Status::Passed => TestCaseStatus::success(),
        Status::Failed => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            match scenario.steps.iter().find(|step| step.status == StepStatus::Failed) {
                Some(step) => {
                    status.set_message(format!("{} {}", step.keyword, step.text));
                    if let Some(error) = &step.error {
                        status.set_description(error.as_str());
                    }
                }
                None => {
                    if let Some(reason) = &scenario.reason {
                        status.set_message(reason.as_str());
                    }
                }
            }
            status
        }
        Status::NotRun => {
            let mut status = TestCaseStatus::skipped();
            if let Some(reason) = &scenario.reason {
                status.set_message(reason.as_str());
            }
            status
        }
    };
    let mut case = TestCase::new(scenario.name.as_str(), status);
    case.set_classname(scenario.feature_file.as_str()).set_time(Duration::from_millis(scenario.duration_ms));
    case
}
