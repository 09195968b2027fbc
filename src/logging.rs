//! Logging to a file: the terminal belongs to the UI (and to `tail`'s JSON
//! on stdout), so nothing is logged to it.

use std::path::PathBuf;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Log lines queued for the log file's writer thread, at most.
const LOG_QUEUE_LINES: usize = 4096;

/// Where the log file goes: the platform state dir (data-local dir where
/// there is none), e.g. `~/.local/state/wsmon/wsmon.log` on Linux.
pub fn log_path() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "wsmon")?;
    let dir = dirs.state_dir().unwrap_or_else(|| dirs.data_local_dir());
    Some(dir.join("wsmon.log"))
}

/// Starts logging at `level` (a tracing filter such as `info` or
/// `wsmon=debug`) into `path`. Keep the guard alive: dropping it flushes.
/// Logging is best effort: an unwritable place means no log, not no wsmon.
pub fn init(level: &str, path: Option<PathBuf>) -> Result<Option<WorkerGuard>, String> {
    let filter =
        EnvFilter::try_new(level).map_err(|e| format!("invalid --log-level {level:?}: {e}"))?;
    let Some(path) = path else {
        return Ok(None);
    };
    let (Some(dir), Some(file)) = (path.parent(), path.file_name()) else {
        return Ok(None);
    };
    if std::fs::create_dir_all(dir).is_err() {
        return Ok(None);
    }
    let appender = tracing_appender::rolling::never(dir, file);
    // The default queue holds 128k lines, allocated and touched up front
    // (4 MB, a third of an idle dashboard's memory). wsmon logs about a
    // line per attempt; a burst past the queue (ten thousand sessions
    // failing at once) waits for the file instead of losing lines.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .lossy(false)
        .finish(appender);
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init();
    Ok(installed.ok().map(|()| guard))
}
