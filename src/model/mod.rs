//! The engine's state as front ends read it: one [`SessionState`] per
//! endpoint, built only by applying [`Event`]s. Headless commands and the
//! dashboard share it, so they cannot disagree about what happened.

pub(crate) mod expect;
pub mod health;
pub(crate) mod lifecycle;
pub(crate) mod pretty;
pub(crate) mod preview;
pub mod ring;
pub(crate) mod uptime;

use std::collections::VecDeque;
use std::time::Duration;

pub use health::{Health, HealthWord, Standing, StandingCounts};
pub use lifecycle::Lifecycle;
pub use ring::PayloadRing;

use crate::config::ActiveProfile;
use crate::facts::{AttemptRecord, Event, HandshakeInfo, ProbeResult, ProtocolEvent, SessionEvent};
use crate::served_by::{Listener, ServedBy, ServerRestart};
use crate::session::server_log::LogLine;
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
    /// The endpoint has an application protocol (or on_open steps), so
    /// being open is not enough: it must also be [`SessionState::ready`].
    pub expects_ready: bool,
    /// The protocol handshake of the current connection is complete
    /// (Socket.IO namespace connected, graphql connection_ack +
    /// subscribe, Action Cable confirm_subscription, STOMP CONNECTED +
    /// SUBSCRIBE, on_open expectations met). False when closed.
    pub ready: bool,
    /// The current or last connection became ready (kept after it closed,
    /// reset when the next one opens): what `check` reports.
    pub was_ready: bool,
    /// What the protocol said when it became ready.
    pub ready_detail: Option<String>,
    /// Protocol keepalives received (answered, never shown as messages).
    pub keepalives: u64,
    /// The latest in-band refusal, in the server's words.
    pub protocol_error: Option<String>,
    /// A raw endpoint found to speak a known protocol, with the evidence.
    pub detected: Option<(crate::config::ProtocolKind, String)>,
    /// Who listens on the endpoint's port (endpoints on this machine only):
    /// the latest lookup.
    pub served_by: Option<ServedBy>,
    /// The last process seen listening there (kept while nothing listens).
    pub last_listener: Option<Listener>,
    /// The latest change of listening process (new pid: a restart).
    pub restart: Option<ServerRestart>,
    /// When the latest lookup found another listener (or none) than the
    /// one before it (`tail` prints a line then).
    pub served_by_changed: Option<std::time::SystemTime>,
    /// When the latest attempt started (its `Connecting`): the uptime
    /// strip's CONNECTING before the current open.
    pub attempt_started: Option<std::time::SystemTime>,
    /// Silence and content rules of the endpoint, and what arrived.
    pub expect: expect::Expecting,
}

impl SessionState {
    fn new(name: &str, shown_url: &str) -> Self {
        SessionState {
            served_by: None,
            last_listener: None,
            restart: None,
            served_by_changed: None,
            attempt_started: None,
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
            expects_ready: false,
            ready: false,
            was_ready: false,
            ready_detail: None,
            keepalives: 0,
            protocol_error: None,
            detected: None,
            expect: expect::Expecting::default(),
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
                self.attempt_started = Some(*at);
                self.lifecycle = Lifecycle::Connecting {
                    attempt: *attempt,
                    since: *at,
                };
            }
            SessionEvent::Open { at, handshake } => {
                self.opens += 1;
                self.handshake = Some(handshake.clone());
                self.lifecycle = Lifecycle::Open { since: *at };
                self.ready = false;
                self.was_ready = false;
            }
            SessionEvent::Messages(batch) => {
                self.expect.saw(&batch.messages);
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
                self.ready = false;
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
            SessionEvent::ServedBy(found) => {
                if let Some(now) = &found.listener {
                    if let Some(before) = &self.last_listener
                        && before.pid != now.pid
                    {
                        self.restart = Some(ServerRestart {
                            from: before.clone(),
                            to: now.clone(),
                            seen: found.at,
                        });
                    }
                    self.last_listener = Some(now.clone());
                }
                let pid = |s: Option<&ServedBy>| s.and_then(|s| s.listener.as_ref()).map(|l| l.pid);
                if self.served_by.is_none() || pid(self.served_by.as_ref()) != pid(Some(found)) {
                    self.served_by_changed = Some(found.at);
                }
                self.served_by = Some((**found).clone());
            }
            SessionEvent::Protocol(p) => self.apply_protocol(p),
        }
    }

