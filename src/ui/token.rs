//! The token check panel: the last REST check (status, verdict, `detail`,
//! latency, when) and the cross-check line that tells a bad token apart
//! from a socket that refuses a good one; at the bottom, when there is
//! room, small charts of the REST check's and the delivery probe's recent
//! latencies (failures as full red bars).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, RenderDirection, Sparkline, SparklineBar, Wrap};

use super::panel_block;
use crate::app::{App, Panel};
use crate::facts::ProbeOutcome;
use crate::report::short_duration;
use crate::text_safe::visible;
use crate::token_check::Verdict;

/// Draws the token check panel.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let title = if app.is_crew() {
        // Several profiles live: whose token, and the key to the next's.
        Line::from(format!(
            " {} · {} · t re-runs · O next profile ",
            Panel::Token.title(),
            crate::text_safe::visible(&app.active.name)
        ))
    } else {
        Line::from(format!(" {} · t re-runs ", Panel::Token.title()))
    };
    let block = panel_block(app, Panel::Token, title);
    let mut inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines = super::login::lines(app);
    lines.extend(self::lines(app));
    lines.extend(super::probe::lines(app));
    // The charts at the bottom, when the text leaves them room.
    let charts = charts(app);
    // Rows the wrapped text takes (a word wrap may need one more than
    // the width says: counted as one more to be safe).
    let width = usize::from(inner.width.max(1));
    let text_rows: usize = lines
        .iter()
        .map(|l| match l.width() {
            0 => 1,
            w if w <= width => 1,
            w => w.div_ceil(width) + 1,
        })
        .sum();
    let room = usize::from(inner.height).saturating_sub(text_rows);
    let shown = charts.len().min(room);
    for (label, bars) in charts.into_iter().take(shown).rev() {
        let [rest, row] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
        let [name, chart] =
            Layout::horizontal([Constraint::Length(CHART_LABEL), Constraint::Fill(1)]).areas(row);
        frame.render_widget(Paragraph::new(Line::styled(label, app.theme.label())), name);
        // The newest bar at the right edge (drawn right to left, newest
        // first): as many as fit.
        let bars: Vec<SparklineBar> = bars.into_iter().rev().collect();
        frame.render_widget(
            Sparkline::default()
                .data(bars)
                .direction(RenderDirection::RightToLeft),
            chart,
        );
        inner = rest;
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// Width of a chart's label (`REST 20ms`).
const CHART_LABEL: u16 = 14;

/// The token panel's charts: the REST check's latency (a failed verdict
/// is a full red bar) and the delivery probe's (a failure is a full red
/// bar), oldest first, each labelled with the latest value.
fn charts(app: &App) -> Vec<(String, Vec<SparklineBar>)> {
    let theme = &app.theme;
    let mut out = Vec::new();
    let checks = &app.model.token_checks;
    if let Some(last) = checks.back() {
        let max = checks
            .iter()
            .map(|c| millis(c.latency))
            .max()
            .unwrap_or(1)
            .max(1);
        let bars = checks
            .iter()
            .map(|c| match c.verdict {
                Verdict::Valid => SparklineBar::from(millis(c.latency)).style(theme.good()),
                _ => SparklineBar::from(max).style(theme.bad()),
            })
            .collect();
        out.push((format!("REST {}", short_duration(last.latency)), bars));
    }
    let probes = &app.model.probes;
    if let Some(last) = probes.back() {
        let latency = |p: &crate::facts::ProbeResult| match p.outcome {
            ProbeOutcome::Delivered { latency, .. } => Some(millis(latency)),
            ProbeOutcome::Failed { .. } => None,
        };
        let max = probes.iter().filter_map(latency).max().unwrap_or(1).max(1);
        let bars = probes
            .iter()
            .map(|p| match latency(p) {
                Some(ms) => SparklineBar::from(ms).style(theme.good()),
                None => SparklineBar::from(max).style(theme.bad()),
            })
            .collect();
        let label = match latency(last) {
            Some(ms) => format!("probe {ms}ms"),
            None => "probe ✗".into(),
        };
        out.push((label, bars));
    }
    out
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
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
        let waiting = match app.model.login_failed() {
            Some(_) => "skipped: the login failed (r retries it)",
            None => "checking…",
        };
        out.push(Line::styled(waiting, theme.dim()));
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
                super::clock(app, check.at),
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
