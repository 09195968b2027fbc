//! `kind = "django_session"`: Django's `LoginView` as a browser uses it.
//! GET the login page (the `csrftoken` cookie and the form's
//! `csrfmiddlewaretoken`), POST the form with both, and keep the
//! `sessionid` cookie of the redirect that a successful login answers
//! (302). A failed login re-renders the form (200) with its error list.
//!
//! The POST carries the site's own `Origin` and `Referer`: Django's CSRF
//! check compares them with the host (and, over HTTPS, requires Referer).

use reqwest::header::{COOKIE, ORIGIN, REFERER, SET_COOKIE};

use super::answer::{self, Failure, form_errors};
use super::{Credential, LoginVerdict};
use crate::config::login::{ActiveLogin, SessionCookie};
use crate::secret::{Redactor, Secret};

/// Logs in through the form.
pub(crate) async fn obtain(
    client: &reqwest::Client,
    login: &ActiveLogin,
    redactor: &Redactor,
) -> Result<(u16, Credential), Failure> {
    let page = answer::send(client.get(login.url.clone()), redactor).await?;
    if !(200..300).contains(&page.status) {
        return Err(page.refusal(redactor));
    }
    let mut cookies = set_cookies(&page.headers);
    let html = String::from_utf8_lossy(&page.body);
    let form_token = hidden_input(&html, "csrfmiddlewaretoken");
    let csrf_cookie = cookie(&cookies, "csrftoken");
    let Some(csrf) = form_token.or_else(|| csrf_cookie.clone()) else {
        return Err(Failure {
            status: Some(page.status),
            verdict: LoginVerdict::UnexpectedAnswer,
            detail: Some("the login page has no CSRF token (no csrfmiddlewaretoken field, no csrftoken cookie)".into()),
        });
    };
    let origin = login.url.origin().ascii_serialization();
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("csrfmiddlewaretoken", &csrf)
        .append_pair("username", login.username.as_deref().unwrap_or_default())
        .append_pair(
            "password",
            login
                .password
                .as_ref()
                .map(Secret::expose)
                .unwrap_or_default(),
        )
        .finish();
    let mut request = client
        .post(login.url.clone())
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .header(ORIGIN, &origin)
        .header(REFERER, login.url.as_str())
        .body(body);
    if let Some(value) = &csrf_cookie {
        request = request.header(COOKIE, format!("csrftoken={value}"));
    }
    let answer = answer::send(request, redactor).await?;
    cookies.extend(set_cookies(&answer.headers));
    let session = cookie(&cookies, "sessionid");
    match (answer.status, session) {
        (200..=399, Some(session)) => {
            let csrf = cookie(&cookies, "csrftoken").map(Secret::new);
            let session = Secret::new(session);
            let mut credential = Credential::token(session.clone());
            credential.cookie = Some(SessionCookie {
                name: "sessionid".into(),
                session,
                csrf,
                origin,
            });
            Ok((answer.status, credential))
        }
        // The form again, with its errors.
        (200, None) => {
            let html = String::from_utf8_lossy(&answer.body);
            let detail = form_errors(&html).map(|w| crate::diagnose::excerpt(&redactor.redact(&w)));
            let verdict = match &detail {
                Some(words) => answer::judge(answer.status, Some(words)),
                None => LoginVerdict::UnexpectedAnswer,
            };
            Err(Failure {
                status: Some(answer.status),
                verdict,
                detail: detail.or(Some(
                    "the login form came back without a session cookie".into(),
                )),
            })
        }
        (200..=399, None) => Err(Failure {
            status: Some(answer.status),
            verdict: LoginVerdict::UnexpectedAnswer,
            detail: Some("the answer set no sessionid cookie".into()),
        }),
        _ => Err(answer.refusal(redactor)),
    }
}

/// `name=value` of every `Set-Cookie`, in order.
fn set_cookies(headers: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| {
            let pair = v.split(';').next()?;
            let (name, value) = pair.split_once('=')?;
            Some((
                name.trim().to_string(),
                value.trim().trim_matches('"').to_string(),
            ))
        })
        .collect()
}

/// The last value set for `name` (a later `Set-Cookie` wins); an empty
/// value is a deletion.
fn cookie(cookies: &[(String, String)], name: &str) -> Option<String> {
    cookies
        .iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
}

/// The `value` of `<input … name="NAME" value="…">`.
fn hidden_input(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let value = tag.split("value=\"").nth(1)?.split('"').next()?;
    Some(answer::unescape(value)).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_token_is_found_in_either_attribute_order() {
        let a = r#"<form><input type="hidden" name="csrfmiddlewaretoken" value="abc123"></form>"#;
        let b = r#"<input type="hidden" value="xyz789" name="csrfmiddlewaretoken">"#;
        assert_eq!(
            hidden_input(a, "csrfmiddlewaretoken").as_deref(),
            Some("abc123")
        );
        assert_eq!(
            hidden_input(b, "csrfmiddlewaretoken").as_deref(),
            Some("xyz789")
        );
        assert_eq!(hidden_input("<p>", "csrfmiddlewaretoken"), None);
    }

    #[test]
    fn later_cookies_win_and_empty_ones_delete() {
        let c = vec![
            ("csrftoken".to_string(), "one".to_string()),
            ("csrftoken".to_string(), "two".to_string()),
            ("sessionid".to_string(), String::new()),
        ];
        assert_eq!(cookie(&c, "csrftoken").as_deref(), Some("two"));
        assert_eq!(cookie(&c, "sessionid"), None);
    }
}
