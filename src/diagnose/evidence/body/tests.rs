//! Table tests of the body reader: chunked decoding, the words quoted
//! from each body shape, and every phrase of the meaning table.

use super::*;

fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn chunked_bodies_are_decoded() {
    // nginx 1.22.1 passing Django's 404 page (observed).
    let raw = "b3\r\n\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n\r\n0\r\n\r\n";
    let said = Said::read(&h(&[("Transfer-Encoding", "chunked")]), raw);
    assert!(
        said.decoded.starts_with("\n<!doctype html>"),
        "{:?}",
        said.decoded
    );
    assert!(!said.decoded.contains("b3"));
    assert_eq!(
        said.words,
        "Not Found: The requested resource was not found on this server."
    );
    assert_eq!(said.meaning, Some(Meaning::NotFound));
    assert!(matches!(said.shape, Shape::Html { title: Some(_), .. }));
    // Several chunks, one cut off.
    assert_eq!(
        decode_chunked("3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n"),
        "abcdefg"
    );
    assert_eq!(decode_chunked("3\r\nabc\r\n10\r\ndef"), "abcdef");
    // Not chunked at all.
    assert_eq!(decode_chunked("hello"), "hello");
    assert_eq!(decode_chunked("zz\r\nhello"), "zz\r\nhello");
}

/// One row per body shape seen on a real server: the words quoted and
/// the meaning found.
#[test]
fn body_table() {
    let rows: &[(&str, &str, Option<Meaning>)] = &[
        // uvicorn + FastAPI without a WebSocket library (observed).
        (
            "{\"detail\":\"Not Found\"}",
            "Not Found",
            Some(Meaning::NotFound),
        ),
        // DRF.
        (
            "{\"detail\": \"Invalid token.\"}",
            "Invalid token.",
            Some(Meaning::TokenInvalid),
        ),
        // python websockets process_request (observed).
        (
            "{\"error\": \"invalid_token\"}\n",
            "invalid_token",
            Some(Meaning::TokenInvalid),
        ),
        (
            "Too many connections, retry later\n",
            "Too many connections, retry later",
            Some(Meaning::RateLimited),
        ),
        // node ws verifyClient (observed).
        (
            "token expired",
            "token expired",
            Some(Meaning::TokenExpired),
        ),
        (
            "Origin not allowed",
            "Origin not allowed",
            Some(Meaning::OriginRefused),
        ),
        (
            "Invalid or expired token",
            "Invalid or expired token",
            Some(Meaning::TokenExpired),
        ),
        // Action Cable / Channels wording.
        (
            "Request origin not allowed: http://x",
            "Request origin not allowed: http://x",
            Some(Meaning::OriginRefused),
        ),
        (
            "http://evil is not an accepted origin.",
            "http://evil is not an accepted origin.",
            Some(Meaning::OriginRefused),
        ),
        // python websockets `origins=[…]` (observed, 17.4).
        (
            "Failed to open a WebSocket connection: missing Origin header.\n",
            "Failed to open a WebSocket connection: missing Origin header.",
            Some(Meaning::OriginRefused),
        ),
        (
            "Failed to open a WebSocket connection: invalid Origin header: https://evil.example.org.\n",
            "Failed to open a WebSocket connection: invalid Origin header: https://evil.example.org.",
            Some(Meaning::OriginRefused),
        ),
        // Engine.IO.
        (
            "{\"code\":5,\"message\":\"Unsupported protocol version\"}",
            "Unsupported protocol version",
            Some(Meaning::UnsupportedProtocol),
        ),
        (
            "{\"code\":0,\"message\":\"Transport unknown\"}",
            "Transport unknown",
            Some(Meaning::UnsupportedProtocol),
        ),
        // OAuth 2 style.
        (
            "{\"error\":\"invalid_token\",\"error_description\":\"The access token expired\"}",
            "invalid_token: The access token expired",
            Some(Meaning::TokenExpired),
        ),
        // Envoy / HAProxy / nginx upstream errors.
        (
            "no healthy upstream",
            "no healthy upstream",
            Some(Meaning::UpstreamUnavailable),
        ),
        (
            "<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>",
            "503 Service Unavailable: No server is available to handle this request.",
            Some(Meaning::UpstreamUnavailable),
        ),
        (
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n",
            "502 Bad Gateway",
            Some(Meaning::UpstreamUnavailable),
        ),
        // Go net/http, Express.
        (
            "404 page not found\n",
            "404 page not found",
            Some(Meaning::NotFound),
        ),
        (
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot GET /ws</pre>\n</body>\n</html>\n",
            "Error: Cannot GET /ws",
            Some(Meaning::NotFound),
        ),
        // Spring Boot's JSON error.
        (
            "{\"timestamp\":\"2026-11-29T10:00:00.000+00:00\",\"status\":404,\"error\":\"Not Found\",\"path\":\"/ws\"}",
            "Not Found",
            Some(Meaning::NotFound),
        ),
        // Spring's handshake failure.
        (
            "Can \"Upgrade\" only to \"WebSocket\".",
            "Can \"Upgrade\" only to \"WebSocket\".",
            None,
        ),
        ("", "", None),
    ];
    let mut bad = Vec::new();
    for (body, words, meaning) in rows {
        let said = Said::of(body.to_string());
        if said.words != *words || said.meaning != *meaning {
            bad.push(format!(
                "{body:?}: words {:?} meaning {:?}, want {words:?} {meaning:?}",
                said.words, said.meaning
            ));
        }
    }
    assert!(bad.is_empty(), "\n{}", bad.join("\n"));
}

#[test]
fn json_shapes_and_codes() {
    let said = Said::of("{\"code\":3,\"message\":\"Bad request\"}".into());
    assert!(said.json_keys_are(&["message", "code"]));
    assert_eq!(said.json_code.as_deref(), Some("3"));
    let said = Said::of("{\"detail\":[{\"msg\":\"field required\"}]}".into());
    assert_eq!(said.words, "field required");
}

#[test]
fn hostile_bodies_are_made_safe() {
    let said = Said::of("\u{1b}[2Jgo away\u{202e}".into());
    assert!(!said.words.contains('\u{1b}') && !said.words.contains('\u{202e}'));
}

/// Every phrase of the table, alone and inside a sentence, means what
/// its row says (unless an earlier row claims it: first match wins).
#[test]
fn every_phrase_has_its_meaning() {
    let mut bad = Vec::new();
    for (i, (meaning, words)) in PHRASES.iter().enumerate() {
        for w in *words {
            let shadowed = PHRASES[..i]
                .iter()
                .any(|(_, earlier)| earlier.iter().any(|e| w.contains(e)));
            if shadowed {
                continue;
            }
            let upper = format!("Server says: {}.", w.to_uppercase());
            for text in [w.to_string(), upper] {
                if meaning_of(&text) != Some(*meaning) {
                    bad.push(format!(
                        "{text:?}: {:?}, want {meaning:?}",
                        meaning_of(&text)
                    ));
                }
            }
        }
    }
    assert!(bad.is_empty(), "\n{}", bad.join("\n"));
    assert_eq!(meaning_of("certificate expired"), None);
    assert_eq!(meaning_of("hello"), None);
}
