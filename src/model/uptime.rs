//! An endpoint's recent life as a strip of cells: the last `span` (an
//! hour by default) cut into `cells` equal slices, each with the state the
//! socket was in, the worst one when it changed within the slice, so a
//! two-second drop still shows in a two-minute cell (connecting counts as
//! trouble only when the slice has nothing better: a connect that opened
//! is normal). Built from the
//! attempt history and the current lifecycle only: pure, no clock but the
//! `now` given.
//!
//! An attempt is CONNECTING from its start to its 101 (or to its failure),
//! OPEN from the 101 to its end; the time between an end and the next
//! start is CLOSED (waiting to retry); a stop is STOPPED until something
//! starts again.

use std::time::{Duration, SystemTime};

use super::{Lifecycle, SessionState};
use crate::facts::Outcome;

/// The default span of the strip.
pub(crate) const DEFAULT_SPAN: Duration = Duration::from_secs(3600);

/// The state of one slice, in the order a slice shows the last of
/// (the worst): a connect that opened is not trouble, so open outranks
/// connecting; any time closed or stopped outranks both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cell {
    /// Before the first attempt, or not watched then.
    Unknown,
    Connecting,
    Open,
    Closed,
    Stopped,
}

/// A stretch of time in one state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub start: SystemTime,
    pub end: SystemTime,
    pub state: Cell,
}

/// An attempt that ended within the window: when, and the code shown for
/// it (close code, or `403 http` for a refused upgrade).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drop {
    pub at: SystemTime,
    pub code: String,
}

impl SessionState {
    /// The last `span` before `now` as `cells` slices, oldest first.
    pub fn uptime_strip(&self, now: SystemTime, span: Duration, cells: usize) -> Vec<Cell> {
        let mut out = vec![Cell::Unknown; cells];
        if cells == 0 || span.is_zero() {
            return out;
        }
        let from = now.checked_sub(span).unwrap_or(SystemTime::UNIX_EPOCH);
        let slice = span / u32::try_from(cells).unwrap_or(u32::MAX);
        if slice.is_zero() {
            return out;
        }
        let index = |t: SystemTime| {
            let d = t.duration_since(from).unwrap_or_default();
            usize::try_from(d.as_nanos() / slice.as_nanos())
                .unwrap_or(usize::MAX)
                .min(cells - 1)
        };
        for seg in self.timeline(now, span) {
            for cell in &mut out[index(seg.start)..=index(seg.end)] {
                *cell = (*cell).max(seg.state);
            }
        }
        out
    }

    /// The states of the last `span` before `now` as segments, oldest
    /// first, clipped to the window.
    pub fn timeline(&self, now: SystemTime, span: Duration) -> Vec<Segment> {
        let from = now.checked_sub(span).unwrap_or(SystemTime::UNIX_EPOCH);
        let mut out = Vec::new();
        let mut mark = |start: SystemTime, end: SystemTime, state: Cell| {
            let (start, end) = (start.max(from), end.min(now));
            if end >= start {
                out.push(Segment { start, end, state });
            }
        };
        // The history, from the last attempt that ended before the window
        // (the gap after it may reach into the window).
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

    /// The attempts that ended within the last `span` before `now`, oldest
    /// first, with their code.
    pub fn drops(&self, now: SystemTime, span: Duration) -> Vec<Drop> {
        let from = now.checked_sub(span).unwrap_or(SystemTime::UNIX_EPOCH);
        let mut out: Vec<Drop> = (self.history.iter().rev())
            .take_while(|h| h.record.ended >= from)
            .map(|h| Drop {
                at: h.record.ended,
                code: match h.record.handshake_status() {
                    Some(status) if status != 101 => format!("{status} http"),
                    _ => h.record.browser_close_code().to_string(),
                },
            })
            .collect();
        out.reverse();
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
