//! The diagnosis reads all the evidence of a refused upgrade, against the
//! real software that refuses it (issue 11): who answered (fingerprint),
//! what they said (body, chunked or not, even after a status line no HTTP
//! parser accepts), what wsmon sent (Origin), and the retry policy that
//! follows (stop on permanent refusals, honour `Retry-After`).
//!
//! Servers (pinned, built by the tests themselves, see `tests/real`):
//! uvicorn 0.54 + FastAPI 0.165 with NO WebSocket library
//! (`tests/servers/python/evidence-uvicorn-bare.txt`), python websockets
//! 17.4 (`evidence-websockets.txt`), node ws 8.23.0
//! (`tests/servers/node/package.json`), nginx (Debian) in front of the
//! Django Channels test project under Daphne (`tests/django`).

mod common;
mod django_support;
mod real;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::lines::JsonLines;
use serde_json::Value;
use tokio::io::BufReader;
use tokio::process::{Child, ChildStdout};

/// Generous: Python starts slowly on a loaded 2-core machine.
const EVENT_TIMEOUT: Duration = Duration::from_secs(60);

fn write_profiles(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("profiles.toml");
    std::fs::write(&path, text).expect("write profiles.toml");
    // Plain tokens in a file others can read earn a warning: not here.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
    path
}

