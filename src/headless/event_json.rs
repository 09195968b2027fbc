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

use crate::config::{ActiveProfile, ProtocolKind};
use crate::model::Model;
use crate::report::{self, millis};
use crate::session::{
    Outcome, Payload, PayloadData, ProbeOutcome, ProbeResult, ProtocolEvent, SessionEvent,
    StopReason,
};
use crate::token_check::TokenCheckResult;

/// A timestamp serialized as RFC 3339 with milliseconds.
pub struct Ts(pub SystemTime);

impl Serialize for Ts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&humantime::format_rfc3339_millis(self.0))
    }
}

/// Appends the JSON line of one message (with its newline) to `out`.
///
/// This is the hot path under a flood, so it is written by hand, and is
/// byte for byte what serializing `{ts, endpoint, type, bytes, encoding?,
/// data}` with serde_json and [`push_line`] gives (a test holds it to
/// that): strings with nothing to escape are copied as they are, the
/// others go through serde_json; the timestamp's date and time are
/// formatted once per second.
pub fn message_line(out: &mut Vec<u8>, endpoint: &str, payload: &Payload) {
    let start = out.len();
    out.extend_from_slice(b"{\"ts\":\"");
    push_ts(out, payload.at);
    out.extend_from_slice(b"\",\"endpoint\":");
    push_str(out, endpoint);
    out.extend_from_slice(b",\"type\":\"message\",\"bytes\":");
    let mut digits = itoa_buf();
    out.extend_from_slice(format_usize(&mut digits, payload.len()));
    match &payload.data {
        PayloadData::Text(text) => {
            out.extend_from_slice(b",\"data\":");
            push_str(out, text.as_str());
        }
        PayloadData::Binary(bytes) => {
            out.extend_from_slice(b",\"encoding\":\"base64\",\"data\":\"");
            let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
            out.extend_from_slice(encoded.as_bytes());
            out.push(b'"');
        }
    }
    out.push(b'}');
    finish_line(out, start);
}

