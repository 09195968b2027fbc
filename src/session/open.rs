//! The life of an open socket: read and batch messages, heartbeat, obey
//! commands, and end with a [`CloseInfo`] as a browser would report it.
//!
//! The read loop never stops polling while the socket is open, because
//! tungstenite only flushes its automatic pong replies when the stream is
//! polled: a task that stopped reading would stop answering server pings.
//! Messages go to the consumer in batches: each wake-up drains everything
//! already readable, so a flood costs one event per batch, not per frame.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, sleep_until, timeout};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message, error::ProtocolError};

use super::handshake::WsStream;
use super::heartbeat::{Due, Heartbeat};
use super::spec::{Mode, SessionSpec, Wiring, emit};
use crate::config::HeartbeatMode;
use crate::facts::events::*;
use crate::protocol::{Codec, Fact, Refusal, Rule, Step};

/// Most messages taken in one wake-up before the batch is handed over.
const BATCH_MESSAGES: usize = 4096;

/// Bytes (as [`Payload::cost`]) a batch may hold while the consumer is not
/// taking it; past this the oldest messages are dropped (and counted) so
/// memory stays bounded while the socket keeps being read (and pings keep
/// being answered).
const BATCH_BYTES_CAP: usize = 2 << 20;

/// Bytes of batches a session may have queued towards the consumer.
/// Beyond it the session keeps reading into its own pending batch (which
/// drops its oldest past [`BATCH_BYTES_CAP`]), so memory stays bounded even
/// when the consumer stalls.
pub(crate) const IN_FLIGHT_BYTES: usize = 2 << 20;

/// In [`Mode::Record`], pending bytes at which reading pauses until the
/// consumer takes the batch: half the cap, so a message under 1 MiB never
/// makes the batch drop its oldest.
const RECORD_PAUSE_BYTES: usize = BATCH_BYTES_CAP / 2;

/// Characters of the last sent text frame kept for the diagnosis.
const LAST_TEXT_KEPT: usize = 200;

/// How long a closing handshake may take before the socket is just dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

// What the session does next is the one `Next` of `next.rs` (an in-band
// refusal carries the server's words, taken from the close note at the end).
pub(crate) use super::next::Next;

/// How the open phase ended.
pub(crate) struct Ended {
    pub close: CloseInfo,
    pub at: SystemTime,
    pub next: Next,
    /// The last frames each way before the end.
    pub activity: Activity,
}

/// What the protocol layer knows of this connection beyond the codec.
#[derive(Default)]
struct ProtoState {
    /// Ready (the protocol handshake completed).
    ready: bool,
    /// A raw endpoint's detected protocol, as a close note.
    detected: Option<String>,
    /// The refusal that ends the connection.
    refusal: Option<Refusal>,
    /// The one-shot hold was restarted at ready.
    ready_held: bool,
}

/// Messages read but not yet handed to the consumer.
#[derive(Default)]
struct Pending {
    messages: VecDeque<Payload>,
    bytes: usize,
    dropped: u64,
}

