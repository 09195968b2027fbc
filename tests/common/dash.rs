//! Helpers for dashboard tests: scripted input for the real event loop,
//! a fixed clock, synthetic engine events with exact timestamps, and the
//! screen as text for snapshots.

use std::path::Path;
use std::time::{Duration, SystemTime};

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use futures_util::Stream;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use wsmon::app::theme::Theme;
use wsmon::app::{App, Clock};
use wsmon::config::Config;
use wsmon::facts::*;
use wsmon::token_check::{TokenCheckResult, Verdict};

/// The fixed "now" of snapshot tests: 2025-11-24 16:00:00 UTC.
pub fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_000_000)
}

/// `t0` plus `ms` milliseconds.
pub fn at(ms: u64) -> SystemTime {
    t0() + Duration::from_millis(ms)
}

/// The demo's profiles file on a fixed port, so snapshots never see a
/// random one. Nothing listens there: these apps are detached.
pub fn demo_config() -> Config {
    let text = wsmon::demo::profiles_toml("http://127.0.0.1:8000");
    wsmon::config::validate::parse(Path::new("<demo>"), &text).expect("demo profiles parse")
}

/// A detached app on profile `name` of the demo file, clock fixed at `now`,
/// no colours (snapshots are text).
pub fn detached(name: &str, now: SystemTime) -> (App, mpsc::Sender<Event>) {
    let config = demo_config();
    let live = config
        .profiles
        .iter()
        .position(|p| p.name == name)
        .expect("profile");
    let active = config.profiles[live].activate().expect("activate");
    let (mut app, tx) = App::detached(config, live, active);
    app.clock = Clock::Fixed(now);
    app.zone = wsmon::app::zone::Zone::utc();
    app.theme = Theme { color: false };
    (app, tx)
}

/// [`detached`] on profile `name` of a profiles file given as text.
pub fn detached_from(text: &str, name: &str, now: SystemTime) -> (App, mpsc::Sender<Event>) {
    let config = wsmon::config::validate::parse(Path::new("<test>"), text).expect("profiles parse");
    let live = config
        .profiles
        .iter()
        .position(|p| p.name == name)
        .expect("profile");
    let active = config.profiles[live].activate().expect("activate");
    let (mut app, tx) = App::detached(config, live, active);
    app.clock = Clock::Fixed(now);
    app.zone = wsmon::app::zone::Zone::utc();
    app.theme = Theme { color: false };
    (app, tx)
}

/// Queues events for the loop (applied before the first scripted key).
pub async fn feed(tx: &mpsc::Sender<Event>, events: Vec<Event>) {
    for e in events {
        tx.send(e).await.expect("app listening");
    }
}

