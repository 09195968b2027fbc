//! The session engine against real servers on 127.0.0.1.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use wsmon::facts::*;
use wsmon::session::*;

const LIMIT: Duration = Duration::from_secs(5);

fn closed(e: &SessionEvent) -> Option<&AttemptRecord> {
    match e {
        SessionEvent::Closed(r) => Some(r),
        _ => None,
    }
}

#[tokio::test]
async fn open_then_messages_arrive_in_order() {
    let closes = Arc::new(Mutex::new(Vec::new()));
    let messages = vec![
        Message::text("one"),
        Message::text(r#"{"type":"notification","id":2}"#),
        Message::binary(vec![0u8, 159, 146, 150]),
    ];
    let server = ws_server(None, send_then_echo_close(messages, closes.clone())).await;
    let (tx, mut rx) = channel();
    let sup = Supervisor::start(
        profile(&[("n", server.url("/ws/"))], fast_settings()),
        Mode::Monitor,
        tx,
    );

    let mut texts = Vec::new();
    let mut binaries = Vec::new();
    let seen = until(&mut rx, LIMIT, |e| {
        if let SessionEvent::Messages(batch) = e {
            for p in &batch.messages {
                match &p.data {
                    PayloadData::Text(t) => texts.push(t.to_string()),
                    PayloadData::Binary(b) => binaries.push(b.to_vec()),
                }
            }
        }
        texts.len() + binaries.len() == 3
    })
    .await;
    assert!(matches!(
        seen[0],
        SessionEvent::Connecting { attempt: 1, .. }
    ));
    let SessionEvent::Open { handshake, .. } = &seen[1] else {
        panic!("{seen:?}")
    };
    assert_eq!(handshake.status, 101);
    assert_eq!(texts, ["one", r#"{"type":"notification","id":2}"#]);
    assert_eq!(binaries, [vec![0u8, 159, 146, 150]]);

    sup.shutdown().await;
    // The server saw a clean 1000 close from us.
    let closes = closes.lock().await;
    assert_eq!(closes.len(), 1);
    assert_eq!(closes[0].as_ref().map(|f| u16::from(f.code)), Some(1000));
}

#[tokio::test]
async fn a_server_close_is_reported_with_code_reason_and_who() {
    let behaviour: Behaviour = Arc::new(|mut ws, _| {
        Box::pin(async move {
            let frame = CloseFrame {
                code: CloseCode::from(4000),
                reason: "feed rotated".into(),
            };
            let _ = ws.close(Some(frame)).await;
            while ws.next().await.is_some() {}
        })
    });
    let server = ws_server(None, behaviour).await;
    let (tx, mut rx) = channel();
    let sup = Supervisor::start(
        profile(&[("n", server.url("/ws/"))], fast_settings()),
        Mode::Monitor,
        tx,
    );
    let seen = until(&mut rx, LIMIT, |e| {
        matches!(e, SessionEvent::RetryScheduled { .. })
    })
    .await;
    let record = seen.iter().find_map(closed).expect("closed");
    let close = record.close().expect("it opened");
    assert_eq!(
        (close.code, close.reason.as_str(), close.by, close.clean),
        (4000, "feed rotated", Closer::Server, true)
    );
    assert_eq!(record.handshake_status(), Some(101));
    sup.shutdown().await;
}

#[tokio::test]
async fn a_close_without_status_is_1005() {
    let behaviour: Behaviour = Arc::new(|mut ws, _| {
        Box::pin(async move {
            let _ = ws.send(Message::Close(None)).await;
            while ws.next().await.is_some() {}
        })
    });
    let server = ws_server(None, behaviour).await;
    let (tx, mut rx) = channel();
    let sup = Supervisor::start(
        profile(&[("n", server.url("/"))], fast_settings()),
        Mode::Monitor,
        tx,
    );
    let seen = until(&mut rx, LIMIT, |e| closed(e).is_some()).await;
    let close = seen
        .iter()
        .find_map(closed)
        .and_then(|r| r.close().cloned())
        .expect("close");
    assert_eq!((close.code, close.clean), (1005, true));
    sup.shutdown().await;
}

#[tokio::test]
async fn an_abrupt_drop_is_1006_then_backoff_then_reconnect() {
    // First connection: one message then the TCP connection is dropped
    // without a close frame. Later connections stay open.
    let behaviour: Behaviour = Arc::new(|mut ws, n| {
        Box::pin(async move {
            let _ = ws.send(Message::text("before the drop")).await;
            if n == 1 {
                drop(ws);
                return;
            }
            while ws.next().await.is_some() {}
        })
    });
    let server = ws_server(None, behaviour).await;
    let (tx, mut rx) = channel();
    let settings = fast_settings();
    let sup = Supervisor::start(
        profile(&[("n", server.url("/"))], settings),
        Mode::Monitor,
        tx,
    );
    let mut opens = 0;
    let seen = until(&mut rx, LIMIT, |e| {
        if matches!(e, SessionEvent::Open { .. }) {
            opens += 1;
        }
        opens == 2
    })
    .await;
    let record = seen.iter().find_map(closed).expect("closed");
    let close = record.close().expect("opened first");
    assert_eq!(
        (close.code, close.by, close.clean),
        (1006, Closer::Network, false)
    );
    let delay = seen
        .iter()
        .find_map(|e| match e {
            SessionEvent::RetryScheduled {
                attempt: 2, delay, ..
            } => Some(*delay),
            _ => None,
        })
        .expect("a retry was scheduled");
    assert!(
        delay >= settings.reconnect_min && delay <= settings.reconnect_max,
        "{delay:?}"
    );
    assert!(
        seen.iter()
            .any(|e| matches!(e, SessionEvent::Connecting { attempt: 2, .. }))
    );
    sup.shutdown().await;
}

async fn refused_with(
    status: u16,
    headers: Vec<(&'static str, &'static str)>,
    body: &'static str,
) -> AttemptRecord {
    let server = ws_server(
        Some((status, headers, body)),
        send_then_echo_close(vec![], Default::default()),
    )
    .await;
    let (tx, mut rx) = channel();
    let sup = Supervisor::start(
        profile(&[("n", server.url("/ws/x/"))], fast_settings()),
        Mode::Monitor,
        tx,
    );
    let seen = until(&mut rx, LIMIT, |e| closed(e).is_some()).await;
    sup.shutdown().await;
    seen.iter().find_map(closed).cloned().expect("closed")
}

#[tokio::test]
async fn refused_handshakes_keep_status_headers_and_body() {
    let record = refused_with(
        404,
        vec![("Server", "WSGIServer/0.2 CPython/3.11.7")],
        "<h1>Not Found</h1>",
    )
    .await;
    let failure = record.failure().expect("failed");
    assert_eq!(failure.kind, FailureKind::HttpStatus);
    let http = failure.http.as_ref().expect("answer kept");
    assert_eq!(http.status, 404);
    assert_eq!(http.header("server"), Some("WSGIServer/0.2 CPython/3.11.7"));
    assert!(http.body_excerpt.contains("Not Found"), "{http:?}");
    assert_eq!(record.browser_close_code(), 1006);

    assert_eq!(
        refused_with(500, vec![], "").await.handshake_status(),
        Some(500)
    );
    assert_eq!(
        refused_with(403, vec![], "").await.handshake_status(),
        Some(403)
    );
}

#[tokio::test]
async fn nothing_listening_is_connection_refused() {
    let addr = closed_port().await;
    let (tx, mut rx) = channel();
    let sup = Supervisor::start(
        profile(&[("n", format!("ws://{addr}/"))], fast_settings()),
        Mode::Monitor,
        tx,
    );
    let seen = until(&mut rx, LIMIT, |e| closed(e).is_some()).await;
    let failure = seen
        .iter()
        .find_map(closed)
        .and_then(|r| r.failure().cloned())
        .expect("failure");
    assert_eq!(
        (failure.stage, failure.kind),
        (Stage::Tcp, FailureKind::ConnectionRefused)
    );
    sup.shutdown().await;
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_in_the_handshake() {
    let (addr, _server) = silent_server().await;
    let (tx, mut rx) = channel();
    let settings = fast_settings();
    let sup = Supervisor::start(
        profile(&[("n", format!("ws://{addr}/"))], settings),
        Mode::Monitor,
        tx,
    );
    let seen = until(&mut rx, LIMIT, |e| closed(e).is_some()).await;
    let failure = seen
        .iter()
        .find_map(closed)
        .and_then(|r| r.failure().cloned())
        .expect("failure");
    assert_eq!(
        (failure.stage, failure.kind),
        (Stage::Handshake, FailureKind::Timeout)
    );
    assert!(
        failure.message.contains("connect_timeout"),
        "{}",
        failure.message
    );
    sup.shutdown().await;
}

#[tokio::test]
async fn a_half_open_connection_is_detected_by_the_heartbeat() {
    // The server accepts, then never reads again: no pongs, ever.
    let behaviour: Behaviour = Arc::new(|ws, _| {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_secs(30)).await;
            drop(ws);
        })
    });
    let server = ws_server(None, behaviour).await;
    let (tx, mut rx) = channel();
    let settings = fast_settings();
    let sup = Supervisor::start(
        profile(&[("n", server.url("/"))], settings),
        Mode::Monitor,
        tx,
    );
    let seen = until(&mut rx, LIMIT, |e| closed(e).is_some()).await;
    let record = seen.iter().find_map(closed).expect("closed");
    let Outcome::Closed { close, open_for } = &record.outcome else {
        panic!("{record:?}")
    };
    assert_eq!(close.cause, Some(LocalCause::HeartbeatTimeout));
    assert_eq!((close.code, close.clean), (1006, false));
    // Detected after one ping interval plus the pong timeout (plus slack
    // for a loaded machine), not after the kernel's two-hour keepalive.
    let bound = settings.ping_interval + settings.pong_timeout;
    assert!(
        *open_for >= bound && *open_for < bound + Duration::from_secs(2),
        "{open_for:?}"
    );
    sup.shutdown().await;
}

#[tokio::test]
async fn pongs_measure_rtt() {
    let server = ws_server(None, send_then_echo_close(vec![], Default::default())).await;
    let (tx, mut rx) = channel();
    let sup = Supervisor::start(
        profile(&[("n", server.url("/"))], fast_settings()),
        Mode::Monitor,
        tx,
    );
    until(&mut rx, LIMIT, |e| matches!(e, SessionEvent::Rtt(_))).await;
    sup.shutdown().await;
}

#[tokio::test]
async fn an_auth_rejection_stops_retrying_until_asked() {
    let server = ws_server(
        Some((403, vec![], "")),
        send_then_echo_close(vec![], Default::default()),
    )
    .await;
    let (tx, mut rx) = channel();
    let sup = Supervisor::start(
        profile(&[("n", server.url("/ws/"))], fast_settings()),
        Mode::Monitor,
        tx,
    );
    let seen = until(&mut rx, LIMIT, |e| {
        matches!(e, SessionEvent::Stopped { .. })
    })
    .await;
    let Some(SessionEvent::Stopped {
        why: StopReason::AuthRejected { detail },
        ..
    }) = seen.last()
    else {
        panic!("{seen:?}")
    };
    assert!(detail.contains("403"), "{detail}");
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, SessionEvent::RetryScheduled { .. }))
    );
    // Many backoff periods later, still no second attempt.
    let quiet = tokio::time::timeout(Duration::from_millis(800), rx.recv()).await;
    assert!(quiet.is_err(), "unexpected event: {quiet:?}");
    // The user asks: one more attempt.
    sup.command(0, Command::ReconnectNow);
    until(&mut rx, LIMIT, |e| {
        matches!(e, SessionEvent::Connecting { attempt: 2, .. })
    })
    .await;
    sup.shutdown().await;
}

