//! Sockets that opened and then closed: every standard close code, the
//! ranges, local causes, auth closes and the tungstenite 1002 quirk.

use super::*;
use DiagnosisKind as K;
use LocalCause as L;

#[test]
fn opened_and_closed() {
    check_rows(vec![
        Row::new(
            "ok",
            closed(1000, "", Closer::Client, Some(L::UserRequest), 30),
            K::Ok,
        )
        .says(&["closed it normally", "30.0 s", "you asked"]),
        Row::new(
            "ok, no cause",
            closed(1000, "", Closer::Client, None, 5),
            K::Ok,
        ),
        Row::new(
            "client going away",
            closed(1001, "", Closer::Client, Some(L::Shutdown), 5),
            K::ClosedByClient,
        )
        .says(&["wsmon closed", "1001 Going Away", "profile switch or quit"]),
        Row::new(
            "abnormal",
            closed(1006, "", Closer::Network, None, 754),
            K::AbnormalClosure,
        )
        .says(&["12 min 34 s", "without a close frame", "1006"])
        .fixes(&["died or restarted", "proxy", "network"]),
        Row::new(
            "abnormal at 60 s",
            closed(1006, "", Closer::Network, None, 60),
            K::AbnormalClosure,
        )
        .fixes(&["proxy_read_timeout"]),
        Row::new(
            "abnormal at 100 s",
            closed(1006, "", Closer::Network, None, 100),
            K::AbnormalClosure,
        )
        .fixes(&["Cloudflare"]),
        Row::new(
            "heartbeat",
            closed(1006, "", Closer::Client, Some(L::HeartbeatTimeout), 300),
            K::HeartbeatTimeout,
        )
        .says(&["No pong", "half-open", "5 min 0 s"])
        .fixes(&["ping_interval", "blocked"]),
        Row::new(
            "too big, local",
            closed(1009, "", Closer::Client, Some(L::MessageTooBig), 2),
            K::MessageTooBig,
        )
        .says(&["larger than wsmon accepts"])
        .fixes(&["smaller messages"]),
        Row::new(
            "too big, server",
            closed(1009, "frame too large", Closer::Server, None, 2),
            K::MessageTooBig,
        )
        .says(&["1009 Message Too Big", "frame too large"])
        .fixes(&["1 MiB"]),
        Row::new(
            "protocol violation, local",
            closed(1002, "", Closer::Client, Some(L::ProtocolViolation), 2),
            K::ProtocolError,
        )
        .says(&["framing rules", "1002"]),
        Row::new(
            "invalid utf-8, local",
            closed(1007, "", Closer::Client, Some(L::InvalidUtf8), 2),
            K::ProtocolError,
        )
        .says(&["not valid UTF-8", "the server sent"])
        .fixes(&["binary"]),
        Row::new(
            "1002 quirk",
            closed(1002, "Protocol violation", Closer::Server, None, 2),
            K::ProtocolError,
        )
        .says(&["tungstenite", "1004, 1014 or 1016-2999"])
        .fixes(&["4000-4999"]),
        Row::new(
            "1002 from server",
            closed(1002, "bad frame", Closer::Server, None, 2),
            K::ProtocolError,
        )
        .says(&["1002 Protocol Error", "bad frame"]),
        Row::new(
            "server 1011",
            closed(1011, "", Closer::Server, None, 42),
            K::ClosedByServer,
        )
        .says(&["1011 Internal Error", "42.0 s"])
        .fixes(&["traceback"]),
        Row::new(
            "server 1012",
            closed(1012, "", Closer::Server, None, 1),
            K::ClosedByServer,
        )
        .says(&["1012 Service Restart"])
        .fixes(&["backoff"]),
        Row::new(
            "server 1005",
            closed(1005, "", Closer::Server, None, 1),
            K::ClosedByServer,
        )
        .says(&["without a status code", "1005"]),
        Row::new(
            "server 4040 named",
            closed(4040, "no such room", Closer::Server, None, 1),
            K::ClosedByServer,
        )
        .says(&[
            "4040 \"room_not_found\"",
            "application-defined",
            "no such room",
        ])
        .fixes(&["close(code=4040)"]),
        Row::new(
            "server 4005 unnamed",
            closed(4005, "", Closer::Server, None, 1),
            K::ClosedByServer,
        )
        .says(&["4005", "not named in this profile"])
        .fixes(&["[close_codes]"]),
        Row::new(
            "server 3008",
            closed(3008, "", Closer::Server, None, 1),
            K::ClosedByServer,
        )
        .says(&["3008 Timeout"]),
        Row::new(
            "server 3100",
            closed(3100, "", Closer::Server, None, 1),
            K::ClosedByServer,
        )
        .says(&["3100 (registered by a library or framework)"]),
    ]);
}

