//! From the raw file to a [`Config`]: every value checked, defaults merged
//! (`Settings::default()` → file `[settings]` → profile settings), shared
//! endpoints put before each profile's own.
//!
//! Validation does not stop at the first problem: a user fixing a file wants
//! the whole list at once. Each [`Problem`] carries the line:column of the
//! value at fault (from its span), the profile, the field and what would be
//! valid. Nothing here resolves a token or touches the network.

mod endpoint;
mod expect;
mod login;
mod probe;
mod protocol;
mod proxy;
mod server_log;
mod tls;

use std::path::Path;

use indexmap::IndexMap;
use toml::Spanned;
use url::Url;

use super::file::{Locator, RawFile, RawProfile, RawSettings, toml_problem};
use super::{Config, ConfigError, Problem, Profile, SecretCommand, Settings, TokenSource};
use crate::secret::{Redactor, Secret};

use super::duration::DURATION_HELP;
use endpoint::Prepared;
pub use endpoint::{Placeholder, Scanned, scan};

const TOKEN_SOURCE_HELP: &str = "exactly one of `token`, `token_env` or `token_command`";

/// Parses and validates a profiles file. `source` is only used to name the
/// file in problems and warnings.
pub fn parse(source: &Path, text: &str) -> Result<Config, ConfigError> {
    let raw = RawFile::from_toml(text)
        .map_err(|e| ConfigError::Invalid(vec![toml_problem(source, text, &e)]))?;
    let mut v = Validator {
        source,
        locator: Locator::new(text),
        problems: Vec::new(),
        warnings: Vec::new(),
        names: raw.profiles.keys().map(|k| k.get_ref().clone()).collect(),
    };
    let config = v.file(&raw);
    // A shared endpoint is checked once per profile; say each thing once,
    // in file order.
    let mut problems = v.problems;
    let key = |p: &Problem| {
        (
            p.line,
            p.column,
            p.profile.clone(),
            p.field.clone(),
            p.message.clone(),
        )
    };
    problems.sort_by_key(key);
    problems.dedup();
    // Messages quote values, and a token pasted into the wrong field would
    // be quoted with them.
    let tokens: Vec<Secret> = (raw.profiles.values())
        .filter_map(|p| p.token.as_ref().map(|t| t.get_ref().0.clone()))
        .collect();
    let redactor = Redactor::new(&tokens);
    for p in &mut problems {
        p.message = redactor.redact(&p.message).into_owned();
    }
    match config {
        Some(mut config) if problems.is_empty() => {
            for w in &mut config.warnings {
                *w = redactor.redact(w).into_owned();
            }
            Ok(config)
        }
        _ => Err(ConfigError::Invalid(problems)),
    }
}

pub(super) struct Validator<'a> {
    source: &'a Path,
    locator: Locator<'a>,
    problems: Vec<Problem>,
    warnings: Vec<String>,
    /// Every profile's name (an isolation probe names others).
    names: Vec<String>,
}

