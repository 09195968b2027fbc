//! `wsmon check`: one attempt per endpoint plus the token check, then a
//! report (text or JSON) and an exit code: 0 when every endpoint opened and
//! the token is valid, 1 otherwise.

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::event_json::token_check_value;
use crate::config::ActiveProfile;
use crate::diagnose::{Diagnosis, DiagnosisKind};
use crate::model::Model;
use crate::report::{self, millis};
use crate::session::{self, Closer, Event, LocalCause, Mode, SessionEvent, StopReason, Supervisor};
use crate::text_safe::visible;
use crate::token_check::Verdict;

/// How long an opened socket is held before closing it, by default: long
/// enough to catch a server that accepts and then closes at once.
pub const DEFAULT_HOLD: Duration = Duration::from_millis(500);

/// The whole report (`--format json` prints exactly this).
#[derive(Debug, Serialize)]
pub struct Report {
    pub profile: String,
    pub healthy: bool,
    pub token_check: Option<Value>,
    pub endpoints: Vec<EndpointReport>,
    /// With `--probe`: the delivery probe's result (see
    /// [`super::event_json::probe_value`]); `null` when none finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<Value>,
}

/// One endpoint's line of the report.
#[derive(Debug, Serialize)]
pub struct EndpointReport {
    pub name: String,
    pub url: String,
    /// `open` when the socket opened (and was closed by wsmon after the
    /// hold), `closed` otherwise.
    pub state: &'static str,
    pub ready_state: u8,
    /// The application protocol's handshake completed (Socket.IO
    /// namespace connected, graphql connection_ack, Action Cable
    /// confirm_subscription, STOMP CONNECTED, on_open expectations met);
    /// `null` for a raw endpoint without on_open steps.
    pub ready: Option<bool>,
    pub handshake_status: Option<u16>,
    pub close_code: Option<u16>,
    pub close_reason: Option<String>,
    pub latency_ms: Option<u64>,
    pub diagnosis: Diagnosis,
    /// URL lint found before dialling (missing `/ws/` prefix, token…).
    pub warnings: Vec<String>,
}

/// Runs the check and builds the report.
pub async fn run(profile: ActiveProfile, hold: Duration) -> Report {
    run_with(profile, hold, false).await
}

/// Runs the check; with `probe` (and a probe in the profile) the opened
/// sockets are held until one delivery probe, sent once every attempt has
/// opened or failed, is delivered or times out.
pub async fn run_with(profile: ActiveProfile, hold: Duration, probe: bool) -> Report {
    let (tx, mut rx) = session::channel();
    let probe_timeout = profile.probe.as_ref().filter(|_| probe).map(|p| p.timeout);
    // The sockets stay open through the probe; its result ends the hold.
    let held = match probe_timeout {
        Some(t) => hold + profile.settings.connect_timeout + t + Duration::from_secs(2),
        None => hold,
    };
    let supervisor = Supervisor::start(profile.clone(), Mode::Once { hold: held }, tx);
    let mut model = Model::new(&profile);
    let wait_for_token = profile.token_check.is_some();
    let mut probe_sent = false;
    // Every part is bounded by connect_timeout; the margin covers closing.
    let limit = profile.settings.connect_timeout * 2 + held + Duration::from_secs(3);
    let _ = tokio::time::timeout(limit, async {
        while let Some(event) = rx.recv().await {
            model.apply(&event);
            if probe_timeout.is_some() {
                // A protocol session counts once ready: before that the
                // server delivers nothing to it.
                let settled = model.sessions.iter().all(|s| {
                    let waiting = matches!(
                        s.lifecycle,
                        crate::model::Lifecycle::Idle | crate::model::Lifecycle::Connecting { .. }
                    );
                    let not_ready = s.expects_ready
                        && !s.ready
                        && matches!(s.lifecycle, crate::model::Lifecycle::Open { .. });
                    !waiting && !not_ready
                });
                if settled && !probe_sent {
                    supervisor.probe_now();
                    probe_sent = true;
                }
                if let Event::Probe(_) = event {
                    // Every socket still gets its full hold (a server that
                    // accepts and then closes is caught as without --probe).
                    tokio::time::sleep(hold).await;
                    supervisor.command_all(session::Command::EndHold);
                }
                if model.probes.is_empty() {
                    continue;
                }
            }
            let sessions_done = model
                .sessions
                .iter()
                .all(|s| matches!(s.lifecycle, crate::model::Lifecycle::Stopped { .. }));
            let token_done = !wait_for_token || model.token_check.is_some();
            if sessions_done && token_done {
                break;
            }
            if let Event::Session {
                event:
                    SessionEvent::Stopped {
                        why: StopReason::Cancelled,
                        ..
                    },
                ..
            } = event
            {
                break;
            }
        }
    })
    .await;
    drop(rx);
    supervisor.shutdown().await;
    let mut report = build(&profile, &model);
    if probe_timeout.is_some() {
        let result = model.probes.back();
        report.healthy &= result.is_some_and(|r| r.delivered());
        report.probe = Some(result.map_or(Value::Null, |r| {
            super::event_json::probe_value(&profile, r, false)
        }));
    }
    report
}

