//! Application protocols above WebSocket, as pure state machines over
//! frames and time (no I/O, no tokio): Socket.IO / Engine.IO, GraphQL
//! (graphql-transport-ws and the legacy graphql-ws), Action Cable, STOMP,
//! and a raw endpoint's `[[endpoints.on_open]]` steps.
//!
//! The socket loop ([`super::open`]) drives a [`Codec`]:
//! - [`Codec::on_open`] → frames to send right after the 101;
//! - [`Codec::on_text`] → replies, facts ([`Fact`]: ready, keepalive,
//!   refusal, detection) and whether the frame is an application message;
//! - [`Codec::on_tick`] at [`Codec::deadline`] → frames (application
//!   heartbeats) or a refusal (an expectation not met in time).
//!
//! [`Codec::Raw`] is the default and does nothing: the socket loop checks
//! for it once per frame ([`Codec::is_raw`]) and takes the plain path, so
//! a raw endpoint pays nothing for this layer. A raw endpoint without
//! `on_open` starts as [`Codec::Sniff`], which looks at the URL, the
//! negotiated subprotocol and the first text frame for a known protocol
//! ([`detect`]), then turns into `Raw`.

pub(crate) mod actioncable;
pub(crate) mod decode;
pub(crate) mod detect;
pub(crate) mod graphql;
pub(crate) mod on_open;
pub(crate) mod socketio;
pub(crate) mod stomp;

use std::time::Instant;

use serde::Serialize;

use crate::config::{Endpoint, ProtocolKind};

/// What the session does after an in-band refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The credentials were refused: stop until the user acts (as a 401).
    StopAuth,
    /// The server said not to come back (`reconnect: false`, an unknown
    /// namespace): stop until the user acts.
    Stop,
    /// Close and reconnect with the usual backoff.
    Retry,
}

/// A refusal the server expressed inside the protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// The server's words, e.g. `Socket.IO connect_error: "not authorized"`.
    pub detail: String,
    pub rule: Rule,
}

/// What a frame (or a tick) told the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fact {
    /// The protocol handshake is complete: messages can flow.
    Ready(String),
    /// A protocol keepalive was received (and answered if it asks for it).
    Keepalive,
    /// An in-band refusal.
    Refused(Refusal),
    /// A raw endpoint turned out to speak a known protocol (evidence).
    Detected(ProtocolKind, String),
}

/// The codec's answer to an open, a frame or a tick.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Step {
    /// Text frames to send now, in order.
    pub send: Vec<String>,
    pub facts: Vec<Fact>,
    /// The frame is an application message (goes to the consumer).
    pub deliver: bool,
}

impl Step {
    fn deliver() -> Step {
        Step {
            deliver: true,
            ..Step::default()
        }
    }

    fn keepalive(reply: Option<String>) -> Step {
        Step {
            send: reply.into_iter().collect(),
            facts: vec![Fact::Keepalive],
            deliver: false,
        }
    }

    fn refused(detail: String, rule: Rule) -> Step {
        Step {
            facts: vec![Fact::Refused(Refusal { detail, rule })],
            ..Step::default()
        }
    }

    /// A frame the protocol uses for itself: not a message.
    fn control() -> Step {
        Step::default()
    }
}

/// One open connection's protocol state. Boxed variants keep it two words
/// in every session's task, whatever the protocol.
#[derive(Debug)]
pub(crate) enum Codec {
    /// Plain frames; nothing to do.
    Raw,
    /// Raw, still looking at the first frame for a known protocol.
    Sniff(Box<detect::Sniffer>),
    SocketIo(Box<socketio::SocketIo>),
    Graphql(Box<graphql::Graphql>),
    ActionCable(Box<actioncable::ActionCable>),
    Stomp(Box<stomp::Stomp>),
    OnOpen(Box<on_open::OnOpen>),
}

