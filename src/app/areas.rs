//! Where the last frame drew each region, as the drawing code reports it
//! ([`crate::ui::render`] returns it and the terminal loop keeps it in
//! [`super::App::areas`]). The mouse is hit-tested against exactly what was
//! on screen, and the app never lays anything out itself.

use ratatui::layout::{Position, Rect};

use super::state::Panel;

/// Where each region went on screen. A region not drawn (the compact and
/// zoomed layouts show one panel) has an empty rect.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Areas {
    /// The top line.
    pub header: Rect,
    /// The sessions list, border included.
    pub sessions: Rect,
    /// The selected endpoint's detail.
    pub detail: Rect,
    /// The payload list.
    pub payloads: Rect,
    /// The reconnect history.
    pub history: Rect,
    /// The token check.
    pub token: Rect,
    /// The key hints or the latest notice.
    pub footer: Rect,
    /// Below 80×24: one panel at a time.
    pub compact: bool,
    /// The sessions list's rows as drawn.
    pub session_rows: ListRows,
    /// Where an open payload's lines go (inside the popup's border): the
    /// popup's search scrolls no further than this shows.
    pub payload_text: Rect,
}

/// The rows of a scrolling list as drawn: the screen lines they occupy
/// (chrome excluded) and the index of the row on the first of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListRows {
    /// One screen line per row, the top one first.
    pub area: Rect,
    /// The index (in the list's display order) of the row drawn on top.
    pub first: usize,
}

impl Areas {
    /// The panel under a screen cell, if any.
    pub fn panel_at(&self, column: u16, row: u16) -> Option<Panel> {
        let pos = Position::new(column, row);
        [
            (self.sessions, Panel::Sessions),
            (self.detail, Panel::Detail),
            (self.payloads, Panel::Payloads),
            (self.history, Panel::History),
            (self.token, Panel::Token),
        ]
        .into_iter()
        .find(|(r, _)| r.contains(pos))
        .map(|(_, p)| p)
    }

    /// The sessions list row (display index) under a screen cell, if any.
    pub fn session_row_at(&self, column: u16, row: u16) -> Option<usize> {
        let rows = self.session_rows;
        if !rows.area.contains(Position::new(column, row)) {
            return None;
        }
        Some(rows.first + usize::from(row - rows.area.y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_maps_to_its_panel_and_its_session_row() {
        let areas = Areas {
            sessions: Rect::new(0, 1, 80, 10),
            payloads: Rect::new(40, 11, 40, 10),
            session_rows: ListRows {
                area: Rect::new(1, 3, 78, 7),
                first: 4,
            },
            ..Areas::default()
        };
        assert_eq!(areas.panel_at(5, 4), Some(Panel::Sessions));
        assert_eq!(areas.panel_at(50, 12), Some(Panel::Payloads));
        assert_eq!(areas.panel_at(5, 12), None);
        assert_eq!(areas.session_row_at(5, 3), Some(4));
        assert_eq!(areas.session_row_at(5, 5), Some(6));
        // The border and the column header are not rows.
        assert_eq!(areas.session_row_at(5, 2), None);
        assert_eq!(areas.session_row_at(0, 4), None);
    }
}
