//! Several profiles live in one dashboard (`--profiles a,b`, or a profile
//! whose isolation probe names others).
//!
//! The app's own `active`, `model`, `views`, `supervisor` and
//! `url_warnings` are always those of the *focused* profile (the one the
//! selected session belongs to), so every panel, key and tool works on it
//! unchanged; the other live profiles wait in [`App::crew`] and change
//! places with it when the focus moves ([`App::focus_member`]). Events
//! arrive tagged with the profile's place in the lineup, so two profiles
//! with the same endpoint names never collide.

use super::state::{App, SessionView};
use crate::config::ActiveProfile;
use crate::facts::Event;
use crate::model::Model;
use crate::session::crew::Tagged;
use crate::session::{Crew, Mode, Supervisor};

/// One line of the grouped sessions list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrewRow {
    /// A profile's heading (its place in the lineup).
    Profile(usize),
    /// A session: the profile's place, the endpoint id.
    Session(usize, usize),
}

/// A live profile that is not focused right now.
pub struct Member {
    /// Index in `config.profiles`.
    pub live: usize,
    pub active: ActiveProfile,
    pub model: Model,
    pub views: Vec<SessionView>,
    pub url_warnings: Vec<Vec<String>>,
    pub(crate) supervisor: Option<Supervisor>,
}

/// One live profile as the sessions list draws it.
pub struct MemberView<'a> {
    pub active: &'a ActiveProfile,
    pub model: &'a Model,
    pub views: &'a [SessionView],
    /// It is the focused one (its selected row is `App::selected`).
    pub focused: bool,
}

impl App {
    /// Several profiles are live.
    pub fn is_crew(&self) -> bool {
        self.crew.len() > 1
    }

    /// Puts `lineup` (config index, activated profile) live together,
    /// the first focused; with `engine`, their sessions start (tagged
    /// events on [`App::crew_events`]).
    pub(crate) fn start_crew(&mut self, lineup: Vec<(usize, ActiveProfile)>, engine: bool) {
        let mut rx = crate::session::crew::Events::default();
        let actives: Vec<ActiveProfile> = lineup.iter().map(|(_, a)| a.clone()).collect();
        let mut supervisors: Vec<Option<Supervisor>> = if engine {
            let crew = Crew::start(actives.clone(), Mode::Monitor, &mut rx);
            crew.into_members().into_iter().map(Some).collect()
        } else {
            actives.iter().map(|_| None).collect()
        };
        if let Some(metrics) = &self.metrics {
            metrics.set_profiles(&actives.iter().collect::<Vec<_>>());
        }
        let mut members: Vec<Option<Member>> = lineup
            .into_iter()
            .zip(supervisors.iter_mut())
            .map(|((live, active), supervisor)| {
                let model = Model::new(&active);
                Some(Member {
                    live,
                    views: vec![SessionView::default(); model.sessions.len()],
                    url_warnings: crate::report::url_warnings(&active),
                    model,
                    active,
                    supervisor: supervisor.take(),
                })
            })
            .collect();
        // The first takes the app's own fields.
        if let Some(Some(first)) = members.first_mut().map(Option::take) {
            self.live = first.live;
            self.active = first.active;
            self.model = first.model;
            self.views = first.views;
            self.url_warnings = first.url_warnings;
            self.supervisor = first.supervisor;
        }
        // The app's own single-profile channel is not used by a crew.
        let (_, closed) = crate::session::channel();
        self.events = closed;
        self.crew = members;
        self.focused = 0;
        self.crew_events = Some(rx);
        self.selected = 0;
        self.follow = true;
        self.detail_scroll = 0;
        self.history_scroll = 0;
    }

    /// Moves the focus to live profile `to` (its place in the lineup):
    /// its sessions, detail, payloads and token check take the panels.
    pub fn focus_member(&mut self, to: usize) {
        if to == self.focused || !self.is_crew() {
            return;
        }
        let Some(Some(incoming)) = self.crew.get_mut(to).map(Option::take) else {
            return;
        };
        let outgoing = Member {
            live: std::mem::replace(&mut self.live, incoming.live),
            active: std::mem::replace(&mut self.active, incoming.active),
            model: std::mem::replace(&mut self.model, incoming.model),
            views: std::mem::replace(&mut self.views, incoming.views),
            url_warnings: std::mem::replace(&mut self.url_warnings, incoming.url_warnings),
            supervisor: std::mem::replace(&mut self.supervisor, incoming.supervisor),
        };
        self.crew[self.focused] = Some(outgoing);
        self.focused = to;
        self.selected = 0;
        self.follow = true;
        self.detail_scroll = 0;
        self.history_scroll = 0;
        self.token_requested = false;
    }

