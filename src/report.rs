//! Small shared pieces of every report (check, tail, dashboard): the
//! diagnosis of an attempt with its context, and durations as people read
//! them.

use std::time::Duration;

use crate::config::HeartbeatMode;
use crate::config::{ActiveProfile, Endpoint};
use crate::diagnose::evidence::{Sent, TokenPlace};
use crate::diagnose::pattern::owner::{answered_by, pings_may_hide};
use crate::diagnose::pattern::{AT_ONCE, History, Pattern, detect};
use crate::diagnose::{self, Diagnosis, failure::Facts};
use crate::facts::AttemptRecord;
use crate::model::Model;
use crate::secret;
use crate::token_check::TokenCheckResult;

/// Whether the endpoint's real URL carries the profile's token (raw or
/// percent-encoded): the classifier says "token missing from the URL"
/// otherwise.
pub fn url_has_token(profile: &ActiveProfile, endpoint: &Endpoint) -> bool {
    let Some(token) = &profile.token else {
        return false;
    };
    let url = endpoint.url.as_str();
    let encoded: String = url::form_urlencoded::byte_serialize(token.expose().as_bytes()).collect();
    url.contains(token.expose()) || url.contains(&encoded)
}

/// The diagnosis of one attempt of `endpoint`, cross-checked with the
/// latest token check.
pub fn diagnosis(
    profile: &ActiveProfile,
    endpoint: &Endpoint,
    record: &AttemptRecord,
    token_check: Option<&TokenCheckResult>,
) -> Diagnosis {
    let sent = sent(profile, endpoint);
    let general = diagnose::diagnose(&Facts {
        record,
        shown_url: &endpoint.shown_url,
        url_has_token: url_has_token(profile, endpoint),
        token_check,
        token_check_configured: profile.token_check.is_some(),
        close_codes: &profile.close_codes,
        sent: Some(&sent),
    });
    // The application protocol's own terms lead (its refusals, codes, a
    // raw endpoint that speaks a known protocol), with the evidence the
    // general reading found (who answered, what they said, what was sent).
    match diagnose::protocol::diagnose(endpoint, record) {
        Some(mut d) => {
            d.evidence = general.evidence;
            d.answered_by = general.answered_by;
            d
        }
        None => general,
    }
}

/// The diagnosis of attempt `record` of endpoint `index`, led by the
/// pattern its history shows (see [`crate::diagnose::pattern`]): the
/// endpoint's attempts up to and including `record`, and the other
/// endpoints' latest ends at that time, as `model` holds them.
pub fn diagnosis_in(
    profile: &ActiveProfile,
    model: &Model,
    index: usize,
    record: &AttemptRecord,
) -> Option<Diagnosis> {
    let endpoint = profile.endpoints.get(index)?;
    let single = diagnosis(profile, endpoint, record, model.token_check.as_ref());
    let led = single.led_by(pattern_of(profile, model, index, record));
    Some(with_server_side(led, model, index, record))
}

/// `diagnosis` with what the server side says about `record` (who listens
/// on a local endpoint's port, see [`crate::diagnose::server_side`]).
pub fn with_server_side(
    diagnosis: Diagnosis,
    model: &Model,
    index: usize,
    record: &AttemptRecord,
) -> Diagnosis {
    use crate::diagnose::server_side;
    let Some(session) = model.sessions.get(index) else {
        return diagnosis;
    };
    let facts = server_side::Facts {
        served_by: session.served_by.as_ref(),
        last_listener: session.last_listener.as_ref(),
        restart: session.restart.as_ref(),
    };
    let kind = diagnosis.kind;
    let mut diagnosis =
        server_side::with_finding(diagnosis, server_side::finding(&facts, record, kind));
    diagnosis = with_django(diagnosis, model, index, record);
    if model.server_log.is_empty() {
        return diagnosis;
    }
    // The server's log (`server_log`): the lines around this attempt, and
    // the line a server that logs every connection should have written.
    use crate::diagnose::server_log;
    let path = url::Url::parse(&session.shown_url)
        .map(|u| u.path().to_string())
        .unwrap_or_default();
    diagnosis.server_log = server_log::pinned(&model.server_log, record, &path);
    let log: Vec<_> = model.server_log.iter().collect();
    let silence = server_log::silence(&log, record, &path, std::time::SystemTime::now());
    server_side::with_finding(diagnosis, silence)
}

