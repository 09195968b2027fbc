//! The payloads panel: the selected endpoint's incoming messages, newest at
//! the bottom, each with timestamp, size and a one-line preview. Follow mode
//! sticks to the newest; the filter hides what does not match; the count of
//! messages the ring buffer dropped is in the title.
//!
//! The preview (what differs first, the event name before it, the field
//! the filter is on kept in place) is decided by [`crate::model::preview`];
//! this file only styles and draws it. Only
//! the rows that fit are looked at, so a ring of 100,000 messages costs a
//! draw no more than a ring of 20.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::panel_block;
use crate::app::cursor::SCAN_LIMIT;
use crate::app::theme::Theme;
use crate::app::{App, Panel};
use crate::config::ProtocolKind;
use crate::model::preview::{self, PartKind, Preview};
use crate::text_safe::visible;

/// Panels at least this wide show milliseconds and sizes on each row.
const WIDE: usize = 60;

/// Draws the payload list of the selected endpoint.
pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App) {
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
    let endpoint = app.active.endpoints.get(app.selected);
    let kind = endpoint.map_or(ProtocolKind::Raw, |e| e.protocol.kind);
    let chosen: &[String] = endpoint.map_or(&[], |e| &e.preview);
    let rows: Vec<_> = seqs
        .into_iter()
        .filter_map(|seq| app.payload(seq).map(|p| (seq, p)))
        .map(|(seq, p)| (seq, p, preview::parse(p, kind)))
        .collect();
    // What is the same in every row shown (the recent messages when
    // following) is said last: the rows then start with what differs. A
    // field the filter is on stays in place (the model's rule).
    let filter = &app.filter;
    let common = preview::common_fields_except(rows.iter().map(|(_, _, parsed)| parsed), |t| {
        filter.is_active() && filter.matches_text(t)
    });
    let wrap = app.zoom;
    let mut lines: Vec<Line> = rows
        .iter()
        .map(|(seq, p, parsed)| {
            // A narrow panel keeps its room for the message itself.
            let head = if width >= WIDE {
                format!("{} {:>7} ", super::when(app, p.at, true), size(p.len()))
            } else {
                format!("{} ", super::when(app, p.at, false))
            };
            let room = width.saturating_sub(head.chars().count());
            // Zoomed, a row wraps (up to a few lines) so it reads in full.
            let room = if wrap {
                room + width * (ZOOM_LINES - 1)
            } else {
                room
            };
            let shown = preview::preview(parsed, &common, chosen).fit(room);
            let mut spans = vec![Span::styled(head, theme.dim())];
            let matched =
                super::highlight::highlight(styled(shown, theme), &app.filter, theme.matched());
            spans.extend(matched);
            let mut line = Line::from(spans);
            if *seq == cursor && (app.focus == Panel::Payloads || !app.follow) {
                line = line.style(theme.selected());
            }
            line
        })
        .collect();
    if wrap {
        // Rows wrap: keep the newest that fit (the cursor's among them).
        let at = rows
            .iter()
            .position(|(seq, _, _)| *seq == cursor)
            .unwrap_or(0);
        let rows_of = |l: &Line| l.width().div_ceil(width.max(1)).max(1);
        let mut used: usize = lines.iter().map(rows_of).sum();
        let mut first = 0;
        while used > height && first < at {
            used -= rows_of(&lines[first]);
            first += 1;
        }
        lines.drain(..first);
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        return;
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Lines a row may take in the zoomed list.
const ZOOM_LINES: usize = 4;

/// The preview's parts as spans: the event name as a label, field names
/// dim, fields common to every row dim too.
fn styled(preview: Preview, theme: &Theme) -> Vec<Span<'static>> {
    preview
        .parts
        .into_iter()
        .map(|part| {
            let style = match part.kind {
                PartKind::Event => theme.label(),
                PartKind::Key | PartKind::Common => theme.dim(),
                PartKind::Value | PartKind::Plain => Style::default(),
            };
            Span::styled(part.text, style)
        })
        .collect()
}

fn title(app: &App) -> Line<'static> {
    let theme = &app.theme;
    let s = app.model.sessions.get(app.selected);
    let count = s.map_or(0, |s| s.messages);
    let dropped = s.map_or(0, |s| s.payloads.dropped());
    let mut spans = vec![Span::raw(format!(
        " {}{} · {count} msgs",
        Panel::Payloads.title(),
        super::whose(app)
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
pub(crate) fn size(bytes: usize) -> String {
    match bytes {
        0..1000 => format!("{bytes} B"),
        1000..1_000_000 => format!("{:.1} KB", bytes as f64 / 1000.0),
        _ => format!("{:.1} MB", bytes as f64 / 1_000_000.0),
    }
}
