//! The profiles file that `wsmon demo` hands to wsmon: one profile per kind
//! of user the demo knows, each commented with what the tester will see.
//!
//! The text is written by hand rather than serialized so that it keeps its
//! comments and reads like an example a user could copy for their own hub.

use std::fmt::Write as _;

use super::sockets::ORDERS_CLOSE_CODE;
use super::{INACTIVE_TOKEN, OMAR_TOKEN, SANDRA_TOKEN, UNKNOWN_TOKEN};

/// One profile of the generated file.
struct DemoProfile {
    name: &'static str,
    /// Comment lines above the profile: what happens when it is used.
    comment: &'static [&'static str],
    description: &'static str,
    token: &'static str,
    /// Adds the orders endpoint to the shared notifications one.
    orders: bool,
    /// Adds the Socket.IO endpoint (protocol = "socketio").
    socketio: bool,
}

const PROFILES: [DemoProfile; 5] = [
    DemoProfile {
        name: "demo-sandra",
        comment: &[
            "Sandra is an active user. Notifications stream in every 1-2 s; now and",
            "then the server drops the connection without a close frame (1006) and",
            "wsmon reconnects. Her orders feed closes with 4000 after ~15 s.",
        ],
        description: "Active user: live notifications, random 1006 drops, orders closing with 4000",
        token: SANDRA_TOKEN,
        orders: true,
        socketio: false,
    },
    DemoProfile {
        name: "demo-omar",
        comment: &[
            "Omar is another active user, notifications only: a healthy socket,",
            "interrupted now and then by a drop without a close frame (1006).",
        ],
        description: "Active user: live notifications with occasional 1006 drops",
        token: OMAR_TOKEN,
        orders: false,
        socketio: false,
    },
    DemoProfile {
        name: "demo-socketio",
        comment: &[
            "Sandra again, with a Socket.IO v4 hub too: wsmon speaks Engine.IO on it",
            "(answers its pings, connects the namespace with the token as auth), so",
            "the session is OPEN·READY and events arrive by name.",
        ],
        description: "Active user: a Socket.IO session (ready, events by name) beside the notifications socket",
        token: SANDRA_TOKEN,
        orders: false,
        socketio: true,
    },
    DemoProfile {
        name: "demo-inactive",
        comment: &[
            "Victor's account is deactivated. The socket is refused with HTTP 403",
            "before it opens; the REST token check says \"User inactive or deleted.\"",
        ],
        description: "Deactivated user: socket refused with 403, token check says inactive",
        token: INACTIVE_TOKEN,
        orders: false,
        socketio: false,
    },
    DemoProfile {
        name: "demo-bad-token",
        comment: &[
            "A token nobody has (a typo, or a token that was revoked). The socket is",
            "refused with HTTP 403; the REST token check says \"Invalid token.\"",
        ],
        description: "Unknown token: socket refused with 403, token check says invalid",
        token: UNKNOWN_TOKEN,
        orders: false,
        socketio: false,
    },
];

/// A profiles file for the demo server at `base_url` (`http://127.0.0.1:PORT`).
pub fn profiles_toml(base_url: &str) -> String {
    let server = toml_string(base_url);
    let mut out = String::new();
    // `write!` into a String cannot fail; the results are ignored for that.
    let _ = write!(
        out,
        r#"# Profiles for wsmon's built-in demo server ({base_url}).
# It behaves like a Django Channels notification hub behind Daphne, with
# DRF token authentication. Switch profiles to see each kind of failure.
default_profile = "demo-sandra"

[settings]
connect_timeout = "5s"
ping_interval = "15s"
pong_timeout = "5s"
reconnect_min = "500ms"
reconnect_max = "10s"

# Application close codes this server uses, shown by name.
[close_codes]
{ORDERS_CLOSE_CODE} = "order feed rotated"

# Every profile watches the notifications socket.
[[endpoints]]
name = "notifications"
url = "{{ws}}/ws/notifications/?token={{token}}"
"#
    );
    for profile in &PROFILES {
        out.push('\n');
        for line in profile.comment {
            let _ = writeln!(out, "# {line}");
        }
        let _ = write!(
            out,
            r#"[profiles.{name}]
description = {description}
server = {server}
token = "{token}"
auth_scheme = "Token"
token_check = "/api/notifications/"
"#,
            name = profile.name,
            description = toml_string(profile.description),
            token = profile.token,
        );
        if profile.orders {
            let _ = write!(
                out,
                r#"
[[profiles.{name}.endpoints]]
name = "orders"
url = "{{ws}}/ws/orders/?token={{token}}"
"#,
                name = profile.name,
            );
        }
        if profile.socketio {
            let _ = write!(
                out,
                r#"
[[profiles.{name}.endpoints]]
name = "live"
url = "{{ws}}/socket.io/?EIO=4&transport=websocket"
protocol = "socketio"
[profiles.{name}.endpoints.socketio]
auth = '{{"token": "{{token}}"}}'
"#,
                name = profile.name,
            );
        }
        if profile.name == "demo-omar" {
            login_profile(&mut out, &server);
        }
    }
    out
}