/// `diagnosis` with what the Django doctor (`django_project`) says about
/// a failed `record`: a refused upgrade by its status, a socket that
/// dropped with 1006/1011 as dropped.
fn with_django(
    diagnosis: Diagnosis,
    model: &Model,
    index: usize,
    record: &AttemptRecord,
) -> Diagnosis {
    let Some(doctor) = &model.django else {
        return diagnosis;
    };
    let status = match record.handshake_status() {
        Some(101) if matches!(record.browser_close_code(), 1006 | 1011) => None,
        Some(101) | None => return diagnosis,
        refused => refused,
    };
    let finding = crate::diagnose::django::for_attempt(doctor, index, status);
    crate::diagnose::server_side::with_finding(diagnosis, finding)
}

/// What the Django doctor says about a failed delivery probe (the
/// `InMemoryChannelLayer` across processes, an unreachable Redis…).
pub fn probe_explained(
    model: &Model,
    failure: &crate::facts::ProbeFailure,
) -> Option<crate::diagnose::server_side::Finding> {
    crate::diagnose::django::for_probe(model.django.as_deref()?, failure)
}

/// The process listening on endpoint `index`'s port at the latest lookup
/// (endpoints on this machine only).
pub fn served_by(model: &Model, index: usize) -> Option<&crate::served_by::Listener> {
    model
        .sessions
        .get(index)?
        .served_by
        .as_ref()?
        .listener
        .as_ref()
}

/// The pattern `record` belongs to in `model`'s history (see
/// [`diagnosis_in`]).
pub fn pattern_of(
    profile: &ActiveProfile,
    model: &Model,
    index: usize,
    record: &AttemptRecord,
) -> Option<Pattern> {
    let endpoint = profile.endpoints.get(index)?;
    let session = model.sessions.get(index)?;
    let mut attempts: Vec<&AttemptRecord> = session.history.iter().map(|h| &h.record).collect();
    // Up to this record (an export replays older ones); a record not in
    // the history (yet) is read after all of it.
    match attempts
        .iter()
        .rposition(|r| r.attempt == record.attempt && r.ended == record.ended)
    {
        Some(at) => attempts.truncate(at + 1),
        None => attempts.push(record),
    }
    // The others' latest end at that time (one a little after counts:
    // their events may arrive just after this one).
    let horizon = record.ended + AT_ONCE;
    let others: Vec<&AttemptRecord> = (model.sessions.iter().enumerate())
        .filter(|(i, _)| *i != index)
        .filter_map(|(_, s)| {
            s.history
                .iter()
                .rev()
                .map(|h| &h.record)
                .find(|r| r.ended <= horizon)
        })
        .collect();
    // Only when every other endpoint has ended something: otherwise not
    // everyone dropped.
    let others = if others.len() + 1 == model.sessions.len() {
        others
    } else {
        Vec::new()
    };
    let answered_by = session
        .handshake
        .as_ref()
        .and_then(|h| answered_by(&h.headers));
    detect(&History {
        attempts: &attempts,
        others: &others,
        answered_by: answered_by.as_deref(),
        heartbeat: endpoint.heartbeat,
        ping_interval: profile.settings.ping_interval,
        window: profile.settings.health_window,
    })
}

