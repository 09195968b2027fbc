//! Several users live at once, and the isolation probe, against the real
//! Django Channels project of `tests/django/` under Daphne: `sandra` and
//! `omar` with their fixed DRF tokens.
//!
//! - Two profiles with the same endpoint name run together: `tail` lines
//!   carry each one's `"profile"`, a notification for omar arrives on
//!   omar's socket only, and `check` reports both.
//! - The isolation probe (`[profiles.sandra.probe] isolation = ["omar"]`)
//!   passes on the per-user endpoint (`ws/notifications/`, one group per
//!   user) and reports `leaked`, naming omar's endpoint, on the broadcast
//!   one (`ws/broadcast/`, one group for every user: the bug), where
//!   `check --probe` exits 1; with omar's socket refused it is
//!   `unproven`, never a pass.
//!
//! The first run builds a Python venv under `target/tmp/django-venv` (see
//! `tests/django_support/mod.rs`); python3 and PyPI must be reachable then.

mod django_support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use django_support::{Db, OMAR, SANDRA, Server, UNKNOWN, wsmon};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

/// Generous: a loaded 2-core machine runs Python slowly.
const EVENT_TIMEOUT: Duration = Duration::from_secs(60);

/// A profiles file with `sandra` and `omar` on `server`, each with one
/// endpoint `name` at `path` (`ws/notifications/` or `ws/broadcast/`);
/// `probe` (TOML lines) goes under `[profiles.sandra.probe]` when given.
fn profiles(dir: &Path, server: &str, name: &str, path: &str, probe: Option<&str>) -> PathBuf {
    profiles_as(dir, server, name, path, probe, OMAR)
}

/// [`profiles`] with `omar_token` as omar's token.
fn profiles_as(
    dir: &Path,
    server: &str,
    name: &str,
    path: &str,
    probe: Option<&str>,
    omar_token: &str,
) -> PathBuf {
    let mut text = String::from(
        r#"default_profile = "sandra"

[settings]
connect_timeout = "20s"
ping_interval = "5s"
pong_timeout = "20s"
reconnect_min = "100ms"
reconnect_max = "500ms"
"#,
    );
    for (user, token) in [("sandra", SANDRA), ("omar", omar_token)] {
        text.push_str(&format!(
            r#"
[profiles.{user}]
server = "{server}"
token = "{token}"
token_check = "/api/notifications/"

[[profiles.{user}.endpoints]]
name = "{name}"
url = "{{ws}}/{path}?token={{token}}"
"#
        ));
    }
    if let Some(probe) = probe {
        text.push_str(&format!("\n[profiles.sandra.probe]\n{probe}\n"));
    }
    let file = dir.join("profiles.toml");
    std::fs::write(&file, text).expect("write profiles.toml");
    file
}

/// `wsmon ARGS`: the exit code, stdout as JSON, stderr.
async fn json_of(config: &Path, args: &[&str]) -> (i32, Value) {
    let out = wsmon(config).args(args).output().await.expect("run wsmon");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?} printed no JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exit code"), value)
}

/// A running `wsmon tail`, read line by line.
struct Tail {
    _child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    seen: Vec<Value>,
}

impl Tail {
    fn start(config: &Path, args: &[&str]) -> Tail {
        let mut child = wsmon(config)
            .args(args)
            .arg("tail")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start wsmon tail");
        let stdout = child.stdout.take().expect("tail stdout");
        Tail {
            _child: child,
            lines: BufReader::new(stdout).lines(),
            seen: Vec::new(),
        }
    }

    /// The next line for which `want` holds (every line is kept in `seen`).
    async fn until(&mut self, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        let found = tokio::time::timeout(EVENT_TIMEOUT, async {
            while let Some(line) = self.lines.next_line().await.expect("read tail") {
                let v: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("tail line is not JSON ({e}): {line}"));
                self.seen.push(v.clone());
                if want(&v) {
                    return Some(v);
                }
            }
            None
        })
        .await;
        let dump = || {
            (self.seen.iter())
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        };
        match found {
            Ok(Some(v)) => v,
            Ok(None) => panic!("tail ended before {what}; it printed:\n{}", dump()),
            Err(_) => panic!(
                "no {what} within {EVENT_TIMEOUT:?}; tail printed:\n{}",
                dump()
            ),
        }
    }
}

