//! The detail panel of the selected endpoint: URL (token redacted), the
//! handshake answer (101, or the refused status with headers and body
//! excerpt), the last close (code, reason, clean or not, who closed), what
//! that code means, and the diagnosis with its fixes, who answered (the
//! fingerprint) and the evidence it read.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::panel_block;
use crate::app::{App, Panel};
use crate::diagnose::codes;
use crate::facts::{AttemptRecord, Closer, Outcome};
use crate::model::{Lifecycle, SessionState};
use crate::report::short_duration;
use crate::text_safe::visible;

/// Refused-answer headers shown (the most telling ones come first anyway).
const MAX_HEADERS: usize = 4;

/// The evidence of a pattern in a few words: `5 times in 25.6 s, idle
/// 5.0 s, 5.0 s and 5.0 s; answered by nginx/1.22.1`.
fn pattern_evidence(p: &crate::diagnose::pattern::Pattern) -> String {
    let e = &p.evidence;
    let mut parts = vec![match e.window_ms {
        Some(w) => format!(
            "{} times in {}",
            e.count,
            short_duration(std::time::Duration::from_millis(w))
        ),
        None => format!("{} times", e.count),
    }];
    let shown = |v: &[u64]| {
        v.iter()
            .map(|&ms| short_duration(std::time::Duration::from_millis(ms)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !e.idle_ms.is_empty() {
        parts.push(format!("idle {}", shown(&e.idle_ms)));
    }
    if !e.ages_ms.is_empty() {
        parts.push(format!("open {}", shown(&e.ages_ms)));
    }
    if let Some(who) = &e.answered_by {
        parts.push(format!("answered by {}", visible(who)));
    }
    parts.join("; ")
}

/// Draws the detail panel of the selected endpoint.
pub(crate) fn render(frame: &mut Frame, area: Rect, app: &App) {
    // The endpoint's name goes in the title: one line less to scroll.
    let title = match app.model.sessions.get(app.selected) {
        // Several profiles live: whose session this is.
        Some(s) if app.is_crew() => format!(
            " {} · {}/{} ",
            Panel::Detail.title(),
            visible(&app.active.name),
            visible(&s.name)
        ),
        Some(s) => format!(" {} · {} ", Panel::Detail.title(), visible(&s.name)),
        None => format!(" {} ", Panel::Detail.title()),
    };
    let title = Line::from(title);
    let block = panel_block(app, Panel::Detail, title);
    let lines = match app.model.sessions.get(app.selected) {
        Some(s) => lines(app, s),
        None => vec![Line::from("This profile has no endpoints.")],
    };
    // Wrapped here, not by the paragraph: a long value goes on under
    // itself, not back at the label's column.
    let width = usize::from(area.width.saturating_sub(2));
    let lines: Vec<Line> = (lines.into_iter())
        .flat_map(|l| wrap_hanging(l, width))
        .collect();
    let text = Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false })
        .scroll((app.detail_scroll, 0));
    frame.render_widget(text, area);
}

/// Where a line's continuation starts: under its value (after the
/// label span of a `label     value` line, or the leading blanks of an
/// indented one), at most half the width.
fn hanging_indent(line: &Line<'_>, width: usize) -> usize {
    let indent = match line.spans.as_slice() {
        [label, _, ..] if label.content.ends_with(' ') => label.width(),
        [only] => only.content.chars().take_while(|c| *c == ' ').count(),
        _ => 0,
    };
    if indent > width / 2 { 0 } else { indent }
}

/// The cells a character takes on screen.
fn char_width(c: char) -> usize {
    let mut buf = [0; 4];
    Span::raw(&*c.encode_utf8(&mut buf)).width()
}

/// `line` cut into screen lines of at most `width` cells, at a blank when
/// there is one, each continuation indented by [`hanging_indent`]. Styles
/// are kept per character.
fn wrap_hanging(line: Line<'_>, width: usize) -> Vec<Line<'static>> {
    let cells: Vec<(char, Style)> = (line.spans.iter())
        .flat_map(|s| {
            let style = line.style.patch(s.style);
            s.content.chars().map(move |c| (c, style))
        })
        .collect();
    let total: usize = cells.iter().map(|(c, _)| char_width(*c)).sum();
    let owned = |cells: &[(char, Style)]| -> Vec<Span<'static>> {
        let mut spans: Vec<Span<'static>> = Vec::new();
        for &(c, style) in cells {
            match spans.last_mut() {
                Some(last) if last.style == style => last.content.to_mut().push(c),
                _ => spans.push(Span::styled(c.to_string(), style)),
            }
        }
        spans
    };
    if width == 0 || total <= width {
        return vec![Line::from(owned(&cells))];
    }
    let indent = hanging_indent(&line, width);
    let mut out = Vec::new();
    let mut start = 0;
    while start < cells.len() {
        let first = out.is_empty();
        let room = if first { width } else { width - indent };
        let mut end = start;
        let mut used = 0;
        while end < cells.len() && used + char_width(cells[end].0) <= room {
            used += char_width(cells[end].0);
            end += 1;
        }
        // A character wider than the room still goes somewhere.
        end = end.max(start + 1);
        if end < cells.len() {
            // At the last blank that leaves something on the line (past
            // the label on the first).
            let from = if first { start + indent + 1 } else { start + 1 };
            if let Some(blank) = (from..end).rev().find(|&i| cells[i].0 == ' ') {
                end = blank + 1;
            }
        }
        let mut spans = Vec::new();
        if !first {
            spans.push(Span::raw(" ".repeat(indent)));
        }
        spans.extend(owned(&cells[start..end]));
        out.push(Line::from(spans));
        start = end;
        while start < cells.len() && cells[start].0 == ' ' {
            start += 1;
        }
    }
    out
}

fn field<'a>(app: &App, name: &'a str, value: impl Into<Span<'a>>) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{name:<10} "), app.theme.label()),
        value.into(),
    ])
}

