//! The transcript `e` saves: one JSON object per line, in the `tail`
//! format (state changes, closes with their diagnosis, messages, sends),
//! oldest first, after a header line naming the profile and endpoint.
//!
//! Untrusted text is escaped as `tail` escapes it (`text_safe::json_line`)
//! and the profile's token is scrubbed out of every line, including any
//! message that echoed it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::state::SessionView;
use crate::config::ActiveProfile;
use crate::facts::SessionEvent;
use crate::model::{Model, SessionState};
use crate::output::TailLine;
use crate::output::tail_line as event_json;
use crate::token_check::TokenCheckResult;

/// `exports/` in the platform data dir (`~/.local/share/wsmon/exports` on Linux).
pub(crate) fn default_dir() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "wsmon")?;
    Some(dirs.data_dir().join("exports"))
}

/// One session's transcript, ready to write.
pub(crate) struct Transcript<'a> {
    pub profile: &'a ActiveProfile,
    pub endpoint: usize,
    pub session: &'a SessionState,
    pub view: &'a SessionView,
    pub token_check: Option<&'a TokenCheckResult>,
    pub now: SystemTime,
    /// The whole model, for the pattern across attempts that leads each
    /// `closed` line's diagnosis (`None`: attempt by attempt only).
    pub model: Option<&'a Model>,
}

/// When an event happened (events without a time of their own have none).
pub(crate) fn event_time(event: &SessionEvent) -> Option<SystemTime> {
    match event {
        SessionEvent::Connecting { at, .. }
        | SessionEvent::Open { at, .. }
        | SessionEvent::Closing { at, .. }
        | SessionEvent::RetryScheduled { at, .. }
        | SessionEvent::Stopped { at, .. }
        | SessionEvent::Sent { at, .. } => Some(*at),
        SessionEvent::Closed(record) => Some(record.ended),
        SessionEvent::Protocol(p) => p.at(),
        SessionEvent::ServedBy(s) => Some(s.at),
        SessionEvent::Messages(_) | SessionEvent::Rtt(_) => None,
    }
}

impl Transcript<'_> {
    /// The JSON lines (token scrubbed) and how many there are.
    pub(crate) fn to_json_lines(&self) -> (Vec<u8>, usize) {
        let mut buf = Vec::new();
        let header = TailLine::Transcript {
            profile: &self.profile.name,
            endpoint: &self.session.name,
            url: &self.session.shown_url,
            messages_received: self.session.messages,
            messages_not_kept: self.session.payloads.dropped(),
            wsmon: env!("CARGO_PKG_VERSION"),
        };
        event_json::push_line(&mut buf, &header.at(self.now, None));
        let mut lines = 1;
        // Each line names its profile, as `tail` lines do.
        let header_end = buf.len();
        let mut events = self.view.journal.iter().peekable();
        let mut payloads = self.session.payloads.iter().peekable();
        loop {
            // Merge by time; a state change goes before a message of the
            // same instant (the socket opened, then spoke).
            let take_event = match (events.peek(), payloads.peek()) {
                (None, None) => break,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(e), Some(p)) => event_time(e).is_none_or(|t| t <= p.at),
            };
            if take_event {
                if let Some(event) = events.next() {
                    event_json::session_line_in(
                        &mut buf,
                        self.profile,
                        self.endpoint,
                        event,
                        self.token_check,
                        self.model,
                    );
                }
            } else if let Some(payload) = payloads.next() {
                event_json::message_line(&mut buf, &self.session.name, payload);
            }
            lines += 1;
        }
        let body = buf.split_off(header_end);
        let prefix = crate::output::profile_tag::profile_prefix(&self.profile.name);
        crate::output::profile_tag::tagged_lines(&mut buf, &body, &prefix);
        let text = String::from_utf8_lossy(&buf);
        let scrubbed = self.profile.redactor.redact(&text).into_owned();
        (scrubbed.into_bytes(), lines)
    }
}

/// Keeps letters, digits, `-`, `_` and `.`; anything else becomes `_`.
fn file_part(name: &str) -> String {
    let part: String = name
        .chars()
        .take(40)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    part.trim_start_matches('.').to_string()
}

/// Writes `bytes` to a new file `wsmon-PROFILE-ENDPOINT-TIME.jsonl` in
/// `dir` (created if needed; never overwriting; mode 0600) and returns its
/// path.
pub(crate) fn save(
    dir: &Path,
    profile: &str,
    endpoint: &str,
    now: SystemTime,
    bytes: &[u8],
) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let stamp = humantime::format_rfc3339_seconds(now)
        .to_string()
        .replace(':', "");
    let base = format!(
        "wsmon-{}-{}-{stamp}",
        file_part(profile),
        file_part(endpoint)
    );
    for n in 1..1000 {
        let name = if n == 1 {
            format!("{base}.jsonl")
        } else {
            format!("{base}-{n}.jsonl")
        };
        let path = dir.join(name);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        // Private: a transcript holds server text and URLs.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&path) {
            Ok(mut file) => {
                file.write_all(bytes)?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("too many transcripts with that name"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn transcripts_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = save(dir.path(), "p", "e", SystemTime::now(), b"{}\n").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(file_part("../etc/passwd"), "_etc_passwd");
        assert_eq!(file_part("orders feed\u{1b}"), "orders_feed_");
    }
}
