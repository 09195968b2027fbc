//! The supervisor owns the session tasks and the token-check task of the
//! active profile. Switching profile = [`Supervisor::shutdown`] (every
//! socket closes with 1000) and [`Supervisor::start`] for the new one.

use std::sync::Arc;

use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::task::{self, Mode, SessionSpec, Wiring};
use crate::config::ActiveProfile;
use crate::facts::events::{Command, EndpointId, Event};
use crate::token_check::{self, Verdict};

/// Events in flight between the engine and its consumer. Each event may be
/// a whole batch of messages, so this bounds memory, not throughput.
pub(crate) const EVENT_CHANNEL: usize = 1024;

/// Commands a session may have queued.
const COMMAND_CHANNEL: usize = 16;

/// A channel to give [`Supervisor::start`].
pub fn channel() -> (mpsc::Sender<Event>, mpsc::Receiver<Event>) {
    mpsc::channel(EVENT_CHANNEL)
}

struct Handle {
    commands: mpsc::Sender<Command>,
    task: JoinHandle<()>,
}

/// The running engine of one profile.
pub struct Supervisor {
    profile: Arc<ActiveProfile>,
    sessions: Vec<Handle>,
    cancel: CancellationToken,
    /// Cancels every task if the supervisor is dropped without `shutdown`.
    _guard: tokio_util::sync::DropGuard,
    token_check: Arc<Notify>,
    checker: JoinHandle<()>,
    probe: Arc<Notify>,
    prober: JoinHandle<()>,
    /// Follows the server's log, when the profile names one.
    server_log: Option<JoinHandle<()>>,
    /// The Django doctor, when the profile names a `django_project`.
    doctor: Option<JoinHandle<()>>,
    /// Logs in and renews the token, when the profile logs in.
    login: Option<JoinHandle<()>>,
}

impl Supervisor {
    /// Starts one task per endpoint and the token-check task (which runs
    /// the check once right away). Must be called inside a tokio runtime.
    pub fn start(profile: ActiveProfile, mode: Mode, events: mpsc::Sender<Event>) -> Supervisor {
        Supervisor::start_with(profile, mode, events, Arc::default(), Vec::new())
    }

    /// [`Supervisor::start`] with the matcher its sessions offer messages
    /// to (other profiles' isolation probes watch it) and the isolation
    /// profiles its own probe watches (`peers`, see [`super::probe::Peer`]).
    pub fn start_with(
        profile: ActiveProfile,
        mode: Mode,
        events: mpsc::Sender<Event>,
        matcher: Arc<super::probe::Matcher>,
        peers: Vec<super::probe::Peer>,
    ) -> Supervisor {
        let profile = Arc::new(profile);
        let cancel = CancellationToken::new();
        let token_check = Arc::new(Notify::new());
        let connecting = task::connecting_limit();
        // Before any session dials: the log is read from here on, so the
        // lines of the first attempt are never skipped.
        let server_log = profile.server_log.clone().map(|source| {
            let from = super::server_log::starting_point(&source);
            tokio::spawn(super::server_log::run(
                source,
                from,
                profile.redactor.clone(),
                events.clone(),
                cancel.child_token(),
            ))
        });
        // Once at start, beside the sessions (a child process and a few
        // connects: nothing here blocks the engine's thread).
        let doctor = profile.django_project.clone().map(|project| {
            let (profile, events, cancel) = (profile.clone(), events.clone(), cancel.child_token());
            tokio::spawn(async move {
                tokio::select! {
                    _ = cancel.cancelled() => {}
                    doctor = super::django::for_profile(&profile, &project) => {
                        let _ = events.send(Event::Django(Arc::new(doctor))).await;
                    }
                }
            })
        });
        let mut sessions = Vec::with_capacity(profile.endpoints.len());
        let mut senders = Vec::with_capacity(profile.endpoints.len());
        // The login (if the profile has one) hears of every session, and
        // every session of the login: channels first, tasks after.
        let channels: Vec<_> = (0..profile.endpoints.len())
            .map(|_| mpsc::channel(COMMAND_CHANNEL))
            .collect();
        let login = profile.login.clone().map(|login| {
            let wiring = super::login::TaskWiring {
                events: events.clone(),
                sessions: channels.iter().map(|(tx, _)| tx.clone()).collect(),
                token_check: token_check.clone(),
                cancel: cancel.child_token(),
                long_running: !matches!(mode, Mode::Once { .. }),
            };
            let (link, task) = super::login::start(&profile, login, wiring);
            (link, tokio::spawn(task))
        });
        let link = login.as_ref().map(|(link, _)| link.clone());
        for ((id, endpoint), (tx, rx)) in profile.endpoints.iter().enumerate().zip(channels) {
            let spec = SessionSpec {
                id,
                endpoint: endpoint.clone(),
                settings: profile.settings,
                mode,
                redactor: profile.redactor.clone(),
                tls: profile.tls.clone(),
                proxy: profile.proxy.clone(),
                // Every log line of this session names its endpoint and
                // (redacted) URL through it.
                span: tracing::info_span!(
                    "session",
                    endpoint = %endpoint.name,
                    url = %endpoint.shown_url,
                ),
            };
            let wiring = Wiring {
                events: events.clone(),
                commands: rx,
                cancel: cancel.child_token(),
                token_check: token_check.clone(),
                probe: matcher.clone(),
                connecting: connecting.clone(),
                login: link.clone(),
            };
            let task = tokio::spawn(task::run(spec, wiring));
            senders.push(tx.clone());
            sessions.push(Handle { commands: tx, task });
        }
        let probe = Arc::new(Notify::new());
        let prober = tokio::spawn(super::probe::run(
            super::login::Current {
                profile: profile.clone(),
                login: link.clone(),
            },
            events.clone(),
            matcher,
            peers,
            probe.clone(),
            // Long-running modes probe on a schedule; `check` asks once.
            matches!(mode, Mode::Monitor | Mode::Record),
            cancel.child_token(),
        ));
        let checker = tokio::spawn(run_checks(
            profile.clone(),
            link,
            events,
            senders,
            token_check.clone(),
            cancel.child_token(),
        ));
        token_check.notify_one();
        Supervisor {
            profile,
            sessions,
            _guard: cancel.clone().drop_guard(),
            cancel,
            token_check,
            checker,
            probe,
            prober,
            server_log,
            doctor,
            login: login.map(|(_, task)| task),
        }
    }

