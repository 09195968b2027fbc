//! Table tests over synthetic histories: each row is a history as the
//! engine would record it and the pattern (or none) it must show.

use std::time::{Duration, SystemTime};

use super::*;
use crate::facts::{Activity, CloseInfo, ConnectFailure, HttpAnswer, Outcome, Stage};

const T0: u64 = 1_800_000_000;

fn at(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(T0) + Duration::from_millis(ms)
}

/// An attempt starting at `start` ms, open after 10 ms, closed after
/// `open_ms` with `code` by `by`; `last_rx` ms after the open, if any.
fn opened(
    n: u32,
    start: u64,
    open_ms: u64,
    code: u16,
    by: Closer,
    last_rx: Option<u64>,
) -> AttemptRecord {
    let opened = start + 10;
    AttemptRecord {
        attempt: n,
        started: at(start),
        ended: at(opened + open_ms),
        handshake_latency: Some(Duration::from_millis(10)),
        outcome: Outcome::Closed {
            close: CloseInfo {
                code,
                reason: String::new(),
                by,
                clean: by == Closer::Server,
                cause: None,
                note: None,
            },
            open_for: Duration::from_millis(open_ms),
        },
        activity: Activity {
            last_received: last_rx.map(|ms| at(opened + ms)),
            ..Activity::default()
        },
    }
}

/// `n` attempts back to back (reconnect after 300 ms), each open for the
/// given ms.
fn series(
    opens: &[u64],
    code: u16,
    by: Closer,
    last_rx: impl Fn(usize) -> Option<u64>,
) -> Vec<AttemptRecord> {
    let mut start = 0;
    let mut out = Vec::new();
    for (i, &open) in opens.iter().enumerate() {
        out.push(opened(
            u32::try_from(i).unwrap() + 1,
            start,
            open,
            code,
            by,
            last_rx(i),
        ));
        start += 10 + open + 300;
    }
    out
}

fn failed(n: u32, start: u64, took: u64, kind: FailureKind, status: Option<u16>) -> AttemptRecord {
    AttemptRecord {
        attempt: n,
        started: at(start),
        ended: at(start + took),
        handshake_latency: None,
        outcome: Outcome::Failed(ConnectFailure {
            stage: Stage::Handshake,
            kind,
            message: "Connection reset by peer".into(),
            http: status.map(|status| HttpAnswer {
                status,
                headers: vec![],
                body_excerpt: String::new(),
            }),
            raw_answer: None,
        }),
        activity: Activity::default(),
    }
}

fn read(records: &[AttemptRecord], answered_by: Option<&str>) -> Option<Pattern> {
    read_with(records, &[], answered_by, HeartbeatMode::Ping)
}

fn read_with(
    records: &[AttemptRecord],
    others: &[AttemptRecord],
    answered_by: Option<&str>,
    heartbeat: HeartbeatMode,
) -> Option<Pattern> {
    let attempts: Vec<&AttemptRecord> = records.iter().collect();
    let others: Vec<&AttemptRecord> = others.iter().collect();
    detect(&History {
        attempts: &attempts,
        others: &others,
        answered_by,
        heartbeat,
        ping_interval: Duration::from_secs(20),
        window: Duration::from_secs(300),
    })
}

#[test]
fn quiet_drops_at_the_same_age_through_nginx_are_its_idle_timeout() {
    let h = series(
        &[5003, 5004, 5004, 5004, 5005],
        1006,
        Closer::Network,
        |_| None,
    );
    let p = read(&h, Some("nginx/1.22.1")).expect("a pattern");
    assert_eq!(p.kind, PatternKind::IdleTimeout);
    assert!(
        p.summary.contains("after 5.0 s idle on each of 5 attempts"),
        "{}",
        p.summary
    );
    assert!(p.summary.contains("nginx"), "{}", p.summary);
    assert!(p.fixes[0].contains("proxy_read_timeout"), "{:?}", p.fixes);
    assert_eq!(p.evidence.count, 5);
    assert_eq!(p.evidence.ages_ms, [5003, 5004, 5004, 5004, 5005]);
    assert_eq!(p.evidence.value_ms, Some(5004));
    assert_eq!(p.evidence.answered_by.as_deref(), Some("nginx/1.22.1"));
}

