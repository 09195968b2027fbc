//! The Django doctor's I/O: runs a small read-only script (`inspect.py`,
//! embedded) with the project's own interpreter through `python manage.py
//! shell -c` in the project folder, parses the JSON it prints, checks
//! that the channel layer's Redis hosts answer, and looks up which
//! processes serve the profile's local ports. What it all means lives in
//! [`crate::diagnose::django`].
//!
//! The interpreter: `--python` or the profile's `django_python`, else
//! `$VIRTUAL_ENV/bin/python`, else a
//! `.venv` or `venv` in the project folder, else `python3` on `PATH`. The
//! settings module is manage.py's own default unless
//! `DJANGO_SETTINGS_MODULE` is set in wsmon's environment.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::config::ActiveProfile;
use crate::diagnose::django::{self};
use crate::facts::django::{
    Context, Doctor, EndpointFacts, Inspection, Reach, ReachOutcome, Role, Serving,
};
use crate::facts::django::{Layer, LayerHost};
use crate::text_safe::visible;

/// The inspection script (`manage.py shell -c`).
pub(crate) const SCRIPT: &str = include_str!("inspect.py");

/// How long the script may take: a cold import of Django, Channels and
/// the project's apps on a busy machine.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(90);

/// How long a Redis host gets to accept and answer `PING`.
const REACH_TIMEOUT: Duration = Duration::from_secs(2);

const BEGIN: &str = "@@wsmon-doctor-begin@@";
const END: &str = "@@wsmon-doctor-end@@";

/// Why a project could not be inspected. Texts are terminal-safe.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DoctorError {
    #[error("{0} is not a folder")]
    NoProject(String),
    #[error("{0} has no manage.py: point --django (or django_project) at the folder that holds it")]
    NoManagePy(String),
    #[error("{0}")]
    NoInterpreter(String),
    #[error("cannot run {python}: {detail}")]
    Spawn { python: String, detail: String },
    #[error("{python} manage.py shell did not finish within {}s", TIMEOUT.as_secs())]
    Timeout { python: String },
    /// manage.py failed before the script could print (Django missing,
    /// settings that do not import): the exception's last line.
    #[error("`{python} manage.py shell` failed: {last_line}{hint}")]
    Failed {
        python: String,
        last_line: String,
        hint: String,
    },
    #[error("the inspection printed no readable report ({0})")]
    BadOutput(String),
}

impl DoctorError {
    /// What to do about it.
    pub(crate) fn fixes(&self) -> Vec<String> {
        match self {
            DoctorError::NoInterpreter(_) | DoctorError::Spawn { .. } => vec![
                FIX_INTERPRETER.into(),
            ],
            DoctorError::Failed { .. } => vec![
                "Run `python manage.py check` in the project with the same interpreter to see the whole traceback.".into(),
            ],
            _ => Vec::new(),
        }
    }
}

/// What to do when the interpreter is missing or lacks Django: the
/// profile's field works for every command, `--python` only for `doctor`.
const FIX_INTERPRETER: &str = "Name the project's interpreter in the profile: django_python = \"/path/to/venv/bin/python\" (or `wsmon doctor --python PATH`), or activate its virtualenv (VIRTUAL_ENV).";

/// The interpreter to run: `explicit` (`--python`, the profile's
/// `django_python`), else the active virtualenv's, else
/// a `.venv`/`venv` in `project`, else `python3` on `PATH`.
pub(crate) fn interpreter(project: &Path, explicit: Option<&Path>) -> Result<PathBuf, DoctorError> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    let bin = |root: &Path| {
        if cfg!(windows) {
            root.join("Scripts").join("python.exe")
        } else {
            root.join("bin").join("python")
        }
    };
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV").filter(|v| !v.is_empty()) {
        let python = bin(Path::new(&venv));
        if python.is_file() {
            return Ok(python);
        }
    }
    for dir in [".venv", "venv"] {
        let python = bin(&project.join(dir));
        if python.is_file() {
            return Ok(python);
        }
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("python3"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            DoctorError::NoInterpreter(
                "no Python found: no django_python (or doctor's --python), no $VIRTUAL_ENV, no .venv or venv in the project, no python3 on PATH".into(),
            )
        })
}