pub fn key(c: char) -> TermEvent {
    TermEvent::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub fn code(code: KeyCode) -> TermEvent {
    TermEvent::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// Keys delivered one by one, each after `gap`, starting after `gap`:
/// whatever the engine queued before is applied first.
pub fn scripted(
    keys: Vec<TermEvent>,
    gap: Duration,
) -> impl Stream<Item = std::io::Result<TermEvent>> + Unpin {
    Box::pin(futures_util::stream::unfold(
        keys.into_iter(),
        move |mut keys| async move {
            tokio::time::sleep(gap).await;
            keys.next().map(|k| (Ok(k), keys))
        },
    ))
}

/// Runs the real loop on a `TestBackend` of `w`×`h` until the keys run
/// out, then draws the final frame and returns the screen as text.
pub async fn drive(app: &mut App, w: u16, h: u16, keys: Vec<TermEvent>) -> String {
    drive_clipboard(app, w, h, keys).await.0
}

/// [`drive`], also returning what the loop wrote to the clipboard (OSC 52).
pub async fn drive_clipboard(
    app: &mut App,
    w: u16,
    h: u16,
    keys: Vec<TermEvent>,
) -> (String, Vec<u8>) {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    let mut sink = Vec::new();
    wsmon::tui::run(
        &mut terminal,
        app,
        scripted(keys, Duration::from_millis(5)),
        CancellationToken::new(),
        &mut sink,
    )
    .await
    .expect("loop");
    wsmon::tui::draw(&mut terminal, app).expect("draw");
    (screen(&terminal), sink)
}

/// A mouse event at a cell.
pub fn mouse(kind: crossterm::event::MouseEventKind, column: u16, row: u16) -> TermEvent {
    TermEvent::Mouse(crossterm::event::MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

/// The buffer as lines of text, trailing blanks trimmed.
pub fn screen(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        for x in 0..area.width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub fn session(endpoint: EndpointId, event: SessionEvent) -> Event {
    Event::Session { endpoint, event }
}

pub fn connecting(endpoint: EndpointId, attempt: u32, ms: u64) -> Event {
    session(
        endpoint,
        SessionEvent::Connecting {
            attempt,
            at: at(ms),
        },
    )
}

pub fn open(endpoint: EndpointId, ms: u64) -> Event {
    session(
        endpoint,
        SessionEvent::Open {
            at: at(ms),
            handshake: HandshakeInfo {
                status: 101,
                latency: Duration::from_millis(12),
                headers: vec![],
                subprotocol: None,
            },
        },
    )
}

pub fn text(ms: u64, body: &str) -> Payload {
    Payload {
        at: at(ms),
        data: PayloadData::Text(body.into()),
    }
}

pub fn messages(endpoint: EndpointId, payloads: Vec<Payload>, dropped: u64) -> Event {
    session(
        endpoint,
        SessionEvent::Messages(MessageBatch {
            messages: payloads,
            dropped,
            budget: None,
        }),
    )
}

/// An attempt that opened at `started` and was dropped without a close
/// frame (1006) `open_ms` later.
pub fn dropped_1006(attempt: u32, started: u64, open_ms: u64) -> AttemptRecord {
    AttemptRecord {
        attempt,
        started: at(started),
        ended: at(started + open_ms),
        handshake_latency: Some(Duration::from_millis(12)),
        activity: Default::default(),
        outcome: Outcome::Closed {
            close: CloseInfo {
                code: 1006,
                reason: String::new(),
                by: Closer::Network,
                clean: false,
                cause: None,
                note: None,
            },
            open_for: Duration::from_millis(open_ms),
        },
    }
}

/// An upgrade refused with 403 and Daphne's empty body.
pub fn refused_403(attempt: u32, started: u64) -> AttemptRecord {
    AttemptRecord {
        attempt,
        started: at(started),
        ended: at(started + 8),
        handshake_latency: None,
        activity: Default::default(),
        outcome: Outcome::Failed(ConnectFailure {
            stage: Stage::Handshake,
            kind: FailureKind::HttpStatus,
            message: "HTTP error: 403 Forbidden".into(),
            http: Some(HttpAnswer {
                status: 403,
                headers: vec![
                    ("content-type".into(), "text/plain".into()),
                    ("server".into(), "daphne".into()),
                ],
                body_excerpt: "Access denied\u{1b}[2J".into(),
            }),
            raw_answer: None,
        }),
    }
}

pub fn closed(endpoint: EndpointId, record: AttemptRecord) -> Event {
    session(endpoint, SessionEvent::Closed(Box::new(record)))
}

pub fn token_check(verdict: Verdict, status: u16, detail: Option<&str>, ms: u64) -> Event {
    Event::TokenCheck(TokenCheckResult {
        at: at(ms),
        url: "http://127.0.0.1:8000/api/notifications/".into(),
        status: Some(status),
        verdict,
        detail: detail.map(str::to_string),
        latency: Duration::from_millis(4),
    })
}

/// An input stream the test feeds key by key while the loop runs.
pub fn live_input() -> (
    mpsc::UnboundedSender<TermEvent>,
    impl Stream<Item = std::io::Result<TermEvent>> + Unpin + Send + 'static,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    let stream =
        futures_util::stream::unfold(
            rx,
            |mut rx| async move { rx.recv().await.map(|k| (Ok(k), rx)) },
        );
    (tx, Box::pin(stream))
}

/// The real loop in a task on a `TestBackend`; the app and terminal come
/// back when it ends.
pub fn spawn_loop(
    mut app: App,
    input: impl Stream<Item = std::io::Result<TermEvent>> + Unpin + Send + 'static,
) -> tokio::task::JoinHandle<(App, Terminal<TestBackend>)> {
    tokio::spawn(async move {
        let mut terminal = Terminal::new(TestBackend::new(110, 34)).expect("terminal");
        let mut sink = Vec::new();
        wsmon::tui::run(
            &mut terminal,
            &mut app,
            input,
            CancellationToken::new(),
            &mut sink,
        )
        .await
        .expect("loop");
        wsmon::tui::draw(&mut terminal, &mut app).expect("draw");
        (app, terminal)
    })
}

/// Polls `cond` every 20 ms until it holds (panics after `limit`).
pub async fn wait_for(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