/// A JSON string: copied as is when nothing in it needs escaping (the
/// usual case), else serde_json's escaping.
fn push_str(out: &mut Vec<u8>, s: &str) {
    // No early exit, so it vectorizes.
    let escape = s.bytes().fold(false, |acc, b| {
        acc | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if escape {
        let _ = serde_json::to_writer(&mut *out, s);
    } else {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

fn itoa_buf() -> [u8; 20] {
    [0; 20]
}

fn format_usize(buf: &mut [u8; 20], mut n: usize) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

thread_local! {
    /// The last second formatted, as `YYYY-MM-DDTHH:MM:SS`.
    static TS_SECOND: std::cell::RefCell<(u64, String)> =
        const { std::cell::RefCell::new((u64::MAX, String::new())) };
}

/// RFC 3339 with milliseconds, as [`Ts`] writes it.
fn push_ts(out: &mut Vec<u8>, at: SystemTime) {
    let Ok(since) = at.duration_since(std::time::UNIX_EPOCH) else {
        out.extend_from_slice(humantime::format_rfc3339_millis(at).to_string().as_bytes());
        return;
    };
    let secs = since.as_secs();
    TS_SECOND.with_borrow_mut(|(cached, text)| {
        if *cached != secs {
            let full = humantime::format_rfc3339_seconds(at).to_string();
            // `YYYY-MM-DDTHH:MM:SSZ`: keep all but the `Z`.
            text.clear();
            text.push_str(full.trim_end_matches('Z'));
            *cached = secs;
        }
        out.extend_from_slice(text.as_bytes());
    });
    let ms = since.subsec_millis();
    out.extend_from_slice(&[
        b'.',
        b'0' + (ms / 100) as u8,
        b'0' + (ms / 10 % 10) as u8,
        b'0' + (ms % 10) as u8,
        b'Z',
    ]);
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
    session_line_in(out, profile, endpoint, event, token_check, None);
}

/// [`session_line`], with the endpoint's history in `model` (which has
/// already applied `event`): a `closed` line's diagnosis is then led by
/// the pattern across attempts (`diagnosis.pattern`).
pub fn session_line_in(
    out: &mut Vec<u8>,
    profile: &ActiveProfile,
    endpoint: usize,
    event: &SessionEvent,
    token_check: Option<&TokenCheckResult>,
    model: Option<&Model>,
) {
    let Some(ep) = profile.endpoints.get(endpoint) else {
        return;
    };
    let name = ep.name.as_str();
    let value = match event {
        // Who listens gets a line when it changes (a new pid after another
        // one: `server_restarted`); it is read into the closed line's
        // diagnosis and `served_by` too.
        SessionEvent::ServedBy(found) => {
            let Some(session) = model.and_then(|m| m.sessions.get(endpoint)) else {
                return;
            };
            match session.restart.as_ref().filter(|r| r.seen == found.at) {
                Some(r) => json!({
                    "ts": Ts(found.at), "endpoint": name, "type": "server_restarted",
                    "port": found.port, "from": r.from, "to": r.to,
                }),
                None if session.served_by_changed == Some(found.at) => json!({
                    "ts": Ts(found.at), "endpoint": name, "type": "served_by",
                    "port": found.port, "listening": found.listening,
                    "served_by": found.listener,
                }),
                None => return,
            }
        }
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
            let single = report::diagnosis(profile, ep, record, token_check);
            let pattern = model.and_then(|m| report::pattern_of(profile, m, endpoint, record));
            let mut diagnosis = single.led_by(pattern);
            if let Some(m) = model {
                diagnosis = report::with_server_side(diagnosis, m, endpoint, record);
            }
            let mut value = json!({
                "ts": Ts(record.ended), "endpoint": name, "type": "closed",
                "attempt": record.attempt,
                "code": record.browser_close_code(),
                "handshake_status": record.handshake_status(),
                "answered_by": diagnosis.answered_by,
                "diagnosis": diagnosis,
            });
            if let Some(m) = model {
                value["served_by"] = json!(report::served_by(m, endpoint));
            }
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
        SessionEvent::Protocol(p) => match protocol_value(ep, p) {
            Some(value) => value,
            None => return,
        },
        SessionEvent::Stopped { why, at } => {
            let mut value = json!({"ts": Ts(*at), "endpoint": name, "type": "stopped"});
            if let (Value::Object(map), Value::Object(why)) = (&mut value, json!(why)) {
                map.extend(why);
            }
            if matches!(
                why,
                StopReason::AuthRejected { .. } | StopReason::Refused { .. }
            ) {
                value["retrying"] = json!(false);
            }
            value
        }
    };
    push_line(out, &value);
}

/// The line of a protocol event: `ready` (`protocol`, `detail`),
/// `protocol_error` (`protocol`, `detail`, `rule`, `diagnosis`) or
/// `protocol_detected` (`protocol`, `evidence`, `diagnosis`); keepalives
/// have no line (they are counted, never shown).
fn protocol_value(ep: &crate::config::Endpoint, event: &ProtocolEvent) -> Option<Value> {
    let name = ep.name.as_str();
    Some(match event {
        ProtocolEvent::Ready {
            at,
            protocol,
            detail,
        } => json!({
            "ts": Ts(*at), "endpoint": name, "type": "ready",
            "protocol": protocol.as_str(), "detail": detail,
        }),
        ProtocolEvent::Refused {
            at,
            protocol,
            detail,
            rule,
        } => json!({
            "ts": Ts(*at), "endpoint": name, "type": "protocol_error",
            "protocol": protocol.as_str(), "detail": detail, "rule": rule,
            "diagnosis": crate::diagnose::protocol::refusal(*protocol, detail, *rule),
        }),
        ProtocolEvent::Detected {
            at,
            protocol,
            evidence,
        } => json!({
            "ts": Ts(*at), "endpoint": name, "type": "protocol_detected",
            "protocol": protocol.as_str(), "evidence": evidence,
            "diagnosis": crate::diagnose::protocol::detected(*protocol, evidence),
        }),
        ProtocolEvent::Keepalive => return None,
    })
}

/// The line of one message of a protocol endpoint: as [`message_line`]
/// plus the decoded `event` and the application payload as `data` (JSON);
/// `raw` keeps the frame. A frame that does not decode is written as
/// [`message_line`] writes it.
pub fn protocol_message_line(
    out: &mut Vec<u8>,
    endpoint: &str,
    kind: ProtocolKind,
    payload: &Payload,
) {
    let decoded = match &payload.data {
        PayloadData::Text(text) => crate::session::protocol::decode::decode(kind, text.as_str()),
        PayloadData::Binary(_) => None,
    };
    let (Some(decoded), PayloadData::Text(text)) = (decoded, &payload.data) else {
        return message_line(out, endpoint, payload);
    };
    let value = json!({
        "ts": Ts(payload.at), "endpoint": endpoint, "type": "message",
        "bytes": payload.len(), "protocol": kind.as_str(),
        "event": decoded.event, "data": decoded.data, "raw": text.as_str(),
    });
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

pub(crate) fn push_line<T: Serialize>(out: &mut Vec<u8>, value: &T) {
    let start = out.len();
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.truncate(start);
        return;
    }
    finish_line(out, start);
}

/// Escapes what a terminal must not see in the line that starts at
/// `start`, and ends it.
fn finish_line(out: &mut Vec<u8>, start: usize) {
    if out[start..].iter().fold(false, |acc, &b| acc | (b >= 0x7f)) {
        let mut line = out.split_off(start);
        crate::text_safe::json_line(&mut line);
        out.extend_from_slice(&line);
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    /// The line as serde_json writes it: what `message_line` must match.
    fn reference(endpoint: &str, payload: &Payload) -> Vec<u8> {
        #[derive(Serialize)]
        struct MessageLine<'a> {
            ts: Ts,
            endpoint: &'a str,
            #[serde(rename = "type")]
            kind: &'static str,
            bytes: usize,
            #[serde(skip_serializing_if = "Option::is_none")]
            encoding: Option<&'static str>,
            data: String,
        }
        let (encoding, data) = match &payload.data {
            PayloadData::Text(t) => (None, t.as_str().to_string()),
            PayloadData::Binary(b) => (
                Some("base64"),
                base64::engine::general_purpose::STANDARD.encode(b),
            ),
        };
        let mut out = Vec::new();
        push_line(
            &mut out,
            &MessageLine {
                ts: Ts(payload.at),
                endpoint,
                kind: "message",
                bytes: payload.len(),
                encoding,
                data,
            },
        );
        out
    }

    #[test]
    fn message_lines_match_serde_byte_for_byte() {
        let texts = [
            "",
            "plain text",
            "{\"json\": [1, 2]}",
            "back\\slash and \"quotes\"",
            "controls \u{1}\u{1b}[2J\n\t\r\u{8}\u{c}",
            "del \u{7f} c1 \u{85} bidi \u{202e} zw \u{200b} bom \u{feff}",
            "unicode é ✓ 😀",
        ];
        let times = [
            UNIX_EPOCH,
            UNIX_EPOCH + Duration::from_millis(1_764_000_000_007),
            UNIX_EPOCH + Duration::from_millis(1_764_000_000_999),
            UNIX_EPOCH + Duration::from_millis(1_764_000_001_000),
            UNIX_EPOCH + Duration::from_nanos(1_764_000_001_000_999_999),
        ];
        for endpoint in ["flood", "na\"me", "e\u{202e}vil"] {
            for at in times {
                for text in texts {
                    let payload = Payload {
                        at,
                        data: PayloadData::Text(text.into()),
                    };
                    let mut fast = b"previous line\n".to_vec();
                    message_line(&mut fast, endpoint, &payload);
                    let mut want = b"previous line\n".to_vec();
                    want.extend(reference(endpoint, &payload));
                    assert_eq!(
                        String::from_utf8_lossy(&fast),
                        String::from_utf8_lossy(&want)
                    );
                }
                let payload = Payload {
                    at,
                    data: PayloadData::Binary(vec![0, 1, 2, 0xff, 0x7f].into()),
                };
                let mut fast = Vec::new();
                message_line(&mut fast, endpoint, &payload);
                assert_eq!(fast, reference(endpoint, &payload));
            }
        }
    }
}
