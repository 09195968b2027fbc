//! How state changes: engine events through [`App::apply`], user requests
//! through [`App::update`], and the two awaited effects (profile switch and
//! shutdown). Every branch is small; nothing here draws.

use super::action::Action;
use super::search::Jump;
use super::state::{App, Effect, Panel, Popup};
use crate::facts::Command;
use crate::model::Lifecycle;

/// Rows a page key moves.
const PAGE: u16 = 10;

impl App {
    /// Handles one user request.
    pub fn update(&mut self, action: Action) {
        // A notice belongs to the key that caused it: the next key clears
        // it (one that says something again sets a new one), and the
        // key hints come back. Keys typed into a filter keep it: the
        // search's `match 1 of 3` is for when Enter keeps the filter.
        // Quitting leaves the last frame as it was.
        if !self.typing_filter() && action != Action::Quit {
            self.notice = None;
        }
        self.dispatch(action);
        if let Some(text) = &self.notice {
            self.notice_seen = Some((text.clone(), self.now()));
        }
    }

    /// A filter or search is being typed.
    fn typing_filter(&self) -> bool {
        self.filter.editing || self.rows.filter.editing || self.popup_search.editing
    }

    fn dispatch(&mut self, action: Action) {
        if self.typing_filter() {
            return self.update_filter(action);
        }
        if self.composer.is_some() {
            return self.update_composer(action);
        }
        match &self.popup {
            Some(Popup::Help) => self.update_help(action),
            Some(Popup::Reproduce) => self.update_reproduce(action),
            Some(Popup::Profiles { .. }) => self.update_profiles(action),
            Some(Popup::Payload { .. }) => self.update_payload(action),
            None => self.update_main(action),
        }
    }

    /// The profile picker (`p`): moves its cursor, switches on Enter.
    fn update_profiles(&mut self, action: Action) {
        let Some(Popup::Profiles { cursor }) = &mut self.popup else {
            return;
        };
        let last = self.config.profiles.len().saturating_sub(1);
        match action {
            Action::Up => *cursor = cursor.saturating_sub(1),
            Action::Down => *cursor = (*cursor + 1).min(last),
            Action::Top => *cursor = 0,
            Action::Bottom => *cursor = last,
            Action::Confirm => {
                self.pending = Some(Effect::SwitchProfile(*cursor));
                self.popup = None;
            }
            Action::Back | Action::OpenProfiles => self.popup = None,
            Action::Quit => self.quit = true,
            _ => {}
        }
    }

    /// The open payload (Enter): scrolls, searches, copies.
    fn update_payload(&mut self, action: Action) {
        let Some(Popup::Payload { scroll, payload }) = &mut self.popup else {
            return;
        };
        // The last line stays on screen: scrolling stops there.
        let last = crate::model::pretty::lines(payload).len().saturating_sub(1);
        let last = u16::try_from(last).unwrap_or(u16::MAX);
        match action {
            Action::Up => *scroll = scroll.saturating_sub(1),
            Action::Down => *scroll = scroll.saturating_add(1).min(last),
            Action::PageUp => *scroll = scroll.saturating_sub(PAGE),
            Action::PageDown => *scroll = scroll.saturating_add(PAGE).min(last),
            Action::Top => *scroll = 0,
            Action::Bottom => *scroll = last,
            Action::Back if self.popup_search.is_active() => self.clear_popup_search(),
            Action::Back | Action::Confirm => self.popup = None,
            Action::Copy => self.copy_open_payload(),
            Action::Quit => self.quit = true,
            Action::StartFilter => self.popup_search.editing = true,
            Action::NextMatch => self.popup_jump(Jump::Next),
            Action::PrevMatch => self.popup_jump(Jump::Prev),
            _ => {}
        }
    }

