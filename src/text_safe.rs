//! Untrusted text (payloads, close reasons, HTTP bodies, API `detail`s)
//! never reaches a terminal raw.
//!
//! Two forms: [`visible`] for human-readable output (control characters
//! become visible symbols such as `␛`, bidi and zero-width characters become
//! `<U+202E>`), and [`json_line`] for JSON output, which escapes the same
//! characters as `\uXXXX` so the JSON still decodes to the exact data.

use std::borrow::Cow;

/// Characters that must not reach a terminal as they are: C0/C1 controls,
/// DEL, bidi overrides/isolates, zero-width characters, line separators.
pub(crate) fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// The text with every unsafe character made visible. Newlines and tabs are
/// shown too (`␊`, `␉`): one value stays on one line.
pub(crate) fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            // C0 controls map onto the Control Pictures block (␀…␟).
            '\u{0}'..='\u{1f}' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}')),
            '\u{7f}' => out.push('␡'),
            c if is_unsafe(c) => out.push_str(&format!("<U+{:04X}>", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Escapes unsafe characters that JSON serializers leave raw (DEL, C1,
/// bidi, zero-width) as `\uXXXX`. Only valid on serialized JSON: outside
/// strings JSON is ASCII, so every such character sits inside a string.
pub(crate) fn json_line(json: &mut Vec<u8>) {
    // Fast path: pure ASCII without DEL needs nothing (serde_json already
    // escapes C0 controls).
    if json.iter().all(|&b| b < 0x7f) {
        return;
    }
    let Ok(text) = std::str::from_utf8(json) else {
        return;
    };
    if !text.chars().any(is_unsafe) {
        return;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe(c) && c as u32 >= 0x7f {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    *json = out.into_bytes();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_visible() {
        assert_eq!(visible("a\x1b[2Jb"), "a␛[2Jb");
        assert_eq!(visible("x\u{202e}y"), "x<U+202E>y");
        assert_eq!(visible("zero\u{200b}width"), "zero<U+200B>width");
        assert_eq!(visible("line\nnext"), "line␊next");
        assert!(matches!(visible("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_keeps_the_data_but_not_the_raw_characters() {
        let original = "csi\u{9b}31m bidi\u{202e} ok é";
        let mut json = serde_json::to_vec(&original).unwrap();
        json_line(&mut json);
        let text = String::from_utf8(json.clone()).unwrap();
        assert!(
            !text.chars().any(|c| is_unsafe(c) && c as u32 >= 0x7f),
            "{text}"
        );
        assert!(text.contains('é'));
        let back: String = serde_json::from_slice(&json).unwrap();
        assert_eq!(back, original);
    }
}
