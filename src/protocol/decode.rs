//! A protocol message frame → its application payload and event name, for
//! `tail`/`send` message lines: the Socket.IO event name and arguments,
//! the GraphQL subscription id and `payload`, the Action Cable identifier
//! and `message`, the STOMP destination and body. Runs only for protocol
//! endpoints, at output time.

use serde_json::Value;

use super::{socketio, stomp};
use crate::config::ProtocolKind;

/// A decoded application message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decoded {
    pub event: String,
    /// The payload as JSON (a STOMP body that is not JSON: a string).
    pub data: Value,
}

/// Decodes one delivered text frame of a `kind` endpoint.
pub(crate) fn decode(kind: ProtocolKind, text: &str) -> Option<Decoded> {
    match kind {
        ProtocolKind::Raw => None,
        ProtocolKind::SocketIo => {
            let p = socketio::packet(text)?;
            let mut args = match serde_json::from_str::<Value>(p.json).ok()? {
                Value::Array(a) => a,
                _ => return None,
            };
            let event = match p.kind {
                2 | 5 if !args.is_empty() => match args.remove(0) {
                    Value::String(s) => s,
                    other => other.to_string(),
                },
                3 | 6 => "ack".into(),
                _ => return None,
            };
            let data = match args.len() {
                0 => Value::Null,
                1 => args.remove(0),
                _ => Value::Array(args),
            };
            Some(Decoded { event, data })
        }
        ProtocolKind::GraphqlTransportWs | ProtocolKind::GraphqlWs => {
            let mut v: Value = serde_json::from_str(text).ok()?;
            let event = v["id"].as_str()?.to_string();
            let mut payload = v.get_mut("payload").map(Value::take).unwrap_or(Value::Null);
            // An execution result without errors: its `data` is the payload.
            let data = match payload.as_object_mut() {
                Some(map) if map.len() == 1 && map.contains_key("data") => {
                    map.remove("data").unwrap_or(Value::Null)
                }
                _ => payload,
            };
            Some(Decoded { event, data })
        }
        ProtocolKind::ActionCable => {
            let mut v: Value = serde_json::from_str(text).ok()?;
            // The identifier is itself JSON text: name the channel.
            let identifier = v["identifier"].as_str()?.to_string();
            let event = serde_json::from_str::<Value>(&identifier)
                .ok()
                .and_then(|i| i["channel"].as_str().map(str::to_string))
                .unwrap_or(identifier);
            Some(Decoded {
                event,
                data: v.get_mut("message").map(Value::take).unwrap_or(Value::Null),
            })
        }
        ProtocolKind::Stomp => {
            let f = stomp::parse(text)?;
            let data =
                serde_json::from_str(f.body).unwrap_or_else(|_| Value::String(f.body.into()));
            Some(Decoded {
                event: f.header("destination").unwrap_or("").to_string(),
                data,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn each_protocol_names_its_event() {
        let d = decode(
            ProtocolKind::SocketIo,
            r#"42["notification",{"text":"hi"}]"#,
        )
        .unwrap();
        assert_eq!(
            (d.event.as_str(), d.data),
            ("notification", json!({"text":"hi"}))
        );
        let d = decode(ProtocolKind::SocketIo, r#"42/a,["two",1,2]"#).unwrap();
        assert_eq!(d.data, json!([1, 2]));
        let d = decode(
            ProtocolKind::GraphqlTransportWs,
            r#"{"id":"1","type":"next","payload":{"data":{"n":1}}}"#,
        )
        .unwrap();
        assert_eq!((d.event.as_str(), d.data), ("1", json!({"n":1})));
        let d = decode(
            ProtocolKind::GraphqlWs,
            r#"{"id":"1","type":"data","payload":{"data":null,"errors":[{"message":"x"}]}}"#,
        )
        .unwrap();
        assert_eq!(d.data["errors"][0]["message"], "x");
        let d = decode(
            ProtocolKind::ActionCable,
            r#"{"identifier":"{\"channel\":\"NotificationsChannel\"}","message":{"t":1}}"#,
        )
        .unwrap();
        assert_eq!(
            (d.event.as_str(), d.data),
            ("NotificationsChannel", json!({"t":1}))
        );
        let d = decode(
            ProtocolKind::Stomp,
            "MESSAGE\ndestination:/topic/n\n\nplain\0",
        )
        .unwrap();
        assert_eq!((d.event.as_str(), d.data), ("/topic/n", json!("plain")));
        assert_eq!(decode(ProtocolKind::Raw, "x"), None);
    }
}
