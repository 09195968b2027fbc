//! The help popup (`?`): every key, grouped, drawn from the one binding
//! table (`app::bindings`), which the README's Keys section follows.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::{App, bindings};

/// Draws the help popup centred in `area`.
pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    // Group titles are left out when everything would not fit otherwise.
    let groups = bindings::groups();
    let rows: usize = groups.iter().map(|(_, keys)| keys.len() + 1).sum::<usize>() + 3;
    let titles = rows <= area.height as usize;
    // Tighter still (80×24): the mouse row (no key) goes and the closing
    // hint moves into the title.
    let keys: usize = groups.iter().map(|(_, keys)| keys.len()).sum();
    let tight = !titles && keys + 3 > area.height as usize;
    // The key column is as wide as its widest label.
    let width = (groups.iter())
        .flat_map(|(_, keys)| keys)
        .map(|b| b.label.chars().count())
        .max()
        .unwrap_or(0)
        + 1;
    let mut lines = Vec::new();
    for (group, keys) in groups {
        if titles {
            lines.push(Line::styled(group, theme.label()));
        }
        for b in keys {
            if tight && b.keys.is_empty() {
                continue;
            }
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<width$}", b.label), theme.header()),
                Span::raw(b.help),
            ]));
        }
    }
    if !tight {
        lines.push(Line::styled("Esc or ? closes this help", theme.dim()));
    }
    let height = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let popup = super::centered(area, 72, height);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(if tight {
            " Help · keys · Esc or ? closes this help "
        } else {
            " Help · keys "
        });
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
