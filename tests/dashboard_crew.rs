//! Two profiles live in one dashboard, driven through the real event loop
//! with tagged events at exact times: the sessions list groups them under
//! a heading per profile, an event of one profile never lands on the
//! other's same-named endpoint, `j` moves across the groups and `O`
//! focuses the next profile (its token check in the panel).

mod common;

use common::dash::*;
use wsmon::app::theme::Theme;
use wsmon::app::{App, Clock};
use wsmon::token_check::Verdict;

fn two_users(now_ms: u64) -> (App, tokio::sync::mpsc::Sender<wsmon::session::crew::Tagged>) {
    let config = demo_config();
    let lineup: Vec<_> = ["demo-sandra", "demo-omar"]
        .iter()
        .map(|name| {
            let i = (config.profiles.iter())
                .position(|p| p.name == *name)
                .expect("profile");
            (i, config.profiles[i].activate().expect("activate"))
        })
        .collect();
    let (mut app, tx) = App::detached_lineup(config, lineup);
    app.clock = Clock::Fixed(at(now_ms));
    app.theme = Theme { color: false };
    (app, tx)
}

#[tokio::test]
async fn two_profiles_are_grouped_and_keyed_apart() {
    let (mut app, tx) = two_users(10_000);
    for tagged in [
        (0, connecting(0, 1, 0)),
        (0, open(0, 10)),
        (0, token_check(Verdict::Valid, 200, None, 20)),
        // omar's endpoint 0 is also called "notifications": refused.
        (1, connecting(0, 1, 0)),
        (1, closed(0, refused_403(1, 0))),
        (
            1,
            token_check(Verdict::Invalid, 401, Some("Invalid token."), 20),
        ),
    ] {
        tx.send(tagged).await.expect("app listening");
    }
    let screen = drive(&mut app, 120, 36, vec![]).await;
    let rows: Vec<&str> = screen.lines().collect();
    let at_row = |text: &str| {
        rows.iter()
            .position(|l| l.contains(text))
            .unwrap_or_else(|| panic!("{text}\n{screen}"))
    };
    let sandra = at_row("▸ demo-sandra");
    let omar = at_row("  demo-omar");
    assert!(sandra < omar, "{screen}");
    assert!(
        rows[sandra + 1].contains("notifications") && rows[sandra + 1].contains("1 OPEN"),
        "{screen}"
    );
    assert!(
        rows[omar + 1].contains("notifications") && rows[omar + 1].contains("403 http"),
        "{screen}"
    );
    assert!(rows[sandra].contains("token valid"), "{screen}");
    assert!(rows[omar].contains("token invalid"), "{screen}");
    assert!(screen.contains("Token check · demo-sandra"), "{screen}");
    assert!(
        screen.contains("Detail · demo-sandra/notifications"),
        "{screen}"
    );

    // Down twice: past sandra's orders into omar's notifications.
    let screen = drive(&mut app, 120, 36, vec![key('j'), key('j')]).await;
    assert!(screen.contains("▸ demo-omar"), "{screen}");
    assert!(
        screen.contains("Detail · demo-omar/notifications"),
        "{screen}"
    );
    assert!(screen.contains("Token check · demo-omar"), "{screen}");
    assert!(screen.contains("401 INVALID"), "{screen}");
    assert_eq!(app.model.profile, "demo-omar");
    assert_eq!(app.selected, 0);

    // o: the next profile (round to sandra), its token check one key away.
    let screen = drive(&mut app, 120, 36, vec![key('O')]).await;
    assert!(screen.contains("focused profile: demo-sandra"), "{screen}");
    assert!(screen.contains("Token check · demo-sandra"), "{screen}");
    assert!(screen.contains("200 VALID"), "{screen}");

    // p: one profile to go on with; the crew ends.
    let screen = drive(
        &mut app,
        120,
        36,
        vec![key('p'), key('j'), code(crossterm::event::KeyCode::Enter)],
    )
    .await;
    assert!(!app.is_crew(), "{screen}");
    assert!(screen.contains(" wsmon profile demo-omar "), "{screen}");
    assert!(!screen.contains("demo-sandra"), "{screen}");
}

