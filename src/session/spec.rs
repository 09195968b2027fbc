//! What one session task is given: its [`SessionSpec`] (endpoint,
//! settings, [`Mode`]) and its [`Wiring`] (channels), and [`emit`], how it
//! reports. Shared by `task.rs` (the attempt loop) and `open.rs` (the open
//! socket) so neither imports the other for them.

use std::time::Duration;

use tokio::sync::{Notify, Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

use crate::config::{Endpoint, Settings};
use crate::facts::{Command, EndpointId, Event, SessionEvent};
use crate::secret::Redactor;

/// Reconnect forever (dashboard, tail) or try once (check).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Reconnect forever; a consumer that falls behind loses the oldest
    /// messages (counted), and the socket is always read (the dashboard).
    Monitor,
    /// [`Mode::Monitor`], but lossless for a consumer that writes every
    /// message (`tail`): when it falls behind, the session stops reading
    /// until it catches up, so TCP slows the server down instead.
    Record,
    /// One attempt; an opened socket is held for `hold` (so a server that
    /// accepts and then closes at once is caught) and closed with 1000.
    Once { hold: Duration },
}

/// Everything one session task needs.
pub(crate) struct SessionSpec {
    pub id: EndpointId,
    pub endpoint: Endpoint,
    pub settings: Settings,
    pub mode: Mode,
    pub redactor: Redactor,
    /// The profile's TLS client config.
    pub tls: std::sync::Arc<rustls::ClientConfig>,
    /// The profile's proxy rules.
    pub proxy: crate::proxy::Proxies,
    /// The session's span (endpoint, redacted URL): its log calls run in
    /// it instead of repeating those fields. Entered around each log call,
    /// not on every poll of the task (a flood polls it constantly).
    pub span: tracing::Span,
}

/// Handshakes in flight at once across one profile's sessions; the others
/// wait their turn (still CONNECTING, as a browser shows a queued socket).
///
/// RFC 6455 §4.1 has a client keep at most one connection per host in
/// CONNECTING and queue the rest. wsmon allows more, so a thousand
/// endpoints open within a second, but not all at once: ten thousand
/// simultaneous SYNs overflow a server's listen backlog, the dropped ones
/// are retried 1, 3, 7, 15 and 31 s later, and against production it is a
/// thundering herd of its own making.
pub const MAX_CONNECTING: usize = 64;

/// The limiter behind [`MAX_CONNECTING`], one per profile.
pub(crate) fn connecting_limit() -> std::sync::Arc<Semaphore> {
    std::sync::Arc::new(Semaphore::new(MAX_CONNECTING))
}

/// The channels a session talks on.
pub(crate) struct Wiring {
    pub events: mpsc::Sender<Event>,
    pub commands: mpsc::Receiver<Command>,
    pub cancel: CancellationToken,
    /// Poked after an auth-looking rejection: the supervisor re-runs the
    /// token check so the cross-check is current.
    pub token_check: std::sync::Arc<Notify>,
    /// Where received messages are offered to an outstanding delivery probe.
    pub probe: std::sync::Arc<super::probe::Matcher>,
    /// Shared by the profile's sessions: see [`MAX_CONNECTING`].
    pub connecting: std::sync::Arc<Semaphore>,
    /// The profile's login, when it logs in: the session dials with the
    /// newest credential and asks for a new one when refused.
    pub login: Option<super::login::LoginLink>,
}

/// Sends one event. A closed channel means nobody listens any more (the
/// front end is gone); the session then just winds down via cancellation.
/// Once cancelled, a full channel drops the event instead of waiting: the
/// consumer may have stopped reading and be waiting for us to finish.
pub(crate) async fn emit(spec: &SessionSpec, wiring: &Wiring, event: SessionEvent) {
    let event = Event::Session {
        endpoint: spec.id,
        event,
    };
    tokio::select! {
        biased;
        _ = wiring.events.send(event.clone()) => {}
        _ = wiring.cancel.cancelled() => {
            let _ = wiring.events.try_send(event);
        }
    }
}
