//! What the server said: the words of a refused handshake's body (or a
//! close reason), decoded and matched against known meanings.
//!
//! Bodies arrive as the bytes tungstenite had already read: chunked
//! transfer encoding is not decoded by it (nginx re-chunks Django's 404
//! page), so [`decode`] does it. The words quoted are the ones a person
//! would read: a JSON body's `detail` / `message` / `error` fields
//! (Starlette/FastAPI, DRF, Socket.IO, OAuth 2 `error_description`), an
//! HTML page's `<title>` and first heading, or plain text.

use serde_json::Value;

use crate::diagnose::text::excerpt;

/// The shape of a body, which also hints at who wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shape {
    Empty,
    /// A JSON object; `fields` lists its top-level keys in order.
    Json {
        fields: Vec<String>,
    },
    /// An HTML page with its `<title>` and first `<h1>`/`<h2>`, if any.
    Html {
        title: Option<String>,
        heading: Option<String>,
    },
    Text,
}

/// A known meaning of the server's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Meaning {
    /// The server's allowed-origins check refused the `Origin` header.
    OriginRefused,
    /// The credentials are expired.
    TokenExpired,
    /// The credentials are invalid, missing or refused.
    TokenInvalid,
    /// The server does not speak the offered subprotocol, protocol or
    /// WebSocket version.
    UnsupportedProtocol,
    /// Too many requests or connections.
    RateLimited,
    /// A proxy found no healthy upstream, or the upstream is down.
    UpstreamUnavailable,
    /// An HTTP stack's "not found" page.
    NotFound,
}

impl Meaning {
    /// A few words for evidence lists.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Meaning::OriginRefused => "the Origin was refused",
            Meaning::TokenExpired => "the token is expired",
            Meaning::TokenInvalid => "the credentials were refused",
            Meaning::UnsupportedProtocol => "an unsupported protocol, subprotocol or version",
            Meaning::RateLimited => "rate limited",
            Meaning::UpstreamUnavailable => "no upstream available",
            Meaning::NotFound => "not found",
        }
    }

    /// Whether a refusal with this meaning is about credentials.
    pub(crate) fn is_auth(self) -> bool {
        matches!(self, Meaning::TokenExpired | Meaning::TokenInvalid)
    }
}

/// The server's words, ready to quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Said {
    /// The body after transfer decoding (lossy UTF-8, not yet made safe).
    pub decoded: String,
    pub shape: Shape,
    /// The words to quote, terminal-safe ([`excerpt`]), empty for none.
    pub words: String,
    /// JSON `code` field, when the body has one (Socket.IO, API gateways).
    pub json_code: Option<String>,
    pub meaning: Option<Meaning>,
}

