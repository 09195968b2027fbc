//! Latency, timestamped on both ends in one process: `benches/latency.sh`.
//!
//! ```text
//! cargo run --release --example latency -- reset [ROUNDS]
//! cargo run --release --example latency -- line PEER_KIND [ROUNDS] -- COMMAND ARGS... URL
//! ```
//!
//! `reset`: a loopback server (its own thread and runtime) accepts a
//! session of the real engine (`Supervisor`), waits 30 ms, then resets the
//! TCP connection (SO_LINGER 0, close); the consumer applies every event to
//! a `Model` and notes when the session's lifecycle turns Closed. The
//! retry delay is 10 ms, so the rounds follow each other. Prints the
//! median and p90 of reset → model, in milliseconds.
//!
//! `line`: the same kind of server sends `ROUNDS` text messages
//! `{"i":N}`, one every 10 ms (low load), to COMMAND (started here with
//! `URL` replaced by the server's, e.g. `wsmon tail --config F` or
//! `websocat -t -U URL`), whose stdout is read line by line; a message's
//! latency is from just before the server sends it to the moment its line
//! is read. PEER_KIND is a label. COMMAND arguments equal to `{port}` or
//! `{url}` are replaced too; `{config}` becomes a profiles file for the
//! server. Prints median and p90 in milliseconds.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use wsmon::facts::{Event, SessionEvent};
use wsmon::model::{Lifecycle, Model};
use wsmon::session::{self, Mode, Supervisor};

fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    // `p` is in 0..=1, so the index is in 0..len (an `as` from f64
    // saturates; `min` keeps a stray `p` in bounds).
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let i = (((v.len() - 1) as f64 * p).round() as usize).min(v.len() - 1);
    v[i]
}

fn profile_text(port: u16) -> String {
    format!(
        "default_profile = \"lat\"\n\
         [profiles.lat]\nserver = \"http://127.0.0.1:{port}\"\n\
         [profiles.lat.settings]\nreconnect_min = \"10ms\"\nreconnect_max = \"10ms\"\n\
         [[profiles.lat.endpoints]]\nname = \"lat\"\nurl = \"{{ws}}/\"\n"
    )
}

/// Starts a server thread; `serve` runs for every accepted connection.
fn server<F, Fut>(serve: F) -> u16
where
    F: Fn(tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let (port_tx, port_rx) = std_mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
                .await
                .expect("bind");
            port_tx
                .send(listener.local_addr().expect("addr").port())
                .expect("port");
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                if let Ok(ws) = tokio_tungstenite::accept_async(stream).await {
                    serve(ws).await;
                }
            }
        });
    });
    port_rx.recv().expect("server port")
}

async fn reset(rounds: usize) -> Result<(), Box<dyn std::error::Error>> {
    let (reset_tx, reset_rx) = std_mpsc::channel::<Instant>();
    let port = server(move |ws| {
        let reset_tx = reset_tx.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            // A reset is the point here: SO_LINGER 0 makes close send RST.
            #[allow(deprecated)]
            let _ = ws.get_ref().set_linger(Some(Duration::ZERO));
            let at = Instant::now();
            drop(ws);
            let _ = reset_tx.send(at);
        }
    });
    let config = wsmon::config::validate::parse(Path::new("<lat>"), &profile_text(port))?;
    let active = config.profile(None)?.activate()?;
    let mut model = Model::new(&active);
    let (tx, mut rx) = session::channel();
    let supervisor = Supervisor::start(active, Mode::Monitor, tx);
    let mut latencies = Vec::new();
    while latencies.len() < rounds {
        let Some(event) = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await? else {
            break;
        };
        model.apply(&event);
        let closed = matches!(
            &event,
            Event::Session {
                event: SessionEvent::Closed(_),
                ..
            }
        ) && matches!(model.sessions[0].lifecycle, Lifecycle::Closed { .. });
        if closed {
            let seen = Instant::now();
            let at = reset_rx.recv_timeout(Duration::from_secs(1))?;
            latencies.push((seen - at).as_secs_f64() * 1000.0);
        }
    }
    supervisor.shutdown().await;
    let n = latencies.len();
    println!(
        "kind=reset rounds={n} median_ms={:.3} p90_ms={:.3}",
        percentile(&mut latencies, 0.5),
        percentile(&mut latencies, 0.9)
    );
    Ok(())
}

