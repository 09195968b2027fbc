//! The demo server against real clients on 127.0.0.1: tokio-tungstenite for
//! the sockets, reqwest for the REST API, and a raw TCP reader for the one
//! property no WebSocket library shows directly (no close frame on a drop).

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};
use wsmon::demo::{
    self, DemoOptions, DemoServer, INACTIVE_TOKEN, OMAR_TOKEN, SANDRA_TOKEN, UNKNOWN_TOKEN,
};

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Long enough for a slow CI machine, short enough to fail fast on a hang.
const LIMIT: Duration = Duration::from_secs(10);

async fn serve(options: DemoOptions) -> DemoServer {
    let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
    demo::start(addr, options)
        .await
        .expect("demo server starts")
}

/// Fast, but never dropping: for tests that must not race a drop.
fn steady() -> DemoOptions {
    DemoOptions {
        drop_after: None,
        ..DemoOptions::fast()
    }
}

fn ws_url(server: &DemoServer, path: &str, token: &str) -> String {
    format!("ws://{}{path}?token={token}", server.addr())
}

async fn open(url: &str) -> Client {
    let (socket, response) = timeout(LIMIT, connect_async(url))
        .await
        .expect("handshake in time")
        .expect("handshake accepted");
    assert_eq!(response.status(), 101);
    socket
}

/// The next message, or what ended the stream.
async fn next(socket: &mut Client) -> Option<Result<Message, WsError>> {
    timeout(LIMIT, socket.next())
        .await
        .expect("message in time")
}

#[tokio::test]
async fn valid_token_opens_and_receives_a_notification() {
    let server = serve(steady()).await;
    let mut socket = open(&ws_url(&server, "/ws/notifications/", SANDRA_TOKEN)).await;
    let text = match next(&mut socket).await {
        Some(Ok(Message::Text(text))) => text,
        other => panic!("expected a notification, got {other:?}"),
    };
    let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(value["type"], "notification");
    assert_eq!(value["user"], "sandra");
    assert!(value["id"].as_u64().is_some(), "{value}");
    assert!(value["title"].as_str().is_some_and(|t| !t.is_empty()));
    let created_at = value["created_at"].as_str().expect("created_at");
    humantime::parse_rfc3339(created_at).expect("RFC 3339");
    socket.close(None).await.expect("client close");
    server.shutdown().await;
}

#[tokio::test]
async fn refused_tokens_get_a_bare_403() {
    let server = serve(steady()).await;
    let cases = [
        (
            "unknown",
            ws_url(&server, "/ws/notifications/", UNKNOWN_TOKEN),
        ),
        (
            "inactive",
            ws_url(&server, "/ws/notifications/", INACTIVE_TOKEN),
        ),
        (
            "inactive orders",
            ws_url(&server, "/ws/orders/", INACTIVE_TOKEN),
        ),
        (
            "missing",
            format!("ws://{}/ws/notifications/", server.addr()),
        ),
        ("empty", ws_url(&server, "/ws/notifications/", "")),
    ];
    for (case, url) in cases {
        let result = timeout(LIMIT, connect_async(&url)).await.expect("in time");
        match result {
            Err(WsError::Http(response)) => {
                assert_eq!(response.status(), 403, "{case}");
                let body = response.body().as_deref().unwrap_or_default();
                assert!(body.is_empty(), "{case}: body {body:?}");
            }
            other => panic!("{case}: expected HTTP 403, got {other:?}"),
        }
    }
    server.shutdown().await;
}

#[tokio::test]
async fn orders_feed_sends_updates_then_closes_with_4000() {
    let server = serve(steady()).await;
    let mut socket = open(&ws_url(&server, "/ws/orders/", OMAR_TOKEN)).await;
    let mut updates = 0;
    let frame = loop {
        match next(&mut socket).await {
            Some(Ok(Message::Text(text))) => {
                let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
                assert_eq!(value["type"], "order.update");
                assert_eq!(value["user"], "omar");
                updates += 1;
            }
            Some(Ok(Message::Close(frame))) => break frame.expect("a close frame with a code"),
            other => panic!("expected updates then a close, got {other:?}"),
        }
    };
    assert_eq!(updates, 3);
    assert_eq!(frame.code, CloseCode::from(4000));
    assert_eq!(frame.reason.as_str(), "order feed rotated, reconnect");
    // tungstenite answered the close; the stream then ends cleanly.
    assert!(matches!(
        next(&mut socket).await,
        None | Some(Err(WsError::ConnectionClosed))
    ));
    server.shutdown().await;
}

#[tokio::test]
async fn drop_ends_the_socket_without_a_close_message() {
    let server = serve(DemoOptions::fast()).await;
    let mut socket = open(&ws_url(&server, "/ws/notifications/", SANDRA_TOKEN)).await;
    let mut received = 0;
    let end = loop {
        match next(&mut socket).await {
            Some(Ok(Message::Text(_))) => received += 1,
            Some(Ok(Message::Close(frame))) => panic!("got a close frame: {frame:?}"),
            Some(Ok(_)) => {}
            other => break other,
        }
    };
    assert!(received > 0, "notifications came before the drop");
    // EOF without a closing handshake: tungstenite's name for a 1006.
    match end {
        Some(Err(WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake))) => {}
        Some(Err(WsError::Io(err))) if err.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("expected a reset without closing handshake, got {other:?}"),
    }
    server.shutdown().await;
}