/// A second user who logs in (DRF's obtain_auth_token shape) instead of
/// holding a token, to watch beside a token profile; written right after
/// `demo-omar`.
fn login_profile(out: &mut String, server: &str) {
    let _ = write!(
        out,
        r#"
# Omar again, logging in with his username and password instead of a
# token (the token panel shows the login). The password comes from a
# command here; a real profile would use password_env or a password
# manager (password_command = ["pass", "show", "omar"]).
[profiles.demo-omar-login]
description = "Active user who logs in (POST /api-token-auth/) for his token"
server = {server}
auth_scheme = "Token"
token_check = "/api/notifications/"

[profiles.demo-omar-login.login]
kind = "drf_token"
url = "/api-token-auth/"
username = "omar"
password_command = ["echo", "{password}"]
"#,
        password = super::login::password("omar"),
    );
}

/// A TOML basic string: quotes, backslashes and control characters escaped.
fn toml_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed() -> toml::Table {
        toml::from_str(&profiles_toml("http://127.0.0.1:40123")).expect("valid TOML")
    }

    #[test]
    fn has_the_fixed_top_level_shape() {
        let file = parsed();
        assert_eq!(file["default_profile"].as_str(), Some("demo-sandra"));
        assert_eq!(file["settings"]["ping_interval"].as_str(), Some("15s"));
        assert_eq!(file["settings"]["reconnect_min"].as_str(), Some("500ms"));
        assert_eq!(
            file["close_codes"]["4000"].as_str(),
            Some("order feed rotated")
        );
        let endpoints = file["endpoints"].as_array().expect("endpoints array");
        assert_eq!(endpoints.len(), 1);
        assert_eq!(
            endpoints[0]["url"].as_str(),
            Some("{ws}/ws/notifications/?token={token}")
        );
    }

    #[test]
    fn every_profile_points_at_the_server_with_its_token() {
        let file = parsed();
        let profiles = file["profiles"].as_table().expect("profiles table");
        // The table may be sorted (no `preserve_order`): compare as sets.
        let mut names: Vec<&str> = profiles.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "demo-bad-token",
                "demo-inactive",
                "demo-omar",
                "demo-omar-login",
                "demo-sandra",
                "demo-socketio"
            ]
        );
        for (name, profile) in profiles {
            assert_eq!(profile["server"].as_str(), Some("http://127.0.0.1:40123"));
            if let Some(login) = profile.get("login") {
                assert_eq!(login["kind"].as_str(), Some("drf_token"), "{name}");
                assert!(profile.get("token").is_none(), "{name}");
                continue;
            }
            assert_eq!(profile["auth_scheme"].as_str(), Some("Token"));
            assert_eq!(profile["token_check"].as_str(), Some("/api/notifications/"));
            let token = profile["token"].as_str().expect("token");
            assert_eq!(token.len(), 40, "{name}");
        }
        let orders = profiles["demo-sandra"]["endpoints"]
            .as_array()
            .expect("sandra's own endpoints");
        assert_eq!(orders[0]["name"].as_str(), Some("orders"));
        assert!(profiles["demo-omar"].get("endpoints").is_none());
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(toml_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(toml_string("x\u{1}"), "\"x\\u0001\"");
    }
}
