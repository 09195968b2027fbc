//! Logging to a file: the terminal belongs to the UI (and to `tail`'s JSON
//! on stdout), so nothing is logged to it.
//!
//! The file is private (created 0600; a looser existing one is tightened
//! with a one-line notice on stderr), and every line goes through the
//! redactor of the profiles in use ([`crate::secret::global`]) before it is
//! written: a log line can only hold what the screen may show.

use std::io::Write;
use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Log lines queued for the log file's writer thread, at most.
const LOG_QUEUE_LINES: usize = 4096;

/// Where the log file goes: the platform state dir (data-local dir where
/// there is none), e.g. `~/.local/state/wsmon/wsmon.log` on Linux.
pub(crate) fn log_path() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "wsmon")?;
    let dir = dirs.state_dir().unwrap_or_else(|| dirs.data_local_dir());
    Some(dir.join("wsmon.log"))
}

/// Starts logging at `level` (a tracing filter such as `info` or
/// `wsmon=debug`) into `path`. Keep the guard alive: dropping it flushes.
/// Logging is best effort: an unwritable place means no log, not no wsmon.
pub(crate) fn init(level: &str, path: Option<PathBuf>) -> Result<Option<WorkerGuard>, String> {
    let filter =
        EnvFilter::try_new(level).map_err(|e| format!("invalid --log-level {level:?}: {e}"))?;
    let Some(path) = path else {
        return Ok(None);
    };
    let (Some(dir), Some(_)) = (path.parent(), path.file_name()) else {
        return Ok(None);
    };
    if std::fs::create_dir_all(dir).is_err() {
        return Ok(None);
    }
    let Some(file) = private_file(&path) else {
        return Ok(None);
    };
    let appender = Redacting(file);
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

/// Opens `path` for appending, readable by its owner only. An existing
/// file with looser permissions is tightened, and stderr says so once.
pub(crate) fn private_file(path: &Path) -> Option<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path).ok()?;
        let mode = file.metadata().ok()?.permissions().mode() & 0o777;
        if mode & 0o077 != 0
            && file
                .set_permissions(std::fs::Permissions::from_mode(0o600))
                .is_ok()
        {
            eprintln!(
                "wsmon: {} was readable by others (mode {mode:o}); it is now 0600 (it records URLs, headers and server text).",
                path.display()
            );
        }
        Some(file)
    }
    #[cfg(not(unix))]
    {
        options.open(path).ok()
    }
}

/// A log writer that scrubs each line (one `write` per formatted event)
/// with the redactor of every profile activated so far.
struct Redacting<W>(W);

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let scrubbed = crate::secret::global().redact(&text).into_owned();
        self.0.write_all(scrubbed.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_log_is_created_private_and_a_loose_one_tightened() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("new.log");
        drop(super::private_file(&new).unwrap());
        let mode = |p| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&new), 0o600);
        let old = dir.path().join("old.log");
        std::fs::write(&old, "line\n").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        drop(super::private_file(&old).unwrap());
        assert_eq!(mode(&old), 0o600);
        assert_eq!(std::fs::read_to_string(&old).unwrap(), "line\n");
    }
}