/// The Django doctor's findings (`django_project`) that concern the
/// selected endpoint: its own and the project's errors and warnings; a
/// `django` line saying it is fine otherwise.
fn django_lines(app: &App, out: &mut Vec<Line<'_>>) {
    use crate::facts::django::Severity;
    let Some(doctor) = &app.model.django else {
        if app.active.django_project.is_some() {
            out.push(field(
                app,
                "django",
                Span::styled("the doctor is reading the project…", app.theme.dim()),
            ));
        }
        return;
    };
    let mine = (doctor.findings.iter())
        .filter(|f| f.severity != Severity::Ok)
        .filter(|f| f.endpoint_index.is_none() || f.endpoint_index == Some(app.selected));
    let mut any = false;
    for f in mine {
        any = true;
        let style = match f.severity {
            Severity::Error => app.theme.bad(),
            _ => app.theme.warn(),
        };
        // Summaries are escaped where they are made.
        out.push(field(app, "django", Span::styled(f.summary.clone(), style)));
    }
    if !any {
        let name = app
            .active
            .endpoints
            .get(app.selected)
            .map(|e| e.name.as_str());
        let route = (doctor.endpoints.iter())
            .find(|e| Some(e.endpoint.as_str()) == name)
            .and_then(|e| e.consumer.as_deref())
            .map_or(String::new(), |c| format!(": served by {}", visible(c)));
        out.push(field(
            app,
            "django",
            Span::styled(
                format!("the doctor found nothing wrong{route}"),
                app.theme.dim(),
            ),
        ));
    }
}

/// The endpoint's expectations (`expect_message_within`,
/// `[[endpoints.expect]]`): the silence, each rule's counts and the last
/// message that broke one.
fn expect_lines<'a>(app: &App, s: &SessionState, out: &mut Vec<Line<'a>>) {
    let theme = &app.theme;
    let e = &s.expect;
    if let Some(within) = e.within {
        let line = match s.silence(app.now()) {
            Some(silence) => Span::styled(silence.describe(), theme.bad()),
            None => Span::styled(
                format!(
                    "expects a message within {}{}",
                    humantime::format_duration(within),
                    e.last_message_at.map_or(String::new(), |at| format!(
                        "; last at {}",
                        super::clock(app, at)
                    ))
                ),
                theme.dim(),
            ),
        };
        out.push(field(app, "silence", line));
    }
    for (rule, count) in e.rules.iter().zip(&e.counts) {
        let style = if count.violated > 0 {
            theme.bad()
        } else {
            theme.dim()
        };
        out.push(field(
            app,
            "rule",
            Span::styled(
                format!(
                    "{}  {} matched · {} violated",
                    visible(&rule.shown),
                    count.matched,
                    count.violated
                ),
                style,
            ),
        ));
    }
    if let Some(v) = &e.last_violation {
        out.push(field(
            app,
            "violation",
            Span::styled(
                format!(
                    "{} at {}: {}",
                    visible(&v.why),
                    super::clock(app, v.at),
                    visible(&v.message)
                ),
                theme.bad(),
            ),
        ));
    }
}

