//! The token check panel: the last REST check (status, verdict, `detail`,
//! latency, when) and the cross-check line that tells a bad token apart
//! from a socket that refuses a good one.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::panel_block;
use crate::app::{App, Panel};
use crate::diagnose::is_auth_close;
use crate::model::{Lifecycle, SessionState};
use crate::report::short_duration;
use crate::session::StopReason;
use crate::text_safe::visible;
use crate::token_check::Verdict;

/// Draws the token check panel.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let title = Line::from(format!(" {} · t re-runs ", Panel::Token.title()));
    let block = panel_block(app, Panel::Token, title);
    let mut lines = lines(app);
    lines.extend(super::probe::lines(app));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// Whether the socket refused our credentials on its last attempt.
pub fn socket_refuses(s: &SessionState) -> bool {
    if let Lifecycle::Stopped {
        why: StopReason::AuthRejected { .. },
        ..
    } = s.lifecycle
    {
        return true;
    }
    s.last_attempt()
        .is_some_and(|r| match r.handshake_status() {
            Some(401 | 403) => true,
            Some(101) => r.close().is_some_and(|c| is_auth_close(c.code)),
            _ => false,
        })
}

/// The cross-check of the REST verdict with what the sockets did.
pub fn cross_check(app: &App) -> Option<String> {
    let check = app.model.token_check.as_ref()?;
    let refused = app.model.sessions.iter().any(socket_refuses);
    let open = app
        .model
        .sessions
        .iter()
        .any(|s| matches!(s.lifecycle, Lifecycle::Open { .. }));
    let line = match (check.verdict, refused) {
        (Verdict::Valid, true) => {
            "REST accepts this token but the socket refuses it → look at the WebSocket auth middleware or Origin validation"
        }
        (Verdict::Invalid | Verdict::Inactive, true) => {
            "REST rejects this token too → the token itself is bad: get a new one (or reactivate the user)"
        }
        (Verdict::Missing, true) => {
            "REST says no credentials arrived → check auth_scheme and the token source"
        }
        (Verdict::Valid, false) if open => "REST and the socket both accept this token",
        (Verdict::Invalid | Verdict::Inactive, false) if open => {
            "REST rejects this token but the socket accepts it → the socket may not check auth at all"
        }
        (Verdict::Unreachable | Verdict::Unexpected, _) => {
            "REST gave no verdict on the token → check the token_check path and the server"
        }
        _ => return None,
    };
    Some(line.to_string())
}

fn lines(app: &App) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let Some(url) = &app.active.token_check else {
        return vec![Line::styled(
            "no token_check in this profile: add token_check = \"/api/…\" to tell a bad token from a refusing socket",
            theme.dim(),
        )];
    };
    let mut out = vec![Line::from(vec![
        Span::styled("GET ", theme.label()),
        Span::raw(visible(&app.active.redactor.redact(url.as_str())).into_owned()),
    ])];
    let Some(check) = &app.model.token_check else {
        out.push(Line::styled("checking…", theme.dim()));
        return out;
    };
    let style = match check.verdict {
        Verdict::Valid => theme.good(),
        Verdict::Unreachable | Verdict::Unexpected => theme.warn(),
        _ => theme.bad(),
    };
    let status = check
        .status
        .map_or_else(|| "no answer".into(), |s| s.to_string());
    out.push(Line::from(vec![
        Span::styled(format!("{status} "), theme.text()),
        Span::styled(check.verdict.as_str().to_uppercase(), style),
        Span::styled(
            format!(
                " · {} · at {} ({} ago)",
                short_duration(check.latency),
                super::clock(check.at),
                short_duration(app.since(check.at))
            ),
            theme.dim(),
        ),
    ]));
    if let Some(detail) = &check.detail {
        out.push(Line::from(vec![
            Span::styled("detail ", theme.label()),
            Span::raw(format!("\"{}\"", visible(detail))),
        ]));
    }
    if let Some(line) = cross_check(app) {
        out.push(Line::styled(line, theme.warn()));
    }
    out
}