#[tokio::test]
async fn a_4001_close_after_accept_also_stops() {
    let behaviour: Behaviour = Arc::new(|mut ws, _| {
        Box::pin(async move {
            let frame = CloseFrame {
                code: CloseCode::from(4001),
                reason: "token revoked".into(),
            };
            let _ = ws.close(Some(frame)).await;
            while ws.next().await.is_some() {}
        })
    });
    let server = ws_server(None, behaviour).await;
    let (tx, mut rx) = channel();
    let sup = Supervisor::start(
        profile(&[("n", server.url("/"))], fast_settings()),
        Mode::Monitor,
        tx,
    );
    let seen = until(&mut rx, LIMIT, |e| {
        matches!(e, SessionEvent::Stopped { .. })
    })
    .await;
    assert!(matches!(
        seen.last(),
        Some(SessionEvent::Stopped {
            why: StopReason::AuthRejected { .. },
            ..
        })
    ));
    sup.shutdown().await;
}

#[tokio::test]
async fn pause_closes_cleanly_and_resume_reconnects() {
    let server = ws_server(None, send_then_echo_close(vec![], Default::default())).await;
    let (tx, mut rx) = channel();
    let sup = Supervisor::start(
        profile(&[("n", server.url("/"))], fast_settings()),
        Mode::Monitor,
        tx,
    );
    until(&mut rx, LIMIT, |e| matches!(e, SessionEvent::Open { .. })).await;
    sup.command(0, Command::Pause);
    let seen = until(&mut rx, LIMIT, |e| {
        matches!(
            e,
            SessionEvent::Stopped {
                why: StopReason::Paused,
                ..
            }
        )
    })
    .await;
    let close = seen
        .iter()
        .find_map(closed)
        .and_then(|r| r.close().cloned())
        .expect("closed");
    assert_eq!(
        (close.code, close.by, close.clean),
        (1000, Closer::Client, true)
    );
    sup.command(0, Command::Resume);
    until(&mut rx, LIMIT, |e| matches!(e, SessionEvent::Open { .. })).await;
    sup.shutdown().await;
}

