//! "What the server logged": the real `wsmon check` follows Daphne's real
//! log file (`server_log`) and pins to each failed attempt the lines
//! logged around it: a path typo's 500 arrives with Channels'
//! `ValueError: No route found for path …` traceback, the crashing
//! consumer's with its own; and an attempt answered by another Daphne
//! than the one whose log is followed is named as having left no line.

mod django_support;

use std::path::{Path, PathBuf};

use django_support::{Db, SANDRA, Server, wsmon};
use serde_json::Value;

fn profiles(dir: &Path, server: &str, log: &Path, endpoints: &[(&str, &str)]) -> PathBuf {
    let mut text = format!(
        r#"default_profile = "me"

[settings]
connect_timeout = "20s"

[profiles.me]
server = "{server}"
token = "{SANDRA}"
server_log = "{}"
"#,
        log.display()
    );
    for (name, url) in endpoints {
        text.push_str(&format!(
            "\n[[profiles.me.endpoints]]\nname = \"{name}\"\nurl = \"{url}\"\n"
        ));
    }
    let path = dir.join("profiles.toml");
    std::fs::write(&path, text).expect("write profiles.toml");
    path
}

async fn check(config: &Path, args: &[&str]) -> String {
    let out = wsmon(config)
        .arg("check")
        .args(args)
        .output()
        .await
        .expect("run wsmon check");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pinned(e: &Value) -> Vec<String> {
    e["diagnosis"]["server_log"]
        .as_array()
        .unwrap_or_else(|| panic!("no diagnosis.server_log: {e:#}"))
        .iter()
        .filter_map(|l| l.as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn a_500_arrives_with_the_traceback_daphne_logged() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(
        dir.path(),
        &daphne.base(),
        daphne.log_file(),
        &[
            ("typo", "{ws}/ws/notification/?token={token}"),
            ("crash", "{ws}/ws/crash/?token={token}"),
        ],
    );
    let out = check(&config, &["--format", "json"]).await;
    let report: Value = serde_json::from_str(&out).expect("JSON");
    let typo = &report["endpoints"][0];
    assert_eq!(typo["handshake_status"], 500, "{typo:#}");
    let lines = pinned(typo);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Traceback (most recent call last)")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("ValueError: No route found for path 'ws/notification/'")),
        "{lines:#?}"
    );
    // The other endpoint's traceback is not pinned to this one.
    assert!(!lines.iter().any(|l| l.contains("ws/crash/")), "{lines:#?}");
    let crash = &report["endpoints"][1];
    let lines = pinned(crash);
    assert!(
        lines.iter().any(|l| l.contains("WSCONNECTING /ws/crash/")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("RuntimeError: connect() crashed on purpose")),
        "{lines:#?}"
    );
    // The typo's traceback names its path: not this attempt's.
    assert!(
        !lines.iter().any(|l| l.contains("No route found")),
        "{lines:#?}"
    );
    // The text report shows the lines, the token never.
    let text = check(&config, &[]).await;
    assert!(
        text.contains("server log:")
            && text.contains("| ValueError: No route found for path 'ws/notification/'"),
        "{text}"
    );
    assert!(!text.contains(SANDRA) && !out.contains(SANDRA));
}

#[tokio::test]
async fn an_attempt_the_followed_daphne_never_logged_went_elsewhere() {
    let db = Db::fresh();
    let followed = Server::daphne(&db);
    let other = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let elsewhere = format!(
        "ws://127.0.0.1:{}/ws/strict/notifications/?token={{token}}",
        other.port
    );
    let config = profiles(
        dir.path(),
        &followed.base(),
        followed.log_file(),
        &[
            ("here", "{ws}/ws/notifications/?token={token}"),
            ("elsewhere", &elsewhere),
        ],
    );
    let out = check(&config, &["--format", "json"]).await;
    let report: Value = serde_json::from_str(&out).expect("JSON");
    let here = &report["endpoints"][0];
    assert_eq!(here["state"], "open", "{here:#}");
    let gone = &report["endpoints"][1];
    assert_eq!(gone["handshake_status"], 403, "{gone:#}");
    let summary = gone["diagnosis"]["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("Daphne, which logs every WebSocket connection")
            && summary.contains("no line for this attempt to /ws/strict/notifications/"),
        "{summary}"
    );
}
