//! The end-to-end delivery probe: a REST request that makes the server push
//! a message holding a fresh nonce to the profile's sockets, and the time
//! until one of them receives it.
//!
//! Sessions offer every data message to the profile's [`Matcher`], which
//! costs one atomic load per message while no probe is outstanding and a
//! substring search while one is. The probe task ([`run`]) is owned by the
//! supervisor and cancelled with it.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use tokio::sync::{Notify, oneshot};
use tokio::time::Instant;

use super::events::{EndpointId, Payload, PayloadData};
use crate::config::{ActiveProbe, ActiveProfile};

/// One probe run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeResult {
    /// The value `{nonce}` was replaced with.
    pub nonce: String,
    /// When the request was sent.
    pub sent_at: SystemTime,
    pub outcome: ProbeOutcome,
}

/// Delivered, or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// The message holding the nonce arrived on `endpoint` after `latency`
    /// (request sent → message received).
    Delivered {
        latency: Duration,
        endpoint: EndpointId,
    },
    Failed {
        reason: ProbeFailure,
    },
}

/// Why a probe was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum ProbeFailure {
    /// The REST API answered with a non-2xx status.
    RestRefused { status: u16 },
    /// No socket of the profile was open to receive it.
    SocketClosed,
    /// The API accepted the request, but no socket got the message in time.
    NotDelivered,
    /// No HTTP answer (refused, DNS, TLS, timeout); `detail` token-scrubbed.
    Unreachable { detail: String },
}

impl ProbeFailure {
    /// The snake_case name used in JSON and metrics labels.
    pub fn as_str(&self) -> &'static str {
        match self {
            ProbeFailure::RestRefused { .. } => "rest_refused",
            ProbeFailure::SocketClosed => "socket_closed",
            ProbeFailure::NotDelivered => "not_delivered",
            ProbeFailure::Unreachable { .. } => "unreachable",
        }
    }

    /// One line for people.
    pub fn describe(&self, timeout: Option<Duration>) -> String {
        match self {
            ProbeFailure::RestRefused { status } => {
                format!("the REST API refused the probe request ({status})")
            }
            ProbeFailure::SocketClosed => "no socket was open to receive it".into(),
            ProbeFailure::NotDelivered => match timeout {
                Some(t) => format!(
                    "the API accepted it but no socket received it within {}",
                    humantime::format_duration(t)
                ),
                None => "the API accepted it but no socket received it in time".into(),
            },
            ProbeFailure::Unreachable { detail } => {
                format!("the REST API did not answer: {detail}")
            }
        }
    }
}

impl ProbeResult {
    pub fn delivered(&self) -> bool {
        matches!(self.outcome, ProbeOutcome::Delivered { .. })
    }
}

/// Where sessions look for the outstanding nonce.
#[derive(Debug, Default)]
pub struct Matcher {
    armed: AtomicBool,
    open: AtomicUsize,
    opened: Notify,
    waiting: Mutex<Option<Waiting>>,
}

#[derive(Debug)]
struct Waiting {
    nonce: String,
    found: oneshot::Sender<(EndpointId, Instant)>,
}

impl Matcher {
    /// A session's socket opened.
    pub fn socket_opened(&self) {
        self.open.fetch_add(1, Ordering::AcqRel);
        self.opened.notify_one();
    }

    /// A session's socket closed.
    pub fn socket_closed(&self) {
        let _ = self
            .open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
    }

    /// Sockets open now.
    pub fn open_sockets(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }

    /// Looks for the outstanding nonce in a received message. Nearly free
    /// while no probe is outstanding.
    pub fn offer(&self, endpoint: EndpointId, payload: &Payload) {
        if !self.armed.load(Ordering::Acquire) {
            return;
        }
        let Ok(mut waiting) = self.waiting.lock() else {
            return;
        };
        let hit = waiting.as_ref().is_some_and(|w| match &payload.data {
            PayloadData::Text(t) => t.as_str().contains(w.nonce.as_str()),
            PayloadData::Binary(b) => b
                .windows(w.nonce.len())
                .any(|window| window == w.nonce.as_bytes()),
        });
        if hit && let Some(w) = waiting.take() {
            self.armed.store(false, Ordering::Release);
            let _ = w.found.send((endpoint, Instant::now()));
        }
    }

