//! The login lines of the token panel: how the profile logs in, the last
//! login's verdict in plain words (with the server's own words when it
//! refused) and, for a token that expires, "expires in 3m 12s" (red once
//! past).

use std::time::{Duration, SystemTime};

use ratatui::text::{Line, Span};

use crate::app::App;
use crate::report::short_duration;
use crate::text_safe::visible;

/// "expires in 3m 12s" / "expired 4s ago", and whether it is past.
pub(crate) fn expiry_words(expires_at: SystemTime, now: SystemTime) -> (String, bool) {
    match expires_at.duration_since(now) {
        Ok(left) => (format!("expires in {}", whole_seconds(left)), false),
        Err(e) => (format!("expired {} ago", whole_seconds(e.duration())), true),
    }
}

/// Whole seconds ("3m 12s", "15s"): a countdown redrawn once a second.
fn whole_seconds(d: Duration) -> String {
    short_duration(Duration::from_secs(d.as_secs()))
}

/// The panel's login lines; none when the profile does not log in.
pub(crate) fn lines(app: &App) -> Vec<Line<'static>> {
    let Some(login) = &app.active.login else {
        return Vec::new();
    };
    let theme = &app.theme;
    let mut out = vec![
        Line::from(vec![
            Span::styled("login ", theme.label()),
            Span::raw(format!(
                "{} as {}",
                login.kind.as_str(),
                visible(login.who())
            )),
        ]),
        Line::from(vec![
            Span::styled("POST ", theme.label()),
            Span::raw(visible(&app.active.redactor.redact(login.url.as_str())).into_owned()),
        ]),
    ];
    let Some(result) = &app.model.login else {
        out.push(Line::styled("logging in…", theme.dim()));
        return out;
    };
    let style = if result.ok() {
        theme.good()
    } else if result.verdict.is_transient() {
        theme.warn()
    } else {
        theme.bad()
    };
    let status = result
        .status
        .map_or_else(|| "no answer".into(), |s| s.to_string());
    let step = match result.step {
        crate::session::login::LoginStep::Login => "",
        crate::session::login::LoginStep::Refresh => "refreshed · ",
    };
    out.push(Line::from(vec![
        Span::styled(format!("{status} "), theme.text()),
        Span::styled(result.verdict.words(result.kind).to_uppercase(), style),
        Span::styled(
            format!(
                " · {step}{} · at {} ({} ago)",
                short_duration(result.latency),
                super::clock(app, result.at),
                short_duration(app.since(result.at))
            ),
            theme.dim(),
        ),
    ]));
    if let Some(detail) = result.detail.as_ref().filter(|_| !result.ok()) {
        out.push(Line::from(vec![
            Span::styled("detail ", theme.label()),
            Span::raw(format!("\"{}\"", visible(detail))),
        ]));
    }
    if let Some(expires_at) = result.expires_at.filter(|_| result.ok()) {
        let (words, past) = expiry_words(expires_at, app.now());
        let style = if past { theme.bad() } else { theme.text() };
        out.push(Line::from(vec![
            Span::styled("token ", theme.label()),
            Span::styled(words, style),
        ]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_reads_as_a_countdown_then_as_past() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let (words, past) = expiry_words(now + Duration::from_millis(192_400), now);
        assert_eq!((words.as_str(), past), ("expires in 3m 12s", false));
        let (words, past) = expiry_words(now - Duration::from_secs(4), now);
        assert_eq!((words.as_str(), past), ("expired 4.0s ago", true));
    }
}