impl Pending {
    fn push(&mut self, payload: Payload) {
        self.bytes += payload.cost();
        self.messages.push_back(payload);
        while self.bytes > BATCH_BYTES_CAP && self.messages.len() > 1 {
            if let Some(old) = self.messages.pop_front() {
                self.bytes -= old.cost();
                self.dropped += 1;
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.messages.is_empty() && self.dropped == 0
    }

    /// Bytes to reserve from the in-flight budget for the current batch.
    fn budget_needed(&self) -> u32 {
        // IN_FLIGHT_BYTES (2 MiB) fits a u32 (the semaphore's permit count).
        u32::try_from(self.bytes.clamp(1, IN_FLIGHT_BYTES)).unwrap_or(u32::MAX)
    }

    fn take(&mut self, budget: Option<OwnedSemaphorePermit>) -> MessageBatch {
        let batch = MessageBatch {
            messages: Vec::from(std::mem::take(&mut self.messages)),
            dropped: self.dropped,
            budget: budget.map(|permit| Budget(Arc::new(permit))),
        };
        self.bytes = 0;
        self.dropped = 0;
        batch
    }
}

/// Runs the open socket to its end. `subprotocol` is the one the server
/// picked (it tells a raw endpoint's protocol apart).
pub(crate) async fn run(
    mut ws: WsStream,
    spec: &SessionSpec,
    wiring: &mut Wiring,
    subprotocol: Option<&str>,
) -> Ended {
    let mut pending = Pending::default();
    let budget = Arc::new(Semaphore::new(IN_FLIGHT_BYTES));
    // Bytes granted from the budget for the next batch, once available.
    let mut grant: Option<OwnedSemaphorePermit> = None;
    let mut beat = Heartbeat::new(
        spec.settings.ping_interval,
        spec.settings.pong_timeout,
        Instant::now(),
    );
    let mut codec = Codec::new(&spec.endpoint, subprotocol);
    let mut proto = ProtoState::default();
    let wants_ready = spec.endpoint.protocol.has_ready();
    // In one-shot mode the socket closes itself after the hold time; with
    // a protocol the hold starts once it is ready (waited for at most
    // connect_timeout), so a check holds a working session.
    let ready_wait = spec.settings.connect_timeout;
    let mut hold = match spec.mode {
        Mode::Once { .. } if wants_ready => Some(Instant::now() + ready_wait),
        Mode::Once { hold } => Some(Instant::now() + hold),
        Mode::Monitor | Mode::Record => None,
    };
    let hold_for = match spec.mode {
        Mode::Once { hold } => Some(hold),
        _ => None,
    };
    let record = spec.mode == Mode::Record;
    // In browser mode no pings go out, as from a browser: what the path
    // does to a quiet socket shows (see `HeartbeatMode`).
    let pinging = spec.endpoint.heartbeat == HeartbeatMode::Ping;
    let mut activity = Activity::default();
    let opened = codec.on_open(std::time::Instant::now());
    let mut early = match apply_step(opened, &mut ws, spec, wiring, &mut proto).await {
        Ok(()) => None,
        Err(close) => Some((close, Next::Policy)),
    };
    let (mut close, next) = loop {
        if let Some(end) = early.take() {
            break end;
        }
        if let Some(refusal) = proto.refusal.take() {
            break refused(&mut ws, spec, wiring, &mut pending, &mut proto, refusal).await;
        }
        if wants_ready
            && proto.ready
            && hold_for.is_some()
            && !std::mem::replace(&mut proto.ready_held, true)
        {
            hold = hold_for.map(|h| Instant::now() + h);
        }
        let codec_due = codec.deadline().map(Instant::from_std);
        tokio::select! {
            biased;
            _ = wiring.cancel.cancelled() => {
                let close = close_ourselves(&mut ws, spec, wiring, &mut pending, LocalCause::Shutdown).await;
                break (close, Next::Stop);
            }
            _ = sleep_until(hold.unwrap_or_else(Instant::now)), if hold.is_some() => {
                let mut close = close_ourselves(&mut ws, spec, wiring, &mut pending, LocalCause::CheckDone).await;
                if wants_ready && !proto.ready {
                    close.note = Some(format!(
                        "{}no {} within {}",
                        crate::diagnose::protocol::NOT_READY,
                        ready_words(spec.endpoint.protocol.kind),
                        humantime::format_duration(ready_wait)
                    ));
                }
                break (close, Next::Policy);
            }
            _ = sleep_until(codec_due.unwrap_or_else(Instant::now)), if codec_due.is_some() => {
                let step = codec.on_tick(std::time::Instant::now());
                if let Err(close) = apply_step(step, &mut ws, spec, wiring, &mut proto).await {
                    break (close, Next::Policy);
                }
            }
            command = wiring.commands.recv() => {
                if let Some(Command::Send(text)) = command {
                    if let Err(close) = send_text(&mut ws, spec, wiring, text, &codec, &mut activity).await {
                        break (close, Next::Policy);
                    }
                    continue;
                }
                let next = match command {
                    None => Next::Stop,
                    Some(Command::Send(_)) => continue,
                    Some(Command::ReconnectNow) => Next::Reconnect,
                    Some(Command::NewToken) => {
                        let close = close_ourselves(&mut ws, spec, wiring, &mut pending, LocalCause::NewToken).await;
                        break (close, Next::Reconnect);
                    }
                    Some(Command::Pause) => Next::Pause,
                    Some(Command::EndHold) if hold.is_some() => {
                        let close = close_ourselves(&mut ws, spec, wiring, &mut pending, LocalCause::CheckDone).await;
                        break (close, Next::Policy);
                    }
                    Some(Command::Resume | Command::TokenNowValid | Command::EndHold) => continue,
                };
                let cause = if next == Next::Stop { LocalCause::Shutdown } else { LocalCause::UserRequest };
                let close = close_ourselves(&mut ws, spec, wiring, &mut pending, cause).await;
                break (close, next);
            }
            granted = budget.clone().acquire_many_owned(pending.budget_needed()),
                if !pending.is_empty() && grant.is_none() =>
            {
                grant = granted.ok();
            }
            slot = wiring.events.reserve(), if grant.is_some() => {
                if let Ok(slot) = slot {
                    let batch = pending.take(grant.take());
                    slot.send(Event::Session { endpoint: spec.id, event: SessionEvent::Messages(batch) });
                }
            }
            _ = sleep_until(beat.deadline()), if pinging => {
                let Due::Ping(payload) = beat.due() else {
                    break (heartbeat_dead(&beat), Next::Policy);
                };
                let sent = Instant::now();
                match timeout(beat.pong_timeout(), ws.send(Message::Ping(payload.into()))).await {
                    Ok(Ok(())) => {
                        beat.sent(sent);
                        activity.last_sent = Some(SystemTime::now());
                    }
                    Ok(Err(e)) => break (from_error(e, &mut ws).await, Next::Policy),
                    Err(_) => break (heartbeat_dead(&beat), Next::Policy),
                }
            }
            item = ws.next(), if !(record && pending.bytes >= RECORD_PAUSE_BYTES) => {
                let reading = Reading { ws: &mut ws, pending: &mut pending, beat: &mut beat, codec: &mut codec, proto: &mut proto, activity: &mut activity };
                if let Some(end) = take_items(item, reading, spec, wiring).await {
                    break end;
                }
            }
        }
    };
    flush(&mut pending, spec, wiring).await;
    if close.note.is_none() {
        close.note = proto.detected.take();
    }
    // A refusal's words are the close note (the server's own, or the
    // protocol detected on a raw endpoint).
    let next = match next {
        Next::StopAuth(_) => Next::StopAuth(close.note.clone().unwrap_or_default()),
        Next::StopRefused(_) => Next::StopRefused(close.note.clone().unwrap_or_default()),
        next => next,
    };
    Ended {
        close,
        at: SystemTime::now(),
        next,
        activity,
    }
}

/// What the protocol must complete to be ready, for a "not ready" note.
fn ready_words(kind: crate::config::ProtocolKind) -> &'static str {
    use crate::config::ProtocolKind as K;
    match kind {
        K::Raw => "reply matching every on_open expectation",
        K::SocketIo => "Engine.IO open packet and namespace connect (40)",
        K::GraphqlTransportWs | K::GraphqlWs => "connection_ack",
        K::ActionCable => "welcome and confirm_subscription",
        K::Stomp => "CONNECTED frame",
    }
}

/// Sends a codec step's frames and reports its facts. A refusal is kept
/// in `proto` for the loop to act on; a write error ends the connection.
async fn apply_step(
    step: Step,
    ws: &mut WsStream,
    spec: &SessionSpec,
    wiring: &Wiring,
    proto: &mut ProtoState,
) -> Result<(), CloseInfo> {
    for frame in step.send {
        match timeout(CLOSE_GRACE, ws.send(Message::Text(frame.into()))).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(from_error(e, ws).await),
            // The server is not reading; the frame stays queued.
            Err(_) => {}
        }
    }
    let protocol = spec.endpoint.protocol.kind;
    for fact in step.facts {
        let at = SystemTime::now();
        let event = match fact {
            Fact::Keepalive => {
                // A count, not a record: skipped if the consumer is behind.
                let _ = wiring.events.try_send(Event::Session {
                    endpoint: spec.id,
                    event: SessionEvent::Protocol(ProtocolEvent::Keepalive),
                });
                continue;
            }
            Fact::Ready(detail) => {
                proto.ready = true;
                spec.span
                    .in_scope(|| tracing::info!(%detail, "protocol ready"));
                ProtocolEvent::Ready {
                    at,
                    protocol,
                    detail: spec.redactor.redact(&detail).into_owned(),
                }
            }
            Fact::Detected(kind, evidence) => {
                let evidence = spec.redactor.redact(&evidence).into_owned();
                proto.detected = Some(crate::protocol::detect::note(kind, &evidence));
                ProtocolEvent::Detected {
                    at,
                    protocol: kind,
                    evidence,
                }
            }
            Fact::Refused(mut refusal) => {
                refusal.detail = spec.redactor.redact(&refusal.detail).into_owned();
                spec.span.in_scope(|| tracing::info!(detail = %refusal.detail, rule = ?refusal.rule, "protocol refusal"));
                let event = ProtocolEvent::Refused {
                    at,
                    protocol,
                    detail: refusal.detail.clone(),
                    rule: refusal.rule,
                };
                proto.ready = false;
                proto.refusal = Some(refusal);
                event
            }
        };
        emit(spec, wiring, SessionEvent::Protocol(event)).await;
    }
    Ok(())
}

