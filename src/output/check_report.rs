//! The `check` report: what `check --format json` prints, and the text
//! report rendered from the same structs.

use std::fmt::Write as _;

use serde::Serialize;

use super::tail_line::Ts;
use crate::config::ActiveProfile;
use crate::diagnose::{Diagnosis, DiagnosisKind};
use crate::facts::{ProbeFailure, ProbeOutcome, ProbeResult};
use crate::model::Health;
use crate::report::millis;
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
    /// With `django_project`: the Django doctor's reading (as `wsmon
    /// doctor --format json` prints it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub django: Option<crate::facts::django::Doctor>,
}

/// One endpoint's line of the report.
#[derive(Debug, Serialize)]
pub struct EndpointReport {
    /// The profile it belongs to (several may be live: `--profiles`).
    pub profile: String,
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
    pub served_by: Option<crate::served_by::Listener>,
    /// With `expect_message_within` or `[[endpoints.expect]]` (absent
    /// without): the silence and the rules' counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect: Option<ExpectReport>,
}

/// An endpoint's expectations in the report: `silent` (`summary`,
/// `silent_for_ms`; `null` when not silent), `rules` (`rule`, `matched`,
/// `violated`) and `last_violation` (`at`, `rule`, `why`, `message`) or
/// `null`.
#[derive(Debug, Clone, Serialize)]
pub struct ExpectReport {
    pub silent: Option<SilentReport>,
    pub rules: Vec<RuleReport>,
    pub last_violation: Option<ViolationReport>,
}

/// An open socket silent for too long.
#[derive(Debug, Clone, Serialize)]
pub struct SilentReport {
    pub summary: String,
    pub silent_for_ms: u64,
}

/// One `[[endpoints.expect]]` rule's counts.
#[derive(Debug, Clone, Serialize)]
pub struct RuleReport {
    pub rule: String,
    pub matched: u64,
    pub violated: u64,
}

/// The last message that broke a rule (raw: shown with `visible`).
#[derive(Debug, Clone, Serialize)]
pub struct ViolationReport {
    pub at: Ts,
    pub rule: Option<String>,
    pub why: String,
    pub message: String,
}

impl ExpectReport {
    /// The expectations of `state` at `now`; `None` without any.
    pub fn of(state: &crate::model::SessionState, now: std::time::SystemTime) -> Option<Self> {
        let e = &state.expect;
        if e.within.is_none() && e.rules.is_empty() {
            return None;
        }
        Some(ExpectReport {
            silent: state.silence(now).map(|s| SilentReport {
                summary: s.describe(),
                silent_for_ms: millis(s.quiet),
            }),
            rules: (e.rules.iter().zip(&e.counts))
                .map(|(r, c)| RuleReport {
                    rule: r.shown.clone(),
                    matched: c.matched,
                    violated: c.violated,
                })
                .collect(),
            last_violation: e.last_violation.as_ref().map(|v| ViolationReport {
                at: Ts(v.at),
                rule: e.rules.get(v.rule).map(|r| r.shown.clone()),
                why: v.why.clone(),
                message: v.message.clone(),
            }),
        })
    }
}

/// What the Django doctor says about a failed probe.
#[derive(Debug, Clone, Serialize)]
pub struct DoctorNote {
    pub summary: String,
    pub fixes: Vec<String>,
}

/// Whether an endpoint's socket worked during the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
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
        self.into()
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
/// `failed`, or for an isolation probe `leaked` / `unproven`) and its
/// fields (see [`ProbeOutcomeReport`]), and with `isolation` in the
/// profile's probe the profiles watched. The fields of `tail`'s `probe`
/// line; the `check` report adds `sent_at` ([`CheckProbe`]).
#[derive(Debug, Clone, Serialize)]
pub struct ProbeReport {
    pub nonce: String,
    #[serde(flatten)]
    pub outcome: ProbeOutcomeReport,
    /// A failed probe explained by the Django doctor (`django_project`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doctor: Option<DoctorNote>,
    /// The isolation profiles watched, with their open sockets.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub isolation: Vec<IsolationWatchReport>,
}

/// One isolation profile watched during a probe.
#[derive(Debug, Clone, Serialize)]
pub struct IsolationWatchReport {
    pub profile: String,
    /// Its sockets open when the request was sent.
    pub open_sockets: usize,
}

/// Where an isolation probe's message arrived that it must not have.
#[derive(Debug, Clone, Serialize)]
pub struct LeakReport {
    pub profile: String,
    pub endpoint: String,
    /// Request sent → message received there, whole milliseconds.
    pub latency_ms: u64,
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
    /// The message arrived on a listed isolation profile's socket (see
    /// [`crate::diagnose::isolation`]): `leaks` says where, `summary` in
    /// words.
    Leaked {
        leaks: Vec<LeakReport>,
        summary: String,
    },
    /// Delivered here, but a listed isolation profile had no socket open.
    Unproven {
        latency_ms: f64,
        endpoint: Option<String>,
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
        // The isolation probe's verdict, judged in one place.
        use crate::diagnose::isolation::{Judgement, judge};
        let judged = judge(result);
        let summary = judged.describe().unwrap_or_default();
        let outcome = match (judged, outcome) {
            (Judgement::Leaked(leaks), _) => ProbeOutcomeReport::Leaked {
                leaks: (leaks.iter())
                    .map(|l| LeakReport {
                        profile: l.profile.to_string(),
                        endpoint: l.endpoint.to_string(),
                        latency_ms: millis(l.latency),
                    })
                    .collect(),
                summary,
            },
            (
                Judgement::Unproven(_),
                ProbeOutcomeReport::Delivered {
                    latency_ms,
                    endpoint,
                },
            ) => ProbeOutcomeReport::Unproven {
                latency_ms,
                endpoint,
                summary,
            },
            (_, outcome) => outcome,
        };
        ProbeReport {
            nonce: result.nonce.clone(),
            outcome,
            doctor: None,
            isolation: (result.isolation.iter())
                .map(|p| IsolationWatchReport {
                    profile: p.profile.clone(),
                    open_sockets: p.open_sockets,
                })
                .collect(),
        }
    }

