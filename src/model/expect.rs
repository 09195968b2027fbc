//! An endpoint's expectations judged over what arrives (issue 18):
//! silence (`expect_message_within`: an open socket with no application
//! message for longer is DEGRADED, see [`super::health`]) and content
//! rules (`[[endpoints.expect]]` over each text message parsed as JSON,
//! counted as matched / violated, the last violating message kept).
//! Pure: the session's batches come in, counts and findings go out.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::config::{ExpectRule, Expectations, JsonType};
use crate::facts::{Payload, PayloadData};

/// A violating message kept: at most this many bytes of it.
pub(crate) const KEPT_BYTES: usize = 2048;

/// One rule's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RuleCount {
    pub matched: u64,
    pub violated: u64,
}

/// The last message that broke a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub at: SystemTime,
    /// Index into the endpoint's rules.
    pub rule: usize,
    /// Why, in words (`data.title is missing`, `id is a string, not a number`).
    pub why: String,
    /// The message, at most [`KEPT_BYTES`] (raw: show with `visible`).
    pub message: String,
}

/// What an endpoint expects and what it got so far.
#[derive(Debug, Clone, Default)]
pub struct Expecting {
    pub within: Option<Duration>,
    pub rules: Arc<[ExpectRule]>,
    /// One per rule.
    pub counts: Vec<RuleCount>,
    pub last_violation: Option<Violation>,
    /// When the newest application message arrived (any attempt).
    pub last_message_at: Option<SystemTime>,
}

/// An open socket silent for longer than expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Silence {
    /// How long nothing came (since the last message, or since the open
    /// when none came on this connection).
    pub quiet: Duration,
    /// The newest message ever, when there was one.
    pub last_message_at: Option<SystemTime>,
    pub expected_within: Duration,
}

impl Silence {
    /// `open but silent for 2m 13s (last message at 2026-11-30T02:13:22Z)`.
    pub fn describe(&self) -> String {
        let last = match self.last_message_at {
            Some(at) => format!("last message at {}", humantime::format_rfc3339_seconds(at)),
            None => "no message since it opened".into(),
        };
        format!(
            "open but silent for {} ({last}; expected one within {})",
            crate::units::format_duration(self.quiet, crate::units::DurationStyle::Compact),
            humantime::format_duration(self.expected_within)
        )
    }
}

impl Expecting {
    pub fn new(expect: &Expectations) -> Expecting {
        Expecting {
            within: expect.message_within,
            rules: expect.rules.clone().into(),
            counts: vec![RuleCount::default(); expect.rules.len()],
            last_violation: None,
            last_message_at: None,
        }
    }

    /// Reads a batch of received messages.
    pub fn saw(&mut self, messages: &[Payload]) {
        // Batches are in arrival order: the last is the newest (O(1) on
        // the flood path).
        if let Some(newest) = messages.last().map(|p| p.at) {
            self.last_message_at = Some(self.last_message_at.map_or(newest, |t| t.max(newest)));
        }
        if self.rules.is_empty() {
            return;
        }
        for payload in messages {
            let PayloadData::Text(text) = &payload.data else {
                continue;
            };
            let json = serde_json::from_str::<Value>(text).ok();
            for (i, rule) in self.rules.iter().enumerate() {
                match check(rule, json.as_ref()) {
                    Ok(()) => self.counts[i].matched += 1,
                    Err(why) => {
                        self.counts[i].violated += 1;
                        let mut end = text.len().min(KEPT_BYTES);
                        while !text.is_char_boundary(end) {
                            end -= 1;
                        }
                        self.last_violation = Some(Violation {
                            at: payload.at,
                            rule: i,
                            why,
                            message: text[..end].to_string(),
                        });
                    }
                }
            }
        }
    }

    /// The silence of a socket open since `opened` at `now`, when longer
    /// than expected.
    pub fn silence(&self, opened: SystemTime, now: SystemTime) -> Option<Silence> {
        let within = self.within?;
        let from = self.last_message_at.map_or(opened, |t| t.max(opened));
        let quiet = now.duration_since(from).ok()?;
        (quiet > within).then_some(Silence {
            quiet,
            last_message_at: self.last_message_at,
            expected_within: within,
        })
    }

    /// Messages that broke a rule, all rules together.
    pub fn violations(&self) -> u64 {
        self.counts.iter().map(|c| c.violated).sum()
    }
}

