//! Attempts that failed below HTTP: resolving, connecting, TLS, and
//! handshakes that broke the rules or were cut off. Classified from the
//! failure kind and, since libraries wrap errors loosely, the message.

use super::{Facts, Target, diag};
use crate::diagnose::text::excerpt;
use crate::diagnose::{Diagnosis, DiagnosisKind};
use crate::facts::Stage;
use crate::text_safe::visible;

/// rustls failures, as their messages read when wrapped in an I/O error.
pub(super) fn looks_like_tls(lower: &str) -> bool {
    [
        "invalid peer certificate",
        "invalidcontenttype",
        "corrupt message",
        "received fatal alert",
        "peer is incompatible",
        "peer misbehaved",
        "tls error",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

pub(super) fn dns(t: &Target, msg: &str) -> Diagnosis {
    diag(
        DiagnosisKind::DnsFailure,
        format!("The host name \"{}\" did not resolve ({msg}).", t.host),
        vec![
            "Check the spelling of the host in the profile's server URL.".into(),
            "For a server on this machine use 127.0.0.1 or localhost.".into(),
            "If the name exists only on a VPN or an internal DNS, connect to it first.".into(),
        ],
    )
}

pub(super) fn refused(t: &Target) -> Diagnosis {
    let port = t.port.map_or_else(|| "PORT".to_string(), |p| p.to_string());
    diag(
        DiagnosisKind::ConnectionRefused,
        format!(
            "Nothing is listening on {}: the TCP connection was refused, so the server is not running there.",
            t.addr()
        ),
        vec![
            format!(
                "Start the server on that port (for a Django Channels project, e.g. `{}`, with your project's package instead of `project`).",
                t.daphne_command()
            ),
            format!(
                "Check that the server listens on port {port}, the one in the URL (`ss -ltnp` lists listening ports)."
            ),
            "If the server runs in a container, it must bind 0.0.0.0 and publish the port.".into(),
        ],
    )
}

pub(super) fn timeout(t: &Target, stage: Stage) -> Diagnosis {
    let addr = t.addr();
    match stage {
        Stage::Dns => diag(
            DiagnosisKind::ConnectTimeout,
            format!("Resolving \"{}\" did not finish within the connect timeout.", t.host),
            vec![
                "The DNS server is slow or unreachable: try the server's IP address.".into(),
                "If the name exists only on a VPN, connect to it first.".into(),
            ],
        ),
        Stage::Tcp => diag(
            DiagnosisKind::ConnectTimeout,
            format!("No TCP connection to {addr} within the connect timeout: nothing answered at all, not even a refusal."),
            vec![
                format!("A firewall or security group silently drops packets to {addr} (a closed port on a reachable host is refused, not silent)."),
                "The host is down or the address is wrong (an address from another network, an old IP).".into(),
                "Raise connect_timeout only if the network is merely slow.".into(),
            ],
        ),
        Stage::Handshake => {
            let mut fixes = vec![
                "The server accepted the connection but is stuck: a blocked event loop or a synchronous call in an async consumer; check whether its console shows the request.".to_string(),
                "A proxy in between may be holding the request: connect to the backend directly to compare.".to_string(),
            ];
            if !t.is_tls() && matches!(t.port, Some(443 | 8443)) {
                fixes.insert(
                    0,
                    format!("{} usually speaks TLS: try {}.", t.addr(), t.with_scheme("wss")),
                );
            }
            diag(
                DiagnosisKind::HandshakeTimeout,
                format!("TCP to {addr} connected, but no answer to the WebSocket upgrade came within the connect timeout."),
                fixes,
            )
        }
    }
}

/// `message` is the whole error (its excerpts are made here: the
/// certificate and trust parts are read from it first).
pub(super) fn tls(t: &Target, lower: &str, message: &str) -> Diagnosis {
    let addr = t.addr();
    let msg = &excerpt(message.split(" [certificate: ").next().unwrap_or(message))
        .replace("Other(OtherError(", "");
    // A plain-HTTP answer ("HTTP/1.1 400…") read as a TLS record has an
    // invalid content type: the port speaks HTTP, not TLS.
    if lower.contains("invalidcontenttype") {
        return diag(
            DiagnosisKind::WrongScheme,
            format!("wss:// was used but {addr} answered in plain HTTP, not TLS (\"{msg}\")."),
            vec![
                format!(
                    "Use {} (the server has no TLS on this port).",
                    t.with_scheme("ws")
                ),
                "Or put TLS in front of it (a proxy such as nginx or Caddy terminating TLS)."
                    .into(),
            ],
        );
    }
    // wsmon's verifier appends `[certificate: …]` (what the server
    // presented) and `[trusted: …]` (system store, web roots, ca_file) to
    // a refusal: say both in words, and keep the rustls reason short.
    let presented = bracket(message, "[certificate: ").map(visible);
    let trusted = bracket(message, "[trusted: ").map(visible);
    let listed = message.contains("[listed in ca_file]");
    let with_ca_file = trusted.as_ref().is_some_and(|t| t.contains("ca_file"));
    let trusts = trusted.as_ref().map_or_else(
        || "the system store and the Mozilla web roots".to_string(),
        |t| t.to_string(),
    );
    let untrusted = if with_ca_file {
        format!(
            "Not issued by anything wsmon trusts ({trusts}): check that ca_file holds the CA that issued the server's certificate (or the certificate itself), in PEM."
        )
    } else {
        format!(
            "A self-signed or private-CA certificate: wsmon trusts {trusts}. Add the CA (or the self-signed certificate itself) as `ca_file` in the profile, install it in the system store (or point SSL_CERT_FILE at it), or use ws:// for a development server."
        )
    };
    let (reason, fixes): (&str, Vec<String>) = if lower.contains("causedasendentity") {
        // What `openssl req -x509` makes: a CA certificate served as a leaf.
        (
            "the server presents a self-signed CA certificate as its own (CaUsedAsEndEntity)",
            vec![untrusted],
        )
    } else if lower.contains("unknownissuer") || lower.contains("unknown issuer") {
        (
            "the certificate was issued by an authority wsmon does not trust (unknown issuer)",
            vec![
                untrusted,
                "If the certificate is from a public CA, the server may not send the intermediate certificate: serve the full chain (fullchain.pem).".into(),
                "Behind a TLS-inspecting company proxy, every certificate is issued by the proxy's own CA (see the issuer above): install that CA in the system store (as browsers use it) or name it in ca_file.".into(),
            ],
        )
    } else if lower.contains("notvalidforname") || lower.contains("not valid for name") {
        let mut fixes = vec![
            "Connect using a name the certificate lists (named above).".to_string(),
            format!(
                "Or reissue the certificate with {} in its subjectAltName.",
                t.host
            ),
            format!(
                "wsmon sent {} as the TLS server name (SNI): a server, load balancer or TLS-intercepting proxy that has no certificate for that name answers with its default one, whose names are the ones listed; check which certificate it serves for {}.",
                t.host, t.host
            ),
        ];
        if listed {
            fixes.insert(
                0,
                "The certificate is the one in ca_file, and is trusted, but only for the names it lists.".into(),
            );
        }
        (
            "the certificate is not valid for this host name (name mismatch)",
            fixes,
        )
    } else if lower.contains("notvalidyet") || lower.contains("not valid yet") {
        (
            "the certificate is not valid yet",
            vec!["Check this machine's clock and date.".into()],
        )
    } else if lower.contains("expired") {
        (
            "the server's certificate has expired",
            vec![
                "Renew the certificate on the server (e.g. certbot renew) and reload it.".into(),
                "Check this machine's clock and date.".into(),
            ],
        )
    } else if lower.contains("invalid peer certificate") {
        ("the server's certificate was rejected", vec![untrusted])
    } else {
        (
            "see the TLS error",
            vec![
                "The server may require another TLS version, a client certificate or a different SNI name.".into(),
                format!("If {addr} does not speak TLS at all, use ws://."),
            ],
        )
    };
    let mut summary = format!("The TLS handshake with {addr} failed: {reason} (\"{msg}\").");
    if let Some(presented) = presented {
        summary.push_str(&format!(" The server presented: {presented}."));
    }
    if trusted.is_some() {
        summary.push_str(&format!(" wsmon trusted {trusts}."));
    }
    diag(DiagnosisKind::TlsError, summary, fixes)
}

/// The text inside `open…]` in `msg`, if any.
fn bracket<'m>(msg: &'m str, open: &str) -> Option<&'m str> {
    let start = msg.find(open)? + open.len();
    let len = msg[start..].find(']')?;
    Some(&msg[start..start + len])
}

