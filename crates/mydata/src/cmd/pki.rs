//! `mydata pki init`: a test PKI for the sandbox and tests; and the TLS flags every server takes.

use crate::stdout::outln;
use anyhow::{Context, bail};
use axum::Router;
use clap::{Args, Subcommand};
use mydata_pki::{ClientAuth, OrgSpec, ServerTls, TestPki};
use mydata_web::{server, tls};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;

#[derive(Args)]
pub struct PkiArgs {
    #[command(subcommand)]
    command: PkiCommand,
}

#[derive(Subcommand)]
enum PkiCommand {
    /// Create a root CA and, per institution, a server certificate (SANs localhost, 127.0.0.1) and a
    /// client certificate whose subject SERIALNUMBER is the institution's business registration
    /// number; writes PEM files and a manifest (pki.json) to DIR, replacing any PKI there.
    Init(InitArgs),
}

#[derive(Args)]
struct InitArgs {
    /// Directory to write the PKI to (created if missing).
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// An institution, as ORG_CODE:BUSINESS_NUMBER (NNN-NN-NNNNN or 10 digits), or ORG_CODE alone
    /// for a test number derived from the code. Repeat for several; default: the demo institutions
    /// of every industry, the operator OPERAT0001 and the portal PORTAL0001.
    #[arg(long = "org", value_delimiter = ',')]
    orgs: Vec<OrgSpec>,
}

/// Institutions `pki init` issues for without `--org`: everyone a bare sandbox runs.
pub fn default_orgs() -> Vec<OrgSpec> {
    let mut codes: Vec<String> = mydata_provider::demo_orgs().into_iter().map(|o| o.org_code).collect();
    codes.push("OPERAT0001".into());
    codes.push(mydata_portal::DEFAULT_PORTAL_ORG_CODE.into());
    codes.iter().map(|code| OrgSpec::derived(code)).collect()
}

pub async fn run(args: PkiArgs) -> anyhow::Result<()> {
    match args.command {
        PkiCommand::Init(init) => {
            let orgs = if init.orgs.is_empty() { default_orgs() } else { init.orgs };
            let pki = TestPki::create(&init.dir, &orgs)?;
            outln!("root CA: {}", pki.ca_cert().display())?;
            for org in pki.orgs() {
                outln!(
                    "{} SERIALNUMBER={}: {}",
                    org.org_code,
                    org.serial_number,
                    org.server_cert.parent().unwrap_or(pki.dir()).display()
                )?;
            }
            Ok(())
        }
    }
}

/// How a server speaks to its callers: the flags `serve` (and any other server) flattens in.
#[derive(Args, Clone, Default)]
pub struct ServerTlsArgs {
    /// A PKI directory from `mydata pki init`: serve HTTPS with the server certificate of
    /// --tls-org and accept client certificates issued by its CA.
    #[arg(long, env = "MYDATA_TLS_DIR", value_name = "DIR", conflicts_with_all = ["cert", "key"])]
    tls_dir: Option<PathBuf>,
    /// Whose server certificate of --tls-dir to serve with (default: the first served institution).
    #[arg(long, env = "MYDATA_TLS_ORG", value_name = "ORG_CODE", requires = "tls_dir")]
    tls_org: Option<String>,
    /// Server certificate chain (PEM), leaf first: serve HTTPS with it (with --key).
    #[arg(long, env = "MYDATA_TLS_CERT", value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// The server certificate's private key (PEM).
    #[arg(long, env = "MYDATA_TLS_KEY", value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// CA certificates (PEM) that callers' client certificates must chain to; with it, callers'
    /// certificates are checked against the SERIALNUMBER registered for their institution.
    #[arg(long = "client-ca", env = "MYDATA_TLS_CLIENT_CA", value_name = "FILE", requires = "cert")]
    client_ca: Option<PathBuf>,
    /// Refuse clients without a certificate in the TLS handshake. Without it a certificate is
    /// optional in the handshake (customers' browsers reach the consent pages) and the APIs between
    /// participants still demand one.
    #[arg(long, env = "MYDATA_REQUIRE_CLIENT_CERT")]
    require_client_cert: bool,
    /// Serve plain HTTP, for local debugging only: no TLS, no certificate checks.
    #[arg(long, env = "MYDATA_PLAIN_HTTP", conflicts_with_all = ["tls_dir", "cert", "key", "client_ca", "require_client_cert"])]
    plain_http: bool,
    /// Do not bind access tokens to the client certificate they were issued over (RFC 8705).
    #[arg(long, env = "MYDATA_NO_TOKEN_BINDING")]
    no_token_binding: bool,
}

/// A server's resolved TLS: its rustls configuration and whether callers present certificates.
#[derive(Clone)]
pub struct TlsSetup {
    pub config: Arc<rustls::ServerConfig>,
    /// Callers' certificates are verified against a client CA, so their SERIALNUMBER can be checked.
    pub client_certificates: bool,
}

