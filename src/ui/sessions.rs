//! The header line (profile, server, the model's health word and first
//! reason) and the sessions
//! list: one row per endpoint with its state badge, uptime or downtime,
//! last close code, RTT, message rate, reconnects and retry countdown.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::panel_block;
use crate::app::{App, CrewRow, ListRows, Order, Panel};
use crate::facts::StopReason;
use crate::model::uptime::Cell as UptimeCell;
use crate::model::{HealthWord, Lifecycle, SessionState, Standing};
use crate::report::short_duration;
use crate::text_safe::visible;

/// Seconds of history in the rate sparkline.
const SPARK_SECONDS: u16 = 8;
const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The top line: which profile is live, against which server, and how it is.
pub(crate) fn render_header(frame: &mut Frame, area: Rect, app: &App) {
    if app.is_crew() {
        return render_crew_header(frame, area, app);
    }
    let theme = &app.theme;
    // Decided by the model (the same word `check`, `watch` and the
    // metrics give); drawn here.
    let health = app.model.health(app.now());
    let word_style = match health.word {
        HealthWord::Healthy | HealthWord::Empty => theme.good(),
        HealthWord::Degraded | HealthWord::Starting => theme.warn(),
        HealthWord::Down => theme.bad(),
    };
    let server = app
        .active
        .redactor
        .redact(app.active.server.as_str())
        .into_owned();
    let mut spans = vec![
        Span::styled(" wsmon ", theme.header()),
        Span::styled("profile ", theme.dim()),
        Span::styled(visible(&app.active.name).into_owned(), theme.header()),
        Span::raw(" "),
        Span::styled(
            health.word.as_str().to_uppercase(),
            word_style.add_modifier(ratatui::style::Modifier::BOLD),
        ),
    ];
    // The first reason goes right after the word (`churn: 12 reconnects
    // in 5 min on notifications`), once the rest of the line is known.
    let reason_at = spans.len();
    // Said before the server so a narrow terminal cannot cut it off.
    if app.active.insecure {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            " INSECURE TLS: certificates not verified ",
            theme
                .bad()
                .add_modifier(ratatui::style::Modifier::BOLD | ratatui::style::Modifier::REVERSED),
        ));
    }
    spans.push(times(app));
    spans.push(Span::styled("  server ", theme.dim()));
    spans.push(Span::raw(visible(&server).into_owned()));
    // The reason gets the room the rest leaves, cut with `…`: the server
    // (whose sessions these are) must stay on screen; the whole reason is
    // in `check` and the logs.
    if health.word != HealthWord::Starting
        && let Some(reason) = health.reasons.first()
    {
        let width = |spans: &[Span]| spans.iter().map(Span::width).sum::<usize>();
        let reason = format!(" {}", visible(reason));
        let mut room = usize::from(area.width).saturating_sub(width(&spans));
        if room < Span::raw(reason.as_str()).width() {
            // Too narrow for the whole reason: the dim labels go before
            // any of it does (the values read alone: `demo-sandra`, `UTC`,
            // the URL).
            spans[1] = Span::raw("");
            let server_label = spans.len() - 2;
            spans[server_label] = Span::raw("  ");
            let times_at = server_label - 1;
            let zone = spans[times_at].content.replace("  times ", "  ");
            spans[times_at] = Span::styled(zone, theme.dim());
            room = usize::from(area.width).saturating_sub(width(&spans));
        }
        if let Some(text) = shortened(&reason, room) {
            spans.insert(reason_at, Span::styled(text, word_style));
        }
    }
    let line = Line::from(spans);
    frame.render_widget(Paragraph::new(line), area);
}

