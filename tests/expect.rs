//! Silence and content rules (`expect_message_within`,
//! `[[endpoints.expect]]`) against the real Django Channels project of
//! `tests/django/` under Daphne: a socket that opens and hears nothing is
//! `silent` in `tail` and degrades `check --watch`; a notification posted
//! through the real REST API is judged by the rules (matched / violated,
//! the violating message kept).

mod django_support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use django_support::{Db, SANDRA, Server, wsmon};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

fn profiles(dir: &Path, server: &str, expect: &str) -> PathBuf {
    let text = format!(
        r#"default_profile = "me"

[settings]
connect_timeout = "20s"

[profiles.me]
server = "{server}"
token = "{SANDRA}"

[[profiles.me.endpoints]]
name = "notifications"
url = "{{ws}}/ws/notifications/?token={{token}}"
{expect}
"#
    );
    let path = dir.join("profiles.toml");
    std::fs::write(&path, text).expect("write profiles.toml");
    path
}

/// Waits (polling the server's log, with a deadline) until Daphne logged
/// the socket's connect.
fn wait_connected(server: &Server) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !server.log_text().contains("WSCONNECT /ws/notifications/") {
        assert!(
            Instant::now() < deadline,
            "no WSCONNECT:\n{}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn a_socket_that_hears_nothing_is_silent_in_tail_until_a_message() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(
        dir.path(),
        &daphne.base(),
        "expect_message_within = \"1s\"\n",
    );
    let mut tail = wsmon(&config)
        .arg("tail")
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .expect("start wsmon tail");
    let mut lines = BufReader::new(tail.stdout.take().expect("stdout")).lines();
    let mut next = async |kind: &str| -> Value {
        tokio::time::timeout(Duration::from_secs(60), async {
            while let Ok(Some(line)) = lines.next_line().await {
                let v: Value = serde_json::from_str(&line).expect("a JSON line");
                if v["type"] == kind {
                    return v;
                }
            }
            panic!("tail ended before a {kind} line");
        })
        .await
        .unwrap_or_else(|_| panic!("no {kind} line within 60 s"))
    };
    next("open").await;
    let silent = next("silent").await;
    assert_eq!(silent["endpoint"], "notifications");
    assert_eq!(silent["last_message_at"], Value::Null, "{silent}");
    assert!(
        silent["silent_for_ms"].as_u64().is_some_and(|ms| ms > 1000),
        "{silent}"
    );
    let summary = silent["summary"].as_str().unwrap_or_default();
    assert!(
        summary.starts_with("open but silent for ")
            && summary.contains("no message since it opened"),
        "{summary}"
    );
    // A real notification ends the silence; the next one names it.
    let (status, body) = daphne.post("/api/notifications/", SANDRA, r#"{"message": "hello"}"#);
    assert_eq!(status, 201, "{body}");
    next("message").await;
    let again = next("silent").await;
    assert!(again["last_message_at"].is_string(), "{again}");
    let _ = tail.kill().await;
}

#[tokio::test]
async fn rules_count_real_notifications_and_keep_the_violating_one() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = "[[profiles.me.endpoints.expect]]\npath = \"title\"\nregex = \".\"\n\
                 [[profiles.me.endpoints.expect]]\npath = \"message\"\ntype = \"string\"\n\
                 [[profiles.me.endpoints.expect]]\npath = \"id\"\ntype = \"number\"\n";
    let config = profiles(dir.path(), &daphne.base(), rules);
    let check = wsmon(&config)
        .args(["check", "--watch", "6s", "--format", "json"])
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .expect("start wsmon check --watch");
    // Blocking is fine here: the child runs on its own.
    wait_connected(&daphne);
    let (status, body) = daphne.post("/api/notifications/", SANDRA, r#"{"message": "hello"}"#);
    assert_eq!(status, 201, "{body}");
    let out = check.wait_with_output().await.expect("check's output");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    let expect = &report["endpoints"][0]["expect"];
    let counts: Vec<(String, u64, u64)> = (expect["rules"].as_array().into_iter().flatten())
        .map(|r| {
            (
                r["rule"].as_str().unwrap_or_default().to_string(),
                r["matched"].as_u64().unwrap_or(99),
                r["violated"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            ("title ~ /./".to_string(), 0, 1),
            ("message: string".to_string(), 1, 0),
            ("id: number".to_string(), 1, 0),
        ],
        "{expect:#}"
    );
    let last = &expect["last_violation"];
    assert_eq!(last["why"], "title is missing");
    assert!(
        last["message"]
            .as_str()
            .unwrap_or_default()
            .contains("\"message\": \"hello\""),
        "{last:#}"
    );
    let reasons = report["health"]["reasons"].to_string();
    assert!(
        reasons.contains("content: 1 message on notifications broke `title ~ /./`"),
        "{reasons}"
    );
}
