//! `kind = "drf_token"`: Django REST framework's `obtain_auth_token`
//! (`rest_framework.authtoken.views`): POST `{"username", "password"}`,
//! the answer is `{"token": "…"}`. DRF tokens do not expire.

use super::answer::{self, Failure};
use super::{Credential, LoginVerdict};
use crate::config::login::ActiveLogin;
use crate::secret::{Redactor, Secret};

/// Logs in once.
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
    if !(200..300).contains(&answer.status) {
        return Err(answer.refusal(redactor));
    }
    let token = answer
        .field("token")
        .ok_or_else(|| missing(answer.status, "token"))?;
    Ok((answer.status, Credential::token(Secret::new(token))))
}

/// `{"username": …, "password": …}`.
pub(crate) fn user_body(login: &ActiveLogin) -> serde_json::Value {
    serde_json::json!({
        "username": login.username.as_deref().unwrap_or_default(),
        "password": login.password.as_ref().map(Secret::expose).unwrap_or_default(),
    })
}

/// A 2xx answer without the field the kind reads.
pub(crate) fn missing(status: u16, field: &str) -> Failure {
    Failure {
        status: Some(status),
        verdict: LoginVerdict::UnexpectedAnswer,
        detail: Some(format!("the answer has no `{field}` field")),
    }
}
