//! Serving a router: bind, announce, stop gracefully on SIGINT/SIGTERM.

use axum::Router;
use std::io::Write;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// Binds `addr` (port 0 picks a free port).
pub async fn bind(addr: &str) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Prints the one line scripts and tests wait for: `listening on http://ADDR`.
pub fn announce(addr: SocketAddr) {
    announce_scheme("http", addr);
}

/// The same line for a server speaking TLS ([`crate::tls::serve_tls`]): `listening on https://ADDR`.
pub fn announce_tls(addr: SocketAddr) {
    announce_scheme("https", addr);
}

fn announce_scheme(scheme: &str, addr: SocketAddr) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on {scheme}://{addr}");
    let _ = out.flush();
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

/// Serves `router` on `listener` until `shutdown` resolves, letting in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
