//! One line of the server's log as read by `session::server_log`; what
//! it means for an attempt lives in `diagnose::server_log`.

use std::time::SystemTime;

use serde::Serialize;

/// One line of the server's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogLine {
    /// When wsmon read it.
    #[serde(skip)]
    pub at: SystemTime,
    /// The line, redacted, without its newline; raw otherwise.
    pub text: String,
}
