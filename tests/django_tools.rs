//! The everyday tools against the real Django Channels test server
//! (Daphne, DRF TokenAuthentication, `tests/django/`): `wsmon send` sends a
//! frame on a real authenticated socket and prints a notification pushed
//! through the REST API meanwhile; the dashboard's `e` exports a
//! transcript of a real session with the token scrubbed, even from a
//! notification that quotes it.

mod common;
mod django_support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::dash::{key, live_input, screen, spawn_loop, wait_for};
use django_support::{Db, SANDRA, Server};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use wsmon::app::App;

const BIN: &str = env!("CARGO_BIN_EXE_wsmon");
/// Generous: a loaded 2-core machine runs Python slowly.
const LIMIT: Duration = Duration::from_secs(60);

fn profiles(dir: &Path, server: &str) -> PathBuf {
    let text = format!(
        r#"default_profile = "me"

[settings]
connect_timeout = "20s"
ping_interval = "5s"
pong_timeout = "20s"

[profiles.me]
server = "{server}"
token = "{SANDRA}"
token_check = "/api/notifications/"

[[profiles.me.endpoints]]
name = "notifications"
url = "{{ws}}/ws/notifications/?token={{token}}"
"#
    );
    let path = dir.join("profiles.toml");
    std::fs::write(&path, text).expect("write profiles.toml");
    path
}

#[tokio::test]
async fn wsmon_send_on_a_real_channels_socket_prints_what_arrives() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(dir.path(), &daphne.base());
    let mut child = tokio::process::Command::new(BIN)
        .arg("--config")
        .arg(&config)
        .arg("--log-file")
        .arg(dir.path().join("wsmon.log"))
        .args(["send", "--wait", "8s", r#"{"type": "hello"}"#])
        .env_remove("WSMON_CONFIG")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start wsmon send");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen: Vec<Value> = Vec::new();
    let mut next_of = async |kind: &str, seen: &mut Vec<Value>| -> Value {
        tokio::time::timeout(LIMIT, async {
            while let Some(line) = lines.next_line().await.expect("read") {
                let v: Value = serde_json::from_str(&line).expect("a JSON line");
                seen.push(v.clone());
                if v["type"] == kind {
                    return v;
                }
            }
            panic!("wsmon send ended before a {kind} line: {seen:?}");
        })
        .await
        .unwrap_or_else(|_| panic!("no {kind} line in time"))
    };
    let sent = next_of("sent", &mut seen).await;
    assert_eq!(sent["outcome"], "sent");
    assert_eq!(sent["data"], r#"{"type": "hello"}"#);
    let (status, body) = daphne.post(
        "/api/notifications/",
        SANDRA,
        r#"{"message": "Pushed while wsmon send waits"}"#,
    );
    assert_eq!(status, 201, "{body}");
    let message = next_of("message", &mut seen).await;
    let data: Value =
        serde_json::from_str(message["data"].as_str().expect("text")).expect("JSON data");
    assert_eq!(data["message"], "Pushed while wsmon send waits");
    let closed = next_of("closed", &mut seen).await;
    assert_eq!(closed["code"], 1000);
    assert_eq!(closed["clean"], true);
    let status = tokio::time::timeout(LIMIT, child.wait())
        .await
        .expect("send ends after --wait")
        .expect("wait");
    assert_eq!(status.code(), Some(0));
    let text: String = seen.iter().map(Value::to_string).collect();
    assert!(!text.contains(SANDRA), "the token leaked: {text}");
}

#[tokio::test]
async fn e_exports_a_real_session_with_the_token_scrubbed() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = profiles(dir.path(), &daphne.base());
    let config = wsmon::config::paths::load_file(&path).expect("load");
    let active = config.profiles[0].activate().expect("activate");
    let mut app = App::start(config, 0, active);
    app.export_dir = Some(dir.path().join("exports"));
    let (keys, input) = live_input();
    let task = spawn_loop(app, input);
    // The socket is open once the REST push reaches it: retry the push
    // until the export has the message (a push before the open is lost).
    let exports = dir.path().join("exports");
    let quoted = format!("your token is {SANDRA} \u{1b}[2J");
    let body = serde_json::json!({ "message": quoted }).to_string();
    let mut found = None;
    let deadline = tokio::time::Instant::now() + LIMIT;
    while found.is_none() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no exported message"
        );
        let (status, answer) = daphne.post("/api/notifications/", SANDRA, &body);
        assert_eq!(status, 201, "{answer}");
        tokio::time::sleep(Duration::from_millis(500)).await;
        keys.send(key('e')).expect("loop running");
        let dir = exports.clone();
        wait_for("an export", Duration::from_secs(10), || {
            std::fs::read_dir(&dir).is_ok_and(|d| d.count() > 0)
        })
        .await;
        for entry in std::fs::read_dir(&exports).expect("exports") {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
            if text.contains(r#""type":"message""#) {
                found = Some(text);
            }
        }
    }
    // `q` at once: any other key would clear the `saved` notice first.
    keys.send(key('q')).expect("loop running");
    let (_app, terminal) = tokio::time::timeout(LIMIT, task)
        .await
        .expect("quit in time")
        .expect("loop task");
    let text = found.unwrap_or_default();
    assert!(!text.contains(SANDRA), "the token leaked: {text}");
    assert!(!text.contains('\u{1b}'), "raw ESC written: {text}");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let types: Vec<&str> = lines.iter().filter_map(|l| l["type"].as_str()).collect();
    assert_eq!(
        types[..3],
        ["transcript", "connecting", "open"],
        "{types:?}"
    );
    let message = lines
        .iter()
        .find(|l| l["type"] == "message")
        .expect("a message");
    let data: Value =
        serde_json::from_str(message["data"].as_str().expect("text")).expect("JSON data");
    let shown = data["message"].as_str().unwrap_or("");
    assert!(shown.starts_with("your token is aec8e0e9a0…"), "{shown}");
    assert!(shown.ends_with("\u{1b}[2J"), "escaped, not lost: {shown:?}");
    assert!(screen(&terminal).contains("saved"), "{}", screen(&terminal));
}
