//! The engine's state as front ends read it: one [`SessionState`] per
//! endpoint, built only by applying [`Event`]s. Headless commands and the
//! dashboard share it, so they cannot disagree about what happened.

pub mod lifecycle;
pub mod ring;

use std::collections::VecDeque;
use std::time::Duration;

pub use lifecycle::Lifecycle;
pub use ring::PayloadRing;

use crate::config::ActiveProfile;
use crate::session::{AttemptRecord, Event, HandshakeInfo, ProbeResult, SessionEvent};
use crate::token_check::TokenCheckResult;

/// Attempts kept per endpoint in the reconnect history.
pub const HISTORY_CAP: usize = 200;

/// One attempt in the reconnect history, with the delay chosen after it.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub record: AttemptRecord,
    pub retry_delay: Option<Duration>,
}

/// Everything known about one endpoint's session.
#[derive(Debug, Clone)]
pub struct SessionState {
    pub name: String,
    pub shown_url: String,
    pub lifecycle: Lifecycle,
    /// Attempts started so far.
    pub attempts: u32,
    /// Times the socket opened.
    pub opens: u32,
    /// Newest last; capped at [`HISTORY_CAP`] (`history_dropped` counts the rest).
    pub history: VecDeque<HistoryEntry>,
    pub history_dropped: u64,
    pub payloads: PayloadRing,
    pub messages: u64,
    pub bytes: u64,
    pub last_rtt: Option<Duration>,
    /// The 101 answer of the current (or last) open connection.
    pub handshake: Option<HandshakeInfo>,
}

impl SessionState {
    fn new(name: &str, shown_url: &str) -> Self {
        SessionState {
            name: name.to_string(),
            shown_url: shown_url.to_string(),
            lifecycle: Lifecycle::Idle,
            attempts: 0,
            opens: 0,
            history: VecDeque::new(),
            history_dropped: 0,
            payloads: PayloadRing::default(),
            messages: 0,
            bytes: 0,
            last_rtt: None,
            handshake: None,
        }
    }

    /// Reconnects: attempts after the first.
    pub fn reconnects(&self) -> u32 {
        self.attempts.saturating_sub(1)
    }

    /// The most recent finished attempt.
    pub fn last_attempt(&self) -> Option<&AttemptRecord> {
        self.history.back().map(|h| &h.record)
    }

    /// Applies one event of this session.
    pub fn apply(&mut self, event: &SessionEvent) {
        match event {
            SessionEvent::Connecting { attempt, at } => {
                self.attempts = *attempt;
                self.lifecycle = Lifecycle::Connecting {
                    attempt: *attempt,
                    since: *at,
                };
            }
            SessionEvent::Open { at, handshake } => {
                self.opens += 1;
                self.handshake = Some(handshake.clone());
                self.lifecycle = Lifecycle::Open { since: *at };
            }
            SessionEvent::Messages(batch) => {
                self.payloads.add_dropped(batch.dropped);
                self.messages += batch.dropped;
                for payload in &batch.messages {
                    self.messages += 1;
                    self.bytes += payload.len() as u64;
                    self.payloads.push(payload.clone());
                }
            }
            SessionEvent::Rtt(rtt) => self.last_rtt = Some(*rtt),
            SessionEvent::Closing { at, .. } => self.lifecycle = Lifecycle::Closing { since: *at },
            SessionEvent::Closed(record) => {
                self.lifecycle = Lifecycle::closed(record);
                if self.history.len() == HISTORY_CAP {
                    self.history.pop_front();
                    self.history_dropped += 1;
                }
                self.history.push_back(HistoryEntry {
                    record: (**record).clone(),
                    retry_delay: None,
                });
            }
            SessionEvent::RetryScheduled { attempt, delay, at } => {
                if let Some(last) = self.history.back_mut() {
                    last.retry_delay = Some(*delay);
                }
                self.lifecycle = Lifecycle::Waiting {
                    attempt: *attempt,
                    retry_at: *at + *delay,
                };
            }
            SessionEvent::Stopped { why, at } => {
                self.lifecycle = Lifecycle::Stopped {
                    why: why.clone(),
                    since: *at,
                };
            }
            SessionEvent::Sent { .. } => {}
        }
    }
}

/// Delivery probe results kept (newest last).
pub const PROBES_CAP: usize = 60;

/// The state of the active profile.
#[derive(Debug, Clone)]
pub struct Model {
    pub profile: String,
    pub sessions: Vec<SessionState>,
    pub token_check: Option<TokenCheckResult>,
    /// The latest delivery probe results, newest last (at most [`PROBES_CAP`]).
    pub probes: VecDeque<ProbeResult>,
}

impl Model {
    pub fn new(profile: &ActiveProfile) -> Self {
        Model {
            profile: profile.name.clone(),
            sessions: profile
                .endpoints
                .iter()
                .map(|e| SessionState::new(&e.name, &e.shown_url))
                .collect(),
            token_check: None,
            probes: VecDeque::new(),
        }
    }

    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::Session { endpoint, event } => {
                if let Some(session) = self.sessions.get_mut(*endpoint) {
                    session.apply(event);
                }
            }
            Event::TokenCheck(result) => self.token_check = Some(result.clone()),
            Event::Probe(result) => {
                if self.probes.len() == PROBES_CAP {
                    self.probes.pop_front();
                }
                self.probes.push_back(result.clone());
            }
        }
    }
}