fn build(profile: &ActiveProfile, model: &Model) -> Report {
    let token_ok = model
        .token_check
        .as_ref()
        .is_none_or(|t| t.verdict == Verdict::Valid)
        && (profile.token_check.is_none() || model.token_check.is_some());
    let lint = report::url_warnings(profile);
    let endpoints: Vec<EndpointReport> = profile
        .endpoints
        .iter()
        .zip(&model.sessions)
        .zip(lint)
        .map(|((endpoint, state), warnings)| {
            let Some(record) = state.last_attempt() else {
                return EndpointReport {
                    name: endpoint.name.clone(),
                    url: endpoint.shown_url.clone(),
                    state: "closed",
                    ready_state: 3,
                    ready: state.expects_ready.then_some(false),
                    handshake_status: None,
                    close_code: None,
                    close_reason: None,
                    latency_ms: None,
                    diagnosis: Diagnosis {
                        kind: DiagnosisKind::ConnectTimeout,
                        summary: "The attempt did not finish in time.".into(),
                        fixes: vec![
                            "Raise --timeout, or check that the server answers at all.".into(),
                        ],
                    },
                    warnings,
                };
            };
            // Held open and closed by us: the socket worked. With a
            // protocol it must also have become ready, and a raw endpoint
            // that speaks a known protocol is not a working feed.
            let protocol = crate::diagnose::protocol::diagnose(endpoint, record);
            let ready = state.expects_ready.then_some(state.was_ready);
            let opened_fine = record
                .close()
                .is_some_and(|c| c.by == Closer::Client && c.cause == Some(LocalCause::CheckDone))
                && protocol.is_none()
                && ready != Some(false);
            let diagnosis = if opened_fine {
                let summary = match (&state.ready_detail, ready) {
                    (Some(detail), Some(true)) => format!(
                        "Opened (101), ready ({detail}) and stayed open; closed by wsmon with 1000 after the check."
                    ),
                    _ => "Opened (101) and stayed open; closed by wsmon with 1000 after the check."
                        .into(),
                };
                Diagnosis {
                    kind: DiagnosisKind::Ok,
                    summary,
                    fixes: vec![],
                }
            } else {
                report::diagnosis(profile, endpoint, record, model.token_check.as_ref())
            };
            EndpointReport {
                name: endpoint.name.clone(),
                url: endpoint.shown_url.clone(),
                state: if opened_fine { "open" } else { "closed" },
                ready_state: if opened_fine { 1 } else { 3 },
                ready,
                handshake_status: record.handshake_status(),
                close_code: if opened_fine {
                    None
                } else {
                    Some(record.browser_close_code())
                },
                close_reason: if opened_fine {
                    None
                } else {
                    record.close().map(|c| c.reason.clone())
                },
                latency_ms: record.handshake_latency.map(millis),
                diagnosis,
                warnings,
            }
        })
        .collect();
    let healthy = token_ok
        && endpoints
            .iter()
            .all(|e| e.state == "open" && e.ready != Some(false));
    Report {
        profile: profile.name.clone(),
        healthy,
        token_check: model
            .token_check
            .as_ref()
            .map(|t| token_check_value(t, false)),
        endpoints,
        probe: None,
    }
}

/// The report as JSON (one object, terminal-safe).
pub fn to_json(report: &Report) -> String {
    let mut out = serde_json::to_vec_pretty(report).unwrap_or_default();
    crate::text_safe::json_line(&mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// The report as text for people.
pub fn to_text(report: &Report) -> String {
    let mut out = String::new();
    let health = if report.healthy {
        "healthy"
    } else {
        "UNHEALTHY"
    };
    let _ = writeln!(out, "profile {}: {health}", report.profile);
    match &report.token_check {
        None => {
            let _ = writeln!(out, "token check: not configured (no token_check path)");
        }
        Some(t) => {
            let verdict = t["verdict"].as_str().unwrap_or("?");
            let status = t["status"]
                .as_u64()
                .map_or("no answer".to_string(), |s| format!("HTTP {s}"));
            let detail = t["detail"]
                .as_str()
                .map(|d| format!(": {}", visible(d)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "token check: {verdict} ({status}, {} ms){detail}",
                t["latency_ms"]
            );
        }
    }
    if let Some(p) = &report.probe {
        let _ = match p["outcome"].as_str() {
            Some("delivered") => writeln!(
                out,
                "probe: delivered in {} ms on {} (nonce {})",
                p["latency_ms"],
                p["endpoint"].as_str().map_or("?".into(), visible),
                p["nonce"].as_str().unwrap_or("?"),
            ),
            Some(_) => writeln!(
                out,
                "probe: FAILED, {}: {}",
                p["reason"].as_str().unwrap_or("?"),
                p["summary"].as_str().map_or("".into(), visible),
            ),
            None => writeln!(out, "probe: FAILED, no result in time"),
        };
    }
    for e in &report.endpoints {
        let mark = if e.state == "open" { "ok  " } else { "FAIL" };
        let status = e
            .handshake_status
            .map_or("-".to_string(), |s| s.to_string());
        let code = e
            .close_code
            .map(|c| format!(" close {c}"))
            .unwrap_or_default();
        let latency = e
            .latency_ms
            .map(|l| format!(" in {l} ms"))
            .unwrap_or_default();
        let ready = match e.ready {
            Some(true) => "·READY",
            Some(false) => "·NOT READY",
            None => "",
        };
        let _ = writeln!(
            out,
            "{mark} {}  readyState {} {}{ready}  HTTP {status}{latency}{code}  {}",
            e.name,
            e.ready_state,
            e.state.to_uppercase(),
            e.url
        );
        for warning in &e.warnings {
            let _ = writeln!(out, "     warning: {}", visible(warning));
        }
        if let Some(reason) = e.close_reason.as_deref().filter(|r| !r.is_empty()) {
            let _ = writeln!(out, "     reason: {}", visible(reason));
        }
        if e.diagnosis.kind != DiagnosisKind::Ok {
            let _ = writeln!(
                out,
                "     {}: {}",
                e.diagnosis.kind.as_str(),
                visible(&e.diagnosis.summary)
            );
            for fix in &e.diagnosis.fixes {
                let _ = writeln!(out, "     - {}", visible(fix));
            }
        }
    }
    out
}
