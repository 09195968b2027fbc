//! `wsmon watch`: the engine with no UI, for systemd and containers. It
//! keeps the sessions (and the delivery probe) running, feeds the
//! Prometheus metrics from the events and serves them at `/metrics`,
//! judges the model's health word every second (`wsmon_health`, and a log
//! line when it changes, with its reasons), logs to the log file, and exits 0 on SIGTERM / SIGINT after closing
//! every socket with 1000.

use std::net::SocketAddr;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::tail::shutdown_signal;
use crate::config::ActiveProfile;
use crate::facts::Event;
use crate::metrics::{self, Metrics};
use crate::model::{HealthWord, Model};
use crate::session::{self, Crew, Mode};

/// How often the health word is judged (and `wsmon_health` set).
const HEALTH_EVERY: Duration = Duration::from_secs(1);

/// How long sockets get to close cleanly on a signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Runs until SIGTERM / SIGINT, for one profile or several live together
/// (`--profiles a,b`): one health word per profile
/// (`wsmon_health{profile=…}`), every series labelled with its profile.
/// With `addr`, `/metrics` is served there; `on_listen` is told the bound
/// address (port 0 picks a free one).
pub(crate) async fn run_many(
    profiles: Vec<ActiveProfile>,
    addr: Option<SocketAddr>,
    on_listen: impl FnOnce(SocketAddr),
) -> Result<(), String> {
    let Some(first) = profiles.first() else {
        return Err("no profile to watch".into());
    };
    let metrics = Metrics::new(first);
    metrics.set_profiles(&profiles.iter().collect::<Vec<_>>());
    let stop = CancellationToken::new();
    let server = match addr {
        Some(addr) => {
            let listener = metrics::bind(addr).await?;
            let bound = listener.local_addr().map_err(|e| e.to_string())?;
            on_listen(bound);
            tracing::info!(%bound, "serving metrics");
            Some(tokio::spawn(metrics::serve(
                listener,
                metrics.clone(),
                stop.clone(),
            )))
        }
        None => None,
    };
    for profile in &profiles {
        tracing::info!(profile = %profile.name, endpoints = profile.endpoints.len(), "watch started");
    }
    let mut rx = session::crew::Events::default();
    let crew = Crew::start(profiles.clone(), Mode::Monitor, &mut rx);
    // States and histories (no payloads) for the health word.
    let mut models: Vec<Model> = profiles.iter().map(Model::without_payloads).collect();
    let mut words = vec![None; profiles.len()];
    // Health is judged once a second (it also changes with time: churn
    // leaves the window), not per message.
    let mut judge = tokio::time::interval(HEALTH_EVERY);
    judge.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let signal = shutdown_signal();
    tokio::pin!(signal);
    loop {
        tokio::select! {
            biased;
            _ = &mut signal => break,
            _ = judge.tick() => {
                for (i, (model, word)) in models.iter().zip(&mut words).enumerate() {
                    let health = model.health(std::time::SystemTime::now());
                    metrics.set_health_in(i, &health);
                    if *word != Some(health.word) {
                        *word = Some(health.word);
                        let reasons = health.reasons.join("; ");
                        let profile = &profiles[i].name;
                        match health.word {
                            HealthWord::Degraded | HealthWord::Down => {
                                tracing::warn!(%profile, health = health.word.as_str(), %reasons, "health changed")
                            }
                            _ => tracing::info!(%profile, health = health.word.as_str(), %reasons, "health changed"),
                        }
                    }
                }
            }
            event = rx.recv() => match event {
                Some((member, event)) => {
                    if let (Some(profile), Some(model)) = (profiles.get(member), models.get_mut(member)) {
                        log(profile, &event);
                        metrics.apply_in(member, &event);
                        model.apply(&event);
                    }
                }
                None => break,
            },
        }
    }
    tracing::info!("watch stopping");
    drop(rx);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, crew.shutdown()).await;
    stop.cancel();
    if let Some(server) = server {
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, server).await;
    }
    Ok(())
}

/// The events the session tasks do not log themselves.
fn log(profile: &ActiveProfile, event: &Event) {
    let name = |id: usize| profile.endpoints.get(id).map_or("", |e| e.name.as_str());
    match event {
        Event::Session {
            endpoint,
            event: crate::facts::SessionEvent::Open { handshake, .. },
        } => {
            tracing::info!(profile = %profile.name, endpoint = name(*endpoint), latency = ?handshake.latency, "socket open")
        }
        Event::Session {
            endpoint,
            event: crate::facts::SessionEvent::Stopped { why, .. },
        } => {
            tracing::warn!(profile = %profile.name, endpoint = name(*endpoint), ?why, "session stopped")
        }
        // The Django doctor's reading (`django_project`), once: what is wrong.
        Event::Django(doctor) => {
            use crate::facts::django::Severity;
            for f in (doctor.findings.iter()).filter(|f| f.severity != Severity::Ok) {
                match f.severity {
                    Severity::Error => {
                        tracing::warn!(profile = %profile.name, project = %doctor.project, code = ?f.code, "django doctor: {}", f.summary)
                    }
                    _ => {
                        tracing::info!(profile = %profile.name, project = %doctor.project, code = ?f.code, "django doctor: {}", f.summary)
                    }
                }
            }
            if doctor.healthy {
                tracing::info!(profile = %profile.name, project = %doctor.project, "django doctor: no errors");
            }
        }
        // Probes and token checks are logged by their own tasks.
        _ => {}
    }
}
