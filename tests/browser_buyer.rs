//! The browser buyer: Chromium through ChromeDriver walks the merchant's pages and the hosted
//! pages for every self-check item that involves the buyer, and the report shows a screenshot of
//! each page it went through. Without Chromium the run must fail with the install command; with
//! `CI=true` the browser is required, so CI cannot silently skip this.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// The items whose scenarios have the buyer on the pages.
const BUYER_ITEMS: &[&str] =
    &["A-1", "A-4", "A-5", "C-1", "C-2", "D-1", "D-2", "E-1", "F-1", "F-2", "F-3", "G-4", "J-1"];

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_apay-conformance"));
    command.arg("run").args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("the binary runs")
}

fn browser_installed() -> bool {
    ["chromedriver", "chromium"]
        .iter()
        .all(|p| std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(p).is_file())))
}

#[test]
fn the_browser_buyer_passes_every_buyer_item_with_a_screenshot_of_each_page() {
    if !browser_installed() && std::env::var("CI").as_deref() != Ok("true") {
        eprintln!("Chromium or ChromeDriver is not installed: apt-get install -y chromium chromium-driver");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tags: Vec<String> = BUYER_ITEMS.iter().map(|i| format!("@check:{i}")).collect();
    let out = run(
        &["--buyer", "browser", "--tags", &tags.join(" or "), "--report-dir", dir.path().to_str().unwrap(), "-q"],
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("selfcheck.json")).unwrap()).unwrap();
    assert_eq!(report["header"]["buyer"], "browser");
    assert!(report["header"]["browser"].as_str().unwrap().contains("Chrom"), "{}", report["header"]);
    for id in BUYER_ITEMS {
        let item = report["items"].as_array().unwrap().iter().find(|i| i["id"] == *id).unwrap();
        assert_eq!(item["status"], "passed", "{id}");
    }
    for scenario in report["scenarios"].as_array().unwrap() {
        let pages: Vec<&Value> =
            scenario["steps"].as_array().unwrap().iter().flat_map(|s| s["pages"].as_array().unwrap()).collect();
        let name = scenario["name"].as_str().unwrap();
        assert!(!pages.is_empty(), "{name}: no page seen");
        for page in pages {
            let shot = page["screenshot"].as_str().unwrap_or_default();
            assert!(shot.starts_with("data:image/jpeg;base64,") && shot.len() > 2_000, "{name}: {}", page["url"]);
        }
        // The hosted pages and the merchant's own pages were both walked.
        let urls: Vec<&str> = scenario["steps"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["pages"].as_array().unwrap())
            .map(|p| p["url"].as_str().unwrap())
            .collect();
        assert!(urls.iter().any(|u| u.contains("/hosted/")), "{name}: {urls:?}");
        assert!(urls.iter().any(|u| u.contains("/shop/")), "{name}: {urls:?}");
    }
}

#[test]
fn without_chromium_the_browser_buyer_names_what_to_install() {
    let empty = tempfile::tempdir().unwrap();
    let path = empty.path().to_str().unwrap();
    let out =
        run(&["--buyer", "browser", "--report-dir", path], &[("PATH", path), ("CHROMEDRIVER", ""), ("CHROME", "")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("chromedriver") && stderr.contains("apt-get install -y chromium chromium-driver"),
        "{stderr}"
    );
    assert!(!Path::new(path).join("selfcheck.json").exists(), "no report from a run that could not start");

    // auto: falls back to direct, unless CI=true, where a missing browser is a failure.
    let reports = empty.path().join("auto");
    let auto = run(
        &["--tags", "@check:K-3", "--report-dir", reports.to_str().unwrap(), "-q"],
        &[("PATH", path), ("CI", "false")],
    );
    assert!(auto.status.success(), "{}", String::from_utf8_lossy(&auto.stderr));
    let in_ci = run(&["--tags", "@check:K-3", "--report-dir", path, "-q"], &[("PATH", path), ("CI", "true")]);
    assert_eq!(in_ci.status.code(), Some(2), "{}", String::from_utf8_lossy(&in_ci.stderr));
}
