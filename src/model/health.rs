//! The one health word of a profile, decided here and only here: the
//! dashboard header draws it, `check` exits by it, `watch` logs it and the
//! metrics export it (`wsmon_health`), so they cannot disagree.
//!
//! HEALTHY only when every session is open (or, after a one-shot check,
//! was held open and closed by wsmon), no session ended more than once in
//! the last `health_window` (5 minutes by default), no ping went
//! unanswered in it, the token check (where configured) says valid and the
//! delivery probe (where configured) delivers. DEGRADED names each reason
//! (`churn: 12 reconnects in 5 min on notifications`); DOWN is nothing
//! open at all.
//!
//! Also here: each session's [`Standing`] (the sessions list counts and
//! sorts by it), and the cross-check of the REST token verdict with what the
//! sockets did (the token panel only draws its line).

mod standing;

use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::{Lifecycle, Model, SessionState};
use crate::diagnose::is_auth_close;
use crate::facts::{AttemptRecord, Closer, LocalCause, StopReason};
use crate::token_check::Verdict;

pub use standing::{Standing, StandingCounts};

/// The word. `as_gauge` is the `wsmon_health` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum HealthWord {
    /// Every session open and quiet about it.
    Healthy,
    /// Sessions still on their first attempt.
    Starting,
    /// Something is wrong; the reasons say what.
    Degraded,
    /// Not one session is open.
    Down,
    /// The profile has no endpoints.
    Empty,
}

impl HealthWord {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// `wsmon_health`: 0 healthy (or empty), 1 degraded or starting, 2 down.
    pub fn as_gauge(self) -> i64 {
        match self {
            HealthWord::Healthy | HealthWord::Empty => 0,
            HealthWord::Starting | HealthWord::Degraded => 1,
            HealthWord::Down => 2,
        }
    }

    /// Whether `check` exits 0 on it.
    pub fn is_healthy(self) -> bool {
        matches!(self, HealthWord::Healthy | HealthWord::Empty)
    }
}

/// The word and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    pub word: HealthWord,
    /// Each reason it is not healthy, most serious first.
    pub reasons: Vec<String>,
}

/// Whether wsmon itself ended the attempt (user, shutdown, a one-shot
/// check): such ends are not the server's churn.
fn ended_by_wsmon(r: &AttemptRecord) -> bool {
    r.close().is_some_and(|c| {
        c.by == Closer::Client
            && matches!(
                c.cause,
                Some(
                    LocalCause::UserRequest
                        | LocalCause::Shutdown
                        | LocalCause::CheckDone
                        | LocalCause::NewToken
                )
            )
    })
}

/// A one-shot check held the socket open and closed it itself.
fn held_fine(s: &SessionState) -> bool {
    matches!(
        s.lifecycle,
        Lifecycle::Stopped {
            why: StopReason::Finished,
            ..
        }
    ) && s.last_attempt().is_some_and(|r| {
        r.close()
            .is_some_and(|c| c.by == Closer::Client && c.cause == Some(LocalCause::CheckDone))
    })
}

impl SessionState {
    /// Ends not caused by wsmon within `window` before `now`.
    pub fn ends_within(&self, window: Duration, now: SystemTime) -> usize {
        let since = now.checked_sub(window).unwrap_or(SystemTime::UNIX_EPOCH);
        self.history
            .iter()
            .rev()
            .take_while(|h| h.record.ended >= since)
            .filter(|h| !ended_by_wsmon(&h.record))
            .count()
    }

    /// Whether a ping went unanswered (wsmon closed the socket as
    /// half-open) within `window` before `now`.
    pub fn half_open_within(&self, window: Duration, now: SystemTime) -> bool {
        let since = now.checked_sub(window).unwrap_or(SystemTime::UNIX_EPOCH);
        self.history
            .iter()
            .rev()
            .take_while(|h| h.record.ended >= since)
            .any(|h| {
                h.record
                    .close()
                    .is_some_and(|c| c.cause == Some(LocalCause::HeartbeatTimeout))
            })
    }

    /// An open socket silent for longer than `expect_message_within` at
    /// `now` (see [`super::expect`]).
    pub fn silence(&self, now: SystemTime) -> Option<super::expect::Silence> {
        let Lifecycle::Open { since } = self.lifecycle else {
            return None;
        };
        self.expect.silence(since, now)
    }

