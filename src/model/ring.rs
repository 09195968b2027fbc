//! A payload history bounded by bytes, not count: a few huge messages and
//! many tiny ones cost the same memory budget. Bytes are counted as
//! [`Payload::cost`] (data + per-message overhead), which is what memory
//! really holds. Dropped messages are counted
//! so the user knows the history is not complete.

use std::collections::VecDeque;

use crate::facts::Payload;

/// Default byte budget of one session's payload history.
pub const DEFAULT_CAP_BYTES: usize = 8 << 20;

/// Newest-last ring of payloads under a byte cap.
#[derive(Debug, Clone)]
pub struct PayloadRing {
    items: VecDeque<Payload>,
    bytes: usize,
    cap: usize,
    dropped: u64,
}

impl Default for PayloadRing {
    fn default() -> Self {
        PayloadRing::new(DEFAULT_CAP_BYTES)
    }
}

impl PayloadRing {
    pub fn new(cap: usize) -> Self {
        PayloadRing {
            items: VecDeque::new(),
            bytes: 0,
            cap,
            dropped: 0,
        }
    }

    /// Adds a payload, evicting the oldest ones past the cap. A single
    /// payload larger than the cap is kept alone (the engine's message size
    /// limit bounds it).
    pub fn push(&mut self, payload: Payload) {
        self.bytes += payload.cost();
        self.items.push_back(payload);
        while self.bytes > self.cap && self.items.len() > 1 {
            if let Some(old) = self.items.pop_front() {
                self.bytes -= old.cost();
                self.dropped += 1;
            }
        }
    }

    /// Evicts the oldest payload (counted as dropped) unless it is the only
    /// one: the newest message always stays visible. Returns the bytes
    /// freed.
    pub fn evict_oldest(&mut self) -> usize {
        if self.items.len() < 2 {
            return 0;
        }
        let Some(old) = self.items.pop_front() else {
            return 0;
        };
        let freed = old.cost();
        self.bytes -= freed;
        self.dropped += 1;
        freed
    }

    /// Counts messages that never reached the ring (dropped upstream).
    pub fn add_dropped(&mut self, n: u64) {
        self.dropped += n;
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Bytes held (data + per-message overhead).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Messages evicted or never stored.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Payload> + ExactSizeIterator {
        self.items.iter()
    }

    pub fn get(&self, index: usize) -> Option<&Payload> {
        self.items.get(index)
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::facts::PayloadData;

    fn text(n: usize) -> Payload {
        Payload {
            at: SystemTime::UNIX_EPOCH,
            data: PayloadData::Text("x".repeat(n).into()),
        }
    }

    #[test]
    fn evicts_oldest_past_the_byte_cap() {
        let each = text(30).cost();
        let mut ring = PayloadRing::new(3 * each + 10);
        for _ in 0..10 {
            ring.push(text(30));
        }
        assert_eq!(ring.len(), 3);
        assert_eq!(ring.bytes(), 3 * each);
        assert_eq!(ring.dropped(), 7);
    }

    #[test]
    fn tiny_messages_pay_for_their_overhead() {
        let mut ring = PayloadRing::new(100 * text(1).cost());
        for _ in 0..1000 {
            ring.push(text(1));
        }
        assert_eq!(ring.len(), 100);
    }

    #[test]
    fn an_oversized_payload_is_kept_alone() {
        let mut ring = PayloadRing::new(text(10).cost() + 100);
        ring.push(text(10));
        ring.push(text(500));
        assert_eq!(ring.len(), 1);
        assert_eq!(ring.dropped(), 1);
    }

    #[test]
    fn evicting_keeps_the_newest_payload() {
        let mut ring = PayloadRing::new(1 << 20);
        ring.push(text(10));
        ring.push(text(20));
        assert_eq!(ring.evict_oldest(), text(10).cost());
        assert_eq!(ring.evict_oldest(), 0);
        assert_eq!((ring.len(), ring.dropped()), (1, 1));
        assert_eq!(ring.bytes(), text(20).cost());
    }

    #[test]
    fn upstream_drops_are_counted() {
        let mut ring = PayloadRing::new(100);
        ring.add_dropped(5);
        assert_eq!(ring.dropped(), 5);
    }
}
