//! Reconnect delays: exponential backoff with full jitter, close-code aware.
//!
//! Full jitter (`random(floor, min(cap, floor·2^n))`) spreads many clients
//! reconnecting to the same restarted server; without jitter they would all
//! come back at the same instant. A connection that stayed open for
//! [`STABLE_AFTER`] resets the exponent: it was healthy, so the next drop is
//! treated as a first one.

use std::time::Duration;

use rand::RngExt;

use crate::config::Settings;

/// An open connection that lasted this long counts as healthy.
pub(crate) const STABLE_AFTER: Duration = Duration::from_secs(10);

/// The floor used after 1012 (service restart) / 1013 (try again later):
/// the server said it is busy, so coming back at once is rude and useless.
pub(crate) const BUSY_FLOOR: Duration = Duration::from_secs(5);

/// What the last attempt says about when to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryHint {
    /// Ordinary failure: the usual floor.
    Normal,
    /// The server asked for patience (1012, 1013, a 429/503 without
    /// `Retry-After`): a longer floor.
    Busy,
    /// The server said when to come back (`Retry-After` on a 429/503): the
    /// next attempt is not before this, whatever reconnect_max says.
    NotBefore(Duration),
}

/// Backoff state of one session.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    floor: Duration,
    cap: Duration,
    /// Consecutive failures since the last healthy connection.
    failures: u32,
}

impl Backoff {
    pub(crate) fn new(settings: &Settings) -> Self {
        Backoff {
            floor: settings.reconnect_min,
            cap: settings.reconnect_max.max(settings.reconnect_min),
            failures: 0,
        }
    }

    /// Forget past failures (the connection proved healthy).
    pub(crate) fn reset(&mut self) {
        self.failures = 0;
    }

    /// The delay before the next attempt; counts one more failure.
    pub(crate) fn next_delay(&mut self, hint: RetryHint) -> Duration {
        let (low, high) = self.window(hint);
        self.failures = self.failures.saturating_add(1);
        if high <= low {
            return low;
        }
        let ms = crate::units::millis;
        let millis = rand::rng().random_range(ms(low)..=ms(high));
        Duration::from_millis(millis)
    }

    /// The range the next delay is drawn from (before counting the failure).
    pub(crate) fn window(&self, hint: RetryHint) -> (Duration, Duration) {
        let floor = match hint {
            RetryHint::Normal => self.floor,
            RetryHint::Busy => self.floor.max(BUSY_FLOOR).min(self.cap),
            // Jitter on top (a tenth, at most 5 s) so that clients limited
            // together do not all come back at the same instant.
            RetryHint::NotBefore(at_least) => {
                let low = at_least.max(self.floor);
                return (low, low + (low / 10).min(Duration::from_secs(5)));
            }
        };
        // floor · 2^failures, saturating long before overflow matters.
        let factor = 1u32.checked_shl(self.failures.min(20)).unwrap_or(u32::MAX);
        let high = floor.saturating_mul(factor).min(self.cap);
        (floor, high.max(floor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(min_ms: u64, max_ms: u64) -> Settings {
        Settings {
            reconnect_min: Duration::from_millis(min_ms),
            reconnect_max: Duration::from_millis(max_ms),
            ..Settings::default()
        }
    }

    #[test]
    fn window_doubles_up_to_the_cap() {
        let mut b = Backoff::new(&settings(500, 30_000));
        let mut highs = Vec::new();
        for _ in 0..8 {
            highs.push(b.window(RetryHint::Normal).1.as_millis());
            b.next_delay(RetryHint::Normal);
        }
        assert_eq!(highs, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    }

    #[test]
    fn delays_stay_inside_the_window() {
        let mut b = Backoff::new(&settings(100, 2_000));
        for _ in 0..200 {
            let (low, high) = b.window(RetryHint::Normal);
            let d = b.next_delay(RetryHint::Normal);
            assert!(d >= low && d <= high, "{d:?} not in {low:?}..={high:?}");
        }
    }

    #[test]
    fn jitter_spreads_delays() {
        let mut b = Backoff::new(&settings(100, 10_000));
        for _ in 0..6 {
            b.next_delay(RetryHint::Normal);
        }
        let distinct: std::collections::HashSet<_> = (0..50)
            .map(|_| b.clone().next_delay(RetryHint::Normal))
            .collect();
        assert!(distinct.len() > 10, "no jitter: {distinct:?}");
    }

    #[test]
    fn reset_returns_to_the_floor() {
        let mut b = Backoff::new(&settings(500, 30_000));
        for _ in 0..5 {
            b.next_delay(RetryHint::Normal);
        }
        b.reset();
        assert_eq!(
            b.window(RetryHint::Normal),
            (Duration::from_millis(500), Duration::from_millis(500))
        );
    }

    #[test]
    fn busy_servers_get_a_longer_floor() {
        let b = Backoff::new(&settings(500, 30_000));
        assert_eq!(b.window(RetryHint::Busy).0, BUSY_FLOOR);
        let tight = Backoff::new(&settings(100, 1_000));
        assert_eq!(tight.window(RetryHint::Busy).0, Duration::from_secs(1));
    }

    #[test]
    fn retry_after_is_a_floor_even_above_the_cap() {
        let mut b = Backoff::new(&settings(500, 5_000));
        for _ in 0..50 {
            let d = b.next_delay(RetryHint::NotBefore(Duration::from_secs(20)));
            assert!(
                d >= Duration::from_secs(20) && d <= Duration::from_secs(22),
                "{d:?}"
            );
        }
        let zero = b.window(RetryHint::NotBefore(Duration::ZERO));
        assert_eq!(zero.0, Duration::from_millis(500));
    }
}
