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

    /// Lines of the open payload on screen at once (as last drawn; one
    /// if nothing was drawn yet).
    pub(crate) fn payload_rows(&self) -> usize {
        usize::from(self.areas.payload_text.height).max(1)
    }

    /// Scrolls the open payload to a line its search matches: only as far
    /// as needed to show it (not at all when it is on screen), and never
    /// past the point where the last line is at the bottom.
    pub(crate) fn popup_jump(&mut self, jump: Jump) {
        if !self.popup_search.is_active() {
            if jump == Jump::Here {
                // The search text was deleted: as if Esc cleared it.
                self.clear_popup_search();
            }
            return;
        }
        let rows = self.payload_rows();
        let Some(Popup::Payload { payload, scroll }) = &self.popup else {
            return;
        };
        let lines = crate::model::pretty::lines(payload);
        let hits: Vec<usize> = (lines.iter().enumerate())
            .filter(|(_, line)| self.popup_search.matches_text(&line.text()))
            .map(|(i, _)| i)
            .collect();
        let top = usize::from(*scroll);
        // `n`/`N` go on from the match shown last while it is on screen,
        // else from the top line shown; a new search text starts there.
        let shown = self.popup_hit.filter(|&h| h >= top && h < top + rows);
        let target = match (jump, shown) {
            (Jump::Next, Some(at)) => hits.iter().find(|&&i| i > at).or(hits.first()),
            (Jump::Prev, Some(at)) => hits.iter().rev().find(|&&i| i < at).or(hits.last()),
            (Jump::Here, _) | (Jump::Next, None) => {
                hits.iter().find(|&&i| i >= top).or(hits.first())
            }
            (Jump::Prev, None) => hits.iter().rev().find(|&&i| i < top).or(hits.last()),
        }
        .copied();
        self.popup_hit = target;
        let notice = match target {
            Some(line) => {
                let last_top = lines.len().saturating_sub(rows);
                let top = if line < top {
                    line
                } else if line >= top + rows {
                    line + 1 - rows
                } else {
                    top
                }
                .min(last_top);
                if let Some(Popup::Payload { scroll, .. }) = &mut self.popup {
                    *scroll = u16::try_from(top).unwrap_or(u16::MAX);
                }
                let n = hits.iter().position(|&i| i == line).unwrap_or(0) + 1;
                format!("match {n} of {}", hits.len())
            }
            None => "no line matches".into(),
        };
        self.notice = Some(notice);
    }

    /// Esc on the open payload's search: the search goes, and the view
    /// stays where it was unless that is past the end (the last line at
    /// the bottom at most).
    pub(crate) fn clear_popup_search(&mut self) {
        self.popup_search.set(String::new());
        self.popup_hit = None;
        let rows = self.payload_rows();
        if let Some(Popup::Payload { payload, scroll }) = &mut self.popup {
            let last_top = crate::model::pretty::lines(payload)
                .len()
                .saturating_sub(rows);
            *scroll = (*scroll).min(u16::try_from(last_top).unwrap_or(u16::MAX));
        }
    }
}
