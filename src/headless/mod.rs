//! Front ends without a terminal UI, for scripts, CI and on-call use:
//! [`check`] (one attempt per endpoint, a report, an exit code) and
//! [`tail`] (the engine with reconnects, one JSON line per event) and
//! [`watch`] (the engine serving Prometheus metrics).

pub mod check;
pub mod event_json;
pub mod login_json;
pub mod send;
pub mod tail;
pub mod watch;
