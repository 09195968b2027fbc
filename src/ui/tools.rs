//! The send composer's footer line (`i`) and the reproduce prompt (`Y`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::app::{App, Composer};
use crate::text_safe::visible;

/// The footer while the composer is open: where it sends, the text (its
/// end, if it is wider than the line), the keys.
pub(crate) fn composer_line(app: &App, composer: &Composer, width: u16) -> Line<'static> {
    let theme = &app.theme;
    let name = app
        .model
        .sessions
        .get(app.selected)
        .map_or(String::new(), |s| visible(&s.name).into_owned());
    let head = format!(" send to {name} ▸ ");
    let keys = "▏ Enter send · Esc cancel · ↑↓ history";
    let room = (width as usize)
        .saturating_sub(head.chars().count() + keys.chars().count())
        .max(8);
    let text = visible(&composer.text).into_owned();
    let count = text.chars().count();
    let shown: String = if count > room {
        let tail: String = text.chars().skip(count - room + 1).collect();
        format!("…{tail}")
    } else {
        text
    };
    Line::from(vec![
        Span::styled(head, theme.label()),
        Span::raw(shown),
        Span::styled(keys, theme.dim()),
    ])
}

/// The reproduce prompt, centred in `area`.
pub(crate) fn render_reproduce(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let name = app
        .active
        .endpoints
        .get(app.selected)
        .map_or(String::new(), |e| visible(&e.name).into_owned());
    let lines = vec![
        Line::raw(format!(
            "Copy a websocat command for {name} and a curl command for the token check."
        )),
        Line::raw(""),
        Line::from(vec![
            Span::raw("Include the token in them? "),
            Span::styled("y", theme.header()),
            Span::raw(" include · "),
            Span::styled("n", theme.header()),
            Span::raw(" / Enter / Esc redact"),
        ]),
    ];
    let popup = super::centered(area, 64, 7);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(" Reproduce · OSC 52 ");
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        popup,
    );
}