#[test]
fn the_rows() {
    type Row = (
        &'static str,
        Vec<AttemptRecord>,
        Option<&'static str>,
        Option<PatternKind>,
        &'static str,
    );
    let rows: Vec<Row> = vec![
        (
            "two drops are churn, not yet a fixed time",
            series(&[5000, 5000], 1006, Closer::Network, |_| None),
            None,
            Some(PatternKind::Churn),
            "each after ~5.0 s idle",
        ),
        (
            "one drop is nothing",
            series(&[5000], 1006, Closer::Network, |_| None),
            None,
            None,
            "",
        ),
        (
            "scattered ages: no fixed time, but churn",
            series(&[1000, 7000, 3000], 1006, Closer::Network, |_| None),
            None,
            Some(PatternKind::Churn),
            "3 sessions ended",
        ),
        (
            "60 s without a Server header names the usual 60 s owners",
            series(&[60_020, 59_990, 60_010], 1006, Closer::Network, |_| None),
            None,
            Some(PatternKind::IdleTimeout),
            "default idle timeout of nginx and of AWS ALB",
        ),
        (
            "100 s is Cloudflare's",
            series(&[100_000, 100_100, 99_900], 1006, Closer::Network, |_| None),
            Some("cloudflare"),
            Some(PatternKind::IdleTimeout),
            "Cloudflare",
        ),
        (
            "Heroku's router says Via: vegur",
            series(&[55_000, 55_050, 55_010], 1006, Closer::Network, |_| None),
            Some("1.1 vegur"),
            Some(PatternKind::IdleTimeout),
            "Heroku",
        ),
        // A probe message 2.9 s in: the ages differ, the idle times agree.
        (
            "1011 at the same idle time under Daphne is the channel layer",
            series(&[5300, 8200, 5400], 1011, Closer::Server, |i| {
                Some(if i == 1 { 2900 } else { 5 })
            }),
            Some("Daphne"),
            Some(PatternKind::Churn),
            "socket_timeout",
        ),
        (
            "an application code at a fixed idle is an application timer",
            series(&[3000, 3010, 3020], 4000, Closer::Server, |_| None),
            Some("uvicorn"),
            Some(PatternKind::Churn),
            "timer inside the server",
        ),
        (
            "same age although messages flowed: a lifetime cap",
            series(&[30_000, 30_100, 30_050], 1000, Closer::Server, |i| {
                Some(10_000 + 7_000 * i as u64)
            }),
            None,
            Some(PatternKind::FixedLifetime),
            "ended at the same age, about 30.1 s",
        ),
    ];
    for (name, history, answered_by, want, words) in rows {
        let got = read(&history, answered_by);
        assert_eq!(got.as_ref().map(|p| p.kind), want, "{name}: {got:#?}");
        if let Some(p) = got {
            let text = format!("{} {}", p.summary, p.fixes.join(" "));
            assert!(text.contains(words), "{name}: {text}");
        }
    }
}

#[test]
fn the_channels_reading_names_the_fix_and_the_idle_times() {
    let h = series(&[5300, 8200, 5400], 1011, Closer::Server, |i| {
        Some(if i == 1 { 2900 } else { 5 })
    });
    let p = read(&h, None).expect("a pattern");
    assert!(p.summary.contains("1011"), "{}", p.summary);
    assert!(p.summary.contains("3 times in a row"), "{}", p.summary);
    assert!(p.summary.contains("channel layer"), "{}", p.summary);
    assert!(
        p.fixes[0].contains("socket_timeout") && p.fixes[0].contains("redis<8"),
        "{:?}",
        p.fixes
    );
    assert_eq!(p.evidence.idle_ms, [5295, 5300, 5395]);
}

#[test]
fn a_break_in_the_run_restarts_the_count() {
    let mut h = series(&[5000, 5000, 5000, 5000], 1006, Closer::Network, |_| None);
    // wsmon's own close (the user reconnected) in the middle.
    if let Outcome::Closed { close, .. } = &mut h[2].outcome {
        close.by = Closer::Client;
        close.cause = Some(LocalCause::UserRequest);
    }
    assert_eq!(read(&h, Some("nginx")), None);
}

