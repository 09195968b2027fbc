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
pub enum Shape {
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
pub enum Meaning {
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
    pub fn describe(self) -> &'static str {
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
    pub fn is_auth(self) -> bool {
        matches!(self, Meaning::TokenExpired | Meaning::TokenInvalid)
    }
}

/// The server's words, ready to quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
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
    pub fn read(headers: &[(String, String)], raw_body: &str) -> Said {
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
    pub fn of(decoded: String) -> Said {
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
    pub fn json_keys_are(&self, keys: &[&str]) -> bool {
        match &self.shape {
            Shape::Json { fields } => {
                fields.len() == keys.len() && keys.iter().all(|k| fields.iter().any(|f| f == k))
            }
            _ => false,
        }
    }

    /// Whether the decoded body contains `needle` (ASCII case-insensitive).
    pub fn contains(&self, needle: &str) -> bool {
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
pub fn decode_chunked(raw: &str) -> String {
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
pub fn visible_text(body: &str) -> String {
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
pub fn meaning_of(text: &str) -> Option<Meaning> {
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
pub const PHRASES: &[(Meaning, &[&str])] = &[
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
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn chunked_bodies_are_decoded() {
        // nginx 1.22.1 passing Django's 404 page (observed).
        let raw = "b3\r\n\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n\r\n0\r\n\r\n";
        let said = Said::read(&h(&[("Transfer-Encoding", "chunked")]), raw);
        assert!(
            said.decoded.starts_with("\n<!doctype html>"),
            "{:?}",
            said.decoded
        );
        assert!(!said.decoded.contains("b3"));
        assert_eq!(
            said.words,
            "Not Found: The requested resource was not found on this server."
        );
        assert_eq!(said.meaning, Some(Meaning::NotFound));
        assert!(matches!(said.shape, Shape::Html { title: Some(_), .. }));
        // Several chunks, one cut off.
        assert_eq!(
            decode_chunked("3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n"),
            "abcdefg"
        );
        assert_eq!(decode_chunked("3\r\nabc\r\n10\r\ndef"), "abcdef");
        // Not chunked at all.
        assert_eq!(decode_chunked("hello"), "hello");
        assert_eq!(decode_chunked("zz\r\nhello"), "zz\r\nhello");
    }

    /// One row per body shape seen on a real server: the words quoted and
    /// the meaning found.
    #[test]
    fn body_table() {
        let rows: &[(&str, &str, Option<Meaning>)] = &[
            // uvicorn + FastAPI without a WebSocket library (observed).
            (
                "{\"detail\":\"Not Found\"}",
                "Not Found",
                Some(Meaning::NotFound),
            ),
            // DRF.
            (
                "{\"detail\": \"Invalid token.\"}",
                "Invalid token.",
                Some(Meaning::TokenInvalid),
            ),
            // python websockets process_request (observed).
            (
                "{\"error\": \"invalid_token\"}\n",
                "invalid_token",
                Some(Meaning::TokenInvalid),
            ),
            (
                "Too many connections, retry later\n",
                "Too many connections, retry later",
                Some(Meaning::RateLimited),
            ),
            // node ws verifyClient (observed).
            (
                "token expired",
                "token expired",
                Some(Meaning::TokenExpired),
            ),
            (
                "Origin not allowed",
                "Origin not allowed",
                Some(Meaning::OriginRefused),
            ),
            (
                "Invalid or expired token",
                "Invalid or expired token",
                Some(Meaning::TokenExpired),
            ),
            // Action Cable / Channels wording.
            (
                "Request origin not allowed: http://x",
                "Request origin not allowed: http://x",
                Some(Meaning::OriginRefused),
            ),
            (
                "http://evil is not an accepted origin.",
                "http://evil is not an accepted origin.",
                Some(Meaning::OriginRefused),
            ),
            // Engine.IO.
            (
                "{\"code\":5,\"message\":\"Unsupported protocol version\"}",
                "Unsupported protocol version",
                Some(Meaning::UnsupportedProtocol),
            ),
            (
                "{\"code\":0,\"message\":\"Transport unknown\"}",
                "Transport unknown",
                Some(Meaning::UnsupportedProtocol),
            ),
            // OAuth 2 style.
            (
                "{\"error\":\"invalid_token\",\"error_description\":\"The access token expired\"}",
                "invalid_token: The access token expired",
                Some(Meaning::TokenExpired),
            ),
            // Envoy / HAProxy / nginx upstream errors.
            (
                "no healthy upstream",
                "no healthy upstream",
                Some(Meaning::UpstreamUnavailable),
            ),
            (
                "<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>",
                "503 Service Unavailable: No server is available to handle this request.",
                Some(Meaning::UpstreamUnavailable),
            ),
            (
                "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n",
                "502 Bad Gateway",
                Some(Meaning::UpstreamUnavailable),
            ),
            // Go net/http, Express.
            (
                "404 page not found\n",
                "404 page not found",
                Some(Meaning::NotFound),
            ),
            (
                "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot GET /ws</pre>\n</body>\n</html>\n",
                "Error: Cannot GET /ws",
                Some(Meaning::NotFound),
            ),
            // Spring Boot's JSON error.
            (
                "{\"timestamp\":\"2026-11-29T10:00:00.000+00:00\",\"status\":404,\"error\":\"Not Found\",\"path\":\"/ws\"}",
                "Not Found",
                Some(Meaning::NotFound),
            ),
            // Spring's handshake failure.
            (
                "Can \"Upgrade\" only to \"WebSocket\".",
                "Can \"Upgrade\" only to \"WebSocket\".",
                None,
            ),
            ("", "", None),
        ];
        let mut bad = Vec::new();
        for (body, words, meaning) in rows {
            let said = Said::of(body.to_string());
            if said.words != *words || said.meaning != *meaning {
                bad.push(format!(
                    "{body:?}: words {:?} meaning {:?}, want {words:?} {meaning:?}",
                    said.words, said.meaning
                ));
            }
        }
        assert!(bad.is_empty(), "\n{}", bad.join("\n"));
    }

    #[test]
    fn json_shapes_and_codes() {
        let said = Said::of("{\"code\":3,\"message\":\"Bad request\"}".into());
        assert!(said.json_keys_are(&["message", "code"]));
        assert_eq!(said.json_code.as_deref(), Some("3"));
        let said = Said::of("{\"detail\":[{\"msg\":\"field required\"}]}".into());
        assert_eq!(said.words, "field required");
    }

    #[test]
    fn hostile_bodies_are_made_safe() {
        let said = Said::of("\u{1b}[2Jgo away\u{202e}".into());
        assert!(!said.words.contains('\u{1b}') && !said.words.contains('\u{202e}'));
    }

    /// Every phrase of the table, alone and inside a sentence, means what
    /// its row says (unless an earlier row claims it: first match wins).
    #[test]
    fn every_phrase_has_its_meaning() {
        let mut bad = Vec::new();
        for (i, (meaning, words)) in PHRASES.iter().enumerate() {
            for w in *words {
                let shadowed = PHRASES[..i]
                    .iter()
                    .any(|(_, earlier)| earlier.iter().any(|e| w.contains(e)));
                if shadowed {
                    continue;
                }
                let upper = format!("Server says: {}.", w.to_uppercase());
                for text in [w.to_string(), upper] {
                    if meaning_of(&text) != Some(*meaning) {
                        bad.push(format!(
                            "{text:?}: {:?}, want {meaning:?}",
                            meaning_of(&text)
                        ));
                    }
                }
            }
        }
        assert!(bad.is_empty(), "\n{}", bad.join("\n"));
        assert_eq!(meaning_of("certificate expired"), None);
        assert_eq!(meaning_of("hello"), None);
    }
}
