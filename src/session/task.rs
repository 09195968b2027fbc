//! One endpoint's lifecycle: connect, stay open, and after every end decide
//! (with [`policy`](super::policy) and [`backoff`](super::backoff)) whether
//! and when to try again. Reports every step as an [`Event`].

use std::time::{Duration, SystemTime};

use super::backoff::{Backoff, STABLE_AFTER};
use super::handshake;
use super::next::Next;
use super::open;
use super::policy;
use crate::facts::events::*;

// What a session is given (its spec, its channels) lives in `spec.rs`,
// which `open.rs` shares without importing this file.
pub(crate) use super::spec::emit;
pub(crate) use super::spec::{Mode, SessionSpec, Wiring, connecting_limit};

/// Auth refusals in a row that a session answers by asking its login
/// for a new token and reconnecting (not stopping). A socket that stays
/// open for [`STABLE_AFTER`] resets the count; a fresh token refused
/// twice (or a socket that accepts and closes with 4001 at once) is a
/// real refusal, not a reason to log in again and again.
const RENEWALS: u32 = 2;

/// Runs the session until cancelled (or, in `Once` mode, after one attempt).
pub(crate) async fn run(mut spec: SessionSpec, mut wiring: Wiring) {
    let mut backoff = Backoff::new(&spec.settings);
    let mut lookups = crate::served_by::Budget::default();
    let mut attempt: u32 = 0;
    // How often the endpoint answered 101: a 404 after one is a deploy
    // in progress, not a wrong path (see policy::after).
    let mut opens: u32 = 0;
    let mut stable: u32 = 0;
    let mut renewals = 0;
    loop {
        let used = match credential(&mut spec, &mut wiring).await {
            Credential::Cancelled => {
                stop(&spec, &wiring, StopReason::Cancelled).await;
                return;
            }
            // A one-shot check whose login failed: nothing to dial with.
            Credential::LoginFailed => {
                stop(&spec, &wiring, StopReason::Finished).await;
                return;
            }
            Credential::Version(v) => Some(v),
            Credential::NoLogin => None,
        };
        attempt += 1;
        let stable_before = stable;
        let next = one_attempt(
            &spec,
            &mut wiring,
            attempt,
            &mut backoff,
            (&mut opens, &mut stable),
            &mut lookups,
        )
        .await;
        if stable > stable_before {
            renewals = 0;
        }
        let Some(next) = next else {
            stop(&spec, &wiring, StopReason::Cancelled).await;
            return;
        };
        if matches!(spec.mode, Mode::Once { .. }) {
            stop(&spec, &wiring, StopReason::Finished).await;
            return;
        }
        let go_on = match next {
            // one_attempt resolves the rest (Policy, Retry) and never
            // returns Stop (that is its None).
            Next::Reconnect | Next::Policy | Next::Retry(_) => true,
            Next::Stop => false,
            Next::Pause => {
                stop(&spec, &wiring, StopReason::Paused).await;
                wait_for(&spec, &mut wiring, |c| {
                    matches!(c, Command::Resume | Command::ReconnectNow)
                })
                .await
            }
            Next::StopAuth(detail) => 'auth: {
                // A login renews the token instead: reconnect with a new
                // one, no stop (a JWT that expired, a session cookie the
                // server dropped).
                if let Some(version) = used
                    && renewals < RENEWALS
                {
                    renewals += 1;
                    match renewed(&spec, &mut wiring, version).await {
                        Some(true) => break 'auth true,
                        None => break 'auth false,
                        Some(false) => {}
                    }
                }
                stop(&spec, &wiring, StopReason::AuthRejected { detail }).await;
                wiring.token_check.notify_one();
                wait_for(&spec, &mut wiring, |c| *c != Command::Pause).await
            }
            Next::StopRefused(detail) => {
                stop(&spec, &wiring, StopReason::Refused { detail }).await;
                // Nobody may be there to press r (watch): one attempt
                // every REPROBE_AFTER notices a fix on the server.
                let wait = wait_for(&spec, &mut wiring, |c| *c != Command::Pause);
                tokio::time::timeout(policy::REPROBE_AFTER, wait)
                    .await
                    .unwrap_or(true)
            }
            Next::After(delay) => {
                let event = SessionEvent::RetryScheduled {
                    attempt: attempt + 1,
                    delay,
                    at: SystemTime::now(),
                };
                emit(&spec, &wiring, event).await;
                sleep_or_command(&spec, &mut wiring, delay).await
            }
        };
        if !go_on {
            stop(&spec, &wiring, StopReason::Cancelled).await;
            return;
        }
    }
}

/// What a session dials with (see [`credential`]).
enum Credential {
    /// The profile does not log in: the endpoint as activated.
    NoLogin,
    /// The endpoint rendered with the login's credential number `n`.
    Version(u64),
    /// One-shot mode and the login failed.
    LoginFailed,
    Cancelled,
}

