//! The end-to-end delivery probe: a REST request that makes the server push
//! a message holding a fresh nonce to the profile's sockets, and the time
//! until one of them receives it.
//!
//! Sessions offer every data message to the profile's [`Matcher`], which
//! costs one atomic load per message while no probe is outstanding and a
//! substring search while one is. The probe task ([`run`]) is owned by the
//! supervisor and cancelled with it.
//!
//! The isolation probe (`isolation = ["omar"]`) also hands the nonce to
//! the listed profiles' matchers ([`Peer`]) for the same wait: where it
//! arrives there is recorded as a [`Sighting`]. Whether that is a leak is
//! judged elsewhere ([`crate::diagnose::isolation`]); this module only
//! reports what each socket saw.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use tokio::sync::{Notify, oneshot};
use tokio::time::Instant;

use crate::config::{ActiveProbe, ActiveProfile};
use crate::facts::{EndpointId, Payload, PayloadData};

pub use crate::facts::probe::{PeerWatch, ProbeFailure, ProbeOutcome, ProbeResult, Sighting};

/// An isolation profile as the probe sees it: its name, its endpoints'
/// names (by endpoint id) and the matcher its sessions offer messages to.
#[derive(Debug, Clone)]
pub struct Peer {
    pub profile: String,
    pub endpoints: Vec<String>,
    pub matcher: std::sync::Arc<Matcher>,
}

/// Where sessions look for the outstanding nonce.
#[derive(Debug, Default)]
pub struct Matcher {
    armed: AtomicBool,
    open: AtomicUsize,
    opened: Notify,
    waiting: Mutex<Option<Waiting>>,
    /// Another profile's probe nonces are outstanding (isolation).
    foreign_armed: AtomicBool,
    foreign: Mutex<Vec<Foreign>>,
}

/// Hits of a foreign nonce: endpoint id and when, first per endpoint.
type Hits = std::sync::Arc<Mutex<Vec<(EndpointId, Instant)>>>;

