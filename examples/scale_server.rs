//! A WebSocket server for many quiet clients: the far side of
//! `benches/scale.sh` and `benches/idle.sh`.
//!
//! ```text
//! cargo run --release --example scale_server -- --port 0 --expect 1000 --every 1s
//! ```
//!
//! Listens on 127.0.0.1 and prints `ws://127.0.0.1:PORT/` as its first
//! stdout line. Every accepted connection gets one small text message per
//! `--every` (`0s`: never; the phase is spread over the period so the
//! messages do not all leave at once) and has its pings answered. When
//! `--expect` connections are open at the same time it prints
//! `all N open at EPOCH_MS` (milliseconds since the Unix epoch) on stdout,
//! once, so a script can compare it with the moment it launched the client.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Parser;
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Holds many WebSocket clients open, each sent one small message per period.
#[derive(Debug, Parser)]
struct Args {
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Print a line when this many connections are open at once.
    #[arg(long, default_value_t = 0)]
    expect: u64,
    /// Period of each connection's message; 0s sends none.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    every: Duration,
}

fn epoch_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], args.port))).await?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "ws://{}/", listener.local_addr()?)?;
    stdout.flush()?;
    let open = Arc::new(AtomicU64::new(0));
    let reported = Arc::new(AtomicU64::new(0));
    let mut accepted = 0u64;
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of fds for a moment: let some close, keep going.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        accepted += 1;
        let (open, reported, expect, every) =
            (open.clone(), reported.clone(), args.expect, args.every);
        // Spread the phases over the period.
        let phase = if every.is_zero() {
            Duration::ZERO
        } else {
            every.mul_f64((accepted % 1000) as f64 / 1000.0)
        };
        tokio::spawn(async move {
            let config = WebSocketConfig::default()
                .read_buffer_size(4096)
                .write_buffer_size(0);
            let Ok(mut ws) =
                tokio_tungstenite::accept_async_with_config(stream, Some(config)).await
            else {
                return;
            };
            let now_open = open.fetch_add(1, Ordering::SeqCst) + 1;
            if expect > 0 && now_open >= expect && reported.swap(1, Ordering::SeqCst) == 0 {
                println!("all {expect} open at {}", epoch_ms());
                let _ = std::io::stdout().flush();
            }
            let mut seq = 0u64;
            let mut next = tokio::time::Instant::now() + phase;
            loop {
                let sleep = async {
                    if every.is_zero() {
                        std::future::pending::<()>().await
                    } else {
                        tokio::time::sleep_until(next).await
                    }
                };
                tokio::select! {
                    incoming = ws.next() => match incoming {
                        Some(Ok(_)) => {}
                        _ => break,
                    },
                    _ = sleep => {
                        seq += 1;
                        next += every;
                        let text = format!("{{\"seq\":{seq},\"kind\":\"tick\"}}");
                        if ws.send(Message::text(text)).await.is_err() {
                            break;
                        }
                    }
                }
            }
            open.fetch_sub(1, Ordering::SeqCst);
        });
    }
}
