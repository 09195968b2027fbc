//! `[profiles.NAME.login]`: how a profile logs in instead of holding a
//! ready-made token, validated ([`Login`]) and resolved for use
//! ([`ActiveLogin`]: the username and password read from the environment
//! or a command, URLs joined to the server).
//!
//! The login itself (network I/O) is the session layer's
//! (`crate::session::login`); what it obtains is rendered into the
//! profile's URLs and headers by [`super::Profile::render_logged_in`].
//!
//! A login table and a static token (`token`, `token_env`,
//! `token_command`) in one profile is a config error: the two would
//! compete for `{token}`, and a silent precedence would hide a stale
//! token that the user believes is in use.

use std::ffi::OsString;

use url::Url;

use super::template::server_base;
use crate::secret::Secret;

/// `kind = …`: which login exchange the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginKind {
    /// Django REST framework's `obtain_auth_token`: POST `username` and
    /// `password`, the answer's `token` is the token (`Authorization: Token …`).
    DrfToken,
    /// djangorestframework-simplejwt's `TokenObtainPairView`: POST
    /// `username`/`password`, the answer holds `access` and `refresh`;
    /// `TokenRefreshView` turns `refresh` into a new `access`.
    Jwt,
    /// OAuth 2.0 client credentials grant (RFC 6749 §4.4).
    #[serde(rename = "oauth2_client_credentials")]
    OAuth2ClientCredentials,
    /// Django's `LoginView`: GET the form for the CSRF token, POST it,
    /// keep the `sessionid` cookie.
    DjangoSession,
}

impl LoginKind {
    /// The value as written in the profiles file.
    pub fn as_str(self) -> &'static str {
        match self {
            LoginKind::DrfToken => "drf_token",
            LoginKind::Jwt => "jwt",
            LoginKind::OAuth2ClientCredentials => "oauth2_client_credentials",
            LoginKind::DjangoSession => "django_session",
        }
    }

    /// Parses the file's value.
    pub fn parse(text: &str) -> Option<LoginKind> {
        [
            LoginKind::DrfToken,
            LoginKind::Jwt,
            LoginKind::OAuth2ClientCredentials,
            LoginKind::DjangoSession,
        ]
        .into_iter()
        .find(|k| k.as_str() == text.trim())
    }

    /// Whether the kind logs in as a user (username and password).
    pub fn has_user(self) -> bool {
        self != LoginKind::OAuth2ClientCredentials
    }
}

/// Where a login's username comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsernameSource {
    /// `username = "sandra"`.
    Inline(String),
    /// `username_env = "NAME"`.
    Env(String),
}

/// Where a password or client secret comes from (never inline: a
/// profiles file is often shared).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// `password_env = "NAME"` / `client_secret_env = "NAME"`.
    Env(String),
    /// `password_command = ["pass", "show", "sandra"]`: stdout, trimmed
    /// (its arguments are never shown).
    Command(super::SecretCommand),
}

/// Default simplejwt field names.
pub const JWT_ACCESS: &str = "access";
pub const JWT_REFRESH: &str = "refresh";

/// `[profiles.NAME.login]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub kind: LoginKind,
    /// A path joined to `server` (`/api-token-auth/`) or a full URL.
    pub url: String,
    /// `None` only for `oauth2_client_credentials`.
    pub username: Option<UsernameSource>,
    pub password: Option<SecretSource>,
    /// jwt: the refresh endpoint (path or URL); without it an expiring
    /// access token is renewed by logging in again.
    pub refresh_url: Option<String>,
    /// jwt: the answer's field names (simplejwt's `access` and `refresh`).
    pub access_field: String,
    pub refresh_field: String,
    /// oauth2_client_credentials.
    pub client_id: Option<String>,
    pub client_secret: Option<SecretSource>,
    pub scope: Option<String>,
}

impl Login {
    /// One line for `wsmon profiles`: how the profile logs in, without
    /// doing it (no variable read, no command run).
    pub fn describe(&self, server: &Url) -> String {
        let mut out = format!("{} POST {}", self.kind.as_str(), join(server, &self.url));
        match &self.username {
            Some(UsernameSource::Inline(name)) => out.push_str(&format!(" as {name}")),
            Some(UsernameSource::Env(var)) => out.push_str(&format!(" as ${var}")),
            None => {}
        }
        if let Some(source) = &self.password {
            out.push_str(&format!(", password from {}", source.describe()));
        }
        if let Some(id) = &self.client_id {
            out.push_str(&format!(", client {id}"));
        }
        if let Some(source) = &self.client_secret {
            out.push_str(&format!(", secret from {}", source.describe()));
        }
        if let Some(scope) = &self.scope {
            out.push_str(&format!(", scope \"{scope}\""));
        }
        if let Some(refresh) = &self.refresh_url {
            out.push_str(&format!(", refresh {}", join(server, refresh)));
        }
        out
    }
}

