//! Snapshots of the dashboard in each session state, through the real
//! event loop: synthetic engine events with exact timestamps go into the
//! app's channel, scripted keys into its input, a `TestBackend` gets the
//! frames, and the clock is fixed so uptimes and countdowns never move.
//! The demo's profiles file on a fixed port keeps URLs stable.

mod common;

use common::dash::*;
use crossterm::event::KeyCode;
use insta::assert_snapshot;
use wsmon::facts::{SessionEvent, StopReason};
use wsmon::token_check::Verdict;

const W: u16 = 110;
const H: u16 = 34;

#[tokio::test]
async fn connecting_state() {
    let (mut app, tx) = detached("demo-sandra", at(1_500));
    feed(&tx, vec![connecting(0, 1, 0), connecting(1, 1, 0)]).await;
    let screen = drive(&mut app, W, H, vec![]).await;
    assert_snapshot!(screen);
}

/// Open, a few payloads (one carrying an ESC sequence and a bidi
/// override, which must show as symbols), RTT, a valid token check.
fn open_events() -> Vec<wsmon::facts::Event> {
    vec![
        connecting(0, 1, 0),
        open(0, 12),
        connecting(1, 1, 0),
        open(1, 15),
        messages(
            0,
            vec![
                text(
                    1_000,
                    r#"{"type":"notification","id":1,"user":"sandra","title":"Deposit received"}"#,
                ),
                text(
                    2_000,
                    "plain text with \u{1b}[31mred\u{1b}[0m and \u{202e}reversed",
                ),
                text(
                    3_500,
                    r#"{"type":"notification","id":2,"user":"sandra","title":"Order shipped","amount":12.5,"read":false}"#,
                ),
            ],
            0,
        ),
        messages(0, vec![text(4_200, r#"{"type":"notification","id":3}"#)], 7),
        session(0, SessionEvent::Rtt(std::time::Duration::from_millis(3))),
        token_check(Verdict::Valid, 200, None, 20),
    ]
}

#[tokio::test]
async fn open_with_payloads() {
    let (mut app, tx) = detached("demo-sandra", at(5_000));
    feed(&tx, open_events()).await;
    let screen = drive(&mut app, W, H, vec![]).await;
    assert_snapshot!(screen);
}

#[tokio::test]
async fn closed_1006_with_diagnosis() {
    let (mut app, tx) = detached("demo-omar", at(45_000));
    let mut events = vec![connecting(0, 1, 0), open(0, 12)];
    events.push(closed(0, dropped_1006(1, 0, 42_000)));
    events.push(token_check(Verdict::Valid, 200, None, 20));
    feed(&tx, events).await;
    let screen = drive(&mut app, W, H, vec![]).await;
    assert_snapshot!(screen);
}

#[tokio::test]
async fn waiting_with_countdown() {
    let (mut app, tx) = detached("demo-omar", at(43_000));
    let events = vec![
        connecting(0, 1, 0),
        open(0, 12),
        closed(0, dropped_1006(1, 0, 42_000)),
        session(
            0,
            SessionEvent::RetryScheduled {
                attempt: 2,
                delay: std::time::Duration::from_millis(3_400),
                at: at(42_000),
            },
        ),
    ];
    feed(&tx, events).await;
    let screen = drive(&mut app, W, H, vec![]).await;
    assert_snapshot!(screen);
}

/// A token the REST API accepts, refused by the socket with 403: the
/// cross-check points at the socket's auth middleware or Origin check.
#[tokio::test]
async fn auth_rejected_403_with_token_check() {
    let (mut app, tx) = detached("demo-omar", at(9_000));
    let events = vec![
        token_check(Verdict::Valid, 200, None, 30),
        connecting(0, 1, 0),
        closed(0, refused_403(1, 0)),
        session(
            0,
            SessionEvent::Stopped {
                why: StopReason::AuthRejected {
                    detail: "the server refused the upgrade with HTTP 403".into(),
                },
                at: at(8),
            },
        ),
    ];
    feed(&tx, events).await;
    let screen = drive(&mut app, W, H, vec![]).await;
    let line = wsmon::ui::token::cross_check(&app).unwrap_or_default();
    assert!(line.starts_with("REST accepts this token but the socket refuses it"));
    assert!(!screen.contains('\u{1b}'), "raw ESC reached the screen");
    assert_snapshot!(screen);
}

#[tokio::test]
async fn profile_picker_starts_on_the_live_profile() {
    let (mut app, tx) = detached("demo-omar", at(5_000));
    feed(&tx, open_events()).await;
    let screen = drive(&mut app, W, H, vec![key('p')]).await;
    assert_snapshot!(screen);
}

#[tokio::test]
async fn help_lists_every_key() {
    let (mut app, _tx) = detached("demo-sandra", at(0));
    let screen = drive(&mut app, W, H, vec![key('?')]).await;
    for k in [
        "Ctrl-C",
        "Tab",
        "OSC 52",
        "wheel",
        "pause / resume",
        "regex",
    ] {
        assert!(screen.contains(k), "{k} missing from help");
    }
    assert_snapshot!(screen);
}

/// Tab to the payloads, up to the first JSON message, Enter.
#[tokio::test]
async fn payload_detail_is_pretty_json() {
    let (mut app, tx) = detached("demo-sandra", at(5_000));
    feed(&tx, open_events()).await;
    let keys = vec![
        code(KeyCode::Tab),
        code(KeyCode::Tab),
        key('k'),
        code(KeyCode::Enter),
    ];
    let screen = drive(&mut app, W, H, keys).await;
    assert!(screen.contains(r#""title": "Order shipped","#), "{screen}");
    assert_snapshot!(screen);
}

#[tokio::test]
async fn filter_hides_what_does_not_match() {
    let (mut app, tx) = detached("demo-sandra", at(5_000));
    feed(&tx, open_events()).await;
    // From the payloads panel (on the sessions panel `/` filters sessions).
    let mut keys = vec![code(KeyCode::Tab), code(KeyCode::Tab), key('/')];
    keys.extend("id\":[23]".chars().map(key));
    keys.push(code(KeyCode::Enter));
    let screen = drive(&mut app, W, H, keys).await;
    assert!(screen.contains("id=2"), "{screen}");
    assert!(!screen.contains("Deposit received"), "{screen}");
    assert!(!screen.contains("plain text"), "{screen}");
}

#[tokio::test]
async fn fits_80_by_24() {
    let (mut app, tx) = detached("demo-sandra", at(5_000));
    feed(&tx, open_events()).await;
    let screen = drive(&mut app, 80, 24, vec![]).await;
    assert_snapshot!(screen);
}

/// Below 80×24 one panel is shown at a time; Tab moves to the payloads.
#[tokio::test]
async fn narrow_layout_shows_one_panel() {
    let (mut app, tx) = detached("demo-sandra", at(5_000));
    feed(&tx, open_events()).await;
    let keys = vec![code(KeyCode::Tab), code(KeyCode::Tab)];
    let screen = drive(&mut app, 60, 20, keys).await;
    assert!(screen.contains("Payloads"));
    assert_snapshot!(screen);
}

/// Who listens on a local endpoint's port: the detail panel names the
/// process, and a new pid on the port explains the 1006.
#[tokio::test]
async fn served_by_and_a_restart_in_the_detail_panel() {
    use wsmon::served_by::{Listener, ServedBy};
    let served = |ms: u64, pid: u32| {
        session(
            0,
            SessionEvent::ServedBy(Box::new(ServedBy {
                at: at(ms),
                port: 8000,
                listening: true,
                listener: Some(Listener {
                    pid,
                    command: "python manage.py runserver \u{1b}[31m".into(),
                    user: Some("alice".into()),
                }),
                nearby: vec![],
            })),
        )
    };
    let (mut app, tx) = detached("demo-omar", at(45_000));
    let events = vec![
        connecting(0, 1, 0),
        open(0, 12),
        served(13, 4242),
        served(42_001, 4343),
        closed(0, dropped_1006(1, 0, 42_000)),
    ];
    feed(&tx, events).await;
    let screen = drive(&mut app, 220, 60, vec![]).await;
    assert!(
        screen.contains("served by  python manage.py runserver ␛[31m (pid 4343, user alice)"),
        "{screen}"
    );
    assert!(screen.contains("restarted (pid 4242 → 4343)"), "{screen}");
}

/// The Django doctor's reading (`django_project`): its findings in the
/// detail panel's `django` lines, and the one that explains a refused
/// upgrade in the diagnosis.
#[tokio::test]
async fn the_django_doctor_in_the_detail_panel_and_the_diagnosis() {
    use wsmon::diagnose::django::diagnose;
    use wsmon::facts::django::{Context, EndpointFacts, Inspection};
    let inspection: Inspection =
        serde_json::from_str(include_str!("../src/diagnose/django/channels-4.3.json"))
            .expect("the recorded inspection");
    let context = Context {
        endpoints: vec![EndpointFacts {
            name: "notifications".into(),
            path: "/ws/strict/notifications/".into(),
            origin: None,
        }],
        rest_host: Some("127.0.0.1".into()),
        serving: vec![],
    };
    let doctor = diagnose("backend", "python", inspection, vec![], &context);
    let (mut app, tx) = detached("demo-omar", at(5_000));
    let events = vec![
        wsmon::facts::Event::Django(std::sync::Arc::new(doctor)),
        connecting(0, 1, 0),
        closed(0, refused_403(1, 0)),
    ];
    feed(&tx, events).await;
    let screen = drive(&mut app, 220, 60, vec![]).await;
    assert!(
        screen.contains("django     `/ws/strict/notifications/` is behind an OriginValidator"),
        "{screen}"
    );
    assert!(
        screen.contains("django     Channel layer `default` is InMemoryChannelLayer"),
        "{screen}"
    );
    assert!(screen.contains("Server side: the Django"), "{screen}");
}

/// `expect_message_within` and `[[endpoints.expect]]`: the detail panel's
/// `silence`, `rule` and `violation` lines, and the word in the header.
#[tokio::test]
async fn a_silent_socket_and_a_broken_rule_in_the_detail_panel() {
    let toml = "[profiles.p]\nserver = \"http://127.0.0.1:8000\"\n\
        [[profiles.p.endpoints]]\nname = \"feed\"\nurl = \"{ws}/ws/feed/\"\nexpect_message_within = \"2m\"\n\
        [[profiles.p.endpoints.expect]]\npath = \"title\"\nregex = \".\"\n";
    let config = wsmon::config::validate::parse(std::path::Path::new("<t>"), toml).expect("parse");
    let active = config.profiles[0].activate().expect("activate");
    let (mut app, tx) = wsmon::app::App::detached(config, 0, active);
    app.clock = wsmon::app::Clock::Fixed(at(136_000));
    app.theme = wsmon::app::theme::Theme { color: false };
    let events = vec![
        connecting(0, 1, 0),
        open(0, 0),
        messages(0, vec![text(1_000, r#"{"headline": "x"}"#)], 0),
    ];
    feed(&tx, events).await;
    let screen = drive(&mut app, 220, 60, vec![]).await;
    assert!(
        screen.contains(
            "silence    open but silent for 2m 15s (last message at 2025-11-24T16:00:01Z"
        ),
        "{screen}"
    );
    assert!(
        screen.contains("rule       title ~ /./  0 matched · 1 violated"),
        "{screen}"
    );
    assert!(
        screen.contains("violation  title is missing at 16:00:01: {\"headline\": \"x\"}"),
        "{screen}"
    );
    assert!(screen.to_uppercase().contains("DEGRADED"), "{screen}");
}

/// A refused handshake's headers sit right under its status line, before
/// `served by`; a value too long for the panel goes on under the value
/// column, not back at the label's.
#[tokio::test]
async fn refused_headers_stay_under_the_handshake_and_wraps_hang_under_the_value() {
    use wsmon::served_by::{Listener, ServedBy};
    let (mut app, tx) = detached("demo-omar", at(5_000));
    let events = vec![
        connecting(0, 1, 0),
        session(
            0,
            SessionEvent::ServedBy(Box::new(ServedBy {
                at: at(1),
                port: 8000,
                listening: true,
                listener: Some(Listener {
                    pid: 4242,
                    command: "daphne -b 127.0.0.1 -p 8000 backend.asgi:application".into(),
                    user: Some("alice".into()),
                }),
                nearby: vec![],
            })),
        ),
        closed(0, refused_403(1, 0)),
    ];
    feed(&tx, events).await;
    // The detail panel zoomed: Tab, z.
    let keys = vec![code(KeyCode::Tab), key('z')];
    let screen = drive(&mut app, 100, 60, keys).await;
    let rows: Vec<&str> = screen.lines().collect();
    let row = |text: &str| {
        rows.iter()
            .position(|l| l.contains(text))
            .unwrap_or_else(|| panic!("{text}\n{screen}"))
    };
    let handshake = row("handshake  403");
    assert_eq!(row("content-type: text/plain"), handshake + 1, "{screen}");
    assert_eq!(row("server: daphne"), handshake + 2, "{screen}");
    assert!(row("served by") > row("body: Access denied"), "{screen}");
    // Every line of the zoomed detail panel that goes on from the one
    // above starts under the value column (11 cells after the border).
    let first = row("diagnosis");
    let next = rows[first + 1];
    let inner: String = next.chars().skip(1).collect();
    assert!(inner.starts_with(&" ".repeat(11)), "{screen}");
    assert!(!inner.starts_with(&" ".repeat(12)), "{screen}");
}
