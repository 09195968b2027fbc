//! The terminal side of the dashboard: taking the terminal over and giving
//! it back (on quit, on error and on panic), and the event loop.
//!
//! The loop is generic over the ratatui backend and the input stream, so
//! tests drive the very same loop with a `TestBackend` and scripted keys.
//! It waits on cancellation, input, engine events, the next allowed frame
//! and a 1 Hz tick (for uptimes, countdowns and the rates of the other
//! sessions), and draws only when something visible changed, at most
//! [`MAX_FPS`] times a second: idle costs a wake-up per second, and a flood
//! of events costs at most 30 frames.

use std::io::{self, Write};
use std::time::Duration;

use crossterm::clipboard::CopyToClipboard;
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    Event as TermEvent, EventStream,
};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{QueueableCommand, execute};
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::app::{App, Effect, keymap};
use crate::config::{ActiveProfile, Config};
use crate::writer_thread::{QueuedWriter, WriterThread};

/// Most frames drawn per second.
pub const MAX_FPS: u32 = 30;
/// Engine events applied in one go before input gets another look: keys
/// stay answered within a frame however fast events come.
const DRAIN_MAX: usize = 512;
/// How long sockets get to close cleanly on quit.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Puts the terminal back: raw mode off, main screen, mouse released,
/// cursor shown. Safe to call more than once.
pub fn restore() -> io::Result<()> {
    let raw = disable_raw_mode();
    let mut out = io::stdout();
    let screen = execute!(
        out,
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    raw.and(screen)
}

/// Restores the terminal when dropped, so `?` and early returns cannot
/// leave raw mode behind.
pub struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = restore();
    }
}

/// The dashboard's terminal: frames are handed to a writer thread (see
/// [`crate::writer_thread`]), so a slow terminal never stalls the sessions.
pub type DashTerminal = Terminal<CrosstermBackend<QueuedWriter>>;

/// Takes the terminal over (raw mode, alternate screen, mouse) and installs
/// a panic hook that gives it back before the panic message is printed.
/// Output goes through `writer`.
pub fn init(writer: &WriterThread) -> io::Result<(DashTerminal, TerminalGuard)> {
    let previous = std::panic::take_hook();
    let stopper = writer.stopper();
    std::panic::set_hook(Box::new(move |info| {
        // A frame still being written would otherwise go on after the
        // escape sequences that give the terminal back.
        stopper.stop(Duration::from_millis(200));
        let _ = restore();
        previous(info);
    }));
    enable_raw_mode()?;
    let guard = TerminalGuard;
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste
    )?;
    let terminal = Terminal::new(CrosstermBackend::new(writer.writer()))?;
    Ok((terminal, guard))
}

/// Runs the dashboard on the real terminal until the user quits.
pub async fn dashboard(config: Config, live: usize, active: ActiveProfile) -> io::Result<()> {
    dashboard_with_metrics(config, live, active, None).await
}

/// [`dashboard`], feeding `metrics` (served elsewhere) from the events.
pub async fn dashboard_with_metrics(
    config: Config,
    live: usize,
    active: ActiveProfile,
    metrics: Option<std::sync::Arc<crate::metrics::Metrics>>,
) -> io::Result<()> {
    dashboard_lineup(config, vec![(live, active)], metrics).await
}

/// [`dashboard_with_metrics`] with several profiles live together
/// (config index and activated profile; the first is focused).
pub async fn dashboard_lineup(
    config: Config,
    lineup: Vec<(usize, ActiveProfile)>,
    metrics: Option<std::sync::Arc<crate::metrics::Metrics>>,
) -> io::Result<()> {
    let writer = WriterThread::spawn(io::stdout())?;
    let (mut terminal, guard) = init(&writer)?;
    // Metrics first: a crew labels them with every live profile.
    let mut app = App::start_lineup_with_metrics(config, lineup, metrics);
    // The clipboard's OSC 52 goes through the same thread, in order with
    // the frames.
    let mut clipboard = writer.writer();
    let (input, reader) = terminal_input();
    let result = run(
        &mut terminal,
        &mut app,
        input,
        CancellationToken::new(),
        &mut clipboard,
    )
    .await;
    reader.abort();
    // The last frame reaches the terminal before it is given back.
    drop(terminal);
    let written = tokio::task::spawn_blocking(move || writer.finish()).await;
    drop(guard);
    result.map_err(|e| io::Error::other(e.to_string()))?;
    match written {
        Ok(Err(e)) if e.kind() != io::ErrorKind::BrokenPipe => Err(e),
        _ => Ok(()),
    }
}

/// The terminal's input as a stream that costs nothing to poll.
///
/// crossterm's `EventStream` takes its reader's lock on every poll, and
/// while its wake-up thread waits for input that lock is held, so each
/// poll spins and yields. The loop polls its input once per turn, that is
/// once per engine event (a thousand times a second with a thousand
/// chatty sessions), so the stream is polled here only when crossterm
/// wakes it, and its events are passed on through a channel.
fn terminal_input() -> (
    impl Stream<Item = io::Result<TermEvent>> + Unpin,
    tokio::task::JoinHandle<()>,
) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        let mut events = EventStream::new();
        while let Some(event) = events.next().await {
            let end = event.is_err();
            if tx.send(event).is_err() || end {
                break;
            }
        }
    });
    let input = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    (input, reader)
}