#[test]
fn a_close_right_after_a_sent_frame_quotes_it() {
    let mut r = opened(1, 0, 4000, 1008, Closer::Server, None);
    r.activity.last_text_sent = Some((
        at(10 + 4000 - 40),
        "{\"type\": \"subscribe\", \"bad\": \u{1b}[2J}".into(),
    ));
    let p = read(&[r.clone()], None).expect("a pattern");
    assert_eq!(p.kind, PatternKind::CloseAfterSent);
    assert!(
        p.summary.contains("40 ms after wsmon sent"),
        "{}",
        p.summary
    );
    assert!(p.summary.contains("subscribe"), "{}", p.summary);
    assert!(!p.summary.contains('\u{1b}'), "{}", p.summary);
    // Two seconds later it is not an answer to the frame.
    r.activity.last_text_sent = Some((at(2000), "x".into()));
    assert_eq!(read(&[r], None), None);
}

#[test]
fn everyone_dropping_in_the_same_second_is_a_restart() {
    let mine = opened(2, 0, 9000, 1006, Closer::Network, None);
    let others = [
        opened(1, 500, 8700, 1006, Closer::Network, None),
        opened(3, 200, 8950, 1001, Closer::Server, None),
    ];
    let p = read_with(
        std::slice::from_ref(&mine),
        &others,
        None,
        HeartbeatMode::Ping,
    )
    .expect("a pattern");
    assert_eq!(p.kind, PatternKind::EveryoneAtOnce);
    assert!(p.summary.contains("All 3 endpoints"), "{}", p.summary);
    // One of them still open (its last end long ago): not everyone.
    let stale = [
        opened(1, 0, 1000, 1006, Closer::Network, None),
        others[1].clone(),
    ];
    assert_eq!(read_with(&[mine], &stale, None, HeartbeatMode::Ping), None);
}

#[test]
fn resets_at_the_same_point_of_the_handshake_are_its_timeout() {
    let h: Vec<AttemptRecord> = (0..3)
        .map(|i| {
            failed(
                i + 1,
                u64::from(i) * 10_000,
                5_010 + u64::from(i) * 20,
                FailureKind::Io,
                None,
            )
        })
        .collect();
    let p = read(&h, None).expect("a pattern");
    assert_eq!(p.kind, PatternKind::HandshakeTimeout);
    assert!(
        p.fixes[0].contains("--websocket_connect_timeout"),
        "{:?}",
        p.fixes
    );
    // Instant resets are a refusal, not a timer.
    let fast: Vec<AttemptRecord> = (0..3)
        .map(|i| failed(i + 1, u64::from(i) * 1000, 3, FailureKind::Io, None))
        .collect();
    assert_eq!(read(&fast, None), None);
}

#[test]
fn a_path_that_answered_101_before_was_working() {
    let h = vec![
        opened(1, 0, 60_000, 1006, Closer::Network, None),
        failed(2, 61_000, 12, FailureKind::HttpStatus, Some(502)),
    ];
    let p = read(&h, Some("nginx")).expect("a pattern");
    assert_eq!(p.kind, PatternKind::WasWorking);
    assert!(
        p.summary
            .contains("answered 101 on attempt 1 and now answers HTTP 502"),
        "{}",
        p.summary
    );
    // A 429 after sessions that opened (python websockets' process_request
    // limiting reconnects after 1012 closes): the rate limit, not a change.
    let limited = vec![
        opened(1, 0, 2_000, 1012, Closer::Server, None),
        opened(2, 7_000, 2_000, 1012, Closer::Server, None),
        failed(3, 18_000, 4, FailureKind::HttpStatus, Some(429)),
    ];
    assert!(
        read(&limited, None).is_none_or(|p| p.kind != PatternKind::WasWorking),
        "{:?}",
        read(&limited, None)
    );
    // Never opened: a wrong path, not a change.
    let never = vec![
        failed(1, 0, 12, FailureKind::HttpStatus, Some(404)),
        failed(2, 1000, 12, FailureKind::HttpStatus, Some(404)),
    ];
    assert_eq!(read(&never, None), None);
}

