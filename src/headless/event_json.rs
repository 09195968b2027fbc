//! One engine event → one JSON object (the `tail` line format).
//!
//! Field names are fixed: scripts rely on them. Every line has `ts`
//! (RFC 3339, milliseconds), `endpoint` (absent for profile-wide events) and
//! `type`. Message lines are written through a borrowed struct: they are the
//! hot path under a flood.

use std::time::SystemTime;

use base64::Engine as _;
use serde::Serialize;
use serde_json::{Value, json};

use crate::config::ActiveProfile;
use crate::report::{self, millis};
use crate::session::{
    Outcome, Payload, PayloadData, ProbeOutcome, ProbeResult, SessionEvent, StopReason,
};
use crate::token_check::TokenCheckResult;

/// A timestamp serialized as RFC 3339 with milliseconds.
pub struct Ts(pub SystemTime);

impl Serialize for Ts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&humantime::format_rfc3339_millis(self.0))
    }
}

#[derive(Serialize)]
struct MessageLine<'a> {
    ts: Ts,
    endpoint: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    bytes: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    encoding: Option<&'static str>,
    data: std::borrow::Cow<'a, str>,
}

/// Appends the JSON line of one message (with its newline) to `out`.
pub fn message_line(out: &mut Vec<u8>, endpoint: &str, payload: &Payload) {
    let (encoding, data) = match &payload.data {
        PayloadData::Text(text) => (None, std::borrow::Cow::Borrowed(text.as_str())),
        PayloadData::Binary(bytes) => (
            Some("base64"),
            std::borrow::Cow::Owned(base64::engine::general_purpose::STANDARD.encode(bytes)),
        ),
    };
    let line = MessageLine {
        ts: Ts(payload.at),
        endpoint,
        kind: "message",
        bytes: payload.len(),
        encoding,
        data,
    };
    push_line(out, &line);
}

/// Appends a line for a non-message session event, or nothing for events
/// that have no line (messages are written by [`message_line`]).
pub fn session_line(
    out: &mut Vec<u8>,
    profile: &ActiveProfile,
    endpoint: usize,
    event: &SessionEvent,
    token_check: Option<&TokenCheckResult>,
) {
    let Some(ep) = profile.endpoints.get(endpoint) else {
        return;
    };
    let name = ep.name.as_str();
    let value = match event {
        SessionEvent::Messages(batch) => {
            if batch.dropped == 0 {
                return;
            }
            json!({"ts": now(), "endpoint": name, "type": "dropped", "count": batch.dropped})
        }
        SessionEvent::Connecting { attempt, at } => {
            json!({"ts": Ts(*at), "endpoint": name, "type": "connecting", "attempt": attempt, "url": ep.shown_url})
        }
        SessionEvent::Open { at, handshake } => json!({
            "ts": Ts(*at), "endpoint": name, "type": "open",
            "handshake_status": handshake.status,
            "latency_ms": millis(handshake.latency),
            "subprotocol": handshake.subprotocol,
        }),
        SessionEvent::Rtt(rtt) => {
            // Microsecond precision is all a loopback RTT needs.
            let rtt_ms = (rtt.as_secs_f64() * 1_000_000.0).round() / 1000.0;
            json!({"ts": now(), "endpoint": name, "type": "pong", "rtt_ms": rtt_ms})
        }
        SessionEvent::Closing { at, code } => {
            json!({"ts": Ts(*at), "endpoint": name, "type": "closing", "code": code})
        }
        SessionEvent::Closed(record) => {
            let diagnosis = report::diagnosis(profile, ep, record, token_check);
            let mut value = json!({
                "ts": Ts(record.ended), "endpoint": name, "type": "closed",
                "attempt": record.attempt,
                "code": record.browser_close_code(),
                "handshake_status": record.handshake_status(),
                "diagnosis": diagnosis,
            });
            match &record.outcome {
                Outcome::Closed { close, open_for } => {
                    value["reason"] = json!(close.reason);
                    value["clean"] = json!(close.clean);
                    value["by"] = json!(close.by);
                    value["open_for_ms"] = json!(millis(*open_for));
                    value["note"] = json!(close.note);
                }
                Outcome::Failed(failure) => {
                    value["reason"] = json!("");
                    value["clean"] = json!(false);
                    value["by"] = Value::Null;
                    value["failure"] = json!(failure);
                }
            }
            value
        }
        SessionEvent::RetryScheduled { attempt, delay, at } => json!({
            "ts": Ts(*at), "endpoint": name, "type": "retry_scheduled",
            "attempt": attempt, "delay_ms": millis(*delay),
        }),
        SessionEvent::Sent { at, text, outcome } => json!({
            "ts": Ts(*at), "endpoint": name, "type": "sent",
            "outcome": outcome, "bytes": text.len(), "data": text,
        }),
        SessionEvent::Stopped { why, at } => {
            let mut value = json!({"ts": Ts(*at), "endpoint": name, "type": "stopped"});
            if let (Value::Object(map), Value::Object(why)) = (&mut value, json!(why)) {
                map.extend(why);
            }
            if matches!(why, StopReason::AuthRejected { .. }) {
                value["retrying"] = json!(false);
            }
            value
        }
    };
    push_line(out, &value);
}

