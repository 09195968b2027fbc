//! A WebSocket server that floods each client: the sending side of
//! `benches/ingest.sh`.
//!
//! ```text
//! cargo run --release --example flood_server -- --port 0 --messages 1000000 --size 100
//! ```
//!
//! Listens on 127.0.0.1, prints `ws://127.0.0.1:PORT/` as its first stdout
//! line (flushed, so a script can read the port), then sends every accepted
//! connection `--messages` text messages of `--size` bytes as fast as
//! loopback allows, and closes with 1000. One line per connection goes to
//! stderr: how many messages were sent and how it ended.
//!
//! It runs on one thread so that, on a small machine, the peer being
//! measured keeps the other cores.

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{FutureExt as _, SinkExt as _, StreamExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

/// Floods every WebSocket client with text messages, then closes with 1000.
#[derive(Debug, Parser)]
struct Args {
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Messages sent to each connection.
    #[arg(long, default_value_t = 1_000_000)]
    messages: u64,
    /// Bytes per message.
    #[arg(long, default_value_t = 100)]
    size: usize,
}

/// How often (in messages) the flood looks at what the client sent, so that
/// its pings get their pongs and an early close is noticed.
const POLL_EVERY: u64 = 1024;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], args.port))).await?;
    let addr = listener.local_addr()?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "ws://{addr}/")?;
    stdout.flush()?;

    let payload = Utf8Bytes::from(payload(args.size));
    let mut connections = 0u64;
    loop {
        let (stream, peer) = listener.accept().await?;
        connections += 1;
        let id = connections;
        let payload = payload.clone();
        let messages = args.messages;
        tokio::spawn(async move {
            let started = Instant::now();
            let (sent, outcome) = flood(stream, payload, messages).await;
            let secs = started.elapsed().as_secs_f64();
            let rate = sent as f64 / secs.max(1e-9);
            eprintln!(
                "conn {id} from {peer}: sent {sent}/{messages} in {secs:.3}s ({rate:.0} msg/s): {outcome}"
            );
        });
    }
}

/// `size` bytes of printable ASCII, so the messages are valid text and print
/// as one line each.
fn payload(size: usize) -> String {
    (b'a'..=b'z').cycle().take(size).map(char::from).collect()
}

/// Sends the flood on one connection; returns how many messages went out
/// and how the connection ended.
async fn flood(stream: TcpStream, payload: Utf8Bytes, messages: u64) -> (u64, String) {
    // Small frames: don't let Nagle hold the tail of the flood or the close.
    let _ = stream.set_nodelay(true);
    let mut socket = match tokio_tungstenite::accept_async(stream).await {
        Ok(socket) => socket,
        Err(err) => return (0, format!("handshake failed: {err}")),
    };
    for sent in 0..messages {
        if sent % POLL_EVERY == 0 {
            // Only what has already arrived: reading is how tungstenite
            // answers pings, and it must not slow the flood down.
            while let Some(incoming) = socket.next().now_or_never() {
                match incoming {
                    Some(Ok(Message::Close(frame))) => {
                        return (sent, format!("client closed early: {frame:?}"));
                    }
                    Some(Ok(_)) => {}
                    Some(Err(err)) => return (sent, format!("read error: {err}")),
                    None => return (sent, "client went away".to_string()),
                }
            }
        }
        // `feed` only buffers (tungstenite writes when its buffer fills), so
        // the flood is not one syscall per message.
        if let Err(err) = socket.feed(Message::Text(payload.clone())).await {
            return (sent, format!("send error: {err}"));
        }
    }
    let frame = CloseFrame {
        code: CloseCode::Normal,
        reason: Utf8Bytes::from_static(""),
    };
    if let Err(err) = socket.close(Some(frame)).await {
        return (messages, format!("close error: {err}"));
    }
    // Wait (bounded) for the client's closing frame, so it sees a clean 1000.
    let drain = async { while let Some(Ok(_)) = socket.next().await {} };
    match tokio::time::timeout(Duration::from_secs(10), drain).await {
        Ok(()) => (messages, "closed 1000".to_string()),
        Err(_) => (messages, "closed 1000, client never answered".to_string()),
    }
}
