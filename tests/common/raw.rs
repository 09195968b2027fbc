//! A server controlled byte by byte, for misbehaviour tungstenite would
//! refuse to produce: broken handshakes, illegal frames, resets.

use std::net::SocketAddr;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

/// What the server does with each accepted TCP connection (1-based count).
pub type Script = Arc<dyn Fn(TcpStream, usize) -> BoxFuture<'static, ()> + Send + Sync>;

pub async fn raw_server(script: Script) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut n = 0;
        while let Ok((stream, _)) = listener.accept().await {
            n += 1;
            tokio::spawn(script(stream, n));
        }
    });
    addr
}

/// Reads the upgrade request; returns its `Sec-WebSocket-Key`.
pub async fn read_request(stream: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) => buf.push(byte[0]),
            _ => return String::new(),
        }
    }
    let text = String::from_utf8_lossy(&buf);
    text.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("sec-websocket-key")
                .then(|| v.trim().to_string())
        })
        .unwrap_or_default()
}

/// A correct 101 answer for `key`.
pub fn accept_response(key: &str) -> String {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        derive_accept_key(key.as_bytes())
    )
}

/// Completes a correct handshake.
pub async fn handshake(stream: &mut TcpStream) {
    let key = read_request(stream).await;
    let _ = stream.write_all(accept_response(&key).as_bytes()).await;
}

/// One frame as the server writes it: `first` is FIN/RSV/opcode byte.
pub fn frame(first: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mut out = vec![first];
    let mask_bit = if masked { 0x80 } else { 0 };
    // RFC 6455 section 5.2: 7-bit length, else 126 + 16 bits, else 127 + 64 bits.
    let n = payload.len();
    match (u8::try_from(n), u16::try_from(n)) {
        (Ok(short), _) if short < 126 => out.push(mask_bit | short),
        (_, Ok(medium)) => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&medium.to_be_bytes());
        }
        _ => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if masked {
        let key = [1u8, 2, 3, 4];
        out.extend_from_slice(&key);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    } else {
        out.extend_from_slice(payload);
    }
    out
}

pub const FIN_TEXT: u8 = 0x81;
pub const FIN_BINARY: u8 = 0x82;
pub const FIN_CLOSE: u8 = 0x88;
pub const FIN_PING: u8 = 0x89;

/// A close frame payload: code + reason.
pub fn close_payload(code: u16, reason: &[u8]) -> Vec<u8> {
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(reason);
    p
}

/// A script: correct handshake, then `bytes`, then hold the connection
/// open (reading and discarding) until the client goes away.
pub fn after_handshake(bytes: Vec<u8>) -> Script {
    Arc::new(move |mut stream, _| {
        let bytes = bytes.clone();
        Box::pin(async move {
            handshake(&mut stream).await;
            let _ = stream.write_all(&bytes).await;
            let mut sink = [0u8; 1024];
            while let Ok(n) = stream.read(&mut sink).await {
                if n == 0 {
                    break;
                }
            }
        })
    })
}

/// A script that answers the upgrade with `response` verbatim.
pub fn answer(response: &'static [u8]) -> Script {
    Arc::new(move |mut stream, _| {
        Box::pin(async move {
            let _ = read_request(&mut stream).await;
            let _ = stream.write_all(response).await;
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        })
    })
}
