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
pub(crate) type Tape = Arc<Mutex<Vec<u8>>>;

/// A stream that copies what it reads onto a [`Tape`] until stopped.
#[derive(Debug)]
pub(crate) struct Recorder<S> {
    inner: S,
    tape: Option<(Tape, usize)>,
}

impl<S> Recorder<S> {
    /// Records up to `cap` bytes onto `tape`; `None` records nothing.
    pub(crate) fn new(inner: S, tape: Option<(Tape, usize)>) -> Self {
        Recorder { inner, tape }
    }

    /// Stops recording (the socket is open: frames are not evidence).
    pub(crate) fn stop(&mut self) {
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

/// Whether the recorded answer is whole: its headers ended and its body
/// has the `Content-Length` announced, or the chunked terminator. Without
/// either, the answer ends when the server closes.
fn complete(tape: &[u8]) -> bool {
    let text = String::from_utf8_lossy(tape);
    let Some(answer) = crate::diagnose::evidence::raw::parse(&text) else {
        return true;
    };
    if !text.contains("\r\n\r\n") && !text.contains("\n\n") {
        return false;
    }
    if let Some(len) = answer
        .header("content-length")
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        return answer.body.len() >= len;
    }
    if answer
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        return answer.body.contains("0\r\n\r\n");
    }
    false
}

/// Reads the rest of a refused answer from `spare` (a second handle on the
/// same socket: tungstenite stops reading at the end of the headers and
/// drops its own) onto `tape`, until the answer is whole, the server
/// closes, the tape is full, or `until`.
pub(crate) async fn read_rest(
    spare: &mut tokio::net::TcpStream,
    tape: &Tape,
    cap: usize,
    until: tokio::time::Instant,
) {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 1024];
    loop {
        {
            let Ok(t) = tape.lock() else { return };
            if t.len() >= cap || complete(&t) {
                return;
            }
        }
        match tokio::time::timeout_at(until, spare.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => {
                let Ok(mut t) = tape.lock() else { return };
                let room = cap.saturating_sub(t.len());
                t.extend_from_slice(&buf[..n.min(room)]);
            }
            _ => return,
        }
    }
}

#[cfg(test)]
mod complete_tests {
    use super::complete;

    #[test]
    fn an_answer_is_whole_by_length_chunks_or_not_yet() {
        assert!(!complete(
            b"HTTP/1.1 404 Not Found\r\nserver: uvicorn\r\ncontent-length: 22\r\n\r\n"
        ));
        assert!(complete(
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n{}"
        ));
        assert!(!complete(
            b"HTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n"
        ));
        assert!(complete(
            b"HTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
        ));
        assert!(!complete(
            b"HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\nOrigin"
        ));
        assert!(!complete(b"HTTP/1.1 404 Not"));
        assert!(complete(b"\x16\x03\x01"));
    }
}

/// Whether the bytes recorded after the end of a 101's headers are text
/// (an HTTP answer or an HTML page written onto the upgraded socket) that
/// cannot start a server's WebSocket frame (RFC 6455 §5.2): reserved bits
/// set (no extension is ever negotiated), an unknown opcode, or a masked
/// frame. `H` is 0x48 (RSV1 set), `<` 0x3c (RSV2+RSV3 set). Binary frames
/// that break the rules are left to the open socket, which closes them
/// with 1002 as before. `false` when nothing followed.
pub(crate) fn not_a_frame(tape: &[u8]) -> bool {
    let Some(end) = tape.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let rest = &tape[end + 4..];
    let Some(&b0) = rest.first() else {
        return false;
    };
    let head = &rest[..rest.len().min(4)];
    let text = head.len() == 4 && head.iter().all(|b| b.is_ascii_graphic() || *b == b' ');
    if !text {
        return false;
    }
    let opcode = b0 & 0x0f;
    let bad_first = b0 & 0x70 != 0 || !matches!(opcode, 0 | 1 | 2 | 8 | 9 | 10);
    let masked = rest.get(1).is_some_and(|b1| b1 & 0x80 != 0);
    bad_first || masked
}

#[cfg(test)]
mod frame_tests {
    use super::not_a_frame;

    #[test]
    fn tells_frames_from_text_after_a_101() {
        let head = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n".to_vec();
        assert!(!not_a_frame(&head));
        let mut frame = head.clone();
        frame.extend_from_slice(b"\x81\x17{\"type\":\"notification\"}");
        assert!(!not_a_frame(&frame));
        let mut close = head.clone();
        close.extend_from_slice(b"\x88\x02\x03\xe8");
        assert!(!not_a_frame(&close));
        for junk in [
            &b"HTTP/1.1 500 Internal Server Error\r\n"[..],
            b"<html>",
            b"Internal Server Error",
        ] {
            let mut t = head.clone();
            t.extend_from_slice(junk);
            assert!(not_a_frame(&t), "{junk:?}");
        }
        // Binary frames that break the rules close the open socket with
        // 1002 instead (tests/hostile.rs).
        for frame in [&b"\x81\x97masked"[..], b"\x83\x00", b"\xc1\x00"] {
            let mut t = head.clone();
            t.extend_from_slice(frame);
            assert!(!not_a_frame(&t), "{frame:?}");
        }
    }
}