    /// Whether the socket is open now (or a one-shot check held it open).
    pub fn is_up(&self) -> bool {
        matches!(self.lifecycle, Lifecycle::Open { .. }) || held_fine(self)
    }

    /// Whether the endpoint's application protocol says the session is
    /// ready: `None` when there is no protocol handshake to wait for. A raw
    /// endpoint found to speak a known protocol (Engine.IO open packet,
    /// Action Cable welcome…) is never ready: nothing is subscribed.
    pub fn protocol_ready(&self) -> Option<bool> {
        if self.detected.is_some() {
            return Some(false);
        }
        let ready = match self.lifecycle {
            Lifecycle::Open { .. } => self.ready,
            // A check's held socket, closed by wsmon: how it was.
            _ => self.was_ready,
        };
        self.expects_ready.then_some(ready)
    }

    /// Whether the socket refused our credentials on its last attempt.
    pub fn socket_refuses(&self) -> bool {
        if let Lifecycle::Stopped {
            why: StopReason::AuthRejected { .. },
            ..
        } = self.lifecycle
        {
            return true;
        }
        self.last_attempt()
            .is_some_and(|r| match r.handshake_status() {
                Some(401 | 403) => true,
                Some(101) => r.close().is_some_and(|c| is_auth_close(c.code)),
                _ => false,
            })
    }
}

/// "5 min", "30 s".
fn window_words(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 && s.is_multiple_of(60) {
        format!("{} min", s / 60)
    } else {
        format!("{} s", s.max(1))
    }
}

impl Model {
    /// The profile's health at `now` (see the module docs).
    pub fn health(&self, now: SystemTime) -> Health {
        let sessions = &self.sessions;
        if sessions.is_empty() {
            return Health {
                word: HealthWord::Empty,
                reasons: Vec::new(),
            };
        }
        let starting = sessions.iter().all(|s| {
            s.history.is_empty()
                && matches!(s.lifecycle, Lifecycle::Idle | Lifecycle::Connecting { .. })
        });
        // A failed login comes first: no session dials without it.
        let login = self
            .login
            .as_ref()
            .filter(|l| !l.ok())
            .map(|l| format!("login failed: {}", l.summary()));
        let never_tried = sessions.iter().all(|s| s.history.is_empty());
        if let (Some(reason), true) = (&login, never_tried) {
            return Health {
                word: HealthWord::Down,
                reasons: vec![reason.clone()],
            };
        }
        if starting {
            return Health {
                word: HealthWord::Starting,
                reasons: vec!["first attempts under way".into()],
            };
        }
        let mut reasons: Vec<String> = login.into_iter().collect();
        let up = sessions.iter().filter(|s| s.is_up()).count();
        // Each with its state: `orders (waiting)`, `feed (stopped)`.
        let down: Vec<String> = (sessions.iter())
            .filter(|s| !s.is_up())
            .take(NAMED + 1)
            .map(|s| format!("{} ({})", s.name, s.lifecycle.name()))
            .collect();
        if !down.is_empty() {
            let count = sessions.iter().filter(|s| !s.is_up()).count();
            reasons.push(format!("not open: {}", names(&down, count)));
        }
        let window = self.health_window;
        for s in sessions {
            let ends = s.ends_within(window, now);
            if ends > 1 {
                reasons.push(format!(
                    "churn: {ends} reconnects in {} on {}",
                    window_words(window),
                    s.name
                ));
            }
        }
        // A ping that went unanswered ends the socket (half-open): one in
        // the window is enough to say so, even after a good reconnect.
        // (Pongs themselves are samples the engine may skip under load, so
        // their absence from the events proves nothing.)
        for s in sessions {
            if s.half_open_within(window, now) {
                reasons.push(format!(
                    "heartbeat: a ping went unanswered on {} (half-open) in the last {}",
                    s.name,
                    window_words(window)
                ));
            }
        }
        // The protocols' "ready" (Socket.IO connected, graphql-ws ack…):
        // a socket that opened but is not ready is not healthy.
        let not_ready: Vec<String> = (sessions.iter())
            .filter(|s| s.is_up() && s.protocol_ready() == Some(false))
            .map(|s| s.name.clone())
            .collect();
        if !not_ready.is_empty() {
            reasons.push(format!(
                "open but not ready: {}",
                names(&not_ready, not_ready.len())
            ));
        }
        // `expect_message_within`: open, but nothing came for too long.
        for s in sessions {
            if let Some(silence) = s.silence(now) {
                reasons.push(format!("silent: {} {}", s.name, silence.describe()));
            }
        }
        // `[[endpoints.expect]]`: a message broke a rule in the window.
        for s in sessions {
            if let Some(v) = &s.expect.last_violation
                && v.at >= now.checked_sub(window).unwrap_or(SystemTime::UNIX_EPOCH)
            {
                let rule = s.expect.rules.get(v.rule).map_or("?", |r| r.shown.as_str());
                reasons.push(format!(
                    "content: {} message{} on {} broke `{rule}` ({})",
                    s.expect.violations(),
                    if s.expect.violations() == 1 { "" } else { "s" },
                    s.name,
                    v.why
                ));
            }
        }
        if self.token_check_configured {
            match &self.token_check {
                Some(t) if t.verdict != Verdict::Valid => {
                    reasons.push(format!("token check: {}", t.verdict.as_str()));
                }
                None if up > 0 => reasons.push("token check: no answer yet".into()),
                _ => {}
            }
        }
        if self.probe_configured
            && let Some(last) = self.probes.back()
        {
            // Judged in one place: delivered, leaked to another profile
            // (isolation), or not proven.
            match crate::diagnose::isolation::judge(last) {
                crate::diagnose::isolation::Judgement::Delivered => {}
                crate::diagnose::isolation::Judgement::Leaked(leaks) => reasons.push(format!(
                    "delivery probe: leaked to {}",
                    crate::diagnose::isolation::where_leaked(&leaks)
                )),
                crate::diagnose::isolation::Judgement::Unproven(peers) => reasons.push(format!(
                    "delivery probe: isolation not proven ({} had no socket open)",
                    peers.join(", ")
                )),
                crate::diagnose::isolation::Judgement::Failed(_) => {
                    reasons.push("delivery probe: not delivered".into())
                }
            }
        }
        let word = if up == 0 {
            HealthWord::Down
        } else if reasons.is_empty() {
            HealthWord::Healthy
        } else {
            HealthWord::Degraded
        };
        Health { word, reasons }
    }

