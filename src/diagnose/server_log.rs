//! The server's log read against one attempt: the lines to pin to it
//! (logged around it and naming its path, Python tracebacks kept whole),
//! and what is *not* there: a server that logs every WebSocket connection
//! with no line for an attempt that reached a server means the request
//! went elsewhere. Pure: the lines (stamped with when wsmon read them, see
//! [`crate::facts::server_log`]) come in.
//!
//! Observed formats: Daphne 4.2 (`127.0.0.1:50312 - - [29/Nov/2026:18:04:48]
//! "WSCONNECTING /ws/notifications/" - -`, then `WSCONNECT`, `WSREJECT` or
//! `WSDISCONNECT`; an exception in a consumer or router as `Exception
//! inside application: …` and a traceback), uvicorn 0.34 (`INFO:
//! 127.0.0.1:50312 - "WebSocket /ws/notifications/" [accepted]`, `403`).

use std::time::{Duration, SystemTime};

use super::server_side::Finding;
use crate::facts::AttemptRecord;
use crate::facts::LogLine;

/// Lines read this long before an attempt started still belong to it.
pub(crate) const BEFORE: Duration = Duration::from_secs(1);
/// Lines read this long after an attempt ended still belong to it: the
/// log is polled (100 ms) and a server may log after answering.
pub(crate) const AFTER: Duration = Duration::from_secs(1);
/// At most this many lines are pinned (the newest are kept: a
/// traceback's last line names the exception).
pub(crate) const MAX_PINNED: usize = 80;

/// Whether `line` names the attempt's `path` (`/ws/notifications/`, also
/// without its leading `/`, as Channels' "No route found for path
/// 'ws/notifications/'" has it). A bare `/` names nothing.
fn names(line: &str, path: &str) -> bool {
    let bare = path.trim_start_matches('/');
    !bare.is_empty() && line.contains(bare)
}

fn in_window(line: &LogLine, record: &AttemptRecord) -> bool {
    let from = record
        .started
        .checked_sub(BEFORE)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    line.at >= from && line.at <= record.ended + AFTER
}

/// A line that continues a Python traceback begun above it.
fn continues_traceback(line: &str) -> bool {
    line.is_empty()
        || line.starts_with(' ')
        || line.starts_with('\t')
        || line.starts_with("Traceback (most recent call last)")
        || line.starts_with("During handling of the above exception")
        || line.starts_with("The above exception was the direct cause")
}

/// Whether a traceback (with the line before it) is about another path
/// than `path`: it names a path (`… for path 'ws/x/'`), not ours.
fn about_another_path(block: &[&str], path: &str) -> bool {
    let names_ours = block.iter().any(|l| names(l, path));
    let names_a_path = block
        .iter()
        .any(|l| l.contains("path '") || l.contains("path \""));
    names_a_path && !names_ours
}

/// The lines of `log` pinned to `record` of an endpoint whose URL path is
/// `path`: read within [`BEFORE`]/[`AFTER`] of the attempt and naming the
/// path, or part of a Python traceback that starts in that window (kept
/// whole, through its exception line, with Daphne's `Exception inside
/// application: …` line before it) unless it names another path.
/// Concurrent attempts of other endpoints may share a traceback that names
/// no path. Oldest first, at most [`MAX_PINNED`]. Linear in the log.
pub(crate) fn pinned<'a>(
    log: impl IntoIterator<Item = &'a LogLine>,
    record: &AttemptRecord,
    path: &str,
) -> Vec<String> {
    let window: Vec<&str> = log
        .into_iter()
        .filter(|l| in_window(l, record))
        .map(|l| l.text.as_str())
        .collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < window.len() {
        let line = window[i];
        if line
            .trim_start()
            .starts_with("Traceback (most recent call last)")
        {
            let mut end = i + 1;
            while end < window.len() && continues_traceback(window[end]) {
                end += 1;
            }
            // The exception line (`ValueError: …`) closes it.
            let end = (end + 1).min(window.len());
            // Daphne's "Exception inside application: …" introduces it.
            let start = if i > 0 && window[i - 1].starts_with("Exception inside application") {
                i - 1
            } else {
                i
            };
            if !about_another_path(&window[start..end], path) {
                if start < i && out.last().map(String::as_str) != Some(window[start]) {
                    out.push(window[start].to_string());
                }
                out.extend(window[i..end].iter().map(|l| l.to_string()));
            }
            i = end;
            continue;
        }
        if names(line, path) {
            out.push(line.to_string());
        }
        i += 1;
    }
    if out.len() > MAX_PINNED {
        out.drain(..out.len() - MAX_PINNED);
    }
    out
}

/// The server the log shows to log every WebSocket connection, if any:
/// Daphne (`WSCONNECTING`) or uvicorn (`"WebSocket /…"`).
pub(crate) fn logs_every_connection<'a>(
    log: impl IntoIterator<Item = &'a LogLine>,
) -> Option<&'static str> {
    log.into_iter().find_map(|l| {
        if l.text.contains("\"WSCONNECTING ") {
            Some("Daphne")
        } else if l.text.contains("\"WebSocket /") {
            Some("uvicorn")
        } else {
            None
        }
    })
}

/// What is not there: `record` reached a server (it answered the
/// upgrade, or the connection broke during it), the log of a server that
/// logs every connection has no line naming `path` around it, and the
/// window is over at `now` (lines may still be on their way before).
pub(crate) fn silence(
    log: &[&LogLine],
    record: &AttemptRecord,
    path: &str,
    now: SystemTime,
) -> Option<Finding> {
    if now < record.ended + AFTER {
        return None;
    }
    let reached = record.handshake_status().is_some()
        || record
            .failure()
            .is_some_and(|f| f.stage == crate::facts::Stage::Handshake);
    if !reached {
        return None;
    }
    let server = logs_every_connection(log.iter().copied())?;
    let seen = log
        .iter()
        .any(|l| in_window(l, record) && names(&l.text, path));
    if seen {
        return None;
    }
    Some(Finding {
        kind: None,
        summary: format!(
            "The server's log ({server}, which logs every WebSocket connection) has no line for this attempt to {path}: the request went elsewhere (a proxy, another process, another port)."
        ),
        fixes: vec![
            "Check which process answers on the endpoint's port (`served by`) and any proxy in front; the log followed may be another instance's.".into(),
        ],
    })
}

#[cfg(test)]
mod tests;
