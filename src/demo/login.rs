//! The demo's login route, in the shape of Django REST framework's
//! `obtain_auth_token` (`POST /api-token-auth/`): `{"username",
//! "password"}` → `{"token"}`, or 400 `{"non_field_errors": ["Unable to
//! log in with provided credentials."]}` (DRF's answer for a wrong
//! password and for an inactive account alike).
//!
//! Each demo user's password is `<name>-demo-password`: the demo profile
//! `demo-omar-login` logs in with it instead of holding a token.

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use tracing::info;

use super::USERS;

/// The password of a demo user.
pub(crate) fn password(name: &str) -> String {
    format!("{name}-demo-password")
}

/// `POST /api-token-auth/`.
pub(crate) async fn obtain_auth_token(body: Bytes) -> Response {
    let form: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let field = |name: &str| form.get(name).and_then(serde_json::Value::as_str);
    let (Some(username), Some(given)) = (field("username"), field("password")) else {
        let missing = if field("username").is_none() {
            "username"
        } else {
            "password"
        };
        let body = serde_json::json!({ missing: ["This field is required."] });
        return (StatusCode::BAD_REQUEST, Json(body)).into_response();
    };
    let user = USERS
        .iter()
        .find(|u| u.name == username && u.active && password(u.name) == given);
    match user {
        Some(user) => {
            info!(user = user.name, "login: 200");
            Json(serde_json::json!({ "token": user.token })).into_response()
        }
        None => {
            info!("login: 400");
            let body = serde_json::json!({
                "non_field_errors": ["Unable to log in with provided credentials."]
            });
            (StatusCode::BAD_REQUEST, Json(body)).into_response()
        }
    }
}