impl SecretSource {
    fn describe(&self) -> String {
        match self {
            SecretSource::Env(var) => format!("env {var}"),
            SecretSource::Command(command) => format!("command {command}"),
        }
    }

    /// Reads the secret: the variable's value or the command's first
    /// stdout line, trimmed. `env` looks variables up (tests pass their own).
    pub fn resolve(&self, env: &impl Fn(&str) -> Option<OsString>) -> Result<Secret, String> {
        match self {
            SecretSource::Env(name) => env_value(name, env).map(Secret::new),
            SecretSource::Command(command) => command.run(),
        }
    }
}

fn env_value(name: &str, env: &impl Fn(&str) -> Option<OsString>) -> Result<String, String> {
    match env(name).map(OsString::into_string) {
        None => Err(format!("environment variable `{name}` is not set")),
        Some(Err(_)) => Err(format!("environment variable `{name}` is not valid UTF-8")),
        Some(Ok(v)) if v.trim().is_empty() => {
            Err(format!("environment variable `{name}` is empty"))
        }
        Some(Ok(v)) => Ok(v.trim().to_string()),
    }
}

/// A path joined to the server's REST base, or a full URL as written.
pub fn join(server: &Url, path: &str) -> String {
    if path.starts_with("http://") || path.starts_with("https://") {
        path.to_string()
    } else {
        format!("{}{path}", server_base(server))
    }
}

/// A login ready to run: secrets read, URLs whole. Its `Debug` shows no
/// secret ([`Secret`] redacts).
#[derive(Debug, Clone)]
pub struct ActiveLogin {
    pub kind: LoginKind,
    pub url: Url,
    pub refresh_url: Option<Url>,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub access_field: String,
    pub refresh_field: String,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub scope: Option<String>,
    /// The profile as validated, to render again with each new credential.
    pub template: super::Profile,
}

impl ActiveLogin {
    /// Reads the username and secrets; an unset variable or a failing
    /// command is the profile's config error (exit 2, before any UI).
    pub fn resolve(
        profile: &super::Profile,
        login: &Login,
        env: impl Fn(&str) -> Option<OsString>,
    ) -> Result<ActiveLogin, super::ConfigError> {
        let fail = |message: String| super::ConfigError::Login {
            profile: profile.name.clone(),
            message,
        };
        let url_of = |path: &str| {
            Url::parse(&join(&profile.server, path))
                .map_err(|e| fail(format!("`{path}` does not make a URL: {e}")))
        };
        let username = match &login.username {
            None => None,
            Some(UsernameSource::Inline(name)) => Some(name.clone()),
            Some(UsernameSource::Env(var)) => Some(env_value(var, &env).map_err(&fail)?),
        };
        let password = match &login.password {
            None => None,
            Some(source) => Some(
                source
                    .resolve(&env)
                    .map_err(|m| fail(format!("password: {m}")))?,
            ),
        };
        let client_secret = match &login.client_secret {
            None => None,
            Some(source) => Some(
                source
                    .resolve(&env)
                    .map_err(|m| fail(format!("client secret: {m}")))?,
            ),
        };
        Ok(ActiveLogin {
            kind: login.kind,
            url: url_of(&login.url)?,
            refresh_url: login.refresh_url.as_deref().map(url_of).transpose()?,
            username,
            password,
            access_field: login.access_field.clone(),
            refresh_field: login.refresh_field.clone(),
            client_id: login.client_id.clone(),
            client_secret,
            scope: login.scope.clone(),
            template: profile.clone(),
        })
    }

    /// Whom it logs in as, for messages: the username or the client id.
    pub fn who(&self) -> &str {
        self.username
            .as_deref()
            .or(self.client_id.as_deref())
            .unwrap_or("")
    }
}

/// What a login obtained, as the profile renders it: `token` fills
/// `{token}`; `cookie` (django_session) goes in a `Cookie` header on the
/// handshakes and REST calls.
#[derive(Debug, Clone)]
pub struct Obtained {
    pub token: Secret,
    pub cookie: Option<SessionCookie>,
}

/// Django's session cookies and the CSRF the site expects with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCookie {
    /// `sessionid` (or the site's `SESSION_COOKIE_NAME`) and its value.
    pub name: String,
    pub session: Secret,
    /// `csrftoken`, sent back as the cookie and as `X-CSRFToken` on unsafe
    /// REST methods (Django's `CsrfViewMiddleware`).
    pub csrf: Option<Secret>,
    /// The `Origin` the site expects: its own scheme://host:port
    /// (Channels' `AllowedHostsOriginValidator`, Django's CSRF Origin check).
    pub origin: String,
}

impl SessionCookie {
    /// The `Cookie` header value.
    pub fn header(&self) -> String {
        let mut out = format!("{}={}", self.name, self.session.expose());
        if let Some(csrf) = &self.csrf {
            out.push_str(&format!("; csrftoken={}", csrf.expose()));
        }
        out
    }
}
