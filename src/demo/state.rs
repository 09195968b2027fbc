//! What every handler of the demo server shares ([`AppState`]) and the
//! 404 answer they all give; apart from `server.rs` so that the socket
//! handlers need not import the server that routes to them.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::DemoOptions;
use super::feed::Feed;

/// What every handler shares.
#[derive(Debug)]
pub(crate) struct AppState {
    pub(crate) options: DemoOptions,
    pub(crate) feed: Feed,
    /// Cancelled by shutdown: open sockets close with 1001.
    pub(crate) cancel: CancellationToken,
    /// Cloned into each socket session; see the module docs.
    pub(super) guard: mpsc::Sender<()>,
}

impl AppState {
    /// A guard that keeps [`DemoServer::shutdown`] waiting while it lives.
    pub(crate) fn session_guard(&self) -> mpsc::Sender<()> {
        self.guard.clone()
    }
}

/// Django's production 404 page (`DEBUG = False`).
pub(crate) async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(
            "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n\
             <body>\n  <h1>Not Found</h1><p>The requested resource was not found on this \
             server.</p>\n</body>\n</html>\n",
        ),
    )
        .into_response()
}
