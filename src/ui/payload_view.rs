//! One payload, opened with Enter: JSON indented and coloured, other text
//! line by line, binary as a hex dump. Also the OSC 52 sequence `y` copies
//! with. (The payload list's one-line preview is [`crate::model::preview`].)
//!
//! Payloads are untrusted: every piece shown passes through
//! [`visible`], so an ESC or a bidi override in a message is drawn as a
//! symbol, never interpreted by the terminal.

use base64::Engine as _;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::theme::Theme;
use crate::app::App;
use crate::session::{Payload, PayloadData};
use crate::text_safe::visible;

/// Lines of a payload shown in the popup (a 16 MiB message stays cheap).
const MAX_LINES: usize = 5000;

/// The OSC 52 "set clipboard" sequence for the payload's raw bytes.
pub fn osc52(payload: &Payload) -> String {
    let bytes: &[u8] = match &payload.data {
        PayloadData::Text(t) => t.as_bytes(),
        PayloadData::Binary(b) => b,
    };
    osc52_bytes(bytes)
}

/// The OSC 52 "set clipboard" sequence for `bytes`. The data travels
/// base64-encoded, so nothing in it can reach the terminal as a control
/// sequence.
pub fn osc52_bytes(bytes: &[u8]) -> String {
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    format!("\x1b]52;c;{data}\x07")
}

/// The popup's lines: pretty JSON, plain text or a hex dump.
pub fn lines(payload: &Payload, theme: &Theme) -> Vec<Line<'static>> {
    match &payload.data {
        PayloadData::Text(t) => match serde_json::from_str::<serde_json::Value>(t) {
            Ok(value) => serde_json::to_string_pretty(&value)
                .unwrap_or_default()
                .lines()
                .take(MAX_LINES)
                .map(|l| json_line(l, theme))
                .collect(),
            Err(_) => t
                .as_str()
                .split('\n')
                .take(MAX_LINES)
                .map(|l| Line::raw(visible(l).into_owned()))
                .collect(),
        },
        PayloadData::Binary(b) => b
            .chunks(16)
            .take(MAX_LINES)
            .enumerate()
            .map(|(i, chunk)| {
                let ascii: String = chunk
                    .iter()
                    .map(|&c| {
                        if c.is_ascii_graphic() || c == b' ' {
                            c as char
                        } else {
                            '.'
                        }
                    })
                    .collect();
                Line::from(vec![
                    Span::styled(format!("{:08x}  ", i * 16), theme.dim()),
                    Span::raw(format!("{:<48} ", crate::model::preview::hex(chunk))),
                    Span::styled(ascii, theme.dim()),
                ])
            })
            .collect(),
    }
}

/// Colours one line of pretty-printed JSON: `"key": value`.
fn json_line(line: &str, theme: &Theme) -> Line<'static> {
    let trimmed = line.trim_start();
    let indent = &line[..line.len() - trimmed.len()];
    let mut spans = vec![Span::raw(indent.to_string())];
    let mut rest = trimmed;
    if trimmed.starts_with('"')
        && let Some(split) = key_end(trimmed)
    {
        spans.push(Span::styled(
            visible(&trimmed[..split]).into_owned(),
            theme.json_key(),
        ));
        spans.push(Span::raw(": "));
        rest = trimmed[split..].trim_start_matches(':').trim_start();
    }
    let style = match rest.chars().next() {
        Some('"') => theme.json_string(),
        Some('-' | '0'..='9') => theme.json_number(),
        Some('t' | 'f' | 'n') => theme.json_literal(),
        _ => theme.text(),
    };
    spans.push(Span::styled(visible(rest).into_owned(), style));
    Line::from(spans)
}

/// Where a leading `"key":` ends (the byte index of the colon).
fn key_end(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => {
                return s[i + 1..].starts_with(':').then_some(i + 1);
            }
            _ => escaped = false,
        }
    }
    None
}

/// Draws the popup over most of the screen.
pub fn render(frame: &mut Frame, area: Rect, app: &App, payload: &Payload, scroll: u16) {
    let theme = &app.theme;
    let popup = super::centered(
        area,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
    );
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

    fn text(s: &str) -> Payload {
        Payload {
            at: SystemTime::UNIX_EPOCH,
            data: PayloadData::Text(s.into()),
        }
    }

    #[test]
    fn json_is_indented_and_keys_found() {
        let lines = lines(&text(r#"{"a":1,"b":"x\"y"}"#), &Theme { color: false });
        let shown: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        assert_eq!(shown, ["{", "  \"a\": 1,", "  \"b\": \"x\\\"y\"", "}"]);
    }

    #[test]
    fn binary_is_a_hex_dump_with_offsets() {
        let p = Payload {
            at: SystemTime::UNIX_EPOCH,
            data: PayloadData::Binary((0u8..20).collect::<Vec<_>>().into()),
        };
        let shown: Vec<String> = lines(&p, &Theme { color: false })
            .iter()
            .map(|l| l.to_string())
            .collect();
        assert_eq!(shown.len(), 2);
        assert!(shown[0].starts_with("00000000  00 01 02"), "{}", shown[0]);
        assert!(
            shown[1].starts_with("00000010  10 11 12 13"),
            "{}",
            shown[1]
        );
    }

    #[test]
    fn osc52_carries_base64_only() {
        let seq = osc52(&text("\x1b]0;evil\x07"));
        assert!(seq.starts_with("\x1b]52;c;"));
        assert!(!seq[7..seq.len() - 1].contains('\x1b'));
    }
}
