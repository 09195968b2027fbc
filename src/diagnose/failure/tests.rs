//! Table tests of the classifier, on hand-built attempt records: one row per
//! situation; each asserts the kind and key words, not whole sentences.

mod closes;
mod evidence;
mod handshakes;
mod transport;

use std::time::{Duration, SystemTime};

use indexmap::IndexMap;

use super::{Facts, diagnose};
use crate::diagnose::{Diagnosis, DiagnosisKind};
use crate::facts::{
    AttemptRecord, CloseInfo, Closer, ConnectFailure, FailureKind, HttpAnswer, LocalCause, Outcome,
    Stage,
};
use crate::facts::{TokenCheckResult, Verdict};

/// The URL of the seed conversation, token redacted as wsmon shows it.
const URL: &str = "ws://127.0.0.1:8000/ws/notifications/?token=aec8e0e9a0…";

fn record(outcome: Outcome) -> AttemptRecord {
    AttemptRecord {
        attempt: 1,
        started: SystemTime::UNIX_EPOCH,
        ended: SystemTime::UNIX_EPOCH,
        handshake_latency: None,
        activity: Default::default(),
        outcome,
    }
}

fn failed(stage: Stage, kind: FailureKind, message: &str) -> AttemptRecord {
    record(Outcome::Failed(ConnectFailure {
        stage,
        kind,
        message: message.to_string(),
        http: None,
        raw_answer: None,
    }))
}

fn answered(status: u16, headers: &[(&str, &str)], body: &str) -> AttemptRecord {
    record(Outcome::Failed(ConnectFailure {
        stage: Stage::Handshake,
        kind: FailureKind::HttpStatus,
        message: format!("HTTP error: {status}"),
        http: Some(HttpAnswer {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body_excerpt: body.to_string(),
        }),
        raw_answer: None,
    }))
}

fn closed(
    code: u16,
    reason: &str,
    by: Closer,
    cause: Option<LocalCause>,
    open_secs: u64,
) -> AttemptRecord {
    record(Outcome::Closed {
        close: CloseInfo {
            code,
            reason: reason.to_string(),
            by,
            clean: by != Closer::Network,
            cause,
            note: None,
        },
        open_for: Duration::from_secs(open_secs),
    })
}

fn check(verdict: Verdict, detail: Option<&str>) -> TokenCheckResult {
    TokenCheckResult {
        at: SystemTime::UNIX_EPOCH,
        url: "http://127.0.0.1:8000/api/notifications/".into(),
        status: Some(200),
        verdict,
        detail: detail.map(str::to_string),
        latency: Duration::from_millis(5),
    }
}

/// One situation and what the diagnosis must say about it.
struct Row<'a> {
    what: &'a str,
    rec: AttemptRecord,
    url: &'a str,
    has_token: bool,
    check: Option<TokenCheckResult>,
    /// The profile has a token_check (set by `check`, or by `pending`).
    check_configured: bool,
    kind: DiagnosisKind,
    summary: &'a [&'a str],
    fixes: &'a [&'a str],
    /// What wsmon sent, when the row says.
    sent: Option<crate::diagnose::evidence::Sent>,
    /// Words that must not appear in the summary or fixes.
    never: &'a [&'a str],
}

impl<'a> Row<'a> {
    fn new(what: &'a str, rec: AttemptRecord, kind: DiagnosisKind) -> Self {
        Row {
            what,
            rec,
            url: URL,
            has_token: true,
            check: None,
            check_configured: false,
            kind,
            summary: &[],
            fixes: &[],
            sent: None,
            never: &[],
        }
    }
    fn sent(mut self, sent: crate::diagnose::evidence::Sent) -> Self {
        self.sent = Some(sent);
        self
    }
    fn never(mut self, never: &'a [&'a str]) -> Self {
        self.never = never;
        self
    }
    fn url(mut self, url: &'a str) -> Self {
        self.url = url;
        self
    }
    fn no_token(mut self) -> Self {
        self.has_token = false;
        self
    }
    fn check(mut self, verdict: Verdict, detail: Option<&str>) -> Self {
        self.check = Some(check(verdict, detail));
        self.check_configured = true;
        self
    }
    /// A token check is configured but has not answered yet.
    fn pending(mut self) -> Self {
        self.check_configured = true;
        self
    }
    fn says(mut self, summary: &'a [&'a str]) -> Self {
        self.summary = summary;
        self
    }
    fn fixes(mut self, fixes: &'a [&'a str]) -> Self {
        self.fixes = fixes;
        self
    }
}

fn profile_names() -> IndexMap<u16, String> {
    let mut names = IndexMap::new();
    names.insert(4001, "token_invalid".to_string());
    names.insert(4040, "room_not_found".to_string());
    names
}

fn run(row: &Row<'_>) -> Diagnosis {
    let names = profile_names();
    diagnose(&Facts {
        record: &row.rec,
        shown_url: row.url,
        url_has_token: row.has_token,
        token_check: row.check.as_ref(),
        token_check_configured: row.check_configured,
        close_codes: &names,
        sent: row.sent.as_ref(),
    })
}

/// Checks every row; reports all failures at once.
fn check_rows(rows: Vec<Row<'_>>) {
    let mut problems = Vec::new();
    for row in &rows {
        let d = run(row);
        let mut bad = Vec::new();
        if d.kind != row.kind {
            bad.push(format!("kind {:?}, want {:?}", d.kind, row.kind));
        }
        for word in row.summary {
            if !d.summary.contains(word) {
                bad.push(format!("summary lacks {word:?}"));
            }
        }
        let fixes = d.fixes.join(" | ");
        for word in row.never {
            if d.summary.contains(word) || fixes.contains(word) {
                bad.push(format!("says {word:?}"));
            }
        }
        for word in row.fixes {
            if !fixes.contains(word) {
                bad.push(format!("fixes lack {word:?}"));
            }
        }
        // One sentence: no line breaks, ends with a full stop.
        if d.summary.contains('\n') || !d.summary.ends_with('.') {
            bad.push("summary is not one sentence".into());
        }
        if !bad.is_empty() {
            problems.push(format!(
                "{}: {}\n    summary: {}\n    fixes: {fixes}",
                row.what,
                bad.join("; "),
                d.summary
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