/// [`protocol`], with the bytes recorded during the upgrade: a parse
/// failure is only "the port speaks TLS" when the bytes say so (or none
/// were recorded).
pub(super) fn protocol_with(t: &Target, lower: &str, msg: &str, raw: &str) -> Diagnosis {
    use crate::diagnose::evidence::raw as rawbytes;
    if raw.is_empty() || rawbytes::looks_like_tls(raw) {
        return protocol(t, lower, msg);
    }
    let bytes = rawbytes::escaped(raw, 160);
    diag(
        DiagnosisKind::ProtocolError,
        format!(
            "{} answered the upgrade with bytes that are not a valid HTTP answer (\"{msg}\"); what arrived: \"{bytes}\".",
            t.addr()
        ),
        vec![
            "Something other than an HTTP server answers on this port, or the server writes a broken answer: compare with `curl -i` against the same URL (with http:// instead of ws://).".into(),
            "Connect to the server directly, bypassing any proxy, to see which one breaks the answer.".into(),
        ],
    )
}

/// A 101 followed by bytes that cannot start a WebSocket frame: usually
/// an HTTP error page written onto the upgraded socket by a server (or a
/// proxy) that accepted the upgrade and then failed.
pub(super) fn not_a_frame(t: &Target, raw: &str) -> Diagnosis {
    use crate::diagnose::evidence::raw as rawbytes;
    let after = raw.split_once("\r\n\r\n").map_or("", |(_, rest)| rest);
    let bytes = rawbytes::escaped(after, 160);
    let http = after.starts_with("HTTP/");
    let what = if http {
        "an HTTP answer written onto the upgraded socket"
    } else {
        "bytes that cannot start a WebSocket frame"
    };
    diag(
        DiagnosisKind::ProtocolError,
        format!(
            "{} answered 101 Switching Protocols, then sent {what}: \"{bytes}\".",
            t.addr()
        ),
        vec![
            "The server (or a proxy) accepted the upgrade and then wrote plain HTTP or text on the socket: read its console at the time; a handler that fails after the 101 must close with a close frame (1011), not write an error page.".into(),
            "Connect to the server directly, bypassing any proxy, to see which one writes it.".into(),
        ],
    )
}

