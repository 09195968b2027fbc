//! What to do after an attempt: retry (how soon) or stop until a person acts.
//!
//! Retrying an auth rejection forever hammers the server and hides the cause,
//! so 401/403 handshakes and auth closes (4001/4003/1008/3000/3003) stop
//! the loop. Drops and
//! server errors (1006, 1011) keep retrying; 1012/1013 ask for patience.
//! The list of auth close codes is the diagnosis catalog's, so the two agree.

use super::backoff::RetryHint;
use super::events::{AttemptRecord, Outcome};

/// The decision after one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After {
    Retry(RetryHint),
    /// Stop retrying; the text says what the server did.
    StopAuth(String),
}

pub fn after(record: &AttemptRecord) -> After {
    match &record.outcome {
        Outcome::Failed(failure) => match failure.http.as_ref().map(|h| h.status) {
            Some(status @ (401 | 403)) => {
                After::StopAuth(format!("the server refused the upgrade with HTTP {status}"))
            }
            _ => After::Retry(RetryHint::Normal),
        },
        Outcome::Closed { close, .. } => {
            if crate::diagnose::is_auth_close(close.code) && close.by == super::Closer::Server {
                let reason = if close.reason.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", close.reason)
                };
                After::StopAuth(format!(
                    "the server closed the socket with {}{reason}",
                    close.code
                ))
            } else if matches!(close.code, 1012 | 1013) {
                After::Retry(RetryHint::Busy)
            } else {
                After::Retry(RetryHint::Normal)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::session::events::*;

    fn failed(status: Option<u16>) -> AttemptRecord {
        AttemptRecord {
            attempt: 1,
            started: SystemTime::UNIX_EPOCH,
            ended: SystemTime::UNIX_EPOCH,
            handshake_latency: None,
            outcome: Outcome::Failed(ConnectFailure {
                stage: Stage::Handshake,
                kind: FailureKind::HttpStatus,
                message: String::new(),
                http: status.map(|status| HttpAnswer {
                    status,
                    headers: vec![],
                    body_excerpt: String::new(),
                }),
                raw_answer: None,
            }),
        }
    }

    fn closed(code: u16, by: Closer) -> AttemptRecord {
        AttemptRecord {
            attempt: 1,
            started: SystemTime::UNIX_EPOCH,
            ended: SystemTime::UNIX_EPOCH,
            handshake_latency: Some(Duration::from_millis(3)),
            outcome: Outcome::Closed {
                close: CloseInfo {
                    code,
                    reason: "r".into(),
                    by,
                    clean: true,
                    cause: None,
                    note: None,
                },
                open_for: Duration::from_secs(1),
            },
        }
    }

    #[test]
    fn auth_rejections_stop() {
        assert!(matches!(after(&failed(Some(403))), After::StopAuth(_)));
        assert!(matches!(after(&failed(Some(401))), After::StopAuth(_)));
        for code in [4001, 4003, 1008, 3000, 3003] {
            assert!(
                matches!(after(&closed(code, Closer::Server)), After::StopAuth(_)),
                "{code}"
            );
        }
    }

    #[test]
    fn other_failures_retry() {
        assert_eq!(after(&failed(Some(500))), After::Retry(RetryHint::Normal));
        assert_eq!(after(&failed(None)), After::Retry(RetryHint::Normal));
        assert_eq!(
            after(&closed(1006, Closer::Network)),
            After::Retry(RetryHint::Normal)
        );
        assert_eq!(
            after(&closed(1011, Closer::Server)),
            After::Retry(RetryHint::Normal)
        );
        assert_eq!(
            after(&closed(4000, Closer::Server)),
            After::Retry(RetryHint::Normal)
        );
    }

    #[test]
    fn busy_servers_retry_slower() {
        assert_eq!(
            after(&closed(1012, Closer::Server)),
            After::Retry(RetryHint::Busy)
        );
        assert_eq!(
            after(&closed(1013, Closer::Server)),
            After::Retry(RetryHint::Busy)
        );
    }
}
