//! The everyday tools through the real loop (and the real binary): `i`
//! sends a text frame that a local echo server answers, `wsmon send`
//! prints the reply, `e` writes a transcript with the token scrubbed and
//! escape sequences escaped, `Y` copies websocat + curl commands with the
//! token only when confirmed, the profiles file reloads while the
//! dashboard runs (an invalid edit is reported with line:column and
//! changes nothing), and completions and the man page print.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use base64::Engine as _;
use common::dash::*;
use common::*;
use crossterm::event::KeyCode;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use wsmon::app::App;
use wsmon::config::Config;
use wsmon::facts::PayloadData;

const LIMIT: Duration = Duration::from_secs(10);
const BIN: &str = env!("CARGO_BIN_EXE_wsmon");

/// Answers every text frame with `echo: TEXT` (and records what came).
fn echo(received: Arc<Mutex<Vec<String>>>) -> Behaviour {
    Arc::new(move |mut ws, _| {
        let received = received.clone();
        Box::pin(async move {
            while let Some(Ok(m)) = ws.next().await {
                if let Message::Text(t) = m {
                    received.lock().await.push(t.to_string());
                    let reply = format!("echo: {t}");
                    if ws.send(Message::Text(reply.into())).await.is_err() {
                        return;
                    }
                }
            }
        })
    })
}

fn profiles_text(ws: std::net::SocketAddr, extra: &str) -> String {
    format!(
        r#"default_profile = "p"

[settings]
connect_timeout = "2s"
ping_interval = "5s"
pong_timeout = "5s"
reconnect_min = "50ms"
reconnect_max = "200ms"

[profiles.p]
server = "http://127.0.0.1:9"
token = "{TOKEN}"
token_check = "/api/notifications/"
[[profiles.p.endpoints]]
name = "feed"
url = "ws://{ws}/ws/?token={{token}}"
{extra}"#
    )
}

fn parse(text: &str) -> Config {
    wsmon::config::validate::parse(Path::new("<test>"), text).expect("profiles parse")
}

fn start(config: Config) -> App {
    let active = config.profiles[0].activate().expect("activate");
    App::start(config, 0, active)
}

fn type_text(text: &str) -> Vec<crossterm::event::Event> {
    text.chars().map(key).collect()
}