    /// With the Django doctor's explanation (see
    /// [`crate::report::probe_explained`]).
    pub fn with_doctor(mut self, finding: Option<crate::diagnose::server_side::Finding>) -> Self {
        self.doctor = finding.map(|f| DoctorNote {
            summary: f.summary,
            fixes: f.fixes,
        });
        self
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

/// `, not seen on omar (isolated)` for a delivered isolation probe.
fn isolated_from(isolation: &[IsolationWatchReport]) -> String {
    if isolation.is_empty() {
        return String::new();
    }
    let names: Vec<String> = (isolation.iter())
        .map(|p| visible(&p.profile).into_owned())
        .collect();
    format!(", not seen on {} (isolated)", names.join(", "))
}

/// Several profiles' reports as one JSON object: `healthy` (all of
/// them) and `profiles`, each a whole report as for one profile.
pub fn many_to_json(reports: &[CheckReport]) -> String {
    #[derive(Serialize)]
    struct Many<'a> {
        healthy: bool,
        profiles: &'a [CheckReport],
    }
    let all = Many {
        healthy: reports.iter().all(|r| r.healthy),
        profiles: reports,
    };
    let mut out = serde_json::to_vec_pretty(&all).unwrap_or_default();
    crate::text_safe::json_line(&mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Several profiles' reports as text: each in turn, then one line with
/// the overall verdict.
pub fn many_to_text(reports: &[CheckReport]) -> String {
    let mut out = String::new();
    for report in reports {
        out.push_str(&to_text(report));
    }
    let failing: Vec<&str> = (reports.iter())
        .filter(|r| !r.healthy)
        .map(|r| r.profile.as_str())
        .collect();
    let _ = if failing.is_empty() {
        writeln!(out, "all {} profiles healthy", reports.len())
    } else {
        writeln!(out, "UNHEALTHY: {}", visible(&failing.join(", ")))
    };
    out
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
        None if report.login.as_ref().is_some_and(|l| !l.ok) => {
            let _ = writeln!(out, "token check: skipped (the login failed)");
        }
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
                        isolation,
                        ..
                    },
                ..
            }) => writeln!(
                out,
                "probe: delivered in {} ms on {} (nonce {nonce}){}",
                json_number(*latency_ms),
                endpoint.as_deref().map_or("?".into(), visible),
                isolated_from(isolation),
            ),
            Some(CheckProbe {
                probe:
                    ProbeReport {
                        outcome:
                            ProbeOutcomeReport::Leaked { summary, .. }
                            | ProbeOutcomeReport::Unproven { summary, .. },
                        ..
                    },
                ..
            }) => {
                let word = match p.as_ref().map(|c| &c.probe.outcome) {
                    Some(ProbeOutcomeReport::Leaked { .. }) => "LEAKED",
                    _ => "UNPROVEN",
                };
                writeln!(out, "probe: {word}, {}", visible(summary))
            }
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
        if let Some(Some(note)) = p.as_ref().map(|p| p.probe.doctor.as_ref()) {
            let _ = writeln!(out, "     {}", visible(&note.summary));
            for fix in &note.fixes {
                super::fix_text::write_fix(&mut out, "     ", fix);
            }
        }
    }
    if let Some(d) = &report.django {
        // What is not fine (errors and warnings); a failed endpoint's
        // diagnosis carries the finding that explains it, too.
        let shown: Vec<_> = (d.findings.iter())
            .filter(|f| f.severity != crate::facts::django::Severity::Ok)
            .cloned()
            .collect();
        let _ = writeln!(
            out,
            "django doctor ({}): {}",
            visible(&d.project),
            if d.healthy { "no errors" } else { "ERRORS" }
        );
        super::doctor_report::findings_text(&mut out, &shown, "  ");
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
        if let Some(x) = &e.expect {
            if let Some(s) = &x.silent {
                let _ = writeln!(out, "     silent: {}", visible(&s.summary));
            }
            for r in &x.rules {
                let _ = writeln!(
                    out,
                    "     rule {}: {} matched, {} violated",
                    visible(&r.rule),
                    r.matched,
                    r.violated
                );
            }
            if let Some(v) = &x.last_violation {
                let _ = writeln!(
                    out,
                    "     last violation: {}: {}",
                    visible(&v.why),
                    visible(&v.message)
                );
            }
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
                super::fix_text::write_fix(&mut out, "     ", fix);
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
