//! Keys and mouse through the real loop on a detached app: clicks select
//! rows and panels, the wheel leaves follow mode, `y` writes an OSC 52
//! sequence, a profile that cannot be activated is reported on screen
//! while the old one stays live, and untrusted text never reaches the
//! terminal raw.

mod common;

use base64::Engine as _;
use common::dash::*;
use crossterm::event::{KeyCode, MouseButton, MouseEventKind};
use wsmon::app::{App, Panel, Popup};
use wsmon::token_check::Verdict;

fn open_events() -> Vec<wsmon::facts::Event> {
    vec![
        connecting(0, 1, 0),
        open(0, 12),
        connecting(1, 1, 0),
        open(1, 15),
        messages(
            0,
            vec![
                text(1_000, r#"{"id":1}"#),
                text(2_000, r#"{"id":2}"#),
                text(3_000, "evil \u{1b}]0;title\u{7} \u{9b}31m \u{202e}"),
            ],
            0,
        ),
        token_check(Verdict::Valid, 200, None, 20),
    ]
}

#[tokio::test]
async fn clicks_select_rows_and_panels_and_the_wheel_scrolls() {
    let (mut app, tx) = detached("demo-sandra", at(5_000));
    feed(&tx, open_events()).await;
    // 110×34: header on row 0, sessions border on 1, column header on 2,
    // the first endpoint on 3, the second on 4.
    let down = MouseEventKind::Down(MouseButton::Left);
    drive(&mut app, 110, 34, vec![mouse(down, 5, 4)]).await;
    assert_eq!(app.selected, 1);
    assert_eq!(app.focus, Panel::Sessions);

    let (mut app, tx) = detached("demo-sandra", at(5_000));
    feed(&tx, open_events()).await;
    // The payloads panel is on the right half, below the sessions.
    let keys = vec![mouse(MouseEventKind::ScrollUp, 80, 12)];
    drive(&mut app, 110, 34, keys).await;
    assert_eq!(app.focus, Panel::Payloads);
    assert!(!app.follow, "scrolling up leaves follow mode");
    assert_eq!(app.cursor_seq(), Some(0));
}

#[tokio::test]
async fn y_copies_the_payload_with_osc52() {
    let (mut app, tx) = detached("demo-sandra", at(5_000));
    feed(&tx, open_events()).await;
    let keys = vec![code(KeyCode::Tab), code(KeyCode::Tab), key('k'), key('y')];
    let (screen, clipboard) = drive_clipboard(&mut app, 110, 34, keys).await;
    let clipboard = String::from_utf8(clipboard).expect("utf-8");
    let data = base64::engine::general_purpose::STANDARD.encode(r#"{"id":2}"#);
    // OSC 52 ended by ST (ESC \), as crossterm writes it.
    assert_eq!(clipboard, format!("\u{1b}]52;c;{data}\u{1b}\\"));
    assert!(screen.contains("copied 8 bytes (OSC 52)"), "{screen}");
}

#[tokio::test]
async fn untrusted_payload_text_is_shown_as_symbols() {
    let (mut app, tx) = detached("demo-sandra", at(5_000));
    feed(&tx, open_events()).await;
    let keys = vec![code(KeyCode::Tab), code(KeyCode::Tab), code(KeyCode::Enter)];
    let screen = drive(&mut app, 110, 34, keys).await;
    assert!(matches!(app.popup, Some(Popup::Payload { .. })));
    assert!(screen.contains("evil ␛]0;title␇"), "{screen}");
    assert!(screen.contains("<U+009B>31m <U+202E>"), "{screen}");
    for c in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'] {
        assert!(!screen.contains(c), "{c:?} reached the screen");
    }
}

#[tokio::test]
async fn a_profile_that_cannot_be_activated_is_reported_and_the_old_one_stays() {
    let text = r#"
default_profile = "good"

[profiles.good]
server = "http://127.0.0.1:8000"
token = "0123456789abcdef"
[[profiles.good.endpoints]]
name = "feed"
url = "{ws}/ws/?token={token}"

[profiles.broken]
server = "http://127.0.0.1:8000"
token_env = "WSMON_TEST_DEFINITELY_UNSET_VARIABLE"
[[profiles.broken.endpoints]]
name = "feed"
url = "{ws}/ws/?token={token}"
"#;
    let config =
        wsmon::config::validate::parse(std::path::Path::new("<test>"), text).expect("parse");
    let active = config.profiles[0].activate().expect("activate");
    let (mut app, _tx) = App::detached(config, 0, active);
    let keys = vec![key('p'), key('j'), code(KeyCode::Enter)];
    let screen = drive(&mut app, 110, 34, keys).await;
    assert_eq!(app.live, 0);
    assert_eq!(app.model.profile, "good");
    assert!(screen.contains("cannot switch to broken"), "{screen}");
    let notice = app.notice.clone().unwrap_or_default();
    assert!(
        notice.contains("WSMON_TEST_DEFINITELY_UNSET_VARIABLE"),
        "{notice}"
    );
}

#[tokio::test]
async fn the_filter_takes_letters_as_text_and_esc_clears_it() {
    let (mut app, tx) = detached("demo-sandra", at(5_000));
    feed(&tx, open_events()).await;
    // `q` while typing is text, not quit; the last key (Esc) clears.
    let keys = vec![key('/'), key('q'), code(KeyCode::Esc), key('?')];
    drive(&mut app, 110, 34, keys).await;
    assert!(!app.filter.is_active());
    assert!(matches!(app.popup, Some(Popup::Help)));
}

/// Every screen, at every size down to 1×1, draws without panicking.
#[tokio::test]
async fn tiny_terminals_never_panic() {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let (mut app, tx) = detached("demo-sandra", at(5_000));
    feed(&tx, open_events()).await;
    drive(&mut app, 110, 34, vec![]).await;
    let payload = app.payload(0).cloned().expect("a payload");
    let popups = [
        None,
        Some(Popup::Help),
        Some(Popup::Profiles { cursor: 3 }),
        Some(Popup::Payload { payload, scroll: 0 }),
    ];
    for popup in popups {
        app.popup = popup;
        for (w, h) in [(1, 1), (10, 3), (30, 8), (79, 23), (80, 24), (200, 60)] {
            let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
            wsmon::tui::draw(&mut terminal, &mut app).expect("draw");
        }
    }
}

#[tokio::test]
async fn an_insecure_profile_is_marked_in_red_in_the_header() {
    let (mut app, tx) = detached("demo-sandra", at(5_000));
    app.active.insecure = true;
    app.theme = wsmon::app::theme::Theme { color: true };
    feed(&tx, open_events()).await;
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(110, 34)).expect("terminal");
    terminal
        .draw(|f| {
            wsmon::ui::render(f, &app);
        })
        .expect("draw");
    let buffer = terminal.backend().buffer().clone();
    let header: String = (0..110)
        .map(|x| buffer[(x, 0)].symbol().to_string())
        .collect();
    let at = header.find("INSECURE TLS").expect("marked in the header");
    let x = u16::try_from(header[..at].chars().count()).expect("fits the screen");
    assert_eq!(buffer[(x, 0)].fg, ratatui::style::Color::Red, "{header}");
}

#[tokio::test]
async fn scrolling_a_payload_stops_at_its_last_line() {
    let (mut app, tx) = detached("demo-sandra", at(5_000));
    feed(&tx, open_events()).await;
    // Open the second payload ({"id":2}: three lines pretty-printed), then
    // scroll far past its end.
    let mut keys = vec![
        code(KeyCode::Tab),
        code(KeyCode::Tab),
        key('k'),
        code(KeyCode::Enter),
    ];
    keys.extend(std::iter::repeat_n(key('j'), 50));
    let screen = drive(&mut app, 110, 34, keys).await;
    let Some(Popup::Payload { scroll, .. }) = &app.popup else {
        panic!("popup closed: {screen}")
    };
    assert_eq!(*scroll, 2, "{screen}");
    assert!(
        screen.contains('}'),
        "the last line stays visible: {screen}"
    );
}

#[tokio::test]
async fn url_warnings_show_in_the_detail_panel() {
    let config = wsmon::config::validate::parse(
        std::path::Path::new("lint.toml"),
        "[profiles.p]\nserver = \"http://127.0.0.1:8000\"\ntoken = \"0123456789abcdef0123\"\n\
         [[profiles.p.endpoints]]\nname = \"odd\"\nurl = \"{ws}/odd/?token={token}\"\n\
         [[profiles.p.endpoints]]\nname = \"a\"\nurl = \"{ws}/ws/a/?token={token}\"\n\
         [[profiles.p.endpoints]]\nname = \"b\"\nurl = \"{ws}/ws/b/?token={token}\"\n",
    )
    .expect("valid");
    let active = config.profiles[0].activate().expect("activate");
    let (mut app, _tx) = App::detached(config, 0, active);
    app.clock = wsmon::app::Clock::Fixed(at(1_000));
    app.theme = wsmon::app::theme::Theme { color: false };
    let screen = drive(&mut app, 120, 34, vec![]).await;
    assert!(screen.contains("⚠") && screen.contains("/ws/"), "{screen}");
}

#[tokio::test]
async fn a_notice_clears_on_the_next_key_and_the_key_hints_come_back() {
    let (mut app, tx) = detached("demo-sandra", at(5_000));
    feed(&tx, open_events()).await;
    let mut keys = vec![code(KeyCode::Tab), code(KeyCode::Tab), key('k')];
    keys.push(code(KeyCode::Enter));
    keys.extend("/id".chars().map(key));
    keys.extend([code(KeyCode::Enter), code(KeyCode::Esc), code(KeyCode::Esc)]);
    let screen = drive(&mut app, 110, 34, keys).await;
    assert!(app.popup.is_none());
    assert!(!screen.contains("match 1 of"), "{screen}");
    // The footer's key hints are back (`? help · p profiles · …`).
    let footer = screen.lines().nth(33).unwrap_or_default();
    assert!(footer.contains("? help · p profiles"), "{screen}");
}

#[tokio::test]
async fn a_notice_goes_after_a_few_seconds_by_the_apps_clock() {
    let (mut app, tx) = detached("demo-sandra", at(5_000));
    feed(&tx, open_events()).await;
    // `n` with no filter says how to set one.
    drive(&mut app, 110, 34, vec![key('n')]).await;
    assert!(app.notice.is_some());
    app.on_tick();
    assert!(app.notice.is_some(), "a fresh notice stays");
    app.clock = wsmon::app::Clock::Fixed(at(11_000));
    app.on_tick();
    assert_eq!(app.notice, None, "a notice 6 s old goes");
}

/// `/` in a payload longer than the screen scrolls only as far as needed
/// to show the match (on the bottom line when it is below), back up to a
/// match above, and Esc leaves the view where the search brought it.
#[tokio::test]
async fn the_payload_search_scrolls_only_as_far_as_needed() {
    let (mut app, tx) = detached("demo-sandra", at(5_000));
    // 100 keys: 102 lines pretty-printed (`{`, k00…k99, `}`).
    let body: Vec<String> = (0..100).map(|i| format!("\"k{i:02}\":{i}")).collect();
    let long = format!("{{{}}}", body.join(","));
    feed(
        &tx,
        vec![
            connecting(0, 1, 0),
            open(0, 12),
            messages(0, vec![text(1_000, &long)], 0),
        ],
    )
    .await;
    let search = |text: &str| {
        let mut keys = vec![key('/')];
        keys.extend(text.chars().map(key));
        keys.push(code(KeyCode::Enter));
        keys
    };
    let scroll = |app: &App| match &app.popup {
        Some(Popup::Payload { scroll, .. }) => *scroll,
        _ => panic!("popup closed"),
    };
    // 110×34: the popup shows 34 - 2 (margin) - 2 (border) = 30 lines.
    let mut keys = vec![code(KeyCode::Tab), code(KeyCode::Tab), code(KeyCode::Enter)];
    keys.extend(search("k10"));
    let screen = drive(&mut app, 110, 34, keys).await;
    assert_eq!(scroll(&app), 0, "line 11 is on screen already: {screen}");
    // k50 is line 51: the least scroll that shows it puts it at the bottom.
    drive(&mut app, 110, 34, vec![code(KeyCode::Esc)]).await;
    let screen = drive(&mut app, 110, 34, search("k50")).await;
    assert_eq!(scroll(&app), 51 + 1 - 30, "{screen}");
    assert!(screen.contains("\"k50\": 50"), "{screen}");
    // k99 (line 100): on the bottom line, never past the end.
    drive(&mut app, 110, 34, vec![code(KeyCode::Esc)]).await;
    drive(&mut app, 110, 34, search("k99")).await;
    assert_eq!(scroll(&app), 100 + 1 - 30);
    // A match above the view: it comes in at the top.
    drive(&mut app, 110, 34, vec![code(KeyCode::Esc)]).await;
    drive(&mut app, 110, 34, search("k20")).await;
    assert_eq!(scroll(&app), 21);
    // Esc: the search goes, the view stays.
    drive(&mut app, 110, 34, vec![code(KeyCode::Esc)]).await;
    assert!(!app.popup_search.is_active());
    assert_eq!(scroll(&app), 21);
}