/// With a login, waits for its credential and takes this endpoint as
/// rendered with the newest one (URL, headers, protocol texts) and the
/// redactor that knows it. Until the first login succeeds the session
/// does not dial (its token would be a placeholder).
async fn credential(spec: &mut SessionSpec, wiring: &mut Wiring) -> Credential {
    let Some(mut link) = wiring.login.take() else {
        return Credential::NoLogin;
    };
    let got = loop {
        let state = link.state.borrow_and_update().clone();
        match state {
            super::login::LoginState::Ready { profile, version } => {
                // By name: a front end may run a subset of the endpoints
                // (`send --endpoint`), so ids need not match.
                let name = &spec.endpoint.name;
                if let Some(endpoint) = profile.endpoints.iter().find(|e| &e.name == name) {
                    spec.endpoint = endpoint.clone();
                }
                spec.redactor = profile.redactor.clone();
                break Credential::Version(version);
            }
            super::login::LoginState::Failed { .. } if matches!(spec.mode, Mode::Once { .. }) => {
                break Credential::LoginFailed;
            }
            _ => {}
        }
        tokio::select! {
            biased;
            _ = wiring.cancel.cancelled() => break Credential::Cancelled,
            changed = link.state.changed() => if changed.is_err() {
                break Credential::Cancelled;
            },
            command = wiring.commands.recv() => match command {
                None => break Credential::Cancelled,
                Some(Command::Send(text)) => not_open(spec, wiring, &text).await,
                // A person asking to reconnect also asks for a login.
                Some(Command::ReconnectNow | Command::Resume) => link.renew.notify_one(),
                Some(_) => {}
            },
        }
    };
    wiring.login = Some(link);
    got
}

/// After an auth refusal with credential `used`: asks the login for a new
/// one and waits for it. `Some(true)`: a newer credential is there;
/// `Some(false)`: the login failed (or took longer than a connect
/// timeout twice over); `None`: cancelled.
async fn renewed(spec: &SessionSpec, wiring: &mut Wiring, used: u64) -> Option<bool> {
    let link = wiring.login.as_mut()?;
    let newer = |state: &super::login::LoginState| match state {
        super::login::LoginState::Ready { version, .. } if *version > used => Some(true),
        super::login::LoginState::Failed { .. } => Some(false),
        _ => None,
    };
    if let Some(got) = newer(&link.state.borrow_and_update()) {
        return Some(got);
    }
    link.renew.notify_one();
    let deadline = tokio::time::sleep(spec.settings.connect_timeout * 2);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            biased;
            _ = wiring.cancel.cancelled() => return None,
            changed = link.state.changed() => {
                changed.ok()?;
                if let Some(got) = newer(&link.state.borrow_and_update()) {
                    return Some(got);
                }
            }
            _ = &mut deadline => return Some(false),
        }
    }
}

