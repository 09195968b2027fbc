//! Real servers on 127.0.0.1 for the integration tests, and profiles that
//! point at them. No mocked sockets: every test dials a real port.
#![allow(dead_code)]

pub mod lines;
pub mod profiles;
pub mod raw;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use indexmap::IndexMap;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, mpsc};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http;
use tokio_tungstenite::tungstenite::{Message, protocol::CloseFrame};
use url::Url;
use wsmon::config::{ActiveProfile, Endpoint, Settings};
use wsmon::facts::{Event, SessionEvent};
use wsmon::secret::{Redactor, Secret};

pub const TOKEN: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b";

/// Fast timers so failure paths finish in well under a second.
pub fn fast_settings() -> Settings {
    Settings {
        connect_timeout: Duration::from_millis(500),
        ping_interval: Duration::from_millis(300),
        pong_timeout: Duration::from_millis(300),
        reconnect_min: Duration::from_millis(50),
        reconnect_max: Duration::from_millis(200),
        ..Settings::default()
    }
}

/// A profile whose endpoints are `(name, url)`; the token is [`TOKEN`].
pub fn profile(endpoints: &[(&str, String)], settings: Settings) -> ActiveProfile {
    let token = Secret::new(TOKEN);
    let redactor = Redactor::new([&token]);
    let endpoints = endpoints
        .iter()
        .map(|(name, url)| {
            let url = Url::parse(url).expect("test url");
            Endpoint {
                name: name.to_string(),
                shown_url: redactor.redact(url.as_str()).into_owned(),
                url,
                headers: vec![],
                subprotocols: vec![],
                heartbeat: settings.heartbeat,
                protocol: Default::default(),
                preview: vec![],
                expect: Default::default(),
            }
        })
        .collect();
    ActiveProfile {
        name: "test".into(),
        description: None,
        server: Url::parse("http://127.0.0.1:9").expect("url"),
        token: Some(token),
        auth_scheme: "Token".into(),
        token_check: None,
        settings,
        endpoints,
        close_codes: IndexMap::new(),
        redactor,
        tls: wsmon::tls::client_config(),
        insecure: false,
        probe: None,
        proxy: Default::default(),
        server_log: None,
        django_project: None,
        django_python: None,
        login: None,
        session_cookie: None,
    }
}

/// What a test WebSocket server does with each accepted connection.
pub type Behaviour = Arc<
    dyn Fn(WebSocketStream<TcpStream>, usize) -> futures_util::future::BoxFuture<'static, ()>
        + Send
        + Sync,
>;

/// A WebSocket server; `reject` may refuse the upgrade with an HTTP answer.
pub struct WsServer {
    pub addr: SocketAddr,
    /// Close frames the server received, in order.
    pub closes: Arc<Mutex<Vec<Option<CloseFrame>>>>,
    pub accepted: Arc<std::sync::atomic::AtomicUsize>,
}

impl WsServer {
    pub fn url(&self, path: &str) -> String {
        format!("ws://{}{path}?token={TOKEN}", self.addr)
    }
}

/// An HTTP answer that refuses the upgrade: status, headers, body.
pub type Refusal = (u16, Vec<(&'static str, &'static str)>, &'static str);

pub async fn ws_server(reject: Option<Refusal>, behaviour: Behaviour) -> WsServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let closes = Arc::new(Mutex::new(Vec::new()));
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (c, a) = (closes.clone(), accepted.clone());
    tokio::spawn(async move {
        let mut n = 0;
        while let Ok((stream, _)) = listener.accept().await {
            n += 1;
            let reject = reject.clone();
            let behaviour = behaviour.clone();
            let (c, a) = (c.clone(), a.clone());
            tokio::spawn(async move {
                // The callback's signature is tungstenite's; its Err is large by design.
                #[allow(clippy::result_large_err)]
                let callback =
                    move |_req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
                        match reject {
                            None => Ok(resp),
                            Some((status, headers, body)) => {
                                let mut builder = http::Response::builder().status(status);
                                for (k, v) in headers {
                                    builder = builder.header(k, v);
                                }
                                Err(builder.body(Some(body.to_string())).expect("response"))
                            }
                        }
                    };
                if let Ok(ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await {
                    a.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let _ = c; // recorded by behaviours that want it
                    behaviour(ws, n).await;
                }
            });
        }
    });
    WsServer {
        addr,
        closes,
        accepted,
    }
}

/// Sends `messages` then keeps reading (answering pings) until the client
/// closes; records the client's close frame into `closes`.
pub fn send_then_echo_close(
    messages: Vec<Message>,
    closes: Arc<Mutex<Vec<Option<CloseFrame>>>>,
) -> Behaviour {
    Arc::new(move |mut ws, _| {
        let messages = messages.clone();
        let closes = closes.clone();
        Box::pin(async move {
            for m in messages {
                if ws.send(m).await.is_err() {
                    return;
                }
            }
            while let Some(Ok(m)) = ws.next().await {
                if let Message::Close(frame) = m {
                    closes.lock().await.push(frame);
                }
            }
        })
    })
}

/// Receives events until `pred` matches one (or panics after `limit`).
pub async fn until(
    rx: &mut mpsc::Receiver<Event>,
    limit: Duration,
    mut pred: impl FnMut(&SessionEvent) -> bool,
) -> Vec<SessionEvent> {
    let mut seen = Vec::new();
    let result = tokio::time::timeout(limit, async {
        while let Some(event) = rx.recv().await {
            if let Event::Session { event, .. } = event {
                let hit = pred(&event);
                seen.push(event);
                if hit {
                    return true;
                }
            }
        }
        false
    })
    .await;
    match result {
        Ok(true) => seen,
        _ => panic!("condition not reached within {limit:?}; events: {seen:#?}"),
    }
}

/// A TCP server that accepts and then does nothing at all.
pub async fn silent_server() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    (addr, task)
}

/// A port with nothing listening on it.
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    addr
}
pub mod dash;
