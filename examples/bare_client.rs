//! The floor of `benches/ingest.sh`: a bare tokio-tungstenite read loop,
//! with nothing done per message but counting it.
//!
//! ```text
//! cargo run --release --example bare_client -- ws://127.0.0.1:PORT/
//! ```
//!
//! Prints the number of data messages received before the server's close on
//! stdout; timing and the close code go to stderr. Exits non-zero if the
//! connection fails or ends without a closing handshake.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use futures_util::StreamExt as _;
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

/// Counts the messages a WebSocket server sends until it closes.
#[derive(Debug, Parser)]
struct Args {
    /// The server, e.g. ws://127.0.0.1:9001/
    url: String,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    let started = Instant::now();
    let (mut socket, _response) = match connect_async(args.url.as_str()).await {
        Ok(connected) => connected,
        Err(err) => {
            eprintln!("bare_client: connect failed: {err}");
            return ExitCode::FAILURE;
        }
    };
    let mut count = 0u64;
    let mut close = None;
    // After the server's Close the stream ends (`None`) once tungstenite has
    // sent the reply, so the loop also completes the closing handshake.
    while let Some(received) = socket.next().await {
        match received {
            Ok(Message::Text(_) | Message::Binary(_)) => count += 1,
            Ok(Message::Close(frame)) => close = Some(frame),
            Ok(_) => {}
            Err(err) => {
                eprintln!("bare_client: after {count} messages: {err}");
                println!("{count}");
                return ExitCode::FAILURE;
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "bare_client: {count} messages in {secs:.3}s ({:.0} msg/s), close {close:?}",
        count as f64 / secs.max(1e-9)
    );
    println!("{count}");
    if close.is_some() {
        ExitCode::SUCCESS
    } else {
        eprintln!("bare_client: the stream ended without a close frame");
        ExitCode::FAILURE
    }
}
