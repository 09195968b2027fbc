//! The first stages of opening a connection: resolve the host, connect TCP,
//! and, when the profile's proxy rules ([`crate::proxy`]) pick a proxy,
//! open a tunnel through it. What comes back is a plain TCP stream carrying
//! bytes to the server, ready for TLS and the WebSocket upgrade
//! ([`super::handshake`]), so a proxied socket is the same type as a direct
//! one.
//!
//! - HTTP proxies: `CONNECT host:port HTTP/1.1` (RFC 9110 §9.3.6), spoken
//!   with hyper; a `2xx` hands the connection over (RFC 9110: any 2xx means
//!   the tunnel is open), anything else is the proxy refusing, kept with
//!   its status, headers and body for the diagnosis.
//! - SOCKS5 proxies (RFC 1928, user/password RFC 1929) with tokio-socks:
//!   `socks5h://` lets the proxy resolve the name, `socks5://` resolves here.
//!
//! Every failure names the stage it reached; those at or behind the proxy
//! are [`FailureKind::Proxy`], so "the proxy said no" is never mistaken for
//! "the server is down".

use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::BodyExt;
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};
use url::Url;

use crate::facts::events::{ConnectFailure, FailureKind, HttpAnswer, Stage};
use crate::proxy::{Proxies, ProxyKind, Route};

/// How much of a proxy's refusal body is kept.
const PROXY_BODY_BYTES: usize = 1024;

fn failure(stage: Stage, kind: FailureKind, message: String) -> ConnectFailure {
    ConnectFailure {
        stage,
        kind,
        message,
        http: None,
        raw_answer: None,
    }
}

fn timed_out(limit: Duration, what: &str) -> String {
    format!(
        "no progress within connect_timeout ({}) while {what}",
        humantime::format_duration(limit)
    )
}

/// A TCP stream to `url`'s host and port, directly or through the proxy
/// `proxies` picks for it, all before `deadline`. Messages are not yet
/// redacted (the caller does that).
pub(crate) async fn dial(
    url: &Url,
    proxies: &Proxies,
    deadline: Instant,
    limit: Duration,
) -> Result<TcpStream, ConnectFailure> {
    let host = url
        .host_str()
        .ok_or_else(|| failure(Stage::Dns, FailureKind::Url, "the URL has no host".into()))?;
    // `Url` keeps IPv6 literals bracketed; the resolver wants them bare.
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = url.port_or_known_default().unwrap_or(80);
    let Some(route) = proxies.route(url) else {
        return direct(host, port, deadline, limit).await;
    };
    let tcp = direct(&route.host, route.port, deadline, limit)
        .await
        .map_err(|f| proxy_unreachable(f, &route))?;
    let tunnel = async {
        match route.kind {
            ProxyKind::Http { tls: false } => connect_tunnel(tcp, host, port, &route).await,
            ProxyKind::Http { tls: true } => Err(failure(
                Stage::Tcp,
                FailureKind::Proxy,
                format!(
                    "proxy {}: https:// proxies (TLS to the proxy itself) are not supported for sockets; use the proxy's http:// address",
                    route.shown
                ),
            )),
            ProxyKind::Socks5 { remote_dns } => {
                socks5(tcp, host, port, remote_dns, &route, deadline, limit).await
            }
        }
    };
    match timeout_at(deadline, tunnel).await {
        Ok(result) => result,
        Err(_) => Err(failure(
            Stage::Tcp,
            FailureKind::Proxy,
            format!(
                "proxy {}: {}",
                route.shown,
                timed_out(limit, &format!("opening a tunnel to {host}:{port}"))
            ),
        )),
    }
}

/// Resolve, then the first address that accepts.
async fn direct(
    host: &str,
    port: u16,
    deadline: Instant,
    limit: Duration,
) -> Result<TcpStream, ConnectFailure> {
    let addrs = resolve(host, port, deadline, limit).await?;
    let mut last_error = None;
    for addr in &addrs {
        match timeout_at(deadline, TcpStream::connect(addr)).await {
            Err(_) => {
                return Err(failure(
                    Stage::Tcp,
                    FailureKind::Timeout,
                    timed_out(limit, &format!("connecting to {addr}")),
                ));
            }
            Ok(Ok(stream)) => {
                // Small frames (pings, notifications) should not wait for Nagle.
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(e)) => last_error = Some((*addr, e)),
        }
    }
    Err(match last_error {
        Some((addr, e)) => {
            let kind = if e.kind() == std::io::ErrorKind::ConnectionRefused {
                FailureKind::ConnectionRefused
            } else {
                FailureKind::Io
            };
            failure(Stage::Tcp, kind, format!("cannot connect to {addr}: {e}"))
        }
        None => failure(
            Stage::Tcp,
            FailureKind::Io,
            "no address to connect to".into(),
        ),
    })
}

async fn resolve(
    host: &str,
    port: u16,
    deadline: Instant,
    limit: Duration,
) -> Result<Vec<SocketAddr>, ConnectFailure> {
    let addrs: Vec<SocketAddr> =
        match timeout_at(deadline, tokio::net::lookup_host((host, port))).await {
            Err(_) => {
                return Err(failure(
                    Stage::Dns,
                    FailureKind::Timeout,
                    timed_out(limit, "resolving the host"),
                ));
            }
            Ok(Err(e)) => {
                return Err(failure(
                    Stage::Dns,
                    FailureKind::Dns,
                    format!("cannot resolve {host}: {e}"),
                ));
            }
            Ok(Ok(addrs)) => addrs.collect(),
        };
    if addrs.is_empty() {
        return Err(failure(
            Stage::Dns,
            FailureKind::Dns,
            format!("{host} resolved to no addresses"),
        ));
    }
    Ok(addrs)
}

