//! One engine event → one JSON line (the `tail` format, also `send`'s
//! output and the dashboard's transcripts): [`TailLine`], one variant per
//! line `type`, inside a [`Stamped`] envelope that puts `ts` and
//! `endpoint` first.
//!
//! Field names are fixed: scripts rely on them. Every line has `ts`
//! (RFC 3339, milliseconds), `endpoint` (absent for profile-wide events) and
//! `type`; `tail` and transcripts put the line's `profile` in front of
//! them ([`super::profile_tag`]). Message lines of raw endpoints are written by hand
//! ([`message_line`]): they are the hot path under a flood, and a test
//! holds them byte for byte to what serde writes for [`TailLine::Message`].

use std::borrow::Cow;
use std::time::SystemTime;

use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;

use super::{ProbeReport, TokenCheckReport};
use crate::config::{ActiveProfile, ProtocolKind};
use crate::diagnose::Diagnosis;
use crate::facts::{
    Closer, ConnectFailure, Outcome, Payload, PayloadData, ProbeResult, ProtocolEvent, SendOutcome,
    SessionEvent, StopReason,
};
use crate::model::Model;
use crate::protocol::Rule;
use crate::report::{self, millis};
use crate::served_by::Listener;
use crate::token_check::TokenCheckResult;

/// A timestamp serialized as RFC 3339 with milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct Ts(pub SystemTime);

impl Serialize for Ts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&humantime::format_rfc3339_millis(self.0))
    }
}

/// One line as written: `ts`, then `endpoint` (absent for profile-wide
/// lines: `token_check`, `probe`, `transcript`), then the line's `type` and
/// its fields.
#[derive(Debug, Serialize)]
pub struct Stamped<'a> {
    pub ts: Ts,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<&'a str>,
    #[serde(flatten)]
    pub line: TailLine<'a>,
}

