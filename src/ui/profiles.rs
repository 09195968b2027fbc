//! The profile picker (`p`): every profile in file order with its
//! description and server, the cursor starting on the live one.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::app::App;
use crate::text_safe::visible;

/// Draws the picker with the cursor on profile number `cursor`.
pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App, cursor: usize) {
    let theme = &app.theme;
    let mut lines = Vec::new();
    // The cursor's line, to scroll a long list so that it stays visible.
    let mut cursor_line = 0;
    for (i, p) in app.config.profiles.iter().enumerate() {
        if i == cursor {
            cursor_line = lines.len();
        }
        // Several profiles may be live (`--profiles`).
        let live = i == app.live || app.crew.iter().flatten().any(|m| m.live == i);
        let marker = if i == cursor { "▶ " } else { "  " };
        let mut name = Line::from(vec![
            Span::raw(marker),
            Span::styled(visible(&p.name).into_owned(), theme.header()),
            Span::styled(if live { "  (live)" } else { "" }, theme.good()),
            Span::styled(format!("  {}", visible(p.server.as_str())), theme.dim()),
        ]);
        if i == cursor {
            name = name.style(theme.selected());
        }
        lines.push(name);
        if let Some(d) = &p.description {
            lines.push(Line::styled(format!("    {}", visible(d)), theme.dim()));
        }
    }
    lines.push(Line::default());
    lines.push(Line::styled(
        "Enter switch (old sessions close with 1000) · Esc cancel",
        theme.dim(),
    ));
    let height = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let width = area.width.saturating_sub(4).min(100);
    let popup = super::centered(area, width, height);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(format!(" Profiles · {} ", app.config.source.display()));
    frame.render_widget(Clear, popup);
    let visible_rows = popup.height.saturating_sub(2) as usize;
    let scroll = u16::try_from((cursor_line + 2).saturating_sub(visible_rows)).unwrap_or(u16::MAX);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        popup,
    );
}
