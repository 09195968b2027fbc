//! An endpoint's recent life as a strip of cells: the last `span` (an
//! hour by default) cut into `cells` equal slices, each with the state the
//! socket was in, the worst one when it changed within the slice, so a
//! two-second drop still shows in a two-minute cell. Built from the
//! attempt history and the current lifecycle only: pure, no clock but the
//! `now` given.
//!
//! An attempt is CONNECTING from its start to its 101 (or to its failure),
//! OPEN from the 101 to its end; the time between an end and the next
//! start is CLOSED (waiting to retry); a stop is STOPPED until something
//! starts again.

use std::time::{Duration, SystemTime};

use super::{Lifecycle, SessionState};
use crate::session::Outcome;

/// The default span of the strip.
pub const DEFAULT_SPAN: Duration = Duration::from_secs(3600);

/// The state of one slice, best to worst (a slice shows its worst).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cell {
    /// Before the first attempt, or not watched then.
    Unknown,
    Open,
    Connecting,
    Closed,
    Stopped,
}

impl SessionState {
    /// The last `span` before `now` as `cells` slices, oldest first.
    pub fn uptime_strip(&self, now: SystemTime, span: Duration, cells: usize) -> Vec<Cell> {
        let mut out = vec![Cell::Unknown; cells];
        if cells == 0 || span.is_zero() {
            return out;
        }
        let from = now.checked_sub(span).unwrap_or(SystemTime::UNIX_EPOCH);
        let slice = span / cells as u32;
        let mut mark = |start: SystemTime, end: SystemTime, state: Cell| {
            let (start, end) = (start.max(from), end.min(now));
            if end < start || slice.is_zero() {
                return;
            }
            let index = |t: SystemTime| {
                let d = t.duration_since(from).unwrap_or_default();
                ((d.as_nanos() / slice.as_nanos()) as usize).min(cells - 1)
            };
            for cell in &mut out[index(start)..=index(end)] {
                *cell = (*cell).max(state);
            }
        };
        // The history, from the oldest attempt that reaches the window.
        let first = self
            .history
            .iter()
            .rposition(|h| h.record.ended < from)
            .unwrap_or(0);
        let attempts: Vec<_> = self.history.range(first..).map(|h| &h.record).collect();
        for (i, r) in attempts.iter().enumerate() {
            match &r.outcome {
                Outcome::Closed { open_for, .. } => {
                    let opened = r.ended.checked_sub(*open_for).unwrap_or(r.started);
                    mark(r.started, opened, Cell::Connecting);
                    mark(opened, r.ended, Cell::Open);
                }
                Outcome::Failed(_) => mark(r.started, r.ended, Cell::Connecting),
            }
            // Until the next attempt starts (or the current one did).
            let next = match attempts.get(i + 1) {
                Some(n) => n.started,
                None => self
                    .current_attempt_started()
                    .unwrap_or(match &self.lifecycle {
                        Lifecycle::Stopped { since, .. } => *since,
                        _ => now,
                    }),
            };
            mark(r.ended, next, Cell::Closed);
        }
        // The attempt under way (not in the history yet).
        match &self.lifecycle {
            Lifecycle::Idle | Lifecycle::Waiting { .. } => {}
            Lifecycle::Connecting { since, .. } => mark(*since, now, Cell::Connecting),
            Lifecycle::Open { since } => {
                if let Some(started) = self.attempt_started {
                    mark(started, *since, Cell::Connecting);
                }
                mark(*since, now, Cell::Open);
            }
            Lifecycle::Closing { since } | Lifecycle::Closed { since, .. } => {
                mark(*since, now, Cell::Closed);
            }
            Lifecycle::Stopped { since, .. } => mark(*since, now, Cell::Stopped),
        }
        out
    }

    /// When the attempt under way started, if one is.
    fn current_attempt_started(&self) -> Option<SystemTime> {
        match self.lifecycle {
            Lifecycle::Connecting { .. } | Lifecycle::Open { .. } | Lifecycle::Closing { .. } => {
                self.attempt_started
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
