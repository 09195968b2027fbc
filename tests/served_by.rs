//! "Who listens": the real `wsmon` binary names the process listening on a
//! local endpoint's port (`served_by` in `check --format json`, `served
//! by:` in its text, a `server_restarted` line in `tail`) and reads it
//! into the diagnosis, against the real Django project of `tests/django/`
//! under runserver (WSGI and Daphne's), Daphne, and a real listener whose
//! command line carries the profile's token.

mod django_support;
mod real;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use django_support::{Db, SANDRA, Server, wsmon};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

const EVENT_TIMEOUT: Duration = Duration::from_secs(60);

fn profiles(dir: &Path, server: &str, token: &str) -> PathBuf {
    let text = format!(
        r#"default_profile = "me"

[settings]
connect_timeout = "20s"
reconnect_min = "100ms"
reconnect_max = "300ms"

[profiles.me]
server = "{server}"
token = "{token}"

[[profiles.me.endpoints]]
name = "notifications"
url = "{{ws}}/ws/notifications/?token={{token}}"
"#
    );
    let path = dir.join("profiles.toml");
    std::fs::write(&path, text).expect("write profiles.toml");
    path
}

/// `wsmon check` with `args`: exit code and stdout.
async fn check(config: &Path, args: &[&str]) -> (i32, String) {
    let out = wsmon(config)
        .arg("check")
        .args(args)
        .output()
        .await
        .expect("run wsmon check");
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

async fn check_json(config: &Path) -> (i32, Value) {
    let (code, out) = check(config, &["--format", "json"]).await;
    let report =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("check printed no JSON ({e}): {out}"));
    (code, report)
}

#[tokio::test]
async fn runserver_without_daphne_is_named_and_blamed() {
    let db = Db::fresh();
    let server = Server::runserver(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(dir.path(), &server.base(), SANDRA);
    let (code, report) = check_json(&config).await;
    assert_eq!(code, 1, "{report:#}");
    let e = &report["endpoints"][0];
    let who = &e["served_by"];
    assert_eq!(who["pid"].as_u64(), server.pid().map(u64::from), "{e:#}");
    let command = who["command"].as_str().unwrap_or_default();
    assert!(
        command.contains("manage.py runserver --noreload"),
        "{command}"
    );
    assert!(who["user"].is_string(), "{who}");
    let summary = e["diagnosis"]["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("Server side: Served by Django's runserver")
            && summary.contains(&format!("(pid {}", server.pid().unwrap_or_default())),
        "{summary}"
    );
    let first_fix = e["diagnosis"]["fixes"][0].as_str().unwrap_or_default();
    assert!(
        first_fix.contains("\"daphne\" first in INSTALLED_APPS"),
        "{first_fix}"
    );
    // The text report says it too.
    let (_, text) = check(&config, &[]).await;
    assert!(
        text.contains("served by: ") && text.contains("manage.py runserver"),
        "{text}"
    );
}

#[tokio::test]
async fn runserver_with_daphne_and_daphne_itself_serve_and_are_named() {
    let db = Db::fresh();
    let asgi = Server::runserver_asgi(&db);
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    for (server, words) in [(&asgi, "manage.py runserver"), (&daphne, "-m daphne")] {
        let config = profiles(dir.path(), &server.base(), SANDRA);
        let (code, report) = check_json(&config).await;
        let e = &report["endpoints"][0];
        assert_eq!(code, 0, "{report:#}");
        assert_eq!(e["diagnosis"]["kind"], "ok", "{e:#}");
        assert_eq!(e["served_by"]["pid"].as_u64(), server.pid().map(u64::from));
        let command = e["served_by"]["command"].as_str().unwrap_or_default();
        assert!(command.contains(words), "{command}");
    }
}

/// A port nothing listens on, next to `port`, on loopback.
fn closed_port_near(port: u16) -> u16 {
    (1..=5)
        .flat_map(|d| [port.checked_add(d), port.checked_sub(d)])
        .flatten()
        .find(|p| TcpStream::connect(("127.0.0.1", *p)).is_err())
        .expect("a closed port near the server's")
}

#[tokio::test]
async fn a_closed_port_with_daphne_nearby_points_at_daphnes_port() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let port = closed_port_near(daphne.port);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(dir.path(), &format!("http://127.0.0.1:{port}"), SANDRA);
    let (code, report) = check_json(&config).await;
    assert_eq!(code, 1);
    let e = &report["endpoints"][0];
    assert_eq!(e["diagnosis"]["kind"], "connection_refused", "{e:#}");
    assert_eq!(e["served_by"], Value::Null, "nothing listens on {port}");
    let summary = e["diagnosis"]["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains(&format!("Nothing listens on port {port}"))
            && summary.contains(&format!("listens on port {} nearby", daphne.port))
            && summary.contains("daphne"),
        "{summary}"
    );
    let first_fix = e["diagnosis"]["fixes"][0].as_str().unwrap_or_default();
    assert!(
        first_fix.contains(&format!("use port {}", daphne.port)),
        "{first_fix}"
    );
}

