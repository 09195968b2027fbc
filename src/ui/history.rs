//! The reconnect history of the selected endpoint: a timeline of attempts,
//! newest first: when, how it ended (close code or handshake status), how
//! long it stayed up, and the delay chosen before the next try.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::panel_block;
use crate::app::{App, Panel};
use crate::model::HistoryEntry;
use crate::report::short_duration;
use crate::session::{Closer, FailureKind, Outcome};

/// Draws the reconnect history of the selected endpoint.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let s = app.model.sessions.get(app.selected);
    let mut title = format!(" {} ", Panel::History.title());
    if let Some(s) = s {
        let plural = if s.attempts == 1 { "" } else { "s" };
        title = format!(
            " {} · {} attempt{plural} ",
            Panel::History.title(),
            s.attempts
        );
        if s.history_dropped > 0 {
            title.push_str(&format!("· {} oldest dropped ", s.history_dropped));
        }
    }
    let block = panel_block(app, Panel::History, Line::from(title));
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
    frame.render_widget(Paragraph::new(lines).block(block), area);
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
