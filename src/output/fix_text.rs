//! A fix in a text report: wsmon's own advice may span lines (the lines to
//! add to a profile, e.g. `protocol = "socketio"` and its table), so each
//! line is written on its own, indented under the `- ` that starts it. Every
//! line still goes through [`visible`]: an untrusted part quoted in a fix
//! (a path, a close reason) shows its other control characters, and stays
//! indented under the fix, where it cannot pass for a report line.

use std::fmt::Write;

use crate::text_safe::visible;

/// Writes `fix` as `{indent}- first line`, then `{indent}  next line` for
/// each line after it.
pub(crate) fn write_fix(out: &mut String, indent: &str, fix: &str) {
    for (i, line) in fix.split('\n').enumerate() {
        let mark = if i == 0 { "- " } else { "  " };
        let text = format!("{indent}{mark}{}", visible(line));
        let _ = writeln!(out, "{}", text.trim_end());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_of_a_fix_is_its_own_indented_line() {
        let mut out = String::new();
        write_fix(
            &mut out,
            "     ",
            "Let wsmon speak it: add to the endpoint\nprotocol = \"socketio\"\n[endpoints.socketio]",
        );
        assert_eq!(
            out,
            "     - Let wsmon speak it: add to the endpoint\n       protocol = \"socketio\"\n       [endpoints.socketio]\n"
        );
    }

    #[test]
    fn other_control_characters_stay_visible() {
        let mut out = String::new();
        write_fix(&mut out, "  ", "close reason \x1b[2J\rspoof\nnext\u{202e}");
        assert_eq!(out, "  - close reason ␛[2J␍spoof\n    next<U+202E>\n");
    }
}
