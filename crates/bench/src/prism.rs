//! The tool teams use today: Stoplight Prism (`@stoplight/prism-cli`, from the npm registry through
//! `npx`) mocking the OpenAPI description our provider publishes, measured with the same load and
//! the same request as our own server, in the same run. Skipped with a notice when `npx` is missing
//! or Prism does not start.

use crate::loadgen::{Load, Measured};
use crate::scenarios::{Call, Pick, Target, request};
use anyhow::Context;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The Prism release measured (its major version: the CLI's options are stable within it).
const PRISM: &str = "@stoplight/prism-cli@5";
/// How long Prism may take to install (first run) and start.
const STARTUP: Duration = Duration::from_secs(180);

/// A child process in its own process group, the whole group stopped when dropped: `npx` starts
/// Prism as a child of its own, which would outlive `npx` alone.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Measures `call` answered by Prism mocking `{provider_base}/openapi.json`; `None` (with a notice
/// on standard error) when Prism cannot be run here.
pub async fn measure_against(provider_base: &str, load: Load, call: &Call) -> anyhow::Result<Option<Measured>> {
    if Command::new("npx").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_err() {
        eprintln!("notice: npx is not installed; the Prism comparison is skipped");
        return Ok(None);
    }
    let description = reqwest::get(format!("{provider_base}{}", mydata_web::openapi::PATH))
        .await
        .context("fetching the provider's OpenAPI description")?
        .bytes()
        .await?;
    let dir = std::env::temp_dir().join(format!("mydata-bench-prism-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("openapi.json");
    std::fs::write(&file, &description)?;
    let port = free_port()?;
    let child = Command::new("npx")
        .args(["--yes", PRISM, "mock", "--host", "127.0.0.1", "--port", &port.to_string(), "--errors", "false"])
        .arg(&file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .context("starting Prism with npx")?;
    let _prism = Running(child);
    let base = format!("http://127.0.0.1:{port}");
    if !ready(&base, call).await {
        eprintln!("notice: Prism did not answer within {} s; the Prism comparison is skipped", STARTUP.as_secs());
        return Ok(None);
    }
    tracing::info!(scenario = "Prism", "measuring");
    let measured =
        Target::new(&[base], Arc::new(vec![call.clone()]), Pick::Rotate, load.connections).measure(load, 1).await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Some(measured))
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until Prism answers `call` with a success (it validates the request against the description
/// first, so a success also proves the request is one the description allows).
async fn ready(base: &str, call: &Call) -> bool {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + STARTUP;
    while Instant::now() < deadline {
        if let Ok(response) = request(&http, base, call).send().await {
            if response.status().is_success() {
                return true;
            }
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            eprintln!("notice: Prism refused the request ({status}): {text}");
            return false;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    false
}
