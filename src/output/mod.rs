//! Typed output shared by every front end that writes it: the `tail` line
//! format ([`TailLine`], also `send`'s output and the dashboard's
//! transcripts), the `check` report ([`CheckReport`], as JSON or text) and
//! the Django doctor's reading ([`doctor_report`]), all built from the
//! model's and the engine's types. Field names are
//! fixed: scripts rely on them.
//!
//! Layer: below the front ends (`headless`, `app`), above `model`,
//! `diagnose` and `session` (whose types it serializes).

pub mod check_report;
pub(crate) mod doctor_report;
pub(crate) mod fix_text;
pub(crate) mod login_report;
pub(crate) mod profile_tag;
pub(crate) mod tail_line;

pub use check_report::{
    CheckProbe, CheckReport, EndpointReport, EndpointState, IsolationWatchReport, LeakReport,
    ProbeOutcomeReport, ProbeReport, TokenCheckReport,
};
pub use login_report::LoginReport;
pub use tail_line::{ClosedEnd, ClosedLine, MessageData, Stamped, TailLine, Ts};