/// The server's 101 did not agree with the subprotocols offered: none
/// returned although some were offered, one never offered, or one when
/// none was.
pub(super) fn subprotocol(facts: &Facts<'_>, t: &Target, lower: &str, msg: &str) -> Diagnosis {
    let offered = facts
        .sent
        .map(|s| s.subprotocols.join(", "))
        .filter(|s| !s.is_empty());
    let (what, fix) = if lower.contains("nosubprotocol") || lower.contains("no subprotocol") {
        (
            format!(
                "wsmon offered the subprotocol{} {} but the server's 101 chose none",
                if offered.as_deref().is_some_and(|o| o.contains(',')) { "s" } else { "" },
                excerpt(offered.as_deref().unwrap_or("list"))
            ),
            "The server does not speak the offered subprotocol: check which one it expects (its docs or a browser's Sec-WebSocket-Protocol) and list that one in the endpoint's subprotocols; a client must fail such a 101 (RFC 6455 §4.1).".to_string(),
        )
    } else if lower.contains("nonerequested") || lower.contains("none requested") {
        (
            "the server's 101 chose a subprotocol although wsmon offered none".to_string(),
            "Add the subprotocol the server requires to the endpoint's subprotocols.".to_string(),
        )
    } else {
        (
            format!(
                "the server's 101 chose a subprotocol wsmon did not offer (offered: {})",
                excerpt(offered.as_deref().unwrap_or("none"))
            ),
            "List the subprotocol the server picks in the endpoint's subprotocols.".to_string(),
        )
    };
    diag(
        DiagnosisKind::ProtocolError,
        format!("{} answered 101 but {what} (\"{msg}\").", t.addr()),
        vec![fix],
    )
}

