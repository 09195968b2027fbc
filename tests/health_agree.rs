//! One history, three judges: the dashboard header, `check`'s report
//! (its exit code) and the `wsmon_health` metric all read the model's one
//! health function, so fed the same events they say the same thing.

mod common;

use std::time::Duration;

use common::dash::*;
use wsmon::facts::{Event, SessionEvent};
use wsmon::headless::check;
use wsmon::metrics::Metrics;
use wsmon::model::{HealthWord, Model};
use wsmon::token_check::Verdict;

/// Both of demo-sandra's endpoints open; the second ("orders") dropped
/// and reopened every 5 s, `drops` times, and open again at the end.
fn history(drops: u32) -> Vec<Event> {
    let mut events = vec![
        token_check(Verdict::Valid, 200, None, 5),
        connecting(0, 1, 0),
        open(0, 12),
        session(0, SessionEvent::Rtt(Duration::from_millis(2))),
        connecting(1, 1, 0),
        open(1, 12),
    ];
    let mut t = 0;
    for attempt in 1..=drops {
        events.push(session(
            1,
            SessionEvent::Closed(Box::new(dropped_1006(attempt, t, 5_000))),
        ));
        t += 5_100;
        events.push(connecting(1, attempt + 1, t));
        events.push(open(1, t + 12));
    }
    events.push(session(1, SessionEvent::Rtt(Duration::from_millis(2))));
    events
}

/// The three verdicts on `events` at `now_ms`: the header line, check's
/// `healthy` (exit 0 or 1) with its word, and the `wsmon_health` value.
async fn judges(events: Vec<Event>, now_ms: u64) -> (String, bool, HealthWord, i64) {
    let (mut app, tx) = detached("demo-sandra", at(now_ms));
    let profile = app.active.clone();
    let mut model = Model::new(&profile);
    let metrics = Metrics::new(&profile);
    for e in &events {
        model.apply(e);
        metrics.apply(e);
    }
    metrics.set_health(&model.health(at(now_ms)));
    feed(&tx, events).await;
    let screen = drive(&mut app, 110, 34, vec![]).await;
    let header = screen.lines().next().unwrap_or_default().to_string();
    let report = check::build_at(&profile, &model, at(now_ms));
    let text = metrics.encode();
    let gauge = text
        .lines()
        .find(|l| l.starts_with("wsmon_health{"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no wsmon_health in:\n{text}"));
    assert!(
        text.contains(
            "wsmon_session_lifetime_seconds_count{profile=\"demo-sandra\",endpoint=\"orders\"}"
        ),
        "{text}"
    );
    (header, report.healthy, report.health.word, gauge)
}

#[tokio::test]
async fn churn_behind_open_sockets_is_degraded_everywhere() {
    let (header, healthy, word, gauge) = judges(history(12), 62_000).await;
    assert!(header.contains("DEGRADED"), "{header}");
    assert!(
        header.contains("churn: 12 reconnects in 5 min on orders"),
        "{header}"
    );
    assert!(!healthy, "check exits 1");
    assert_eq!(word, HealthWord::Degraded);
    assert_eq!(gauge, 1);
}

#[tokio::test]
async fn the_same_sockets_without_churn_are_healthy_everywhere() {
    let (header, healthy, word, gauge) = judges(history(1), 6_000).await;
    assert!(header.contains("HEALTHY"), "{header}");
    assert!(healthy, "check exits 0");
    assert_eq!(word, HealthWord::Healthy);
    assert_eq!(gauge, 0);
}
