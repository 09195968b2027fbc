//! Attempts that failed below HTTP: DNS, TCP, TLS, broken handshakes.

use super::*;
use DiagnosisKind as K;

#[test]
fn transport_failures() {
    use FailureKind as F;
    check_rows(vec![
        Row::new("dns", failed(Stage::Dns, F::Dns, "failed to lookup address information: Name or service not known"), K::DnsFailure)
            .url("ws://api.exmaple.com/ws/x/")
            .says(&["api.exmaple.com", "did not resolve"])
            .fixes(&["spelling"]),
        Row::new("refused", failed(Stage::Tcp, F::ConnectionRefused, "Connection refused (os error 111)"), K::ConnectionRefused)
            .says(&["127.0.0.1:8000", "refused"])
            .fixes(&["daphne -b 127.0.0.1 -p 8000 project.asgi:application", "port 8000"]),
        Row::new("refused, remote host", failed(Stage::Tcp, F::ConnectionRefused, "refused"), K::ConnectionRefused)
            .url("ws://10.0.0.5:9000/ws/x/")
            .fixes(&["daphne -b 0.0.0.0 -p 9000"]),
        Row::new("refused as io", failed(Stage::Tcp, F::Io, "Connection refused (os error 111)"), K::ConnectionRefused),
        Row::new("timeout dns", failed(Stage::Dns, F::Timeout, "timed out"), K::ConnectTimeout).says(&["Resolving"]),
        Row::new("timeout tcp", failed(Stage::Tcp, F::Timeout, "timed out"), K::ConnectTimeout)
            .says(&["No TCP connection", "127.0.0.1:8000"])
            .fixes(&["firewall"]),
        Row::new("timeout handshake", failed(Stage::Handshake, F::Timeout, "timed out"), K::HandshakeTimeout)
            .says(&["connected", "no answer"])
            .fixes(&["blocked event loop"]),
        Row::new("timeout handshake ws on 443", failed(Stage::Handshake, F::Timeout, "timed out"), K::HandshakeTimeout)
            .url("ws://example.com:443/ws/x/")
            .fixes(&["wss://example.com/ws/x/"]),
        Row::new("tls unknown issuer", failed(Stage::Handshake, F::Tls, "invalid peer certificate: UnknownIssuer"), K::TlsError)
            .url("wss://dev.local:8443/ws/x/")
            .says(&["unknown issuer", "dev.local:8443"])
            .fixes(&["self-signed", "full chain"]),
        Row::new("tls name mismatch", failed(Stage::Handshake, F::Tls, "invalid peer certificate: certificate not valid for name \"a.com\"; certificate is only valid for b.com"), K::TlsError)
            .url("wss://a.com/ws/x/")
            .says(&["name mismatch"])
            .fixes(&["a.com in its subjectAltName"]),
        Row::new("tls expired", failed(Stage::Handshake, F::Tls, "invalid peer certificate: certificate expired: verification time 1, but certificate is not valid after 0"), K::TlsError)
            .url("wss://a.com/ws/x/")
            .says(&["expired"])
            .fixes(&["Renew", "clock"]),
        Row::new("tls not yet valid", failed(Stage::Handshake, F::Tls, "invalid peer certificate: NotValidYet"), K::TlsError)
            .url("wss://a.com/ws/x/")
            .says(&["not valid yet"]),
        Row::new("tls other", failed(Stage::Handshake, F::Tls, "received fatal alert: HandshakeFailure"), K::TlsError)
            .url("wss://a.com/ws/x/")
            .says(&["received fatal alert: HandshakeFailure"]),
        Row::new("wss to plain http", failed(Stage::Handshake, F::Tls, "received corrupt message of type InvalidContentType"), K::WrongScheme)
            .url("wss://127.0.0.1:8000/ws/notifications/?token=aec8e0e9a0…")
            .says(&["wss://", "plain HTTP"])
            .fixes(&["ws://127.0.0.1:8000/ws/notifications/"]),
        Row::new("ws to tls port (httparse)", failed(Stage::Handshake, F::Protocol, "httparse error: invalid HTTP version"), K::WrongScheme)
            .url("ws://example.com:443/ws/x/")
            .says(&["speaks TLS"])
            .fixes(&["wss://example.com/ws/x/"]),
        Row::new("ws to tls port (reset)", failed(Stage::Handshake, F::Io, "Connection reset by peer (os error 104)"), K::WrongScheme)
            .url("ws://example.com:443/ws/x/")
            .fixes(&["wss://"]),
        Row::new("protocol: accept key", failed(Stage::Handshake, F::Protocol, "Handshake error: Key mismatch in \"Sec-WebSocket-Accept\" header"), K::ProtocolError)
            .says(&["handshake rules", "Key mismatch"])
            .fixes(&["proxy"]),
        Row::new("protocol: subprotocol", failed(Stage::Handshake, F::Protocol, "Server sent no subprotocol"), K::ProtocolError)
            .fixes(&["subprotocols"]),
        Row::new("protocol: a 101 that failed", answered(101, &[], ""), K::ProtocolError),
        Row::new("io reset", failed(Stage::Handshake, F::Io, "Connection reset by peer (os error 104)"), K::HandshakeFailed)
            .says(&["dropped during the handshake", "reset by peer"])
            .fixes(&["crashed"]),
        Row::new("url http scheme", failed(Stage::Handshake, F::Url, "URL scheme not supported"), K::WrongScheme)
            .url("https://example.com/ws/x/")
            .says(&["https://"])
            .fixes(&["wss://example.com/ws/x/"]),
        Row::new("url other", failed(Stage::Handshake, F::Url, "No host name in the URL"), K::HandshakeFailed)
            .url("ws:///ws/x/")
            .says(&["cannot be dialled"]),
        Row::new("http status without answer", failed(Stage::Handshake, F::HttpStatus, "HTTP error: 418"), K::HandshakeFailed),
    ]);
}

