//! GraphQL subscriptions over WebSocket: the graphql-transport-ws protocol
//! (the `graphql-ws` library, subprotocol `graphql-transport-ws`) and the
//! legacy subscriptions-transport-ws (subprotocol `graphql-ws`).
//!
//! graphql-transport-ws: client `connection_init` {payload} → server
//! `connection_ack`; client `subscribe` {id, payload: {query, variables}};
//! server `next` / `error` / `complete`; `ping` ↔ `pong` either way. The
//! server closes with 4400 (bad message), 4401 (subscribe before ack),
//! 4403 (connection_init refused), 4408 (no connection_init in time),
//! 4409 (subscriber for id already exists), 4429 (too many
//! connection_init). Source: graphql-ws PROTOCOL.md; seen on graphql-ws 6.
//!
//! Legacy: `connection_init` → `connection_ack` (or `connection_error`),
//! then `ka` keepalives; client `start` {id, payload}; server `data` /
//! `error` / `complete`. Source: subscriptions-transport-ws PROTOCOL.md.

use super::{Fact, Rule, Step, auth_words, short};
use crate::config::protocol::GraphqlOptions;

/// The id of wsmon's one subscription.
pub(crate) const SUBSCRIPTION_ID: &str = "1";

/// One connection's GraphQL state.
#[derive(Debug)]
pub(crate) struct Graphql {
    options: GraphqlOptions,
    /// subscriptions-transport-ws rather than graphql-transport-ws.
    legacy: bool,
    acked: bool,
}

impl Graphql {
    pub(crate) fn new(options: GraphqlOptions, legacy: bool) -> Self {
        Graphql {
            options,
            legacy,
            acked: false,
        }
    }

    fn name(&self) -> &'static str {
        if self.legacy {
            "graphql-ws"
        } else {
            "graphql-transport-ws"
        }
    }

    /// `connection_init`, with the init payload when there is one.
    pub(crate) fn on_open(&mut self) -> Step {
        let init = match &self.options.init_payload {
            Some(p) => format!(r#"{{"type":"connection_init","payload":{p}}}"#),
            None => r#"{"type":"connection_init"}"#.to_string(),
        };
        Step {
            send: vec![init],
            ..Step::default()
        }
    }

    fn subscribe(&self) -> String {
        let kind = if self.legacy { "start" } else { "subscribe" };
        let mut payload = serde_json::json!({ "query": self.options.query });
        if let Some(v) = &self.options.variables
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(v)
        {
            payload["variables"] = v;
        }
        serde_json::json!({"id": SUBSCRIPTION_ID, "type": kind, "payload": payload}).to_string()
    }

    pub(crate) fn on_text(&mut self, text: &str) -> Step {
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(_) => return Step::deliver(),
        };
        let kind = value["type"].as_str().unwrap_or("");
        match kind {
            "connection_ack" => {
                self.acked = true;
                Step {
                    send: vec![self.subscribe()],
                    facts: vec![Fact::Ready(format!(
                        "{}: connection_ack; subscription {SUBSCRIPTION_ID} started",
                        self.name()
                    ))],
                    deliver: false,
                }
            }
            "ping" => Step::keepalive(Some(r#"{"type":"pong"}"#.into())),
            "pong" | "ka" => Step::keepalive(None),
            "next" | "data" => Step::deliver(),
            "error" | "connection_error" => {
                let payload = &value["payload"];
                let words = messages(payload);
                let rule = if kind == "connection_error" && auth_words(&words) {
                    Rule::StopAuth
                } else if kind == "connection_error" {
                    Rule::Retry
                } else {
                    // The subscription itself is refused (bad query,
                    // unknown field): reconnecting sends the same query.
                    Rule::Stop
                };
                let id = value["id"]
                    .as_str()
                    .map(|i| format!(" for subscription {i}"))
                    .unwrap_or_default();
                Step::refused(
                    format!("{} `{kind}`{id}: {}", self.name(), short(&words, 300)),
                    rule,
                )
            }
            "complete" => Step::refused(
                format!(
                    "{}: the server completed subscription {}: nothing more will arrive on this connection",
                    self.name(),
                    value["id"].as_str().unwrap_or("?")
                ),
                Rule::Retry,
            ),
            _ => Step::deliver(),
        }
    }

    /// graphql-transport-ws refusals that arrive as close codes.
    pub(crate) fn on_close(&self, code: u16) -> Option<super::Refusal> {
        if self.legacy {
            return None;
        }
        let rule = match code {
            4401 | 4403 => Rule::StopAuth,
            4400 | 4406 | 4409 => Rule::Stop,
            _ => return None,
        };
        Some(super::Refusal {
            detail: format!(
                "graphql-transport-ws close {code}: {}",
                close_meaning(code)?
            ),
            rule,
        })
    }
}

/// What a graphql-transport-ws close code means (graphql-ws PROTOCOL.md).
pub(crate) fn close_meaning(code: u16) -> Option<&'static str> {
    Some(match code {
        4400 => "bad request: the server could not parse or did not expect a message",
        4401 => "unauthorized: a subscribe was sent before the server acknowledged the connection",
        4403 => "forbidden: the server refused connection_init (its payload, usually the token)",
        4406 => "subprotocol not acceptable: the client did not offer graphql-transport-ws",
        4408 => "connection initialisation timeout: no connection_init arrived in time",
        4409 => "subscriber already exists: a subscribe reused a running id",
        4429 => "too many initialisation requests: connection_init was sent twice",
        4499 => "terminated: the client's socket was terminated",
        4500 => "internal server error in the GraphQL server",
        _ => return None,
    })
}