/// `text` if it is at most `room` columns wide, else cut to fit with `…`
/// as its last column (trailing spaces dropped before it); `None` when
/// nothing but spaces would be left before the `…`.
fn shortened(text: &str, room: usize) -> Option<String> {
    use unicode_truncate::UnicodeTruncateStr;
    let (kept, _) = text.unicode_truncate(room);
    if kept.len() == text.len() {
        return Some(text.to_string());
    }
    let (kept, _) = text.unicode_truncate(room.saturating_sub(1));
    let kept = kept.trim_end();
    if kept.trim_start().is_empty() {
        return None;
    }
    Some(format!("{kept}…"))
}

/// The zone every time on screen is in, said once in the header
/// (`  times UTC+01:00`), or `  times relative` after `T`.
fn times(app: &App) -> Span<'static> {
    let times = if app.relative_times {
        "times relative".to_string()
    } else {
        format!("times {}", app.zone.label(app.now()))
    };
    Span::styled(format!("  {times}"), app.theme.dim())
}

/// The badge text: readyState number and label, e.g. `1 OPEN`.
pub(crate) fn badge(lifecycle: &Lifecycle) -> String {
    let rs = lifecycle.ready_state();
    format!("{} {}", rs.number(), rs.label())
}

/// [`badge`] with the protocol's state: `1 OPEN·READY` once the
/// application protocol's handshake is complete, `1 OPEN·…` while it is
/// not yet (readyState stays the browser's number).
pub(crate) fn session_badge(s: &SessionState) -> String {
    let plain = badge(&s.lifecycle);
    if s.lifecycle.ready_state() != crate::model::lifecycle::ReadyState::Open || !s.expects_ready {
        return plain;
    }
    if s.ready {
        format!("{plain}·READY")
    } else {
        format!("{plain}·…")
    }
}

/// What the session is doing, for the "for" column.
fn status(app: &App, s: &SessionState) -> String {
    match &s.lifecycle {
        Lifecycle::Idle if app.model.login_failed().is_some() => "login failed".into(),
        Lifecycle::Idle if app.model.login_configured => "logging in".into(),
        Lifecycle::Idle => "starting".into(),
        Lifecycle::Connecting { attempt, since } => {
            format!("try #{attempt} {}", short_duration(app.since(*since)))
        }
        Lifecycle::Open { since } => format!("up {}", short_duration(app.since(*since))),
        Lifecycle::Closing { since } => format!("closing {}", short_duration(app.since(*since))),
        Lifecycle::Closed { since, .. } => format!("down {}", short_duration(app.since(*since))),
        Lifecycle::Waiting { .. } => match s.history.back() {
            Some(h) => format!("down {}", short_duration(app.since(h.record.ended))),
            None => "down".into(),
        },
        Lifecycle::Stopped { why, .. } => match why {
            StopReason::AuthRejected { .. } => "stopped: auth".into(),
            StopReason::Refused { .. } => "stopped: refused".into(),
            StopReason::Paused => "paused".into(),
            StopReason::Finished => "finished".into(),
            StopReason::Cancelled => "cancelled".into(),
        },
    }
}

/// A count in at most 4 characters: `950`, `12k`, `1.2M`.
pub(crate) fn compact_count(n: u64) -> String {
    match n {
        0..1000 => n.to_string(),
        1000..10_000 => format!("{:.1}k", n as f64 / 1e3),
        10_000..1_000_000 => format!("{}k", n / 1000),
        1_000_000..10_000_000 => format!("{:.1}M", n as f64 / 1e6),
        _ => format!("{}M", n / 1_000_000),
    }
}

/// An 8-step sparkline of the last seconds' message counts, plus the
/// latest second's rate.
pub(crate) fn sparkline(counts: &[u64]) -> String {
    let max = counts.iter().copied().max().unwrap_or(0);
    counts
        .iter()
        .map(|&c| {
            if max == 0 || c == 0 {
                ' '
            } else {
                SPARKS[((c * 8 - 1) / max).min(7) as usize]
            }
        })
        .collect()
}

