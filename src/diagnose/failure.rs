//! Facts of one attempt → [`Diagnosis`]: the cause a browser's
//! "1006, wasClean: false" hides, in one sentence, with fixes.
//!
//! A pure classifier over captured facts. This file handles attempts that
//! failed below HTTP (DNS, TCP, TLS, a broken handshake); [`http`] handles
//! refused upgrades by status, [`auth`] cross-checks auth refusals with the
//! REST token check, [`closed`] handles sockets that opened and then closed.
//! Server text (reasons, bodies, headers) only ever enters a summary through
//! [`excerpt`].

mod auth;
mod closed;
mod http;

use indexmap::IndexMap;

use super::text::excerpt;
use super::{Diagnosis, DiagnosisKind};
use crate::session::{AttemptRecord, ConnectFailure, FailureKind, Outcome, Stage};
use crate::token_check::TokenCheckResult;

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
    /// The profile's names for application close codes.
    pub close_codes: &'a IndexMap<u16, String>,
}

/// Close codes a server uses to say "your credentials are refused":
/// application 4001/4003, registered 3000/3003 and the generic 1008.
pub fn is_auth_close(code: u16) -> bool {
    matches!(code, 4001 | 4003 | 1008 | 3000 | 3003)
}

/// Classifies one attempt.
pub fn diagnose(facts: &Facts<'_>) -> Diagnosis {
    let target = Target::of(facts.shown_url);
    match &facts.record.outcome {
        Outcome::Failed(failure) => failed(facts, &target, failure),
        Outcome::Closed { close, open_for } => closed::classify(facts, &target, close, *open_for),
    }
}

