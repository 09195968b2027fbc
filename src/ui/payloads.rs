//! The payloads panel: the selected endpoint's incoming messages, newest at
//! the bottom, each with timestamp, size and a one-line preview. Follow mode
//! sticks to the newest; the filter hides what does not match; the count of
//! messages the ring buffer dropped is in the title.
//!
//! Only the rows that fit are looked at, so a ring of 100,000 messages costs
//! a draw no more than a ring of 20.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::panel_block;
use super::payload_view::preview;
use crate::app::cursor::SCAN_LIMIT;
use crate::app::{App, Panel};
use crate::config::ProtocolKind;
use crate::session::PayloadData;
use crate::session::protocol::decode::decode;
use crate::text_safe::visible;

/// Draws the payload list of the selected endpoint.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let block = panel_block(app, Panel::Payloads, title(app));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = inner.height as usize;
    if height == 0 {
        return;
    }
    let Some(cursor) = app.cursor_seq() else {
        let empty = if app.filter.is_active() {
            "no message matches the filter (among the newest 20,000)"
        } else {
            "no messages yet"
        };
        frame.render_widget(Paragraph::new(Line::styled(empty, theme.dim())), inner);
        return;
    };
    let seqs = window(app, cursor, height);
    let width = inner.width as usize;
    // A protocol endpoint's messages are shown by event name and payload.
    let kind = app
        .active
        .endpoints
        .get(app.selected)
        .map_or(ProtocolKind::Raw, |e| e.protocol.kind);
    let lines: Vec<Line> = seqs
        .into_iter()
        .filter_map(|seq| {
            let p = app.payload(seq)?;
            let head = format!("{} {:>7} ", super::clock_ms(p.at), size(p.len()));
            let room = width.saturating_sub(head.chars().count());
            let decoded = match (&p.data, kind) {
                (_, ProtocolKind::Raw) | (PayloadData::Binary(_), _) => None,
                (PayloadData::Text(text), kind) => decode(kind, text.as_str()),
            };
            let mut line = match decoded {
                Some(d) => {
                    let event = format!("{} ", visible(&d.event));
                    let room = room.saturating_sub(event.chars().count());
                    let data: String = visible(&d.data.to_string()).chars().take(room).collect();
                    Line::from(vec![
                        Span::styled(head, theme.dim()),
                        Span::styled(event, theme.label()),
                        Span::raw(data),
                    ])
                }
                None => Line::from(vec![
                    Span::styled(head, theme.dim()),
                    Span::raw(preview(p, room)),
                ]),
            };
            if seq == cursor && (app.focus == Panel::Payloads || !app.follow) {
                line = line.style(theme.selected());
            }
            Some(line)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn title(app: &App) -> Line<'static> {
    let theme = &app.theme;
    let s = app.model.sessions.get(app.selected);
    let count = s.map_or(0, |s| s.messages);
    let dropped = s.map_or(0, |s| s.payloads.dropped());
    let mut spans = vec![Span::raw(format!(
        " {} · {count} msgs",
        Panel::Payloads.title()
    ))];
    if dropped > 0 {
        spans.push(Span::styled(format!(" · {dropped} dropped"), theme.warn()));
    }
    spans.push(Span::raw(if app.follow {
        " · follow"
    } else {
        " · paused (f)"
    }));
    if app.filter.is_active() {
        spans.push(Span::styled(
            format!(" · /{}/", visible(&app.filter.text)),
            theme.label(),
        ));
    }
    spans.push(Span::raw(" "));
    Line::from(spans)
}

/// The sequence numbers shown: the cursor at the bottom when following,
/// else up to `height` matches ending at the cursor, topped up below it.
fn window(app: &App, cursor: u64, height: usize) -> Vec<u64> {
    let (first, end) = app.payload_span();
    let matches = |s: &u64| app.payload(*s).is_some_and(|p| app.filter.matches(p));
    let lo = first.max(cursor.saturating_sub(SCAN_LIMIT));
    let mut above: Vec<u64> = (lo..=cursor).rev().filter(matches).take(height).collect();
    above.reverse();
    let room = height - above.len().min(height);
    let hi = end.min(cursor.saturating_add(1 + SCAN_LIMIT));
    let below = (cursor + 1..hi).filter(matches).take(room);
    above.extend(below);
    above
}

/// `512 B`, `4.2 KB`, `1.3 MB`.
pub fn size(bytes: usize) -> String {
    match bytes {
        0..1000 => format!("{bytes} B"),
        1000..1_000_000 => format!("{:.1} KB", bytes as f64 / 1000.0),
        _ => format!("{:.1} MB", bytes as f64 / 1_000_000.0),
    }
}
