//! What a duration in the profiles file looks like, and why a value is not
//! one, in the README's terms ("500ms", "10s", "1m 30s"): humantime's own
//! words ("expected number at 0") name byte offsets, not the mistake.

/// What the README says a duration looks like (the `valid:` line).
pub(crate) const DURATION_HELP: &str = r#"a duration like "500ms", "10s", "1m 30s""#;

/// The fields whose value is a duration (the last key of the field's
/// path): a bare number there (`connect_timeout = 5`) is told as a
/// duration without its unit, not as "expected a string".
pub(crate) const DURATION_FIELDS: &[&str] = &[
    "connect_timeout",
    "ping_interval",
    "pong_timeout",
    "reconnect_min",
    "reconnect_max",
    "health_window",
    "expect_message_within",
    "within",
    "every",
    "timeout",
    "heart_beat",
];

/// Why `text` is not a duration (`error` is humantime's parse error).
pub(crate) fn not_a_duration(text: &str, error: &humantime::DurationError) -> String {
    use humantime::DurationError as E;
    let trimmed = text.trim();
    let why = match error {
        E::Empty => return "is empty".into(),
        _ if trimmed.starts_with('-') => "a duration cannot be negative".to_string(),
        E::UnknownUnit { unit, value, .. } if unit.is_empty() => {
            format!("the number needs a unit, e.g. \"{value}s\" or \"{value}ms\"")
        }
        E::UnknownUnit { unit, .. } => {
            format!("`{unit}` is not a unit (ms, s, m, h, d; e.g. \"1m 30s\")")
        }
        E::NumberOverflow => "the number is too large".to_string(),
        E::InvalidCharacter(_) | E::NumberExpected(_) => {
            "write a number and a unit, e.g. \"500ms\", \"10s\", \"1m 30s\"".to_string()
        }
    };
    format!("`{text}` is not a duration: {why}")
}

/// A bare number or other non-text value where a duration goes: `shown`
/// is the value as toml read it (`5`), when known.
pub(crate) fn not_text(shown: Option<&str>) -> String {
    match shown {
        Some(n) if n.parse::<f64>().is_ok() => format!(
            "`{n}` is a bare number: a duration is text with its unit, in quotes, e.g. \"{n}s\""
        ),
        Some(v) => format!("`{v}` is not a duration: a duration is text in quotes"),
        None => "is not a duration: a duration is text in quotes".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(text: &str) -> String {
        let e = humantime::parse_duration(text).expect_err("not a duration");
        not_a_duration(text, &e)
    }

    #[test]
    fn the_mistake_is_named_not_the_byte_offset() {
        assert_eq!(
            why("-5s"),
            "`-5s` is not a duration: a duration cannot be negative"
        );
        assert_eq!(
            why("10"),
            "`10` is not a duration: the number needs a unit, e.g. \"10s\" or \"10ms\""
        );
        assert!(why("5x").contains("`x` is not a unit"), "{}", why("5x"));
        assert!(why("soon").contains("write a number and a unit"));
        assert_eq!(why(""), "is empty");
        for text in ["-5s", "10", "5x", "soon"] {
            assert!(!why(text).contains(" at "), "{}", why(text));
        }
    }

    #[test]
    fn a_bare_number_is_told_to_take_quotes_and_a_unit() {
        assert_eq!(
            not_text(Some("5")),
            "`5` is a bare number: a duration is text with its unit, in quotes, e.g. \"5s\""
        );
    }
}