/// Every line of the panel for session `s`.
pub(crate) fn lines<'a>(app: &App, s: &'a SessionState) -> Vec<Line<'a>> {
    let theme = &app.theme;
    let mut out = vec![
        // Alone on its line: a long URL wraps instead of pushing a label
        // onto a line of its own.
        Line::from(visible(&s.shown_url).into_owned()),
    ];
    // The proxy the profile's rules pick for this URL, if any: a refusal
    // is the proxy's, not the server's.
    let route =
        (app.active.endpoints.get(app.selected)).and_then(|e| app.active.proxy.route(&e.url));
    if let Some(route) = route {
        let kind = match route.kind {
            crate::proxy::ProxyKind::Http { .. } => "HTTP CONNECT",
            crate::proxy::ProxyKind::Socks5 { .. } => "SOCKS5",
        };
        out.push(field(app, "via proxy", format!("{} ({kind})", route.shown)));
    }
    // URL lint (missing /ws/ prefix or token its siblings have…), found
    // before dialling: often the whole answer.
    for warning in app.url_warnings.get(app.selected).into_iter().flatten() {
        out.push(Line::from(Span::styled(
            format!("⚠ {}", visible(warning)),
            theme.warn(),
        )));
    }
    out.push(field(
        app,
        "state",
        Span::styled(state_text(app, s), theme.badge(&s.lifecycle)),
    ));
    if let Some(line) = protocol_text(app, s) {
        out.push(field(app, "protocol", Span::raw(line)));
    }
    if let Some((kind, evidence)) = &s.detected
        && app
            .active
            .endpoints
            .get(app.selected)
            .is_some_and(|e| !e.protocol.has_ready())
    {
        let d = crate::diagnose::protocol::detected(*kind, evidence);
        out.push(field(
            app,
            "detected",
            Span::styled(d.summary, theme.warn()),
        ));
    }
    let last = s.last_attempt();
    // The diagnosis comes first: it is what the user came for, and the
    // panel may be short.
    // Led by the pattern across attempts when there is one.
    let diagnosis = last.and_then(|record| {
        crate::report::diagnosis_in(&app.active, &app.model, app.selected, record)
    });
    let mut evidence = Vec::new();
    if let Some(d) = diagnosis {
        if let Some(p) = &d.pattern {
            out.push(field(
                app,
                "pattern",
                Span::styled(
                    format!("[{}] {}", p.kind.as_str(), pattern_evidence(p)),
                    theme.warn(),
                ),
            ));
        }
        // Open again: the diagnosis is about how the previous connection ended.
        let previous = if matches!(s.lifecycle, Lifecycle::Open { .. }) {
            "previous connection: "
        } else {
            ""
        };
        out.push(field(
            app,
            "diagnosis",
            Span::styled(
                format!("{previous}[{}] {}", d.kind.as_str(), d.summary),
                theme.warn(),
            ),
        ));
        for fix in d.fixes {
            out.push(Line::from(vec![
                Span::styled("  fix      ", theme.label()),
                Span::raw(format!("• {fix}")),
            ]));
        }
        evidence = d.evidence;
        // Who answered: the fingerprint the diagnosis relied on.
        if let Some(by) = d.answered_by {
            out.push(field(
                app,
                "answered",
                Span::raw(format!("by {}", visible(&by))),
            ));
        }
        // The server's log lines pinned to the attempt (`server_log`).
        for line in d.server_log {
            out.push(Line::from(vec![
                Span::styled("  log      ", theme.label()),
                Span::styled(visible(&line).into_owned(), theme.dim()),
            ]));
        }
    }
    // wsmon's pings may keep a proxy's idle timer from firing: say so
    // (the model knows the mode, the handshake who answered).
    if let Some(hint) = crate::report::ping_hint(&app.active, &app.model, app.selected) {
        out.push(field(app, "heartbeat", Span::styled(hint, theme.dim())));
    }
    out.push(field(app, "handshake", handshake_text(s, last)));
    // A refused answer's headers and body right under its status line:
    // they belong to it, not to what follows.
    let refused = last.and_then(|r| r.failure()).and_then(|f| f.http.as_ref());
    if let Some(http) = refused {
        for (k, v) in http.headers.iter().take(MAX_HEADERS) {
            out.push(Line::styled(
                format!("           {}: {}", visible(k), visible(v)),
                theme.dim(),
            ));
        }
        if !http.body_excerpt.is_empty() {
            out.push(Line::styled(
                format!("           body: {}", visible(&http.body_excerpt)),
                theme.dim(),
            ));
        }
    }
    // Who listens on the port (endpoints on this machine only).
    if let Some(seen) = &s.served_by {
        let text = match &seen.listener {
            Some(who) => crate::diagnose::server_side::describe(who),
            None if seen.listening => format!(
                "port {}: a process wsmon cannot see (another user's)",
                seen.port
            ),
            None => format!("nothing listens on port {}", seen.port),
        };
        out.push(field(app, "served by", Span::raw(text)));
    }
    django_lines(app, &mut out);
    expect_lines(app, s, &mut out);
    let Some(record) = last else {
        out.push(field(
            app,
            "history",
            Span::styled("no attempt has ended yet", theme.dim()),
        ));
        return out;
    };
    out.push(field(app, "last close", close_text(app, record)));
    // A refused upgrade is explained by its HTTP status, not by the 1006
    // a browser would make of it.
    let meaning = match refused.and_then(|h| codes::http_status(h.status)) {
        Some(info) => info.meaning,
        None => codes::close_code(record.browser_close_code()).meaning,
    };
    out.push(field(app, "meaning", Span::raw(meaning)));
    // The facts the diagnosis read, last: details for whoever scrolls.
    for fact in evidence {
        out.push(Line::from(vec![
            Span::styled("  evidence ", theme.label()),
            Span::styled(format!("· {}", visible(&fact)), theme.dim()),
        ]));
    }
    out
}

