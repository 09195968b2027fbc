//! `wsmon tail`: the engine with reconnects, one JSON object per line per
//! event, until a duration passes, a message count is reached, or SIGINT /
//! SIGTERM.
//!
//! Output is written whenever the engine has nothing more pending, so a
//! line appears as soon as its event happened, and a flood is written in
//! large blocks instead of one write per message. Into a pipe or terminal
//! it goes through a writer thread (see [`crate::writer_thread`]): a
//! reader that stops reading pauses the sockets (tail loses nothing)
//! without stalling the runtime; hand-overs to that thread are at most one
//! per [`HANDOVER_EVERY`] (the first after a quiet spell at once).
//!
//! With a `token_check` in the profile, output starts with its first
//! result: events before it are held (at most `connect_timeout`, the
//! check's own bound), so every `closed` line's diagnosis can cross-check
//! the token. Against a local Daphne a refused handshake (~10 ms) beats the
//! REST answer (~20 ms), and without this the first 403 could not tell a
//! bad token from a socket that refuses a good one.

use std::io::Write;
use std::time::Duration;

use tokio::time::Instant;

use crate::config::{ActiveProfile, ProtocolKind};
use crate::model::Model;
use crate::output::tail_line as event_json;
use crate::session::{self, Event, Mode, SessionEvent, Supervisor};
use crate::token_check::TokenCheckResult;
use crate::writer_thread::Output;

/// When to stop.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    pub duration: Option<Duration>,
    /// Stop after this many messages (across endpoints).
    pub count: Option<u64>,
}

/// How long sockets get to close cleanly when tail ends.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Events held while waiting for the first token check, at most.
const HOLD_MAX: usize = 10_000;

/// Output waiting behind the writer thread before tail waits for it.
const BACKLOG_MAX: usize = 1 << 20;

/// Hand-overs to the output thread happen at most this often, unless
/// [`HANDOVER_BYTES`] wait: each wakes that thread, and a thousand
/// sessions with a message a second each would otherwise cost a thousand
/// wake-ups a second. The first line after a quiet spell goes at once, so
/// a lone message is as quick as ever; a line behind it waits at most
/// this long.
const HANDOVER_EVERY: Duration = Duration::from_millis(5);
/// Output that goes to the output thread without waiting for the next
/// [`HANDOVER_EVERY`] tick.
const HANDOVER_BYTES: usize = 64 * 1024;

/// What woke tail's loop.
enum Wake {
    Event(Event),
    /// The first token check did not answer in time: release the held events.
    HoldOver,
    /// Output held for the next hand-over is due.
    Flush,
}

/// Runs tail, writing to `out` (see [`Output`]). Returns when a limit is
/// reached, on a signal, or when `out` is closed (e.g. `| head`).
pub async fn run<W: Write + Send + 'static>(
    profile: ActiveProfile,
    limits: Limits,
    mut out: Output<W>,
) -> std::io::Result<()> {
    let (tx, mut rx) = session::channel();
    // Every message is written: a session waits for tail rather than drop.
    let supervisor = Supervisor::start(profile.clone(), Mode::Record, tx);
    let deadline = limits.duration.map(|d| Instant::now() + d);
    // The token check is bounded by connect_timeout; the margin covers
    // scheduling on a loaded machine.
    let hold_until = Instant::now() + profile.settings.connect_timeout + Duration::from_secs(1);
    let mut state = State {
        profile: &profile,
        model: Model::without_payloads(&profile),
        token_check: None,
        remaining: limits.count,
        buf: Vec::with_capacity(64 * 1024),
        held: profile.token_check.is_some().then(Vec::new),
    };
    let lint = crate::report::url_warnings(&profile);
    for (endpoint, warnings) in profile.endpoints.iter().zip(&lint) {
        if !warnings.is_empty() {
            event_json::url_warning_line(&mut state.buf, &endpoint.name, warnings);
        }
    }
    let stop = shutdown_signal();
    tokio::pin!(stop);
    let throttled = out.is_threaded();
    let mut last_handover: Option<Instant> = None;
    let result = loop {
        let holding = state.held.is_some().then_some(hold_until);
        let flush_at = (!state.buf.is_empty())
            .then(|| last_handover.map_or_else(Instant::now, |t| t + HANDOVER_EVERY));
        let wake = tokio::select! {
            biased;
            _ = &mut stop => break Ok(()),
            _ = sleep_until_opt(deadline) => break Ok(()),
            // The token check did not answer in time: write what waited.
            _ = sleep_until_opt(holding) => Wake::HoldOver,
            _ = sleep_until_opt(flush_at) => Wake::Flush,
            event = rx.recv() => match event {
                Some(event) => Wake::Event(event),
                None => break Ok(()),
            },
        };
        let mut done = match wake {
            Wake::Event(event) => state.write(&event),
            Wake::HoldOver => state.release(),
            Wake::Flush => false,
        };
        // Drain what is already queued before one write + flush.
        while !done && state.buf.len() < (1 << 20) {
            match rx.try_recv() {
                Ok(event) => done = state.write(&event),
                Err(_) => break,
            }
        }
        let now = Instant::now();
        let due = !throttled
            || done
            || state.buf.len() >= HANDOVER_BYTES
            || last_handover.is_none_or(|t| now >= t + HANDOVER_EVERY);
        if due && !state.buf.is_empty() {
            if let Err(e) = out.write_all(&state.buf) {
                break Err(e);
            }
            state.buf.clear();
            last_handover = Some(now);
        }
        if done {
            break Ok(());
        }
        if let Err(e) = out.wait_below(BACKLOG_MAX).await {
            break Err(e);
        }
    };
    // Output held for the next hand-over still goes out.
    let result = match result {
        Ok(()) if !state.buf.is_empty() => out.write_all(&state.buf),
        other => other,
    };
    drop(rx);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, supervisor.shutdown()).await;
    let written = out.finish().await;
    match result.and(written) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

