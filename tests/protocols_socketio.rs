//! Socket.IO end to end against the real servers: node `socket.io` (npm,
//! pinned in tests/servers/node) and python-socketio (PyPI, pinned in
//! tests/servers/python/socketio.txt), both with pingInterval ~1 s so
//! several Engine.IO heartbeat periods pass in a few seconds.

mod protocols_support;
mod real;

use std::sync::OnceLock;
use std::time::Duration;

use protocols_support::{Config, Lines, check, wsmon};
use real::Proc;

fn node_server() -> &'static Proc {
    static P: OnceLock<Proc> = OnceLock::new();
    P.get_or_init(|| {
        let logs = Box::leak(Box::new(real::scratch("socketio-node")));
        Proc::on_free_port("node socket.io", |port| {
            let mut cmd = real::node("socketio_server.js");
            cmd.arg(port.to_string());
            (
                protocols_support::until_tests_end(cmd),
                logs.path().join(format!("node-{port}.log")),
            )
        })
    })
}

fn python_server() -> &'static Proc {
    static P: OnceLock<Proc> = OnceLock::new();
    P.get_or_init(|| {
        let logs = Box::leak(Box::new(real::scratch("socketio-py")));
        Proc::on_free_port("python-socketio", |port| {
            let mut cmd = real::python("socketio", "socketio_server.py");
            cmd.arg(port.to_string());
            (
                protocols_support::until_tests_end(cmd),
                logs.path().join(format!("py-{port}.log")),
            )
        })
    })
}

/// Profiles `good` and `bad` (token in the CONNECT auth) and `raw` (the
/// same URL as a plain WebSocket).
fn profiles(server: &Proc) -> Config {
    let http = server.http();
    Config::new(&format!(
        r#"
[settings]
connect_timeout = "5s"
reconnect_min = "200ms"
reconnect_max = "1s"

[profiles.good]
server = "{http}"
token = "good-token"
[[profiles.good.endpoints]]
name = "live"
url = "{{ws}}/socket.io/"
protocol = "socketio"
[profiles.good.endpoints.socketio]
auth = '{{"token": "{{token}}"}}'

[profiles.bad]
server = "{http}"
token = "expired-token"
[[profiles.bad.endpoints]]
name = "live"
url = "{{ws}}/socket.io/"
protocol = "socketio"
[profiles.bad.endpoints.socketio]
auth = '{{"token": "{{token}}"}}'

[profiles.eio3]
server = "{http}"
token = "good-token"
[[profiles.eio3.endpoints]]
name = "live"
url = "{{ws}}/socket.io/?EIO=3&transport=websocket"
protocol = "socketio"

[profiles.raw]
server = "{http}"
[[profiles.raw.endpoints]]
name = "notifications"
url = "{{ws}}/socket.io/?EIO=4&transport=websocket"
"#
    ))
}

/// Ready once, then notifications decoded until the 20th (6 s at 300 ms:
/// over three pingInterval + pingTimeout periods), on one connection.
fn stays_ready_and_decodes(server: &Proc) {
    let config = profiles(server);
    let mut tail = Lines::start(wsmon(
        &config.path,
        &["tail", "--profile", "good", "--duration", "60s"],
    ));
    let ready = tail.until(Duration::from_secs(15), "ready", |v| v["type"] == "ready");
    assert_eq!(ready["protocol"], "socketio");
    assert!(
        ready["detail"]
            .as_str()
            .unwrap_or("")
            .contains("namespace / connected")
    );
    let last = tail.until(Duration::from_secs(30), "notification 20", |v| {
        v["type"] == "message" && v["data"]["n"].as_u64().is_some_and(|n| n >= 20)
    });
    assert_eq!(last["event"], "notification");
    assert_eq!(last["data"]["text"], "hello");
    assert_eq!(
        tail.of_type("open").len(),
        1,
        "one connection:\n{}",
        tail.dump()
    );
    assert!(tail.of_type("closed").is_empty(), "{}", tail.dump());
    // Pings are answered, never shown as messages.
    assert!(
        tail.of_type("message")
            .iter()
            .all(|m| m["event"] == "notification"),
        "{}",
        tail.dump()
    );
}

/// A bad token: connect_error in-band, diagnosed as auth, and no retry.
fn bad_token_is_refused_in_band_and_stops(server: &Proc) {
    let config = profiles(server);
    let mut tail = Lines::start(wsmon(
        &config.path,
        &["tail", "--profile", "bad", "--duration", "60s"],
    ));
    let stopped = tail.until(Duration::from_secs(15), "stopped", |v| {
        v["type"] == "stopped"
    });
    assert_eq!(stopped["reason"], "auth_rejected");
    let error = tail.of_type("protocol_error");
    assert_eq!(error.len(), 1, "{}", tail.dump());
    assert_eq!(error[0]["rule"], "stop_auth");
    assert!(
        error[0]["detail"]
            .as_str()
            .unwrap_or("")
            .contains("not authorized")
    );
    assert_eq!(error[0]["diagnosis"]["kind"], "auth_rejected");
    let closed = tail.of_type("closed");
    assert_eq!(
        closed[0]["diagnosis"]["kind"],
        "auth_rejected",
        "{}",
        tail.dump()
    );
    assert_eq!(tail.of_type("connecting").len(), 1);
    assert!(tail.of_type("ready").is_empty());
}

