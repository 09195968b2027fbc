//! The server-side findings over hand-built facts, one situation each.

use std::time::{Duration, SystemTime};

use super::*;
use crate::facts::{CloseInfo, Closer, ConnectFailure, FailureKind, HttpAnswer, Outcome, Stage};

fn at(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
}

fn record(outcome: Outcome) -> AttemptRecord {
    AttemptRecord {
        attempt: 2,
        started: at(1_000),
        ended: at(2_000),
        handshake_latency: None,
        activity: Default::default(),
        outcome,
    }
}

fn refused_tcp() -> AttemptRecord {
    record(Outcome::Failed(ConnectFailure {
        raw_answer: None,
        stage: Stage::Tcp,
        kind: FailureKind::ConnectionRefused,
        message: "Connection refused (os error 111)".into(),
        http: None,
    }))
}

fn answered(status: u16) -> AttemptRecord {
    record(Outcome::Failed(ConnectFailure {
        raw_answer: None,
        stage: Stage::Handshake,
        kind: FailureKind::HttpStatus,
        message: format!("HTTP error: {status}"),
        http: Some(HttpAnswer {
            status,
            headers: vec![("Server".into(), "WSGIServer/0.2 CPython/3.11.2".into())],
            body_excerpt: String::new(),
        }),
    }))
}

fn dropped() -> AttemptRecord {
    record(Outcome::Closed {
        close: CloseInfo {
            code: 1006,
            reason: String::new(),
            by: Closer::Network,
            clean: false,
            cause: None,
            note: None,
        },
        open_for: Duration::from_millis(900),
    })
}

fn listener(pid: u32, command: &str) -> Listener {
    Listener {
        pid,
        command: command.into(),
        user: Some("alice".into()),
    }
}

fn seen(listener: Option<Listener>, nearby: Vec<(u16, Option<Listener>)>) -> ServedBy {
    ServedBy {
        at: at(2_001),
        port: 8000,
        listening: listener.is_some(),
        listener,
        nearby,
    }
}

fn find(served: &ServedBy, record: &AttemptRecord, kind: DiagnosisKind) -> Option<Finding> {
    finding(
        &Facts {
            served_by: Some(served),
            ..Facts::default()
        },
        record,
        kind,
    )
}

#[test]
fn runserver_answering_an_upgrade_with_http_needs_daphne_first() {
    let s = seen(
        Some(listener(4242, "python manage.py runserver 127.0.0.1:8000")),
        vec![],
    );
    let f = find(&s, &answered(404), DiagnosisKind::NotWebsocketServer).expect("a finding");
    assert!(f.summary.contains("runserver"), "{}", f.summary);
    assert!(
        f.summary.contains("(pid 4242, user alice)"),
        "{}",
        f.summary
    );
    assert!(f.fixes[0].contains("\"daphne\" first in INSTALLED_APPS"));
    // The same server opening the socket: daphne is there, nothing to say.
    assert_eq!(find(&s, &dropped(), DiagnosisKind::AbnormalClosure), None);
}

#[test]
fn gunicorn_sync_workers_and_uvicorn_without_a_websocket_library() {
    let g = seen(
        Some(listener(
            7,
            "/venv/bin/python /venv/bin/gunicorn project.wsgi -b :8000",
        )),
        vec![],
    );
    let f = find(&g, &answered(404), DiagnosisKind::NotWebsocketServer).expect("gunicorn");
    assert!(f.summary.contains("sync (WSGI) workers"), "{}", f.summary);
    assert!(f.fixes[0].contains("UvicornWorker"));
    // gunicorn with uvicorn workers is ASGI: not the sync-worker finding.
    let asgi = seen(
        Some(listener(
            7,
            "gunicorn -k uvicorn.workers.UvicornWorker project.asgi:application",
        )),
        vec![],
    );
    assert_eq!(
        find(&asgi, &answered(404), DiagnosisKind::NotWebsocketServer),
        None
    );
    let u = seen(
        Some(listener(
            8,
            "/venv/bin/python /venv/bin/uvicorn project.asgi:application",
        )),
        vec![],
    );
    let f = find(&u, &answered(404), DiagnosisKind::NotWebsocketServer).expect("uvicorn");
    assert!(
        f.summary.contains("Unsupported upgrade request"),
        "{}",
        f.summary
    );
    assert!(f.fixes[0].contains("uvicorn[standard]"));
}

#[test]
fn nothing_on_the_port_but_a_listener_nearby_names_that_port() {
    let s = seen(
        None,
        vec![(
            8001,
            Some(listener(99, "daphne -p 8001 project.asgi:application")),
        )],
    );
    let f = find(&s, &refused_tcp(), DiagnosisKind::ConnectionRefused).expect("nearby");
    assert!(f.summary.contains("port 8001 nearby"), "{}", f.summary);
    assert!(f.summary.contains("daphne -p 8001"), "{}", f.summary);
    assert!(f.fixes[0].contains("use port 8001"));
    // A listener whose process is hidden (another user's) is still named.
    let hidden = seen(None, vec![(7999, None)]);
    let f = find(&hidden, &refused_tcp(), DiagnosisKind::ConnectionRefused).unwrap();
    assert!(
        f.summary
            .contains("a process wsmon cannot see listens on port 7999")
    );
    // Nothing anywhere near.
    let none = seen(None, vec![]);
    let f = find(&none, &refused_tcp(), DiagnosisKind::ConnectionRefused).unwrap();
    assert!(f.summary.contains("ports 7990 to 8010"), "{}", f.summary);
}

