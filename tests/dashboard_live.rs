//! The dashboard's loop against real servers on 127.0.0.1: a profile
//! switch closes the old sockets with 1000 and opens the new ones, `t`
//! retries sessions stopped by an auth rejection once the token checks
//! valid, keys stay answered during a flood, and the demo runs end to end
//! on a `TestBackend`.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::dash::*;
use common::*;
use crossterm::event::KeyCode;
use futures_util::SinkExt;
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use wsmon::app::{App, Popup};
use wsmon::config::Config;
use wsmon::facts::StopReason;
use wsmon::model::Lifecycle;

const LIMIT: Duration = Duration::from_secs(10);

fn parse(text: &str) -> Config {
    wsmon::config::validate::parse(Path::new("<test>"), text).expect("profiles parse")
}

const FAST: &str = r#"
[settings]
connect_timeout = "2s"
ping_interval = "5s"
pong_timeout = "5s"
reconnect_min = "50ms"
reconnect_max = "200ms"
"#;

/// A profile `p` with one endpoint, `feed`, on `addr`; `settings` is a
/// `[settings]` table.
fn feed_profile(settings: &str, addr: std::net::SocketAddr) -> Config {
    parse(&format!(
        r#"default_profile = "p"
{settings}
[profiles.p]
server = "http://{addr}"
token = "{TOKEN}"
[[profiles.p.endpoints]]
name = "feed"
url = "{{ws}}/ws/?token={{token}}"
"#
    ))
}

fn start(config: Config, live: usize) -> App {
    let active = config.profiles[live].activate().expect("activate");
    App::start(config, live, active)
}

#[tokio::test]
async fn switching_profile_closes_old_sockets_with_1000_and_opens_the_new_ones() {
    let closes_a = Arc::new(Mutex::new(Vec::new()));
    let a = ws_server(None, send_then_echo_close(vec![], closes_a.clone())).await;
    let closes_b = Arc::new(Mutex::new(Vec::new()));
    let b = ws_server(None, send_then_echo_close(vec![], closes_b.clone())).await;
    let config = parse(&format!(
        r#"default_profile = "one"
{FAST}
[profiles.one]
server = "http://{}"
token = "{TOKEN}"
[[profiles.one.endpoints]]
name = "feed"
url = "{{ws}}/ws/?token={{token}}"

[profiles.two]
description = "the other one"
server = "http://{}"
token = "{TOKEN}"
[[profiles.two.endpoints]]
name = "feed"
url = "{{ws}}/ws/?token={{token}}"
"#,
        a.addr, b.addr
    ));
    let (keys, input) = live_input();
    let task = spawn_loop(start(config, 0), input);
    wait_for("profile one to connect", LIMIT, || {
        a.accepted.load(Ordering::SeqCst) == 1
    })
    .await;
    for k in [key('p'), key('j'), code(KeyCode::Enter)] {
        keys.send(k).expect("loop running");
    }
    wait_for("profile two to connect", LIMIT, || {
        b.accepted.load(Ordering::SeqCst) == 1
    })
    .await;
    // The old socket was closed cleanly before the new one opened.
    let closes = closes_a.lock().await.clone();
    assert_eq!(closes.len(), 1, "{closes:?}");
    assert_eq!(closes[0].as_ref().map(|f| u16::from(f.code)), Some(1000));
    keys.send(key('q')).expect("loop running");
    let (app, terminal) = tokio::time::timeout(LIMIT, task)
        .await
        .expect("quit in time")
        .expect("loop task");
    assert_eq!(app.live, 1);
    assert_eq!(app.model.profile, "two");
    let screen = screen(&terminal);
    assert!(screen.contains("profile two"), "{screen}");
    assert!(screen.contains("live profile: two"), "{screen}");
    // Quitting closed profile two's socket with 1000 too.
    let closes = closes_b.lock().await.clone();
    assert_eq!(closes[0].as_ref().map(|f| u16::from(f.code)), Some(1000));
}

