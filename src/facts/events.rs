//! The facts a session task reports, and the commands it takes.
//!
//! Sessions never touch UI or report state: they send [`Event`]s on one
//! bounded channel. Everything here is plain data, cheap to clone, with the
//! profile's token already scrubbed out of every string.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde::Serialize;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::token_check::TokenCheckResult;
use crate::config::ProtocolKind;

/// Index of an endpoint in the active profile's endpoint list.
pub type EndpointId = usize;

/// Everything the engine reports.
#[derive(Debug, Clone)]
pub enum Event {
    /// Something happened to one endpoint's session.
    Session {
        endpoint: EndpointId,
        event: SessionEvent,
    },
    /// The REST token check of the active profile finished.
    TokenCheck(TokenCheckResult),
    /// A delivery probe finished (delivered or failed).
    Probe(super::probe::ProbeResult),
    /// A login (or token refresh) of the profile finished
    /// (`[profiles.NAME.login]`).
    Login(super::login::LoginResult),
    /// New lines of the server's log (`server_log`/`server_log_command`),
    /// oldest first.
    ServerLog(Vec<super::server_log::LogLine>),
    /// The Django doctor's reading of the profile's `django_project`
    /// (once, at start; see [`super::django`]).
    Django(std::sync::Arc<crate::facts::django::Doctor>),
}

/// One endpoint's lifecycle facts, in the order they happen.
#[derive(Debug, Clone)]
pub enum SessionEvent {
    /// An attempt starts (TCP + TLS + upgrade). `attempt` counts from 1.
    Connecting { attempt: u32, at: SystemTime },
    /// The server answered 101 and the socket is open.
    Open {
        at: SystemTime,
        handshake: HandshakeInfo,
    },
    /// Messages received since the last batch, oldest first. Under a flood
    /// the session batches and may drop the oldest of a batch the consumer
    /// could not take in time (`dropped` counts them).
    Messages(MessageBatch),
    /// A pong answered our ping after `rtt`.
    Rtt(Duration),
    /// wsmon started a closing handshake (readyState 2).
    Closing { at: SystemTime, code: u16 },
    /// The attempt ended: how, with what code, after how long.
    Closed(Box<AttemptRecord>),
    /// The next attempt will start after `delay`.
    RetryScheduled {
        attempt: u32,
        delay: Duration,
        at: SystemTime,
    },
    /// The session will not reconnect on its own.
    Stopped { why: StopReason, at: SystemTime },
    /// A text frame the user asked to send ([`Command::Send`]): sent, or
    /// why not. `text` is what was asked, token scrubbed.
    Sent {
        at: SystemTime,
        text: String,
        outcome: SendOutcome,
    },
    /// The application protocol above WebSocket said something (see
    /// [`crate::protocol`]).
    Protocol(ProtocolEvent),
    /// Who listens on the endpoint's port, for an endpoint on this machine:
    /// looked up after each open and at the end of each attempt (just
    /// before its [`SessionEvent::Closed`]).
    ServedBy(Box<crate::served_by::ServedBy>),
}

/// Facts of the application protocol of an open connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolEvent {
    /// The protocol handshake is complete (namespace connected,
    /// connection_ack + subscribe, confirm_subscription, CONNECTED +
    /// SUBSCRIBE, every on_open expectation met).
    Ready {
        at: SystemTime,
        protocol: ProtocolKind,
        detail: String,
    },
    /// The server refused in-band (Socket.IO connect_error, graphql
    /// `error` or a 44xx close, Action Cable reject/disconnect, STOMP
    /// ERROR, an unmet on_open expectation); `rule` is what happens next.
    Refused {
        at: SystemTime,
        protocol: ProtocolKind,
        detail: String,
        rule: crate::protocol::Rule,
    },
    /// A raw endpoint speaks a known protocol (evidence in words).
    Detected {
        at: SystemTime,
        protocol: ProtocolKind,
        evidence: String,
    },
    /// A protocol keepalive (Engine.IO ping, graphql ping/ka, Action Cable
    /// ping, STOMP heart-beat) was received and answered where asked.
    Keepalive,
}

impl ProtocolEvent {
    /// When it happened (a keepalive carries no time).
    pub fn at(&self) -> Option<SystemTime> {
        match self {
            ProtocolEvent::Ready { at, .. }
            | ProtocolEvent::Refused { at, .. }
            | ProtocolEvent::Detected { at, .. } => Some(*at),
            ProtocolEvent::Keepalive => None,
        }
    }
}

