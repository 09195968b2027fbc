//! The notification feed the demo's sockets and its REST API share: one
//! history of notifications per user, and the next one made up.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::USERS;

/// One notification, as sent on the socket and listed by the REST API.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Notification {
    /// Always `"notification"` (the `type` a Channels consumer sends).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Increasing across all users, like a database id.
    pub id: u64,
    /// The username it was sent to.
    pub user: &'static str,
    /// A made-up headline.
    pub title: &'static str,
    /// RFC 3339, UTC.
    pub created_at: String,
}

/// Made-up titles; a notification picks one at random.
const TITLES: [&str; 10] = [
    "New comment on \"Q3 roadmap\"",
    "Your export is ready to download",
    "Invoice INV-2041 was paid",
    "Build #318 passed on main",
    "You were mentioned in #support",
    "Weekly report is available",
    "Your password was changed",
    "New sign-in from Firefox on Linux",
    "Meeting \"Standup\" starts in 5 minutes",
    "Shared document \"Budget 2025\" was updated",
];

/// Recent notifications per user, newest last, for the REST list.
#[derive(Debug)]
pub(crate) struct Feed {
    next_id: AtomicU64,
    recent: Mutex<HashMap<&'static str, VecDeque<Notification>>>,
    history: usize,
}

impl Feed {
    /// A store keeping `history` notifications per user, seeded with a few
    /// older ones so that the REST list is not empty before any socket opens.
    pub(crate) fn new(history: usize) -> Self {
        let feed = Feed {
            next_id: AtomicU64::new(1),
            recent: Mutex::new(HashMap::new()),
            history,
        };
        let now = SystemTime::now();
        for user in USERS.iter().filter(|u| u.active) {
            for minutes_ago in [42u64, 17, 3] {
                let at = now
                    .checked_sub(Duration::from_secs(minutes_ago * 60))
                    .unwrap_or(now);
                feed.publish_at(user.name, at);
            }
        }
        feed
    }

    /// Makes a new notification for `user`, stores it and returns it.
    pub(crate) fn publish(&self, user: &'static str) -> Notification {
        self.publish_at(user, SystemTime::now())
    }

    fn publish_at(&self, user: &'static str, at: SystemTime) -> Notification {
        let notification = Notification {
            kind: "notification",
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            user,
            title: TITLES[rand::random_range(..TITLES.len())],
            created_at: humantime::format_rfc3339_seconds(at).to_string(),
        };
        // A panic elsewhere while holding the lock leaves valid data behind:
        // a queue of finished notifications. Keep serving it.
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        let queue = recent.entry(user).or_default();
        queue.push_back(notification.clone());
        while queue.len() > self.history {
            queue.pop_front();
        }
        notification
    }

    /// The user's recent notifications, newest first (DRF lists usually
    /// order by `-created_at`).
    pub(crate) fn recent(&self, user: &str) -> Vec<Notification> {
        let recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        recent
            .get(user)
            .map(|q| q.iter().rev().cloned().collect())
            .unwrap_or_default()
    }
}
