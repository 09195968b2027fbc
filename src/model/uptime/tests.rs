use std::time::{Duration, SystemTime};

use super::*;
use crate::facts::{
    Activity, AttemptRecord, CloseInfo, Closer, Event, HandshakeInfo, SessionEvent, StopReason,
};
use crate::model::Model;

fn at(s: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + s)
}

fn model() -> Model {
    let text = "[profiles.p]\nserver = \"http://127.0.0.1:9\"\n[[profiles.p.endpoints]]\nname = \"e\"\nurl = \"{ws}/ws/\"\n";
    let config =
        crate::config::validate::parse(std::path::Path::new("t.toml"), text).expect("profile");
    Model::new(&config.profiles[0].activate().expect("activate"))
}

fn apply(m: &mut Model, event: SessionEvent) {
    m.apply(&Event::Session { endpoint: 0, event });
}

fn connect_open(m: &mut Model, attempt: u32, start: u64, open: u64) {
    apply(
        m,
        SessionEvent::Connecting {
            attempt,
            at: at(start),
        },
    );
    let handshake = HandshakeInfo {
        status: 101,
        latency: Duration::from_secs(open - start),
        headers: vec![],
        subprotocol: None,
    };
    apply(
        m,
        SessionEvent::Open {
            at: at(open),
            handshake,
        },
    );
}

fn drop_1006(m: &mut Model, attempt: u32, start: u64, open: u64, end: u64) {
    let record = AttemptRecord {
        attempt,
        started: at(start),
        ended: at(end),
        handshake_latency: Some(Duration::from_secs(open - start)),
        outcome: Outcome::Closed {
            close: CloseInfo {
                code: 1006,
                reason: String::new(),
                by: Closer::Network,
                clean: false,
                cause: None,
                note: None,
            },
            open_for: Duration::from_secs(end - open),
        },
        activity: Activity::default(),
    };
    apply(m, SessionEvent::Closed(Box::new(record)));
}

fn strip(m: &Model, now: u64) -> String {
    m.sessions[0]
        .uptime_strip(at(now), Duration::from_secs(60), 12)
        .iter()
        .map(|c| match c {
            Cell::Unknown => ' ',
            Cell::Open => 'O',
            Cell::Connecting => 'c',
            Cell::Closed => 'X',
            Cell::Stopped => 'S',
        })
        .collect()
}

#[test]
fn a_drop_shows_in_its_slice_and_the_rest_is_open() {
    let mut m = model();
    // Watched from 10 s into the minute: 5 s slices.
    connect_open(&mut m, 1, 10, 11);
    assert_eq!(strip(&m, 60), "  OOOOOOOOOO");
    // Dropped at 32 s, back at 33 s: one slice shows it.
    drop_1006(&mut m, 1, 10, 11, 32);
    connect_open(&mut m, 2, 33, 34);
    assert_eq!(strip(&m, 60), "  OOOOXOOOOO");
    // An hour later it is all open.
    assert_eq!(strip(&m, 4000), "OOOOOOOOOOOO");
}

#[test]
fn waiting_is_closed_and_a_stop_is_stopped_until_now() {
    let mut m = model();
    connect_open(&mut m, 1, 0, 1);
    drop_1006(&mut m, 1, 0, 1, 20);
    apply(
        &mut m,
        SessionEvent::RetryScheduled {
            attempt: 2,
            delay: Duration::from_secs(30),
            at: at(20),
        },
    );
    assert_eq!(strip(&m, 40), "    OOOOXXXX");
    apply(
        &mut m,
        SessionEvent::Stopped {
            why: StopReason::Paused,
            at: at(40),
        },
    );
    assert_eq!(strip(&m, 60), "OOOOXXXXSSSS");
}

#[test]
fn drops_carry_their_codes_and_the_timeline_its_segments() {
    let mut m = model();
    connect_open(&mut m, 1, 10, 11);
    drop_1006(&mut m, 1, 10, 11, 32);
    connect_open(&mut m, 2, 33, 34);
    let drops = m.sessions[0].drops(at(60), Duration::from_secs(60));
    assert_eq!(
        drops,
        [Drop {
            at: at(32),
            code: "1006".into()
        }]
    );
    let states: Vec<Cell> = m.sessions[0]
        .timeline(at(60), Duration::from_secs(60))
        .iter()
        .map(|s| s.state)
        .collect();
    assert_eq!(
        states,
        [
            Cell::Connecting,
            Cell::Open,
            Cell::Closed,
            Cell::Connecting,
            Cell::Open
        ]
    );
}