#[tokio::test]
async fn i_sends_a_text_frame_and_the_echo_shows_in_the_payloads() {
    let received = Arc::new(Mutex::new(Vec::new()));
    let server = ws_server(None, echo(received.clone())).await;
    let (keys, input) = live_input();
    let task = spawn_loop(start(parse(&profiles_text(server.addr, ""))), input);
    wait_for("the connection", LIMIT, || {
        server.accepted.load(Ordering::SeqCst) == 1
    })
    .await;
    // The Open event reaches the app just after the server accepted.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let mut script = vec![key('i')];
    // `q` and `e` are text while the composer is open.
    script.extend(type_text("ping q e"));
    script.push(code(KeyCode::Enter));
    for k in script {
        keys.send(k).expect("loop running");
    }
    wait_for("the server to get the frame", LIMIT, || {
        received.try_lock().is_ok_and(|r| r.len() == 1)
    })
    .await;
    // History: Up recalls the last text; Enter sends it again.
    for k in [key('i'), code(KeyCode::Up), code(KeyCode::Enter)] {
        keys.send(k).expect("loop running");
    }
    wait_for("the second frame", LIMIT, || {
        received.try_lock().is_ok_and(|r| r.len() == 2)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    keys.send(key('q')).expect("loop running");
    let (app, terminal) = tokio::time::timeout(LIMIT, task)
        .await
        .expect("quit in time")
        .expect("loop task");
    assert_eq!(*received.lock().await, vec!["ping q e", "ping q e"]);
    let echoes: Vec<String> = app.model.sessions[0]
        .payloads
        .iter()
        .filter_map(|p| match &p.data {
            PayloadData::Text(t) => Some(t.to_string()),
            PayloadData::Binary(_) => None,
        })
        .collect();
    assert_eq!(echoes, vec!["echo: ping q e", "echo: ping q e"]);
    assert_eq!(app.sent_history, vec!["ping q e"]);
    let screen = screen(&terminal);
    assert!(screen.contains("feed: 8 bytes sent"), "{screen}");
    assert!(screen.contains("echo: ping q e"), "{screen}");
}

#[tokio::test]
async fn sending_to_a_session_that_is_not_open_says_so() {
    let (mut app, tx) = detached("demo-sandra", at(5_000));
    feed(&tx, vec![connecting(0, 1, 0)]).await;
    let mut keys = vec![key('i')];
    keys.extend(type_text("hello"));
    keys.push(code(KeyCode::Enter));
    drive(&mut app, 110, 34, keys).await;
    let notice = app.notice.clone().unwrap_or_default();
    assert!(
        notice.contains("not sent: the socket is not open (connecting)"),
        "{notice}"
    );
    // Reopened, the composer shows the last text after Up; Esc cancels.
    let screen = drive(&mut app, 110, 34, vec![key('i'), code(KeyCode::Up)]).await;
    assert!(screen.contains("send to notifications ▸ hello"), "{screen}");
    assert_eq!(
        app.composer.as_ref().map(|c| c.text.as_str()),
        Some("hello")
    );
    drive(&mut app, 110, 34, vec![code(KeyCode::Esc)]).await;
    assert!(app.composer.is_none());
}

#[tokio::test]
async fn wsmon_send_prints_the_reply_as_json_lines_and_closes_1000() {
    let received = Arc::new(Mutex::new(Vec::new()));
    let server = ws_server(None, echo(received.clone())).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("profiles.toml");
    std::fs::write(&path, profiles_text(server.addr, "")).expect("write");
    let out = tokio::process::Command::new(BIN)
        .args(["--config"])
        .arg(&path)
        .args(["--log-file"])
        .arg(dir.path().join("wsmon.log"))
        .args([
            "send",
            "--endpoint",
            "feed",
            "--wait",
            "500ms",
            "hello \u{1b}[2J",
        ])
        .kill_on_drop(true)
        .output()
        .await
        .expect("run wsmon");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !stdout.contains('\u{1b}'),
        "raw ESC in the output: {stdout}"
    );
    assert!(!stdout.contains(TOKEN), "{stdout}");
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let types: Vec<&str> = lines.iter().filter_map(|l| l["type"].as_str()).collect();
    for t in ["connecting", "open", "sent", "message", "closing", "closed"] {
        assert!(types.contains(&t), "no {t} line in {types:?}");
    }
    let message = lines
        .iter()
        .find(|l| l["type"] == "message")
        .expect("message");
    assert_eq!(message["data"], "echo: hello \u{1b}[2J");
    assert_eq!(message["endpoint"], "feed");
    let closed = lines
        .iter()
        .find(|l| l["type"] == "closed")
        .expect("closed");
    assert_eq!(closed["code"], 1000);
    assert_eq!(*received.lock().await, vec!["hello \u{1b}[2J"]);

    // An unknown endpoint is a usage error that lists the real ones.
    let out = tokio::process::Command::new(BIN)
        .args(["--config"])
        .arg(&path)
        .args(["--log-file"])
        .arg(dir.path().join("wsmon.log"))
        .args(["send", "--endpoint", "nope", "x"])
        .output()
        .await
        .expect("run wsmon");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("its endpoints: feed"), "{stderr}");
}

