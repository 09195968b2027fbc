//! The time zone the dashboard shows wall-clock times in: the system's
//! local one unless fixed (snapshot tests and screenshots fix it so they do
//! not depend on the machine). `T` switches to relative times
//! ([`crate::ui::time`] draws both).

use std::time::SystemTime;

use chrono::{DateTime, FixedOffset, Local, Offset, Utc};

/// Which time zone times are shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Zone {
    /// The system's (`TZ`, `/etc/localtime`), daylight saving included.
    #[default]
    Local,
    /// A fixed offset from UTC.
    Fixed(FixedOffset),
}

impl Zone {
    /// UTC itself.
    pub fn utc() -> Zone {
        Zone::Fixed(Utc.fix())
    }

    /// The offset in force at `at`.
    pub fn offset(self, at: SystemTime) -> FixedOffset {
        match self {
            Zone::Local => DateTime::<Local>::from(at).offset().fix(),
            Zone::Fixed(offset) => offset,
        }
    }

    /// `HH:MM:SS` of `at` in this zone; with `ms`, `.mmm` too.
    pub fn format(self, at: SystemTime, ms: bool) -> String {
        let utc = DateTime::<Utc>::from(at);
        let local = utc.with_timezone(&self.offset(at));
        if ms {
            local.format("%H:%M:%S%.3f").to_string()
        } else {
            local.format("%H:%M:%S").to_string()
        }
    }

    /// `UTC`, `UTC+01:00`, `UTC-05:30`: the zone's offset at `at`.
    pub fn label(self, at: SystemTime) -> String {
        let secs = self.offset(at).local_minus_utc();
        if secs == 0 {
            return "UTC".into();
        }
        let sign = if secs < 0 { '-' } else { '+' };
        let m = secs.unsigned_abs() / 60;
        format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn fixed_zones_format_and_label() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_764_000_001_250);
        assert_eq!(Zone::utc().format(at, false), "16:00:01");
        assert_eq!(Zone::utc().format(at, true), "16:00:01.250");
        let cet = Zone::Fixed(FixedOffset::east_opt(3600).expect("offset"));
        assert_eq!(cet.format(at, false), "17:00:01");
        assert_eq!(cet.label(at), "UTC+01:00");
        let ist = Zone::Fixed(FixedOffset::west_opt(5 * 3600 + 1800).expect("offset"));
        assert_eq!(ist.label(at), "UTC-05:30");
        assert_eq!(Zone::utc().label(at), "UTC");
    }
}