impl ServerTlsArgs {
    /// The TLS to serve with, `None` for plain HTTP; `default_org` names the certificate of a PKI.
    pub fn resolve(&self, default_org: &str) -> anyhow::Result<Option<TlsSetup>> {
        let files = if let Some(dir) = &self.tls_dir {
            let pki = TestPki::open(dir).with_context(|| format!("opening the PKI in {}", dir.display()))?;
            pki.server_tls(self.tls_org.as_deref().unwrap_or(default_org))?
        } else if let (Some(cert), Some(key)) = (&self.cert, &self.key) {
            ServerTls { cert_chain: cert.clone(), key: key.clone(), client_ca: self.client_ca.clone() }
        } else {
            if !self.plain_http {
                tracing::warn!(
                    "serving plain HTTP: the standard asks for TLS 1.3 with mutual authentication between \
                     participants (give --tls-dir or --cert/--key; --plain-http silences this warning)"
                );
            }
            return Ok(None);
        };
        let client_auth = match (&files.client_ca, self.require_client_cert) {
            (None, true) => bail!("--require-client-cert needs the CA client certificates chain to (--client-ca)"),
            (None, false) => ClientAuth::Off,
            (Some(_), true) => ClientAuth::Required,
            (Some(_), false) => ClientAuth::Optional,
        };
        let config = files.rustls_config(client_auth)?;
        Ok(Some(TlsSetup { config, client_certificates: client_auth != ClientAuth::Off }))
    }

    /// How this server calls other participants (the portal): with the client certificate of
    /// `default_org` (or --tls-org) from --tls-dir, trusting that PKI's CA; `None` without --tls-dir.
    pub fn client_tls(&self, default_org: &str) -> anyhow::Result<Option<rustls::ClientConfig>> {
        let Some(dir) = &self.tls_dir else { return Ok(None) };
        let pki = TestPki::open(dir).with_context(|| format!("opening the PKI in {}", dir.display()))?;
        Ok(Some(pki.client_tls(self.tls_org.as_deref().unwrap_or(default_org))?.rustls_config()?))
    }

    pub fn token_binding(&self) -> bool {
        !self.no_token_binding
    }
}

/// Announces (`listening on http(s)://ADDR`) and serves `router` until the process is asked to stop.
pub async fn serve(listener: TcpListener, router: Router, tls: Option<TlsSetup>) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    match tls {
        Some(setup) => {
            server::announce_tls(addr);
            tls::serve_tls(listener, setup.config, router, server::shutdown_signal()).await?;
        }
        None => {
            server::announce(addr);
            server::serve(listener, router, server::shutdown_signal()).await?;
        }
    }
    Ok(())
}

/// How a client (the operator's collector) calls providers: the flags it flattens in.
#[derive(Args, Clone, Default)]
pub struct ClientTlsArgs {
    /// A PKI directory from `mydata pki init`: present the client certificate of --tls-org and
    /// trust only servers of its CA.
    #[arg(long, env = "MYDATA_TLS_DIR", value_name = "DIR", conflicts_with_all = ["client_cert", "client_key", "server_ca"])]
    tls_dir: Option<PathBuf>,
    /// Whose client certificate of --tls-dir to present (default: this operator's org_code).
    #[arg(long, env = "MYDATA_TLS_ORG", value_name = "ORG_CODE", requires = "tls_dir")]
    tls_org: Option<String>,
    /// Client certificate chain (PEM) to present to providers (with --client-key and --server-ca).
    #[arg(long, env = "MYDATA_TLS_CLIENT_CERT", value_name = "FILE", requires_all = ["client_key", "server_ca"])]
    client_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long, env = "MYDATA_TLS_CLIENT_KEY", value_name = "FILE", requires = "client_cert")]
    client_key: Option<PathBuf>,
    /// CA certificates (PEM) providers' server certificates must chain to.
    #[arg(long, env = "MYDATA_TLS_SERVER_CA", value_name = "FILE", requires = "client_cert")]
    server_ca: Option<PathBuf>,
}

impl ClientTlsArgs {
    /// The TLS to call with; `None`: the platform's roots and no client certificate.
    pub fn resolve(&self, default_org: &str) -> anyhow::Result<Option<rustls::ClientConfig>> {
        let files = if let Some(dir) = &self.tls_dir {
            let pki = TestPki::open(dir).with_context(|| format!("opening the PKI in {}", dir.display()))?;
            pki.client_tls(self.tls_org.as_deref().unwrap_or(default_org))?
        } else if let (Some(cert), Some(key), Some(roots)) = (&self.client_cert, &self.client_key, &self.server_ca) {
            mydata_pki::ClientTls { identity: Some((cert.clone(), key.clone())), server_roots: roots.clone() }
        } else {
            return Ok(None);
        };
        Ok(Some(files.rustls_config()?))
    }
}