#[tokio::test]
async fn switching_profile_closes_the_old_sockets_with_1000_and_opens_the_new() {
    let closes_a = Arc::new(Mutex::new(Vec::new()));
    let a = ws_server(None, send_then_echo_close(vec![], closes_a.clone())).await;
    let b = ws_server(
        None,
        send_then_echo_close(vec![Message::text("from b")], Default::default()),
    )
    .await;

    let (tx, mut rx) = channel();
    let sup = Supervisor::start(
        profile(
            &[("a1", a.url("/one/")), ("a2", a.url("/two/"))],
            fast_settings(),
        ),
        Mode::Monitor,
        tx,
    );
    let mut opens = 0;
    until(&mut rx, LIMIT, |e| {
        opens += matches!(e, SessionEvent::Open { .. }) as usize;
        opens == 2
    })
    .await;
    sup.shutdown().await;
    let codes: Vec<_> = closes_a
        .lock()
        .await
        .iter()
        .map(|f| f.as_ref().map(|f| u16::from(f.code)))
        .collect();
    assert_eq!(codes, [Some(1000), Some(1000)]);

    let (tx, mut rx) = channel();
    let sup = Supervisor::start(
        profile(&[("b", b.url("/"))], fast_settings()),
        Mode::Monitor,
        tx,
    );
    until(&mut rx, LIMIT, |e| matches!(e, SessionEvent::Messages(_))).await;
    sup.shutdown().await;
}