impl Codec {
    /// The codec for a connection to `endpoint` that just opened with
    /// `subprotocol` negotiated.
    pub(crate) fn new(endpoint: &Endpoint, subprotocol: Option<&str>) -> Codec {
        let p = &endpoint.protocol;
        match p.kind {
            ProtocolKind::Raw if !p.on_open.is_empty() => {
                Codec::OnOpen(Box::new(on_open::OnOpen::new(p.on_open.clone())))
            }
            ProtocolKind::Raw => {
                Codec::Sniff(Box::new(detect::Sniffer::new(endpoint, subprotocol)))
            }
            ProtocolKind::SocketIo => {
                let eio3 = endpoint
                    .url
                    .query_pairs()
                    .any(|(k, v)| k == "EIO" && v == "3");
                let options =
                    p.socketio
                        .clone()
                        .unwrap_or(crate::config::protocol::SocketIoOptions {
                            namespace: "/".into(),
                            auth: None,
                            emit: vec![],
                        });
                Codec::SocketIo(Box::new(socketio::SocketIo::new(options, eio3)))
            }
            ProtocolKind::GraphqlTransportWs | ProtocolKind::GraphqlWs => {
                let legacy = p.kind == ProtocolKind::GraphqlWs;
                let options = p.graphql.clone().unwrap_or_default();
                Codec::Graphql(Box::new(graphql::Graphql::new(options, legacy)))
            }
            ProtocolKind::ActionCable => {
                let channel = p
                    .actioncable
                    .as_ref()
                    .map_or_else(String::new, |a| a.channel.clone());
                Codec::ActionCable(Box::new(actioncable::ActionCable::new(channel)))
            }
            ProtocolKind::Stomp => Codec::Stomp(Box::new(stomp::Stomp::new(
                p.stomp.clone().unwrap_or_default(),
            ))),
        }
    }

    /// Plain frames, nothing to look at: the socket loop's fast path.
    #[inline]
    pub(crate) fn is_raw(&self) -> bool {
        matches!(self, Codec::Raw)
    }

    /// Frames to send right after the socket opened (and facts known then).
    pub(crate) fn on_open(&mut self, now: Instant) -> Step {
        match self {
            Codec::Raw => Step::default(),
            Codec::Sniff(s) => {
                let step = s.on_open();
                if s.done() {
                    *self = Codec::Raw;
                }
                step
            }
            Codec::SocketIo(c) => c.on_open(now),
            Codec::Graphql(c) => c.on_open(),
            Codec::ActionCable(_) => Step::default(),
            Codec::Stomp(c) => c.on_open(now),
            Codec::OnOpen(c) => c.on_open(now),
        }
    }

    /// One received text frame.
    pub(crate) fn on_text(&mut self, text: &str, now: Instant) -> Step {
        match self {
            Codec::Raw => Step::deliver(),
            Codec::Sniff(s) => {
                let step = s.on_text(text);
                if s.done() {
                    *self = Codec::Raw;
                }
                step
            }
            Codec::SocketIo(c) => c.on_text(text, now),
            Codec::Graphql(c) => c.on_text(text),
            Codec::ActionCable(c) => c.on_text(text),
            Codec::Stomp(c) => c.on_text(text, now),
            Codec::OnOpen(c) => c.on_text(text),
        }
    }

    /// When [`Codec::on_tick`] is next due, if ever.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self {
            Codec::SocketIo(c) => c.deadline(),
            Codec::Stomp(c) => c.deadline(),
            Codec::OnOpen(c) => c.deadline(),
            _ => None,
        }
    }

    /// The deadline passed.
    pub(crate) fn on_tick(&mut self, now: Instant) -> Step {
        match self {
            Codec::SocketIo(c) => c.on_tick(now),
            Codec::Stomp(c) => c.on_tick(now),
            Codec::OnOpen(c) => c.on_tick(now),
            _ => Step::default(),
        }
    }

    /// The server closed with `code`: a refusal in the protocol's terms,
    /// when the code is one of its own (graphql 4401/4403).
    pub(crate) fn on_close(&self, code: u16) -> Option<Refusal> {
        match self {
            Codec::Graphql(c) => c.on_close(code),
            _ => None,
        }
    }

    /// The frame to send for a user's `send`: a Socket.IO event, a STOMP
    /// SEND, the text itself otherwise.
    pub(crate) fn wrap_send(&self, text: &str) -> String {
        match self {
            Codec::SocketIo(c) => c.wrap_send(text),
            Codec::Stomp(c) => c.wrap_send(text),
            _ => text.to_string(),
        }
    }
}

/// A JSON string literal of `text`.
pub(crate) fn json_str(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// `text` shortened to `max` characters for a detail line.
pub(crate) fn short(text: &str, max: usize) -> String {
    let mut out: String = text.chars().take(max).collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out
}

/// Words in a server's refusal that mean its credentials were refused.
pub(crate) fn auth_words(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    [
        "auth",
        "token",
        "forbidden",
        "denied",
        "login",
        "credential",
        "permission",
        "refused",
        "expired",
        "jwt",
    ]
    .iter()
    .any(|w| t.contains(w))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_codec_is_two_words_in_every_session() {
        assert!(std::mem::size_of::<super::Codec>() <= 16);
    }
}
