//! The text `wsmon explain CODE` prints: a close code (1000–4999) or an
//! HTTP status seen at the upgrade (100–599), from the catalog, wrapped to
//! 80 columns. The two ranges do not overlap, so a bare number is enough.

use indexmap::IndexMap;
use thiserror::Error;

use super::codes::{self, CodeClass, CodeInfo, SentBy, StatusInfo};
use super::text::{excerpt, wrap};

/// Width of the printed explanation.
const WIDTH: usize = 80;

/// Why an argument to `explain` cannot be explained.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExplainError {
    #[error(
        "\"{0}\" is not a number: give a close code (1000-4999) or an HTTP status (100-599), e.g. wsmon explain 1006"
    )]
    NotANumber(String),
    #[error("{0} is neither a close code (1000-4999) nor an HTTP status (100-599)")]
    OutOfRange(String),
}

/// Explains a close code or an HTTP status. `app_codes` are the active
/// profile's names for application codes (`explain 4001` shows its name).
pub fn explain(arg: &str, app_codes: &IndexMap<u16, String>) -> Result<String, ExplainError> {
    let arg = arg.trim();
    // The argument is echoed in the error, so it gets the same care as
    // server text.
    if arg.is_empty() || !arg.chars().all(|c| c.is_ascii_digit()) {
        return Err(ExplainError::NotANumber(excerpt(arg)));
    }
    match arg.parse::<u16>() {
        Ok(n @ 1000..=4999) => Ok(close_text(&codes::close_code(n), app_codes.get(&n))),
        Ok(n @ 100..=599) => match codes::http_status(n) {
            Some(info) => Ok(status_text(&info)),
            None => Err(ExplainError::OutOfRange(n.to_string())),
        },
        _ => Err(ExplainError::OutOfRange(excerpt(arg))),
    }
}

fn class_range(class: CodeClass) -> &'static str {
    match class {
        CodeClass::Standard => "1000-1015, RFC 6455",
        CodeClass::Reserved => "1016-2999",
        CodeClass::Registered => "3000-3999, IANA registry",
        CodeClass::Application => "4000-4999, private to the application",
        CodeClass::Invalid => "outside 1000-4999",
    }
}

fn close_text(info: &CodeInfo, own_name: Option<&String>) -> String {
    let mut out = Vec::new();
    let title = if info.specific {
        format!("Close code {}: {}", info.code, info.name)
    } else {
        format!(
            "Close code {}: {} ({})",
            info.code,
            info.name,
            class_range(info.class)
        )
    };
    out.push(title);
    if let Some(name) = own_name {
        out.push(wrap(
            &format!("This profile names it \"{}\".", excerpt(name)),
            WIDTH,
            "",
            "",
        ));
    }
    let wire = match (info.on_wire, info.sent_by) {
        (true, _) => "yes",
        (false, SentBy::Local) => "never",
        (false, _) => "not allowed",
    };
    out.push(wrap(
        &format!("Sent by: {}. On the wire: {wire}.", info.sent_by.describe()),
        WIDTH,
        "",
        "",
    ));
    out.push(String::new());
    out.push(wrap(&info.meaning, WIDTH, "", ""));
    push_list(&mut out, "Common causes:", &info.causes);
    push_list(&mut out, "What to do:", &info.fixes);
    if let Some(note) = &info.note {
        out.push(String::new());
        out.push(wrap(note, WIDTH, "Note: ", "      "));
    }
    out.join("\n") + "\n"
}

fn status_text(info: &StatusInfo) -> String {
    let mut out = Vec::new();
    if info.specific {
        out.push(format!(
            "HTTP {} {}, as the answer to a WebSocket upgrade",
            info.status, info.name
        ));
    } else {
        out.push(format!(
            "HTTP {}: no notes on this status; what any {} answer means here",
            info.status,
            info.name.to_lowercase()
        ));
    }
    out.push(String::new());
    out.push(wrap(&info.meaning, WIDTH, "", ""));
    if info.status != 101 {
        out.push(String::new());
        out.push(wrap(
            "A browser reports every answer other than 101 as close code 1006 and hides the status; wsmon shows it.",
            WIDTH,
            "",
            "",
        ));
    }
    push_list(&mut out, "Common causes:", &info.causes);
    push_list(&mut out, "What to do:", &info.fixes);
    out.join("\n") + "\n"
}

