//! The engine side of the app: events in ([`App::apply`]), profile
//! switches and shutdown. A switch closes every socket of the old profile
//! (1000) before the new profile's sessions start, so the two never
//! overlap on the server.

use super::state::{App, SessionView};
use crate::facts::{Command, Event, SessionEvent, StopReason};
use crate::model::{Lifecycle, Model};
use crate::session::{self, Mode, Supervisor};
use crate::token_check::Verdict;

impl App {
    /// Applies one engine event to the model and the per-session views.
    /// Returns whether the screen needs a new frame for it right away:
    /// messages and RTT samples of a session other than the selected one
    /// only change numbers in its row (whole-second rates, the last RTT),
    /// which the 1 Hz tick redraws, so a thousand chatty sessions do not
    /// keep the dashboard drawing 30 frames a second.
    pub fn apply(&mut self, event: &Event) -> bool {
        let redraw = match event {
            Event::Session {
                endpoint,
                event: SessionEvent::Messages(_) | SessionEvent::Rtt(_),
            } => *endpoint == self.selected,
            _ => true,
        };
        if let Event::Session { endpoint, event } = event {
            self.record(*endpoint, event);
            if !matches!(
                event,
                SessionEvent::Messages(_) | SessionEvent::Rtt(_) | SessionEvent::Sent { .. }
            ) {
                // A state change may move the row (order, filter).
                self.rows.touch();
            }
        }
        match event {
            Event::Session {
                endpoint,
                event: SessionEvent::Messages(batch),
            } => {
                let now = self.now();
                if let Some(view) = self.views.get_mut(*endpoint) {
                    let at = batch.messages.last().map_or(now, |p| p.at);
                    view.rate
                        .add(at, batch.messages.len() as u64 + batch.dropped);
                    view.pushed += batch.messages.len() as u64;
                }
            }
            Event::TokenCheck(result) => {
                // Only a check the user asked for retries auth stops here;
                // the supervisor already does so when the verdict *turns* valid.
                if std::mem::take(&mut self.token_requested) && result.verdict == Verdict::Valid {
                    self.retry_auth_stops();
                }
            }
            Event::Session { .. }
            | Event::Probe(_)
            | Event::ServerLog(_)
            | Event::Django(_)
            | Event::Login(_) => {}
        }
        if let Some(metrics) = &self.metrics {
            metrics.apply_in(self.focused, event);
        }
        self.model.apply(event);
        redraw
    }

    /// Sets `wsmon_health` from the model's word (with `--metrics`): on
    /// the 1 Hz tick, not per event (judging is linear in the sessions,
    /// and ten thousand of them open with twenty thousand events).
    pub fn judge_health(&self) {
        if let Some(metrics) = &self.metrics {
            metrics.set_health_in(self.focused, &self.model.health(self.now()));
        }
        self.judge_crew_health();
    }

    fn retry_auth_stops(&self) {
        let Some(supervisor) = &self.supervisor else {
            return;
        };
        for (id, s) in self.model.sessions.iter().enumerate() {
            if let Lifecycle::Stopped {
                why: StopReason::AuthRejected { .. },
                ..
            } = s.lifecycle
            {
                supervisor.command(id, Command::ReconnectNow);
            }
        }
    }

    /// Switches to profile `index`: every session of the old profile closes
    /// with 1000 first, then the new one's start. An activation error (a
    /// failing `token_command`, a missing variable) is shown, and the old
    /// profile keeps running. Returns whether the switch happened.
    pub async fn switch_profile(&mut self, index: usize) -> bool {
        let Some(profile) = self.config.profiles.get(index) else {
            return false;
        };
        let name = crate::text_safe::visible(&profile.name).into_owned();
        // A token_command may take a while (a password manager prompt):
        // off the async threads, so engine tasks keep running meanwhile.
        let profile = profile.clone();
        let activated = tokio::task::spawn_blocking(move || profile.activate()).await;
        let active = match activated {
            Ok(Ok(active)) => active,
            Err(e) => {
                self.notice = Some(format!("cannot switch to {name}: {e}"));
                return false;
            }
            Ok(Err(e)) => {
                self.notice = Some(format!(
                    "cannot switch to {name}: {}",
                    crate::text_safe::visible(&e.to_string())
                ));
                return false;
            }
        };
        // The profiles its isolation probe names go live beside it.
        let peers = match self.isolation_peers(&active).await {
            Ok(peers) => peers,
            Err(e) => {
                self.notice = Some(format!("cannot switch to {name}: {e}"));
                return false;
            }
        };
        self.end_crew().await;
        if let Some(old) = self.supervisor.take() {
            old.shutdown().await;
        }
        if !peers.is_empty() {
            let mut lineup = vec![(index, active)];
            lineup.extend(peers);
            let engine = self.has_engine_mode();
            self.start_crew(lineup, engine);
            self.token_requested = false;
            self.notice = Some(format!("live profiles: {name} and its isolation profiles"));
            return true;
        }
        let (tx, rx) = session::channel();
        if self.has_engine_mode() {
            self.supervisor = Some(Supervisor::start(active.clone(), Mode::Monitor, tx));
        }
        self.events = rx;
        if let Some(metrics) = &self.metrics {
            metrics.set_profile(&active);
        }
        self.model = Model::new(&active);
        self.views = vec![SessionView::default(); self.model.sessions.len()];
        self.url_warnings = crate::report::url_warnings(&active);
        self.active = active;
        self.live = index;
        self.selected = 0;
        self.rows.touch();
        self.follow = true;
        self.detail_scroll = 0;
        self.history_scroll = 0;
        self.token_requested = false;
        self.notice = Some(format!("live profile: {name}"));
        true
    }

    fn has_engine_mode(&self) -> bool {
        !self.detached
    }

    /// Closes every session cleanly (1000) and waits for them.
    pub async fn shutdown(&mut self) {
        if let Some(s) = self.supervisor.take() {
            s.shutdown().await;
        }
        self.shutdown_crew().await;
    }

    /// The profiles `active`'s isolation probe names, activated (config
    /// index and profile), to run live beside it.
    async fn isolation_peers(
        &self,
        active: &crate::config::ActiveProfile,
    ) -> Result<Vec<(usize, crate::config::ActiveProfile)>, String> {
        let Ok(lineup) = self.config.lineup(std::slice::from_ref(&active.name)) else {
            return Ok(Vec::new());
        };
        let mut peers = Vec::new();
        for profile in lineup.into_iter().skip(1) {
            let index = (self.config.profiles.iter())
                .position(|p| p.name == profile.name)
                .unwrap_or(0);
            let profile = profile.clone();
            let peer = crate::text_safe::visible(&profile.name).into_owned();
            match tokio::task::spawn_blocking(move || profile.activate()).await {
                Ok(Ok(a)) => peers.push((index, a)),
                Ok(Err(e)) => {
                    return Err(format!(
                        "its isolation profile {peer} cannot run: {}",
                        crate::text_safe::visible(&e.to_string())
                    ));
                }
                Err(e) => return Err(format!("its isolation profile {peer} cannot run: {e}")),
            }
        }
        Ok(peers)
    }

    /// [`App::apply`] for `first` and for up to `max` more events already
    /// queued behind it, so a flood becomes one frame. Returns whether any
    /// of them needs a new frame.
    pub(crate) fn apply_queued(&mut self, first: &Event, max: usize) -> bool {
        let mut dirty = self.apply(first);
        for _ in 0..max {
            match self.events.try_recv() {
                Ok(event) => dirty |= self.apply(&event),
                Err(_) => break,
            }
        }
        dirty
    }
}