/// The `message`s of a GraphQL error payload (an array of errors, one
/// error, or anything else as JSON).
fn messages(payload: &serde_json::Value) -> String {
    let list: Vec<&str> = match payload {
        serde_json::Value::Array(a) => a.iter().filter_map(|e| e["message"].as_str()).collect(),
        other => other["message"].as_str().into_iter().collect(),
    };
    if list.is_empty() {
        payload.to_string()
    } else {
        list.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec(legacy: bool) -> Graphql {
        Graphql::new(
            GraphqlOptions {
                query: "subscription { n }".into(),
                variables: Some(r#"{"a":1}"#.into()),
                init_payload: Some(r#"{"token":"t"}"#.into()),
            },
            legacy,
        )
    }

    #[test]
    fn init_ack_subscribe_next() {
        let mut c = codec(false);
        assert_eq!(
            c.on_open().send,
            vec![r#"{"type":"connection_init","payload":{"token":"t"}}"#.to_string()]
        );
        let step = c.on_text(r#"{"type":"connection_ack"}"#);
        assert_eq!(
            step.send,
            vec![r#"{"id":"1","type":"subscribe","payload":{"query":"subscription { n }","variables":{"a":1}}}"#.to_string()]
        );
        assert!(matches!(&step.facts[..], [Fact::Ready(_)]));
        assert!(
            c.on_text(r#"{"id":"1","type":"next","payload":{"data":{"n":1}}}"#)
                .deliver
        );
        let ping = c.on_text(r#"{"type":"ping"}"#);
        assert_eq!(ping.send, vec![r#"{"type":"pong"}"#.to_string()]);
        assert_eq!(ping.facts, vec![Fact::Keepalive]);
    }

    #[test]
    fn legacy_starts_and_counts_ka() {
        let mut c = codec(true);
        c.on_open();
        let step = c.on_text(r#"{"type":"connection_ack"}"#);
        assert!(step.send[0].contains(r#""type":"start""#));
        assert_eq!(c.on_text(r#"{"type":"ka"}"#).facts, vec![Fact::Keepalive]);
        assert!(
            c.on_text(r#"{"type":"data","id":"1","payload":{}}"#)
                .deliver
        );
        let step =
            c.on_text(r#"{"type":"connection_error","payload":{"message":"invalid token"}}"#);
        assert!(matches!(&step.facts[..], [Fact::Refused(r)] if r.rule == Rule::StopAuth));
    }

    #[test]
    fn errors_and_close_codes_in_the_protocols_terms() {
        let mut c = codec(false);
        let step =
            c.on_text(r#"{"id":"1","type":"error","payload":[{"message":"Cannot query field"}]}"#);
        assert!(
            matches!(&step.facts[..], [Fact::Refused(r)] if r.rule == Rule::Stop && r.detail.contains("Cannot query field"))
        );
        assert_eq!(c.on_close(4403).map(|r| r.rule), Some(Rule::StopAuth));
        assert_eq!(c.on_close(4408), None, "4408 is retried");
        assert!(close_meaning(4408).is_some_and(|m| m.contains("connection_init")));
    }
}
