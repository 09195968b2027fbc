//! The catalog asset parses, covers every code, and says what it must.

use super::*;

#[test]
fn asset_parses_and_covers_every_code() {
    let raw = parse(ASSET).expect("assets/close-codes.toml must parse");
    for e in &raw.close {
        // Each table is exactly one code or one range, never both or neither.
        let single = e.code.is_some() && e.first.is_none() && e.last.is_none();
        let range = e.code.is_none() && matches!((e.first, e.last), (Some(f), Some(l)) if f <= l);
        assert!(
            single ^ range,
            "close entry {:?} is neither a code nor a range",
            e.name
        );
        assert!(!e.name.is_empty() && !e.meaning.is_empty(), "{:?}", e.name);
        assert!(!e.causes.is_empty() && !e.fixes.is_empty(), "{:?}", e.name);
    }
    for e in &raw.http {
        let single = e.status.is_some() && e.first.is_none() && e.last.is_none();
        let range = e.status.is_none() && matches!((e.first, e.last), (Some(f), Some(l)) if f <= l);
        assert!(
            single ^ range,
            "http entry {:?} is neither a status nor a range",
            e.name
        );
        assert!(!e.meaning.is_empty(), "{:?}", e.name);
    }
    // The lazily parsed catalog is the real one, not the empty fallback.
    assert_eq!(catalog().close.len(), raw.close.len());
    for code in 0..=u16::MAX {
        assert!(
            catalog().find_close(code).is_some(),
            "close code {code} uncovered"
        );
    }
    for status in 100..=599 {
        assert!(http_status(status).is_some(), "HTTP {status} uncovered");
    }
}

#[test]
fn every_standard_code_has_its_own_entry() {
    let names = [
        (1000, "Normal Closure"),
        (1001, "Going Away"),
        (1002, "Protocol Error"),
        (1003, "Unsupported Data"),
        (1004, "Reserved"),
        (1005, "No Status Received"),
        (1006, "Abnormal Closure"),
        (1007, "Invalid Frame Payload Data"),
        (1008, "Policy Violation"),
        (1009, "Message Too Big"),
        (1010, "Mandatory Extension"),
        (1011, "Internal Error"),
        (1012, "Service Restart"),
        (1013, "Try Again Later"),
        (1014, "Bad Gateway"),
        (1015, "TLS Handshake Failure"),
    ];
    for (code, name) in names {
        let info = close_code(code);
        assert!(info.specific, "{code}");
        assert_eq!(info.name, name, "{code}");
        assert_eq!(info.class, CodeClass::Standard, "{code}");
        // 1004 is reserved and 1005/1006/1015 are local-only: never on the wire.
        let never = matches!(code, 1004 | 1005 | 1006 | 1015);
        assert_eq!(info.on_wire, !never, "{code}");
    }
    assert_eq!(close_code(1006).sent_by, SentBy::Local);
    assert_eq!(close_code(1011).sent_by, SentBy::Server);
    assert_eq!(close_code(1010).sent_by, SentBy::Client);
}

#[test]
fn ranges_fall_back_by_class() {
    let rows = [
        (0, CodeClass::Invalid, "Not used", false),
        (999, CodeClass::Invalid, "Not used", false),
        (1016, CodeClass::Reserved, "Reserved", false),
        (2999, CodeClass::Reserved, "Reserved", false),
        (3001, CodeClass::Registered, "Registered", true),
        (4000, CodeClass::Application, "Application", true),
        (4999, CodeClass::Application, "Application", true),
        (5000, CodeClass::Invalid, "Invalid", false),
        (u16::MAX, CodeClass::Invalid, "Invalid", false),
    ];
    for (code, class, name, on_wire) in rows {
        let info = close_code(code);
        assert_eq!(info.code, code);
        assert_eq!(info.class, class, "{code}");
        assert!(!info.specific, "{code}");
        assert!(info.name.contains(name), "{code}: {}", info.name);
        assert_eq!(info.on_wire, on_wire, "{code}");
    }
}

#[test]
fn common_registered_codes_have_names() {
    for (code, name) in [
        (3000, "Unauthorized"),
        (3003, "Forbidden"),
        (3008, "Timeout"),
    ] {
        let info = close_code(code);
        assert!(info.specific);
        assert_eq!(info.name, name);
        assert_eq!(info.class, CodeClass::Registered);
    }
}

#[test]
fn protocol_error_entry_notes_the_tungstenite_quirk() {
    let note = close_code(1002).note.unwrap_or_default();
    for word in [
        "tungstenite",
        "1004",
        "1014",
        "1016-2999",
        "Protocol violation",
    ] {
        assert!(note.contains(word), "1002 note lacks {word}: {note}");
    }
    // The codes it rewrites say so too.
    for code in [1004, 1014, 1016, 2999] {
        let note = close_code(code).note.unwrap_or_default();
        assert!(note.contains("1002"), "{code}: {note}");
    }
}

#[test]
fn handshake_statuses_say_what_they_mean_for_an_upgrade() {
    let rows: [(u16, &[&str]); 15] = [
        (101, &["open"]),
        (200, &["ordinary page"]),
        (301, &["redirect", "1006"]),
        (302, &["redirect"]),
        (307, &["redirect"]),
        (308, &["redirect"]),
        (400, &["Upgrade", "proxy"]),
        (401, &["403", "proxy"]),
        (403, &["accept()", "AllowedHostsOriginValidator", "Origin"]),
        (404, &["WSGIServer", "runserver", "Daphne"]),
        (426, &["Upgrade"]),
        (500, &["No route found", "connect()"]),
        (502, &["proxy"]),
        (503, &["temporarily"]),
        (504, &["too long"]),
    ];
    for (status, words) in rows {
        let info = http_status(status).expect("known status");
        assert!(info.specific, "{status}");
        for word in words {
            assert!(
                info.meaning.contains(word),
                "{status} lacks {word:?}: {}",
                info.meaning
            );
        }
    }
    let unknown = http_status(418).expect("4xx class");
    assert!(!unknown.specific);
    assert_eq!(unknown.name, "Client error");
    assert!(http_status(99).is_none());
    assert!(http_status(600).is_none());
}
