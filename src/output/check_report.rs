//! The `check` report: what `check --format json` prints, and the text
//! report rendered from the same structs.

use std::fmt::Write as _;

use serde::Serialize;

use super::tail_line::Ts;
use crate::config::ActiveProfile;
use crate::diagnose::{Diagnosis, DiagnosisKind};
use crate::model::Health;
use crate::report::millis;
use crate::session::{ProbeFailure, ProbeOutcome, ProbeResult};
use crate::text_safe::visible;
use crate::token_check::{TokenCheckResult, Verdict};

/// The whole report (`--format json` prints exactly this).
#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub profile: String,
    /// `health.word` is healthy (the exit code).
    pub healthy: bool,
    /// The model's health word and its reasons.
    pub health: Health,
    /// The last REST token check; `null` when none is configured (or none finished).
    pub token_check: Option<TokenCheckReport>,
    /// The profile's last login or token refresh; absent without a
    /// `[profiles.NAME.login]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<super::LoginReport>,
    pub endpoints: Vec<EndpointReport>,
    /// With `--probe`: the delivery probe's result; `null` when none
    /// finished (absent without `--probe`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<Option<CheckProbe>>,
}

/// One endpoint's line of the report.
#[derive(Debug, Serialize)]
pub struct EndpointReport {
    pub name: String,
    pub url: String,
    /// `open` when the socket opened (and was closed by wsmon after the
    /// hold), `closed` otherwise.
    pub state: EndpointState,
    pub ready_state: u8,
    /// The application protocol's handshake completed (Socket.IO
    /// namespace connected, graphql connection_ack, Action Cable
    /// confirm_subscription, STOMP CONNECTED, on_open expectations met);
    /// `null` for a raw endpoint without on_open steps.
    pub ready: Option<bool>,
    pub handshake_status: Option<u16>,
    pub close_code: Option<u16>,
    pub close_reason: Option<String>,
    pub latency_ms: Option<u64>,
    /// Who answered the upgrade (`FastAPI/Starlette on uvicorn`, `Django
    /// behind nginx/1.22.1`), when the answer identifies it; the same as
    /// `diagnosis.answered_by`.
    pub answered_by: Option<String>,
    pub diagnosis: Diagnosis,
    /// URL lint found before dialling (missing `/ws/` prefix, token…).
    pub warnings: Vec<String>,
    /// The process listening on the endpoint's port (`{"pid", "command",
    /// "user"}`), for an endpoint on this machine; `null` otherwise.
    pub served_by: Option<crate::session::served_by::Listener>,
}

/// Whether an endpoint's socket worked during the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointState {
    /// Opened (and held, or open at the end of `--watch`): readyState 1.
    Open,
    /// Never opened, or closed before the end: readyState 3.
    Closed,
}

impl EndpointState {
    /// The JSON name: `open`, `closed`.
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointState::Open => "open",
            EndpointState::Closed => "closed",
        }
    }

    /// The browser's `readyState` number: 1 (OPEN) or 3 (CLOSED).
    pub fn ready_state(self) -> u8 {
        match self {
            EndpointState::Open => 1,
            EndpointState::Closed => 3,
        }
    }
}

/// A REST token check result: `status` (`null` without an answer),
/// `verdict`, `detail` (the API's DRF-style `detail`, or the transport
/// error; scrubbed), `latency_ms`, `url` (token-free). The `check`
/// report's `token_check` and the fields of `tail`'s `token_check` line.
#[derive(Debug, Clone, Serialize)]
pub struct TokenCheckReport {
    pub status: Option<u16>,
    pub verdict: Verdict,
    pub detail: Option<String>,
    pub latency_ms: u64,
    pub url: String,
}

impl From<&TokenCheckResult> for TokenCheckReport {
    fn from(result: &TokenCheckResult) -> Self {
        TokenCheckReport {
            status: result.status,
            verdict: result.verdict,
            detail: result.detail.clone(),
            latency_ms: millis(result.latency),
            url: result.url.clone(),
        }
    }
}

