//! The evidence of one attempt, read before any conclusion is drawn:
//! who answered ([`fingerprint`]), what they said ([`body`]), what wsmon
//! sent ([`sent`]), and the raw bytes when the answer was not valid HTTP
//! ([`raw`]). Pure functions over captured facts.

pub(crate) mod body;
pub(crate) mod fingerprint;
pub(crate) mod raw;
pub(crate) mod sent;

use std::time::{Duration, SystemTime};

pub(crate) use body::{Meaning, Said};
pub(crate) use fingerprint::{Fingerprint, Software};
pub(crate) use sent::{Sent, TokenPlace};

use crate::diagnose::codes;
use crate::diagnose::text::excerpt;
use crate::facts::ConnectFailure;

/// Longest `Retry-After` honoured: a server asking for more is waited on
/// for an hour, then tried again.
pub(crate) const RETRY_AFTER_MAX: Duration = Duration::from_secs(3600);

/// An HTTP answer to the upgrade (refused, or not valid HTTP at all), read
/// for evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    /// The status number; may be outside HTTP's range (`4002`).
    pub status: Option<u32>,
    /// The status line as it came, when the raw bytes were captured.
    pub status_line: Option<String>,
    /// The reason phrase, when the raw bytes were captured.
    pub reason: Option<String>,
    /// The status line is not valid HTTP (e.g. a four-digit status).
    pub malformed: bool,
    pub headers: Vec<(String, String)>,
    pub said: Said,
    pub fingerprint: Fingerprint,
    /// The raw bytes, escaped, when the answer was malformed.
    pub bytes: Option<String>,
}

impl Answer {
    /// The answer of a failed attempt: the one tungstenite parsed, with
    /// the status line from the captured bytes; or, when tungstenite could
    /// not parse it, the captured bytes read leniently.
    pub(crate) fn of_failure(f: &ConnectFailure) -> Option<Answer> {
        let raw = f.raw_answer.as_deref().and_then(raw::parse);
        match (&f.http, raw) {
            (Some(http), raw) => {
                let said = Said::read(&http.headers, &http.body_excerpt);
                let reason = raw.as_ref().map(|r| r.reason.clone());
                let fingerprint = fingerprint::fingerprint(&http.headers, reason.as_deref(), &said);
                Some(Answer {
                    status: Some(u32::from(http.status)),
                    status_line: raw.map(|r| r.status_line),
                    reason,
                    malformed: false,
                    headers: http.headers.clone(),
                    said,
                    fingerprint,
                    bytes: None,
                })
            }
            (None, Some(r)) => {
                let mut a = Answer::from_raw(&r);
                a.bytes = f.raw_answer.as_deref().map(|b| raw::escaped(b, 240));
                Some(a)
            }
            (None, None) => None,
        }
    }

