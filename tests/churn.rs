//! Faults over time: thousands of reconnects without leaks and backoff
//! holding the reconnect rate down. (The restart soak is `tests/soak.rs`.)

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use wsmon::config::Settings;
use wsmon::facts::*;
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
    let ceiling =
        u32::try_from(window.as_millis() / settings.reconnect_min.as_millis()).expect("small") + 1;
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
