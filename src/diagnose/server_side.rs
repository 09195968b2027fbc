//! The server side of an endpoint on this machine, read into the
//! diagnosis: which process listens on its port (see
//! [`crate::served_by`], which looks it up) and what that means
//! for a failed attempt. Pure: the facts come in, a finding goes out.
//!
//! Knowledge (observed on Django 5.2 / Channels 4.3, Daphne 4.2,
//! gunicorn 23, uvicorn 0.34):
//! - `manage.py runserver` serves WebSockets only when `daphne` is listed
//!   first in `INSTALLED_APPS` (Daphne replaces the command); otherwise it
//!   is Django's WSGI server and answers an upgrade as plain HTTP (404).
//! - gunicorn's default workers are sync (WSGI): no upgrade, ever; ASGI
//!   needs `-k uvicorn.workers.UvicornWorker` (or uvicorn-worker's).
//! - uvicorn without a WebSocket library (`websockets` or `wsproto`, both
//!   in `uvicorn[standard]`) or with `--ws none` logs "Unsupported upgrade
//!   request." and passes the request on as plain HTTP.
//! - An autoreloader (runserver, `uvicorn --reload`, watchfiles) restarts
//!   the serving process on every code change: a new pid on the port, and
//!   every open socket ends with 1006 (no close frame).

use std::time::Duration;

use super::{Diagnosis, DiagnosisKind};
use crate::facts::AttemptRecord;
use crate::served_by::{Listener, NEARBY, ServedBy, ServerRestart};
use crate::text_safe::visible;

/// Facts of a lookup are read into an attempt that ended at most this
/// long before them (the session looks up just before reporting the end).
const SAME_ATTEMPT: Duration = Duration::from_secs(5);

/// What the engine saw of the endpoint's server process.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Facts<'a> {
    /// The latest lookup.
    pub served_by: Option<&'a ServedBy>,
    /// The last process seen listening (kept while nothing listens).
    pub last_listener: Option<&'a Listener>,
    /// The latest change of listening process.
    pub restart: Option<&'a ServerRestart>,
}

/// One finding: a sentence and what to do, most likely first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Finding {
    pub summary: String,
    pub fixes: Vec<String>,
    /// The kind of failure the finding establishes, when it is surer than
    /// the attempt's own reading (the Django doctor's Origin refusal makes
    /// a bare 403 `origin_refused`); `None` keeps the attempt's kind.
    pub kind: Option<DiagnosisKind>,
}

/// `python manage.py runserver (pid 4242, user alice)`, terminal-safe
/// (control characters of the command line shown escaped).
pub(crate) fn describe(listener: &Listener) -> String {
    let command = visible(&listener.command);
    match &listener.user {
        Some(user) => format!("{command} (pid {}, user {})", listener.pid, visible(user)),
        None => format!("{command} (pid {})", listener.pid),
    }
}

/// Django's development server (`manage.py runserver`,
/// `django-admin runserver`).
pub(crate) fn is_runserver(command: &str) -> bool {
    command.split_whitespace().any(|w| w == "runserver")
}

/// gunicorn with its default sync (WSGI) workers: no `-k`/`--worker-class`
/// naming an ASGI (uvicorn) worker.
pub(crate) fn is_sync_gunicorn(command: &str) -> bool {
    let words: Vec<&str> = command.split_whitespace().collect();
    let gunicorn = words.iter().take(3).any(|w| {
        w.rsplit('/')
            .next()
            .is_some_and(|n| n.starts_with("gunicorn"))
    });
    gunicorn && !command.to_ascii_lowercase().contains("uvicorn")
}

/// uvicorn itself (not gunicorn running uvicorn workers).
pub(crate) fn is_uvicorn(command: &str) -> bool {
    let words: Vec<&str> = command.split_whitespace().collect();
    words
        .iter()
        .take(3)
        .any(|w| w.rsplit('/').next().is_some_and(|n| n == "uvicorn"))
}