#[tokio::test]
async fn e_exports_the_transcript_with_the_token_scrubbed_and_escapes_escaped() {
    let (mut app, tx) = detached("demo-sandra", at(20_000));
    let token = app.active.token.clone().expect("demo token");
    let token = token.expose().to_string();
    feed(
        &tx,
        vec![
            connecting(0, 1, 0),
            open(0, 12),
            messages(
                0,
                vec![
                    text(1_000, r#"{"id":1}"#),
                    text(2_000, &format!("you are {token}")),
                    text(3_000, "evil \u{1b}]0;title\u{7} \u{9b}31m \u{202e}"),
                ],
                0,
            ),
            closed(0, dropped_1006(1, 0, 4_000)),
        ],
    )
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    app.export_dir = Some(dir.path().join("exports"));
    let screen = drive(&mut app, 110, 34, vec![key('e')]).await;
    assert!(screen.contains("saved 7 lines to"), "{screen}");
    let files: Vec<_> = std::fs::read_dir(dir.path().join("exports"))
        .expect("exports dir")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap_or_default().to_string_lossy();
    assert!(
        name.starts_with("wsmon-demo-sandra-notifications-") && name.ends_with(".jsonl"),
        "{name}"
    );
    let bytes = std::fs::read(&files[0]).expect("read");
    let text = String::from_utf8(bytes).expect("utf-8");
    assert!(!text.contains(&token), "the token leaked: {text}");
    for c in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'] {
        assert!(!text.contains(c), "{c:?} written raw");
    }
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let types: Vec<&str> = lines.iter().filter_map(|l| l["type"].as_str()).collect();
    assert_eq!(
        types,
        [
            "transcript",
            "connecting",
            "open",
            "message",
            "message",
            "message",
            "closed"
        ]
    );
    assert_eq!(lines[0]["endpoint"], "notifications");
    // Every line names its profile, as `tail` lines do.
    assert!(
        lines.iter().all(|l| l["profile"] == "demo-sandra"),
        "{lines:?}"
    );
    // The escaped text still decodes to exactly what the server sent.
    assert_eq!(
        lines[5]["data"],
        "evil \u{1b}]0;title\u{7} \u{9b}31m \u{202e}"
    );
    assert!(
        lines[4]["data"]
            .as_str()
            .unwrap_or("")
            .starts_with("you are ")
    );
    assert_eq!(lines[6]["code"], 1006);
    assert!(lines[6]["diagnosis"].is_object(), "{}", lines[6]);
    // Timestamps are RFC 3339 and in order.
    let ts: Vec<&str> = lines[1..].iter().filter_map(|l| l["ts"].as_str()).collect();
    assert_eq!(ts.len(), lines.len() - 1);
    assert!(ts.windows(2).all(|w| w[0] <= w[1]), "{ts:?}");
}

fn decode_osc52(seq: &str) -> String {
    let data = seq
        .strip_prefix("\u{1b}]52;c;")
        .and_then(|s| s.strip_suffix("\u{1b}\\"))
        .expect("an OSC 52 sequence");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("base64");
    String::from_utf8(bytes).expect("utf-8")
}

#[tokio::test]
async fn y_copies_reproduce_commands_with_the_token_only_when_confirmed() {
    let (mut app, _tx) = detached("demo-sandra", at(0));
    let token = app.active.token.clone().expect("demo token");
    let token = token.expose().to_string();
    // `n` (and Enter, Esc) redact.
    let (screen, clipboard) = drive_clipboard(&mut app, 110, 34, vec![key('Y')]).await;
    assert!(screen.contains("Include the token"), "{screen}");
    assert!(clipboard.is_empty(), "nothing copied before the answer");
    let (screen, clipboard) = drive_clipboard(&mut app, 110, 34, vec![key('n')]).await;
    assert!(screen.contains("token redacted"), "{screen}");
    let commands = decode_osc52(&String::from_utf8(clipboard).expect("utf-8"));
    let lines: Vec<&str> = commands.lines().collect();
    assert_eq!(lines.len(), 2, "{commands}");
    assert!(
        lines[0].starts_with("websocat 'ws://127.0.0.1:8000/ws/notifications/?token="),
        "{commands}"
    );
    assert!(
        lines[1].starts_with("curl -i -H 'Authorization: Token "),
        "{commands}"
    );
    assert!(
        lines[1].ends_with(" http://127.0.0.1:8000/api/notifications/"),
        "{commands}"
    );
    assert!(!commands.contains(&token), "{commands}");
    assert!(commands.contains('…'), "{commands}");

    // `y` includes it.
    let keys = vec![key('Y'), key('y')];
    let (screen, clipboard) = drive_clipboard(&mut app, 110, 34, keys).await;
    assert!(screen.contains("token included"), "{screen}");
    let commands = decode_osc52(&String::from_utf8(clipboard).expect("utf-8"));
    assert!(
        commands.contains(&format!("/ws/notifications/?token={token}'")),
        "{commands}"
    );
    assert!(
        commands.contains(&format!("'Authorization: Token {token}'")),
        "{commands}"
    );
}

