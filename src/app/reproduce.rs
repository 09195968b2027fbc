//! `Y`: the selected endpoint as commands to run elsewhere: a `websocat`
//! command that opens the same socket (URL, headers, subprotocols) and a
//! `curl` command for the REST token check. The token is written only when
//! the user said so; otherwise it is redacted as everywhere else.

use crate::config::{ActiveProfile, TlsOptions};

/// `text` quoted for a POSIX shell.
pub fn shell_quote(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c))
    {
        return text.to_string();
    }
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The websocat and curl commands for endpoint `index`, one per line.
pub fn commands(
    profile: &ActiveProfile,
    tls: &TlsOptions,
    index: usize,
    include_token: bool,
) -> String {
    let Some(endpoint) = profile.endpoints.get(index) else {
        return String::new();
    };
    let secret = |value: &str| -> String {
        if include_token {
            value.to_string()
        } else {
            profile.redactor.redact(value).into_owned()
        }
    };
    let mut ws = vec!["websocat".to_string()];
    let mut out_note = String::new();
    if profile.insecure {
        ws.push("-k".into());
    }
    for (name, value) in &endpoint.headers {
        ws.push("-H".into());
        ws.push(shell_quote(&format!("{name}: {}", secret(value.expose()))));
    }
    if !endpoint.subprotocols.is_empty() {
        ws.push("--protocol".into());
        ws.push(shell_quote(&endpoint.subprotocols.join(", ")));
    }
    let url = if include_token {
        endpoint.url.to_string()
    } else {
        endpoint.shown_url.clone()
    };
    if let Some(route) = profile.proxy.route(&endpoint.url) {
        // websocat reaches a SOCKS5 proxy with a flag; an HTTP proxy
        // needs its overlay syntax, so it is named instead.
        match route.kind {
            crate::proxy::ProxyKind::Socks5 { .. } => {
                ws.push("--socks5".into());
                ws.push(format!("{}:{}", route.host, route.port));
            }
            crate::proxy::ProxyKind::Http { .. } => {
                out_note = format!("# wsmon goes through the proxy {} (CONNECT)\n", route.shown);
            }
        }
    }
    ws.push(shell_quote(&url));
    let mut out = std::mem::take(&mut out_note);
    out.push_str(&ws.join(" "));
    out.push('\n');
    let Some(check) = &profile.token_check else {
        out.push_str("# this profile has no token_check URL: no curl command\n");
        return out;
    };
    let mut curl = vec!["curl".to_string(), "-i".into()];
    if let Some(route) = profile.proxy.route(check) {
        curl.push("-x".into());
        curl.push(shell_quote(&route.shown));
        if let Some((user, password)) = route.credentials() {
            let password = if include_token {
                password
            } else {
                crate::secret::redact_value(&password)
            };
            curl.push("--proxy-user".into());
            curl.push(shell_quote(&format!("{user}:{password}")));
        }
    }
    if tls.insecure {
        curl.push("-k".into());
    }
    if let Some(ca) = &tls.ca_file {
        curl.push("--cacert".into());
        curl.push(shell_quote(&ca.display().to_string()));
    }
    if let (Some(cert), Some(key)) = (&tls.client_cert, &tls.client_key) {
        curl.push("--cert".into());
        curl.push(shell_quote(&cert.display().to_string()));
        curl.push("--key".into());
        curl.push(shell_quote(&key.display().to_string()));
    }
    if let Some(token) = &profile.token {
        let shown = if include_token {
            token.expose().to_string()
        } else {
            token.redacted()
        };
        curl.push("-H".into());
        curl.push(shell_quote(&format!(
            "Authorization: {} {shown}",
            profile.auth_scheme
        )));
    }
    curl.push(shell_quote(&secret(check.as_str())));
    out.push_str(&curl.join(" "));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proxy_is_in_the_commands_its_password_only_when_asked() {
        let text = r#"[profiles.p]
server = "https://api.example.com"
token = "tok-0123456789abcdef0123"
token_check = "/api/me/"
proxy = "http://alice:pr0xy-passw0rd-99@proxy.corp:3128"
[[profiles.p.endpoints]]
name = "n"
url = "{ws}/ws/?token={token}"
"#;
        let config = crate::config::validate::parse(std::path::Path::new("p.toml"), text).unwrap();
        let profile = config.profiles[0].activate().unwrap();
        let tls = config.profiles[0].tls.clone();
        let shown = commands(&profile, &tls, 0, false);
        assert!(shown.contains("-x http://proxy.corp:3128"), "{shown}");
        assert!(shown.contains("--proxy-user 'alice:pr0x…'"), "{shown}");
        assert!(
            shown.contains("# wsmon goes through the proxy http://proxy.corp:3128"),
            "{shown}"
        );
        assert!(!shown.contains("pr0xy-passw0rd-99"), "{shown}");
        let full = commands(&profile, &tls, 0, true);
        assert!(
            full.contains("--proxy-user alice:pr0xy-passw0rd-99"),
            "{full}"
        );
    }

    #[test]
    fn quoting_survives_single_quotes() {
        assert_eq!(shell_quote("ws://h:1/x"), "ws://h:1/x");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("?token=x&y"), "'?token=x&y'");
    }
}
