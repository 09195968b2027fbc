//! Sockets that opened and then closed: who closed, with which code, and
//! what wsmon noticed (a missing pong, a framing violation, a huge message).

use std::time::Duration;

use indexmap::IndexMap;

use super::{Facts, Target, auth, diag, is_auth_close};
use crate::diagnose::codes::{self, CodeClass};
use crate::diagnose::evidence::Meaning;
use crate::diagnose::text::{excerpt, human_duration};
use crate::diagnose::{Diagnosis, DiagnosisKind};
use crate::facts::{CloseInfo, Closer, LocalCause};

/// `1011 Internal Error`, `4001 "token_invalid" (application-defined)`,
/// `4005 (application-defined, not named in this profile)`.
pub(super) fn label(code: u16, names: &IndexMap<u16, String>) -> String {
    let info = codes::close_code(code);
    let class = info.name.to_lowercase();
    match names.get(&code) {
        Some(own) => format!("{code} \"{}\" ({class})", excerpt(own)),
        None if info.specific => format!("{code} {}", info.name),
        None if info.class == CodeClass::Application => {
            format!("{code} ({class}, not named in this profile)")
        }
        None => format!("{code} ({class})"),
    }
}

pub(super) fn classify(
    facts: &Facts<'_>,
    t: &Target,
    close: &CloseInfo,
    open_for: Duration,
) -> Diagnosis {
    let c = Closed {
        close,
        dur: human_duration(open_for),
        label: label(close.code, facts.close_codes),
        reason: match excerpt(&close.reason) {
            r if r.is_empty() => String::new(),
            r => format!(", reason \"{r}\""),
        },
        note: close
            .note
            .as_deref()
            .map(|n| format!(" ({})", excerpt(n)))
            .unwrap_or_default(),
    };
    use LocalCause as L;
    let meaning = crate::diagnose::evidence::body::meaning_of(&close.reason);
    match (close.cause, close.by, close.code) {
        (Some(L::HeartbeatTimeout), ..) => c.heartbeat(),
        (Some(L::MessageTooBig), ..) | (_, _, 1009) => c.too_big(),
        (Some(L::ProtocolViolation | L::InvalidUtf8), ..) | (_, _, 1002 | 1007) => c.protocol(),
        (_, Closer::Server, _) if meaning == Some(Meaning::OriginRefused) => {
            c.origin_refused(facts)
        }
        // A close reason that says the token is bad is an auth refusal,
        // whatever the code ("token expired" with 1000 or 4000).
        (_, Closer::Server, code)
            if is_auth_close(code) || meaning.is_some_and(Meaning::is_auth) =>
        {
            auth::closed(facts, t, &c.label, &c.reason, code, open_for)
        }
        (_, Closer::Network, _) | (_, _, 1006) => c.abnormal(open_for),
        (_, Closer::Client, 1000) => diag(
            DiagnosisKind::Ok,
            format!(
                "The socket opened and wsmon closed it normally (1000) after {}{}.",
                c.dur,
                c.why()
            ),
            Vec::new(),
        ),
        (_, Closer::Client, _) => c.by_client(),
        (_, Closer::Server, _) => c.by_server(facts.close_codes),
    }
}

/// One closed socket, its facts already made safe to quote.
struct Closed<'a> {
    close: &'a CloseInfo,
    dur: String,
    label: String,
    /// `, reason "…"` or nothing.
    reason: String,
    /// ` (wsmon's note)` or nothing.
    note: String,
}

