//! The profiles file exactly as written on disk: serde structs that reject
//! unknown keys, keep profiles in file order, and remember where each value
//! that validation may complain about came from ([`Spanned`]).
//!
//! Nothing here judges values; [`super::validate`] does. This module also
//! knows how to turn byte offsets into the `line:column` and the enclosing
//! `[profiles.NAME…]` header that every [`super::Problem`] names.

use std::fmt;
use std::ops::Range;
use std::path::Path;

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer};
use toml::Spanned;

use super::Problem;
use crate::secret::Secret;

/// The whole file. Field names here are the file's keys, documented in
/// `profiles.example.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFile {
    pub default_profile: Option<Spanned<String>>,
    #[serde(default)]
    pub settings: RawSettings,
    /// Keys stay strings here: TOML keys always are, and validation wants
    /// to point at a key that is not a number.
    #[serde(default)]
    pub close_codes: IndexMap<Spanned<String>, String>,
    /// Endpoints watched in every profile.
    #[serde(default)]
    pub endpoints: Vec<RawEndpoint>,
    /// `IndexMap` so profiles list (and the first one defaults) in file order.
    #[serde(default)]
    pub profiles: IndexMap<Spanned<String>, RawProfile>,
}

/// `[settings]` or `[profiles.NAME.settings]`: every key optional, durations
/// kept as text so their parse errors can point at the value.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSettings {
    pub connect_timeout: Option<Spanned<String>>,
    pub ping_interval: Option<Spanned<String>>,
    pub pong_timeout: Option<Spanned<String>>,
    pub reconnect_min: Option<Spanned<String>>,
    pub reconnect_max: Option<Spanned<String>>,
    /// `"ping"` or `"browser"`.
    pub heartbeat: Option<Spanned<String>>,
    pub health_window: Option<Spanned<String>>,
}

/// One `[[endpoints]]` or `[[profiles.NAME.endpoints]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEndpoint {
    pub name: Spanned<String>,
    pub url: Spanned<String>,
    #[serde(default)]
    pub headers: IndexMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    pub subprotocols: Vec<Spanned<String>>,
    /// `"ping"` or `"browser"`, over the profile's setting.
    pub heartbeat: Option<Spanned<String>>,
    /// `protocol = "socketio"` etc.; raw when absent.
    pub protocol: Option<Spanned<String>>,
    pub socketio: Option<RawSocketIo>,
    pub graphql: Option<RawGraphql>,
    pub actioncable: Option<RawActionCable>,
    pub stomp: Option<RawStomp>,
    /// `[[endpoints.on_open]]`: raw frames sent after every open.
    #[serde(default)]
    pub on_open: Vec<RawOnOpen>,
    /// `preview = ["title", "data.level"]`: the message fields the payload
    /// list shows (dotted paths into JSON).
    #[serde(default)]
    pub preview: Vec<Spanned<String>>,
    /// `expect_message_within = "2m"`: an open socket silent for longer
    /// is degraded.
    pub expect_message_within: Option<Spanned<String>>,
    /// `[[endpoints.expect]]`: rules every JSON message must meet.
    #[serde(default)]
    pub expect: Vec<RawExpect>,
}

/// `[[endpoints.expect]]`: `path` (dotted) with `regex` and/or `type`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExpect {
    pub path: Option<Spanned<String>>,
    pub regex: Option<Spanned<String>>,
    #[serde(rename = "type")]
    pub kind: Option<Spanned<String>>,
}

/// `[endpoints.socketio]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSocketIo {
    pub namespace: Option<Spanned<String>>,
    pub auth: Option<Spanned<String>>,
    #[serde(default)]
    pub emit: Vec<Spanned<String>>,
}

/// `[endpoints.graphql]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGraphql {
    pub query: Spanned<String>,
    pub variables: Option<Spanned<String>>,
    pub init_payload: Option<Spanned<String>>,
}

/// `[endpoints.actioncable]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawActionCable {
    pub channel: Spanned<String>,
}

/// `[endpoints.stomp]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStomp {
    pub destination: Spanned<String>,
    pub login: Option<Spanned<String>>,
    pub passcode: Option<Spanned<String>>,
    pub vhost: Option<Spanned<String>>,
    pub heart_beat: Option<Spanned<String>>,
}

/// One `[[endpoints.on_open]]` step.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOnOpen {
    pub send: Spanned<String>,
    pub expect: Option<Spanned<String>>,
    pub within: Option<Spanned<String>>,
}

