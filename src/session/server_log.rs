//! Follows the server's log (`server_log = "FILE"` or `server_log_command
//! = [...]`) and reports its new lines as [`Event::ServerLog`] batches,
//! each line stamped with when wsmon read it (the log's own timestamps
//! vary by server and time zone; the read time is what attempts compare
//! against). Lines are redacted with the profile's secrets and cut to
//! [`MAX_LINE`] bytes here; they stay raw otherwise (shown through
//! `text_safe::visible`). What the lines mean for an attempt lives in
//! [`crate::diagnose::server_log`].
//!
//! A file is read from its end at start (what was logged before wsmon
//! started is not about its attempts), polled every [`POLL`], and read
//! from the start again when it shrinks (truncated or rotated). A command
//! runs without a shell, both its stdout and stderr read; it is killed
//! when the supervisor stops.

use std::time::{Duration, SystemTime};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, BufReader};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::config::ServerLogSource;
use crate::facts::Event;
use crate::secret::Redactor;

/// How often a log file is checked for new lines.
pub(crate) const POLL: Duration = Duration::from_millis(100);

/// Longer lines are cut (a minified payload dumped into a log).
pub(crate) const MAX_LINE: usize = 2000;

pub(crate) use crate::facts::server_log::LogLine;

/// Where following `source` starts: a file's current length (0 when it
/// does not exist yet). Taken before the sessions dial.
pub(crate) fn starting_point(source: &ServerLogSource) -> u64 {
    match source {
        ServerLogSource::File(path) => std::fs::metadata(path).map_or(0, |m| m.len()),
        ServerLogSource::Command(_) => 0,
    }
}

/// Follows `source` from byte `from` (see [`starting_point`]) until
/// `cancel`; every batch of new lines goes out as one
/// [`Event::ServerLog`]. A source that cannot be read is reported as one
/// line saying so (and retried, for a file).
pub(crate) async fn run(
    source: ServerLogSource,
    from: u64,
    redactor: Redactor,
    events: mpsc::Sender<Event>,
    cancel: CancellationToken,
) {
    let out = Out { redactor, events };
    tokio::select! {
        biased;
        _ = cancel.cancelled() => {}
        _ = follow(&source, from, &out) => {}
    }
}

struct Out {
    redactor: Redactor,
    events: mpsc::Sender<Event>,
}

impl Out {
    async fn send(&self, texts: Vec<String>) -> bool {
        if texts.is_empty() {
            return true;
        }
        let at = SystemTime::now();
        let lines = texts
            .into_iter()
            .map(|t| LogLine {
                at,
                text: cut(&self.redactor.redact(&t)).to_string(),
            })
            .collect();
        self.events.send(Event::ServerLog(lines)).await.is_ok()
    }
}

