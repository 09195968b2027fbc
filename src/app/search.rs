//! `n` / `N`: the next or previous match. In the payload list the filter
//! hides what does not match, so a jump is a move to the next shown row
//! (from any panel: the payloads get the focus and leave follow mode); in
//! an open payload, a jump scrolls to the next line the popup's search
//! (`/` in it) matches.

use super::state::{App, Panel, Popup};

/// Where a popup search jump goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Jump {
    /// The first match at or after the top line (the search text changed).
    Here,
    /// The first match after the top line, wrapping around.
    Next,
    /// The last match before the top line, wrapping around.
    Prev,
}

impl App {
    /// `n`/`N` outside the popup: moves the payload cursor by one match.
    pub(crate) fn jump_match(&mut self, delta: i64) {
        if !self.filter.is_active() {
            self.notice = Some("no filter: / on the payloads sets one".into());
            return;
        }
        self.focus = Panel::Payloads;
        if self.follow {
            // Leave follow mode on the newest match, then move from it.
            self.payload_cursor = self.last_match().unwrap_or(0);
            self.follow = false;
        }
        self.move_payload(delta);
    }

    /// Scrolls the open payload to a line its search matches.
    pub(crate) fn popup_jump(&mut self, jump: Jump) {
        if !self.popup_search.is_active() {
            return;
        }
        let Some(Popup::Payload { payload, scroll }) = &self.popup else {
            return;
        };
        let hits: Vec<usize> = crate::model::pretty::lines(payload)
            .iter()
            .enumerate()
            .filter(|(_, line)| self.popup_search.matches_text(&line.text()))
            .map(|(i, _)| i)
            .collect();
        let at = usize::from(*scroll);
        let target = match jump {
            Jump::Here => hits.iter().find(|&&i| i >= at).or(hits.first()),
            Jump::Next => hits.iter().find(|&&i| i > at).or(hits.first()),
            Jump::Prev => hits.iter().rev().find(|&&i| i < at).or(hits.last()),
        };
        let notice = match target {
            Some(&line) => {
                if let Some(Popup::Payload { scroll, .. }) = &mut self.popup {
                    *scroll = u16::try_from(line).unwrap_or(u16::MAX);
                }
                let n = hits.iter().position(|&i| i == line).unwrap_or(0) + 1;
                format!("match {n} of {}", hits.len())
            }
            None => "no line matches".into(),
        };
        self.notice = Some(notice);
    }
}
