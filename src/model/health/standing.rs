//! One session's standing, for the sessions list: its title counts them
//! (`997 open · 2 retrying · 1 stopped`) and the trouble-first order sorts
//! by them (stopped, closed, retrying, churning, silent, connecting, open). Decided here, next to the health word, with the same churn
//! rule (more than one end not caused by wsmon within `health_window`).

use std::time::{Duration, SystemTime};

use super::held_fine;
use crate::model::{Lifecycle, Model, SessionState};

/// Where a session stands, worst first (the trouble-first order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Standing {
    /// Not reconnecting on its own: refused, auth rejected, paused.
    Stopped,
    /// The last attempt ended; the retry decision is not made yet (or
    /// wsmon is closing it).
    Closed,
    /// Backing off before the next attempt.
    Retrying,
    /// Open or connecting, but it ended more than once within the health
    /// window.
    Churning,
    /// Open, but no message for longer than `expect_message_within`.
    Silent,
    /// First attempt, or connecting again.
    Connecting,
    /// Open (or held open and closed by a one-shot check).
    Open,
}

impl Standing {
    /// Every standing, worst first.
    pub const ALL: [Standing; 7] = [
        Standing::Stopped,
        Standing::Closed,
        Standing::Retrying,
        Standing::Churning,
        Standing::Silent,
        Standing::Connecting,
        Standing::Open,
    ];

    /// The word in counts and filters: `open`, `retrying`…
    pub fn label(self) -> &'static str {
        match self {
            Standing::Stopped => "stopped",
            Standing::Closed => "closed",
            Standing::Retrying => "retrying",
            Standing::Churning => "churning",
            Standing::Silent => "silent",
            Standing::Connecting => "connecting",
            Standing::Open => "open",
        }
    }
}

impl SessionState {
    /// Where the session stands at `now`, churn judged over `window`.
    pub fn standing(&self, window: Duration, now: SystemTime) -> Standing {
        match self.lifecycle {
            Lifecycle::Stopped { .. } if held_fine(self) => Standing::Open,
            Lifecycle::Stopped { .. } => Standing::Stopped,
            Lifecycle::Closed { .. } | Lifecycle::Closing { .. } => Standing::Closed,
            Lifecycle::Waiting { .. } => Standing::Retrying,
            _ if self.ends_within(window, now) > 1 => Standing::Churning,
            Lifecycle::Idle | Lifecycle::Connecting { .. } => Standing::Connecting,
            Lifecycle::Open { .. } if self.silence(now).is_some() => Standing::Silent,
            Lifecycle::Open { .. } => Standing::Open,
        }
    }

    /// When the session last changed state (`None` before its first
    /// attempt); a waiting session changed when its attempt ended.
    pub fn last_change(&self) -> Option<SystemTime> {
        match &self.lifecycle {
            Lifecycle::Idle => None,
            Lifecycle::Connecting { since, .. }
            | Lifecycle::Open { since }
            | Lifecycle::Closing { since }
            | Lifecycle::Closed { since, .. }
            | Lifecycle::Stopped { since, .. } => Some(*since),
            Lifecycle::Waiting { .. } => self.last_attempt().map(|r| r.ended),
        }
    }
}

/// Sessions per standing, in [`Standing::ALL`] order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StandingCounts(pub [usize; 7]);

impl StandingCounts {
    /// Sessions in `standing`.
    pub fn get(&self, standing: Standing) -> usize {
        self.0[standing as usize]
    }

    /// `997 open · 2 retrying · 1 stopped`: open first, then the rest best
    /// to worst, standings without sessions left out.
    pub fn line(&self) -> String {
        let mut parts = Vec::new();
        for s in Standing::ALL.iter().rev() {
            let n = self.get(*s);
            if n > 0 {
                parts.push(format!("{n} {}", s.label()));
            }
        }
        parts.join(" · ")
    }
}

impl Model {
    /// How many sessions stand where, at `now`.
    pub fn standing_counts(&self, now: SystemTime) -> StandingCounts {
        let mut counts = StandingCounts::default();
        for s in &self.sessions {
            counts.0[s.standing(self.health_window, now) as usize] += 1;
        }
        counts
    }
}
