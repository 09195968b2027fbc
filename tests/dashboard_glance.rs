//! Snapshots of the at-a-glance parts of the dashboard (issue 18), through
//! the real event loop with a fixed clock: previews that show the demo's
//! notification titles, the sessions title counts and the trouble-first
//! order of a thousand sessions.

mod common;

use common::dash::*;
use crossterm::event::KeyCode;
use insta::assert_snapshot;
use wsmon::facts::{SessionEvent, StopReason};

/// Notifications in the demo's shape (`type`, `id`, `user`, `title`,
/// `created_at`), one every 700 ms.
fn demo_notifications(endpoint: usize, first_ms: u64) -> wsmon::facts::Event {
    const TITLES: [&str; 6] = [
        "Your export is ready to download",
        "Invoice INV-2041 was paid",
        "Build #318 passed on main",
        "You were mentioned in #support",
        "Weekly report is available",
        "New sign-in from Firefox on Linux",
    ];
    let payloads = TITLES
        .iter()
        .enumerate()
        .map(|(i, title)| {
            let ms = first_ms + 700 * i as u64;
            let body = serde_json::json!({
                "type": "notification",
                "id": 40 + i,
                "user": "sandra",
                "title": title,
                "created_at": format!("2025-11-24T16:00:0{}Z", ms / 1000),
            });
            text(ms, &body.to_string())
        })
        .collect();
    messages(endpoint, payloads, 0)
}

fn demo_open() -> Vec<wsmon::facts::Event> {
    vec![
        connecting(0, 1, 0),
        open(0, 12),
        connecting(1, 1, 0),
        open(1, 15),
        demo_notifications(0, 1_000),
    ]
}

