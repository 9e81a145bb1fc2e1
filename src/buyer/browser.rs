//! The browser buyer: Debian's Chromium driven through ChromeDriver with fantoccini. The harness
//! starts ChromeDriver itself on a free loopback port, keeps a small pool of headless sessions
//! (each with its own temporary profile), and stops everything when the run ends: the driver runs
//! in its own process group, which is killed with the pool, taking Chromium with it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{anyhow, bail, Context as _};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

use super::pages::Recording;
use super::{Landing, SeenAt};
use crate::report::PageSeen;

/// How long a page may take to load after a click.
const PAGE_TIMEOUT: Duration = Duration::from_secs(20);

/// The command that installs what the browser buyer needs on Debian/Ubuntu.
pub const INSTALL_HINT: &str = "apt-get install -y chromium chromium-driver";

/// Chromium's flags for this network: no background traffic, no first-run UI, no sandbox (CI
/// containers run as root), a fixed window so screenshots have one size.
const CHROME_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--lang=ja",
    "--window-size=800,900",
];

fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).flat_map(|dir| names.iter().map(move |n| dir.join(n))).find(|p| p.is_file())
}

/// ChromeDriver and Chromium: from `CHROMEDRIVER` / `CHROME`, else from `PATH`. The error names
/// the missing program and the command that installs it.
pub fn find_programs() -> anyhow::Result<(PathBuf, PathBuf)> {
    let from_env = |var: &str| std::env::var_os(var).map(PathBuf::from).filter(|p| p.is_file());
    let driver = from_env("CHROMEDRIVER").or_else(|| on_path(&["chromedriver"])).ok_or_else(|| {
        anyhow!("the browser buyer needs ChromeDriver (`chromedriver`), which is not on PATH: install it with `{INSTALL_HINT}`, or set CHROMEDRIVER")
    })?;
    let chrome = from_env("CHROME").or_else(|| on_path(&["chromium", "chromium-browser", "google-chrome"])).ok_or_else(
        || anyhow!("the browser buyer needs Chromium (`chromium`), which is not on PATH: install it with `{INSTALL_HINT}`, or set CHROME"),
    )?;
    Ok((driver, chrome))
}

/// `Chromium 148.0.7778.167 built on Debian…` → `Chromium 148.0.7778.167`.
fn version_of(chrome: &Path) -> String {
    std::process::Command::new(chrome)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(|l| l.split(" built").next().unwrap_or(l).trim().to_owned()))
        .unwrap_or_else(|| "unknown version".into())
}

/// ChromeDriver and a pool of sessions on it.
pub struct Browser {
    driver: Mutex<Option<tokio::process::Child>>,
    url: String,
    chrome: PathBuf,
    pub version: String,
    idle: Mutex<Vec<Client>>,
    permits: Arc<Semaphore>,
    /// One temporary profile per session; removed when the pool goes.
    profiles: Mutex<Vec<tempfile::TempDir>>,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser").field("url", &self.url).field("version", &self.version).finish_non_exhaustive()
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Browser {
    /// Starts ChromeDriver; at most `sessions` browser sessions will be open at once.
    pub async fn start(sessions: usize) -> anyhow::Result<Arc<Browser>> {
        let (driver_path, chrome) = find_programs()?;
        let port = free_port()?;
        let mut command = tokio::process::Command::new(&driver_path);
        command
            .arg(format!("--port={port}"))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .process_group(0);
        let driver = command.spawn().with_context(|| format!("cannot start {}", driver_path.display()))?;
        let url = format!("http://127.0.0.1:{port}");
        let browser = Browser {
            driver: Mutex::new(Some(driver)),
            url: url.clone(),
            version: version_of(&chrome),
            chrome,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(sessions.max(1))),
            profiles: Mutex::new(Vec::new()),
        };
        let status = reqwest::Client::new();
        let started = Instant::now();
        loop {
            let ready = status.get(format!("{url}/status")).send().await.map(|r| r.status().is_success());
            if ready.unwrap_or(false) {
                break;
            }
            if started.elapsed() > Duration::from_secs(15) {
                bail!("ChromeDriver ({}) did not answer on {url} within 15 s", driver_path.display());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Arc::new(browser))
    }

    async fn new_client(&self) -> anyhow::Result<Client> {
        let profile = tempfile::tempdir().context("cannot create a browser profile directory")?;
        let mut args: Vec<String> = CHROME_ARGS.iter().map(|a| (*a).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        self.profiles.lock().unwrap_or_else(|e| e.into_inner()).push(profile);
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": self.chrome, "args": args },
        });
        let serde_json::Value::Object(capabilities) = capabilities else { unreachable!("an object literal") };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .context("ChromeDriver could not open a Chromium session")?;
        Ok(client)
    }

