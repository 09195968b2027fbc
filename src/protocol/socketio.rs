//! Socket.IO (protocol v5) over Engine.IO v4, and Engine.IO v3 when the
//! URL asks for `EIO=3`.
//!
//! Engine.IO packets are one text frame each, a type digit first: `0` open
//! (`{"sid","pingInterval","pingTimeout",…}`), `1` close, `2` ping, `3`
//! pong, `4` message, `6` noop. In v4 the *server* pings and drops a client
//! that has not answered `3` within pingTimeout; in v3 the *client* pings
//! every pingInterval and the server answers `3`. A Socket.IO packet is an
//! Engine.IO message: `4` + its type (`0` CONNECT, `1` DISCONNECT, `2`
//! EVENT, `3` ACK, `4` CONNECT_ERROR, `5`/`6` binary), then `/ns,` unless
//! the namespace is `/`, an optional ack id, and JSON. Nothing is
//! delivered until the client sends CONNECT (`40`, with the auth object).
//! Source: socket.io-protocol v5 and engine.io-protocol v4 specs; seen on
//! socket.io 4.8 and python-socketio 5.

use std::time::{Duration, Instant};

use super::{Fact, Rule, Step, auth_words, json_str, short};
use crate::config::protocol::SocketIoOptions;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for the Engine.IO open packet.
    Opening,
    /// CONNECT sent, waiting for its answer.
    Connecting,
    Ready,
    /// Refused or disconnected: nothing more is expected.
    Done,
}

/// One connection's Socket.IO state.
#[derive(Debug)]
pub(crate) struct SocketIo {
    options: SocketIoOptions,
    /// Engine.IO v3: the client pings.
    eio3: bool,
    state: State,
    /// v3 only: when the next client ping is due.
    next_ping: Option<Instant>,
    ping_interval: Duration,
}

/// A Socket.IO packet inside an Engine.IO message (`4…`).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Packet<'a> {
    /// `0` CONNECT … `6` BINARY_ACK.
    pub kind: u8,
    pub namespace: &'a str,
    /// The JSON part (may be empty).
    pub json: &'a str,
}

/// Parses the Socket.IO packet of an Engine.IO message frame (`4…`).
pub(crate) fn packet(text: &str) -> Option<Packet<'_>> {
    let rest = text.strip_prefix('4')?;
    let kind = rest.bytes().next().filter(u8::is_ascii_digit)? - b'0';
    let mut rest = &rest[1..];
    // Binary packets carry an attachment count and `-` first.
    if matches!(kind, 5 | 6)
        && let Some(dash) = rest.find('-')
    {
        rest = &rest[dash + 1..];
    }
    let mut namespace = "/";
    if rest.starts_with('/') {
        let end = rest.find(',').unwrap_or(rest.len());
        namespace = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or("");
    }
    let json = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    Some(Packet {
        kind,
        namespace,
        json,
    })
}

impl SocketIo {
    pub(crate) fn new(options: SocketIoOptions, eio3: bool) -> Self {
        SocketIo {
            options,
            eio3,
            state: State::Opening,
            next_ping: None,
            ping_interval: Duration::from_secs(25),
        }
    }

    pub(crate) fn on_open(&mut self, _now: Instant) -> Step {
        Step::control()
    }

    /// `/ns,` for a namespace other than `/`.
    fn ns_prefix(&self) -> String {
        match self.options.namespace.as_str() {
            "/" | "" => String::new(),
            ns => format!("{ns},"),
        }
    }

    fn connect_frame(&self) -> String {
        let auth = self.options.auth.as_deref().unwrap_or("");
        format!("40{}{}", self.ns_prefix(), auth)
    }

    pub(crate) fn on_text(&mut self, text: &str, now: Instant) -> Step {
        match text.as_bytes().first() {
            Some(b'0') => self.on_engine_open(&text[1..], now),
            // Server ping (v4): answer at once, or the server drops us
            // pingInterval + pingTimeout after its open packet.
            Some(b'2') => Step::keepalive(Some(format!("3{}", &text[1..]))),
            // Pong to our ping (v3).
            Some(b'3') => Step::keepalive(None),
            Some(b'6') => Step::control(),
            Some(b'1') => {
                self.state = State::Done;
                Step::control()
            }
            Some(b'4') => self.on_message(text),
            _ => Step::deliver(),
        }
    }