/// Every title is on screen without opening a message, and the fields the
/// same in all of them (`type`, `user`) come after it.
#[tokio::test]
async fn demo_titles_are_readable_in_the_payload_list_at_120x40() {
    let (mut app, tx) = detached("demo-sandra", at(6_000));
    feed(&tx, demo_open()).await;
    let screen = drive(&mut app, 120, 40, vec![]).await;
    for title in [
        "Your export is ready to download",
        "Build #318 passed on main",
        "New sign-in from Firefox on Linux",
    ] {
        assert!(screen.contains(title), "{title} not shown:\n{screen}");
    }
    assert!(!screen.contains(r#"{"type""#), "{screen}");
    assert_snapshot!(screen);
}

#[tokio::test]
async fn demo_titles_are_readable_in_the_payload_list_at_80x24() {
    let (mut app, tx) = detached("demo-sandra", at(6_000));
    feed(&tx, demo_open()).await;
    let screen = drive(&mut app, 80, 24, vec![]).await;
    assert!(screen.contains(r#"title="Your export is"#), "{screen}");
    assert_snapshot!(screen);
}

/// A thousand endpoints, three in trouble in the middle: `o` puts them
/// first, and the title counts every standing.
fn thousand() -> String {
    let mut text = String::from("[profiles.big]\nserver = \"http://127.0.0.1:8000\"\n");
    for i in 0..1000 {
        text += &format!(
            "[[profiles.big.endpoints]]\nname = \"feed-{i:04}\"\nurl = \"{{ws}}/ws/{i}/\"\n"
        );
    }
    text
}

/// The app with the thousand sessions' events applied (more than the
/// event channel holds before the loop runs).
fn thousand_app() -> wsmon::app::App {
    let (mut app, _tx) = detached_from(&thousand(), "big", at(45_000));
    for event in thousand_events() {
        app.apply(&event);
    }
    app
}

fn thousand_events() -> Vec<wsmon::facts::Event> {
    let mut events = Vec::new();
    for i in 0..1000 {
        events.push(connecting(i, 1, 0));
        if ![412, 517, 733].contains(&i) {
            events.push(open(i, 10));
        }
    }
    // 412: dropped, waiting for its retry; 517: refused 403, stopped;
    // 733: dropped, not decided yet.
    events.push(closed(412, dropped_1006(1, 0, 30_000)));
    events.push(session(
        412,
        SessionEvent::RetryScheduled {
            attempt: 2,
            delay: std::time::Duration::from_secs(20),
            at: at(30_010),
        },
    ));
    events.push(closed(517, refused_403(1, 0)));
    events.push(session(
        517,
        SessionEvent::Stopped {
            why: StopReason::AuthRejected {
                detail: "the server refused the upgrade with HTTP 403".into(),
            },
            at: at(10),
        },
    ));
    events.push(closed(733, dropped_1006(1, 0, 40_000)));
    events
}

#[tokio::test]
async fn a_thousand_sessions_with_the_failing_ones_first_after_o() {
    let mut app = thousand_app();
    let screen = drive(&mut app, 120, 40, vec![key('o')]).await;
    assert!(
        screen.contains("997 open · 1 retrying · 1 closed · 1 stopped · trouble first"),
        "{screen}"
    );
    let rows: Vec<&str> = screen.lines().filter(|l| l.starts_with("┃feed-")).collect();
    assert!(rows[0].contains("feed-0517"), "{rows:#?}");
    assert!(rows[1].contains("feed-0733"), "{rows:#?}");
    assert!(rows[2].contains("feed-0412"), "{rows:#?}");
    assert!(rows[3].contains("feed-0000"), "{rows:#?}");
    // The worst is selected: its detail is on screen.
    assert_eq!(app.model.sessions[app.selected].name, "feed-0517");
    assert!(screen.contains("Detail · feed-0517"), "{screen}");
    assert_snapshot!(screen);
}

#[tokio::test]
async fn a_thousand_sessions_at_80x24_trouble_first() {
    let mut app = thousand_app();
    let screen = drive(&mut app, 80, 24, vec![key('o')]).await;
    assert_snapshot!(screen);
}

/// `o` cycles back to the file's order; `/` on the sessions panel keeps
/// the rows matching a close code, Esc brings them all back.
#[tokio::test]
async fn orders_cycle_and_the_sessions_filter_matches_codes() {
    let mut app = thousand_app();
    let mut keys = vec![key('o'), key('o'), key('o'), key('o'), key('/')];
    keys.extend("1006".chars().map(key));
    keys.push(code(KeyCode::Enter));
    let screen = drive(&mut app, 120, 40, keys).await;
    let rows: Vec<&str> = screen.lines().filter(|l| l.starts_with("┃feed-")).collect();
    assert_eq!(rows.len(), 2, "{screen}");
    assert!(rows[0].contains("feed-0412") && rows[1].contains("feed-0733"));
    assert!(screen.contains("/1006/ 2 shown"), "{screen}");
    // The selection moved to a row shown: the detail is of feed-0412.
    assert_eq!(app.model.sessions[app.selected].name, "feed-0412");
    // Esc clears it; the selection stays (the list scrolls to it).
    let screen = drive(&mut app, 120, 40, vec![code(KeyCode::Esc)]).await;
    let rows: Vec<&str> = screen.lines().filter(|l| l.starts_with("┃feed-")).collect();
    assert_eq!(rows.len(), 8, "{screen}");
    assert!(rows[7].contains("feed-0412") && rows[6].contains("feed-0411"));
    assert!(!screen.contains("shown"), "{screen}");
    // By last change: the latest change (733's drop at 40 s) first.
    let mut app = thousand_app();
    let screen = drive(&mut app, 120, 40, vec![key('o'), key('o'), key('o')]).await;
    let rows: Vec<&str> = screen.lines().filter(|l| l.starts_with("┃feed-")).collect();
    assert!(rows[0].contains("feed-0733"), "{rows:#?}");
    assert!(screen.contains("by last change"), "{screen}");
}

/// `z` on the payloads: the list fills the screen, long lines in full;
/// `z` again restores the layout.
#[tokio::test]
async fn z_zooms_the_focused_panel_and_back() {
    for (w, h) in [(120, 40), (80, 24)] {
        let (mut app, tx) = detached("demo-sandra", at(6_000));
        feed(&tx, demo_open()).await;
        let keys = vec![code(KeyCode::Tab), code(KeyCode::Tab), key('z')];
        let screen = drive(&mut app, w, h, keys).await;
        assert!(!screen.contains("Sessions ·"), "{screen}");
        assert!(!screen.contains("Detail ·"), "{screen}");
        assert!(
            screen.contains(r#"title="New sign-in from Firefox on Linux""#),
            "{screen}"
        );
        insta::assert_snapshot!(format!("zoomed_payloads_{w}x{h}"), screen);
        let screen = drive(&mut app, w, h, vec![key('z')]).await;
        assert!(screen.contains("Sessions ·") && screen.contains("Detail ·"));
    }
}

/// The filter's matches are marked in the list; `n`/`N` move between the
/// matching rows from any panel, leaving follow mode.
#[tokio::test]
async fn filter_matches_are_marked_and_n_jumps_between_them() {
    let (mut app, _tx) = detached("demo-sandra", at(6_000));
    for event in demo_open() {
        app.apply(&event);
    }
    let mut keys = vec![code(KeyCode::Tab), code(KeyCode::Tab), key('/')];
    keys.extend("on ".chars().map(key));
    keys.push(code(KeyCode::Enter));
    // From the sessions panel: `n`/`N` work from any panel.
    keys.extend([
        code(KeyCode::BackTab),
        code(KeyCode::BackTab),
        key('N'),
        key('N'),
    ]);
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).expect("terminal");
    wsmon::tui::run(
        &mut terminal,
        &mut app,
        scripted(keys, std::time::Duration::from_millis(5)),
        tokio_util::sync::CancellationToken::new(),
        &mut Vec::new(),
    )
    .await
    .expect("loop");
    wsmon::tui::draw(&mut terminal, &mut app).expect("draw");
    let screen = screen(&terminal);
    // "on " is in three titles: "passed on main", "mentioned in" (no),
    // "sign-in from Firefox on Linux", "Build #318 passed on main".
    let rows: Vec<&str> = screen.lines().filter(|l| l.contains("title=")).collect();
    assert_eq!(rows.len(), 2, "{screen}");
    assert!(!app.follow);
    assert!(screen.contains("paused (f)"), "{screen}");
    // The cursor went up two matches from the newest: the first row.
    let cursor = app.cursor_seq().expect("cursor");
    let first = app.payload(cursor).expect("payload");
    assert_eq!(first.at, at(2_400));
    // The matched text carries the highlight style.
    let buffer = terminal.backend().buffer();
    let marked: String = (0..buffer.area.height)
        .flat_map(|y| (0..buffer.area.width).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            buffer[(x, y)]
                .modifier
                .contains(ratatui::style::Modifier::UNDERLINED)
        })
        .map(|(x, y)| buffer[(x, y)].symbol().to_string())
        .collect();
    assert_eq!(marked, "on on ", "{screen}");
}

/// `/` in an open payload searches it: the view scrolls to the first
/// matching line, `n` to the next, and the title says the search.
#[tokio::test]
async fn the_payload_popup_searches_its_lines() {
    let (mut app, tx) = detached("demo-sandra", at(6_000));
    feed(&tx, demo_open()).await;
    let mut keys = vec![
        code(KeyCode::Tab),
        code(KeyCode::Tab),
        code(KeyCode::Enter),
        key('/'),
    ];
    keys.extend("created".chars().map(key));
    keys.push(code(KeyCode::Enter));
    let screen = drive(&mut app, 120, 40, keys).await;
    assert!(screen.contains("/created/ n N"), "{screen}");
    let Some(wsmon::app::Popup::Payload { scroll, .. }) = &app.popup else {
        panic!("popup closed: {screen}");
    };
    // `{`, type, id, user, title, created_at: line 5, on screen with the
    // rest: nothing scrolls, the first lines stay in view.
    assert_eq!(*scroll, 0, "{screen}");
    assert!(screen.contains("\"type\": \"notification\""), "{screen}");
    assert_eq!(app.notice.as_deref(), Some("match 1 of 1"));
    // Esc clears the search first, then closes.
    drive(&mut app, 120, 40, vec![code(KeyCode::Esc)]).await;
    assert!(app.popup.is_some() && !app.popup_search.is_active());
    let Some(wsmon::app::Popup::Payload { scroll, .. }) = &app.popup else {
        panic!("popup closed");
    };
    assert_eq!(*scroll, 0);
}

/// Times are in the app's zone, named once in the header; `T` shows them
/// relative to now.
#[tokio::test]
async fn times_are_local_and_t_makes_them_relative() {
    let (mut app, tx) = detached("demo-sandra", at(6_000));
    let cet = chrono::FixedOffset::east_opt(3600).expect("offset");
    app.zone = wsmon::app::zone::Zone::Fixed(cet);
    feed(&tx, demo_open()).await;
    let screen = drive(&mut app, 120, 40, vec![]).await;
    assert!(screen.contains("times UTC+01:00"), "{screen}");
    assert!(screen.contains("17:00:01 id=40"), "{screen}");
    assert!(screen.contains("since 17:00:00 (up 6.0s)"), "{screen}");
    let screen = drive(&mut app, 120, 40, vec![key('T')]).await;
    assert!(screen.contains("times relative"), "{screen}");
    assert!(screen.contains("5.0s ago id=40"), "{screen}");
    assert!(screen.contains("1.5s ago id=45"), "{screen}");
    // The state says how long once, not `since 6.0s ago (up 6.0s)`.
    assert!(screen.contains("state      1 OPEN for 6.0s"), "{screen}");
    assert!(!screen.contains(" ago (up "), "{screen}");
}

/// An hour of one endpoint: open, dropped at 20 min and back at 26, dropped
/// again at 40 and back at once: the strip shows both drops, and the
/// orders endpoint, stopped by a 403 at 50 min, ends in stops.
fn an_hour() -> Vec<wsmon::facts::Event> {
    const MIN: u64 = 60_000;
    vec![
        connecting(0, 1, 0),
        open(0, 12),
        closed(0, dropped_1006(1, 0, 20 * MIN)),
        connecting(0, 2, 26 * MIN),
        open(0, 26 * MIN + 12),
        closed(0, dropped_1006(2, 26 * MIN, 14 * MIN)),
        connecting(0, 3, 40 * MIN + 500),
        open(0, 40 * MIN + 512),
        connecting(1, 1, 0),
        open(1, 15),
        closed(1, dropped_1006(1, 0, 49 * MIN)),
        connecting(1, 2, 50 * MIN),
        closed(1, refused_403(2, 50 * MIN)),
        session(
            1,
            SessionEvent::Stopped {
                why: StopReason::AuthRejected {
                    detail: "the server refused the upgrade with HTTP 403".into(),
                },
                at: at(50 * MIN + 10),
            },
        ),
    ]
}

#[tokio::test]
async fn the_uptime_strip_shows_an_hour_with_its_drops() {
    for (w, h) in [(120, 40), (80, 24)] {
        let (mut app, tx) = detached("demo-sandra", at(60 * 60_000));
        feed(&tx, an_hour()).await;
        let screen = drive(&mut app, w, h, vec![]).await;
        if w == 120 {
            // 31 cells of about 2 minutes, oldest first: drops at
            // 20–26 min and at 40 min; orders stopped at 50 min (its cell
            // shows the worst of it).
            let row = |name: &str| {
                screen
                    .lines()
                    .find(|l| l.starts_with(&format!("┃{name} ")))
                    .unwrap_or_default()
                    .to_string()
            };
            assert!(
                row("notifications").contains(" ██████████░░░░██████░██████████ 1006"),
                "{screen}"
            );
            assert!(
                row("orders").contains(" █████████████████████████×××××× 403 http"),
                "{screen}"
            );
        }
        insta::assert_snapshot!(format!("uptime_strip_{w}x{h}"), screen);
    }
}

/// The history panel's timeline puts the drops on a time axis with their
/// codes; the token panel charts the REST check's latencies.
#[tokio::test]
async fn the_history_timeline_and_the_token_chart() {
    let (mut app, tx) = detached("demo-sandra", at(60 * 60_000));
    let mut events = an_hour();
    for (i, ms) in [20u64, 35, 12, 80, 25].iter().enumerate() {
        let verdict = if i == 3 {
            wsmon::token_check::Verdict::Unreachable
        } else {
            wsmon::token_check::Verdict::Valid
        };
        let mut check = token_check(verdict, 200, None, 60 * 60_000 - 5_000 + i as u64);
        if let wsmon::facts::Event::TokenCheck(c) = &mut check {
            c.latency = std::time::Duration::from_millis(*ms);
        }
        events.push(check);
    }
    feed(&tx, events).await;
    let screen = drive(&mut app, 120, 40, vec![]).await;
    assert!(screen.contains("-1h"), "{screen}");
    assert!(screen.contains("1006"), "{screen}");
    assert!(screen.contains("REST 25ms"), "{screen}");
    insta::assert_snapshot!(screen);
}

/// The order of a thousand rows is kept, not rebuilt per frame: frames
/// drawn without a state change rebuild nothing, a state change once.
#[tokio::test]
async fn the_order_is_rebuilt_on_change_not_per_frame() {
    let mut app = thousand_app();
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).expect("terminal");
    app.update(wsmon::app::Action::CycleOrder);
    wsmon::tui::draw(&mut terminal, &mut app).expect("draw");
    let built = app.rows.rebuilds();
    for _ in 0..20 {
        wsmon::tui::draw(&mut terminal, &mut app).expect("draw");
    }
    assert_eq!(app.rows.rebuilds(), built, "rebuilt while nothing changed");
    // Messages change no row's place.
    app.apply(&messages(5, vec![text(44_000, "{}")], 0));
    wsmon::tui::draw(&mut terminal, &mut app).expect("draw");
    assert_eq!(app.rows.rebuilds(), built);
    // A drop does: one rebuild, and the dropped session moves up.
    app.apply(&closed(7, dropped_1006(1, 0, 44_000)));
    for _ in 0..5 {
        wsmon::tui::draw(&mut terminal, &mut app).expect("draw");
    }
    assert_eq!(app.rows.rebuilds(), built + 1);
    let names: Vec<&str> = app.rows()[..4]
        .iter()
        .map(|&i| app.model.sessions[i].name.as_str())
        .collect();
    assert_eq!(names, ["feed-0517", "feed-0007", "feed-0733", "feed-0412"]);
}

/// A long reason is shortened with `…` to fit the header's width: the
/// server (whose sessions these are) stays on screen, at 120 columns and at
/// 80.
#[tokio::test]
async fn a_long_reason_is_shortened_and_the_server_stays() {
    let long = "billing-reconciliation-nightly-exports-eu-west";
    let profiles = format!(
        "[profiles.p]\nserver = \"http://127.0.0.1:8000\"\n\
         [[profiles.p.endpoints]]\nname = \"notifications\"\nurl = \"{{ws}}/ws/notifications/\"\n\
         [[profiles.p.endpoints]]\nname = \"{long}-1\"\nurl = \"{{ws}}/ws/a/\"\n\
         [[profiles.p.endpoints]]\nname = \"{long}-2\"\nurl = \"{{ws}}/ws/b/\"\n"
    );
    // The reason does not fit whole even at 120 columns: the dim labels
    // (`profile`, `times`, `server`) go first, then the reason is cut.
    let layouts = [
        (120, 40, " wsmon p ", "…  UTC  http://127.0.0.1:8000/"),
        (80, 24, " wsmon p ", "…  UTC  http://127.0.0.1:8000/"),
    ];
    for (w, h, start, end) in layouts {
        let (mut app, tx) = detached_from(&profiles, "p", at(5_000));
        feed(
            &tx,
            vec![
                connecting(0, 1, 0),
                open(0, 12),
                connecting(1, 1, 0),
                closed(1, dropped_1006(1, 0, 1_000)),
                connecting(2, 1, 0),
                closed(2, dropped_1006(1, 0, 1_000)),
            ],
        )
        .await;
        let screen = drive(&mut app, w, h, vec![]).await;
        let header = screen.lines().next().unwrap_or_default();
        assert!(header.ends_with(end), "{w} columns: {header:?}");
        assert!(
            header.starts_with(&format!("{start}DEGRADED not open: b")),
            "{w} columns: {header:?}"
        );
        assert_eq!(header.chars().count(), usize::from(w), "{header:?}");
    }
}

/// `/invoice` keeps the invoices: their `type` is the same in every row
/// shown because of the filter, and it stays first and undimmed (the
/// field the user filtered on) instead of going to the dimmed end, where
/// the 80-column panel cuts it off.
#[tokio::test]
async fn the_field_the_filter_matches_stays_in_its_place() {
    let (mut app, _tx) = detached("demo-sandra", at(6_000));
    let payloads = (0..4)
        .map(|i| {
            let kind = if i % 2 == 0 {
                "invoice"
            } else {
                "notification"
            };
            let body = serde_json::json!({
                "type": kind,
                "id": 40 + i,
                "user": "sandra",
                "title": format!("Message number {i} of the day"),
            });
            text(1_000 + 500 * i, &body.to_string())
        })
        .collect();
    for event in [connecting(0, 1, 0), open(0, 12), messages(0, payloads, 0)] {
        app.apply(&event);
    }
    let mut keys = vec![code(KeyCode::Tab), code(KeyCode::Tab), key('/')];
    keys.extend("invoice".chars().map(key));
    keys.push(code(KeyCode::Enter));
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).expect("terminal");
    wsmon::tui::run(
        &mut terminal,
        &mut app,
        scripted(keys, std::time::Duration::from_millis(5)),
        tokio_util::sync::CancellationToken::new(),
        &mut Vec::new(),
    )
    .await
    .expect("loop");
    wsmon::tui::draw(&mut terminal, &mut app).expect("draw");
    let screen = screen(&terminal);
    assert!(screen.contains("· /invoice"), "{screen}");
    for (time, id) in [("16:00:01", 40), ("16:00:02", 42)] {
        let row = format!(r#"{time} type="invoice" id={id} title="#);
        assert!(screen.contains(&row), "{row}\n{screen}");
    }
    assert!(!screen.contains(r#"type="notification""#), "{screen}");
    // The matched value is marked and not dimmed as a common field is.
    let buffer = terminal.backend().buffer();
    let cells: Vec<_> = (0..buffer.area.height)
        .flat_map(|y| (0..buffer.area.width).map(move |x| (x, y)))
        .map(|(x, y)| &buffer[(x, y)])
        .filter(|c| c.modifier.contains(ratatui::style::Modifier::UNDERLINED))
        .collect();
    let marked: String = cells.iter().map(|c| c.symbol()).collect();
    assert_eq!(marked, "invoiceinvoice", "{screen}");
    assert!(
        cells
            .iter()
            .all(|c| !c.modifier.contains(ratatui::style::Modifier::DIM)),
        "{screen}"
    );
}
