//! Diagnosis across time: pure readings of one endpoint's attempt history
//! (and, for "everyone at once", the profile's latest ends) that no single
//! attempt shows.
//!
//! - **idle timeout / fixed lifetime**: several drops at the same idle time
//!   since the last frame (either direction), or at the same age: a timer
//!   on the path ([`owner`] names the likely one and its knob).
//! - **churn**: the server keeps closing sessions that reopen at once; a
//!   1011 at a fixed idle time under Daphne is the channel layer's read
//!   timeout (channels_redis + redis-py 8's `socket_timeout=5`).
//! - **handshake timeout**: resets at the same point of the handshake.
//! - **close after a sent frame**: the server rejected what wsmon sent.
//! - **was working**: this path answered 101 earlier and now fails.
//! - **everyone at once**: all endpoints dropped within the same second.
//!
//! Nothing here does I/O or reads a clock: ages and idle times come from
//! the records' own timestamps.

pub(crate) mod owner;

use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::text::{excerpt, human_duration};
use crate::config::HeartbeatMode;
use crate::facts::{AttemptRecord, CloseInfo, Closer, FailureKind, LocalCause};

/// Drops at the same idle time or age before it is a pattern.
pub(crate) const MIN_REPEATS: usize = 3;
/// Ends in the window before a history is churn: more than one, as the
/// health word counts ([`crate::model::health`]).
pub(crate) const CHURN_MIN: usize = 2;
/// A close this soon after a text frame wsmon sent answers that frame.
pub(crate) const SENT_WINDOW: Duration = Duration::from_secs(1);
/// Ends this close together are "at once".
pub(crate) const AT_ONCE: Duration = Duration::from_secs(1);
/// Most recent repeats looked at for a fixed time.
const LOOK_BACK: usize = 10;

/// Which pattern an endpoint's history shows. Stable snake_case names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PatternKind {
    /// Dropped without a close frame after the same idle time, each time.
    IdleTimeout,
    /// Ended at the same age each time, whatever the traffic.
    FixedLifetime,
    /// The server keeps closing sessions that reopen at once.
    Churn,
    /// The handshake is cut at the same point each time.
    HandshakeTimeout,
    /// Closed right after a frame wsmon sent.
    CloseAfterSent,
    /// Answered 101 before, fails now.
    WasWorking,
    /// Every endpoint of the profile dropped within a second.
    EveryoneAtOnce,
}

impl PatternKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PatternKind::IdleTimeout => "idle_timeout",
            PatternKind::FixedLifetime => "fixed_lifetime",
            PatternKind::Churn => "churn",
            PatternKind::HandshakeTimeout => "handshake_timeout",
            PatternKind::CloseAfterSent => "close_after_sent",
            PatternKind::WasWorking => "was_working",
            PatternKind::EveryoneAtOnce => "everyone_at_once",
        }
    }
}

/// What the pattern rests on (JSON: `diagnosis.pattern.evidence`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The attempts it was seen on.
    pub attempts: Vec<u32>,
    /// How long each of them was open, in ms.
    pub ages_ms: Vec<u64>,
    /// Time from the last frame (either way) to the end, in ms.
    pub idle_ms: Vec<u64>,
    /// The repeated time (the median), in ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_ms: Option<u64>,
    /// Ends counted.
    pub count: usize,
    /// The span they fell in, in ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_ms: Option<u64>,
    /// Who answered the handshake (`Server`/`Via`), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<String>,
}

/// A pattern across attempts, in plain words, with what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pattern {
    pub kind: PatternKind,
    /// One or two sentences; leads the diagnosis.
    pub summary: String,
    /// Things to try, most likely first.
    pub fixes: Vec<String>,
    pub evidence: Evidence,
    /// Set when every session of a churn or a fixed lifetime ended the
    /// same way: when that close has a known cause, the pattern is a count
    /// that follows the attempt's own reading rather than a cause of its
    /// own (see [`crate::diagnose::Diagnosis::led_by`]).
    #[serde(skip)]
    pub(crate) same_end: Option<SameEnd>,
}

/// Every session of a churn ended with the same close (code, closer and
/// reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SameEnd {
    /// The close itself names its cause: a reason the server gave, or a
    /// code with a meaning of its own (1001, 1008, 1012, 1013…, not the
    /// catch-alls 1000, 1005, 1006, 1011). When it does not, the attempt's
    /// own reading may still (a protocol's heartbeat or init timeout).
    pub told: bool,
    /// The pattern as a count, to follow that reading: "Churn: the same
    /// close (…) ended each of the last 3 sessions …".
    pub count: String,
}

