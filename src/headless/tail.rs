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
//! With several profiles live (`--profiles`, or an isolation probe's
//! profiles) one stream carries them all: every line starts with its
//! `"profile"` ([`crate::output::profile_tag`]).
//!
//! With a `token_check` in the profile, output starts with its first
//! result (each profile's with its own): events before it are held (at most `connect_timeout`, the
//! check's own bound), so every `closed` line's diagnosis can cross-check
//! the token. Against a local Daphne a refused handshake (~10 ms) beats the
//! REST answer (~20 ms), and without this the first 403 could not tell a
//! bad token from a socket that refuses a good one.

use std::io::Write;
use std::time::Duration;

use tokio::time::Instant;

use crate::config::{ActiveProfile, ProtocolKind};
use crate::facts::{Event, SessionEvent};
use crate::model::Model;
use crate::output::profile_tag;
use crate::output::tail_line as event_json;
use crate::session::{self, Crew, Mode};
use crate::token_check::TokenCheckResult;
use crate::writer_thread::Output;

/// When to stop.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Limits {
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
    /// An event of lineup member `.0`.
    Event(usize, Event),
    /// The first token check did not answer in time: release the held events.
    HoldOver,
    /// Output held for the next hand-over is due.
    Flush,
    /// Time to look for silent sockets (`expect_message_within`).
    SilenceTick,
}

/// Runs tail for one profile or several live together (`--profiles a,b`),
/// writing to `out` (see [`Output`]): every line starts with its
/// `"profile"`, and each profile's lines wait for its own first token
/// check. Returns when a limit is reached or on a signal; an error
/// (`BrokenPipe` for `| head`) when `out` refuses a write.
pub(crate) async fn run_many<W: Write + Send + 'static>(
    profiles: Vec<ActiveProfile>,
    limits: Limits,
    mut out: Output<W>,
) -> std::io::Result<()> {
    let mut rx = session::crew::Events::default();
    // Every message is written: a session waits for tail rather than drop.
    let crew = Crew::start(profiles.clone(), Mode::Record, &mut rx);
    let deadline = limits.duration.map(|d| Instant::now() + d);
    // The token check is bounded by connect_timeout; the margin covers
    // scheduling on a loaded machine.
    let longest = (profiles.iter())
        .map(|p| p.settings.connect_timeout)
        .max()
        .unwrap_or_default();
    let hold_until = Instant::now() + longest + Duration::from_secs(1);
    let mut state = State {
        members: profiles
            .iter()
            .map(|profile| Member {
                profile,
                model: Model::without_payloads(profile),
                token_check: None,
                held: profile.token_check.is_some().then(Vec::new),
                prefix: profile_tag::profile_prefix(&profile.name),
                silent: vec![false; profile.endpoints.len()],
            })
            .collect(),
        remaining: limits.count,
        buf: Vec::with_capacity(64 * 1024),
        scratch: Vec::new(),
    };
    for member in &state.members {
        let lint = crate::report::url_warnings(member.profile);
        for (endpoint, warnings) in member.profile.endpoints.iter().zip(&lint) {
            if !warnings.is_empty() {
                state.scratch.clear();
                event_json::url_warning_line(&mut state.scratch, &endpoint.name, warnings);
                profile_tag::tagged_lines(&mut state.buf, &state.scratch, &member.prefix);
            }
        }
    }
    // A clock only when some endpoint expects messages within a time.
    let watches_silence =
        (profiles.iter().flat_map(|p| &p.endpoints)).any(|e| e.expect.message_within.is_some());
    let mut silence_tick = watches_silence.then(|| Instant::now() + SILENCE_TICK);
    let stop = shutdown_signal();
    tokio::pin!(stop);
    let throttled = out.is_threaded();
    let mut last_handover: Option<Instant> = None;
    let result = loop {
        let holding = state.holding().then_some(hold_until);
        let flush_at = (!state.buf.is_empty())
            .then(|| last_handover.map_or_else(Instant::now, |t| t + HANDOVER_EVERY));
        let wake = tokio::select! {
            biased;
            _ = &mut stop => break Ok(()),
            _ = sleep_until_opt(deadline) => break Ok(()),
            // The token check did not answer in time: write what waited.
            _ = sleep_until_opt(holding) => Wake::HoldOver,
            _ = sleep_until_opt(flush_at) => Wake::Flush,
            _ = sleep_until_opt(silence_tick) => Wake::SilenceTick,
            event = rx.recv() => match event {
                Some((member, event)) => Wake::Event(member, event),
                None => break Ok(()),
            },
        };
        let mut done = match wake {
            Wake::Event(member, event) => state.write(member, &event),
            Wake::HoldOver => state.release_all(),
            Wake::Flush => false,
            Wake::SilenceTick => {
                silence_tick = Some(Instant::now() + SILENCE_TICK);
                state.silence_lines(std::time::SystemTime::now());
                false
            }
        };
        // Drain what is already queued before one write + flush.
        while !done && state.buf.len() < (1 << 20) {
            match rx.try_recv() {
                Ok((member, event)) => done = state.write(member, &event),
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
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, crew.shutdown()).await;
    let written = out.finish().await;
    // A closed stdout (`| head`) is the caller's to report: the README's
    // rule makes it exit 1, as for every other command.
    result.and(written)
}

struct State<'a> {
    /// One per live profile, in lineup order.
    members: Vec<Member<'a>>,
    remaining: Option<u64>,
    buf: Vec<u8>,
    /// Lines of a rare event before their `"profile"` is put in.
    scratch: Vec<u8>,
}

/// One live profile's part of tail.
struct Member<'a> {
    profile: &'a ActiveProfile,
    /// Histories (no payloads), so `closed` lines name the pattern.
    model: Model,
    token_check: Option<TokenCheckResult>,
    /// `Some` while waiting for the first token check: the events so far.
    held: Option<Vec<Event>>,
    /// Per endpoint: its current silence has had its `silent` line.
    silent: Vec<bool>,
    /// `{"profile":"NAME"`: what each of its lines starts with.
    prefix: Vec<u8>,
}

