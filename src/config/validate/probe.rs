//! `[profiles.NAME.probe]`: method, path, body (with `{nonce}`), `every`
//! and `timeout`, each problem located like the rest of the file.

use std::time::Duration;

use toml::Spanned;

use super::{DURATION_HELP, Validator};
use crate::config::file::RawProbe;
use crate::config::{NONCE, Probe};

/// Methods a probe may use.
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

impl Validator<'_> {
    pub(super) fn probe(&mut self, raw: &RawProbe, profile: &str) -> Option<Probe> {
        let problems = self.problems.len();
        let method = match &raw.method {
            None => "POST".to_string(),
            Some(m) => {
                let upper = m.get_ref().trim().to_ascii_uppercase();
                if !METHODS.contains(&upper.as_str()) {
                    let message = format!("`{}` is not an HTTP method wsmon sends", m.get_ref());
                    let help = format!("one of {}", METHODS.join(", "));
                    self.report(
                        Some(m.span().start),
                        Some(profile),
                        "probe.method",
                        message,
                        &help,
                    );
                }
                upper
            }
        };
        let path = raw.path.get_ref();
        if !path.starts_with('/') {
            let help = r#"a path on the server starting with "/", e.g. "/api/notifications/""#;
            let message = format!("`{path}` does not start with `/`");
            self.report(
                Some(raw.path.span().start),
                Some(profile),
                "probe.path",
                message,
                help,
            );
        }
        let body = raw.body.as_ref().map(|b| b.get_ref().clone());
        let in_body = body.as_deref().is_some_and(|b| b.contains(NONCE));
        if !in_body && !path.contains(NONCE) {
            let at = raw.body.as_ref().map_or(raw.path.span(), Spanned::span);
            let help = r#"put {nonce} where the pushed message will carry it, e.g. body = '{"message": "wsmon probe {nonce}"}'"#;
            self.report(
                Some(at.start),
                Some(profile),
                if raw.body.is_some() {
                    "probe.body"
                } else {
                    "probe.path"
                },
                "has no {nonce}: the probe could not recognize its message".into(),
                help,
            );
        }
        let every = self.probe_duration(raw.every.as_ref(), profile, "every", Probe::DEFAULT_EVERY);
        let timeout = self.probe_duration(
            raw.timeout.as_ref(),
            profile,
            "timeout",
            Probe::DEFAULT_TIMEOUT,
        );
        if let Some(t) = &raw.timeout
            && timeout > every
        {
            let fmt = |d| humantime::format_duration(d).to_string();
            let message = format!(
                "timeout ({}) is longer than every ({})",
                fmt(timeout),
                fmt(every)
            );
            self.report(
                Some(t.span().start),
                Some(profile),
                "probe.timeout",
                message,
                "a timeout at most `every`",
            );
        }
        let isolation = self.isolation(raw.isolation.as_deref().unwrap_or_default(), profile);
        (self.problems.len() == problems).then(|| Probe {
            method,
            path: path.clone(),
            body,
            every,
            timeout,
            isolation,
        })
    }

    /// `isolation = [...]`: other profiles of this file, each once.
    fn isolation(&mut self, raw: &[Spanned<String>], profile: &str) -> Vec<String> {
        let mut names: Vec<String> = Vec::with_capacity(raw.len());
        for name in raw {
            let at = Some(name.span().start);
            let text = name.get_ref();
            let message = if text == profile {
                Some("a profile cannot be isolated from itself".to_string())
            } else if !self.names.iter().any(|n| n == text) {
                Some(format!("there is no profile named `{text}`"))
            } else if names.contains(text) {
                Some(format!("`{text}` is listed twice"))
            } else {
                None
            };
            match message {
                Some(message) => {
                    let others: Vec<&str> = (self.names.iter())
                        .map(String::as_str)
                        .filter(|n| *n != profile)
                        .collect();
                    let help = format!(
                        "names of other profiles whose sockets must not receive this probe's message: {}",
                        others.join(", ")
                    );
                    self.report(at, Some(profile), "probe.isolation", message, &help);
                }
                None => names.push(text.clone()),
            }
        }
        names
    }

    fn probe_duration(
        &mut self,
        raw: Option<&Spanned<String>>,
        profile: &str,
        name: &str,
        default: Duration,
    ) -> Duration {
        let Some(value) = raw else {
            return default;
        };
        let field = format!("probe.{name}");
        let at = Some(value.span().start);
        match humantime::parse_duration(value.get_ref().trim()) {
            Err(e) => {
                let message = super::super::duration::not_a_duration(value.get_ref(), &e);
                self.report(at, Some(profile), &field, message, DURATION_HELP);
                default
            }
            Ok(d) if d.is_zero() => {
                let help = r#"a duration above zero, like "5s""#;
                self.report(
                    at,
                    Some(profile),
                    &field,
                    "must be more than zero".into(),
                    help,
                );
                default
            }
            Ok(d) => d,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::validate::parse;

    fn file(probe: &str) -> String {
        format!("[profiles.p]\nserver = \"http://h:1\"\n\n[profiles.p.probe]\n{probe}\n")
    }

    #[test]
    fn a_probe_is_read_with_its_defaults() {
        let text = file("path = \"/api/n/\"\nbody = '{\"m\": \"{nonce}\"}'");
        let config = parse(Path::new("p.toml"), &text).unwrap();
        let probe = config.profiles[0].probe.clone().unwrap();
        assert_eq!(probe.method, "POST");
        assert_eq!(probe.every, std::time::Duration::from_secs(60));
        assert_eq!(probe.timeout, std::time::Duration::from_secs(5));
        let active = config.profiles[0].activate_with(None).unwrap();
        assert_eq!(active.probe.unwrap().url, "http://h:1/api/n/");
    }

    #[test]
    fn isolation_names_other_profiles_of_the_file() {
        let two = |list: &str| {
            format!(
                "[profiles.p]\nserver = \"http://h:1\"\n[profiles.p.probe]\npath = \"/n/{{nonce}}\"\nisolation = {list}\n[profiles.omar]\nserver = \"http://h:1\"\n"
            )
        };
        let config = parse(Path::new("p.toml"), &two(r#"["omar"]"#)).unwrap();
        assert_eq!(
            config.profiles[0].probe.as_ref().unwrap().isolation,
            ["omar"]
        );
        let active = config.profiles[0].activate_with(None).unwrap();
        assert_eq!(active.probe.unwrap().isolation, ["omar"]);
        let lineup = config.lineup(&["p".into()]).unwrap();
        let names: Vec<&str> = lineup.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["p", "omar"], "the isolation profile runs beside");
        let lineup = config.lineup(&["omar".into(), "p".into()]).unwrap();
        assert_eq!(lineup.len(), 2);
        let err = parse(
            Path::new("p.toml"),
            &two(r#"["nobody", "p", "omar", "omar"]"#),
        )
        .unwrap_err()
        .to_string();
        for want in [
            "p.toml:5:14: profile `p`, field `probe.isolation`: there is no profile named `nobody`",
            "p.toml:5:24: profile `p`, field `probe.isolation`: a profile cannot be isolated from itself",
            "p.toml:5:37: profile `p`, field `probe.isolation`: `omar` is listed twice",
            "valid: names of other profiles whose sockets must not receive this probe's message: omar",
        ] {
            assert!(err.contains(want), "{want}\n{err}");
        }
    }

    #[test]
    fn probe_problems_are_located() {
        let text = file(
            "method = \"FETCH\"\npath = \"api\"\nbody = \"x\"\nevery = \"often\"\ntimeout = \"0s\"\nextra = 1",
        );
        let err = parse(Path::new("p.toml"), &text).unwrap_err().to_string();
        assert!(err.contains("p.toml:10:1"), "{err}");
        assert!(err.contains("extra"), "{err}");
        let text = file(
            "method = \"FETCH\"\npath = \"api\"\nbody = \"x\"\nevery = \"often\"\ntimeout = \"0s\"",
        );
        let err = parse(Path::new("p.toml"), &text).unwrap_err().to_string();
        for want in [
            "p.toml:5:10: profile `p`, field `probe.method`",
            "p.toml:6:8: profile `p`, field `probe.path`",
            "p.toml:7:8: profile `p`, field `probe.body`: has no {nonce}",
            "p.toml:8:9: profile `p`, field `probe.every`",
            "p.toml:9:11: profile `p`, field `probe.timeout`: must be more than zero",
        ] {
            assert!(err.contains(want), "{want}\n{err}");
        }
        let text = file("path = \"/{nonce}\"\nevery = \"2s\"\ntimeout = \"3s\"");
        let err = parse(Path::new("p.toml"), &text).unwrap_err().to_string();
        assert!(err.contains("p.toml:7:11"), "{err}");
        assert!(err.contains("longer than every"), "{err}");
    }
}
