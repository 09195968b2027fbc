//! The application protocol an endpoint speaks over its WebSocket
//! (`protocol = "…"` and its `[endpoints.socketio]`, `[endpoints.graphql]`,
//! `[endpoints.actioncable]`, `[endpoints.stomp]` tables, and the raw
//! `[[endpoints.on_open]]` steps), as validated config.
//!
//! Templates keep `{token}` etc. until the profile is activated; the
//! activated [`ProtocolConfig`] holds the filled-in text (it may hold the
//! token: it is only ever shown through the profile's redactor).

use std::time::Duration;

/// `protocol = "…"` of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ProtocolKind {
    /// Bare WebSocket frames (the default): nothing is sent on open unless
    /// `[[endpoints.on_open]]` says so.
    #[default]
    Raw,
    /// Socket.IO v5 over Engine.IO v4 (socket.io 3.x/4.x servers).
    SocketIo,
    /// The graphql-transport-ws protocol of the `graphql-ws` library
    /// (subprotocol `graphql-transport-ws`).
    GraphqlTransportWs,
    /// The legacy subscriptions-transport-ws protocol (subprotocol
    /// `graphql-ws`, Apollo's old transport).
    GraphqlWs,
    /// Rails Action Cable (subprotocol `actioncable-v1-json`).
    ActionCable,
    /// STOMP 1.2 over WebSocket (subprotocol `v12.stomp`).
    Stomp,
}

impl ProtocolKind {
    /// Every kind, in the order the docs list them.
    pub const ALL: [ProtocolKind; 6] = [
        ProtocolKind::Raw,
        ProtocolKind::SocketIo,
        ProtocolKind::GraphqlTransportWs,
        ProtocolKind::GraphqlWs,
        ProtocolKind::ActionCable,
        ProtocolKind::Stomp,
    ];

    /// The value written in the profiles file (and in JSON output).
    pub fn as_str(self) -> &'static str {
        match self {
            ProtocolKind::Raw => "raw",
            ProtocolKind::SocketIo => "socketio",
            ProtocolKind::GraphqlTransportWs => "graphql-transport-ws",
            ProtocolKind::GraphqlWs => "graphql-ws",
            ProtocolKind::ActionCable => "actioncable",
            ProtocolKind::Stomp => "stomp",
        }
    }

    /// The name people know it by.
    pub fn title(self) -> &'static str {
        match self {
            ProtocolKind::Raw => "plain WebSocket",
            ProtocolKind::SocketIo => "Socket.IO",
            ProtocolKind::GraphqlTransportWs => "GraphQL over WebSocket (graphql-transport-ws)",
            ProtocolKind::GraphqlWs => "GraphQL subscriptions-transport-ws (graphql-ws)",
            ProtocolKind::ActionCable => "Action Cable",
            ProtocolKind::Stomp => "STOMP",
        }
    }

    /// Parses the file's value.
    pub fn parse(text: &str) -> Option<ProtocolKind> {
        ProtocolKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The `Sec-WebSocket-Protocol` the protocol's servers expect, offered
    /// automatically when the endpoint lists none.
    pub fn subprotocol(self) -> Option<&'static str> {
        match self {
            ProtocolKind::Raw | ProtocolKind::SocketIo => None,
            ProtocolKind::GraphqlTransportWs => Some("graphql-transport-ws"),
            ProtocolKind::GraphqlWs => Some("graphql-ws"),
            ProtocolKind::ActionCable => Some("actioncable-v1-json"),
            ProtocolKind::Stomp => Some("v12.stomp"),
        }
    }
}

/// `[endpoints.socketio]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketIoOptions {
    /// Namespace to connect (`/` by default).
    pub namespace: String,
    /// JSON object sent with the namespace CONNECT (`40/ns,{auth}`).
    pub auth: Option<String>,
    /// JSON arrays sent as EVENT packets (`42["name", …]`) after each
    /// namespace connect.
    pub emit: Vec<String>,
}