#[tokio::test]
async fn two_profiles_live_at_once_in_tail_and_check() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    // The same endpoint name in both: sessions are keyed by profile too.
    let config = profiles(
        dir.path(),
        &daphne.base(),
        "notifications",
        "ws/notifications/",
        None,
    );
    let mut tail = Tail::start(&config, &["--profiles", "sandra,omar"]);
    let opened = |tail: &Tail, user: &str| {
        (tail.seen.iter()).any(|v| v["type"] == "open" && v["profile"] == user)
    };
    while !(opened(&tail, "sandra") && opened(&tail, "omar")) {
        tail.until("both profiles' open lines", |v| v["type"] == "open")
            .await;
    }
    // Every line names its profile.
    assert!(
        tail.seen.iter().all(|v| v["profile"].is_string()),
        "{:?}",
        tail.seen
    );
    let (status, body) = daphne.post(
        "/api/notifications/",
        OMAR,
        r#"{"message": "for omar only"}"#,
    );
    assert_eq!(status, 201, "{body}");
    let message = tail
        .until("omar's notification", |v| v["type"] == "message")
        .await;
    assert_eq!(message["profile"], "omar", "{message}");
    assert_eq!(message["endpoint"], "notifications");
    assert!(
        message["data"]
            .as_str()
            .unwrap_or("")
            .contains("for omar only")
    );
    // Both token checks, each under its profile.
    for user in ["sandra", "omar"] {
        assert!(
            (tail.seen.iter()).any(|v| v["type"] == "token_check"
                && v["profile"] == user
                && v["verdict"] == "valid"),
            "{user}: {:?}",
            tail.seen
        );
    }

    let (code, report) = json_of(
        &config,
        &["--profiles", "sandra,omar", "check", "--format", "json"],
    )
    .await;
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["healthy"], true);
    let reports = report["profiles"]
        .as_array()
        .expect("one report per profile");
    let names: Vec<&str> = reports
        .iter()
        .filter_map(|r| r["profile"].as_str())
        .collect();
    assert_eq!(names, ["sandra", "omar"]);
    for r in reports {
        assert_eq!(r["token_check"]["verdict"], "valid", "{r:#}");
        let e = &r["endpoints"][0];
        assert_eq!(
            (e["state"].as_str(), e["profile"].as_str()),
            (Some("open"), r["profile"].as_str())
        );
    }
}

/// The probe of sandra's profile on `path` (the REST view that pushes).
fn probe(path: &str) -> String {
    format!(
        "path = \"{path}\"\nbody = '{{\"message\": \"wsmon probe {{nonce}}\"}}'\nevery = \"60s\"\ntimeout = \"10s\"\nisolation = [\"omar\"]"
    )
}

