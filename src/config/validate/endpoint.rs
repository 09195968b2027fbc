//! Endpoint checks: placeholders, the WebSocket scheme, headers and
//! subprotocols of one endpoint on its own, then its URL filled in for each
//! profile it is used in.

use indexmap::IndexMap;
use toml::Spanned;
use url::Url;

use super::Validator;
use crate::config::EndpointTemplate;
use crate::config::file::RawEndpoint;
use crate::config::template::fill;

pub(super) const PLACEHOLDER_HELP: &str =
    "placeholders: {ws} (the server as ws:// or wss://), {server} (the REST base), {token}";
const WS_URL_HELP: &str = r#"a ws:// or wss:// URL, usually "{ws}/path/?token={token}""#;

pub use crate::config::template::{Placeholder, Scanned, scan};

/// An endpoint checked on its own, before the profile it is used in.
pub(super) struct Prepared<'r> {
    pub(super) raw: &'r RawEndpoint,
    pub(super) template: EndpointTemplate,
    /// `endpoints[i]`.
    pub(super) field: String,
    pub(super) shared: bool,
    /// Where `{token}` is first used (offset, field), if anywhere.
    pub(super) uses_token: Option<(usize, String)>,
    /// The URL template is well-formed, so filling it in is worth trying.
    pub(super) url_ok: bool,
}

