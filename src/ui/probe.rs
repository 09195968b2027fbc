//! The delivery probe's lines in the token check panel: the last result
//! (delivered with its latency, or the failure in red), when the last
//! delivery was, and a sparkline of recent latencies with failures as a
//! red `✗`.

use ratatui::text::{Line, Span};

use crate::app::App;
use crate::facts::{ProbeFailure, ProbeOutcome};
use crate::report::short_duration;
use crate::text_safe::visible;

/// Probe results shown in the sparkline, at most.
pub(crate) const SPARK_PROBES: usize = 20;

const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The probe lines, none when the profile has no probe.
pub(crate) fn lines(app: &App) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let Some(probe) = &app.active.probe else {
        return Vec::new();
    };
    let Some(last) = app.model.probes.back() else {
        return vec![Line::styled(
            format!(
                "probe: {} {} every {}, none finished yet",
                probe.method,
                visible(&app.active.redactor.redact(&probe.url)),
                humantime::format_duration(probe.every)
            ),
            theme.dim(),
        )];
    };
    let when = format!(
        " · at {} ({} ago)",
        super::clock(app, last.sent_at),
        short_duration(app.since(last.sent_at))
    );
    let mut first = vec![Span::styled("probe ", theme.label())];
    // Judged in one place (`diagnose::isolation`): a leak to another
    // profile leads, whatever happened here.
    use crate::diagnose::isolation::{Judgement, judge, where_leaked};
    let judged = judge(last);
    match &last.outcome {
        _ if let Judgement::Leaked(leaks) = &judged => {
            first.push(Span::styled(
                "LEAKED",
                theme.bad().add_modifier(
                    ratatui::style::Modifier::BOLD | ratatui::style::Modifier::REVERSED,
                ),
            ));
            first.push(Span::styled(
                format!(" to {}", visible(&where_leaked(leaks))),
                theme.bad(),
            ));
        }
        ProbeOutcome::Delivered { latency, endpoint } => {
            let name = app
                .active
                .endpoints
                .get(*endpoint)
                .map_or(String::new(), |e| visible(&e.name).into_owned());
            first.push(Span::styled("DELIVERED", theme.good()));
            first.push(Span::raw(format!(
                " in {} on {name}",
                short_duration(*latency)
            )));
        }
        ProbeOutcome::Failed { reason } => {
            let why = match reason {
                ProbeFailure::RestRefused { status } => format!("REST refused ({status})"),
                ProbeFailure::SocketClosed => "no socket open".into(),
                ProbeFailure::NotDelivered => format!(
                    "not delivered within {}",
                    humantime::format_duration(probe.timeout)
                ),
                ProbeFailure::Unreachable { .. } => "REST unreachable".into(),
            };
            first.push(Span::styled(format!("FAILED: {why}"), theme.bad()));
        }
    }
    first.push(Span::styled(when, theme.dim()));
    let mut out = vec![Line::from(first)];
    match judged {
        Judgement::Unproven(peers) => out.push(Line::styled(
            format!(
                "isolation NOT PROVEN: {} had no socket open",
                visible(&peers.join(", "))
            ),
            theme.warn(),
        )),
        Judgement::Delivered if !last.isolation.is_empty() => {
            let peers: Vec<&str> = last.isolation.iter().map(|p| p.profile.as_str()).collect();
            out.push(Line::from(vec![
                Span::styled("isolated", theme.good()),
                Span::raw(format!(": not seen on {}", visible(&peers.join(", ")))),
            ]));
        }
        Judgement::Delivered | Judgement::Failed(_) | Judgement::Leaked(_) => {}
    }
    let mut spark = vec![Span::styled("recent ", theme.label())];
    spark.extend(sparkline(app));
    if !last.delivered() {
        let delivered = app.model.probes.iter().rev().find(|p| p.delivered());
        let text = delivered.map_or_else(
            || " · never delivered".to_string(),
            |p| {
                format!(
                    " · last delivery {} ({} ago)",
                    super::clock(app, p.sent_at),
                    short_duration(app.since(p.sent_at))
                )
            },
        );
        spark.push(Span::styled(text, theme.bad()));
    }
    out.push(Line::from(spark));
    // A failed probe with the Django doctor's explanation of it.
    if let ProbeOutcome::Failed { reason } = &last.outcome
        && let Some(f) = crate::report::probe_explained(&app.model, reason)
    {
        out.push(Line::styled(format!("why: {}", f.summary), theme.bad()));
    }
    out
}

/// One character per recent probe: latency scaled to the slowest, `✗`
/// (red) for a failure.
fn sparkline(app: &App) -> Vec<Span<'static>> {
    let theme = &app.theme;
    let recent: Vec<_> = app
        .model
        .probes
        .iter()
        .rev()
        .take(SPARK_PROBES)
        .rev()
        .collect();
    let max = recent
        .iter()
        .filter_map(|p| match p.outcome {
            ProbeOutcome::Delivered { latency, .. } => Some(latency.as_micros()),
            ProbeOutcome::Failed { .. } => None,
        })
        .max()
        .unwrap_or(0)
        .max(1);
    recent
        .iter()
        .map(|p| match p.outcome {
            _ if !p.isolation.is_empty() && !crate::diagnose::isolation::judge(p).passed() => {
                Span::styled("✗", theme.bad())
            }
            ProbeOutcome::Delivered { latency, .. } => {
                let step = (latency.as_micros() * 8).saturating_sub(1) / max;
                Span::styled(SPARKS[step.min(7) as usize].to_string(), theme.good())
            }
            ProbeOutcome::Failed { .. } => Span::styled("✗", theme.bad()),
        })
        .collect()
}