    /// A session for one scenario; given back to the pool by [`BrowserDriver::release`].
    async fn session(self: &Arc<Self>) -> anyhow::Result<(Client, OwnedSemaphorePermit)> {
        let permit = self.permits.clone().acquire_owned().await.context("the browser pool is closed")?;
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let client = match idle {
            Some(client) => client,
            None => self.new_client().await?,
        };
        Ok((client, permit))
    }

    /// Closes every session and stops ChromeDriver (and with its process group, Chromium).
    pub async fn shutdown(&self) {
        let idle: Vec<Client> = std::mem::take(&mut *self.idle.lock().unwrap_or_else(|e| e.into_inner()));
        for client in idle {
            let _ = tokio::time::timeout(Duration::from_secs(5), client.close()).await;
        }
        self.kill();
    }

    fn kill(&self) {
        if let Some(mut driver) = self.driver.lock().unwrap_or_else(|e| e.into_inner()).take() {
            if let Some(pid) = driver.id() {
                // SAFETY: killpg only sends a signal; the group is the one ChromeDriver leads.
                unsafe { libc::killpg(pid as libc::pid_t, libc::SIGKILL) };
            }
            let _ = driver.start_kill();
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.kill();
    }
}

/// ChromeDriver's `Page.captureScreenshot` (Chrome DevTools): JPEG keeps each page at tens of KB,
/// where WebDriver's PNG screenshot is several times larger.
#[derive(Debug)]
struct JpegScreenshot;

impl WebDriverCompatibleCommand for JpegScreenshot {
    fn endpoint(&self, base: &Url, session: Option<&str>) -> Result<Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &Url) -> (axum::http::Method, Option<String>) {
        let body = json!({ "cmd": "Page.captureScreenshot", "params": { "format": "jpeg", "quality": 60 } });
        (axum::http::Method::POST, Some(body.to_string()))
    }
}

/// One scenario's buyer in a real browser: a driver that takes CSS selectors; what they mean is
/// for the page objects (`super::pages`).
pub struct BrowserDriver {
    pool: Arc<Browser>,
    session: Option<(Client, OwnedSemaphorePermit)>,
    /// Amazon Pay's side (the emulator): anything else is the merchant's site.
    amazon: Url,
    /// How the pages' markup says what to write down for the report, and what to blur.
    recording: &'static Recording,
    seen: Vec<SeenAt>,
}

impl std::fmt::Debug for BrowserDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserDriver").field("amazon", &self.amazon.as_str()).finish_non_exhaustive()
    }
}

impl BrowserDriver {
    pub fn new(pool: Arc<Browser>, amazon: Url, recording: &'static Recording) -> Self {
        BrowserDriver { pool, session: None, amazon, recording, seen: Vec::new() }
    }

    pub fn take_seen(&mut self) -> Vec<SeenAt> {
        std::mem::take(&mut self.seen)
    }

    /// Gives the session back to the pool, on a blank page.
    pub async fn release(&mut self) {
        if let Some((client, _permit)) = self.session.take() {
            if client.goto("about:blank").await.is_ok() {
                self.pool.idle.lock().unwrap_or_else(|e| e.into_inner()).push(client);
            }
        }
    }

    async fn client(&mut self) -> anyhow::Result<Client> {
        if self.session.is_none() {
            self.session = Some(self.pool.session().await?);
        }
        Ok(self.session.as_ref().expect("just set").0.clone())
    }

