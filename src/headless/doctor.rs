//! `wsmon doctor --django DIR`: inspect a Django project with its own
//! interpreter (see [`crate::session::django`]) and print what it means
//! for WebSockets (see [`crate::diagnose::django`]) as text or JSON.
//! With a profile, its endpoints' paths, Origin and server host are
//! matched against the project and the processes serving its local ports
//! are looked up. Exit 0 when no finding is an error, 1 otherwise; a
//! project that cannot be inspected is a usage error (2). The text and
//! JSON are written by [`crate::output::doctor_report`].

use std::path::Path;

use crate::config::ActiveProfile;
use crate::facts::django::Doctor;
use crate::session::django::{self, DoctorError};

/// Runs the doctor on `project` with `python` (`--python`), else the
/// profile's `django_python`, else the one found (see
/// [`django::interpreter`]), matched against `profile` when given.
pub(crate) async fn run(
    project: &Path,
    python: Option<&Path>,
    profile: Option<&ActiveProfile>,
) -> Result<Doctor, DoctorError> {
    let python = python.or_else(|| profile.and_then(|p| p.django_python.as_deref()));
    let python = django::interpreter(project, python)?;
    let context = match profile {
        Some(p) => django::context(p).await,
        None => Default::default(),
    };
    django::run(project, &python, &context).await
}