/// What the server side says about `record`, whose own reading is `kind`;
/// `None` when the facts are not of this attempt or say nothing new.
pub(crate) fn finding(
    facts: &Facts,
    record: &AttemptRecord,
    kind: DiagnosisKind,
) -> Option<Finding> {
    let seen = facts.served_by?;
    // Facts of this attempt: looked up during it or just after its end.
    let fresh = seen.at >= record.started
        && seen
            .at
            .duration_since(record.ended)
            .map_or(true, |late| late <= SAME_ATTEMPT);
    if !fresh {
        return None;
    }
    let port = seen.port;
    if seen.listener.is_none() {
        if !seen.listening
            && let Some((near, who)) = seen.nearby.first()
        {
            let who = who
                .as_ref()
                .map_or("a process wsmon cannot see".to_string(), describe);
            return Some(Finding {
                kind: None,
                summary: format!(
                    "Nothing listens on port {port} on this machine, but {who} listens on port {near} nearby."
                ),
                fixes: vec![format!(
                    "If that is your server, use port {near} in the profile's `server` (or the endpoint's URL); otherwise start the server on port {port}."
                )],
            });
        }
        // Seen serving before, not seen now (a dying process's socket may
        // still be listed for a moment while its fds are gone).
        if let Some(last) = facts.last_listener {
            return Some(Finding {
                kind: None,
                summary: format!(
                    "{} served port {port} before and no longer holds it: it exited, crashed or is restarting.",
                    describe(last)
                ),
                fixes: vec![
                    "Look at that server's console for a traceback or a reload, and start it again if it is gone."
                        .into(),
                ],
            });
        }
        if !seen.listening && kind == DiagnosisKind::ConnectionRefused {
            return Some(Finding {
                kind: None,
                summary: format!(
                    "Nothing listens on port {port} on this machine, nor on the ports {} to {} around it.",
                    port.saturating_sub(NEARBY),
                    port.saturating_add(NEARBY)
                ),
                fixes: vec![format!(
                    "Start the server on port {port} (e.g. `daphne -b 127.0.0.1 -p {port} project.asgi:application`)."
                )],
            });
        }
        return None;
    }
    // The socket dropped without a close frame while the serving process
    // changed: the restart explains the 1006.
    if record.browser_close_code() == 1006
        && let Some(r) = facts.restart
        && r.seen >= record.started
    {
        return Some(Finding {
            kind: None,
            summary: format!(
                "The server process on port {port} restarted (pid {} → {}): an autoreloader (runserver, `uvicorn --reload`, watchfiles) restarting on a code change drops every open socket with 1006.",
                r.from.pid, r.to.pid
            ),
            fixes: vec![
                "Expected while you edit the server's code: wsmon reconnects. Run the server without autoreload (`runserver --noreload`) to rule it out.".into(),
            ],
        });
    }
    let listener = seen.listener.as_ref()?;
    let refused = matches!(record.handshake_status(), Some(s) if s != 101);
    if !refused {
        return None;
    }
    let who = describe(listener);
    let cmd = listener.command.as_str();
    if is_runserver(cmd) {
        return Some(Finding {
            kind: None,
            summary: format!(
                "Served by Django's runserver: {who}. Without `daphne` first in INSTALLED_APPS it is Django's WSGI server and answers the WebSocket upgrade as plain HTTP (Channels 4)."
            ),
            fixes: vec![
                "Put \"daphne\" first in INSTALLED_APPS and set ASGI_APPLICATION (e.g. \"project.asgi.application\"): runserver then serves WebSockets.".into(),
                "Or serve the ASGI application: `daphne project.asgi:application`.".into(),
            ],
        });
    }
    if is_sync_gunicorn(cmd) {
        return Some(Finding {
            kind: None,
            summary: format!(
                "Served by gunicorn with its default sync (WSGI) workers: {who}. They cannot upgrade a request to WebSocket."
            ),
            fixes: vec![
                "Run gunicorn with an ASGI worker: `gunicorn -k uvicorn.workers.UvicornWorker project.asgi:application`.".into(),
            ],
        });
    }
    if is_uvicorn(cmd) {
        return Some(Finding {
            kind: None,
            summary: format!(
                "Served by uvicorn: {who}. uvicorn answers an upgrade as plain HTTP when it has no WebSocket library (its log says \"Unsupported upgrade request.\") or runs with `--ws none`."
            ),
            fixes: vec![
                "Install a WebSocket library in the server's environment (`pip install 'uvicorn[standard]'` or `websockets`) and restart uvicorn.".into(),
            ],
        });
    }
    None
}

/// `diagnosis` with `finding` added: its sentence after the summary
/// ("Server side: …"), its fixes first.
///
/// A finding that establishes the kind (see [`Finding::kind`]) sets it;
/// when it also gives an Origin to send, the attempt's own Origin guesses
/// go, so that one Origin is recommended, not two. The finding's value is
/// the one the server's list accepts; it takes the port of the attempt's
/// guess when both name the same host (ALLOWED_HOSTS ignores the port, a
/// browser's Origin carries it).
pub(crate) fn with_finding(mut diagnosis: Diagnosis, finding: Option<Finding>) -> Diagnosis {
    let Some(f) = finding else {
        return diagnosis;
    };
    if let Some(kind) = f.kind {
        diagnosis.kind = kind;
    }
    diagnosis.summary = format!("{} Server side: {}", diagnosis.summary, f.summary);
    let mut fixes = f.fixes;
    let gives_origin = fixes.iter().any(|fix| origin_value(fix).is_some());
    let mut guesses = Vec::new();
    for fix in diagnosis.fixes {
        if gives_origin && let Some(value) = origin_value(&fix) {
            guesses.push(value.to_string());
            continue;
        }
        if !fixes.contains(&fix) {
            fixes.push(fix);
        }
    }
    for fix in &mut fixes {
        let Some(value) = origin_value(fix).map(str::to_string) else {
            continue;
        };
        if let Some(better) = guesses.iter().find(|g| same_host_with_port(&value, g)) {
            *fix = fix.replacen(
                &format!("Origin = \"{value}\""),
                &format!("Origin = \"{better}\""),
                1,
            );
        }
    }
    diagnosis.fixes = fixes;
    diagnosis
}

/// The value of an `Origin = "…"` a fix tells to send, if it names one.
fn origin_value(fix: &str) -> Option<&str> {
    let start = fix.find("Origin = \"")? + "Origin = \"".len();
    let len = fix[start..].find('"')?;
    Some(&fix[start..start + len])
}

/// Whether `with_port` is `value` (an origin without a port) with a port
/// added: same scheme and host.
fn same_host_with_port(value: &str, with_port: &str) -> bool {
    match (url::Url::parse(value), url::Url::parse(with_port)) {
        (Ok(v), Ok(w)) => {
            v.port().is_none()
                && w.port().is_some()
                && v.scheme() == w.scheme()
                && v.host_str().is_some()
                && v.host_str() == w.host_str()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests;
