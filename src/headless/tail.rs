//! `wsmon tail`: the engine with reconnects, one JSON object per line per
//! event, until a duration passes, a message count is reached, or SIGINT /
//! SIGTERM.
//!
//! Output is flushed whenever the engine has nothing more pending, so each
//! line appears as soon as its event happened, and a flood is written in
//! large blocks instead of one write per message.

use std::io::Write;
use std::time::Duration;

use tokio::time::Instant;

use super::event_json;
use crate::config::ActiveProfile;
use crate::session::{self, Event, Mode, SessionEvent, Supervisor};
use crate::token_check::TokenCheckResult;

/// When to stop.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    pub duration: Option<Duration>,
    /// Stop after this many messages (across endpoints).
    pub count: Option<u64>,
}

/// How long sockets get to close cleanly when tail ends.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Runs tail, writing to `out`. Returns when a limit is reached, on a
/// signal, or when `out` is closed (e.g. `| head`).
pub async fn run(
    profile: ActiveProfile,
    limits: Limits,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let (tx, mut rx) = session::channel();
    let supervisor = Supervisor::start(profile.clone(), Mode::Monitor, tx);
    let deadline = limits.duration.map(|d| Instant::now() + d);
    let mut state = State {
        profile: &profile,
        token_check: None,
        remaining: limits.count,
        buf: Vec::with_capacity(64 * 1024),
    };
    for (index, endpoint) in profile.endpoints.iter().enumerate() {
        let warnings = crate::report::url_warnings(&profile, index);
        if !warnings.is_empty() {
            event_json::url_warning_line(&mut state.buf, &endpoint.name, &warnings);
        }
    }
    let stop = shutdown_signal();
    tokio::pin!(stop);
    let result = loop {
        let event = tokio::select! {
            biased;
            _ = &mut stop => break Ok(()),
            _ = sleep_until_opt(deadline) => break Ok(()),
            event = rx.recv() => event,
        };
        let Some(event) = event else { break Ok(()) };
        let mut done = state.write(&event);
        // Drain what is already queued before one write + flush.
        while !done && state.buf.len() < (1 << 20) {
            match rx.try_recv() {
                Ok(event) => done = state.write(&event),
                Err(_) => break,
            }
        }
        if let Err(e) = out.write_all(&state.buf).and_then(|()| out.flush()) {
            break Err(e);
        }
        state.buf.clear();
        if done {
            break Ok(());
        }
    };
    drop(rx);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, supervisor.shutdown()).await;
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

struct State<'a> {
    profile: &'a ActiveProfile,
    token_check: Option<TokenCheckResult>,
    remaining: Option<u64>,
    buf: Vec<u8>,
}

impl State<'_> {
    /// Appends the lines of one event; `true` when the count is reached.
    fn write(&mut self, event: &Event) -> bool {
        match event {
            Event::TokenCheck(result) => {
                event_json::token_check_line(&mut self.buf, result);
                self.token_check = Some(result.clone());
            }
            Event::Session { endpoint, event } => {
                if let SessionEvent::Messages(batch) = event {
                    let name = self
                        .profile
                        .endpoints
                        .get(*endpoint)
                        .map_or("", |e| e.name.as_str());
                    for payload in &batch.messages {
                        if self.remaining == Some(0) {
                            return true;
                        }
                        event_json::message_line(&mut self.buf, name, payload);
                        if let Some(n) = &mut self.remaining {
                            *n -= 1;
                        }
                    }
                }
                event_json::session_line(
                    &mut self.buf,
                    self.profile,
                    *endpoint,
                    event,
                    self.token_check.as_ref(),
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
