//! One login request and its answer: sending with the profile's client,
//! reading a capped body, finding the server's own words (DRF's `detail`
//! and `non_field_errors`, OAuth2's `error_description`, a Django form's
//! error list) and judging what a refusal means.

use reqwest::header::HeaderMap;
use serde_json::{Map, Value};

use super::LoginVerdict;
use crate::secret::Redactor;

/// Most of an answer's body read.
const BODY_LIMIT: usize = 256 * 1024;

/// An HTTP answer to a login request.
pub(crate) struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Why a login did not give a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub status: Option<u16>,
    pub verdict: LoginVerdict,
    /// The server's words or the transport error; redacted, excerpted.
    pub detail: Option<String>,
}

/// Sends `request`; a transport error is [`LoginVerdict::Unreachable`].
pub(crate) async fn send(
    request: reqwest::RequestBuilder,
    redactor: &Redactor,
) -> Result<Answer, Failure> {
    let mut response = request.send().await.map_err(|e| Failure {
        status: None,
        verdict: LoginVerdict::Unreachable,
        // `without_url`: the URL is shown elsewhere, redacted.
        detail: Some(
            redactor
                .redact(&crate::token_check::error_chain(&e.without_url()))
                .into_owned(),
        ),
    })?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = BODY_LIMIT - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= BODY_LIMIT {
            break;
        }
    }
    Ok(Answer {
        status,
        headers,
        body,
    })
}

impl Answer {
    /// The body as a JSON object, if it is one.
    pub(crate) fn json(&self) -> Option<Map<String, Value>> {
        match serde_json::from_slice(&self.body) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        }
    }

    /// A string field of a JSON answer.
    pub(crate) fn field(&self, name: &str) -> Option<String> {
        match self.json()?.get(name)? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            _ => None,
        }
    }

    /// The server's own words about a refusal, excerpted and redacted.
    pub(crate) fn words(&self, redactor: &Redactor) -> Option<String> {
        let words = match self.json() {
            Some(map) => json_words(&map),
            None => {
                let text = String::from_utf8_lossy(&self.body);
                form_errors(&text).or_else(|| {
                    let said = crate::diagnose::evidence::Said::of(text.to_string());
                    Some(said.words).filter(|w| !w.is_empty())
                })
            }
        }?;
        let words = crate::diagnose::excerpt(&redactor.redact(&words));
        Some(words.chars().take(200).collect())
    }

    /// The failure this (non-2xx) answer is.
    pub(crate) fn refusal(&self, redactor: &Redactor) -> Failure {
        let detail = self.words(redactor);
        Failure {
            status: Some(self.status),
            verdict: judge(self.status, detail.as_deref()),
            detail,
        }
    }
}

/// DRF (`detail`, `non_field_errors`, `{"password": ["…"]}`), OAuth2
/// (`error_description`, `error`) and other common error shapes.
fn json_words(map: &Map<String, Value>) -> Option<String> {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => items.iter().find_map(|i| i.as_str().map(str::to_string)),
        _ => None,
    };
    for key in [
        "detail",
        "non_field_errors",
        "error_description",
        "error",
        "message",
    ] {
        if let Some(words) = map.get(key).and_then(text) {
            return Some(words);
        }
    }
    // A field error: `password: This field is required.`
    map.iter()
        .find_map(|(k, v)| text(v).map(|t| format!("{k}: {t}")))
}

/// The first entry of a Django form's `<ul class="errorlist …">`, as text.
pub(crate) fn form_errors(html: &str) -> Option<String> {
    let start = html.find("class=\"errorlist")?;
    let rest = &html[start..];
    let li = rest.find("<li")?;
    let rest = &rest[li..];
    let open_end = rest.find('>')?;
    let rest = &rest[open_end + 1..];
    let end = rest.find("</li>").unwrap_or(rest.len());
    let text = strip_tags(&rest[..end]);
    Some(unescape(text.trim())).filter(|t| !t.is_empty())
}

fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut inside = false;
    for c in html.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

/// The entities Django's templates escape.
pub(crate) fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// What a refused login means, from its status and the server's words.
///
/// Django's stock answers (Django 5.x, DRF 3.x, simplejwt 5.x, observed
/// on the test suite's project): DRF `obtain_auth_token` answers 400
/// "Unable to log in with provided credentials."; simplejwt 401 "No
/// active account found with the given credentials"; `LoginView`
/// re-renders its form (200) with "Please enter a correct username and
/// password" or, where the site lets inactive users authenticate,
/// "This account is inactive."; django-oauth-toolkit 401
/// `invalid_client`. With Django's default backend an inactive account
/// gets the wrong-password answer: the server does not say which.
pub(crate) fn judge(status: u16, words: Option<&str>) -> LoginVerdict {
    let lower = words.unwrap_or_default().to_ascii_lowercase();
    let says = |needles: &[&str]| needles.iter().any(|n| lower.contains(n));
    if status == 404 {
        return LoginVerdict::NoSuchEndpoint;
    }
    if status >= 500 {
        return LoginVerdict::ServerError;
    }
    if says(&[
        "account is inactive",
        "user inactive",
        "account is disabled",
        "user is disabled",
        "account disabled",
        "not active",
    ]) {
        return LoginVerdict::InactiveAccount;
    }
    if says(&[
        "unable to log in",
        "correct username and password",
        "no active account found",
        "invalid_client",
        "invalid_grant",
        "invalid credentials",
        "invalid username or password",
        "incorrect",
        "wrong password",
    ]) {
        return LoginVerdict::WrongPassword;
    }
    LoginVerdict::Refused
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_django_answers_are_told_apart() {
        assert_eq!(
            judge(400, Some("Unable to log in with provided credentials.")),
            LoginVerdict::WrongPassword
        );
        assert_eq!(
            judge(
                401,
                Some("No active account found with the given credentials")
            ),
            LoginVerdict::WrongPassword
        );
        assert_eq!(
            judge(200, Some("This account is inactive.")),
            LoginVerdict::InactiveAccount
        );
        assert_eq!(
            judge(401, Some("invalid_client")),
            LoginVerdict::WrongPassword
        );
        assert_eq!(judge(404, Some("Not Found")), LoginVerdict::NoSuchEndpoint);
        assert_eq!(judge(502, None), LoginVerdict::ServerError);
        assert_eq!(
            judge(403, Some("CSRF Failed: CSRF token missing.")),
            LoginVerdict::Refused
        );
    }

    #[test]
    fn words_come_from_json_shapes_and_django_forms() {
        let map = |s: &str| serde_json::from_str::<Map<String, Value>>(s).unwrap();
        assert_eq!(
            json_words(&map(
                r#"{"non_field_errors":["Unable to log in with provided credentials."]}"#
            ))
            .as_deref(),
            Some("Unable to log in with provided credentials.")
        );
        assert_eq!(
            json_words(&map(r#"{"error":"invalid_client"}"#)).as_deref(),
            Some("invalid_client")
        );
        assert_eq!(
            json_words(&map(r#"{"password":["This field is required."]}"#)).as_deref(),
            Some("password: This field is required.")
        );
        let html = r#"<form><ul class="errorlist nonfield"><li>Please enter a correct username and password. Note that both fields may be case&#x27;sensitive.</li></ul>"#;
        assert_eq!(
            form_errors(html).as_deref(),
            Some(
                "Please enter a correct username and password. Note that both fields may be case'sensitive."
            )
        );
        assert_eq!(form_errors("<p>nothing</p>"), None);
    }
}
