//! Diagnoses in the terms of the application protocol above WebSocket:
//! in-band refusals (Socket.IO connect_error, graphql errors and 44xx
//! closes, Action Cable reject/disconnect, STOMP ERROR, unmet on_open
//! expectations), a protocol handshake that never completed, Engine.IO's
//! own handshake refusals, and a raw endpoint that turns out to speak a
//! known protocol (with the profile lines to add). Pure: facts in,
//! [`Diagnosis`] out.

use super::{Diagnosis, DiagnosisKind};
use crate::config::{Endpoint, ProtocolKind};
use crate::facts::{AttemptRecord, LocalCause, Outcome};
use crate::protocol::{Rule, detect, graphql};

/// The start of the close note of a `check` that gave up waiting for the
/// protocol to be ready.
pub(crate) const NOT_READY: &str = "not ready: ";

/// Server words made safe to show (the codecs already shortened them):
/// control, bidi and zero-width characters become visible.
fn safe(text: &str) -> String {
    crate::text_safe::visible(text).into_owned()
}

/// The diagnosis of a `protocol_error` line: the server's words and what
/// wsmon does next.
pub(crate) fn refusal(kind: ProtocolKind, detail: &str, rule: Rule) -> Diagnosis {
    let detail = safe(detail);
    let (diagnosis_kind, next) = match rule {
        Rule::StopAuth => (
            DiagnosisKind::AuthRejected,
            "wsmon stopped retrying: the server refused the credentials",
        ),
        Rule::Stop => (
            DiagnosisKind::ProtocolError,
            "wsmon stopped retrying: the server said not to come back",
        ),
        Rule::Retry => (
            DiagnosisKind::ProtocolError,
            "wsmon reconnects with backoff",
        ),
    };
    let mut fixes = Vec::new();
    match (kind, rule) {
        (_, Rule::StopAuth) => {
            fixes.push(auth_fix(kind).to_string());
            fixes.push("Press r (or restart) once the token is fixed.".into());
        }
        (ProtocolKind::SocketIo, _) => fixes.push(
            "Check [endpoints.socketio] namespace: the server must have it (io.of(\"/name\")).".into(),
        ),
        (ProtocolKind::GraphqlTransportWs | ProtocolKind::GraphqlWs, _) => fixes.push(
            "Check [endpoints.graphql] query and variables against the server's schema.".into(),
        ),
        (ProtocolKind::ActionCable, _) => fixes
            .push("Check [endpoints.actioncable] channel: the identifier must name a channel class the server has.".into()),
        (ProtocolKind::Raw, _) => fixes.push(
            "Check the [[endpoints.on_open]] steps: what the server expects first, and the reply it really sends (wsmon tail shows it).".into(),
        ),
        (ProtocolKind::Stomp, _) => fixes.push(
            "Check [endpoints.stomp] destination, login/passcode and vhost.".into(),
        ),
    }
    Diagnosis {
        evidence: Vec::new(),
        answered_by: None,
        pattern: None,
        server_log: Vec::new(),
        kind: diagnosis_kind,
        summary: match rule {
            Rule::Retry => format!(
                "{} ended the session in-band: {detail}. {next}.",
                kind.title()
            ),
            _ => format!("{} refused in-band: {detail}. {next}.", kind.title()),
        },
        fixes,
    }
}

fn auth_fix(kind: ProtocolKind) -> &'static str {
    match kind {
        ProtocolKind::SocketIo => {
            "Check the token sent in [endpoints.socketio] auth (the CONNECT payload the server's middleware reads)."
        }
        ProtocolKind::GraphqlTransportWs | ProtocolKind::GraphqlWs => {
            "Check [endpoints.graphql] init_payload: the server's onConnect reads the token from it."
        }
        ProtocolKind::ActionCable => {
            "Check the token the Connection's `connect` reads (usually ?token= or a cookie); renew it if it expired."
        }
        ProtocolKind::Stomp => "Check [endpoints.stomp] login and passcode (and vhost).",
        ProtocolKind::Raw => "Check the token the on_open frames send.",
    }
}