/// The columns: header, width, and priority (1 = kept longest when the
/// terminal is narrow).
const COLUMNS: [(&str, u16, u8); 9] = [
    ("endpoint", 0, 1),
    ("state", 12, 1),
    ("for", 13, 2),
    ("last 60m", STRIP_MIN, 5),
    ("last", 8, 4),
    ("rtt", 6, 8),
    ("msg/s", SPARK_SECONDS + 7, 6),
    ("↻", 3, 7),
    ("retry", 9, 3),
];

/// Column index of the uptime strip.
const STRIP: usize = 3;
/// Cells of the uptime strip: at least 10 (6-minute slices of the hour),
/// more when the row has room, up to 60 (a minute each).
const STRIP_MIN: u16 = 10;
const STRIP_MAX: u16 = 60;

/// The strip's cells for a row `width` wide showing columns `keep`: the
/// minimum plus whatever room the columns leave.
fn strip_cells(width: u16, name_width: u16, keep: &[usize]) -> usize {
    if !keep.contains(&STRIP) {
        return 0;
    }
    let extra = width.saturating_sub(need(keep, name_width));
    usize::from(STRIP_MIN.saturating_add(extra).min(STRIP_MAX))
}

/// Width the columns `keep` take, with one space between them.
fn need(keep: &[usize], name_width: u16) -> u16 {
    keep.iter()
        .map(|&i| if i == 0 { name_width } else { COLUMNS[i].1 })
        .sum::<u16>()
        + u16::try_from(keep.len().saturating_sub(1)).unwrap_or(u16::MAX)
}

/// Indexes of the columns that fit in `width`, dropping the least
/// important first, so the countdown survives at 80 columns.
fn columns_that_fit(width: u16, name_width: u16) -> Vec<usize> {
    let mut keep: Vec<usize> = (0..COLUMNS.len()).collect();
    while need(&keep, name_width) > width && keep.len() > 2 {
        let drop = keep
            .iter()
            .enumerate()
            .max_by_key(|(_, i)| COLUMNS[**i].2)
            .map(|(at, _)| at);
        match drop {
            Some(at) => {
                keep.remove(at);
            }
            None => break,
        }
    }
    keep
}

fn row<'a>(
    app: &'a App,
    views: &[crate::app::state::SessionView],
    i: usize,
    s: &'a SessionState,
    keep: &[usize],
    cells: usize,
) -> Row<'a> {
    let theme = &app.theme;
    let counts = views
        .get(i)
        .map(|v| v.rate.last(app.now(), usize::from(SPARK_SECONDS)))
        .unwrap_or_default();
    let rate = counts.last().copied().unwrap_or(0);
    let close = s
        .last_attempt()
        .map(|r| match r.handshake_status() {
            Some(status) if status != 101 => format!("{status} http"),
            _ => r.browser_close_code().to_string(),
        })
        .unwrap_or_else(|| "-".into());
    let rtt = s.last_rtt.map_or_else(|| "-".into(), short_duration);
    let retry = match &s.lifecycle {
        Lifecycle::Waiting { retry_at, .. } => {
            format!("in {}", short_duration(app.until(*retry_at)))
        }
        _ => String::new(),
    };
    let mut cells = [
        Cell::from(visible(&s.name).into_owned()),
        Cell::from(Span::styled(session_badge(s), theme.badge(&s.lifecycle))),
        Cell::from(status(app, s)),
        Cell::from(strip(app, s, cells)),
        Cell::from(close),
        Cell::from(rtt),
        Cell::from(Line::from(vec![
            Span::styled(sparkline(&counts), theme.good()),
            Span::raw(format!(" {}/s", compact_count(rate))),
        ])),
        Cell::from(s.reconnects().to_string()),
        Cell::from(Span::styled(retry, theme.warn())),
    ];
    let cells = keep.iter().map(|&k| std::mem::take(&mut cells[k]));
    Row::new(cells.collect::<Vec<_>>())
}