fn push_list(out: &mut Vec<String>, heading: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    out.push(String::new());
    out.push(heading.to_string());
    out.extend(items.iter().map(|item| wrap(item, WIDTH, "  - ", "    ")));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_names() -> IndexMap<u16, String> {
        IndexMap::new()
    }

    fn assert_fits(text: &str) {
        for line in text.lines() {
            // Only a single unbreakable word may overflow.
            let fits = line.chars().count() <= WIDTH || !line.trim().contains(' ');
            assert!(fits, "line over {WIDTH} columns: {line:?}");
        }
    }

    #[test]
    fn explains_a_close_code() {
        let text = explain("1006", &no_names()).expect("1006 is a close code");
        assert!(
            text.starts_with("Close code 1006: Abnormal Closure\n"),
            "{text}"
        );
        assert!(text.contains("On the wire: never."), "{text}");
        assert!(text.contains("What to do:"));
        assert_fits(&text);
    }

    #[test]
    fn explains_the_1002_quirk() {
        let text = explain(" 1002 ", &no_names()).expect("1002");
        assert!(text.contains("Note: tungstenite"), "{text}");
        assert_fits(&text);
    }

    #[test]
    fn explains_an_http_status() {
        let text = explain("403", &no_names()).expect("403 is a status");
        assert!(text.starts_with("HTTP 403 Forbidden, as the answer to a WebSocket upgrade"));
        assert!(text.contains("AllowedHostsOriginValidator"));
        assert!(text.contains("1006"));
        assert_fits(&text);
        let unknown = explain("418", &no_names()).expect("418 is in 100-599");
        assert!(unknown.contains("no notes on this status"), "{unknown}");
    }

    #[test]
    fn application_codes_show_the_profile_name() {
        let mut names = IndexMap::new();
        names.insert(4001, "token_invalid".to_string());
        let text = explain("4001", &names).expect("4001");
        assert!(text.contains("4000-4999"), "{text}");
        assert!(
            text.contains("This profile names it \"token_invalid\""),
            "{text}"
        );
        let unnamed = explain("4002", &names).expect("4002");
        assert!(!unnamed.contains("This profile names it"));
        let registered = explain("3000", &no_names()).expect("3000");
        assert!(registered.starts_with("Close code 3000: Unauthorized"));
    }

    #[test]
    fn every_code_and_status_in_range_explains_within_width() {
        for n in (100..=599)
            .chain(1000..=1015)
            .chain([1016, 2999, 3008, 3500, 4999])
        {
            let text = explain(&n.to_string(), &no_names()).expect("in range");
            assert_fits(&text);
        }
    }

    #[test]
    fn errors_say_what_is_valid() {
        let err = explain("abc", &no_names()).unwrap_err();
        assert_eq!(err, ExplainError::NotANumber("abc".into()));
        assert!(err.to_string().contains("1000-4999") && err.to_string().contains("100-599"));
        for bad in [
            "99",
            "600",
            "999",
            "5000",
            "70000",
            "123456789012345678901234",
        ] {
            let err = explain(bad, &no_names()).unwrap_err();
            assert!(matches!(err, ExplainError::OutOfRange(_)), "{bad}: {err:?}");
            assert!(err.to_string().contains("1000-4999"), "{err}");
        }
        for bad in ["", "-1", "10.5", "0x3e9", "\u{1b}[31m1006"] {
            let err = explain(bad, &no_names()).unwrap_err();
            assert!(
                matches!(err, ExplainError::NotANumber(_)),
                "{bad:?}: {err:?}"
            );
            assert!(!err.to_string().contains('\u{1b}'));
        }
    }
}
