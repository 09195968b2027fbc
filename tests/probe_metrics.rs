//! The delivery probe and the Prometheus metrics, end to end: the real
//! `wsmon` binary against the real Django Channels server of
//! `tests/django/` (see `tests/django_support/mod.rs`).
//!
//! - `check --probe`: a notification triggered through the REST API is
//!   measured on the socket; with the server's push turned off
//!   (`POST /api/push/ {"enabled": false}`) the probe fails with
//!   `not_delivered` and exit 1.
//! - `tail` prints `probe` lines.
//! - `watch --metrics`: `/metrics` scraped over HTTP and parsed by the
//!   `prometheus-parse` crate; SIGTERM ends it with exit 0.

mod django_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use django_support::{Db, SANDRA, Server, wsmon};
use prometheus_parse::{Scrape, Value as PromValue};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

/// Generous: a loaded 2-core machine runs Python slowly.
const WAIT: Duration = Duration::from_secs(60);

const PROBE_BODY: &str = r#"'{"message": "wsmon probe {nonce}"}'"#;

/// A profiles file for sandra on `server` with one notifications endpoint
/// and a probe (`every`, `timeout`, `path`).
fn profiles(dir: &Path, server: &str, every: &str, timeout: &str, path: &str) -> PathBuf {
    let text = format!(
        r#"default_profile = "me"

[settings]
connect_timeout = "20s"
ping_interval = "1s"
pong_timeout = "20s"
reconnect_min = "100ms"
reconnect_max = "500ms"

[profiles.me]
server = "{server}"
token = "{SANDRA}"
token_check = "/api/notifications/"

[[profiles.me.endpoints]]
name = "notifications"
url = "{{ws}}/ws/notifications/?token={{token}}"

[profiles.me.probe]
method = "POST"
path = "{path}"
body = {PROBE_BODY}
every = "{every}"
timeout = "{timeout}"
"#
    );
    let path = dir.join("profiles.toml");
    std::fs::write(&path, text).expect("write profiles.toml");
    // Owner-only, as wsmon asks of a file with plain tokens.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
    path
}

/// `wsmon check --probe --format json`: exit code and report.
async fn check_probe(config: &Path) -> (i32, Value) {
    let out = wsmon(config)
        .args(["check", "--probe", "--format", "json"])
        .output()
        .await
        .expect("run wsmon check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "check printed no JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exit code"), report)
}

#[tokio::test]
async fn check_probe_measures_a_real_delivery() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(
        dir.path(),
        &daphne.base(),
        "60s",
        "20s",
        "/api/notifications/",
    );
    let (code, report) = check_probe(&config).await;
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["healthy"], true, "{report:#}");
    let probe = &report["probe"];
    assert_eq!(probe["outcome"], "delivered", "{report:#}");
    assert_eq!(probe["endpoint"], "notifications", "{report:#}");
    let latency = probe["latency_ms"].as_f64().expect("latency_ms");
    assert!(latency > 0.0 && latency < 20_000.0, "{report:#}");
    let nonce = probe["nonce"].as_str().expect("nonce");
    assert!(nonce.starts_with("wsmon-"), "{report:#}");
    // The socket held open through the probe is still reported as fine.
    assert_eq!(report["endpoints"][0]["state"], "open", "{report:#}");
    // The token went in the header only; the log never shows it whole.
    let log = std::fs::read_to_string(dir.path().join("wsmon.log")).unwrap_or_default();
    assert!(log.contains("probe delivered"), "{log}");
    assert!(!log.contains(SANDRA), "{log}");
}

#[tokio::test]
async fn check_probe_detects_a_broken_delivery_path() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let (status, body) = daphne.post("/api/push/", SANDRA, r#"{"enabled": false}"#);
    assert_eq!(status, 200, "{body}");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(
        dir.path(),
        &daphne.base(),
        "60s",
        "2s",
        "/api/notifications/",
    );
    let (code, report) = check_probe(&config).await;
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["healthy"], false, "{report:#}");
    let probe = &report["probe"];
    assert_eq!(probe["outcome"], "failed", "{report:#}");
    assert_eq!(probe["reason"], "not_delivered", "{report:#}");
    // The socket itself is fine: only delivery is broken.
    assert_eq!(report["endpoints"][0]["state"], "open", "{report:#}");
    // The text report says it too.
    let out = wsmon(&config)
        .args(["check", "--probe"])
        .output()
        .await
        .expect("run wsmon check");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("probe: FAILED, not_delivered"), "{text}");
}

#[tokio::test]
async fn check_probe_names_a_refused_request() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(
        dir.path(),
        &daphne.base(),
        "60s",
        "5s",
        "/api/nothing-here/",
    );
    let (code, report) = check_probe(&config).await;
    assert_eq!(code, 1, "{report:#}");
    let probe = &report["probe"];
    assert_eq!(probe["reason"], "rest_refused", "{report:#}");
    assert_eq!(probe["status"], 404, "{report:#}");
}

