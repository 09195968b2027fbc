//! Opening one connection: DNS → TCP (→ proxy tunnel), in [`super::dial`],
//! then TLS + HTTP upgrade, under one deadline, capturing exactly how far it
//! got and what the server said.
//!
//! The stages are dialled separately (rather than with `connect_async`) so a
//! failure names its stage: "nothing listening" and "listening but never
//! answered the upgrade" need different fixes. `connect_async` has no timeout
//! of its own either.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Error as WsError};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use super::recorder::{Recorder, Tape};
use crate::config::Endpoint;
use crate::facts::events::{ConnectFailure, FailureKind, HandshakeInfo, HttpAnswer, Stage};
use crate::secret::Redactor;

/// An open client socket.
/// The TCP stream carries a [`Recorder`] that is stopped once open.
pub(crate) type WsStream = WebSocketStream<MaybeTlsStream<Recorder<TcpStream>>>;

/// How much of a refused answer's body is kept.
pub(crate) const BODY_EXCERPT_BYTES: usize = 1024;

/// How much of what the server sends during the upgrade is recorded (the
/// whole answer of a refusal, headers and body).
pub(crate) const RAW_ANSWER_BYTES: usize = 4 * 1024;

/// Largest message accepted; bigger ones close the socket with 1009.
pub(crate) const MAX_MESSAGE_BYTES: usize = 16 << 20;

/// A successful upgrade.
pub(crate) struct Connected {
    pub ws: WsStream,
    pub info: HandshakeInfo,
    pub opened_at: SystemTime,
}

/// Socket buffers: tungstenite's 128 KiB default read buffer is allocated
/// eagerly per connection. 4 KiB keeps ten thousand idle sessions small
/// (8 KiB cost 39 MB more at 10,000 endpoints) and reads a flood as fast
/// (A/B against 8 KiB, 1,000,000 messages: 0.96x the time).
pub(crate) fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(8 * 1024)
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_MESSAGE_BYTES))
}

/// Dials `endpoint`, all stages within `limit`, with the profile's TLS
/// config: [`resolve`] (the upgrade request), [`dial`] (DNS, TCP, proxy
/// tunnel), then [`upgrade`] (TLS and the HTTP upgrade). A failure names
/// the stage it reached.
pub(crate) async fn connect(
    endpoint: &Endpoint,
    limit: Duration,
    redactor: &Redactor,
    tls: Arc<rustls::ClientConfig>,
    proxies: &crate::proxy::Proxies,
) -> Result<Connected, ConnectFailure> {
    let started = Instant::now();
    let deadline = started + limit;
    let request = resolve(endpoint, redactor)?;
    let tcp = dial(endpoint, proxies, deadline, limit, redactor).await?;
    let attempt = Attempt {
        started,
        deadline,
        limit,
        redactor,
    };
    upgrade(&attempt, &endpoint.url, request, tcp, tls).await
}

/// One connection attempt's clock and redactor, shared by its stages.
struct Attempt<'a> {
    started: Instant,
    deadline: Instant,
    limit: Duration,
    redactor: &'a Redactor,
}

impl Attempt<'_> {
    /// A failure at `stage` with no HTTP answer, its message redacted.
    fn fail(&self, stage: Stage, kind: FailureKind, message: String) -> ConnectFailure {
        fail(self.redactor, stage, kind, message)
    }
}

fn fail(redactor: &Redactor, stage: Stage, kind: FailureKind, message: String) -> ConnectFailure {
    ConnectFailure {
        stage,
        kind,
        message: redactor.redact(&message).into_owned(),
        http: None,
        raw_answer: None,
    }
}

/// The upgrade request for `endpoint` (URL, headers, subprotocols); a URL
/// that cannot make one fails at the DNS stage, before any I/O.
fn resolve(
    endpoint: &Endpoint,
    redactor: &Redactor,
) -> Result<tungstenite::handshake::client::Request, ConnectFailure> {
    build_request(endpoint).map_err(|m| fail(redactor, Stage::Dns, FailureKind::Url, m))
}