/// What became of a [`Command::Send`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SendOutcome {
    /// Written to the socket.
    Sent,
    /// Handed to the socket, but the server is not reading: it goes out
    /// when the server takes it (or never, if the connection dies first).
    Queued,
    /// The socket was not open (connecting, waiting to retry, stopped).
    NotOpen,
}

impl SendOutcome {
    /// A few words for screens.
    pub fn describe(&self) -> &'static str {
        match self {
            SendOutcome::Sent => "sent",
            SendOutcome::Queued => "queued (the server is not reading)",
            SendOutcome::NotOpen => "not sent: the socket is not open",
        }
    }
}

/// A batch of received messages.
#[derive(Debug, Clone, Default)]
pub struct MessageBatch {
    pub messages: Vec<Payload>,
    /// Messages received but dropped before they could be delivered.
    pub dropped: u64,
    /// The session's in-flight byte budget this batch holds; it returns to
    /// the session when the consumer drops the batch (and every clone).
    pub budget: Option<Budget>,
}

/// Bytes of a session's in-flight allowance, held by a batch on its way to
/// the consumer. Bounds the memory of batches queued in the event channel
/// whatever the consumer's speed.
#[derive(Clone)]
pub struct Budget(pub std::sync::Arc<tokio::sync::OwnedSemaphorePermit>);

impl std::fmt::Debug for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Budget({} bytes)", self.0.num_permits())
    }
}

/// One received data message.
#[derive(Debug, Clone)]
pub struct Payload {
    pub at: SystemTime,
    pub data: PayloadData,
}

/// Text (valid UTF-8, checked by the protocol layer) or binary.
#[derive(Debug, Clone)]
pub enum PayloadData {
    Text(Utf8Bytes),
    Binary(Bytes),
}

impl Payload {
    /// Size of the payload in bytes.
    pub fn len(&self) -> usize {
        match &self.data {
            PayloadData::Text(t) => t.len(),
            PayloadData::Binary(b) => b.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Memory this payload holds: its bytes plus the bookkeeping around
    /// them. Caps are counted in this, so a flood of tiny messages cannot
    /// hide its per-message overhead from them.
    pub fn cost(&self) -> usize {
        self.len() + PAYLOAD_OVERHEAD
    }
}

/// Per-message bookkeeping: the `Payload` itself plus the shared buffer's
/// header and allocator rounding (measured, rounded up).
pub const PAYLOAD_OVERHEAD: usize = std::mem::size_of::<Payload>() + 32;

/// Why a session stopped reconnecting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum StopReason {
    /// The server rejected our credentials (401/403 handshake, or a
    /// 4001/4003/1008 close). Retrying would only hammer it; waits for the
    /// user or for a token check that newly passes.
    AuthRejected { detail: String },
    /// The server refuses this request in a way retrying cannot change
    /// (a refused Origin, a protocol or subprotocol mismatch, a malformed
    /// answer, a path that never answered 101, an application protocol's
    /// in-band "do not come back": Action Cable `reconnect: false`, an
    /// unknown Socket.IO namespace, a rejected GraphQL query). Waits for the user, a
    /// profile edit, or a slow re-probe every
    /// [`REPROBE_AFTER`](crate::session::policy::REPROBE_AFTER).
    Refused { detail: String },
    /// The user paused the session.
    Paused,
    /// A one-shot attempt (`check`) is done.
    Finished,
    /// The profile was switched or the program is quitting.
    Cancelled,
}

/// Commands a session task takes from its supervisor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Drop the current connection (clean close) or wait, and connect now.
    ReconnectNow,
    /// Send a text frame on the open socket; answered by
    /// [`SessionEvent::Sent`] (with [`SendOutcome::NotOpen`] when closed).
    Send(String),
    /// Close cleanly and stay stopped until `Resume`/`ReconnectNow`.
    Pause,
    /// Leave a pause or an auth stop and connect.
    Resume,
    /// The token check newly passes: leave an auth stop (only) and connect.
    TokenNowValid,
    /// One-shot mode: end the hold now (as if it had run out).
    EndHold,
    /// The profile's login obtained a new token (a JWT refreshed before
    /// it expires): an open socket closes with 1000 and reconnects with
    /// it; a session waiting on an auth stop connects.
    NewToken,
}

