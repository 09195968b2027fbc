//! `wsmon check`: one attempt per endpoint plus the token check, then a
//! report (text or JSON) and an exit code: 0 when the model's health word
//! ([`crate::model::health`]) is healthy (every endpoint opened, the token
//! valid…), 1 otherwise. `check --watch DURATION` runs the engine with
//! reconnects for that long instead and judges by the same word, so churn
//! (sessions that keep ending and reopening) exits 1.

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::event_json::token_check_value;
use crate::config::ActiveProfile;
use crate::diagnose::{Diagnosis, DiagnosisKind};
use crate::model::{Health, Model};
use crate::report::{self, millis};
use crate::session::{self, Event, LocalCause, Mode, SessionEvent, StopReason, Supervisor};
use crate::text_safe::visible;

/// The shortest hold: long enough to catch a server that accepts and
/// then closes at once.
pub const DEFAULT_HOLD: Duration = Duration::from_millis(500);

/// Timers the profile's endpoints are known to run on, from what they
/// offer: `graphql-transport-ws` servers close a socket that has not sent
/// `connection_init` within 3 s (graphql-ws' `connectionInitWaitTimeout`,
/// close 4408); Action Cable (`actioncable-v1-json`) pings every 3 s.
/// Timers announced after the 101 (Engine.IO's `pingInterval` in its open
/// packet) are for the protocol codecs to add.
pub fn known_timers(profile: &ActiveProfile) -> Vec<Duration> {
    let mut timers = Vec::new();
    for endpoint in &profile.endpoints {
        for sub in &endpoint.subprotocols {
            match sub.as_str() {
                "graphql-transport-ws" | "actioncable-v1-json" => {
                    timers.push(Duration::from_secs(3))
                }
                _ => {}
            }
        }
    }
    timers
}

/// How long an opened socket is held by default: twice the longest timer
/// the endpoints are known to run on (a protocol's keepalive or init
/// timeout, e.g. Action Cable's 3 s ping or graphql-ws' 3 s
/// `connection_init` wait, once the protocol codecs name them), so the
/// fast patterns show; never under [`DEFAULT_HOLD`].
pub fn default_hold(known_timers: impl IntoIterator<Item = Duration>) -> Duration {
    known_timers
        .into_iter()
        .map(|t| t * 2)
        .fold(DEFAULT_HOLD, Duration::max)
}

/// The whole report (`--format json` prints exactly this).
#[derive(Debug, Serialize)]
pub struct Report {
    pub profile: String,
    /// `health.word` is healthy (the exit code).
    pub healthy: bool,
    /// The model's health word and its reasons.
    pub health: Health,
    pub token_check: Option<Value>,
    /// The profile's last login or token refresh
    /// ([`super::login_json::login_value`]); absent without a login.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<Value>,
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
    /// Who answered the upgrade (`FastAPI/Starlette on uvicorn`, `Django
    /// behind nginx/1.22.1`), when the answer identifies it; the same as
    /// `diagnosis.answered_by`.
    pub answered_by: Option<String>,
    pub diagnosis: Diagnosis,
    /// URL lint found before dialling (missing `/ws/` prefix, token…).
    pub warnings: Vec<String>,
    /// The process listening on the endpoint's port (`{"pid", "command",
    /// "user"}`), for an endpoint on this machine; `null` otherwise.
    pub served_by: Option<crate::session::served_by::Listener>,
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
            // A failed login means no token check is coming.
            let login_failed = model.login.as_ref().is_some_and(|l| !l.ok());
            let token_done = !wait_for_token || model.token_check.is_some() || login_failed;
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
    // The server's log lines of the last attempt may still be on their
    // way: read on until its window (see `diagnose::server_log::AFTER`)
    // is over.
    if profile.server_log.is_some()
        && let Some(end) = (model.sessions.iter())
            .filter_map(|s| s.last_attempt())
            .map(|r| r.ended)
            .max()
    {
        let settle = (end + crate::diagnose::server_log::AFTER)
            .duration_since(std::time::SystemTime::now())
            .unwrap_or_default();
        let deadline = tokio::time::Instant::now() + settle;
        loop {
            tokio::select! {
                biased;
                _ = tokio::time::sleep_until(deadline) => break,
                event = rx.recv() => match event {
                    Some(event) => model.apply(&event),
                    None => break,
                },
            }
        }
    }
    drop(rx);
    supervisor.shutdown().await;
    let mut report = build(&profile, &model);
    if probe_timeout.is_some() {
        let result = model.probes.back();
        if result.is_none() {
            report
                .health
                .reasons
                .push("delivery probe: no result in time".into());
            report.healthy = false;
        }
        report.probe = Some(result.map_or(Value::Null, |r| {
            super::event_json::probe_value(&profile, r, false)
        }));
    }
    report
}

