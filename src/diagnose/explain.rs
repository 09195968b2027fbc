//! The text `wsmon explain CODE` prints: a close code (1000–4999) or an
//! HTTP status seen at the upgrade (100–599), from the catalog, wrapped to
//! 80 columns. The two ranges do not overlap, so a bare number is enough.
//!
//! `wsmon explain --response FILE` diagnoses a saved handshake answer
//! offline (raw HTTP as `curl -i` prints it, chunked bodies included) with
//! the same classifier and evidence as a live attempt.

use indexmap::IndexMap;
use thiserror::Error;

use super::codes::{self, CodeClass, CodeInfo, SentBy, StatusInfo};
use super::text::{excerpt, wrap};

/// Width of the printed explanation.
const WIDTH: usize = 80;

/// Why an argument to `explain` cannot be explained.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExplainError {
    #[error(
        "\"{0}\" is not a number: give a close code (1000-4999) or an HTTP status (100-599), e.g. wsmon explain 1006"
    )]
    NotANumber(String),
    #[error("{0} is neither a close code (1000-4999) nor an HTTP status (100-599)")]
    OutOfRange(String),
    #[error(
        "the response does not start with an HTTP status line (\"{0}\"): save what `curl -i URL` prints (headers and body), e.g. curl -si -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' URL > answer.txt"
    )]
    NotAnAnswer(String),
}

/// Diagnoses a saved handshake answer (`curl -i` output). `url` is the
/// WebSocket URL it answered, when known (it only sharpens path advice).
pub(crate) fn explain_response(text: &str, url: Option<&str>) -> Result<String, ExplainError> {
    use std::time::SystemTime;

    use crate::facts::{AttemptRecord, ConnectFailure, FailureKind, HttpAnswer, Outcome, Stage};

    let Some(raw) = super::evidence::raw::parse(text) else {
        let start: String = text.chars().take(40).collect();
        return Err(ExplainError::NotAnAnswer(super::evidence::raw::escaped(
            &start, 60,
        )));
    };
    let status = raw.status.and_then(|s| u16::try_from(s).ok());
    let http = match status {
        Some(status) if raw.well_formed => Some(HttpAnswer {
            status,
            headers: raw.headers.clone(),
            body_excerpt: raw.body.chars().take(4096).collect(),
        }),
        _ => None,
    };
    let kind = if http.is_some() {
        FailureKind::HttpStatus
    } else {
        FailureKind::Protocol
    };
    let record = AttemptRecord {
        attempt: 1,
        started: SystemTime::now(),
        ended: SystemTime::now(),
        handshake_latency: None,
        outcome: Outcome::Failed(ConnectFailure {
            stage: Stage::Handshake,
            kind,
            message: format!("the saved answer: {}", excerpt(&raw.status_line)),
            http,
            raw_answer: Some(text.to_string()),
        }),
        activity: Default::default(),
    };
    let shown_url = url.unwrap_or("ws://server/");
    let names = IndexMap::new();
    let d = super::diagnose(&super::Facts {
        record: &record,
        shown_url,
        url_has_token: shown_url.contains("token"),
        token_check: None,
        token_check_configured: false,
        close_codes: &names,
        sent: None,
    });
    // A pasted answer and URL hold credentials as often as a live one
    // (`Set-Cookie`, a `Location` with `?access_token=`, the token in
    // `--url`): the same redactor as every other output path, by value for
    // what the URL and the headers name as credentials, by meaning for the
    // rest. Each piece is redacted before wrapping, which could split a
    // secret across lines.
    let mut redactor = crate::secret::Redactor::default();
    if let Some(parsed) = url.and_then(|u| url::Url::parse(u).ok()) {
        redactor.learn_url(&parsed);
    }
    for (name, value) in &raw.headers {
        redactor.learn_header(name, value);
    }
    let shown = |text: &str| redactor.redact(text).into_owned();
    let fixes: Vec<String> = d.fixes.iter().map(|f| shown(f)).collect();
    let evidence: Vec<String> = d.evidence.iter().map(|e| shown(e)).collect();
    let mut out = vec![format!("Diagnosis: {}", d.kind.as_str())];
    if let Some(by) = &d.answered_by {
        out.push(wrap(&shown(&format!("Answered by: {by}")), WIDTH, "", "  "));
    }
    out.push(String::new());
    out.push(wrap(&shown(&d.summary), WIDTH, "", ""));
    push_list(&mut out, "What to do:", &fixes);
    push_list(&mut out, "Evidence read:", &evidence);
    if url.is_none() {
        out.push(String::new());
        out.push(wrap(
            "Without --url the path and host are unknown: advice about them is generic.",
            WIDTH,
            "",
            "",
        ));
    }
    Ok(out.join("\n") + "\n")
}

