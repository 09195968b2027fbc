//! Rows built from answers real servers sent (see the evidence module's
//! tables): the classifier must name who answered, quote them, and never
//! advise what was already sent.

use super::*;
use crate::diagnose::evidence::{Sent, TokenPlace};
use DiagnosisKind as K;

fn sent_origin(origin: &str) -> Sent {
    Sent::new(
        &[("Origin".to_string(), origin.to_string())],
        &[],
        vec![TokenPlace::Url],
    )
}

fn raw(kind: FailureKind, message: &str, http: Option<HttpAnswer>, bytes: &str) -> AttemptRecord {
    record(Outcome::Failed(ConnectFailure {
        stage: Stage::Handshake,
        kind,
        message: message.to_string(),
        http,
        raw_answer: Some(bytes.to_string()),
    }))
}

#[test]
fn evidence_rows() {
    let django_404_chunked = "b3\r\n\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n\r\n0\r\n\r\n";
    check_rows(vec![
        Row::new(
            "uvicorn without a WebSocket library",
            answered(404, &[("server", "uvicorn"), ("content-type", "application/json")], "{\"detail\":\"Not Found\"}"),
            K::NotWebsocketServer,
        )
        .says(&["uvicorn", "\"Not Found\"", "no WebSocket library"])
        .fixes(&["uvicorn[standard]", "websockets"])
        .never(&["websocket_urlpatterns", "Daphne", "Channels"]),
        Row::new(
            "FastAPI's 404 through nginx: uvicorn without a WebSocket library, or the upgrade dropped",
            answered(404, &[("Server", "nginx/1.22.1"), ("content-type", "application/json")], "{\"detail\":\"Not Found\"}"),
            K::NotWebsocketServer,
        )
        .check(Verdict::Valid, None)
        .says(&["nginx/1.22.1", "\"Not Found\"", "no WebSocket library", "did not forward the upgrade"])
        .fixes(&["uvicorn[standard]", "proxy_set_header Upgrade $http_upgrade"])
        .never(&["websocket_urlpatterns", "Daphne"]),
        Row::new(
            "nginx dropped the upgrade, Django answered",
            answered(404, &[("Server", "nginx/1.22.1"), ("Transfer-Encoding", "chunked")], django_404_chunked),
            K::ProxyError,
        )
        .url("ws://127.0.0.1:8080/ws/notifications/?token=3f1c…")
        .check(Verdict::Valid, None)
        .says(&["nginx/1.22.1", "did not forward the upgrade", "Django", "The requested resource was not found", "REST token check through the same address works"])
        .fixes(&["proxy_set_header Upgrade $http_upgrade", "Connection \"upgrade\""]),
        Row::new(
            "python websockets: missing Origin header, none sent",
            answered(403, &[("Server", "Python/3.11 websockets/17.4"), ("Content-Type", "text/plain; charset=utf-8")], "Failed to open a WebSocket connection: missing Origin header.\n"),
            K::OriginRefused,
        )
        .no_token()
        .says(&["missing Origin header"])
        .fixes(&["Origin"])
        .never(&["Add the token to the endpoint URL"]),
        Row::new(
            "node ws origin refused although sent",
            answered(403, &[("Connection", "close"), ("Content-Type", "text/html"), ("Content-Length", "18")], "Origin not allowed"),
            K::OriginRefused,
        )
        .sent(sent_origin("http://127.0.0.1:8080"))
        .check(Verdict::Valid, None)
        .says(&["Origin not allowed", "http://127.0.0.1:8080", "allowed origins"])
        .never(&["add headers = { Origin", "AllowedHostsOriginValidator"]),
        Row::new(
            "Daphne's bare 403 to a foreign Origin: the Origin validator",
            answered(403, &[], ""),
            K::OriginRefused,
        )
        .sent(sent_origin("http://evil.example"))
        .check(Verdict::Valid, None)
        .says(&["Origin \"http://evil.example\"", "AllowedHostsOriginValidator", "the token is fine"])
        .fixes(&["Origin = \"http://127.0.0.1:8000\"", "add \"evil.example\" to ALLOWED_HOSTS"])
        .never(&["refuses it", "already sends Origin"]),
        Row::new(
            "Daphne's bare 403 to the socket's own host: not the Origin",
            answered(403, &[], ""),
            K::AuthRejected,
        )
        .sent(sent_origin("http://127.0.0.1:3000"))
        .check(Verdict::Valid, None)
        .fixes(&["already sends Origin \"http://127.0.0.1:3000\""]),
        Row::new(
            "Daphne's bare 403 to a foreign Origin with a refused token: the token",
            answered(403, &[], ""),
            K::AuthRejected,
        )
        .sent(sent_origin("http://evil.example"))
        .check(Verdict::Invalid, Some("Invalid token."))
        .says(&["REST API rejects"]),
        Row::new(
            "node ws 403 without words, Origin sent",
            answered(403, &[("Connection", "close"), ("Content-Type", "text/html"), ("Content-Length", "0")], ""),
            K::AuthRejected,
        )
        .sent(sent_origin("https://app.example.com"))
        .check(Verdict::Valid, None)
        .fixes(&["already sends Origin \"https://app.example.com\""])
        .never(&["add headers = { Origin", "consumer's connect()"]),
        Row::new(
            "close code as status, token expired",
            raw(
                FailureKind::Protocol,
                "HTTP error: httparse error: invalid response status",
                None,
                "HTTP/1.1 4002 undefined\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: 13\r\n\r\ntoken expired",
            ),
            K::AuthRejected,
        )
        .check(Verdict::Invalid, Some("Invalid token."))
        .says(&["HTTP/1.1 4002 undefined", "token expired", "close code", "REST API rejects"])
        .fixes(&["cb(false, 401", "Get a new token"])
        .never(&["wss://", "TLS"]),
        Row::new(
            "malformed status, no known words",
            raw(FailureKind::Protocol, "httparse error: invalid response status", None, "HTTP/1.1 99999 Weird\r\n\r\n"),
            K::ProtocolError,
        )
        .says(&["HTTP/1.1 99999 Weird"])
        .never(&["wss://"]),
        Row::new(
            "garbage that is not HTTP",
            raw(FailureKind::Protocol, "httparse error: invalid HTTP version", None, "SSH-2.0-OpenSSH_9.2\r\n"),
            K::ProtocolError,
        )
        .says(&["SSH-2.0-OpenSSH_9.2\\r\\n"])
        .never(&["wss://"]),
        Row::new(
            "TLS bytes on ws:// still mean wss",
            raw(FailureKind::Protocol, "httparse error: invalid HTTP version", None, "\u{15}\u{3}\u{1}\u{0}\u{2}\u{2}\u{a}"),
            K::WrongScheme,
        )
        .fixes(&["wss://"]),
        Row::new(
            "python websockets 429 with Retry-After",
            answered(429, &[("Retry-After", "20"), ("Server", "Python/3.11 websockets/17.4")], "Too many connections, retry later\n"),
            K::RateLimited,
        )
        .says(&["rate limited", "Retry-After: 20", "20.0 s", "Too many connections, retry later"]),
        Row::new(
            "python websockets 401 invalid_token without a REST check",
            answered(401, &[("WWW-Authenticate", "Bearer error=\"invalid_token\""), ("Server", "Python/3.11 websockets/17.4")], "{\"error\": \"invalid_token\"}\n"),
            K::AuthRejected,
        )
        .says(&["invalid_token", "the credentials were refused"])
        .fixes(&["Get a new token"])
        .never(&["Django Channels answers 403"]),
        Row::new(
            "an HTTP error page after the 101",
            raw(
                FailureKind::Protocol,
                crate::facts::NOT_A_FRAME,
                None,
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\nHTTP/1.1 500 Internal Server Error\r\n\r\nboom",
            ),
            K::ProtocolError,
        )
        .says(&["answered 101", "HTTP answer written onto the upgraded socket", "HTTP/1.1 500 Internal Server Error\\r\\n"])
        .never(&["wss://"]),
        Row::new(
            "uvicorn 403: close before accept",
            answered(403, &[("server", "uvicorn"), ("content-length", "0")], ""),
            K::AuthRejected,
        )
        .check(Verdict::Valid, None)
        .fixes(&["websocket.close() before accept()"])
        .never(&["AllowedHostsOriginValidator", "asgi.py"]),
        Row::new(
            "close reason says the token expired",
            closed(4000, "token expired", Closer::Server, None, 3),
            K::AuthRejected,
        )
        .says(&["token expired"]),
        Row::new(
            "close reason says the origin is refused",
            closed(1008, "Origin not allowed", Closer::Server, None, 0),
            K::OriginRefused,
        )
        .sent(sent_origin("http://127.0.0.1:8000"))
        .fixes(&["\"http://127.0.0.1:8000\""]),
        Row::new(
            "an answer cut short",
            raw(FailureKind::Io, "Connection reset by peer (os error 104)", None, "HTTP/1.1 404 Not"),
            K::HandshakeFailed,
        )
        .url("ws://127.0.0.1:443/ws/")
        .says(&["began an HTTP answer", "HTTP 404"])
        .never(&["wss://"]),
        Row::new(
            "subprotocol not chosen",
            failed(Stage::Handshake, FailureKind::Protocol, "WebSocket protocol error: SubProtocol error: Server sent no subprotocol"),
            K::ProtocolError,
        )
        .sent(Sent::new(&[], &["graphql-transport-ws".into()], vec![]))
        .says(&["graphql-transport-ws", "chose none"]),
    ]);
}

#[test]
fn evidence_and_answered_by_are_filled() {
    let rec = answered(404, &[("server", "uvicorn")], "{\"detail\":\"Not Found\"}");
    let names = profile_names();
    let sent = sent_origin("http://127.0.0.1:8000");
    let d = diagnose(&Facts {
        record: &rec,
        shown_url: URL,
        url_has_token: true,
        token_check: None,
        token_check_configured: false,
        close_codes: &names,
        sent: Some(&sent),
    });
    assert_eq!(
        d.answered_by.as_deref(),
        Some("FastAPI/Starlette on uvicorn")
    );
    let ev = d.evidence.join(" | ");
    for want in [
        "answered HTTP 404",
        "Server: uvicorn",
        "the server said \"Not Found\"",
        "sent Origin: http://127.0.0.1:8000",
        "token sent in the URL",
    ] {
        assert!(ev.contains(want), "{want:?} not in {ev}");
    }
}