#[test]
fn in_ping_mode_a_timer_shorter_than_the_pings_says_pings_would_not_help_browsers() {
    let h = series(&[5000, 5000, 5000], 1006, Closer::Network, |_| None);
    let ping = read_with(&h, &[], Some("nginx"), HeartbeatMode::Ping).expect("a pattern");
    assert!(
        ping.fixes.iter().any(|f| f.contains("browsers")),
        "{:?}",
        ping.fixes
    );
    let browser = read_with(&h, &[], Some("nginx"), HeartbeatMode::Browser).expect("a pattern");
    assert!(
        !browser.fixes.iter().any(|f| f.contains("wsmon pings")),
        "{:?}",
        browser.fixes
    );
}

#[test]
fn missed_pongs_at_wsmons_own_cadence_are_not_a_path_timer() {
    let mut h = series(&[30_000, 30_000, 30_000], 1006, Closer::Client, |_| {
        Some(20_000)
    });
    for r in &mut h {
        if let Outcome::Closed { close, .. } = &mut r.outcome {
            close.cause = Some(LocalCause::HeartbeatTimeout);
        }
    }
    let p = read(&h, Some("nginx"));
    assert_ne!(
        p.as_ref().map(|p| p.kind),
        Some(PatternKind::IdleTimeout),
        "{p:#?}"
    );
    assert_ne!(
        p.as_ref().map(|p| p.kind),
        Some(PatternKind::FixedLifetime),
        "{p:#?}"
    );
}

#[test]
fn frames_wsmon_sent_into_the_silence_do_not_hide_a_read_timeout() {
    // The server stays quiet; wsmon sends a frame at a different moment
    // each time; nginx cuts 5 s after the server's last frame (the 101).
    let mut h = series(&[5000, 5010, 4990], 1006, Closer::Network, |_| None);
    for (i, r) in h.iter_mut().enumerate() {
        let opened = r.opened_at().expect("opened");
        let sent = opened + Duration::from_millis(1000 + 1500 * i as u64);
        r.activity.last_sent = Some(sent);
    }
    let p = read(&h, Some("nginx")).expect("a pattern");
    assert_eq!(p.kind, PatternKind::IdleTimeout);
    assert!(
        p.summary.contains("since the server's last frame"),
        "{}",
        p.summary
    );
    assert_eq!(p.evidence.idle_ms, [5000, 5010, 4990]);
}

#[test]
fn a_1011_at_a_fixed_idle_is_the_channel_layer_only_when_the_hints_fit() {
    let fives = series(&[5300, 5400, 5350], 1011, Closer::Server, |_| None);
    let thirties = series(&[30_000, 30_100, 30_050], 1011, Closer::Server, |_| None);
    let says = |h: &[AttemptRecord], who| {
        let p = read(h, who).expect("a pattern");
        (p.kind, p.summary.contains("channel layer"))
    };
    assert_eq!(says(&fives, Some("daphne")), (PatternKind::Churn, true));
    assert_eq!(says(&fives, None), (PatternKind::Churn, true));
    assert_eq!(says(&thirties, Some("Daphne")), (PatternKind::Churn, true));
    // Not Channels: an application timer.
    assert_eq!(says(&thirties, None), (PatternKind::Churn, false));
    assert_eq!(says(&fives, Some("Kestrel")), (PatternKind::Churn, false));
}

#[test]
fn the_servers_close_reason_is_quoted_safely() {
    let mut h = series(&[3000, 3010, 3005], 4408, Closer::Server, |_| None);
    for r in &mut h {
        if let Outcome::Closed { close, .. } = &mut r.outcome {
            close.reason = "Connection initialisation timeout\u{1b}[2J".into();
        }
    }
    let p = read(&h, None).expect("a pattern");
    assert!(
        p.summary.contains(
            "(close 4408 \"Connection initialisation timeout\u{FFFD}[2J\" from the server)"
        ),
        "{}",
        p.summary
    );
}

/// `series` with the same close reason on every attempt.
fn with_reason(mut h: Vec<AttemptRecord>, reason: &str) -> Vec<AttemptRecord> {
    for r in &mut h {
        if let Outcome::Closed { close, .. } = &mut r.outcome {
            close.reason = reason.into();
        }
    }
    h
}

