//! The dashboard under a flood: `benches/dash_flood.sh` runs it against
//! `examples/flood_server.rs`.
//!
//! ```text
//! cargo run --release --example dash_flood -- ws://127.0.0.1:PORT/ MESSAGES
//! ```
//!
//! Runs the real event loop (`wsmon::tui::run`) on a 120×40 `TestBackend`
//! wrapped to timestamp every frame, with one session on the flood URL,
//! while scripted keys alternate `?` (help opens) and `Esc` (it closes)
//! every 50 ms. The flood server closes with 1000 after its messages; the
//! retry is a minute away, so the first frame that shows `3 CLOSED` after
//! `1 OPEN` marks the end of the flood.
//!
//! Prints one line of `key=value` pairs on stdout:
//! `secs` (App::start to the CLOSED frame), `msgs` (messages that reached
//! the model), `msgs_per_s`, `fps` (frames drawn per second between the
//! OPEN and CLOSED frames), `key_ms_median` / `key_ms_max` (key to the
//! first frame that shows its effect), `keys` (how many were measured),
//! `next_frame` (how many of them the very next frame drawn showed),
//! `frame_ms` (the frame interval at 30 fps).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use wsmon::app::App;

/// What the frames showed, when.
#[derive(Default)]
struct Log {
    frames: Vec<Instant>,
    /// Frames with the help popup visible / not, as (time, visible) changes.
    help: Vec<(Instant, bool)>,
    open_at: Option<Instant>,
    closed_at: Option<Instant>,
}

/// A `TestBackend` that looks at every flushed frame.
struct Watched {
    inner: TestBackend,
    text: String,
    log: Arc<Mutex<Log>>,
    cancel: CancellationToken,
}

/// The screen as text, one line per row (built once per frame: the
/// harness should cost the loop little).
fn screen(backend: &TestBackend, text: &mut String) {
    let buffer = backend.buffer();
    let area = buffer.area;
    text.clear();
    for y in 0..area.height {
        for x in 0..area.width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
}

impl Backend for Watched {
    type Error = <TestBackend as Backend>::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()?;
        let now = Instant::now();
        screen(&self.inner, &mut self.text);
        let help = self.text.contains("this help");
        let mut log = self.log.lock().expect("log");
        log.frames.push(now);
        if log.help.last().map(|(_, v)| *v) != Some(help) {
            log.help.push((now, help));
        }
        if log.open_at.is_none() && self.text.contains("1 OPEN") {
            log.open_at = Some(now);
        } else if log.open_at.is_some() && log.closed_at.is_none() && self.text.contains("3 CLOSED")
        {
            log.closed_at = Some(now);
            self.cancel.cancel();
        }
        Ok(())
    }
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

// One thread, as the wsmon binary runs.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: dash_flood URL MESSAGES")?;
    let messages: u64 = args.next().ok_or("MESSAGES missing")?.parse()?;
    let port = url
        .trim_start_matches("ws://127.0.0.1:")
        .trim_end_matches('/')
        .to_string();
    let text = format!(
        "default_profile = \"flood\"\n\
         [profiles.flood]\nserver = \"http://127.0.0.1:{port}\"\n\
         [profiles.flood.settings]\nreconnect_min = \"60s\"\nreconnect_max = \"60s\"\n\
         [[profiles.flood.endpoints]]\nname = \"flood\"\nurl = \"{{ws}}/\"\n"
    );
    let config = wsmon::config::validate::parse(Path::new("<flood>"), &text)?;
    let active = config.profile(None)?.activate()?;

    let log = Arc::new(Mutex::new(Log::default()));
    let cancel = CancellationToken::new();
    let backend = Watched {
        inner: TestBackend::new(120, 40),
        text: String::new(),
        log: log.clone(),
        cancel: cancel.clone(),
    };
    let mut terminal = Terminal::new(backend)?;
    // Keys: `?` and Esc in turn, every 100 ms, each timestamped when the
    // loop takes it.
    let keys: Arc<Mutex<Vec<(Instant, bool)>>> = Arc::default();
    let sent = keys.clone();
    let input = Box::pin(futures_util::stream::unfold(0u64, move |n| {
        let sent = sent.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let opens = n % 2 == 0;
            let code = if opens {
                KeyCode::Char('?')
            } else {
                KeyCode::Esc
            };
            sent.lock().expect("keys").push((Instant::now(), opens));
            Some((
                Ok(TermEvent::Key(KeyEvent::new(code, KeyModifiers::NONE))),
                n + 1,
            ))
        }
    }));
    // A bound, should the CLOSED frame never come.
    let limit = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(120)).await;
        limit.cancel();
    });

    let started = Instant::now();
    let mut app = App::start(config, 0, active);
    let mut sink = Vec::new();
    wsmon::tui::run(&mut terminal, &mut app, input, cancel, &mut sink).await?;

    let log = log.lock().expect("log");
    let (Some(open_at), Some(closed_at)) = (log.open_at, log.closed_at) else {
        return Err("the flood never showed OPEN then CLOSED".into());
    };
    let received = app.views[0].pushed;
    let secs = (closed_at - started).as_secs_f64();
    let flood_secs = (closed_at - open_at).as_secs_f64();
    let frames = log
        .frames
        .iter()
        .filter(|t| **t >= open_at && **t <= closed_at)
        .count();
    // Each key: the first frame after it whose help state is what the key asked for.
    let mut latencies = Vec::new();
    let mut next_frame = 0;
    for (at, opens) in keys.lock().expect("keys").iter() {
        if *at < open_at || *at > closed_at {
            continue;
        }
        let shown = log.frames.iter().find(|f| **f >= *at).map(|f| {
            let visible = log
                .help
                .iter()
                .rev()
                .find(|(t, _)| t <= f)
                .is_some_and(|(_, v)| *v);
            (*f, visible)
        });
        // The frame right after the key must show it; if it does not, the
        // latency is to the first frame that does.
        let answered = match shown {
            Some((f, v)) if v == *opens => {
                next_frame += 1;
                Some(f)
            }
            _ => log
                .help
                .iter()
                .find(|(t, v)| *t >= *at && v == opens)
                .map(|(t, _)| *t),
        };
        if let Some(f) = answered {
            latencies.push((f - *at).as_secs_f64() * 1000.0);
        }
    }
    let keys_measured = latencies.len();
    let max = latencies.iter().copied().fold(0.0, f64::max);
    println!(
        "secs={secs:.4} msgs={received} expected={messages} msgs_per_s={:.0} fps={:.1} \
         key_ms_median={:.2} key_ms_max={max:.2} keys={keys_measured} \
         next_frame={next_frame} frame_ms={:.2}",
        received as f64 / secs,
        frames.saturating_sub(1) as f64 / flood_secs,
        median(&mut latencies),
        1000.0 / wsmon::tui::MAX_FPS as f64,
    );
    Ok(())
}