impl RawFile {
    /// Parses the text. `toml` (without its `preserve_order` feature) hands
    /// tables over sorted by key, so file order is restored from the key
    /// spans: profiles list and default in the order they were written.
    pub(crate) fn from_toml(text: &str) -> Result<RawFile, toml::de::Error> {
        let mut raw: RawFile = toml::from_str(text)?;
        by_position(&mut raw.close_codes);
        by_position(&mut raw.profiles);
        for endpoint in &mut raw.endpoints {
            by_position(&mut endpoint.headers);
        }
        for profile in raw.profiles.values_mut() {
            by_position(&mut profile.close_codes);
            for endpoint in &mut profile.endpoints {
                by_position(&mut endpoint.headers);
            }
        }
        Ok(raw)
    }
}

fn by_position<V>(map: &mut IndexMap<Spanned<String>, V>) {
    map.sort_by(|a, _, b, _| a.span().start.cmp(&b.span().start));
}

/// One `[profiles.NAME]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProfile {
    pub description: Option<String>,
    pub server: Spanned<String>,
    pub token: Option<Spanned<InlineToken>>,
    pub token_env: Option<Spanned<String>>,
    pub token_command: Option<Spanned<Vec<String>>>,
    pub auth_scheme: Option<Spanned<String>>,
    pub token_check: Option<Spanned<String>>,
    /// PEM file of extra CA certificates to trust (private CAs).
    pub ca_file: Option<Spanned<String>>,
    /// PEM client certificate chain and key, for mutual TLS.
    pub client_cert: Option<Spanned<String>>,
    pub client_key: Option<Spanned<String>>,
    /// Skip certificate verification entirely (shown in red, never default).
    pub insecure: Option<Spanned<bool>>,
    /// Proxy for the sockets and REST calls (`http://`, `socks5://`,
    /// `direct`); without it, the `*_PROXY` environment variables decide.
    pub proxy: Option<Spanned<String>>,
    #[serde(default)]
    pub settings: RawSettings,
    #[serde(default)]
    pub close_codes: IndexMap<Spanned<String>, String>,
    #[serde(default)]
    pub endpoints: Vec<RawEndpoint>,
    /// `[profiles.NAME.probe]`: the end-to-end delivery probe.
    pub probe: Option<RawProbe>,
    /// `[profiles.NAME.login]`: log in for the token instead of holding one.
    pub login: Option<RawLogin>,
    /// The server's log file, followed (`tail -F` style).
    pub server_log: Option<Spanned<String>>,
    /// A command printing the server's log, followed (`docker logs -f web`).
    pub server_log_command: Option<Spanned<Vec<String>>>,
    /// The Django project serving this profile (the folder of its
    /// `manage.py`): the doctor inspects it at start.
    pub django_project: Option<Spanned<String>>,
    /// The project's interpreter (its virtualenv's `bin/python`), for the
    /// doctor when wsmon does not run inside that virtualenv.
    pub django_python: Option<Spanned<String>>,
}

/// `[profiles.NAME.probe]`: a REST request that makes the server push a
/// message holding `{nonce}` to the profile's sockets.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProbe {
    pub method: Option<Spanned<String>>,
    pub path: Spanned<String>,
    pub body: Option<Spanned<String>>,
    pub every: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
    /// Profiles whose sockets must NOT receive this probe's message (the
    /// isolation probe); they run live beside this one.
    pub isolation: Option<Vec<Spanned<String>>>,
}

/// `[profiles.NAME.login]`, as written (see `profiles.example.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLogin {
    pub kind: Spanned<String>,
    pub url: Option<Spanned<String>>,
    pub username: Option<Spanned<String>>,
    pub username_env: Option<Spanned<String>>,
    pub password_env: Option<Spanned<String>>,
    pub password_command: Option<Spanned<Vec<String>>>,
    pub refresh_url: Option<Spanned<String>>,
    pub access_field: Option<Spanned<String>>,
    pub refresh_field: Option<Spanned<String>>,
    pub client_id: Option<Spanned<String>>,
    pub client_secret_env: Option<Spanned<String>>,
    pub scope: Option<Spanned<String>>,
}

/// An inline `token = "…"`, wrapped as a [`Secret`] the moment it is read so
/// that no `Debug` of the raw file can print it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct InlineToken(pub Secret);

impl<'de> Deserialize<'de> for InlineToken {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|s| InlineToken(Secret::new(s)))
    }
}

impl fmt::Debug for InlineToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// Maps byte offsets of one file's text to 1-based `line:column` and to the
/// table header they sit under.
pub(crate) struct Locator<'t> {
    text: &'t str,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
}

