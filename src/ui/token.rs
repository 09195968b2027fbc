//! The token check panel: the last REST check (status, verdict, `detail`,
//! latency, when) and the cross-check line that tells a bad token apart
//! from a socket that refuses a good one.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::panel_block;
use crate::app::{App, Panel};
use crate::report::short_duration;
use crate::text_safe::visible;
use crate::token_check::Verdict;

/// Draws the token check panel.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let title = if app.is_crew() {
        // Several profiles live: whose token, and the key to the next's.
        Line::from(format!(
            " {} · {} · t re-runs · o next profile ",
            Panel::Token.title(),
            crate::text_safe::visible(&app.active.name)
        ))
    } else {
        Line::from(format!(" {} · t re-runs ", Panel::Token.title()))
    };
    let block = panel_block(app, Panel::Token, title);
    let mut lines = super::login::lines(app);
    lines.extend(self::lines(app));
    lines.extend(super::probe::lines(app));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// The cross-check of the REST verdict with what the sockets did, as the
/// model words it ([`crate::model::Model::token_cross_check`]).
pub fn cross_check(app: &App) -> Option<String> {
    app.model.token_cross_check().map(str::to_string)
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