pub(super) fn protocol(t: &Target, lower: &str, msg: &str) -> Diagnosis {
    let addr = t.addr();
    // TLS alert bytes instead of "HTTP/1.1": ws:// reached a TLS port.
    if !t.is_tls() && (lower.contains("invalid http version") || lower.contains("httparse")) {
        return diag(
            DiagnosisKind::WrongScheme,
            format!(
                "ws:// was used but {addr} did not answer in HTTP (\"{msg}\"): the port most likely speaks TLS."
            ),
            vec![format!("Use {} instead.", t.with_scheme("wss"))],
        );
    }
    let mut fixes = Vec::new();
    if lower.contains("sec-websocket-accept") || lower.contains("key mismatch") {
        fixes.push("Something rewrote the handshake answer (a caching or buffering proxy), or the server computes Sec-WebSocket-Accept wrongly.".to_string());
    }
    if lower.contains("subprotocol") {
        fixes.push("The server picked a subprotocol wsmon did not offer, or none when one was offered: check the endpoint's subprotocols.".to_string());
    }
    fixes.push("Connect to the server directly, bypassing any proxy, to see which one breaks the handshake.".to_string());
    diag(
        DiagnosisKind::ProtocolError,
        format!("{addr} answered the upgrade but broke the WebSocket handshake rules (\"{msg}\")."),
        fixes,
    )
}

pub(super) fn io(t: &Target, msg: &str) -> Diagnosis {
    let addr = t.addr();
    // A TLS server hangs up on plaintext; on a TLS port that is the
    // likeliest reason. Elsewhere it stays one suggestion among others.
    if !t.is_tls() && matches!(t.port, Some(443 | 8443)) {
        return diag(
            DiagnosisKind::WrongScheme,
            format!(
                "ws:// was used on a TLS port and {addr} dropped the connection during the handshake (\"{msg}\"): the port most likely speaks TLS."
            ),
            vec![format!("Use {} instead.", t.with_scheme("wss"))],
        );
    }
    diag(
        DiagnosisKind::HandshakeFailed,
        format!("The connection to {addr} was dropped during the handshake (\"{msg}\")."),
        vec![
            "The server closed the connection without answering: it may have crashed on the request; check its console.".into(),
            format!("The port may speak another protocol (TLS: try {}).", t.with_scheme("wss")),
            "A proxy or firewall may reset WebSocket upgrades.".into(),
        ],
    )
}

pub(super) fn bad_url(t: &Target, msg: &str) -> Diagnosis {
    if matches!(t.scheme.as_str(), "http" | "https") {
        let ws = if t.is_tls() { "wss" } else { "ws" };
        return diag(
            DiagnosisKind::WrongScheme,
            format!(
                "The URL uses {}:// but WebSocket URLs use ws:// or wss:// (\"{msg}\").",
                t.scheme
            ),
            vec![format!("Use {} in the endpoint URL.", t.with_scheme(ws))],
        );
    }
    diag(
        DiagnosisKind::HandshakeFailed,
        format!("The endpoint URL cannot be dialled (\"{msg}\")."),
        vec![
            "Check the endpoint URL in the profile: a ws:// or wss:// scheme, a host, a path."
                .into(),
        ],
    )
}