#[test]
fn auth_close_codes() {
    check_rows(vec![
        Row::new(
            "4001 named, REST invalid",
            closed(4001, "Invalid token", Closer::Server, None, 1),
            K::AuthRejected,
        )
        .check(Verdict::Invalid, Some("Invalid token."))
        .says(&[
            "accepted the socket",
            "4001 \"token_invalid\"",
            "reason \"Invalid token\"",
            "token is invalid",
        ])
        .fixes(&["new token", "close(code=4001)"]),
        Row::new(
            "4003, REST valid",
            closed(4003, "", Closer::Server, None, 1),
            K::AuthRejected,
        )
        .check(Verdict::Valid, None)
        .says(&["4003", "other than the token"])
        .fixes(&["close(code=4003)", "permissions"]),
        Row::new(
            "1008",
            closed(1008, "policy", Closer::Server, None, 1),
            K::AuthRejected,
        )
        .says(&["1008 Policy Violation"]),
        Row::new(
            "3000",
            closed(3000, "", Closer::Server, None, 1),
            K::AuthRejected,
        )
        .says(&["3000 Unauthorized"]),
        Row::new(
            "3003, no token in URL",
            closed(3003, "", Closer::Server, None, 1),
            K::AuthRejected,
        )
        .no_token()
        .says(&["3003 Forbidden", "URL carries no token"])
        .fixes(&["?token={token}"]),
    ]);
}

/// Every standard code, as the server's close (1006 as a dropped
/// connection): the kind it lands in, and the code named in the summary.
#[test]
fn every_standard_close_code() {
    let rows = [
        (1000, K::ClosedByServer, "Normal Closure"),
        (1001, K::ClosedByServer, "Going Away"),
        (1002, K::ProtocolError, "1002"),
        (1003, K::ClosedByServer, "Unsupported Data"),
        (1004, K::ClosedByServer, "1004 Reserved"),
        (1005, K::ClosedByServer, "1005"),
        (1006, K::AbnormalClosure, "1006"),
        (1007, K::ProtocolError, "1007"),
        (1008, K::AuthRejected, "Policy Violation"),
        (1009, K::MessageTooBig, "Message Too Big"),
        (1010, K::ClosedByServer, "Mandatory Extension"),
        (1011, K::ClosedByServer, "Internal Error"),
        (1012, K::ClosedByServer, "Service Restart"),
        (1013, K::ClosedByServer, "Try Again Later"),
        (1014, K::ClosedByServer, "Bad Gateway"),
        (1015, K::ClosedByServer, "TLS Handshake Failure"),
    ];
    let rows = rows
        .iter()
        .map(|(code, kind, word)| {
            let by = if *code == 1006 {
                Closer::Network
            } else {
                Closer::Server
            };
            Row::new("standard code", closed(*code, "", by, None, 3), *kind)
                .says(std::slice::from_ref(word))
        })
        .collect();
    check_rows(rows);
}

#[test]
fn hostile_close_reason_is_neutralised() {
    let reason = format!(
        "\u{1b}[31mred\u{1b}[0m \u{202E}txt.exe\u{2066} {}",
        "z".repeat(300)
    );
    let d = run(&Row::new(
        "",
        closed(4040, &reason, Closer::Server, None, 1),
        K::ClosedByServer,
    ));
    assert!(
        !d.summary.contains('\u{1b}')
            && !d.summary.contains('\u{202E}')
            && !d.summary.contains('\u{2066}')
    );
    assert!(d.summary.contains("\u{FFFD}[31mred"), "{}", d.summary);
    assert!(
        d.summary.contains('…'),
        "long reason not cut: {}",
        d.summary
    );
}
