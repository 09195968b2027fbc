//! Durations as numbers, one rule for every layer: whole milliseconds,
//! saturating at `u64::MAX` (about 584 million years) instead of dropping
//! the high bits of `Duration::as_millis`' `u128`. Used for every JSON
//! `*_ms` field and every millisecond count handed to a timer or a random
//! range.

use std::time::Duration;

/// `d` in whole milliseconds (sub-millisecond parts are dropped), at most
/// `u64::MAX`.
pub fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Serializes a duration as [`millis`] (serde's `serialize_with`).
pub fn serde_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(millis(*d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_are_whole_and_saturate() {
        assert_eq!(millis(Duration::from_micros(1_999)), 1);
        assert_eq!(millis(Duration::from_secs(3)), 3_000);
        assert_eq!(millis(Duration::MAX), u64::MAX);
        let json = serde_json::to_string(&Wrapper(Duration::MAX)).unwrap();
        assert_eq!(json, u64::MAX.to_string());
    }

    #[derive(serde::Serialize)]
    struct Wrapper(#[serde(serialize_with = "serde_millis")] Duration);
}
