//! The client's heartbeat as a small state machine over tokio's clock: one
//! ping in flight at a time; its pong gives the RTT; no pong by the
//! deadline means the connection is half-open. Kept apart from the socket
//! loop so its timing is tested with tokio's paused time.

use std::time::Duration;

use tokio::time::Instant;

/// What the socket loop should do when [`Heartbeat::deadline`] passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Due {
    /// Send a ping with this payload, then call [`Heartbeat::sent`].
    Ping(Vec<u8>),
    /// The ping in flight got no pong in time: the connection is dead.
    Dead,
}

/// Heartbeat state of one open connection.
#[derive(Debug, Clone)]
pub(crate) struct Heartbeat {
    interval: Duration,
    pong_timeout: Duration,
    next_ping: Instant,
    /// Payload id and send time of the ping awaiting its pong.
    in_flight: Option<(u64, Instant)>,
    counter: u64,
}

impl Heartbeat {
    /// First ping one interval after `opened`.
    pub(crate) fn new(interval: Duration, pong_timeout: Duration, opened: Instant) -> Self {
        Heartbeat {
            interval,
            pong_timeout,
            next_ping: opened + interval,
            in_flight: None,
            counter: 0,
        }
    }

    pub(crate) fn pong_timeout(&self) -> Duration {
        self.pong_timeout
    }

    /// When something is due: the next ping, or the pong deadline.
    pub(crate) fn deadline(&self) -> Instant {
        match self.in_flight {
            Some((_, sent)) => sent + self.pong_timeout,
            None => self.next_ping,
        }
    }

    /// What to do now that the deadline passed.
    pub(crate) fn due(&mut self) -> Due {
        if self.in_flight.is_some() {
            return Due::Dead;
        }
        self.counter += 1;
        Due::Ping(self.counter.to_be_bytes().to_vec())
    }

    /// The ping from the last [`Due::Ping`] went out at `at`.
    pub(crate) fn sent(&mut self, at: Instant) {
        self.in_flight = Some((self.counter, at));
    }

    /// A pong arrived at `at`; the RTT when it answers our ping in flight
    /// (unsolicited or stale pongs are ignored, as RFC 6455 allows them).
    pub(crate) fn pong(&mut self, payload: &[u8], at: Instant) -> Option<Duration> {
        let (id, sent) = self.in_flight?;
        if payload != id.to_be_bytes() {
            return None;
        }
        self.in_flight = None;
        // A steady cadence from the send time, not from the pong.
        self.next_ping = sent + self.interval;
        Some(at.saturating_duration_since(sent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::{advance, sleep_until};

    const INTERVAL: Duration = Duration::from_secs(20);
    const TIMEOUT: Duration = Duration::from_secs(10);

    #[tokio::test(start_paused = true)]
    async fn a_missing_pong_is_dead_exactly_interval_plus_timeout_after_open() {
        let opened = Instant::now();
        let mut beat = Heartbeat::new(INTERVAL, TIMEOUT, opened);
        sleep_until(beat.deadline()).await;
        let Due::Ping(_) = beat.due() else {
            panic!("first due is a ping")
        };
        beat.sent(Instant::now());
        sleep_until(beat.deadline()).await;
        assert_eq!(beat.due(), Due::Dead);
        assert_eq!(Instant::now() - opened, INTERVAL + TIMEOUT);
    }

    #[tokio::test(start_paused = true)]
    async fn pongs_give_the_rtt_and_keep_the_cadence() {
        let opened = Instant::now();
        let mut beat = Heartbeat::new(INTERVAL, TIMEOUT, opened);
        for round in 1..=3u32 {
            sleep_until(beat.deadline()).await;
            let Due::Ping(payload) = beat.due() else {
                panic!("ping expected")
            };
            beat.sent(Instant::now());
            advance(Duration::from_millis(35)).await;
            assert_eq!(
                beat.pong(&payload, Instant::now()),
                Some(Duration::from_millis(35))
            );
            assert_eq!(beat.deadline() - opened, INTERVAL * (round + 1));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn stale_or_unsolicited_pongs_do_not_count() {
        let mut beat = Heartbeat::new(INTERVAL, TIMEOUT, Instant::now());
        assert_eq!(beat.pong(b"anything", Instant::now()), None);
        sleep_until(beat.deadline()).await;
        let Due::Ping(_) = beat.due() else {
            panic!("ping expected")
        };
        beat.sent(Instant::now());
        assert_eq!(beat.pong(&0u64.to_be_bytes(), Instant::now()), None);
        sleep_until(beat.deadline()).await;
        assert_eq!(beat.due(), Due::Dead);
    }
}
