//! The delivery probe in the dashboard's token check panel: the last
//! delivery with its latency and endpoint, a sparkline of recent probes,
//! and a failure in words with when the last delivery was.

mod common;

use std::time::Duration;

use common::dash::*;
use wsmon::config::ActiveProbe;
use wsmon::facts::{Event, ProbeFailure, ProbeOutcome, ProbeResult};
use wsmon::token_check::Verdict;

fn probe(ms: u64, outcome: ProbeOutcome) -> Event {
    Event::Probe(ProbeResult {
        nonce: format!("wsmon-{ms}"),
        sent_at: at(ms),
        outcome,
        isolation: vec![],
    })
}

fn delivered(ms: u64, latency_ms: u64) -> Event {
    probe(
        ms,
        ProbeOutcome::Delivered {
            latency: Duration::from_millis(latency_ms),
            endpoint: 0,
        },
    )
}

fn app_with_probe(now_ms: u64) -> (wsmon::app::App, tokio::sync::mpsc::Sender<Event>) {
    let (mut app, tx) = detached("demo-sandra", at(now_ms));
    app.active.probe = Some(ActiveProbe {
        method: "POST".into(),
        url: "http://127.0.0.1:8000/api/notifications/".into(),
        body: Some(r#"{"message": "{nonce}"}"#.into()),
        every: Duration::from_secs(60),
        timeout: Duration::from_secs(5),
        isolation: vec![],
    });
    (app, tx)
}

#[tokio::test]
async fn deliveries_and_a_failure_show_in_the_token_panel() {
    let (mut app, tx) = app_with_probe(200_000);
    feed(
        &tx,
        vec![
            connecting(0, 1, 0),
            open(0, 12),
            token_check(Verdict::Valid, 200, None, 20),
            delivered(60_000, 12),
            delivered(120_000, 40),
        ],
    )
    .await;
    let screen = drive(&mut app, 110, 34, vec![]).await;
    assert!(
        screen.contains("probe DELIVERED in 40ms on notifications"),
        "{screen}"
    );
    assert!(screen.contains("recent ▃█"), "{screen}");

    let failed = probe(
        180_000,
        ProbeOutcome::Failed {
            reason: ProbeFailure::NotDelivered,
        },
    );
    feed(&tx, vec![failed]).await;
    let screen = drive(&mut app, 110, 34, vec![]).await;
    assert!(
        screen.contains("probe FAILED: not delivered within 5s"),
        "{screen}"
    );
    assert!(
        screen.contains("recent ▃█✗ · last delivery 16:02:00"),
        "{screen}"
    );
}

#[tokio::test]
async fn a_profile_without_a_probe_shows_no_probe_line() {
    let (mut app, tx) = detached("demo-sandra", at(5_000));
    feed(&tx, vec![token_check(Verdict::Valid, 200, None, 20)]).await;
    let screen = drive(&mut app, 110, 34, vec![]).await;
    assert!(!screen.contains("probe"), "{screen}");
}

#[tokio::test]
async fn the_dashboard_feeds_its_metrics_from_the_events() {
    let (mut app, tx) = app_with_probe(200_000);
    let metrics = wsmon::metrics::Metrics::new(&app.active);
    app.metrics = Some(metrics.clone());
    feed(
        &tx,
        vec![
            connecting(0, 1, 0),
            open(0, 12),
            token_check(Verdict::Valid, 200, None, 20),
            delivered(60_000, 12),
        ],
    )
    .await;
    drive(&mut app, 110, 34, vec![]).await;
    let text = metrics.encode();
    for want in [
        r#"wsmon_session_up{profile="demo-sandra",endpoint="notifications"} 1"#,
        r#"wsmon_session_up{profile="demo-sandra",endpoint="orders"} 0"#,
        r#"wsmon_token_check_valid{profile="demo-sandra"} 1"#,
        r#"wsmon_delivery_seconds_count{profile="demo-sandra",endpoint="notifications"} 1"#,
    ] {
        assert!(text.contains(want), "{want}\n{text}");
    }
}

#[tokio::test]
async fn a_leak_to_another_profile_is_red_and_named_in_the_token_panel() {
    use wsmon::session::probe::{PeerWatch, Sighting};
    let (mut app, tx) = app_with_probe(200_000);
    if let Some(p) = &mut app.active.probe {
        p.isolation = vec!["demo-omar".into()];
    }
    // The model judges health with the probe in it.
    app.model = wsmon::model::Model::new(&app.active);
    let watched = |sightings: Vec<Sighting>| PeerWatch {
        profile: "demo-omar".into(),
        open_sockets: 1,
        sightings,
    };
    let isolated = Event::Probe(ProbeResult {
        nonce: "wsmon-1".into(),
        sent_at: at(60_000),
        outcome: ProbeOutcome::Delivered {
            latency: Duration::from_millis(12),
            endpoint: 0,
        },
        isolation: vec![watched(vec![])],
    });
    feed(
        &tx,
        vec![
            connecting(0, 1, 0),
            open(0, 12),
            connecting(1, 1, 0),
            open(1, 12),
            token_check(Verdict::Valid, 200, None, 20),
            isolated,
        ],
    )
    .await;
    let screen = drive(&mut app, 160, 34, vec![]).await;
    assert!(
        screen.contains("isolated: not seen on demo-omar"),
        "{screen}"
    );
    let leaked = Event::Probe(ProbeResult {
        nonce: "wsmon-2".into(),
        sent_at: at(120_000),
        outcome: ProbeOutcome::Delivered {
            latency: Duration::from_millis(11),
            endpoint: 0,
        },
        isolation: vec![watched(vec![Sighting {
            endpoint: "notifications".into(),
            latency: Duration::from_millis(14),
        }])],
    });
    feed(&tx, vec![leaked]).await;
    let screen = drive(&mut app, 160, 34, vec![]).await;
    assert!(
        screen.contains("LEAKED to demo-omar/notifications (14 ms)"),
        "{screen}"
    );
    // The header's reason says it too, and the sparkline marks it failed.
    assert!(
        screen.contains("delivery probe: leaked to demo-omar/notifications"),
        "{screen}"
    );
    assert!(screen.contains("recent █✗"), "{screen}");
    // Red, in colour.
    app.theme = wsmon::app::theme::Theme { color: true };
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 34)).expect("terminal");
    wsmon::tui::draw(&mut terminal, &mut app).expect("draw");
    let buffer = terminal.backend().buffer().clone();
    let (x, y) = (0..34u16)
        .flat_map(|y| (0..160u16).map(move |x| (x, y)))
        .find(|&(x, y)| {
            (0..6u16).all(|i| {
                buffer
                    .cell((x + i, y))
                    .is_some_and(|c| c.symbol() == &"LEAKED"[i as usize..i as usize + 1])
            })
        })
        .expect("LEAKED on screen");
    let cell = buffer.cell((x, y)).expect("cell");
    assert_eq!(cell.fg, ratatui::style::Color::Red, "{cell:?}");
}