    fn arm(&self, nonce: &str) -> oneshot::Receiver<(EndpointId, Instant)> {
        let (found, rx) = oneshot::channel();
        if let Ok(mut waiting) = self.waiting.lock() {
            *waiting = Some(Waiting {
                nonce: nonce.to_string(),
                found,
            });
        }
        self.armed.store(true, Ordering::Release);
        rx
    }

    fn disarm(&self) {
        self.armed.store(false, Ordering::Release);
        if let Ok(mut waiting) = self.waiting.lock() {
            *waiting = None;
        }
    }
}

/// A fresh nonce: 16 hex digits, unlikely to appear in any other message.
pub fn nonce() -> String {
    format!("wsmon-{:016x}", rand::random::<u64>())
}

/// Runs one probe: arms the matcher, sends the request, waits for the
/// message until `timeout` after sending.
pub async fn run_once(
    client: &reqwest::Client,
    probe: &ActiveProbe,
    profile: &ActiveProfile,
    matcher: &Matcher,
) -> ProbeResult {
    let nonce = nonce();
    let found = matcher.arm(&nonce);
    let sent_at = SystemTime::now();
    let result = |outcome| ProbeResult {
        nonce: nonce.clone(),
        sent_at,
        outcome,
    };
    let failed = |reason| ProbeOutcome::Failed { reason };
    if matcher.open_sockets() == 0 {
        matcher.disarm();
        return result(failed(ProbeFailure::SocketClosed));
    }
    let url = probe.url.replace(crate::config::NONCE, &nonce);
    let method =
        reqwest::Method::from_bytes(probe.method.as_bytes()).unwrap_or(reqwest::Method::POST);
    let safe = method.is_safe();
    let request = client.request(method, url).timeout(probe.timeout);
    let mut request = crate::token_check::authorize(request, profile, !safe);
    if let Some(body) = &probe.body {
        let body = body.replace(crate::config::NONCE, &nonce);
        let json = body.trim_start().starts_with(['{', '[']);
        let kind = if json {
            "application/json"
        } else {
            "text/plain; charset=utf-8"
        };
        request = request
            .header(reqwest::header::CONTENT_TYPE, kind)
            .body(body);
    }
    let sent = Instant::now();
    let deadline = sent + probe.timeout;
    match request.send().await {
        Err(e) => {
            matcher.disarm();
            let detail = profile
                .redactor
                .redact(&crate::token_check::error_chain(&e.without_url()))
                .into_owned();
            return result(failed(ProbeFailure::Unreachable { detail }));
        }
        Ok(response) if !response.status().is_success() => {
            matcher.disarm();
            let status = response.status().as_u16();
            return result(failed(ProbeFailure::RestRefused { status }));
        }
        Ok(_) => {}
    }
    match tokio::time::timeout_at(deadline, found).await {
        Ok(Ok((endpoint, at))) => result(ProbeOutcome::Delivered {
            latency: at.saturating_duration_since(sent),
            endpoint,
        }),
        _ => {
            matcher.disarm();
            let reason = if matcher.open_sockets() == 0 {
                ProbeFailure::SocketClosed
            } else {
                ProbeFailure::NotDelivered
            };
            result(failed(reason))
        }
    }
}