    fn apply_protocol(&mut self, event: &ProtocolEvent) {
        match event {
            ProtocolEvent::Ready { detail, .. } => {
                self.ready = true;
                self.was_ready = true;
                self.ready_detail = Some(detail.clone());
                self.protocol_error = None;
            }
            ProtocolEvent::Refused { detail, .. } => {
                self.ready = false;
                self.protocol_error = Some(detail.clone());
            }
            ProtocolEvent::Detected {
                protocol, evidence, ..
            } => self.detected = Some((*protocol, evidence.clone())),
            ProtocolEvent::Keepalive => self.keepalives += 1,
        }
    }
}

/// REST token check results kept (newest last).
pub const TOKEN_CHECKS_CAP: usize = 60;

/// Delivery probe results kept (newest last).
pub const PROBES_CAP: usize = 60;

/// Byte budget of every session's payload history together. Each ring is
/// also capped on its own ([`ring::DEFAULT_CAP_BYTES`]), so a few chatty
/// sessions keep 8 MiB each, while a thousand of them share this instead
/// of growing to gigabytes over a long run.
pub const TOTAL_PAYLOAD_CAP: usize = 16 << 20;

/// The state of the active profile.
#[derive(Debug, Clone)]
pub struct Model {
    pub profile: String,
    pub sessions: Vec<SessionState>,
    pub token_check: Option<TokenCheckResult>,
    /// The latest REST token checks, newest last (at most
    /// [`TOKEN_CHECKS_CAP`]): the token panel's latency chart.
    pub token_checks: VecDeque<TokenCheckResult>,
    /// The latest login or token refresh (`[profiles.NAME.login]`).
    pub login: Option<crate::session::login::LoginResult>,
    /// The profile logs in.
    pub login_configured: bool,
    /// The latest delivery probe results, newest last (at most [`PROBES_CAP`]).
    pub probes: VecDeque<ProbeResult>,
    /// Bytes held by all payload rings together.
    payload_bytes: usize,
    payload_cap: usize,
    /// Where the search for a ring to evict from goes on (round robin).
    evict_cursor: usize,
    /// `false`: messages are counted, not kept (`tail`, `watch`).
    keep_payloads: bool,
    /// The churn window of the health word (`health_window`).
    pub health_window: Duration,
    pub token_check_configured: bool,
    pub probe_configured: bool,
    /// The server's latest log lines (`server_log`), oldest first, at most
    /// [`SERVER_LOG_CAP`].
    pub server_log: VecDeque<LogLine>,
    /// The Django doctor's reading of `django_project`, once it finished.
    pub django: Option<std::sync::Arc<crate::facts::django::Doctor>>,
}

/// Server log lines kept: enough for a few tracebacks around a minute of
/// attempts, bounded whatever the server prints.
pub const SERVER_LOG_CAP: usize = 2000;

impl Model {
    pub fn new(profile: &ActiveProfile) -> Self {
        Model::with_payload_cap(profile, TOTAL_PAYLOAD_CAP)
    }