    /// The cross-check of the REST verdict with what the sockets did, in
    /// one line, when there is something to say.
    pub fn token_cross_check(&self) -> Option<&'static str> {
        let check = self.token_check.as_ref()?;
        let refused = self.sessions.iter().any(SessionState::socket_refuses);
        let open = (self.sessions.iter()).any(|s| matches!(s.lifecycle, Lifecycle::Open { .. }));
        Some(match (check.verdict, refused) {
            (Verdict::Valid, true) => {
                "REST accepts this token but the socket refuses it → look at the WebSocket auth middleware or Origin validation"
            }
            (Verdict::Invalid | Verdict::Inactive, true) => {
                "REST rejects this token too → the token itself is bad: get a new one (or reactivate the user)"
            }
            (Verdict::Missing, true) => {
                "REST says no credentials arrived → check auth_scheme and the token source"
            }
            (Verdict::Valid, false) if open => "REST and the socket both accept this token",
            (Verdict::Invalid | Verdict::Inactive, false) if open => {
                "REST rejects this token but the socket accepts it → the socket may not check auth at all"
            }
            (Verdict::Unreachable | Verdict::Unexpected, _) => {
                "REST gave no verdict on the token → check the token_check path and the server"
            }
            _ => return None,
        })
    }
}

/// Sessions named in a reason before "and N more".
const NAMED: usize = 3;

/// "a, b, c and 3 more" (`list` holds at least the first [`NAMED`] of
/// `count`).
fn names(list: &[String], count: usize) -> String {
    let shown: Vec<String> = list
        .iter()
        .take(NAMED)
        .map(|n| crate::text_safe::visible(n).into_owned())
        .collect();
    match count {
        n if n > NAMED => format!("{} and {} more", shown.join(", "), n - NAMED),
        _ => shown.join(", "),
    }
}

#[cfg(test)]
mod tests;
