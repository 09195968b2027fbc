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
/// minute (words).
pub(crate) fn format_duration(d: Duration, style: DurationStyle) -> String {
    let ms = d.as_millis();
    let secs = d.as_secs();
    match style {
        DurationStyle::Compact => match ms {
            0..1_000 => format!("{ms}ms"),
            1_000..10_000 => format!("{:.1}s", d.as_secs_f64()),
            10_000..60_000 => format!("{secs}s"),
            60_000..3_600_000 => format!("{}m {}s", secs / 60, secs % 60),
            _ => format!("{}h {}m", secs / 3600, (secs / 60) % 60),
        },
        DurationStyle::Words => match secs {
            0 => format!("{ms} ms"),
            1..=59 => format!("{:.1} s", d.as_secs_f64()),
            60..=3599 => format!("{} min {} s", secs / 60, secs % 60),
            _ => format!("{} h {} min", secs / 3600, (secs % 3600) / 60),
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
            (Duration::from_millis(12_500), "12s", "12.5 s"),
            (Duration::from_secs(192), "3m 12s", "3 min 12 s"),
            (Duration::from_secs(7_500), "2h 5m", "2 h 5 min"),
        ];
        for (d, compact, words) in cases {
            assert_eq!(format_duration(d, DurationStyle::Compact), compact);
            assert_eq!(format_duration(d, DurationStyle::Words), words);
        }
    }

    #[derive(serde::Serialize)]
    struct Wrapper(#[serde(serialize_with = "serde_millis")] Duration);
}
