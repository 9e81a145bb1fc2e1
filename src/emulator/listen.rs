//! Starting the emulator: in-process on `127.0.0.1:0` for tests, or as `serve` with HTTP and
//! HTTPS. HTTPS matters because the official Node SDK always speaks HTTPS once pointed at a
//! local host; its certificate is self-signed and generated at start unless one is given.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use axum_server::tls_rustls::RustlsConfig;
use axum_server::Handle;
use chrono::Duration;

use super::server::{router, Emulator, Settings};

#[derive(Clone, Debug)]
pub struct ListenOptions {
    pub host: String,
    pub port: u16,
    /// `None`: no HTTPS listener.
    pub tls_port: Option<u16>,
    /// PEM certificate and key; generated (self-signed for the host, 127.0.0.1 and localhost) when absent.
    pub tls_cert_and_key: Option<(PathBuf, PathBuf)>,
    pub max_clock_skew: Option<Duration>,
    /// Without the control API and with the sandbox's throttling (`serve --sandbox-faithful`): what
    /// a client sees is what Amazon's sandbox offers, in real time.
    pub sandbox_faithful: bool,
    /// Per merchant: requests kept in the traffic record and events in the event log.
    pub record_cap: usize,
}

impl Default for ListenOptions {
    fn default() -> Self {
        ListenOptions {
            host: "127.0.0.1".into(),
            port: 0,
            tls_port: None,
            tls_cert_and_key: None,
            max_clock_skew: Some(Duration::minutes(15)),
            sandbox_faithful: false,
            record_cap: super::server::RECORD_CAP,
        }
    }
}

/// A started emulator. Dropping it does not stop it; call [`Running::shutdown`].
pub struct Running {
    pub emulator: Arc<Emulator>,
    pub http: SocketAddr,
    pub https: Option<SocketAddr>,
    handle: Handle<SocketAddr>,
    http_task: tokio::task::JoinHandle<()>,
    shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Running {
    pub fn http_url(&self) -> String {
        format!("http://{}", self.http)
    }

    pub async fn shutdown(self) {
        let _ = self.shutdown.send(());
        self.handle.graceful_shutdown(Some(std::time::Duration::from_secs(2)));
        let _ = self.http_task.await;
    }
}

async fn tls_config(host: &str, given: Option<&(PathBuf, PathBuf)>) -> anyhow::Result<RustlsConfig> {
    // ring, not aws-lc: no C toolchain needed. A second install (another emulator) is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    match given {
        Some((cert, key)) => RustlsConfig::from_pem_file(cert, key)
            .await
            .with_context(|| format!("cannot load --tls-cert {} / --tls-key {}", cert.display(), key.display())),
        None => {
            let mut names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
            if !names.contains(&host.to_owned()) {
                names.push(host.to_owned());
            }
            let certified = rcgen::generate_simple_self_signed(names).context("cannot generate a certificate")?;
            RustlsConfig::from_pem(
                certified.cert.pem().into_bytes(),
                certified.signing_key.serialize_pem().into_bytes(),
            )
            .await
            .context("cannot use the generated certificate")
        }
    }
}

pub async fn start(options: ListenOptions) -> anyhow::Result<Running> {
    let listener = tokio::net::TcpListener::bind((options.host.as_str(), options.port))
        .await
        .with_context(|| format!("cannot listen on {}:{}", options.host, options.port))?;
    let http = listener.local_addr()?;
    let emulator = Emulator::new(Settings {
        max_clock_skew: options.max_clock_skew,
        public_base: format!("http://{http}"),
        throttle: options.sandbox_faithful,
        record_cap: options.record_cap,
    });
    let app = router(emulator.clone(), !options.sandbox_faithful);
    let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
    let http_app = app.clone();
    let http_task = tokio::spawn(async move {
        let _ = axum::serve(listener, http_app)
            .with_graceful_shutdown(async {
                let _ = stop.await;
            })
            .await;
    });
    let handle = Handle::new();
    let https = match options.tls_port {
        None => None,
        Some(port) => {
            let config = tls_config(&options.host, options.tls_cert_and_key.as_ref()).await?;
            let std_listener = std::net::TcpListener::bind((options.host.as_str(), port))
                .with_context(|| format!("cannot listen on {}:{port}", options.host))?;
            std_listener.set_nonblocking(true)?;
            let addr = std_listener.local_addr()?;
            let server = axum_server::from_tcp_rustls(std_listener, config)?.handle(handle.clone());
            tokio::spawn(async move {
                let _ = server.serve(app.into_make_service()).await;
            });
            Some(addr)
        }
    };
    Ok(Running { emulator, http, https, handle, http_task, shutdown })
}
