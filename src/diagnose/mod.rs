//! Knowledge: what a close code or a failed handshake means, as pure
//! functions over captured facts. No I/O here.
//!
//! - [`codes`]: the close-code catalog (`assets/close-codes.toml`) and HTTP
//!   statuses seen at the handshake; `wsmon explain` prints from it.
//! - [`django`]: the Django doctor: a project's settings and routes → findings.
//! - [`evidence`]: who answered, what they said, what wsmon sent.
//! - [`failure`]: facts of one attempt (+ the token check) → [`Diagnosis`].
//! - [`isolation`]: a delivery probe's facts → delivered, leaked to
//!   another profile, or not proven.
//! - [`explain`]: the text `wsmon explain CODE` prints.
//! - [`lint`]: warnings about an endpoint URL before connecting.
//! - [`pattern`]: an endpoint's history → the pattern that leads the
//!   diagnosis (idle timeout, churn, everyone at once…).
//! - [`server_log`]: the server's log lines pinned to an attempt, and
//!   the line that should be there and is not.
//! - [`server_side`]: the process listening on a local endpoint's port →
//!   a finding (runserver without daphne, nearby port, restart…).
//! - [`text`]: safe excerpts of server text, wrapping, durations.

pub(crate) mod codes;
pub mod django;
pub(crate) mod evidence;
pub(crate) mod explain;
pub(crate) mod failure;
pub(crate) mod isolation;
pub(crate) mod lint;
pub(crate) mod login;
pub(crate) mod pattern;
pub(crate) mod protocol;
pub(crate) mod server_log;
pub(crate) mod server_side;
pub(crate) mod text;

use serde::Serialize;

pub use failure::{Facts, diagnose, is_auth_close};
pub use text::excerpt;

/// What went wrong (or right), in plain words, with what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    pub kind: DiagnosisKind,
    /// One sentence a person can act on.
    pub summary: String,
    /// Things to try, most likely first.
    pub fixes: Vec<String>,
    /// The pattern across attempts this one belongs to, if any; it leads
    /// `summary` and `fixes` (see [`Diagnosis::led_by`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<pattern::Pattern>,
    /// The facts the diagnosis read, short: the status line, who answered
    /// and how wsmon knows, the server's words, what wsmon sent, the
    /// token check. Empty when there was nothing to read.
    pub evidence: Vec<String>,
    /// Who answered the upgrade (`FastAPI/Starlette on uvicorn`, `Django
    /// behind nginx/1.22.1`), when the answer identifies it.
    pub answered_by: Option<String>,
    /// The server's log lines pinned to this attempt (with `server_log`
    /// in the profile): lines around it naming its path, and Python
    /// tracebacks kept whole (see [`server_log::pinned`]). Raw text:
    /// shown through `text_safe::visible`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub server_log: Vec<String>,
}

impl Diagnosis {
    /// A diagnosis without evidence (yet).
    pub fn new(kind: DiagnosisKind, summary: String, fixes: Vec<String>) -> Diagnosis {
        Diagnosis {
            kind,
            summary,
            fixes,
            evidence: Vec::new(),
            answered_by: None,
            pattern: None,
            server_log: Vec::new(),
        }
    }

    /// This attempt's reading with `pattern` in front: its summary first,
    /// then "This attempt: …"; its fixes first, then the attempt's own
    /// (without repeats).
    ///
    /// A churn (or a fixed lifetime) whose sessions all ended the same
    /// way, for a cause that is already known, follows instead: the known cause (a protocol's
    /// reading, a close code with a meaning of its own, the server's own
    /// reason) leads, then the churn as a count, then the churn's fixes.
    /// "Something keeps closing sessions" would bury a cause wsmon has.
    pub fn led_by(mut self, pattern: Option<pattern::Pattern>) -> Diagnosis {
        let Some(mut p) = pattern else {
            return self;
        };
        let known = |kind: DiagnosisKind| {
            matches!(
                kind,
                DiagnosisKind::ProtocolError
                    | DiagnosisKind::AuthRejected
                    | DiagnosisKind::OriginRefused
                    | DiagnosisKind::MessageTooBig
                    | DiagnosisKind::RateLimited
                    | DiagnosisKind::HandshakeFailed
            )
        };
        // Only a churn or a fixed lifetime whose sessions all ended the
        // same way carry `same_end`.
        let follows = p
            .same_end
            .as_ref()
            .is_some_and(|same| same.told || known(self.kind));
        let mut fixes;
        if follows {
            let count = p
                .same_end
                .as_ref()
                .map(|s| s.count.clone())
                .unwrap_or_default();
            self.summary = format!("{} {count}", self.summary);
            p.summary = count;
            fixes = std::mem::take(&mut self.fixes);
            for fix in &p.fixes {
                if !fixes.contains(fix) {
                    fixes.push(fix.clone());
                }
            }
        } else {
            self.summary = format!("{} This attempt: {}", p.summary, self.summary);
            fixes = p.fixes.clone();
            for fix in std::mem::take(&mut self.fixes) {
                if !fixes.contains(&fix) {
                    fixes.push(fix);
                }
            }
        }
        self.fixes = fixes;
        self.pattern = Some(p);
        self
    }
}

/// Stable snake_case names: JSON output and scripts rely on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiagnosisKind {
    Ok,
    ConnectionRefused,
    DnsFailure,
    ConnectTimeout,
    HandshakeTimeout,
    TlsError,
    WrongScheme,
    Redirect,
    AuthRejected,
    NotWebsocketServer,
    ServerError,
    ProxyError,
    /// The forward proxy (HTTP CONNECT or SOCKS5) was unreachable or
    /// refused the tunnel; the server was never reached.
    ProxyRefused,
    AbnormalClosure,
    HeartbeatTimeout,
    ClosedByServer,
    ClosedByClient,
    ProtocolError,
    MessageTooBig,
    HandshakeFailed,
    /// The server refused the request's `Origin` (its words say so).
    OriginRefused,
    /// 429, or a 503 with `Retry-After`: the server limits connections.
    RateLimited,
}

impl DiagnosisKind {
    /// The snake_case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            DiagnosisKind::Ok => "ok",
            DiagnosisKind::ConnectionRefused => "connection_refused",
            DiagnosisKind::DnsFailure => "dns_failure",
            DiagnosisKind::ConnectTimeout => "connect_timeout",
            DiagnosisKind::HandshakeTimeout => "handshake_timeout",
            DiagnosisKind::TlsError => "tls_error",
            DiagnosisKind::WrongScheme => "wrong_scheme",
            DiagnosisKind::Redirect => "redirect",
            DiagnosisKind::AuthRejected => "auth_rejected",
            DiagnosisKind::NotWebsocketServer => "not_websocket_server",
            DiagnosisKind::ServerError => "server_error",
            DiagnosisKind::ProxyError => "proxy_error",
            DiagnosisKind::ProxyRefused => "proxy_refused",
            DiagnosisKind::AbnormalClosure => "abnormal_closure",
            DiagnosisKind::HeartbeatTimeout => "heartbeat_timeout",
            DiagnosisKind::ClosedByServer => "closed_by_server",
            DiagnosisKind::ClosedByClient => "closed_by_client",
            DiagnosisKind::ProtocolError => "protocol_error",
            DiagnosisKind::MessageTooBig => "message_too_big",
            DiagnosisKind::HandshakeFailed => "handshake_failed",
            DiagnosisKind::OriginRefused => "origin_refused",
            DiagnosisKind::RateLimited => "rate_limited",
        }
    }
}