#[test]
fn a_feed_closed_at_a_fixed_age_is_a_lifetime_not_its_message_interval() {
    // wsmon's demo `orders` feed: a message every 5 s, closed with 4000
    // "order feed rotated, reconnect" 15 s after each open. The last
    // message comes 10 s in, so every session also ends "5 s idle".
    let h = with_reason(
        series(
            &[15_004, 15_002, 15_003, 15_001],
            4000,
            Closer::Server,
            |_| Some(10_000),
        ),
        "order feed rotated, reconnect",
    );
    let p = read(&h, None).expect("a pattern");
    assert_eq!(p.kind, PatternKind::FixedLifetime, "{}", p.summary);
    assert_eq!(p.evidence.value_ms, Some(15_003));
    assert!(p.summary.contains("about 15.0 s"), "{}", p.summary);
    assert!(
        p.summary.contains("rotates sessions on purpose")
            && p.summary.contains("4000 \"order feed rotated, reconnect\""),
        "{}",
        p.summary
    );
    assert!(!p.summary.contains("keeps closing"), "{}", p.summary);
    assert!(
        p.fixes.iter().all(|f| !f.contains("traffic more often")),
        "{:?}",
        p.fixes
    );
    // The same ages and traffic, cut without a close frame: still the age,
    // but not a rotation (nothing says it is deliberate).
    let cut = series(&[15_004, 15_002, 15_003], 1006, Closer::Network, |_| {
        Some(10_000)
    });
    let p = read(&cut, None).expect("a pattern");
    assert_eq!(p.kind, PatternKind::FixedLifetime, "{}", p.summary);
    assert!(!p.summary.contains("on purpose"), "{}", p.summary);
    // No traffic after the open: the age is the idle time, and the idle
    // reading (which names the proxy) stays.
    let quiet = series(&[60_020, 59_990, 60_010], 1006, Closer::Network, |_| {
        Some(5)
    });
    let p = read(&quiet, Some("nginx")).expect("a pattern");
    assert_eq!(p.kind, PatternKind::IdleTimeout, "{}", p.summary);
    // An application code without a reason, or closes that differ, are
    // not called a rotation.
    let silent = series(&[15_004, 15_002, 15_003], 4000, Closer::Server, |_| {
        Some(10_000)
    });
    let p = read(&silent, None).expect("a pattern");
    assert_eq!(p.kind, PatternKind::FixedLifetime);
    assert!(!p.summary.contains("on purpose"), "{}", p.summary);
}

