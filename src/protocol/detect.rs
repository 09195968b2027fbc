//! Recognising a known protocol on an endpoint configured as raw: from the
//! URL (`/socket.io/`, `EIO=`, `/cable`), the negotiated subprotocol
//! (`graphql-transport-ws`, `graphql-ws`, `actioncable-v1-json`,
//! `v12.stomp`…) and the first text frame (an Engine.IO open packet with
//! its timers, Action Cable's `welcome`, graphql `connection_ack`, a STOMP
//! `CONNECTED`). Pure functions; [`Sniffer`] applies them to one
//! connection and then gets out of the way.

use super::{Fact, Step};
use crate::config::{Endpoint, ProtocolKind};

/// What the URL and the subprotocol say, with the evidence in words.
pub(crate) fn from_handshake(
    url: &url::Url,
    subprotocol: Option<&str>,
) -> Option<(ProtocolKind, Vec<String>)> {
    let mut kind = None;
    let mut evidence = Vec::new();
    let path = url.path();
    let eio = url
        .query_pairs()
        .find(|(k, _)| k == "EIO")
        .map(|(_, v)| v.into_owned());
    if path.contains("/socket.io") || eio.is_some() {
        kind = Some(ProtocolKind::SocketIo);
        let mut words = format!("the URL path {path}");
        if let Some(v) = &eio {
            words += &format!(" with EIO={v}");
        }
        evidence.push(words);
    } else if path.trim_end_matches('/').ends_with("/cable") {
        kind = Some(ProtocolKind::ActionCable);
        evidence.push(format!("the URL path {path} (Action Cable's mount point)"));
    }
    if let Some(sub) = subprotocol {
        let by_sub = match sub {
            "graphql-transport-ws" => Some(ProtocolKind::GraphqlTransportWs),
            "graphql-ws" => Some(ProtocolKind::GraphqlWs),
            s if s.starts_with("actioncable-") => Some(ProtocolKind::ActionCable),
            s if s.starts_with("v1") && s.ends_with(".stomp") => Some(ProtocolKind::Stomp),
            _ => None,
        };
        if let Some(k) = by_sub {
            kind = Some(k);
            evidence.push(format!("the negotiated subprotocol `{sub}`"));
        }
    }
    kind.map(|k| (k, evidence))
}

/// What a first text frame says.
pub(crate) fn from_frame(text: &str) -> Option<(ProtocolKind, String)> {
    if let Some(json) = text.strip_prefix('0')
        && let Ok(open) = serde_json::from_str::<serde_json::Value>(json)
        && open.get("sid").is_some()
    {
        let timers = match (open["pingInterval"].as_u64(), open["pingTimeout"].as_u64()) {
            (Some(i), Some(t)) => format!(
                " (pingInterval {i} ms, pingTimeout {t} ms: a client that does not answer the server's `2` with `3` is dropped {} ms after open)",
                i + t
            ),
            _ => String::new(),
        };
        return Some((
            ProtocolKind::SocketIo,
            format!("the first frame is an Engine.IO open packet `0{{\"sid\":…}}`{timers}"),
        ));
    }
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    match value["type"].as_str()? {
        "welcome" => Some((
            ProtocolKind::ActionCable,
            "the first frame is Action Cable's {\"type\":\"welcome\"}".into(),
        )),
        "connection_ack" => Some((
            ProtocolKind::GraphqlTransportWs,
            "the first frame is a GraphQL connection_ack".into(),
        )),
        _ => None,
    }
    .or_else(|| {
        text.starts_with("CONNECTED\n").then(|| {
            (
                ProtocolKind::Stomp,
                "the first frame is a STOMP CONNECTED".into(),
            )
        })
    })
}

/// The `[[endpoints]]` lines that make wsmon speak `kind`.
pub(crate) fn profile_lines(kind: ProtocolKind) -> &'static str {
    match kind {
        ProtocolKind::Raw => "",
        ProtocolKind::SocketIo => {
            "protocol = \"socketio\"\n[endpoints.socketio]\nauth = '{\"token\": \"{token}\"}'   # optional"
        }
        ProtocolKind::GraphqlTransportWs => {
            "protocol = \"graphql-transport-ws\"\n[endpoints.graphql]\nquery = \"subscription { … }\"\ninit_payload = '{\"token\": \"{token}\"}'   # optional"
        }
        ProtocolKind::GraphqlWs => {
            "protocol = \"graphql-ws\"\n[endpoints.graphql]\nquery = \"subscription { … }\""
        }
        ProtocolKind::ActionCable => {
            "protocol = \"actioncable\"\n[endpoints.actioncable]\nchannel = '{\"channel\": \"NotificationsChannel\"}'"
        }
        ProtocolKind::Stomp => {
            "protocol = \"stomp\"\n[endpoints.stomp]\ndestination = \"/topic/notifications\""
        }
    }
}

/// The words joining a protocol's name to its evidence in a close note
/// (the diagnosis reads the protocol back from it).
pub(crate) const DETECTED: &str = " detected: ";

/// A close note for a detection: `socketio detected: <evidence>`.
pub(crate) fn note(kind: ProtocolKind, evidence: &str) -> String {
    format!("{}{DETECTED}{evidence}", kind.as_str())
}

