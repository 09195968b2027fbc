//! The real `wsmon` binary against real local servers: exit codes, the
//! fixed JSON fields of `check` and `tail`, and that a known token never
//! appears whole in any output path (stdout, stderr, log file).

mod common;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use common::*;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const BIN: &str = env!("CARGO_BIN_EXE_wsmon");

/// A REST API that knows only [`TOKEN`] and, unkindly, echoes whatever
/// credentials it got in its error (some real APIs do).
async fn rest() -> std::net::SocketAddr {
    let app = Router::new().route(
        "/api/notifications/",
        get(|headers: HeaderMap| async move {
            let auth = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            if auth == format!("Token {TOKEN}") {
                (StatusCode::OK, axum::Json(json!([])))
            } else {
                (
                    StatusCode::UNAUTHORIZED,
                    axum::Json(json!({"detail": format!("Invalid token. got {auth}")})),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

fn profiles_file(
    dir: &Path,
    api: std::net::SocketAddr,
    ws: std::net::SocketAddr,
    token: &str,
) -> std::path::PathBuf {
    common::profiles::ProfilesToml::new()
        .default_profile("me")
        .setting("connect_timeout", "2s")
        .setting("ping_interval", "5s")
        .setting("pong_timeout", "2s")
        .setting("reconnect_min", "50ms")
        .setting("reconnect_max", "200ms")
        .profile("me", &format!("http://{api}"))
        .field("description", "test user")
        .field("token", token)
        .field("token_check", "/api/notifications/")
        .endpoint(
            "notifications",
            &format!("ws://{ws}/ws/notifications/?token={{token}}"),
        )
        .write(&dir.join("profiles.toml"))
}

async fn wsmon(args: &[&str], dir: &Path) -> Output {
    let log = dir.join("wsmon.log");
    tokio::process::Command::new(BIN)
        .args(args)
        .arg("--log-file")
        .arg(&log)
        .arg("--log-level")
        .arg("debug")
        .env_remove("WSMON_CONFIG")
        .kill_on_drop(true)
        .output()
        .await
        .expect("run wsmon")
}

#[tokio::test]
async fn check_json_reports_a_healthy_profile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let api = rest().await;
    let ws = ws_server(None, send_then_echo_close(vec![], Default::default())).await;
    let config = profiles_file(dir.path(), api, ws.addr, TOKEN);
    let out = wsmon(
        &[
            "--config",
            config.to_str().expect("utf8"),
            "check",
            "--format",
            "json",
        ],
        dir.path(),
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(report["profile"], "me");
    assert_eq!(report["healthy"], true);
    assert_eq!(report["token_check"]["verdict"], "valid");
    assert_eq!(report["token_check"]["status"], 200);
    let e = &report["endpoints"][0];
    assert_eq!(e["name"], "notifications");
    assert_eq!(
        (
            e["state"].as_str(),
            e["ready_state"].as_u64(),
            e["handshake_status"].as_u64()
        ),
        (Some("open"), Some(1), Some(101))
    );
    assert_eq!(e["diagnosis"]["kind"], "ok");
    for key in ["url", "close_code", "close_reason", "latency_ms"] {
        assert!(e.get(key).is_some(), "missing {key}: {e}");
    }
}

#[tokio::test]
async fn check_exits_1_on_a_refused_socket_and_explains_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let api = rest().await;
    let ws = ws_server(
        Some((403, vec![], "")),
        send_then_echo_close(vec![], Default::default()),
    )
    .await;
    let config = profiles_file(dir.path(), api, ws.addr, TOKEN);
    let out = wsmon(
        &[
            "--config",
            config.to_str().expect("utf8"),
            "check",
            "--format",
            "json",
        ],
        dir.path(),
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["healthy"], false);
    let e = &report["endpoints"][0];
    assert_eq!(
        (e["state"].as_str(), e["handshake_status"].as_u64()),
        (Some("closed"), Some(403))
    );
    assert_eq!(e["close_code"], 1006);
    assert_eq!(e["diagnosis"]["kind"], "auth_rejected");

    let text = wsmon(
        &["--config", config.to_str().expect("utf8"), "check"],
        dir.path(),
    )
    .await;
    assert_eq!(text.status.code(), Some(1));
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("UNHEALTHY") && text.contains("403") && text.contains("auth_rejected"),
        "{text}"
    );
}

#[tokio::test]
async fn tail_prints_one_json_object_per_event() {
    let dir = tempfile::tempdir().expect("tempdir");
    let api = rest().await;
    let messages = vec![
        Message::text(r#"{"id":1}"#),
        Message::text("two"),
        Message::binary(vec![1u8, 2, 3]),
    ];
    let ws = ws_server(None, send_then_echo_close(messages, Default::default())).await;
    let config = profiles_file(dir.path(), api, ws.addr, TOKEN);
    let out = wsmon(
        &[
            "--config",
            config.to_str().expect("utf8"),
            "tail",
            "--count",
            "3",
        ],
        dir.path(),
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let types: Vec<&str> = lines.iter().filter_map(|l| l["type"].as_str()).collect();
    assert!(
        types.contains(&"connecting") && types.contains(&"open"),
        "{types:?}"
    );
    let messages: Vec<&Value> = lines.iter().filter(|l| l["type"] == "message").collect();
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[0]["data"], r#"{"id":1}"#);
    assert_eq!(messages[0]["bytes"], 8);
    assert_eq!(messages[0]["endpoint"], "notifications");
    assert_eq!(
        (
            messages[2]["data"].as_str(),
            messages[2]["encoding"].as_str()
        ),
        (Some("AQID"), Some("base64"))
    );
    assert!(lines.iter().all(|l| l["ts"].is_string()));
}

#[tokio::test]
async fn tail_reports_drops_retries_and_closes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let api = rest().await;
    let behaviour: Behaviour = std::sync::Arc::new(|ws, _| Box::pin(async move { drop(ws) }));
    let ws = ws_server(None, behaviour).await;
    let config = profiles_file(dir.path(), api, ws.addr, TOKEN);
    let out = wsmon(
        &[
            "--config",
            config.to_str().expect("utf8"),
            "tail",
            "--duration",
            "700ms",
        ],
        dir.path(),
    )
    .await;
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let closed = lines
        .iter()
        .find(|l| l["type"] == "closed")
        .expect("a closed event");
    assert_eq!(
        (closed["code"].as_u64(), closed["clean"].as_bool()),
        (Some(1006), Some(false))
    );
    assert_eq!(closed["handshake_status"], 101);
    assert!(closed["diagnosis"]["kind"].is_string());
    let retry = lines
        .iter()
        .find(|l| l["type"] == "retry_scheduled")
        .expect("a retry");
    assert!(
        retry["attempt"].as_u64() >= Some(2) && retry["delay_ms"].is_u64(),
        "{retry}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["type"] == "token_check" && l["verdict"] == "valid")
    );
}

#[tokio::test]
async fn config_errors_exit_2_with_a_location() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "default_profile = \"x\"\n\n[profiles.x]\nserver = \"http://127.0.0.1:1\"\nconnect_timeout = \"10s\"\n").expect("write");
    let out = wsmon(
        &["--config", path.to_str().expect("utf8"), "check"],
        dir.path(),
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.toml:5:"), "{stderr}");
    assert!(out.stdout.is_empty());

    let missing = wsmon(
        &["--config", "/nonexistent/profiles.toml", "tail"],
        dir.path(),
    )
    .await;
    assert_eq!(missing.status.code(), Some(2));
}

#[tokio::test]
async fn explain_prints_the_catalog_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = wsmon(&["explain", "1006"], dir.path()).await;
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1006") && text.to_lowercase().contains("abnormal"),
        "{text}"
    );
    let bad = wsmon(&["explain", "banana"], dir.path()).await;
    assert_eq!(bad.status.code(), Some(2));
}

/// Runs every output path with a known token, against servers that echo
/// it back (REST error detail, handshake body and header, close reason),
/// and looks for it everywhere.
#[tokio::test]
async fn the_token_never_appears_whole_in_any_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = "s3cr3t-0123456789abcdef0123456789abcdef";
    let api = rest().await;
    let echo_body: &'static str = Box::leak(format!("bad token {secret}").into_boxed_str());
    let echo_header: &'static str = Box::leak(format!("token={secret}").into_boxed_str());
    let refused = ws_server(
        Some((403, vec![("X-Echo", echo_header)], echo_body)),
        send_then_echo_close(vec![], Default::default()),
    )
    .await;
    let config = profiles_file(dir.path(), api, refused.addr, secret);
    let cfg = config.to_str().expect("utf8");
    let mut outputs = Vec::new();
    for args in [
        vec!["--config", cfg, "check"],
        vec!["--config", cfg, "check", "--format", "json"],
        vec!["--config", cfg, "tail", "--duration", "500ms"],
        vec!["--config", cfg, "profiles"],
        vec!["--config", cfg, "explain", "4001"],
    ] {
        let out = wsmon(&args, dir.path()).await;
        outputs.push((
            args.join(" "),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
    }
    // The log is written by a background thread; give it its moment.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let log = std::fs::read_to_string(dir.path().join("wsmon.log")).unwrap_or_default();
    assert!(!log.is_empty(), "the log file should have been written");
    for (args, stdout, stderr) in &outputs {
        assert!(
            !stdout.contains(secret),
            "`{args}` printed the token:\n{stdout}"
        );
        assert!(
            !stderr.contains(secret),
            "`{args}` printed the token on stderr:\n{stderr}"
        );
    }
    assert!(!log.contains(secret), "the log holds the token:\n{log}");
    // The redacted prefix is what people see instead.
    assert!(outputs[0].1.contains("s3cr3t-01…"), "{}", outputs[0].1);
}

#[tokio::test]
async fn url_lint_warnings_show_in_check_and_tail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let api = rest().await;
    let ws = ws_server(None, send_then_echo_close(vec![], Default::default())).await;
    // Two endpoints under /ws/ and one without the prefix its siblings have.
    let path = common::profiles::ProfilesToml::new()
        .profile("me", &format!("http://{api}"))
        .field("token", TOKEN)
        .endpoint("a", &format!("ws://{}/ws/a/?token={{token}}", ws.addr))
        .endpoint("b", &format!("ws://{}/ws/b/?token={{token}}", ws.addr))
        .endpoint("odd", &format!("ws://{}/odd/?token={{token}}", ws.addr))
        .write(&dir.path().join("p.toml"));
    let cfg = path.to_str().expect("utf8");
    let out = wsmon(&["--config", cfg, "check", "--format", "json"], dir.path()).await;
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let odd = &report["endpoints"][2];
    assert!(
        odd["warnings"][0]
            .as_str()
            .is_some_and(|w| w.contains("/ws/")),
        "{odd}"
    );
    assert_eq!(report["endpoints"][0]["warnings"], json!([]));

    let out = wsmon(
        &["--config", cfg, "tail", "--duration", "300ms"],
        dir.path(),
    )
    .await;
    let lines = String::from_utf8_lossy(&out.stdout);
    let warning: Value = lines
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["type"] == "url_warning")
        .expect("a url_warning line");
    assert_eq!(warning["endpoint"], "odd");
}

#[cfg(unix)]
#[tokio::test]
async fn a_profiles_file_with_plain_tokens_readable_by_others_is_flagged() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let api = rest().await;
    let config = profiles_file(dir.path(), api, api, TOKEN);
    let cfg = config.to_str().expect("utf8");

    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = wsmon(&["--config", cfg, "profiles"], dir.path()).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("readable by other users") && stderr.contains("chmod 600"),
        "{stderr}"
    );

    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let out = wsmon(&["--config", cfg, "profiles"], dir.path()).await;
    assert!(!String::from_utf8_lossy(&out.stderr).contains("readable by other users"));
}