/// Explains a close code or an HTTP status. `app_codes` are the active
/// profile's names for application codes (`explain 4001` shows its name).
pub(crate) fn explain(
    arg: &str,
    app_codes: &IndexMap<u16, String>,
) -> Result<String, ExplainError> {
    let arg = arg.trim();
    // The argument is echoed in the error, so it gets the same care as
    // server text.
    if arg.is_empty() || !arg.chars().all(|c| c.is_ascii_digit()) {
        return Err(ExplainError::NotANumber(excerpt(arg)));
    }
    match arg.parse::<u16>() {
        Ok(n @ 1000..=4999) => Ok(close_text(&codes::close_code(n), app_codes.get(&n))),
        Ok(n @ 100..=599) => match codes::http_status(n) {
            Some(info) => Ok(status_text(&info)),
            None => Err(ExplainError::OutOfRange(n.to_string())),
        },
        _ => Err(ExplainError::OutOfRange(excerpt(arg))),
    }
}

fn class_range(class: CodeClass) -> &'static str {
    match class {
        CodeClass::Standard => "1000-1015, RFC 6455",
        CodeClass::Reserved => "1016-2999",
        CodeClass::Registered => "3000-3999, IANA registry",
        CodeClass::Application => "4000-4999, private to the application",
        CodeClass::Invalid => "outside 1000-4999",
    }
}

fn close_text(info: &CodeInfo, own_name: Option<&String>) -> String {
    let mut out = Vec::new();
    let title = if info.specific {
        format!("Close code {}: {}", info.code, info.name)
    } else {
        format!(
            "Close code {}: {} ({})",
            info.code,
            info.name,
            class_range(info.class)
        )
    };
    out.push(title);
    if let Some(name) = own_name {
        out.push(wrap(
            &format!("This profile names it \"{}\".", excerpt(name)),
            WIDTH,
            "",
            "",
        ));
    }
    let wire = match (info.on_wire, info.sent_by) {
        (true, _) => "yes",
        (false, SentBy::Local) => "never",
        (false, _) => "not allowed",
    };
    out.push(wrap(
        &format!("Sent by: {}. On the wire: {wire}.", info.sent_by.describe()),
        WIDTH,
        "",
        "",
    ));
    out.push(String::new());
    out.push(wrap(&info.meaning, WIDTH, "", ""));
    push_list(&mut out, "Common causes:", &info.causes);
    push_list(&mut out, "What to do:", &info.fixes);
    if let Some(note) = &info.note {
        out.push(String::new());
        out.push(wrap(note, WIDTH, "Note: ", "      "));
    }
    out.join("\n") + "\n"
}

fn status_text(info: &StatusInfo) -> String {
    let mut out = Vec::new();
    if info.specific {
        out.push(format!(
            "HTTP {} {}, as the answer to a WebSocket upgrade",
            info.status, info.name
        ));
    } else {
        out.push(format!(
            "HTTP {}: no notes on this status; what any {} answer means here",
            info.status,
            info.name.to_lowercase()
        ));
    }
    out.push(String::new());
    out.push(wrap(&info.meaning, WIDTH, "", ""));
    if info.status != 101 {
        out.push(String::new());
        out.push(wrap(
            "A browser reports every answer other than 101 as close code 1006 and hides the status; wsmon shows it.",
            WIDTH,
            "",
            "",
        ));
    }
    push_list(&mut out, "Common causes:", &info.causes);
    push_list(&mut out, "What to do:", &info.fixes);
    out.join("\n") + "\n"
}

