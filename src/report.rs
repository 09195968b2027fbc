//! Small shared pieces of every report (check, tail, dashboard): the
//! diagnosis of an attempt with its context, and durations as people read
//! them.

use std::time::Duration;

use crate::config::{ActiveProfile, Endpoint};
use crate::diagnose::{self, Diagnosis, failure::Facts};
use crate::session::AttemptRecord;
use crate::token_check::TokenCheckResult;

/// Whether the endpoint's real URL carries the profile's token (raw or
/// percent-encoded): the classifier says "token missing from the URL"
/// otherwise.
pub fn url_has_token(profile: &ActiveProfile, endpoint: &Endpoint) -> bool {
    let Some(token) = &profile.token else {
        return false;
    };
    let url = endpoint.url.as_str();
    let encoded: String = url::form_urlencoded::byte_serialize(token.expose().as_bytes()).collect();
    url.contains(token.expose()) || url.contains(&encoded)
}

/// The diagnosis of one attempt of `endpoint`, cross-checked with the
/// latest token check.
pub fn diagnosis(
    profile: &ActiveProfile,
    endpoint: &Endpoint,
    record: &AttemptRecord,
    token_check: Option<&TokenCheckResult>,
) -> Diagnosis {
    // The application protocol's own terms first (its refusals, codes,
    // a raw endpoint that speaks a known protocol).
    if let Some(d) = diagnose::protocol::diagnose(endpoint, record) {
        return d;
    }
    diagnose::diagnose(&Facts {
        record,
        shown_url: &endpoint.shown_url,
        url_has_token: url_has_token(profile, endpoint),
        token_check,
        token_check_configured: profile.token_check.is_some(),
        close_codes: &profile.close_codes,
    })
}

/// Whole milliseconds, for JSON `*_ms` fields.
pub fn millis(d: Duration) -> u64 {
    d.as_millis().min(u128::from(u64::MAX)) as u64
}

/// A short human duration: `850ms`, `4.2s`, `3m 12s`, `2h 5m`.
pub fn short_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 10_000 {
        format!("{:.1}s", d.as_secs_f64())
    } else if ms < 60_000 {
        format!("{}s", d.as_secs())
    } else if ms < 3_600_000 {
        format!("{}m {}s", d.as_secs() / 60, d.as_secs() % 60)
    } else {
        format!("{}h {}m", d.as_secs() / 3600, (d.as_secs() / 60) % 60)
    }
}

/// Warnings about each endpoint's URL before dialling it (`http://` for
/// `ws://`, a missing `/ws/` prefix or token that its siblings have, a
/// trailing-slash mismatch), in endpoint order. Works on shown URLs: no
/// token needed. Linear in the number of endpoints.
pub fn url_warnings(profile: &ActiveProfile) -> Vec<Vec<String>> {
    let urls: Vec<&str> = profile
        .endpoints
        .iter()
        .map(|e| e.shown_url.as_str())
        .collect();
    diagnose::lint::lint_urls(&urls)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(short_duration(Duration::from_millis(850)), "850ms");
        assert_eq!(short_duration(Duration::from_millis(4200)), "4.2s");
        assert_eq!(short_duration(Duration::from_secs(192)), "3m 12s");
        assert_eq!(short_duration(Duration::from_secs(7500)), "2h 5m");
    }
}