/// Everything a pattern reading may look at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct History<'a> {
    /// The endpoint's attempts, oldest first; the one being diagnosed last.
    pub attempts: &'a [&'a AttemptRecord],
    /// The latest ended attempt of each other endpoint of the profile.
    pub others: &'a [&'a AttemptRecord],
    /// Who answered this endpoint's last handshake (see [`owner::answered_by`]).
    pub answered_by: Option<&'a str>,
    /// How the endpoint keeps the socket alive.
    pub heartbeat: HeartbeatMode,
    pub ping_interval: Duration,
    /// The churn window (`health_window`).
    pub window: Duration,
}

/// The pattern the latest attempt belongs to, most telling first, or
/// `None` when it stands alone.
pub(crate) fn detect(h: &History<'_>) -> Option<Pattern> {
    let last = *h.attempts.last()?;
    close_after_sent(last)
        .or_else(|| everyone_at_once(h, last))
        .or_else(|| fixed_time(h))
        .or_else(|| handshake_time(h))
        .or_else(|| was_working(h, last))
        .or_else(|| churn(h))
}

use crate::units::millis as ms;

/// Whether wsmon itself ended the socket (user, shutdown, check, a
/// violation it noticed): those say nothing about the path's timers.
/// A missed pong counts as the path's doing.
fn ended_by_wsmon(r: &AttemptRecord) -> bool {
    r.close()
        .is_some_and(|c| c.by == Closer::Client && c.cause != Some(LocalCause::HeartbeatTimeout))
}

/// Attempts that opened and were ended by the other side or the network.
fn dropped(r: &AttemptRecord) -> bool {
    r.close().is_some() && !ended_by_wsmon(r)
}

/// The median of `values` when they all lie within a small tolerance of
/// it (5 %, at least 750 ms: scheduling, the network and the timer's own
/// polling add jitter; channels_redis' 5 s idle drops spread over ~0.5 s).
fn agree(values: &[Duration]) -> Option<Duration> {
    let mut sorted = values.to_vec();
    sorted.sort();
    let median = *sorted.get(sorted.len() / 2)?;
    let spread = sorted.last()?.saturating_sub(*sorted.first()?);
    (spread <= (median / 20).max(Duration::from_millis(750))).then_some(median)
}

/// The longest run of most recent values (at least [`MIN_REPEATS`], at
/// most [`LOOK_BACK`]) that agree, with its median.
fn agreeing_tail(values: &[Duration]) -> Option<(usize, Duration)> {
    let most = values.len().min(LOOK_BACK);
    (MIN_REPEATS..=most)
        .rev()
        .find_map(|n| agree(&values[values.len() - n..]).map(|m| (n, m)))
}

/// The trailing run of dropped attempts (a failed attempt or one wsmon
/// ended breaks it). A missed pong breaks it too: its time is wsmon's own
/// (`ping_interval + pong_timeout`), not the path's.
fn trailing_drops<'a>(attempts: &[&'a AttemptRecord]) -> Vec<&'a AttemptRecord> {
    let own_timer = |r: &AttemptRecord| {
        r.close()
            .is_some_and(|c| c.cause == Some(LocalCause::HeartbeatTimeout))
    };
    let mut run: Vec<&AttemptRecord> = attempts
        .iter()
        .rev()
        .take_while(|r| dropped(r) && !own_timer(r))
        .copied()
        .collect();
    run.reverse();
    run
}

fn evidence(rs: &[&AttemptRecord], value: Duration, answered_by: Option<&str>) -> Evidence {
    let window = match (rs.first(), rs.last()) {
        (Some(a), Some(b)) => between(a.started, b.ended),
        _ => None,
    };
    Evidence {
        attempts: rs.iter().map(|r| r.attempt).collect(),
        ages_ms: rs.iter().filter_map(|r| r.open_for()).map(ms).collect(),
        idle_ms: rs.iter().filter_map(|r| r.idle_at_end()).map(ms).collect(),
        value_ms: Some(ms(value)),
        count: rs.len(),
        window_ms: window,
        answered_by: answered_by.map(str::to_string),
    }
}