/// The same drop seen on the wire: every frame before EOF is a text frame;
/// there is no close frame (opcode 8) at all.
#[tokio::test]
async fn drop_sends_no_close_frame_on_the_wire() {
    let server = serve(DemoOptions::fast()).await;
    let mut tcp = TcpStream::connect(server.addr()).await.expect("connect");
    let request = format!(
        "GET /ws/notifications/?token={SANDRA_TOKEN} HTTP/1.1\r\nHost: {}\r\n\
         Upgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        server.addr()
    );
    tcp.write_all(request.as_bytes())
        .await
        .expect("send handshake");
    let mut bytes = Vec::new();
    timeout(LIMIT, tcp.read_to_end(&mut bytes))
        .await
        .expect("the server ends the connection in time")
        .expect("a plain EOF: we sent nothing the server left unread");
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("HTTP head");
    assert!(bytes.starts_with(b"HTTP/1.1 101"), "not upgraded");
    let opcodes = frame_opcodes(&bytes[split + 4..]);
    assert!(!opcodes.is_empty(), "no frame before the drop");
    assert!(opcodes.iter().all(|&op| op == 0x1), "opcodes {opcodes:?}");
    server.shutdown().await;
}

/// Opcodes of the unmasked (server-to-client) frames in `data`.
fn frame_opcodes(mut data: &[u8]) -> Vec<u8> {
    let mut opcodes = Vec::new();
    while data.len() >= 2 {
        let opcode = data[0] & 0x0f;
        assert_eq!(data[1] & 0x80, 0, "server frames are not masked");
        let (len, header) = match data[1] & 0x7f {
            126 => (usize::from(u16::from_be_bytes([data[2], data[3]])), 4),
            127 => panic!("no 64-bit lengths in this test"),
            n => (usize::from(n), 2),
        };
        assert!(data.len() >= header + len, "truncated frame");
        opcodes.push(opcode);
        data = &data[header + len..];
    }
    assert!(data.is_empty(), "trailing bytes");
    opcodes
}

#[tokio::test]
async fn shutdown_closes_open_sockets_with_1001_and_returns() {
    let server = serve(steady()).await;
    let mut socket = open(&ws_url(&server, "/ws/notifications/", SANDRA_TOKEN)).await;
    let reader = tokio::spawn(async move {
        loop {
            match next(&mut socket).await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => {}
                other => panic!("expected a close, got {other:?}"),
            }
        }
    });
    timeout(LIMIT, server.shutdown())
        .await
        .expect("shutdown in time");
    let frame = reader.await.expect("reader").expect("close frame");
    assert_eq!(frame.code, CloseCode::Away);
}

fn http() -> reqwest::Client {
    // reqwest is built without a crypto provider; plain http needs none, but
    // building a client asks for one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

#[tokio::test]
async fn rest_api_answers_like_drf() {
    let server = serve(steady()).await;
    let url = format!("{}/api/notifications/", server.base_url());
    let client = http();

    let ok = client
        .get(&url)
        .header("Authorization", format!("Token {SANDRA_TOKEN}"))
        .send()
        .await
        .expect("valid");
    assert_eq!(ok.status(), 200);
    let list: Vec<serde_json::Value> = ok.json().await.expect("a JSON list");
    assert!(!list.is_empty());
    assert!(list.iter().all(|n| n["user"] == "sandra"));

    let cases = [
        (Some(UNKNOWN_TOKEN), "Invalid token."),
        (Some(INACTIVE_TOKEN), "User inactive or deleted."),
        (None, "Authentication credentials were not provided."),
    ];
    for (token, detail) in cases {
        let mut request = client.get(&url);
        if let Some(token) = token {
            request = request.header("Authorization", format!("Token {token}"));
        }
        let response = request.send().await.expect("answer");
        assert_eq!(response.status(), 401, "{detail}");
        assert_eq!(response.headers()["www-authenticate"], "Token");
        let body: serde_json::Value = response.json().await.expect("JSON");
        assert_eq!(body, serde_json::json!({ "detail": detail }));
    }
    server.shutdown().await;
}

#[tokio::test]
async fn other_paths_are_404() {
    let server = serve(steady()).await;
    let client = http();
    for path in ["/", "/ws/unknown/", "/api/", "/ws/notifications/"] {
        // The last one is a socket path asked for without an upgrade.
        let response = client
            .get(format!("{}{path}", server.base_url()))
            .send()
            .await
            .expect("answer");
        assert_eq!(response.status(), 404, "{path}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn profiles_toml_points_at_the_running_server() {
    let server = serve(steady()).await;
    let text = server.profiles_toml();
    assert!(text.contains(&format!(":{}", server.addr().port())));
    let file: toml::Table = toml::from_str(&text).expect("valid TOML");
    let sandra = &file["profiles"]["demo-sandra"];
    assert_eq!(sandra["server"].as_str(), Some(server.base_url().as_str()));
    assert_eq!(sandra["token"].as_str(), Some(SANDRA_TOKEN));
    server.shutdown().await;
}