/// The server's answer to a successful upgrade.
#[derive(Debug, Clone, Serialize)]
pub struct HandshakeInfo {
    /// Always 101 for an open socket.
    pub status: u16,
    /// Time from the start of the attempt to the 101.
    #[serde(serialize_with = "crate::units::serde_millis")]
    pub latency: Duration,
    pub headers: Vec<(String, String)>,
    /// The subprotocol the server picked, if any.
    pub subprotocol: Option<String>,
}

/// The server's HTTP answer to an upgrade it refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// At most the first 1 KiB of the body, lossily decoded, token scrubbed.
    pub body_excerpt: String,
}

impl HttpAnswer {
    /// First value of a header, case-insensitive.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Which stage of opening a connection an attempt reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Resolving the host name.
    Dns,
    /// Opening the TCP connection.
    Tcp,
    /// TLS + HTTP upgrade request/answer.
    Handshake,
}

/// Why an attempt never opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FailureKind {
    /// The name did not resolve.
    Dns,
    /// Nothing listening (TCP RST to our SYN).
    ConnectionRefused,
    /// `connect_timeout` passed during `stage`.
    Timeout,
    /// TLS failed (the rustls reason is in the message).
    Tls,
    /// The server answered the upgrade with another HTTP status.
    HttpStatus,
    /// The answer broke the WebSocket handshake rules (bad accept key,
    /// missing Upgrade header, not HTTP at all…).
    Protocol,
    /// Any other I/O error (reset during the handshake…).
    Io,
    /// The URL cannot be dialled (bad host, unsupported scheme…).
    Url,
    /// The proxy the profile's rules picked could not be reached, or
    /// refused the tunnel (`http` holds its answer to `CONNECT`).
    Proxy,
}

/// An attempt that never opened.
/// The failure message of a 101 followed by bytes that cannot start a
/// WebSocket frame (the diagnosis matches on it).
pub const NOT_A_FRAME: &str =
    "the server answered 101 but the bytes after it are not a WebSocket frame";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectFailure {
    pub stage: Stage,
    #[serde(flatten)]
    pub kind: FailureKind,
    /// The underlying error, token scrubbed.
    pub message: String,
    /// The refused answer, for `HttpStatus` (and any answer that was read).
    pub http: Option<HttpAnswer>,
    /// What the server sent during the upgrade, as it came (lossy UTF-8,
    /// token scrubbed, at most [`RAW_ANSWER_BYTES`](crate::session::handshake::RAW_ANSWER_BYTES)):
    /// the only record of an answer tungstenite could not parse
    /// (`HTTP/1.1 4002 undefined`). Plain `ws://` only: under TLS the
    /// recorded bytes would be ciphertext.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_answer: Option<String>,
}

/// Who ended an open connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Closer {
    /// The server sent a close frame first.
    Server,
    /// wsmon sent a close frame first (user, profile switch, protocol error).
    Client,
    /// Nobody: the connection dropped without a closing handshake.
    Network,
}

/// How an open connection ended, as a browser would report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CloseInfo {
    /// The code a browser's `CloseEvent.code` would show: the received one,
    /// 1005 for a close frame without a code, 1006 with no close frame.
    pub code: u16,
    pub reason: String,
    pub by: Closer,
    /// `CloseEvent.wasClean`: a closing handshake completed.
    pub clean: bool,
    /// Why wsmon ended it, when wsmon did (or noticed a violation).
    pub cause: Option<LocalCause>,
    /// wsmon's own words on it (e.g. "no pong within 10s"), if any.
    pub note: Option<String>,
}

/// Why wsmon itself ended (or failed) an open connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalCause {
    /// No pong within `pong_timeout`: the connection is half-open.
    HeartbeatTimeout,
    /// The server broke the framing rules (masked frame, reserved bits…).
    ProtocolViolation,
    /// A text message was not valid UTF-8 (1007).
    InvalidUtf8,
    /// A message exceeded the size limit (1009).
    MessageTooBig,
    /// The user asked (reconnect, pause).
    UserRequest,
    /// The login obtained a new token; the socket reconnects with it
    /// before the old one expires.
    NewToken,
    /// Profile switch or quit.
    Shutdown,
    /// A one-shot check held the socket long enough.
    CheckDone,
    /// The server refused the credentials in its application protocol
    /// (Socket.IO connect_error, Action Cable `unauthorized`…); the note
    /// holds its words.
    ProtocolAuthRefused,
    /// The server refused in its application protocol for another reason
    /// and said not to come back (the note holds its words).
    ProtocolRefused,
    /// The server ended the session in its application protocol and asked
    /// for a reconnect (Action Cable `server_restart`, a completed GraphQL
    /// subscription, an unmet on_open expectation); the note holds its words.
    ProtocolRetry,
}

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Never opened.
    Failed(ConnectFailure),
    /// Opened, then closed.
    Closed {
        close: CloseInfo,
        #[serde(serialize_with = "crate::units::serde_millis")]
        open_for: Duration,
    },
}

