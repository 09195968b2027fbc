//! A flood of 1,000,000 small messages as fast as loopback allows, with a
//! consumer that stalls for a while: every message is accounted for
//! (delivered or counted as dropped) and memory stays under the caps plus a
//! fixed margin. Its own test binary, so the process's peak RSS is this
//! test's alone.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::raw::*;
use common::*;
use tokio::io::AsyncWriteExt;
use wsmon::facts::*;
use wsmon::model::Model;
use wsmon::session::*;

const MESSAGES: usize = 1_000_000;

/// Peak resident memory of this process, in KiB (Linux).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_messages_with_a_stalled_consumer() {
    let script: Script = Arc::new(|mut s, _| {
        Box::pin(async move {
            handshake(&mut s).await;
            // Whole frames packed into 64 KiB writes.
            let one = frame(FIN_TEXT, b"{\"n\":\"flood message\"}", false);
            let per_chunk = 65536 / one.len();
            let chunk: Vec<u8> = one
                .iter()
                .copied()
                .cycle()
                .take(one.len() * per_chunk)
                .collect();
            let mut sent = 0;
            while sent + per_chunk <= MESSAGES {
                if s.write_all(&chunk).await.is_err() {
                    return;
                }
                sent += per_chunk;
            }
            for _ in sent..MESSAGES {
                let _ = s.write_all(&one).await;
            }
            let _ = s
                .write_all(&frame(
                    FIN_CLOSE,
                    &close_payload(1000, b"flood done"),
                    false,
                ))
                .await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        })
    });
    let addr = raw_server(script).await;
    let baseline = peak_rss_kib();
    // The raw server never answers pings; keep the heartbeat out of it.
    let settings = wsmon::config::Settings {
        ping_interval: Duration::from_secs(60),
        ..fast_settings()
    };
    let p = profile(&[("flood", format!("ws://{addr}/"))], settings);
    let mut model = Model::new(&p);
    let (tx, mut rx) = channel();
    let sup = Supervisor::start(p, Mode::Monitor, tx);

    // The consumer stalls while the flood is under way.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(event) = rx.recv().await {
            model.apply(&event);
            if let Event::Session {
                event: SessionEvent::Closed(_),
                ..
            } = event
            {
                return;
            }
        }
    })
    .await
    .expect("the flood ended");
    sup.shutdown().await;

    let session = &model.sessions[0];
    let close = session
        .last_attempt()
        .and_then(|r| r.close().cloned())
        .expect("closed");
    assert_eq!((close.code, close.reason.as_str()), (1000, "flood done"));
    // Nothing unaccounted for: delivered or counted as dropped.
    assert_eq!(session.messages, MESSAGES as u64);
    assert_eq!(
        session.payloads.len() as u64 + session.payloads.dropped(),
        MESSAGES as u64
    );
    assert!(session.payloads.bytes() <= wsmon::model::ring::DEFAULT_CAP_BYTES);

    if let (Some(before), Some(peak)) = (baseline, peak_rss_kib()) {
        // The ring cap (8 MiB) + a fixed margin: the session's pending batch
        // (2 MiB) and batches in flight (2 MiB) are capped too, the rest is
        // buffers and allocator slack.
        let limit_kib = (8 + 24) * 1024;
        let grew = peak.saturating_sub(before);
        assert!(
            grew < limit_kib,
            "peak RSS grew by {grew} KiB (limit {limit_kib} KiB)"
        );
        eprintln!("peak RSS grew by {} MiB", grew / 1024);
    }
}
