//! The health word over histories built from engine events.

use std::time::{Duration, SystemTime};

use super::*;
use crate::config::ActiveProfile;
use crate::facts::{Activity, CloseInfo, Event, HandshakeInfo, Outcome, SessionEvent};

fn profile(endpoints: &[&str], extra: &str) -> ActiveProfile {
    let mut text = format!("[profiles.p]\nserver = \"http://127.0.0.1:9\"\n{extra}\n");
    for name in endpoints {
        text +=
            &format!("[[profiles.p.endpoints]]\nname = \"{name}\"\nurl = \"{{ws}}/ws/{name}/\"\n");
    }
    let config =
        crate::config::validate::parse(std::path::Path::new("t.toml"), &text).expect("profile");
    config.profiles[0].activate().expect("activate")
}

fn at(s: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + s)
}

fn ev(endpoint: usize, event: SessionEvent) -> Event {
    Event::Session { endpoint, event }
}

fn open(model: &mut Model, endpoint: usize, attempt: u32, t: u64) {
    model.apply(&ev(
        endpoint,
        SessionEvent::Connecting { attempt, at: at(t) },
    ));
    let handshake = HandshakeInfo {
        status: 101,
        latency: Duration::from_millis(5),
        headers: vec![],
        subprotocol: None,
    };
    model.apply(&ev(
        endpoint,
        SessionEvent::Open {
            at: at(t),
            handshake,
        },
    ));
    model.apply(&ev(endpoint, SessionEvent::Rtt(Duration::from_millis(1))));
}

fn drop_1011(model: &mut Model, endpoint: usize, attempt: u32, from: u64, to: u64) {
    let record = AttemptRecord {
        attempt,
        started: at(from),
        ended: at(to),
        handshake_latency: Some(Duration::from_millis(5)),
        outcome: Outcome::Closed {
            close: CloseInfo {
                code: 1011,
                reason: String::new(),
                by: Closer::Server,
                clean: true,
                cause: None,
                note: None,
            },
            open_for: Duration::from_secs(to - from),
        },
        activity: Activity::default(),
    };
    model.apply(&ev(endpoint, SessionEvent::Closed(Box::new(record))));
}

#[test]
fn all_open_is_healthy_and_churn_behind_an_open_socket_is_not() {
    let p = profile(&["a", "notifications"], "");
    let mut m = Model::new(&p);
    assert_eq!(m.health(at(0)).word, HealthWord::Starting);
    open(&mut m, 0, 1, 0);
    open(&mut m, 1, 1, 0);
    assert_eq!(
        m.health(at(1)),
        Health {
            word: HealthWord::Healthy,
            reasons: vec![]
        }
    );
    // notifications: closed every 5 s and reopened at once.
    let mut t = 0;
    for attempt in 1..=12 {
        drop_1011(&mut m, 1, attempt, t, t + 5);
        t += 5;
        open(&mut m, 1, attempt + 1, t);
    }
    // Both sessions are open right now, and still it is not healthy.
    let h = m.health(at(t));
    assert_eq!(h.word, HealthWord::Degraded);
    assert_eq!(
        h.reasons,
        ["churn: 12 reconnects in 5 min on notifications"]
    );
    // Once the ends leave the window, healthy again.
    assert_eq!(m.health(at(t + 301)).word, HealthWord::Healthy);
    assert_eq!(HealthWord::Degraded.as_gauge(), 1);
}

#[test]
fn one_end_in_the_window_is_not_churn_but_a_closed_session_is_degraded() {
    let p = profile(&["a", "b"], "");
    let mut m = Model::new(&p);
    open(&mut m, 0, 1, 0);
    open(&mut m, 1, 1, 0);
    drop_1011(&mut m, 1, 1, 0, 10);
    let h = m.health(at(11));
    assert_eq!(h.word, HealthWord::Degraded);
    assert_eq!(h.reasons, ["not open: b (closed)"]);
    open(&mut m, 1, 2, 12);
    assert_eq!(m.health(at(13)).word, HealthWord::Healthy);
    drop_1011(&mut m, 0, 1, 0, 20);
    drop_1011(&mut m, 1, 2, 12, 20);
    assert_eq!(m.health(at(21)).word, HealthWord::Down);
}

#[test]
fn an_unanswered_ping_and_a_not_ready_protocol_are_named() {
    let p = profile(&["a"], "");
    let mut m = Model::new(&p);
    open(&mut m, 0, 1, 0);
    let mut record = AttemptRecord {
        attempt: 1,
        started: at(0),
        ended: at(30),
        handshake_latency: Some(Duration::from_millis(5)),
        outcome: Outcome::Closed {
            close: CloseInfo {
                code: 1006,
                reason: String::new(),
                by: Closer::Client,
                clean: false,
                cause: Some(LocalCause::HeartbeatTimeout),
                note: None,
            },
            open_for: Duration::from_secs(30),
        },
        activity: Activity::default(),
    };
    m.apply(&ev(0, SessionEvent::Closed(Box::new(record.clone()))));
    open(&mut m, 0, 2, 31);
    assert_eq!(
        m.health(at(40)).reasons,
        ["heartbeat: a ping went unanswered on a (half-open) in the last 5 min"]
    );
    assert_eq!(m.health(at(400)).word, HealthWord::Healthy);
    m.sessions[0].expects_ready = true;
    m.sessions[0].ready = false;
    assert_eq!(m.health(at(400)).reasons, ["open but not ready: a"]);
    // A user's reconnect is not the server's churn.
    record.outcome = Outcome::Closed {
        close: CloseInfo {
            code: 1000,
            reason: String::new(),
            by: Closer::Client,
            clean: true,
            cause: Some(LocalCause::UserRequest),
            note: None,
        },
        open_for: Duration::from_secs(1),
    };
    m.sessions[0].expects_ready = false;
    for n in 0..3 {
        record.ended = at(400 + n);
        m.apply(&ev(0, SessionEvent::Closed(Box::new(record.clone()))));
        open(&mut m, 0, 3 + u32::try_from(n).unwrap(), 400 + n);
    }
    assert_eq!(m.health(at(404)).word, HealthWord::Healthy);
}