/// Where a table header puts the keys below it, as far as [`Locator`] can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Section {
    /// The `NAME` of an enclosing `[profiles.NAME…]`, if any.
    pub profile: Option<String>,
    /// Dotted path of the table relative to the profile (or to the file when
    /// there is no profile), e.g. `settings` or `endpoints[1]`; empty for the
    /// profile's own table or the top level.
    pub path: String,
}

impl<'t> Locator<'t> {
    /// Indexes the line starts of `text`.
    pub(crate) fn new(text: &'t str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Locator { text, line_starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line.saturating_sub(1)];
        let column = self
            .text
            .get(start..offset)
            .map_or(1, |s| s.chars().count() + 1);
        (line.max(1), column)
    }

    /// Offset of `index` (a byte index into the value of a string whose span
    /// is `span`) when the string is written without escapes; otherwise the
    /// start of the span, which is still the right line.
    pub(crate) fn inside_string(&self, span: &Range<usize>, value: &str, index: usize) -> usize {
        let raw = self.text.get(span.clone()).unwrap_or("");
        for quote in ["\"", "'"] {
            if raw.len() == value.len() + 2
                && raw.starts_with(quote)
                && raw.ends_with(quote)
                && &raw[1..raw.len() - 1] == value
            {
                return span.start + 1 + index;
            }
        }
        span.start
    }

    /// The table a byte offset belongs to: the last `[header]` or
    /// `[[header]]` line before it. Arrays of tables are numbered by counting
    /// earlier headers with the same name, which is how TOML builds them.
    pub(crate) fn section_at(&self, offset: usize) -> Section {
        let before = self.text.get(..offset.min(self.text.len())).unwrap_or("");
        let mut current: Option<(Vec<String>, bool)> = None;
        let mut array_counts: IndexMap<Vec<String>, usize> = IndexMap::new();
        for line in before.lines() {
            let Some((keys, is_array)) = parse_header(line) else {
                continue;
            };
            if is_array {
                *array_counts.entry(keys.clone()).or_insert(0) += 1;
            }
            current = Some((keys, is_array));
        }
        let Some((keys, is_array)) = current else {
            return Section {
                profile: None,
                path: String::new(),
            };
        };
        let index = if is_array {
            array_counts
                .get(&keys)
                .copied()
                .unwrap_or(1)
                .saturating_sub(1)
        } else {
            0
        };
        let (profile, rest) = match keys.split_first() {
            Some((first, rest)) if first == "profiles" && !rest.is_empty() => {
                (Some(rest[0].clone()), &rest[1..])
            }
            _ => (None, &keys[..]),
        };
        let mut path = rest.join(".");
        if is_array && !rest.is_empty() {
            path.push_str(&format!("[{index}]"));
        }
        Section { profile, path }
    }

    /// Byte offset of the end of the line holding `offset`.
    pub(crate) fn end_of_line(&self, offset: usize) -> usize {
        let line = self.line_starts.partition_point(|&s| s <= offset);
        self.line_starts
            .get(line)
            .map_or(self.text.len(), |next| next.saturating_sub(1))
    }

    /// The key an error at `offset` is about, relative to its table: the key
    /// itself when `offset` is at a key, the key before `=` when it is at a
    /// value (`headers.Origin` inside an inline table). `None` at a header.
    pub(crate) fn field_at(&self, offset: usize) -> Option<String> {
        let (line, _) = self.line_col(offset);
        let start = self.line_starts[line - 1];
        let before = self.text.get(start..offset)?;
        if before.trim().is_empty() {
            let rest = self.text.get(offset..)?;
            if rest.starts_with('[') {
                return None;
            }
            return split_keys(rest.split('=').next()?.trim()).map(|k| k.join("."));
        }
        // At a value: the outer key comes before the first `=`; inside an
        // inline table the inner key is the one just before the last `=`.
        let (outer, inner) = before.split_once('=')?;
        let mut keys = split_keys(outer.trim())?;
        let entry = inner
            .rfind(['{', ','])
            .and_then(|open| inner[open + 1..].trim_end().strip_suffix('='))
            .and_then(|entry| split_keys(entry.trim()));
        keys.extend(entry.into_iter().flatten());
        Some(keys.join("."))
    }
}

