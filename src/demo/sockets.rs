//! The two WebSocket feeds of the demo, and the notification store they and
//! the REST list share.
//!
//! Both feeds authenticate from `?token=` before accepting, the way a
//! Channels query-string auth middleware does, and refuse with a bare `403`
//! (Daphne's answer to a consumer that closes before `accept()`).
//!
//! The abrupt drop of the notifications feed is plain `drop(socket)`: neither
//! axum's `WebSocket` nor tokio-tungstenite's stream has a `Drop` that writes
//! a close frame, so dropping it closes the TCP connection with no closing
//! handshake, exactly what a client sees when a proxy or a network dies
//! (`1006`). `tests/demo_server.rs` checks this at the frame level.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tokio::time::{Instant, sleep_until};
use tracing::{debug, info, warn};

use super::state::{AppState, not_found};
use super::{Auth, DemoUser, authenticate, random_between};
use crate::secret::redact_value;

/// The close code the orders feed ends with (named in the profiles file).
pub(crate) const ORDERS_CLOSE_CODE: u16 = 4000;
/// The reason sent with [`ORDERS_CLOSE_CODE`].
pub(crate) const ORDERS_CLOSE_REASON: &str = "order feed rotated, reconnect";
/// Sent to every open socket when the demo server stops.
const GOING_AWAY: u16 = 1001;

/// `GET /ws/notifications/?token=T`.
pub(crate) async fn notifications_ws(
    State(app): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    // A plain HTTP GET on a socket path reaches Django's URL router, which
    // has no such view.
    let Ok(upgrade) = upgrade else {
        return not_found().await;
    };
    let Some(user) = admit("notifications", query.as_deref()) else {
        return StatusCode::FORBIDDEN.into_response();
    };
    let guard = app.session_guard();
    upgrade.on_upgrade(move |socket| async move {
        notifications_session(&app, user, socket).await;
        drop(guard);
    })
}

/// `GET /ws/orders/?token=T`.
pub(crate) async fn orders_ws(
    State(app): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Ok(upgrade) = upgrade else {
        return not_found().await;
    };
    let Some(user) = admit("orders", query.as_deref()) else {
        return StatusCode::FORBIDDEN.into_response();
    };
    let guard = app.session_guard();
    upgrade.on_upgrade(move |socket| async move {
        orders_session(&app, user, socket).await;
        drop(guard);
    })
}

/// The user behind `?token=`, or `None` (logged) when the socket must be
/// refused before accept.
fn admit(feed: &str, query: Option<&str>) -> Option<DemoUser> {
    let token = query.and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(key, _)| key == "token")
            .map(|(_, value)| value.into_owned())
    });
    let Some(token) = token else {
        info!(feed, "refused socket: no token in the query string (403)");
        return None;
    };
    let shown = redact_value(&token);
    match authenticate(&token) {
        Auth::Valid(user) => Some(user),
        Auth::Inactive(user) => {
            info!(feed, token = %shown, user = user.name, "refused socket: user inactive (403)");
            None
        }
        Auth::Unknown => {
            info!(feed, token = %shown, "refused socket: unknown token (403)");
            None
        }
    }
}

/// Sends notifications until the client leaves, the server stops, or the
/// random drop time comes.
async fn notifications_session(app: &AppState, user: DemoUser, mut socket: WebSocket) {
    let options = &app.options;
    let drop_in = options.drop_after.map(random_between);
    let drop_at = drop_in.map(|delay| Instant::now() + delay);
    info!(user = user.name, ?drop_in, "notifications: accepted");
    let mut next = Instant::now() + random_between(options.notify_every);
    loop {
        tokio::select! {
            _ = app.cancel.cancelled() => {
                close_with(socket, GOING_AWAY, "server shutting down", options.close_grace).await;
                return;
            }
            _ = sleep_or_never(drop_at) => {
                // The point of the demo: no close frame, just a dead TCP
                // connection, like a proxy timeout or a lost network.
                info!(user = user.name, "notifications: dropping the connection without a close frame");
                drop(socket);
                return;
            }
            _ = sleep_until(next) => {
                let notification = app.feed.publish(user.name);
                let text = match serde_json::to_string(&notification) {
                    Ok(text) => text,
                    Err(err) => {
                        warn!(%err, "notifications: could not encode a notification");
                        continue;
                    }
                };
                if let Err(err) = socket.send(Message::Text(text.into())).await {
                    info!(user = user.name, %err, "notifications: send failed, client gone");
                    return;
                }
                debug!(user = user.name, id = notification.id, "notifications: sent");
                next = Instant::now() + random_between(options.notify_every);
            }
            received = socket.recv() => {
                if !on_client_message(received, user, "notifications") {
                    finish(socket, options.close_grace).await;
                    return;
                }
            }
        }
    }
}