fn diag(kind: DiagnosisKind, summary: String, fixes: Vec<String>) -> Diagnosis {
    Diagnosis {
        kind,
        summary,
        fixes,
    }
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

fn failed(facts: &Facts<'_>, t: &Target, f: &ConnectFailure) -> Diagnosis {
    let msg = excerpt(&f.message);
    let lower = f.message.to_ascii_lowercase();
    match f.kind {
        // tokio-tungstenite reports rustls and resolver failures as plain
        // I/O errors, so the message decides, whatever kind the engine chose.
        FailureKind::Io if looks_like_tls(&lower) => tls(t, &lower, &msg),
        FailureKind::Dns | FailureKind::Io if lower.contains("lookup address") => dns(t, &msg),
        FailureKind::Dns => dns(t, &msg),
        FailureKind::ConnectionRefused => refused(t),
        FailureKind::Io if lower.contains("refused") => refused(t),
        FailureKind::Timeout => timeout(t, f.stage),
        FailureKind::Tls => tls(t, &lower, &msg),
        FailureKind::HttpStatus => match &f.http {
            // A 101 that still failed broke the handshake rules.
            Some(answer) if answer.status == 101 => protocol(t, &lower, &msg),
            Some(answer) => http::classify(facts, t, answer),
            None => diag(
                DiagnosisKind::HandshakeFailed,
                format!("The server refused the upgrade ({msg})."),
                vec!["Read the server's console at the time of the attempt.".into()],
            ),
        },
        // EOF before a whole HTTP answer: the server hung up on the request.
        FailureKind::Protocol if lower.contains("handshake not finished") => io(t, &msg),
        FailureKind::Protocol => protocol(t, &lower, &msg),
        FailureKind::Io => io(t, &msg),
        FailureKind::Url => bad_url(t, &msg),
    }
}

/// rustls failures, as their messages read when wrapped in an I/O error.
fn looks_like_tls(lower: &str) -> bool {
    [
        "invalid peer certificate",
        "invalidcontenttype",
        "corrupt message",
        "received fatal alert",
        "peer is incompatible",
        "peer misbehaved",
        "tls error",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

fn dns(t: &Target, msg: &str) -> Diagnosis {
    diag(
        DiagnosisKind::DnsFailure,
        format!("The host name \"{}\" did not resolve ({msg}).", t.host),
        vec![
            "Check the spelling of the host in the profile's server URL.".into(),
            "For a server on this machine use 127.0.0.1 or localhost.".into(),
            "If the name exists only on a VPN or an internal DNS, connect to it first.".into(),
        ],
    )
}

fn refused(t: &Target) -> Diagnosis {
    let port = t.port.map_or_else(|| "PORT".to_string(), |p| p.to_string());
    diag(
        DiagnosisKind::ConnectionRefused,
        format!(
            "Nothing is listening on {}: the TCP connection was refused, so the server is not running there.",
            t.addr()
        ),
        vec![
            format!(
                "Start the ASGI server on that port, e.g. `{}` (your Django project's package instead of `project`).",
                t.daphne_command()
            ),
            format!(
                "Check that the server listens on port {port}, the one in the URL (`ss -ltnp` lists listening ports)."
            ),
            "If the server runs in a container, it must bind 0.0.0.0 and publish the port.".into(),
        ],
    )
}

fn timeout(t: &Target, stage: Stage) -> Diagnosis {
    let addr = t.addr();
    match stage {
        Stage::Dns => diag(
            DiagnosisKind::ConnectTimeout,
            format!("Resolving \"{}\" did not finish within the connect timeout.", t.host),
            vec![
                "The DNS server is slow or unreachable: try the server's IP address.".into(),
                "If the name exists only on a VPN, connect to it first.".into(),
            ],
        ),
        Stage::Tcp => diag(
            DiagnosisKind::ConnectTimeout,
            format!("No TCP connection to {addr} within the connect timeout: nothing answered at all, not even a refusal."),
            vec![
                format!("A firewall or security group silently drops packets to {addr} (a closed port on a reachable host is refused, not silent)."),
                "The host is down or the address is wrong (an address from another network, an old IP).".into(),
                "Raise connect_timeout only if the network is merely slow.".into(),
            ],
        ),
        Stage::Handshake => {
            let mut fixes = vec![
                "The server accepted the connection but is stuck: a blocked event loop or a synchronous call in an async consumer; check whether its console shows the request.".to_string(),
                "A proxy in between may be holding the request: connect to the backend directly to compare.".to_string(),
            ];
            if !t.is_tls() && matches!(t.port, Some(443 | 8443)) {
                fixes.insert(
                    0,
                    format!("{} usually speaks TLS: try {}.", t.addr(), t.with_scheme("wss")),
                );
            }
            diag(
                DiagnosisKind::HandshakeTimeout,
                format!("TCP to {addr} connected, but no answer to the WebSocket upgrade came within the connect timeout."),
                fixes,
            )
        }
    }
}

fn tls(t: &Target, lower: &str, msg: &str) -> Diagnosis {
    let addr = t.addr();
    // A plain-HTTP answer ("HTTP/1.1 400…") read as a TLS record has an
    // invalid content type: the port speaks HTTP, not TLS.
    if lower.contains("invalidcontenttype") {
        return diag(
            DiagnosisKind::WrongScheme,
            format!("wss:// was used but {addr} answered in plain HTTP, not TLS (\"{msg}\")."),
            vec![
                format!(
                    "Use {} (the server has no TLS on this port).",
                    t.with_scheme("ws")
                ),
                "Or put TLS in front of it (a proxy such as nginx or Caddy terminating TLS)."
                    .into(),
            ],
        );
    }
    let self_signed = "A self-signed or private-CA certificate: wsmon trusts the public web roots only; use ws:// for a development server, or a certificate from a public CA.";
    let (reason, fixes): (&str, Vec<String>) = if lower.contains("causedasendentity") {
        // What `openssl req -x509` makes: a CA certificate served as a leaf.
        (
            "the server presents a self-signed CA certificate as its own (CaUsedAsEndEntity)",
            vec![self_signed.into()],
        )
    } else if lower.contains("unknownissuer") || lower.contains("unknown issuer") {
        (
            "the certificate was issued by an authority wsmon does not trust (unknown issuer)",
            vec![
                self_signed.into(),
                "If the certificate is from a public CA, the server may not send the intermediate certificate: serve the full chain (fullchain.pem).".into(),
            ],
        )
    } else if lower.contains("notvalidforname") || lower.contains("not valid for name") {
        (
            "the certificate is not valid for this host name (name mismatch)",
            vec![
                "Connect using a name the certificate lists (the error names them).".into(),
                format!(
                    "Or reissue the certificate with {} in its subjectAltName.",
                    t.host
                ),
            ],
        )
    } else if lower.contains("notvalidyet") || lower.contains("not valid yet") {
        (
            "the certificate is not valid yet",
            vec!["Check this machine's clock and date.".into()],
        )
    } else if lower.contains("expired") {
        (
            "the server's certificate has expired",
            vec![
                "Renew the certificate on the server (e.g. certbot renew) and reload it.".into(),
                "Check this machine's clock and date.".into(),
            ],
        )
    } else if lower.contains("invalid peer certificate") {
        (
            "the server's certificate was rejected",
            vec![self_signed.into()],
        )
    } else {
        (
            "see the TLS error",
            vec![
                "The server may require another TLS version, a client certificate or a different SNI name.".into(),
                format!("If {addr} does not speak TLS at all, use ws://."),
            ],
        )
    };
    diag(
        DiagnosisKind::TlsError,
        format!("The TLS handshake with {addr} failed: {reason} (\"{msg}\")."),
        fixes,
    )
}

fn protocol(t: &Target, lower: &str, msg: &str) -> Diagnosis {
    let addr = t.addr();
    // TLS alert bytes instead of "HTTP/1.1": ws:// reached a TLS port.
    if !t.is_tls() && (lower.contains("invalid http version") || lower.contains("httparse")) {
        return diag(
            DiagnosisKind::WrongScheme,
            format!(
                "ws:// was used but {addr} did not answer in HTTP (\"{msg}\"): the port most likely speaks TLS."
            ),
            vec![format!("Use {} instead.", t.with_scheme("wss"))],
        );
    }
    let mut fixes = Vec::new();
    if lower.contains("sec-websocket-accept") || lower.contains("key mismatch") {
        fixes.push("Something rewrote the handshake answer (a caching or buffering proxy), or the server computes Sec-WebSocket-Accept wrongly.".to_string());
    }
    if lower.contains("subprotocol") {
        fixes.push("The server picked a subprotocol wsmon did not offer, or none when one was offered: check the endpoint's subprotocols.".to_string());
    }
    fixes.push("Connect to the server directly, bypassing any proxy, to see which one breaks the handshake.".to_string());
    diag(
        DiagnosisKind::ProtocolError,
        format!("{addr} answered the upgrade but broke the WebSocket handshake rules (\"{msg}\")."),
        fixes,
    )
}

fn io(t: &Target, msg: &str) -> Diagnosis {
    let addr = t.addr();
    // A TLS server hangs up on plaintext; on a TLS port that is the
    // likeliest reason. Elsewhere it stays one suggestion among others.
    if !t.is_tls() && matches!(t.port, Some(443 | 8443)) {
        return diag(
            DiagnosisKind::WrongScheme,
            format!(
                "ws:// was used on a TLS port and {addr} dropped the connection during the handshake (\"{msg}\"): the port most likely speaks TLS."
            ),
            vec![format!("Use {} instead.", t.with_scheme("wss"))],
        );
    }
    diag(
        DiagnosisKind::HandshakeFailed,
        format!("The connection to {addr} was dropped during the handshake (\"{msg}\")."),
        vec![
            "The server closed the connection without answering: it may have crashed on the request; check its console.".into(),
            format!("The port may speak another protocol (TLS: try {}).", t.with_scheme("wss")),
            "A proxy or firewall may reset WebSocket upgrades.".into(),
        ],
    )
}

fn bad_url(t: &Target, msg: &str) -> Diagnosis {
    if matches!(t.scheme.as_str(), "http" | "https") {
        let ws = if t.is_tls() { "wss" } else { "ws" };
        return diag(
            DiagnosisKind::WrongScheme,
            format!(
                "The URL uses {}:// but WebSocket URLs use ws:// or wss:// (\"{msg}\").",
                t.scheme
            ),
            vec![format!("Use {} in the endpoint URL.", t.with_scheme(ws))],
        );
    }
    diag(
        DiagnosisKind::HandshakeFailed,
        format!("The endpoint URL cannot be dialled (\"{msg}\")."),
        vec![
            "Check the endpoint URL in the profile: a ws:// or wss:// scheme, a host, a path."
                .into(),
        ],
    )
}

#[cfg(test)]
mod tests;