/// The diagnosis of a raw endpoint found to speak `kind`.
pub(crate) fn detected(kind: ProtocolKind, evidence: &str) -> Diagnosis {
    let what = match kind {
        ProtocolKind::SocketIo => {
            " A bare WebSocket client cannot hold it: Engine.IO drops a client that does not answer its `2` ping with `3` (WebSocket pings do not count), and no event arrives before a `40` namespace connect."
        }
        ProtocolKind::GraphqlTransportWs => {
            " The server closes with 4408 when no connection_init arrives in time, and sends nothing without a subscribe."
        }
        ProtocolKind::GraphqlWs => " Nothing arrives without connection_init and start.",
        ProtocolKind::ActionCable => {
            " Action Cable sends only welcome and pings until a channel is subscribed."
        }
        ProtocolKind::Stomp => " Nothing arrives without CONNECT and SUBSCRIBE frames.",
        ProtocolKind::Raw => "",
    };
    Diagnosis {
        evidence: Vec::new(),
        answered_by: None,
        pattern: None,
        server_log: Vec::new(),
        kind: DiagnosisKind::ProtocolError,
        summary: format!(
            "This is {} {} endpoint, not a plain WebSocket feed ({}).{what}",
            if kind.title().starts_with(['A', 'E', 'I', 'O', 'U']) {
                "an"
            } else {
                "a"
            },
            kind.title(),
            safe(evidence)
        ),
        fixes: vec![format!(
            "Let wsmon speak it: add to the endpoint\n{}",
            detect::profile_lines(kind)
        )],
    }
}

