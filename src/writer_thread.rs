//! Output (the dashboard's terminal, `tail`'s stdout) written by a thread
//! of its own.
//!
//! Every session and the UI share one async thread, so a blocking write to
//! a slow reader (a congested SSH link, a paused terminal emulator, a
//! `tail | less` nobody scrolls) must not happen on it: it would stall
//! every socket's reads and heartbeats. [`QueuedWriter`] is a synchronous
//! `Write` (ratatui's backend needs one): writes go to a local buffer, and
//! `flush` hands the bytes to the writer thread without waiting for them to
//! be written. While the thread is busy, hand-overs queue up behind it in
//! order (consecutive frames' bytes concatenated are still a correct
//! stream). `tail` keeps the queue short with [`WriterThread::wait_below`],
//! which pauses it (and, through the engine, the sockets) without blocking
//! the thread; past [`MAX_BACKLOG`] `flush` itself waits, so memory stays
//! bounded even against a reader that never reads.
//!
//! Written by hand because no crate offers this shape: tokio's `Stdout`
//! and the `blocking` crate's `Unblock` are asynchronous writers (ratatui
//! draws through `std::io::Write`), and tokio's costs two cross-thread
//! wake-ups per write where this costs one.

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

/// Bytes queued behind a busy output before `flush` waits for it.
pub const MAX_BACKLOG: usize = 8 << 20;

struct State {
    /// Handed over, not yet taken by the thread.
    pending: Vec<u8>,
    /// The thread is writing a previous hand-over.
    writing: bool,
    /// No more hand-overs: the thread ends once `pending` is written.
    closed: bool,
    /// The output refused a write; the thread has ended.
    failed: Option<io::ErrorKind>,
}

struct Shared {
    state: Mutex<State>,
    /// Signalled when there is something to write, or on close.
    work: Condvar,
    /// Signalled after every write, and when the thread ends.
    written: Condvar,
    /// The same, for async waiters.
    written_async: tokio::sync::Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state torn (each
        // critical section is a few field assignments), so carry on.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The writer thread, owning the real output. Dropping it without
/// [`WriterThread::finish`] leaves the thread to write what is queued and end.
pub struct WriterThread {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// A synchronous writer whose `flush` hands its bytes to the writer thread.
/// Each handle buffers on its own; handles flushed in turn keep that order.
pub struct QueuedWriter {
    buf: Vec<u8>,
    shared: Arc<Shared>,
}

impl WriterThread {
    /// Starts the thread writing to `out`.
    pub fn spawn<W: Write + Send + 'static>(out: W) -> io::Result<Self> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                pending: Vec::new(),
                writing: false,
                closed: false,
                failed: None,
            }),
            work: Condvar::new(),
            written: Condvar::new(),
            written_async: tokio::sync::Notify::new(),
        });
        let thread = std::thread::Builder::new()
            .name("wsmon-output".into())
            .spawn({
                let shared = shared.clone();
                move || write_loop(&shared, out)
            })?;
        Ok(Self {
            shared,
            thread: Some(thread),
        })
    }

    /// A handle that can stop this thread from elsewhere (a panic hook).
    pub fn stopper(&self) -> Stopper {
        Stopper(self.shared.clone())
    }

    /// A new handle writing through this thread.
    pub fn writer(&self) -> QueuedWriter {
        QueuedWriter {
            buf: Vec::with_capacity(16 * 1024),
            shared: self.shared.clone(),
        }
    }

    /// Bytes handed over that wait behind the write in progress.
    pub fn backlog(&self) -> usize {
        self.shared.lock().pending.len()
    }

    /// Waits (without blocking the thread) until fewer than `limit` bytes
    /// wait behind the write in progress. Errors once the output refused a
    /// write.
    pub async fn wait_below(&self, limit: usize) -> io::Result<()> {
        loop {
            let written = self.shared.written_async.notified();
            tokio::pin!(written);
            // Registered before the check, so a write finishing in between
            // still wakes us.
            written.as_mut().enable();
            {
                let state = self.shared.lock();
                if let Some(kind) = state.failed {
                    return Err(kind.into());
                }
                if state.pending.len() < limit || state.closed {
                    return Ok(());
                }
            }
            written.await;
        }
    }

    /// Writes what is queued, then ends the thread. Blocks until the
    /// output took it all (or refused it).
    pub fn finish(mut self) -> io::Result<()> {
        self.close();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        match self.shared.lock().failed {
            Some(kind) => Err(kind.into()),
            None => Ok(()),
        }
    }

    fn close(&self) {
        self.shared.lock().closed = true;
        self.shared.work.notify_all();
    }
}

