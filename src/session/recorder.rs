//! A tape on the upgrade: keeps the first bytes a server sends while the
//! handshake runs, so an answer tungstenite cannot parse (`HTTP/1.1 4002
//! undefined`, TLS bytes on a `ws://` port) can still be shown as it came.
//!
//! Bounded to [`RAW_ANSWER_BYTES`](super::handshake::RAW_ANSWER_BYTES) and
//! switched off once the socket opens ([`Recorder::stop`]): after that a
//! read costs one branch, and nothing is copied on the message path.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The bytes recorded so far, shared with the handshake that owns the
/// recorder's stream (tungstenite consumes the stream on failure).
pub type Tape = Arc<Mutex<Vec<u8>>>;

/// A stream that copies what it reads onto a [`Tape`] until stopped.
#[derive(Debug)]
pub struct Recorder<S> {
    inner: S,
    tape: Option<(Tape, usize)>,
}

impl<S> Recorder<S> {
    /// Records up to `cap` bytes onto `tape`; `None` records nothing.
    pub fn new(inner: S, tape: Option<(Tape, usize)>) -> Self {
        Recorder { inner, tape }
    }

    /// Stops recording (the socket is open: frames are not evidence).
    pub fn stop(&mut self) {
        self.tape = None;
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Recorder<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let (Poll::Ready(Ok(())), Some((tape, cap))) = (&poll, &this.tape) {
            let new = &buf.filled()[before..];
            if let Ok(mut tape) = tape.lock() {
                let room = cap.saturating_sub(tape.len());
                tape.extend_from_slice(&new[..new.len().min(room)]);
            }
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Recorder<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn records_up_to_the_cap_then_stops() {
        let (mut server, client) = tokio::io::duplex(64);
        let tape: Tape = Arc::default();
        let mut rec = Recorder::new(client, Some((tape.clone(), 8)));
        server.write_all(b"HTTP/1.1 4002").await.expect("write");
        let mut buf = [0u8; 32];
        let n = rec.read(&mut buf).await.expect("read");
        assert_eq!(&buf[..n], b"HTTP/1.1 4002");
        assert_eq!(tape.lock().expect("tape").as_slice(), b"HTTP/1.1");
        rec.stop();
        server.write_all(b"more").await.expect("write");
        let n = rec.read(&mut buf).await.expect("read");
        assert_eq!(&buf[..n], b"more");
        assert_eq!(tape.lock().expect("tape").len(), 8);
    }
}