    /// From a leniently read answer (captured bytes, `curl -i` output).
    pub(crate) fn from_raw(r: &raw::RawAnswer) -> Answer {
        let said = Said::read(&r.headers, &r.body);
        let fingerprint = fingerprint::fingerprint(&r.headers, Some(&r.reason), &said);
        Answer {
            status: r.status,
            status_line: Some(r.status_line.clone()),
            reason: Some(r.reason.clone()),
            malformed: !r.well_formed,
            headers: r.headers.clone(),
            said,
            fingerprint,
            bytes: (!r.well_formed).then(|| raw::escaped(&format!("{}\r\n", r.status_line), 240)),
        }
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The HTTP status when it is a valid one.
    pub(crate) fn http_status(&self) -> Option<u16> {
        self.status
            .filter(|s| (100..=599).contains(s) && !self.malformed)
            .and_then(|s| u16::try_from(s).ok())
    }

    /// `HTTP 404 Not Found (Server: uvicorn)`, terminal-safe.
    pub(crate) fn line(&self) -> String {
        if self.malformed {
            let line = self.status_line.as_deref().unwrap_or_default();
            return format!("the invalid status line \"{}\"", excerpt(line));
        }
        let status = self.status.unwrap_or_default();
        let name = u16::try_from(status)
            .ok()
            .and_then(codes::http_status)
            .filter(|s| s.specific)
            .map(|s| format!(" {}", s.name))
            .unwrap_or_default();
        match self.header("server").map(excerpt).filter(|s| !s.is_empty()) {
            Some(s) => format!("HTTP {status}{name} (Server: {s})"),
            None => format!("HTTP {status}{name}"),
        }
    }

    /// ` ("Not Found")` or nothing: the server's own words.
    pub(crate) fn words_note(&self) -> String {
        if self.said.words.is_empty() {
            String::new()
        } else {
            format!(" (\"{}\")", self.said.words)
        }
    }

    /// How long the answer asks to wait (`Retry-After`, seconds or an
    /// HTTP date relative to `now`), capped at [`RETRY_AFTER_MAX`].
    pub(crate) fn retry_after(&self, now: SystemTime) -> Option<Duration> {
        retry_after(self.header("retry-after")?, now)
    }

    /// Short facts: the status, who answered, the words, the headers that
    /// matter.
    pub(crate) fn facts(&self) -> Vec<String> {
        let mut out = vec![format!("answered {}", self.line())];
        if let Some(bytes) = &self.bytes {
            out.push(format!("bytes received: {bytes}"));
        }
        out.extend(
            self.fingerprint
                .clues()
                .into_iter()
                .map(|c| format!("recognised {c}")),
        );
        if !self.said.words.is_empty() {
            out.push(format!("the server said \"{}\"", self.said.words));
        } else if !self.malformed {
            out.push("the body was empty".to_string());
        }
        for name in ["www-authenticate", "retry-after", "location", "via"] {
            if let Some(v) = self.header(name) {
                out.push(format!("{name}: {}", excerpt(v)));
            }
        }
        out
    }
}

/// Parses a `Retry-After` value: delta-seconds or an HTTP date (RFC 9110
/// §10.2.3), relative to `now`; a date in the past is zero.
pub(crate) fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = if let Ok(secs) = value.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        at.duration_since(now).unwrap_or_default()
    };
    Some(wait.min(RETRY_AFTER_MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{FailureKind, HttpAnswer, Stage};

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_000_000);
        assert_eq!(retry_after("20", now), Some(Duration::from_secs(20)));
        assert_eq!(retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(retry_after("99999999", now), Some(RETRY_AFTER_MAX));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(retry_after(&later, now), Some(Duration::from_secs(90)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(retry_after("soon", now), None);
    }

    #[test]
    fn a_malformed_answer_is_read_from_the_bytes() {
        let f = ConnectFailure {
            stage: Stage::Handshake,
            kind: FailureKind::Protocol,
            message: "httparse error: invalid response status".into(),
            http: None,
            raw_answer: Some("HTTP/1.1 4002 undefined\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: 13\r\n\r\ntoken expired".into()),
        };
        let a = Answer::of_failure(&f).expect("an answer");
        assert!(a.malformed);
        assert_eq!(a.status, Some(4002));
        assert_eq!(a.http_status(), None);
        assert_eq!(a.said.words, "token expired");
        assert_eq!(a.said.meaning, Some(Meaning::TokenExpired));
        assert!(a.fingerprint.has(Software::NodeWs));
        assert!(a.line().contains("\"HTTP/1.1 4002 undefined\""));
        let facts = a.facts().join(" | ");
        assert!(
            facts.contains("bytes received: HTTP/1.1 4002 undefined\\r\\n"),
            "{facts}"
        );
    }

    #[test]
    fn a_parsed_answer_gets_its_status_text_from_the_bytes() {
        let f = ConnectFailure {
            stage: Stage::Handshake,
            kind: FailureKind::HttpStatus,
            message: "HTTP error: 403 Forbidden".into(),
            http: Some(HttpAnswer {
                status: 403,
                headers: vec![],
                body_excerpt: String::new(),
            }),
            raw_answer: Some("HTTP/1.1 403 Access denied\r\n\r\n".into()),
        };
        let a = Answer::of_failure(&f).expect("an answer");
        assert_eq!(a.reason.as_deref(), Some("Access denied"));
        assert!(a.fingerprint.has(Software::Daphne));
        assert_eq!(a.http_status(), Some(403));
    }
}