#[tokio::test]
async fn r_reconnects_and_s_pauses_and_resumes_the_selected_session() {
    let closes = Arc::new(Mutex::new(Vec::new()));
    let server = ws_server(None, send_then_echo_close(vec![], closes.clone())).await;
    let config = feed_profile(FAST, server.addr);
    let accepted = || server.accepted.load(Ordering::SeqCst);
    let (keys, input) = live_input();
    let task = spawn_loop(start(config, 0), input);
    wait_for("the first connection", LIMIT, || accepted() == 1).await;
    keys.send(key('r')).expect("loop running");
    wait_for("the reconnect after r", LIMIT, || accepted() == 2).await;
    keys.send(key('s')).expect("loop running");
    wait_for("the pause to close the socket", LIMIT, || {
        closes.try_lock().is_ok_and(|c| c.len() == 2)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(accepted(), 2, "a paused session stays closed");
    keys.send(key('s')).expect("loop running");
    wait_for("the resume", LIMIT, || accepted() == 3).await;
    keys.send(key('q')).expect("loop running");
    tokio::time::timeout(LIMIT, task)
        .await
        .expect("quit in time")
        .expect("loop task");
    let closes = closes.lock().await.clone();
    let codes: Vec<Option<u16>> = closes
        .iter()
        .map(|f| f.as_ref().map(|f| u16::from(f.code)))
        .collect();
    assert!(codes.iter().all(|c| *c == Some(1000)), "{codes:?}");
}

#[tokio::test]
async fn t_retries_auth_stopped_sessions_when_the_token_checks_valid() {
    let demo = wsmon::demo::start(
        "127.0.0.1:0".parse().expect("addr"),
        wsmon::demo::DemoOptions::fast(),
    )
    .await
    .expect("demo");
    // First connection: 4001 (an auth close: the session stops). Later
    // ones stay open.
    let behaviour: Behaviour = Arc::new(|mut ws, n| {
        Box::pin(async move {
            if n == 1 {
                let frame = CloseFrame {
                    code: CloseCode::from(4001),
                    reason: "token rejected".into(),
                };
                let _ = ws.send(Message::Close(Some(frame))).await;
            }
            use futures_util::StreamExt;
            while let Some(Ok(_)) = ws.next().await {}
        })
    });
    let ws = ws_server(None, behaviour).await;
    let config = parse(&format!(
        r#"default_profile = "p"
{FAST}
[profiles.p]
server = "{}"
token = "{}"
token_check = "/api/notifications/"
[[profiles.p.endpoints]]
name = "feed"
url = "ws://{}/ws/?token={{token}}"
"#,
        demo.base_url(),
        wsmon::demo::SANDRA_TOKEN,
        ws.addr
    ));
    let (keys, input) = live_input();
    let task = spawn_loop(start(config, 0), input);
    wait_for("the first connection", LIMIT, || {
        ws.accepted.load(Ordering::SeqCst) == 1
    })
    .await;
    // The session stops on 4001 and stays stopped on its own.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(ws.accepted.load(Ordering::SeqCst), 1);
    keys.send(key('t')).expect("loop running");
    wait_for("the retry after t", LIMIT, || {
        ws.accepted.load(Ordering::SeqCst) == 2
    })
    .await;
    keys.send(key('q')).expect("loop running");
    let (app, _) = tokio::time::timeout(LIMIT, task)
        .await
        .expect("quit in time")
        .expect("loop task");
    let first = &app.model.sessions[0].history[0];
    assert_eq!(first.record.browser_close_code(), 4001);
    demo.shutdown().await;
}

#[tokio::test]
async fn keys_are_answered_during_a_flood() {
    let behaviour: Behaviour = Arc::new(|mut ws, _| {
        Box::pin(async move {
            let msg = Message::text("x".repeat(100));
            for _ in 0..2_000_000 {
                if ws.feed(msg.clone()).await.is_err() {
                    return;
                }
            }
            let _ = ws.flush().await;
        })
    });
    let server = ws_server(None, behaviour).await;
    let config = parse(&format!(
        r#"default_profile = "p"
{FAST}
[profiles.p]
server = "http://{}"
[[profiles.p.endpoints]]
name = "flood"
url = "{{ws}}/ws/"
"#,
        server.addr
    ));
    let (keys, input) = live_input();
    let task = spawn_loop(start(config, 0), input);
    wait_for("the flood to start", LIMIT, || {
        server.accepted.load(Ordering::SeqCst) == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    keys.send(key('?')).expect("loop running");
    keys.send(key('q')).expect("loop running");
    let (app, _) = tokio::time::timeout(LIMIT, task)
        .await
        .expect("quit during the flood")
        .expect("loop task");
    assert!(matches!(app.popup, Some(Popup::Help)));
    assert!(app.model.sessions[0].messages > 0);
}

/// The demo, end to end on a `TestBackend`: notifications arrive, a
/// payload opens, and switching to the bad-token profile shows the 403
/// and the token check's "invalid".
#[tokio::test]
async fn the_demo_on_a_test_backend() {
    let demo = wsmon::demo::start(
        "127.0.0.1:0".parse().expect("addr"),
        wsmon::demo::DemoOptions::fast(),
    )
    .await
    .expect("demo");
    let config = parse(&demo.profiles_toml());
    let (keys, input) = live_input();
    let task = spawn_loop(start(config, 0), input);
    tokio::time::sleep(Duration::from_millis(400)).await;
    for k in [code(KeyCode::Tab), code(KeyCode::Tab), code(KeyCode::Enter)] {
        keys.send(k).expect("loop running");
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    keys.send(code(KeyCode::Esc)).expect("loop running");
    // demo-bad-token is the fourth profile.
    for k in [key('p'), key('G'), code(KeyCode::Enter)] {
        keys.send(k).expect("loop running");
    }
    // Generous: a 403 and a token check on loopback take milliseconds,
    // but the machine may be busy.
    tokio::time::sleep(Duration::from_millis(2000)).await;
    keys.send(key('q')).expect("loop running");
    let (app, terminal) = tokio::time::timeout(LIMIT, task)
        .await
        .expect("quit in time")
        .expect("loop task");
    assert_eq!(app.model.profile, "demo-bad-token");
    assert!(matches!(
        app.model.sessions[0].lifecycle,
        Lifecycle::Stopped {
            why: StopReason::AuthRejected { .. },
            ..
        }
    ));
    let screen = screen(&terminal);
    assert!(screen.contains("403"), "{screen}");
    assert!(screen.contains("INVALID"), "{screen}");
    assert!(
        !screen.contains(wsmon::demo::UNKNOWN_TOKEN),
        "token shown whole"
    );
    demo.shutdown().await;
}

/// A terminal that takes nothing (a stuck SSH link): frames queue behind
/// the writer thread, and the one thread that runs every session goes on
/// heartbeating. Drawn straight to such a terminal, the first frame would
/// block that thread and no ping would leave.
#[tokio::test]
async fn a_terminal_that_never_reads_stalls_no_session() {
    struct NeverReads;
    impl std::io::Write for NeverReads {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            loop {
                std::thread::park();
            }
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let pings = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = pings.clone();
    let behaviour: Behaviour = Arc::new(move |mut ws, _| {
        let counted = counted.clone();
        Box::pin(async move {
            use futures_util::StreamExt;
            while let Some(Ok(message)) = ws.next().await {
                if message.is_ping() {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
            }
        })
    });
    let server = ws_server(None, behaviour).await;
    let config = feed_profile(
        "[settings]\nping_interval = \"200ms\"\npong_timeout = \"2s\"",
        server.addr,
    );
    let writer = wsmon::writer_thread::WriterThread::spawn(NeverReads).expect("writer");
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(writer.writer()))
            .expect("terminal");
    let mut app = start(config, 0);
    let (keys, input) = live_input();
    let mut clipboard = writer.writer();
    let run = tokio::spawn(async move {
        wsmon::tui::run(
            &mut terminal,
            &mut app,
            input,
            tokio_util::sync::CancellationToken::new(),
            &mut clipboard,
        )
        .await
        .expect("loop");
    });
    wait_for("five pings through a stuck terminal", LIMIT, || {
        pings.load(Ordering::SeqCst) >= 5
    })
    .await;
    wait_for("frames queued behind the stuck terminal", LIMIT, || {
        writer.backlog() > 0
    })
    .await;
    keys.send(key('q')).expect("loop alive");
    tokio::time::timeout(LIMIT, run)
        .await
        .expect("quits with the terminal still stuck")
        .expect("loop task");
}
