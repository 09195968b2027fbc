//! `wsmon profiles`: what the profiles file says, profile by profile, in
//! file order.
//!
//! This only reads the validated [`Config`]: it never runs a
//! `token_command` or reads a `token_env` variable, an inline token is
//! shown only in its redacted form, and a secret command only by its
//! program ([`super::SecretCommand`]). URL templates and header values go
//! through the profile's [`Redactor`] too (the inline token by value,
//! secret-named query parameters, userinfo and credential headers by
//! meaning), in case a token was pasted into them literally.

use std::fmt::Write;
use std::time::Duration;

use super::template::server_base;
use super::{Config, EndpointTemplate, Profile, TokenSource};
use crate::secret::Redactor;

/// The text of `wsmon profiles`.
pub(crate) fn describe(config: &Config) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Profiles in {} (* = default, used without --profile):",
        config.source.display()
    );
    for profile in &config.profiles {
        out.push('\n');
        describe_profile(&mut out, profile, profile.name == config.default_profile);
    }
    if !config.warnings.is_empty() {
        out.push_str("\nWarnings:\n");
        for warning in &config.warnings {
            let _ = writeln!(out, "  {warning}");
        }
    }
    out
}

fn describe_profile(out: &mut String, profile: &Profile, is_default: bool) {
    let redactor = match &profile.token {
        TokenSource::Inline(secret) => Redactor::new([secret]),
        _ => Redactor::default(),
    };
    let mark = if is_default { '*' } else { ' ' };
    let _ = write!(out, "{mark} {}", profile.name);
    if let Some(description) = &profile.description {
        let _ = write!(out, "  {description}");
    }
    out.push('\n');
    let row = |out: &mut String, label: &str, value: &str| {
        let line = format!("    {label:<13}{value}");
        let _ = writeln!(out, "{}", line.trim_end());
    };
    row(out, "server", &server_base(&profile.server));
    let token = match &profile.token {
        TokenSource::None => "none".to_string(),
        TokenSource::Inline(secret) => format!("inline {}", secret.redacted()),
        TokenSource::Env(name) => format!("env {name}"),
        TokenSource::Command(command) => format!("command {command}"),
    };
    match &profile.login {
        // Said, not done: no variable read, no command run, no request.
        Some(login) => {
            row(out, "login", &login.describe(&profile.server));
            let auth = match login.kind {
                super::login::LoginKind::DjangoSession => {
                    "Cookie: sessionid=<from the login> (and the site's Origin)".to_string()
                }
                _ => format!(
                    "Authorization: {} <token from the login>",
                    profile.auth_scheme
                ),
            };
            row(out, "auth", &auth);
        }
        None => {
            row(out, "token", &token);
            row(
                out,
                "auth",
                &format!("Authorization: {} <token>", profile.auth_scheme),
            );
        }
    }
    row(
        out,
        "token check",
        profile.token_check.as_deref().unwrap_or("none"),
    );
    if let Some(probe) = &profile.probe {
        let text = format!(
            "{} {} every {}, timeout {}",
            probe.method,
            probe.path,
            humantime::format_duration(probe.every),
            humantime::format_duration(probe.timeout)
        );
        row(out, "probe", &text);
        if !probe.isolation.is_empty() {
            let text = format!(
                "must not reach {} (run live beside it)",
                probe.isolation.join(", ")
            );
            row(out, "isolation", &text);
        }
    }
    let tls = &profile.tls;
    if tls.insecure {
        row(out, "tls", "INSECURE: certificates are not verified");
    } else if tls.ca_file.is_some() || tls.client_cert.is_some() {
        let mut parts = Vec::new();
        if let Some(ca) = &tls.ca_file {
            parts.push(format!("trusts {}", ca.display()));
        }
        if let Some(cert) = &tls.client_cert {
            parts.push(format!("client certificate {}", cert.display()));
        }
        row(out, "tls", &parts.join(", "));
    }
    if let Some(proxy) = &profile.proxy {
        row(out, "proxy", &redactor.redact(proxy.expose()));
    }
    let s = &profile.settings;
    let heartbeat = match s.heartbeat {
        super::HeartbeatMode::Ping => format!("ping every {}", human(s.ping_interval)),
        super::HeartbeatMode::Browser => "no pings (browser mode)".to_string(),
    };
    let settings = format!(
        "connect timeout {}, {heartbeat}, pong timeout {}, reconnect {} to {}",
        human(s.connect_timeout),
        human(s.pong_timeout),
        human(s.reconnect_min),
        human(s.reconnect_max),
    );
    row(out, "settings", &settings);
    if !profile.close_codes.is_empty() {
        let codes: Vec<String> = (profile.close_codes.iter())
            .map(|(code, name)| format!("{code} {name}"))
            .collect();
        row(out, "close codes", &codes.join(", "));
    }
    if profile.endpoints.is_empty() {
        row(out, "endpoints", "none");
    } else {
        row(out, "endpoints", "");
        let width = profile
            .endpoints
            .iter()
            .map(|e| e.name.len())
            .max()
            .unwrap_or(0);
        for endpoint in &profile.endpoints {
            describe_endpoint(out, endpoint, width, &redactor);
        }
    }
}

