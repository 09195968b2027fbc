//! Faults over time: thousands of reconnects without leaks, backoff holding
//! the reconnect rate down, and a server restarted 100 times with every drop
//! and reconnect accounted for.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use futures_util::SinkExt;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use wsmon::config::Settings;
use wsmon::session::*;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// A server that accepts the upgrade and drops the connection at once.
async fn dropper() -> WsServer {
    ws_server(None, Arc::new(|ws, _| Box::pin(async move { drop(ws) }))).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_reconnects_leak_no_sockets_or_tasks() {
    let server = dropper().await;
    let settings = Settings {
        reconnect_min: Duration::from_millis(1),
        reconnect_max: Duration::from_millis(2),
        ..fast_settings()
    };
    let endpoints: Vec<(String, String)> = (0..20)
        .map(|i| (format!("s{i}"), server.url("/")))
        .collect();
    let endpoints: Vec<(&str, String)> = endpoints
        .iter()
        .map(|(n, u)| (n.as_str(), u.clone()))
        .collect();
    let (fds_before, tasks_before) = (open_fds(), alive_tasks());

    let (tx, mut rx) = channel();
    let sup = Supervisor::start(profile(&endpoints, settings), Mode::Monitor, tx);
    let mut closes = 0usize;
    tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(event) = rx.recv().await {
            if let Event::Session {
                event: SessionEvent::Closed(_),
                ..
            } = event
            {
                closes += 1;
                if closes >= 10_000 {
                    return;
                }
            }
        }
    })
    .await
    .expect("10,000 reconnects in time");
    sup.shutdown().await;
    drop(rx);

    // Server-side tasks end as their connections do; allow them a moment.
    let settled = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if open_fds() <= fds_before && alive_tasks() <= tasks_before {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        settled.is_ok(),
        "leak: fds {fds_before} → {}, tasks {tasks_before} → {}",
        open_fds(),
        alive_tasks()
    );
    assert!(server.accepted.load(Ordering::SeqCst) >= 10_000);
}

#[tokio::test]
async fn backoff_holds_the_reconnect_rate_down() {
    let server = dropper().await;
    let settings = Settings {
        reconnect_min: Duration::from_millis(20),
        reconnect_max: Duration::from_millis(100),
        ..fast_settings()
    };
    let (tx, mut rx) = channel();
    let sup = Supervisor::start(
        profile(&[("n", server.url("/"))], settings),
        Mode::Monitor,
        tx,
    );
    let window = Duration::from_millis(1500);
    let mut attempts = 0u32;
    let mut delays = Vec::new();
    let _ = tokio::time::timeout(window, async {
        while let Some(event) = rx.recv().await {
            match event {
                Event::Session {
                    event: SessionEvent::Connecting { attempt, .. },
                    ..
                } => attempts = attempt,
                Event::Session {
                    event: SessionEvent::RetryScheduled { delay, .. },
                    ..
                } => delays.push(delay),
                _ => {}
            }
        }
    })
    .await;
    sup.shutdown().await;
    // Without backoff a drop-at-once server would see hundreds of attempts
    // in this window; with it, at most window / floor.
    let ceiling = (window.as_millis() / settings.reconnect_min.as_millis()) as u32 + 1;
    assert!(
        attempts >= 3 && attempts <= ceiling,
        "{attempts} attempts (ceiling {ceiling})"
    );
    // Delays grow towards the cap and never pass it.
    assert!(
        delays
            .iter()
            .all(|d| *d >= settings.reconnect_min && *d <= settings.reconnect_max),
        "{delays:?}"
    );
    assert!(
        delays
            .iter()
            .skip(3)
            .any(|d| *d > Duration::from_millis(40)),
        "no growth: {delays:?}"
    );
}

/// The soak: the server process "restarts" 100 times (listener and
/// connections gone, then back on the same port). Every drop is recorded,
/// every restart is followed by a successful reconnect, counts match.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restarted_100_times() {
    const LIVES: usize = 100;
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        l.local_addr().expect("addr").port()
    };
    let served = Arc::new(AtomicUsize::new(0));
    let s = served.clone();
    let server = tokio::spawn(async move {
        for life in 1..=LIVES {
            let listener = loop {
                match TcpListener::bind(("127.0.0.1", port)).await {
                    Ok(l) => break l,
                    Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                }
            };
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            if let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await {
                let _ = ws.send(Message::text(format!("life {life}"))).await;
                s.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(15)).await;
                // The process dies: no close frame.
                drop(ws);
            }
            drop(listener);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });

    let settings = Settings {
        reconnect_min: Duration::from_millis(5),
        reconnect_max: Duration::from_millis(30),
        ..fast_settings()
    };
    let (tx, mut rx) = channel();
    let sup = Supervisor::start(
        profile(&[("n", format!("ws://127.0.0.1:{port}/"))], settings),
        Mode::Monitor,
        tx,
    );
    let (mut opens, mut drops, mut refused) = (0usize, 0usize, 0usize);
    let mut lives_seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(event) = rx.recv().await {
            let Event::Session { event, .. } = event else {
                continue;
            };
            match event {
                SessionEvent::Open { .. } => opens += 1,
                SessionEvent::Messages(batch) => {
                    for p in batch.messages {
                        if let PayloadData::Text(t) = p.data {
                            lives_seen.push(t.to_string());
                        }
                    }
                }
                SessionEvent::Closed(record) => match &record.outcome {
                    Outcome::Closed { close, .. } => {
                        assert_eq!((close.code, close.clean), (1006, false), "{record:?}");
                        drops += 1;
                        if drops == LIVES {
                            return;
                        }
                    }
                    Outcome::Failed(f) => {
                        assert_eq!(f.kind, FailureKind::ConnectionRefused, "{f:?}");
                        refused += 1;
                    }
                },
                _ => {}
            }
        }
    })
    .await
    .expect("100 restarts in time");
    sup.shutdown().await;
    let _ = server.await;
    assert_eq!(opens, LIVES);
    assert_eq!(drops, LIVES);
    assert_eq!(served.load(Ordering::SeqCst), LIVES);
    let expected: Vec<String> = (1..=LIVES).map(|l| format!("life {l}")).collect();
    assert_eq!(
        lives_seen, expected,
        "every life's message exactly once, in order"
    );
    eprintln!("{refused} attempts found the server down");
}