/// A window in words: `5 min`, `90.0 s`.
fn span(d: Duration) -> String {
    match d.as_secs() {
        s if s >= 60 && s.is_multiple_of(60) => format!("{} min", s / 60),
        _ => human_duration(d),
    }
}

/// "5.0 s, 5.0 s and 5.1 s"
fn list(values: &[u64]) -> String {
    let words: Vec<String> = values
        .iter()
        .map(|&v| human_duration(Duration::from_millis(v)))
        .collect();
    match words.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

/// The code and who closed, in words: `1011 from the server`,
/// `no close frame (1006)`.
fn how(r: &AttemptRecord) -> String {
    match r.close() {
        Some(c) if c.by == Closer::Server => match excerpt(&c.reason) {
            r if r.is_empty() => format!("close {} from the server", c.code),
            r => format!("close {} \"{r}\" from the server", c.code),
        },
        Some(c) if c.cause == Some(LocalCause::HeartbeatTimeout) => {
            "a missed pong (the path went silent)".into()
        }
        _ => "no close frame (1006)".into(),
    }
}

fn fixed_time(h: &History<'_>) -> Option<Pattern> {
    let run = trailing_drops(h.attempts);
    if run.len() < MIN_REPEATS {
        return None;
    }
    let idles: Vec<Duration> = run.iter().filter_map(|r| r.idle_at_end()).collect();
    let ages: Vec<Duration> = run.iter().filter_map(|r| r.open_for()).collect();
    // Idle first: a timer that any traffic re-arms shows as the same idle
    // time even when a message arrived in between (the ages then differ).
    if let Some((n, value)) = agreeing_tail(&idles) {
        let rs = &run[run.len() - n..];
        if let Some(age) = lifetime_over_idle(&ages[ages.len() - n..], value) {
            return Some(lifetime(h, rs, age));
        }
        return Some(idle(h, rs, value, false));
    }
    // A read timeout re-armed only by the server's frames: wsmon's own
    // (unanswered) sends do not count for it.
    let quiet: Vec<Duration> = run.iter().filter_map(|r| r.quiet_at_end()).collect();
    if let Some((n, value)) = agreeing_tail(&quiet) {
        let rs = &run[run.len() - n..];
        if let Some(age) = lifetime_over_idle(&ages[ages.len() - n..], value) {
            return Some(lifetime(h, rs, age));
        }
        return Some(idle(h, rs, value, true));
    }
    let (n, value) = agreeing_tail(&ages)?;
    let rs = &run[run.len() - n..];
    Some(lifetime(h, rs, value))
}

/// The sessions' common age, when it (rather than the idle time `idle`)
/// is the timer: the ages agree too, and traffic kept flowing well after
/// the open (the age is clearly longer than the idle time). A feed that
/// sends every 5 s and is closed 15 s after each open shows the same
/// ~5 s "idle" each time only because that is its message interval; an
/// idle timer could not have fired at the very same age each time while
/// traffic kept re-arming it. With no traffic after the open the age *is*
/// the idle time, and the idle reading (which names the proxy) stays.
fn lifetime_over_idle(ages: &[Duration], idle: Duration) -> Option<Duration> {
    let age = agree(ages)?;
    let slack = (age / 20).max(Duration::from_millis(750));
    (age > idle + slack).then_some(age)
}

/// The server's own code at the end (a close frame), if it sent one.
fn server_code(r: &AttemptRecord) -> Option<u16> {
    r.close().filter(|c| c.by == Closer::Server).map(|c| c.code)
}

/// Whether the answer looks like Django Channels: served by Daphne
/// (Twisted / Autobahn) or an ASGI server Channels runs under; with no
/// `Server` header, when the idle time is channels_redis' ~5 s
/// (`typical`, for readings that have one).
fn maybe_channels(answered_by: Option<&str>, typical: Option<Duration>) -> bool {
    match answered_by {
        Some(s) => {
            let s = s.to_ascii_lowercase();
            ["daphne", "twisted", "autobahn", "uvicorn", "hypercorn"]
                .iter()
                .any(|m| s.contains(m))
        }
        None => typical.is_some_and(|v| owner::near(v, Duration::from_secs(5))),
    }
}

/// `from_server`: the idle times agree only counted from the server's
/// last frame.
fn idle(h: &History<'_>, rs: &[&AttemptRecord], value: Duration, from_server: bool) -> Pattern {
    let mut ev = evidence(rs, value, h.answered_by);
    if from_server {
        ev.idle_ms = rs.iter().filter_map(|r| r.quiet_at_end()).map(ms).collect();
    }
    let since = if from_server {
        "since the server's last frame"
    } else {
        "since the last frame"
    };
    let n = rs.len();
    let last = rs[rs.len() - 1];
    let v = human_duration(value);
    let idles = list(&ev.idle_ms);
    let window = ev.window_ms.map(Duration::from_millis).unwrap_or_default();
    match server_code(last) {
        // The server itself closes: an application or backing-service timer.
        Some(code) => {
            let mut fixes = Vec::new();
            let mut owner =
                "a timer inside the server (an application or backing-service read timeout)"
                    .to_string();
            if code == 1011 && maybe_channels(h.answered_by, Some(value)) {
                owner = "the channel layer losing its connection: under Django Channels with channels_redis, redis-py 8's default socket_timeout=5 against channels_redis's 5 s blocking pop (BZPOPMIN) makes every idle consumer raise TimeoutError, and Daphne closes with 1011".into();
                fixes.push("Set socket_timeout (None, or above 5 s) in the CHANNEL_LAYERS host dict, e.g. \"hosts\": [{\"host\": \"redis\", \"port\": 6379, \"socket_timeout\": None}], or pin redis<8.".into());
                fixes.push("Look at the server console: Daphne logs `Exception inside application: Timeout reading from …` before each close.".into());
            } else {
                fixes.push(format!("Find what in the server ends a session after {v} without traffic (a read timeout of a backing service, an application timer) and raise or remove it."));
            }
            fixes.push("Or send traffic more often than that (server-side keepalives).".into());
            let count = format!(
                "Churn: the same close ({}) ended each of the last {n} sessions after ~{v} idle ({idles} {since}) within {}, and each reconnect opened at once.",
                how(last),
                human_duration(window)
            );
            Pattern {
                same_end: same_end(rs, count),
                kind: PatternKind::Churn,
                summary: format!(
                    "Churn: the server closed the session ({}) after the same ~{v} idle each time ({idles} {since}, {n} times in a row within {}), and each reconnect opened at once: the process is alive, but something in it keeps closing idle sessions. Likely owner: {owner}.",
                    how(last),
                    human_duration(window)
                ),
                fixes,
                evidence: ev,
            }
        }
        None => {
            let named = owner::known(h.answered_by);
            let culprit = match (named, h.answered_by) {
                (Some(k), Some(who)) => {
                    format!("{} answered the handshake (\"{who}\"): {}", k.name, k.knob)
                }
                _ => {
                    let usual = owner::defaults_near(value);
                    if usual.is_empty() {
                        "the likely timer is the idle timeout of a proxy, load balancer, firewall or NAT in between (or the server's own idle timer)".into()
                    } else {
                        let names: Vec<&str> = usual.iter().map(|k| k.name).collect();
                        format!(
                            "{v} is the default idle timeout of {}",
                            names.join(" and of ")
                        )
                    }
                }
            };
            let mut fixes: Vec<String> = Vec::new();
            if let Some(k) = named {
                fixes.push(format!("{}: {}.", k.name, k.fix));
            } else {
                for k in owner::defaults_near(value) {
                    fixes.push(format!("{}: {}.", k.name, k.fix));
                }
                fixes.push(format!("Raise the idle timeout of whatever sits in front of the server above the longest quiet period ({v} now), or ping more often than it: nginx proxy_read_timeout, HAProxy timeout tunnel (else timeout client/server), a cloud load balancer's idle timeout, the server's own WebSocket idle timeout."));
            }
            if h.heartbeat == HeartbeatMode::Ping && h.ping_interval > value {
                fixes.push(format!(
                    "wsmon pings every {}, longer than this timer; a ping interval under {v} would keep the socket up, but browsers (which never ping) would still be cut: fix the timer, or have the server ping.",
                    human_duration(h.ping_interval)
                ));
            }
            Pattern {
                kind: PatternKind::IdleTimeout,
                summary: format!(
                    "Closed by something on the path after {v} idle on each of {n} attempts ({idles} {since}, {}): an idle timeout, not the server crashing; {culprit}.",
                    how(last)
                ),
                fixes,
                evidence: ev,
                same_end: None,
            }
        }
    }
}

/// `count` as a [`SameEnd`] when every one of `rs` ended with the same
/// close (code, closer and reason); `None` when they differ.
fn same_end(rs: &[&AttemptRecord], count: String) -> Option<SameEnd> {
    let first = rs.first()?.close()?;
    let same = rs.iter().all(|r| {
        r.close()
            .is_some_and(|c| c.code == first.code && c.by == first.by && c.reason == first.reason)
    });
    if !same || rs.len() < CHURN_MIN {
        return None;
    }
    let told = first.by == Closer::Server
        && (!first.reason.trim().is_empty()
            || (crate::diagnose::codes::close_code(first.code).specific
                && !matches!(first.code, 1000 | 1002 | 1005 | 1006 | 1011 | 1015)));
    Some(SameEnd { told, count })
}

/// The application code and reason every one of `rs` was closed with,
/// when the server closed each cleanly with the same 4000–4999 code and
/// the same non-empty reason: the application ending sessions on purpose
/// (a rotation), in its own words.
fn rotation(rs: &[&AttemptRecord]) -> Option<(u16, String)> {
    let first = rs.first()?.close()?;
    let deliberate = |c: &CloseInfo| {
        c.by == Closer::Server
            && c.clean
            && (4000..=4999).contains(&c.code)
            && !c.reason.trim().is_empty()
    };
    rs.iter()
        .all(|r| {
            r.close()
                .is_some_and(|c| deliberate(c) && c.code == first.code && c.reason == first.reason)
        })
        .then(|| (first.code, excerpt(&first.reason)))
}

fn lifetime(h: &History<'_>, rs: &[&AttemptRecord], value: Duration) -> Pattern {
    let ev = evidence(rs, value, h.answered_by);
    let n = rs.len();
    let last = rs[rs.len() - 1];
    let v = human_duration(value);
    if let Some((code, reason)) = rotation(rs) {
        return Pattern {
            kind: PatternKind::FixedLifetime,
            summary: format!(
                "The server rotates sessions on purpose: each of the last {n} ended at the same age, about {v} ({}), with a clean close {code} \"{reason}\" of its own each time (an application code and its reason): a deliberate session lifetime, not a fault or an idle timeout; the reconnect that follows is what it asks for.",
                list(&ev.ages_ms)
            ),
            fixes: vec![
                format!(
                    "Nothing to fix if the rotation is intended: clients (browsers included) must reconnect on {code}, as wsmon does."
                ),
                format!(
                    "If it is not intended, find the close(code={code}) call in the server and the {v} timer around it."
                ),
            ],
            evidence: ev,
            same_end: None,
        };
    }
    let mut fixes = Vec::new();
    let who = match (server_code(last), owner::known(h.answered_by)) {
        (_, Some(k)) => {
            fixes.push(format!("{}: {}.", k.name, k.fix));
            format!(
                "{} answered the handshake; its timers are the first suspect",
                k.name
            )
        }
        (Some(_), None) => {
            fixes.push(format!("Find the server's session lifetime limit or timer (e.g. Daphne --websocket_timeout, a token expiry) and compare it with {v}."));
            "the server closes it itself: a lifetime limit or an application timer".into()
        }
        (None, None) => {
            fixes.push("Look for a maximum connection lifetime on the proxies and load balancers in between (and token or certificate expiry).".into());
            "something on the path caps the connection's lifetime".into()
        }
    };
    let count = format!(
        "The same close ({}) ended each of the last {n} sessions at the same age, about {v} ({}), and each reconnect opened at once.",
        how(last),
        list(&ev.ages_ms)
    );
    Pattern {
        kind: PatternKind::FixedLifetime,
        summary: format!(
            "Each of the last {n} sessions ended at the same age, about {v} ({}), with {}, whatever the traffic: a lifetime limit, not chance; {who}.",
            list(&ev.ages_ms),
            how(last)
        ),
        fixes,
        same_end: same_end(rs, count),
        evidence: ev,
    }
}

fn close_after_sent(last: &AttemptRecord) -> Option<Pattern> {
    if !dropped(last) {
        return None;
    }
    let (sent_at, text) = last.activity.last_text_sent.as_ref()?;
    let gap = last.ended.duration_since(*sent_at).ok()?;
    if gap > SENT_WINDOW {
        return None;
    }
    let close = last.close()?;
    let reason = match excerpt(&close.reason) {
        r if r.is_empty() => String::new(),
        r => format!(" \"{r}\""),
    };
    Some(Pattern {
        kind: PatternKind::CloseAfterSent,
        summary: format!(
            "The socket closed ({}{reason}) {} after wsmon sent \"{}\": the server rejected that frame.",
            how(last),
            human_duration(gap),
            excerpt(text)
        ),
        fixes: vec![
            "Check the frame's format against what the server expects (JSON shape, message type, subprotocol).".into(),
            "Read the server's console at that moment: the handler raised or refused on this input.".into(),
        ],
        evidence: Evidence {
            attempts: vec![last.attempt],
            ages_ms: last.open_for().map(ms).into_iter().collect(),
            idle_ms: Vec::new(),
            value_ms: Some(ms(gap)),
            count: 1,
            window_ms: None,
            answered_by: None,
        },
        same_end: None,
    })
}

fn everyone_at_once(h: &History<'_>, last: &AttemptRecord) -> Option<Pattern> {
    if h.others.is_empty() || !dropped(last) {
        return None;
    }
    let mut all: Vec<&AttemptRecord> = h.others.to_vec();
    all.push(last);
    if !all.iter().all(|r| dropped(r)) {
        return None;
    }
    let first = all.iter().map(|r| r.ended).min()?;
    let latest = all.iter().map(|r| r.ended).max()?;
    let spread = latest.duration_since(first).unwrap_or_default();
    if spread > AT_ONCE {
        return None;
    }
    let n = all.len();
    Some(Pattern {
        kind: PatternKind::EveryoneAtOnce,
        summary: format!(
            "All {n} endpoints of the profile dropped within {} of each other ({}): the server or a proxy in front of it restarted (or the network dropped), not one consumer.",
            human_duration(spread),
            how(last)
        ),
        fixes: vec![
            "Look at the server's and the proxy's logs at that moment: a deploy, a restart, a config reload, an out-of-memory kill.".into(),
            "If it repeats on a schedule, look for a cron job or an autoscaler.".into(),
        ],
        evidence: Evidence {
            attempts: vec![last.attempt],
            count: n,
            window_ms: Some(ms(spread)),
            ..Evidence::default()
        },
        same_end: None,
    })
}

/// The trailing run of attempts cut during the handshake itself (reset or
/// EOF, not wsmon's own connect_timeout).
fn handshake_time(h: &History<'_>) -> Option<Pattern> {
    let cut = |r: &&&AttemptRecord| {
        r.failure().is_some_and(|f| {
            matches!(f.kind, FailureKind::Io | FailureKind::Protocol) && f.http.is_none()
        })
    };
    let mut run: Vec<&AttemptRecord> = h.attempts.iter().rev().take_while(cut).copied().collect();
    run.reverse();
    if run.len() < MIN_REPEATS {
        return None;
    }
    let times: Vec<Duration> = run
        .iter()
        .map(|r| r.ended.duration_since(r.started).unwrap_or_default())
        .collect();
    let (n, value) = agreeing_tail(&times)?;
    // Instant resets are a refusal, not a timer.
    if value < Duration::from_millis(500) {
        return None;
    }
    let rs = &run[run.len() - n..];
    let v = human_duration(value);
    let mut fixes = vec![
        "The server accepts the TCP connection but gives up before answering the upgrade: find what its WebSocket connect handler waits on (a database, an auth call, a slow middleware).".to_string(),
    ];
    if owner::near(value, Duration::from_secs(5)) {
        fixes.insert(0, "Daphne drops a socket whose consumer has not accepted within --websocket_connect_timeout (5 s by default): make connect() faster, or raise that option.".into());
    }
    let times_ms: Vec<u64> = times[times.len() - n..].iter().map(|&d| ms(d)).collect();
    Some(Pattern {
        kind: PatternKind::HandshakeTimeout,
        summary: format!(
            "The handshake was cut after the same ~{v} on each of {n} attempts ({}): the server's own handshake timeout, not a crash.",
            list(&times_ms)
        ),
        fixes,
        evidence: Evidence {
            attempts: rs.iter().map(|r| r.attempt).collect(),
            value_ms: Some(ms(value)),
            count: n,
            window_ms: between(rs[0].started, rs[n - 1].ended),
            ..Evidence::default()
        },
        same_end: None,
    })
}

/// `later - earlier` in ms, when `later` is later.
fn between(earlier: SystemTime, later: SystemTime) -> Option<u64> {
    later.duration_since(earlier).ok().map(ms)
}

fn was_working(h: &History<'_>, last: &AttemptRecord) -> Option<Pattern> {
    let failure = last.failure()?;
    // A 429 after sessions that opened is the rate limit those very
    // reconnects ran into, not a change or an outage: the attempt's own
    // reading (rate limited, Retry-After honoured) says it best.
    if failure.http.as_ref().is_some_and(|a| a.status == 429) {
        return None;
    }
    let opened = h.attempts.iter().rev().find(|r| r.close().is_some())?;
    let now = match &failure.http {
        Some(answer) => format!("now answers HTTP {}", answer.status),
        None => "now fails before any answer".into(),
    };
    Some(Pattern {
        kind: PatternKind::WasWorking,
        summary: format!(
            "This path answered 101 on attempt {} and {now}: a change (a deploy, a config or token change) or an outage, not a wrong URL.",
            opened.attempt
        ),
        fixes: vec![
            "Look at what changed on the server side since then (deploys, proxy config, revoked tokens).".into(),
            "Check whether the server (or its proxy) is up and reachable right now.".into(),
        ],
        evidence: Evidence {
            attempts: vec![opened.attempt, last.attempt],
            count: 1,
            window_ms: between(opened.ended, last.ended),
            ..Evidence::default()
        },
        same_end: None,
    })
}

/// Many ends in the window, each attempt opening at once: the server
/// process is alive and keeps closing sessions (no fixed time found).
fn churn(h: &History<'_>) -> Option<Pattern> {
    let last = *h.attempts.last()?;
    let since = last.ended.checked_sub(h.window)?;
    let recent: Vec<&AttemptRecord> = h
        .attempts
        .iter()
        .rev()
        .take_while(|r| r.ended >= since)
        .copied()
        .collect();
    if recent.len() < CHURN_MIN || !recent.iter().all(|r| dropped(r)) {
        return None;
    }
    let mut rs = recent;
    rs.reverse();
    let ages: Vec<Duration> = rs.iter().filter_map(|r| r.open_for()).collect();
    let median = agree(&ages).unwrap_or_else(|| {
        let mut a = ages.clone();
        a.sort();
        a.get(a.len() / 2).copied().unwrap_or_default()
    });
    let ev = evidence(&rs, median, h.answered_by);
    // Too few for a fixed time yet, but worth saying when they agree.
    let idles: Vec<Duration> = rs.iter().filter_map(|r| r.idle_at_end()).collect();
    let idle = match agree(&idles) {
        // The same age with traffic flowing: the idle time is only the
        // message interval, the age is what repeats.
        Some(v) if idles.len() == rs.len() => match lifetime_over_idle(&ages, v) {
            Some(age) => format!(", each open ~{}", human_duration(age)),
            None => format!(
                ", each after ~{} idle ({} since the last frame)",
                human_duration(v),
                list(&ev.idle_ms)
            ),
        },
        _ => String::new(),
    };
    let count = match rotation(&rs) {
        Some(_) => format!(
            "Churn: the server closed each of the last {} sessions within {} the same way ({}{idle}), each reconnect opening at once: a clean close with an application code and its own reason, i.e. a deliberate close (a rotation), not something failing.",
            rs.len(),
            span(h.window),
            how(last)
        ),
        None => format!(
            "Churn: the same close ({}{idle}) ended each of the last {} sessions within {}, and each reconnect opened at once.",
            how(last),
            rs.len(),
            span(h.window)
        ),
    };
    let code = server_code(last);
    let mut fixes = vec![
        "Read the server's console at the close times: a handler that raises, a backing service that drops (channel layer, database), a timer.".to_string(),
    ];
    if code == Some(1011) && maybe_channels(h.answered_by, None) {
        fixes.insert(0, "Under Django Channels, 1011 after accept means the consumer raised: check the channel layer (Redis reachable, channels_redis with redis-py 8 needs socket_timeout above 5 s or None).".into());
    }
    Some(Pattern {
        kind: PatternKind::Churn,
        summary: format!(
            "Churn: {} sessions ended within {} ({}{idle}), and each reconnect opened at once: the server process is alive, but something keeps closing sessions.",
            rs.len(),
            span(h.window),
            how(last)
        ),
        fixes,
        evidence: ev,
        same_end: same_end(&rs, count),
    })
}

#[cfg(test)]
mod tests;
