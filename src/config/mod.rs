//! The profiles file: its shape on disk, validation, and the resolved types
//! the engine runs on.
//!
//! Loading goes: find the file ([`paths`]) → parse the raw serde shape
//! ([`file`], unknown keys rejected) → validate and merge defaults → file
//! settings → profile settings ([`validate`]) into a [`Config`]. Every problem
//! is a [`ConfigError`] naming the file, line:column, profile and field.
//! Tokens are resolved only when a profile is activated
//! ([`Profile::activate`]), so a `token_command` runs only for the profile
//! that is actually used.

pub(crate) mod activate;
pub(crate) mod duration;
pub(crate) mod error;
pub(crate) mod file;
pub(crate) mod listing;
pub mod login;
pub mod paths;
pub(crate) mod protocol;
mod secret_command;
pub(crate) mod template;
pub mod validate;

use std::path::PathBuf;
use std::time::Duration;

use indexmap::IndexMap;
use url::Url;

use crate::secret::{Redactor, Secret};

pub use error::{ConfigError, Problem};
pub use protocol::{ProtocolConfig, ProtocolKind};
pub use secret_command::SecretCommand;

/// A validated profiles file.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where it came from (a path, or a label such as `<demo>`).
    pub source: PathBuf,
    /// The profile used when `--profile` is not given.
    pub default_profile: String,
    /// Profiles in file order.
    pub profiles: Vec<Profile>,
    /// Accepted-but-suspicious things worth showing the user (e.g. an
    /// `http://` endpoint URL converted to `ws://`).
    pub warnings: Vec<String>,
}

/// Timers of a profile (file `[settings]` overridden by the profile's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// TCP + TLS + HTTP upgrade, all together.
    pub connect_timeout: Duration,
    /// How often the client pings an open connection.
    pub ping_interval: Duration,
    /// No pong within this after a ping → the connection is dead.
    pub pong_timeout: Duration,
    /// Backoff floor.
    pub reconnect_min: Duration,
    /// Backoff cap.
    pub reconnect_max: Duration,
    /// Whether wsmon pings open sockets (`heartbeat = "ping" | "browser"`).
    pub heartbeat: HeartbeatMode,
    /// The health word's memory: a session that ended more than once in
    /// this long is churning (`health_window`, 5 minutes by default).
    pub health_window: Duration,
}

/// How an open socket is kept alive and checked (`heartbeat = …`).
///
/// - `ping` (the default): wsmon pings every `ping_interval` and calls the
///   connection half-open when no pong comes within `pong_timeout`. The
///   pings are traffic, so an idle timeout on the path (nginx's
///   `proxy_read_timeout`, a load balancer's) never fires for wsmon,
///   although it does for browsers.
/// - `browser`: no client pings, like a browser (browsers only answer the
///   server's pings). Idle timeouts on the path show as they do to users;
///   a half-open connection is then noticed only by the server's pings or
///   by TCP.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum HeartbeatMode {
    #[default]
    Ping,
    Browser,
}

impl HeartbeatMode {
    /// The value as written in the profiles file.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Parses the file's value.
    pub fn parse(text: &str) -> Option<HeartbeatMode> {
        match text.trim() {
            "ping" => Some(HeartbeatMode::Ping),
            "browser" => Some(HeartbeatMode::Browser),
            _ => None,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            connect_timeout: Duration::from_secs(10),
            ping_interval: Duration::from_secs(20),
            pong_timeout: Duration::from_secs(10),
            reconnect_min: Duration::from_millis(500),
            reconnect_max: Duration::from_secs(30),
            heartbeat: HeartbeatMode::Ping,
            health_window: Duration::from_secs(300),
        }
    }
}

/// Where a profile's token comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// The profile has no token.
    None,
    /// `token = "…"` in the file.
    Inline(Secret),
    /// `token_env = "NAME"`.
    Env(String),
    /// `token_command = ["pass", "show", "x"]`: stdout, trimmed (its
    /// arguments are never shown).
    Command(SecretCommand),
}

/// One endpoint as written in the file, before `{ws}`/`{token}` are filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointTemplate {
    pub name: String,
    /// The URL template, e.g. `{ws}/ws/notifications/?token={token}`.
    pub url: String,
    /// Extra handshake headers; values may use `{token}`.
    pub headers: IndexMap<String, String>,
    /// Offered in `Sec-WebSocket-Protocol`.
    pub subprotocols: Vec<String>,
    /// `heartbeat = …` of this endpoint, over the profile's setting.
    pub heartbeat: Option<HeartbeatMode>,
    /// The application protocol spoken over the socket (templates).
    pub protocol: ProtocolConfig,
    /// `preview`: dotted paths of the JSON fields the payload list shows.
    pub preview: Vec<String>,
    /// What its messages are expected to be.
    pub expect: Expectations,
}

/// What an endpoint's messages are expected to be: how often
/// (`expect_message_within`) and what shape (`[[endpoints.expect]]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expectations {
    /// An open socket with no message for longer is degraded.
    pub message_within: Option<std::time::Duration>,
    pub rules: Vec<ExpectRule>,
}

