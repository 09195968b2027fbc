//! Facts of one attempt → [`Diagnosis`]. (First cut; the diagnosis helper
//! replaces the body.)

use indexmap::IndexMap;

use super::{Diagnosis, DiagnosisKind};
use crate::session::AttemptRecord;
use crate::token_check::TokenCheckResult;

/// Everything the classifier may look at. All captured, nothing fetched.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub record: &'a AttemptRecord,
    /// The endpoint URL as shown (token redacted).
    pub shown_url: &'a str,
    /// Whether the real URL carries the profile's token.
    pub url_has_token: bool,
    /// The latest token check of the profile, if any.
    pub token_check: Option<&'a TokenCheckResult>,
    /// The profile's names for application close codes.
    pub close_codes: &'a IndexMap<u16, String>,
}

/// Classifies one attempt.
pub fn diagnose(facts: &Facts<'_>) -> Diagnosis {
    let _ = facts;
    Diagnosis {
        kind: DiagnosisKind::Ok,
        summary: String::new(),
        fixes: Vec::new(),
    }
}