/// In ping mode, a line saying wsmon's pings may hide the idle timeout a
/// browser meets, when the proxy that answered endpoint `index` has a
/// default idle timeout at or above the ping interval (see
/// [`crate::diagnose::pattern::owner::pings_may_hide`]).
pub fn ping_hint(profile: &ActiveProfile, model: &Model, index: usize) -> Option<String> {
    let endpoint = profile.endpoints.get(index)?;
    if endpoint.heartbeat != HeartbeatMode::Ping {
        return None;
    }
    let who = model
        .sessions
        .get(index)?
        .handshake
        .as_ref()
        .and_then(|h| answered_by(&h.headers));
    pings_may_hide(profile.settings.ping_interval, who.as_deref())
}

/// What the upgrade request of `endpoint` carries (token-free).
pub fn sent(profile: &ActiveProfile, endpoint: &Endpoint) -> Sent {
    let token = profile
        .token
        .as_ref()
        .map(|t| t.expose())
        .filter(|t| !t.is_empty());
    let mut places = Vec::new();
    // The profile's token, or a credential by its place (a secret-named
    // query parameter, an Authorization or Cookie header), whatever value.
    let secret_param =
        (endpoint.url.query_pairs()).any(|(k, _)| secret::meaning::is_secret_param(&k));
    if url_has_token(profile, endpoint) || secret_param {
        places.push(TokenPlace::Url);
    }
    let mut headers = Vec::with_capacity(endpoint.headers.len());
    for (name, value) in &endpoint.headers {
        let value = value.expose();
        if token.is_some_and(|t| value.contains(t)) || secret::meaning::is_secret_header(name) {
            let place = if name.eq_ignore_ascii_case("cookie") {
                TokenPlace::Cookie
            } else {
                TokenPlace::Header
            };
            if !places.contains(&place) {
                places.push(place);
            }
        }
        headers.push((name.clone(), profile.redactor.redact(value).into_owned()));
    }
    let protocol = &endpoint.protocol;
    let in_protocol = [
        protocol.socketio.as_ref().and_then(|o| o.auth.as_deref()),
        protocol
            .graphql
            .as_ref()
            .and_then(|o| o.init_payload.as_deref()),
        protocol.stomp.as_ref().and_then(|o| o.passcode.as_deref()),
    ]
    .into_iter()
    .flatten()
    .any(|text| token.is_none_or(|t| text.contains(t)));
    if in_protocol {
        places.push(TokenPlace::Protocol);
    }
    Sent::new(&headers, &endpoint.subprotocols, places)
}

/// Whole milliseconds, for JSON `*_ms` fields (the one rule, in [`crate::units`]).
pub use crate::units::millis;

/// A short human duration: `850ms`, `4.2s`, `3m 12s`, `2h 5m`
/// ([`crate::units::format_duration`], compact).
pub fn short_duration(d: Duration) -> String {
    crate::units::format_duration(d, crate::units::DurationStyle::Compact)
}