/// The full record of one attempt, kept in the reconnect history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    /// 1-based attempt number of this session.
    pub attempt: u32,
    pub started: SystemTime,
    pub ended: SystemTime,
    /// Time to the 101, when it opened.
    pub handshake_latency: Option<Duration>,
    pub outcome: Outcome,
    /// What crossed the socket while it was open (all `None` for an
    /// attempt that never opened): the idle time before a drop and the
    /// frame a close answered come from here.
    pub activity: Activity,
}

/// The last frames of an open socket, in each direction. Kept by the open
/// loop from timestamps it already takes (a received message's `at`), so
/// the per-message read path pays nothing more.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Activity {
    /// The last frame from the server: a message, a ping or a pong (not
    /// the close frame itself).
    pub last_received: Option<SystemTime>,
    /// The last frame wsmon sent: a text frame or a ping (not the close).
    pub last_sent: Option<SystemTime>,
    /// The last text frame wsmon sent, token scrubbed, and when.
    pub last_text_sent: Option<(SystemTime, String)>,
}

impl AttemptRecord {
    /// The `CloseEvent.code` a browser would have reported for this attempt:
    /// a failed handshake is 1006 to a browser, whatever the HTTP status.
    pub fn browser_close_code(&self) -> u16 {
        match &self.outcome {
            Outcome::Failed(_) => 1006,
            Outcome::Closed { close, .. } => close.code,
        }
    }

    /// The HTTP status of a refused handshake (101 when it opened).
    pub fn handshake_status(&self) -> Option<u16> {
        match &self.outcome {
            // A proxy's answer to CONNECT is not the server's handshake.
            Outcome::Failed(f) if f.kind == FailureKind::Proxy => None,
            Outcome::Failed(f) => f.http.as_ref().map(|h| h.status),
            Outcome::Closed { .. } => Some(101),
        }
    }

    pub fn close(&self) -> Option<&CloseInfo> {
        match &self.outcome {
            Outcome::Closed { close, .. } => Some(close),
            Outcome::Failed(_) => None,
        }
    }

    /// When the socket opened (the 101), for an attempt that opened.
    pub fn opened_at(&self) -> Option<SystemTime> {
        match &self.outcome {
            Outcome::Closed { .. } => Some(self.started + self.handshake_latency?),
            Outcome::Failed(_) => None,
        }
    }

    /// How long the socket was open, for an attempt that opened.
    pub fn open_for(&self) -> Option<Duration> {
        match &self.outcome {
            Outcome::Closed { open_for, .. } => Some(*open_for),
            Outcome::Failed(_) => None,
        }
    }

    /// Time from the last frame in either direction (or from the 101 when
    /// nothing crossed) to the end, for an attempt that opened: what an
    /// idle timeout on the path counts.
    pub fn idle_at_end(&self) -> Option<Duration> {
        let opened = self.opened_at()?;
        let last = [self.activity.last_received, self.activity.last_sent]
            .into_iter()
            .flatten()
            .fold(opened, SystemTime::max);
        Some(self.ended.duration_since(last).unwrap_or_default())
    }

    /// Time from the last frame the server sent (or from the 101) to the
    /// end: what a proxy's read timeout counts (nginx's
    /// `proxy_read_timeout` re-arms on reads from the upstream only).
    pub fn quiet_at_end(&self) -> Option<Duration> {
        let opened = self.opened_at()?;
        let last = self
            .activity
            .last_received
            .map_or(opened, |r| r.max(opened));
        Some(self.ended.duration_since(last).unwrap_or_default())
    }

    pub fn failure(&self) -> Option<&ConnectFailure> {
        match &self.outcome {
            Outcome::Failed(f) => Some(f),
            Outcome::Closed { .. } => None,
        }
    }
}
