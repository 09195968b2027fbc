//! `wsmon check`: one attempt per endpoint plus the token check, then a
//! report (text or JSON) and an exit code: 0 when the model's health word
//! ([`crate::model::health`]) is healthy (every endpoint opened, the token
//! valid…), 1 otherwise. `check --watch DURATION` runs the engine with
//! reconnects for that long instead and judges by the same word, so churn
//! (sessions that keep ending and reopening) exits 1.

use std::time::Duration;

use crate::config::ActiveProfile;
use crate::diagnose::{Diagnosis, DiagnosisKind};
use crate::model::Model;
pub use crate::output::check_report::{
    CheckReport, EndpointReport, EndpointState, to_json, to_text,
};
use crate::output::{CheckProbe, TokenCheckReport};
use crate::report::{self, millis};
use crate::session::{self, Event, LocalCause, Mode, SessionEvent, StopReason, Supervisor};

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

/// Runs the check and builds the report.
pub async fn run(profile: ActiveProfile, hold: Duration) -> CheckReport {
    run_with(profile, hold, false).await
}

/// Runs the check; with `probe` (and a probe in the profile) the opened
/// sockets are held until one delivery probe, sent once every attempt has
/// opened or failed, is delivered or times out.
pub async fn run_with(profile: ActiveProfile, hold: Duration, probe: bool) -> CheckReport {
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
        report.probe = Some(result.map(|r| CheckProbe::new(&profile, r)));
    }
    report
}

/// `check --watch DURATION`: the engine with reconnects for `duration`
/// (as the dashboard runs it), then the report of what happened, judged
/// by the health word at the end: a session that ended more than once in
/// the window (churn), one not open, a refused token… exit 1.
pub async fn watch(profile: ActiveProfile, duration: Duration) -> CheckReport {
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

fn build(profile: &ActiveProfile, model: &Model) -> CheckReport {
    build_at(profile, model, std::time::SystemTime::now())
}

/// The report of what `model` holds, judged at `now` by the model's
/// health word (as the dashboard, `watch` and the metrics judge).
pub fn build_at(profile: &ActiveProfile, model: &Model, now: std::time::SystemTime) -> CheckReport {
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
                        state: EndpointState::Open,
                        ready_state: EndpointState::Open.ready_state(),
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
                let not_dialled = model
                    .login
                    .as_ref()
                    .and_then(crate::diagnose::login::not_dialled);
                let diagnosis = match not_dialled {
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
                    state: EndpointState::Closed,
                    ready_state: EndpointState::Closed.ready_state(),
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
            let end_state = if up {
                EndpointState::Open
            } else {
                EndpointState::Closed
            };
            EndpointReport {
                name: endpoint.name.clone(),
                url: endpoint.shown_url.clone(),
                state: end_state,
                ready_state: end_state.ready_state(),
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
    CheckReport {
        profile: profile.name.clone(),
        healthy: health.word.is_healthy(),
        health,
        token_check: model.token_check.as_ref().map(TokenCheckReport::from),
        login: model.login.as_ref().map(crate::output::LoginReport::from),
        endpoints,
        probe: None,
    }
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