fn push_list(out: &mut Vec<String>, heading: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    out.push(String::new());
    out.push(heading.to_string());
    out.extend(items.iter().map(|item| wrap(item, WIDTH, "  - ", "    ")));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_names() -> IndexMap<u16, String> {
        IndexMap::new()
    }

    fn assert_fits(text: &str) {
        for line in text.lines() {
            // Only a single unbreakable word may overflow.
            let fits = line.chars().count() <= WIDTH || !line.trim().contains(' ');
            assert!(fits, "line over {WIDTH} columns: {line:?}");
        }
    }

    #[test]
    fn explains_a_close_code() {
        let text = explain("1006", &no_names()).expect("1006 is a close code");
        assert!(
            text.starts_with("Close code 1006: Abnormal Closure\n"),
            "{text}"
        );
        assert!(text.contains("On the wire: never."), "{text}");
        assert!(text.contains("What to do:"));
        assert_fits(&text);
    }

    #[test]
    fn explains_the_1002_quirk() {
        let text = explain(" 1002 ", &no_names()).expect("1002");
        assert!(text.contains("Note: tungstenite"), "{text}");
        assert_fits(&text);
    }

    #[test]
    fn explains_an_http_status() {
        let text = explain("403", &no_names()).expect("403 is a status");
        assert!(text.starts_with("HTTP 403 Forbidden, as the answer to a WebSocket upgrade"));
        assert!(text.contains("AllowedHostsOriginValidator"));
        assert!(text.contains("1006"));
        assert_fits(&text);
        let unknown = explain("418", &no_names()).expect("418 is in 100-599");
        assert!(unknown.contains("no notes on this status"), "{unknown}");
    }

    #[test]
    fn application_codes_show_the_profile_name() {
        let mut names = IndexMap::new();
        names.insert(4001, "token_invalid".to_string());
        let text = explain("4001", &names).expect("4001");
        assert!(text.contains("4000-4999"), "{text}");
        assert!(
            text.contains("This profile names it \"token_invalid\""),
            "{text}"
        );
        let unnamed = explain("4002", &names).expect("4002");
        assert!(!unnamed.contains("This profile names it"));
        let registered = explain("3000", &no_names()).expect("3000");
        assert!(registered.starts_with("Close code 3000: Unauthorized"));
    }

    #[test]
    fn every_code_and_status_in_range_explains_within_width() {
        for n in (100..=599)
            .chain(1000..=1015)
            .chain([1016, 2999, 3008, 3500, 4999])
        {
            let text = explain(&n.to_string(), &no_names()).expect("in range");
            assert_fits(&text);
        }
    }

    #[test]
    fn errors_say_what_is_valid() {
        let err = explain("abc", &no_names()).unwrap_err();
        assert_eq!(err, ExplainError::NotANumber("abc".into()));
        assert!(err.to_string().contains("1000-4999") && err.to_string().contains("100-599"));
        for bad in [
            "99",
            "600",
            "999",
            "5000",
            "70000",
            "123456789012345678901234",
        ] {
            let err = explain(bad, &no_names()).unwrap_err();
            assert!(matches!(err, ExplainError::OutOfRange(_)), "{bad}: {err:?}");
            assert!(err.to_string().contains("1000-4999"), "{err}");
        }
        for bad in ["", "-1", "10.5", "0x3e9", "\u{1b}[31m1006"] {
            let err = explain(bad, &no_names()).unwrap_err();
            assert!(
                matches!(err, ExplainError::NotANumber(_)),
                "{bad:?}: {err:?}"
            );
            assert!(!err.to_string().contains('\u{1b}'));
        }
    }

    #[test]
    fn explains_a_saved_answer() {
        let curl = "HTTP/1.1 404 Not Found\ndate: Sun, 29 Nov 2026 23:01:00 GMT\nserver: uvicorn\ncontent-length: 22\ncontent-type: application/json\n\n{\"detail\":\"Not Found\"}";
        let text = explain_response(curl, Some("ws://127.0.0.1:8000/ws/notifications/"))
            .expect("an answer");
        assert!(
            text.starts_with("Diagnosis: not_websocket_server\n"),
            "{text}"
        );
        assert!(text.contains("uvicorn[standard]"), "{text}");
        assert!(
            text.contains("Answered by: FastAPI/Starlette on uvicorn"),
            "{text}"
        );
        assert_fits(&text);
        let chunked = "HTTP/1.1 404 Not Found\r\nServer: nginx/1.22.1\r\nTransfer-Encoding: chunked\r\n\r\n2b\r\n<html><title>Not Found</title><p>The requested resource was not found on this server.</p>\r\n0\r\n\r\n";
        let text = explain_response(chunked, None).expect("chunked");
        assert!(text.contains("proxy_set_header Upgrade"), "{text}");
        let malformed = "HTTP/1.1 4002 undefined\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: 13\r\n\r\ntoken expired";
        let text = explain_response(malformed, None).expect("malformed");
        assert!(
            text.contains("4002") && text.contains("token expired") && !text.contains("wss://"),
            "{text}"
        );
        let err = explain_response("<html>hello", None).unwrap_err();
        assert!(matches!(err, ExplainError::NotAnAnswer(_)) && err.to_string().contains("curl"));
    }

    #[test]
    fn a_saved_answer_is_redacted_like_a_live_one() {
        // What `curl -i` prints for a refused upgrade often carries
        // credentials: a `Location` with an access_token, a session cookie,
        // and the server echoing the token of the URL in its body.
        let token = "LEAKEDTOKEN9876543210abcdef";
        let cookie = "SUPERSECRETCOOKIE1234567890";
        let answer = format!(
            "HTTP/1.1 401 Unauthorized\r\nServer: nginx\r\nSet-Cookie: sessionid={cookie}; Path=/\r\nLocation: https://login.example.com/?access_token=OTHERSECRET0123456789\r\nContent-Type: application/json\r\n\r\n{{\"detail\":\"token {token} is not valid (cookie {cookie})\"}}\n"
        );
        let url = format!("wss://bob:hunter2pass@api.example.com/ws?access_token={token}");
        let text = explain_response(&answer, Some(&url)).expect("an answer");
        for secret in [token, cookie, "OTHERSECRET0123456789", "hunter2pass"] {
            assert!(!text.contains(secret), "{secret} in:\n{text}");
        }
        assert!(text.contains("access_token=OTHER…"), "{text}");
        assert!(text.contains("Diagnosis: auth_rejected"), "{text}");
    }

    #[test]
    fn explains_429_and_retry_after() {
        let text = explain("429", &no_names()).expect("429");
        assert!(text.starts_with("HTTP 429 Too Many Requests"), "{text}");
        assert!(text.contains("Retry-After"), "{text}");
        assert_fits(&text);
        let text = explain("503", &no_names()).expect("503");
        assert!(text.contains("Retry-After"), "{text}");
    }
}