/// The line listing URL warnings found before dialling (`type`: `url_warning`).
pub fn url_warning_line(out: &mut Vec<u8>, endpoint: &str, warnings: &[String]) {
    let value =
        json!({"ts": now(), "endpoint": endpoint, "type": "url_warning", "warnings": warnings});
    push_line(out, &value);
}

/// The line of a token check result.
pub fn token_check_line(out: &mut Vec<u8>, result: &TokenCheckResult) {
    push_line(out, &token_check_value(result, true));
}

/// The `token_check` object (as in `check --format json`).
pub fn token_check_value(result: &TokenCheckResult, as_event: bool) -> Value {
    let mut value = if as_event {
        json!({"ts": Ts(result.at), "type": "token_check"})
    } else {
        json!({})
    };
    if let Value::Object(map) = &mut value {
        map.insert("status".into(), json!(result.status));
        map.insert("verdict".into(), json!(result.verdict));
        map.insert("detail".into(), json!(result.detail));
        map.insert("latency_ms".into(), json!(millis(result.latency)));
        map.insert("url".into(), json!(result.url));
    }
    value
}

/// The line of a delivery probe result (`type`: `probe`).
pub fn probe_line(out: &mut Vec<u8>, profile: &ActiveProfile, result: &ProbeResult) {
    push_line(out, &probe_value(profile, result, true));
}

/// The `probe` object (as in `check --probe --format json`): `nonce`,
/// `outcome` (`delivered` / `failed`), then `latency_ms` + `endpoint`, or
/// `reason` (`rest_refused` with `status`, `socket_closed`,
/// `not_delivered`, `unreachable` with `detail`).
pub fn probe_value(profile: &ActiveProfile, result: &ProbeResult, as_event: bool) -> Value {
    let mut value = if as_event {
        json!({"ts": Ts(result.sent_at), "type": "probe"})
    } else {
        json!({"sent_at": Ts(result.sent_at)})
    };
    let Value::Object(map) = &mut value else {
        return value;
    };
    map.insert("nonce".into(), json!(result.nonce));
    match &result.outcome {
        ProbeOutcome::Delivered { latency, endpoint } => {
            map.insert("outcome".into(), json!("delivered"));
            let latency_ms = (latency.as_secs_f64() * 1_000_000.0).round() / 1000.0;
            map.insert("latency_ms".into(), json!(latency_ms));
            let name = profile.endpoints.get(*endpoint).map(|e| e.name.as_str());
            map.insert("endpoint".into(), json!(name));
        }
        ProbeOutcome::Failed { reason } => {
            map.insert("outcome".into(), json!("failed"));
            if let Value::Object(why) = json!(reason) {
                map.extend(why);
            }
            let timeout = profile.probe.as_ref().map(|p| p.timeout);
            map.insert("summary".into(), json!(reason.describe(timeout)));
        }
    }
    value
}

fn now() -> Ts {
    Ts(SystemTime::now())
}

fn push_line<T: Serialize>(out: &mut Vec<u8>, value: &T) {
    let start = out.len();
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.truncate(start);
        return;
    }
    if out[start..].iter().any(|&b| b >= 0x7f) {
        let mut line = out.split_off(start);
        crate::text_safe::json_line(&mut line);
        out.extend_from_slice(&line);
    }
    out.push(b'\n');
}