/// Stops a [`WriterThread`] from elsewhere: see [`Stopper::stop`].
pub struct Stopper(Arc<Shared>);

impl Stopper {
    /// Drops what waits and lets the write in progress end, waiting for it
    /// up to `limit`. For a panic hook, before it writes to the terminal
    /// itself: half a frame must not follow its own escape sequences.
    pub fn stop(&self, limit: std::time::Duration) {
        let mut state = self.0.lock();
        state.pending = Vec::new();
        state.closed = true;
        self.0.work.notify_all();
        let _ = self
            .0
            .written
            .wait_timeout_while(state, limit, |s| s.writing);
    }
}

impl Drop for WriterThread {
    fn drop(&mut self) {
        self.close();
    }
}

/// Where an output goes: written inline when the destination cannot
/// block (a regular file, `/dev/null`), else through a [`WriterThread`].
/// Inline spares a cross-thread wake-up per hand-over.
pub enum Output<W> {
    Direct(W),
    Threaded {
        thread: WriterThread,
        writer: QueuedWriter,
    },
}

impl<W: Write + Send + 'static> Output<W> {
    /// `out` written inline unless `may_block` (see [`may_block`]).
    pub fn new(out: W, may_block: bool) -> io::Result<Self> {
        if !may_block {
            return Ok(Self::Direct(out));
        }
        let thread = WriterThread::spawn(out)?;
        let writer = thread.writer();
        Ok(Self::Threaded { thread, writer })
    }

    /// Whether writes go through the writer thread.
    pub fn is_threaded(&self) -> bool {
        matches!(self, Self::Threaded { .. })
    }

    /// Writes `bytes` and flushes (inline), or hands them over.
    pub fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        let out: &mut dyn Write = match self {
            Self::Direct(out) => out,
            Self::Threaded { writer, .. } => writer,
        };
        out.write_all(bytes).and_then(|()| out.flush())
    }

    /// See [`WriterThread::wait_below`]; inline output never waits.
    pub async fn wait_below(&self, limit: usize) -> io::Result<()> {
        match self {
            Self::Direct(_) => Ok(()),
            Self::Threaded { thread, .. } => thread.wait_below(limit).await,
        }
    }

    /// Flushes, or lets the thread write what is queued and end (waiting
    /// off the async thread).
    pub async fn finish(self) -> io::Result<()> {
        match self {
            Self::Direct(mut out) => out.flush(),
            Self::Threaded { thread, writer } => {
                drop(writer);
                tokio::task::spawn_blocking(move || thread.finish())
                    .await
                    .unwrap_or(Ok(()))
            }
        }
    }
}

/// Whether writing to `fd` can block for long: anything but a regular file
/// or `/dev/null` (pipes, terminals, sockets can all stop reading).
#[cfg(unix)]
pub fn may_block(fd: std::os::fd::BorrowedFd<'_>) -> bool {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let Ok(owned) = fd.try_clone_to_owned() else {
        return true;
    };
    let Ok(meta) = std::fs::File::from(owned).metadata() else {
        return true;
    };
    if meta.file_type().is_file() {
        return false;
    }
    let is_null = meta.file_type().is_char_device()
        && std::fs::metadata("/dev/null").is_ok_and(|null| null.rdev() == meta.rdev());
    !is_null
}

/// Whether writing to stdout can block for long (see [`may_block`]).
pub fn stdout_may_block() -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        may_block(io::stdout().as_fd())
    }
    #[cfg(not(unix))]
    true
}