/// One `[[endpoints.expect]]` rule over a text message parsed as JSON:
/// the value at `path` (dotted; the whole message when absent) matches
/// `regex` (strings as they are, other values as JSON text) and/or is of
/// JSON `type` (`string`, `number`, `boolean`, `object`, `array`, `null`).
#[derive(Debug, Clone)]
pub struct ExpectRule {
    pub path: Vec<String>,
    pub regex: Option<regex::Regex>,
    pub kind: Option<JsonType>,
    /// The rule as people read it: `data.title ~ /^.+$/`, `id: number`.
    pub shown: String,
}

/// Rules are equal when written the same (a regex compares by its text).
impl PartialEq for ExpectRule {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path
            && self.kind == other.kind
            && self.regex.as_ref().map(regex::Regex::as_str)
                == other.regex.as_ref().map(regex::Regex::as_str)
    }
}

impl Eq for ExpectRule {}

/// A JSON value's type, as `[[endpoints.expect]]` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    String,
    Number,
    Boolean,
    Object,
    Array,
    Null,
}

impl JsonType {
    pub const NAMES: &'static str =
        "\"string\", \"number\", \"boolean\", \"object\", \"array\", \"null\"";

    pub fn parse(name: &str) -> Option<JsonType> {
        Some(match name {
            "string" => JsonType::String,
            "number" => JsonType::Number,
            "boolean" | "bool" => JsonType::Boolean,
            "object" => JsonType::Object,
            "array" => JsonType::Array,
            "null" => JsonType::Null,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JsonType::String => "string",
            JsonType::Number => "number",
            JsonType::Boolean => "boolean",
            JsonType::Object => "object",
            JsonType::Array => "array",
            JsonType::Null => "null",
        }
    }
}

// The options moved to `crate::tls` (which builds a rustls config from
// them) so that `tls` does not import `config`; the old path still works.
pub use crate::tls::TlsOptions;

/// A validated profile (token not yet resolved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub description: Option<String>,
    /// REST base URL (`http(s)://…`); `{ws}` is derived from it.
    pub server: Url,
    pub token: TokenSource,
    /// `Authorization: <auth_scheme> <token>`; "Token" by default.
    pub auth_scheme: String,
    /// Path (joined to `server`) of the REST token check, if any.
    pub token_check: Option<String>,
    pub settings: Settings,
    /// The file's shared endpoints followed by the profile's own.
    pub endpoints: Vec<EndpointTemplate>,
    /// Application close codes named by the file (`[close_codes]`), e.g. 4001.
    pub close_codes: IndexMap<u16, String>,
    /// Paths are absolute (relative ones are taken from the file's folder).
    pub tls: TlsOptions,
    /// The end-to-end delivery probe, if the profile has one.
    pub probe: Option<Probe>,
    /// `proxy = "…"`: a proxy URL (may hold credentials) or `direct`.
    pub proxy: Option<Secret>,
    /// Where the server's log comes from (`server_log`/`server_log_command`).
    pub server_log: Option<ServerLogSource>,
    /// `django_project = "DIR"`: the folder of the project's `manage.py`
    /// (absolute; a relative one is taken from the profiles file's folder).
    pub django_project: Option<PathBuf>,
    /// `django_python = "PATH"`: the project's interpreter, e.g. its
    /// virtualenv's `bin/python` (absolute; a relative one is taken from
    /// the profiles file's folder).
    pub django_python: Option<PathBuf>,
    /// `[profiles.NAME.login]`: the token is obtained by logging in.
    pub login: Option<login::Login>,
}

/// Where wsmon reads the server's log from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerLogSource {
    /// A file, followed from its end; absolute (a relative `server_log` is
    /// taken from the profiles file's folder).
    File(PathBuf),
    /// A command (program and arguments, no shell) whose stdout and stderr
    /// are followed, e.g. `["docker", "logs", "-f", "--since", "0s", "web"]`.
    Command(Vec<String>),
}

/// `[profiles.NAME.probe]`, validated: a REST request whose effect is a
/// message pushed to the profile's sockets; `{nonce}` in `path` or `body`
/// is replaced by a fresh value on each run, and the message holding it is
/// the delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// Upper-case HTTP method ("POST" by default).
    pub method: String,
    /// Path joined to `server`, e.g. `/api/notifications/`.
    pub path: String,
    pub body: Option<String>,
    /// Time between probes.
    pub every: Duration,
    /// Request sent → message received, at most.
    pub timeout: Duration,
    /// `isolation = ["omar", …]`: profiles whose sockets must NOT receive
    /// the probe's message (a notification for one user reaching another
    /// is a data leak). They are run live beside this profile.
    pub isolation: Vec<String>,
}

/// The placeholder of a probe's `path` or `body` replaced by a fresh
/// value on every run.
pub const NONCE: &str = "{nonce}";