/// Resolve, TCP, and a proxy tunnel when the profile's rules pick one
/// ([`super::dial`]), the failure's message redacted.
async fn dial(
    endpoint: &Endpoint,
    proxies: &crate::proxy::Proxies,
    deadline: Instant,
    limit: Duration,
    redactor: &Redactor,
) -> Result<TcpStream, ConnectFailure> {
    super::dial::dial(&endpoint.url, proxies, deadline, limit)
        .await
        .map_err(|f| ConnectFailure {
            message: redactor.redact(&f.message).into_owned(),
            ..f
        })
}

/// TLS (for `wss`) and the HTTP upgrade on `tcp`, before the deadline.
/// A plain socket's answer is recorded, so a refusal keeps the server's
/// words and a 101 followed by garbage is caught.
async fn upgrade(
    attempt: &Attempt<'_>,
    url: &url::Url,
    request: tungstenite::handshake::client::Request,
    tcp: TcpStream,
    tls: Arc<rustls::ClientConfig>,
) -> Result<Connected, ConnectFailure> {
    // Only a plain socket's bytes are worth recording: under TLS the
    // tape would hold ciphertext.
    let tape: Tape = Default::default();
    let record = (url.scheme() == "ws").then(|| (tape.clone(), RAW_ANSWER_BYTES));
    // A second handle on the socket reads the rest of a refused answer
    // (the server's words) after tungstenite dropped its own.
    let (tcp, spare) = match record {
        Some(_) => spare_handle(tcp).map_err(|e| {
            attempt.fail(
                Stage::Handshake,
                FailureKind::Io,
                format!("cannot set up the connection: {e}"),
            )
        })?,
        None => (tcp, None),
    };
    let tcp = Recorder::new(tcp, record);
    let connector = Connector::Rustls(tls);
    let upgrade = tokio_tungstenite::client_async_tls_with_config(
        request,
        tcp,
        Some(ws_config()),
        Some(connector),
    );
    match timeout_at(attempt.deadline, upgrade).await {
        Err(_) => Err(attempt.fail(
            Stage::Handshake,
            FailureKind::Timeout,
            timed_out(
                attempt.limit,
                "waiting for the server to answer the upgrade",
            ),
        )),
        Ok(Err(e)) => Err(refused(attempt, e, spare, &tape).await),
        Ok(Ok((ws, response))) => opened(attempt, ws, &response, &tape),
    }
}

/// The upgrade failed: what tungstenite saw, with the rest of the
/// server's answer read from the spare handle and the recorded bytes.
async fn refused(
    attempt: &Attempt<'_>,
    error: WsError,
    mut spare: Option<TcpStream>,
    tape: &Tape,
) -> ConnectFailure {
    if let Some(spare) = spare.as_mut() {
        let until = attempt.deadline.min(Instant::now() + REST_OF_ANSWER);
        super::recorder::read_rest(spare, tape, RAW_ANSWER_BYTES, until).await;
    }
    let mut failure = classify(error, attempt.redactor);
    failure.raw_answer = recorded(tape, attempt.redactor);
    // tungstenite keeps no body of a refused answer: take it from
    // the recorded bytes (the server's words are the evidence).
    if let (Some(http), Some(raw)) = (&mut failure.http, &failure.raw_answer)
        && http.body_excerpt.is_empty()
        && let Some(answer) = crate::diagnose::evidence::raw::parse(raw)
    {
        let body = answer.body.as_bytes();
        let cut = body.len().min(BODY_EXCERPT_BYTES);
        http.body_excerpt = String::from_utf8_lossy(&body[..cut]).into_owned();
    }
    failure
}

/// The server answered 101: stop recording, and make sure what follows
/// the answer can be a WebSocket frame.
fn opened<B>(
    attempt: &Attempt<'_>,
    mut ws: WsStream,
    response: &Response<B>,
    tape: &Tape,
) -> Result<Connected, ConnectFailure> {
    match ws.get_mut() {
        MaybeTlsStream::Plain(s) => s.stop(),
        MaybeTlsStream::Rustls(s) => s.get_mut().0.stop(),
        _ => {}
    }
    // An HTTP error written onto the upgraded socket would surface
    // later as a bare "protocol error": say what came instead.
    let garbage = tape.lock().is_ok_and(|t| super::recorder::not_a_frame(&t));
    if garbage {
        return Err(ConnectFailure {
            stage: Stage::Handshake,
            kind: FailureKind::Protocol,
            message: NOT_A_FRAME.to_string(),
            http: None,
            raw_answer: recorded(tape, attempt.redactor),
        });
    }
    let subprotocol = response
        .headers()
        .get("sec-websocket-protocol")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    Ok(Connected {
        ws,
        info: HandshakeInfo {
            status: response.status().as_u16(),
            latency: attempt.started.elapsed(),
            headers: headers_of(response, attempt.redactor),
            subprotocol,
        },
        opened_at: SystemTime::now(),
    })
}

