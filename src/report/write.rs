//! Writes every report file from one [`RunReport`], so the JSON, the sheet, the PR comment and the
//! CI results can never disagree about a run.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::model::RunReport;
use super::{html, junit, markdown};

/// Returns the paths written, for the runner to print; a failure to render is reported as an I/O
/// error because the caller's only remedy is the same: no report.
pub fn write_all(report: &RunReport, dir: &Path) -> io::Result<Vec<PathBuf>> {
    fs::create_dir_all(dir)?;
    let files = [
        ("selfcheck.json", serde_json::to_string_pretty(report).map_err(io::Error::other)?),
        ("selfcheck.html", html::render(report).map_err(io::Error::other)?),
        ("selfcheck.md", markdown::render(report)),
        ("junit.xml", junit::render(report).map_err(io::Error::other)?),
    ];
    files
        .into_iter()
        .map(|(name, contents)| {
            let path = dir.join(name);
            fs::write(&path, contents)?;
            Ok(path)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::report::mask;
    use crate::report::model::*;

    fn step(keyword: &str, text: &str, status: StepStatus) -> StepReport {
        StepReport {
            keyword: keyword.into(),
            text: text.into(),
            status,
            duration_ms: 12,
            error: None,
            exchanges: vec![],
            pages: vec![],
            background: false,
        }
    }

    fn scenario(id: &str, name: &str, status: Status, checks: &[&str]) -> ScenarioReport {
        ScenarioReport {
            id: id.into(),
            feature: "ワンタイム決済".into(),
            feature_file: "01_onetime.feature".into(),
            name: name.into(),
            line: id.rsplit('-').next().unwrap().parse().unwrap(),
            tags: checks.iter().map(|c| format!("@check:{c}")).collect(),
            checks: checks.iter().map(|c| c.to_string()).collect(),
            status,
            reason: None,
            duration_ms: 1_234,
            steps: vec![],
            transitions: vec![],
        }
    }

    fn item(id: &str, status: Status, reason: Option<&str>, scenarios: &[&str]) -> ItemResult {
        let sheet = crate::report::checklist::item(id).unwrap();
        ItemResult {
            id: id.into(),
            title: sheet.title(Lang::En).into(),
            description: sheet.description(Lang::En).into(),
            status,
            reason: reason.map(Into::into),
            scenarios: scenarios.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// One scenario of each outcome, as the runner would report them.
    fn sample(lang: Lang) -> RunReport {
        let mut response = json!({
            "checkoutSessionId": "cs-1",
            "buyer": { "name": "山田 太郎", "email": "taro.yamada@example.jp" },
            "statusDetails": { "state": "Open" }
        });
        mask::scrub(&mut response);
        let mut background = step("前提", "出品者の鍵が登録されている", StepStatus::Passed);
        background.background = true;
        let mut create = step("もし", "チェックアウトセッションを作成する", StepStatus::Passed);
        create.exchanges.push(Exchange {
            at: "2025-01-15T09:30:00Z".parse().unwrap(),
            virtual_at: None,
            duration_ms: 80,
            operation: Some(crate::operation::Operation::CreateCheckoutSession),
            method: "POST".into(),
            path: "/v2/checkoutSessions".into(),
            query: String::new(),
            request_headers: crate::evidence::recorded_headers([("x-amz-pay-idempotency-key", "idem-1")]),
            request: Some(json!({ "chargePermissionType": "OneTime" })),
            status: Some(201),
            reason_code: None,
            request_id: Some("req-abc".into()),
            retry_after: None,
            response: Some(response),
            retried_after: vec!["429 TooManyRequests".into()],
            transport_error: None,
        });
        create.pages.push(PageSeen {
            url: "https://pay.example/review?amazonCheckoutSessionId=cs-1".into(),
            title: "レビュー".into(),
            texts: vec![("amount".into(), "¥10000".into())],
            screenshot: Some("data:image/png;base64,iVBORw0KGgo=".into()),
        });
        let mut passed = scenario("01_onetime-12", "オーソリして売上請求する", Status::Passed, &["A-1"]);
        passed.steps = vec![background.clone(), create];
        passed.transitions.push(Transition {
            object_type: crate::evidence::ObjectType::Charge,
            id: "C01-1".into(),
            from: Some("Authorized".into()),
            to: "Captured".into(),
            reason_code: None,
            at: "20250115T093000Z".parse().unwrap(),
        });

        let mut fails = step("ならば", "チャージの状態は \"Captured\" である", StepStatus::Failed);
        fails.error = Some("expected Captured, got Authorized".into());
        let mut failed = scenario("01_onetime-30", "同時に売上請求する", Status::Failed, &["A-2"]);
        failed.steps = vec![background, fails, step("かつ", "返金する", StepStatus::Skipped)];

        let mut not_run = scenario("01_onetime-48", "時間経過でオーソリが失効する", Status::NotRun, &["L-1"]);
        not_run.reason = Some("@clock needs the emulator".into());

        RunReport {
            header: Header {
                target: "emulator".into(),
                endpoint: "https://127.0.0.1:8443".into(),
                region: "jp".into(),
                merchant_id: Some("A1***".into()),
                store_id: None,
                public_key_id: "SANDBOX-AE***".into(),
                algorithm: "AMZN-PAY-RSASSA-PSS-V2".into(),
                buyer: "direct".into(),
                browser: None,
                harness_version: "0.1.0".into(),
                started_at: "2025-01-02T10:11:12+09:00".into(),
                duration_ms: 12_345,
                lang,
                tags: None,
            },
            summary: Summary {
                scenarios_passed: 1,
                scenarios_failed: 1,
                scenarios_not_run: 1,
                items_passed: 1,
                items_failed: 1,
                items_not_run: 1,
            },
            items: vec![
                item("A-1", Status::Passed, None, &["01_onetime-12"]),
                item("A-2", Status::Failed, Some("同時に売上請求する"), &["01_onetime-30"]),
                item("L-1", Status::NotRun, Some("@clock needs the emulator"), &["01_onetime-48"]),
            ],
            scenarios: vec![passed, failed, not_run],
        }
    }

    fn written(report: &RunReport) -> (tempfile::TempDir, Vec<PathBuf>) {
        let dir = tempfile::tempdir().unwrap();
        let paths = write_all(report, &dir.path().join("out")).unwrap();
        (dir, paths)
    }

    fn read(paths: &[PathBuf], name: &str) -> String {
        fs::read_to_string(paths.iter().find(|p| p.ends_with(name)).unwrap()).unwrap()
    }

    #[test]
    fn all_four_files_are_written_into_a_new_directory() {
        let (dir, paths) = written(&sample(Lang::Ja));
        let names: Vec<_> = paths.iter().map(|p| p.file_name().unwrap().to_str().unwrap()).collect();
        assert_eq!(names, ["selfcheck.json", "selfcheck.html", "selfcheck.md", "junit.xml"]);
        for path in &paths {
            assert!(path.starts_with(dir.path().join("out")));
            assert!(fs::metadata(path).unwrap().len() > 0, "{path:?} is empty");
        }
    }

    #[test]
    fn json_reads_back_as_the_same_report() {
        let report = sample(Lang::Ja);
        let (_dir, paths) = written(&report);
        let back: RunReport = serde_json::from_str(&read(&paths, "selfcheck.json")).unwrap();
        assert_eq!(back.summary, report.summary);
        assert_eq!(back.scenarios[0].steps[1].exchanges, report.scenarios[0].steps[1].exchanges);
        assert_eq!(serde_json::to_value(&back).unwrap(), serde_json::to_value(&report).unwrap());
    }

    #[test]
    fn html_shows_items_linked_to_their_scenarios_with_the_evidence() {
        let (_dir, paths) = written(&sample(Lang::Ja));
        let html = read(&paths, "selfcheck.html");
        assert!(html.contains("Amazon Pay セルフチェックシート"));
        for id in ["A-1", "A-2", "L-1"] {
            assert!(html.contains(&format!("<td>{id}</td>")), "item {id} missing");
        }
        for id in ["01_onetime-12", "01_onetime-30", "01_onetime-48"] {
            assert!(html.contains(&format!("href=\"#scenario-{id}\"")), "link to {id} missing");
            assert!(html.contains(&format!("id=\"scenario-{id}\"")), "anchor {id} missing");
        }
        assert!(html.contains("✅") && html.contains("❌") && html.contains("⏭️"));
        assert!(html.contains("expected Captured, got Authorized"));
        assert!(html.contains("12.3 s"));
        // The buyer is shown as present but masked, and bodies are indented for reading.
        assert!(html.contains("山***") && !html.contains("太郎"));
        assert!(html.contains("\n  &quot;checkoutSessionId&quot;: &quot;cs-1&quot;"));
        assert!(html.contains("Authorized → <b>Captured</b>"));
        assert!(html.contains("再試行の理由: 429 TooManyRequests"), "a retried exchange says why");
        assert!(html.contains("状態遷移"));
        assert!(html.contains("<img src=\"data:image"));
        // Failed scenarios open on their steps; passed ones stay folded.
        assert_eq!(html.matches("<details open>").count(), 1);
        assert!(!html.contains("<script") && !html.contains("<link"), "must be self-contained");
    }

    #[test]
    fn html_chrome_follows_the_report_language() {
        let (_dir, paths) = written(&sample(Lang::En));
        let html = read(&paths, "selfcheck.html");
        assert!(html.contains("self-check") && html.contains("<html lang=\"en\">"));
        assert!(!html.contains("セルフチェック") && !html.contains("状態遷移"));
        assert!(html.contains("State transitions") && html.contains("not run"));
        // The Gherkin stays as written.
        assert!(html.contains("チェックアウトセッションを作成する"));
    }

    #[test]
    fn html_escapes_step_text_and_errors() {
        let mut report = sample(Lang::En);
        let step = &mut report.scenarios[1].steps[1];
        step.text = "<script>alert('x')</script> & more".into();
        step.error = Some("expected <b>\"a\"</b>".into());
        let html = html::render(&report).unwrap();
        assert!(!html.contains("<script>alert"));
        assert!(!html.contains("<b>\"a\"</b>"));
        assert!(html.contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;&#x2f;script&gt; &amp; more"));
        assert!(html.contains("expected &lt;b&gt;&quot;a&quot;&lt;&#x2f;b&gt;"));
    }

    #[test]
    fn markdown_has_a_row_per_item_and_the_failure_only() {
        let (_dir, paths) = written(&sample(Lang::En));
        let md = read(&paths, "selfcheck.md");
        assert!(md.starts_with("## ❌ Amazon Pay self-check sheet"));
        let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| ID")).collect();
        assert_eq!(rows.len(), 3, "{md}");
        assert!(rows[0].starts_with("| A-1 | Standard checkout (Authorize) | ✅ passed | オーソリして売上請求する |"));
        assert!(rows[2].contains("⏭️ not run: @clock needs the emulator"));
        assert!(md.contains("### Failed scenarios"));
        assert!(md.contains(
            "**ならば** チャージの状態は \"Captured\" である\n\n```text\nexpected Captured, got Authorized\n```"
        ));
        assert!(!md.contains("チェックアウトセッションを作成する"), "passed steps stay out: {md}");
    }

    #[test]
    fn junit_counts_match_the_scenarios() {
        let (_dir, paths) = written(&sample(Lang::Ja));
        let xml = read(&paths, "junit.xml");
        let root = xml.lines().find(|l| l.trim_start().starts_with("<testsuites")).unwrap();
        assert!(root.contains("name=\"apay-conformance\""), "{root}");
        assert!(root.contains("tests=\"3\"") && root.contains("failures=\"1\"") && root.contains("errors=\"0\""));
        let suite = xml.lines().find(|l| l.trim_start().starts_with("<testsuite ")).unwrap();
        // quick-junit counts skipped cases as `disabled` on the suite.
        assert!(suite.contains("name=\"ワンタイム決済\"") && suite.contains("disabled=\"1\""), "{suite}");
        assert_eq!(xml.matches("<testcase ").count(), 3);
        assert!(xml.contains("classname=\"01_onetime.feature\""));
        assert!(xml.contains("message=\"ならば チャージの状態は &quot;Captured&quot; である\""), "{xml}");
        assert!(xml.contains(">expected Captured, got Authorized</failure>"), "{xml}");
        assert!(xml.contains("<skipped message=\"@clock needs the emulator\"/>"), "{xml}");
    }
}