#[tokio::test]
async fn the_isolation_probe_passes_per_user_and_names_the_leak_of_a_broadcast() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);

    // Per-user groups: sandra's notification reaches sandra only. Only
    // sandra is named: omar runs live beside her because her probe says so.
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(
        dir.path(),
        &daphne.base(),
        "notifications",
        "ws/notifications/",
        Some(&probe("/api/notifications/")),
    );
    let (code, report) = json_of(&config, &["check", "--probe", "--format", "json"]).await;
    assert_eq!(code, 0, "{report:#}");
    let sandra = &report["profiles"][0];
    assert_eq!(sandra["profile"], "sandra", "{report:#}");
    assert_eq!(report["profiles"][1]["profile"], "omar", "{report:#}");
    let p = &sandra["probe"];
    assert_eq!(p["outcome"], "delivered", "{p:#}");
    assert_eq!(p["endpoint"], "notifications");
    assert_eq!(p["isolation"][0]["profile"], "omar", "{p:#}");
    assert_eq!(p["isolation"][0]["open_sockets"], 1, "{p:#}");
    assert!(p.get("leaks").is_none(), "{p:#}");

    // omar's socket refused (a token nobody has): nothing could have
    // reached him, so isolation is not proven, and that is no pass.
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles_as(
        dir.path(),
        &daphne.base(),
        "notifications",
        "ws/notifications/",
        Some(&probe("/api/notifications/")),
        UNKNOWN,
    );
    let (code, report) = json_of(&config, &["check", "--probe", "--format", "json"]).await;
    assert_eq!(code, 1, "{report:#}");
    let p = &report["profiles"][0]["probe"];
    assert_eq!(p["outcome"], "unproven", "{p:#}");
    assert_eq!(p["isolation"][0]["open_sockets"], 0, "{p:#}");
    assert!(
        p["summary"]
            .as_str()
            .unwrap_or("")
            .contains("omar had no socket open"),
        "{p:#}"
    );

    // The broadcast group holds every user's socket: sandra's probe
    // message arrives on omar's socket too.
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(
        dir.path(),
        &daphne.base(),
        "broadcast",
        "ws/broadcast/",
        Some(&probe("/api/broadcast/")),
    );
    let (code, report) = json_of(&config, &["check", "--probe", "--format", "json"]).await;
    assert_eq!(code, 1, "a leak fails the check: {report:#}");
    assert_eq!(report["healthy"], false);
    let sandra = &report["profiles"][0];
    let p = &sandra["probe"];
    assert_eq!(p["outcome"], "leaked", "{p:#}");
    assert_eq!(p["leaks"][0]["profile"], "omar", "{p:#}");
    assert_eq!(p["leaks"][0]["endpoint"], "broadcast", "{p:#}");
    assert!(
        p["summary"]
            .as_str()
            .unwrap_or("")
            .contains("omar/broadcast"),
        "{p:#}"
    );
    let reasons = sandra["health"]["reasons"].to_string();
    assert!(reasons.contains("leaked to omar/broadcast"), "{reasons}");

    // The text report says it in words; the exit code is the same.
    let out = wsmon(&config)
        .args(["check", "--probe"])
        .output()
        .await
        .expect("run wsmon check");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("probe: LEAKED, leaked to omar/broadcast"),
        "{text}"
    );

    // `tail` runs the probe once the sockets of both are open: its line
    // names the leak under sandra's profile.
    let mut tail = Tail::start(&config, &[]);
    let line = tail.until("the probe line", |v| v["type"] == "probe").await;
    assert_eq!(line["profile"], "sandra", "{line}");
    assert_eq!(line["outcome"], "leaked", "{line}");
    assert_eq!(line["leaks"][0]["endpoint"], "broadcast", "{line}");
    // omar's socket did receive sandra's message (what the leak is).
    assert!(
        (tail.seen.iter()).any(|v| v["type"] == "message"
            && v["profile"] == "omar"
            && v["data"].as_str().unwrap_or("").contains("wsmon probe")),
        "{:?}",
        tail.seen
    );
}

#[tokio::test]
async fn an_isolation_profile_that_cannot_run_is_an_error_before_anything_starts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("profiles.toml");
    let text = r#"[profiles.sandra]
server = "http://127.0.0.1:9"
[[profiles.sandra.endpoints]]
name = "notifications"
url = "{ws}/ws/notifications/"
[profiles.sandra.probe]
path = "/api/notifications/"
body = '{"message": "{nonce}"}'
isolation = ["omar"]

[profiles.omar]
server = "http://127.0.0.1:9"
token_env = "WSMON_TEST_UNSET_OMAR_TOKEN"
[[profiles.omar.endpoints]]
name = "notifications"
url = "{ws}/ws/notifications/?token={token}"
"#;
    std::fs::write(&file, text).expect("write profiles.toml");
    for args in [&["check"][..], &["tail"], &["--profile", "sandra", "check"]] {
        let out = wsmon(&file)
            .args(args)
            .env_remove("WSMON_TEST_UNSET_OMAR_TOKEN")
            .output()
            .await
            .expect("run wsmon");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("profile `omar` must run live for an isolation probe, but cannot")
                && stderr.contains("WSMON_TEST_UNSET_OMAR_TOKEN"),
            "{args:?}: {stderr}"
        );
    }
}
