//! Prometheus metrics, updated from engine [`Event`]s as they happen (not
//! by scraping the model on each request), encoded with `prometheus-client`
//! and served at `/metrics` by [`serve`] (`wsmon watch --metrics ADDR`, or
//! the dashboard's `--metrics ADDR`).
//!
//! Per-session series carry `profile` and `endpoint`; `token_check_valid`, `login_ok`,
//! `health` (set by the front end from the model's health word, see
//! [`Metrics::set_health`]) and `delivery_failures_total` are per profile (`delivery_failures_total`
//! adds `reason`); `delivery_seconds` names the endpoint that delivered.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::config::ActiveProfile;
use crate::facts::{Event, ProbeOutcome, SessionEvent};
use crate::model::Health;
use crate::token_check::Verdict;

/// Labels of per-session series.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SessionLabels {
    pub profile: String,
    pub endpoint: String,
}

/// Labels of per-profile series.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProfileLabels {
    pub profile: String,
}

/// Labels of delivery failures.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FailureLabels {
    pub profile: String,
    pub reason: String,
}

/// The `reason` label values of `delivery_failures_total`: why the
/// message did not arrive, or, for an isolation probe, `leaked` (it
/// arrived on another profile's socket) and `unproven` (a listed profile
/// had no socket open).
pub const PROBE_FAILURES: [&str; 6] = [
    "rest_refused",
    "socket_closed",
    "not_delivered",
    "unreachable",
    "leaked",
    "unproven",
];

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn rtt_histogram() -> Histogram {
    // 0.5 ms … ~16 s
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

fn handshake_histogram() -> Histogram {
    // 1 ms … ~16 s
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

fn lifetime_histogram() -> Histogram {
    // 0.5 s … ~68 min: the idle timeouts people meet (5, 30, 55, 60, 100 s…)
    // land in buckets of their own.
    Histogram::new(exponential_buckets(0.5, 2.0, 14))
}

fn delivery_histogram() -> Histogram {
    // 5 ms … ~10 s
    Histogram::new(exponential_buckets(0.005, 2.0, 12))
}

/// Every wsmon metric and the registry that encodes them.
pub struct Metrics {
    registry: Registry,
    session_up: Family<SessionLabels, Gauge>,
    ready_state: Family<SessionLabels, Gauge>,
    reconnects: Family<SessionLabels, Counter>,
    messages: Family<SessionLabels, Counter>,
    bytes: Family<SessionLabels, Counter>,
    last_close_code: Family<SessionLabels, Gauge>,
    ping_rtt: HistogramFamily<SessionLabels>,
    handshake: HistogramFamily<SessionLabels>,
    token_check_valid: Family<ProfileLabels, Gauge>,
    /// 1 when the profile's last login (or token refresh) succeeded.
    login_ok: Family<ProfileLabels, Gauge>,
    delivery: HistogramFamily<SessionLabels>,
    delivery_failures: Family<FailureLabels, Counter>,
    lifetime: HistogramFamily<SessionLabels>,
    health: Family<ProfileLabels, Gauge>,
    /// `last_message_age_seconds`, set from `last_message` at each scrape.
    last_message_age: Family<SessionLabels, Gauge<f64, AtomicU64>>,
    /// Per open session: its newest application message, or its open
    /// when none came yet on this connection.
    last_message: Mutex<HashMap<SessionLabels, SystemTime>>,
    /// Each live profile's labels, with one per endpoint (index =
    /// endpoint id); several with `--profiles`.
    live: RwLock<Vec<(ProfileLabels, Vec<SessionLabels>)>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// The metrics of `profile`, every session at 0 (`ready_state` 3) until
    /// its first event.
    pub fn new(profile: &ActiveProfile) -> Arc<Metrics> {
        let mut m = Metrics {
            session_up: Family::default(),
            ready_state: Family::default(),
            reconnects: Family::default(),
            messages: Family::default(),
            bytes: Family::default(),
            last_close_code: Family::default(),
            ping_rtt: Family::new_with_constructor(rtt_histogram),
            handshake: Family::new_with_constructor(handshake_histogram),
            token_check_valid: Family::default(),
            login_ok: Family::default(),
            delivery: Family::new_with_constructor(delivery_histogram),
            delivery_failures: Family::default(),
            lifetime: Family::new_with_constructor(lifetime_histogram),
            health: Family::default(),
            last_message_age: Family::default(),
            last_message: Mutex::new(HashMap::new()),
            live: RwLock::new(Vec::new()),
            registry: Registry::with_prefix("wsmon"),
        };
        let registry = &mut m.registry;
        registry.register(
            "session_up",
            "1 while the endpoint's socket is open",
            m.session_up.clone(),
        );
        registry.register(
            "ready_state",
            "WebSocket readyState: 0 connecting, 1 open, 2 closing, 3 closed",
            m.ready_state.clone(),
        );
        registry.register(
            "reconnects",
            "Connection attempts after the first",
            m.reconnects.clone(),
        );
        registry.register(
            "messages_received",
            "Data messages received",
            m.messages.clone(),
        );
        registry.register("bytes_received", "Payload bytes received", m.bytes.clone());
        registry.register(
            "last_close_code",
            "Close code of the last ended attempt, as a browser reports it (1006 for a refused handshake)",
            m.last_close_code.clone(),
        );
        registry.register(
            "ping_rtt_seconds",
            "Ping → pong round-trip time",
            m.ping_rtt.clone(),
        );
        registry.register(
            "handshake_seconds",
            "Time from the start of an attempt to the 101 answer",
            m.handshake.clone(),
        );
        registry.register(
            "token_check_valid",
            "1 when the last REST token check said valid",
            m.token_check_valid.clone(),
        );
        registry.register(
            "login_ok",
            "1 when the profile's last login or token refresh succeeded ([profiles.NAME.login])",
            m.login_ok.clone(),
        );
        registry.register(
            "delivery_seconds",
            "Delivery probe: REST request sent → message received on the endpoint",
            m.delivery.clone(),
        );
        registry.register(
            "delivery_failures",
            "Delivery probes that failed, by reason",
            m.delivery_failures.clone(),
        );
        registry.register(
            "session_lifetime_seconds",
            "How long each socket stayed open, from the 101 to its end (a spike at one value is an idle or lifetime timeout on the path)",
            m.lifetime.clone(),
        );
        registry.register(
            "health",
            "The profile's health word: 0 healthy, 1 degraded (or starting), 2 down; the same word as the dashboard and `check`",
            m.health.clone(),
        );
        registry.register(
            "last_message_age_seconds",
            "Seconds since the open socket's newest application message (since its open when none came yet); absent while closed. Alert on it beside expect_message_within",
            m.last_message_age.clone(),
        );
        let m = Arc::new(m);
        m.set_profile(profile);
        m
    }

    /// Switches to `profile`: the old profile's gauges go away (its
    /// counters and histograms stay), the new sessions start at down.
    pub fn set_profile(&self, profile: &ActiveProfile) {
        self.set_profiles(&[profile]);
    }

    /// [`Metrics::set_profile`] for several profiles live together
    /// (`--profiles`): member `i` of [`Metrics::apply_in`] is `profiles[i]`.
    pub fn set_profiles(&self, profiles: &[&ActiveProfile]) {
        let Ok(mut live) = self.live.write() else {
            return;
        };
        if let Ok(mut last) = self.last_message.lock() {
            last.clear();
        }
        for (profile, sessions) in live.iter() {
            for labels in sessions {
                self.last_message_age.remove(labels);
                self.session_up.remove(labels);
                self.ready_state.remove(labels);
                self.last_close_code.remove(labels);
            }
            self.token_check_valid.remove(profile);
            self.login_ok.remove(profile);
            self.health.remove(profile);
        }
        *live = profiles.iter().map(|p| self.labels_of(p)).collect();
    }

    fn labels_of(&self, profile: &ActiveProfile) -> (ProfileLabels, Vec<SessionLabels>) {
        let sessions: Vec<SessionLabels> = profile
            .endpoints
            .iter()
            .map(|e| SessionLabels {
                profile: profile.name.clone(),
                endpoint: e.name.clone(),
            })
            .collect();
        for labels in &sessions {
            self.session_up.get_or_create(labels).set(0);
            self.ready_state.get_or_create(labels).set(3);
            let _ = self.reconnects.get_or_create(labels);
            let _ = self.messages.get_or_create(labels);
            let _ = self.bytes.get_or_create(labels);
            // At 0 from the start, so the first lifetime is an increase.
            let _ = self.lifetime.get_or_create(labels);
        }
        let profile_labels = ProfileLabels {
            profile: profile.name.clone(),
        };
        // Starting, until the first judgement.
        self.health.get_or_create(&profile_labels).set(1);
        if let Some(probe) = &profile.probe {
            // At 0 from the start, so `increase()` sees the first failure;
            // `leaked` and `unproven` only for an isolation probe.
            let reasons = if probe.isolation.is_empty() { 4 } else { 6 };
            for reason in &PROBE_FAILURES[..reasons] {
                let _ = self.delivery_failures.get_or_create(&FailureLabels {
                    profile: profile.name.clone(),
                    reason: reason.to_string(),
                });
            }
        }
        (profile_labels, sessions)
    }

    /// Updates the metrics from one engine event.
    pub fn apply(&self, event: &Event) {
        self.apply_in(0, event);
    }

    /// Updates the metrics from one event of live profile `member`.
    pub fn apply_in(&self, member: usize, event: &Event) {
        let Ok(live) = self.live.read() else {
            return;
        };
        let Some(live) = live.get(member) else {
            return;
        };
        match event {
            Event::ServerLog(_) | Event::Django(_) => {}
            Event::Login(result) => {
                self.login_ok
                    .get_or_create(&live.0)
                    .set(i64::from(result.ok()));
            }
            Event::Session { endpoint, event } => {
                let Some(labels) = live.1.get(*endpoint) else {
                    return;
                };
                self.session_event(labels, event);
            }
            Event::TokenCheck(result) => {
                let valid = i64::from(result.verdict == Verdict::Valid);
                self.token_check_valid.get_or_create(&live.0).set(valid);
            }
            Event::Probe(result) => {
                if let ProbeOutcome::Delivered { latency, endpoint } = &result.outcome
                    && let Some(labels) = live.1.get(*endpoint)
                {
                    self.delivery
                        .get_or_create(labels)
                        .observe(latency.as_secs_f64());
                }
                use crate::diagnose::isolation::{Judgement, judge};
                let reason = match judge(result) {
                    Judgement::Delivered => return,
                    Judgement::Failed(reason) => reason.as_str(),
                    other => other.outcome(),
                };
                let labels = FailureLabels {
                    profile: live.0.profile.clone(),
                    reason: reason.to_string(),
                };
                self.delivery_failures.get_or_create(&labels).inc();
            }
        }
    }

    /// Sets `wsmon_health` of the live profile from the model's word.
    pub fn set_health(&self, health: &Health) {
        self.set_health_in(0, health);
    }

    /// Sets `wsmon_health` of live profile `member`.
    pub fn set_health_in(&self, member: usize, health: &Health) {
        let Ok(live) = self.live.read() else {
            return;
        };
        if let Some(live) = live.get(member) {
            self.health
                .get_or_create(&live.0)
                .set(health.word.as_gauge());
        }
    }

    fn session_event(&self, labels: &SessionLabels, event: &SessionEvent) {
        let state = |up: i64, ready: i64| {
            self.session_up.get_or_create(labels).set(up);
            self.ready_state.get_or_create(labels).set(ready);
        };
        match event {
            SessionEvent::Sent { .. } | SessionEvent::Protocol(_) | SessionEvent::ServedBy(_) => {}
            SessionEvent::Connecting { attempt, .. } => {
                state(0, 0);
                if *attempt > 1 {
                    self.reconnects.get_or_create(labels).inc();
                }
            }
            SessionEvent::Open { handshake, at } => {
                state(1, 1);
                self.heard(labels, *at, true);
                self.handshake
                    .get_or_create(labels)
                    .observe(handshake.latency.as_secs_f64());
            }
            SessionEvent::Messages(batch) => {
                let count = batch.messages.len() as u64 + batch.dropped;
                let bytes: u64 = batch.messages.iter().map(|p| p.len() as u64).sum();
                self.messages.get_or_create(labels).inc_by(count);
                self.bytes.get_or_create(labels).inc_by(bytes);
                // In arrival order: the last is the newest.
                if let Some(newest) = batch.messages.last().map(|p| p.at) {
                    self.heard(labels, newest, false);
                }
            }
            SessionEvent::Rtt(rtt) => self
                .ping_rtt
                .get_or_create(labels)
                .observe(rtt.as_secs_f64()),
            SessionEvent::Closing { .. } => state(0, 2),
            SessionEvent::Closed(record) => {
                state(0, 3);
                if let Ok(mut last) = self.last_message.lock() {
                    last.remove(labels);
                }
                self.last_message_age.remove(labels);
                self.last_close_code
                    .get_or_create(labels)
                    .set(i64::from(record.browser_close_code()));
                if let Some(open_for) = record.open_for() {
                    self.lifetime
                        .get_or_create(labels)
                        .observe(open_for.as_secs_f64());
                }
            }
            SessionEvent::RetryScheduled { .. } | SessionEvent::Stopped { .. } => state(0, 3),
        }
    }

    /// Notes an application message (or the open, `reset`) at `at`.
    fn heard(&self, labels: &SessionLabels, at: SystemTime, reset: bool) {
        if let Ok(mut last) = self.last_message.lock() {
            let slot = last.entry(labels.clone()).or_insert(at);
            if reset || at > *slot {
                *slot = at;
            }
        }
    }

    /// The Prometheus text exposition (OpenMetrics flavour).
    pub fn encode(&self) -> String {
        // Ages are of the scrape's moment.
        let now = SystemTime::now();
        if let Ok(last) = self.last_message.lock() {
            for (labels, at) in last.iter() {
                let age = now.duration_since(*at).unwrap_or_default();
                self.last_message_age
                    .get_or_create(labels)
                    .set(age.as_secs_f64());
            }
        }
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The content type of [`Metrics::encode`].
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Binds `addr` (errors say so before anything starts).
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, String> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot serve metrics on {addr}: {e}"))
}

/// Serves `GET /metrics` on `listener` until `stop` fires.
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: Arc<Metrics>,
    stop: tokio_util::sync::CancellationToken,
) {
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/metrics",
        get(move || {
            let metrics = metrics.clone();
            async move {
                (
                    [(axum::http::header::CONTENT_TYPE, CONTENT_TYPE)],
                    metrics.encode(),
                )
            }
        }),
    );
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(async move { stop.cancelled_owned().await })
        .await;
    if let Err(e) = result {
        tracing::warn!("metrics server ended: {e}");
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::facts::{
        AttemptRecord, CloseInfo, Closer, Outcome, ProbeFailure, ProbeResult, SessionEvent,
    };

    fn profile() -> ActiveProfile {
        let text = "[profiles.p]\nserver = \"http://h:1\"\n[[profiles.p.endpoints]]\nname = \"a\"\nurl = \"{ws}/ws/\"\n[profiles.p.probe]\npath = \"/n/{nonce}\"\n";
        let config = crate::config::validate::parse(std::path::Path::new("p.toml"), text).unwrap();
        config.profiles[0].activate_with(None).unwrap()
    }

    #[test]
    fn the_last_message_age_is_of_the_scrape_and_gone_when_closed() {
        let m = Metrics::new(&profile());
        let session = |event| Event::Session { endpoint: 0, event };
        let now = SystemTime::now();
        let handshake = crate::facts::HandshakeInfo {
            status: 101,
            latency: Duration::from_millis(2),
            headers: vec![],
            subprotocol: None,
        };
        let age = |m: &Metrics| {
            m.encode()
                .lines()
                .find(|l| l.starts_with("wsmon_last_message_age_seconds{"))
                .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        };
        m.apply(&session(SessionEvent::Open {
            at: now - Duration::from_secs(30),
            handshake,
        }));
        assert!(
            age(&m).is_some_and(|a| (30.0..60.0).contains(&a)),
            "{:?}",
            age(&m)
        );
        let batch = crate::facts::MessageBatch {
            messages: vec![crate::facts::Payload {
                at: now - Duration::from_secs(10),
                data: crate::facts::PayloadData::Text("{}".into()),
            }],
            dropped: 0,
            budget: None,
        };
        m.apply(&session(SessionEvent::Messages(batch)));
        assert!(
            age(&m).is_some_and(|a| (10.0..30.0).contains(&a)),
            "{:?}",
            age(&m)
        );
        m.apply(&session(SessionEvent::Closed(Box::new(AttemptRecord {
            attempt: 1,
            started: now,
            ended: now,
            handshake_latency: None,
            activity: Default::default(),
            outcome: Outcome::Closed {
                close: CloseInfo {
                    code: 1006,
                    reason: String::new(),
                    by: Closer::Network,
                    clean: false,
                    cause: None,
                    note: None,
                },
                open_for: Duration::from_secs(30),
            },
        }))));
        assert_eq!(age(&m), None);
    }

    #[test]
    fn events_move_the_series() {
        let m = Metrics::new(&profile());
        let session = |event| Event::Session { endpoint: 0, event };
        let at = SystemTime::now();
        m.apply(&session(SessionEvent::Connecting { attempt: 2, at }));
        m.apply(&session(SessionEvent::Rtt(Duration::from_millis(3))));
        m.apply(&session(SessionEvent::Closed(Box::new(AttemptRecord {
            attempt: 2,
            started: at,
            ended: at,
            handshake_latency: None,
            activity: Default::default(),
            outcome: Outcome::Closed {
                close: CloseInfo {
                    code: 4000,
                    reason: String::new(),
                    by: Closer::Server,
                    clean: true,
                    cause: None,
                    note: None,
                },
                open_for: Duration::from_secs(1),
            },
        }))));
        m.apply(&Event::Login(crate::session::login::LoginResult {
            at,
            kind: crate::config::login::LoginKind::Jwt,
            step: crate::session::login::LoginStep::Login,
            url: "http://h:1/api/jwt/".into(),
            who: "omar".into(),
            status: Some(401),
            verdict: crate::session::login::LoginVerdict::WrongPassword,
            detail: None,
            expires_at: None,
            latency: Duration::from_millis(5),
        }));
        m.apply(&Event::Probe(ProbeResult {
            nonce: "n".into(),
            sent_at: at,
            outcome: ProbeOutcome::Failed {
                reason: ProbeFailure::SocketClosed,
            },
            isolation: vec![],
        }));
        let text = m.encode();
        assert!(
            text.contains("wsmon_health{profile=\"p\"} 1"),
            "starting: {text}"
        );
        m.set_health(&crate::model::Health {
            word: crate::model::HealthWord::Down,
            reasons: vec!["not open: a".into()],
        });
        let text = m.encode();
        for want in [
            "wsmon_health{profile=\"p\"} 2",
            "wsmon_login_ok{profile=\"p\"} 0",
            "wsmon_session_lifetime_seconds_count{profile=\"p\",endpoint=\"a\"} 1",
            "wsmon_session_lifetime_seconds_bucket{le=\"1.0\",profile=\"p\",endpoint=\"a\"} 1",
            "wsmon_reconnects_total{profile=\"p\",endpoint=\"a\"} 1",
            "wsmon_last_close_code{profile=\"p\",endpoint=\"a\"} 4000",
            "wsmon_ready_state{profile=\"p\",endpoint=\"a\"} 3",
            "wsmon_session_up{profile=\"p\",endpoint=\"a\"} 0",
            "wsmon_ping_rtt_seconds_count{profile=\"p\",endpoint=\"a\"} 1",
            "wsmon_delivery_failures_total{profile=\"p\",reason=\"socket_closed\"} 1",
            "wsmon_delivery_failures_total{profile=\"p\",reason=\"not_delivered\"} 0",
        ] {
            assert!(text.contains(want), "{want}\n{text}");
        }
    }

    #[test]
    fn several_profiles_are_labelled_apart_and_a_leak_is_a_reason() {
        let text = "[profiles.sandra]\nserver = \"http://h:1\"\n[[profiles.sandra.endpoints]]\nname = \"a\"\nurl = \"{ws}/ws/\"\n[profiles.sandra.probe]\npath = \"/n/{nonce}\"\nisolation = [\"omar\"]\n[profiles.omar]\nserver = \"http://h:1\"\n[[profiles.omar.endpoints]]\nname = \"a\"\nurl = \"{ws}/ws/\"\n";
        let config = crate::config::validate::parse(std::path::Path::new("p.toml"), text).unwrap();
        let sandra = config.profiles[0].activate_with(None).unwrap();
        let omar = config.profiles[1].activate_with(None).unwrap();
        let m = Metrics::new(&sandra);
        m.set_profiles(&[&sandra, &omar]);
        let at = SystemTime::now();
        let open = Event::Session {
            endpoint: 0,
            event: SessionEvent::Connecting { attempt: 1, at },
        };
        m.apply_in(1, &open);
        m.apply_in(
            0,
            &Event::Probe(ProbeResult {
                nonce: "n".into(),
                sent_at: at,
                outcome: ProbeOutcome::Delivered {
                    latency: Duration::from_millis(5),
                    endpoint: 0,
                },
                isolation: vec![crate::session::probe::PeerWatch {
                    profile: "omar".into(),
                    open_sockets: 1,
                    sightings: vec![crate::session::probe::Sighting {
                        endpoint: "a".into(),
                        latency: Duration::from_millis(6),
                    }],
                }],
            }),
        );
        let text = m.encode();
        for want in [
            "wsmon_ready_state{profile=\"omar\",endpoint=\"a\"} 0",
            "wsmon_ready_state{profile=\"sandra\",endpoint=\"a\"} 3",
            "wsmon_delivery_failures_total{profile=\"sandra\",reason=\"leaked\"} 1",
            "wsmon_delivery_failures_total{profile=\"sandra\",reason=\"unproven\"} 0",
            "wsmon_delivery_seconds_count{profile=\"sandra\",endpoint=\"a\"} 1",
        ] {
            assert!(text.contains(want), "{want}\n{text}");
        }
    }
}
