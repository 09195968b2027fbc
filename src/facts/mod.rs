//! The facts the engine reports, as plain data: [`Event`]s, attempt and
//! close records, handshake records, probe runs, token checks, server log
//! lines. `session` produces them; `model`, `diagnose`, `metrics` and the
//! front ends consume them. This module imports no engine code, so the
//! knowledge in `diagnose` can read facts without depending on the engine
//! that makes them (`session` re-exports these paths for older imports).

pub mod django;
pub(crate) mod events;
pub(crate) mod login;
pub(crate) mod probe;
pub(crate) mod server_log;
pub(crate) mod token_check;

pub use events::*;
pub use probe::{PeerWatch, ProbeFailure, ProbeOutcome, ProbeResult, Sighting};
pub use server_log::LogLine;
pub use token_check::{TokenCheckResult, Verdict};