/// Runs the inspection script in `project` with `python`.
pub(crate) async fn inspect(project: &Path, python: &Path) -> Result<Inspection, DoctorError> {
    let shown = visible(&python.display().to_string()).into_owned();
    if !project.is_dir() {
        return Err(DoctorError::NoProject(
            visible(&project.display().to_string()).into_owned(),
        ));
    }
    if !project.join("manage.py").is_file() {
        return Err(DoctorError::NoManagePy(
            visible(&project.display().to_string()).into_owned(),
        ));
    }
    let child = tokio::process::Command::new(python)
        .args(["manage.py", "shell", "--verbosity", "0", "-c", SCRIPT])
        .current_dir(project)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| DoctorError::Spawn {
            python: shown.clone(),
            detail: e.to_string(),
        })?;
    let output = match tokio::time::timeout(TIMEOUT, child.wait_with_output()).await {
        Err(_) => return Err(DoctorError::Timeout { python: shown }),
        Ok(Err(e)) => {
            return Err(DoctorError::Spawn {
                python: shown,
                detail: e.to_string(),
            });
        }
        Ok(Ok(out)) => out,
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    if let Some(json) = between_markers(&stdout) {
        return serde_json::from_str(json)
            .map_err(|e| DoctorError::BadOutput(visible(&e.to_string()).into_owned()));
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last_line = last_line(&stderr)
        .or_else(|| last_line(&stdout))
        .unwrap_or_else(|| format!("exit status {}", output.status));
    let hint = if last_line.contains("No module named 'django'")
        || last_line.contains("Couldn't import Django")
    {
        " (this interpreter has no Django: name the project's with django_python in the profile or doctor's --python, or activate its virtualenv)"
            .to_string()
    } else {
        String::new()
    };
    Err(DoctorError::Failed {
        python: shown,
        last_line: visible(&last_line).into_owned(),
        hint,
    })
}

fn between_markers(stdout: &str) -> Option<&str> {
    let start = stdout.find(BEGIN)? + BEGIN.len();
    let end = start + stdout[start..].find(END)?;
    Some(stdout[start..end].trim())
}

/// The last non-empty line (a Python traceback's exception line).
fn last_line(text: &str) -> Option<String> {
    text.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| l.chars().take(300).collect())
}

/// Whether each Redis host of `layers` answers.
pub(crate) async fn reach(layers: &[Layer]) -> Vec<Reach> {
    let mut out = Vec::new();
    for layer in layers {
        for host in &layer.hosts {
            out.push(Reach {
                alias: layer.alias.clone(),
                address: host.address(),
                outcome: reach_one(host).await,
            });
        }
    }
    out
}

async fn reach_one(host: &LayerHost) -> ReachOutcome {
    match (&host.host, host.port, &host.unix) {
        (Some(name), Some(port), _) => {
            let connect = tokio::net::TcpStream::connect((name.as_str(), port));
            match tokio::time::timeout(REACH_TIMEOUT, connect).await {
                Err(_) => ReachOutcome::Unreachable {
                    detail: format!("no answer within {}s", REACH_TIMEOUT.as_secs()),
                },
                Ok(Err(e)) => ReachOutcome::Unreachable {
                    detail: e.to_string().to_lowercase(),
                },
                // rediss://: the TLS handshake is Redis's business.
                Ok(Ok(_)) if host.tls => ReachOutcome::Accepted,
                Ok(Ok(stream)) => ping(stream).await,
            }
        }
        #[cfg(unix)]
        (_, _, Some(path)) => {
            match tokio::time::timeout(REACH_TIMEOUT, tokio::net::UnixStream::connect(path)).await {
                Err(_) => ReachOutcome::Unreachable {
                    detail: "no answer".into(),
                },
                Ok(Err(e)) => ReachOutcome::Unreachable {
                    detail: e.to_string().to_lowercase(),
                },
                Ok(Ok(stream)) => ping(stream).await,
            }
        }
        _ => ReachOutcome::Unchecked,
    }
}

/// `PING` in Redis' inline command form; any RESP simple string or error
/// (`+PONG`, `-NOAUTH Authentication required.`) is Redis.
async fn ping<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(mut s: S) -> ReachOutcome {
    let talk = async {
        s.write_all(b"PING\r\n").await?;
        let mut buf = [0u8; 64];
        let n = s.read(&mut buf).await?;
        Ok::<_, std::io::Error>(buf[..n].to_vec())
    };
    match tokio::time::timeout(REACH_TIMEOUT, talk).await {
        Ok(Ok(answer)) if matches!(answer.first(), Some(b'+' | b'-')) => ReachOutcome::Redis,
        Ok(Ok(answer)) if answer.is_empty() => ReachOutcome::NotRedis {
            detail: "it closed the connection".into(),
        },
        Ok(Ok(answer)) => ReachOutcome::NotRedis {
            detail: format!(
                "it answered {}",
                crate::diagnose::excerpt(&String::from_utf8_lossy(&answer))
            ),
        },
        Ok(Err(e)) => ReachOutcome::NotRedis {
            detail: e.to_string().to_lowercase(),
        },
        Err(_) => ReachOutcome::NotRedis {
            detail: "no answer to PING".into(),
        },
    }
}

