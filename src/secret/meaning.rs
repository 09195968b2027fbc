//! Secrets recognised by meaning rather than by value: URL query
//! parameters named like credentials, URL userinfo, and the values of
//! credential headers (in `Name: value` text or as a JSON key), whatever
//! the value is.
//!
//! This catches what no configured secret names: a token pasted into an
//! endpoint URL for another user, a `Set-Cookie` a server answered with, a
//! presigned URL in a `Location`. Values already redacted (holding `…`)
//! and placeholders (`{token}`) are left as they are, so scrubbing twice
//! changes nothing.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::redact_value;

/// Query parameter names that hold credentials, lower case
/// (OAuth 2.0 `access_token`, RFC 6750 §2.3; AWS/Azure presigned URLs'
/// `signature`/`sig`; common `api_key` spellings; session ids).
const SECRET_PARAMS: &[&str] = &[
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "auth",
    "jwt",
    "key",
    "api_key",
    "apikey",
    "api-key",
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "client_secret",
    "session",
    "sessionid",
    "session_id",
    "signature",
    "sig",
    "code",
    "ticket",
];

/// Suffixes that make any parameter or header name a credential
/// (`x-amz-security-token`, `x-api-key`, `client_secret`…).
const SECRET_SUFFIXES: &[&str] = &[
    "_token",
    "-token",
    "_key",
    "-key",
    "_secret",
    "-secret",
    "password",
    "-signature",
    "_signature",
    "apikey",
];

/// Whether a URL query parameter (any case) holds a credential.
pub(crate) fn is_secret_param(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_PARAMS.contains(&lower.as_str()) || SECRET_SUFFIXES.iter().any(|s| lower.ends_with(s))
}

/// Whether an HTTP header's value is a credential: `Authorization`,
/// `Proxy-Authorization`, `Cookie`, `Set-Cookie`, and `*-Token`, `*-Key`,
/// `*-Secret` (but not `Sec-WebSocket-Key`, a public nonce of RFC 6455 §4.1).
pub(crate) fn is_secret_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower == "sec-websocket-key" {
        return false;
    }
    matches!(
        lower.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie" | "x-api-key"
    ) || SECRET_SUFFIXES.iter().any(|s| lower.ends_with(s))
}

/// The parts of a credential header's value worth scrubbing wherever
/// they appear later: the credential after an auth scheme (`Bearer X` →
/// `X`), each cookie's value, else the whole value.
pub(crate) fn header_credentials(name: &str, value: &str) -> Vec<String> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with("cookie") {
        return cookie_pairs(value)
            .filter(|(_, v)| !v.is_empty())
            .map(|(_, v)| v.to_string())
            .collect();
    }
    if lower.ends_with("authorization")
        && let Some((scheme, rest)) = value.trim().split_once(' ')
        && is_scheme_word(scheme)
    {
        return vec![rest.trim().to_string()];
    }
    vec![value.trim().to_string()]
}

/// A credential header's value as shown: the auth scheme and cookie names
/// stay, the credentials become short prefixes.
pub(crate) fn shown_header_value(name: &str, value: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with("cookie") {
        let attributes = lower == "set-cookie";
        return cookie_pairs(value)
            .enumerate()
            .map(|(i, (k, v))| {
                // Set-Cookie attributes (Path, Expires…) after the first
                // pair are not secret.
                if (attributes && i > 0) || already_shown(v) {
                    if v.is_empty() && !value.contains(&format!("{k}=")) {
                        k.to_string()
                    } else {
                        format!("{k}={v}")
                    }
                } else {
                    format!("{k}={}", redact_value(v))
                }
            })
            .collect::<Vec<_>>()
            .join("; ");
    }
    if let Some((scheme, rest)) = value.trim().split_once(' ')
        && is_scheme_word(scheme)
    {
        return format!("{scheme} {}", shown_value(rest.trim()));
    }
    shown_value(value.trim())
}

/// `Bearer`, `Token`, `Basic`, `JWT`…: a short word of letters.
fn is_scheme_word(word: &str) -> bool {
    (2..=16).contains(&word.len()) && word.chars().all(|c| c.is_ascii_alphabetic())
}

fn cookie_pairs(value: &str) -> impl Iterator<Item = (&str, &str)> {
    value
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
}

/// Redacted already, or a `{placeholder}`: shown as it is.
fn already_shown(value: &str) -> bool {
    value.contains('…') || (value.starts_with('{') && value.ends_with('}')) || value.is_empty()
}

fn shown_value(value: &str) -> String {
    if already_shown(value) {
        value.to_string()
    } else {
        redact_value(value)
    }
}

/// `?name=value` / `&name=value` / `;name=value` in any text.
static QUERY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"([?&;])([A-Za-z0-9_.\-\[\]]{1,64})=([^&;#\s"'<>\\]*)"#).expect("query regex")
});

/// `scheme://userinfo@` in any text.
static USERINFO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b([a-z][a-z0-9+.\-]{0,15}://)([^/?#@\s"'<>\\]{1,256})@"#)
        .expect("userinfo regex")
});

/// `Authorization: value` (header lines, error messages), optionally quoted
/// as a JSON key: `"Authorization": "value"`.
static HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)\b(proxy-authorization|authorization|set-cookie|cookie|x-api-key|[a-z0-9_\-]*[_\-](?:token|key|secret|signature)|password|passwd|client_secret|access_token|refresh_token|api_key|apikey)("?\s*[:=]\s*"?)([^\r\n"\\<>]+)"#,
    )
    .expect("header regex")
});