/// The header with several profiles live names the zone times are in,
/// once, as the single-profile header does (`T`: relative).
#[tokio::test]
async fn the_crew_header_names_the_time_zone() {
    let (mut app, tx) = two_users(10_000);
    let cet = chrono::FixedOffset::east_opt(3600).expect("offset");
    app.zone = wsmon::app::zone::Zone::Fixed(cet);
    for tagged in [(0, connecting(0, 1, 0)), (0, open(0, 10))] {
        tx.send(tagged).await.expect("app listening");
    }
    let screen = drive(&mut app, 120, 36, vec![]).await;
    let header = screen.lines().next().unwrap_or_default();
    assert!(header.contains("demo-omar"), "{screen}");
    assert!(
        header.contains("  times UTC+01:00  server http://127.0.0.1:8000"),
        "{header}"
    );
    let screen = drive(&mut app, 120, 36, vec![key('T')]).await;
    let header = screen.lines().next().unwrap_or_default();
    assert!(
        header.contains("  times relative  server http://127.0.0.1:8000"),
        "{header}"
    );
}

/// With several profiles live the payloads and history titles say whose
/// session they show, and follow the selection into the next profile.
#[tokio::test]
async fn payloads_and_history_titles_name_the_profile() {
    let (mut app, tx) = two_users(10_000);
    for tagged in [
        (0, connecting(0, 1, 0)),
        (0, open(0, 10)),
        (0, messages(0, vec![text(20, r#"{"id":1}"#)], 0)),
        (1, connecting(0, 1, 0)),
        (1, closed(0, refused_403(1, 0))),
    ] {
        tx.send(tagged).await.expect("app listening");
    }
    let screen = drive(&mut app, 120, 36, vec![]).await;
    assert!(
        screen.contains("Payloads · demo-sandra · 1 msgs · follow"),
        "{screen}"
    );
    assert!(
        screen.contains("Reconnect history · demo-sandra · 1 attempt "),
        "{screen}"
    );
    let screen = drive(&mut app, 120, 36, vec![key('j'), key('j')]).await;
    assert!(
        screen.contains("Payloads · demo-omar · 0 msgs · follow"),
        "{screen}"
    );
    assert!(
        screen.contains("Reconnect history · demo-omar · 1 attempt "),
        "{screen}"
    );
}

/// `/` on the sessions panel with several profiles live filters the
/// session rows of every profile (the headings stay), not the payloads;
/// the selection moves to a session shown, `j` moves along those shown,
/// and Esc shows them all again.
#[tokio::test]
async fn slash_on_the_sessions_filters_every_profiles_rows() {
    let (mut app, tx) = two_users(10_000);
    for tagged in [
        (0, connecting(0, 1, 0)),
        (0, open(0, 10)),
        (1, connecting(0, 1, 0)),
        (1, closed(0, refused_403(1, 0))),
    ] {
        tx.send(tagged).await.expect("app listening");
    }
    let mut keys: Vec<_> = "/403".chars().map(key).collect();
    keys.push(code(crossterm::event::KeyCode::Enter));
    let screen = drive(&mut app, 120, 36, keys).await;
    assert_eq!(app.focus, wsmon::app::Panel::Sessions, "{screen}");
    assert!(!app.filter.is_active(), "the payloads are not filtered");
    assert!(screen.contains("/403/ 1 shown"), "{screen}");
    assert!(screen.contains("▸ demo-omar"), "{screen}");
    assert!(screen.contains("  demo-sandra"), "{screen}");
    assert!(
        screen.contains("Detail · demo-omar/notifications"),
        "{screen}"
    );
    // sandra's rows are hidden, her heading stays.
    let sessions: Vec<&str> = screen.lines().skip(1).take(6).collect();
    assert!(!sessions.iter().any(|l| l.contains("orders")), "{screen}");
    assert_eq!(app.session_rows(), 3, "{screen}");

    // `notif`: both notifications; `k` goes back across to sandra's,
    // skipping nothing shown.
    let mut keys = vec![code(crossterm::event::KeyCode::Esc)];
    keys.extend("/notif".chars().map(key));
    keys.extend([code(crossterm::event::KeyCode::Enter), key('k')]);
    let screen = drive(&mut app, 120, 36, keys).await;
    assert!(screen.contains("/notif/ 2 shown"), "{screen}");
    assert!(
        screen.contains("Detail · demo-sandra/notifications"),
        "{screen}"
    );
    // `j` from sandra's notifications skips her hidden orders.
    let screen = drive(&mut app, 120, 36, vec![key('j')]).await;
    assert!(
        screen.contains("Detail · demo-omar/notifications"),
        "{screen}"
    );
    // Esc: every row again.
    drive(
        &mut app,
        120,
        36,
        vec![code(crossterm::event::KeyCode::Esc)],
    )
    .await;
    assert!(!app.rows.filter.is_active());
    assert_eq!(app.session_rows(), 5);
}