/// The diagnosis of one attempt in its protocol's terms, when it has one;
/// `None` leaves it to the general classifier.
pub(crate) fn diagnose(endpoint: &Endpoint, record: &AttemptRecord) -> Option<Diagnosis> {
    let kind = endpoint.protocol.kind;
    match &record.outcome {
        Outcome::Failed(failure) => {
            // tungstenite refuses a 101 without the subprotocol offered.
            if failure.message.contains("Server sent no subprotocol")
                && endpoint.subprotocols.iter().any(|s| s == "graphql-ws")
            {
                return Some(Diagnosis {
                    evidence: Vec::new(),
                    answered_by: None,
                    pattern: None,
                    server_log: Vec::new(),
                    kind: DiagnosisKind::HandshakeFailed,
                    summary: "You offered `graphql-ws` (the legacy subscriptions-transport-ws protocol) and the server answered 101 without a subprotocol: it does not speak it.".into(),
                    fixes: vec![format!(
                        "A graphql-ws library server speaks graphql-transport-ws: offer that, or let wsmon speak it:\n{}",
                        detect::profile_lines(ProtocolKind::GraphqlTransportWs)
                    )],
                });
            }
            let sniffed = detect::from_handshake(&endpoint.url, None).map(|d| d.0);
            let socketio =
                kind == ProtocolKind::SocketIo || sniffed == Some(ProtocolKind::SocketIo);
            // Engine.IO's 400 written behind its own 101, read in the same
            // read as the 101 (see the `Closed` arm for the other timing).
            if socketio && failure.message == crate::facts::NOT_A_FRAME {
                return engine_io_behind_101(failure.raw_answer.as_deref()?, endpoint);
            }
            let http = failure.http.as_ref()?;
            // Action Cable's 404 to a foreign Origin is the general
            // classifier's (diagnose::evidence knows Rails' answer).
            if socketio && http.status == 400 {
                return engine_io_refusal(&http.body_excerpt, endpoint);
            }
            None
        }
        Outcome::Closed { close, open_for } => {
            let note = close.note.as_deref().unwrap_or("");
            match close.cause {
                Some(LocalCause::ProtocolAuthRefused) => {
                    return Some(refusal(kind, note, Rule::StopAuth));
                }
                Some(LocalCause::ProtocolRefused) => {
                    return Some(refusal(kind, note, Rule::Stop));
                }
                Some(LocalCause::ProtocolRetry) => {
                    return Some(refusal(kind, note, Rule::Retry));
                }
                _ => {}
            }
            // Seen on socket.io 4.8 (engine.io 6) without allowEIO3: the
            // upgrade to EIO=3 is answered 101, then "HTTP/1.1 400 Bad
            // Request … Unsupported protocol version" is written into the
            // socket. When that arrives after the upgrade finished reading,
            // the WebSocket layer reads it as a framing error (this arm);
            // when it arrives with the 101 (a loaded client reads later),
            // the handshake sees it (`Failed` above). Same answer both ways.
            let sniffed = detect::from_handshake(&endpoint.url, None).map(|d| d.0);
            if (kind == ProtocolKind::SocketIo || sniffed == Some(ProtocolKind::SocketIo))
                && asks_eio3(endpoint)
                && close.cause == Some(LocalCause::ProtocolViolation)
            {
                return Some(eio3_on_v4(&format!(
                    "read as a framing error {} after open",
                    crate::units::format_duration(*open_for, crate::units::DurationStyle::Compact)
                )));
            }
            if let Some(words) = note.strip_prefix(NOT_READY) {
                return Some(Diagnosis {
                    evidence: Vec::new(),
                    answered_by: None,
                    pattern: None,
                    server_log: Vec::new(),
                    kind: DiagnosisKind::ProtocolError,
                    summary: format!(
                        "Opened (101), but the {} handshake did not complete: {}.",
                        kind.title(),
                        safe(words)
                    ),
                    fixes: vec![not_ready_fix(kind).into()],
                });
            }
            // graphql-ws' own close reasons name the protocol even when
            // nothing else does (no subprotocol offered, or the legacy one).
            let graphql_reason = matches!(
                (close.code, close.reason.as_str()),
                (4406, "Subprotocol not acceptable") | (4408, "Connection initialisation timeout")
            );
            let graphql_ws = kind == ProtocolKind::GraphqlTransportWs
                || endpoint
                    .subprotocols
                    .iter()
                    .any(|s| s == "graphql-transport-ws")
                || graphql_reason;
            if graphql_ws && let Some(meaning) = graphql::close_meaning(close.code) {
                let diagnosis_kind = match close.code {
                    4401 | 4403 => DiagnosisKind::AuthRejected,
                    _ => DiagnosisKind::ProtocolError,
                };
                let mut fixes = Vec::new();
                match close.code {
                    4408 if kind == ProtocolKind::Raw => fixes.push(format!(
                        "Let wsmon send connection_init and a subscribe: add to the endpoint\n{}",
                        detect::profile_lines(ProtocolKind::GraphqlTransportWs)
                    )),
                    4406 => {
                        if endpoint.subprotocols.iter().any(|s| s == "graphql-ws") {
                            fixes.push("You offered `graphql-ws`, the legacy subscriptions-transport-ws protocol; this server speaks graphql-transport-ws.".into());
                        }
                        fixes.push(format!(
                            "Offer the subprotocol: subprotocols = [\"graphql-transport-ws\"], or let wsmon speak it:\n{}",
                            detect::profile_lines(ProtocolKind::GraphqlTransportWs)
                        ));
                    }
                    4403 | 4401 => fixes.push(auth_fix(ProtocolKind::GraphqlTransportWs).into()),
                    _ => {}
                }
                return Some(Diagnosis {
                    evidence: Vec::new(),
                    answered_by: None,
                    pattern: None,
                    server_log: Vec::new(),
                    kind: diagnosis_kind,
                    summary: format!(
                        "graphql-transport-ws close {}: {meaning} ({} after open).",
                        close.code,
                        crate::units::format_duration(
                            *open_for,
                            crate::units::DurationStyle::Compact
                        )
                    ),
                    fixes,
                });
            }
            if kind != ProtocolKind::Raw || !endpoint.protocol.on_open.is_empty() {
                return None;
            }
            // A raw endpoint: what the session saw, else what the URL and
            // the offered subprotocols say.
            let (found, evidence) = match detect::parse_note(note) {
                Some((k, e)) => (k, e.to_string()),
                None => {
                    let offered = (endpoint.subprotocols.len() == 1)
                        .then(|| endpoint.subprotocols[0].as_str());
                    let (k, e) = detect::from_handshake(&endpoint.url, offered)?;
                    (k, e.join("; "))
                }
            };
            let mut d = detected(found, &evidence);
            if close.cause != Some(LocalCause::CheckDone) {
                d.summary += &format!(
                    " The server closed it {} after open{}.",
                    crate::units::format_duration(*open_for, crate::units::DurationStyle::Compact),
                    if found == ProtocolKind::SocketIo {
                        ": the Engine.IO heartbeat (ping `2` unanswered with `3`) timed out"
                    } else {
                        ""
                    }
                );
            }
            Some(d)
        }
    }
}

fn not_ready_fix(kind: ProtocolKind) -> &'static str {
    match kind {
        ProtocolKind::SocketIo => {
            "Check the URL (/socket.io/?EIO=4&transport=websocket) and [endpoints.socketio] namespace; `wsmon tail` shows what the server sent."
        }
        ProtocolKind::GraphqlTransportWs | ProtocolKind::GraphqlWs => {
            "The server never sent connection_ack: check init_payload and that it speaks this GraphQL protocol."
        }
        ProtocolKind::ActionCable => {
            "No confirm_subscription came: check the channel identifier and the server's log."
        }
        ProtocolKind::Stomp => "No CONNECTED came: check login, passcode and vhost.",
        ProtocolKind::Raw => {
            "No reply matched the on_open expectation in time: check `expect` and `within`."
        }
    }
}