#[test]
fn browser_mode_expects_no_pong() {
    let p = profile(&["a"], "[profiles.p.settings]\nheartbeat = \"browser\"");
    let mut m = Model::new(&p);
    m.apply(&ev(
        0,
        SessionEvent::Connecting {
            attempt: 1,
            at: at(0),
        },
    ));
    let handshake = HandshakeInfo {
        status: 101,
        latency: Duration::ZERO,
        headers: vec![],
        subprotocol: None,
    };
    m.apply(&ev(
        0,
        SessionEvent::Open {
            at: at(0),
            handshake,
        },
    ));
    assert_eq!(m.health(at(600)).word, HealthWord::Healthy);
}

#[test]
fn standings_are_counted_open_first_and_churn_is_its_own() {
    let p = profile(&["a", "b", "c", "d"], "");
    let mut m = Model::new(&p);
    assert_eq!(m.standing_counts(at(0)).line(), "4 connecting");
    open(&mut m, 0, 1, 0);
    open(&mut m, 1, 1, 0);
    // b: two drops in the window, open again: churning.
    drop_1011(&mut m, 1, 1, 0, 5);
    open(&mut m, 1, 2, 5);
    drop_1011(&mut m, 1, 2, 5, 10);
    open(&mut m, 1, 3, 10);
    // c: waiting for its retry; d: stopped.
    drop_1011(&mut m, 2, 1, 0, 3);
    m.apply(&ev(
        2,
        SessionEvent::RetryScheduled {
            attempt: 2,
            delay: Duration::from_secs(2),
            at: at(3),
        },
    ));
    m.apply(&ev(
        3,
        SessionEvent::Stopped {
            why: StopReason::Paused,
            at: at(4),
        },
    ));
    let counts = m.standing_counts(at(11));
    assert_eq!(
        counts.line(),
        "1 open · 1 churning · 1 retrying · 1 stopped"
    );
    assert_eq!(m.sessions[2].last_change(), Some(at(3)));
    assert_eq!(m.sessions[1].last_change(), Some(at(10)));
    // Once the drops leave the window, b is just open.
    assert_eq!(m.standing_counts(at(400)).get(Standing::Open), 2);
    assert!(Standing::Stopped < Standing::Churning && Standing::Churning < Standing::Open);
}

/// `expect_message_within`: an open socket silent for longer is DEGRADED,
/// and a message ends it; a broken `[[endpoints.expect]]` rule too.
#[test]
fn a_silent_socket_and_a_broken_rule_degrade() {
    let text = "[profiles.p]\nserver = \"http://127.0.0.1:9\"\n[[profiles.p.endpoints]]\nname = \"feed\"\nurl = \"{ws}/ws/\"\nexpect_message_within = \"2m\"\n[[profiles.p.endpoints.expect]]\npath = \"title\"\nregex = \".\"\n";
    let config = crate::config::validate::parse(std::path::Path::new("t.toml"), text).expect("p");
    let p = config.profiles[0].activate().expect("activate");
    let mut model = Model::new(&p);
    open(&mut model, 0, 1, 0);
    assert_eq!(model.health(at(100)).word, HealthWord::Healthy);
    let h = model.health(at(133));
    assert_eq!(h.word, HealthWord::Degraded);
    assert!(
        h.reasons[0]
            .starts_with("silent: feed open but silent for 2m 13s (no message since it opened"),
        "{:?}",
        h.reasons
    );
    // The sessions list counts it apart and sorts it with the trouble.
    assert_eq!(model.standing_counts(at(100)).line(), "1 open");
    assert_eq!(model.standing_counts(at(133)).line(), "1 silent");
    let message = |t: u64, body: &str| {
        ev(
            0,
            SessionEvent::Messages(crate::facts::MessageBatch {
                messages: vec![crate::facts::Payload {
                    at: at(t),
                    data: crate::facts::PayloadData::Text(body.into()),
                }],
                dropped: 0,
                budget: None,
            }),
        )
    };
    model.apply(&message(140, r#"{"title": "hello"}"#));
    assert_eq!(model.health(at(150)).word, HealthWord::Healthy);
    model.apply(&message(160, r#"{"headline": "hello"}"#));
    let h = model.health(at(170));
    assert_eq!(h.word, HealthWord::Degraded);
    assert_eq!(
        h.reasons,
        ["content: 1 message on feed broke `title ~ /./` (title is missing)"]
    );
}
