//! What the REST token check found (the check itself is
//! `crate::token_check`).

use std::time::{Duration, SystemTime};

use serde::Serialize;

/// What the REST API says about the profile's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// 2xx: the API accepts the token.
    Valid,
    /// 401/403 for the token itself (`Invalid token.`, expired JWT…).
    Invalid,
    /// The token is known but its user is inactive or deleted.
    Inactive,
    /// The API says no credentials were sent.
    Missing,
    /// No HTTP answer (refused, DNS, TLS, timeout).
    Unreachable,
    /// Any other answer (404, 500, …).
    Unexpected,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One run of the token check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenCheckResult {
    pub at: SystemTime,
    /// The URL that was checked (token-free: the token goes in a header).
    pub url: String,
    /// HTTP status, when an answer came.
    pub status: Option<u16>,
    pub verdict: Verdict,
    /// The API's `detail` text (DRF style), or the transport error; scrubbed.
    pub detail: Option<String>,
    pub latency: Duration,
}