/// The uptime strip: the last hour's slices (decided by the model),
/// oldest left, one character each, coloured by state (and shaped, for
/// `NO_COLOR`): open `█`, connecting `▒`, closed `░`, stopped `×`.
fn strip(app: &App, s: &SessionState, cells: usize) -> Line<'static> {
    let theme = &app.theme;
    if cells == 0 {
        return Line::default();
    }
    let cells = s.uptime_strip(app.now(), crate::model::uptime::DEFAULT_SPAN, cells);
    let spans: Vec<Span> = cells
        .into_iter()
        .map(|c| match c {
            UptimeCell::Unknown => Span::styled(" ", theme.dim()),
            UptimeCell::Open => Span::styled("█", theme.good()),
            UptimeCell::Connecting => Span::styled("▒", theme.warn()),
            UptimeCell::Closed => Span::styled("░", theme.bad()),
            UptimeCell::Stopped => Span::styled("×", theme.bad()),
        })
        .collect();
    Line::from(spans)
}

/// Session rows that fit in `area` (under the border and the header row).
pub(crate) fn rows_visible(area: Rect, compact: bool) -> usize {
    let chrome = if compact { 1 } else { 3 };
    usize::from(area.height.saturating_sub(chrome))
}

/// The screen lines the rows took in `area`: under the border and the
/// column header (the compact list has no border), the whole width.
fn list_rows(area: Rect, compact: bool, first: usize) -> ListRows {
    let top = if compact { 1 } else { 2 };
    let height = u16::try_from(rows_visible(area, compact)).unwrap_or(u16::MAX);
    ListRows {
        area: Rect::new(area.x, area.y.saturating_add(top), area.width, height),
        first,
    }
}

/// The first session row shown: the list scrolls just enough to keep the
/// selected row in view.
pub(crate) fn first_visible(selected: usize, rows_visible: usize) -> usize {
    (selected + 1).saturating_sub(rows_visible.max(1))
}

/// `Sessions · 997 open · 2 retrying · 1 stopped · trouble first · /1006/ 3
/// shown`: the counts by standing (decided by the model), then the order
/// and filter when they are not the plain ones.
fn title(app: &App) -> Line<'static> {
    let theme = &app.theme;
    let counts = app.model.standing_counts(app.now());
    let mut spans = vec![Span::raw(format!(" {} · ", Panel::Sessions.title()))];
    let line = counts.line();
    let trouble =
        counts.get(Standing::Open) + counts.get(Standing::Connecting) < app.model.sessions.len();
    if line.is_empty() {
        spans.push(Span::raw("no endpoints"));
    } else if trouble {
        spans.push(Span::styled(line, theme.warn()));
    } else {
        spans.push(Span::raw(line));
    }
    if app.rows.order != Order::Configured {
        spans.push(Span::styled(
            format!(" · {}", app.rows.order.label()),
            theme.label(),
        ));
    }
    if app.rows.filter.is_active() {
        spans.push(Span::styled(
            format!(
                " · /{}/ {} shown",
                visible(&app.rows.filter.text),
                app.rows().len()
            ),
            theme.label(),
        ));
    }
    spans.push(Span::raw(" "));
    Line::from(spans)
}