/// The probe loop: in monitor mode the first probe goes once a socket is
/// open (or after `every`), then one every `every`; `poke` runs one now
/// (the only trigger when `periodic` is false). Ends when `cancel` fires
/// or nobody listens.
pub async fn run(
    profile: std::sync::Arc<ActiveProfile>,
    login: Option<super::login::LoginLink>,
    events: tokio::sync::mpsc::Sender<super::Event>,
    matcher: std::sync::Arc<Matcher>,
    poke: std::sync::Arc<Notify>,
    periodic: bool,
    cancel: tokio_util::sync::CancellationToken,
) {
    let Some(probe) = profile.probe.clone() else {
        return;
    };
    let client = crate::token_check::client_via(probe.timeout, &profile.tls, &profile.proxy);
    let mut next = periodic.then(|| Instant::now() + probe.every);
    let mut first = periodic;
    loop {
        let sleep = async {
            match next {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        let opened = async {
            if !first {
                std::future::pending::<()>().await;
            }
            if matcher.open_sockets() == 0 {
                matcher.opened.notified().await;
            }
        };
        tokio::select! {
            biased;
            _ = cancel.cancelled() => return,
            _ = poke.notified() => {}
            _ = opened => {}
            _ = sleep => {}
        }
        first = false;
        // The newest login's credentials, when the profile logs in.
        let current = login
            .as_ref()
            .and_then(|l| l.current())
            .unwrap_or_else(|| profile.clone());
        let started = Instant::now();
        let result = tokio::select! {
            biased;
            _ = cancel.cancelled() => return,
            // The newest login's credentials, when the profile logs in.
            result = run_once(&client, &probe, &current, &matcher) => result,
        };
        match &result.outcome {
            ProbeOutcome::Delivered { latency, endpoint } => tracing::info!(
                nonce = %result.nonce, ?latency, endpoint = %profile.endpoints.get(*endpoint).map_or("", |e| e.name.as_str()),
                "probe delivered"
            ),
            ProbeOutcome::Failed { reason } => tracing::warn!(
                nonce = %result.nonce, reason = reason.as_str(), "probe failed: {}", reason.describe(Some(probe.timeout))
            ),
        }
        if events.send(super::Event::Probe(result)).await.is_err() {
            return;
        }
        if periodic {
            next = Some(started + probe.every);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use bytes::Bytes;

    use super::*;

    fn profile(server: &str) -> ActiveProfile {
        let text = format!(
            "[profiles.p]\nserver = \"{server}\"\ntoken = \"tok-0123456789abcdef\"\n[profiles.p.probe]\npath = \"/n/\"\nbody = '{{\"m\": \"{{nonce}}\"}}'\ntimeout = \"2s\"\n"
        );
        let config = crate::config::validate::parse(Path::new("p.toml"), &text).unwrap();
        config.profiles[0].activate().unwrap()
    }

    fn text(s: &str) -> Payload {
        Payload {
            at: SystemTime::now(),
            data: PayloadData::Text(s.to_string().into()),
        }
    }

    #[tokio::test]
    async fn the_matcher_finds_the_nonce_in_text_and_binary_only_while_armed() {
        let m = Matcher::default();
        m.offer(0, &text("wsmon-1 before arming"));
        let mut found = m.arm("wsmon-1");
        m.offer(0, &text("something else"));
        assert!(found.try_recv().is_err());
        m.offer(3, &text(r#"{"message": "probe wsmon-1"}"#));
        assert_eq!(found.try_recv().map(|(e, _)| e), Ok(3));
        // Disarmed after the hit: nothing more is searched.
        assert!(!m.armed.load(Ordering::Acquire));
        let mut found = m.arm("wsmon-2");
        let binary = Payload {
            at: SystemTime::now(),
            data: PayloadData::Binary(Bytes::from_static(b"\x00\x01wsmon-2\xff")),
        };
        m.offer(1, &binary);
        assert_eq!(found.try_recv().map(|(e, _)| e), Ok(1));
    }

    #[tokio::test]
    async fn no_open_socket_fails_without_sending() {
        let profile = profile("http://127.0.0.1:9");
        let probe = profile.probe.clone().unwrap();
        let client = crate::token_check::client(probe.timeout, &profile.tls);
        let m = Matcher::default();
        let r = run_once(&client, &probe, &profile, &m).await;
        assert_eq!(
            r.outcome,
            ProbeOutcome::Failed {
                reason: ProbeFailure::SocketClosed
            }
        );
        assert!(r.nonce.starts_with("wsmon-"));
    }

    #[tokio::test]
    async fn a_refused_connection_is_unreachable() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let profile = profile(&format!("http://127.0.0.1:{port}"));
        let probe = profile.probe.clone().unwrap();
        let client = crate::token_check::client(probe.timeout, &profile.tls);
        let m = Matcher::default();
        m.socket_opened();
        let r = run_once(&client, &probe, &profile, &m).await;
        let ProbeOutcome::Failed {
            reason: ProbeFailure::Unreachable { detail },
        } = r.outcome
        else {
            panic!("{r:?}");
        };
        assert!(!detail.contains("0123456789abcdef"), "{detail}");
        m.socket_closed();
        m.socket_closed();
        assert_eq!(m.open_sockets(), 0);
    }
}
