//! The soak: a server restarted 300 times while a session runs. Every drop
//! is recorded, every restart is followed by a reconnect, counts match, and
//! memory stays flat once the model's capped histories are full. Its own
//! test binary, so the heap counted is this test's alone.

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

/// Every allocation of this test binary, counted: the live heap is exact,
/// where RSS also moves with the allocator's arenas and high-water marks.
#[global_allocator]
static HEAP: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

/// Resident memory of this process now, in KiB (Linux).
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The soak: the server process "restarts" 300 times (listener and
/// connections gone, then back on the same port). Every drop is recorded,
/// every restart is followed by a successful reconnect, counts match.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restarted_300_times() {
    const LIVES: usize = 300;
    // By then the model's history (HISTORY_CAP attempts, at least one a
    // restart) and its payload ring (a small byte budget here) are full.
    const WARM: usize = 200;
    const { assert!(WARM >= wsmon::model::HISTORY_CAP) };
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
    let mut model = Model::with_payload_cap(
        &profile(&[("n", format!("ws://127.0.0.1:{port}/"))], settings),
        8 * 1024,
    );
    // (drops, live heap KiB, RSS KiB) every 5 drops.
    let mut samples = Vec::new();
    tokio::time::timeout(Duration::from_secs(300), async {
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
                        if drops % 5 == 0 {
                            samples.push((drops, HEAP.allocated() / 1024, rss_kib()));
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
    .expect("300 restarts in time");
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
    eprintln!("(drops, live heap KiB, RSS KiB): {samples:?}");
    // Memory flat: the live heap (not RSS) at the start and at the end of
    // the last 100 restarts, each the least of six samples over 25
    // restarts, so that what is in flight at one sample (a /proc read, a
    // message batch) does not count. A leak of L bytes a restart shows as
    // 75·L: the bound catches ~0.4 KiB a restart (one leaked attempt
    // record, a socket's 4 KiB buffer, a task).
    //
    // Measured (debug build, 2 cores, three CPU hogs, 6 runs): the heap
    // grows ~4.3 KiB a restart until the model's history and payload ring
    // are full (~100 restarts), then these two minima differ by 6-7 KiB
    // (this test's own `lives_seen`). A deliberate leak of 512 bytes a
    // restart read 44 KiB and failed, while RSS moved 50 KiB. RSS, which
    // the bound used to be (4 MiB over restarts 10-100, the history still
    // filling: +470 KiB of heap by design), moved 0.4-1.1 MB in such runs
    // and 4.7 MB once in CI: allocator arenas and the high-water marks of
    // a loaded machine's /proc reads, not memory this process holds.
    let least = |from: usize, to: usize| {
        samples
            .iter()
            .filter(|s| (from..=to).contains(&s.0))
            .map(|s| s.1)
            .min()
            .unwrap_or_else(|| panic!("no heap sample in {from}..={to}: {samples:?}"))
    };
    let (warm, end) = (least(WARM, WARM + 25), least(LIVES - 25, LIVES));
    let grew = end.saturating_sub(warm);
    assert!(
        grew < 32,
        "live heap grew by {grew} KiB over the last {} restarts: {samples:?}",
        LIVES - WARM
    );
}