impl Said {
    /// Reads a body as it arrived, with the answer's headers (for
    /// `Transfer-Encoding: chunked`).
    pub(crate) fn read(headers: &[(String, String)], raw_body: &str) -> Said {
        let chunked = headers.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("transfer-encoding")
                && v.to_ascii_lowercase().contains("chunked")
        });
        let decoded = if chunked {
            decode_chunked(raw_body)
        } else {
            raw_body.to_string()
        };
        Said::of(decoded)
    }

    /// Reads a decoded body.
    pub(crate) fn of(decoded: String) -> Said {
        let trimmed = decoded.trim();
        let mut json_code = None;
        let (shape, words) = if trimmed.is_empty() {
            (Shape::Empty, String::new())
        } else if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(trimmed) {
            json_code = map.get("code").map(|c| match c {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            let words = json_words(&map);
            let fields = map.keys().cloned().collect();
            (Shape::Json { fields }, words)
        } else if looks_like_html(trimmed) {
            let title = tag_text(trimmed, "title");
            let heading = tag_text(trimmed, "h1").or_else(|| tag_text(trimmed, "h2"));
            let mut words = match (&title, &heading) {
                (Some(t), Some(h)) if t.eq_ignore_ascii_case(h) => t.clone(),
                (Some(t), Some(h)) => format!("{t}: {h}"),
                (Some(t), None) => t.clone(),
                (None, Some(h)) => h.clone(),
                (None, None) => visible_text(trimmed),
            };
            // The first paragraph often carries the real words (Django:
            // "The requested resource was not found on this server.").
            // Express puts its words in a <pre>.
            let para = tag_text(trimmed, "p").or_else(|| tag_text(trimmed, "pre"));
            // HAProxy's pages put the sentence after the heading, bare.
            let para = para.or_else(|| {
                let mut rest = visible_text(trimmed);
                for known in [&title, &heading].into_iter().flatten() {
                    rest = rest.replace(known.as_str(), " ");
                }
                let rest = rest.split_whitespace().collect::<Vec<_>>().join(" ");
                (rest.split(' ').count() >= 3).then_some(rest)
            });
            if let Some(p) = para.filter(|p| !words.contains(p.as_str())) {
                words = format!("{words}: {p}");
            }
            (Shape::Html { title, heading }, words)
        } else {
            (Shape::Text, trimmed.to_string())
        };
        let words = excerpt(&words);
        let meaning = meaning_of(&format!("{words} {}", json_code.as_deref().unwrap_or("")));
        Said {
            decoded,
            shape,
            words,
            json_code,
            meaning,
        }
    }

    /// Whether the body is a JSON object with exactly these keys (in any order).
    pub(crate) fn json_keys_are(&self, keys: &[&str]) -> bool {
        match &self.shape {
            Shape::Json { fields } => {
                fields.len() == keys.len() && keys.iter().all(|k| fields.iter().any(|f| f == k))
            }
            _ => false,
        }
    }

    /// Whether the decoded body contains `needle` (ASCII case-insensitive).
    pub(crate) fn contains(&self, needle: &str) -> bool {
        self.decoded
            .to_ascii_lowercase()
            .contains(&needle.to_ascii_lowercase())
    }
}

/// The human words of a JSON error object: `detail`, `message`, `error`
/// (+ `error_description`), `reason`, `title`, in that order.
fn json_words(map: &serde_json::Map<String, Value>) -> String {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        // FastAPI's validation errors: a list of {msg: …}.
        Value::Array(items) => items
            .iter()
            .filter_map(|i| i.get("msg").and_then(Value::as_str).map(str::to_string))
            .next(),
        Value::Object(o) => o.get("message").and_then(Value::as_str).map(str::to_string),
        other => Some(other.to_string()),
    };
    let mut parts = Vec::new();
    for key in [
        "detail",
        "message",
        "error",
        "error_description",
        "reason",
        "title",
    ] {
        if let Some(words) = map.get(key).and_then(text)
            && !parts.contains(&words)
        {
            parts.push(words);
        }
        if parts.len() == 2 {
            break;
        }
    }
    parts.join(": ")
}