#[tokio::test]
async fn tail_prints_probe_lines() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(
        dir.path(),
        &daphne.base(),
        "5s",
        "5s",
        "/api/notifications/",
    );
    let mut child = wsmon(&config)
        .arg("tail")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start tail");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = Vec::new();
    let probe = tokio::time::timeout(WAIT, async {
        while let Some(line) = lines.next_line().await.expect("read tail") {
            let v: Value = serde_json::from_str(&line).expect("JSON line");
            seen.push(line);
            if v["type"] == "probe" {
                return v;
            }
        }
        panic!("tail ended before a probe line");
    })
    .await
    .unwrap_or_else(|_| panic!("no probe line; tail printed:\n{}", seen.join("\n")));
    assert_eq!(probe["outcome"], "delivered", "{probe}");
    assert_eq!(probe["endpoint"], "notifications", "{probe}");
    assert!(probe["latency_ms"].as_f64().is_some(), "{probe}");
    assert!(probe["ts"].is_string(), "{probe}");
    // The message that carried the nonce is a message line too.
    let nonce = probe["nonce"].as_str().expect("nonce");
    assert!(
        seen.iter()
            .any(|l| l.contains("\"message\"") && l.contains(nonce)),
        "{}",
        seen.join("\n")
    );
}

/// `GET /metrics` over plain HTTP/1.1: status, content type, body.
fn scrape(port: u16) -> (u16, String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to /metrics");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let request =
        format!("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let content_type = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type:")
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_default();
    (status, content_type, body.to_string())
}

fn parse(body: &str) -> Scrape {
    Scrape::parse(body.lines().map(|l| Ok(l.to_string()))).expect("a Prometheus text exposition")
}

/// The value of `metric` with `labels` (counters come out `Untyped`: the
/// parser keys types by family name, and OpenMetrics counter samples end
/// in `_total`).
fn value(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .samples
        .iter()
        .find(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            PromValue::Counter(v) | PromValue::Gauge(v) | PromValue::Untyped(v) => *v,
            PromValue::Histogram(buckets) => buckets.last().map_or(0.0, |b| b.count),
            PromValue::Summary(_) => f64::NAN,
        })
}