    /// `O`: the next live profile takes the focus (its token check one key
    /// away); with one profile live, says how to get several.
    pub fn next_member(&mut self) {
        if !self.is_crew() {
            self.notice = Some(
                "one profile live: start with --profiles a,b to watch several side by side".into(),
            );
            return;
        }
        let to = (self.focused + 1) % self.crew.len();
        self.focus_member(to);
        self.notice = Some(format!(
            "focused profile: {}",
            crate::text_safe::visible(&self.active.name)
        ));
    }

    /// Every live profile in lineup order (just the app's own without a crew).
    pub fn members(&self) -> Vec<MemberView<'_>> {
        let own = || MemberView {
            active: &self.active,
            model: &self.model,
            views: &self.views,
            focused: true,
        };
        if !self.is_crew() {
            return vec![own()];
        }
        (self.crew.iter().enumerate())
            .map(|(i, m)| match m {
                Some(m) if i != self.focused => MemberView {
                    active: &m.active,
                    model: &m.model,
                    views: &m.views,
                    focused: false,
                },
                _ => own(),
            })
            .collect()
    }

    /// [`App::apply_tagged`] for `first` and for up to `max` more events
    /// of any member already queued, so a flood becomes one frame.
    pub(crate) fn apply_tagged_queued(&mut self, member: usize, first: &Event, max: usize) -> bool {
        let mut dirty = self.apply_tagged(member, first);
        for _ in 0..max {
            match self.crew_events.as_mut().map(|rx| rx.try_recv()) {
                Some(Ok((member, event))) => dirty |= self.apply_tagged(member, &event),
                _ => break,
            }
        }
        dirty
    }

    /// Applies an event of lineup member `member`.
    pub fn apply_tagged(&mut self, member: usize, event: &Event) -> bool {
        if member == self.focused {
            return self.apply(event);
        }
        if let Some(metrics) = &self.metrics {
            metrics.apply_in(member, event);
        }
        let now = self.now();
        let Some(Some(m)) = self.crew.get_mut(member) else {
            return false;
        };
        if let Event::Session {
            endpoint,
            event: crate::facts::SessionEvent::Messages(batch),
        } = event
            && let Some(view) = m.views.get_mut(*endpoint)
        {
            let at = batch.messages.last().map_or(now, |p| p.at);
            view.rate
                .add(at, batch.messages.len() as u64 + batch.dropped);
            view.pushed += batch.messages.len() as u64;
        }
        // The transcript `e` saves once it is focused: its state changes.
        if let Event::Session { endpoint, event } = event
            && !matches!(
                event,
                crate::facts::SessionEvent::Messages(_) | crate::facts::SessionEvent::Rtt(_)
            )
            && let Some(view) = m.views.get_mut(*endpoint)
        {
            if view.journal.len() == super::tools::JOURNAL_CAP {
                view.journal.pop_front();
            }
            view.journal.push_back(event.clone());
        }
        m.model.apply(event);
        // Its rows change (state, counters): redrawn, except for the
        // message and RTT numbers the 1 Hz tick redraws.
        !matches!(
            event,
            Event::Session {
                event: crate::facts::SessionEvent::Messages(_) | crate::facts::SessionEvent::Rtt(_),
                ..
            }
        )
    }

    /// Sets `wsmon_health` of every live profile but the focused one
    /// (which [`App::judge_health`] sets).
    pub(crate) fn judge_crew_health(&self) {
        let Some(metrics) = &self.metrics else {
            return;
        };
        let now = self.now();
        for (i, m) in self.crew.iter().enumerate() {
            if let Some(m) = m
                && i != self.focused
            {
                metrics.set_health_in(i, &m.model.health(now));
            }
        }
    }

    /// The lines of the grouped sessions list: each profile's heading,
    /// then those of its sessions the sessions filter (`/` on the
    /// sessions panel) shows, in lineup order.
    pub fn crew_rows(&self) -> Vec<CrewRow> {
        let now = self.now();
        let filter = &self.rows.filter;
        let mut out = Vec::new();
        for (k, m) in self.members().iter().enumerate() {
            out.push(CrewRow::Profile(k));
            let window = m.model.health_window;
            out.extend(
                (m.model.sessions.iter().enumerate())
                    .filter(|(_, s)| super::rows::shown_by(filter, s, window, now))
                    .map(|(i, _)| CrewRow::Session(k, i)),
            );
        }
        out
    }

    /// The sessions shown, across profiles: (lineup place, endpoint id).
    fn crew_sessions(&self) -> Vec<(usize, usize)> {
        (self.crew_rows().into_iter())
            .filter_map(|r| match r {
                CrewRow::Session(k, i) => Some((k, i)),
                CrewRow::Profile(_) => None,
            })
            .collect()
    }

    /// Rows of the sessions list: a heading per profile and its sessions
    /// (those the filter shows).
    pub fn session_rows(&self) -> usize {
        if !self.is_crew() {
            return self.model.sessions.len();
        }
        self.crew_rows().len()
    }

    /// The row of the selected session in the sessions list (the
    /// focused profile's heading when the filter hides it).
    pub fn selected_row(&self) -> usize {
        if !self.is_crew() {
            return self.selected;
        }
        let rows = self.crew_rows();
        (rows.iter())
            .position(|r| *r == CrewRow::Session(self.focused, self.selected))
            .or_else(|| {
                rows.iter()
                    .position(|r| *r == CrewRow::Profile(self.focused))
            })
            .unwrap_or(0)
    }

    /// The session at a row of the sessions list: (lineup place, endpoint
    /// id); `None` for a heading or past the end.
    pub fn session_at_row(&self, row: usize) -> Option<(usize, usize)> {
        if !self.is_crew() {
            return (row < self.model.sessions.len()).then_some((0, row));
        }
        match self.crew_rows().get(row) {
            Some(CrewRow::Session(k, i)) => Some((*k, *i)),
            _ => None,
        }
    }

    /// Selects the session at `(member, id)`.
    pub fn select(&mut self, member: usize, id: usize) {
        self.focus_member(member);
        if id != self.selected {
            self.selected = id;
            self.follow = true;
            self.detail_scroll = 0;
            self.history_scroll = 0;
        }
    }

    /// Moves the session selection by `delta` across profiles, along
    /// the sessions shown.
    pub(crate) fn move_across(&mut self, delta: i64) {
        let shown = self.crew_sessions();
        if shown.is_empty() {
            return;
        }
        let here = (shown.iter())
            .position(|&s| s == (self.focused, self.selected))
            .unwrap_or(0);
        let step = usize::try_from(delta.unsigned_abs()).unwrap_or(usize::MAX);
        let to = if delta < 0 {
            here.saturating_sub(step)
        } else {
            here.saturating_add(step)
        }
        .min(shown.len() - 1);
        let (member, id) = shown[to];
        self.select(member, id);
    }

    /// After the sessions filter changed with several profiles live: a
    /// selection it hides moves to the first session it shows (in
    /// whichever profile).
    pub(crate) fn refilter_crew(&mut self) {
        let shown = self.crew_sessions();
        if !shown.contains(&(self.focused, self.selected))
            && let Some(&(member, id)) = shown.first()
        {
            self.select(member, id);
        }
    }

    /// After a reload: each live profile's index in the new file.
    pub(crate) fn relocate_crew(&mut self, config: &crate::config::Config) {
        let at = |name: &str, old: usize| {
            (config.profiles.iter())
                .position(|p| p.name == name)
                .unwrap_or(old)
        };
        self.live = at(&self.active.name, self.live);
        for m in self.crew.iter_mut().flatten() {
            m.live = at(&m.active.name, m.live);
        }
    }

    /// Closes every other live profile's sessions (1000) and waits; their
    /// state stays on screen (as the focused one's does on quit).
    pub(crate) async fn shutdown_crew(&mut self) {
        let others: Vec<Supervisor> = (self.crew.iter_mut())
            .filter_map(|m| m.as_mut().and_then(|m| m.supervisor.take()))
            .collect();
        futures_util::future::join_all(others.into_iter().map(Supervisor::shutdown)).await;
    }

    /// [`App::shutdown_crew`], and back to one live profile (the focused).
    pub(crate) async fn end_crew(&mut self) {
        self.shutdown_crew().await;
        self.crew.clear();
        self.focused = 0;
        self.crew_events = None;
    }
}

/// The next tagged event, or never when no crew runs.
pub(crate) async fn next(events: &mut Option<crate::session::crew::Events>) -> Option<Tagged> {
    match events {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}