/// Ends the connection after an in-band refusal: wsmon closes with 1000
/// (the server may already be closing), the note keeps the server's words.
async fn refused(
    ws: &mut WsStream,
    spec: &SessionSpec,
    wiring: &Wiring,
    pending: &mut Pending,
    proto: &mut ProtoState,
    refusal: Refusal,
) -> (CloseInfo, Next) {
    let (cause, next) = match refusal.rule {
        Rule::StopAuth => (
            LocalCause::ProtocolAuthRefused,
            Next::StopAuth(String::new()),
        ),
        Rule::Stop => (
            LocalCause::ProtocolRefused,
            Next::StopRefused(String::new()),
        ),
        Rule::Retry => (LocalCause::ProtocolRetry, Next::Policy),
    };
    let mut close = close_ourselves(ws, spec, wiring, pending, cause).await;
    close.note = Some(refusal.detail);
    proto.detected = None;
    (close, next)
}

/// The socket and the state a read touches.
struct Reading<'a> {
    ws: &'a mut WsStream,
    pending: &'a mut Pending,
    beat: &'a mut Heartbeat,
    codec: &'a mut Codec,
    proto: &'a mut ProtoState,
    /// When the last frame arrived (for the pattern diagnosis).
    activity: &'a mut Activity,
}

/// A protocol endpoint's data frame: the codec answers a text frame and
/// its facts are reported; an application message (or a binary frame) goes
/// to the consumer. `Ok(true)` when a refusal ends the batch.
async fn protocol_payload(
    payload: Payload,
    ws: &mut WsStream,
    pending: &mut Pending,
    codec: &mut Codec,
    proto: &mut ProtoState,
    spec: &SessionSpec,
    wiring: &Wiring,
) -> Result<bool, CloseInfo> {
    let deliver = match &payload.data {
        PayloadData::Binary(_) => true,
        PayloadData::Text(text) => {
            let step = codec.on_text(text.as_str(), std::time::Instant::now());
            let deliver = step.deliver;
            apply_step(step, ws, spec, wiring, proto).await?;
            deliver
        }
    };
    if deliver {
        wiring.probe.offer(spec.id, &payload);
        pending.push(payload);
    }
    Ok(proto.refusal.is_some())
}

