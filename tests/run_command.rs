//! `apay-conformance run` as a user runs it: the shipped features pass and write the four report
//! files; a deliberately broken expectation turns its self-check item ❌ and the exit code 1.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// `run` with the direct buyer: these tests are about running and reporting, not the browser.
fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_apay-conformance"))
        .args(["run", "--buyer", "direct"])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

fn report(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("selfcheck.json")).unwrap()).unwrap()
}

fn item<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["items"].as_array().unwrap().iter().find(|i| i["id"] == id).unwrap()
}

#[test]
fn the_shipped_features_pass_in_english_too_and_write_four_report_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["--report-dir", dir.path().to_str().unwrap(), "--lang", "en", "--quiet"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    for file in ["selfcheck.html", "selfcheck.json", "selfcheck.md", "junit.xml"] {
        assert!(dir.path().join(file).is_file(), "{file} written");
        assert!(String::from_utf8_lossy(&out.stdout).contains(file), "{file} named on stdout");
    }
    assert!(stderr.contains("✅ self-check items: 35 passed, 0 failed, 0 not run"), "{stderr}");
    let report = report(dir.path());
    assert_eq!(item(&report, "I-1")["status"], "passed");
    assert_eq!(item(&report, "I-1")["title"], "15 % / ¥8,400 over-authorization");
    let html = std::fs::read_to_string(dir.path().join("selfcheck.html")).unwrap();
    assert!(html.contains("self-check") && html.contains("✅"));
}

#[test]
fn a_broken_expectation_fails_its_item_and_the_run() {
    let dir = tempfile::tempdir().unwrap();
    // A-2 with the wrong expected state: AuthorizeWithCapture gives Captured, not Authorized.
    let feature = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("features/01_onetime.feature"))
        .unwrap()
        .replace(
            "かつ チャージは「Captured」で、金額は ¥8,000 である",
            "かつ チャージは「Authorized」で、金額は ¥8,000 である",
        );
    std::fs::write(dir.path().join("broken.feature"), feature).unwrap();
    let reports = dir.path().join("reports");
    let out = run(&[
        "--features",
        dir.path().join("broken.feature").to_str().unwrap(),
        "--report-dir",
        reports.to_str().unwrap(),
        "--tags",
        "@check:A-2",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("❌") && stderr.contains("the Charge is Captured"), "the failure is shown: {stderr}");

    let report = report(&reports);
    assert_eq!(item(&report, "A-2")["status"], "failed");
    assert_eq!(item(&report, "A-1")["status"], "notRun", "filtered out by --tags, so not run");
    let failed = report["scenarios"].as_array().unwrap().iter().find(|s| s["status"] == "failed").unwrap();
    let step = failed["steps"].as_array().unwrap().iter().find(|s| s["status"] == "failed").unwrap();
    assert!(step["text"].as_str().unwrap().contains("Authorized"));
    let junit = std::fs::read_to_string(reports.join("junit.xml")).unwrap();
    assert!(junit.contains("failures=\"1\""), "{junit}");
    let markdown = std::fs::read_to_string(reports.join("selfcheck.md")).unwrap();
    assert!(markdown.contains("A-2") && markdown.contains("❌"), "{markdown}");
}

#[test]
fn a_step_without_a_definition_is_a_failure_not_a_silent_skip() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("typo.feature"),
        "# language: ja\n機能: 誤記\n  @check:G-1\n  シナリオ: 定義のない手順\n    前提 出品者は Amazon Pay に登録済みである\n    もし 出品者が注文を取り消しする\n",
    )
    .unwrap();
    let reports = dir.path().join("reports");
    let out = run(&["--features", dir.path().to_str().unwrap(), "--report-dir", reports.to_str().unwrap(), "-q"]);
    assert_eq!(out.status.code(), Some(1));
    let report = report(&reports);
    assert_eq!(item(&report, "G-1")["status"], "failed");
    assert_eq!(item(&report, "A-1")["status"], "notRun");
    let text = report.to_string();
    assert!(text.contains("no step definition matches"), "{text}");
}

#[test]
fn a_settlement_nobody_polled_is_in_the_reports_transitions() {
    let dir = tempfile::tempdir().unwrap();
    // The pending authorization is never fetched after the clock moves: only the emulator's own
    // events can tell the report that it settled.
    std::fs::write(
        dir.path().join("unpolled.feature"),
        "# language: ja\n機能: 誰も取得しない保留中のオーソリ\n  @check:C-1\n  シナリオ: 30 秒後に承認される\n    前提 出品者は Amazon Pay に登録済みである\n    かつ カートに ¥10,000 の商品がある\n    かつ 出品者は保留中のオーソリに対応している\n    かつ 購入者が末尾 0701 のカードでチェックアウトを終え、出品者が支払い意図「Authorize」で完了済みである\n    もし 30 秒が経過する\n",
    )
    .unwrap();
    let reports = dir.path().join("reports");
    let out = run(&["--features", dir.path().to_str().unwrap(), "--report-dir", reports.to_str().unwrap(), "-q"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = report(&reports);
    let scenario = &report["scenarios"][0];
    let exchanges: Vec<&str> = scenario["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["exchanges"].as_array().unwrap())
        .map(|x| x["operation"].as_str().unwrap())
        .collect();
    assert!(!exchanges.contains(&"Get Charge"), "no Get Charge was made: {exchanges:?}");
    let charge: Vec<(&str, &str)> = scenario["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["objectType"] == "Charge")
        .map(|t| (t["from"].as_str().unwrap_or("-"), t["to"].as_str().unwrap()))
        .collect();
    assert_eq!(charge, [("-", "AuthorizationInitiated"), ("AuthorizationInitiated", "Authorized")]);
    let html = std::fs::read_to_string(reports.join("selfcheck.html")).unwrap();
    assert!(html.contains("AuthorizationInitiated → <b>Authorized</b>"), "the HTML shows it too");
}