pub(crate) use crate::facts::NOT_A_FRAME;

/// How long the rest of a refused answer (its body) may take to arrive
/// after its headers.
const REST_OF_ANSWER: Duration = Duration::from_millis(500);

/// The socket and a second handle on it (a dup'd descriptor), or just the
/// socket when that fails.
fn spare_handle(tcp: TcpStream) -> std::io::Result<(TcpStream, Option<TcpStream>)> {
    let std = tcp.into_std()?;
    let spare = std
        .try_clone()
        .ok()
        .and_then(|s| TcpStream::from_std(s).ok());
    Ok((TcpStream::from_std(std)?, spare))
}

/// The recorded answer, lossy UTF-8 and token scrubbed; `None` if empty.
fn recorded(tape: &Tape, redactor: &Redactor) -> Option<String> {
    let bytes = tape.lock().ok()?;
    if bytes.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(&bytes);
    Some(redactor.redact(&text).into_owned())
}

fn timed_out(limit: Duration, what: &str) -> String {
    format!(
        "no progress within connect_timeout ({}) while {what}",
        humantime::format_duration(limit)
    )
}

/// The upgrade request: URL, the endpoint's headers, offered subprotocols.
fn build_request(endpoint: &Endpoint) -> Result<tungstenite::handshake::client::Request, String> {
    let mut request = endpoint
        .url
        .as_str()
        .into_client_request()
        .map_err(|e| format!("cannot build the upgrade request: {e}"))?;
    let headers = request.headers_mut();
    for (name, value) in &endpoint.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("invalid header name {name:?}"))?;
        let value = HeaderValue::from_str(value.expose())
            .map_err(|_| format!("invalid value for header {name}"))?;
        headers.insert(name, value);
    }
    if !endpoint.subprotocols.is_empty() {
        let offered = endpoint.subprotocols.join(", ");
        let value = HeaderValue::from_str(&offered)
            .map_err(|_| format!("invalid subprotocol list {offered:?}"))?;
        headers.insert("sec-websocket-protocol", value);
    }
    Ok(request)
}

/// Names a failed upgrade: a refused HTTP answer, TLS, protocol or I/O.
fn classify(error: WsError, redactor: &Redactor) -> ConnectFailure {
    let message = redactor.redact(&error.to_string()).into_owned();
    let (kind, http) = match error {
        WsError::Http(response) => (
            FailureKind::HttpStatus,
            Some(answer_of(&response, redactor)),
        ),
        WsError::Tls(_) => (FailureKind::Tls, None),
        WsError::Io(ref e) if is_tls_io(e) => (FailureKind::Tls, None),
        WsError::Io(_) | WsError::ConnectionClosed | WsError::AlreadyClosed => {
            (FailureKind::Io, None)
        }
        WsError::Url(_) => (FailureKind::Url, None),
        _ => (FailureKind::Protocol, None),
    };
    ConnectFailure {
        stage: Stage::Handshake,
        kind,
        message,
        http,
        raw_answer: None,
    }
}

/// rustls reports certificate and record errors through `io::Error`s that
/// wrap a `rustls::Error`.
fn is_tls_io(e: &std::io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>())
}

fn headers_of<B>(response: &Response<B>, redactor: &Redactor) -> Vec<(String, String)> {
    response
        .headers()
        .iter()
        .map(|(k, v)| {
            let value = String::from_utf8_lossy(v.as_bytes());
            (k.as_str().to_string(), redactor.redact(&value).into_owned())
        })
        .collect()
}

fn answer_of(response: &Response<Option<Vec<u8>>>, redactor: &Redactor) -> HttpAnswer {
    let body = response.body().as_deref().unwrap_or_default();
    let excerpt = String::from_utf8_lossy(&body[..body.len().min(BODY_EXCERPT_BYTES)]);
    HttpAnswer {
        status: response.status().as_u16(),
        headers: headers_of(response, redactor),
        body_excerpt: redactor.redact(&excerpt).into_owned(),
    }
}