#[test]
fn a_new_pid_on_the_port_explains_a_1006() {
    let old = listener(100, "python manage.py runserver");
    let new = listener(200, "python manage.py runserver");
    let s = seen(Some(new.clone()), vec![]);
    let restart = ServerRestart {
        from: old,
        to: new,
        seen: at(2_001),
    };
    let facts = Facts {
        served_by: Some(&s),
        last_listener: s.listener.as_ref(),
        restart: Some(&restart),
    };
    let f = finding(&facts, &dropped(), DiagnosisKind::AbnormalClosure).expect("restart");
    assert!(f.summary.contains("pid 100 → 200"), "{}", f.summary);
    assert!(f.summary.contains("1006"));
    // A restart seen before this attempt began explains nothing about it.
    let earlier = ServerRestart {
        seen: at(500),
        ..restart.clone()
    };
    let facts = Facts {
        restart: Some(&earlier),
        ..facts
    };
    assert_eq!(
        finding(&facts, &dropped(), DiagnosisKind::AbnormalClosure),
        None
    );
}

#[test]
fn the_process_that_served_is_gone() {
    let s = seen(None, vec![]);
    let gone = listener(100, "daphne project.asgi:application");
    let facts = Facts {
        served_by: Some(&s),
        last_listener: Some(&gone),
        restart: None,
    };
    let f = finding(&facts, &dropped(), DiagnosisKind::AbnormalClosure).expect("gone");
    assert!(
        f.summary
            .contains("served port 8000 before and no longer holds it"),
        "{}",
        f.summary
    );
    // Still listed as listening (a dying process), but its fds are gone.
    let dying = ServedBy {
        listening: true,
        ..s.clone()
    };
    let facts = Facts {
        served_by: Some(&dying),
        ..facts
    };
    let f = finding(&facts, &dropped(), DiagnosisKind::AbnormalClosure).expect("dying");
    assert!(f.summary.contains("no longer holds it"), "{}", f.summary);
}

#[test]
fn facts_of_another_attempt_are_not_read_into_this_one() {
    let mut s = seen(None, vec![(8001, None)]);
    s.at = at(500); // before the attempt started
    assert_eq!(
        find(&s, &refused_tcp(), DiagnosisKind::ConnectionRefused),
        None
    );
    s.at = at(60_000); // long after it ended
    assert_eq!(
        find(&s, &refused_tcp(), DiagnosisKind::ConnectionRefused),
        None
    );
    assert_eq!(
        finding(
            &Facts::default(),
            &refused_tcp(),
            DiagnosisKind::ConnectionRefused
        ),
        None
    );
}

#[test]
fn a_finding_follows_the_summary_and_leads_the_fixes() {
    let d = Diagnosis {
        kind: DiagnosisKind::ConnectionRefused,
        summary: "Refused.".into(),
        fixes: vec!["Start it.".into()],
        pattern: None,
        server_log: vec![],
        evidence: vec![],
        answered_by: None,
    };
    let f = Finding {
        summary: "Port 8001 has it.".into(),
        fixes: vec!["Use 8001.".into(), "Start it.".into()],
        kind: None,
    };
    let out = with_finding(d.clone(), Some(f));
    assert_eq!(out.summary, "Refused. Server side: Port 8001 has it.");
    assert_eq!(
        out.fixes,
        vec!["Use 8001.".to_string(), "Start it.".to_string()]
    );
    assert_eq!(with_finding(d.clone(), None), d);
}

#[test]
fn the_doctors_origin_refusal_sets_the_kind_and_leaves_one_origin() {
    // A bare 403 read as auth, with its own Origin guess (the socket's
    // origin, with port); the doctor names the validator and an allowed
    // host (without port).
    let d = Diagnosis::new(
        DiagnosisKind::AuthRejected,
        "Refused with 403.".into(),
        vec![
            "Check the token.".into(),
            "If asgi.py wraps the router in AllowedHostsOriginValidator, add headers = { Origin = \"http://127.0.0.1:18100\" } to the endpoint.".into(),
        ],
    );
    let f = Finding {
        summary: "behind an OriginValidator".into(),
        fixes: vec![
            "Send the browser's Origin: `headers = { Origin = \"http://127.0.0.1\" }` on the endpoint (a host in that list).".into(),
        ],
        kind: Some(DiagnosisKind::OriginRefused),
    };
    let out = with_finding(d, Some(f));
    assert_eq!(out.kind, DiagnosisKind::OriginRefused);
    assert_eq!(out.fixes.len(), 2, "{:#?}", out.fixes);
    assert!(
        out.fixes[0].contains("Origin = \"http://127.0.0.1:18100\""),
        "{:#?}",
        out.fixes
    );
    assert_eq!(out.fixes[1], "Check the token.");
    // Another host than the guess: the doctor's value stays as it is.
    let d = Diagnosis::new(
        DiagnosisKind::AuthRejected,
        "Refused with 403.".into(),
        vec!["add headers = { Origin = \"http://10.0.0.5:8000\" }".into()],
    );
    let f = Finding {
        summary: "behind an OriginValidator".into(),
        fixes: vec!["headers = { Origin = \"http://app.example.com\" }".into()],
        kind: Some(DiagnosisKind::OriginRefused),
    };
    let out = with_finding(d, Some(f));
    assert_eq!(
        out.fixes,
        vec!["headers = { Origin = \"http://app.example.com\" }".to_string()]
    );
}
