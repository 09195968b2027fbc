//! Front ends without a terminal UI, for scripts, CI and on-call use:
//! [`check`] (one attempt per endpoint, a report, an exit code) and
//! [`tail`] (the engine with reconnects, one JSON line per event) and
//! [`watch`] (the engine serving Prometheus metrics) and [`doctor`] (a
//! Django project's wiring, read with its own interpreter). The lines and
//! the report they write are typed in [`crate::output`].

pub mod check;
pub(crate) mod doctor;
pub(crate) mod send;
pub(crate) mod tail;
pub(crate) mod watch;
