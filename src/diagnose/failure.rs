//! Facts of one attempt → [`Diagnosis`]: the cause a browser's
//! "1006, wasClean: false" hides, in one sentence, with fixes.
//!
//! A pure classifier over captured facts. This file holds the facts, the
//! target URL's parts and the dispatch; [`transport`] handles failures below
//! HTTP (DNS, TCP, TLS, a broken handshake), [`http`] refused upgrades by
//! status (with [`proxy`] for proxies in the path), [`auth`] cross-checks
//! auth refusals with the REST token check,
//! [`closed`] sockets that opened and then closed.
//! Server text (reasons, bodies, headers) only ever enters a summary through
//! [`excerpt`].

mod auth;
mod closed;
mod http;
mod proxy;
mod transport;
mod tunnel;

use indexmap::IndexMap;

use super::evidence::{Answer, Sent};
use super::text::excerpt;
use super::{Diagnosis, DiagnosisKind};
use crate::facts::TokenCheckResult;
use crate::facts::{AttemptRecord, ConnectFailure, FailureKind, Outcome};

/// Everything the classifier may look at. All captured, nothing fetched.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub record: &'a AttemptRecord,
    /// The endpoint URL as shown (token redacted).
    pub shown_url: &'a str,
    /// Whether the real URL carries the profile's token.
    pub url_has_token: bool,
    /// The latest token check of the profile, if any.
    pub token_check: Option<&'a TokenCheckResult>,
    /// Whether the profile has a token check at all: without a result,
    /// it has not answered yet (a refused handshake on loopback often
    /// beats it) rather than not being set up.
    pub token_check_configured: bool,
    /// The profile's names for application close codes.
    pub close_codes: &'a IndexMap<u16, String>,
    /// What wsmon sent (Origin, subprotocols, where the token went), when
    /// known: advice never asks for what was already sent.
    pub sent: Option<&'a Sent>,
}

/// Close codes a server uses to say "your credentials are refused":
/// application 4001/4003, registered 3000/3003 and the generic 1008.
pub fn is_auth_close(code: u16) -> bool {
    matches!(code, 4001 | 4003 | 1008 | 3000 | 3003)
}

/// Classifies one attempt.
pub fn diagnose(facts: &Facts<'_>) -> Diagnosis {
    let target = Target::of(facts.shown_url);
    // Read once: the classifier, the evidence and answered_by share it.
    let answer = facts.record.failure().and_then(Answer::of_failure);
    let mut d = match &facts.record.outcome {
        Outcome::Failed(failure) => failed(facts, &target, failure, answer.as_ref()),
        Outcome::Closed { close, open_for } => closed::classify(facts, &target, close, *open_for),
    };
    d.evidence = evidence(facts, &target, answer.as_ref());
    d.answered_by = answer.and_then(|a| a.fingerprint.answered_by());
    d
}

/// The facts read, for `diagnosis.evidence`.
fn evidence(facts: &Facts<'_>, t: &Target, answer: Option<&Answer>) -> Vec<String> {
    let mut out = Vec::new();
    match &facts.record.outcome {
        Outcome::Failed(f) => match answer {
            Some(a) => out.extend(a.facts()),
            None => out.push(format!(
                "failed at the {} stage: {}",
                format!("{:?}", f.stage).to_lowercase(),
                excerpt(&f.message)
            )),
        },
        Outcome::Closed { close, .. } => {
            out.push(format!("opened (101), then closed with {}", close.code));
            if !close.reason.is_empty() {
                out.push(format!("close reason \"{}\"", excerpt(&close.reason)));
            }
        }
    }
    if let Some(sent) = facts.sent {
        out.extend(sent.facts(&t.host, t.port));
    }
    if let Some(c) = facts.token_check {
        let status = c
            .status
            .map_or("no answer".to_string(), |s| format!("HTTP {s}"));
        let detail = c
            .detail
            .as_deref()
            .map(|d| format!(": \"{}\"", excerpt(d)))
            .unwrap_or_default();
        out.push(format!(
            "REST token check: {} ({status}){detail}",
            c.verdict.as_str()
        ));
    }
    out
}

fn diag(kind: DiagnosisKind, summary: String, fixes: Vec<String>) -> Diagnosis {
    Diagnosis::new(kind, summary, fixes)
}

/// The parts of the shown URL that diagnoses name.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    scheme: String,
    host: String,
    port: Option<u16>,
    path: String,
    /// The query parameter that carries the token (`token`, `access_token`…).
    token_param: Option<String>,
}

impl Target {
    fn of(shown_url: &str) -> Target {
        match url::Url::parse(shown_url) {
            Ok(u) => Target {
                scheme: u.scheme().to_ascii_lowercase(),
                host: u.host_str().unwrap_or_default().to_string(),
                port: u.port_or_known_default(),
                path: u.path().to_string(),
                token_param: u
                    .query_pairs()
                    .map(|(k, _)| k.into_owned())
                    .find(|k| k.to_ascii_lowercase().contains("token")),
            },
            Err(_) => Target {
                scheme: String::new(),
                host: excerpt(shown_url),
                port: None,
                path: String::new(),
                token_param: None,
            },
        }
    }

