//! What a login (`[profiles.NAME.login]`) came to, as reported in
//! [`Event::Login`](super::Event::Login): the verdict, the server's words,
//! when the obtained credential expires. The login itself runs in
//! `crate::session::login`.

use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::config::login::LoginKind;

/// What a login came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginVerdict {
    /// A credential was obtained.
    LoggedIn,
    /// The server refused the username and password (or the OAuth2
    /// client id and secret).
    WrongPassword,
    /// The account exists but is inactive (the server said so).
    InactiveAccount,
    /// The login URL answered 404.
    NoSuchEndpoint,
    /// No HTTP answer (refused, DNS, TLS, timeout).
    Unreachable,
    /// 5xx.
    ServerError,
    /// Another refusal (a CSRF failure, 405, 400 for a missing field…).
    Refused,
    /// A 2xx without the token the kind reads.
    UnexpectedAnswer,
}

impl LoginVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            LoginVerdict::LoggedIn => "logged_in",
            LoginVerdict::WrongPassword => "wrong_password",
            LoginVerdict::InactiveAccount => "inactive_account",
            LoginVerdict::NoSuchEndpoint => "no_such_endpoint",
            LoginVerdict::Unreachable => "unreachable",
            LoginVerdict::ServerError => "server_error",
            LoginVerdict::Refused => "refused",
            LoginVerdict::UnexpectedAnswer => "unexpected_answer",
        }
    }

    /// Plain words for the dashboard and `check`.
    pub fn words(self, kind: LoginKind) -> &'static str {
        match (self, kind) {
            (LoginVerdict::LoggedIn, _) => "logged in",
            (LoginVerdict::WrongPassword, LoginKind::OAuth2ClientCredentials) => {
                "wrong client id or secret"
            }
            (LoginVerdict::WrongPassword, _) => "wrong password",
            (LoginVerdict::InactiveAccount, _) => "inactive account",
            (LoginVerdict::NoSuchEndpoint, _) => "no such endpoint (404)",
            (LoginVerdict::Unreachable, _) => "server unreachable",
            (LoginVerdict::ServerError, _) => "server error",
            (LoginVerdict::Refused, _) => "login refused",
            (LoginVerdict::UnexpectedAnswer, _) => "unexpected answer",
        }
    }

    /// Whether trying again soon may help (the others wait for a person).
    pub fn is_transient(self) -> bool {
        matches!(self, LoginVerdict::Unreachable | LoginVerdict::ServerError)
    }
}

/// Login (username and password, or client credentials) or refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginStep {
    Login,
    Refresh,
}

/// One login or refresh, as reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginResult {
    pub at: SystemTime,
    pub kind: LoginKind,
    pub step: LoginStep,
    /// The URL posted to (redacted).
    pub url: String,
    /// The username or OAuth2 client id.
    pub who: String,
    pub status: Option<u16>,
    pub verdict: LoginVerdict,
    /// The server's words (`detail`, `non_field_errors`, the form's
    /// error) or the transport error; redacted.
    pub detail: Option<String>,
    /// When the obtained token expires, when known.
    pub expires_at: Option<SystemTime>,
    pub latency: Duration,
}

impl LoginResult {
    pub fn ok(&self) -> bool {
        self.verdict == LoginVerdict::LoggedIn
    }

    /// "wrong password (HTTP 400: "Unable to log in with provided credentials.")".
    pub fn summary(&self) -> String {
        let mut out = self.verdict.words(self.kind).to_string();
        let status = self.status.map(|s| format!("HTTP {s}"));
        let detail = self.detail.as_ref().map(|d| format!("\"{d}\""));
        let said: Vec<String> = [status, detail].into_iter().flatten().collect();
        if !said.is_empty() && !self.ok() {
            out.push_str(&format!(" ({})", said.join(": ")));
        }
        out
    }
}