/// A raw profile on the Engine.IO URL: not healthy, and the diagnosis
/// names Socket.IO with the lines to add.
fn raw_profile_is_detected(server: &Proc) {
    let config = profiles(server);
    let report = check(&config.path, "raw", &["--hold", "300ms"]);
    assert_eq!(report["healthy"], false, "{report:#}");
    let endpoint = &report["endpoints"][0];
    assert_eq!(endpoint["ready"], serde_json::Value::Null);
    let summary = endpoint["diagnosis"]["summary"].as_str().unwrap_or("");
    assert!(
        summary.contains("Socket.IO") && summary.contains("Engine.IO open packet"),
        "{summary}"
    );
    let fixes = endpoint["diagnosis"]["fixes"].to_string();
    assert!(fixes.contains(r#"protocol = \"socketio\""#), "{fixes}");
    // The text report puts each line of wsmon's own fix on its own line.
    let out = wsmon(
        &config.path,
        &["check", "--profile", "raw", "--hold", "300ms"],
    )
    .output()
    .expect("run wsmon check");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "     - Let wsmon speak it: add to the endpoint\n       protocol = \"socketio\"\n"
        ),
        "{text}"
    );
    assert!(!text.contains('␊'), "{text}");
    // Each reconnect is dropped by the same unanswered Engine.IO heartbeat:
    // that reading leads, the repeats follow it as a count, never as
    // "something keeps closing sessions".
    let mut tail = Lines::start(wsmon(
        &config.path,
        &["tail", "--profile", "raw", "--duration", "60s"],
    ));
    let third = tail.until(Duration::from_secs(30), "a third close", |v| {
        v["type"] == "closed" && v["attempt"].as_u64() >= Some(3)
    });
    let summary = third["diagnosis"]["summary"].as_str().unwrap_or("");
    assert!(summary.starts_with("This is a Socket.IO"), "{summary}");
    assert!(summary.contains("heartbeat"), "{summary}");
    assert!(summary.contains("each of the last"), "{summary}");
    assert!(!summary.contains("keeps closing"), "{summary}");
    assert!(!summary.contains("This attempt:"), "{summary}");
}

/// `check` on the good profile: ready and healthy.
fn check_requires_and_reports_ready(server: &Proc) {
    let config = profiles(server);
    let report = check(&config.path, "good", &[]);
    assert_eq!(report["healthy"], true, "{report:#}");
    assert_eq!(report["endpoints"][0]["ready"], true);
    let report = check(&config.path, "bad", &[]);
    assert_eq!(report["healthy"], false);
    assert_eq!(report["endpoints"][0]["ready"], false);
    assert_eq!(report["endpoints"][0]["diagnosis"]["kind"], "auth_rejected");
}

#[test]
fn node_socketio_stays_ready_and_decodes_events() {
    stays_ready_and_decodes(node_server());
}

#[test]
fn node_socketio_bad_token_is_refused_in_band_and_stops() {
    bad_token_is_refused_in_band_and_stops(node_server());
}

#[test]
fn node_socketio_raw_profile_is_detected_not_healthy() {
    raw_profile_is_detected(node_server());
}

#[test]
fn node_socketio_check_requires_ready() {
    check_requires_and_reports_ready(node_server());
}

#[test]
fn node_socketio_send_emits_an_event_with_the_token_filled() {
    let config = profiles(node_server());
    let mut out = Lines::start(wsmon(
        &config.path,
        &[
            "send",
            "--profile",
            "good",
            "--wait",
            "3s",
            r#"["echo", {"who": "{token}"}]"#,
        ],
    ));
    let echoed = out.until(Duration::from_secs(15), "echoed", |v| {
        v["event"] == "echoed"
    });
    // The token went out filled in (and is scrubbed from what is shown).
    assert_ne!(echoed["data"]["who"], "{token}", "{}", out.dump());
    let sent = out.of_type("sent");
    assert_eq!(sent[0]["outcome"], "sent");
}

#[test]
fn python_socketio_stays_ready_and_decodes_events() {
    stays_ready_and_decodes(python_server());
}

#[test]
fn python_socketio_bad_token_is_refused_in_band_and_stops() {
    bad_token_is_refused_in_band_and_stops(python_server());
}

#[test]
fn python_socketio_raw_profile_is_detected_not_healthy() {
    raw_profile_is_detected(python_server());
}

/// A v4 server asked for Engine.IO v3: socket.io 4.8 answers 101 and then
/// writes "HTTP/1.1 400 … Unsupported protocol version" into the socket;
/// said precisely, with the EIO value to use. Whether the 400 is read with
/// the 101 (a loaded client reads late) or after it depends on timing; the
/// answer must not (the unit test in src/diagnose/protocol.rs pins both).
#[test]
fn node_socketio_eio3_mismatch_is_said_precisely() {
    let config = profiles(node_server());
    let report = check(&config.path, "eio3", &[]);
    assert_eq!(report["healthy"], false, "{report:#}");
    let endpoint = &report["endpoints"][0];
    let summary = endpoint["diagnosis"]["summary"].as_str().unwrap_or("");
    assert!(
        summary.contains("Unsupported protocol version") && summary.contains("v4"),
        "{summary}"
    );
    assert!(
        endpoint["diagnosis"]["fixes"].to_string().contains("EIO=4"),
        "{endpoint}"
    );
}