/// Messages exactly as tokio-tungstenite 0.29 + rustls 0.23 reported them
/// against real servers (a plain TCP server answering 400, `openssl
/// s_server` with a self-signed and with a private-CA certificate). TLS and
/// resolver failures arrive as I/O errors there, so the engine may label
/// them `Io`: the classifier must still see what they are.
#[test]
fn messages_seen_from_real_servers() {
    use FailureKind as F;
    check_rows(vec![
        Row::new(
            "wss to plain http, as io",
            failed(
                Stage::Handshake,
                F::Io,
                "IO error: received corrupt message of type InvalidContentType",
            ),
            K::WrongScheme,
        )
        .url("wss://127.0.0.1:8000/ws/x/")
        .fixes(&["ws://127.0.0.1:8000/ws/x/"]),
        Row::new(
            "private CA, as io",
            failed(
                Stage::Handshake,
                F::Io,
                "IO error: invalid peer certificate: UnknownIssuer",
            ),
            K::TlsError,
        )
        .url("wss://localhost:8443/ws/x/")
        .says(&["unknown issuer"]),
        Row::new(
            "openssl req -x509 cert",
            failed(
                Stage::Handshake,
                F::Io,
                "IO error: invalid peer certificate: Other(OtherError(CaUsedAsEndEntity))",
            ),
            K::TlsError,
        )
        .url("wss://localhost:8443/ws/x/")
        .says(&["self-signed", "CaUsedAsEndEntity"])
        .fixes(&["ws://"]),
        Row::new(
            "other certificate error",
            failed(
                Stage::Handshake,
                F::Tls,
                "invalid peer certificate: BadSignature",
            ),
            K::TlsError,
        )
        .url("wss://localhost:8443/ws/x/")
        .says(&["rejected", "BadSignature"]),
        Row::new(
            "ws to a TLS port",
            failed(
                Stage::Handshake,
                F::Protocol,
                "WebSocket protocol error: Handshake not finished",
            ),
            K::HandshakeFailed,
        )
        .url("ws://127.0.0.1:18443/ws/x/")
        .says(&["dropped during the handshake"])
        .fixes(&["wss://127.0.0.1:18443/ws/x/"]),
        Row::new(
            "ws to 8443",
            failed(
                Stage::Handshake,
                F::Protocol,
                "WebSocket protocol error: Handshake not finished",
            ),
            K::WrongScheme,
        )
        .url("ws://127.0.0.1:8443/ws/x/")
        .fixes(&["wss://127.0.0.1:8443/ws/x/"]),
        Row::new(
            "refused",
            failed(
                Stage::Tcp,
                F::Io,
                "IO error: Connection refused (os error 111)",
            ),
            K::ConnectionRefused,
        ),
        Row::new(
            "dns, as io",
            failed(
                Stage::Dns,
                F::Io,
                "IO error: failed to lookup address information: Name or service not known",
            ),
            K::DnsFailure,
        )
        .url("ws://no-such-host.invalid/ws/")
        .says(&["no-such-host.invalid"]),
    ]);
}
