//! The everyday tools as state changes: the send composer (`i`), the
//! transcript export (`e`) and the reproduce commands (`Y`).

use super::action::Action;
use super::state::{App, Popup};
use crate::facts::{Command, SessionEvent};
use crate::model::lifecycle::ReadyState;
use crate::text_safe::visible;

/// Events kept per session for the transcript (messages are in the ring).
pub(crate) const JOURNAL_CAP: usize = 5000;
/// Texts the composer remembers.
pub(crate) const HISTORY_CAP: usize = 100;

/// The one-line send composer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Composer {
    /// The text being typed.
    pub text: String,
    /// Index in `sent_history` being shown (Up/Down), if any.
    pub recall: Option<usize>,
}

impl App {
    /// Whether keys are text (the filter or the composer takes them).
    pub fn typing(&self) -> bool {
        self.filter.editing
            || self.rows.filter.editing
            || self.popup_search.editing
            || self.composer.is_some()
    }

    /// Keeps the transcript's state changes and reports send outcomes.
    pub(crate) fn record(&mut self, endpoint: usize, event: &SessionEvent) {
        if matches!(event, SessionEvent::Messages(_) | SessionEvent::Rtt(_)) {
            return;
        }
        if let SessionEvent::Sent { text, outcome, .. } = event {
            let name = self
                .model
                .sessions
                .get(endpoint)
                .map_or(String::new(), |s| visible(&s.name).into_owned());
            self.notice = Some(format!(
                "{name}: {} bytes {}",
                text.len(),
                outcome.describe()
            ));
        }
        if let Some(view) = self.views.get_mut(endpoint) {
            if view.journal.len() == JOURNAL_CAP {
                view.journal.pop_front();
            }
            view.journal.push_back(event.clone());
        }
    }

    /// Opens the composer for the selected session.
    pub(crate) fn open_composer(&mut self) {
        if self.model.sessions.get(self.selected).is_some() {
            self.composer = Some(Composer::default());
        }
    }

    /// Keys while the composer is open: text, Up/Down history, Enter sends,
    /// Esc cancels.
    pub(crate) fn update_composer(&mut self, action: Action) {
        let Some(composer) = &mut self.composer else {
            return;
        };
        match action {
            Action::FilterChar(c) => {
                composer.text.push(c);
                composer.recall = None;
            }
            Action::FilterBackspace => {
                composer.text.pop();
                composer.recall = None;
            }
            // Pasted text is sent as pasted, newlines included.
            Action::Paste(text) => {
                composer.text.push_str(&text.replace("\r\n", "\n"));
                composer.recall = None;
            }
            Action::Up => {
                let n = self.sent_history.len();
                if n > 0 {
                    let i = composer.recall.map_or(n - 1, |i| i.saturating_sub(1));
                    composer.recall = Some(i);
                    composer.text = self.sent_history[i].clone();
                }
            }
            Action::Down => match composer.recall {
                Some(i) if i + 1 < self.sent_history.len() => {
                    composer.recall = Some(i + 1);
                    composer.text = self.sent_history[i + 1].clone();
                }
                Some(_) => {
                    composer.recall = None;
                    composer.text.clear();
                }
                None => {}
            },
            Action::Back => self.composer = None,
            Action::Confirm => {
                let text = std::mem::take(&mut composer.text);
                self.composer = None;
                if !text.is_empty() {
                    self.send_text(text);
                }
            }
            Action::Quit => self.quit = true,
            _ => {}
        }
    }

    /// Sends `text` to the selected session if it is open; says why not
    /// otherwise. The outcome arrives as a [`SessionEvent::Sent`].
    pub(crate) fn send_text(&mut self, text: String) {
        if self.sent_history.last() != Some(&text) {
            self.sent_history.push(text.clone());
            if self.sent_history.len() > HISTORY_CAP {
                self.sent_history.remove(0);
            }
        }
        let Some(s) = self.model.sessions.get(self.selected) else {
            return;
        };
        let name = visible(&s.name).into_owned();
        if s.lifecycle.ready_state() != ReadyState::Open {
            self.notice = Some(format!(
                "{name}: not sent: the socket is not open ({})",
                s.lifecycle.name()
            ));
            return;
        }
        let Some(supervisor) = &self.supervisor else {
            self.notice = Some(format!("{name}: not sent: no engine"));
            return;
        };
        let bytes = text.len();
        supervisor.command(self.selected, Command::Send(text));
        self.notice = Some(format!("{name}: sending {bytes} bytes…"));
    }

    /// Saves the selected session's transcript and says where.
    pub(crate) fn export_selected(&mut self) {
        let (Some(session), Some(view)) = (
            self.model.sessions.get(self.selected),
            self.views.get(self.selected),
        ) else {
            return;
        };
        let name = visible(&session.name).into_owned();
        let Some(dir) = self.export_dir.clone().or_else(super::export::default_dir) else {
            self.notice = Some("cannot export: no data directory (no home directory?)".into());
            return;
        };
        let transcript = super::export::Transcript {
            profile: &self.active,
            endpoint: self.selected,
            session,
            view,
            token_check: self.model.token_check.as_ref(),
            now: self.now(),
            model: Some(&self.model),
        };
        let (bytes, lines) = transcript.to_json_lines();
        self.notice = Some(
            match super::export::save(&dir, &self.active.name, &session.name, self.now(), &bytes) {
                Ok(path) => format!(
                    "{name}: saved {lines} lines to {}",
                    visible(&path.display().to_string())
                ),
                Err(e) => format!(
                    "{name}: cannot save the transcript in {}: {e}",
                    visible(&dir.display().to_string())
                ),
            },
        );
    }

    /// `Y`: asks whether to include the token, or copies at once when the
    /// profile has none.
    pub(crate) fn start_reproduce(&mut self) {
        if self.model.sessions.get(self.selected).is_none() {
            return;
        }
        if self.active.token.is_some() {
            self.popup = Some(Popup::Reproduce);
        } else {
            self.copy_reproduce(false);
        }
    }

    /// Keys while the reproduce prompt is open: `y` includes the token,
    /// `n`, Enter or Esc redact it.
    pub(crate) fn update_reproduce(&mut self, action: Action) {
        match action {
            Action::Copy => self.copy_reproduce(true),
            Action::Decline | Action::NextMatch | Action::Confirm | Action::Back => {
                self.copy_reproduce(false)
            }
            Action::Quit => self.quit = true,
            _ => return,
        }
        if !self.quit {
            self.popup = None;
        }
    }

    fn copy_reproduce(&mut self, include_token: bool) {
        let tls = self
            .config
            .profiles
            .get(self.live)
            .map(|p| p.tls.clone())
            .unwrap_or_default();
        let text = super::reproduce::commands(&self.active, &tls, self.selected, include_token);
        self.clipboard = Some(text.into_bytes());
        let name = self
            .active
            .endpoints
            .get(self.selected)
            .map_or(String::new(), |e| visible(&e.name).into_owned());
        let token = match (self.active.token.is_some(), include_token) {
            (false, _) => "no token in this profile",
            (true, true) => "token included",
            (true, false) => "token redacted",
        };
        self.notice = Some(format!(
            "{name}: copied a websocat and a curl command ({token}) (OSC 52)"
        ));
    }
}