/// The sessions list (bordered in the full layout, bare in the compact
/// one). Returns where its rows went.
pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App, compact: bool) -> ListRows {
    if app.is_crew() {
        return render_crew(frame, area, app, compact);
    }
    let theme = &app.theme;
    let name_width = app
        .model
        .sessions
        .iter()
        .map(|s| visible(&s.name).chars().count())
        .max()
        .unwrap_or(8)
        .clamp(8, 24);
    // Clamped to 8..=24 just above.
    let name_width = u16::try_from(name_width).unwrap_or(24);
    let inner = area.width.saturating_sub(if compact { 0 } else { 2 });
    let keep = columns_that_fit(inner, name_width);
    let cells = strip_cells(inner, name_width, &keep);
    // Only the rows that fit are built: a thousand sessions cost a
    // screenful of rows per frame, not a thousand.
    let visible_rows = rows_visible(area, compact);
    let first = first_visible(app.shown_row().unwrap_or(0), visible_rows);
    let rows: Vec<Row> = app
        .rows()
        .iter()
        .skip(first)
        .take(visible_rows)
        .filter_map(|&i| app.model.sessions.get(i).map(|s| (i, s)))
        .map(|(i, s)| {
            let r = row(app, &app.views, i, s, &keep, cells);
            if i == app.selected {
                r.style(theme.selected())
            } else {
                r
            }
        })
        .collect();
    let header = Row::new(keep.iter().map(|&k| COLUMNS[k].0)).style(theme.dim());
    let widths = keep.iter().map(|&k| match k {
        0 => Constraint::Length(name_width),
        k if k == COLUMNS.len() - 1 => Constraint::Fill(1),
        STRIP => Constraint::Length(u16::try_from(cells).unwrap_or(STRIP_MAX)),
        k => Constraint::Length(COLUMNS[k].1),
    });
    let mut table = Table::new(rows, widths).header(header).column_spacing(1);
    if !compact {
        table = table.block(panel_block(app, Panel::Sessions, title(app)));
    }
    frame.render_widget(table, area);
    list_rows(area, compact, first)
}

/// The style of a health word.
fn word_style(app: &App, word: HealthWord) -> ratatui::style::Style {
    match word {
        HealthWord::Healthy | HealthWord::Empty => app.theme.good(),
        HealthWord::Degraded | HealthWord::Starting => app.theme.warn(),
        HealthWord::Down => app.theme.bad(),
    }
}

/// The top line with several profiles live: each profile's name and
/// health word side by side (the focused one highlighted), then the zone
/// times are in and the focused profile's server.
fn render_crew_header(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let now = app.now();
    let mut spans = vec![
        Span::styled(" wsmon ", theme.header()),
        Span::styled("profiles ", theme.dim()),
    ];
    for (k, m) in app.members().iter().enumerate() {
        if k > 0 {
            spans.push(Span::styled(" · ", theme.dim()));
        }
        let name = visible(&m.active.name).into_owned();
        spans.push(if m.focused {
            Span::styled(
                name,
                theme
                    .header()
                    .add_modifier(ratatui::style::Modifier::UNDERLINED),
            )
        } else {
            Span::raw(name)
        });
        let health = m.model.health(now);
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            health.word.as_str().to_uppercase(),
            word_style(app, health.word).add_modifier(ratatui::style::Modifier::BOLD),
        ));
        if m.active.insecure {
            spans.push(Span::styled(" INSECURE TLS", theme.bad()));
        }
    }
    let server = app
        .active
        .redactor
        .redact(app.active.server.as_str())
        .into_owned();
    spans.push(times(app));
    spans.push(Span::styled("  server ", theme.dim()));
    spans.push(Span::raw(visible(&server).into_owned()));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The sessions list with several profiles live: a heading per profile