/// Decodes `Transfer-Encoding: chunked`; a cut-off body keeps what came.
pub(crate) fn decode_chunked(raw: &str) -> String {
    let mut out = String::new();
    let mut rest = raw;
    loop {
        let Some((size_line, after)) = rest.split_once("\r\n") else {
            if out.is_empty() {
                return raw.to_string();
            }
            break;
        };
        let size_hex = size_line.split(';').next().unwrap_or("").trim();
        let Ok(size) = usize::from_str_radix(size_hex, 16) else {
            // Not chunked after all: keep it as it came.
            return if out.is_empty() { raw.to_string() } else { out };
        };
        if size == 0 {
            break;
        }
        let take = floor_char_boundary(after, size.min(after.len()));
        out.push_str(&after[..take]);
        rest = after[take..].strip_prefix("\r\n").unwrap_or(&after[take..]);
        if take < size {
            break;
        }
    }
    out
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn looks_like_html(body: &str) -> bool {
    let lower = body[..floor_char_boundary(body, body.len().min(512))].to_ascii_lowercase();
    lower.starts_with('<')
        && [
            "<html",
            "<!doctype",
            "<head",
            "<body",
            "<title",
            "<h1",
            "<center",
        ]
        .iter()
        .any(|t| lower.contains(t))
}

/// The text inside the first `<tag …>…</tag>`, tags within it dropped.
fn tag_text(html: &str, tag: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let open = format!("<{tag}");
    let mut from = 0;
    while let Some(i) = lower[from..].find(&open) {
        let start = from + i;
        let after_name = start + open.len();
        // `<h1>` or `<h1 class=…>`, not `<head>` for `<h`.
        if lower[after_name..]
            .chars()
            .next()
            .is_some_and(|c| c == '>' || c.is_whitespace())
        {
            let content_start = after_name + lower[after_name..].find('>')? + 1;
            let close = format!("</{tag}");
            let end = content_start + lower[content_start..].find(&close)?;
            let text = visible_text(&html[content_start..end]);
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            return (!text.is_empty()).then_some(text);
        }
        from = after_name;
    }
    None
}

/// The text of HTML without its tags.
pub(crate) fn visible_text(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Known meanings of server words (bodies, close reasons, status texts).
/// Phrases observed on real servers: node `ws` apps, Action Cable
/// ("Request origin not allowed"), Django Channels' origin validator,
/// Socket.IO/Engine.IO ("Unsupported protocol version"), OAuth 2
/// (`invalid_token`), nginx/HAProxy/Envoy upstream errors.
pub(crate) fn meaning_of(text: &str) -> Option<Meaning> {
    let t = text.to_ascii_lowercase();
    PHRASES
        .iter()
        .find(|(meaning, words)| {
            words.iter().any(|w| t.contains(w))
                // "certificate expired" is TLS, not a token.
                && !(*meaning == Meaning::TokenExpired && t.contains("certificate"))
        })
        .map(|(meaning, _)| *meaning)
}

/// Phrases → meaning, lowercase, first match wins (so "Invalid or expired
/// token" is expired, and an origin refusal that says "forbidden" is about
/// the origin).
pub(crate) const PHRASES: &[(Meaning, &[&str])] = &[
    (
        Meaning::OriginRefused,
        &[
            "origin not allowed",
            "not an accepted origin",
            "origin is not allowed",
            "invalid origin",
            "origin forbidden",
            "bad origin",
            "origin mismatch",
            "cross-origin",
            "disallowed origin",
            "origin check failed",
            "origin rejected",
            // python `websockets`' own refusals (observed, 17.x):
            // "Failed to open a WebSocket connection: missing Origin header."
            // and "…: invalid Origin header: https://x." (above).
            "missing origin",
            "no origin header",
            "origin header is missing",
            "origin required",
        ],
    ),
    (Meaning::TokenExpired, &["expired", "token_expired"]),
    (
        Meaning::TokenInvalid,
        &[
            "invalid token",
            "invalid_token",
            "token invalid",
            "token is invalid",
            "bad token",
            "unauthorized",
            "unauthorised",
            "not authenticated",
            "authentication failed",
            "authentication credentials",
            "invalid credentials",
            "access denied",
            "permission denied",
            "forbidden",
            "invalid api key",
            "missing token",
            "no token",
            "token required",
        ],
    ),
    (
        Meaning::RateLimited,
        &[
            "too many",
            "rate limit",
            "ratelimit",
            "rate-limit",
            "throttl",
            "slow down",
            "retry later",
        ],
    ),
    (
        Meaning::UnsupportedProtocol,
        &[
            "unsupported protocol",
            "protocol version",
            "unsupported version",
            "version not supported",
            "sec-websocket-version",
            "subprotocol",
            "sec-websocket-protocol",
            "transport unknown",
            "unsupported websocket version",
            "bad handshake method",
        ],
    ),
    (
        Meaning::UpstreamUnavailable,
        &[
            "no healthy upstream",
            "no server is available",
            "upstream connect error",
            "bad gateway",
            "service unavailable",
            "temporarily unavailable",
            "upstream",
            "gateway time",
        ],
    ),
    (
        Meaning::NotFound,
        &[
            "not found",
            "page not found",
            "cannot get",
            "no route",
            "does not exist",
            "doesn't exist",
        ],
    ),
];

#[cfg(test)]
mod tests;
