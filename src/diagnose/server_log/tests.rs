//! The log correlation over recorded logs: Daphne 4.2 serving the test
//! project (`tests/django/`) while a path typo (`/ws/notification/`) and
//! the crashing consumer (`/ws/crash/`) were dialled at once, and uvicorn
//! 0.34.0 (with websockets 14.1) accepting one socket and refusing one
//! (an ASGI app closing before accept: 403).

use std::time::{Duration, SystemTime};

use super::*;
use crate::facts::{ConnectFailure, FailureKind, HttpAnswer, Outcome, Stage};

const DAPHNE: &str = include_str!("daphne-4.2.log");
const UVICORN: &str = include_str!("uvicorn-0.34.log");

fn at(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
}

/// Every line of `text`, read at `ms`.
fn read(text: &str, ms: u64) -> Vec<LogLine> {
    text.lines()
        .map(|l| LogLine {
            at: at(ms),
            text: l.to_string(),
        })
        .collect()
}

/// An attempt from 10 s to 11 s answered with `status`.
fn answered(status: u16) -> AttemptRecord {
    AttemptRecord {
        attempt: 1,
        started: at(10_000),
        ended: at(11_000),
        handshake_latency: None,
        activity: Default::default(),
        outcome: Outcome::Failed(ConnectFailure {
            raw_answer: None,
            stage: Stage::Handshake,
            kind: FailureKind::HttpStatus,
            message: format!("HTTP error: {status}"),
            http: Some(HttpAnswer {
                status,
                headers: vec![],
                body_excerpt: String::new(),
            }),
        }),
    }
}

#[test]
fn a_path_typo_gets_channels_traceback_whole() {
    let log = read(DAPHNE, 10_500);
    let lines = pinned(&log, &answered(500), "/ws/notification/");
    let first = lines
        .iter()
        .position(|l| l.starts_with("Exception inside application: No route found"))
        .expect("Daphne's exception line");
    assert_eq!(lines[first + 1], "Traceback (most recent call last):");
    let last = lines
        .iter()
        .position(|l| l == "ValueError: No route found for path 'ws/notification/'.")
        .expect("the exception line");
    // Whole: the 9 lines of the traceback between them (3 frames).
    assert_eq!(last - first, 10, "{lines:#?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"WSCONNECTING /ws/notification/\""))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"WSDISCONNECT /ws/notification/\""))
    );
    // Not the other endpoint's access lines, nor the REST request.
    assert!(
        !lines.iter().any(|l| l.contains("/ws/crash/")),
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.contains("/api/notifications/")));
}

#[test]
fn a_traceback_naming_another_path_is_not_pinned() {
    let log = read(DAPHNE, 10_500);
    let lines = pinned(&log, &answered(500), "/ws/crash/");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"WSCONNECTING /ws/crash/\""))
    );
    assert!(
        lines
            .iter()
            .any(|l| l == "RuntimeError: connect() crashed on purpose (wsmon test)"),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l == "Exception inside application: connect() crashed on purpose (wsmon test)")
    );
    assert!(
        !lines.iter().any(|l| l.contains("No route found")),
        "{lines:#?}"
    );
}

#[test]
fn only_lines_read_around_the_attempt_are_pinned() {
    // Read 5 s before the attempt started, and 5 s after it ended.
    for ms in [5_000, 16_000] {
        let log = read(DAPHNE, ms);
        assert!(pinned(&log, &answered(500), "/ws/notification/").is_empty());
    }
    // A bare "/" names nothing (but a traceback in the window is kept).
    let log = read(DAPHNE, 10_500);
    let lines = pinned(&log, &answered(500), "/");
    assert!(
        !lines.iter().any(|l| l.contains("WSCONNECTING")),
        "{lines:#?}"
    );
}

#[test]
fn the_newest_lines_are_kept_when_there_are_too_many() {
    let text: String = (0..200)
        .map(|i| format!("\"WSCONNECTING /ws/a/\" {i}\n"))
        .collect();
    let lines = pinned(&read(&text, 10_500), &answered(500), "/ws/a/");
    assert_eq!(lines.len(), MAX_PINNED);
    assert!(lines[MAX_PINNED - 1].ends_with(" 199"));
}

#[test]
fn daphne_logs_every_connection_so_an_unlogged_attempt_went_elsewhere() {
    let log = read(DAPHNE, 10_500);
    let refs: Vec<&LogLine> = log.iter().collect();
    assert_eq!(logs_every_connection(refs.iter().copied()), Some("Daphne"));
    let later = at(12_500);
    let f =
        silence(&refs, &answered(403), "/ws/strict/notifications/", later).expect("no line for it");
    assert!(
        f.summary
            .contains("Daphne, which logs every WebSocket connection")
    );
    assert!(f.summary.contains("/ws/strict/notifications/"));
    // Logged: nothing to say.
    assert_eq!(silence(&refs, &answered(500), "/ws/crash/", later), None);
    // Too early to tell: its lines may still be on their way.
    assert_eq!(
        silence(
            &refs,
            &answered(403),
            "/ws/strict/notifications/",
            at(11_500)
        ),
        None
    );
    // Never reached a server (refused at TCP): nothing to log.
    let mut refused = answered(403);
    refused.outcome = Outcome::Failed(ConnectFailure {
        raw_answer: None,
        stage: Stage::Tcp,
        kind: FailureKind::ConnectionRefused,
        message: "refused".into(),
        http: None,
    });
    assert_eq!(
        silence(&refs, &refused, "/ws/strict/notifications/", later),
        None
    );
    // A log that shows no connection lines proves nothing.
    let quiet = read(
        "Starting server\nListening on TCP address 127.0.0.1:8000\n",
        10_500,
    );
    let quiet: Vec<&LogLine> = quiet.iter().collect();
    assert_eq!(silence(&quiet, &answered(403), "/ws/x/", later), None);
}

#[test]
fn uvicorn_access_lines_are_pinned_and_show_it_logs_every_connection() {
    let log = read(UVICORN, 10_500);
    let refs: Vec<&LogLine> = log.iter().collect();
    assert_eq!(logs_every_connection(refs.iter().copied()), Some("uvicorn"));
    let lines = pinned(&log, &answered(403), "/ws/denied/");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"WebSocket /ws/denied/\" 403")),
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.contains("/ws/echo/")), "{lines:#?}");
    let f = silence(&refs, &answered(403), "/ws/elsewhere/", at(12_500)).expect("silence");
    assert!(f.summary.contains("uvicorn"), "{}", f.summary);
}
