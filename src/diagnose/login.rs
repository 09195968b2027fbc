//! An endpoint never dialled because its profile's login failed: the
//! diagnosis `check` gives it, from the login's verdict (pure).

use super::{Diagnosis, DiagnosisKind};
use crate::facts::login::{LoginResult, LoginVerdict};

/// The diagnosis of an endpoint not dialled after `login` failed; `None`
/// when the login succeeded.
pub(crate) fn not_dialled(login: &LoginResult) -> Option<Diagnosis> {
    if login.ok() {
        return None;
    }
    let fix = match login.verdict {
        LoginVerdict::WrongPassword => {
            "Check the username and the password the profile reads (password_env / password_command)."
        }
        LoginVerdict::InactiveAccount => {
            "Reactivate the user (Django admin: Active) or log in as an active account."
        }
        LoginVerdict::NoSuchEndpoint => {
            "Check the login url: the server has no route there (see its urls.py)."
        }
        LoginVerdict::Unreachable => {
            "Check that the server runs and that the profile's server URL (and proxy) reach it."
        }
        _ => {
            "Read the server's words above; the request is what the profile's [login] table describes."
        }
    };
    Some(Diagnosis::new(
        DiagnosisKind::AuthRejected,
        format!("Not dialled: the login failed: {}.", login.summary()),
        vec![fix.into()],
    ))
}
