//! `wsmon check`: one attempt per endpoint plus the token check, then a
//! report (text or JSON) and an exit code: 0 when the model's health word
//! ([`crate::model::health`]) is healthy (every endpoint opened, the token
//! valid…), 1 otherwise. `check --watch DURATION` runs the engine with
//! reconnects for that long instead and judges by the same word, so churn
//! (sessions that keep ending and reopening) exits 1.

use std::time::Duration;

use crate::config::ActiveProfile;
use crate::diagnose::{Diagnosis, DiagnosisKind};
use crate::facts::{Event, LocalCause, SessionEvent, StopReason};
use crate::model::Model;
use crate::output::check_report::ExpectReport;
pub use crate::output::check_report::{
    CheckReport, EndpointReport, EndpointState, many_to_json, many_to_text, to_json, to_text,
};
use crate::output::{CheckProbe, TokenCheckReport};
use crate::report::{self, millis};
use crate::session::{self, Crew, Mode};

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
    let mut reports = run_many(vec![profile], hold, probe).await;
    reports.swap_remove(0)
}

/// [`run_with`] for several profiles live together (`--profiles a,b`):
/// one report each, in lineup order. With `probe`, each profile's probe
/// goes once every session of every profile has opened or failed (an
/// isolation probe needs the listed profiles' sockets open too).
pub async fn run_many(
    profiles: Vec<ActiveProfile>,
    hold: Duration,
    probe: bool,
) -> Vec<CheckReport> {
    let probe_timeout = (profiles.iter())
        .filter_map(|p| p.probe.as_ref().filter(|_| probe).map(|p| p.timeout))
        .max();
    let connect_timeout = (profiles.iter())
        .map(|p| p.settings.connect_timeout)
        .max()
        .unwrap_or_default();
    // The sockets stay open through the probe; its result ends the hold.
    let held = match probe_timeout {
        Some(t) => hold + connect_timeout + t + Duration::from_secs(2),
        None => hold,
    };
    let mut lineup = Lineup::start(profiles, Mode::Once { hold: held }, Model::new);
    let Lineup {
        profiles,
        models,
        rx,
        crew,
    } = &mut lineup;
    let probing: Vec<bool> = (profiles.iter())
        .map(|p| probe && p.probe.is_some())
        .collect();
    let mut probe_sent = false;
    // Every part is bounded by connect_timeout; the margin covers closing.
    let limit = connect_timeout * 2 + held + Duration::from_secs(3);
    let _ = tokio::time::timeout(limit, async {
        while let Some((member, event)) = rx.recv().await {
            let Some(model) = models.get_mut(member) else {
                continue;
            };
            model.apply(&event);
            if probe_timeout.is_some() {
                // A protocol session counts once ready: before that the
                // server delivers nothing to it.
                let settled = models.iter().flat_map(|m| &m.sessions).all(|s| {
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
                    for (i, _) in probing.iter().enumerate().filter(|(_, p)| **p) {
                        if let Some(s) = crew.member(i) {
                            s.probe_now();
                        }
                    }
                    probe_sent = true;
                }
                let probes_done = (models.iter().zip(&probing))
                    .all(|(m, probing)| !probing || !m.probes.is_empty());
                if let Event::Probe(_) = event
                    && probes_done
                {
                    // Every socket still gets its full hold (a server that
                    // accepts and then closes is caught as without --probe).
                    tokio::time::sleep(hold).await;
                    for s in crew.members() {
                        s.command_all(crate::facts::Command::EndHold);
                    }
                }
                if !probes_done {
                    continue;
                }
            }
            let done = (models.iter().zip(profiles.iter())).all(|(model, profile)| {
                let sessions_done = (model.sessions.iter())
                    .all(|s| matches!(s.lifecycle, crate::model::Lifecycle::Stopped { .. }));
                // A failed login means no token check is coming.
                let login_failed = model.login.as_ref().is_some_and(|l| !l.ok());
                let token_done =
                    profile.token_check.is_none() || model.token_check.is_some() || login_failed;
                sessions_done && token_done
            });
            if done {
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
    let last_end = (models.iter().zip(profiles.iter()))
        .filter(|(_, p)| p.server_log.is_some())
        .flat_map(|(m, _)| m.sessions.iter().filter_map(|s| s.last_attempt()))
        .map(|r| r.ended)
        .max();
    if let Some(end) = last_end {
        let settle = (end + crate::diagnose::server_log::AFTER)
            .duration_since(std::time::SystemTime::now())
            .unwrap_or_default();
        lineup
            .read_while(tokio::time::Instant::now() + settle, |_, _| true)
            .await;
    }
    lineup.await_doctors().await;
    let (profiles, models) = lineup.shutdown().await;
    let mut reports = Vec::with_capacity(profiles.len());
    for ((profile, model), probing) in profiles.iter().zip(&models).zip(&probing) {
        let mut report = build(profile, model);
        if *probing {
            let result = model.probes.back();
            if result.is_none() {
                report
                    .health
                    .reasons
                    .push("delivery probe: no result in time".into());
                report.healthy = false;
            }
            report.probe = Some(result.map(|r| {
                let mut probe = CheckProbe::new(profile, r);
                // A failed probe with the Django doctor's explanation.
                if let crate::facts::ProbeOutcome::Failed { reason } = &r.outcome {
                    let finding = report::probe_explained(model, reason);
                    probe.probe = probe.probe.with_doctor(finding);
                }
                probe
            }));
        }
        reports.push(report);
    }
    reports
}

/// `check --watch DURATION`: the engine with reconnects for `duration`
/// (as the dashboard runs it), then the report of what happened, judged
/// by the health word at the end: a session that ended more than once in
/// the window (churn), one not open, a refused token… exit 1.
pub async fn watch(profile: ActiveProfile, duration: Duration) -> CheckReport {
    let mut reports = watch_many(vec![profile], duration).await;
    reports.swap_remove(0)
}

/// [`watch`] for several profiles live together: one report each.
pub async fn watch_many(profiles: Vec<ActiveProfile>, duration: Duration) -> Vec<CheckReport> {
    let mut lineup = Lineup::start(profiles, Mode::Monitor, Model::without_payloads);
    let deadline = tokio::time::Instant::now() + duration;
    lineup.read_while(deadline, |_, _| true).await;
    lineup.await_doctors().await;
    // Judged before the sockets close: wsmon's own closes are not churn,
    // but a session must be open at the end.
    let reports = (lineup.profiles.iter().zip(&lineup.models))
        .map(|(p, m)| build(p, m))
        .collect();
    lineup.shutdown().await;
    reports
}

/// A lineup of profiles live together under one [`Crew`], with one
/// [`Model`] each that every event of its member is applied to: what
/// `check` and `check --watch` share.
struct Lineup {
    profiles: Vec<ActiveProfile>,
    models: Vec<Model>,
    rx: session::crew::Events,
    crew: Crew,
}

impl Lineup {
    /// Starts every profile's sessions in `mode`, with `model` making each
    /// profile's empty model ([`Model::new`], or without payloads).
    fn start(profiles: Vec<ActiveProfile>, mode: Mode, model: fn(&ActiveProfile) -> Model) -> Self {
        let mut rx = session::crew::Events::default();
        let crew = Crew::start(profiles.clone(), mode, &mut rx);
        let models = profiles.iter().map(model).collect();
        Lineup {
            profiles,
            models,
            rx,
            crew,
        }
    }

    /// Applies events to the models while `more(profiles, models)`
    /// holds, until `deadline` or until the engine's channel closes.
    async fn read_while(
        &mut self,
        deadline: tokio::time::Instant,
        more: impl Fn(&[ActiveProfile], &[Model]) -> bool,
    ) {
        while more(&self.profiles, &self.models) {
            tokio::select! {
                biased;
                _ = tokio::time::sleep_until(deadline) => break,
                event = self.rx.recv() => match event {
                    Some((member, event)) => {
                        if let Some(model) = self.models.get_mut(member) {
                            model.apply(&event);
                        }
                    }
                    None => break,
                },
            }
        }
    }

    /// With `django_project`, reads events on until each such profile's
    /// Django doctor reading is in (it runs once at start, at most
    /// [`crate::session::django::TIMEOUT`] plus its connects).
    async fn await_doctors(&mut self) {
        let deadline =
            tokio::time::Instant::now() + crate::session::django::TIMEOUT + Duration::from_secs(10);
        self.read_while(deadline, |profiles, models| {
            (profiles.iter().zip(models))
                .any(|(p, m)| p.django_project.is_some() && m.django.is_none())
        })
        .await;
    }

    /// Stops reading, then stops every session; gives back the profiles
    /// and their models.
    async fn shutdown(self) -> (Vec<ActiveProfile>, Vec<Model>) {
        drop(self.rx);
        self.crew.shutdown().await;
        (self.profiles, self.models)
    }
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
                        profile: profile.name.clone(),
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
                        expect: ExpectReport::of(state, now),
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
                    profile: profile.name.clone(),
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
                    expect: ExpectReport::of(state, now),
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
                profile: profile.name.clone(),
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
                expect: ExpectReport::of(state, now),
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
        django: model.django.as_deref().cloned(),
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
