//! Profiles file hot reload. A task polls the file's modification time
//! and size (once a second by default) and, when its text changed,
//! validates it again. A valid file replaces the running config: the live
//! profile is activated again only if its own definition changed (sessions
//! are kept otherwise). An invalid one changes nothing and the dashboard
//! says why, with the file's line:column.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc;

use super::state::App;
use crate::config::{Config, ConfigError};
use crate::text_safe::visible;

/// How often the file is looked at.
pub(crate) const POLL: Duration = Duration::from_secs(1);

/// What the watcher found: a valid new config, or why the file cannot be used.
pub(crate) type Reload = Result<Config, String>;

/// The watcher task; dropping it stops the task.
#[derive(Debug)]
pub(crate) struct Watcher(tokio::task::JoinHandle<()>);

impl Drop for Watcher {
    fn drop(&mut self) {
        self.0.abort();
    }
}

type Stamp = Option<(SystemTime, u64)>;

fn stamp(path: &Path) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// One line for the dashboard: the first problem, located, with the file
/// named by its file name (the full path is in `--config`).
pub(crate) fn describe_error(error: &ConfigError) -> String {
    let text = match error {
        ConfigError::Invalid(problems) => {
            let mut first = problems.first().cloned();
            if let Some(p) = &mut first
                && let Some(name) = p.file.file_name()
            {
                p.file = PathBuf::from(name);
            }
            let more = problems.len().saturating_sub(1);
            let first = first.map_or_else(String::new, |p| p.to_string());
            let first = first.lines().collect::<Vec<_>>().join(" ·");
            if more > 0 {
                format!("{first} (+{more} more)")
            } else {
                first
            }
        }
        other => other.to_string().lines().next().unwrap_or("").to_string(),
    };
    visible(&text).into_owned()
}

/// Polls `path` every `every` and sends what changed.
async fn watch(path: PathBuf, every: Duration, tx: mpsc::Sender<Reload>) {
    let mut last_stamp = stamp(&path);
    let mut last_text = std::fs::read_to_string(&path).ok();
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let now = stamp(&path);
        if now == last_stamp {
            continue;
        }
        last_stamp = now;
        let text = match tokio::fs::read_to_string(&path).await {
            Ok(text) => text,
            // Saved by rename: the next look finds the new file.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                let message = format!("cannot read {}: {e}", path.display());
                if tx.send(Err(visible(&message).into_owned())).await.is_err() {
                    return;
                }
                continue;
            }
        };
        if last_text.as_deref() == Some(text.as_str()) {
            continue;
        }
        last_text = Some(text);
        let result = crate::config::paths::load_file(&path).map_err(|e| describe_error(&e));
        if tx.send(result).await.is_err() {
            return;
        }
    }
}

/// The next result of the watcher (never, without one).
pub(crate) async fn next(reloads: &mut Option<mpsc::Receiver<Reload>>) -> Option<Reload> {
    match reloads {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

impl App {
    /// Watches the profiles file the dashboard was started with, if it is
    /// a file (the demo's profiles are not).
    pub fn watch_config_file(&mut self) {
        let path = self.config.source.clone();
        if path.is_file() {
            self.watch_config(path, POLL);
        }
    }

    /// Watches `path`, looking every `every`. Must be called inside a
    /// tokio runtime.
    pub fn watch_config(&mut self, path: PathBuf, every: Duration) {
        let (tx, rx) = mpsc::channel(4);
        self.reloads = Some(rx);
        self.watcher = Some(Watcher(tokio::spawn(watch(path, every, tx))));
    }

    /// Applies what the watcher found.
    pub async fn apply_reload(&mut self, reload: Reload) {
        let config = match reload {
            Ok(config) => config,
            Err(message) => {
                self.notice = Some(format!(
                    "profiles file not reloaded, running config kept: {message}"
                ));
                return;
            }
        };
        if self.is_crew() {
            // Several profiles live: their sessions are kept; the picker
            // sees the new file (`p` restarts with what it says).
            self.relocate_crew(&config);
            self.config = config;
            self.notice = Some(
                "profiles file reloaded; the live profiles keep running (pick one with p to apply changes)".into(),
            );
            return;
        }
        let Some(live) = self.config.profiles.get(self.live) else {
            return;
        };
        let name = visible(&live.name).into_owned();
        let Some(index) = config.profiles.iter().position(|p| p.name == live.name) else {
            self.notice = Some(format!(
                "profiles file not reloaded, running config kept: it has no profile `{name}` any more"
            ));
            return;
        };
        let changed = config.profiles[index] != *live;
        self.config = config;
        self.live = index;
        if !changed {
            self.notice = Some(format!(
                "profiles file reloaded; `{name}` unchanged, sessions kept"
            ));
            return;
        }
        if self.switch_profile(index).await {
            self.notice = Some(format!(
                "profiles file reloaded; `{name}` changed: its sessions restarted"
            ));
        }
    }
}