/// Sends `order_updates` updates spread over `orders_close_after`, then
/// closes with 4000, as a server does when it rotates a feed.
async fn orders_session(app: &AppState, user: DemoUser, mut socket: WebSocket) {
    const STATUSES: [&str; 4] = ["received", "packed", "shipped", "out_for_delivery"];
    let options = &app.options;
    let opened = Instant::now();
    let close_at = opened + options.orders_close_after;
    let updates = options.order_updates.max(1);
    let step = options.orders_close_after / updates;
    let order_id: u32 = rand::random_range(1000..10000);
    let mut sent = 0u32;
    info!(user = user.name, order_id, "orders: accepted");
    loop {
        // Past the last update, only the close remains to wait for.
        let next_update = (sent < options.order_updates).then(|| opened + step * sent);
        tokio::select! {
            _ = app.cancel.cancelled() => {
                close_with(socket, GOING_AWAY, "server shutting down", options.close_grace).await;
                return;
            }
            _ = sleep_until(close_at) => {
                info!(user = user.name, code = ORDERS_CLOSE_CODE, "orders: closing, feed rotated");
                close_with(socket, ORDERS_CLOSE_CODE, ORDERS_CLOSE_REASON, options.close_grace).await;
                return;
            }
            _ = sleep_or_never(next_update) => {
                let update = serde_json::json!({
                    "type": "order.update",
                    "order_id": order_id,
                    "user": user.name,
                    "status": STATUSES[(sent as usize).min(STATUSES.len() - 1)],
                    "at": humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
                });
                if let Err(err) = socket.send(Message::Text(update.to_string().into())).await {
                    info!(user = user.name, %err, "orders: send failed, client gone");
                    return;
                }
                sent += 1;
            }
            received = socket.recv() => {
                if !on_client_message(received, user, "orders") {
                    finish(socket, options.close_grace).await;
                    return;
                }
            }
        }
    }
}

/// Handles what the client sent; `false` once the session is over. Pings are
/// answered by tungstenite itself; data is ignored, as the hub's consumers do.
fn on_client_message(
    received: Option<Result<Message, axum::Error>>,
    user: DemoUser,
    feed: &str,
) -> bool {
    match received {
        Some(Ok(Message::Close(frame))) => {
            let code = frame.as_ref().map(|f| f.code);
            info!(user = user.name, feed, ?code, "client closed the socket");
            false
        }
        Some(Ok(Message::Text(text))) => {
            debug!(
                user = user.name,
                feed,
                len = text.len(),
                "ignored a text message"
            );
            true
        }
        Some(Ok(_)) => true,
        Some(Err(err)) => {
            info!(user = user.name, feed, %err, "socket error, client gone");
            false
        }
        None => {
            info!(user = user.name, feed, "client went away");
            false
        }
    }
}

/// Starts the closing handshake and waits (bounded) for the client's answer,
/// so the client sees a clean close with our code rather than a reset.
async fn close_with(mut socket: WebSocket, code: u16, reason: &'static str, grace: Duration) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    if socket.send(Message::Close(Some(frame))).await.is_err() {
        return;
    }
    finish(socket, grace).await;
}

/// Reads until the stream ends, so tungstenite writes any pending close
/// reply; gives up after `grace` on a client that never answers.
async fn finish(mut socket: WebSocket, grace: Duration) {
    let drain = async { while let Some(Ok(_)) = socket.recv().await {} };
    let _ = tokio::time::timeout(grace, drain).await;
}

/// Sleeps until `at`, or forever when there is no deadline.
async fn sleep_or_never(at: Option<Instant>) {
    match at {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}