#[test]
fn a_churn_of_one_known_cause_follows_that_cause() {
    use crate::diagnose::{Diagnosis, DiagnosisKind};
    let own = |kind, summary: &str| {
        Diagnosis::new(kind, summary.into(), vec!["the attempt's own fix".into()])
    };
    // python `websockets` closing with 1012 "deploy" (cases/protocols-10):
    // a code with a meaning and the server's reason, each after ~2 s idle.
    let deploy = with_reason(
        series(&[2_000, 2_010], 1012, Closer::Server, |_| None),
        "deploy",
    );
    let p = read(&deploy, None).expect("churn");
    assert_eq!(p.kind, PatternKind::Churn);
    let d = own(
        DiagnosisKind::ClosedByServer,
        "The server closed the connection with 1012 Service Restart after 2.0 s, reason \"deploy\".",
    )
    .led_by(Some(p));
    assert!(
        d.summary
            .starts_with("The server closed the connection with 1012"),
        "{}",
        d.summary
    );
    assert!(
        d.summary.contains("each of the last 2 sessions"),
        "{}",
        d.summary
    );
    assert!(
        !d.summary.contains("something keeps closing"),
        "{}",
        d.summary
    );
    assert_eq!(d.fixes[0], "the attempt's own fix");
    let pattern = d.pattern.expect("kept");
    assert_eq!(pattern.kind, PatternKind::Churn);
    assert!(
        !pattern.summary.contains("something keeps"),
        "{}",
        pattern.summary
    );
    // graphql-transport-ws 4408 at the same 3 s idle (cases/protocols-11):
    // 3+ repeats, read by the idle-time branch.
    let init = with_reason(
        series(&[3_001, 3_002, 3_001], 4408, Closer::Server, |_| None),
        "Connection initialisation timeout",
    );
    let d = own(
        DiagnosisKind::ProtocolError,
        "graphql-transport-ws: no connection_init within the server's wait (4408).",
    )
    .led_by(read(&init, None));
    assert!(
        d.summary.starts_with("graphql-transport-ws"),
        "{}",
        d.summary
    );
    assert!(
        d.summary.contains("each of the last 3 sessions"),
        "{}",
        d.summary
    );
    assert!(!d.summary.contains("keeps closing"), "{}", d.summary);
    // Engine.IO's ping timeout closes without a status (1005): the close
    // says nothing, the protocol's reading does.
    let eio = series(&[5_000, 5_001], 1005, Closer::Server, |_| Some(3_000));
    let d = own(
        DiagnosisKind::ProtocolError,
        "This is a Socket.IO / Engine.IO endpoint, not a plain WebSocket feed.",
    )
    .led_by(read(&eio, None));
    assert!(
        d.summary.starts_with("This is a Socket.IO"),
        "{}",
        d.summary
    );
    // Three of them: the ages agree (5 s = pingInterval + pingTimeout)
    // while the idle gap is the 3 s since Engine.IO's ping `2`: a fixed
    // lifetime, which the protocol's reading explains and leads.
    let eio3 = series(&[5_000, 5_001, 5_002], 1005, Closer::Server, |_| {
        Some(3_000)
    });
    let p = read(&eio3, None).expect("a fixed lifetime");
    assert_eq!(p.kind, PatternKind::FixedLifetime, "{}", p.summary);
    let d = own(
        DiagnosisKind::ProtocolError,
        "This is a Socket.IO / Engine.IO endpoint, not a plain WebSocket feed.",
    )
    .led_by(Some(p));
    assert!(
        d.summary.starts_with("This is a Socket.IO"),
        "{}",
        d.summary
    );
    assert!(
        d.summary.contains("at the same age, about 5.0 s") && !d.summary.contains("This attempt:"),
        "{}",
        d.summary
    );
    assert_eq!(d.fixes[0], "the attempt's own fix");
    // Without a known cause the churn still leads: the same 1005 read only
    // as "closed by the server", a 1011 under Daphne (the channel layer),
    // closes that differ.
    let d = own(
        DiagnosisKind::ClosedByServer,
        "The server closed it (1005).",
    )
    .led_by(read(&eio, None));
    assert!(d.summary.starts_with("Churn:"), "{}", d.summary);
    let layer = series(&[5_300, 5_400, 5_350], 1011, Closer::Server, |_| None);
    let d = own(
        DiagnosisKind::ClosedByServer,
        "The server closed it with 1011.",
    )
    .led_by(read(&layer, Some("Daphne")));
    assert!(
        d.summary.starts_with("Churn:") && d.summary.contains("socket_timeout"),
        "{}",
        d.summary
    );
    let mut mixed = series(&[2_000, 9_000], 1012, Closer::Server, |_| None);
    if let Outcome::Closed { close, .. } = &mut mixed[0].outcome {
        close.code = 1001;
    }
    let d = own(
        DiagnosisKind::ClosedByServer,
        "The server closed it with 1012.",
    )
    .led_by(read(&mixed, None));
    assert!(d.summary.starts_with("Churn:"), "{}", d.summary);
}

#[test]
fn a_rotation_before_the_third_repeat_is_not_called_a_failure() {
    // The demo's `orders` feed after its first two rotations.
    let h = with_reason(
        series(&[15_002, 15_004], 4000, Closer::Server, |_| Some(10_000)),
        "order feed rotated, reconnect",
    );
    let p = read(&h, None).expect("churn");
    let d = crate::diagnose::Diagnosis::new(
        crate::diagnose::DiagnosisKind::ClosedByServer,
        "The server closed the connection with 4000 after 15.0 s, reason \"order feed rotated, reconnect\".".into(),
        vec![],
    )
    .led_by(Some(p));
    assert!(
        d.summary
            .starts_with("The server closed the connection with 4000"),
        "{}",
        d.summary
    );
    assert!(
        d.summary.contains("deliberate close (a rotation)"),
        "{}",
        d.summary
    );
    assert!(d.summary.contains("each open ~15.0 s"), "{}", d.summary);
    assert!(!d.summary.contains("idle"), "{}", d.summary);
}