impl Validator<'_> {
    fn report(
        &mut self,
        at: Option<usize>,
        profile: Option<&str>,
        field: &str,
        message: String,
        help: &str,
    ) {
        let (line, column) = at.map(|o| self.locator.line_col(o)).unzip();
        self.problems.push(Problem {
            file: self.source.to_path_buf(),
            line,
            column,
            profile: profile.map(str::to_string),
            field: (!field.is_empty()).then(|| field.to_string()),
            message,
            help: (!help.is_empty()).then(|| help.to_string()),
        });
    }

    fn file(&mut self, raw: &RawFile) -> Option<Config> {
        let settings = self.settings(Settings::default(), &raw.settings, None);
        let close_codes = self.close_codes(&raw.close_codes, None);
        let shared: Vec<Prepared> = (raw.endpoints.iter().enumerate())
            .map(|(i, e)| self.endpoint(e, i, None))
            .collect();
        let names: Vec<&str> = raw.profiles.keys().map(|k| k.get_ref().as_str()).collect();
        if names.is_empty() {
            let help = r#"a `[profiles.NAME]` table with at least `server = "http://…"`"#;
            self.report(
                None,
                None,
                "profiles",
                "the file has no profiles".into(),
                help,
            );
        }
        let default_profile = match &raw.default_profile {
            Some(d) if !names.is_empty() && !names.contains(&d.get_ref().as_str()) => {
                let help = format!("one of: {}", names.join(", "));
                let message = format!("there is no profile named `{}`", d.get_ref());
                self.report(
                    Some(d.span().start),
                    None,
                    "default_profile",
                    message,
                    &help,
                );
                d.get_ref().clone()
            }
            Some(d) => d.get_ref().clone(),
            // No default named: the first profile in the file.
            None => names.first().map(|s| s.to_string()).unwrap_or_default(),
        };
        let mut profiles = Vec::new();
        for (name, p) in &raw.profiles {
            profiles.push(self.profile(name.get_ref(), p, settings, &close_codes, &shared));
        }
        Some(Config {
            source: self.source.to_path_buf(),
            default_profile,
            profiles: profiles.into_iter().collect::<Option<Vec<_>>>()?,
            warnings: std::mem::take(&mut self.warnings),
        })
    }

    fn profile(
        &mut self,
        name: &str,
        raw: &RawProfile,
        base: Settings,
        base_codes: &IndexMap<u16, String>,
        shared: &[Prepared],
    ) -> Option<Profile> {
        let server = self.server(&raw.server, name);
        let token = self.token_source(raw, name);
        let auth_scheme = match &raw.auth_scheme {
            None => "Token".to_string(),
            Some(s) => {
                let v = s.get_ref();
                if v.is_empty() || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
                    let help = r#"one word, such as "Token" or "Bearer""#;
                    // Not echoed: a common slip is `auth_scheme = "Token <the token>"`.
                    let message = "is not a single word".to_string();
                    self.report(
                        Some(s.span().start),
                        Some(name),
                        "auth_scheme",
                        message,
                        help,
                    );
                }
                v.clone()
            }
        };
        if let Some(path) = &raw.token_check
            && !path.get_ref().starts_with('/')
        {
            let help = r#"a path on the server starting with "/", e.g. "/api/notifications/""#;
            let message = format!("`{}` does not start with `/`", path.get_ref());
            self.report(
                Some(path.span().start),
                Some(name),
                "token_check",
                message,
                help,
            );
        }
        let settings = self.settings(base, &raw.settings, Some(name));
        let tls = self.tls(raw, name);
        let proxy = self.proxy(raw.proxy.as_ref(), name);
        let mut close_codes = base_codes.clone();
        close_codes.extend(self.close_codes(&raw.close_codes, Some(name)));
        let own: Vec<Prepared> = (raw.endpoints.iter().enumerate())
            .map(|(i, e)| self.endpoint(e, i, Some(name)))
            .collect();
        let login = self.login(raw, name);
        // A login obtains the token that `{token}` stands for.
        let has_token = token != TokenSource::None || raw.login.is_some();
        let endpoints = self.profile_endpoints(name, shared, &own, has_token, server.as_ref());
        let probe = raw.probe.as_ref().and_then(|p| self.probe(p, name));
        let server_log = self.server_log(raw, name);
        let django_project = self.django_project(raw, name);
        let django_python = self.django_python(raw, name);
        Some(Profile {
            django_project,
            django_python,
            login,
            server_log,
            probe,
            name: name.to_string(),
            description: raw.description.clone(),
            server: server?,
            token,
            auth_scheme,
            token_check: raw.token_check.as_ref().map(|p| p.get_ref().clone()),
            settings,
            endpoints,
            close_codes,
            tls,
            proxy,
        })
    }

    fn server(&mut self, raw: &Spanned<String>, profile: &str) -> Option<Url> {
        let at = Some(raw.span().start);
        let help = r#"an http:// or https:// URL, e.g. "http://127.0.0.1:8000""#;
        let fail = |v: &mut Self, message: String| {
            v.report(at, Some(profile), "server", message, help);
            None
        };
        let mut url = match Url::parse(raw.get_ref().trim()) {
            Ok(url) => url,
            Err(e) => return fail(self, format!("is not a URL: {e}")),
        };
        // A WebSocket URL here names the same server; map it to its REST form.
        let rest_scheme = match url.scheme() {
            "http" | "ws" => "http",
            "https" | "wss" => "https",
            other => return fail(self, format!("{other}:// is not an HTTP scheme")),
        };
        if url.set_scheme(rest_scheme).is_err() || url.host().is_none() {
            return fail(self, "has no host".into());
        }
        if url.query().is_some() || url.fragment().is_some() {
            return fail(
                self,
                "must not have a query or fragment (paths are appended to it)".into(),
            );
        }
        Some(url)
    }

    /// The profile's token source. Each source written is checked, so
    /// fixing "more than one" does not uncover a second round of problems.
    fn token_source(&mut self, raw: &RawProfile, profile: &str) -> TokenSource {
        type Bad = Option<(String, &'static str)>;
        let mut sources: Vec<(&str, usize, TokenSource, Bad)> = Vec::new();
        if let Some(token) = &raw.token {
            let value = token.get_ref().0.expose().trim();
            let help = "the token itself, or use `token_env` / `token_command`";
            let bad = if value.is_empty() {
                Some(("is empty".to_string(), help))
            } else if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
                Some(("contains spaces or control characters".to_string(), help))
            } else {
                None
            };
            let source = TokenSource::Inline(Secret::new(value));
            sources.push(("token", token.span().start, source, bad));
        }
        if let Some(var) = &raw.token_env {
            let v = var.get_ref();
            let bad = (v.is_empty() || v.contains(['=', '\0'])).then(|| {
                let help = r#"the name of an environment variable, e.g. "SANDRA_TOKEN""#;
                (format!("`{v}` is not an environment variable name"), help)
            });
            sources.push((
                "token_env",
                var.span().start,
                TokenSource::Env(v.clone()),
                bad,
            ));
        }
        if let Some(argv) = &raw.token_command {
            let empty = argv.get_ref().first().is_none_or(|p| p.trim().is_empty());
            let bad = empty.then(|| {
                let help = r#"a program and its arguments, e.g. ["pass", "show", "sandra"]"#;
                ("names no program to run".to_string(), help)
            });
            let source = TokenSource::Command(SecretCommand::new(argv.get_ref().clone()));
            sources.push(("token_command", argv.span().start, source, bad));
        }
        let first = sources.first().map(|s| s.0).unwrap_or_default();
        for (i, (field, at, _, bad)) in sources.iter().enumerate() {
            if let Some((message, help)) = bad {
                self.report(Some(*at), Some(profile), field, message.clone(), help);
            }
            if i > 0 {
                let message = format!("more than one token source: `{first}` and `{field}`");
                self.report(Some(*at), Some(profile), field, message, TOKEN_SOURCE_HELP);
            }
        }
        sources
            .into_iter()
            .next()
            .map_or(TokenSource::None, |s| s.2)
    }

    fn settings(&mut self, base: Settings, raw: &RawSettings, profile: Option<&str>) -> Settings {
        let mut s = base;
        let fields = [
            (
                "connect_timeout",
                &raw.connect_timeout,
                &mut s.connect_timeout,
            ),
            ("ping_interval", &raw.ping_interval, &mut s.ping_interval),
            ("pong_timeout", &raw.pong_timeout, &mut s.pong_timeout),
            ("reconnect_min", &raw.reconnect_min, &mut s.reconnect_min),
            ("reconnect_max", &raw.reconnect_max, &mut s.reconnect_max),
            ("health_window", &raw.health_window, &mut s.health_window),
        ];
        for (name, value, slot) in fields {
            // A zero backoff is allowed (reconnect at once); zero timers are not.
            let nonzero = !name.starts_with("reconnect");
            let Some(value) = value else { continue };
            let field = format!("settings.{name}");
            let at = Some(value.span().start);
            match humantime::parse_duration(value.get_ref().trim()) {
                Err(e) => {
                    let message = super::duration::not_a_duration(value.get_ref(), &e);
                    self.report(at, profile, &field, message, DURATION_HELP);
                }
                Ok(d) if nonzero && d.is_zero() => {
                    let help = r#"a duration above zero, like "10s""#;
                    self.report(at, profile, &field, "must be more than zero".into(), help);
                }
                Ok(d) => *slot = d,
            }
        }
        if let Some(value) = &raw.heartbeat
            && let Some(mode) = self.heartbeat(value, profile, "settings.heartbeat")
        {
            s.heartbeat = mode;
        }
        // Judged where a bound is written, so a file-level mistake is
        // reported once, not again for every profile inheriting it.
        let bound = raw.reconnect_min.as_ref().or(raw.reconnect_max.as_ref());
        if let Some(bound) = bound
            && s.reconnect_min > s.reconnect_max
        {
            let fmt = |d| humantime::format_duration(d).to_string();
            let (min, max) = (fmt(s.reconnect_min), fmt(s.reconnect_max));
            let field = if raw.reconnect_min.is_some() {
                "settings.reconnect_min"
            } else {
                "settings.reconnect_max"
            };
            let message = format!("reconnect_min ({min}) is longer than reconnect_max ({max})");
            let help = "reconnect_min at most reconnect_max";
            self.report(Some(bound.span().start), profile, field, message, help);
        }
        s
    }

    /// A `heartbeat` value, or `None` (reported) when it is not one.
    fn heartbeat(
        &mut self,
        value: &Spanned<String>,
        profile: Option<&str>,
        field: &str,
    ) -> Option<super::HeartbeatMode> {
        let mode = super::HeartbeatMode::parse(value.get_ref());
        if mode.is_none() {
            let message = format!("`{}` is not a heartbeat mode", value.get_ref());
            let help =
                r#""ping" (wsmon pings; the default) or "browser" (no client pings, as browsers)"#;
            self.report(Some(value.span().start), profile, field, message, help);
        }
        mode
    }

    fn close_codes(
        &mut self,
        raw: &IndexMap<Spanned<String>, String>,
        profile: Option<&str>,
    ) -> IndexMap<u16, String> {
        let mut codes = IndexMap::new();
        for (key, name) in raw {
            match key.get_ref().trim().parse::<u16>() {
                Ok(code) if (1000..=4999).contains(&code) => {
                    codes.insert(code, name.clone());
                }
                _ => {
                    let field = format!("close_codes.{}", key.get_ref());
                    let message = format!("`{}` is not a close code", key.get_ref());
                    let help = r#"an integer from 1000 to 4999, e.g. 4001 = "token revoked""#;
                    self.report(Some(key.span().start), profile, &field, message, help);
                }
            }
        }
        codes
    }
}