/// A JSON string field named like a query credential: `"token": "value"`.
static JSON_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#""([A-Za-z0-9_\-]{1,64})"\s*:\s*"([^"\\]*)""#).expect("json regex")
});

/// `text` with every credential recognised by meaning replaced by its
/// short prefix.
pub(crate) fn scrub(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    // Each pass runs only when its marker character is there at all.
    if out.contains('=') {
        apply(&mut out, &QUERY, |c| {
            let (sep, name, value) = (&c[1], &c[2], &c[3]);
            (is_secret_param(name) && !already_shown(value))
                .then(|| format!("{sep}{name}={}", redact_value(value)))
        });
    }
    if out.contains("://") {
        apply(&mut out, &USERINFO, |c| {
            (!already_shown(&c[2])).then(|| format!("{}{}@", &c[1], redact_value(&c[2])))
        });
    }
    if out.contains(':') || out.contains('=') {
        apply(&mut out, &HEADER, |c| {
            let (name, value) = (&c[1], c[3].trim_end());
            let lower = name.to_ascii_lowercase();
            let trailing = &c[3][value.len()..];
            // `Authorization: Bearer <token>` names a credential, holds none.
            let scheme_only = lower.ends_with("authorization") && is_scheme_word(value.trim());
            let keep = lower == "sec-websocket-key"
                || scheme_only
                || (value.contains('…') && !lower.ends_with("cookie"));
            (!keep).then(|| {
                format!(
                    "{name}{}{}{trailing}",
                    &c[2],
                    shown_header_value(name, value)
                )
            })
        });
    }
    if out.contains('"') {
        apply(&mut out, &JSON_FIELD, |c| {
            let (name, value) = (&c[1], &c[2]);
            (is_secret_param(name) && !already_shown(value))
                .then(|| format!("\"{name}\": \"{}\"", redact_value(value)))
        });
    }
    out
}

/// Replaces the matches of `re` for which `replace` gives a text.
fn apply(out: &mut Cow<'_, str>, re: &Regex, replace: impl Fn(&Captures) -> Option<String>) {
    let replaced = re.replace_all(out, |c: &Captures| {
        replace(c).unwrap_or_else(|| c[0].to_string())
    });
    if let Cow::Owned(s) = replaced {
        *out = Cow::Owned(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_named_like_secrets_are_cut_whatever_their_value() {
        let url = "wss://h/ws/?token=5f1c2d3e4f5a6b7c8d9e&room=lobby&Access_Token=abcdefghijklmnop&sig=zz9876543210";
        let out = scrub(url);
        assert!(!out.contains("5f1c2d3e4f5a6b7c8d9e"), "{out}");
        assert!(out.contains("token=5f1c2…&room=lobby"), "{out}");
        assert!(!out.contains("abcdefghijklmnop"), "{out}");
        assert!(!out.contains("zz9876543210"), "{out}");
        // Unrelated names and placeholders stay.
        assert_eq!(scrub("?monkey=banana&room=1"), "?monkey=banana&room=1");
        assert_eq!(scrub("?token={token}"), "?token={token}");
        // Scrubbing twice changes nothing.
        assert_eq!(scrub(&out), out);
    }

    #[test]
    fn userinfo_is_cut() {
        let out = scrub("proxy http://alice:s3cr3t-passw0rd@proxy.corp:3128 refused");
        assert!(!out.contains("s3cr3t-passw0rd"), "{out}");
        assert!(out.contains("http://alice…@proxy.corp:3128"), "{out}");
    }

    #[test]
    fn credential_headers_keep_their_scheme_and_cookie_names() {
        let text = "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig\r\nCookie: sessionid=abcdef0123456789; csrftoken=0123456789abcdef\r\nX-Request-Id: 42";
        let out = scrub(text);
        assert!(out.contains("Authorization: Bearer eyJhbGci…\r\n"), "{out}");
        assert!(
            out.contains("Cookie: sessionid=abcd…; csrftoken=0123…"),
            "{out}"
        );
        assert!(out.contains("X-Request-Id: 42"), "{out}");
        let json =
            r#"{"headers": {"X-Auth-Token": "tok-0123456789", "password": "hunter2hunter2"}}"#;
        let out = scrub(json);
        assert!(!out.contains("tok-0123456789"), "{out}");
        assert!(!out.contains("hunter2hunter2"), "{out}");
        assert_eq!(scrub(&out), out);
        let out = scrub(r#"{"token": "5f1c2d3e4f5a6b7c", "user": "bob"}"#);
        assert!(!out.contains("5f1c2d3e4f5a6b7c"), "{out}");
        assert!(out.contains(r#""user": "bob""#), "{out}");
    }

    #[test]
    fn names() {
        for n in [
            "token",
            "ACCESS_TOKEN",
            "api_key",
            "X-Amz-Signature",
            "sig",
            "SessionId",
        ] {
            assert!(is_secret_param(n), "{n}");
        }
        for n in ["room", "monkey", "keys", "signal"] {
            assert!(!is_secret_param(n), "{n}");
        }
        for n in ["Authorization", "set-cookie", "X-Auth-Token", "X-API-Key"] {
            assert!(is_secret_header(n), "{n}");
        }
        assert!(!is_secret_header("Sec-WebSocket-Key"));
        assert!(!is_secret_header("Origin"));
        assert_eq!(
            header_credentials("Authorization", "Token abcdef123456"),
            ["abcdef123456"]
        );
        assert_eq!(
            header_credentials("Cookie", "a=1234; b=5678"),
            ["1234", "5678"]
        );
    }
}