/// Connects once and stays open as long as the connection lives.
/// `None` means cancelled.
async fn one_attempt(
    spec: &SessionSpec,
    wiring: &mut Wiring,
    attempt: u32,
    backoff: &mut Backoff,
    (opens, stable): (&mut u32, &mut u32),
    lookups: &mut crate::served_by::Budget,
) -> Option<Next> {
    let started = SystemTime::now();
    emit(
        spec,
        wiring,
        SessionEvent::Connecting {
            attempt,
            at: started,
        },
    )
    .await;
    // connect_timeout starts once it is this session's turn.
    let turn = tokio::select! {
        biased;
        _ = wiring.cancel.cancelled() => return None,
        turn = wiring.connecting.clone().acquire_owned() => turn,
    };
    // Boxed: dialling (DNS, TCP, TLS, upgrade) is a ~10 KB future, held
    // only while connecting instead of inside every session's task for
    // its whole life (a thousand open sessions: 10 MB).
    let connecting = Box::pin(handshake::connect(
        &spec.endpoint,
        spec.settings.connect_timeout,
        &spec.redactor,
        spec.tls.clone(),
        &spec.proxy,
    ));
    let result = tokio::select! {
        biased;
        _ = wiring.cancel.cancelled() => return None,
        result = connecting => result,
    };
    drop(turn);
    let (record, next) = match result {
        Err(failure) => {
            if failure.kind == FailureKind::ConnectionRefused {
                lookups.refused();
            }
            let record = AttemptRecord {
                attempt,
                started,
                ended: SystemTime::now(),
                handshake_latency: None,
                outcome: Outcome::Failed(failure),
                activity: Activity::default(),
            };
            (record, Next::Policy)
        }
        Ok(mut connected) => {
            super::scrub::handshake(&mut connected.info, &spec.redactor);
            *opens += 1;
            let latency = connected.info.latency;
            let subprotocol = connected.info.subprotocol.clone();
            let at = connected.opened_at;
            // Counted before anyone hears of it, so a probe sent on the
            // Open event finds the socket.
            wiring.probe.socket_opened();
            emit(
                spec,
                wiring,
                SessionEvent::Open {
                    at,
                    handshake: connected.info,
                },
            )
            .await;
            // A fresh read will do for who served the open (a thousand
            // sessions opening at once share one scan of /proc), unless
            // nobody listened before it: then this open is the restart to
            // see, read after it.
            let (force, after) = lookups.at_open(at);
            served_by(spec, wiring, after, lookups, force).await;
            // Not boxed like the dial: that would save 3 KB per session
            // but cost 10-18% of a flood's ingest (A/B, 1,000,000 messages).
            let ended = open::run(connected.ws, spec, wiring, subprotocol.as_deref()).await;
            wiring.probe.socket_closed();
            let open_for = ended.at.duration_since(at).unwrap_or_default();
            if open_for >= STABLE_AFTER {
                *stable += 1;
                backoff.reset();
            }
            let record = AttemptRecord {
                attempt,
                started,
                ended: ended.at,
                handshake_latency: Some(latency),
                outcome: Outcome::Closed {
                    close: ended.close,
                    open_for,
                },
                activity: ended.activity,
            };
            (record, ended.next)
        }
    };
    // Scrubbed before anything reads it: the policy's stop reason quotes
    // the close reason.
    let mut record = record;
    super::scrub::record(&mut record, &spec.redactor);
    let decision = match next {
        Next::Stop => None,
        Next::Policy => Some(match policy::after(&record, *opens > 0) {
            Next::Retry(hint) => Next::After(backoff.next_delay(hint)),
            other => other,
        }),
        Next::Retry(hint) => Some(Next::After(backoff.next_delay(hint))),
        other => Some(other),
    };
    log_attempt(spec, &record);
    // Before the Closed: its diagnosis reads who listens now.
    served_by(spec, wiring, record.ended, lookups, false).await;
    emit(spec, wiring, SessionEvent::Closed(Box::new(record))).await;
    decision
}

/// Looks up who listens on the endpoint's port when it is on this
/// machine (see [`super::served_by`]) as of `after`, and reports it;
/// nothing otherwise, or when the session's lookup budget is spent
/// (`force` may borrow from it: see [`crate::served_by::Budget::take_forced`]).
async fn served_by(
    spec: &SessionSpec,
    wiring: &Wiring,
    after: SystemTime,
    lookups: &mut crate::served_by::Budget,
    force: bool,
) {
    let Some(target) = crate::served_by::local_target(&spec.endpoint.url) else {
        return;
    };
    let allowed = if force {
        lookups.take_forced()
    } else {
        lookups.take()
    };
    if !allowed {
        return;
    }
    let redactor = spec.redactor.clone();
    let found =
        tokio::task::spawn_blocking(move || crate::served_by::look_up(target, &redactor, after))
            .await;
    if let Ok(Some(found)) = found {
        lookups.listening = Some(found.listener.is_some());
        emit(spec, wiring, SessionEvent::ServedBy(Box::new(found))).await;
    }
}

/// One log line per finished attempt (messages already redacted), in the
/// session's span, which names the endpoint and its URL.
fn log_attempt(spec: &SessionSpec, record: &AttemptRecord) {
    let _session = spec.span.enter();
    match &record.outcome {
        Outcome::Failed(f) => tracing::info!(
            attempt = record.attempt, stage = ?f.stage, kind = ?f.kind,
            status = ?f.http.as_ref().map(|h| h.status), "attempt failed: {}", f.message
        ),
        Outcome::Closed { close, open_for } => tracing::info!(
            attempt = record.attempt, code = close.code, by = ?close.by,
            clean = close.clean, open_for = ?open_for, "socket closed"
        ),
    }
}

/// Sleeps out a retry delay; a command may cut it short or turn it into a
/// pause. `false` means cancelled.
async fn sleep_or_command(spec: &SessionSpec, wiring: &mut Wiring, delay: Duration) -> bool {
    let sleep = tokio::time::sleep(delay);
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            biased;
            _ = wiring.cancel.cancelled() => return false,
            command = wiring.commands.recv() => match command {
                None => return false,
                Some(Command::Send(text)) => not_open(spec, wiring, &text).await,
                Some(Command::ReconnectNow) => return true,
                Some(Command::Pause) => {
                    stop(spec, wiring, StopReason::Paused).await;
                    return wait_for(spec, wiring, |c| matches!(c, Command::Resume | Command::ReconnectNow)).await;
                }
                Some(Command::Resume | Command::TokenNowValid | Command::EndHold | Command::NewToken) => {}
            },
            _ = &mut sleep => return true,
        }
    }
}

