//! Rails Action Cable (`actioncable-v1-json`).
//!
//! After the 101 the server sends `{"type":"welcome"}`, then
//! `{"type":"ping","message":<unix time>}` every 3 s, and nothing else
//! until the client subscribes: `{"command":"subscribe","identifier":
//! "<channel JSON as a string>"}`. The answer is `confirm_subscription` or
//! `reject_subscription`; broadcasts come as `{"identifier":…,"message":…}`.
//! A refused connection is `{"type":"disconnect","reason":"unauthorized",
//! "reconnect":false}` before the close; `server_restart` asks the client
//! to reconnect. Source: actioncable/lib/action_cable.rb INTERNAL; seen on
//! Action Cable 6.1 under puma 5.6.

use super::{Fact, Rule, Step};

/// One connection's Action Cable state.
#[derive(Debug)]
pub(crate) struct ActionCable {
    /// The identifier JSON (`{"channel": "…"}`).
    channel: String,
}

impl ActionCable {
    pub(crate) fn new(channel: String) -> Self {
        ActionCable { channel }
    }

    fn subscribe(&self) -> String {
        serde_json::json!({"command": "subscribe", "identifier": self.channel}).to_string()
    }

    pub(crate) fn on_text(&mut self, text: &str) -> Step {
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(_) => return Step::deliver(),
        };
        match value["type"].as_str() {
            Some("welcome") => Step {
                send: vec![self.subscribe()],
                ..Step::default()
            },
            Some("ping") => Step::keepalive(None),
            Some("confirm_subscription") => Step {
                facts: vec![Fact::Ready(format!(
                    "Action Cable: confirm_subscription for {}",
                    super::short(value["identifier"].as_str().unwrap_or(&self.channel), 120)
                ))],
                ..Step::default()
            },
            Some("reject_subscription") => Step::refused(
                format!(
                    "Action Cable reject_subscription for {}: the channel's `subscribed` called reject",
                    super::short(&self.channel, 120)
                ),
                Rule::StopAuth,
            ),
            Some("disconnect") => {
                let reason = value["reason"].as_str().unwrap_or("");
                let reconnect = value["reconnect"].as_bool().unwrap_or(true);
                let rule = match (reason, reconnect) {
                    (_, true) => Rule::Retry,
                    ("unauthorized", false) => Rule::StopAuth,
                    (_, false) => Rule::Stop,
                };
                Step::refused(
                    format!(
                        "Action Cable disconnect: reason {}, reconnect {reconnect}",
                        super::json_str(&super::short(reason, 80))
                    ),
                    rule,
                )
            }
            Some(_) => Step::control(),
            None if value.get("message").is_some() => Step::deliver(),
            None => Step::deliver(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welcome_subscribe_confirm_messages() {
        let mut c = ActionCable::new(r#"{"channel":"NotificationsChannel"}"#.into());
        let step = c.on_text(r#"{"type":"welcome"}"#);
        assert_eq!(
            step.send,
            vec![
                r#"{"command":"subscribe","identifier":"{\"channel\":\"NotificationsChannel\"}"}"#
                    .to_string()
            ]
        );
        assert_eq!(
            c.on_text(r#"{"type":"ping","message":1}"#).facts,
            vec![Fact::Keepalive]
        );
        assert!(matches!(
            &c.on_text(r#"{"identifier":"x","type":"confirm_subscription"}"#)
                .facts[..],
            [Fact::Ready(_)]
        ));
        let step = c.on_text(r#"{"identifier":"x","message":{"text":"hi"}}"#);
        assert!(step.deliver);
    }

    #[test]
    fn disconnect_rules_follow_reconnect() {
        let mut c = ActionCable::new("{}".into());
        let rule = |c: &mut ActionCable, t: &str| match &c.on_text(t).facts[..] {
            [Fact::Refused(r)] => r.rule,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            rule(
                &mut c,
                r#"{"type":"disconnect","reason":"unauthorized","reconnect":false}"#
            ),
            Rule::StopAuth
        );
        assert_eq!(
            rule(
                &mut c,
                r#"{"type":"disconnect","reason":"server_restart","reconnect":true}"#
            ),
            Rule::Retry
        );
        assert_eq!(
            rule(
                &mut c,
                r#"{"type":"disconnect","reason":"invalid_request","reconnect":false}"#
            ),
            Rule::Stop
        );
        assert_eq!(
            rule(&mut c, r#"{"type":"reject_subscription","identifier":"x"}"#),
            Rule::StopAuth
        );
    }
}