/// The event loop. Returns when the user quits, the input ends, or
/// `cancel` fires; the engine is shut down (sockets closed with 1000)
/// before it returns. `clipboard` receives OSC 52 sequences (`y`, `Y`).
pub async fn run<B, S>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    input: S,
    cancel: CancellationToken,
    clipboard: &mut (dyn Write + Send),
) -> Result<(), B::Error>
where
    B: Backend,
    S: Stream<Item = io::Result<TermEvent>> + Unpin,
{
    let frame = Duration::from_secs(1) / MAX_FPS;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;
    let mut events_open = true;
    let mut input = input.peekable();
    let result = loop {
        let next_frame = if dirty {
            match draw_when_allowed(terminal, app, &mut input, &mut last_draw, frame) {
                Ok(Pacing::Drawn) => {
                    dirty = false;
                    None
                }
                Ok(Pacing::NotBefore(at)) => Some(at),
                Ok(Pacing::KeyFirst) => None,
                Err(e) => break Err(e),
            }
        } else {
            None
        };
        let frame_due = async {
            match next_frame {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            _ = cancel.cancelled() => break Ok(()),
            event = input.next() => match event {
                Some(Ok(event)) => dirty |= on_input(app, &event),
                // The terminal is gone (or stdin closed): nothing can ask to quit any more.
                Some(Err(_)) | None => break Ok(()),
            },
            event = app.events.recv(), if events_open => match event {
                Some(event) => dirty |= app.apply_queued(&event, DRAIN_MAX),
                None => events_open = false,
            },
            tagged = crate::app::crew::next(&mut app.crew_events) => match tagged {
                Some((member, event)) => dirty |= app.apply_tagged_queued(member, &event, DRAIN_MAX),
                None => app.crew_events = None,
            },
            reload = crate::app::reload::next(&mut app.reloads) => match reload {
                Some(reload) => {
                    app.apply_reload(reload).await;
                    events_open = true;
                    dirty = true;
                }
                None => app.reloads = None,
            },
            _ = frame_due => {}
            _ = tick.tick() => {
                // Health also changes with time (churn leaves its window);
                // an old notice goes.
                app.on_tick();
                dirty = true;
            }
        }
        write_clipboard(app, clipboard);
        if app.quit {
            break Ok(());
        }
        if let Some(Effect::SwitchProfile(index)) = app.take_effect() {
            app.switch_profile(index).await;
            events_open = true;
            dirty = true;
        }
    };
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, app.shutdown()).await;
    result
}

/// What [`draw_when_allowed`] did.
enum Pacing {
    /// A frame was drawn.
    Drawn,
    /// Too soon after the last one: the next may be drawn at this instant.
    NotBefore(Instant),
    /// A key is waiting: it goes first, so the frame shows it.
    KeyFirst,
}

/// Draws now unless the last frame was under `frame` ago (at most
/// [`MAX_FPS`] frames a second) or a key is waiting. A key that came in
/// while events were being applied goes first (the loop's select takes it
/// at once), so the frame about to be drawn shows it.
fn draw_when_allowed<B: Backend, S: Stream + Unpin>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    input: &mut futures_util::stream::Peekable<S>,
    last_draw: &mut Option<Instant>,
    frame: Duration,
) -> Result<Pacing, B::Error> {
    let now = Instant::now();
    match *last_draw {
        Some(t) if now < t + frame => Ok(Pacing::NotBefore(t + frame)),
        _ if key_waiting(input) => Ok(Pacing::KeyFirst),
        _ => {
            draw(terminal, app)?;
            *last_draw = Some(now);
            Ok(Pacing::Drawn)
        }
    }
}

/// A key, the mouse or a resize: the action it asks for is applied.
/// Returns whether a new frame is needed.
fn on_input(app: &mut App, event: &TermEvent) -> bool {
    if let TermEvent::Resize(..) = event {
        return true;
    }
    match keymap::action(event, app.typing()) {
        Some(action) => {
            app.update(action);
            true
        }
        None => false,
    }
}

/// Writes what `y`/`Y` copied as OSC 52: the bytes travel base64-encoded,
/// so nothing in them can reach the terminal as a control sequence.
fn write_clipboard(app: &mut App, clipboard: &mut (dyn Write + Send)) {
    if let Some(bytes) = app.take_clipboard() {
        let _ = clipboard
            .queue(CopyToClipboard::to_clipboard_from(bytes))
            .and_then(|w| w.flush());
    }
}

/// Whether `input` has an event ready right now (without waiting).
fn key_waiting<S: Stream + Unpin>(input: &mut futures_util::stream::Peekable<S>) -> bool {
    use futures_util::FutureExt;
    matches!(
        std::pin::Pin::new(input).peek().now_or_never(),
        Some(Some(_))
    )
}

/// Draws one frame and remembers where its regions went, for the mouse.
pub fn draw<B: Backend>(terminal: &mut Terminal<B>, app: &mut App) -> Result<(), B::Error> {
    app.refresh_rows();
    let mut areas = app.areas;
    terminal.draw(|f| areas = crate::ui::render(f, app))?;
    app.areas = areas;
    Ok(())
}