async fn line(
    label: &str,
    rounds: usize,
    command: &[String],
) -> Result<(), Box<dyn std::error::Error>> {
    // When each message left, written just before it is sent.
    let sent: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; rounds]));
    let stamps = sent.clone();
    let port = server(move |mut ws| {
        let stamps = stamps.clone();
        async move {
            // Let the client settle (open line written, token check none).
            tokio::time::sleep(Duration::from_millis(300)).await;
            let mut next = tokio::time::Instant::now();
            for i in 0..rounds {
                next += Duration::from_millis(10);
                tokio::time::sleep_until(next).await;
                let message = Message::text(format!("{{\"i\":{i}}}"));
                stamps.lock().expect("stamps")[i] = Some(Instant::now());
                if ws.send(message).await.is_err() {
                    return;
                }
            }
            // Hold the connection (so the client does not reconnect) until it goes.
            while let Some(Ok(_)) = ws.next().await {}
        }
    });
    let dir = tempfile_dir()?;
    let config = dir.join("profiles.toml");
    std::fs::File::create(&config)?.write_all(profile_text(port).as_bytes())?;
    let url = format!("ws://127.0.0.1:{port}/");
    let args: Vec<String> = command
        .iter()
        .map(|a| {
            a.replace("{url}", &url)
                .replace("{port}", &port.to_string())
                .replace("{config}", &config.to_string_lossy())
        })
        .collect();
    let mut child = Command::new(&args[0])
        .args(&args[1..])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (seen_tx, seen_rx) = std_mpsc::channel::<(usize, Instant)>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let at = Instant::now();
            // `{"i":N}` as websocat prints it, `{\"i\":N}` inside tail's JSON.
            let Some(pos) = line
                .find("i\\\":")
                .map(|p| p + 4)
                .or(line.find("\"i\":").map(|p| p + 4))
            else {
                continue;
            };
            let digits: String = line[pos..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(i) = digits.parse()
                && seen_tx.send((i, at)).is_err()
            {
                break;
            }
        }
    });
    let mut latencies = Vec::new();
    let deadline =
        Instant::now() + Duration::from_secs(30) + Duration::from_millis(10 * rounds as u64);
    while latencies.len() < rounds && Instant::now() < deadline {
        let Ok((i, seen)) = seen_rx.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        if let Some(Some(at)) = sent.lock().expect("stamps").get(i) {
            latencies.push((seen - *at).as_secs_f64() * 1000.0);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    let n = latencies.len();
    println!(
        "kind=line peer={label} rounds={n} median_ms={:.3} p90_ms={:.3}",
        percentile(&mut latencies, 0.5),
        percentile(&mut latencies, 0.9)
    );
    Ok(())
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("wsmon-latency-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

// One thread, as the wsmon binary runs (the engine of `reset` lives here).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("reset") => {
            let rounds = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100);
            reset(rounds).await
        }
        Some("line") => {
            let label = args.get(1).ok_or("PEER_KIND missing")?;
            let split = args
                .iter()
                .position(|a| a == "--")
                .ok_or("-- COMMAND missing")?;
            let rounds = args[2..split]
                .first()
                .and_then(|s| s.parse().ok())
                .unwrap_or(300);
            line(label, rounds, &args[split + 1..]).await
        }
        _ => Err("usage: latency reset [ROUNDS] | latency line PEER [ROUNDS] -- COMMAND...".into()),
    }
}