/// A delivery probe result: `nonce`, then `outcome` (`delivered` /
/// `failed`) and its fields (see [`ProbeOutcomeReport`]). The fields of
/// `tail`'s `probe` line; the `check` report adds `sent_at` ([`CheckProbe`]).
#[derive(Debug, Clone, Serialize)]
pub struct ProbeReport {
    pub nonce: String,
    #[serde(flatten)]
    pub outcome: ProbeOutcomeReport,
}

/// How a probe ended, tagged by `outcome`: `delivered` with `latency_ms`
/// (to the microsecond) and the `endpoint` that got it; `failed` with
/// `reason` (`rest_refused` with `status`, `socket_closed`,
/// `not_delivered`, `unreachable` with `detail`) and a `summary` for people.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ProbeOutcomeReport {
    Delivered {
        latency_ms: f64,
        endpoint: Option<String>,
    },
    Failed {
        #[serde(flatten)]
        reason: ProbeFailure,
        summary: String,
    },
}

impl ProbeReport {
    /// The report of `result`, naming endpoints and the timeout from `profile`.
    pub fn new(profile: &ActiveProfile, result: &ProbeResult) -> Self {
        let outcome = match &result.outcome {
            ProbeOutcome::Delivered { latency, endpoint } => ProbeOutcomeReport::Delivered {
                latency_ms: (latency.as_secs_f64() * 1_000_000.0).round() / 1000.0,
                endpoint: profile.endpoints.get(*endpoint).map(|e| e.name.clone()),
            },
            ProbeOutcome::Failed { reason } => {
                let timeout = profile.probe.as_ref().map(|p| p.timeout);
                ProbeOutcomeReport::Failed {
                    reason: reason.clone(),
                    summary: reason.describe(timeout),
                }
            }
        };
        ProbeReport {
            nonce: result.nonce.clone(),
            outcome,
        }
    }
}

/// The `check` report's `probe`: `sent_at` (RFC 3339, milliseconds), then
/// the [`ProbeReport`].
#[derive(Debug, Clone, Serialize)]
pub struct CheckProbe {
    pub sent_at: Ts,
    #[serde(flatten)]
    pub probe: ProbeReport,
}

impl CheckProbe {
    /// The report of `result` (see [`ProbeReport::new`]).
    pub fn new(profile: &ActiveProfile, result: &ProbeResult) -> Self {
        CheckProbe {
            sent_at: Ts(result.sent_at),
            probe: ProbeReport::new(profile, result),
        }
    }
}

/// A number as JSON writes it (`12.0`, `0.345`), as the JSON report shows it.
fn json_number(x: f64) -> String {
    serde_json::to_string(&x).unwrap_or_else(|_| x.to_string())
}