/// Every kind of line, tagged by `type` (snake_case of the variant).
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TailLine<'a> {
    /// URL lint found before dialling.
    UrlWarning { warnings: &'a [String] },
    /// An attempt starts (`url` token-redacted).
    Connecting { attempt: u32, url: &'a str },
    /// The 101 came.
    Open {
        handshake_status: u16,
        latency_ms: u64,
        subprotocol: Option<&'a str>,
    },
    /// One message. A raw endpoint's: `bytes`, `encoding` (`base64` for a
    /// binary frame, else absent), `data` (written by [`message_line`]); a
    /// protocol endpoint's decoded one: `bytes`, `protocol`, `event`, `data`
    /// (the application payload, JSON), `raw` (the frame).
    Message {
        bytes: usize,
        #[serde(skip_serializing_if = "Option::is_none")]
        encoding: Option<&'static str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        protocol: Option<&'static str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        event: Option<&'a str>,
        data: MessageData<'a>,
        #[serde(skip_serializing_if = "Option::is_none")]
        raw: Option<&'a str>,
    },
    /// Messages received but dropped before they could be written.
    Dropped { count: u64 },
    /// A pong came back, `rtt_ms` to the microsecond.
    Pong { rtt_ms: f64 },
    /// wsmon sent a close frame.
    Closing { code: u16 },
    /// An attempt ended (never opened, or opened and closed), with its diagnosis.
    Closed(Box<ClosedLine<'a>>),
    /// The next attempt, after `delay_ms`.
    RetryScheduled { attempt: u32, delay_ms: u64 },
    /// The session stopped reconnecting: `reason` (and `detail`) as
    /// [`StopReason`] names it, `retrying: false` when only the user (or a
    /// newly passing token check) brings it back.
    Stopped {
        #[serde(flatten)]
        why: &'a StopReason,
        #[serde(skip_serializing_if = "Option::is_none")]
        retrying: Option<bool>,
    },
    /// The endpoint is not dialled because the profile's login failed
    /// (`reason`: `login_failed`, the login's `verdict` as its `login`
    /// line has it, and the `diagnosis` `check` gives the endpoint), right
    /// after the `login` line, for each endpoint that never dialled; once
    /// per stretch of failed logins (not again for each retry). The login
    /// is retried (every 5 minutes, sooner when the server was
    /// unreachable) and a `connecting` line follows when it succeeds.
    NotDialled {
        reason: &'static str,
        verdict: &'static str,
        diagnosis: Diagnosis,
    },
    /// What became of a text frame sent (`send`, the dashboard's composer).
    Sent {
        outcome: &'a SendOutcome,
        bytes: usize,
        data: &'a str,
    },
    /// The application protocol's handshake completed.
    Ready {
        protocol: &'static str,
        detail: &'a str,
    },
    /// The application protocol refused in-band.
    ProtocolError {
        protocol: &'static str,
        detail: &'a str,
        rule: Rule,
        diagnosis: Diagnosis,
    },
    /// A raw endpoint speaks a known protocol.
    ProtocolDetected {
        protocol: &'static str,
        evidence: &'a str,
        diagnosis: Diagnosis,
    },
    /// The process listening on the endpoint's port changed.
    ServerRestarted {
        port: u16,
        from: &'a Listener,
        to: &'a Listener,
    },
    /// Who listens on the endpoint's port (when it changed).
    ServedBy {
        port: u16,
        listening: bool,
        served_by: Option<&'a Listener>,
    },
    /// A REST token check result.
    TokenCheck(TokenCheckReport),
    /// A delivery probe result.
    Probe(ProbeReport),
    /// A login or token refresh of the profile (`[profiles.NAME.login]`).
    Login(super::LoginReport),
    /// The Django doctor's reading (`django_project`), once at start:
    /// `project`, `healthy`, `findings` (`severity`, `code`, `endpoint`,
    /// `summary`, `fixes`) and `endpoints` (each path's `route` and
    /// `consumer`, or the `nearest` route).
    Django {
        project: &'a str,
        healthy: bool,
        findings: &'a [crate::facts::django::Finding],
        endpoints: &'a [crate::facts::django::EndpointRoute],
    },
    /// An open socket silent for longer than its `expect_message_within`
    /// (once per stretch of silence).
    Silent {
        silent_for_ms: u64,
        /// The newest message ever (`null`: none since it opened).
        last_message_at: Option<Ts>,
        expected_within_ms: u64,
        summary: String,
    },
    /// The header line of a dashboard transcript (`e`).
    Transcript {
        profile: &'a str,
        endpoint: &'a str,
        url: &'a str,
        messages_received: u64,
        messages_not_kept: u64,
        wsmon: &'static str,
    },
}

/// A message's `data`: the frame's text (or base64), or a protocol's
/// decoded payload.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum MessageData<'a> {
    Text(Cow<'a, str>),
    Json(&'a Value),
}

/// The fields of a `closed` line.
#[derive(Debug, Serialize)]
pub struct ClosedLine<'a> {
    pub attempt: u32,
    /// As a browser's `CloseEvent.code` (1006 for an attempt that never opened).
    pub code: u16,
    pub handshake_status: Option<u16>,
    pub answered_by: Option<String>,
    pub diagnosis: Diagnosis,
    /// With the model: the process listening on the port (`null` when
    /// unknown); absent without it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub served_by: Option<Option<&'a Listener>>,
    #[serde(flatten)]
    pub end: ClosedEnd<'a>,
}

/// How a `closed` attempt ended: its close, or the failure to open.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ClosedEnd<'a> {
    Closed {
        reason: &'a str,
        clean: bool,
        by: Closer,
        open_for_ms: u64,
        note: Option<&'a str>,
    },
    Failed {
        /// Always empty (kept so every `closed` line has it).
        reason: &'static str,
        clean: bool,
        /// Always `null`.
        by: Option<Closer>,
        failure: &'a ConnectFailure,
    },
}

impl<'a> TailLine<'a> {
    /// The line at `ts`, of `endpoint` (`None`: profile-wide).
    pub fn at(self, ts: SystemTime, endpoint: Option<&'a str>) -> Stamped<'a> {
        Stamped {
            ts: Ts(ts),
            endpoint,
            line: self,
        }
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
pub(crate) fn message_line(out: &mut Vec<u8>, endpoint: &str, payload: &Payload) {
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

// `n % 10` is a digit: the cast cannot truncate (and the hot path keeps
// no check for it).
#[allow(clippy::cast_possible_truncation)]
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
// `ms` is under 1000, so each of its digits fits a `u8`.
#[allow(clippy::cast_possible_truncation)]
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
/// that have no line (messages are written by [`message_line`]). With the
/// endpoint's history in `model` (which has already applied `event`), a
/// `closed` line's diagnosis is led by the pattern across attempts
/// (`diagnosis.pattern`).
pub(crate) fn session_line_in(
    out: &mut Vec<u8>,
    profile: &ActiveProfile,
    endpoint: usize,
    event: &SessionEvent,
    token_check: Option<&TokenCheckResult>,
    model: Option<&Model>,
) {
    if let Some(line) = session_event_line(profile, endpoint, event, token_check, model) {
        push_line(out, &line);
    }
}

/// The line of a non-message session event (see [`session_line_in`]), or
/// `None` for events that have no line.
pub(crate) fn session_event_line<'a>(
    profile: &'a ActiveProfile,
    endpoint: usize,
    event: &'a SessionEvent,
    token_check: Option<&TokenCheckResult>,
    model: Option<&'a Model>,
) -> Option<Stamped<'a>> {
    let ep = profile.endpoints.get(endpoint)?;
    let name = Some(ep.name.as_str());
    Some(match event {
        // Who listens gets a line when it changes (a new pid after another
        // one: `server_restarted`); it is read into the closed line's
        // diagnosis and `served_by` too.
        SessionEvent::ServedBy(found) => {
            let session = model.and_then(|m| m.sessions.get(endpoint))?;
            match session.restart.as_ref().filter(|r| r.seen == found.at) {
                Some(r) => TailLine::ServerRestarted {
                    port: found.port,
                    from: &r.from,
                    to: &r.to,
                },
                None if session.served_by_changed == Some(found.at) => TailLine::ServedBy {
                    port: found.port,
                    listening: found.listening,
                    served_by: found.listener.as_ref(),
                },
                None => return None,
            }
            .at(found.at, name)
        }
        SessionEvent::Messages(batch) => {
            if batch.dropped == 0 {
                return None;
            }
            TailLine::Dropped {
                count: batch.dropped,
            }
            .at(SystemTime::now(), name)
        }
        SessionEvent::Connecting { attempt, at } => TailLine::Connecting {
            attempt: *attempt,
            url: &ep.shown_url,
        }
        .at(*at, name),
        SessionEvent::Open { at, handshake } => TailLine::Open {
            handshake_status: handshake.status,
            latency_ms: millis(handshake.latency),
            subprotocol: handshake.subprotocol.as_deref(),
        }
        .at(*at, name),
        SessionEvent::Rtt(rtt) => {
            // Microsecond precision is all a loopback RTT needs.
            let rtt_ms = (rtt.as_secs_f64() * 1_000_000.0).round() / 1000.0;
            TailLine::Pong { rtt_ms }.at(SystemTime::now(), name)
        }
        SessionEvent::Closing { at, code } => TailLine::Closing { code: *code }.at(*at, name),
        SessionEvent::Closed(record) => {
            let single = report::diagnosis(profile, ep, record, token_check);
            let pattern = model.and_then(|m| report::pattern_of(profile, m, endpoint, record));
            let mut diagnosis = single.led_by(pattern);
            if let Some(m) = model {
                diagnosis = report::with_server_side(diagnosis, m, endpoint, record);
            }
            let end = match &record.outcome {
                Outcome::Closed { close, open_for } => ClosedEnd::Closed {
                    reason: &close.reason,
                    clean: close.clean,
                    by: close.by,
                    open_for_ms: millis(*open_for),
                    note: close.note.as_deref(),
                },
                Outcome::Failed(failure) => ClosedEnd::Failed {
                    reason: "",
                    clean: false,
                    by: None,
                    failure,
                },
            };
            TailLine::Closed(Box::new(ClosedLine {
                attempt: record.attempt,
                code: record.browser_close_code(),
                handshake_status: record.handshake_status(),
                answered_by: diagnosis.answered_by.clone(),
                diagnosis,
                served_by: model.map(|m| report::served_by(m, endpoint)),
                end,
            }))
            .at(record.ended, name)
        }
        SessionEvent::RetryScheduled { attempt, delay, at } => TailLine::RetryScheduled {
            attempt: *attempt,
            delay_ms: millis(*delay),
        }
        .at(*at, name),
        SessionEvent::Sent { at, text, outcome } => TailLine::Sent {
            outcome,
            bytes: text.len(),
            data: text,
        }
        .at(*at, name),
        SessionEvent::Protocol(p) => protocol_line(p)?.at(p.at()?, name),
        SessionEvent::Stopped { why, at } => TailLine::Stopped {
            why,
            retrying: matches!(
                why,
                StopReason::AuthRejected { .. } | StopReason::Refused { .. }
            )
            .then_some(false),
        }
        .at(*at, name),
    })
}

/// The line of a protocol event: `ready` (`protocol`, `detail`),
/// `protocol_error` (`protocol`, `detail`, `rule`, `diagnosis`) or
/// `protocol_detected` (`protocol`, `evidence`, `diagnosis`); keepalives
/// have no line (they are counted, never shown).
fn protocol_line(event: &ProtocolEvent) -> Option<TailLine<'_>> {
    Some(match event {
        ProtocolEvent::Ready {
            protocol, detail, ..
        } => TailLine::Ready {
            protocol: protocol.as_str(),
            detail,
        },
        ProtocolEvent::Refused {
            protocol,
            detail,
            rule,
            ..
        } => TailLine::ProtocolError {
            protocol: protocol.as_str(),
            detail,
            rule: *rule,
            diagnosis: crate::diagnose::protocol::refusal(*protocol, detail, *rule),
        },
        ProtocolEvent::Detected {
            protocol, evidence, ..
        } => TailLine::ProtocolDetected {
            protocol: protocol.as_str(),
            evidence,
            diagnosis: crate::diagnose::protocol::detected(*protocol, evidence),
        },
        ProtocolEvent::Keepalive => return None,
    })
}

/// The line of one message of a protocol endpoint: as [`message_line`]
/// plus the decoded `event` and the application payload as `data` (JSON);
/// `raw` keeps the frame. A frame that does not decode is written as
/// [`message_line`] writes it.
pub(crate) fn protocol_message_line(
    out: &mut Vec<u8>,
    endpoint: &str,
    kind: ProtocolKind,
    payload: &Payload,
) {
    let decoded = match &payload.data {
        PayloadData::Text(text) => crate::protocol::decode::decode(kind, text.as_str()),
        PayloadData::Binary(_) => None,
    };
    let (Some(decoded), PayloadData::Text(text)) = (decoded, &payload.data) else {
        return message_line(out, endpoint, payload);
    };
    let line = TailLine::Message {
        bytes: payload.len(),
        encoding: None,
        protocol: Some(kind.as_str()),
        event: Some(&decoded.event),
        data: MessageData::Json(&decoded.data),
        raw: Some(text.as_str()),
    };
    push_line(out, &line.at(payload.at, Some(endpoint)));
}

/// The line listing URL warnings found before dialling (`type`: `url_warning`).
pub(crate) fn url_warning_line(out: &mut Vec<u8>, endpoint: &str, warnings: &[String]) {
    let line = TailLine::UrlWarning { warnings };
    push_line(out, &line.at(SystemTime::now(), Some(endpoint)));
}

/// The line of a token check result.
pub(crate) fn token_check_line(out: &mut Vec<u8>, result: &TokenCheckResult) {
    let line = TailLine::TokenCheck(TokenCheckReport::from(result));
    push_line(out, &line.at(result.at, None));
}

/// The line of a login or token refresh (`type`: `login`).
pub(crate) fn login_line(out: &mut Vec<u8>, result: &crate::session::login::LoginResult) {
    let line = TailLine::Login(super::LoginReport::from(result));
    push_line(out, &line.at(result.at, None));
}

/// The lines of the endpoints a failed `login` keeps from dialling
/// (`type`: `not_dialled`, see [`TailLine::NotDialled`]), one each, for
/// the sessions [`Model::not_dialled`] names; nothing when the login
/// succeeded.
pub(crate) fn not_dialled_lines(out: &mut Vec<u8>, profile: &ActiveProfile, model: &Model) {
    let Some(login) = model.login_failed() else {
        return;
    };
    let Some(diagnosis) = crate::diagnose::login::not_dialled(login) else {
        return;
    };
    for index in model.not_dialled() {
        let Some(endpoint) = profile.endpoints.get(index) else {
            continue;
        };
        let line = TailLine::NotDialled {
            reason: "login_failed",
            verdict: login.verdict.as_str(),
            diagnosis: diagnosis.clone(),
        };
        push_line(out, &line.at(login.at, Some(&endpoint.name)));
    }
}

/// A failed probe's line with what the Django doctor says about it
/// (`doctor`: `summary`, `fixes`).
pub(crate) fn probe_line_explained(
    out: &mut Vec<u8>,
    profile: &ActiveProfile,
    result: &ProbeResult,
    finding: Option<crate::diagnose::server_side::Finding>,
) {
    let line = TailLine::Probe(ProbeReport::new(profile, result).with_doctor(finding));
    push_line(out, &line.at(result.sent_at, None));
}

/// The line of the Django doctor's reading (`type`: `django`).
pub(crate) fn django_line(out: &mut Vec<u8>, doctor: &crate::facts::django::Doctor) {
    let line = TailLine::Django {
        project: &doctor.project,
        healthy: doctor.healthy,
        findings: &doctor.findings,
        endpoints: &doctor.endpoints,
    };
    push_line(out, &line.at(SystemTime::now(), None));
}

/// The line of an open socket silent for too long (`type`: `silent`).
pub(crate) fn silent_line(
    out: &mut Vec<u8>,
    endpoint: &str,
    silence: &crate::model::expect::Silence,
) {
    let line = TailLine::Silent {
        silent_for_ms: millis(silence.quiet),
        last_message_at: silence.last_message_at.map(Ts),
        expected_within_ms: millis(silence.expected_within),
        summary: silence.describe(),
    };
    push_line(out, &line.at(SystemTime::now(), Some(endpoint)));
}

/// Appends one line (any [`Serialize`], usually a [`Stamped`]), made
/// terminal-safe, with its newline.
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

    /// The line as serde writes [`TailLine::Message`]: what `message_line`
    /// must match.
    fn reference(endpoint: &str, payload: &Payload) -> Vec<u8> {
        let (encoding, data) = match &payload.data {
            PayloadData::Text(t) => (None, Cow::Borrowed(t.as_str())),
            PayloadData::Binary(b) => (
                Some("base64"),
                Cow::Owned(base64::engine::general_purpose::STANDARD.encode(b)),
            ),
        };
        let line = TailLine::Message {
            bytes: payload.len(),
            encoding,
            protocol: None,
            event: None,
            data: MessageData::Text(data),
            raw: None,
        };
        let mut out = Vec::new();
        push_line(&mut out, &line.at(payload.at, Some(endpoint)));
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