    fn on_engine_open(&mut self, json: &str, now: Instant) -> Step {
        let open: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
        if let Some(ms) = open["pingInterval"].as_u64() {
            self.ping_interval = Duration::from_millis(ms.max(100));
        }
        if self.eio3 {
            self.next_ping = Some(now + self.ping_interval);
        }
        self.state = State::Connecting;
        // Socket.IO v2 (Engine.IO v3) servers connect the default namespace
        // themselves and send `40`; a client `40` then is an invalid state
        // and the server closes (seen on socket.io 4.8 with allowEIO3).
        // Other namespaces are asked for without a payload: v2 takes auth
        // in the query string.
        let send = match (self.eio3, self.ns_prefix().is_empty()) {
            (true, true) => Vec::new(),
            (true, false) => vec![format!("40{}", self.ns_prefix())],
            (false, _) => vec![self.connect_frame()],
        };
        Step {
            send,
            ..Step::default()
        }
    }

    fn on_message(&mut self, text: &str) -> Step {
        let Some(p) = packet(text) else {
            return Step::deliver();
        };
        if p.namespace != self.options.namespace && p.kind != 4 {
            // Another namespace's traffic on this connection: still data.
            return Step::deliver();
        }
        match p.kind {
            0 => {
                self.state = State::Ready;
                let value: serde_json::Value = serde_json::from_str(p.json).unwrap_or_default();
                let sid = value["sid"]
                    .as_str()
                    .map(|s| format!(", sid {}", short(s, 24)))
                    .unwrap_or_default();
                let version = if p.json.is_empty() {
                    // Socket.IO v2 (Engine.IO v3) acknowledges with a bare
                    // `40`; v3/v4 servers add the sid.
                    " (a Socket.IO v2-style answer without sid)"
                } else {
                    ""
                };
                let prefix = self.ns_prefix();
                let send = self
                    .options
                    .emit
                    .iter()
                    .map(|e| format!("42{prefix}{e}"))
                    .collect();
                Step {
                    send,
                    facts: vec![Fact::Ready(format!(
                        "namespace {} connected{sid}{version}",
                        self.options.namespace
                    ))],
                    deliver: false,
                }
            }
            1 => {
                self.state = State::Done;
                Step::refused(
                    format!(
                        "Socket.IO: the server disconnected namespace {} (packet 41)",
                        self.options.namespace
                    ),
                    // socket.io-client does not reconnect after a server-side
                    // disconnect either.
                    Rule::Stop,
                )
            }
            4 => {
                self.state = State::Done;
                let value: serde_json::Value = serde_json::from_str(p.json).unwrap_or_default();
                let message = value["message"]
                    .as_str()
                    .or_else(|| value.as_str())
                    .unwrap_or(p.json);
                let data = match &value["data"] {
                    serde_json::Value::Null => String::new(),
                    d => format!(", data {}", short(&d.to_string(), 200)),
                };
                let rule = if auth_words(message) || auth_words(&data) {
                    Rule::StopAuth
                } else {
                    Rule::Stop
                };
                Step::refused(
                    format!(
                        "Socket.IO connect_error on namespace {}: {}{data}",
                        p.namespace,
                        json_str(&short(message, 200))
                    ),
                    rule,
                )
            }
            _ => Step::deliver(),
        }
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.next_ping
    }

    /// v3: the client's ping is due.
    pub(crate) fn on_tick(&mut self, now: Instant) -> Step {
        if self.state == State::Done {
            self.next_ping = None;
            return Step::control();
        }
        self.next_ping = Some(now + self.ping_interval);
        Step {
            send: vec!["2".into()],
            ..Step::default()
        }
    }