/// The report as JSON (one object, terminal-safe).
pub fn to_json(report: &CheckReport) -> String {
    let mut out = serde_json::to_vec_pretty(report).unwrap_or_default();
    crate::text_safe::json_line(&mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// The report as text for people.
pub fn to_text(report: &CheckReport) -> String {
    let mut out = String::new();
    let health = if report.healthy {
        report.health.word.as_str().to_string()
    } else {
        let reasons: Vec<String> = report
            .health
            .reasons
            .iter()
            .map(|r| visible(r).into_owned())
            .collect();
        format!(
            "UNHEALTHY, {}: {}",
            report.health.word.as_str().to_uppercase(),
            reasons.join("; ")
        )
    };
    let _ = writeln!(out, "profile {}: {health}", report.profile);
    if let Some(login) = &report.login {
        let _ = writeln!(out, "{}", login.text());
    }
    match &report.token_check {
        None => {
            let _ = writeln!(out, "token check: not configured (no token_check path)");
        }
        Some(t) => {
            let status = t
                .status
                .map_or("no answer".to_string(), |s| format!("HTTP {s}"));
            let detail = t
                .detail
                .as_deref()
                .map(|d| format!(": {}", visible(d)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "token check: {} ({status}, {} ms){detail}",
                t.verdict.as_str(),
                t.latency_ms
            );
        }
    }
    if let Some(p) = &report.probe {
        let _ = match p {
            Some(CheckProbe {
                probe:
                    ProbeReport {
                        nonce,
                        outcome:
                            ProbeOutcomeReport::Delivered {
                                latency_ms,
                                endpoint,
                            },
                    },
                ..
            }) => writeln!(
                out,
                "probe: delivered in {} ms on {} (nonce {nonce})",
                json_number(*latency_ms),
                endpoint.as_deref().map_or("?".into(), visible),
            ),
            Some(CheckProbe {
                probe:
                    ProbeReport {
                        outcome: ProbeOutcomeReport::Failed { reason, summary },
                        ..
                    },
                ..
            }) => writeln!(
                out,
                "probe: FAILED, {}: {}",
                reason.as_str(),
                visible(summary),
            ),
            None => writeln!(out, "probe: FAILED, no result in time"),
        };
    }
    for e in &report.endpoints {
        let mark = match (e.state, e.diagnosis.kind) {
            (EndpointState::Open, DiagnosisKind::Ok) => "ok  ",
            // Open now, but it kept ending (--watch).
            (EndpointState::Open, _) => "WARN",
            (EndpointState::Closed, _) => "FAIL",
        };
        let status = e
            .handshake_status
            .map_or("-".to_string(), |s| s.to_string());
        let code = e
            .close_code
            .map(|c| format!(" close {c}"))
            .unwrap_or_default();
        let latency = e
            .latency_ms
            .map(|l| format!(" in {l} ms"))
            .unwrap_or_default();
        let ready = match e.ready {
            Some(true) => "·READY",
            Some(false) => "·NOT READY",
            None => "",
        };
        let _ = writeln!(
            out,
            "{mark} {}  readyState {} {}{ready}  HTTP {status}{latency}{code}  {}",
            e.name,
            e.ready_state,
            e.state.as_str().to_uppercase(),
            e.url
        );
        for warning in &e.warnings {
            let _ = writeln!(out, "     warning: {}", visible(warning));
        }
        if let Some(who) = &e.served_by {
            let _ = writeln!(
                out,
                "     served by: {}",
                visible(&crate::diagnose::server_side::describe(who))
            );
        }
        if let Some(reason) = e.close_reason.as_deref().filter(|r| !r.is_empty()) {
            let _ = writeln!(out, "     reason: {}", visible(reason));
        }
        if e.diagnosis.kind != DiagnosisKind::Ok {
            let _ = writeln!(
                out,
                "     {}: {}",
                e.diagnosis.kind.as_str(),
                visible(&e.diagnosis.summary)
            );
            if let Some(p) = &e.diagnosis.pattern {
                let ev = &p.evidence;
                let idle: Vec<String> = ev.idle_ms.iter().map(|ms| format!("{ms}")).collect();
                let _ = writeln!(
                    out,
                    "     pattern {}: {} times{}{}",
                    p.kind.as_str(),
                    ev.count,
                    ev.window_ms
                        .map(|w| format!(" in {w} ms"))
                        .unwrap_or_default(),
                    if idle.is_empty() {
                        String::new()
                    } else {
                        format!(", idle {} ms", idle.join("/"))
                    }
                );
            }
            for fix in &e.diagnosis.fixes {
                let _ = writeln!(out, "     - {}", visible(fix));
            }
            if let Some(by) = &e.answered_by {
                let _ = writeln!(out, "     answered by: {}", visible(by));
            }
            if !e.diagnosis.evidence.is_empty() {
                let _ = writeln!(out, "     evidence:");
                for fact in &e.diagnosis.evidence {
                    let _ = writeln!(out, "       · {}", visible(fact));
                }
            }
            if !e.diagnosis.server_log.is_empty() {
                let _ = writeln!(out, "     server log:");
                for line in &e.diagnosis.server_log {
                    let _ = writeln!(out, "       | {}", visible(line));
                }
            }
        }
    }
    out
}