/// `check --watch DURATION`: the engine with reconnects for `duration`
/// (as the dashboard runs it), then the report of what happened, judged
/// by the health word at the end: a session that ended more than once in
/// the window (churn), one not open, a refused token… exit 1.
pub async fn watch(profile: ActiveProfile, duration: Duration) -> Report {
    let (tx, mut rx) = session::channel();
    let supervisor = Supervisor::start(profile.clone(), Mode::Monitor, tx);
    let mut model = Model::without_payloads(&profile);
    let deadline = tokio::time::Instant::now() + duration;
    loop {
        tokio::select! {
            biased;
            _ = tokio::time::sleep_until(deadline) => break,
            event = rx.recv() => match event {
                Some(event) => model.apply(&event),
                None => break,
            },
        }
    }
    // Judged before the sockets close: wsmon's own closes are not churn,
    // but a session must be open at the end.
    let report = build(&profile, &model);
    drop(rx);
    supervisor.shutdown().await;
    report
}

fn build(profile: &ActiveProfile, model: &Model) -> Report {
    build_at(profile, model, std::time::SystemTime::now())
}

/// The report of what `model` holds, judged at `now` by the model's
/// health word (as the dashboard, `watch` and the metrics judge).
pub fn build_at(profile: &ActiveProfile, model: &Model, now: std::time::SystemTime) -> Report {
    let lint = report::url_warnings(profile);
    let endpoints: Vec<EndpointReport> = profile
        .endpoints
        .iter()
        .zip(&model.sessions)
        .zip(lint)
        .enumerate()
        .map(|(index, ((endpoint, state), warnings))| {
            let Some(record) = state.last_attempt() else {
                if state.is_up() {
                    // --watch: open the whole time, nothing ended.
                    return EndpointReport {
                        name: endpoint.name.clone(),
                        url: endpoint.shown_url.clone(),
                        state: "open",
                        ready_state: 1,
                        ready: state
                            .expects_ready
                            .then(|| state.protocol_ready() == Some(true)),
                        handshake_status: Some(101),
                        close_code: None,
                        close_reason: None,
                        latency_ms: state.handshake.as_ref().map(|h| millis(h.latency)),
                        answered_by: None,
                        diagnosis: Diagnosis::new(
                            DiagnosisKind::Ok,
                            "Open (101) for the whole watch.".into(),
                            vec![],
                        ),
                        warnings,
                        served_by: report::served_by(model, index).cloned(),
                    };
                }
                let diagnosis = match super::login_json::not_dialled(model) {
                    Some(diagnosis) => diagnosis,
                    None => Diagnosis::new(
                        DiagnosisKind::ConnectTimeout,
                        "The attempt did not finish in time.".into(),
                        vec!["Raise --timeout, or check that the server answers at all.".into()],
                    ),
                };
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
                    answered_by: None,
                    diagnosis,
                    warnings,
                    served_by: report::served_by(model, index).cloned(),
                };
            };
            // Held open and closed by us, or open now (--watch): the socket
            // works. With a protocol it must also have become ready, and a
            // raw endpoint that speaks a known protocol is not a working feed.
            let up = state.is_up();
            let protocol = crate::diagnose::protocol::diagnose(endpoint, record);
            let ready = state
                .expects_ready
                .then(|| state.protocol_ready() == Some(true));
            let working = up && protocol.is_none() && ready != Some(false);
            let diagnosis = if working && state.ends_within(model.health_window, now) < 2 {
                let held = record
                    .close()
                    .is_some_and(|c| c.cause == Some(LocalCause::CheckDone));
                let summary = match (&state.ready_detail, ready, held) {
                    (Some(detail), Some(true), true) => format!(
                        "Opened (101), ready ({detail}) and stayed open; closed by wsmon with 1000 after the check."
                    ),
                    (Some(detail), Some(true), false) => {
                        format!("Open (101) and ready ({detail}) at the end of the watch.")
                    }
                    (_, _, true) => {
                        "Opened (101) and stayed open; closed by wsmon with 1000 after the check."
                            .into()
                    }
                    _ => "Open (101) at the end of the watch.".into(),
                };
                Diagnosis::new(DiagnosisKind::Ok, summary, vec![])
            } else {
                report::diagnosis_in(profile, model, index, record).unwrap_or_else(|| {
                    report::diagnosis(profile, endpoint, record, model.token_check.as_ref())
                })
            };
            let held = up
                && record
                    .close()
                    .is_some_and(|c| c.cause == Some(LocalCause::CheckDone));
            EndpointReport {
                name: endpoint.name.clone(),
                url: endpoint.shown_url.clone(),
                state: if up { "open" } else { "closed" },
                ready_state: if up { 1 } else { 3 },
                ready,
                handshake_status: record.handshake_status(),
                close_code: if held {
                    None
                } else {
                    Some(record.browser_close_code())
                },
                close_reason: if held {
                    None
                } else {
                    record.close().map(|c| c.reason.clone())
                },
                latency_ms: record.handshake_latency.map(millis),
                answered_by: diagnosis.answered_by.clone(),
                diagnosis,
                warnings,
                served_by: report::served_by(model, index).cloned(),
            }
        })
        .collect();
    let health = model.health(now);
    Report {
        profile: profile.name.clone(),
        healthy: health.word.is_healthy(),
        health,
        token_check: model
            .token_check
            .as_ref()
            .map(|t| token_check_value(t, false)),
        login: model
            .login
            .as_ref()
            .map(|l| super::login_json::login_value(l, false)),
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
        report.health.word.as_str().to_string()
    } else {
        let reasons: Vec<String> = report
            .health
            .reasons
            .iter()
            .map(|r| visible(r).into_owned())
            .collect();
        format!(
            "UNHEALTHY, {}: {}",
            report.health.word.as_str().to_uppercase(),
            reasons.join("; ")
        )
    };
    let _ = writeln!(out, "profile {}: {health}", report.profile);
    if let Some(login) = &report.login {
        let _ = writeln!(out, "{}", super::login_json::login_text(login));
    }
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
        let mark = match (e.state, e.diagnosis.kind) {
            ("open", DiagnosisKind::Ok) => "ok  ",
            // Open now, but it kept ending (--watch).
            ("open", _) => "WARN",
            _ => "FAIL",
        };
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
        if let Some(who) = &e.served_by {
            let _ = writeln!(
                out,
                "     served by: {}",
                visible(&crate::diagnose::server_side::describe(who))
            );
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
            if let Some(p) = &e.diagnosis.pattern {
                let ev = &p.evidence;
                let idle: Vec<String> = ev.idle_ms.iter().map(|ms| format!("{ms}")).collect();
                let _ = writeln!(
                    out,
                    "     pattern {}: {} times{}{}",
                    p.kind.as_str(),
                    ev.count,
                    ev.window_ms
                        .map(|w| format!(" in {w} ms"))
                        .unwrap_or_default(),
                    if idle.is_empty() {
                        String::new()
                    } else {
                        format!(", idle {} ms", idle.join("/"))
                    }
                );
            }
            for fix in &e.diagnosis.fixes {
                let _ = writeln!(out, "     - {}", visible(fix));
            }
            if let Some(by) = &e.answered_by {
                let _ = writeln!(out, "     answered by: {}", visible(by));
            }
            if !e.diagnosis.evidence.is_empty() {
                let _ = writeln!(out, "     evidence:");
                for fact in &e.diagnosis.evidence {
                    let _ = writeln!(out, "       · {}", visible(fact));
                }
            }
            if !e.diagnosis.server_log.is_empty() {
                let _ = writeln!(out, "     server log:");
                for line in &e.diagnosis.server_log {
                    let _ = writeln!(out, "       | {}", visible(line));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_hold_is_twice_the_longest_known_timer_and_never_under_500ms() {
        assert_eq!(default_hold([]), DEFAULT_HOLD);
        assert_eq!(default_hold([Duration::from_millis(100)]), DEFAULT_HOLD);
        assert_eq!(
            default_hold([Duration::from_secs(3), Duration::from_secs(25)]),
            Duration::from_secs(50)
        );
        let text = "[profiles.p]\nserver = \"http://h:1\"\n[[profiles.p.endpoints]]\nname = \"g\"\nurl = \"{ws}/graphql\"\nsubprotocols = [\"graphql-transport-ws\"]\n[[profiles.p.endpoints]]\nname = \"raw\"\nurl = \"{ws}/ws/\"\n";
        let config = crate::config::validate::parse(std::path::Path::new("t.toml"), text).unwrap();
        let profile = config.profiles[0].activate().unwrap();
        assert_eq!(default_hold(known_timers(&profile)), Duration::from_secs(6));
    }
}