/// (name, health word and first reason, token verdict, probe), then its
/// sessions; the focused profile's selected session is highlighted.
fn render_crew(frame: &mut Frame, area: Rect, app: &App, compact: bool) -> ListRows {
    let theme = &app.theme;
    let now = app.now();
    let members = app.members();
    let name_width = (members.iter())
        .flat_map(|m| &m.model.sessions)
        .map(|s| visible(&s.name).chars().count())
        .chain(
            members
                .iter()
                .map(|m| visible(&m.active.name).chars().count() + 2),
        )
        .max()
        .unwrap_or(8)
        .clamp(8, 28);
    // Clamped to 8..=28 just above.
    let name_width = u16::try_from(name_width).unwrap_or(28);
    let inner = area.width.saturating_sub(if compact { 0 } else { 2 });
    let keep = columns_that_fit(inner, name_width);
    let strip = strip_cells(inner, name_width, &keep);
    // Each profile's heading, then its sessions the filter shows.
    let entries = app.crew_rows();
    let visible_rows = rows_visible(area, compact);
    let first = first_visible(app.selected_row(), visible_rows);
    let rows: Vec<Row> = (entries.iter().skip(first).take(visible_rows))
        .map(|entry| match *entry {
            CrewRow::Profile(k) => {
                // A table has no spans across columns: the word goes in
                // the state column, the token verdict in the next, the
                // probe and the first reason in the last (widest) one.
                let m = &members[k];
                let health = m.model.health(now);
                let style = word_style(app, health.word);
                let mut cells: Vec<Cell> = vec![Cell::default(); keep.len()];
                let marker = if m.focused { "▸ " } else { "  " };
                cells[0] = Cell::from(Span::styled(
                    format!("{marker}{}", visible(&m.active.name)),
                    theme.header(),
                ));
                cells[1] = Cell::from(Span::styled(
                    health.word.as_str().to_uppercase(),
                    style.add_modifier(ratatui::style::Modifier::BOLD),
                ));
                let mut last = Vec::new();
                if let Some(t) = &m.model.token_check {
                    let token = Span::styled(format!("token {}", t.verdict.as_str()), theme.dim());
                    if keep.len() > 3 {
                        cells[2] = Cell::from(token);
                    } else {
                        last.push(token);
                    }
                }
                if let Some(probe) = m.model.probes.back() {
                    let judged = crate::diagnose::isolation::judge(probe);
                    let style = if judged.passed() {
                        theme.good()
                    } else {
                        theme.bad()
                    };
                    last.push(Span::styled(
                        format!("probe {} ", judged.outcome().to_uppercase()),
                        style,
                    ));
                }
                if let Some(reason) = health.reasons.first()
                    && health.word != HealthWord::Starting
                {
                    last.push(Span::styled(visible(reason).into_owned(), style));
                }
                if keep.len() > 2 {
                    let at = keep.len() - 1;
                    cells[at] = Cell::from(Line::from(last));
                }
                Row::new(cells)
            }
            CrewRow::Session(k, i) => {
                let m = &members[k];
                let s = &m.model.sessions[i];
                let r = row(app, m.views, i, s, &keep, strip);
                if m.focused && i == app.selected {
                    r.style(theme.selected())
                } else {
                    r
                }
            }
        })
        .collect();
    let header = Row::new(keep.iter().map(|&k| COLUMNS[k].0)).style(theme.dim());
    let widths = keep.iter().map(|&k| match k {
        0 => Constraint::Length(name_width),
        k if k == COLUMNS.len() - 1 => Constraint::Fill(1),
        STRIP => Constraint::Length(u16::try_from(strip).unwrap_or(STRIP_MAX)),
        k => Constraint::Length(COLUMNS[k].1),
    });
    let mut table = Table::new(rows, widths).header(header).column_spacing(1);
    if !compact {
        let n: usize = members.iter().map(|m| m.model.sessions.len()).sum();
        let filter = if app.rows.filter.is_active() {
            let shown = (entries.iter())
                .filter(|e| matches!(e, CrewRow::Session(..)))
                .count();
            format!(" · /{}/ {shown} shown", visible(&app.rows.filter.text))
        } else {
            String::new()
        };
        let title = format!(
            " {} · {} profiles, {n} endpoints{filter} · O next profile ",
            Panel::Sessions.title(),
            members.len()
        );
        table = table.block(panel_block(app, Panel::Sessions, Line::from(title)));
    }
    frame.render_widget(table, area);
    list_rows(area, compact, first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_protocol_session_is_open_ready_only_once_ready() {
        use crate::facts::{HandshakeInfo, ProtocolEvent, SessionEvent};
        use std::time::{Duration, SystemTime};
        let mut model = crate::model::Model::new(&{
            let text = "[profiles.p]\nserver = \"http://h\"\n[[profiles.p.endpoints]]\nname = \"e\"\nurl = \"{ws}/socket.io/\"\nprotocol = \"socketio\"\n";
            let config =
                crate::config::validate::parse(std::path::Path::new("t"), text).expect("config");
            config.profiles[0].activate().expect("profile")
        });
        let at = SystemTime::UNIX_EPOCH;
        let apply = |model: &mut crate::model::Model, event| {
            model.apply(&crate::facts::Event::Session { endpoint: 0, event })
        };
        let handshake = HandshakeInfo {
            status: 101,
            latency: Duration::ZERO,
            headers: vec![],
            subprotocol: None,
        };
        apply(&mut model, SessionEvent::Open { at, handshake });
        assert_eq!(session_badge(&model.sessions[0]), "1 OPEN·…");
        let ready = ProtocolEvent::Ready {
            at,
            protocol: crate::config::ProtocolKind::SocketIo,
            detail: "namespace / connected".into(),
        };
        apply(&mut model, SessionEvent::Protocol(ready));
        assert_eq!(session_badge(&model.sessions[0]), "1 OPEN·READY");
        apply(&mut model, SessionEvent::Protocol(ProtocolEvent::Keepalive));
        assert_eq!(model.sessions[0].keepalives, 1);
        assert_eq!(model.sessions[0].messages, 0, "keepalives are not messages");
    }

    #[test]
    fn sparkline_scales_to_the_busiest_second() {
        assert_eq!(sparkline(&[0, 1, 2, 4]), " ▂▄█");
        assert_eq!(sparkline(&[0, 0]), "  ");
    }

    #[test]
    fn narrow_terminals_drop_rtt_first_and_keep_the_countdown() {
        assert_eq!(columns_that_fit(200, 13).len(), 9);
        let at_80 = columns_that_fit(78, 13);
        assert!(at_80.contains(&8), "{at_80:?}");
        assert!(!at_80.contains(&5), "{at_80:?}");
        assert_eq!(columns_that_fit(30, 13), [0, 1]);
    }

    #[test]
    fn the_list_scrolls_to_keep_the_selection_in_view() {
        assert_eq!(first_visible(0, 10), 0);
        assert_eq!(first_visible(9, 10), 0);
        assert_eq!(first_visible(10, 10), 1);
        assert_eq!(first_visible(999, 10), 990);
        assert_eq!(first_visible(3, 0), 3);
        assert_eq!(rows_visible(Rect::new(0, 0, 80, 13), false), 10);
        assert_eq!(rows_visible(Rect::new(0, 0, 80, 2), false), 0);
    }

    #[test]
    fn a_reason_is_cut_to_the_room_left_with_an_ellipsis() {
        let reason = " not open: orders (stopped)";
        assert_eq!(shortened(reason, 80).as_deref(), Some(reason));
        assert_eq!(shortened(reason, 27).as_deref(), Some(reason));
        assert_eq!(
            shortened(reason, 26).as_deref(),
            Some(" not open: orders (stoppe…")
        );
        // No `…` right after a space: the space goes.
        assert_eq!(shortened(reason, 6).as_deref(), Some(" not…"));
        assert_eq!(shortened(reason, 3).as_deref(), Some(" n…"));
        assert_eq!(shortened(reason, 2), None);
        assert_eq!(shortened(reason, 0), None);
        // Display width, not characters: a wide character is two columns.
        assert_eq!(shortened(" 通知 down", 6).as_deref(), Some(" 通知…"));
        assert_eq!(shortened(" 通知 down", 3), None);
    }

    #[test]
    fn rates_fit_four_characters() {
        assert_eq!(compact_count(950), "950");
        assert_eq!(compact_count(1_250), "1.2k");
        assert_eq!(compact_count(123_456), "123k");
        assert_eq!(compact_count(2_500_000), "2.5M");
    }
}