    /// Runs `act` (a click, a navigation) and waits for the next document to finish loading.
    async fn navigate<F, Fut>(&mut self, act: F) -> anyhow::Result<Landing>
    where
        F: FnOnce(Client) -> Fut,
        Fut: std::future::Future<Output = Result<(), fantoccini::error::CmdError>>,
    {
        let client = self.client().await?;
        // A marker on the current document: gone once a new document has loaded, even when the
        // new one has the same URL (the sign-in redirects back to the page it came from).
        let _ = client.execute("window.__apayBuyerMarker = true;", vec![]).await;
        act(client.clone()).await.context("the browser could not do that")?;
        let started = Instant::now();
        loop {
            let state =
                client.execute("return window.__apayBuyerMarker === true ? 'old' : document.readyState;", vec![]).await;
            if matches!(state.as_ref().ok().and_then(|v| v.as_str()), Some("complete")) {
                break;
            }
            if started.elapsed() > PAGE_TIMEOUT {
                let url = client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
                bail!("no new page loaded within {} s (still at {url})", PAGE_TIMEOUT.as_secs());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        self.arrive(&client).await
    }

    async fn arrive(&mut self, client: &Client) -> anyhow::Result<Landing> {
        let url = client.current_url().await?;
        let html = client.source().await?;
        let document = scraper::Html::parse_document(&html);
        let title = client.title().await.unwrap_or_default();
        // Buyer data is blurred before the picture is taken: the report must not show it.
        let blur = format!(
            "document.querySelectorAll({}).forEach(function (e) {{ e.style.filter = 'blur(6px)'; }});",
            serde_json::Value::from(self.recording.personal_data)
        );
        let _ = client.execute(&blur, vec![]).await;
        let screenshot =
            client.issue_cmd(JpegScreenshot).await.ok().and_then(|v| {
                v["data"].as_str().filter(|d| !d.is_empty()).map(|d| format!("data:image/jpeg;base64,{d}"))
            });
        self.seen.push(SeenAt {
            at: SystemTime::now(),
            page: PageSeen {
                url: super::direct::shown_url(&url),
                title,
                texts: self.recording.texts(&document),
                screenshot,
            },
        });
        if url.origin() == self.amazon.origin() {
            Ok(Landing::Hosted { url, status: 200 })
        } else {
            Ok(Landing::Merchant(url))
        }
    }

    /// Opens a URL and waits for it to load.
    pub async fn open(&mut self, url: &Url) -> anyhow::Result<Landing> {
        let url = url.to_string();
        self.navigate(|c| async move { c.goto(&url).await }).await
    }

    /// Reloads the current page.
    pub async fn reload(&mut self) -> anyhow::Result<Landing> {
        self.navigate(|c| async move { c.refresh().await }).await
    }

    /// Waits until an element matching `css` is on the page (e.g. one a script renders).
    pub async fn wait_for(&mut self, css: &str) -> anyhow::Result<()> {
        let client = self.client().await?;
        client
            .wait()
            .at_most(PAGE_TIMEOUT)
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("no `{css}` within {} s", PAGE_TIMEOUT.as_secs()))?;
        Ok(())
    }

    /// Types `text` into the input `css`.
    pub async fn fill(&mut self, css: &str, text: &str) -> anyhow::Result<()> {
        let client = self.client().await?;
        client.find(Locator::Css(css)).await.with_context(|| format!("no input `{css}`"))?.send_keys(text).await?;
        Ok(())
    }

    /// Checks the radio button `css`.
    pub async fn check(&mut self, css: &str) -> anyhow::Result<()> {
        let client = self.client().await?;
        client.find(Locator::Css(css)).await.with_context(|| format!("no choice `{css}`"))?.click().await?;
        Ok(())
    }

    /// Clicks `css` and waits for the page it leads to.
    pub async fn click(&mut self, css: &str) -> anyhow::Result<Landing> {
        let css = css.to_owned();
        self.navigate(|c| async move { c.find(Locator::Css(&css)).await?.click().await }).await
    }

    /// The visible text of `css`, whitespace collapsed.
    pub async fn text(&mut self, css: &str) -> Option<String> {
        let client = self.client().await.ok()?;
        let text = client.find(Locator::Css(css)).await.ok()?.text().await.ok()?;
        Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    /// Whether the current page has an element matching `css`.
    pub async fn sees(&mut self, css: &str) -> bool {
        match self.client().await {
            Ok(client) => client.find(Locator::Css(css)).await.is_ok(),
            Err(_) => false,
        }
    }
}
