//! What a session does after an attempt: the one "what next" type.
//!
//! It is filled in three places, each narrowing it: the open loop
//! (`open.rs`) ends with [`Next::Policy`], [`Next::Reconnect`],
//! [`Next::Pause`], [`Next::Stop`] or an in-band refusal
//! ([`Next::StopAuth`] / [`Next::StopRefused`], holding the server's
//! words); the retry policy (`policy::after`) answers [`Next::Retry`] or a
//! stop; the task (`task.rs`) turns a retry into [`Next::After`] with the
//! backoff's delay and acts on it.

use std::time::Duration;

use super::backoff::RetryHint;

/// What to do once an attempt (or an open socket) is over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Next {
    /// Ask the reconnect policy.
    Policy,
    /// Connect again at once (the user asked).
    Reconnect,
    /// Stay closed until resumed.
    Pause,
    /// Cancelled: the session ends.
    Stop,
    /// Stop retrying: the server refused the credentials (a 401/403, an
    /// auth close code, an in-band refusal); the text says what it did.
    StopAuth(String),
    /// Stop retrying: the same request will get the same refusal until
    /// something changes (Origin, protocol, path, the server's code).
    StopRefused(String),
    /// Try again; the hint sets the backoff's floor.
    Retry(RetryHint),
    /// Try again after this delay (the backoff's answer to a retry).
    After(Duration),
}
