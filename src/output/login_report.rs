//! A login or token refresh (`[profiles.NAME.login]`) as written: the
//! fields of `tail`'s `login` line and the `check` report's `login`, and
//! its text line. Never holds the token.

use serde::Serialize;

use super::tail_line::Ts;
use crate::config::login::LoginKind;
use crate::report::millis;
use crate::session::login::{LoginResult, LoginStep, LoginVerdict};
use crate::text_safe::visible;

/// `kind`, `step` (`login` / `refresh`), `url` (redacted), `user` (the
/// username or OAuth2 client id), `ok`, `status` (`null` without an
/// answer), `verdict`, `words` (the verdict in plain words: "wrong
/// password"), `detail` (the server's words or the transport error),
/// `expires_at` (RFC 3339, when the obtained token expires, if known),
/// `latency_ms`.
#[derive(Debug, Clone, Serialize)]
pub struct LoginReport {
    pub kind: LoginKind,
    pub step: LoginStep,
    pub url: String,
    pub user: String,
    pub ok: bool,
    pub status: Option<u16>,
    pub verdict: LoginVerdict,
    pub words: &'static str,
    pub detail: Option<String>,
    pub expires_at: Option<Ts>,
    pub latency_ms: u64,
}

impl From<&LoginResult> for LoginReport {
    fn from(result: &LoginResult) -> Self {
        LoginReport {
            kind: result.kind,
            step: result.step,
            url: result.url.clone(),
            user: result.who.clone(),
            ok: result.ok(),
            status: result.status,
            verdict: result.verdict,
            words: result.verdict.words(result.kind),
            detail: result.detail.clone(),
            expires_at: result.expires_at.map(Ts),
            latency_ms: millis(result.latency),
        }
    }
}

impl LoginReport {
    /// `check`'s text line: "login jwt as omar: logged in (HTTP 200,
    /// 31 ms), token expires 2026-…" or "login drf_token as sandra: wrong
    /// password (HTTP 400, 420 ms): "Unable to log in with provided
    /// credentials."".
    pub fn text(&self) -> String {
        let status = self
            .status
            .map_or("no answer".to_string(), |s| format!("HTTP {s}"));
        let detail = self
            .detail
            .as_deref()
            .filter(|_| !self.ok)
            .map(|d| format!(": \"{}\"", visible(d)))
            .unwrap_or_default();
        let expires = self
            .expires_at
            .map(|e| format!(", token expires {}", humantime::format_rfc3339_millis(e.0)))
            .unwrap_or_default();
        format!(
            "login {} as {}: {} ({status}, {} ms){detail}{expires}",
            self.kind.as_str(),
            visible(&self.user),
            self.words,
            self.latency_ms,
        )
    }
}