/// Whether the endpoint's URL asks for Engine.IO v3 (`EIO=3`).
fn asks_eio3(endpoint: &Endpoint) -> bool {
    endpoint
        .url
        .query_pairs()
        .any(|(k, v)| k == "EIO" && v == "3")
}

/// An EIO=3 upgrade to an Engine.IO v4 server (socket.io 4.8 without
/// allowEIO3): 101, then an HTTP 400 "Unsupported protocol version" on
/// the socket. `how` says how wsmon read the 400.
fn eio3_on_v4(how: &str) -> Diagnosis {
    Diagnosis {
        evidence: Vec::new(),
        answered_by: None,
        pattern: None,
        server_log: Vec::new(),
        kind: DiagnosisKind::HandshakeFailed,
        summary: format!(
            "The URL asks for Engine.IO v3 (EIO=3) and the server speaks v4 (Socket.IO 3.x/4.x): it answered 101, then wrote an HTTP 400 \"Unsupported protocol version\" into the socket ({how})."
        ),
        fixes: vec![
            "Use EIO=4 in the URL (wsmon speaks Engine.IO v4 and v3).".into(),
            "Or enable allowEIO3 on the server for old clients.".into(),
        ],
    }
}

/// An Engine.IO 400 written right behind the server's own 101: `raw` is
/// the recorded upgrade answer (the 101's head, then what followed).
fn engine_io_behind_101(raw: &str, endpoint: &Endpoint) -> Option<Diagnosis> {
    let (_, after) = raw.split_once("\r\n\r\n")?;
    let answer = crate::diagnose::evidence::raw::parse(after)?;
    if answer.status != Some(400) {
        return None;
    }
    if asks_eio3(endpoint) && answer.body.contains("Unsupported protocol version") {
        return Some(eio3_on_v4("read right behind the 101, before any frame"));
    }
    engine_io_refusal(&answer.body, endpoint)
}