/// Handles `first` and everything else already readable, up to a batch.
/// Returns the close when the socket ended.
async fn take_items(
    first: Option<Result<Message, WsError>>,
    reading: Reading<'_>,
    spec: &SessionSpec,
    wiring: &Wiring,
) -> Option<(CloseInfo, Next)> {
    let Reading {
        ws,
        pending,
        beat,
        codec,
        proto,
        activity,
    } = reading;
    let mut item = first;
    let mut taken = 0;
    loop {
        match item {
            None => {
                let close = abnormal("the connection ended without a close frame");
                return Some((close, Next::Policy));
            }
            Some(Err(e)) => return Some((from_error(e, ws).await, Next::Policy)),
            Some(Ok(message)) => match data_payload(message) {
                // Raw endpoints (the flood path) skip the protocol layer
                // with this one check.
                Ok(mut payload) if codec.is_raw() => {
                    if spec.redactor.knows_secrets() {
                        super::scrub::payload(&mut payload, &spec.redactor);
                    }
                    // The payload's own timestamp: no extra clock read.
                    activity.last_received = Some(payload.at);
                    wiring.probe.offer(spec.id, &payload);
                    pending.push(payload);
                }
                Ok(mut payload) => {
                    if spec.redactor.knows_secrets() {
                        super::scrub::payload(&mut payload, &spec.redactor);
                    }
                    activity.last_received = Some(payload.at);
                    // Boxed: the protocol path's future stays out of every
                    // raw session's task.
                    let frame = Box::pin(protocol_payload(
                        payload, ws, pending, codec, proto, spec, wiring,
                    ));
                    match frame.await {
                        Ok(false) => {}
                        // A refusal: acted on by the loop (close, stop or retry).
                        Ok(true) => return None,
                        Err(close) => return Some((close, Next::Policy)),
                    }
                }
                Err(Message::Pong(data)) => {
                    activity.last_received = Some(SystemTime::now());
                    if let Some(rtt) = beat.pong(&data, Instant::now()) {
                        // RTT is a sample, not a record: skip it if the
                        // consumer is behind rather than wait.
                        let event = SessionEvent::Rtt(rtt);
                        let _ = wiring.events.try_send(Event::Session {
                            endpoint: spec.id,
                            event,
                        });
                    }
                }
                Err(Message::Close(frame)) => {
                    let close = server_closed(frame, ws).await;
                    // A close code that is a refusal in the protocol's
                    // terms (graphql 4401/4403) obeys its rule.
                    let next = match codec.on_close(close.code) {
                        Some(r) if r.rule == Rule::StopAuth => Next::StopAuth(String::new()),
                        Some(r) if r.rule == Rule::Stop => Next::StopRefused(String::new()),
                        _ => Next::Policy,
                    };
                    if let Some(r) = codec.on_close(close.code) {
                        let event = ProtocolEvent::Refused {
                            at: SystemTime::now(),
                            protocol: spec.endpoint.protocol.kind,
                            detail: r.detail.clone(),
                            rule: r.rule,
                        };
                        emit(spec, wiring, SessionEvent::Protocol(event)).await;
                        proto.detected = Some(r.detail);
                    }
                    return Some((close, next));
                }
                // Pings: tungstenite queues the pong itself; it goes out on
                // the next poll.
                Err(Message::Ping(_)) => activity.last_received = Some(SystemTime::now()),
                // Raw frames never surface when reading.
                Err(_) => {}
            },
        }
        taken += 1;
        if taken >= BATCH_MESSAGES
            || (spec.mode == Mode::Record && pending.bytes >= RECORD_PAUSE_BYTES)
        {
            return None;
        }
        match ws.next().now_or_never() {
            Some(next) => item = next,
            None => return None,
        }
    }
}

