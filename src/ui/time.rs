//! Times as the dashboard shows them: wall-clock times in the app's
//! [`crate::app::zone::Zone`] (named once, in the header), or, after `T`,
//! relative to now (`12s ago`).

use std::time::SystemTime;

use crate::app::App;
use crate::report::short_duration;

/// The wall-clock time of `at`, whatever the `T` toggle says.
pub fn clock(app: &App, at: SystemTime) -> String {
    app.zone.format(at, false)
}

/// The wall-clock time of `at` with milliseconds.
pub fn clock_ms(app: &App, at: SystemTime) -> String {
    app.zone.format(at, true)
}

/// `at` as `T` chose: wall-clock (`16:00:01`, `ms` adds `.000`) or
/// relative (`12s ago`, `in 3.0s`).
pub fn when(app: &App, at: SystemTime, ms: bool) -> String {
    if !app.relative_times {
        return app.zone.format(at, ms);
    }
    let now = app.now();
    match now.duration_since(at) {
        Ok(ago) => format!("{} ago", short_duration(ago)),
        Err(ahead) => format!("in {}", short_duration(ahead.duration())),
    }
}