#[tokio::test]
async fn watch_serves_metrics_that_a_prometheus_parser_reads_and_ends_on_sigterm() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(
        dir.path(),
        &daphne.base(),
        "1s",
        "1s",
        "/api/notifications/",
    );
    let mut child = wsmon(&config)
        .args(["watch", "--metrics", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start wsmon watch");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let line = tokio::time::timeout(WAIT, async {
        loop {
            let line = stderr.next_line().await.expect("read stderr");
            match line {
                Some(l) if l.contains("serving metrics") => return l,
                Some(_) => {}
                None => panic!("watch ended without serving metrics"),
            }
        }
    })
    .await
    .expect("watch says where it serves");
    let port: u16 = line
        .rsplit_once("127.0.0.1:")
        .and_then(|(_, rest)| rest.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    let ep = [("profile", "me"), ("endpoint", "notifications")];
    // Until the socket is up, a probe was delivered and a message counted.
    let deadline = tokio::time::Instant::now() + WAIT;
    let (content_type, body, parsed) = loop {
        let (status, content_type, body) = tokio::task::spawn_blocking(move || scrape(port))
            .await
            .expect("scrape");
        assert_eq!(status, 200, "{body}");
        let parsed = parse(&body);
        let up = value(&parsed, "wsmon_session_up", &ep);
        let delivered = value(&parsed, "wsmon_delivery_seconds", &ep);
        let pongs = value(&parsed, "wsmon_ping_rtt_seconds", &ep);
        // The health word, judged every second, says healthy.
        let healthy = value(&parsed, "wsmon_health", &[("profile", "me")]) == Some(0.0);
        if up == Some(1.0)
            && delivered.is_some_and(|n| n >= 1.0)
            && pongs.is_some_and(|n| n >= 1.0)
            && healthy
        {
            break (content_type, body, parsed);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "metrics never showed an open socket and a delivery:\n{body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    assert_eq!(
        value(&parsed, "wsmon_ready_state", &ep),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        value(&parsed, "wsmon_token_check_valid", &[("profile", "me")]),
        Some(1.0),
        "{body}"
    );
    // Every probe message arrived on the socket and was counted.
    assert!(
        value(&parsed, "wsmon_messages_received_total", &ep).is_some_and(|n| n >= 1.0),
        "{body}"
    );
    assert!(
        value(&parsed, "wsmon_bytes_received_total", &ep).is_some_and(|n| n > 0.0),
        "{body}"
    );
    assert_eq!(
        value(&parsed, "wsmon_reconnects_total", &ep),
        Some(0.0),
        "{body}"
    );
    assert!(
        value(&parsed, "wsmon_handshake_seconds", &ep).is_some_and(|n| n >= 1.0),
        "{body}"
    );
    for (name, kind) in [
        ("wsmon_session_up", "gauge"),
        ("wsmon_ready_state", "gauge"),
        ("wsmon_reconnects", "counter"),
        ("wsmon_messages_received", "counter"),
        ("wsmon_bytes_received", "counter"),
        ("wsmon_ping_rtt_seconds", "histogram"),
        ("wsmon_handshake_seconds", "histogram"),
        ("wsmon_token_check_valid", "gauge"),
        ("wsmon_delivery_seconds", "histogram"),
        ("wsmon_delivery_failures", "counter"),
        ("wsmon_health", "gauge"),
        ("wsmon_session_lifetime_seconds", "histogram"),
    ] {
        assert!(
            body.contains(&format!("# TYPE {name} {kind}\n")),
            "{name}:\n{body}"
        );
    }
    let histogram = parsed
        .samples
        .iter()
        .find(|s| s.metric == "wsmon_delivery_seconds")
        .expect("the delivery histogram");
    assert!(
        matches!(histogram.value, PromValue::Histogram(_)),
        "{histogram:?}"
    );
    assert!(!body.contains(SANDRA), "{body}");

    // Push off: the next probes fail and are counted by reason.
    let (status, answer) = daphne.post("/api/push/", SANDRA, r#"{"enabled": false}"#);
    assert_eq!(status, 200, "{answer}");
    let failures = [("profile", "me"), ("reason", "not_delivered")];
    loop {
        let (_, _, body) = tokio::task::spawn_blocking(move || scrape(port))
            .await
            .expect("scrape");
        let parsed = parse(&body);
        // A failed delivery turns the health word: degraded (1).
        if value(&parsed, "wsmon_delivery_failures_total", &failures).is_some_and(|n| n >= 1.0)
            && value(&parsed, "wsmon_health", &[("profile", "me")]) == Some(1.0)
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline + WAIT,
            "no delivery failure counted:\n{body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // SIGTERM: a clean exit 0, every socket closed with 1000.
    let pid = child.id().expect("pid").to_string();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(kill.success());
    let status = tokio::time::timeout(WAIT, child.wait())
        .await
        .expect("watch ends after SIGTERM")
        .expect("wait for watch");
    assert_eq!(status.code(), Some(0), "{status:?}");
    let log = std::fs::read_to_string(dir.path().join("wsmon.log")).unwrap_or_default();
    assert!(log.contains("watch stopping"), "{log}");
    assert!(
        log.contains("health changed") && log.contains("delivery probe: not delivered"),
        "{log}"
    );
    assert!(log.contains("code=1000"), "{log}");
}

// `wsmon_last_close_code` appears with the first ended attempt; it is
// checked in `src/metrics.rs`'s unit test.

#[tokio::test]
async fn a_metrics_address_in_use_is_a_plain_error_before_anything_starts() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(dir.path(), "http://127.0.0.1:9", "60s", "5s", "/api/n/");
    for args in [
        vec!["watch", "--metrics", &addr],
        vec!["--metrics", &addr],
        vec!["dashboard", "--metrics", &addr],
    ] {
        let out = wsmon(&config)
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .await
            .expect("run wsmon");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("cannot serve metrics on {addr}")),
            "{args:?}: {stderr}"
        );
    }
}

#[tokio::test]
async fn sigint_ends_watch_with_exit_0_even_with_the_server_down() {
    // Nothing listens: sessions keep retrying and probes fail; a signal
    // still ends it cleanly.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let dir = tempfile::tempdir().expect("tempdir");
    let server = format!("http://127.0.0.1:{port}");
    let config = profiles(dir.path(), &server, "1s", "1s", "/api/notifications/");
    let mut child = wsmon(&config)
        .args(["watch", "--metrics", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wsmon watch");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let line = tokio::time::timeout(WAIT, stderr.next_line())
        .await
        .expect("watch says where it serves")
        .expect("read stderr")
        .unwrap_or_default();
    assert!(
        line.contains("serving metrics on http://127.0.0.1:"),
        "{line}"
    );
    // Let a probe fail first (no socket open).
    let log = config.with_file_name("wsmon.log");
    let deadline = tokio::time::Instant::now() + WAIT;
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("probe failed")
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no probe failure logged"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pid = child.id().expect("pid").to_string();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("run kill");
    assert!(kill.success());
    let status = tokio::time::timeout(WAIT, child.wait())
        .await
        .expect("watch ends after SIGINT")
        .expect("wait for watch");
    assert_eq!(status.code(), Some(0), "{status:?}");
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(log.contains("reason=\"socket_closed\""), "{log}");
}