/// Sends a text frame the user asked for and reports the outcome. A write
/// error ends the connection (its close is returned); a server that does
/// not take the frame within [`CLOSE_GRACE`] leaves it queued.
async fn send_text(
    ws: &mut WsStream,
    spec: &SessionSpec,
    wiring: &Wiring,
    text: String,
    codec: &Codec,
    activity: &mut Activity,
) -> Result<(), CloseInfo> {
    let shown = spec.redactor.redact(&text).into_owned();
    // A Socket.IO event or a STOMP SEND on a protocol endpoint.
    let wire = if codec.is_raw() {
        text
    } else {
        codec.wrap_send(&text)
    };
    let outcome = match timeout(CLOSE_GRACE, ws.send(Message::Text(wire.into()))).await {
        Ok(Ok(())) => SendOutcome::Sent,
        Ok(Err(e)) => return Err(from_error(e, ws).await),
        Err(_) => SendOutcome::Queued,
    };
    let now = SystemTime::now();
    activity.last_sent = Some(now);
    // Only its start: diagnoses quote an excerpt of it.
    let start: String = shown.chars().take(LAST_TEXT_KEPT).collect();
    activity.last_text_sent = Some((now, start));
    spec.span
        .in_scope(|| tracing::info!(bytes = shown.len(), ?outcome, "text frame sent"));
    let event = SessionEvent::Sent {
        at: SystemTime::now(),
        text: shown,
        outcome,
    };
    emit(spec, wiring, event).await;
    Ok(())
}

/// A data message as a timestamped payload; any other message back.
fn data_payload(message: Message) -> Result<Payload, Message> {
    let data = match message {
        Message::Text(text) => PayloadData::Text(text),
        Message::Binary(bytes) => PayloadData::Binary(bytes),
        other => return Err(other),
    };
    Ok(Payload {
        at: SystemTime::now(),
        data,
    })
}

