//! The raw bytes a server sent during the upgrade, read leniently.
//!
//! tungstenite cannot parse an answer such as `HTTP/1.1 4002 undefined`
//! (node `ws` writes a close code passed to `verifyClient` as the HTTP
//! status): httparse wants three digits. The handshake keeps the first few
//! KiB it read, and this module reads them as a person would: the status
//! line, the headers, the body, and whether the status line is valid HTTP.
//! It also reads `curl -i` output for `wsmon explain --response`.

/// An HTTP answer read leniently from captured text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawAnswer {
    /// The first line, as it came (not yet made safe).
    pub status_line: String,
    /// The status as a number, when its digits fit (`4002` too).
    pub status: Option<u32>,
    /// The reason phrase (`undefined`, `Access denied`).
    pub reason: String,
    /// Whether the status line is valid HTTP/1.x (three-digit status).
    pub well_formed: bool,
    pub headers: Vec<(String, String)>,
    /// The body after the blank line (transfer encoding not decoded).
    pub body: String,
}

impl RawAnswer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads text that starts with an HTTP status line; `None` when it does
/// not (TLS bytes, a WebSocket frame, garbage). Accepts `\n` line ends (a
/// pasted `curl -i` output) and skips `curl -i`'s earlier answers
/// (`HTTP/1.1 100 Continue`, proxy `CONNECT` answers) only when a later
/// one follows.
pub(crate) fn parse(text: &str) -> Option<RawAnswer> {
    let text = text.trim_start_matches(['\r', '\n', ' ']);
    if !text.starts_with("HTTP/") {
        return None;
    }
    let (head, body) = split_head(text);
    let mut lines = head.lines().map(|l| l.trim_end_matches('\r'));
    let status_line = lines.next()?.to_string();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let code = parts.next().unwrap_or_default();
    let reason = parts.next().unwrap_or_default().to_string();
    let status = code.parse::<u32>().ok();
    let well_formed = matches!(version, "HTTP/1.0" | "HTTP/1.1" | "HTTP/2" | "HTTP/2.0")
        && code.len() == 3
        && code.bytes().all(|b| b.is_ascii_digit())
        && (100..=599).contains(&status.unwrap_or(0));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let answer = RawAnswer {
        status_line,
        status,
        reason,
        well_formed,
        headers,
        body: body.to_string(),
    };
    // `curl -i` through a proxy or with `Expect`: the interesting answer
    // is the last one.
    if matches!(answer.status, Some(100) | Some(200))
        && answer.body.starts_with("HTTP/")
        && let Some(next) = parse(&answer.body)
    {
        return Some(next);
    }
    Some(answer)
}

/// Splits at the first blank line (`\r\n\r\n` or `\n\n`).
fn split_head(text: &str) -> (&str, &str) {
    let crlf = text.find("\r\n\r\n").map(|i| (i, 4));
    let lf = text.find("\n\n").map(|i| (i, 2));
    match (crlf, lf) {
        (Some(a), Some(b)) if b.0 < a.0 => (&text[..b.0], &text[b.0 + b.1..]),
        (Some((i, n)), _) | (None, Some((i, n))) => (&text[..i], &text[i + n..]),
        (None, None) => (text, ""),
    }
}

/// The captured bytes as one escaped line: printable ASCII as is, `\r`
/// `\n` `\t` spelled out, anything else as `\xNN` (or `\u{…}`), at most
/// `max` characters of output. Safe for any terminal.
pub(crate) fn escaped(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let piece = match c {
            '\r' => "\\r".to_string(),
            '\n' => "\\n".to_string(),
            '\t' => "\\t".to_string(),
            '\\' => "\\\\".to_string(),
            ' '..='~' => c.to_string(),
            c if (c as u32) < 0x100 => format!("\\x{:02x}", c as u32),
            c => format!("\\u{{{:x}}}", c as u32),
        };
        if out.len() + piece.len() > max {
            out.push('…');
            break;
        }
        out.push_str(&piece);
    }
    out
}

/// Whether captured bytes start like a TLS record (handshake or alert):
/// a `ws://` client talking to a TLS port gets these.
pub(crate) fn looks_like_tls(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 2 && matches!(b[0], 0x15 | 0x16) && b[1] == 0x03
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_close_code_used_as_status() {
        // node ws 8.23 verifyClient cb(false, 4002, 'token expired') (observed).
        let raw = "HTTP/1.1 4002 undefined\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: 13\r\n\r\ntoken expired";
        let a = parse(raw).expect("an HTTP answer");
        assert_eq!(a.status_line, "HTTP/1.1 4002 undefined");
        assert_eq!(a.status, Some(4002));
        assert_eq!(a.reason, "undefined");
        assert!(!a.well_formed);
        assert_eq!(a.header("content-length"), Some("13"));
        assert_eq!(a.body, "token expired");
    }

    #[test]
    fn reads_well_formed_and_pasted_answers() {
        let a = parse("HTTP/1.1 403 Access denied\r\n\r\n").expect("daphne");
        assert!(a.well_formed && a.status == Some(403) && a.headers.is_empty());
        assert_eq!(a.reason, "Access denied");
        // curl -i as pasted from a terminal: \n line ends.
        let a = parse(
            "HTTP/1.1 404 Not Found\ndate: x\nserver: uvicorn\n\n{\"detail\":\"Not Found\"}\n",
        )
        .expect("pasted");
        assert_eq!(a.header("server"), Some("uvicorn"));
        assert!(a.body.starts_with("{\"detail\""));
        // HTTP/2 from curl.
        let a = parse("HTTP/2 429 \r\nretry-after: 20\r\n\r\n").expect("h2");
        assert!(a.well_formed && a.status == Some(429));
        // A proxy's CONNECT answer, then the real one.
        let a =
            parse("HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 401 Unauthorized\r\n\r\nno")
                .expect("two answers");
        assert_eq!(a.status, Some(401));
        for bad in [
            "",
            "\u{16}\u{3}\u{1}",
            "GET / HTTP/1.1",
            "HTTP/1.1 abc oops\r\n\r\n",
        ] {
            let parsed = parse(bad);
            assert!(parsed.is_none() || !parsed.unwrap().well_formed, "{bad:?}");
        }
    }

    #[test]
    fn escapes_bytes_for_any_terminal() {
        let e = escaped("HTTP/1.1 4002 undefined\r\n\u{1b}[2J\u{16}é", 200);
        assert_eq!(e, "HTTP/1.1 4002 undefined\\r\\n\\x1b[2J\\x16\\xe9");
        assert!(escaped(&"x".repeat(100), 10).ends_with('…'));
        assert!(looks_like_tls("\u{15}\u{3}\u{3}\u{0}\u{2}"));
        assert!(!looks_like_tls("HTTP/1.1"));
    }
}