fn describe_endpoint(out: &mut String, e: &EndpointTemplate, width: usize, redactor: &Redactor) {
    let _ = writeln!(out, "      {:<width$}  {}", e.name, redactor.redact(&e.url));
    let indent = " ".repeat(width + 8);
    for (name, value) in &e.headers {
        let value = redactor.redact_header(name, value);
        let _ = writeln!(out, "{indent}header {name}: {value}");
    }
    if e.protocol.kind != crate::config::ProtocolKind::Raw {
        let _ = writeln!(out, "{indent}protocol {}", e.protocol.kind.as_str());
    }
    if !e.protocol.on_open.is_empty() {
        let _ = writeln!(out, "{indent}on_open {} step(s)", e.protocol.on_open.len());
    }
    if !e.subprotocols.is_empty() {
        let _ = writeln!(out, "{indent}subprotocols {}", e.subprotocols.join(", "));
    }
    if let Some(mode) = e.heartbeat {
        let _ = writeln!(out, "{indent}heartbeat {}", mode.as_str());
    }
}

fn human(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::validate::parse;
    use crate::secret::Secret;
    use std::path::Path;

    #[test]
    fn the_example_file_parses_cleanly_and_lists() {
        let text = include_str!("../../profiles.example.toml");
        let config = parse(Path::new("profiles.example.toml"), text).unwrap();
        assert!(config.warnings.is_empty(), "{:?}", config.warnings);
        let names: Vec<&str> = config.profiles.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "local-sandra",
                "local-ci",
                "staging",
                "prod-jwt",
                "protocols",
                "local-omar",
                "service"
            ]
        );
        let protocols = config.profile(Some("protocols")).unwrap();
        let kinds: Vec<&str> = (protocols.endpoints.iter())
            .map(|e| e.protocol.kind.as_str())
            .collect();
        assert_eq!(
            kinds,
            ["raw", "socketio", "actioncable", "stomp", "raw"],
            "the shared notifications endpoint first"
        );
        assert_eq!(protocols.endpoints[4].protocol.on_open.len(), 1);
        assert_eq!(config.default_profile, "local-sandra");
        let sandra = config.profile(None).unwrap();
        let endpoints: Vec<&str> = sandra.endpoints.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(endpoints, ["notifications", "orders"]);
        let ci = config.profile(Some("local-ci")).unwrap();
        assert_eq!(ci.settings.ping_interval, Duration::from_secs(5));
        assert_eq!(ci.settings.connect_timeout, Duration::from_secs(10));
        let staging = config.profile(Some("staging")).unwrap();
        assert_eq!(
            staging.close_codes[&4001],
            "session replaced by a newer login"
        );
        assert_eq!(staging.close_codes[&4003], "not allowed to subscribe");
        let jwt = config.profile(Some("prod-jwt")).unwrap();
        assert_eq!(jwt.auth_scheme, "Bearer");
        let active = jwt
            .activate_with(Some(Secret::new("eyJhbGciOi.payload.sig")))
            .unwrap();
        assert_eq!(
            active.endpoints[1].url.as_str(),
            "wss://api.example.com/graphql"
        );
        assert_eq!(
            active.endpoints[1].heartbeat,
            super::super::HeartbeatMode::Ping
        );
        assert_eq!(active.endpoints[2].name, "graphql-as-browser");
        assert_eq!(
            active.endpoints[2].heartbeat,
            super::super::HeartbeatMode::Browser
        );
        assert_eq!(
            active.token_check.unwrap().as_str(),
            "https://api.example.com/api/me/"
        );
        let listed = describe(&config);
        assert!(
            listed.contains("* local-sandra  Investor account"),
            "{listed}"
        );
        assert!(!listed.contains("aec8e0e9a0b3"), "{listed}");
        assert!(
            listed.contains("POST /api/notifications/ every 1m, timeout 5s"),
            "{listed}"
        );
    }

    const TOKEN: &str = "aec8e0e9a0b3d8637b8926a5adffb44e487330ec";

    #[test]
    fn lists_profiles_in_file_order_with_the_default_marked() {
        let text = format!(
            r#"default_profile = "b"
[[endpoints]]
name = "notifications"
url = "{{ws}}/ws/notifications/?token={{token}}"
headers = {{ Authorization = "Bearer {TOKEN}", Origin = "{{server}}" }}
[profiles.b]
description = "second"
server = "http://127.0.0.1:8000"
token = "{TOKEN}"
[profiles.a]
server = "https://api.example.com"
token_command = ["pass", "show", "a"]
auth_scheme = "Bearer"
token_check = "/api/me/"
[profiles.a.settings]
ping_interval = "5s"
"#
        );
        let config = parse(Path::new("p.toml"), &text).unwrap();
        let out = describe(&config);
        assert!(!out.contains(TOKEN), "{out}");
        assert!(!out.contains(&TOKEN[..12]), "{out}");
        let b = out.find("* b  second").unwrap();
        let a = out.find("  a\n").unwrap();
        assert!(b < a, "{out}");
        assert!(out.contains("token        inline aec8e0e9a0…"), "{out}");
        assert!(
            out.contains("token        command pass (arguments hidden)"),
            "{out}"
        );
        assert!(out.contains("Authorization: Bearer <token>"), "{out}");
        assert!(out.contains("token check  /api/me/"), "{out}");
        assert!(out.contains("ping every 5s"), "{out}");
        assert!(
            out.contains("notifications  {ws}/ws/notifications/?token={token}"),
            "{out}"
        );
        assert!(out.contains("header Origin: {server}"), "{out}");
    }
}