/// Collects the paths the server saw dialled until `n` distinct ones.
async fn dialled_until(
    accepted: &mut tokio::sync::mpsc::UnboundedReceiver<String>,
    dialled: &mut std::collections::HashSet<String>,
    n: usize,
) {
    while dialled.len() < n {
        let path = tokio::time::timeout(LIMIT, accepted.recv())
            .await
            .unwrap_or_else(|_| panic!("only {} of {n} endpoints dialled", dialled.len()))
            .expect("server alive");
        dialled.insert(path);
    }
}

/// A profile with more endpoints than [`MAX_CONNECTING`] against a server
/// that accepts and never answers: exactly that many handshakes are in
/// flight, the rest wait their turn; as the first ones fail (their
/// connect_timeout running from their turn), the others get theirs.
#[tokio::test]
async fn handshakes_in_flight_are_capped_and_the_rest_wait_their_turn() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    // Each accepted connection reports the path of its upgrade request.
    let (accepted_tx, mut accepted) = tokio::sync::mpsc::unbounded_channel();
    let server = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let accepted_tx = accepted_tx.clone();
            tokio::spawn(async move {
                use tokio::io::AsyncBufReadExt;
                let mut reader = tokio::io::BufReader::new(stream);
                let mut line = String::new();
                let _ = reader.read_line(&mut line).await;
                let path = line.split(' ').nth(1).unwrap_or("").to_string();
                let _ = accepted_tx.send(path);
                // Hold the connection, never answering.
                std::future::pending::<()>().await;
            });
        }
    });
    let mut dialled = std::collections::HashSet::new();
    let total = MAX_CONNECTING + 36;
    let endpoints: Vec<(String, String)> = (0..total)
        .map(|i| (format!("e{i}"), format!("ws://{addr}/ws/{i}")))
        .collect();
    let named: Vec<(&str, String)> = endpoints
        .iter()
        .map(|(n, u)| (n.as_str(), u.clone()))
        .collect();
    let settings = wsmon::config::Settings {
        connect_timeout: Duration::from_millis(1500),
        ..fast_settings()
    };
    let (tx, mut rx) = channel();
    let sup = Supervisor::start(profile(&named, settings), Mode::Monitor, tx);
    // Everyone reports CONNECTING at once...
    let mut connecting = 0;
    while connecting < total {
        match tokio::time::timeout(LIMIT, rx.recv()).await {
            Ok(Some(Event::Session {
                event: SessionEvent::Connecting { .. },
                ..
            })) => connecting += 1,
            Ok(Some(_)) => {}
            other => panic!("{connecting} of {total} connecting, then {other:?}"),
        }
    }
    // ...but only MAX_CONNECTING dial; the others queue behind them.
    dialled_until(&mut accepted, &mut dialled, MAX_CONNECTING).await;
    // While they hang (up to their 1.5 s timeout), nobody else dials.
    let early = tokio::time::timeout(Duration::from_millis(500), accepted.recv()).await;
    assert!(early.is_err(), "a queued session dialled early: {early:?}");
    // Their timeouts free the turns: every endpoint gets to dial.
    dialled_until(&mut accepted, &mut dialled, total).await;
    sup.shutdown().await;
    server.abort();
}
