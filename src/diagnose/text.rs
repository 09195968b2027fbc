//! Small text helpers for diagnoses: making untrusted server text safe to
//! quote, wrapping explanations, and saying durations in plain words.

use std::time::Duration;

use crate::text_safe::is_unsafe;

/// Longest excerpt of server text copied into a summary, in characters.
pub(crate) const EXCERPT_MAX: usize = 120;

/// A short, terminal-safe excerpt of untrusted text (close reasons, bodies,
/// header values): at most [`EXCERPT_MAX`] characters, whitespace runs folded
/// to one space, and the characters [`is_unsafe`] names (control, bidi,
/// zero-width, line separators: the one list of them) replaced by
/// U+FFFD so that an ESC sequence or a U+202E override cannot restyle or
/// reorder what the user reads.
pub fn excerpt(text: &str) -> String {
    let safe = text
        .split_whitespace()
        .map(|word| {
            word.chars()
                .map(|c| if is_unsafe(c) { '\u{FFFD}' } else { c })
        })
        .map(String::from_iter)
        .collect::<Vec<_>>()
        .join(" ");
    if safe.chars().count() <= EXCERPT_MAX {
        return safe;
    }
    // Keep the ellipsis within the limit.
    let mut cut: String = safe.chars().take(EXCERPT_MAX - 1).collect();
    cut.push('…');
    cut
}

/// Wraps `text` to `width` columns; lines after the first start with
/// `indent` (for hanging bullets). Words longer than a line stay whole.
pub(crate) fn wrap(text: &str, width: usize, first: &str, indent: &str) -> String {
    let mut out = String::from(first);
    let mut col = first.chars().count();
    let mut line_empty = true;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if !line_empty && col + 1 + len > width {
            out.push('\n');
            out.push_str(indent);
            col = indent.chars().count();
            line_empty = true;
        }
        if !line_empty {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += len;
        line_empty = false;
    }
    out
}

/// A duration as a person says it: `850 ms`, `12.5 s`, `3 min 20 s`, `2 h 5 min`
/// ([`crate::units::format_duration`], in words).
pub(crate) fn human_duration(d: Duration) -> String {
    crate::units::format_duration(d, crate::units::DurationStyle::Words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_neutralises_escape_sequences_and_bidi_overrides() {
        let hostile = "bad\u{1b}[2J\u{1b}]0;pwned\u{7}token\u{202E}gnp.exe\u{200B}\u{9b}31m";
        let out = excerpt(hostile);
        assert!(!out.chars().any(is_unsafe), "{out:?}");
        assert!(out.contains('\u{FFFD}'));
        assert!(out.starts_with("bad\u{FFFD}[2J"), "{out:?}");
    }

    #[test]
    fn excerpt_folds_whitespace_and_caps_length() {
        assert_eq!(excerpt("  Invalid\r\n\ttoken.  "), "Invalid token.");
        let long = "x".repeat(500);
        let out = excerpt(&long);
        assert_eq!(out.chars().count(), EXCERPT_MAX);
        assert!(out.ends_with('…'));
        let exact = "y".repeat(EXCERPT_MAX);
        assert_eq!(excerpt(&exact), exact);
        assert_eq!(excerpt(""), "");
    }

    #[test]
    fn wrap_keeps_lines_within_width_with_hanging_indent() {
        let text = "one two three four five six seven eight nine ten eleven twelve";
        let out = wrap(text, 20, "  - ", "    ");
        for line in out.lines() {
            assert!(line.chars().count() <= 20, "{line:?}");
        }
        assert!(out.starts_with("  - one"));
        assert!(out.lines().skip(1).all(|l| l.starts_with("    ")));
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(Duration::from_millis(850)), "850 ms");
        assert_eq!(human_duration(Duration::from_millis(12_500)), "12.5 s");
        assert_eq!(human_duration(Duration::from_secs(200)), "3 min 20 s");
        assert_eq!(human_duration(Duration::from_secs(7500)), "2 h 5 min");
    }
}
