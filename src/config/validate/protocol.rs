//! Checks of an endpoint's application protocol: `protocol` is a known
//! name, the table for it is there (and no other protocol's), its JSON
//! texts parse (with `{token}` stood in for), regexes compile and
//! durations read.

use toml::Spanned;

use super::{DURATION_HELP, Validator};
use crate::config::file::RawEndpoint;
use crate::config::protocol::{
    ActionCableOptions, GraphqlOptions, ON_OPEN_WITHIN, OnOpenStep, ProtocolConfig, ProtocolKind,
    SocketIoOptions, StompOptions,
};

const PROTOCOL_HELP: &str =
    r#"one of "raw", "socketio", "graphql-transport-ws", "graphql-ws", "actioncable", "stomp""#;

/// What JSON a text must be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Json {
    Object,
    Array,
}

impl Validator<'_> {
    /// The endpoint's protocol config, and where it first uses `{token}`.
    pub(super) fn protocol(
        &mut self,
        raw: &RawEndpoint,
        profile: Option<&str>,
        field: &str,
    ) -> (ProtocolConfig, Option<(usize, String)>) {
        let mut uses_token = None;
        let kind = match &raw.protocol {
            None => ProtocolKind::Raw,
            Some(p) => match ProtocolKind::parse(p.get_ref().trim()) {
                Some(kind) => kind,
                None => {
                    let message = format!("`{}` is not a protocol wsmon speaks", p.get_ref());
                    let at = Some(p.span().start);
                    self.report(
                        at,
                        profile,
                        &format!("{field}.protocol"),
                        message,
                        PROTOCOL_HELP,
                    );
                    ProtocolKind::Raw
                }
            },
        };
        let mut config = ProtocolConfig {
            kind,
            ..ProtocolConfig::default()
        };
        // A table for another protocol than the one chosen is a slip
        // (usually a forgotten `protocol = …`): say which line is missing.
        let tables: [(&str, bool, &[ProtocolKind]); 4] = [
            (
                "socketio",
                raw.socketio.is_some(),
                &[ProtocolKind::SocketIo],
            ),
            (
                "graphql",
                raw.graphql.is_some(),
                &[ProtocolKind::GraphqlTransportWs, ProtocolKind::GraphqlWs],
            ),
            (
                "actioncable",
                raw.actioncable.is_some(),
                &[ProtocolKind::ActionCable],
            ),
            ("stomp", raw.stomp.is_some(), &[ProtocolKind::Stomp]),
        ];
        let at = Some(raw.name.span().start);
        for (table, present, kinds) in tables {
            if present && !kinds.contains(&kind) {
                let message = format!(
                    "has an [endpoints.{table}] table but protocol is \"{}\"",
                    kind.as_str()
                );
                let help = format!(
                    r#"add `protocol = "{}"` to the endpoint"#,
                    kinds[0].as_str()
                );
                self.report(at, profile, &format!("{field}.{table}"), message, &help);
            }
            if !present && kinds.contains(&kind) && kind != ProtocolKind::SocketIo {
                let message = format!(
                    "protocol \"{}\" needs an [endpoints.{table}] table",
                    kind.as_str()
                );
                let help = match table {
                    "graphql" => r#"query = "subscription { … }""#,
                    "actioncable" => r#"channel = '{"channel": "NotificationsChannel"}'"#,
                    _ => r#"destination = "/topic/notifications""#,
                };
                self.report(at, profile, &format!("{field}.{table}"), message, help);
            }
        }
        let mut track = |v: &Spanned<String>, f: &str| {
            if uses_token.is_none() && v.get_ref().contains("{token}") {
                uses_token = Some((v.span().start, f.to_string()));
            }
        };
        if let Some(s) = &raw.socketio {
            let f = format!("{field}.socketio");
            let namespace = s
                .namespace
                .as_ref()
                .map_or("/".to_string(), |n| n.get_ref().clone());
            if !namespace.starts_with('/') {
                let at = s.namespace.as_ref().map(|n| n.span().start);
                let message = format!("`{namespace}` does not start with `/`");
                self.report(
                    at,
                    profile,
                    &format!("{f}.namespace"),
                    message,
                    r#"e.g. "/" or "/admin""#,
                );
            }
            if let Some(auth) = &s.auth {
                track(auth, &format!("{f}.auth"));
                self.json(auth, Json::Object, profile, &format!("{f}.auth"));
            }
            for (i, e) in s.emit.iter().enumerate() {
                self.json(e, Json::Array, profile, &format!("{f}.emit[{i}]"));
            }
            config.socketio = Some(SocketIoOptions {
                namespace,
                auth: s.auth.as_ref().map(|a| a.get_ref().clone()),
                emit: s.emit.iter().map(|e| e.get_ref().clone()).collect(),
            });
        } else if kind == ProtocolKind::SocketIo {
            config.socketio = Some(SocketIoOptions {
                namespace: "/".into(),
                auth: None,
                emit: vec![],
            });
        }
        if let Some(g) = &raw.graphql {
            let f = format!("{field}.graphql");
            if g.query.get_ref().trim().is_empty() {
                let at = Some(g.query.span().start);
                let help = r#"a subscription, e.g. "subscription { notifications { id } }""#;
                self.report(at, profile, &format!("{f}.query"), "is empty".into(), help);
            }
            if let Some(v) = &g.variables {
                self.json(v, Json::Object, profile, &format!("{f}.variables"));
            }
            if let Some(p) = &g.init_payload {
                track(p, &format!("{f}.init_payload"));
                self.json(p, Json::Object, profile, &format!("{f}.init_payload"));
            }
            config.graphql = Some(GraphqlOptions {
                query: g.query.get_ref().clone(),
                variables: g.variables.as_ref().map(|v| v.get_ref().clone()),
                init_payload: g.init_payload.as_ref().map(|v| v.get_ref().clone()),
            });
        }
        if let Some(a) = &raw.actioncable {
            let f = format!("{field}.actioncable.channel");
            self.json(&a.channel, Json::Object, profile, &f);
            config.actioncable = Some(ActionCableOptions {
                channel: a.channel.get_ref().clone(),
            });
        }
        if let Some(s) = &raw.stomp {
            let f = format!("{field}.stomp");
            if let Some(l) = &s.login {
                track(l, &format!("{f}.login"));
            }
            if let Some(p) = &s.passcode {
                track(p, &format!("{f}.passcode"));
            }
            let heart_beat = s.heart_beat.as_ref().and_then(|h| {
                match humantime::parse_duration(h.get_ref().trim()) {
                    Ok(d) if !d.is_zero() => Some(d),
                    _ => {
                        let message = format!("`{}` is not a duration above zero", h.get_ref());
                        let at = Some(h.span().start);
                        self.report(
                            at,
                            profile,
                            &format!("{f}.heart_beat"),
                            message,
                            DURATION_HELP,
                        );
                        None
                    }
                }
            });
            config.stomp = Some(StompOptions {
                heart_beat,
                destination: s.destination.get_ref().clone(),
                login: s.login.as_ref().map(|v| v.get_ref().clone()),
                passcode: s.passcode.as_ref().map(|v| v.get_ref().clone()),
                vhost: s.vhost.as_ref().map(|v| v.get_ref().clone()),
            });
        }
        if !raw.on_open.is_empty() && kind != ProtocolKind::Raw {
            let at = Some(raw.on_open[0].send.span().start);
            let message = format!(
                "on_open steps are for raw endpoints; protocol \"{}\" sends its own",
                kind.as_str()
            );
            let help =
                "drop [[endpoints.on_open]], or use the protocol's table (e.g. socketio.emit)";
            self.report(at, profile, &format!("{field}.on_open"), message, help);
        }
        for (i, step) in raw.on_open.iter().enumerate() {
            let f = format!("{field}.on_open[{i}]");
            track(&step.send, &format!("{f}.send"));
            let expect = step
                .expect
                .as_ref()
                .and_then(|e| match regex::Regex::new(e.get_ref()) {
                    Ok(re) => Some(re),
                    Err(err) => {
                        let message = format!("is not a regular expression: {err}");
                        let help = r#"a regex matched against the reply, e.g. '"subscribed"'"#;
                        self.report(
                            Some(e.span().start),
                            profile,
                            &format!("{f}.expect"),
                            message,
                            help,
                        );
                        None
                    }
                });
            let within = match &step.within {
                None => ON_OPEN_WITHIN,
                Some(w) => match humantime::parse_duration(w.get_ref().trim()) {
                    Ok(d) if !d.is_zero() => d,
                    _ => {
                        let message = format!("`{}` is not a duration above zero", w.get_ref());
                        self.report(
                            Some(w.span().start),
                            profile,
                            &format!("{f}.within"),
                            message,
                            DURATION_HELP,
                        );
                        ON_OPEN_WITHIN
                    }
                },
            };
            config.on_open.push(OnOpenStep {
                send: step.send.get_ref().clone(),
                expect,
                within,
            });
        }
        (config, uses_token)
    }

    /// `value` must be a JSON object/array once `{token}` is filled in.
    fn json(&mut self, value: &Spanned<String>, want: Json, profile: Option<&str>, field: &str) {
        let filled = value
            .get_ref()
            .replace("{token}", "TOKEN")
            .replace("{ws}", "ws://h")
            .replace("{server}", "http://h");
        let help = match want {
            Json::Object => r#"a JSON object, e.g. '{"token": "{token}"}'"#,
            Json::Array => {
                r#"a JSON array: the event name, then its arguments, e.g. '["subscribe", "alerts"]'"#
            }
        };
        let message = match serde_json::from_str::<serde_json::Value>(&filled) {
            Err(e) => format!("is not JSON: {e}"),
            Ok(serde_json::Value::Object(_)) if want == Json::Object => return,
            Ok(serde_json::Value::Array(a))
                if want == Json::Array && a.first().is_some_and(serde_json::Value::is_string) =>
            {
                return;
            }
            Ok(_) => "is JSON of the wrong shape".to_string(),
        };
        self.report(Some(value.span().start), profile, field, message, help);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{ConfigError, ProtocolKind, validate::parse};

    fn problems(endpoint: &str) -> Vec<String> {
        let text = format!(
            "[profiles.p]\nserver = \"http://h\"\ntoken = \"t\"\n[[profiles.p.endpoints]]\nname = \"e\"\nurl = \"{{ws}}/x\"\n{endpoint}"
        );
        match parse(Path::new("t.toml"), &text) {
            Ok(_) => vec![],
            Err(ConfigError::Invalid(p)) => p
                .iter()
                .map(|p| format!("{}: {}", p.field.clone().unwrap_or_default(), p.message))
                .collect(),
            Err(e) => vec![e.to_string()],
        }
    }

    #[test]
    fn protocol_tables_are_checked() {
        assert_eq!(problems("protocol = \"socketio\""), Vec::<String>::new());
        let p = problems("protocol = \"mqtt\"");
        assert!(
            p[0].contains("endpoints[0].protocol") && p[0].contains("mqtt"),
            "{p:?}"
        );
        let p = problems("protocol = \"actioncable\"");
        assert!(
            p[0].contains("needs an [endpoints.actioncable] table"),
            "{p:?}"
        );
        let p = problems("[profiles.p.endpoints.graphql]\nquery = \"subscription { a }\"");
        assert!(p[0].contains("protocol is \"raw\""), "{p:?}");
        let p = problems(
            "protocol = \"socketio\"\n[profiles.p.endpoints.socketio]\nauth = '{\"token\": {token}'",
        );
        assert!(
            p[0].contains("socketio.auth") && p[0].contains("not JSON"),
            "{p:?}"
        );
        let p = problems(
            "protocol = \"socketio\"\n[profiles.p.endpoints.socketio]\nemit = ['{\"a\": 1}']",
        );
        assert!(p[0].contains("emit[0]"), "{p:?}");
        let p = problems("[[profiles.p.endpoints.on_open]]\nsend = \"x\"\nexpect = \"(\"");
        assert!(p[0].contains("on_open[0].expect"), "{p:?}");
    }

    #[test]
    fn json_with_the_token_fills_in_and_the_subprotocol_is_offered() {
        let text = "[profiles.p]\nserver = \"http://h\"\ntoken = \"sekret\"\n[[profiles.p.endpoints]]\nname = \"e\"\nurl = \"{ws}/graphql\"\nprotocol = \"graphql-transport-ws\"\n[profiles.p.endpoints.graphql]\nquery = \"subscription { a }\"\ninit_payload = '{\"token\": \"{token}\"}'\n";
        let config = parse(Path::new("t.toml"), text).expect("valid");
        let active = config.profiles[0].activate().expect("activate");
        let e = &active.endpoints[0];
        assert_eq!(e.protocol.kind, ProtocolKind::GraphqlTransportWs);
        assert_eq!(
            e.protocol
                .graphql
                .as_ref()
                .and_then(|g| g.init_payload.as_deref()),
            Some("{\"token\": \"sekret\"}")
        );
        assert_eq!(e.subprotocols, ["graphql-transport-ws"]);
    }

    #[test]
    fn socketio_auth_and_emit_fill_the_token() {
        let text = "[profiles.p]\nserver = \"http://h\"\ntoken = \"sekret\"\n[[profiles.p.endpoints]]\nname = \"e\"\nurl = \"{ws}/socket.io/\"\nprotocol = \"socketio\"\n[profiles.p.endpoints.socketio]\nauth = '{\"token\": \"{token}\"}'\nemit = ['[\"join\", \"{token}\"]']\n";
        let config = parse(Path::new("t.toml"), text).expect("valid");
        let active = config.profiles[0].activate().expect("activate");
        let io = active.endpoints[0]
            .protocol
            .socketio
            .clone()
            .expect("socketio");
        assert_eq!(io.auth.as_deref(), Some("{\"token\": \"sekret\"}"));
        assert_eq!(io.emit, ["[\"join\", \"sekret\"]"]);
    }
}
