//! Endpoint templates: the placeholders `{ws}`, `{server}` and `{token}`,
//! found ([`scan`], used by validation) and filled in ([`fill`],
//! [`fill_text`], used when a profile is activated). One file so that
//! `activate.rs` and `validate/` share it without importing each other.

use std::ops::Range;

use url::Url;

/// A placeholder an endpoint URL or header value may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    /// `{ws}`: the server as `ws://` or `wss://`.
    Ws,
    /// `{server}`: the REST base, without a trailing slash.
    Server,
    /// `{token}`: the profile's token.
    Token,
}

/// Placeholders found in a template, with their byte ranges.
pub type Scanned = Vec<(Range<usize>, Placeholder)>;

/// The placeholders of a template with their byte ranges, or the byte index
/// and description of the first thing that is not a valid placeholder.
pub fn scan(template: &str) -> Result<Scanned, (usize, String)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(pos) = template[from..].find(['{', '}']) {
        let at = from + pos;
        if template[at..].starts_with('}') {
            return Err((at, "`}` without a matching `{`".into()));
        }
        let Some(len) = template[at..].find('}') else {
            return Err((at, "`{` is never closed".into()));
        };
        let placeholder = match &template[at + 1..at + len] {
            "ws" => Placeholder::Ws,
            "server" => Placeholder::Server,
            "token" => Placeholder::Token,
            other => return Err((at, format!("unknown placeholder `{{{other}}}`"))),
        };
        found.push((at..at + len + 1, placeholder));
        from = at + len + 1;
    }
    Ok(found)
}

/// `{server}`: the REST base without a trailing slash.
pub(crate) fn server_base(server: &Url) -> String {
    server.as_str().trim_end_matches('/').to_string()
}

/// `{ws}`: the REST base as `ws://` / `wss://`, without a trailing slash.
pub(crate) fn ws_base(server: &Url) -> String {
    let base = server_base(server);
    if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base
    }
}

/// Fills `{ws}`, `{server}` and `{token}` in one pass, so that a token that
/// happens to contain `{ws}` is not expanded again. `token` is inserted as
/// given (the caller encodes it for its context).
pub(crate) fn fill(template: &str, server: &Url, token: Option<&str>) -> Result<String, String> {
    let placeholders = scan(template).map_err(|(_, message)| message)?;
    let mut out = String::with_capacity(template.len() + 64);
    let mut copied = 0;
    for (range, placeholder) in placeholders {
        out.push_str(&template[copied..range.start]);
        match placeholder {
            Placeholder::Ws => out.push_str(&ws_base(server)),
            Placeholder::Server => out.push_str(&server_base(server)),
            Placeholder::Token => match token {
                Some(token) => out.push_str(token),
                None => return Err("uses {token}, but the profile has no token".into()),
            },
        }
        copied = range.end;
    }
    out.push_str(&template[copied..]);
    Ok(out)
}

/// Fills `{token}`, `{ws}` and `{server}` in a protocol text (JSON, a
/// frame to send), leaving every other brace alone: unlike a URL these
/// texts are full of `{` and `}`.
pub(crate) fn fill_text(
    template: &str,
    server: &Url,
    token: Option<&str>,
) -> Result<String, String> {
    let mut out = template.replace("{ws}", &ws_base(server));
    out = out.replace("{server}", &server_base(server));
    if out.contains("{token}") {
        match token {
            Some(token) => out = out.replace("{token}", token),
            None => return Err("uses {token}, but the profile has no token".into()),
        }
    }
    Ok(out)
}