impl Validator<'_> {
    /// Checks the endpoints of one profile together (shared ones first):
    /// names unique, `{token}` only with a token source, URLs that fill in
    /// to ws/wss. Returns the profile's endpoint list.
    pub(super) fn profile_endpoints(
        &mut self,
        name: &str,
        shared: &[Prepared],
        own: &[Prepared],
        has_token: bool,
        server: Option<&Url>,
    ) -> Vec<EndpointTemplate> {
        let all: Vec<&Prepared> = shared.iter().chain(own.iter()).collect();
        for (i, ep) in all.iter().enumerate() {
            let who = if ep.shared { None } else { Some(name) };
            if let Some(first) = all[..i]
                .iter()
                .find(|e| e.template.name == ep.template.name)
            {
                let (line, _) = self.locator.line_col(first.raw.name.span().start);
                let message = format!(
                    "endpoint name `{}` is already used on line {line}",
                    ep.template.name
                );
                let help = "a name used once per profile (shared [[endpoints]] count too)";
                let at = Some(ep.raw.name.span().start);
                self.report(at, who, &format!("{}.name", ep.field), message, help);
            }
            if let (Some((at, field)), false) = (&ep.uses_token, has_token) {
                let kind = if ep.shared {
                    "shared endpoint"
                } else {
                    "endpoint"
                };
                let message = format!(
                    "{kind} `{}` uses {{token}}, but this profile has no token source",
                    ep.template.name
                );
                let help =
                    "add `token`, `token_env` or `token_command` to the profile, or drop {token}";
                self.report(Some(*at), Some(name), field, message, help);
            }
            if let (Some(server), true) = (server, ep.url_ok) {
                self.check_rendered(ep, server, who);
            }
        }
        all.iter().map(|e| e.template.clone()).collect()
    }

    /// The URL, filled in for this profile's server, must be a ws/wss URL.
    pub(super) fn check_rendered(&mut self, ep: &Prepared, server: &Url, profile: Option<&str>) {
        let at = Some(ep.raw.url.span().start);
        let field = format!("{}.url", ep.field);
        let filled = match fill(&ep.template.url, server, Some("TOKEN")) {
            Ok(filled) => filled,
            Err(message) => return self.report(at, profile, &field, message, PLACEHOLDER_HELP),
        };
        match Url::parse(&filled) {
            Err(e) => {
                let message = format!("is not a URL once filled in: {e}");
                self.report(at, profile, &field, message, WS_URL_HELP);
            }
            Ok(url) if !matches!(url.scheme(), "ws" | "wss") => {
                let message = format!("is a {}:// URL once filled in", url.scheme());
                let help = if ep.template.url.starts_with("{server}") {
                    "start with {ws} (the server as ws:// or wss://), not {server}"
                } else {
                    WS_URL_HELP
                };
                self.report(at, profile, &field, message, help);
            }
            Ok(_) => {}
        }
    }

    pub(super) fn endpoint<'r>(
        &mut self,
        raw: &'r RawEndpoint,
        index: usize,
        profile: Option<&str>,
    ) -> Prepared<'r> {
        let field = format!("endpoints[{index}]");
        let name = raw.name.get_ref().clone();
        if name.trim().is_empty() {
            let at = Some(raw.name.span().start);
            let help = r#"a short name, e.g. "notifications""#;
            self.report(
                at,
                profile,
                &format!("{field}.name"),
                "is empty".into(),
                help,
            );
        }
        let mut uses_token = None;
        let url_field = format!("{field}.url");
        let scanned = self.check_template(&raw.url, profile, &url_field);
        let mut url_ok = scanned.is_some();
        if scanned
            .into_iter()
            .flatten()
            .any(|(_, p)| p == Placeholder::Token)
        {
            uses_token = Some((raw.url.span().start, url_field.clone()));
        }
        let mut url = raw.url.get_ref().clone();
        let at = raw.url.span().start;
        // Only a scheme written literally at the start; anything else is
        // judged once filled in.
        if let Some((scheme, rest)) = url.split_once("://")
            && !scheme.is_empty()
            && (scheme.chars()).all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            let ws = match scheme.to_ascii_lowercase().as_str() {
                "ws" | "wss" => None,
                "http" => Some("ws"),
                "https" => Some("wss"),
                _ => {
                    let message = format!("{scheme}:// is not a WebSocket scheme");
                    self.report(Some(at), profile, &url_field, message, WS_URL_HELP);
                    url_ok = false;
                    None
                }
            };
            if let Some(ws) = ws {
                // A copied REST URL is an easy slip with one obvious meaning.
                let message =
                    format!("{scheme}:// is not a WebSocket scheme; using {ws}:// instead");
                self.warn(at, profile, &name, &message);
                url = format!("{ws}://{rest}");
            }
        }
        let mut headers = IndexMap::new();
        for (key, value) in &raw.headers {
            let header_field = format!("{field}.headers.{}", key.get_ref());
            let valid_name = !key.get_ref().is_empty() && key.get_ref().chars().all(is_tchar);
            if !valid_name {
                let message = format!("`{}` is not a valid header name", key.get_ref());
                let help = "letters, digits and !#$%&'*+-.^_`|~";
                self.report(
                    Some(key.span().start),
                    profile,
                    &header_field,
                    message,
                    help,
                );
            }
            if value.get_ref().chars().any(char::is_control) {
                let help = "a value without line breaks or control characters";
                let message = "contains a control character".into();
                self.report(
                    Some(value.span().start),
                    profile,
                    &header_field,
                    message,
                    help,
                );
            }
            let scanned = self.check_template(value, profile, &header_field);
            if uses_token.is_none()
                && scanned
                    .into_iter()
                    .flatten()
                    .any(|(_, p)| p == Placeholder::Token)
            {
                uses_token = Some((value.span().start, header_field));
            }
            headers.insert(key.get_ref().clone(), value.get_ref().clone());
        }
        for (j, sub) in raw.subprotocols.iter().enumerate() {
            if sub.get_ref().is_empty() || !sub.get_ref().chars().all(is_tchar) {
                let message = format!("`{}` is not a valid subprotocol name", sub.get_ref());
                let help = r#"a token such as "graphql-transport-ws""#;
                let sub_field = format!("{field}.subprotocols[{j}]");
                self.report(Some(sub.span().start), profile, &sub_field, message, help);
            }
        }
        let subprotocols = raw
            .subprotocols
            .iter()
            .map(|s| s.get_ref().clone())
            .collect();
        let heartbeat = raw.heartbeat.as_ref().and_then(|value| {
            let field = format!("{field}.heartbeat");
            self.heartbeat(value, profile, &field)
        });
        let (protocol, protocol_token) = self.protocol(raw, profile, &field);
        if uses_token.is_none() {
            uses_token = protocol_token;
        }
        let preview = self.preview_fields(raw, profile, &field);
        let expect = self.expectations(raw, profile, &field);
        let template = EndpointTemplate {
            name,
            url,
            headers,
            subprotocols,
            heartbeat,
            protocol,
            preview,
            expect,
        };
        let shared = profile.is_none();
        Prepared {
            raw,
            template,
            field,
            shared,
            uses_token,
            url_ok,
        }
    }

    /// `preview = ["title", "data.level"]`: dotted paths, no empty part.
    fn preview_fields(
        &mut self,
        raw: &RawEndpoint,
        profile: Option<&str>,
        field: &str,
    ) -> Vec<String> {
        let mut out = Vec::with_capacity(raw.preview.len());
        for (j, path) in raw.preview.iter().enumerate() {
            if path.get_ref().split('.').any(str::is_empty) {
                let message = format!("`{}` is not a field path", path.get_ref());
                let help = r#"a JSON field name, dotted for nested ones: "title", "data.level""#;
                let field = format!("{field}.preview[{j}]");
                self.report(Some(path.span().start), profile, &field, message, help);
                continue;
            }
            out.push(path.get_ref().clone());
        }
        out
    }

    /// Checks the placeholders of a URL or header template; `None` if bad.
    fn check_template(
        &mut self,
        value: &Spanned<String>,
        profile: Option<&str>,
        field: &str,
    ) -> Option<Scanned> {
        match scan(value.get_ref()) {
            Ok(found) => Some(found),
            Err((index, message)) => {
                let at = self
                    .locator
                    .inside_string(&value.span(), value.get_ref(), index);
                self.report(Some(at), profile, field, message, PLACEHOLDER_HELP);
                None
            }
        }
    }

    fn warn(&mut self, at: usize, profile: Option<&str>, endpoint: &str, message: &str) {
        let (line, column) = self.locator.line_col(at);
        let whose = profile
            .map(|p| format!("profile `{p}`, "))
            .unwrap_or_default();
        let file = self.source.display();
        (self.warnings).push(format!(
            "{file}:{line}:{column}: {whose}endpoint `{endpoint}`: {message}"
        ));
    }
}

/// A character allowed in an HTTP token (header names, subprotocols).
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_finds_placeholders_and_points_at_mistakes() {
        let found = scan("{ws}/a/?t={token}&s={server}").unwrap();
        let kinds: Vec<Placeholder> = found.iter().map(|(_, p)| *p).collect();
        assert_eq!(
            kinds,
            [Placeholder::Ws, Placeholder::Token, Placeholder::Server]
        );
        assert_eq!(found[1].0, 10..17);
        assert_eq!(scan("ws://h/").unwrap(), []);
        assert_eq!(
            scan("{ws}/{TOKEN}").unwrap_err(),
            (5, "unknown placeholder `{TOKEN}`".into())
        );
        assert_eq!(scan("{ws}/}").unwrap_err().0, 5);
        assert_eq!(
            scan("{ws}/{token").unwrap_err(),
            (5, "`{` is never closed".into())
        );
    }

    #[test]
    fn header_names_and_subprotocols_are_http_tokens() {
        assert!("Sec-WebSocket-Protocol".chars().all(is_tchar));
        assert!(!"Bad Header".chars().all(is_tchar));
        assert!(!"a:b".chars().all(is_tchar));
    }
}