    /// [`Model::new`] with another total payload budget.
    pub fn with_payload_cap(profile: &ActiveProfile, payload_cap: usize) -> Self {
        let s = &profile.settings;
        Model {
            profile: profile.name.clone(),
            sessions: profile
                .endpoints
                .iter()
                .map(|e| {
                    let mut s = SessionState::new(&e.name, &e.shown_url);
                    s.expects_ready = e.protocol.has_ready();
                    s.expect = expect::Expecting::new(&e.expect);
                    s
                })
                .collect(),
            token_check: None,
            token_checks: VecDeque::new(),
            login: None,
            login_configured: profile.login.is_some(),
            probes: VecDeque::new(),
            payload_bytes: 0,
            payload_cap,
            evict_cursor: 0,
            keep_payloads: true,
            health_window: s.health_window,
            token_check_configured: profile.token_check.is_some(),
            probe_configured: profile.probe.is_some(),
            server_log: VecDeque::new(),
            django: None,
        }
    }

    /// A model that counts messages but keeps none of them: for front
    /// ends that only need states, histories and health (`tail`, `watch`).
    pub fn without_payloads(profile: &ActiveProfile) -> Self {
        Model {
            keep_payloads: false,
            ..Model::with_payload_cap(profile, 0)
        }
    }

    /// The failed login that keeps the sessions from dialling: with a
    /// `[profiles.NAME.login]`, sessions wait for a credential, and after
    /// a refused login none comes until it is retried.
    pub fn login_failed(&self) -> Option<&crate::facts::login::LoginResult> {
        self.login
            .as_ref()
            .filter(|l| self.login_configured && !l.ok())
    }

