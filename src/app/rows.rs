//! Which sessions the list shows, in which order: as configured, trouble
//! first (stopped, closed, retrying, churning, silent, connecting, then
//! open), by
//! name or by last change (`o` cycles), narrowed by the sessions filter
//! (`/` on the sessions panel: name, standing, state or close code).
//!
//! The order is kept, not recomputed per frame: it is marked stale by the
//! events that can change it (a state change, the 1 Hz tick while it
//! depends on time, a key) and rebuilt at most once per frame into the
//! same buffer, so a thousand sessions cost a sort a few times a second
//! at worst, and nothing while they are quiet.

use std::time::{Duration, SystemTime};

use super::cursor::Filter;
use super::state::App;
use crate::model::{SessionState, Standing};

/// The orders `o` cycles through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Order {
    /// As in the profiles file.
    #[default]
    Configured,
    /// Worst standing first ([`Standing`] order), then as configured.
    Trouble,
    /// By endpoint name.
    Name,
    /// The most recent state change first.
    LastChange,
}

impl Order {
    /// The next order `o` picks.
    pub fn next(self) -> Order {
        match self {
            Order::Configured => Order::Trouble,
            Order::Trouble => Order::Name,
            Order::Name => Order::LastChange,
            Order::LastChange => Order::Configured,
        }
    }

    /// As the sessions title says it.
    pub fn label(self) -> &'static str {
        match self {
            Order::Configured => "as configured",
            Order::Trouble => "trouble first",
            Order::Name => "by name",
            Order::LastChange => "by last change",
        }
    }

    /// Whether the order can change with time alone (churn leaves its
    /// window).
    fn moves_with_time(self) -> bool {
        // (Churn leaves its window; silence begins.)
        matches!(self, Order::Trouble)
    }
}

/// The sessions list's order, filter and the rows they give.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub order: Order,
    /// `/` on the sessions panel.
    pub filter: Filter,
    /// Model indexes of the rows shown, in order.
    shown: Vec<usize>,
    /// Something the rows depend on changed since they were built.
    stale: bool,
    /// Times the rows were rebuilt (the CPU budget: not per frame).
    rebuilds: u64,
}

impl Rows {
    /// Marks the rows for a rebuild before the next frame.
    pub fn touch(&mut self) {
        self.stale = true;
    }

    /// Times the rows were rebuilt so far.
    pub fn rebuilds(&self) -> u64 {
        self.rebuilds
    }

    /// On the 1 Hz tick: rows that depend on time are rebuilt.
    pub fn tick(&mut self) {
        if self.order.moves_with_time() || self.filter.is_active() {
            self.stale = true;
        }
    }
}

/// Whether session `s` is shown under the sessions filter (always with
/// none): its [`haystack`] matches.
pub(crate) fn shown_by(
    filter: &Filter,
    s: &SessionState,
    window: Duration,
    now: SystemTime,
) -> bool {
    !filter.is_active() || filter.matches_text(&haystack(s, s.standing(window, now)))
}

/// The text the sessions filter matches: name, standing, state badge and
/// last close code (`orders retrying 3 CLOSED 1006`).
fn haystack(s: &SessionState, standing: Standing) -> String {
    let rs = s.lifecycle.ready_state();
    let code = s
        .last_attempt()
        .map(|r| match r.handshake_status() {
            Some(status) if status != 101 => format!("{status} http"),
            _ => r.browser_close_code().to_string(),
        })
        .unwrap_or_default();
    format!(
        "{} {} {} {} {} {code}",
        s.name,
        standing.label(),
        s.lifecycle.name(),
        rs.number(),
        rs.label()
    )
}

impl App {
    /// Model indexes of the session rows, in the order shown (call
    /// [`App::refresh_rows`] first for the newest).
    pub fn rows(&self) -> &[usize] {
        &self.rows.shown
    }

    /// The selected session's position in [`App::rows`], if shown (one
    /// live profile; several are grouped, see [`App::selected_row`]).
    pub fn shown_row(&self) -> Option<usize> {
        self.rows.shown.iter().position(|&i| i == self.selected)
    }

    /// Rebuilds the rows if anything they depend on changed. A selection
    /// the filter hides moves to the first row shown.
    pub fn refresh_rows(&mut self) {
        let n = self.model.sessions.len();
        if !self.rows.stale && (self.rows.filter.is_active() || self.rows.shown.len() == n) {
            return;
        }
        self.rows.stale = false;
        self.rows.rebuilds += 1;
        let now = self.now();
        let window = self.model.health_window;
        let sessions = &self.model.sessions;
        let rows = &mut self.rows;
        rows.shown.clear();
        if rows.filter.is_active() {
            rows.shown.extend((0..n).filter(|&i| {
                let s = &sessions[i];
                rows.filter
                    .matches_text(&haystack(s, s.standing(window, now)))
            }));
        } else {
            rows.shown.extend(0..n);
        }
        match rows.order {
            Order::Configured => {}
            // Stable: equal standings keep the configured order.
            Order::Trouble => rows
                .shown
                .sort_by_cached_key(|&i| sessions[i].standing(window, now)),
            Order::Name => rows
                .shown
                .sort_by(|&a, &b| sessions[a].name.cmp(&sessions[b].name)),
            Order::LastChange => rows.shown.sort_by_key(|&i| {
                std::cmp::Reverse(sessions[i].last_change().unwrap_or(SystemTime::UNIX_EPOCH))
            }),
        }
        if let Some(&first) = self.rows.shown.first()
            && !self.rows.shown.contains(&self.selected)
        {
            self.select_index(first);
        }
    }

    /// Selects session `index` (model index): the payload list follows
    /// its newest message, the detail and history start at the top.
    pub(crate) fn select_index(&mut self, index: usize) {
        if index != self.selected {
            self.selected = index;
            self.follow = true;
            self.detail_scroll = 0;
            self.history_scroll = 0;
        }
    }

    /// `o`: the next order, the first row selected (trouble first puts
    /// the worst session there, in view).
    pub(crate) fn cycle_order(&mut self) {
        if self.is_crew() {
            // Several profiles: the list is grouped by profile.
            self.notice = Some("o orders one live profile's sessions; O: next profile".into());
            return;
        }
        self.rows.order = self.rows.order.next();
        self.rows.touch();
        self.refresh_rows();
        if let Some(&first) = self.rows.shown.first() {
            self.select_index(first);
        }
        self.notice = Some(format!("sessions {}", self.rows.order.label()));
    }
}
