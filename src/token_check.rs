//! The REST token check: `GET server + token_check` with
//! `Authorization: <auth_scheme> <token>`, and a verdict on the answer.
//!
//! It tells "the token is bad" apart from "the socket refuses a good token",
//! which a browser's `1006` never can.

use std::time::{Duration, SystemTime};

pub use crate::facts::token_check::{TokenCheckResult, Verdict};

/// Most of an answer's body read to find its `detail`.
const BODY_LIMIT: usize = 64 * 1024;

/// An HTTP client for token checks, with the profile's TLS config (the
/// same trust as its sockets), connecting directly.
pub fn client(timeout: Duration, tls: &rustls::ClientConfig) -> reqwest::Client {
    client_via(timeout, tls, &crate::proxy::Proxies::default())
}

/// [`client`] through the profile's proxies (the same choice as its
/// sockets: [`crate::proxy`]). reqwest's own reading of the environment
/// is off, so loopback bypass and `NO_PROXY` follow wsmon's rules.
pub fn client_via(
    timeout: Duration,
    tls: &rustls::ClientConfig,
    proxies: &crate::proxy::Proxies,
) -> reqwest::Client {
    let tls = tls.clone();
    let mut builder = reqwest::Client::builder().no_proxy();
    if let Some(proxy) = proxies.reqwest() {
        builder = builder.proxy(proxy);
    }
    builder
        .use_preconfigured_tls(tls)
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("wsmon/", env!("CARGO_PKG_VERSION")))
        .build()
        // Building only fails on TLS backend misconfiguration, which the
        // preconfigured rustls config rules out; fall back to defaults.
        .unwrap_or_default()
}

/// Runs the check once: `GET url` with `Authorization: <scheme> <token>`.
pub async fn run(
    client: &reqwest::Client,
    url: &url::Url,
    profile: &crate::config::ActiveProfile,
) -> TokenCheckResult {
    let redactor = &profile.redactor;
    let started = std::time::Instant::now();
    let at = SystemTime::now();
    let shown = redactor.redact(url.as_str()).into_owned();
    let request = authorize(client.get(url.clone()), profile, false);
    let response = match request.send().await {
        Ok(response) => response,
        Err(e) => {
            // `without_url`: reqwest errors carry the URL, which may hold a token.
            let mut detail = redactor.redact(&error_chain(&e.without_url())).into_owned();
            // reqwest says "tunnel error: unsuccessful": name the proxy.
            if let Some(route) = profile.proxy.route(url) {
                detail = format!("through proxy {}: {detail}", route.shown);
            }
            return TokenCheckResult {
                at,
                url: shown,
                status: None,
                verdict: Verdict::Unreachable,
                detail: Some(detail),
                latency: started.elapsed(),
            };
        }
    };
    let status = response.status().as_u16();
    let body = read_capped(response).await;
    let latency = started.elapsed();
    let detail = detail_of(&body).map(|d| redactor.redact(&d).into_owned());
    TokenCheckResult {
        at,
        url: shown,
        status: Some(status),
        verdict: verdict(status, detail.as_deref()),
        detail,
        latency,
    }
}

/// Adds the profile's credentials to a REST request: `Authorization:
/// <auth_scheme> <token>`, or for a Django session login its cookies and
/// the site's `Origin` (and, on an `unsafe` method, `X-CSRFToken` and a
/// same-origin `Referer`, which Django's CSRF check asks of a
/// session-authenticated POST).
pub fn authorize(
    mut request: reqwest::RequestBuilder,
    profile: &crate::config::ActiveProfile,
    unsafe_method: bool,
) -> reqwest::RequestBuilder {
    if let Some(cookie) = &profile.session_cookie {
        request = request
            .header(reqwest::header::COOKIE, cookie.header())
            .header(reqwest::header::ORIGIN, &cookie.origin);
        if unsafe_method && let Some(csrf) = &cookie.csrf {
            request = request
                .header("X-CSRFToken", csrf.expose())
                .header(reqwest::header::REFERER, format!("{}/", cookie.origin));
        }
        return request;
    }
    if let Some(token) = &profile.token {
        request = request.header(
            reqwest::header::AUTHORIZATION,
            format!("{} {}", profile.auth_scheme, token.expose()),
        );
    }
    request
}

/// The verdict for an HTTP status and the API's `detail` text.
pub fn verdict(status: u16, detail: Option<&str>) -> Verdict {
    match status {
        200..=299 => Verdict::Valid,
        401 | 403 => {
            let detail = detail.unwrap_or_default().to_ascii_lowercase();
            if detail.contains("inactive")
                || detail.contains("deleted")
                || detail.contains("disabled")
            {
                Verdict::Inactive
            } else if detail.contains("not provided") || detail.contains("credentials were not") {
                Verdict::Missing
            } else {
                Verdict::Invalid
            }
        }
        _ => Verdict::Unexpected,
    }
}

async fn read_capped(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = BODY_LIMIT - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= BODY_LIMIT {
            break;
        }
    }
    body
}

/// DRF's `{"detail": "…"}` (or `message`/`error`), else the body's first
/// line, at most 200 characters.
fn detail_of(body: &[u8]) -> Option<String> {
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) {
        // A JSON answer without a detail field (e.g. the list a valid token
        // gets) has no detail to show.
        let serde_json::Value::Object(map) = json else {
            return None;
        };
        return ["detail", "message", "error"]
            .iter()
            .find_map(|key| match map.get(*key) {
                Some(serde_json::Value::String(text)) => Some(text.chars().take(200).collect()),
                _ => None,
            });
    }
    // An HTML error page reads as its title and heading (never "<html>");
    // plain text as its first line.
    let text = String::from_utf8_lossy(body);
    let said = crate::diagnose::evidence::Said::of(text.to_string());
    if matches!(
        said.shape,
        crate::diagnose::evidence::body::Shape::Html { .. }
    ) {
        return Some(said.words.chars().take(200).collect()).filter(|w: &String| !w.is_empty());
    }
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    Some(line.chars().take(200).collect())
}

/// An error with its sources, `: `-joined.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_follow_drf_texts() {
        assert_eq!(verdict(200, None), Verdict::Valid);
        assert_eq!(verdict(401, Some("Invalid token.")), Verdict::Invalid);
        assert_eq!(
            verdict(401, Some("User inactive or deleted.")),
            Verdict::Inactive
        );
        assert_eq!(
            verdict(401, Some("Authentication credentials were not provided.")),
            Verdict::Missing
        );
        assert_eq!(verdict(403, None), Verdict::Invalid);
        assert_eq!(verdict(404, None), Verdict::Unexpected);
        assert_eq!(verdict(500, None), Verdict::Unexpected);
    }

    #[test]
    fn detail_comes_from_json_or_first_line() {
        assert_eq!(
            detail_of(br#"{"detail":"Invalid token."}"#).as_deref(),
            Some("Invalid token.")
        );
        assert_eq!(
            detail_of(b"\n  <h1>Not Found</h1>\nmore").as_deref(),
            Some("Not Found")
        );
        // nginx's own 502 page, as a REST check through a proxy gets it.
        assert_eq!(
            detail_of(b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n").as_deref(),
            Some("502 Bad Gateway")
        );
        assert_eq!(
            detail_of(b"plain words\nsecond").as_deref(),
            Some("plain words")
        );
        assert_eq!(detail_of(b"[]"), None);
    }
}