/// The protocol and evidence of a [`note`], if it is one.
pub(crate) fn parse_note(note: &str) -> Option<(ProtocolKind, &str)> {
    let (kind, evidence) = note.split_once(DETECTED)?;
    Some((ProtocolKind::parse(kind)?, evidence))
}

/// Watches one raw connection until its first text frame.
#[derive(Debug)]
pub(crate) struct Sniffer {
    handshake: Option<(ProtocolKind, Vec<String>)>,
    done: bool,
}

impl Sniffer {
    pub(crate) fn new(endpoint: &Endpoint, subprotocol: Option<&str>) -> Self {
        Sniffer {
            handshake: from_handshake(&endpoint.url, subprotocol),
            done: false,
        }
    }

    pub(crate) fn done(&self) -> bool {
        self.done
    }

    /// Subprotocol evidence is reported at once: those protocols' servers
    /// may send nothing until the client speaks (graphql). URL evidence
    /// waits for the first frame, which usually says more.
    pub(crate) fn on_open(&mut self) -> Step {
        match &self.handshake {
            Some((kind, evidence)) if evidence.iter().any(|e| e.contains("subprotocol")) => Step {
                facts: vec![Fact::Detected(*kind, evidence.join("; "))],
                ..Step::default()
            },
            _ => Step::default(),
        }
    }

    pub(crate) fn on_text(&mut self, text: &str) -> Step {
        self.done = true;
        // Action Cable refuses before its welcome: the first frame is then
        // `{"type":"disconnect","reason":"unauthorized","reconnect":false}`,
        // obeyed as Action Cable's own codec would (stop on unauthorized).
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(text)
            && v["type"] == "disconnect"
            && v.get("reconnect").is_some()
        {
            let mut step = super::actioncable::ActionCable::new(String::new()).on_text(text);
            step.facts.insert(
                0,
                Fact::Detected(
                    ProtocolKind::ActionCable,
                    "the first frame is Action Cable's {\"type\":\"disconnect\"}".into(),
                ),
            );
            step.deliver = true;
            return step;
        }
        let mut step = Step::deliver();
        match (from_frame(text), &self.handshake) {
            (Some((kind, frame)), handshake) => {
                let mut evidence = match handshake {
                    Some((k, e)) if *k == kind => e.clone(),
                    _ => Vec::new(),
                };
                evidence.push(frame);
                step.facts.push(Fact::Detected(kind, evidence.join("; ")));
            }
            // The URL alone (reported now unless on_open did).
            (None, Some((kind, evidence)))
                if !evidence.iter().any(|e| e.contains("subprotocol")) =>
            {
                step.facts.push(Fact::Detected(*kind, evidence.join("; ")));
            }
            (None, _) => {}
        }
        step
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Action Cable refusing before its welcome (an expired token, seen on
    /// Action Cable 6.1): a raw endpoint still stops as for a 401.
    #[test]
    fn an_action_cable_disconnect_first_is_detected_and_obeyed() {
        let url = url::Url::parse("ws://h/cable?token=x").unwrap();
        let mut sniffer = Sniffer {
            handshake: from_handshake(&url, None),
            done: false,
        };
        let step =
            sniffer.on_text(r#"{"type":"disconnect","reason":"unauthorized","reconnect":false}"#);
        assert!(matches!(
            step.facts.first(),
            Some(Fact::Detected(ProtocolKind::ActionCable, _))
        ));
        assert!(step.facts.iter().any(|f| matches!(
            f,
            Fact::Refused(r) if r.rule == super::super::Rule::StopAuth
        )));
        assert!(sniffer.done());
    }

    #[test]
    fn urls_subprotocols_and_first_frames() {
        let url = url::Url::parse("ws://h/socket.io/?EIO=4&transport=websocket").unwrap();
        let (k, e) = from_handshake(&url, None).unwrap();
        assert_eq!(k, ProtocolKind::SocketIo);
        assert!(e[0].contains("EIO=4"));
        let url = url::Url::parse("ws://h/cable?token=x").unwrap();
        assert_eq!(
            from_handshake(&url, None).unwrap().0,
            ProtocolKind::ActionCable
        );
        let url = url::Url::parse("ws://h/graphql").unwrap();
        assert_eq!(
            from_handshake(&url, Some("graphql-transport-ws"))
                .unwrap()
                .0,
            ProtocolKind::GraphqlTransportWs
        );
        assert_eq!(from_handshake(&url, None), None);
        let open = r#"0{"sid":"a","upgrades":[],"pingInterval":3000,"pingTimeout":2000}"#;
        let (k, e) = from_frame(open).unwrap();
        assert_eq!(k, ProtocolKind::SocketIo);
        assert!(e.contains("5000 ms"));
        assert_eq!(
            from_frame(r#"{"type":"welcome"}"#).unwrap().0,
            ProtocolKind::ActionCable
        );
        assert_eq!(from_frame(r#"{"type":"hello"}"#), None);
        assert_eq!(from_frame("0"), None);
    }

    #[test]
    fn notes_round_trip() {
        let n = note(ProtocolKind::ActionCable, "x; y");
        assert_eq!(parse_note(&n), Some((ProtocolKind::ActionCable, "x; y")));
        assert_eq!(parse_note("no pong within 10s"), None);
    }
}
