//! The built-in demo server: a stand-in for a Django Channels notification
//! hub (Daphne + DRF `TokenAuthentication`), so that a new user can try
//! wsmon without a server of their own (`wsmon demo`).
//!
//! It runs in-process on a loopback port and answers like the real thing:
//!
//! - `GET /ws/notifications/?token=T`: a valid token is accepted and gets a
//!   JSON notification every 1–2 s; now and then the TCP connection is
//!   dropped without a close frame (the client sees `1006`). A missing,
//!   unknown or inactive token gets a bare HTTP `403`, which is what Daphne
//!   answers when a consumer closes before `accept()`.
//! - `GET /ws/orders/?token=T`: a few order updates, then a close with the
//!   application code `4000` ("order feed rotated, reconnect").
//! - `GET /api/notifications/` with `Authorization: Token T`: DRF's answers,
//!   word for word, for valid, unknown, inactive and missing credentials.
//! - `GET /socket.io/?EIO=4&transport=websocket`: a Socket.IO v4-style
//!   hub ([`socketio`]): Engine.IO open packet and pings, the token in the
//!   namespace CONNECT, `42["notification", …]` events.
//! - anything else: `404`.
//!
//! [`profiles_toml`] writes a profiles file that points wsmon at it, one
//! profile per kind of user. The server logs through `tracing` only (the
//! terminal belongs to the UI) and shows tokens redacted.
//!
//! Modules: [`server`] (listener, routes, REST, lifecycle), [`sockets`] (the
//! two WebSocket feeds), [`profiles`] (the generated profiles file).

pub(crate) mod feed;
pub(crate) mod login;
pub(crate) mod profiles;
pub(crate) mod server;
pub(crate) mod socketio;
pub(crate) mod sockets;
pub(crate) mod state;

use std::time::Duration;

pub use profiles::profiles_toml;
pub use server::{DemoServer, start};

/// Token of `sandra`, an active user (made up: 40 hex characters, the shape of
/// a DRF token).
pub const SANDRA_TOKEN: &str = "932bca06e9447c7cccd79cf3e557385667a9973f";
/// Token of `omar`, another active user.
pub const OMAR_TOKEN: &str = "57731324b6e20c88c29d8f53d85150ea03ed066c";
/// Token of `victor`, a user whose account is deactivated (`is_active=False`).
pub const INACTIVE_TOKEN: &str = "b32ef4dba5515c528987fe3b692360326b2daff8";
/// A well-formed token that belongs to no one.
pub const UNKNOWN_TOKEN: &str = "7505941c1be54482f1a1b3d15a583b8ef23c70cf";

/// One account of the demo's user table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoUser {
    /// The username, as shown in notifications.
    pub name: &'static str,
    /// The user's DRF token.
    pub token: &'static str,
    /// `False` for a deactivated account: DRF refuses its token.
    pub active: bool,
}

/// Every user the demo knows (the unknown token is, on purpose, not here).
pub const USERS: [DemoUser; 3] = [
    DemoUser {
        name: "sandra",
        token: SANDRA_TOKEN,
        active: true,
    },
    DemoUser {
        name: "omar",
        token: OMAR_TOKEN,
        active: true,
    },
    DemoUser {
        name: "victor",
        token: INACTIVE_TOKEN,
        active: false,
    },
];

/// What the user table says about a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// A known, active user.
    Valid(DemoUser),
    /// A known user whose account is deactivated.
    Inactive(DemoUser),
    /// No user has this token.
    Unknown,
}

/// Looks a token up the way DRF does: an exact match on the key.
pub fn authenticate(token: &str) -> Auth {
    match USERS.iter().find(|u| u.token == token) {
        Some(user) if user.active => Auth::Valid(*user),
        Some(user) => Auth::Inactive(*user),
        None => Auth::Unknown,
    }
}

/// The pace of the demo. `Default` is human-paced (what `wsmon demo` uses);
/// [`DemoOptions::fast`] is for tests, where waiting seconds would be waste.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOptions {
    /// A notification is sent after a random pause in this range (inclusive).
    pub notify_every: (Duration, Duration),
    /// A notifications socket is dropped without a close frame after a random
    /// time in this range; `None` never drops.
    pub drop_after: Option<(Duration, Duration)>,
    /// The orders socket is closed with `4000` this long after it opened.
    pub orders_close_after: Duration,
    /// How many order updates are sent before that close (spread evenly).
    pub order_updates: u32,
    /// How many recent notifications per user the REST list keeps.
    pub history: usize,
    /// How long a graceful close waits for the client's closing frame.
    pub close_grace: Duration,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            notify_every: (Duration::from_secs(1), Duration::from_secs(2)),
            drop_after: Some((Duration::from_secs(20), Duration::from_secs(60))),
            orders_close_after: Duration::from_secs(15),
            order_updates: 3,
            history: 20,
            close_grace: Duration::from_secs(2),
        }
    }
}

impl DemoOptions {
    /// Everything a hundred times faster or so: a notification every
    /// 10–30 ms, a drop after 300–500 ms, the orders close after 300 ms.
    pub fn fast() -> Self {
        DemoOptions {
            notify_every: (Duration::from_millis(10), Duration::from_millis(30)),
            drop_after: Some((Duration::from_millis(300), Duration::from_millis(500))),
            orders_close_after: Duration::from_millis(300),
            order_updates: 3,
            history: 20,
            close_grace: Duration::from_millis(500),
        }
    }
}

/// A random duration in `[lo, hi]`; `lo` alone when the range is empty or
/// reversed (a hand-written option should not panic the server).
pub(crate) fn random_between((lo, hi): (Duration, Duration)) -> Duration {
    if hi <= lo {
        return lo;
    }
    // Millisecond resolution is plenty for a demo and keeps the range in u64.
    let lo_ms = crate::units::millis(lo);
    let hi_ms = crate::units::millis(hi);
    Duration::from_millis(rand::random_range(lo_ms..=hi_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_look_like_drf_tokens() {
        for token in [SANDRA_TOKEN, OMAR_TOKEN, INACTIVE_TOKEN, UNKNOWN_TOKEN] {
            assert_eq!(token.len(), 40);
            assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
        }
    }

    #[test]
    fn authenticate_tells_the_three_cases_apart() {
        assert!(matches!(authenticate(SANDRA_TOKEN), Auth::Valid(u) if u.name == "sandra"));
        assert!(matches!(authenticate(OMAR_TOKEN), Auth::Valid(u) if u.name == "omar"));
        assert!(matches!(authenticate(INACTIVE_TOKEN), Auth::Inactive(_)));
        assert_eq!(authenticate(UNKNOWN_TOKEN), Auth::Unknown);
        assert_eq!(authenticate(""), Auth::Unknown);
    }

    #[test]
    fn random_between_stays_in_range_and_tolerates_reversed_ranges() {
        let range = (Duration::from_millis(10), Duration::from_millis(20));
        for _ in 0..100 {
            let d = random_between(range);
            assert!(d >= range.0 && d <= range.1, "{d:?}");
        }
        let reversed = (Duration::from_secs(2), Duration::from_secs(1));
        assert_eq!(random_between(reversed), Duration::from_secs(2));
    }
}