    /// No popup, no editing: the dashboard itself.
    fn update_main(&mut self, action: Action) {
        match action {
            Action::Quit => self.quit = true,
            Action::ToggleHelp => self.popup = Some(Popup::Help),
            Action::OpenProfiles => {
                self.popup = Some(Popup::Profiles { cursor: self.live });
            }
            Action::NextProfile => self.next_member(),
            Action::CheckToken => self.check_token(),
            Action::ReconnectSelected => self.command(Command::ReconnectNow),
            Action::ReconnectAll => self.reconnect_all(),
            Action::TogglePause => self.toggle_pause(),
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-i64::from(PAGE)),
            Action::PageDown => self.move_by(i64::from(PAGE)),
            Action::Top => self.move_by(i64::MIN / 2),
            Action::Bottom => self.move_by(i64::MAX / 2),
            Action::NextPanel => self.cycle_focus(1),
            Action::PrevPanel => self.cycle_focus(Panel::ALL.len() - 1),
            Action::Confirm => self.open_payload(),
            Action::Back => self.back(),
            Action::StartFilter if self.focus == Panel::Sessions => {
                self.rows.filter.editing = true;
            }
            Action::StartFilter => {
                self.filter.editing = true;
                self.focus = Panel::Payloads;
            }
            Action::CycleOrder => self.cycle_order(),
            Action::ToggleZoom => self.zoom = !self.zoom,
            Action::ToggleTimes => self.relative_times = !self.relative_times,
            Action::NextMatch => self.jump_match(1),
            Action::PrevMatch => self.jump_match(-1),
            Action::ToggleFollow => self.toggle_follow(),
            Action::Copy => self.copy_selected_payload(),
            Action::Click { column, row } => self.click(column, row),
            Action::Scroll { column, row, lines } => self.scroll(column, row, lines),
            Action::Compose => self.open_composer(),
            Action::Export => self.export_selected(),
            Action::Reproduce => self.start_reproduce(),
            Action::FilterChar(_)
            | Action::FilterBackspace
            | Action::Paste(_)
            | Action::Decline => {}
        }
    }

    /// `R`: every session reconnects now, those of other live profiles too.
    fn reconnect_all(&mut self) {
        if let Some(s) = &self.supervisor {
            s.command_all(Command::ReconnectNow);
        }
        for m in self.crew.iter().flatten() {
            if let Some(s) = &m.supervisor {
                s.command_all(Command::ReconnectNow);
            }
        }
        self.notice = Some("reconnecting every session".into());
    }

    /// Esc: clears the filter in view, else goes back to the sessions.
    fn back(&mut self) {
        if self.focus == Panel::Sessions && self.rows.filter.is_active() {
            self.rows.filter.set(String::new());
            self.rows.touch();
        } else if self.filter.is_active() {
            self.filter.set(String::new());
        } else {
            self.focus = Panel::Sessions;
        }
    }

    /// `f`: follow the newest payload, or stay on the newest match.
    fn toggle_follow(&mut self) {
        self.follow = !self.follow;
        if !self.follow {
            self.payload_cursor = self.last_match().unwrap_or(0);
        }
    }

    /// `y` on the payload list: copies the payload under the cursor.
    fn copy_selected_payload(&mut self) {
        if let Some(seq) = self.cursor_seq()
            && let Some(p) = self.payload(seq).cloned()
        {
            self.copy(&p);
        }
    }

    fn update_help(&mut self, action: Action) {
        match action {
            Action::Quit => self.quit = true,
            Action::Back | Action::ToggleHelp | Action::Confirm => self.popup = None,
            _ => {}
        }
    }

    /// Keys while a filter is typed: the sessions list's or the payloads'.
    fn update_filter(&mut self, action: Action) {
        let sessions = self.rows.filter.editing;
        let popup = self.popup_search.editing;
        let filter = if popup {
            &mut self.popup_search
        } else if sessions {
            &mut self.rows.filter
        } else {
            &mut self.filter
        };
        let mut text = filter.text.clone();
        match action {
            Action::FilterChar(c) => text.push(c),
            Action::FilterBackspace => {
                text.pop();
            }
            Action::Paste(pasted) => text.push_str(&pasted.replace(['\r', '\n'], " ")),
            // Enter keeps the filter, Esc drops it.
            Action::Confirm => filter.editing = false,
            Action::Back => {
                filter.editing = false;
                text.clear();
                // What the dropped search said goes with it.
                self.notice = None;
            }
            Action::Quit => self.quit = true,
            _ => {}
        }
        if text != filter.text {
            filter.set(text);
            if sessions {
                self.rows.touch();
                if self.is_crew() {
                    self.refilter_crew();
                } else {
                    self.refresh_rows();
                }
            }
            if popup {
                self.popup_jump(Jump::Here);
            }
        }
    }

    fn command(&mut self, command: Command) {
        if let Some(s) = &self.supervisor {
            s.command(self.selected, command);
        }
    }

    fn check_token(&mut self) {
        if self.active.token_check.is_none() {
            self.notice = Some("this profile has no token_check URL".into());
            return;
        }
        if let Some(s) = &self.supervisor {
            s.check_token();
        }
        self.token_requested = true;
        self.notice = Some("token check requested".into());
    }

    fn toggle_pause(&mut self) {
        let Some(s) = self.model.sessions.get(self.selected) else {
            return;
        };
        // Any stop (paused, or an auth rejection waiting for the user)
        // is left with Resume; anything else is paused.
        let paused = matches!(s.lifecycle, Lifecycle::Stopped { .. });
        let name = crate::text_safe::visible(&s.name).into_owned();
        self.command(if paused {
            Command::Resume
        } else {
            Command::Pause
        });
        self.notice = Some(format!(
            "{} {name}",
            if paused { "resuming" } else { "pausing" }
        ));
    }

    fn cycle_focus(&mut self, step: usize) {
        let n = Panel::ALL.len();
        let i = Panel::ALL
            .iter()
            .position(|p| *p == self.focus)
            .unwrap_or(0);
        self.focus = Panel::ALL[(i + step) % n];
    }

    /// Moves the cursor of the focused panel by `delta` rows (clamped).
    pub(crate) fn move_by(&mut self, delta: i64) {
        match self.focus {
            Panel::Sessions | Panel::Token if self.is_crew() => self.move_across(delta),
            Panel::Sessions | Panel::Token => {
                // Along the rows as shown (ordered, filtered).
                self.refresh_rows();
                let last = self.rows().len().saturating_sub(1);
                let at = self.shown_row().unwrap_or(0);
                let step = usize::try_from(delta.unsigned_abs()).unwrap_or(usize::MAX);
                let next = if delta < 0 {
                    at.saturating_sub(step)
                } else {
                    at.saturating_add(step).min(last)
                };
                if let Some(&index) = self.rows().get(next) {
                    self.select_index(index);
                }
            }
            Panel::Detail => {
                let next = (self.detail_scroll as i64)
                    .saturating_add(delta)
                    .clamp(0, 500);
                // Clamped to 0..=500 just above.
                self.detail_scroll = u16::try_from(next).unwrap_or(0);
            }
            Panel::History => {
                let len = self
                    .model
                    .sessions
                    .get(self.selected)
                    .map_or(0, |s| s.history.len()) as i64;
                let next = (self.history_scroll as i64)
                    .saturating_add(delta)
                    .clamp(0, (len - 1).max(0));
                // Clamped to 0..len just above.
                self.history_scroll = usize::try_from(next).unwrap_or(0);
            }
            Panel::Payloads => self.move_payload(delta),
        }
    }

    /// Takes the pending effect, if any.
    pub fn take_effect(&mut self) -> Option<Effect> {
        self.pending.take()
    }

    /// Takes the bytes waiting to be copied to the clipboard, if any (the
    /// terminal loop writes them as OSC 52).
    pub fn take_clipboard(&mut self) -> Option<Vec<u8>> {
        self.clipboard.take()
    }
}
