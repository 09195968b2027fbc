//! Clicks and the wheel, hit-tested against [`super::Areas`], the regions
//! the last frame drew.

use super::state::{App, Panel};

impl App {
    /// A click: focuses the panel under it and selects the session row
    /// clicked. Ignored while a popup is open.
    pub(crate) fn click(&mut self, column: u16, row: u16) {
        if self.popup.is_some() {
            return;
        }
        let Some(panel) = self.areas.panel_at(column, row) else {
            return;
        };
        self.focus = panel;
        if panel != Panel::Sessions {
            return;
        }
        let Some(i) = self.areas.session_row_at(column, row) else {
            return;
        };
        if self.is_crew() {
            if let Some((member, id)) = self.session_at_row(i) {
                self.select(member, id);
            }
        } else if let Some(&index) = self.rows().get(i) {
            self.select_index(index);
        }
    }

    /// The wheel scrolls the panel under the pointer by `lines` (negative
    /// is up). Ignored while a popup is open.
    pub(crate) fn scroll(&mut self, column: u16, row: u16, lines: i8) {
        if self.popup.is_some() {
            return;
        }
        if let Some(panel) = self.areas.panel_at(column, row) {
            self.focus = panel;
            self.move_by(i64::from(lines));
        }
    }
}