#[tokio::test]
async fn the_profiles_file_reloads_while_the_dashboard_runs() {
    let closes_a = Arc::new(Mutex::new(Vec::new()));
    let a = ws_server(None, send_then_echo_close(vec![], closes_a.clone())).await;
    let b = ws_server(None, send_then_echo_close(vec![], Default::default())).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("profiles.toml");
    std::fs::write(&path, profiles_text(a.addr, "")).expect("write");
    let config = wsmon::config::paths::load_file(&path).expect("load");
    let mut app = start(config);
    app.watch_config(path.clone(), Duration::from_millis(50));
    let (keys, input) = live_input();
    let task = spawn_loop(app, input);
    wait_for("profile p on server a", LIMIT, || {
        a.accepted.load(Ordering::SeqCst) == 1
    })
    .await;

    // A relevant change: the endpoint moves to server b.
    std::fs::write(&path, profiles_text(b.addr, "")).expect("write");
    wait_for("the session to move to server b", LIMIT, || {
        b.accepted.load(Ordering::SeqCst) == 1
    })
    .await;
    let closes = closes_a.lock().await.clone();
    assert_eq!(closes[0].as_ref().map(|f| u16::from(f.code)), Some(1000));

    // An irrelevant one (another profile added): the session stays.
    let other = r#"
[profiles.other]
server = "http://127.0.0.1:9"
[[profiles.other.endpoints]]
name = "x"
url = "ws://127.0.0.1:9/"
"#;
    std::fs::write(&path, profiles_text(b.addr, other)).expect("write");
    tokio::time::sleep(Duration::from_millis(1000)).await;

    // An invalid edit: reported with line:column, nothing changes.
    let broken =
        profiles_text(b.addr, other).replace(r#"pong_timeout = "5s""#, r#"pong_timeout = "soon""#);
    std::fs::write(&path, broken).expect("write");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    keys.send(key('q')).expect("loop running");
    let (app, terminal) = tokio::time::timeout(LIMIT, task)
        .await
        .expect("quit in time")
        .expect("loop task");
    let screen = screen(&terminal);
    assert!(
        screen.contains("profiles file not reloaded, running config kept: profiles.toml:6:16"),
        "{screen}"
    );
    assert_eq!(b.accepted.load(Ordering::SeqCst), 1, "sessions were kept");
    assert_eq!(a.accepted.load(Ordering::SeqCst), 1);
    // The valid edit before it was taken: the picker has both profiles.
    let names: Vec<&str> = app
        .config
        .profiles
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["p", "other"]);
    assert!(
        app.model.sessions[0]
            .shown_url
            .contains(&b.addr.to_string())
    );
}

async fn wsmon(args: &[&str], env: &[(&str, &Path)]) -> std::process::Output {
    let mut command = tokio::process::Command::new(BIN);
    command.args(args).env_remove("WSMON_CONFIG");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().await.expect("run wsmon")
}