/// Waits for a command `accept` takes. `false` means cancelled.
async fn wait_for(
    spec: &SessionSpec,
    wiring: &mut Wiring,
    accept: impl Fn(&Command) -> bool,
) -> bool {
    loop {
        tokio::select! {
            biased;
            _ = wiring.cancel.cancelled() => return false,
            command = wiring.commands.recv() => match command {
                None => return false,
                Some(c) if accept(&c) => return true,
                Some(Command::Send(text)) => not_open(spec, wiring, &text).await,
                Some(_) => {}
            },
        }
    }
}

/// Answers a [`Command::Send`] that came while no socket was open.
async fn not_open(spec: &SessionSpec, wiring: &Wiring, text: &str) {
    let event = SessionEvent::Sent {
        at: SystemTime::now(),
        text: spec.redactor.redact(text).into_owned(),
        outcome: SendOutcome::NotOpen,
    };
    emit(spec, wiring, event).await;
}

async fn stop(spec: &SessionSpec, wiring: &Wiring, why: StopReason) {
    let event = SessionEvent::Stopped {
        why,
        at: SystemTime::now(),
    };
    emit(spec, wiring, event).await;
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio::sync::{Notify, mpsc};
    use tokio::time::Instant;
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::config::{Endpoint, Settings};
    use crate::secret::Redactor;

    fn spec() -> SessionSpec {
        let url = url::Url::parse("ws://127.0.0.1:9/").expect("url");
        SessionSpec {
            id: 0,
            endpoint: Endpoint {
                name: "n".into(),
                shown_url: url.to_string(),
                url,
                headers: vec![],
                subprotocols: vec![],
                heartbeat: Default::default(),
                protocol: Default::default(),
                preview: vec![],
                expect: Default::default(),
            },
            settings: Settings::default(),
            mode: Mode::Monitor,
            redactor: Redactor::default(),
            tls: crate::tls::client_config(),
            proxy: Default::default(),
            span: tracing::Span::none(),
        }
    }

    fn wiring() -> (Wiring, mpsc::Sender<Command>, mpsc::Receiver<Event>) {
        let (events, events_rx) = mpsc::channel(16);
        let (commands_tx, commands) = mpsc::channel(4);
        let wiring = Wiring {
            events,
            commands,
            cancel: CancellationToken::new(),
            token_check: Arc::new(Notify::new()),
            probe: Arc::default(),
            connecting: connecting_limit(),
            login: None,
        };
        (wiring, commands_tx, events_rx)
    }

    /// Every session's task is allocated at its largest state's size for
    /// its whole life; the dial (~10 KB) is boxed so that is not ~14 KB per
    /// session (10,000 sessions: 140 MB).
    #[test]
    fn a_session_task_does_not_hold_the_dial_inline() {
        let (w, _commands, _events) = wiring();
        let task = run(spec(), w);
        let size = std::mem::size_of_val(&task);
        assert!(size < 10 * 1024, "the session task future is {size} bytes");
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_waits_exactly_its_delay() {
        let (mut w, _commands, _events) = wiring();
        let start = Instant::now();
        assert!(sleep_or_command(&spec(), &mut w, Duration::from_millis(1500)).await);
        assert_eq!(start.elapsed(), Duration::from_millis(1500));
    }

    #[tokio::test(start_paused = true)]
    async fn reconnect_now_cuts_the_wait_short() {
        let (mut w, commands, _events) = wiring();
        let start = Instant::now();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let _ = commands.send(Command::ReconnectNow).await;
        });
        assert!(sleep_or_command(&spec(), &mut w, Duration::from_secs(30)).await);
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn cancelling_ends_the_wait() {
        let (mut w, _commands, _events) = wiring();
        let cancel = w.cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            cancel.cancel();
        });
        assert!(!sleep_or_command(&spec(), &mut w, Duration::from_secs(30)).await);
    }

    #[tokio::test(start_paused = true)]
    async fn backoff_delays_grow_in_virtual_time() {
        // Ten retries at the default settings: each wait is inside its
        // window, and the total is what the windows allow.
        let settings = Settings::default();
        let mut backoff = super::super::backoff::Backoff::new(&settings);
        let (mut w, _commands, _events) = wiring();
        let start = Instant::now();
        let mut total = Duration::ZERO;
        for _ in 0..10 {
            let (low, high) = backoff.window(super::super::backoff::RetryHint::Normal);
            let delay = backoff.next_delay(super::super::backoff::RetryHint::Normal);
            assert!(delay >= low && delay <= high);
            assert!(sleep_or_command(&spec(), &mut w, delay).await);
            total += delay;
        }
        assert_eq!(start.elapsed(), total);
        assert!(total >= settings.reconnect_min * 10);
    }
}