/// `[a.b."c d"]` → `(["a", "b", "c d"], false)`; `[[a.b]]` → `(["a", "b"], true)`.
fn parse_header(line: &str) -> Option<(Vec<String>, bool)> {
    let line = line.trim();
    let (inner, is_array) = if let Some(inner) = line.strip_prefix("[[") {
        (inner.split("]]").next()?, true)
    } else if let Some(inner) = line.strip_prefix('[') {
        (inner.split(']').next()?, false)
    } else {
        return None;
    };
    Some((split_keys(inner.trim())?, is_array))
}

/// Splits a dotted TOML key into its parts, unquoting simple quoted parts.
/// Returns `None` for anything it cannot read with confidence.
fn split_keys(dotted: &str) -> Option<Vec<String>> {
    let mut keys = Vec::new();
    let mut chars = dotted.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut key = String::new();
        match chars.peek() {
            Some(&q @ ('"' | '\'')) => {
                chars.next();
                for c in chars.by_ref() {
                    if c == q {
                        break;
                    }
                    key.push(c);
                }
            }
            _ => {
                while let Some(&c) = chars.peek() {
                    if !(c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                        break;
                    }
                    key.push(c);
                    chars.next();
                }
                if key.is_empty() {
                    return None;
                }
            }
        }
        keys.push(key);
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.next() {
            None => return Some(keys),
            Some('.') => continue,
            Some(_) => return None,
        }
    }
}

/// The one [`Problem`] for a file `toml` could not read: a syntax error, an
/// unknown key, a missing key or a value of the wrong type.
pub(crate) fn toml_problem(source: &Path, text: &str, error: &toml::de::Error) -> Problem {
    let locator = Locator::new(text);
    let (mut message, mut help) = match error.message().split_once(", expected ") {
        Some((what, expected)) => (what.to_string(), Some(expected.to_string())),
        None => (error.message().to_string(), None),
    };
    // serde lists the allowed keys as "one of `a`, `b`"; say it plainly.
    help = help.map(|h| match h.strip_prefix("one of ") {
        Some(list) => format!("one of: {}", list.replace('`', "")),
        None => h,
    });
    // A misspelt key: the valid one it is closest to.
    if let (Some(unknown), Some(list)) = (
        (message.strip_prefix("unknown field `")).and_then(|rest| rest.strip_suffix('`')),
        help.as_deref().and_then(|h| h.strip_prefix("one of: ")),
    ) && let Some(near) = nearest(unknown, list.split(", "))
    {
        message = format!("{message}; did you mean `{near}`?");
    }
    let Some(span) = error.span() else {
        return Problem {
            file: source.to_path_buf(),
            line: None,
            column: None,
            profile: None,
            field: None,
            message,
            help,
        };
    };
    let (line, column) = locator.line_col(span.start);
    let section = locator.section_at(locator.end_of_line(span.start));
    let mut field = locator.field_at(span.start);
    if field.is_none() {
        // A missing key is reported at the header of the table that lacks it.
        field = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.strip_suffix('`'))
            .map(str::to_string);
    }
    let field = match (section.path.is_empty(), field) {
        (true, field) => field,
        (false, Some(field)) => Some(format!("{}.{field}", section.path)),
        (false, None) => Some(section.path.clone()),
    };
    // `connect_timeout = 5`: a duration without its unit or quotes, said
    // in a duration's terms rather than serde's ("expected a string").
    let last_key = field.as_deref().map(|f| f.rsplit('.').next().unwrap_or(f));
    if help.as_deref() == Some("a string")
        && message.starts_with("invalid type: ")
        && last_key.is_some_and(|k| super::duration::DURATION_FIELDS.contains(&k))
    {
        let shown = message.split('`').nth(1);
        message = super::duration::not_text(shown);
        help = Some(super::duration::DURATION_HELP.to_string());
    }
    if field
        .as_deref()
        .is_some_and(|f| f == "token" || f.ends_with(".token"))
    {
        // `invalid type: integer `123…`` would echo a mistyped token.
        message = strip_backticked(&message);
    }
    Problem {
        file: source.to_path_buf(),
        line: Some(line),
        column: Some(column),
        profile: section.profile,
        field,
        message,
        help,
    }
}

/// The candidate closest to `unknown` when it looks like a typo of it (at
/// most a third of its letters off, and at most 3), else `None`.
fn nearest<'a>(unknown: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (unknown.chars().count() / 3).clamp(1, 3);
    candidates
        .map(|c| (strsim::damerau_levenshtein(unknown, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `invalid type: integer `12`` → `invalid type: integer`.
fn strip_backticked(message: &str) -> String {
    let mut out = String::new();
    for (i, part) in message.split('`').enumerate() {
        if i % 2 == 0 {
            out.push_str(part);
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}