/// Into a pipe, tail hands output to its writer thread at most every few
/// milliseconds; a line held behind another must still come out while the
/// socket then stays quiet (the next ping is 5 s away).
#[tokio::test]
async fn tail_into_a_pipe_writes_a_held_line_while_the_socket_is_quiet() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let dir = tempfile::tempdir().expect("tempdir");
    let api = rest().await;
    let behaviour: Behaviour = std::sync::Arc::new(|mut ws, _| {
        Box::pin(async move {
            use futures_util::{SinkExt, StreamExt};
            let _ = ws.send(Message::text("first")).await;
            tokio::time::sleep(Duration::from_millis(1)).await;
            let _ = ws.send(Message::text("second")).await;
            // Quiet, answering pings, until wsmon goes.
            while let Some(Ok(_)) = ws.next().await {}
        })
    });
    let ws = ws_server(None, behaviour).await;
    let config = profiles_file(dir.path(), api, ws.addr, TOKEN);
    let mut child = tokio::process::Command::new(BIN)
        .args(["--config", config.to_str().expect("utf8"), "tail"])
        .arg("--log-file")
        .arg(dir.path().join("wsmon.log"))
        .env_remove("WSMON_CONFIG")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run wsmon");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(3), async {
        while let Ok(Some(line)) = lines.next_line().await {
            let value: Value = serde_json::from_str(&line).expect("JSON line");
            if value["type"] == "message" {
                seen.push(value["data"].as_str().unwrap_or_default().to_string());
                if seen.len() == 2 {
                    break;
                }
            }
        }
    })
    .await;
    assert!(read.is_ok(), "only {seen:?} within 3 s");
    assert_eq!(seen, ["first", "second"]);
    let _ = child.kill().await;
}