/// `[endpoints.graphql]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GraphqlOptions {
    /// The subscription document.
    pub query: String,
    /// JSON object of variables.
    pub variables: Option<String>,
    /// JSON object sent as `connection_init`'s payload.
    pub init_payload: Option<String>,
}

/// `[endpoints.actioncable]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionCableOptions {
    /// The channel identifier, a JSON object such as
    /// `{"channel": "NotificationsChannel"}`.
    pub channel: String,
}

/// `[endpoints.stomp]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StompOptions {
    pub destination: String,
    pub login: Option<String>,
    pub passcode: Option<String>,
    /// The `host` header of CONNECT (RabbitMQ's virtual host); "/" when
    /// absent.
    pub vhost: Option<String>,
    /// Heart-beat period offered both ways in CONNECT (10 s by default).
    pub heart_beat: Option<Duration>,
}

/// One `[[endpoints.on_open]]` step of a raw endpoint.
#[derive(Debug, Clone)]
pub struct OnOpenStep {
    /// Text frame sent after the previous step's expectation was met.
    pub send: String,
    /// Regex the next text frames are matched against (unanchored).
    pub expect: Option<regex::Regex>,
    /// How long to wait for `expect`.
    pub within: Duration,
}

impl PartialEq for OnOpenStep {
    fn eq(&self, other: &Self) -> bool {
        self.send == other.send
            && self.within == other.within
            && self.expect.as_ref().map(regex::Regex::as_str)
                == other.expect.as_ref().map(regex::Regex::as_str)
    }
}

impl Eq for OnOpenStep {}

/// Default `within` of an `on_open` step.
pub(crate) const ON_OPEN_WITHIN: Duration = Duration::from_secs(5);

/// The protocol part of an endpoint (templates in a [`super::Profile`],
/// filled in once activated).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProtocolConfig {
    pub kind: ProtocolKind,
    pub socketio: Option<SocketIoOptions>,
    pub graphql: Option<GraphqlOptions>,
    pub actioncable: Option<ActionCableOptions>,
    pub stomp: Option<StompOptions>,
    pub on_open: Vec<OnOpenStep>,
}

impl ProtocolConfig {
    /// Whether the endpoint has a handshake above WebSocket, so "ready"
    /// means something (`check` reports `ready: null` otherwise).
    pub fn has_ready(&self) -> bool {
        self.kind != ProtocolKind::Raw || !self.on_open.is_empty()
    }

    /// Every text of the config run through `f` (placeholder filling).
    pub fn map_texts(
        &self,
        mut f: impl FnMut(&str) -> Result<String, String>,
    ) -> Result<ProtocolConfig, String> {
        // `emit` events are templated like `auth` (`{token}` filled in).
        let emit = match &self.socketio {
            Some(s) => s.emit.iter().map(|e| f(e)).collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        let mut opt = |o: &Option<String>| o.as_deref().map(&mut f).transpose();
        let socketio = match &self.socketio {
            None => None,
            Some(s) => Some(SocketIoOptions {
                namespace: s.namespace.clone(),
                auth: opt(&s.auth)?,
                emit,
            }),
        };
        let graphql = match &self.graphql {
            None => None,
            Some(g) => Some(GraphqlOptions {
                query: g.query.clone(),
                variables: g.variables.clone(),
                init_payload: opt(&g.init_payload)?,
            }),
        };
        let stomp = match &self.stomp {
            None => None,
            Some(s) => Some(StompOptions {
                destination: s.destination.clone(),
                login: opt(&s.login)?,
                passcode: opt(&s.passcode)?,
                vhost: s.vhost.clone(),
                heart_beat: s.heart_beat,
            }),
        };
        let mut on_open = Vec::with_capacity(self.on_open.len());
        for step in &self.on_open {
            on_open.push(OnOpenStep {
                send: f(&step.send)?,
                expect: step.expect.clone(),
                within: step.within,
            });
        }
        Ok(ProtocolConfig {
            kind: self.kind,
            socketio,
            graphql,
            actioncable: self.actioncable.clone(),
            stomp,
            on_open,
        })
    }
}