/// Warnings about each endpoint's URL before dialling it (`http://` for
/// `ws://`, a missing `/ws/` prefix or token that its siblings have, a
/// trailing-slash mismatch), in endpoint order. Works on shown URLs: no
/// token needed. Linear in the number of endpoints.
pub fn url_warnings(profile: &ActiveProfile) -> Vec<Vec<String>> {
    // Endpoints that speak an application protocol follow its URL
    // conventions (/socket.io/, /cable, /graphql) and may carry the token
    // in the protocol (auth, init_payload): the URL lint is for raw
    // endpoints, judged among themselves.
    let raw = |e: &&Endpoint| e.protocol.kind == crate::config::ProtocolKind::Raw;
    let urls: Vec<&str> = (profile.endpoints.iter())
        .filter(raw)
        .map(|e| e.shown_url.as_str())
        .collect();
    let mut lints = diagnose::lint::lint_urls(&urls).into_iter();
    (profile.endpoints.iter())
        .map(|e| {
            if raw(&e) {
                lints.next().unwrap_or_default()
            } else {
                Vec::new()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(extra: &str) -> ActiveProfile {
        let text = format!(
            "[profiles.p]\nserver = \"http://127.0.0.1:9\"\n[profiles.p.settings]\nping_interval = \"20s\"\n[[profiles.p.endpoints]]\nname = \"a\"\nurl = \"{{ws}}/ws/\"\n{extra}"
        );
        let config =
            crate::config::validate::parse(std::path::Path::new("t.toml"), &text).expect("profile");
        config.profiles[0].activate().expect("activate")
    }

    /// Credentials are "sent" by their place too: a secret-named query
    /// parameter, an Authorization header, a Socket.IO `auth` payload.
    #[test]
    fn sent_names_every_place_a_credential_went() {
        let text = "[profiles.p]\nserver = \"http://127.0.0.1:9\"\ntoken = \"t0k\"\n\
            [[profiles.p.endpoints]]\nname = \"a\"\nurl = \"{ws}/ws/?access_token=literal\"\n\
            headers = { Authorization = \"Bearer other\" }\n\
            [[profiles.p.endpoints]]\nname = \"live\"\nurl = \"{ws}/socket.io/\"\nprotocol = \"socketio\"\n\
            [profiles.p.endpoints.socketio]\nauth = '{\"token\": \"{token}\"}'\n";
        let config =
            crate::config::validate::parse(std::path::Path::new("t.toml"), text).expect("profile");
        let p = config.profiles[0].activate().expect("activate");
        let facts = |i: usize| {
            sent(&p, &p.endpoints[i])
                .facts("127.0.0.1", None)
                .join("; ")
        };
        assert!(
            facts(0).contains("token sent in the URL and a header"),
            "{}",
            facts(0)
        );
        assert!(
            facts(1).contains("token sent in the protocol's connect payload"),
            "{}",
            facts(1)
        );
    }

    /// A Socket.IO endpoint (token in `auth`, path /socket.io/) beside
    /// raw ones that carry the token in the URL: the URL lint judges the
    /// raw ones only.
    #[test]
    fn protocol_endpoints_are_not_url_linted() {
        let text = "[profiles.p]\nserver = \"http://127.0.0.1:9\"\ntoken = \"t0k\"\n\
            [[profiles.p.endpoints]]\nname = \"a\"\nurl = \"{ws}/ws/a/?token={token}\"\n\
            [[profiles.p.endpoints]]\nname = \"b\"\nurl = \"{ws}/ws/b/?token={token}\"\n\
            [[profiles.p.endpoints]]\nname = \"live\"\nurl = \"{ws}/socket.io/\"\nprotocol = \"socketio\"\n\
            [profiles.p.endpoints.socketio]\nauth = '{\"token\": \"{token}\"}'\n\
            [[profiles.p.endpoints]]\nname = \"c\"\nurl = \"{ws}/ws/c/\"\n";
        let config =
            crate::config::validate::parse(std::path::Path::new("t.toml"), text).expect("profile");
        let p = config.profiles[0].activate().expect("activate");
        let warnings = url_warnings(&p);
        assert_eq!(warnings.len(), 4);
        assert!(warnings[2].is_empty(), "{:?}", warnings[2]);
        assert!(
            warnings[3].iter().any(|w| w.contains("token")),
            "{:?}",
            warnings[3]
        );
    }

    fn opened_through(profile: &ActiveProfile, server: &str) -> Model {
        let mut model = Model::new(profile);
        let handshake = crate::facts::HandshakeInfo {
            status: 101,
            latency: Duration::from_millis(3),
            headers: vec![("Server".into(), server.into())],
            subprotocol: None,
        };
        let at = std::time::SystemTime::UNIX_EPOCH;
        model.apply(&crate::facts::Event::Session {
            endpoint: 0,
            event: crate::facts::SessionEvent::Open { at, handshake },
        });
        model
    }

    #[test]
    fn ping_mode_behind_nginx_says_the_pings_may_hide_its_idle_timeout() {
        let p = profile("");
        let hint = ping_hint(&p, &opened_through(&p, "nginx/1.22.1"), 0).expect("a hint");
        assert!(
            hint.contains("(60 s)") && hint.contains("heartbeat = \"browser\""),
            "{hint}"
        );
        assert_eq!(ping_hint(&p, &opened_through(&p, "uvicorn"), 0), None);
        // Already in browser mode: nothing hidden.
        let b = profile("heartbeat = \"browser\"\n");
        assert_eq!(b.endpoints[0].heartbeat, HeartbeatMode::Browser);
        assert_eq!(ping_hint(&b, &opened_through(&b, "nginx"), 0), None);
    }

    #[test]
    fn a_wrong_heartbeat_mode_is_a_config_error_naming_the_values() {
        let text =
            "[profiles.p]\nserver = \"http://h:1\"\n[profiles.p.settings]\nheartbeat = \"never\"\n";
        let err = crate::config::validate::parse(std::path::Path::new("t.toml"), text)
            .expect_err("invalid");
        let shown = err.to_string();
        assert!(
            shown.contains("heartbeat") && shown.contains("\"browser\""),
            "{shown}"
        );
    }

    fn dropped(attempt: u32, start_ms: u64, end_ms: u64) -> AttemptRecord {
        let at = |ms| std::time::SystemTime::UNIX_EPOCH + Duration::from_millis(ms);
        AttemptRecord {
            attempt,
            started: at(start_ms),
            ended: at(end_ms),
            handshake_latency: Some(Duration::from_millis(5)),
            outcome: crate::facts::Outcome::Closed {
                close: crate::facts::CloseInfo {
                    code: 1006,
                    reason: String::new(),
                    by: crate::facts::Closer::Network,
                    clean: false,
                    cause: None,
                    note: None,
                },
                open_for: Duration::from_millis(end_ms - start_ms - 5),
            },
            activity: Default::default(),
        }
    }

    #[test]
    fn the_model_gives_the_pattern_its_history_and_the_other_endpoints() {
        let p = profile("[[profiles.p.endpoints]]\nname = \"b\"\nurl = \"{ws}/ws/b/\"\n");
        let mut model = Model::new(&p);
        let closed = |endpoint, r: AttemptRecord| crate::facts::Event::Session {
            endpoint,
            event: crate::facts::SessionEvent::Closed(Box::new(r)),
        };
        model.apply(&closed(0, dropped(1, 0, 30_000)));
        // Alone so far: nothing across endpoints yet.
        let first = model.sessions[0].history[0].record.clone();
        assert_eq!(pattern_of(&p, &model, 0, &first), None);
        model.apply(&closed(1, dropped(1, 100, 30_400)));
        let second = model.sessions[1].history[0].record.clone();
        let kind = |m: &Model, r| pattern_of(&p, m, 1, r).map(|p| p.kind);
        assert_eq!(
            kind(&model, &second),
            Some(crate::diagnose::pattern::PatternKind::EveryoneAtOnce)
        );
        // Read again later (an export), the first sees the second too.
        assert_eq!(
            pattern_of(&p, &model, 0, &first).map(|p| p.kind),
            Some(crate::diagnose::pattern::PatternKind::EveryoneAtOnce)
        );
        // An export of an older attempt reads the history up to it only.
        for (i, end) in [(2, 35_000), (3, 40_000), (4, 45_000)] {
            model.apply(&closed(1, dropped(i, end - 5_005, end)));
        }
        let fourth = model.sessions[1].history[3].record.clone();
        assert_eq!(
            kind(&model, &fourth).map(|k| k.as_str()),
            Some("idle_timeout"),
            "three 5 s drops in a row"
        );
        let third = model.sessions[1].history[2].record.clone();
        assert_ne!(
            kind(&model, &third).map(|k| k.as_str()),
            Some("idle_timeout")
        );
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(short_duration(Duration::from_millis(850)), "850ms");
        assert_eq!(short_duration(Duration::from_millis(4200)), "4.2s");
        assert_eq!(short_duration(Duration::from_secs(192)), "3m 12s");
        assert_eq!(short_duration(Duration::from_secs(7500)), "2h 5m");
    }
}