impl Probe {
    pub const DEFAULT_EVERY: Duration = Duration::from_secs(60);
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
}

/// A profile ready to run: token resolved, URLs rendered.
#[derive(Debug, Clone)]
pub struct ActiveProfile {
    pub name: String,
    pub description: Option<String>,
    pub server: Url,
    pub token: Option<Secret>,
    pub auth_scheme: String,
    /// Full URL of the REST token check.
    pub token_check: Option<Url>,
    pub settings: Settings,
    pub endpoints: Vec<Endpoint>,
    pub close_codes: IndexMap<u16, String>,
    /// Scrubs this profile's token out of any text.
    pub redactor: Redactor,
    /// The TLS client config for this profile's sockets and token check.
    pub tls: std::sync::Arc<rustls::ClientConfig>,
    /// Certificate verification is off (`insecure = true`).
    pub insecure: bool,
    /// The delivery probe with its URL rendered (`{nonce}` still in it).
    pub probe: Option<ActiveProbe>,
    /// Which proxy (if any) each of this profile's URLs goes through.
    pub proxy: crate::proxy::Proxies,
    /// Where the server's log comes from, if the profile says.
    pub server_log: Option<ServerLogSource>,
    /// The Django project the doctor inspects at start (`django_project`).
    pub django_project: Option<PathBuf>,
    /// The interpreter the doctor runs the project with (`django_python`;
    /// `None`: found as `wsmon doctor` finds one without `--python`).
    pub django_python: Option<PathBuf>,
    /// The profile logs in (`[profiles.NAME.login]`): the session layer
    /// obtains the token and renders the profile again with it.
    pub login: Option<std::sync::Arc<login::ActiveLogin>>,
    /// django_session: the cookies sent on handshakes and REST calls
    /// instead of `Authorization`.
    pub session_cookie: Option<login::SessionCookie>,
}

/// A probe ready to run: `url` and `body` still hold `{nonce}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveProbe {
    pub method: String,
    pub url: String,
    pub body: Option<String>,
    pub every: Duration,
    pub timeout: Duration,
    /// Profiles whose sockets must not receive the message (see [`Probe::isolation`]).
    pub isolation: Vec<String>,
}

/// One endpoint ready to dial.
#[derive(Clone)]
pub struct Endpoint {
    pub name: String,
    /// The real URL, token included: for the wire only.
    pub url: Url,
    /// The URL as shown anywhere (token redacted).
    pub shown_url: String,
    /// Handshake headers with `{token}` filled in (values may be secret).
    pub headers: Vec<(String, Secret)>,
    pub subprotocols: Vec<String>,
    /// The endpoint's own `heartbeat`, else the profile's.
    pub heartbeat: HeartbeatMode,
    /// The application protocol, `{token}` filled in (may be secret).
    pub protocol: ProtocolConfig,
    /// `preview`: dotted paths of the JSON fields the payload list shows
    /// (empty: what differs between messages, chosen by the list).
    pub preview: Vec<String>,
    /// What its messages are expected to be (silence, shape).
    pub expect: Expectations,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("name", &self.name)
            .field("url", &self.shown_url)
            .field("headers", &self.headers)
            .field("subprotocols", &self.subprotocols)
            .field("heartbeat", &self.heartbeat)
            .field("protocol", &self.protocol.kind)
            .finish()
    }
}

impl Config {
    /// The profile called `name`, or the default one.
    pub fn profile(&self, name: Option<&str>) -> Result<&Profile, ConfigError> {
        let wanted = name.unwrap_or(&self.default_profile);
        self.profiles
            .iter()
            .find(|p| p.name == wanted)
            .ok_or_else(|| ConfigError::UnknownProfile {
                name: wanted.to_string(),
                available: self.profiles.iter().map(|p| p.name.clone()).collect(),
            })
    }

    /// The profiles to run live together: `names` in the order given
    /// (none: the default profile), then every profile an isolation probe
    /// among them names (`[profiles.NAME.probe] isolation`), which must be
    /// live for the probe to look at its sockets. Each appears once.
    pub fn lineup(&self, names: &[String]) -> Result<Vec<&Profile>, ConfigError> {
        let mut lineup: Vec<&Profile> = Vec::new();
        if names.is_empty() {
            lineup.push(self.profile(None)?);
        }
        for name in names {
            let p = self.profile(Some(name))?;
            if !lineup.iter().any(|q| q.name == p.name) {
                lineup.push(p);
            }
        }
        // Peers of peers too: each added profile's own isolation list.
        let mut i = 0;
        while i < lineup.len() {
            let peers = lineup[i]
                .probe
                .as_ref()
                .map(|p| p.isolation.clone())
                .unwrap_or_default();
            for peer in peers {
                let p = self.profile(Some(&peer))?;
                if !lineup.iter().any(|q| q.name == p.name) {
                    lineup.push(p);
                }
            }
            i += 1;
        }
        Ok(lineup)
    }
}

/// Splits `--profiles a,b` (commas, spaces around names ignored).
pub fn profile_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect()
}