struct State<'a> {
    profile: &'a ActiveProfile,
    /// Histories (no payloads), so `closed` lines name the pattern.
    model: Model,
    token_check: Option<TokenCheckResult>,
    remaining: Option<u64>,
    buf: Vec<u8>,
    /// `Some` while waiting for the first token check: the events so far.
    held: Option<Vec<Event>>,
}

impl State<'_> {
    /// Appends the lines of one event (or holds it until the first token
    /// check); `true` when the count is reached.
    fn write(&mut self, event: &Event) -> bool {
        if let Some(held) = &mut self.held {
            match event {
                // The token check first (its `ts` is when it started,
                // before the held events ended), then what waited,
                // diagnosed with it.
                Event::TokenCheck(_) => {
                    let done = self.write_now(event);
                    return done || self.release();
                }
                // A login goes out at once; a failed one means no token
                // check is coming (it waits for the login).
                Event::Login(result) => {
                    let done = self.write_now(event);
                    return done || (!result.ok() && self.release());
                }
                _ if held.len() < HOLD_MAX => {
                    held.push(event.clone());
                    return false;
                }
                _ => {
                    if self.release() {
                        return true;
                    }
                }
            }
        }
        self.write_now(event)
    }

    /// Writes the held events; `true` when the count is reached.
    fn release(&mut self) -> bool {
        for event in self.held.take().unwrap_or_default() {
            if self.write_now(&event) {
                return true;
            }
        }
        false
    }

    fn write_now(&mut self, event: &Event) -> bool {
        self.model.apply(event);
        match event {
            // Kept in the model: pinned to the `closed` lines it explains.
            Event::ServerLog(_) => {}
            Event::TokenCheck(result) => {
                event_json::token_check_line(&mut self.buf, result);
                self.token_check = Some(result.clone());
            }
            Event::Probe(result) => event_json::probe_line(&mut self.buf, self.profile, result),
            Event::Login(result) => event_json::login_line(&mut self.buf, result),
            Event::Session { endpoint, event } => {
                if let SessionEvent::Messages(batch) = event {
                    let ep = self.profile.endpoints.get(*endpoint);
                    let name = ep.map_or("", |e| e.name.as_str());
                    // Decoded per protocol; raw endpoints keep the fast line.
                    let kind = ep.map_or(ProtocolKind::Raw, |e| e.protocol.kind);
                    for payload in &batch.messages {
                        if self.remaining == Some(0) {
                            return true;
                        }
                        if kind == ProtocolKind::Raw {
                            event_json::message_line(&mut self.buf, name, payload);
                        } else {
                            event_json::protocol_message_line(&mut self.buf, name, kind, payload);
                        }
                        if let Some(n) = &mut self.remaining {
                            *n -= 1;
                        }
                    }
                }
                event_json::session_line_in(
                    &mut self.buf,
                    self.profile,
                    *endpoint,
                    event,
                    self.token_check.as_ref(),
                    Some(&self.model),
                );
            }
        }
        self.remaining == Some(0)
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Resolves on SIGINT or (on Unix) SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
