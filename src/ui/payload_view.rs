//! One payload, opened with Enter: the lines [`crate::model::pretty`] lays
//! out, JSON coloured by kind of value. The text there is already
//! terminal-safe; this file only styles it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::App;
use crate::app::theme::Theme;
use crate::facts::{Payload, PayloadData};
use crate::model::pretty::{self, PrettyLine};
use crate::text_safe::visible;

/// The popup's lines, styled.
pub(crate) fn lines(payload: &Payload, theme: &Theme) -> Vec<Line<'static>> {
    pretty::lines(payload)
        .into_iter()
        .map(|line| match line {
            PrettyLine::Json(text) => json_line(&text, theme),
            PrettyLine::Text(text) => Line::raw(text),
            PrettyLine::Hex {
                offset,
                bytes,
                ascii,
            } => Line::from(vec![
                Span::styled(offset, theme.dim()),
                Span::raw(bytes),
                Span::styled(ascii, theme.dim()),
            ]),
        })
        .collect()
}

/// Colours one line of pretty-printed JSON: `"key": value`.
fn json_line(line: &str, theme: &Theme) -> Line<'static> {
    let (indent, key, rest) = pretty::json_parts(line);
    let mut spans = vec![Span::raw(indent.to_string())];
    if let Some(key) = key {
        spans.push(Span::styled(key.to_string(), theme.json_key()));
        spans.push(Span::raw(": "));
    }
    let style = match rest.chars().next() {
        Some('"') => theme.json_string(),
        Some('-' | '0'..='9') => theme.json_number(),
        Some('t' | 'f' | 'n') => theme.json_literal(),
        _ => theme.text(),
    };
    spans.push(Span::styled(rest.to_string(), style));
    Line::from(spans)
}

/// Where the popup goes on a screen of `area`: over most of it.
fn popup_area(area: Rect) -> Rect {
    super::centered(
        area,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
    )
}

/// Where the payload's lines go on a screen of `area` (inside the
/// popup's border), whether or not the popup is open.
pub(crate) fn text_area(area: Rect) -> Rect {
    Block::new().borders(Borders::ALL).inner(popup_area(area))
}

/// Draws the popup over most of the screen.
pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App, payload: &Payload, scroll: u16) {
    let theme = &app.theme;
    let popup = popup_area(area);
    let kind = match payload.data {
        PayloadData::Text(_) => "text",
        PayloadData::Binary(_) => "binary",
    };
    let search = if app.popup_search.is_active() {
        format!(" · /{}/ n N", visible(&app.popup_search.text))
    } else {
        " · / search".into()
    };
    let title = format!(
        " Payload · {} · {} {kind} · Esc close · y copy{search} ",
        super::clock_ms(app, payload.at),
        super::payloads::size(payload.len())
    );
    let lines: Vec<Line> = lines(payload, theme)
        .into_iter()
        .map(|line| {
            let spans = super::highlight::highlight(line.spans, &app.popup_search, theme.matched());
            Line::from(spans)
        })
        .collect();
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(title);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(block).scroll((scroll, 0)),
        popup,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    #[test]
    fn json_keys_and_values_are_styled_apart_and_the_text_kept() {
        let payload = Payload {
            at: SystemTime::UNIX_EPOCH,
            data: PayloadData::Text(r#"{"a":1}"#.into()),
        };
        let theme = Theme { color: true };
        let lines = lines(&payload, &theme);
        let shown: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        assert_eq!(shown, ["{", "  \"a\": 1", "}"]);
        assert_eq!(lines[1].spans[1].style, theme.json_key());
        assert_eq!(lines[1].spans[3].style, theme.json_number());
    }
}