/// The state line: since when (wall clock) and for how long, or, with
/// relative times (`T`), only for how long, said once.
fn state_text(app: &App, s: &SessionState) -> String {
    let badge = super::sessions::session_badge(s);
    match &s.lifecycle {
        Lifecycle::Open { since } if app.relative_times => {
            format!("{badge} for {}", short_duration(app.since(*since)))
        }
        Lifecycle::Open { since } => format!(
            "{badge} since {} (up {})",
            super::clock(app, *since),
            short_duration(app.since(*since))
        ),
        Lifecycle::Stopped { why, since } if app.relative_times => format!(
            "{badge} · stopped ({}) for {}",
            stop_words(why),
            short_duration(app.since(*since))
        ),
        Lifecycle::Waiting { attempt, retry_at } => format!(
            "{badge} · waiting, attempt #{attempt} in {}",
            short_duration(app.until(*retry_at))
        ),
        Lifecycle::Stopped { why, since } => format!(
            "{badge} · stopped ({}) since {}",
            stop_words(why),
            super::clock(app, *since)
        ),
        other => format!("{badge} · {}", other.name()),
    }
}

/// The application protocol's state in a few words: ready (what it said),
/// keepalives answered, the last refusal.
fn protocol_text(app: &App, s: &SessionState) -> Option<String> {
    let endpoint = app.active.endpoints.get(app.selected)?;
    if !endpoint.protocol.has_ready() {
        return None;
    }
    let kind = endpoint.protocol.kind.as_str();
    let mut text = match (&s.ready_detail, s.ready) {
        (Some(detail), true) => format!("{kind}: READY ({})", visible(detail)),
        _ => format!("{kind}: not ready"),
    };
    if s.keepalives > 0 {
        text += &format!(" · {} keepalives answered", s.keepalives);
    }
    if let Some(error) = &s.protocol_error {
        text += &format!(" · last refusal: {}", visible(error));
    }
    Some(text)
}

