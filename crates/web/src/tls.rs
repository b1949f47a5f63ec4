//! Serving over TLS 1.3 (ch.2 "데이터 통신규격"), with the caller's verified certificate handed to
//! handlers as a [`PeerCertificate`] request extension.
//!
//! Handshakes run in their own tasks, so a slow or silent client never holds up the others; the
//! finished connections are served by `axum::serve` through [`TlsListener`], which keeps the
//! graceful shutdown of plain serving.

use crate::ApiError;
use axum::Router;
use axum::extract::Request;
use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::serve::{IncomingStream, Listener};
use mydata_pki::CertificateIdentity;
use mydata_spec::RspCode;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// The client certificate of the connection a request came on, verified against the server's
/// client CA during the handshake. Absent when the client presented none (allowed only with
/// optional client authentication) or the request did not come over TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerCertificate(pub Arc<CertificateIdentity>);

impl std::ops::Deref for PeerCertificate {
    type Target = CertificateIdentity;
    fn deref(&self) -> &CertificateIdentity {
        &self.0
    }
}

/// Why a caller's certificate does not identify its institution (ch.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateRefusal {
    NoCertificate,
    NoSerialNumber,
    /// The caller (named) has no SERIALNUMBER registered at the portal.
    NotRegistered(String),
    /// The certificate's SERIALNUMBER is not the one registered for the institution (named).
    Mismatch(String),
}

impl std::fmt::Display for CertificateRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CertificateRefusal::NoCertificate => write!(f, "no client certificate was presented"),
            CertificateRefusal::NoSerialNumber => write!(f, "the client certificate has no subject SERIALNUMBER"),
            CertificateRefusal::NotRegistered(who) => write!(f, "{who} has no SERIALNUMBER registered at the portal"),
            CertificateRefusal::Mismatch(org) => {
                write!(f, "the client certificate's SERIALNUMBER is not the one registered for institution {org}")
            }
        }
    }
}

impl From<CertificateRefusal> for ApiError {
    /// 첨부1: HTTP 401 / 40103 "TLS 인증서 내 SERIALNUMBER 검증 실패".
    fn from(refusal: CertificateRefusal) -> ApiError {
        ApiError::with(RspCode::CertificateSerialMismatch, refusal.to_string())
    }
}

/// The `serial_num` of an institution's 지원-002 fields.
pub fn registered_serial_number(fields: &serde_json::Value) -> Option<&str> {
    fields.get("serial_num").and_then(|v| v.as_str())
}

/// Compares the SERIALNUMBER of `peer` with the one registered for the caller's institution `org`
/// (`None`: nothing registered); `who` names the caller in the refusal.
pub fn check_serial_number(
    who: &str,
    org: &str,
    registered: Option<&str>,
    peer: Option<&PeerCertificate>,
) -> Result<(), CertificateRefusal> {
    let peer = peer.ok_or(CertificateRefusal::NoCertificate)?;
    let presented = peer.serial_number.as_deref().ok_or(CertificateRefusal::NoSerialNumber)?;
    match registered {
        None => Err(CertificateRefusal::NotRegistered(who.to_owned())),
        Some(registered) if registered == presented => Ok(()),
        Some(_) => Err(CertificateRefusal::Mismatch(org.to_owned())),
    }
}

/// How long a client may take to complete the handshake before it is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Completed handshakes waiting for the server to pick them up.
const ACCEPT_BACKLOG: usize = 64;

/// What the server knows of a TLS connection once the handshake is done.
#[derive(Debug, Clone)]
pub struct TlsConnection {
    pub remote_addr: SocketAddr,
    pub peer: Option<PeerCertificate>,
}

impl Connected<IncomingStream<'_, TlsListener>> for TlsConnection {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// A listener yielding connections whose TLS handshake has completed.
pub struct TlsListener {
    local_addr: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, TlsConnection)>,
    accepting: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    pub fn new(listener: TcpListener, config: Arc<rustls::ServerConfig>) -> std::io::Result<TlsListener> {
        let local_addr = listener.local_addr()?;
        let (sender, ready) = mpsc::channel(ACCEPT_BACKLOG);
        let acceptor = TlsAcceptor::from(config);
        let accepting = tokio::spawn(accept_loop(listener, acceptor, sender));
        Ok(TlsListener { local_addr, ready, accepting })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        // Stop accepting when the server stops (graceful shutdown drops the listener).
        self.accepting.abort();
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    ready: mpsc::Sender<(TlsStream<TcpStream>, TlsConnection)>,
) {
    loop {
        let (tcp, remote_addr) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Usually out of file descriptors: back off rather than spin.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let ready = ready.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => {
                    let peer = stream
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|chain| chain.first())
                        .map(|leaf| PeerCertificate(Arc::new(CertificateIdentity::from_der(leaf))));
                    // A closed channel means the server is shutting down: the connection is dropped.
                    let _ = ready.send((stream, TlsConnection { remote_addr, peer })).await;
                }
                Ok(Err(e)) => tracing::info!(%remote_addr, error = %e, "TLS handshake refused"),
                Err(_) => tracing::info!(%remote_addr, "TLS handshake timed out"),
            }
        });
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = TlsConnection;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accept loop only ends when the listener is dropped, so this is never reached
            // while someone still calls accept.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(TlsConnection { remote_addr: self.local_addr, peer: None })
    }
}

/// Copies the connection's facts into the request: `ConnectInfo<SocketAddr>` as plain serving
/// provides it, and the [`PeerCertificate`] when the client presented one.
async fn connection_extensions(ConnectInfo(connection): ConnectInfo<TlsConnection>, mut request: Request) -> Request {
    request.extensions_mut().insert(ConnectInfo(connection.remote_addr));
    if let Some(peer) = connection.peer {
        request.extensions_mut().insert(peer);
    }
    request
}

/// Serves `router` over TLS on `listener` until `shutdown` resolves, letting in-flight requests
/// finish, like [`crate::server::serve`].
pub async fn serve_tls(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = TlsListener::new(listener, config)?;
    let router = router.layer(axum::middleware::map_request(connection_extensions));
    axum::serve(listener, router.into_make_service_with_connect_info::<TlsConnection>())
        .with_graceful_shutdown(shutdown)
        .await
}