#[tokio::test]
async fn a_token_in_the_listeners_command_line_is_redacted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = dir.path().join(format!("share-{SANDRA}"));
    std::fs::create_dir_all(&served).expect("mkdir");
    // A real HTTP server (no WebSocket) whose argv holds the token.
    let server = real::Proc::on_free_port("python http.server", |port| {
        let mut cmd = std::process::Command::new(django_support::python());
        cmd.args(["-m", "http.server", "--bind", "127.0.0.1", "--directory"])
            .arg(&served)
            .arg(port.to_string());
        (cmd, dir.path().join(format!("http-{port}.log")))
    });
    let config = profiles(dir.path(), &server.http(), SANDRA);
    let (_, report) = check_json(&config).await;
    let command = report["endpoints"][0]["served_by"]["command"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(command.contains("http.server"), "{report:#}");
    assert!(!command.contains(SANDRA), "{command}");
    let (_, text) = check(&config, &[]).await;
    assert!(!text.contains(SANDRA), "{text}");
}

#[tokio::test]
async fn a_new_pid_on_the_port_is_reported_as_a_restart() {
    let db = Db::fresh();
    let mut first = Server::daphne(&db);
    let old = first.pid().expect("pid");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(dir.path(), &first.base(), SANDRA);
    let mut child = wsmon(&config)
        .arg("tail")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start wsmon tail");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = Vec::new();
    let mut until = async |want: &dyn Fn(&Value) -> bool| -> Value {
        let found = tokio::time::timeout(EVENT_TIMEOUT, async {
            while let Some(line) = lines.next_line().await.expect("read tail") {
                let v: Value = serde_json::from_str(&line).expect("JSON line");
                seen.push(v.clone());
                if want(&v) {
                    return Some(v);
                }
            }
            None
        })
        .await;
        found
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("tail printed:\n{seen:#?}"))
    };
    until(&|v| v["type"] == "open").await;
    let who = until(&|v| v["type"] == "served_by").await;
    assert_eq!(
        who["served_by"]["pid"].as_u64(),
        Some(u64::from(old)),
        "{who:#}"
    );
    // Crash and restart on the same port, as an autoreloader does.
    first.kill();
    let closed = until(&|v| v["type"] == "closed").await;
    assert_eq!(closed["code"], 1006, "{closed:#}");
    let summary = closed["diagnosis"]["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("Server side:") && summary.contains(&format!("pid {old}")),
        "{closed:#}"
    );
    let second = Server::daphne_on(&db, first.port);
    let new = second.pid().expect("pid");
    let restarted = until(&|v| v["type"] == "server_restarted").await;
    assert_eq!(restarted["from"]["pid"].as_u64(), Some(u64::from(old)));
    assert_eq!(restarted["to"]["pid"].as_u64(), Some(u64::from(new)));
    let _ = child.kill().await;
}
