//! `apay-conformance doctor`, run as a user runs it, once for each failure it diagnoses and once
//! when everything is right, against `serve --sandbox-faithful` with the committed test key.

mod common;

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Output, Stdio};

use rsa::pkcs8::{EncodePrivateKey, LineEnding};

const KEY_ID: &str = "SANDBOX-AEXAMPLEVECTORKEY0000000";

struct Serve {
    child: Child,
    url: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve() -> Serve {
    let public = common::vectors::dir().join("test-key.pub.pem");
    let mut child = Command::new(env!("CARGO_BIN_EXE_apay-conformance"))
        .args(["serve", "--sandbox-faithful", "--port", "0", "--tls-port", "0", "--public-key"])
        .arg(format!("{KEY_ID}={}", public.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines.find_map(|l| l.ok().and_then(|l| l.strip_prefix("listening ").map(str::to_owned))).unwrap();
    std::thread::spawn(move || lines.for_each(drop));
    Serve { child, url }
}

fn key() -> String {
    common::vectors::dir().join("test-key.pem").display().to_string()
}

/// `doctor` with exactly these settings: no inherited AMAZON_PAY_* variables, no config file.
fn doctor(env: &[(&str, &str)], args: &[&str]) -> (Output, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_apay-conformance"));
    command.arg("doctor").args(args).current_dir(dir.path()).env_clear();
    command.env("PATH", std::env::var("PATH").unwrap_or_default());
    command.env("AMAZON_PAY_STORE_ID", "amzn1.application-oa2-client.doctor");
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out, stdout)
}

fn line<'a>(stdout: &'a str, name: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.contains(&format!(" {name}:")))
        .unwrap_or_else(|| panic!("no `{name}` line in:\n{stdout}"))
}

#[test]
fn a_ready_machine_gets_a_tick_on_every_line_and_exit_0() {
    let serve = serve();
    let (out, stdout) = doctor(
        &[("AMAZON_PAY_PUBLIC_KEY_ID", KEY_ID), ("AMAZON_PAY_PRIVATE_KEY", &key())],
        &["--endpoint", &serve.url],
    );
    for name in [
        "configuration",
        "private key",
        "key id",
        "region and endpoint",
        "endpoint answers",
        "signed request accepted",
        "report directory",
    ] {
        assert!(line(&stdout, name).starts_with('✅'), "{stdout}");
    }
    assert!(line(&stdout, "signed request accepted").contains("404 ResourceNotFound"));
    assert!(!stdout.contains(KEY_ID), "the key id is masked: {stdout}");
    // The browser line depends on the machine; everything else passed, so the exit code follows it.
    assert_eq!(out.status.success(), line(&stdout, "browser").starts_with('✅'), "{stdout}");
}

#[test]
fn a_missing_key_is_named_with_the_variable_to_set() {
    let (out, stdout) = doctor(&[("AMAZON_PAY_PUBLIC_KEY_ID", KEY_ID)], &[]);
    assert_eq!(out.status.code(), Some(1));
    let private = line(&stdout, "private key");
    assert!(private.starts_with('❌') && private.contains("AMAZON_PAY_PRIVATE_KEY"), "{stdout}");
    assert!(line(&stdout, "signed request accepted").contains("not tried"), "{stdout}");
}

#[test]
fn an_unreadable_key_says_which_file() {
    let (out, stdout) =
        doctor(&[("AMAZON_PAY_PUBLIC_KEY_ID", KEY_ID), ("AMAZON_PAY_PRIVATE_KEY", "/nonexistent/private.pem")], &[]);
    assert_eq!(out.status.code(), Some(1));
    let private = line(&stdout, "private key");
    assert!(private.starts_with('❌') && private.contains("/nonexistent/private.pem"), "{stdout}");
}

#[test]
fn the_wrong_key_for_the_id_is_a_403_from_the_endpoint() {
    let serve = serve();
    let other = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), other.to_pkcs8_pem(LineEnding::LF).unwrap().as_bytes()).unwrap();
    let (out, stdout) = doctor(
        &[("AMAZON_PAY_PUBLIC_KEY_ID", KEY_ID), ("AMAZON_PAY_PRIVATE_KEY", file.path().to_str().unwrap())],
        &["--endpoint", &serve.url],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(line(&stdout, "private key").starts_with('✅'), "the key itself is fine: {stdout}");
    let accepted = line(&stdout, "signed request accepted");
    assert!(accepted.starts_with('❌') && accepted.contains("403") && accepted.contains("does not belong"), "{stdout}");
}

#[test]
fn an_unknown_key_id_is_a_403_from_the_endpoint() {
    let serve = serve();
    let (out, stdout) = doctor(
        &[("AMAZON_PAY_PUBLIC_KEY_ID", "SANDBOX-AUNKNOWNKEY00000000000000"), ("AMAZON_PAY_PRIVATE_KEY", &key())],
        &["--endpoint", &serve.url],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(line(&stdout, "signed request accepted").contains("403"), "{stdout}");
}

#[test]
fn an_unreachable_endpoint_is_diagnosed_before_the_signature() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (out, stdout) = doctor(
        &[("AMAZON_PAY_PUBLIC_KEY_ID", KEY_ID), ("AMAZON_PAY_PRIVATE_KEY", &key())],
        &["--endpoint", &format!("http://127.0.0.1:{port}")],
    );
    assert_eq!(out.status.code(), Some(1));
    let answers = line(&stdout, "endpoint answers");
    assert!(answers.starts_with('❌') && answers.contains("check the network"), "{stdout}");
    assert!(line(&stdout, "signed request accepted").contains("not tried"), "{stdout}");
}

#[test]
fn a_malformed_key_id_and_an_unwritable_report_directory_are_named() {
    let (out, stdout) = doctor(
        &[("AMAZON_PAY_PUBLIC_KEY_ID", "SANDBOX-not-a-key"), ("AMAZON_PAY_PRIVATE_KEY", &key())],
        &["--endpoint", "http://127.0.0.1:9", "--report-dir", "/proc/apay-reports"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(line(&stdout, "key id").starts_with('❌'), "{stdout}");
    assert!(line(&stdout, "report directory").starts_with('❌'), "{stdout}");
}
