//! The soak: a server restarted 100 times while a session runs. Every drop
//! is recorded, every restart is followed by a reconnect, counts match, and
//! memory stays flat. Its own test binary, so RSS is this test's alone.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use futures_util::SinkExt;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use wsmon::config::Settings;
use wsmon::facts::*;
use wsmon::model::Model;
use wsmon::session::*;

/// Resident memory of this process now, in KiB (Linux).
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
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
    // The model the front ends keep, fed all along: its history is capped,
    // so it must not grow with the restarts either.
    let mut model = Model::new(&profile(
        &[("n", format!("ws://127.0.0.1:{port}/"))],
        settings,
    ));
    let mut rss_after_10 = None;
    tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(event) = rx.recv().await {
            model.apply(&event);
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
                        if drops == 10 {
                            rss_after_10 = rss_kib();
                        }
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
    assert_eq!(model.sessions[0].opens as usize, LIVES);
    // Memory flat: the last 90 restarts add no more than a small margin.
    if let (Some(early), Some(late)) = (rss_after_10, rss_kib()) {
        let grew = late.saturating_sub(early);
        assert!(grew < 4 * 1024, "RSS grew by {grew} KiB over 90 restarts");
        eprintln!("RSS after 10 restarts {early} KiB, after 100 {late} KiB");
    }
}
