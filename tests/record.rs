//! `Mode::Record` (what `tail` runs): a consumer that falls behind slows
//! the socket down instead of losing messages.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::raw::*;
use common::*;
use tokio::io::AsyncWriteExt;
use wsmon::facts::*;
use wsmon::session::*;

const MESSAGES: usize = 200_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_consumer_loses_nothing() {
    let script: Script = Arc::new(|mut s, _| {
        Box::pin(async move {
            handshake(&mut s).await;
            let one = frame(FIN_TEXT, b"{\"n\":\"flood message\"}", false);
            let chunk: Vec<u8> = one.iter().copied().cycle().take(one.len() * 1000).collect();
            for _ in 0..MESSAGES / 1000 {
                if s.write_all(&chunk).await.is_err() {
                    return;
                }
            }
            let close = frame(FIN_CLOSE, &close_payload(1000, b"flood done"), false);
            let _ = s.write_all(&close).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        })
    });
    let addr = raw_server(script).await;
    let settings = wsmon::config::Settings {
        ping_interval: Duration::from_secs(60),
        ..fast_settings()
    };
    let p = profile(&[("flood", format!("ws://{addr}/"))], settings);
    let (tx, mut rx) = channel();
    let sup = Supervisor::start(p, Mode::Record, tx);

    // Far more than the in-flight budget and the pending cap arrive while
    // nobody reads.
    tokio::time::sleep(Duration::from_millis(1000)).await;

    let (mut received, mut dropped) = (0usize, 0u64);
    let close = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(event) = rx.recv().await {
            match event {
                Event::Session {
                    event: SessionEvent::Messages(batch),
                    ..
                } => {
                    received += batch.messages.len();
                    dropped += batch.dropped;
                    // A slow consumer all along.
                    tokio::time::sleep(Duration::from_micros(200)).await;
                }
                Event::Session {
                    event: SessionEvent::Closed(record),
                    ..
                } => return record.close().cloned(),
                _ => {}
            }
        }
        None
    })
    .await
    .expect("the flood ended")
    .expect("a close");
    sup.shutdown().await;

    assert_eq!((close.code, close.reason.as_str()), (1000, "flood done"));
    assert_eq!(dropped, 0);
    assert_eq!(received, MESSAGES);
}