/// `text` cut to at most [`MAX_LINE`] bytes, on a character boundary.
fn cut(text: &str) -> &str {
    if text.len() <= MAX_LINE {
        return text;
    }
    let mut end = MAX_LINE;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

async fn follow(source: &ServerLogSource, from: u64, out: &Out) {
    match source {
        ServerLogSource::File(path) => follow_file(path, from, out).await,
        ServerLogSource::Command(argv) => follow_command(argv, out).await,
    }
}

async fn follow_file(path: &std::path::Path, from: u64, out: &Out) {
    let mut offset = from;
    let mut partial: Vec<u8> = Vec::new();
    let mut complained = false;
    loop {
        match read_from(path, &mut offset, &mut partial).await {
            Ok(lines) => {
                complained = false;
                if !out.send(lines).await {
                    return;
                }
            }
            Err(e) if !complained => {
                complained = true;
                let note = format!("[wsmon] cannot read {}: {e}", path.display());
                if !out.send(vec![note]).await {
                    return;
                }
            }
            Err(_) => {}
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The complete lines written past `offset`, moving it on; a line still
/// being written waits in `partial`. A file shorter than `offset` was
/// truncated or replaced: read it from the start.
async fn read_from(
    path: &std::path::Path,
    offset: &mut u64,
    partial: &mut Vec<u8>,
) -> std::io::Result<Vec<String>> {
    let mut file = tokio::fs::File::open(path).await?;
    let len = file.metadata().await?.len();
    if len < *offset {
        *offset = 0;
        partial.clear();
    }
    if len == *offset {
        return Ok(Vec::new());
    }
    file.seek(std::io::SeekFrom::Start(*offset)).await?;
    // At most 1 MiB a poll: a burst is read over a few polls.
    let mut chunk = Vec::new();
    (&mut file).take(1 << 20).read_to_end(&mut chunk).await?;
    *offset += chunk.len() as u64;
    partial.extend_from_slice(&chunk);
    let mut lines = Vec::new();
    while let Some(end) = partial.iter().position(|&b| b == b'\n') {
        let line: Vec<u8> = partial.drain(..=end).collect();
        let text = String::from_utf8_lossy(&line);
        lines.push(text.trim_end_matches(['\n', '\r']).to_string());
    }
    // A runaway line without a newline is cut rather than held forever.
    if partial.len() > MAX_LINE * 4 {
        lines.push(String::from_utf8_lossy(partial).into_owned());
        partial.clear();
    }
    Ok(lines)
}

async fn follow_command(argv: &[String], out: &Out) {
    let Some((program, args)) = argv.split_first() else {
        return;
    };
    let child = tokio::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            let _ = out
                .send(vec![format!("[wsmon] cannot run {program}: {e}")])
                .await;
            return;
        }
    };
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return;
    };
    let mut stdout = BufReader::new(stdout).lines();
    let mut stderr = BufReader::new(stderr).lines();
    let (mut out_open, mut err_open) = (true, true);
    while out_open || err_open {
        let line = tokio::select! {
            line = stdout.next_line(), if out_open => line.unwrap_or(None).or_else(|| { out_open = false; None }),
            line = stderr.next_line(), if err_open => line.unwrap_or(None).or_else(|| { err_open = false; None }),
        };
        if let Some(line) = line
            && !out.send(vec![line]).await
        {
            return;
        }
    }
    let status = child.wait().await;
    let ended = match status {
        Ok(s) => format!("[wsmon] {program} ended ({s})"),
        Err(e) => format!("[wsmon] {program} ended: {e}"),
    };
    let _ = out.send(vec![ended]).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_is_followed_from_its_end_line_by_line_and_after_truncation() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("daphne.log");
        std::fs::write(&path, "old line\n").expect("write");
        let mut offset = std::fs::metadata(&path).expect("meta").len();
        let mut partial = Vec::new();
        assert!(
            read_from(&path, &mut offset, &mut partial)
                .await
                .unwrap()
                .is_empty()
        );
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        use std::io::Write;
        write!(f, "new one\nhalf").unwrap();
        let lines = read_from(&path, &mut offset, &mut partial).await.unwrap();
        assert_eq!(lines, vec!["new one".to_string()]);
        write!(f, " done\r\n").unwrap();
        let lines = read_from(&path, &mut offset, &mut partial).await.unwrap();
        assert_eq!(lines, vec!["half done".to_string()]);
        // Truncated (logrotate copytruncate): read from the start again.
        std::fs::write(&path, "fresh\n").unwrap();
        let lines = read_from(&path, &mut offset, &mut partial).await.unwrap();
        assert_eq!(lines, vec!["fresh".to_string()]);
    }

    #[tokio::test]
    async fn followed_lines_arrive_redacted_and_only_new_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("server.log");
        std::fs::write(&path, "before wsmon\n").expect("write");
        let source = ServerLogSource::File(path.clone());
        let from = starting_point(&source);
        let secret = crate::secret::Secret::new("s3cr3t-token-value");
        let (tx, mut rx) = mpsc::channel(8);
        let cancel = CancellationToken::new();
        let task = tokio::spawn(run(
            source,
            from,
            Redactor::new([&secret]),
            tx,
            cancel.clone(),
        ));
        std::fs::write(
            &path,
            "before wsmon\nGET /ws/?token=s3cr3t-token-value 500\n",
        )
        .expect("append");
        let event = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("a batch in time")
            .expect("an event");
        let Event::ServerLog(lines) = event else {
            panic!("not a log batch: {event:?}");
        };
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts.len(), 1, "{texts:?}");
        assert!(!texts[0].contains("s3cr3t-token-value"), "{texts:?}");
        assert!(texts[0].starts_with("GET /ws/?token="), "{texts:?}");
        cancel.cancel();
        task.await.expect("ends when cancelled");
    }

    #[test]
    fn long_lines_are_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_LINE);
        let c = cut(&long);
        assert!(c.len() <= MAX_LINE && c.chars().all(|ch| ch == 'é'));
    }
}
