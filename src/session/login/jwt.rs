//! `kind = "jwt"`: djangorestframework-simplejwt's shape. POST
//! `{"username", "password"}` to `TokenObtainPairView` for
//! `{"access", "refresh"}`; POST `{"refresh"}` to `TokenRefreshView` for a
//! new `access` (and a new `refresh` when the server rotates them). The
//! field names are the profile's (`access_field`, `refresh_field`).
//!
//! The access token's `exp` claim (RFC 7519 §4.1.4, seconds since the
//! epoch) is read without verifying the signature: wsmon only needs to
//! know when to renew, and the server stays the judge of validity.

use std::time::{Duration, SystemTime};

use base64::Engine as _;

use super::Credential;
use super::answer::{self, Failure};
use super::drf_token::{missing, user_body};
use crate::config::login::ActiveLogin;
use crate::secret::{Redactor, Secret};

/// Logs in for an access/refresh pair.
pub(crate) async fn obtain(
    client: &reqwest::Client,
    login: &ActiveLogin,
    redactor: &Redactor,
) -> Result<(u16, Credential), Failure> {
    let answer = answer::send(
        client.post(login.url.clone()).json(&user_body(login)),
        redactor,
    )
    .await?;
    credential(answer, login, None, redactor)
}

/// Turns the refresh token into a new access token (at `refresh_url`).
pub(crate) async fn refresh(
    client: &reqwest::Client,
    login: &ActiveLogin,
    url: &url::Url,
    refresh: &Secret,
    redactor: &Redactor,
) -> Result<(u16, Credential), Failure> {
    let body = serde_json::json!({ login.refresh_field.as_str(): refresh.expose() });
    let answer = answer::send(client.post(url.clone()).json(&body), redactor).await?;
    credential(answer, login, Some(refresh), redactor)
}

fn credential(
    answer: answer::Answer,
    login: &ActiveLogin,
    kept_refresh: Option<&Secret>,
    redactor: &Redactor,
) -> Result<(u16, Credential), Failure> {
    if !(200..300).contains(&answer.status) {
        return Err(answer.refusal(redactor));
    }
    let access = answer
        .field(&login.access_field)
        .ok_or_else(|| missing(answer.status, &login.access_field))?;
    let refresh = answer
        .field(&login.refresh_field)
        .map(Secret::new)
        .or_else(|| kept_refresh.cloned());
    let now = SystemTime::now();
    let expires_at = expiry(&access);
    let mut credential = Credential::token(Secret::new(access));
    credential.refresh = refresh;
    credential.expires_at = expires_at;
    credential.lifetime = expires_at.and_then(|e| e.duration_since(now).ok());
    Ok((answer.status, credential))
}

/// The `exp` claim of a JWT (`header.payload.signature`, base64url
/// without padding, RFC 7515 §2), unverified; `None` for anything else.
pub(crate) fn expiry(token: &str) -> Option<SystemTime> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_f64()?;
    (exp > 0.0).then(|| SystemTime::UNIX_EPOCH + Duration::from_secs_f64(exp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_read_without_verifying() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"token_type":"access","exp":1900000000,"user_id":1}"#);
        let token = format!("eyJhbGciOiJIUzI1NiJ9.{payload}.not-a-signature");
        assert_eq!(
            expiry(&token),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_900_000_000))
        );
        assert_eq!(expiry("opaque-drf-token"), None);
        assert_eq!(expiry("a.!!!.c"), None);
    }
}