/// What `profile` sends and which local processes serve it (looked up
/// now; blocking reads of `/proc` run off the async thread).
pub(crate) async fn context(profile: &ActiveProfile) -> Context {
    // A Django session login sends the site's own Origin on every
    // handshake that sets none (see `Profile::render_logged_in`); the
    // profile as activated before the login does not carry it yet.
    let login_origin = (profile.login.as_ref())
        .filter(|l| l.kind == crate::config::login::LoginKind::DjangoSession)
        .map(|l| l.url.origin().ascii_serialization());
    let endpoints = (profile.endpoints.iter())
        .map(|e| EndpointFacts {
            name: e.name.clone(),
            path: e.url.path().to_string(),
            origin: (e.headers.iter())
                .find(|(k, _)| k.eq_ignore_ascii_case("origin"))
                .map(|(_, v)| v.expose().to_string())
                .or_else(|| login_origin.clone()),
        })
        .collect();
    let mut targets: Vec<(Role, url::Url)> = Vec::new();
    for e in &profile.endpoints {
        targets.push((Role::Sockets, e.url.clone()));
    }
    targets.push((Role::Rest, profile.server.clone()));
    if let Some(probe) = &profile.probe
        && let Ok(url) = url::Url::parse(&probe.url.replace("{nonce}", "n"))
    {
        targets.push((Role::Rest, url));
    }
    if let Some(url) = &profile.token_check {
        targets.push((Role::Rest, url.clone()));
    }
    let mut wanted = Vec::new();
    for (role, url) in targets {
        if let Some(addr) = crate::served_by::local_target(&url)
            && !wanted.contains(&(role, addr))
        {
            wanted.push((role, addr));
        }
    }
    let redactor = profile.redactor.clone();
    let serving = tokio::task::spawn_blocking(move || {
        let now = SystemTime::now();
        wanted
            .into_iter()
            .filter_map(|(role, addr)| {
                let found = crate::served_by::look_up(addr, &redactor, now)?;
                // Nothing listening says nothing about processes.
                if !found.listening {
                    return None;
                }
                let who = found.listener;
                Some(Serving {
                    role,
                    port: addr.port(),
                    pid: who.as_ref().map(|w| w.pid),
                    command: who.map(|w| w.command),
                })
            })
            .collect()
    })
    .await
    .unwrap_or_default();
    Context {
        endpoints,
        rest_host: profile.server.host_str().map(str::to_string),
        serving,
    }
}

/// The whole doctor: inspect `project` with `python` (see
/// [`interpreter`]), check the layer, read it for `context`.
pub(crate) async fn run(
    project: &Path,
    python: &Path,
    context: &Context,
) -> Result<Doctor, DoctorError> {
    let inspection = inspect(project, python).await?;
    let reach = reach(&inspection.channel_layers).await;
    Ok(django::diagnose(
        &project.display().to_string(),
        &python.display().to_string(),
        inspection,
        reach,
        context,
    ))
}

/// The doctor for the active profile's `django_project`, run with its
/// `django_python` when set (the engine runs it once at start): never fails; a project that could not be inspected
/// is an `inspection_failed` finding.
pub(crate) async fn for_profile(profile: &ActiveProfile, project: &Path) -> Doctor {
    let context = context(profile).await;
    let shown = project.display().to_string();
    let python = match interpreter(project, profile.django_python.as_deref()) {
        Ok(p) => p,
        Err(e) => return Doctor::failed(&shown, "", e.to_string(), e.fixes()),
    };
    match run(project, &python, &context).await {
        Ok(d) => d,
        Err(e) => Doctor::failed(
            &shown,
            &python.display().to_string(),
            format!("could not inspect the project: {e}"),
            e.fixes(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_is_read_between_its_markers() {
        let out = format!("6 objects imported automatically.\n{BEGIN}\n{{\"a\": 1}}\n{END}\nbye\n");
        assert_eq!(between_markers(&out), Some("{\"a\": 1}"));
        assert_eq!(between_markers("no markers"), None);
        assert_eq!(
            last_line("Traceback …\n  File x\nModuleNotFoundError: No module named 'django'\n\n"),
            Some("ModuleNotFoundError: No module named 'django'".into())
        );
    }

    #[tokio::test]
    async fn a_missing_manage_py_is_said_before_running_anything() {
        let dir = std::env::temp_dir();
        let err = inspect(&dir, Path::new("python3"))
            .await
            .expect_err("no manage.py");
        assert!(matches!(err, DoctorError::NoManagePy(_)), "{err}");
    }
}