/// Runs wsmon with its stdout a pipe whose read end is already closed
/// (as `wsmon ... | true` once `true` has exited): every write is EPIPE.
async fn wsmon_into_a_closed_pipe(args: &[&str], dir: &Path) -> Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    tokio::process::Command::new(BIN)
        .args(args)
        .arg("--log-file")
        .arg(dir.join("wsmon.log"))
        .env_remove("WSMON_CONFIG")
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        // Not `output()`: it would replace stdout with a pipe of its own.
        .spawn()
        .expect("run wsmon")
        .wait_with_output()
        .await
        .expect("wait for wsmon")
}

/// The README: "a failure while running (stdout closed, …) exits 1". Every
/// command that prints, into a closed pipe: exit 1, no panic, at most one
/// short line on stderr. The profile is healthy, so exit 1 is the pipe's.
#[tokio::test]
async fn a_closed_stdout_exits_1_quietly_for_every_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let api = rest().await;
    let ws = ws_server(None, send_then_echo_close(vec![], Default::default())).await;
    let config = profiles_file(dir.path(), api, ws.addr, TOKEN);
    let config = config.to_str().expect("utf8");
    let commands: &[&[&str]] = &[
        &["explain", "429"],
        &["explain", "1006"],
        &["--config", config, "profiles"],
        &["--config", config, "check"],
        &["--config", config, "check", "--format", "json"],
        &["--config", config, "tail", "--count", "1"],
        &["--config", config, "send", "hello", "--wait", "100ms"],
        &["completions", "bash"],
        &["man"],
    ];
    for args in commands {
        let out = wsmon_into_a_closed_pipe(args, dir.path()).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(stderr.lines().count() <= 1, "{args:?}: {stderr}");
    }
}