    /// A `send`: a JSON array is the event as written (`["name", args…]`);
    /// other text is emitted as a `message` event.
    pub(crate) fn wrap_send(&self, text: &str) -> String {
        let trimmed = text.trim();
        let is_array = trimmed.starts_with('[')
            && serde_json::from_str::<serde_json::Value>(trimmed).is_ok_and(|v| v.is_array());
        let body = if is_array {
            trimmed.to_string()
        } else {
            format!("[\"message\",{}]", json_str(text))
        };
        format!("42{}{body}", self.ns_prefix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec(ns: &str, auth: Option<&str>) -> SocketIo {
        SocketIo::new(
            SocketIoOptions {
                namespace: ns.into(),
                auth: auth.map(str::to_string),
                emit: vec![r#"["subscribe","alerts"]"#.into()],
            },
            false,
        )
    }

    const OPEN: &str = r#"0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;

    #[test]
    fn open_connects_the_namespace_with_auth_then_emits() {
        let now = Instant::now();
        let mut c = codec("/", Some(r#"{"token":"t"}"#));
        assert_eq!(c.on_open(now), Step::default());
        let step = c.on_text(OPEN, now);
        assert_eq!(step.send, vec![r#"40{"token":"t"}"#.to_string()]);
        assert!(!step.deliver);
        let step = c.on_text(r#"40{"sid":"xyz"}"#, now);
        assert_eq!(step.send, vec![r#"42["subscribe","alerts"]"#.to_string()]);
        assert!(matches!(&step.facts[..], [Fact::Ready(d)] if d.contains("sid xyz")));
        let step = c.on_text(r#"42["notification",{"text":"hi"}]"#, now);
        assert!(step.deliver && step.facts.is_empty());
    }

    #[test]
    fn pings_are_answered_and_counted_not_delivered() {
        let now = Instant::now();
        let mut c = codec("/", None);
        c.on_text(OPEN, now);
        let step = c.on_text("2", now);
        assert_eq!(step.send, vec!["3".to_string()]);
        assert_eq!(step.facts, vec![Fact::Keepalive]);
        assert!(!step.deliver);
        assert_eq!(c.deadline(), None, "v4: the server pings, not us");
    }

    #[test]
    fn a_namespace_prefixes_every_packet() {
        let now = Instant::now();
        let mut c = codec("/admin", None);
        assert_eq!(c.on_text(OPEN, now).send, vec!["40/admin,".to_string()]);
        let step = c.on_text(r#"40/admin,{"sid":"s"}"#, now);
        assert_eq!(
            step.send,
            vec![r#"42/admin,["subscribe","alerts"]"#.to_string()]
        );
        assert_eq!(c.wrap_send("hi"), r#"42/admin,["message","hi"]"#);
        assert_eq!(c.wrap_send(r#"["ev", 1]"#), r#"42/admin,["ev", 1]"#);
    }

    #[test]
    fn connect_error_is_a_refusal_and_auth_words_stop_as_auth() {
        let now = Instant::now();
        let mut c = codec("/", None);
        c.on_text(OPEN, now);
        let step = c.on_text(r#"44{"message":"not authorized"}"#, now);
        let [Fact::Refused(r)] = &step.facts[..] else {
            panic!("{step:?}")
        };
        assert_eq!(r.rule, Rule::StopAuth);
        assert!(r.detail.contains("connect_error") && r.detail.contains("not authorized"));
        let mut c = codec("/nope", None);
        c.on_text(OPEN, now);
        let step = c.on_text(r#"44/nope,{"message":"Invalid namespace"}"#, now);
        assert!(matches!(&step.facts[..], [Fact::Refused(r)] if r.rule == Rule::Stop));
    }

    #[test]
    fn engine_io_v3_pings_from_the_client() {
        let now = Instant::now();
        let mut c = SocketIo::new(codec("/", None).options, true);
        c.on_text(OPEN, now);
        assert_eq!(c.deadline(), Some(now + Duration::from_secs(25)));
        let later = now + Duration::from_secs(25);
        assert_eq!(c.on_tick(later).send, vec!["2".to_string()]);
        assert_eq!(c.on_text("3", later).facts, vec![Fact::Keepalive]);
    }

    /// Socket.IO v2 (Engine.IO v3) connects "/" itself: the client sends no
    /// `40` (socket.io 4.8 with allowEIO3 closes on one); another
    /// namespace is asked for without a payload.
    #[test]
    fn engine_io_v3_waits_for_the_servers_own_namespace_connect() {
        let now = Instant::now();
        let mut c = SocketIo::new(codec("/", Some(r#"{"token":"t"}"#)).options, true);
        assert!(c.on_text(OPEN, now).send.is_empty());
        let step = c.on_text("40", now);
        assert!(
            matches!(step.facts.as_slice(), [Fact::Ready(_)]),
            "{step:?}"
        );
        let mut c = SocketIo::new(codec("/chat", Some(r#"{"token":"t"}"#)).options, true);
        assert_eq!(c.on_text(OPEN, now).send, vec!["40/chat,".to_string()]);
    }

    #[test]
    fn packets_parse_with_namespace_ack_and_binary_counts() {
        assert_eq!(
            packet(r#"42/a,12["x"]"#),
            Some(Packet {
                kind: 2,
                namespace: "/a",
                json: r#"["x"]"#
            })
        );
        assert_eq!(
            packet(r#"451-["x",{"_placeholder":true,"num":0}]"#).map(|p| p.kind),
            Some(5)
        );
        assert_eq!(packet("x"), None);
    }
}
