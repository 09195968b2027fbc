//! Hostile servers, byte by byte: for each misbehaviour, wsmon does not
//! panic or hang, reports the right code/state, and a bystander session
//! on a healthy server keeps receiving.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::raw::*;
use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use wsmon::facts::*;
use wsmon::session::*;

/// A healthy server sending a message every 20 ms (and reading, so it
/// answers the client's close at once).
async fn ticker() -> WsServer {
    let behaviour: Behaviour = Arc::new(|mut ws, _| {
        Box::pin(async move {
            for i in 0u64.. {
                if ws.send(Message::text(format!("tick {i}"))).await.is_err() {
                    return;
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(20)) => {}
                    next = ws.next() => if !matches!(next, Some(Ok(_))) { return },
                }
            }
        })
    });
    ws_server(None, behaviour).await
}

/// Runs a hostile endpoint (0) beside a healthy one (1) until the hostile
/// one's first attempt ends; then proves the bystander still receives.
async fn first_attempt(script: Script) -> AttemptRecord {
    first_attempt_and_texts(script).await.0
}

/// As [`first_attempt`], also returning the texts the hostile endpoint sent.
async fn first_attempt_and_texts(script: Script) -> (AttemptRecord, Vec<String>) {
    let hostile = raw_server(script).await;
    let healthy = ticker().await;
    let (tx, mut rx) = channel();
    let settings = fast_settings();
    let p = profile(
        &[
            ("hostile", format!("ws://{hostile}/ws/")),
            ("bystander", healthy.url("/ws/")),
        ],
        settings,
    );
    let sup = Supervisor::start(p, Mode::Monitor, tx);
    let mut texts = Vec::new();
    let record = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(event) = rx.recv().await {
            match event {
                Event::Session {
                    endpoint: 0,
                    event: SessionEvent::Closed(record),
                } => return *record,
                Event::Session {
                    endpoint: 0,
                    event: SessionEvent::Messages(batch),
                } => {
                    for p in batch.messages {
                        if let PayloadData::Text(t) = p.data {
                            texts.push(t.to_string());
                        }
                    }
                }
                _ => {}
            }
        }
        panic!("engine stopped");
    })
    .await
    .expect("the hostile attempt ended in time (no hang)");
    // The bystander keeps receiving after the hostile session's end.
    let mut ticks = 0;
    tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(event) = rx.recv().await {
            if let Event::Session {
                endpoint: 1,
                event: SessionEvent::Messages(b),
            } = event
            {
                ticks += b.messages.len();
                if ticks >= 3 {
                    return;
                }
            }
        }
    })
    .await
    .expect("the bystander session kept receiving");
    sup.shutdown().await;
    (record, texts)
}

fn failure(record: &AttemptRecord) -> &ConnectFailure {
    record
        .failure()
        .unwrap_or_else(|| panic!("expected a failed handshake: {record:?}"))
}

fn close(record: &AttemptRecord) -> &CloseInfo {
    record
        .close()
        .unwrap_or_else(|| panic!("expected an opened socket: {record:?}"))
}

// ---- handshake ----

#[tokio::test]
async fn wrong_accept_key() {
    let r = first_attempt(answer(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: bm90IHRoZSByaWdodCBrZXk=\r\n\r\n",
    ))
    .await;
    let f = failure(&r);
    assert_eq!(f.kind, FailureKind::Protocol);
    assert!(f.message.contains("Sec-WebSocket-Accept"), "{}", f.message);
}

#[tokio::test]
async fn missing_upgrade_header() {
    let script: Script = Arc::new(|mut s, _| {
        Box::pin(async move {
            let key = read_request(&mut s).await;
            let text = accept_response(&key).replace("Upgrade: websocket\r\n", "");
            let _ = s.write_all(text.as_bytes()).await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        })
    });
    let f = failure(&first_attempt(script).await).clone();
    assert_eq!(f.kind, FailureKind::Protocol);
    assert!(f.message.contains("Upgrade"), "{}", f.message);
}

#[tokio::test]
async fn status_101_without_upgrade_headers() {
    let r = first_attempt(answer(b"HTTP/1.1 101 Switching Protocols\r\n\r\n")).await;
    assert_eq!(failure(&r).kind, FailureKind::Protocol);
}

#[tokio::test]
async fn garbage_instead_of_http() {
    let r = first_attempt(answer(
        b"\x00\x01SSH-2.0-OpenSSH_9.2\r\n\xff\xfe garbage\r\n\r\n",
    ))
    .await;
    assert_eq!(failure(&r).kind, FailureKind::Protocol);
}

#[tokio::test]
async fn headers_that_never_end() {
    let script: Script = Arc::new(|mut s, _| {
        Box::pin(async move {
            let _ = read_request(&mut s).await;
            let _ = s.write_all(b"HTTP/1.1 101 Switching Protocols\r\n").await;
            let line =
                b"X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
            while s.write_all(line).await.is_ok() {}
        })
    });
    let r = first_attempt(script).await;
    // Refused (tungstenite caps the header block) or timed out; never a hang.
    assert!(
        matches!(
            failure(&r).kind,
            FailureKind::Protocol | FailureKind::Timeout | FailureKind::Io
        ),
        "{r:?}"
    );
}

