//! Durations as numbers and as words, one rule for every layer.
//!
//! Numbers: whole milliseconds, saturating at `u64::MAX` (about 584
//! million years) instead of dropping the high bits of
//! `Duration::as_millis`' `u128`; used for every JSON `*_ms` field and
//! every millisecond count handed to a timer or a random range.
//!
//! Words: [`format_duration`], in the dashboard's compact style or the
//! diagnosis sentences' spelled-out one. (Config values are listed as the
//! file writes them, with `humantime`.)

use std::time::Duration;

/// `d` in whole milliseconds (sub-millisecond parts are dropped), at most
/// `u64::MAX`.
pub fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Serializes a duration as [`millis`] (serde's `serialize_with`).
pub(crate) fn serde_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(millis(*d))
}

/// How [`format_duration`] writes a duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DurationStyle {
    /// For narrow columns: `850ms`, `4.2s`, `42s`, `3m 12s`, `2h 5m`.
    Compact,
    /// For sentences: `850 ms`, `12.5 s`, `3 min 20 s`, `2 h 5 min`.
    Words,
}

/// A duration as people read it, in `style`; the largest two units from
/// a minute on, one decimal of seconds below ten seconds (compact) or a
/// minute (words). Rounded to the nearest unit shown (halves up): 5977 ms
/// is `6.0s`, 59.6 s is `1m 0s`, not `5.9s`-style truncation; a duration
/// that rounds up to the next form takes that form (9.96 s is `10s`).
pub(crate) fn format_duration(d: Duration, style: DurationStyle) -> String {
    let nanos = d.as_nanos();
    // `d` rounded to the nearest multiple of `unit` nanoseconds, in units.
    let nearest = |unit: u128| (nanos + unit / 2) / unit;
    let ms = nearest(1_000_000);
    let tenths = nearest(100_000_000);
    let secs = nearest(1_000_000_000);
    let mins = nearest(60_000_000_000);
    match style {
        DurationStyle::Compact => match () {
            _ if ms < 1_000 => format!("{ms}ms"),
            _ if tenths < 100 => format!("{}.{}s", tenths / 10, tenths % 10),
            _ if secs < 60 => format!("{secs}s"),
            _ if secs < 3_600 => format!("{}m {}s", secs / 60, secs % 60),
            _ => format!("{}h {}m", mins / 60, mins % 60),
        },
        DurationStyle::Words => match () {
            _ if ms < 1_000 => format!("{ms} ms"),
            _ if tenths < 600 => format!("{}.{} s", tenths / 10, tenths % 10),
            _ if secs < 3_600 => format!("{} min {} s", secs / 60, secs % 60),
            _ => format!("{} h {} min", mins / 60, mins % 60),
        },
    }
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

    #[test]
    fn both_styles_read_naturally() {
        let cases = [
            (Duration::from_millis(850), "850ms", "850 ms"),
            (Duration::from_millis(4_200), "4.2s", "4.2 s"),
            // A half rounds up (this said "12s" when the compact form cut
            // the decimals off instead of rounding).
            (Duration::from_millis(12_500), "13s", "12.5 s"),
            (Duration::from_secs(192), "3m 12s", "3 min 12 s"),
            (Duration::from_secs(7_500), "2h 5m", "2 h 5 min"),
        ];
        for (d, compact, words) in cases {
            assert_eq!(format_duration(d, DurationStyle::Compact), compact);
            assert_eq!(format_duration(d, DurationStyle::Words), words);
        }
    }

    #[test]
    fn both_styles_round_to_the_nearest_unit_shown() {
        let ms = Duration::from_millis;
        let cases = [
            (ms(5_977), "6.0s", "6.0 s"),
            (ms(4_249), "4.2s", "4.2 s"),
            (ms(4_250), "4.3s", "4.3 s"),
            (Duration::from_micros(999_600), "1.0s", "1.0 s"),
            (ms(9_960), "10s", "10.0 s"),
            (ms(12_600), "13s", "12.6 s"),
            (ms(59_600), "1m 0s", "59.6 s"),
            (ms(59_960), "1m 0s", "1 min 0 s"),
            (ms(192_700), "3m 13s", "3 min 13 s"),
            (ms(3_599_600), "1h 0m", "1 h 0 min"),
            (Duration::from_secs(7_530), "2h 6m", "2 h 6 min"),
            (Duration::from_secs(7_529), "2h 5m", "2 h 5 min"),
        ];
        for (d, compact, words) in cases {
            assert_eq!(format_duration(d, DurationStyle::Compact), compact, "{d:?}");
            assert_eq!(format_duration(d, DurationStyle::Words), words, "{d:?}");
        }
        // Nothing overflows at the far end.
        assert!(format_duration(Duration::MAX, DurationStyle::Compact).ends_with('m'));
    }

    #[derive(serde::Serialize)]
    struct Wrapper(#[serde(serialize_with = "serde_millis")] Duration);
}