#[tokio::test]
async fn completions_and_the_man_page_print_and_help_shows_the_log_file() {
    for (shell, marker) in [
        ("bash", "_wsmon()"),
        ("zsh", "#compdef wsmon"),
        ("fish", "complete -c wsmon"),
    ] {
        let out = wsmon(&["completions", shell], &[]).await;
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(marker), "{shell}: {text}");
        assert!(text.contains("tail") && text.contains("send"), "{shell}");
    }
    let out = wsmon(&["man"], &[]).await;
    assert!(out.status.success());
    let man = String::from_utf8_lossy(&out.stdout);
    assert!(man.contains(".TH wsmon 1"), "{man}");
    assert!(man.contains("completions"), "{man}");
    // --metrics is for the long-running commands only.
    let out = wsmon(&["--metrics", "127.0.0.1:0", "man"], &[]).await;
    assert_eq!(out.status.code(), Some(2));

    let dir = tempfile::tempdir().expect("tempdir");
    let out = wsmon(&["--help"], &[("XDG_STATE_HOME", dir.path())]).await;
    let help = String::from_utf8_lossy(&out.stdout);
    let log = dir.path().join("wsmon").join("wsmon.log");
    assert!(
        help.contains(&format!("[default: {}]", log.display())),
        "{help}"
    );
    assert!(help.contains("--log-level"), "{help}");
}

#[tokio::test]
async fn help_fits_80_by_24_with_the_tool_keys() {
    let (mut app, _tx) = detached("demo-sandra", at(0));
    let screen = drive(&mut app, 80, 24, vec![key('?')]).await;
    for k in [
        "Ctrl-C",
        "send a text frame",
        "export the session",
        "websocat",
        "closes this help",
    ] {
        assert!(screen.contains(k), "{k} missing from help:\n{screen}");
    }
}

#[test]
fn reproduce_commands_carry_headers_subprotocols_and_tls_options() {
    let config = parse(&format!(
        r#"default_profile = "p"
[profiles.p]
server = "https://api.example.com"
token = "{TOKEN}"
auth_scheme = "Bearer"
token_check = "/api/me/"
insecure = true
[[profiles.p.endpoints]]
name = "graphql"
url = "wss://api.example.com/graphql"
headers = {{ Authorization = "Bearer {{token}}", Origin = "https://app.example.com" }}
subprotocols = ["graphql-transport-ws"]
"#
    ));
    let active = config.profiles[0].activate().expect("activate");
    let tls = &config.profiles[0].tls;
    let redacted = wsmon::app::reproduce::commands(&active, tls, 0, false);
    assert!(!redacted.contains(TOKEN), "{redacted}");
    assert_eq!(
        redacted.lines().next(),
        Some(
            "websocat -k -H 'Authorization: Bearer 9f86d08188…' -H 'Origin: https://app.example.com' \
             --protocol graphql-transport-ws wss://api.example.com/graphql"
        ),
        "{redacted}"
    );
    assert!(
        redacted.contains(
            "curl -i -k -H 'Authorization: Bearer 9f86d08188…' https://api.example.com/api/me/"
        ),
        "{redacted}"
    );
    let full = wsmon::app::reproduce::commands(&active, tls, 0, true);
    assert!(
        full.contains(&format!("-H 'Authorization: Bearer {TOKEN}' -H")),
        "{full}"
    );
    assert!(
        full.contains(&format!("-H 'Authorization: Bearer {TOKEN}' https://")),
        "{full}"
    );
}

#[tokio::test]
async fn a_paste_goes_into_the_composer_whole_newlines_included() {
    let (mut app, _tx) = detached("demo-sandra", at(0));
    let paste = crossterm::event::Event::Paste("{\"a\": 1,\r\n \"b\": 2}".into());
    let screen = drive(&mut app, 110, 34, vec![key('i'), paste]).await;
    assert_eq!(
        app.composer.as_ref().map(|c| c.text.as_str()),
        Some("{\"a\": 1,\n \"b\": 2}"),
        "the newline did not send"
    );
    assert!(screen.contains("{\"a\": 1,␊ \"b\": 2}"), "{screen}");
    // Outside the composer and the filter, a paste does nothing.
    let (mut app, _tx) = detached("demo-sandra", at(0));
    let paste = crossterm::event::Event::Paste("q".into());
    drive(&mut app, 110, 34, vec![paste]).await;
    assert!(!app.quit && app.composer.is_none());
}