/// Reaching the proxy itself failed: same stage, but said to be the proxy.
fn proxy_unreachable(f: ConnectFailure, route: &Route) -> ConnectFailure {
    ConnectFailure {
        stage: f.stage,
        kind: FailureKind::Proxy,
        message: format!("proxy {} unreachable: {}", route.shown, f.message),
        http: None,
        raw_answer: None,
    }
}

/// `CONNECT host:port` through an HTTP proxy; the same TCP stream back
/// once the proxy answered 2xx.
async fn connect_tunnel(
    tcp: TcpStream,
    host: &str,
    port: u16,
    route: &Route,
) -> Result<TcpStream, ConnectFailure> {
    let fail = |message: String| {
        failure(
            Stage::Tcp,
            FailureKind::Proxy,
            format!("proxy {}: {message}", route.shown),
        )
    };
    // An IPv6 target goes bracketed in the request target (RFC 9110 §7.2).
    let authority = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let io = hyper_util::rt::TokioIo::new(tcp);
    let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, String>(io)
        .await
        .map_err(|e| fail(format!("CONNECT failed: {e}")))?;
    // The connection task ends when the tunnel is handed over (upgrade)
    // or the sender is dropped.
    let conn = tokio::spawn(conn.with_upgrades());
    let mut request = http::Request::builder()
        .method(http::Method::CONNECT)
        .uri(&authority)
        .header(http::header::HOST, &authority)
        .header(
            http::header::USER_AGENT,
            concat!("wsmon/", env!("CARGO_PKG_VERSION")),
        );
    if let Some(auth) = &route.basic_auth {
        request = request.header(http::header::PROXY_AUTHORIZATION, auth.clone());
    }
    let request = request
        .body(String::new())
        .map_err(|e| fail(format!("cannot build the CONNECT request: {e}")))?;
    let mut response = sender
        .send_request(request)
        .await
        .map_err(|e| fail(format!("CONNECT {authority} got no answer: {e}")))?;
    let status = response.status();
    if !status.is_success() {
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = read_body(response.into_body()).await;
        drop(sender);
        conn.abort();
        let reason = status.canonical_reason().unwrap_or("");
        let mut f = fail(format!(
            "CONNECT {authority} refused: HTTP {} {reason}",
            status.as_u16()
        ));
        f.http = Some(HttpAnswer {
            status: status.as_u16(),
            headers,
            body_excerpt: body,
        });
        return Err(f);
    }
    let upgraded = hyper::upgrade::on(&mut response)
        .await
        .map_err(|e| fail(format!("CONNECT {authority}: the tunnel did not open: {e}")))?;
    let _ = conn.await;
    // Back to the TCP stream: the proxy sends nothing after its 2xx until
    // the server speaks, and the server speaks only after TLS or the
    // upgrade request, so hyper holds no bytes of the tunnel.
    match upgraded.downcast::<hyper_util::rt::TokioIo<TcpStream>>() {
        Ok(parts) if parts.read_buf.is_empty() => Ok(parts.io.into_inner()),
        Ok(_) => Err(fail(format!(
            "CONNECT {authority}: the proxy sent data before anything was asked of the server"
        ))),
        Err(_) => Err(fail(format!(
            "CONNECT {authority}: the tunnel is not the TCP stream it was opened on"
        ))),
    }
}

/// At most [`PROXY_BODY_BYTES`] of a refusal's body, lossily decoded.
async fn read_body(mut body: hyper::body::Incoming) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < PROXY_BODY_BYTES {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    bytes.extend_from_slice(&data);
                }
            }
            _ => break,
        }
    }
    bytes.truncate(PROXY_BODY_BYTES);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The SOCKS5 handshake on `tcp`; the same stream back once connected.
async fn socks5(
    tcp: TcpStream,
    host: &str,
    port: u16,
    remote_dns: bool,
    route: &Route,
    deadline: Instant,
    limit: Duration,
) -> Result<TcpStream, ConnectFailure> {
    use tokio_socks::tcp::Socks5Stream;
    let fail = |message: String| {
        failure(
            Stage::Tcp,
            FailureKind::Proxy,
            format!("proxy {}: {message}", route.shown),
        )
    };
    let connected = if remote_dns {
        match &route.socks_auth {
            Some((user, pass)) => {
                Socks5Stream::connect_with_password_and_socket(tcp, (host, port), user, pass).await
            }
            None => Socks5Stream::connect_with_socket(tcp, (host, port)).await,
        }
    } else {
        let addr = resolve(host, port, deadline, limit).await?[0];
        match &route.socks_auth {
            Some((user, pass)) => {
                Socks5Stream::connect_with_password_and_socket(tcp, addr, user, pass).await
            }
            None => Socks5Stream::connect_with_socket(tcp, addr).await,
        }
    };
    connected
        .map(Socks5Stream::into_inner)
        .map_err(|e| fail(format!("SOCKS5 connect to {host}:{port} refused: {e}")))
}