    /// `host:port`, as a person types it.
    fn addr(&self) -> String {
        match self.port {
            Some(port) => format!("{}:{port}", self.host),
            None => self.host.clone(),
        }
    }

    fn is_tls(&self) -> bool {
        matches!(self.scheme.as_str(), "wss" | "https")
    }

    fn is_loopback(&self) -> bool {
        let h = self.host.as_str();
        h == "localhost" || h.starts_with("127.") || h == "[::1]"
    }

    /// `host` or `host:port`, leaving out the default port of `scheme`.
    fn authority_for(&self, scheme: &str) -> String {
        let default = if matches!(scheme, "wss" | "https") {
            443
        } else {
            80
        };
        match self.port {
            Some(port) if port != default => format!("{}:{port}", self.host),
            _ => self.host.clone(),
        }
    }

    /// The server's HTTP origin (`http://127.0.0.1:8000`), as an
    /// `Origin` header value for `AllowedHostsOriginValidator`.
    fn origin(&self) -> String {
        let scheme = if self.is_tls() { "https" } else { "http" };
        format!("{scheme}://{}", self.authority_for(scheme))
    }

    /// The generic command that starts a Channels app on this port.
    fn daphne_command(&self) -> String {
        let bind = if self.is_loopback() {
            "127.0.0.1"
        } else {
            "0.0.0.0"
        };
        let port = self.port.unwrap_or(8000);
        format!("daphne -b {bind} -p {port} project.asgi:application")
    }

    /// The URL with another scheme, path only (no query: it may carry the
    /// token).
    fn with_scheme(&self, scheme: &str) -> String {
        format!("{scheme}://{}{}", self.authority_for(scheme), self.path)
    }
}

fn failed(facts: &Facts<'_>, t: &Target, f: &ConnectFailure, answer: Option<&Answer>) -> Diagnosis {
    let msg = excerpt(&f.message);
    let lower = f.message.to_ascii_lowercase();
    // Bytes that are HTTP are never "the port speaks TLS": say what came.
    if let Some(a) = answer.filter(|a| a.malformed) {
        return http::malformed(facts, t, a);
    }
    // An answer began, then the connection died: what came is HTTP, so
    // the port is not TLS whatever the error says.
    if let Some(a) = answer.filter(|_| matches!(f.kind, FailureKind::Io | FailureKind::Protocol))
        && f.http.is_none()
        && a.status.is_some_and(|s| s != 101)
    {
        return diag(
            DiagnosisKind::HandshakeFailed,
            format!(
                "{} began an HTTP answer ({}{}) and then the connection failed (\"{msg}\").",
                t.addr(),
                a.line(),
                a.words_note()
            ),
            vec!["The server or a proxy cut its own answer short: read its log at the time of the attempt.".into()],
        );
    }
    if lower.contains("subprotocol") {
        return transport::subprotocol(facts, t, &lower, &msg);
    }
    if f.message == crate::facts::NOT_A_FRAME {
        return transport::not_a_frame(t, f.raw_answer.as_deref().unwrap_or_default());
    }
    match f.kind {
        // tokio-tungstenite reports rustls and resolver failures as plain
        // I/O errors, so the message decides, whatever kind the engine chose.
        FailureKind::Io if transport::looks_like_tls(&lower) => {
            transport::tls(t, &lower, &f.message)
        }
        FailureKind::Dns | FailureKind::Io if lower.contains("lookup address") => {
            transport::dns(t, &msg)
        }
        FailureKind::Dns => transport::dns(t, &msg),
        FailureKind::ConnectionRefused => transport::refused(t),
        FailureKind::Io if lower.contains("refused") => transport::refused(t),
        FailureKind::Timeout => transport::timeout(t, f.stage),
        FailureKind::Tls => transport::tls(t, &lower, &f.message),
        FailureKind::HttpStatus => match &f.http {
            // A 101 that still failed broke the handshake rules.
            Some(http) if http.status == 101 => transport::protocol(t, &lower, &msg),
            Some(_) => match answer {
                Some(a) => http::classify(facts, t, a),
                None => transport::protocol(t, &lower, &msg),
            },
            None => diag(
                DiagnosisKind::HandshakeFailed,
                format!("The server refused the upgrade ({msg})."),
                vec!["Read the server's console at the time of the attempt.".into()],
            ),
        },
        // EOF before a whole HTTP answer: the server hung up on the request.
        FailureKind::Protocol if lower.contains("handshake not finished") => transport::io(t, &msg),
        FailureKind::Protocol => {
            let raw = f.raw_answer.as_deref().unwrap_or_default();
            transport::protocol_with(t, &lower, &msg, raw)
        }
        FailureKind::Io => transport::io(t, &msg),
        FailureKind::Url => transport::bad_url(t, &msg),
        FailureKind::Proxy => tunnel::failed(t, f),
    }
}

#[cfg(test)]
mod tests;
