//! One payload laid out for reading, line by line: JSON indented, other
//! text split at newlines, binary as a hex dump of 16 bytes a line. The
//! dashboard's payload popup colours these lines and its search (`/`, `n`)
//! matches their [`PrettyLine::text`], so what is searched is what is drawn.
//! (The payload list's one-line preview is [`super::preview`].)
//!
//! Payloads are untrusted: every piece of text here has passed through
//! [`visible`], so an ESC or a bidi override in a message comes out as a
//! symbol, never as something a terminal would interpret.

use crate::facts::{Payload, PayloadData};
use crate::text_safe::visible;

/// Lines of one payload laid out at most (a 16 MiB message stays cheap).
pub(crate) const MAX_LINES: usize = 5000;

/// Bytes per hex dump line.
const HEX_WIDTH: usize = 16;

/// One line of a laid-out payload. All text is terminal-safe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PrettyLine {
    /// A line of JSON as `serde_json::to_string_pretty` indents it, e.g.
    /// `  "id": 7,`.
    Json(String),
    /// A line of a text payload that is not JSON.
    Text(String),
    /// 16 bytes of a binary payload.
    Hex {
        /// The offset, `00000010  ` (8 hex digits and two spaces).
        offset: String,
        /// The bytes in hex, padded to the full width and a space.
        bytes: String,
        /// The printable ASCII bytes, `.` for the others.
        ascii: String,
    },
}

impl PrettyLine {
    /// The line as drawn.
    pub(crate) fn text(&self) -> String {
        match self {
            PrettyLine::Json(line) | PrettyLine::Text(line) => line.clone(),
            PrettyLine::Hex {
                offset,
                bytes,
                ascii,
            } => format!("{offset}{bytes}{ascii}"),
        }
    }
}

/// The payload's lines, at most [`MAX_LINES`].
pub(crate) fn lines(payload: &Payload) -> Vec<PrettyLine> {
    match &payload.data {
        PayloadData::Text(t) => match serde_json::from_str::<serde_json::Value>(t) {
            Ok(value) => serde_json::to_string_pretty(&value)
                .unwrap_or_default()
                .lines()
                .take(MAX_LINES)
                .map(|l| PrettyLine::Json(visible(l).into_owned()))
                .collect(),
            Err(_) => t
                .as_str()
                .split('\n')
                .take(MAX_LINES)
                .map(|l| PrettyLine::Text(visible(l).into_owned()))
                .collect(),
        },
        PayloadData::Binary(b) => b
            .chunks(HEX_WIDTH)
            .take(MAX_LINES)
            .enumerate()
            .map(|(i, chunk)| PrettyLine::Hex {
                offset: format!("{:08x}  ", i * HEX_WIDTH),
                bytes: format!("{:<48} ", super::preview::hex(chunk)),
                ascii: chunk
                    .iter()
                    .map(|&c| {
                        if c.is_ascii_graphic() || c == b' ' {
                            char::from(c)
                        } else {
                            '.'
                        }
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Splits a [`PrettyLine::Json`] line into its indent, its `"key"` (when
/// the line starts with one) and the rest after `": "`. The pieces joined
/// with `": "` between key and rest give the line back.
pub(crate) fn json_parts(line: &str) -> (&str, Option<&str>, &str) {
    let trimmed = line.trim_start();
    let indent = &line[..line.len() - trimmed.len()];
    if trimmed.starts_with('"')
        && let Some(split) = key_end(trimmed)
    {
        let rest = trimmed[split..].trim_start_matches(':').trim_start();
        return (indent, Some(&trimmed[..split]), rest);
    }
    (indent, None, trimmed)
}

/// Where a leading `"key":` ends (the byte index of the colon).
fn key_end(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => {
                return s[i + 1..].starts_with(':').then_some(i + 1);
            }
            _ => escaped = false,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    fn text(s: &str) -> Payload {
        Payload {
            at: SystemTime::UNIX_EPOCH,
            data: PayloadData::Text(s.into()),
        }
    }

    fn shown(payload: &Payload) -> Vec<String> {
        lines(payload).iter().map(PrettyLine::text).collect()
    }

    #[test]
    fn json_is_indented_and_keys_found() {
        let shown = shown(&text(r#"{"a":1,"b":"x\"y"}"#));
        assert_eq!(shown, ["{", "  \"a\": 1,", "  \"b\": \"x\\\"y\"", "}"]);
        assert_eq!(json_parts(&shown[2]), ("  ", Some("\"b\""), "\"x\\\"y\""));
        assert_eq!(json_parts(&shown[0]), ("", None, "{"));
    }

    #[test]
    fn binary_is_a_hex_dump_with_offsets() {
        let p = Payload {
            at: SystemTime::UNIX_EPOCH,
            data: PayloadData::Binary((0u8..20).collect::<Vec<_>>().into()),
        };
        let shown = shown(&p);
        assert_eq!(shown.len(), 2);
        assert!(shown[0].starts_with("00000000  00 01 02"), "{}", shown[0]);
        assert!(
            shown[1].starts_with("00000010  10 11 12 13"),
            "{}",
            shown[1]
        );
    }

    #[test]
    fn control_characters_come_out_as_symbols() {
        let shown = shown(&text("evil \u{1b}]0;title\u{7}\n\u{202e}"));
        assert_eq!(shown, ["evil ␛]0;title␇", "<U+202E>"]);
    }

    #[test]
    fn a_huge_payload_is_cut_at_max_lines() {
        let many = "x\n".repeat(MAX_LINES * 2);
        assert_eq!(lines(&text(&many)).len(), MAX_LINES);
    }
}
