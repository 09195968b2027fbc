//! What to do after an attempt: retry (how soon) or stop until a person acts.
//!
//! Each failure is one of three kinds:
//! - **transient** (drops, 1006, 1011, 5xx, timeouts): retry with backoff;
//!   1012/1013 ask for patience (a longer floor);
//! - **rate-limited** (429, and 503 with `Retry-After`): the next attempt
//!   is not before the `Retry-After` the server gave (seconds or an HTTP
//!   date), since retrying sooner only keeps the limit alive;
//! - **permanent until changed**: auth refusals (401/403, auth close
//!   codes 4001/4003/1008/3000/3003, a malformed answer whose words say the
//!   token is bad) stop as [`After::StopAuth`]; a refused Origin, a
//!   protocol/version/subprotocol mismatch, a malformed status line, and a
//!   404/426 on a path that never answered 101 stop as
//!   [`After::StopRefused`]. Retrying would hammer the server with the same
//!   request and get the same answer; the session waits for `r`, a profile
//!   edit, or a slow re-probe ([`REPROBE_AFTER`]).
//!
//! The auth close codes and the evidence read here are the diagnosis
//! catalog's, so the diagnosis and the retry decision agree.

use std::time::Duration;

use super::backoff::RetryHint;
pub(crate) use super::next::Next;
use crate::diagnose::evidence::{Answer, Meaning};
use crate::facts::events::{AttemptRecord, Outcome};

/// How often a session stopped on a permanent refusal tries once more by
/// itself (in `watch`, `tail` and the dashboard), so a fix on the server
/// is noticed without anyone pressing `r`.
pub(crate) const REPROBE_AFTER: Duration = Duration::from_secs(300);

/// The policy's answers are [`Next::Retry`], [`Next::StopAuth`] and
/// [`Next::StopRefused`] of the one "what next" type; `After` is its old
/// name here.
pub(crate) type After = Next;