/// A command that produces a secret may hold it in its arguments (the
/// demo's `password_command = ["echo", "omar-demo-password"]`): the
/// listing and the errors name the program only, on every path.
#[tokio::test]
async fn secret_commands_are_shown_without_their_arguments() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("profiles.toml");
    std::fs::write(
        &config,
        r#"default_profile = "me"

[profiles.me]
server = "http://127.0.0.1:9"
token_command = ["echo", "tok-arg-9f3a77"]

[[profiles.me.endpoints]]
name = "n"
url = "{ws}/ws/?token={token}"

[profiles.omar]
server = "http://127.0.0.1:9"

[profiles.omar.login]
kind = "drf_token"
url = "/api-token-auth/"
username = "omar"
password_command = ["echo", "pw-arg-7c1e55"]

[profiles.bad]
server = "http://127.0.0.1:9"
token_command = ["sh", "-c", "echo $0 >&2; exit 3", "bad-arg-5d2e11"]
"#,
    )
    .expect("write profiles");
    let config = config.to_str().expect("utf8");
    let out = wsmon(&["--config", config, "profiles"], dir.path()).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("token        command echo (arguments hidden)"),
        "{text}"
    );
    assert!(
        text.contains("password from command echo (arguments hidden)"),
        "{text}"
    );
    // A command that fails: the error names it without its arguments,
    // and what it echoed of them on stderr is scrubbed too.
    let out = wsmon(
        &["--config", config, "--profile", "bad", "check"],
        dir.path(),
    )
    .await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("`sh` (arguments hidden) failed (exit status: 3)"),
        "{err}"
    );
    let log = std::fs::read_to_string(dir.path().join("wsmon.log")).unwrap_or_default();
    for shown in [text.as_ref(), err.as_ref(), log.as_str()] {
        for arg in [
            "tok-arg-9f3a77",
            "pw-arg-7c1e55",
            "bad-arg-5d2e11",
            "echo $0",
        ] {
            assert!(!shown.contains(arg), "{arg} shown: {shown}");
        }
    }
}
