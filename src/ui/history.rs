//! The reconnect history of the selected endpoint: on top, when there is
//! room, a timeline of its attempts on a time axis (open, connecting and
//! closed lanes, the close code written at each drop); under it the list
//! of attempts, newest first: when, how it ended (close code or handshake
//! status), how long it stayed up, and the delay chosen before the next
//! try.

use std::time::{Duration, SystemTime};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::widgets::canvas::{Canvas, Line as CanvasLine};

use super::panel_block;
use crate::app::{App, Panel};
use crate::facts::{Closer, FailureKind, Outcome};
use crate::model::uptime::Cell as UptimeCell;
use crate::model::{HistoryEntry, SessionState};
use crate::report::short_duration;

/// Draws the reconnect history of the selected endpoint.
pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let s = app.model.sessions.get(app.selected);
    // Several profiles live: whose session this is.
    let whose = super::whose(app);
    let mut title = format!(" {}{whose} ", Panel::History.title());
    if let Some(s) = s {
        let plural = if s.attempts == 1 { "" } else { "s" };
        title = format!(
            " {}{whose} · {} attempt{plural} ",
            Panel::History.title(),
            s.attempts
        );
        if s.history_dropped > 0 {
            title.push_str(&format!("· {} oldest dropped ", s.history_dropped));
        }
    }
    let block = panel_block(app, Panel::History, Line::from(title));
    let mut inner = block.inner(area);
    frame.render_widget(block, area);
    // The timeline on top when there is room for it and something to show.
    if let Some(s) = s
        && inner.height >= TIMELINE_ROWS + 3
        && s.attempts > 0
    {
        let [top, rest] =
            Layout::vertical([Constraint::Length(TIMELINE_ROWS), Constraint::Fill(1)]).areas(inner);
        timeline(frame, top, app, s);
        inner = rest;
    }
    let lines: Vec<Line> = match s {
        Some(s) if !s.history.is_empty() => s
            .history
            .iter()
            .rev()
            .skip(app.history_scroll)
            .map(|h| entry(app, h))
            .collect(),
        _ => vec![Line::styled("no attempt has ended yet", theme.dim())],
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Rows of the timeline: three lanes (open, connecting, closed) and the
/// time axis.
const TIMELINE_ROWS: u16 = 4;
/// The timeline shows at least this much time (and at most an hour).
const TIMELINE_MIN: Duration = Duration::from_secs(60);

/// Attempts on a time axis: open periods on the top lane, connecting in
/// the middle, closed and stopped at the bottom, the close code (or
/// refused status) written at each drop. Segments and drops come from the
/// model ([`crate::model::SessionState::timeline`]).
fn timeline(frame: &mut Frame, area: Rect, app: &App, s: &SessionState) {
    let theme = &app.theme;
    let now = app.now();
    // From the oldest attempt kept (within the strip's hour) to now.
    let oldest = s
        .history
        .front()
        .map(|h| h.record.started)
        .or(s.attempt_started);
    let span = oldest
        .map_or(TIMELINE_MIN, |t| now.duration_since(t).unwrap_or_default())
        .clamp(TIMELINE_MIN, crate::model::uptime::DEFAULT_SPAN);
    let segments = s.timeline(now, span);
    let drops = s.drops(now, span);
    let secs = span.as_secs_f64();
    let x =
        |t: SystemTime| -> f64 { secs - now.duration_since(t).unwrap_or_default().as_secs_f64() };
    let color = |style: ratatui::style::Style| style.fg.unwrap_or(Color::Reset);
    let [lanes, axis] =
        Layout::vertical([Constraint::Length(TIMELINE_ROWS - 1), Constraint::Length(1)])
            .areas(area);
    let canvas = Canvas::default()
        .marker(Marker::HalfBlock)
        .x_bounds([0.0, secs])
        .y_bounds([0.0, 3.0])
        .paint(|ctx| {
            for seg in &segments {
                let (y, c) = match seg.state {
                    UptimeCell::Unknown => continue,
                    UptimeCell::Open => (2.5, color(theme.good())),
                    UptimeCell::Connecting => (1.5, color(theme.warn())),
                    UptimeCell::Closed | UptimeCell::Stopped => (0.5, color(theme.bad())),
                };
                ctx.draw(&CanvasLine {
                    x1: x(seg.start),
                    y1: y,
                    x2: x(seg.end),
                    y2: y,
                    color: c,
                });
            }
            ctx.layer();
            for d in &drops {
                // The code just after the drop, on the connecting lane.
                ctx.print(x(d.at), 1.5, Line::styled(d.code.clone(), theme.bad()));
            }
        });
    frame.render_widget(canvas, lanes);
    let left = format!("-{}", short_duration(span));
    let pad = usize::from(axis.width).saturating_sub(left.chars().count() + 3);
    frame.render_widget(
        Paragraph::new(Line::styled(
            format!("{left}{}now", " ".repeat(pad)),
            theme.dim(),
        )),
        axis,
    );
}

/// One attempt: `22:01:03 #4 closed 1006 network · up 34s · next in 1.2s`.
fn entry(app: &App, h: &HistoryEntry) -> Line<'static> {
    let theme = &app.theme;
    let r = &h.record;
    let (what, style) = match &r.outcome {
        Outcome::Failed(f) => {
            let what = match (&f.kind, &f.http) {
                (_, Some(http)) => format!("refused {} at upgrade", http.status),
                (FailureKind::ConnectionRefused, None) => "connection refused".into(),
                (FailureKind::Timeout, None) => "timed out".into(),
                (FailureKind::Dns, None) => "DNS failed".into(),
                (FailureKind::Tls, None) => "TLS failed".into(),
                (kind, None) => format!("failed ({kind:?})").to_lowercase(),
            };
            (what, theme.bad())
        }
        Outcome::Closed { close, .. } => {
            let by = match close.by {
                Closer::Server => "server",
                Closer::Client => "wsmon",
                Closer::Network => "network",
            };
            let style = if close.code == 1000 {
                theme.good()
            } else {
                theme.warn()
            };
            (format!("closed {} by {by}", close.code), style)
        }
    };
    let up = match &r.outcome {
        Outcome::Closed { open_for, .. } => format!("up {}", short_duration(*open_for)),
        Outcome::Failed(_) => "never open".into(),
    };
    let next = match h.retry_delay {
        Some(d) => format!("next in {}", short_duration(d)),
        None => "no retry".into(),
    };
    Line::from(vec![
        Span::styled(
            format!("{} ", super::when(app, r.started, false)),
            theme.dim(),
        ),
        Span::raw(format!("#{} ", r.attempt)),
        Span::styled(what, style),
        Span::raw(format!(" · {up} · ")),
        Span::styled(next, theme.dim()),
    ])
}