/// `wsmon check --format json --profile NAME`: the report.
async fn check(config: &Path, profile: &str) -> Value {
    let out = django_support::wsmon(config)
        .args(["--profile", profile, "check", "--format", "json"])
        .output()
        .await
        .expect("run wsmon check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "check printed no JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The text `check` prints for people.
async fn check_text(config: &Path, profile: &str) -> String {
    let out = django_support::wsmon(config)
        .args(["--profile", profile, "check"])
        .output()
        .await
        .expect("run wsmon check");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A running `wsmon tail`, read line by line; killed on drop.
struct Tail {
    _child: Child,
    lines: JsonLines<BufReader<ChildStdout>>,
}

impl Tail {
    fn start(config: &Path, profile: &str) -> Tail {
        let mut child = django_support::wsmon(config)
            .args(["--profile", profile, "tail"])
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start wsmon tail");
        let stdout = child.stdout.take().expect("tail stdout");
        Tail {
            _child: child,
            lines: JsonLines::new(BufReader::new(stdout)),
        }
    }

    /// The next line for which `want` holds (every line is kept).
    async fn until(&mut self, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        self.lines.until(what, EVENT_TIMEOUT, want).await
    }

    fn dump(&self) -> String {
        self.lines.dump()
    }
}

/// The diagnosis' summary and fixes as one string.
fn words(d: &Value) -> String {
    let fixes: Vec<&str> = d["fixes"]
        .as_array()
        .map(|f| f.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    format!(
        "{} {}",
        d["summary"].as_str().unwrap_or_default(),
        fixes.join(" ")
    )
}

fn has_all(text: &str, wanted: &[&str]) {
    for w in wanted {
        assert!(text.contains(w), "{w:?} missing from: {text}");
    }
}

fn has_none(text: &str, unwanted: &[&str]) {
    for w in unwanted {
        assert!(!text.contains(w), "{w:?} should not be in: {text}");
    }
}

/// uvicorn without websockets/wsproto serves the upgrade as plain HTTP:
/// 404 `{"detail":"Not Found"}` from a route that exists.
#[tokio::test]
async fn uvicorn_without_a_websocket_library() {
    let python = real::venv("evidence-uvicorn-bare");
    let dir = real::scratch("uvicorn-bare");
    let log_dir = dir.path().to_path_buf();
    let server = real::Proc::on_free_port("uvicorn (no WebSocket library)", |port| {
        let mut cmd = Command::new(&python);
        cmd.args(["-m", "uvicorn", "--host", "127.0.0.1", "--port"])
            .arg(port.to_string())
            .arg("--app-dir")
            .arg(real::servers_dir().join("python"))
            .arg("evidence_fastapi_app:app")
            .stdin(Stdio::null());
        (cmd, log_dir.join(format!("uvicorn-{port}.log")))
    });
    let config = write_profiles(
        dir.path(),
        &format!(
            r#"default_profile = "fastapi"
[settings]
connect_timeout = "20s"
reconnect_min = "100ms"
reconnect_max = "500ms"
[profiles.fastapi]
server = "{}"
token = "aec8e0e9a0b3d8637b8926a5adffb44e487330ec"
auth_scheme = "Bearer"
token_check = "/api/me/"
[[profiles.fastapi.endpoints]]
name = "notifications"
url = "{{ws}}/ws/notifications/?token={{token}}"
headers = {{ Origin = "{{server}}" }}
"#,
            server.http()
        ),
    );
    let report = check(&config, "fastapi").await;
    let e = &report["endpoints"][0];
    assert_eq!(e["handshake_status"], 404, "{e:#}");
    assert_eq!(e["diagnosis"]["kind"], "not_websocket_server", "{e:#}");
    let said = words(&e["diagnosis"]);
    has_all(
        &said,
        &[
            "uvicorn",
            "\"Not Found\"",
            "no WebSocket library",
            "uvicorn[standard]",
            "websockets",
        ],
    );
    has_none(&said, &["websocket_urlpatterns", "Daphne", "Channels"]);
    assert_eq!(e["answered_by"], "FastAPI/Starlette on uvicorn", "{e:#}");
    let evidence = e["diagnosis"]["evidence"].to_string();
    has_all(
        &evidence,
        &[
            "Server: uvicorn",
            "the server said \\\"Not Found\\\"",
            "REST token check: valid",
        ],
    );
    assert!(
        server.log_text().contains("Unsupported upgrade request"),
        "{}",
        server.log_text()
    );

    // tail: the body is kept, and the session stops (a path that never
    // answered 101 gets the same 404 every time) instead of hammering.
    let mut tail = Tail::start(&config, "fastapi");
    let closed = tail.until("closed", |v| v["type"] == "closed").await;
    assert_eq!(
        closed["failure"]["http"]["body_excerpt"], "{\"detail\":\"Not Found\"}",
        "{closed:#}"
    );
    assert_eq!(closed["answered_by"], "FastAPI/Starlette on uvicorn");
    let stopped = tail.until("stopped", |v| v["type"] == "stopped").await;
    assert_eq!(stopped["reason"], "refused", "{}", tail.dump());
    assert_eq!(stopped["retrying"], false);
    assert!(
        !tail
            .lines
            .seen
            .iter()
            .any(|v| v["type"] == "retry_scheduled"),
        "{}",
        tail.dump()
    );
}

/// The node `ws` server of protocols-06/07, on a free port.
fn node_ws(close_code_mistake: bool) -> (real::Proc, tempfile::TempDir) {
    let dir = real::scratch("node-ws");
    let log_dir = dir.path().to_path_buf();
    let proc = real::Proc::on_free_port("node ws verifyClient", |port| {
        let mut cmd = real::node("evidence_ws_verifyclient.js");
        cmd.arg(port.to_string());
        if close_code_mistake {
            cmd.arg("--close-code-mistake");
        }
        (cmd, log_dir.join(format!("node-{port}.log")))
    });
    (proc, dir)
}

fn node_profiles(dir: &Path, server: &str) -> PathBuf {
    write_profiles(
        dir,
        &format!(
            r#"default_profile = "bad-token"
[settings]
connect_timeout = "20s"
reconnect_min = "100ms"
reconnect_max = "500ms"
[profiles.bad-token]
server = "{server}"
token = "old-token-0001"
auth_scheme = "Bearer"
token_check = "/api/me"
[[profiles.bad-token.endpoints]]
name = "notifications"
url = "{{ws}}/?token={{token}}"
headers = {{ Origin = "https://app.example.com" }}
[profiles.bad-origin]
server = "{server}"
token = "good-token-77ab"
auth_scheme = "Bearer"
token_check = "/api/me"
[[profiles.bad-origin.endpoints]]
name = "notifications"
url = "{{ws}}/?token={{token}}"
headers = {{ Origin = "{{server}}" }}
"#
        ),
    )
}

/// node ws `verifyClient` refusing with `cb(false, 4002, 'token expired')`
/// writes `HTTP/1.1 4002 undefined`: no HTTP parser reads it, wsmon shows
/// what came and treats it as the auth refusal it is.
#[tokio::test]
async fn node_ws_close_code_as_http_status() {
    let (server, dir) = node_ws(true);
    let config = node_profiles(dir.path(), &server.http());
    let report = check(&config, "bad-token").await;
    let e = &report["endpoints"][0];
    let d = &e["diagnosis"];
    assert_eq!(d["kind"], "auth_rejected", "{e:#}");
    let said = words(d);
    has_all(
        &said,
        &[
            "\"HTTP/1.1 4002 undefined\"",
            "\"token expired\"",
            "close code",
            "REST API rejects the same token",
            "cb(false, 401",
        ],
    );
    has_none(&said, &["wss://", "TLS"]);
    assert_eq!(e["answered_by"], "node ws", "{e:#}");
    has_all(
        &d["evidence"].to_string(),
        &["bytes received: HTTP/1.1 4002 undefined"],
    );
    let text = check_text(&config, "bad-token").await;
    has_all(
        &text,
        &[
            "invalid status line \"HTTP/1.1 4002 undefined\"",
            "answered by: node ws",
        ],
    );

    // An auth refusal: the session stops instead of retrying.
    let mut tail = Tail::start(&config, "bad-token");
    let stopped = tail.until("stopped", |v| v["type"] == "stopped").await;
    assert_eq!(stopped["reason"], "auth_rejected", "{}", tail.dump());
    has_all(&stopped["detail"].to_string(), &["4002", "token expired"]);
    assert!(
        !tail
            .lines
            .seen
            .iter()
            .any(|v| v["type"] == "retry_scheduled"),
        "{}",
        tail.dump()
    );
}

/// node ws refusing the Origin the profile sends: the value is named as
/// not allowed, and wsmon never asks to add the header it sent.
#[tokio::test]
async fn node_ws_refuses_the_origin_that_was_sent() {
    let (server, dir) = node_ws(false);
    let config = node_profiles(dir.path(), &server.http());
    let report = check(&config, "bad-origin").await;
    let e = &report["endpoints"][0];
    assert_eq!(e["handshake_status"], 403, "{e:#}");
    assert_eq!(e["diagnosis"]["kind"], "origin_refused", "{e:#}");
    let said = words(&e["diagnosis"]);
    has_all(
        &said,
        &[
            "Origin not allowed",
            &format!("\"{}\"", server.http()),
            "allowed origins",
        ],
    );
    has_none(
        &said,
        &["add headers = { Origin", "AllowedHostsOriginValidator"],
    );
    assert_eq!(report["token_check"]["verdict"], "valid");

    // The same server refusing a bad token: the REST check agrees.
    let report = check(&config, "bad-token").await;
    let e = &report["endpoints"][0];
    assert_eq!(report["token_check"]["verdict"], "invalid");
    assert_eq!(e["diagnosis"]["kind"], "auth_rejected", "{e:#}");
    has_all(
        &words(&e["diagnosis"]),
        &["Invalid or expired token", "WWW-Authenticate: Bearer realm"],
    );

    // A refused Origin is permanent until changed: the session stops.
    let mut tail = Tail::start(&config, "bad-origin");
    let stopped = tail.until("stopped", |v| v["type"] == "stopped").await;
    assert_eq!(stopped["reason"], "refused", "{}", tail.dump());
}

/// python websockets' `process_request` answering 429 with
/// `Retry-After: 20`: the next attempt is scheduled at least 20 s later
/// (asserted on the `retry_scheduled` line, not waited out).
#[tokio::test]
async fn websockets_429_retry_after_is_honoured() {
    let dir = real::scratch("websockets-429");
    let log_dir = dir.path().to_path_buf();
    // LIMIT 0: every upgrade of the good token is rate-limited.
    let server = real::Proc::on_free_port("python websockets 429", |port| {
        let mut cmd = real::python("evidence-websockets", "evidence_websockets_429.py");
        cmd.arg(port.to_string()).arg("0");
        (cmd, log_dir.join(format!("websockets-{port}.log")))
    });
    let config = write_profiles(
        dir.path(),
        &format!(
            r#"default_profile = "good"
[settings]
connect_timeout = "20s"
reconnect_min = "500ms"
reconnect_max = "5s"
[profiles.good]
server = "{server}"
token = "good-token-9d1e"
[[profiles.good.endpoints]]
name = "notifications"
url = "{{ws}}/notifications?token={{token}}"
[profiles.bad]
server = "{server}"
token = "expired-token"
[[profiles.bad.endpoints]]
name = "notifications"
url = "{{ws}}/notifications?token={{token}}"
"#,
            server = server.http()
        ),
    );
    let mut tail = Tail::start(&config, "good");
    let closed = tail.until("closed", |v| v["type"] == "closed").await;
    assert_eq!(closed["handshake_status"], 429, "{closed:#}");
    assert_eq!(closed["diagnosis"]["kind"], "rate_limited", "{closed:#}");
    has_all(
        &words(&closed["diagnosis"]),
        &[
            "rate limited",
            "Retry-After: 20",
            "Too many connections, retry later",
        ],
    );
    assert_eq!(closed["answered_by"], "python websockets/17.4");
    let retry = tail
        .until("retry_scheduled", |v| v["type"] == "retry_scheduled")
        .await;
    let delay = retry["delay_ms"].as_u64().expect("delay_ms");
    // reconnect_max is 5 s: only Retry-After can make it this long.
    assert!(
        delay >= 20_000,
        "retry after {delay} ms, Retry-After was 20 s:\n{}",
        tail.dump()
    );
    drop(tail);

    // 401 + WWW-Authenticate error="invalid_token" + JSON: an auth
    // refusal from the answer alone (no REST check in this profile).
    let report = check(&config, "bad").await;
    let d = &report["endpoints"][0]["diagnosis"];
    assert_eq!(d["kind"], "auth_rejected", "{d:#}");
    has_all(&words(d), &["invalid_token", "Get a new token"]);
    has_none(&words(d), &["Django Channels answers 403"]);
}

/// nginx without `proxy_set_header Upgrade/Connection` in front of
/// Daphne: Django's HTML 404 comes back through nginx; the proxy dropped
/// the upgrade, and the two directives are named.
#[tokio::test]
async fn nginx_that_drops_the_upgrade_in_front_of_daphne() {
    let db = django_support::Db::fresh();
    let daphne = django_support::Server::daphne(&db);
    let nginx = real::Nginx::start(&format!(
        r#"  upstream daphne {{ server 127.0.0.1:{}; }}
  server {{
    listen 127.0.0.1:@PORT@;
    location /api/ {{ proxy_pass http://daphne; proxy_set_header Host $host; }}
    location /ws/ {{
      proxy_pass http://daphne;
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      # the bug: no proxy_set_header Upgrade $http_upgrade; Connection "upgrade";
    }}
  }}"#,
        daphne.port
    ));
    let dir = real::scratch("nginx-daphne");
    let profile = |server: &str| {
        format!(
            r#"default_profile = "via-nginx"
[settings]
connect_timeout = "20s"
[profiles.via-nginx]
server = "{server}"
token = "{}"
token_check = "/api/notifications/"
[[profiles.via-nginx.endpoints]]
name = "notifications"
url = "{{ws}}/ws/notifications/?token={{token}}"
"#,
            django_support::SANDRA
        )
    };
    let config = write_profiles(dir.path(), &profile(&nginx.proc.http()));
    let report = check(&config, "via-nginx").await;
    let e = &report["endpoints"][0];
    assert_eq!(e["handshake_status"], 404, "{e:#}");
    assert_eq!(e["diagnosis"]["kind"], "proxy_error", "{e:#}");
    let said = words(&e["diagnosis"]);
    has_all(
        &said,
        &[
            "did not forward the upgrade",
            "proxy_set_header Upgrade $http_upgrade",
            "proxy_set_header Connection \"upgrade\"",
            "REST token check through the same address works",
        ],
    );
    let by = e["answered_by"].as_str().unwrap_or_default();
    assert!(by.starts_with("Django behind nginx"), "{e:#}");
    assert_eq!(report["token_check"]["verdict"], "valid");

    // Control: the same socket straight at Daphne opens.
    let direct = dir.path().join("direct");
    std::fs::create_dir_all(&direct).expect("mkdir");
    let config = write_profiles(&direct, &profile(&daphne.base()));
    let report = check(&config, "via-nginx").await;
    assert_eq!(report["endpoints"][0]["state"], "open", "{report:#}");
}

/// A 101 followed by an HTTP error page, and a 101 that ignores the
/// offered subprotocol: wsmon says exactly what arrived.
#[tokio::test]
async fn broken_upgrades_after_the_status_line() {
    let dir = real::scratch("broken-upgrades");
    let log_dir = dir.path().to_path_buf();
    let server = real::Proc::on_free_port("node broken upgrades", |port| {
        let mut cmd = real::node("evidence_broken_upgrades.js");
        cmd.arg(port.to_string());
        (cmd, log_dir.join(format!("broken-{port}.log")))
    });
    let config = write_profiles(
        dir.path(),
        &format!(
            r#"default_profile = "broken"
[settings]
connect_timeout = "20s"
[profiles.broken]
server = "{}"
[[profiles.broken.endpoints]]
name = "after-101"
url = "{{ws}}/after-101"
[[profiles.broken.endpoints]]
name = "no-subprotocol"
url = "{{ws}}/no-subprotocol"
subprotocols = ["graphql-transport-ws"]
"#,
            server.http()
        ),
    );
    let report = check(&config, "broken").await;
    let after = &report["endpoints"][0]["diagnosis"];
    assert_eq!(after["kind"], "protocol_error", "{report:#}");
    has_all(
        &words(after),
        &[
            "answered 101",
            "HTTP answer written onto the upgraded socket",
            "HTTP/1.1 500 Internal Server Error",
        ],
    );
    has_none(&words(after), &["wss://"]);
    let sub = &report["endpoints"][1]["diagnosis"];
    assert_eq!(sub["kind"], "protocol_error", "{report:#}");
    has_all(&words(sub), &["graphql-transport-ws", "chose none"]);

    // The missing subprotocol is permanent until changed: tail stops.
    let mut tail = Tail::start(&config, "broken");
    let stopped = tail
        .until("stopped no-subprotocol", |v| {
            v["type"] == "stopped" && v["endpoint"] == "no-subprotocol"
        })
        .await;
    assert_eq!(stopped["reason"], "refused", "{}", tail.dump());
}

/// HAProxy (Debian) whose only backend is down: its own 503 page, no
/// `Server` header; wsmon names HAProxy and says no backend is up.
#[tokio::test]
async fn haproxy_with_its_backend_down() {
    let haproxy = real::need("haproxy", "haproxy");
    let dir = real::scratch("haproxy");
    let root = dir.path().to_path_buf();
    let dead = real::free_port();
    let proxy = real::Proc::on_free_port("haproxy", |port| {
        let conf = root.join(format!("haproxy-{port}.cfg"));
        std::fs::write(
            &conf,
            format!(
                "defaults\n  mode http\n  timeout connect 2s\n  timeout client 10s\n  timeout server 10s\n\
                 frontend fe\n  bind 127.0.0.1:{port}\n  default_backend be\n\
                 backend be\n  server s1 127.0.0.1:{dead}\n"
            ),
        )
        .expect("write haproxy.cfg");
        let mut cmd = Command::new(&haproxy);
        cmd.arg("-f").arg(&conf).arg("-db").stdin(Stdio::null());
        (cmd, root.join(format!("haproxy-{port}.log")))
    });
    let config = write_profiles(
        dir.path(),
        &format!(
            r#"default_profile = "lb"
[settings]
connect_timeout = "20s"
[profiles.lb]
server = "{}"
[[profiles.lb.endpoints]]
name = "notifications"
url = "{{ws}}/ws/notifications/"
"#,
            proxy.http()
        ),
    );
    let report = check(&config, "lb").await;
    let e = &report["endpoints"][0];
    assert_eq!(e["handshake_status"], 503, "{e:#}");
    assert_eq!(e["diagnosis"]["kind"], "proxy_error", "{e:#}");
    assert_eq!(e["answered_by"], "HAProxy", "{e:#}");
    has_all(
        &words(&e["diagnosis"]),
        &[
            "HAProxy has no healthy server",
            "No server is available to handle this request.",
        ],
    );
}

/// `wsmon explain --response FILE`: what `curl -i` saved, diagnosed
/// offline (here the answer the uvicorn of the first test sends).
#[tokio::test]
async fn explain_a_saved_response() {
    let dir = real::scratch("explain-response");
    let file = dir.path().join("answer.txt");
    std::fs::write(
        &file,
        "HTTP/1.1 404 Not Found\r\ndate: Sun, 29 Nov 2026 23:01:00 GMT\r\nserver: uvicorn\r\ncontent-length: 22\r\ncontent-type: application/json\r\n\r\n{\"detail\":\"Not Found\"}",
    )
    .expect("write the answer");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_wsmon"))
        .args(["explain", "--response"])
        .arg(&file)
        .args(["--url", "ws://127.0.0.1:8000/ws/notifications/"])
        .env_remove("WSMON_CONFIG")
        .output()
        .await
        .expect("run wsmon explain");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    has_all(
        &text,
        &[
            "Diagnosis: not_websocket_server",
            "Answered by: FastAPI/Starlette on uvicorn",
            "uvicorn[standard]",
            "Evidence read:",
        ],
    );

    // From stdin, a malformed answer: named, never "wss://".
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_wsmon"))
        .args(["explain", "--response", "-"])
        .env_remove("WSMON_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run wsmon explain -");
    {
        use tokio::io::AsyncWriteExt;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(b"HTTP/1.1 4002 undefined\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: 13\r\n\r\ntoken expired")
            .await
            .expect("write stdin");
    }
    let out = child.wait_with_output().await.expect("explain output");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    has_all(
        &text,
        &[
            "Diagnosis: auth_rejected",
            "HTTP/1.1 4002 undefined",
            "token expired",
        ],
    );
    has_none(&text, &["wss://"]);

    // Not an HTTP answer: exit 2 with a hint.
    std::fs::write(&file, "<html>hello</html>").expect("write");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_wsmon"))
        .args(["explain", "--response"])
        .arg(&file)
        .env_remove("WSMON_CONFIG")
        .output()
        .await
        .expect("run wsmon explain");
    assert_eq!(out.status.code(), Some(2));
    has_all(&String::from_utf8_lossy(&out.stderr), &["curl"]);
}

/// Rails Action Cable (Debian ruby-actioncable 6.1 on Puma 5.6) refusing
/// a client that sends no Origin: its 404 "Page not found" is about the
/// Origin, not the path.
#[tokio::test]
async fn action_cable_404_is_about_the_origin() {
    let puma = real::need("puma", "puma");
    let dir = real::scratch("actioncable");
    let log_dir = dir.path().to_path_buf();
    let server = real::Proc::on_free_port("puma (Action Cable)", |port| {
        let mut cmd = Command::new(&puma);
        cmd.arg("-b")
            .arg(format!("tcp://127.0.0.1:{port}"))
            .args(["-t", "1:4"])
            .arg(real::servers_dir().join("ruby/evidence_actioncable.ru"))
            .stdin(Stdio::null());
        (cmd, log_dir.join(format!("puma-{port}.log")))
    });
    let config = write_profiles(
        dir.path(),
        &format!(
            r#"default_profile = "sandra"
[settings]
connect_timeout = "20s"
[profiles.sandra]
server = "{}"
token = "good-token-ac01"
auth_scheme = "Bearer"
token_check = "/api/me"
[[profiles.sandra.endpoints]]
name = "cable"
url = "{{ws}}/cable?token={{token}}"
"#,
            server.http()
        ),
    );
    let report = check(&config, "sandra").await;
    let e = &report["endpoints"][0];
    assert_eq!(e["handshake_status"], 404, "{e:#}");
    assert_eq!(e["diagnosis"]["kind"], "origin_refused", "{e:#}");
    assert_eq!(e["answered_by"], "Rails Action Cable", "{e:#}");
    let said = words(&e["diagnosis"]);
    has_all(
        &said,
        &[
            "\"Page not found\"",
            "Origin",
            "sent no Origin",
            "allowed_request_origins",
        ],
    );
    has_none(&said, &["websocket_urlpatterns", "Daphne"]);
}

/// The same FastAPI app on uvicorn WITH `websockets`: a bad token (the app
/// closes before accept) and an unknown path both get an empty 403 without
/// a Server header; wsmon still knows uvicorn and gives its advice, not
/// Channels'. The good token opens (the control).
#[tokio::test]
async fn uvicorn_with_websockets_refuses_with_a_bare_403() {
    let python = real::venv("evidence-uvicorn-ws");
    let dir = real::scratch("uvicorn-ws");
    let log_dir = dir.path().to_path_buf();
    let server = real::Proc::on_free_port("uvicorn (websockets)", |port| {
        let mut cmd = Command::new(&python);
        cmd.args(["-m", "uvicorn", "--host", "127.0.0.1", "--port"])
            .arg(port.to_string())
            .arg("--app-dir")
            .arg(real::servers_dir().join("python"))
            .arg("evidence_fastapi_app:app")
            .stdin(Stdio::null());
        (cmd, log_dir.join(format!("uvicorn-{port}.log")))
    });
    let profile = |name: &str, token: &str, path: &str| {
        format!(
            r#"[profiles.{name}]
server = "{}"
token = "{token}"
auth_scheme = "Bearer"
token_check = "/api/me/"
[[profiles.{name}.endpoints]]
name = "notifications"
url = "{{ws}}{path}?token={{token}}"
headers = {{ Origin = "{{server}}" }}
"#,
            server.http()
        )
    };
    let good = "aec8e0e9a0b3d8637b8926a5adffb44e487330ec";
    let config = write_profiles(
        dir.path(),
        &format!(
            "default_profile = \"good\"\n[settings]\nconnect_timeout = \"20s\"\n{}{}{}",
            profile("good", good, "/ws/notifications/"),
            profile("bad", "not-a-token", "/ws/notifications/"),
            profile("wrong-path", good, "/ws/nope/"),
        ),
    );
    let report = check(&config, "good").await;
    assert_eq!(report["endpoints"][0]["state"], "open", "{report:#}");

    let report = check(&config, "bad").await;
    let e = &report["endpoints"][0];
    assert_eq!(e["handshake_status"], 403, "{e:#}");
    assert_eq!(e["diagnosis"]["kind"], "auth_rejected", "{e:#}");
    assert_eq!(e["answered_by"], "uvicorn", "{e:#}");
    let said = words(&e["diagnosis"]);
    has_all(
        &said,
        &[
            "REST API rejects the same token",
            "websocket.close() before accept()",
        ],
    );
    has_none(
        &said,
        &[
            "AllowedHostsOriginValidator",
            "asgi.py",
            "drf_create_token",
            "add headers = { Origin",
        ],
    );

    let report = check(&config, "wrong-path").await;
    let e = &report["endpoints"][0];
    assert_eq!(e["handshake_status"], 403, "{e:#}");
    assert_eq!(report["token_check"]["verdict"], "valid");
    has_all(
        &words(&e["diagnosis"]),
        &["a path no WebSocket route matches", "@app.websocket"],
    );
}