    pub fn profile(&self) -> &ActiveProfile {
        &self.profile
    }

    /// Sends a command to one session. A full queue drops it: the session
    /// already has commands it has not acted on yet.
    pub fn command(&self, id: EndpointId, command: Command) {
        if let Some(handle) = self.sessions.get(id) {
            let _ = handle.commands.try_send(command);
        }
    }

    pub fn command_all(&self, command: Command) {
        for id in 0..self.sessions.len() {
            self.command(id, command.clone());
        }
    }

    /// Re-runs the REST token check.
    pub fn check_token(&self) {
        self.token_check.notify_one();
    }

    /// Runs the profile's delivery probe now (if it has one); the result
    /// comes as an [`Event::Probe`].
    pub fn probe_now(&self) {
        self.probe.notify_one();
    }

    /// Closes every socket cleanly (1000) and waits for the tasks to end.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        for handle in self.sessions {
            let _ = handle.task.await;
        }
        let _ = self.checker.await;
        let _ = self.prober.await;
        if let Some(follower) = self.server_log {
            let _ = follower.await;
        }
        if let Some(doctor) = self.doctor {
            let _ = doctor.await;
        }
        if let Some(login) = self.login {
            let _ = login.await;
        }
    }
}

/// Runs the token check whenever poked. When the verdict turns valid after
/// not being valid, sessions stopped by an auth rejection get another try.
async fn run_checks(
    profile: Arc<ActiveProfile>,
    mut login: Option<super::login::LoginLink>,
    events: mpsc::Sender<Event>,
    sessions: Vec<mpsc::Sender<Command>>,
    poke: Arc<Notify>,
    cancel: CancellationToken,
) {
    let Some(url) = profile.token_check.clone() else {
        return;
    };
    let client = token_check::client_via(
        profile.settings.connect_timeout,
        &profile.tls,
        &profile.proxy,
    );
    let mut last: Option<Verdict> = None;
    loop {
        tokio::select! {
            biased;
            _ = cancel.cancelled() => return,
            _ = poke.notified() => {}
        }
        // With a login: the token it obtained (after the first login;
        // none when that failed, and the check waits for the next).
        let current = match &mut login {
            None => profile.clone(),
            Some(link) => {
                let first = tokio::select! {
                    biased;
                    _ = cancel.cancelled() => return,
                    first = link.first() => first,
                };
                match first.or_else(|| link.current()) {
                    Some(current) => current,
                    None => continue,
                }
            }
        };
        let result = tokio::select! {
            biased;
            _ = cancel.cancelled() => return,
            result = token_check::run(&client, &url, &current) => result,
        };
        tracing::info!(url = %result.url, status = ?result.status, verdict = ?result.verdict, "token check");
        let newly_valid =
            result.verdict == Verdict::Valid && last.is_some_and(|v| v != Verdict::Valid);
        last = Some(result.verdict);
        if events.send(Event::TokenCheck(result)).await.is_err() {
            return;
        }
        if newly_valid {
            for s in &sessions {
                let _ = s.try_send(Command::TokenNowValid);
            }
        }
    }
}