/// Decides after `record`; `opened_before` says whether this session's
/// endpoint ever answered 101 (a 404 on a path that worked is a deploy
/// in progress, not a wrong path).
pub(crate) fn after(record: &AttemptRecord, opened_before: bool) -> Next {
    match &record.outcome {
        Outcome::Failed(failure) => {
            let message = failure.message.to_ascii_lowercase();
            if message.contains("subprotocol") {
                return After::StopRefused(
                    "the server's 101 did not agree with the offered subprotocols".into(),
                );
            }
            let Some(answer) = Answer::of_failure(failure) else {
                return After::Retry(RetryHint::Normal);
            };
            refused(&answer, record, opened_before)
        }
        Outcome::Closed { close, .. } => {
            let meaning = crate::diagnose::evidence::body::meaning_of(&close.reason);
            let by_server = close.by == crate::facts::Closer::Server;
            if by_server && meaning == Some(Meaning::OriginRefused) {
                return After::StopRefused(format!(
                    "the server closed the socket with {} ({}): it refuses the Origin",
                    close.code, close.reason
                ));
            }
            let auth_words = meaning.is_some_and(Meaning::is_auth);
            if (crate::diagnose::is_auth_close(close.code) || auth_words) && by_server {
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

/// The decision for a refused (or malformed) answer.
fn refused(a: &Answer, record: &AttemptRecord, opened_before: bool) -> After {
    let words = if a.said.words.is_empty() {
        String::new()
    } else {
        format!(" (\"{}\")", a.said.words)
    };
    let meaning = a.said.meaning;
    if a.malformed {
        let line = crate::diagnose::excerpt(a.status_line.as_deref().unwrap_or_default());
        let auth_code = a
            .status
            .and_then(|s| u16::try_from(s).ok())
            .is_some_and(crate::diagnose::is_auth_close);
        if meaning.is_some_and(Meaning::is_auth) || auth_code {
            return After::StopAuth(format!(
                "the server refused the upgrade with \"{line}\"{words}"
            ));
        }
        return After::StopRefused(format!(
            "the server answers with the invalid status line \"{line}\""
        ));
    }
    let status = a.http_status().unwrap_or_default();
    match status {
        429 | 503 => match a.retry_after(record.ended) {
            Some(wait) => After::Retry(RetryHint::NotBefore(wait)),
            None => After::Retry(RetryHint::Busy),
        },
        401 | 403 if meaning == Some(Meaning::OriginRefused) => After::StopRefused(format!(
            "the server refused the Origin with HTTP {status}{words}"
        )),
        401 | 403 => After::StopAuth(format!(
            "the server refused the upgrade with HTTP {status}{words}"
        )),
        400 | 426 | 505 if meaning == Some(Meaning::UnsupportedProtocol) => After::StopRefused(
            format!("the server refused the protocol or version with HTTP {status}{words}"),
        ),
        404 | 426 if !opened_before => After::StopRefused(format!(
            "the path answered HTTP {status}{words} and never 101"
        )),
        _ => After::Retry(RetryHint::Normal),
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::facts::events::*;

    fn failed(status: Option<u16>) -> AttemptRecord {
        AttemptRecord {
            attempt: 1,
            started: SystemTime::UNIX_EPOCH,
            ended: SystemTime::UNIX_EPOCH,
            handshake_latency: None,
            activity: Default::default(),
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
            activity: Default::default(),
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
        assert!(matches!(
            after(&failed(Some(403)), false),
            After::StopAuth(_)
        ));
        assert!(matches!(
            after(&failed(Some(401)), true),
            After::StopAuth(_)
        ));
        for code in [4001, 4003, 1008, 3000, 3003] {
            assert!(
                matches!(
                    after(&closed(code, Closer::Server), true),
                    After::StopAuth(_)
                ),
                "{code}"
            );
        }
    }

    #[test]
    fn other_failures_retry() {
        assert_eq!(
            after(&failed(Some(500)), false),
            After::Retry(RetryHint::Normal)
        );
        assert_eq!(after(&failed(None), false), After::Retry(RetryHint::Normal));
        assert_eq!(
            after(&closed(1006, Closer::Network), true),
            After::Retry(RetryHint::Normal)
        );
        assert_eq!(
            after(&closed(1011, Closer::Server), true),
            After::Retry(RetryHint::Normal)
        );
        assert_eq!(
            after(&closed(4000, Closer::Server), true),
            After::Retry(RetryHint::Normal)
        );
    }

    #[test]
    fn busy_servers_retry_slower() {
        assert_eq!(
            after(&closed(1012, Closer::Server), true),
            After::Retry(RetryHint::Busy)
        );
        assert_eq!(
            after(&closed(1013, Closer::Server), true),
            After::Retry(RetryHint::Busy)
        );
    }

    fn answered(status: u16, headers: &[(&str, &str)], body: &str) -> AttemptRecord {
        let mut r = failed(Some(status));
        if let Outcome::Failed(f) = &mut r.outcome
            && let Some(h) = &mut f.http
        {
            h.headers = headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            h.body_excerpt = body.to_string();
        }
        r
    }

    fn malformed(bytes: &str) -> AttemptRecord {
        let mut r = failed(None);
        if let Outcome::Failed(f) = &mut r.outcome {
            f.kind = FailureKind::Protocol;
            f.message = "httparse error: invalid response status".into();
            f.raw_answer = Some(bytes.into());
        }
        r
    }

    #[test]
    fn rate_limits_honour_retry_after() {
        let r = answered(
            429,
            &[("Retry-After", "20")],
            "Too many connections, retry later",
        );
        assert_eq!(
            after(&r, true),
            After::Retry(RetryHint::NotBefore(Duration::from_secs(20)))
        );
        // An HTTP date, relative to when the attempt ended.
        let date = httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(90));
        let r = answered(503, &[("retry-after", &date)], "");
        assert_eq!(
            after(&r, true),
            After::Retry(RetryHint::NotBefore(Duration::from_secs(90)))
        );
        assert_eq!(
            after(&answered(429, &[], ""), true),
            After::Retry(RetryHint::Busy)
        );
        assert_eq!(
            after(&answered(503, &[], ""), true),
            After::Retry(RetryHint::Busy)
        );
    }

    #[test]
    fn permanent_refusals_stop_until_changed() {
        let origin = answered(403, &[], "Origin not allowed");
        assert!(
            matches!(after(&origin, false), After::StopRefused(w) if w.contains("Origin not allowed"))
        );
        let version = answered(
            400,
            &[],
            "{\"code\":5,\"message\":\"Unsupported protocol version\"}",
        );
        assert!(matches!(after(&version, false), After::StopRefused(_)));
        // A 404 on a path that never opened; the same after it worked is a
        // deploy in progress.
        let missing = answered(404, &[("server", "uvicorn")], "{\"detail\":\"Not Found\"}");
        assert!(matches!(after(&missing, false), After::StopRefused(_)));
        assert_eq!(after(&missing, true), After::Retry(RetryHint::Normal));
        let odd = malformed("HTTP/1.1 99999 Weird\r\n\r\n");
        assert!(matches!(after(&odd, true), After::StopRefused(w) if w.contains("99999")));
        let mut sub = failed(None);
        if let Outcome::Failed(f) = &mut sub.outcome {
            f.kind = FailureKind::Protocol;
            f.message = "SubProtocol error: Server sent no subprotocol".into();
        }
        assert!(matches!(after(&sub, true), After::StopRefused(_)));
    }

    #[test]
    fn a_close_code_as_status_with_token_words_is_an_auth_stop() {
        let r = malformed(
            "HTTP/1.1 4002 undefined\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: 13\r\n\r\ntoken expired",
        );
        assert!(
            matches!(after(&r, false), After::StopAuth(w) if w.contains("4002") && w.contains("token expired"))
        );
    }

    #[test]
    fn close_reasons_that_say_why_stop() {
        let mut expired = closed(4000, Closer::Server);
        if let Outcome::Closed { close, .. } = &mut expired.outcome {
            close.reason = "token expired".into();
        }
        assert!(matches!(after(&expired, true), After::StopAuth(_)));
        let mut origin = closed(1008, Closer::Server);
        if let Outcome::Closed { close, .. } = &mut origin.outcome {
            close.reason = "Origin not allowed".into();
        }
        assert!(matches!(after(&origin, true), After::StopRefused(_)));
    }
}
