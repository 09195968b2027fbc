//! `kind = "oauth2_client_credentials"`: the client credentials grant of
//! RFC 6749 §4.4 — POST `grant_type=client_credentials` (and `scope`) as a
//! form, the client authenticated with HTTP Basic (§2.3.1); the answer
//! (§5.1) holds `access_token` and, usually, `expires_in` seconds. Errors
//! (§5.2) are `{"error": "invalid_client", "error_description": …}`.
//!
//! Written by hand rather than with the `oauth2` crate: that crate brings
//! its own HTTP client integration (another reqwest major version), while
//! this request must go through the profile's client (its TLS trust and
//! proxy); the grant itself is one form POST.

use std::time::{Duration, SystemTime};

use super::Credential;
use super::answer::{self, Failure};
use super::drf_token::missing;
use crate::config::login::ActiveLogin;
use crate::secret::{Redactor, Secret};

/// Requests a token.
pub(crate) async fn obtain(
    client: &reqwest::Client,
    login: &ActiveLogin,
    redactor: &Redactor,
) -> Result<(u16, Credential), Failure> {
    let body = {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", "client_credentials");
        if let Some(scope) = &login.scope {
            form.append_pair("scope", scope);
        }
        form.finish()
    };
    // §2.3.1: client id and secret form-urlencoded, then Basic.
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let request = client
        .post(login.url.clone())
        .basic_auth(
            encode(login.client_id.as_deref().unwrap_or_default()),
            login.client_secret.as_ref().map(|s| encode(s.expose())),
        )
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .header(reqwest::header::ACCEPT, "application/json")
        .body(body);
    let answer = answer::send(request, redactor).await?;
    if !(200..300).contains(&answer.status) {
        return Err(answer.refusal(redactor));
    }
    let token = answer
        .field("access_token")
        .ok_or_else(|| missing(answer.status, "access_token"))?;
    let lifetime = answer
        .json()
        .and_then(|m| m.get("expires_in").and_then(serde_json::Value::as_f64))
        .filter(|s| *s > 0.0)
        .map(Duration::from_secs_f64);
    let mut credential = Credential::token(Secret::new(token));
    credential.lifetime = lifetime;
    credential.expires_at = lifetime.map(|l| SystemTime::now() + l);
    Ok((answer.status, credential))
}