/// Whether `json` (the message parsed; `None`: not JSON) meets `rule`.
pub(crate) fn check(rule: &ExpectRule, json: Option<&Value>) -> Result<(), String> {
    let Some(mut value) = json else {
        return Err("the message is not JSON".into());
    };
    for (depth, key) in rule.path.iter().enumerate() {
        let next = match value {
            Value::Object(map) => map.get(key),
            Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        value = next.ok_or_else(|| format!("{} is missing", rule.path[..=depth].join(".")))?;
    }
    let at = if rule.path.is_empty() {
        "the message".to_string()
    } else {
        rule.path.join(".")
    };
    if let Some(kind) = rule.kind {
        let actual = type_of(value);
        if actual != kind {
            return Err(format!(
                "{at} is {} {}, not {} {}",
                article(actual),
                actual.as_str(),
                article(kind),
                kind.as_str()
            ));
        }
    }
    if let Some(re) = &rule.regex {
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if !re.is_match(&text) {
            let shown: String = text.chars().take(60).collect();
            return Err(format!("{at} = {shown:?} does not match /{}/", re.as_str()));
        }
    }
    Ok(())
}

fn type_of(value: &Value) -> JsonType {
    match value {
        Value::String(_) => JsonType::String,
        Value::Number(_) => JsonType::Number,
        Value::Bool(_) => JsonType::Boolean,
        Value::Object(_) => JsonType::Object,
        Value::Array(_) => JsonType::Array,
        Value::Null => JsonType::Null,
    }
}

fn article(t: JsonType) -> &'static str {
    match t {
        JsonType::Object | JsonType::Array => "an",
        _ => "a",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(path: &str, regex: Option<&str>, kind: Option<JsonType>) -> ExpectRule {
        ExpectRule {
            path: if path.is_empty() {
                vec![]
            } else {
                path.split('.').map(String::from).collect()
            },
            regex: regex.map(|r| regex::Regex::new(r).expect("regex")),
            kind,
            shown: path.into(),
        }
    }

    fn text(ms: u64, body: &str) -> Payload {
        Payload {
            at: SystemTime::UNIX_EPOCH + Duration::from_millis(ms),
            data: PayloadData::Text(body.into()),
        }
    }

    #[test]
    fn rules_read_paths_types_and_regexes() {
        let json = serde_json::json!({"type": "notification", "id": 7, "data": {"title": "Ready", "tags": ["a"]}});
        let j = Some(&json);
        assert_eq!(check(&rule("data.title", Some("^.+$"), None), j), Ok(()));
        assert_eq!(check(&rule("id", None, Some(JsonType::Number)), j), Ok(()));
        assert_eq!(check(&rule("id", Some("^[0-9]+$"), None), j), Ok(()));
        assert_eq!(check(&rule("data.tags.0", Some("^a$"), None), j), Ok(()));
        assert_eq!(check(&rule("", None, Some(JsonType::Object)), j), Ok(()));
        assert_eq!(
            check(&rule("data.body", Some("."), None), j),
            Err("data.body is missing".into())
        );
        assert_eq!(
            check(&rule("id", None, Some(JsonType::String)), j),
            Err("id is a number, not a string".into())
        );
        assert_eq!(
            check(&rule("type", Some("^alert$"), None), j),
            Err("type = \"notification\" does not match /^alert$/".into())
        );
        assert_eq!(
            check(&rule("id", None, Some(JsonType::Number)), None),
            Err("the message is not JSON".into())
        );
    }

    #[test]
    fn counts_and_the_last_violation_are_kept() {
        let expect = Expectations {
            message_within: Some(Duration::from_secs(60)),
            rules: vec![rule("title", Some("^.+$"), None)],
        };
        let mut e = Expecting::new(&expect);
        e.saw(&[
            text(1_000, r#"{"title": "a"}"#),
            text(2_000, r#"{"title": ""}"#),
            text(3_000, r#"{"title": "b"}"#),
        ]);
        assert_eq!(
            e.counts[0],
            RuleCount {
                matched: 2,
                violated: 1
            }
        );
        let v = e.last_violation.as_ref().expect("kept");
        assert_eq!(v.message, r#"{"title": ""}"#);
        assert_eq!(e.violations(), 1);
        let at = |ms| SystemTime::UNIX_EPOCH + Duration::from_millis(ms);
        assert_eq!(e.last_message_at, Some(at(3_000)));
        // Silent from the last message, or from the open when later.
        assert_eq!(e.silence(at(0), at(50_000)), None);
        let s = e.silence(at(0), at(136_000)).expect("silent");
        assert_eq!(s.quiet, Duration::from_secs(133));
        assert_eq!(
            s.describe(),
            "open but silent for 2m 13s (last message at 1970-01-01T00:00:03Z; expected one within 1m)"
        );
        assert_eq!(
            e.silence(at(100_000), at(150_000)),
            None,
            "reopened: counted from the open"
        );
    }

    #[test]
    fn the_silence_is_described_to_the_nearest_unit_not_rounded_down() {
        let expect = Expectations {
            message_within: Some(Duration::from_secs(5)),
            rules: vec![],
        };
        let e = Expecting::new(&expect);
        let at = |ms| SystemTime::UNIX_EPOCH + Duration::from_millis(ms);
        let s = e.silence(at(0), at(5_977)).expect("silent");
        assert_eq!(s.quiet, Duration::from_millis(5_977));
        assert_eq!(
            s.describe(),
            "open but silent for 6.0s (no message since it opened; expected one within 5s)"
        );
        let s = e.silence(at(0), at(59_700)).expect("silent");
        assert!(s.describe().starts_with("open but silent for 1m 0s ("));
    }
}