/// How often `tail` looks for silent sockets (only with
/// `expect_message_within`).
const SILENCE_TICK: Duration = Duration::from_secs(1);

impl State<'_> {
    fn holding(&self) -> bool {
        self.members.iter().any(|m| m.held.is_some())
    }

    /// Appends the lines of one event of `member` (or holds it until its
    /// first token check); `true` when the count is reached.
    fn write(&mut self, member: usize, event: &Event) -> bool {
        let Some(m) = self.members.get_mut(member) else {
            return false;
        };
        if let Some(held) = &mut m.held {
            match event {
                // The token check first (its `ts` is when it started,
                // before the held events ended), then what waited,
                // diagnosed with it.
                Event::TokenCheck(_) => {
                    let done = self.write_now(member, event);
                    return done || self.release(member);
                }
                // A login goes out at once; a failed one means no token
                // check is coming (it waits for the login).
                Event::Login(result) => {
                    let done = self.write_now(member, event);
                    return done || (!result.ok() && self.release(member));
                }
                _ if held.len() < HOLD_MAX => {
                    held.push(event.clone());
                    return false;
                }
                _ => {
                    if self.release(member) {
                        return true;
                    }
                }
            }
        }
        self.write_now(member, event)
    }

    /// Writes every member's held events; `true` when the count is reached.
    fn release_all(&mut self) -> bool {
        (0..self.members.len()).any(|i| self.release(i))
    }

    /// Writes the held events of `member`; `true` when the count is reached.
    fn release(&mut self, member: usize) -> bool {
        let held = (self.members.get_mut(member)).and_then(|m| m.held.take());
        for event in held.unwrap_or_default() {
            if self.write_now(member, &event) {
                return true;
            }
        }
        false
    }

    /// One `silent` line per stretch of silence longer than an endpoint's
    /// `expect_message_within` (again after a message or a reopen).
    fn silence_lines(&mut self, now: std::time::SystemTime) {
        for m in &mut self.members {
            for (i, s) in m.model.sessions.iter().enumerate() {
                let silence = s.silence(now);
                let Some(flag) = m.silent.get_mut(i) else {
                    continue;
                };
                match silence {
                    Some(silence) if !*flag => {
                        *flag = true;
                        self.scratch.clear();
                        event_json::silent_line(&mut self.scratch, &s.name, &silence);
                        profile_tag::tagged_lines(&mut self.buf, &self.scratch, &m.prefix);
                    }
                    Some(_) => {}
                    None => *flag = false,
                }
            }
        }
    }

    fn write_now(&mut self, member: usize, event: &Event) -> bool {
        let Some(m) = self.members.get_mut(member) else {
            return false;
        };
        // A login that fails after one that did not: say which endpoints
        // it keeps from dialling (they have no other line to say it).
        // (Asked only for a login: nothing is added per message.)
        let failing_before = matches!(event, Event::Login(_)) && m.model.login_failed().is_some();
        m.model.apply(event);
        match event {
            // Kept in the model: pinned to the `closed` lines it explains.
            Event::ServerLog(_) => {}
            Event::Django(doctor) => {
                self.scratch.clear();
                event_json::django_line(&mut self.scratch, doctor);
                profile_tag::tagged_lines(&mut self.buf, &self.scratch, &m.prefix);
            }
            Event::TokenCheck(result) => {
                self.scratch.clear();
                event_json::token_check_line(&mut self.scratch, result);
                profile_tag::tagged_lines(&mut self.buf, &self.scratch, &m.prefix);
                m.token_check = Some(result.clone());
            }
            Event::Probe(result) => {
                // A failed one with the Django doctor's explanation.
                let finding = match &result.outcome {
                    crate::facts::ProbeOutcome::Failed { reason } => {
                        crate::report::probe_explained(&m.model, reason)
                    }
                    _ => None,
                };
                self.scratch.clear();
                event_json::probe_line_explained(&mut self.scratch, m.profile, result, finding);
                profile_tag::tagged_lines(&mut self.buf, &self.scratch, &m.prefix);
            }
            Event::Login(result) => {
                self.scratch.clear();
                event_json::login_line(&mut self.scratch, result);
                if !failing_before {
                    event_json::not_dialled_lines(&mut self.scratch, m.profile, &m.model);
                }
                profile_tag::tagged_lines(&mut self.buf, &self.scratch, &m.prefix);
            }
            Event::Session { endpoint, event } => {
                if let SessionEvent::Messages(batch) = event {
                    let ep = m.profile.endpoints.get(*endpoint);
                    let name = ep.map_or("", |e| e.name.as_str());
                    // Decoded per protocol; raw endpoints keep the fast line.
                    let kind = ep.map_or(ProtocolKind::Raw, |e| e.protocol.kind);
                    for payload in &batch.messages {
                        if self.remaining == Some(0) {
                            return true;
                        }
                        // One line each: the profile goes in front at no
                        // extra pass over the line.
                        let at = profile_tag::open_tagged(&mut self.buf, &m.prefix);
                        if kind == ProtocolKind::Raw {
                            event_json::message_line(&mut self.buf, name, payload);
                        } else {
                            event_json::protocol_message_line(&mut self.buf, name, kind, payload);
                        }
                        profile_tag::close_tagged(&mut self.buf, at, &m.prefix);
                        if let Some(n) = &mut self.remaining {
                            *n -= 1;
                        }
                    }
                }
                self.scratch.clear();
                event_json::session_line_in(
                    &mut self.scratch,
                    m.profile,
                    *endpoint,
                    event,
                    m.token_check.as_ref(),
                    Some(&m.model),
                );
                profile_tag::tagged_lines(&mut self.buf, &self.scratch, &m.prefix);
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
pub(crate) async fn shutdown_signal() {
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