/// The server sent a close frame; tungstenite has queued our reply. Keep
/// polling until the server drops the TCP connection (or a short grace).
async fn server_closed(frame: Option<CloseFrame>, ws: &mut WsStream) -> CloseInfo {
    let _ = timeout(CLOSE_GRACE, async { while ws.next().await.is_some() {} }).await;
    let (code, reason) = match frame {
        // A close frame without a status code: browsers report 1005.
        None => (1005, String::new()),
        Some(f) => (u16::from(f.code), f.reason.to_string()),
    };
    CloseInfo {
        code,
        reason,
        by: Closer::Server,
        clean: true,
        cause: None,
        note: None,
    }
}

/// wsmon closes with 1000 and waits briefly for the server's reply.
async fn close_ourselves(
    ws: &mut WsStream,
    spec: &SessionSpec,
    wiring: &Wiring,
    pending: &mut Pending,
    cause: LocalCause,
) -> CloseInfo {
    let reason = match cause {
        LocalCause::UserRequest => "wsmon: reconnect requested",
        LocalCause::NewToken => "wsmon: reconnecting with a new token",
        // Both `check` and `send` end a one-attempt session this way.
        LocalCause::CheckDone => "wsmon: done",
        _ => "wsmon: closing",
    };
    emit(
        spec,
        wiring,
        SessionEvent::Closing {
            at: SystemTime::now(),
            code: 1000,
        },
    )
    .await;
    let frame = CloseFrame {
        code: CloseCode::Normal,
        reason: reason.into(),
    };
    let mut clean = false;
    let handshake = async {
        ws.send(Message::Close(Some(frame))).await?;
        // Messages may still arrive before the server's close reply.
        while let Some(item) = ws.next().await {
            match data_payload(item?) {
                Ok(payload) => pending.push(payload),
                Err(Message::Close(_)) => clean = true,
                Err(_) => {}
            }
        }
        Ok::<(), WsError>(())
    };
    match timeout(CLOSE_GRACE, handshake).await {
        Ok(Ok(())) | Ok(Err(WsError::ConnectionClosed)) => {}
        _ => {}
    }
    CloseInfo {
        code: 1000,
        reason: reason.to_string(),
        by: Closer::Client,
        clean,
        cause: Some(cause),
        note: None,
    }
}

/// Maps a read/write error to the close a browser would report. For
/// violations wsmon itself detects it sends the matching close code (best
/// effort) and reports that code.
async fn from_error(error: WsError, ws: &mut WsStream) -> CloseInfo {
    let (code, cause, note) = match &error {
        WsError::ConnectionClosed | WsError::AlreadyClosed => {
            return abnormal("the connection ended without a close frame");
        }
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) | WsError::Io(_) => {
            return abnormal(&format!("the connection dropped: {error}"));
        }
        WsError::Utf8(_) => (
            1007,
            LocalCause::InvalidUtf8,
            "the server sent a text message that is not valid UTF-8",
        ),
        WsError::Capacity(_) => (
            1009,
            LocalCause::MessageTooBig,
            "the server sent a message over the size limit",
        ),
        _ => (
            1002,
            LocalCause::ProtocolViolation,
            "the server broke the WebSocket framing rules",
        ),
    };
    let frame = CloseFrame {
        code: CloseCode::from(code),
        reason: "".into(),
    };
    let _ = timeout(
        Duration::from_millis(500),
        ws.send(Message::Close(Some(frame))),
    )
    .await;
    CloseInfo {
        code,
        reason: String::new(),
        by: Closer::Client,
        clean: false,
        cause: Some(cause),
        note: Some(format!("{note} ({error}); a browser would report 1006")),
    }
}

fn abnormal(note: &str) -> CloseInfo {
    CloseInfo {
        code: 1006,
        reason: String::new(),
        by: Closer::Network,
        clean: false,
        cause: None,
        note: Some(note.to_string()),
    }
}

fn heartbeat_dead(beat: &Heartbeat) -> CloseInfo {
    CloseInfo {
        code: 1006,
        reason: String::new(),
        by: Closer::Client,
        clean: false,
        cause: Some(LocalCause::HeartbeatTimeout),
        note: Some(format!(
            "no pong within pong_timeout ({}) after a ping: the connection is half-open",
            humantime::format_duration(beat.pong_timeout())
        )),
    }
}

/// Hands over what is left; waits (unless cancelled) so nothing is lost.
async fn flush(pending: &mut Pending, spec: &SessionSpec, wiring: &Wiring) {
    if !pending.is_empty() {
        emit(spec, wiring, SessionEvent::Messages(pending.take(None))).await;
    }
}