impl Closed<'_> {
    /// Why wsmon closed, when it was the user or a shutdown.
    fn why(&self) -> &'static str {
        match self.close.cause {
            Some(LocalCause::UserRequest) => " because you asked (reconnect or pause)",
            Some(LocalCause::NewToken) => " to reconnect with the token its login just renewed",
            Some(LocalCause::Shutdown) => " on a profile switch or quit",
            _ => "",
        }
    }

    /// The server's close reason says it refused the Origin.
    fn origin_refused(&self, facts: &Facts<'_>) -> Diagnosis {
        let fix = match facts.sent.and_then(|s| s.origin.as_deref()) {
            Some(o) => format!(
                "The server's allowed origins do not contain the Origin wsmon sent (\"{}\"): send the web app's own origin, or allow this one on the server.",
                excerpt(o)
            ),
            None => "wsmon sent no Origin header (browsers always do): add the web app's origin to the endpoint's headers.".to_string(),
        };
        diag(
            DiagnosisKind::OriginRefused,
            format!(
                "The server accepted the socket, then closed it with {} after {}{}: it refuses this client's Origin.",
                self.label, self.dur, self.reason
            ),
            vec![fix],
        )
    }

    fn heartbeat(&self) -> Diagnosis {
        diag(
            DiagnosisKind::HeartbeatTimeout,
            format!("No pong came back after {} open{}: the connection was half-open, so wsmon closed it.", self.dur, self.note),
            vec![
                "A proxy, load balancer or NAT dropped the idle connection without telling either side: ping more often than its idle timeout (lower ping_interval) or raise that timeout (nginx: proxy_read_timeout).".into(),
                "The server's event loop may be blocked (a synchronous call in an async consumer), so it cannot answer pings: check its CPU and logs.".into(),
                "The network changed under the connection (Wi-Fi, VPN, sleep).".into(),
            ],
        )
    }

    fn too_big(&self) -> Diagnosis {
        if self.close.by == Closer::Server {
            return diag(
                DiagnosisKind::MessageTooBig,
                format!(
                    "The server closed the connection with {} after {}{}: a message it received was over its limit.",
                    self.label, self.dur, self.reason
                ),
                vec![
                    "Send smaller messages; Daphne accepts 1 MiB per message by default.".into(),
                    "Raise the server's limit if such messages are intended.".into(),
                ],
            );
        }
        diag(
            DiagnosisKind::MessageTooBig,
            format!("The server sent a message larger than wsmon accepts, so wsmon closed the connection with 1009 after {}{}.", self.dur, self.note),
            vec![
                "Have the server send smaller messages: paginate, chunk, or send a link to fetch the data over HTTP.".into(),
                "If messages this large are intended, every client's size limit must allow them (browsers and mobile clients too).".into(),
            ],
        )
    }

    fn protocol(&self) -> Diagnosis {
        let close = self.close;
        let (summary, fixes) = if close.by == Closer::Server
            && close.code == 1002
            && close.reason.eq_ignore_ascii_case("Protocol violation")
        {
            (
                format!("The server's close arrived as 1002 \"Protocol violation\" after {}: tungstenite rewrites a received 1004, 1014 or 1016-2999 (or any code not allowed on the wire) to 1002, so the server most likely sent one of those.", self.dur),
                vec![
                    "Find the server's close(code=...) call: application codes belong in 4000-4999 (1014 is valid, but tungstenite clients reject it).".to_string(),
                    "A browser shows the server's real code: compare there.".to_string(),
                ],
            )
        } else if close.cause == Some(LocalCause::InvalidUtf8) || close.code == 1007 {
            let who = if close.by == Closer::Server {
                "wsmon sent"
            } else {
                "the server sent"
            };
            (
                format!(
                    "A text message {who} was not valid UTF-8, so the connection was closed with 1007 after {}{}{}.",
                    self.dur, self.reason, self.note
                ),
                codes::close_code(1007).fixes,
            )
        } else if close.by == Closer::Server {
            (
                format!("The server closed the connection with 1002 Protocol Error after {}{}: it says the frames it received broke the protocol.", self.dur, self.reason),
                vec!["A proxy in between may alter frames: connect to the server directly to compare.".to_string()],
            )
        } else {
            (
                format!("The server broke the WebSocket framing rules{}, so wsmon closed the connection with 1002 after {}.", self.note, self.dur),
                vec![
                    "A proxy that rewrites the byte stream, or a server-side WebSocket implementation bug: connect to the server directly to compare.".to_string(),
                    "Check the server's WebSocket library version.".to_string(),
                ],
            )
        };
        diag(DiagnosisKind::ProtocolError, summary, fixes)
    }

    fn abnormal(&self, open_for: Duration) -> Diagnosis {
        let mut fixes = vec![
            "The server process died or restarted (killed, crashed, out of memory, autoreloader): check its console at that moment.".to_string(),
            "A proxy or load balancer closed the connection (idle timeout, config reload).".to_string(),
            "The network dropped (Wi-Fi, VPN, sleep).".to_string(),
        ];
        // Idle timeouts of common proxies show up as suspiciously round lifetimes.
        let secs = open_for.as_secs();
        if (58..=62).contains(&secs) {
            fixes.insert(0, "It lasted about 60 s, nginx's default proxy_read_timeout: raise it for the WebSocket location, or ping more often.".into());
        } else if (98..=102).contains(&secs) {
            fixes.insert(0, "It lasted about 100 s, Cloudflare's idle timeout for WebSockets: send traffic (pings) more often.".into());
        }
        diag(
            DiagnosisKind::AbnormalClosure,
            format!(
                "The connection dropped after {} open without a close frame (1006, wasClean false){}.",
                self.dur, self.note
            ),
            fixes,
        )
    }

    fn by_client(&self) -> Diagnosis {
        let fixes = match self.close.cause {
            Some(LocalCause::UserRequest | LocalCause::Shutdown | LocalCause::NewToken) => {
                Vec::new()
            }
            _ => codes::close_code(self.close.code).fixes,
        };
        diag(
            DiagnosisKind::ClosedByClient,
            format!(
                "wsmon closed the connection with {} after {}{}{}.",
                self.label,
                self.dur,
                self.why(),
                self.note
            ),
            fixes,
        )
    }

    fn by_server(&self, names: &IndexMap<u16, String>) -> Diagnosis {
        let code = self.close.code;
        let info = codes::close_code(code);
        let fixes = if info.class == CodeClass::Application {
            let mut fixes = vec![format!(
                "Find the close(code={code}) call in the server's code; the reason and the condition around it say why."
            )];
            if !names.contains_key(&code) {
                fixes.push(format!("Name it in the profile's [close_codes] table ({code} = \"what it means\") so wsmon shows the name."));
            }
            fixes
        } else {
            info.fixes
        };
        let with = if code == 1005 {
            "a close frame without a status code (reported as 1005)".to_string()
        } else {
            self.label.clone()
        };
        diag(
            DiagnosisKind::ClosedByServer,
            format!(
                "The server closed the connection with {with} after {}{}.",
                self.dur, self.reason
            ),
            fixes,
        )
    }
}
