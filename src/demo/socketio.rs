//! The demo's Socket.IO-style endpoint (`/socket.io/?EIO=4&transport=websocket`):
//! a stand-in for a Socket.IO v4 notification hub speaking Engine.IO v4 on
//! the websocket transport, so `wsmon demo` shows a protocol session.
//!
//! As socket.io 4 does: the open packet `0{"sid","upgrades":[],
//! "pingInterval","pingTimeout","maxPayload"}` first; nothing more until
//! the client's namespace CONNECT `40{"token": T}`, answered `40{"sid"}`
//! for a valid token or `44{"message":"not authorized"}`; then a
//! `42["notification", {...}]` every 1-2 s. The server pings (`2`) every
//! [`PING_INTERVAL`] and drops a client that has not answered `3` within
//! [`PING_TIMEOUT`] (as Engine.IO does: a close with no code).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use tokio::time::{Instant, sleep_until};
use tracing::info;

use super::state::{AppState, not_found};
use super::{Auth, authenticate, random_between};

/// Engine.IO ping period of the demo (socket.io's default is 25 s).
pub(crate) const PING_INTERVAL: Duration = Duration::from_secs(5);
/// How long a ping may go unanswered (socket.io's default is 20 s).
pub(crate) const PING_TIMEOUT: Duration = Duration::from_secs(4);

pub(crate) async fn socketio_ws(
    State(app): State<Arc<AppState>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Ok(upgrade) = upgrade else {
        return not_found().await;
    };
    let guard = app.session_guard();
    upgrade.on_upgrade(move |socket| async move {
        session(&app, socket).await;
        drop(guard);
    })
}

/// A made-up Engine.IO session id.
fn sid() -> String {
    format!("{:016x}", rand::random::<u64>())
}

async fn session(app: &AppState, mut socket: WebSocket) {
    let open = serde_json::json!({
        "sid": sid(),
        "upgrades": [],
        "pingInterval": crate::units::millis(PING_INTERVAL),
        "pingTimeout": crate::units::millis(PING_TIMEOUT),
        "maxPayload": 1_000_000,
    });
    if socket
        .send(Message::Text(format!("0{open}").into()))
        .await
        .is_err()
    {
        return;
    }
    let mut user = None;
    let mut next_ping = Instant::now() + PING_INTERVAL;
    let mut pong_due: Option<Instant> = None;
    let mut next_event: Option<Instant> = None;
    let mut id = 0u64;
    loop {
        let ping_at = pong_due.unwrap_or(next_ping);
        tokio::select! {
            _ = app.cancel.cancelled() => return,
            _ = sleep_until(ping_at) => {
                if pong_due.is_some() {
                    // Engine.IO's "ping timeout": the transport is closed.
                    info!("socket.io: ping timeout, dropping the client");
                    return;
                }
                if socket.send(Message::Text("2".into())).await.is_err() {
                    return;
                }
                pong_due = Some(Instant::now() + PING_TIMEOUT);
            }
            _ = sleep_or_never(next_event) => {
                id += 1;
                let name = user.unwrap_or("?");
                let event = serde_json::json!(["notification", {"id": id, "user": name, "title": "Build passed on main"}]);
                if socket.send(Message::Text(format!("42{event}").into())).await.is_err() {
                    return;
                }
                next_event = Some(Instant::now() + random_between(app.options.notify_every));
            }
            received = socket.recv() => {
                let text = match received {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                    Some(Ok(_)) => continue,
                };
                if text.as_str() == "3" {
                    pong_due = None;
                    next_ping = Instant::now() + PING_INTERVAL;
                } else if let Some(auth) = text.as_str().strip_prefix("40") {
                    let token = serde_json::from_str::<serde_json::Value>(auth)
                        .ok()
                        .and_then(|v| v["token"].as_str().map(str::to_string))
                        .unwrap_or_default();
                    let reply = match authenticate(&token) {
                        Auth::Valid(u) => {
                            user = Some(u.name);
                            next_event = Some(Instant::now() + random_between(app.options.notify_every));
                            info!(user = u.name, "socket.io: namespace / connected");
                            format!("40{}", serde_json::json!({"sid": sid()}))
                        }
                        _ => {
                            info!("socket.io: connect_error, not authorized");
                            r#"44{"message":"not authorized"}"#.to_string()
                        }
                    };
                    if socket.send(Message::Text(reply.into())).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

async fn sleep_or_never(at: Option<Instant>) {
    match at {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}
