//! Real things for the trust, proxy and secrets tests: certificates made by
//! the `openssl` CLI, nginx terminating TLS in front of a small axum
//! backend, tinyproxy as the company's CONNECT proxy, and the real binary.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use axum::Router;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::real;

pub const BIN: &str = env!("CARGO_BIN_EXE_wsmon");

/// `NAME.pem` + `NAME-key.pem` made by `openssl req -x509 -newkey rsa:2048
/// -nodes -subj /CN=cn -addext subjectAltName=san` (a self-signed CA:TRUE
/// certificate, the tutorials' recipe).
pub fn openssl_cert(dir: &Path, name: &str, cn: &str, san: &str) -> (PathBuf, PathBuf) {
    let openssl = real::need("openssl", "openssl");
    let cert = dir.join(format!("{name}.pem"));
    let key = dir.join(format!("{name}-key.pem"));
    real::run(
        "openssl req -x509",
        Command::new(openssl)
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
            ])
            .arg("-subj")
            .arg(format!("/CN={cn}"))
            .arg("-addext")
            .arg(format!("subjectAltName={san}"))
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert),
        "openssl makes the test certificate",
    );
    (cert, key)
}

/// The backend: `/ws/` says hello and echoes; `/ws/echo/` sends back the
/// query and credential headers it got, then closes 4001 with the URL's
/// `token` in the reason; `/ws/moved/` answers 302 to a URL holding it;
/// `/api/me/` takes `Authorization: Token <good>` and otherwise echoes what
/// it got in its 401 detail (real APIs do).
pub async fn backend(good_token: &str) -> u16 {
    let app = Router::new()
        .route("/ws/", get(hello_ws))
        .route("/ws/echo/", get(echo_ws))
        .route("/ws/moved/", get(moved))
        .route("/api/me/", get(me))
        .with_state(Arc::new(good_token.to_string()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the backend");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    port
}

async fn hello_ws(ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(|mut socket: WebSocket| async move {
        let _ = socket.send(Message::Text("hello via proxy".into())).await;
        while let Some(Ok(_)) = socket.recv().await {}
    })
}

fn header_text(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

async fn echo_ws(
    ws: WebSocketUpgrade,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let echo = json!({
        "you_sent": {
            "query": query,
            "authorization": header_text(&headers, "authorization"),
            "cookie": header_text(&headers, "cookie"),
            "x-api-key": header_text(&headers, "x-api-key"),
        }
    })
    .to_string();
    let mut reason = format!("bye {}", query.get("token").cloned().unwrap_or_default());
    reason.truncate(120);
    ws.on_upgrade(move |mut socket: WebSocket| async move {
        let _ = socket.send(Message::Text(echo.into())).await;
        let _ = socket
            .send(Message::Close(Some(CloseFrame {
                code: 4001,
                reason: reason.into(),
            })))
            .await;
        while let Some(Ok(_)) = socket.recv().await {}
    })
}

async fn moved(Query(query): Query<HashMap<String, String>>) -> Response {
    let token = query.get("token").cloned().unwrap_or_default();
    let location = format!("https://sso.example.com/login?next=%2Fws%2F&access_token={token}");
    (
        StatusCode::FOUND,
        [(header::LOCATION, location)],
        format!("moved; your token was {token}"),
    )
        .into_response()
}

async fn me(State(good): State<Arc<String>>, headers: HeaderMap) -> Response {
    let auth = header_text(&headers, "authorization");
    if auth == format!("Token {good}") {
        (StatusCode::OK, axum::Json(json!([]))).into_response()
    } else {
        let cookie = header_text(&headers, "cookie");
        (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"detail": format!("Invalid token. got {auth} cookie {cookie}")})),
        )
            .into_response()
    }
}

/// nginx terminating TLS with `cert`/`key` in front of the backend on
/// `backend` (WebSocket upgrades passed through).
pub fn nginx_tls(cert: &Path, key: &Path, backend: u16) -> real::Nginx {
    real::Nginx::start(&format!(
        r#"server {{
    listen 127.0.0.1:@PORT@ ssl;
    server_name localhost;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    location / {{
        proxy_pass http://127.0.0.1:{backend};
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "upgrade";
        proxy_set_header Host $host;
    }}
}}"#,
        cert = cert.display(),
        key = key.display(),
    ))
}

/// tinyproxy in the foreground on a free port, logging every request
/// (`LogLevel Info`: `Request (file descriptor N): CONNECT host:port`),
/// with `extra` config lines (`ConnectPort 443`, `BasicAuth user pass`…).
pub struct Tinyproxy {
    pub proc: real::Proc,
    dir: tempfile::TempDir,
}

impl Tinyproxy {
    pub fn start(extra: &str) -> Tinyproxy {
        let tinyproxy = real::need("tinyproxy", "tinyproxy");
        let dir = real::scratch("tinyproxy");
        let root = dir.path().to_path_buf();
        let proc = real::Proc::on_free_port("tinyproxy", |port| {
            let conf = root.join(format!("tinyproxy-{port}.conf"));
            std::fs::write(
                &conf,
                format!(
                    "Port {port}\nListen 127.0.0.1\nTimeout 30\nLogLevel Info\nMaxClients 50\nAllow 127.0.0.1\nDisableViaHeader Yes\n{extra}\n"
                ),
            )
            .expect("write tinyproxy.conf");
            let mut cmd = Command::new(&tinyproxy);
            cmd.arg("-d").arg("-c").arg(&conf).stdin(Stdio::null());
            (cmd, root.join(format!("tinyproxy-{port}.log")))
        });
        Tinyproxy { proc, dir }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.proc.port)
    }

    /// Its log (the console, in `-d` mode).
    pub fn log(&self) -> String {
        self.proc.log_text()
    }

    /// The `CONNECT` requests it logged.
    pub fn connects(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter_map(|l| l.split_once("): CONNECT ").map(|(_, r)| r.to_string()))
            .collect()
    }
}

/// microsocks (a small SOCKS5 server) on a free port, with a user and
/// password; it logs `client[N] IP: connected to host:port` per tunnel.
pub struct Microsocks {
    pub proc: real::Proc,
    dir: tempfile::TempDir,
}

impl Microsocks {
    pub fn start(user: &str, password: &str) -> Microsocks {
        let microsocks = real::need("microsocks", "microsocks");
        let dir = real::scratch("microsocks");
        let root = dir.path().to_path_buf();
        let proc = real::Proc::on_free_port("microsocks", |port| {
            let mut cmd = Command::new(&microsocks);
            cmd.args(["-i", "127.0.0.1", "-p", &port.to_string()])
                .args(["-u", user, "-P", password])
                .stdin(Stdio::null());
            (cmd, root.join(format!("microsocks-{port}.log")))
        });
        Microsocks { proc, dir }
    }

    /// The tunnels it opened (`host:port` each).
    pub fn tunnels(&self) -> Vec<String> {
        self.proc
            .log_text()
            .lines()
            .filter_map(|l| l.split_once(": connected to ").map(|(_, t)| t.to_string()))
            .collect()
    }
}

/// Runs the real binary with `args`, a log file in `dir`, and `env`
/// (proxy and trust variables are cleared unless given).
pub async fn wsmon(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.args(args)
        .arg("--log-file")
        .arg(dir.join("wsmon.log"))
        .arg("--log-level")
        .arg("debug")
        .env_remove("WSMON_CONFIG");
    for name in [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        cmd.env_remove(name);
    }
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd.kill_on_drop(true).output().await.expect("run wsmon")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
