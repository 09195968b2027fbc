//! The demo server's listener, routes, REST endpoint and lifecycle.
//!
//! Lifecycle: [`start`] binds, spawns `axum::serve` with graceful shutdown,
//! and returns a [`DemoServer`]. axum runs each upgraded socket in a task of
//! its own that `serve` does not wait for, so every socket session carries a
//! clone of an mpsc sender (its "guard"); [`DemoServer::shutdown`] cancels,
//! waits for `serve`, then waits until the channel reports every guard gone.
//! Nothing outlives `shutdown`.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::feed::Feed;
use super::sockets;
use super::{Auth, DemoOptions, DemoUser, authenticate, profiles_toml};
use crate::secret::redact_value;

pub(crate) use super::state::AppState;

/// A running demo server. Dropping it without [`DemoServer::shutdown`] still
/// tells every task to stop, but does not wait for them.
#[derive(Debug)]
pub struct DemoServer {
    addr: SocketAddr,
    cancel: CancellationToken,
    serve: Option<JoinHandle<io::Result<()>>>,
    sessions_done: Option<mpsc::Receiver<()>>,
}

/// Binds `addr` (port 0 picks a free port) and serves the demo on it.
pub async fn start(addr: SocketAddr, options: DemoOptions) -> io::Result<DemoServer> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let cancel = CancellationToken::new();
    // Nothing is ever sent: the channel only counts live senders.
    let (guard, sessions_done) = mpsc::channel(1);
    let state = Arc::new(AppState {
        feed: Feed::new(options.history),
        options,
        cancel: cancel.clone(),
        guard,
    });
    let app = Router::new()
        .route("/ws/notifications/", get(sockets::notifications_ws))
        .route("/ws/orders/", get(sockets::orders_ws))
        .route("/socket.io/", get(super::socketio::socketio_ws))
        .route("/api/notifications/", get(notifications_api))
        .route(
            "/api-token-auth/",
            axum::routing::post(super::login::obtain_auth_token),
        )
        .fallback(not_found)
        .with_state(state);
    let stop = cancel.clone().cancelled_owned();
    let serve = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
    });
    info!(%addr, "demo server listening");
    Ok(DemoServer {
        addr,
        cancel,
        serve: Some(serve),
        sessions_done: Some(sessions_done),
    })
}

impl DemoServer {
    /// The address actually bound (the real port when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: the `server` of a profile.
    pub fn base_url(&self) -> String {
        // SocketAddr's Display already brackets IPv6 addresses.
        format!("http://{}", self.addr)
    }

    /// A profiles file pointing at this server ([`profiles_toml`]).
    pub fn profiles_toml(&self) -> String {
        profiles_toml(&self.base_url())
    }

    /// Stops accepting, closes open sockets with 1001 (each waits at most
    /// `close_grace` for the client's answer), and returns once every task of
    /// the server has finished.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        if let Some(serve) = self.serve.take() {
            match serve.await {
                Ok(Ok(())) => {}
                Ok(Err(err)) => warn!(%err, "demo server stopped with an error"),
                Err(err) => warn!(%err, "demo server task failed"),
            }
        }
        // `serve` has returned, so the router and its sender are gone; what
        // is left are the socket sessions' guards. `None` = all dropped.
        if let Some(mut sessions_done) = self.sessions_done.take() {
            let _ = sessions_done.recv().await;
        }
        info!(addr = %self.addr, "demo server stopped");
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        // Without this a forgotten server would keep serving until the
        // runtime ends.
        self.cancel.cancel();
    }
}

/// `GET /api/notifications/`, authenticated like DRF's `TokenAuthentication`.
async fn notifications_api(State(app): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    match token_authentication(headers.get(header::AUTHORIZATION)) {
        Ok(user) => {
            info!(user = user.name, "api: 200");
            Json(app.feed.recent(user.name)).into_response()
        }
        Err(detail) => {
            info!(detail, "api: 401");
            let mut response = (
                StatusCode::UNAUTHORIZED,
                Json(serde_json::json!({ "detail": detail })),
            )
                .into_response();
            // DRF answers 401 (not 403) because the authenticator names a
            // scheme in this header.
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
            response
        }
    }
}

/// DRF's `TokenAuthentication.authenticate`, texts included; the error is
/// the `detail` of the 401.
fn token_authentication(header: Option<&HeaderValue>) -> Result<DemoUser, &'static str> {
    const NOT_PROVIDED: &str = "Authentication credentials were not provided.";
    let Some(header) = header else {
        return Err(NOT_PROVIDED);
    };
    let parts: Vec<&[u8]> = header
        .as_bytes()
        .split(|b| b.is_ascii_whitespace())
        .filter(|part| !part.is_empty())
        .collect();
    // Another scheme (Bearer, Basic…) is not for this authenticator, so no
    // credentials were provided as far as DRF is concerned.
    match parts.first() {
        Some(scheme) if scheme.eq_ignore_ascii_case(b"token") => {}
        _ => return Err(NOT_PROVIDED),
    }
    let token = match parts.as_slice() {
        [_] => return Err("Invalid token header. No credentials provided."),
        [_, token] => *token,
        _ => return Err("Invalid token header. Token string should not contain spaces."),
    };
    let Ok(token) = std::str::from_utf8(token) else {
        return Err("Invalid token header. Token string should not contain invalid characters.");
    };
    match authenticate(token) {
        Auth::Valid(user) => Ok(user),
        Auth::Inactive(user) => {
            info!(user = user.name, token = %redact_value(token), "api: inactive user");
            Err("User inactive or deleted.")
        }
        Auth::Unknown => {
            info!(token = %redact_value(token), "api: unknown token");
            Err("Invalid token.")
        }
    }
}

pub(crate) use super::state::not_found;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{INACTIVE_TOKEN, SANDRA_TOKEN, UNKNOWN_TOKEN};

    fn check(value: &str) -> Result<&'static str, &'static str> {
        let header = HeaderValue::from_str(value).expect("test header");
        token_authentication(Some(&header)).map(|u| u.name)
    }

    #[test]
    fn drf_texts_for_every_kind_of_header() {
        assert_eq!(check(&format!("Token {SANDRA_TOKEN}")), Ok("sandra"));
        assert_eq!(check(&format!("token  {SANDRA_TOKEN} ")), Ok("sandra"));
        assert_eq!(
            check(&format!("Token {UNKNOWN_TOKEN}")),
            Err("Invalid token.")
        );
        assert_eq!(
            check(&format!("Token {INACTIVE_TOKEN}")),
            Err("User inactive or deleted.")
        );
        assert_eq!(
            check(&format!("Bearer {SANDRA_TOKEN}")),
            Err("Authentication credentials were not provided.")
        );
        assert_eq!(
            check("Token"),
            Err("Invalid token header. No credentials provided.")
        );
        assert_eq!(
            check("Token a b"),
            Err("Invalid token header. Token string should not contain spaces.")
        );
        assert_eq!(
            token_authentication(None),
            Err("Authentication credentials were not provided.")
        );
    }

    #[test]
    fn non_utf8_token_is_reported_as_invalid_characters() {
        let header = HeaderValue::from_bytes(b"Token \xff\xfe").expect("obs-text is allowed");
        assert_eq!(
            token_authentication(Some(&header)).map(|u| u.name),
            Err("Invalid token header. Token string should not contain invalid characters.")
        );
    }
}