fn stop_words(why: &crate::facts::StopReason) -> String {
    use crate::facts::StopReason;
    match why {
        // The diagnosis below says why; here only what the user can do.
        StopReason::AuthRejected { .. } => "auth rejected; r retries, t re-checks the token".into(),
        StopReason::Refused { .. } => {
            "refused the same way every time; r retries, or wsmon tries again in 5 min".into()
        }
        StopReason::Paused => "paused; press s to resume".into(),
        StopReason::Finished => "finished".into(),
        StopReason::Cancelled => "cancelled".into(),
    }
}

fn handshake_text<'a>(s: &SessionState, last: Option<&AttemptRecord>) -> Span<'a> {
    if let Some(f) = last.and_then(|r| r.failure()) {
        return match &f.http {
            Some(http) => {
                let name = codes::http_status(http.status)
                    .map(|i| i.name)
                    .unwrap_or_default();
                Span::raw(format!("{} {name} (upgrade refused)", http.status))
            }
            // An answer no HTTP parser reads: its status line as it came.
            None => match f
                .raw_answer
                .as_deref()
                .and_then(crate::diagnose::evidence::raw::parse)
                .filter(|r| !r.well_formed)
            {
                Some(r) => Span::raw(format!(
                    "invalid status line \"{}\" (upgrade refused)",
                    crate::diagnose::evidence::raw::escaped(&r.status_line, 80)
                )),
                None => Span::raw(format!(
                    "failed at the {} stage: {}",
                    format!("{:?}", f.stage).to_lowercase(),
                    visible(&f.message)
                )),
            },
        };
    }
    match &s.handshake {
        Some(h) => Span::raw(format!(
            "101 Switching Protocols in {}{}",
            short_duration(h.latency),
            h.subprotocol
                .as_deref()
                .map(|p| format!(" · subprotocol {}", visible(p)))
                .unwrap_or_default()
        )),
        None => Span::raw("-"),
    }
}

fn close_text<'a>(app: &App, record: &AttemptRecord) -> Span<'a> {
    let code = record.browser_close_code();
    let name = app
        .active
        .close_codes
        .get(&code)
        .cloned()
        .unwrap_or_else(|| codes::close_code(code).name);
    match &record.outcome {
        Outcome::Failed(_) => Span::raw(format!(
            "{code} {} · unclean · never opened (a browser reports 1006)",
            visible(&name)
        )),
        Outcome::Closed { close, open_for } => {
            let by = match close.by {
                Closer::Server => "closed by the server",
                Closer::Client => "closed by wsmon",
                Closer::Network => "dropped by the network (no close frame)",
            };
            let reason = if close.reason.is_empty() {
                String::new()
            } else {
                format!(" · reason \"{}\"", visible(&close.reason))
            };
            Span::raw(format!(
                "{code} {} · {} · {by}{reason} · was up {}",
                visible(&name),
                if close.clean { "clean" } else { "unclean" },
                short_duration(*open_for)
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line<'_>]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn a_long_value_goes_on_under_itself_at_blanks() {
        let line = Line::from(vec![
            Span::raw("label      "),
            Span::raw("one two three four"),
        ]);
        let wrapped = wrap_hanging(line, 22);
        assert_eq!(
            texts(&wrapped),
            ["label      one two ", "           three four"]
        );
    }

    #[test]
    fn a_word_longer_than_the_room_is_cut_and_short_lines_are_kept() {
        let line = Line::from(vec![Span::raw("label      "), Span::raw("abcdefghijklmno")]);
        let wrapped = wrap_hanging(line, 24);
        assert_eq!(
            texts(&wrapped),
            ["label      abcdefghijklm", "           no"]
        );
        let short = Line::from("fits");
        assert_eq!(texts(&wrap_hanging(short, 20)), ["fits"]);
        // Too narrow for a hanging indent (over half the width): the
        // value goes on at column 0.
        let line = Line::from(vec![Span::raw("label      "), Span::raw("abcdefghij")]);
        assert_eq!(
            texts(&wrap_hanging(line, 16)),
            ["label      ", "abcdefghij"]
        );
    }
}