#[tokio::test]
async fn an_answer_trickled_a_byte_at_a_time() {
    let script: Script = Arc::new(|mut s, _| {
        Box::pin(async move {
            let key = read_request(&mut s).await;
            for byte in accept_response(&key).bytes() {
                if s.write_all(&[byte]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    });
    let f = failure(&first_attempt(script).await).clone();
    assert_eq!((f.stage, f.kind), (Stage::Handshake, FailureKind::Timeout));
}

// ---- frames ----

#[tokio::test]
async fn invalid_utf8_text_is_1007() {
    let r = first_attempt(after_handshake(frame(
        FIN_TEXT,
        b"ok \xc3\x28 not utf-8",
        false,
    )))
    .await;
    let c = close(&r);
    assert_eq!(
        (c.code, c.by, c.cause),
        (1007, Closer::Client, Some(LocalCause::InvalidUtf8))
    );
}

#[tokio::test]
async fn a_masked_frame_from_the_server_is_1002() {
    let r = first_attempt(after_handshake(frame(FIN_TEXT, b"masked", true))).await;
    assert_eq!(
        (close(&r).code, close(&r).cause),
        (1002, Some(LocalCause::ProtocolViolation))
    );
}

#[tokio::test]
async fn reserved_bits_are_1002() {
    let r = first_attempt(after_handshake(frame(FIN_TEXT | 0x40, b"rsv1", false))).await;
    assert_eq!(close(&r).code, 1002);
}

#[tokio::test]
async fn an_unknown_opcode_is_1002() {
    let r = first_attempt(after_handshake(frame(0x83, b"opcode 3", false))).await;
    assert_eq!(close(&r).code, 1002);
}

#[tokio::test]
async fn a_fragmented_control_frame_is_1002() {
    // A ping without FIN.
    let r = first_attempt(after_handshake(frame(0x09, b"frag", false))).await;
    assert_eq!(close(&r).code, 1002);
}

#[tokio::test]
async fn a_100_mib_message_is_refused_as_1009_before_it_is_read() {
    // Only the header claims 100 MiB; nothing like that is ever sent, so a
    // pass proves the limit is checked on the header, not after buffering.
    let mut header = vec![FIN_BINARY, 127];
    header.extend_from_slice(&(100u64 << 20).to_be_bytes());
    header.extend_from_slice(&[0u8; 1024]);
    let r = first_attempt(after_handshake(header)).await;
    let c = close(&r);
    assert_eq!((c.code, c.cause), (1009, Some(LocalCause::MessageTooBig)));
}

#[tokio::test]
async fn a_close_with_an_invalid_code() {
    let r = first_attempt(after_handshake(frame(
        FIN_CLOSE,
        &close_payload(999, b"bad"),
        false,
    )))
    .await;
    // Codes below 1000 are never valid on the wire: a protocol error.
    assert_eq!(close(&r).code, 1002, "{r:?}");
}

#[tokio::test]
async fn a_close_with_a_200_byte_reason() {
    let r = first_attempt(after_handshake(frame(
        FIN_CLOSE,
        &close_payload(4000, &[b'x'; 200]),
        false,
    )))
    .await;
    // Control frames carry at most 125 bytes.
    assert_eq!(close(&r).code, 1002, "{r:?}");
}

#[tokio::test]
async fn bytes_after_the_close_frame_are_ignored() {
    let mut bytes = frame(FIN_CLOSE, &close_payload(4000, b"bye"), false);
    bytes.extend(frame(FIN_TEXT, b"after close", false));
    bytes.extend_from_slice(b"\xde\xad\xbe\xef trailing junk");
    let r = first_attempt(after_handshake(bytes)).await;
    let c = close(&r);
    assert_eq!(
        (c.code, c.reason.as_str(), c.by),
        (4000, "bye", Closer::Server)
    );
}

// ---- connection ----

#[tokio::test]
async fn a_tcp_reset_mid_message_is_1006() {
    let script: Script = Arc::new(|mut s, _| {
        Box::pin(async move {
            handshake(&mut s).await;
            // Header for 1000 bytes, then only 10 of them, then RST.
            let mut partial = vec![FIN_TEXT, 126];
            partial.extend_from_slice(&1000u16.to_be_bytes());
            partial.extend_from_slice(b"0123456789");
            let _ = s.write_all(&partial).await;
            let _ = s.set_zero_linger();
            drop(s);
        })
    });
    let r = first_attempt(script).await;
    let c = close(&r);
    assert_eq!((c.code, c.by, c.clean), (1006, Closer::Network, false));
}

#[tokio::test]
async fn a_server_pinging_every_millisecond_is_answered_and_harmless() {
    let script: Script = Arc::new(|mut s, _| {
        Box::pin(async move {
            handshake(&mut s).await;
            let mut sink = [0u8; 4096];
            let mut pongs = 0usize;
            for _ in 0..300 {
                if s.write_all(&frame(FIN_PING, b"p", false)).await.is_err() {
                    return;
                }
                // Count pong frames (0x8A) as they come back.
                if let Ok(Ok(n)) =
                    tokio::time::timeout(Duration::from_millis(1), s.read(&mut sink)).await
                {
                    pongs += sink[..n].iter().filter(|&&b| b == 0x8A).count();
                }
            }
            // Then say how many pongs arrived, and close.
            let _ = s
                .write_all(&frame(FIN_TEXT, format!("pongs {pongs}").as_bytes(), false))
                .await;
            let _ = s
                .write_all(&frame(FIN_CLOSE, &close_payload(1000, b"done"), false))
                .await;
            tokio::time::sleep(Duration::from_millis(200)).await;
        })
    });
    let (r, texts) = first_attempt_and_texts(script).await;
    assert_eq!(close(&r).code, 1000, "{r:?}");
    let pongs: usize = texts
        .iter()
        .find_map(|t| t.strip_prefix("pongs ")?.parse().ok())
        .expect("the server reported its pong count");
    assert!(pongs > 0, "no pong was sent back");
}
