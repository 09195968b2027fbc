//! What the doctor read of a Django project: the inspection script's JSON
//! (schema `wsmon_doctor: 1`, see `src/session/django/inspect.py`), the
//! reachability of the channel layer's Redis hosts, and which processes
//! serve the profile's sockets and REST API. Plain data, deserialized with
//! serde; every string is the project's own text (print it with
//! `text_safe::visible`).

use serde::{Deserialize, Serialize};

/// The inspection script's output. Missing keys default (an older script,
/// or a step that failed before it was reached).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct Inspection {
    /// Python, Django, Channels, Daphne and channels_redis versions
    /// (`None`: not installed).
    pub python: Option<String>,
    pub django: Option<String>,
    pub channels: Option<String>,
    pub daphne: Option<String>,
    pub channels_redis: Option<String>,
    /// `DJANGO_SETTINGS_MODULE` as Django read it.
    pub settings_module: Option<String>,
    pub debug: bool,
    pub installed_apps: Vec<String>,
    pub allowed_hosts: Vec<String>,
    /// `CHANNEL_LAYERS`, one entry per alias.
    pub channel_layers: Vec<Layer>,
    /// Reading `CHANNEL_LAYERS` raised (the exception's last line).
    pub channel_layers_error: Option<String>,
    /// `ASGI_APPLICATION` (`None`: unset).
    pub asgi_application: Option<String>,
    /// The ASGI application was imported.
    pub asgi_loaded: bool,
    /// Importing it raised (the exception's last line).
    pub asgi_error: Option<String>,
    /// Its type (`channels.routing.ProtocolTypeRouter`).
    pub asgi_type: Option<String>,
    /// The protocol keys of a `ProtocolTypeRouter` (`None`: not one).
    pub protocols: Option<Vec<String>>,
    /// The WebSocket routes, found by walking the application.
    pub routes: Vec<Route>,
    /// Applications the walk could not look inside.
    pub opaque: Vec<Opaque>,
    /// The walk raised (the exception's last line).
    pub walk_error: Option<String>,
    /// Reading the settings raised (the exception's last line).
    pub error: Option<String>,
}

/// One `CHANNEL_LAYERS` alias.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct Layer {
    pub alias: String,
    /// `BACKEND`, e.g. `channels_redis.core.RedisChannelLayer`.
    pub backend: String,
    /// The Redis hosts of `CONFIG.hosts` (channels_redis' default
    /// `localhost:6379` when unset); empty for other backends.
    pub hosts: Vec<LayerHost>,
}

/// One Redis host of a layer, without credentials.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct LayerHost {
    pub host: Option<String>,
    pub port: Option<u16>,
    /// A `unix://` socket path.
    pub unix: Option<String>,
    /// `rediss://` (TLS).
    pub tls: bool,
    /// A shape the script did not read (said in words).
    pub unparsed: Option<String>,
}

impl LayerHost {
    /// `127.0.0.1:6379`, `unix:/run/redis.sock`, or the unread shape.
    pub fn address(&self) -> String {
        match (&self.host, self.port, &self.unix, &self.unparsed) {
            (Some(h), Some(p), _, _) if h.contains(':') => format!("[{h}]:{p}"),
            (Some(h), Some(p), _, _) => format!("{h}:{p}"),
            (_, _, Some(path), _) => format!("unix:{path}"),
            (_, _, _, Some(what)) => what.clone(),
            _ => "an unknown address".into(),
        }
    }
}

/// A WebSocket route: the `path()`/`re_path()` segments from the outer
/// `URLRouter` in, and what serves it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct Route {
    pub segments: Vec<Segment>,
    /// The consumer class (`notifications.consumers.NotificationConsumer`)
    /// or the application at the end of the route.
    pub consumer: String,
    /// Middleware and validators on the way, outermost first.
    pub wrappers: Vec<String>,
    /// The `allowed_origins` of an `OriginValidator` on the way
    /// (`AllowedHostsOriginValidator`: `ALLOWED_HOSTS`); `None`: no check.
    pub allowed_origins: Option<Vec<String>>,
}

/// One `path()` or `re_path()` of a route.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct Segment {
    /// `path` or `re_path`.
    pub kind: String,
    /// As written: `ws/<int:id>/` or `^ws/(?P<id>\d+)/$`.
    pub route: String,
    /// The compiled Python regex (Django's `_route_to_regex` for `path()`).
    pub regex: Option<String>,
}

/// An application the walk could not look inside.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct Opaque {
    /// The route segments leading to it.
    pub at: Vec<Segment>,
    /// What it is (its dotted type or function name).
    pub what: String,
}

/// Whether a channel layer's Redis host answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reach {
    pub alias: String,
    /// `host:port` or `unix:/path`.
    pub address: String,
    /// JSON: `outcome` (`redis`, `accepted`, `not_redis`, `unreachable`,
    /// `unchecked`) and `detail`, beside `alias` and `address`.
    #[serde(flatten)]
    pub outcome: ReachOutcome,
}

/// What a connect to a Redis host found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ReachOutcome {
    /// It answered a `PING` as Redis does (`+PONG`, or `-NOAUTH…`).
    Redis,
    /// TCP (or TLS port) accepted; not asked further.
    Accepted,
    /// Something accepted the connection but did not answer as Redis.
    NotRedis { detail: String },
    /// No connection (refused, timed out, no such socket).
    Unreachable { detail: String },
    /// Not checked (an address shape wsmon cannot dial).
    Unchecked,
}

/// What part of the profile a serving process serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The WebSocket endpoints.
    Sockets,
    /// The REST API (the profile's `server`, probe or token check URL).
    Rest,
}

/// A local port the profile uses, and who listens on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Serving {
    pub role: Role,
    pub port: u16,
    pub pid: Option<u32>,
    /// The listener's command line (redacted), when visible.
    pub command: Option<String>,
}

/// An endpoint of the profile as the doctor needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndpointFacts {
    pub name: String,
    /// The URL's path (`/ws/notifications/`).
    pub path: String,
    /// The `Origin` header the profile sends (`None`: none).
    pub origin: Option<String>,
}

/// What the profile sends, for matching against the project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Context {
    pub endpoints: Vec<EndpointFacts>,
    /// The host the REST requests name (`Host:` header, without port), from
    /// the profile's `server`.
    pub rest_host: Option<String>,
    pub serving: Vec<Serving>,
}
