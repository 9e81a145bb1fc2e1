//! `selfcheck.md`: the pull-request comment. It answers "did it pass, and if not, where" at a
//! glance; the evidence stays in the HTML sheet, so passed scenarios get no detail here.

use std::fmt::{self, Write};

use super::model::{RunReport, ScenarioReport, Status, StepStatus};
use super::words::{duration, words};

pub fn render(report: &RunReport) -> String {
    let mut md = String::new();
    write(report, &mut md).expect("writing to a String cannot fail");
    md
}

fn write(report: &RunReport, md: &mut String) -> fmt::Result {
    let lang = report.header.lang;
    let t = words(lang);
    let h = &report.header;
    let s = &report.summary;
    let (icon, verdict) = if s.is_success() { ("✅", t.verdict_passed) } else { ("❌", t.verdict_failed) };
    let buyer = match &h.browser {
        Some(browser) => format!("{} ({browser})", h.buyer),
        None => h.buyer.clone(),
    };
    let counts = |passed, failed, not_run| {
        format!(
            "{passed} {} · {failed} {} · {not_run} {}",
            Status::Passed.label(lang),
            Status::Failed.label(lang),
            Status::NotRun.label(lang)
        )
    };

    writeln!(md, "## {icon} {}: {verdict}\n", t.title)?;
    writeln!(
        md,
        "{}: {} · {}: {} · {}: {} · {}: {} · apay-conformance {}\n",
        t.target,
        h.target,
        t.buyer,
        buyer,
        t.duration,
        duration(h.duration_ms),
        t.date,
        h.started_at,
        h.harness_version
    )?;
    writeln!(
        md,
        "{}: {} — {}: {}\n",
        t.items,
        counts(s.items_passed, s.items_failed, s.items_not_run),
        t.scenarios,
        counts(s.scenarios_passed, s.scenarios_failed, s.scenarios_not_run)
    )?;

    writeln!(md, "| ID | {} | {} | {} |\n|---|---|---|---|", t.item, t.result, t.scenarios)?;
    for item in &report.items {
        let result = match (&item.reason, item.status) {
            (Some(reason), Status::Failed | Status::NotRun) => {
                format!("{} {}: {reason}", item.status.icon(), item.status.label(lang))
            }
            _ => format!("{} {}", item.status.icon(), item.status.label(lang)),
        };
        let scenarios: Vec<&str> = item
            .scenarios
            .iter()
            .map(|id| report.scenarios.iter().find(|s| &s.id == id).map_or(id.as_str(), |s| s.name.as_str()))
            .collect();
        writeln!(
            md,
            "| {} | {} | {} | {} |",
            cell(&item.id),
            cell(&item.title),
            cell(&result),
            cell(&scenarios.join(", "))
        )?;
    }

    let failed: Vec<&ScenarioReport> = report.scenarios.iter().filter(|s| s.status == Status::Failed).collect();
    if !failed.is_empty() {
        writeln!(md, "\n### {}", t.failed_scenarios)?;
        for scenario in failed {
            writeln!(
                md,
                "\n#### ❌ {} › {} (`{}:{}`)\n",
                scenario.feature, scenario.name, scenario.feature_file, scenario.line
            )?;
            match scenario.steps.iter().find(|step| step.status == StepStatus::Failed) {
                Some(step) => {
                    writeln!(md, "**{}** {}\n", step.keyword, step.text)?;
                    if let Some(error) = &step.error {
                        writeln!(md, "{}", fenced(error))?;
                    }
                }
                None => {
                    if let Some(reason) = &scenario.reason {
                        writeln!(md, "{}", fenced(reason))?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// A `|` would end the cell and a newline the row.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\r', '\n'], " ")
}

/// Errors can quote response bodies or Markdown; a fence longer than any backtick run inside
/// keeps them verbatim.
fn fenced(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}text\n{}\n{fence}", text.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_cells_and_fences_survive_their_own_syntax() {
        assert_eq!(cell("a | b\nc"), "a \\| b c");
        assert_eq!(fenced("x ``` y"), "````text\nx ``` y\n````");
        assert_eq!(fenced("plain"), "```text\nplain\n```");
    }
}