#[derive(Debug)]
struct Foreign {
    nonce: String,
    hits: Hits,
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
        if self.foreign_armed.load(Ordering::Acquire) {
            self.offer_foreign(endpoint, payload);
        }
        if !self.armed.load(Ordering::Acquire) {
            return;
        }
        let Ok(mut waiting) = self.waiting.lock() else {
            return;
        };
        let hit = waiting
            .as_ref()
            .is_some_and(|w| holds(payload, w.nonce.as_str()));
        if hit && let Some(w) = waiting.take() {
            self.armed.store(false, Ordering::Release);
            let _ = w.found.send((endpoint, Instant::now()));
        }
    }

    fn offer_foreign(&self, endpoint: EndpointId, payload: &Payload) {
        let Ok(foreign) = self.foreign.lock() else {
            return;
        };
        for f in foreign.iter().filter(|f| holds(payload, &f.nonce)) {
            if let Ok(mut hits) = f.hits.lock()
                && !hits.iter().any(|(e, _)| *e == endpoint)
            {
                hits.push((endpoint, Instant::now()));
            }
        }
    }

    /// Looks for another profile's probe nonce in this profile's
    /// messages until [`Matcher::unwatch`]; the hits land in the result.
    fn watch(&self, nonce: &str) -> Hits {
        let hits = Hits::default();
        if let Ok(mut foreign) = self.foreign.lock() {
            foreign.push(Foreign {
                nonce: nonce.to_string(),
                hits: hits.clone(),
            });
            self.foreign_armed.store(true, Ordering::Release);
        }
        hits
    }

    fn unwatch(&self, nonce: &str) {
        if let Ok(mut foreign) = self.foreign.lock() {
            foreign.retain(|f| f.nonce != nonce);
            self.foreign_armed
                .store(!foreign.is_empty(), Ordering::Release);
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

/// Whether a message holds `nonce` (text, or the bytes of a binary one).
fn holds(payload: &Payload, nonce: &str) -> bool {
    match &payload.data {
        PayloadData::Text(t) => t.as_str().contains(nonce),
        PayloadData::Binary(b) => b.windows(nonce.len()).any(|w| w == nonce.as_bytes()),
    }
}

/// The peers' watches of one probe; dropping it stops them.
struct PeerWatches<'a> {
    nonce: &'a str,
    sent: Instant,
    watches: Vec<(&'a Peer, usize, Hits)>,
}

impl<'a> PeerWatches<'a> {
    fn start(peers: &'a [Peer], nonce: &'a str) -> Self {
        let watches = (peers.iter())
            .map(|p| (p, p.matcher.open_sockets(), p.matcher.watch(nonce)))
            .collect();
        PeerWatches {
            nonce,
            sent: Instant::now(),
            watches,
        }
    }

    /// What each peer saw so far.
    fn facts(&self) -> Vec<PeerWatch> {
        (self.watches.iter())
            .map(|(peer, open, hits)| PeerWatch {
                profile: peer.profile.clone(),
                open_sockets: *open,
                sightings: hits
                    .lock()
                    .map(|hits| {
                        (hits.iter())
                            .map(|(id, at)| Sighting {
                                endpoint: peer.endpoints.get(*id).cloned().unwrap_or_default(),
                                latency: at.saturating_duration_since(self.sent),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect()
    }
}

impl Drop for PeerWatches<'_> {
    fn drop(&mut self) {
        for (peer, _, _) in &self.watches {
            peer.matcher.unwatch(self.nonce);
        }
    }
}

/// How long the isolation profiles' sockets are still watched after the
/// message reached this profile's: a broadcast reaches every socket at
/// about the same time, a slower path may lag; at least this, or the
/// delivery time again if that is longer (never past the probe's timeout).
pub const ISOLATION_GRACE: Duration = Duration::from_secs(1);

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
    run_isolated(client, probe, profile, matcher, &[]).await
}

/// [`run_once`], also watching the isolation profiles' sockets (`peers`)
/// for the nonce: until the probe's timeout when it is not delivered,
/// else [`ISOLATION_GRACE`] (or the delivery time, if longer) after.
pub async fn run_isolated(
    client: &reqwest::Client,
    probe: &ActiveProbe,
    profile: &ActiveProfile,
    matcher: &Matcher,
    peers: &[Peer],
) -> ProbeResult {
    let nonce = nonce();
    let found = matcher.arm(&nonce);
    let watches = PeerWatches::start(peers, &nonce);
    let sent_at = SystemTime::now();
    let result = |outcome| ProbeResult {
        nonce: nonce.clone(),
        sent_at,
        outcome,
        isolation: watches.facts(),
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
        Ok(Ok((endpoint, at))) => {
            let latency = at.saturating_duration_since(sent);
            if !peers.is_empty() {
                let until = (at + ISOLATION_GRACE.max(latency)).min(deadline);
                tokio::time::sleep_until(until).await;
            }
            result(ProbeOutcome::Delivered { latency, endpoint })
        }
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
    current: super::login::Current,
    events: tokio::sync::mpsc::Sender<crate::facts::Event>,
    matcher: std::sync::Arc<Matcher>,
    peers: Vec<Peer>,
    poke: std::sync::Arc<Notify>,
    periodic: bool,
    cancel: tokio_util::sync::CancellationToken,
) {
    let profile = current.profile.clone();
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
            // The isolation profiles' sockets too: a probe they cannot
            // receive proves nothing about them.
            while peers.iter().any(|p| p.matcher.open_sockets() == 0) {
                tokio::time::sleep(Duration::from_millis(100)).await;
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
        let with_credential = current.now();
        let started = Instant::now();
        let result = tokio::select! {
            biased;
            _ = cancel.cancelled() => return,
            result = run_isolated(&client, &probe, &with_credential, &matcher, &peers) => result,
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
        if events
            .send(crate::facts::Event::Probe(result))
            .await
            .is_err()
        {
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
    async fn a_peer_records_where_another_profiles_nonce_arrived_until_unwatched() {
        let peer = Peer {
            profile: "omar".into(),
            endpoints: vec!["notifications".into(), "broadcast".into()],
            matcher: std::sync::Arc::new(Matcher::default()),
        };
        peer.matcher.socket_opened();
        let peers = [peer];
        let watches = PeerWatches::start(&peers, "wsmon-7");
        let m = &peers[0].matcher;
        m.offer(0, &text("omar's own notification"));
        m.offer(1, &text("broadcast: wsmon-7"));
        m.offer(1, &text("again: wsmon-7"));
        let facts = watches.facts();
        assert_eq!(facts[0].profile, "omar");
        assert_eq!(facts[0].open_sockets, 1);
        let seen: Vec<&str> = facts[0]
            .sightings
            .iter()
            .map(|s| s.endpoint.as_str())
            .collect();
        assert_eq!(
            seen,
            ["broadcast"],
            "first per endpoint, only where it arrived"
        );
        drop(watches);
        assert!(
            !m.foreign_armed.load(Ordering::Acquire),
            "unwatched on drop"
        );
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
