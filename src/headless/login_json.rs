//! The `login` JSON object: a `tail` line (`"type": "login"`) and the
//! `login` field of `check --format json`. Never holds the token.

use serde_json::{Value, json};

use crate::diagnose::{Diagnosis, DiagnosisKind};
use crate::model::Model;
use crate::text_safe::visible;

use super::event_json::{Ts, push_line};
use crate::report::millis;
use crate::session::login::LoginResult;

/// The `login` object. `expires_at` is RFC 3339 (as `ts`), when known;
/// `words` is the verdict in plain words ("wrong password").
pub fn login_value(result: &LoginResult, as_event: bool) -> Value {
    let mut value = if as_event {
        json!({"ts": Ts(result.at), "type": "login"})
    } else {
        json!({})
    };
    if let Value::Object(map) = &mut value {
        map.insert("kind".into(), json!(result.kind));
        map.insert("step".into(), json!(result.step));
        map.insert("url".into(), json!(result.url));
        map.insert("user".into(), json!(result.who));
        map.insert("ok".into(), json!(result.ok()));
        map.insert("status".into(), json!(result.status));
        map.insert("verdict".into(), json!(result.verdict));
        map.insert("words".into(), json!(result.verdict.words(result.kind)));
        map.insert("detail".into(), json!(result.detail));
        map.insert("expires_at".into(), json!(result.expires_at.map(Ts)));
        map.insert("latency_ms".into(), json!(millis(result.latency)));
    }
    value
}

/// The `tail` line of a login.
pub fn login_line(out: &mut Vec<u8>, result: &LoginResult) {
    push_line(out, &login_value(result, true));
}

/// `check`'s text line of a login: "login jwt as sandra: logged in
/// (HTTP 200, 31 ms), expires 2026-…" or "login drf_token as sandra:
/// wrong password (HTTP 400): "Unable to log in with provided credentials."".
pub fn login_text(login: &Value) -> String {
    let status = login["status"]
        .as_u64()
        .map_or("no answer".to_string(), |s| format!("HTTP {s}"));
    let detail = login["detail"]
        .as_str()
        .filter(|_| login["ok"] != Value::Bool(true))
        .map(|d| format!(": \"{}\"", visible(d)))
        .unwrap_or_default();
    let expires = login["expires_at"]
        .as_str()
        .map(|e| format!(", token expires {e}"))
        .unwrap_or_default();
    format!(
        "login {} as {}: {} ({status}, {} ms){detail}{expires}",
        login["kind"].as_str().unwrap_or("?"),
        visible(login["user"].as_str().unwrap_or("?")),
        login["words"].as_str().unwrap_or("?"),
        login["latency_ms"],
    )
}

/// The diagnosis of an endpoint never dialled because the login failed.
pub fn not_dialled(model: &Model) -> Option<Diagnosis> {
    let login = model.login.as_ref().filter(|l| !l.ok())?;
    let fix = match login.verdict {
        crate::session::login::LoginVerdict::WrongPassword => {
            "Check the username and the password the profile reads (password_env / password_command)."
        }
        crate::session::login::LoginVerdict::InactiveAccount => {
            "Reactivate the user (Django admin: Active) or log in as an active account."
        }
        crate::session::login::LoginVerdict::NoSuchEndpoint => {
            "Check the login url: the server has no route there (see its urls.py)."
        }
        crate::session::login::LoginVerdict::Unreachable => {
            "Check that the server runs and the profile's server URL (and proxy) reach it."
        }
        _ => {
            "Read the server's words above; the login request is what the profile's [login] table describes."
        }
    };
    Some(Diagnosis::new(
        DiagnosisKind::AuthRejected,
        format!("Not dialled: the login failed: {}.", login.summary()),
        vec![fix.into()],
    ))
}
