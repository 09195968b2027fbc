//! The `"profile"` every `tail` line (and every transcript line after its
//! header) starts with, so several profiles live in one stream tell apart
//! and two profiles' same-named endpoints never collide.
//!
//! It is put in front of lines already written (in place of their own
//! `{`), whatever wrote them: the typed [`super::TailLine`]s and the
//! hand-written message fast path alike. A message line costs one copy
//! of the prefix ([`open_tagged`] / [`close_tagged`]), not a second pass
//! over the line.

/// `{"profile":"NAME"`: what every line of that profile starts with (in
/// place of the line's own `{`), escaped as the lines are.
pub(crate) fn profile_prefix(name: &str) -> Vec<u8> {
    let mut out = b"{\"profile\":".to_vec();
    let _ = serde_json::to_writer(&mut out, name);
    crate::text_safe::json_line(&mut out);
    out
}

/// Copies the lines of `lines` to `out`, each with `prefix` (see
/// [`profile_prefix`]) in place of its opening `{`.
pub(crate) fn tagged_lines(out: &mut Vec<u8>, lines: &[u8], prefix: &[u8]) {
    for line in lines.split_inclusive(|b| *b == b'\n') {
        match line.strip_prefix(b"{") {
            Some(rest) if rest.first() != Some(&b'}') => {
                out.extend_from_slice(prefix);
                out.push(b',');
                out.extend_from_slice(rest);
            }
            _ => out.extend_from_slice(line),
        }
    }
}

/// Starts a line of one writer call that writes exactly one line: the
/// prefix goes first; [`close_tagged`] then turns the line's own `{` into
/// a `,`. Returns where that `{` goes.
pub(crate) fn open_tagged(out: &mut Vec<u8>, prefix: &[u8]) -> usize {
    out.extend_from_slice(prefix);
    out.len()
}

/// Ends what [`open_tagged`] started (nothing written: the prefix goes too).
pub(crate) fn close_tagged(out: &mut Vec<u8>, at: usize, prefix: &[u8]) {
    if out.len() == at {
        out.truncate(at.saturating_sub(prefix.len()));
    } else if out[at] == b'{' {
        out[at] = b',';
    }
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;
    use crate::facts::{Payload, PayloadData};
    use crate::output::tail_line::message_line;

    #[test]
    fn lines_get_their_profile_in_front() {
        let prefix = profile_prefix("omar\u{1b}");
        assert_eq!(prefix, br#"{"profile":"omar\u001b""#.to_vec());
        let mut out = Vec::new();
        tagged_lines(&mut out, b"{\"a\":1}\n{\"b\":2}\n", &prefix);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["profile"], "omar\u{1b}");
        assert_eq!(lines[1]["b"], 2);
        let mut out = Vec::new();
        let at = open_tagged(&mut out, &prefix);
        let payload = Payload {
            at: UNIX_EPOCH,
            data: PayloadData::Text("hi".to_string().into()),
        };
        message_line(&mut out, "n", &payload);
        close_tagged(&mut out, at, &prefix);
        let line: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            (line["profile"].as_str(), line["data"].as_str()),
            (Some("omar\u{1b}"), Some("hi"))
        );
        let at = open_tagged(&mut out, &prefix);
        close_tagged(&mut out, at, &prefix);
        assert!(
            serde_json::from_slice::<serde_json::Value>(&out).is_ok(),
            "nothing left behind"
        );
    }
}