    /// The sessions (by endpoint index) that [`Model::login_failed`] keeps
    /// from dialling: never dialled ([`Lifecycle::Idle`]) while the last
    /// login failed. Empty when it did not. The dashboard's "login
    /// failed" rows, `tail`'s `not_dialled` lines.
    pub fn not_dialled(&self) -> impl Iterator<Item = usize> + '_ {
        let failed = self.login_failed().is_some();
        (self.sessions.iter().enumerate())
            .filter(move |(_, s)| failed && matches!(s.lifecycle, Lifecycle::Idle))
            .map(|(i, _)| i)
    }

    /// Bytes held by all payload rings together.
    pub fn payload_bytes(&self) -> usize {
        self.payload_bytes
    }

    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::Session { endpoint, event } => {
                let Some(session) = self.sessions.get_mut(*endpoint) else {
                    return;
                };
                if !self.keep_payloads
                    && let SessionEvent::Messages(batch) = event
                {
                    session.messages += batch.messages.len() as u64 + batch.dropped;
                    session.bytes += batch.messages.iter().map(|p| p.len() as u64).sum::<u64>();
                    session.expect.saw(&batch.messages);
                    return;
                }
                let before = session.payloads.bytes();
                session.apply(event);
                let after = session.payloads.bytes();
                if after != before {
                    self.payload_bytes = (self.payload_bytes + after).saturating_sub(before);
                    self.enforce_payload_cap(*endpoint);
                }
            }
            Event::TokenCheck(result) => {
                if self.token_checks.len() == TOKEN_CHECKS_CAP {
                    self.token_checks.pop_front();
                }
                self.token_checks.push_back(result.clone());
                self.token_check = Some(result.clone());
            }
            Event::Login(result) => self.login = Some(result.clone()),
            Event::Django(doctor) => self.django = Some(doctor.clone()),
            Event::ServerLog(lines) => {
                for line in lines {
                    if self.server_log.len() == SERVER_LOG_CAP {
                        self.server_log.pop_front();
                    }
                    self.server_log.push_back(line.clone());
                }
            }
            Event::Probe(result) => {
                if self.probes.len() == PROBES_CAP {
                    self.probes.pop_front();
                }
                self.probes.push_back(result.clone());
            }
        }
    }

    /// Evicts oldest payloads until all rings together fit the budget.
    /// The session that just grew pays while it holds more than an equal
    /// share; otherwise some other ring does (one must: the total is over
    /// n equal shares), found round robin so a thousand sessions are not
    /// scanned per message. A ring's newest payload is never evicted.
    fn enforce_payload_cap(&mut self, grew: usize) {
        let n = self.sessions.len().max(1);
        let share = self.payload_cap / n;
        while self.payload_bytes > self.payload_cap {
            let over = |s: &SessionState| s.payloads.bytes() > share && s.payloads.len() > 1;
            let victim = if self.sessions.get(grew).is_some_and(over) {
                Some(grew)
            } else {
                (1..=n)
                    .map(|k| (self.evict_cursor + k) % n)
                    .find(|&i| self.sessions.get(i).is_some_and(over))
            };
            let Some(victim) = victim else {
                // Only single newest payloads left above their share.
                return;
            };
            self.evict_cursor = victim;
            let freed = self.sessions[victim].payloads.evict_oldest();
            if freed == 0 {
                return;
            }
            self.payload_bytes -= freed;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::facts::{MessageBatch, Payload, PayloadData};

    fn profile(n: usize) -> ActiveProfile {
        let mut text = String::from("[profiles.p]\nserver = \"http://127.0.0.1:9\"\n");
        for i in 0..n {
            text +=
                &format!("[[profiles.p.endpoints]]\nname = \"e{i}\"\nurl = \"{{ws}}/ws/{i}/\"\n");
        }
        let config =
            crate::config::validate::parse(std::path::Path::new("t.toml"), &text).expect("profile");
        config.profiles[0].activate().expect("activate")
    }

    fn batch(endpoint: usize, count: usize, size: usize) -> Event {
        let messages = (0..count)
            .map(|_| Payload {
                at: SystemTime::UNIX_EPOCH,
                data: PayloadData::Text("x".repeat(size).into()),
            })
            .collect();
        Event::Session {
            endpoint,
            event: SessionEvent::Messages(MessageBatch {
                messages,
                dropped: 0,
                budget: None,
            }),
        }
    }

    fn held(model: &Model) -> usize {
        model.sessions.iter().map(|s| s.payloads.bytes()).sum()
    }

    #[test]
    fn all_rings_together_stay_within_the_budget() {
        let cap = 64 * 1024;
        let mut model = Model::with_payload_cap(&profile(10), cap);
        for round in 0..50 {
            for endpoint in 0..10 {
                model.apply(&batch(endpoint, 3, 100 + round));
                assert!(model.payload_bytes() <= cap);
                assert_eq!(model.payload_bytes(), held(&model));
            }
        }
        // Equally chatty sessions end with about equal shares.
        let share = cap / 10;
        for s in &model.sessions {
            assert!(s.payloads.bytes() <= share + 1024, "{}", s.payloads.bytes());
            assert!(s.payloads.bytes() >= share / 2, "{}", s.payloads.bytes());
            assert_eq!(s.messages, 150);
        }
    }

    #[test]
    fn a_flooding_session_pays_for_itself_and_spares_the_quiet_ones() {
        let cap = 64 * 1024;
        let mut model = Model::with_payload_cap(&profile(4), cap);
        for endpoint in 1..4 {
            model.apply(&batch(endpoint, 5, 200));
        }
        let quiet: Vec<usize> = (1..4).map(|i| model.sessions[i].payloads.len()).collect();
        for _ in 0..1000 {
            model.apply(&batch(0, 10, 300));
        }
        assert!(model.payload_bytes() <= cap);
        assert_eq!(
            quiet,
            (1..4)
                .map(|i| model.sessions[i].payloads.len())
                .collect::<Vec<_>>()
        );
        assert!(model.sessions[0].payloads.dropped() > 9000);
        assert_eq!(model.payload_bytes(), held(&model));
    }

    #[test]
    fn the_newest_payload_of_a_ring_is_never_evicted() {
        let mut model = Model::with_payload_cap(&profile(3), 1000);
        for endpoint in 0..3 {
            model.apply(&batch(endpoint, 1, 5000));
        }
        for s in &model.sessions {
            assert_eq!(s.payloads.len(), 1);
        }
        model.apply(&batch(1, 1, 10));
        assert_eq!(model.sessions[1].payloads.len(), 1);
        assert_eq!(model.payload_bytes(), held(&model));
    }
}
