//! `expect_message_within` and `[[endpoints.expect]]` of an endpoint:
//! how often its messages must come and what shape they must have.

use super::super::file::RawEndpoint;
use super::super::{ExpectRule, Expectations, JsonType};
use super::Validator;

impl Validator<'_> {
    pub(super) fn expectations(
        &mut self,
        raw: &RawEndpoint,
        profile: Option<&str>,
        field: &str,
    ) -> Expectations {
        let mut out = Expectations::default();
        if let Some(value) = &raw.expect_message_within {
            let at = Some(value.span().start);
            let name = format!("{field}.expect_message_within");
            match humantime::parse_duration(value.get_ref().trim()) {
                Err(e) => self.report(
                    at,
                    profile,
                    &name,
                    super::super::duration::not_a_duration(value.get_ref(), &e),
                    r#"a duration like "2m" or "30s""#,
                ),
                Ok(d) if d.is_zero() => self.report(
                    at,
                    profile,
                    &name,
                    "must be more than zero".into(),
                    r#"a duration above zero, like "2m""#,
                ),
                Ok(d) => out.message_within = Some(d),
            }
        }
        for (i, rule) in raw.expect.iter().enumerate() {
            let name = format!("{field}.expect[{i}]");
            let path: Vec<String> = match &rule.path {
                Some(p) if p.get_ref().split('.').any(str::is_empty) => {
                    self.report(
                        Some(p.span().start),
                        profile,
                        &format!("{name}.path"),
                        format!("`{}` has an empty part", p.get_ref()),
                        r#"dotted keys (array indexes as numbers), e.g. "data.title" or "items.0.id""#,
                    );
                    continue;
                }
                Some(p) => p.get_ref().split('.').map(String::from).collect(),
                None => Vec::new(),
            };
            let regex = match &rule.regex {
                None => None,
                Some(r) => match regex::Regex::new(r.get_ref()) {
                    Ok(re) => Some(re),
                    Err(e) => {
                        let first = e.to_string().lines().last().unwrap_or_default().to_string();
                        self.report(
                            Some(r.span().start),
                            profile,
                            &format!("{name}.regex"),
                            format!("is not a valid regex ({first})"),
                            r#"a regex (Rust `regex` syntax), e.g. "^.+$""#,
                        );
                        continue;
                    }
                },
            };
            let kind = match &rule.kind {
                None => None,
                Some(k) => match JsonType::parse(k.get_ref()) {
                    Some(t) => Some(t),
                    None => {
                        self.report(
                            Some(k.span().start),
                            profile,
                            &format!("{name}.type"),
                            format!("`{}` is not a JSON type", k.get_ref()),
                            JsonType::NAMES,
                        );
                        continue;
                    }
                },
            };
            if regex.is_none() && kind.is_none() {
                let at = rule.path.as_ref().map(|p| p.span().start);
                self.report(
                    at,
                    profile,
                    &name,
                    "has neither `regex` nor `type`".into(),
                    r#"e.g. { path = "title", regex = "^.+$" } or { path = "id", type = "number" }"#,
                );
                continue;
            }
            let at = if path.is_empty() {
                "the message".to_string()
            } else {
                path.join(".")
            };
            let shown = match (&regex, kind) {
                (Some(re), Some(t)) => format!("{at}: {} ~ /{}/", t.as_str(), re.as_str()),
                (Some(re), None) => format!("{at} ~ /{}/", re.as_str()),
                (None, Some(t)) => format!("{at}: {}", t.as_str()),
                (None, None) => at,
            };
            out.rules.push(ExpectRule {
                path,
                regex,
                kind,
                shown,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::validate::parse;

    fn endpoint(extra: &str) -> Result<crate::config::Expectations, String> {
        let text = format!(
            "[profiles.p]\nserver = \"http://127.0.0.1:8000\"\n[[profiles.p.endpoints]]\nname = \"n\"\nurl = \"{{ws}}/ws/\"\n{extra}\n"
        );
        parse(Path::new("p.toml"), &text)
            .map(|c| c.profiles[0].endpoints[0].expect.clone())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn silence_and_rules_are_read() {
        let e = endpoint(
            "expect_message_within = \"2m\"\n[[profiles.p.endpoints.expect]]\npath = \"data.title\"\nregex = \"^.+$\"\n[[profiles.p.endpoints.expect]]\npath = \"id\"\ntype = \"number\"\n",
        )
        .expect("valid");
        assert_eq!(e.message_within, Some(std::time::Duration::from_secs(120)));
        let shown: Vec<&str> = e.rules.iter().map(|r| r.shown.as_str()).collect();
        assert_eq!(shown, ["data.title ~ /^.+$/", "id: number"]);
    }

    #[test]
    fn mistakes_name_the_field() {
        let err = endpoint("expect_message_within = \"soon\"").expect_err("bad");
        assert!(err.contains("expect_message_within"), "{err}");
        let err = endpoint("[[profiles.p.endpoints.expect]]\npath = \"a\"\nregex = \"(\"\n")
            .expect_err("bad regex");
        assert!(err.contains("expect[0].regex"), "{err}");
        let err = endpoint("[[profiles.p.endpoints.expect]]\npath = \"a\"\ntype = \"text\"\n")
            .expect_err("bad type");
        assert!(err.contains("is not a JSON type"), "{err}");
        let err = endpoint("[[profiles.p.endpoints.expect]]\npath = \"a\"\n").expect_err("empty");
        assert!(err.contains("neither"), "{err}");
    }
}