/// Engine.IO's own 400 answers (engine.io `Server.errorMessages`).
fn engine_io_refusal(body: &str, endpoint: &Endpoint) -> Option<Diagnosis> {
    let eio = endpoint
        .url
        .query_pairs()
        .find(|(k, _)| k == "EIO")
        .map(|(_, v)| v.into_owned());
    let (summary, fix) = if body.contains("Unsupported protocol version") {
        let other = if eio.as_deref() == Some("3") {
            "4"
        } else {
            "3"
        };
        (
            format!(
                "Engine.IO refused the handshake: \"Unsupported protocol version\": the URL asks for EIO={} and the server speaks Engine.IO v{other} (Socket.IO {}).",
                eio.as_deref().unwrap_or("?"),
                if other == "4" { "v3/v4" } else { "v2" }
            ),
            format!("Use EIO={other} in the URL."),
        )
    } else if body.contains("Transport unknown") {
        (
            "Engine.IO refused the handshake: \"Transport unknown\": the URL lacks transport=websocket (or names another transport).".to_string(),
            "Use {ws}/socket.io/?EIO=4&transport=websocket.".to_string(),
        )
    } else if body.contains("Bad handshake method") {
        (
            "Engine.IO refused the handshake: \"Bad handshake method\".".to_string(),
            "Dial the websocket transport directly: transport=websocket in the URL.".to_string(),
        )
    } else if body.contains("Session ID unknown") {
        (
            "Engine.IO refused the handshake: \"Session ID unknown\": the URL carries a sid from an old session.".to_string(),
            "Drop sid= from the URL.".to_string(),
        )
    } else {
        return None;
    };
    Some(Diagnosis {
        evidence: Vec::new(),
        answered_by: None,
        pattern: None,
        server_log: Vec::new(),
        kind: DiagnosisKind::HandshakeFailed,
        summary,
        fixes: vec![fix],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_follow_their_rule() {
        let d = refusal(
            ProtocolKind::SocketIo,
            "Socket.IO connect_error: \"bad token\"",
            Rule::StopAuth,
        );
        assert_eq!(d.kind, DiagnosisKind::AuthRejected);
        assert!(d.summary.contains("Socket.IO") && d.summary.contains("stopped"));
        let d = refusal(ProtocolKind::ActionCable, "x", Rule::Retry);
        assert_eq!(d.kind, DiagnosisKind::ProtocolError);
    }

    /// A Socket.IO endpoint whose URL asks for Engine.IO v3.
    fn eio3_endpoint() -> Endpoint {
        let text = "[profiles.p]\nserver = \"http://127.0.0.1:3000\"\n[[profiles.p.endpoints]]\nname = \"e\"\nurl = \"{ws}/socket.io/?EIO=3&transport=websocket\"\nprotocol = \"socketio\"\n";
        let config =
            crate::config::validate::parse(std::path::Path::new("t.toml"), text).expect("valid");
        let mut active = config.profiles[0].activate().expect("activate");
        active.endpoints.remove(0)
    }

    fn record(outcome: Outcome) -> AttemptRecord {
        AttemptRecord {
            attempt: 1,
            started: std::time::SystemTime::UNIX_EPOCH,
            ended: std::time::SystemTime::UNIX_EPOCH,
            handshake_latency: None,
            activity: Default::default(),
            outcome,
        }
    }

    /// socket.io 4.8's answer to EIO=3, as recorded on 127.0.0.1.
    const EIO3_ANSWER: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: YHNPcEe9tnPjKzaMBykzcCndkUk=\r\n\r\nHTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-type: text/html\r\nContent-Length: 28\r\n\r\nUnsupported protocol version";

    /// The 400 read with the 101 (the handshake sees it) and read after
    /// it (the first frame read fails) is one diagnosis: which one a run
    /// gets depends only on when the client reads.
    #[test]
    fn eio3_on_a_v4_server_reads_the_same_whenever_the_400_arrives() {
        use crate::facts::{CloseInfo, Closer, ConnectFailure, FailureKind, Stage};
        let endpoint = eio3_endpoint();
        let with_101 = record(Outcome::Failed(ConnectFailure {
            stage: Stage::Handshake,
            kind: FailureKind::Protocol,
            message: crate::facts::NOT_A_FRAME.into(),
            http: None,
            raw_answer: Some(EIO3_ANSWER.into()),
        }));
        let after_101 = record(Outcome::Closed {
            close: CloseInfo {
                code: 1002,
                reason: String::new(),
                by: Closer::Client,
                clean: false,
                cause: Some(LocalCause::ProtocolViolation),
                note: None,
            },
            open_for: std::time::Duration::from_millis(5),
        });
        let a = diagnose(&endpoint, &with_101).expect("diagnosed in Engine.IO terms");
        let b = diagnose(&endpoint, &after_101).expect("diagnosed in Engine.IO terms");
        for d in [&a, &b] {
            assert_eq!(d.kind, DiagnosisKind::HandshakeFailed);
            assert!(
                d.summary
                    .starts_with("The URL asks for Engine.IO v3 (EIO=3) and the server speaks v4")
                    && d.summary.contains("\"Unsupported protocol version\""),
                "{}",
                d.summary
            );
            assert!(d.fixes[0].contains("EIO=4"), "{:?}", d.fixes);
        }
        assert_eq!(a.fixes, b.fixes);
        // Another Engine.IO 400 behind the 101 is still read as one.
        let unknown = EIO3_ANSWER.replace("Unsupported protocol version", "Transport unknown");
        let d = diagnose(
            &endpoint,
            &record(Outcome::Failed(ConnectFailure {
                stage: Stage::Handshake,
                kind: FailureKind::Protocol,
                message: crate::facts::NOT_A_FRAME.into(),
                http: None,
                raw_answer: Some(unknown.replace("Length: 28", "Length: 17")),
            })),
        )
        .expect("an Engine.IO refusal");
        assert!(d.summary.contains("Transport unknown"), "{}", d.summary);
        // Garbage that is not an HTTP answer stays the general classifier's.
        let garbage = EIO3_ANSWER.replace("HTTP/1.1 400", "<html>");
        assert!(
            diagnose(
                &endpoint,
                &record(Outcome::Failed(ConnectFailure {
                    stage: Stage::Handshake,
                    kind: FailureKind::Protocol,
                    message: crate::facts::NOT_A_FRAME.into(),
                    http: None,
                    raw_answer: Some(garbage),
                })),
            )
            .is_none()
        );
    }

    #[test]
    fn detection_names_the_lines_to_add() {
        let d = detected(ProtocolKind::SocketIo, "the URL path /socket.io/");
        assert!(d.summary.contains("Socket.IO") && d.summary.contains("`3`"));
        assert!(d.fixes[0].contains("protocol = \"socketio\""));
    }
}
