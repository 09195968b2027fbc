//! `[profiles.NAME.login]`: the kind, its URL, where the username and
//! password (or the OAuth2 client secret) come from; fields that do not
//! belong to the kind and a static token beside a login are problems,
//! each located like the rest of the file.

use toml::Spanned;

use super::Validator;
use crate::config::file::{RawLogin, RawProfile};
use crate::config::login::{
    JWT_ACCESS, JWT_REFRESH, Login, LoginKind, SecretSource, UsernameSource,
};

const KINDS: &str = r#""drf_token", "jwt", "oauth2_client_credentials" or "django_session""#;
const URL_HELP: &str =
    r#"a path on the server starting with "/" (e.g. "/api-token-auth/") or an http(s):// URL"#;

impl Validator<'_> {
    pub(super) fn login(&mut self, profile_raw: &RawProfile, profile: &str) -> Option<Login> {
        let raw = profile_raw.login.as_ref()?;
        let before = self.problems.len();
        // A login and a static token would both claim `{token}`.
        let statics = [
            ("token", profile_raw.token.as_ref().map(|t| t.span().start)),
            (
                "token_env",
                profile_raw.token_env.as_ref().map(|t| t.span().start),
            ),
            (
                "token_command",
                profile_raw.token_command.as_ref().map(|t| t.span().start),
            ),
        ];
        for (field, at) in statics {
            if let Some(at) = at {
                self.report(
                    Some(at),
                    Some(profile),
                    field,
                    "is set together with a [login] table: the profile logs in for its token".into(),
                    "either a login table or a static token (token, token_env, token_command), not both",
                );
            }
        }
        let kind = LoginKind::parse(raw.kind.get_ref());
        if kind.is_none() {
            let message = format!("`{}` is not a login kind", raw.kind.get_ref());
            self.report(
                Some(raw.kind.span().start),
                Some(profile),
                "login.kind",
                message,
                KINDS,
            );
        }
        let url = match &raw.url {
            None => {
                self.report(
                    Some(raw.kind.span().start),
                    Some(profile),
                    "login.url",
                    "is missing: where does the profile log in?".into(),
                    URL_HELP,
                );
                String::new()
            }
            Some(u) => self.login_url(u, profile, "login.url"),
        };
        let refresh_url = raw
            .refresh_url
            .as_ref()
            .map(|u| self.login_url(u, profile, "login.refresh_url"));
        let username = self.login_username(raw, profile);
        let password = self.secret_source(
            profile,
            ("login.password_env", raw.password_env.as_ref()),
            ("login.password_command", raw.password_command.as_ref()),
        );
        let client_secret = raw.client_secret_env.as_ref().map(|v| {
            self.env_name(v, profile, "login.client_secret_env");
            SecretSource::Env(v.get_ref().clone())
        });
        let kind = kind?;
        let at = Some(raw.kind.span().start);
        let name = kind.as_str();
        // What each kind needs, and what it does not take.
        let not_for = |v: &mut Self, field: &str, span: Option<usize>, help: &str| {
            if let Some(span) = span {
                let message = format!("is not used by kind = \"{name}\"");
                v.report(
                    Some(span),
                    Some(profile),
                    &format!("login.{field}"),
                    message,
                    help,
                );
            }
        };
        let start = |s: &Option<Spanned<String>>| s.as_ref().map(|s| s.span().start);
        if kind.has_user() {
            if username.is_none() {
                self.report(
                    at,
                    Some(profile),
                    "login.username",
                    format!("is missing: kind = \"{name}\" logs in as a user"),
                    r#"username = "sandra" or username_env = "SANDRA_USER""#,
                );
            }
            if password.is_none() {
                self.report(
                    at,
                    Some(profile),
                    "login.password_env",
                    format!("is missing: kind = \"{name}\" needs a password"),
                    r#"password_env = "SANDRA_PASSWORD" or password_command = ["pass", "show", "sandra"] (never inline)"#,
                );
            }
            let help = "client_id, client_secret_env and scope are for kind = \"oauth2_client_credentials\"";
            not_for(self, "client_id", start(&raw.client_id), help);
            not_for(
                self,
                "client_secret_env",
                start(&raw.client_secret_env),
                help,
            );
            not_for(self, "scope", start(&raw.scope), help);
        } else {
            if raw.client_id.is_none() {
                self.report(
                    at,
                    Some(profile),
                    "login.client_id",
                    "is missing: the client credentials grant names its client".into(),
                    r#"client_id = "wsmon-ci""#,
                );
            }
            if client_secret.is_none() {
                self.report(
                    at,
                    Some(profile),
                    "login.client_secret_env",
                    "is missing: the client credentials grant needs the client's secret".into(),
                    r#"client_secret_env = "WSMON_CLIENT_SECRET""#,
                );
            }
            let help = "the client credentials grant logs in as a client, not a user";
            not_for(self, "username", start(&raw.username), help);
            not_for(self, "username_env", start(&raw.username_env), help);
            not_for(self, "password_env", start(&raw.password_env), help);
            not_for(
                self,
                "password_command",
                raw.password_command.as_ref().map(|s| s.span().start),
                help,
            );
        }
        if kind != LoginKind::Jwt {
            let help = "refresh_url, access_field and refresh_field are for kind = \"jwt\"";
            not_for(self, "refresh_url", start(&raw.refresh_url), help);
            not_for(self, "access_field", start(&raw.access_field), help);
            not_for(self, "refresh_field", start(&raw.refresh_field), help);
        }
        let field = |f: &Option<Spanned<String>>, default: &str| {
            f.as_ref()
                .map_or(default.to_string(), |f| f.get_ref().trim().to_string())
        };
        for (key, value) in [
            ("access_field", &raw.access_field),
            ("refresh_field", &raw.refresh_field),
        ] {
            if let Some(v) = value
                && v.get_ref().trim().is_empty()
            {
                let help = format!(r#"the JSON field of the answer, e.g. "{JWT_ACCESS}""#);
                self.report(
                    Some(v.span().start),
                    Some(profile),
                    &format!("login.{key}"),
                    "is empty".into(),
                    &help,
                );
            }
        }
        (self.problems.len() == before).then(|| Login {
            kind,
            url,
            username,
            password,
            refresh_url,
            access_field: field(&raw.access_field, JWT_ACCESS),
            refresh_field: field(&raw.refresh_field, JWT_REFRESH),
            client_id: raw.client_id.as_ref().map(|c| c.get_ref().clone()),
            client_secret,
            scope: raw.scope.as_ref().map(|s| s.get_ref().clone()),
        })
    }

    fn login_url(&mut self, raw: &Spanned<String>, profile: &str, field: &str) -> String {
        let v = raw.get_ref().trim();
        let ok = v.starts_with('/')
            || ((v.starts_with("http://") || v.starts_with("https://"))
                && url::Url::parse(v).is_ok());
        if !ok {
            let message = format!("`{v}` is neither a path starting with `/` nor an http(s) URL");
            self.report(
                Some(raw.span().start),
                Some(profile),
                field,
                message,
                URL_HELP,
            );
        }
        v.to_string()
    }

    fn login_username(&mut self, raw: &RawLogin, profile: &str) -> Option<UsernameSource> {
        match (&raw.username, &raw.username_env) {
            (Some(name), Some(env)) => {
                self.report(
                    Some(env.span().start),
                    Some(profile),
                    "login.username_env",
                    "is set together with username".into(),
                    "one of username or username_env",
                );
                Some(UsernameSource::Inline(name.get_ref().clone()))
            }
            (Some(name), None) => {
                if name.get_ref().trim().is_empty() {
                    self.report(
                        Some(name.span().start),
                        Some(profile),
                        "login.username",
                        "is empty".into(),
                        r#"the user to log in as, e.g. "sandra""#,
                    );
                }
                Some(UsernameSource::Inline(name.get_ref().trim().to_string()))
            }
            (None, Some(env)) => {
                self.env_name(env, profile, "login.username_env");
                Some(UsernameSource::Env(env.get_ref().clone()))
            }
            (None, None) => None,
        }
    }

    fn secret_source(
        &mut self,
        profile: &str,
        env: (&str, Option<&Spanned<String>>),
        command: (&str, Option<&Spanned<Vec<String>>>),
    ) -> Option<SecretSource> {
        match (env.1, command.1) {
            (Some(_), Some(c)) => {
                let message = format!(
                    "is set together with {}",
                    env.0.trim_start_matches("login.")
                );
                self.report(
                    Some(c.span().start),
                    Some(profile),
                    command.0,
                    message,
                    "one of password_env or password_command",
                );
                None
            }
            (Some(v), None) => {
                self.env_name(v, profile, env.0);
                Some(SecretSource::Env(v.get_ref().clone()))
            }
            (None, Some(argv)) => {
                if argv.get_ref().first().is_none_or(|p| p.trim().is_empty()) {
                    self.report(
                        Some(argv.span().start),
                        Some(profile),
                        command.0,
                        "names no program to run".into(),
                        r#"a program and its arguments, e.g. ["pass", "show", "sandra"]"#,
                    );
                }
                Some(SecretSource::Command(super::super::SecretCommand::new(
                    argv.get_ref().clone(),
                )))
            }
            (None, None) => None,
        }
    }

    fn env_name(&mut self, raw: &Spanned<String>, profile: &str, field: &str) {
        let v = raw.get_ref();
        if v.is_empty() || v.contains(['=', '\0']) || v.chars().any(char::is_whitespace) {
            let message = format!("`{v}` is not an environment variable name");
            self.report(
                Some(raw.span().start),
                Some(profile),
                field,
                message,
                r#"the name of an environment variable, e.g. "SANDRA_PASSWORD""#,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::login::{LoginKind, SecretSource, UsernameSource};
    use crate::config::validate::parse;

    fn parsed(login: &str, extra: &str) -> Result<crate::config::Profile, String> {
        let text = format!(
            "[profiles.p]\nserver = \"http://127.0.0.1:8000\"\n{extra}\n[profiles.p.login]\n{login}\n"
        );
        parse(Path::new("p.toml"), &text)
            .map(|c| c.profiles[0].clone())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_jwt_login_takes_defaults() {
        let p = parsed(
            "kind = \"jwt\"\nurl = \"/api/jwt/\"\nusername = \"sandra\"\npassword_env = \"PW\"\nrefresh_url = \"/api/jwt/refresh/\"",
            "",
        )
        .unwrap();
        let login = p.login.unwrap();
        assert_eq!(login.kind, LoginKind::Jwt);
        assert_eq!(login.access_field, "access");
        assert_eq!(login.refresh_field, "refresh");
        assert_eq!(
            login.username,
            Some(UsernameSource::Inline("sandra".into()))
        );
        assert_eq!(login.password, Some(SecretSource::Env("PW".into())));
    }

    #[test]
    fn a_login_beside_a_static_token_is_an_error() {
        let err = parsed(
            "kind = \"drf_token\"\nurl = \"/api-token-auth/\"\nusername = \"s\"\npassword_env = \"PW\"",
            "token_env = \"T\"",
        )
        .unwrap_err();
        assert!(
            err.contains("field `token_env`: is set together with a [login] table"),
            "{err}"
        );
    }

    #[test]
    fn missing_and_contradictory_fields_are_named() {
        let err = parsed("kind = \"drf_token\"", "").unwrap_err();
        assert!(err.contains("field `login.url`: is missing"), "{err}");
        assert!(err.contains("field `login.username`: is missing"), "{err}");
        assert!(
            err.contains("field `login.password_env`: is missing"),
            "{err}"
        );
        let err = parsed(
            "kind = \"oauth2_client_credentials\"\nurl = \"/o/token/\"\nusername = \"s\"\nclient_id = \"c\"",
            "",
        )
        .unwrap_err();
        assert!(
            err.contains("field `login.username`: is not used by kind"),
            "{err}"
        );
        assert!(
            err.contains("field `login.client_secret_env`: is missing"),
            "{err}"
        );
        let err = parsed(
            "kind = \"session\"\nurl = \"api\"\nusername = \"s\"\npassword_env = \"P\"\npassword_command = [\"x\"]",
            "",
        )
        .unwrap_err();
        assert!(err.contains("`session` is not a login kind"), "{err}");
        assert!(err.contains("`api` is neither a path"), "{err}");
        assert!(err.contains("is set together with password_env"), "{err}");
        let err = parsed(
            "kind = \"drf_token\"\nurl = \"/a/\"\nusername = \"s\"\npassword_env = \"P\"\nrefresh_url = \"/r/\"",
            "",
        )
        .unwrap_err();
        assert!(
            err.contains("field `login.refresh_url`: is not used by kind = \"drf_token\""),
            "{err}"
        );
    }

    #[test]
    fn endpoints_may_use_the_token_a_login_obtains() {
        let text = "[profiles.p]\nserver = \"http://h:1\"\n[profiles.p.login]\nkind = \"drf_token\"\nurl = \"/a/\"\nusername = \"s\"\npassword_env = \"P\"\n[[profiles.p.endpoints]]\nname = \"n\"\nurl = \"{ws}/ws/?token={token}\"\n";
        parse(Path::new("p.toml"), text).unwrap();
    }
}