fn write_loop<W: Write>(shared: &Shared, mut out: W) {
    let mut chunk = Vec::new();
    let mut state = shared.lock();
    loop {
        while state.pending.is_empty() && !state.closed {
            state = shared
                .work
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if state.pending.is_empty() {
            break;
        }
        std::mem::swap(&mut chunk, &mut state.pending);
        state.writing = true;
        drop(state);
        let result = out.write_all(&chunk).and_then(|()| out.flush());
        chunk.clear();
        state = shared.lock();
        state.writing = false;
        if let Err(e) = result {
            state.failed = Some(e.kind());
            state.pending = Vec::new();
            break;
        }
        shared.written.notify_all();
        shared.written_async.notify_waiters();
    }
    drop(state);
    shared.written.notify_all();
    shared.written_async.notify_waiters();
}

impl Write for QueuedWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    /// Hands the buffered bytes over without waiting for the output,
    /// unless [`MAX_BACKLOG`] bytes already wait. Errors once the output
    /// refused a write.
    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let shared = &*self.shared;
        let mut state = shared.lock();
        while state.pending.len() >= MAX_BACKLOG && state.failed.is_none() && !state.closed {
            state = shared
                .written
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if let Some(kind) = state.failed {
            return Err(kind.into());
        }
        if state.closed {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the output's writer thread has ended",
            ));
        }
        if state.pending.is_empty() {
            // Hand the buffer over whole; keep the (empty) one it replaces.
            std::mem::swap(&mut state.pending, &mut self.buf);
        } else {
            state.pending.extend_from_slice(&self.buf);
            self.buf.clear();
        }
        drop(state);
        shared.work.notify_one();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// A sink that records everything and can be held shut.
    #[derive(Clone)]
    struct Gate {
        bytes: Arc<Mutex<Vec<u8>>>,
        open: Arc<(Mutex<GateState>, Condvar)>,
    }

    struct GateState {
        open: bool,
        /// Calls of `write` so far (held ones included).
        entered: usize,
    }

    impl Gate {
        fn new(open: bool) -> Self {
            Self {
                bytes: Arc::default(),
                open: Arc::new((Mutex::new(GateState { open, entered: 0 }), Condvar::new())),
            }
        }
        fn set_open(&self, open: bool) {
            self.open.0.lock().unwrap().open = open;
            self.open.1.notify_all();
        }
        /// Waits until the writer thread is inside `write` (held there
        /// while the gate is shut): it has taken the first hand-over, so
        /// later ones queue behind it instead of joining it.
        fn wait_writing(&self) {
            let (state, entered) = &*self.open;
            let (_state, timeout) = entered
                .wait_timeout_while(state.lock().unwrap(), Duration::from_secs(10), |s| {
                    s.entered == 0
                })
                .unwrap();
            assert!(!timeout.timed_out(), "the writer thread never wrote");
        }
        fn written(&self) -> Vec<u8> {
            self.bytes.lock().unwrap().clone()
        }
    }

    impl Write for Gate {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            let mut open = self.open.0.lock().unwrap();
            open.entered += 1;
            self.open.1.notify_all();
            while !open.open {
                open = self.open.1.wait(open).unwrap();
            }
            self.bytes.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[cfg(unix)]
    #[test]
    fn files_and_dev_null_never_block_pipes_may() {
        use std::os::fd::AsFd;
        let file = tempfile::tempfile().unwrap();
        assert!(!may_block(file.as_fd()));
        let null = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/null")
            .unwrap();
        assert!(!may_block(null.as_fd()));
        let (_reader, writer) = std::io::pipe().unwrap();
        assert!(may_block(writer.as_fd()));
    }

    #[test]
    fn bytes_arrive_in_order_across_handles() {
        let gate = Gate::new(true);
        let thread = WriterThread::spawn(gate.clone()).unwrap();
        let (mut frames, mut clipboard) = (thread.writer(), thread.writer());
        for i in 0..100 {
            write!(frames, "frame {i};").unwrap();
            frames.flush().unwrap();
            if i % 10 == 0 {
                write!(clipboard, "clip {i};").unwrap();
                clipboard.flush().unwrap();
            }
        }
        thread.finish().unwrap();
        let mut want = String::new();
        for i in 0..100 {
            want += &format!("frame {i};");
            if i % 10 == 0 {
                want += &format!("clip {i};");
            }
        }
        assert_eq!(String::from_utf8(gate.written()).unwrap(), want);
    }

    #[test]
    fn nothing_reaches_the_output_before_flush() {
        let gate = Gate::new(true);
        let thread = WriterThread::spawn(gate.clone()).unwrap();
        let mut w = thread.writer();
        w.write_all(b"half a frame").unwrap();
        std::thread::sleep(Duration::from_millis(20));
        assert!(gate.written().is_empty());
        w.flush().unwrap();
        thread.finish().unwrap();
        assert_eq!(gate.written(), b"half a frame");
    }

    #[test]
    fn a_stalled_terminal_does_not_block_flush_until_the_backlog_is_full() {
        let gate = Gate::new(false);
        let thread = WriterThread::spawn(gate.clone()).unwrap();
        let mut w = thread.writer();
        // The first hand-over is taken by the (now stuck) thread; the rest
        // queue up behind it without blocking the caller.
        let frame = vec![b'x'; 64 * 1024];
        w.write_all(&frame).unwrap();
        w.flush().unwrap();
        gate.wait_writing();
        assert_eq!(thread.backlog(), 0);
        for _ in 0..(MAX_BACKLOG / frame.len()) {
            w.write_all(&frame).unwrap();
            w.flush().unwrap();
        }
        assert_eq!(thread.backlog(), MAX_BACKLOG);
        // One more frame now waits for the terminal: prove it from another
        // thread, then let the terminal read.
        let (done_tx, done_rx) = mpsc::channel();
        let blocked = std::thread::spawn(move || {
            w.write_all(&[b'y'; 3 * 64 * 1024]).unwrap();
            w.flush().unwrap();
            done_tx.send(()).unwrap();
        });
        assert!(done_rx.recv_timeout(Duration::from_millis(100)).is_err());
        gate.set_open(true);
        done_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        blocked.join().unwrap();
        thread.finish().unwrap();
        let written = gate.written();
        assert_eq!(written.len(), 64 * 1024 + MAX_BACKLOG + 3 * 64 * 1024);
        assert!(written.ends_with(b"y"));
    }

    #[tokio::test]
    async fn wait_below_returns_once_the_output_catches_up() {
        let gate = Gate::new(false);
        let thread = WriterThread::spawn(gate.clone()).unwrap();
        let mut w = thread.writer();
        for i in 0..3 {
            w.write_all(&[b'z'; 1000]).unwrap();
            w.flush().unwrap();
            if i == 0 {
                // Else a thread slow to wake takes all 3,000 bytes at once
                // and none wait behind it.
                gate.wait_writing();
            }
        }
        // 2,000 bytes wait behind the stuck first write.
        assert_eq!(thread.backlog(), 2000);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), thread.wait_below(1000))
                .await
                .is_err()
        );
        let opener = {
            let gate = gate.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                gate.set_open(true);
            })
        };
        tokio::time::timeout(Duration::from_secs(10), thread.wait_below(1000))
            .await
            .expect("woken once the output caught up")
            .unwrap();
        opener.join().unwrap();
        thread.finish().unwrap();
        assert_eq!(gate.written().len(), 3000);
    }

    #[test]
    fn stop_drops_what_waits_and_waits_for_the_write_in_progress() {
        let gate = Gate::new(false);
        let thread = WriterThread::spawn(gate.clone()).unwrap();
        let mut w = thread.writer();
        w.write_all(b"in progress;").unwrap();
        w.flush().unwrap();
        gate.wait_writing();
        assert_eq!(thread.backlog(), 0);
        w.write_all(b"waiting;").unwrap();
        w.flush().unwrap();
        // Stuck terminal: stop gives up after its limit.
        let t = std::time::Instant::now();
        thread.stopper().stop(Duration::from_millis(50));
        assert!(t.elapsed() >= Duration::from_millis(50));
        assert_eq!(thread.backlog(), 0);
        // The write in progress ends; nothing after it is written.
        let stopper = thread.stopper();
        let opener = {
            let gate = gate.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                gate.set_open(true);
            })
        };
        stopper.stop(Duration::from_secs(10));
        opener.join().unwrap();
        assert_eq!(gate.written(), b"in progress;");
        assert!(w.write_all(b"after").and_then(|()| w.flush()).is_err());
        thread.finish().unwrap();
        assert_eq!(gate.written(), b"in progress;");
    }

    #[test]
    fn a_refused_write_is_reported_on_the_next_flush_and_on_finish() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let thread = WriterThread::spawn(Broken).unwrap();
        let mut w = thread.writer();
        w.write_all(b"frame").unwrap();
        w.flush().unwrap();
        // The thread fails on its own time; a later flush sees it.
        let mut refused = None;
        for _ in 0..1000 {
            w.write_all(b"frame").unwrap();
            if let Err(e) = w.flush() {
                refused = Some(e.kind());
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(refused, Some(io::ErrorKind::BrokenPipe));
        assert_eq!(
            thread.finish().unwrap_err().kind(),
            io::ErrorKind::BrokenPipe
        );
    }
}
