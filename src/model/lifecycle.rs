//! A session's lifecycle as an enum; the browser's `readyState` is derived
//! from it, never stored.

use std::time::SystemTime;

use crate::facts::{AttemptRecord, Closer, Outcome, StopReason};

/// Where a session is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lifecycle {
    /// Created, first attempt not started yet.
    Idle,
    Connecting {
        attempt: u32,
        since: SystemTime,
    },
    Open {
        since: SystemTime,
    },
    /// wsmon sent a close frame and waits for the reply.
    Closing {
        since: SystemTime,
    },
    /// The last attempt ended (a retry decision follows).
    Closed {
        code: u16,
        reason: String,
        by: Option<Closer>,
        clean: bool,
        since: SystemTime,
    },
    /// Backing off; the next attempt starts at `retry_at`.
    Waiting {
        attempt: u32,
        retry_at: SystemTime,
    },
    /// Not reconnecting on its own.
    Stopped {
        why: StopReason,
        since: SystemTime,
    },
}

/// `WebSocket.readyState` as browsers number it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadyState {
    Connecting = 0,
    Open = 1,
    Closing = 2,
    Closed = 3,
}

impl ReadyState {
    pub fn number(self) -> u8 {
        self as u8
    }

    pub fn label(self) -> &'static str {
        match self {
            ReadyState::Connecting => "CONNECTING",
            ReadyState::Open => "OPEN",
            ReadyState::Closing => "CLOSING",
            ReadyState::Closed => "CLOSED",
        }
    }
}

impl Lifecycle {
    /// The Closed state an attempt record leads to.
    pub fn closed(record: &AttemptRecord) -> Lifecycle {
        match &record.outcome {
            Outcome::Failed(_) => Lifecycle::Closed {
                code: 1006,
                reason: String::new(),
                by: None,
                clean: false,
                since: record.ended,
            },
            Outcome::Closed { close, .. } => Lifecycle::Closed {
                code: close.code,
                reason: close.reason.clone(),
                by: Some(close.by),
                clean: close.clean,
                since: record.ended,
            },
        }
    }

    /// As a browser's WebSocket object would report it: a new object starts
    /// CONNECTING; waiting and stopped sessions have a CLOSED socket.
    pub fn ready_state(&self) -> ReadyState {
        match self {
            Lifecycle::Idle | Lifecycle::Connecting { .. } => ReadyState::Connecting,
            Lifecycle::Open { .. } => ReadyState::Open,
            Lifecycle::Closing { .. } => ReadyState::Closing,
            Lifecycle::Closed { .. } | Lifecycle::Waiting { .. } | Lifecycle::Stopped { .. } => {
                ReadyState::Closed
            }
        }
    }

    /// A one-word name for reports (`open`, `waiting`, `stopped`…).
    pub fn name(&self) -> &'static str {
        match self {
            Lifecycle::Idle => "idle",
            Lifecycle::Connecting { .. } => "connecting",
            Lifecycle::Open { .. } => "open",
            Lifecycle::Closing { .. } => "closing",
            Lifecycle::Closed { .. } => "closed",
            Lifecycle::Waiting { .. } => "waiting",
            Lifecycle::Stopped { .. } => "stopped",
        }
    }
}
