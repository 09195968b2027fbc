//! The isolation probe's judgement: a delivery probe whose nonce must
//! arrive on this profile's sockets and must NOT arrive on the sockets of
//! the profiles listed in `isolation` (a notification for one user
//! reaching another is a data leak). Pure: a [`ProbeResult`]'s facts in,
//! one [`Judgement`] out, read by `check`, `tail`, the dashboard, the
//! health word and the metrics alike.

use std::time::Duration;

use crate::facts::{ProbeFailure, ProbeOutcome, ProbeResult};

/// Where a probe's message arrived that it must not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Leak<'a> {
    /// The other profile.
    pub profile: &'a str,
    /// Its endpoint that received the message.
    pub endpoint: &'a str,
    /// Request sent → message received there.
    pub latency: Duration,
}

/// What one probe run proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Judgement<'a> {
    /// Arrived on this profile's socket, and (with `isolation`) on no
    /// socket of the listed profiles, each of which had one open.
    Delivered,
    /// Arrived on a listed profile's socket: a leak, whether or not it
    /// also reached this profile's.
    Leaked(Vec<Leak<'a>>),
    /// Delivered here, but a listed profile had no socket open: nothing
    /// could reach it, so isolation is not proven.
    Unproven(Vec<&'a str>),
    /// Not delivered here (and seen nowhere else).
    Failed(&'a ProbeFailure),
}

impl Judgement<'_> {
    /// The probe's `outcome` word in JSON and metrics: `delivered`,
    /// `leaked`, `unproven` or `failed`.
    pub(crate) fn outcome(&self) -> &'static str {
        match self {
            Judgement::Delivered => "delivered",
            Judgement::Leaked(_) => "leaked",
            Judgement::Unproven(_) => "unproven",
            Judgement::Failed(_) => "failed",
        }
    }

    /// The probe passed (the exit code of `check --probe`, the health word).
    pub(crate) fn passed(&self) -> bool {
        matches!(self, Judgement::Delivered)
    }

    /// One line for people (`leaked to omar/broadcast after 12 ms`).
    pub(crate) fn describe(&self) -> Option<String> {
        match self {
            Judgement::Delivered | Judgement::Failed(_) => None,
            Judgement::Leaked(leaks) => Some(format!(
                "leaked to {}: the message for this profile arrived on another profile's socket",
                where_leaked(leaks)
            )),
            Judgement::Unproven(profiles) => Some(format!(
                "isolation not proven: {} had no socket open to receive it",
                profiles.join(", ")
            )),
        }
    }
}

/// `omar/broadcast (12 ms), omar/alerts (14 ms)`.
pub(crate) fn where_leaked(leaks: &[Leak<'_>]) -> String {
    let parts: Vec<String> = (leaks.iter())
        .map(|l| {
            format!(
                "{}/{} ({} ms)",
                l.profile,
                l.endpoint,
                l.latency.as_millis()
            )
        })
        .collect();
    parts.join(", ")
}

/// Judges one probe run. A leak outranks everything (it is the security
/// finding); then a plain failure here; then a listed profile that could
/// not have received it.
pub(crate) fn judge(result: &ProbeResult) -> Judgement<'_> {
    let leaks: Vec<Leak<'_>> = (result.isolation.iter())
        .flat_map(|peer| {
            peer.sightings.iter().map(|s| Leak {
                profile: peer.profile.as_str(),
                endpoint: s.endpoint.as_str(),
                latency: s.latency,
            })
        })
        .collect();
    if !leaks.is_empty() {
        return Judgement::Leaked(leaks);
    }
    if let ProbeOutcome::Failed { reason } = &result.outcome {
        return Judgement::Failed(reason);
    }
    let closed: Vec<&str> = (result.isolation.iter())
        .filter(|p| p.open_sockets == 0)
        .map(|p| p.profile.as_str())
        .collect();
    if closed.is_empty() {
        Judgement::Delivered
    } else {
        Judgement::Unproven(closed)
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::facts::probe::{PeerWatch, Sighting};

    fn result(outcome: ProbeOutcome, isolation: Vec<PeerWatch>) -> ProbeResult {
        ProbeResult {
            nonce: "wsmon-1".into(),
            sent_at: SystemTime::UNIX_EPOCH,
            outcome,
            isolation,
        }
    }

    fn peer(name: &str, open: usize, seen: &[&str]) -> PeerWatch {
        PeerWatch {
            profile: name.into(),
            open_sockets: open,
            sightings: (seen.iter())
                .map(|e| Sighting {
                    endpoint: e.to_string(),
                    latency: Duration::from_millis(12),
                })
                .collect(),
        }
    }

    const DELIVERED: ProbeOutcome = ProbeOutcome::Delivered {
        latency: Duration::from_millis(10),
        endpoint: 0,
    };

    #[test]
    fn delivered_here_and_nowhere_else_passes() {
        let r = result(DELIVERED, vec![peer("omar", 1, &[])]);
        assert_eq!(judge(&r), Judgement::Delivered);
        assert!(judge(&r).passed());
        assert_eq!(judge(&result(DELIVERED, vec![])).outcome(), "delivered");
    }

    #[test]
    fn arriving_on_a_listed_profiles_socket_is_a_leak_naming_where() {
        let r = result(DELIVERED, vec![peer("omar", 2, &["broadcast"])]);
        let j = judge(&r);
        assert_eq!(j.outcome(), "leaked");
        assert!(!j.passed());
        let text = j.describe().unwrap();
        assert!(text.contains("omar/broadcast (12 ms)"), "{text}");
        // Not delivered here but seen there: still a leak, the worse news.
        let failed = ProbeOutcome::Failed {
            reason: ProbeFailure::NotDelivered,
        };
        assert_eq!(
            judge(&result(failed, vec![peer("omar", 1, &["n"])])).outcome(),
            "leaked"
        );
    }

    #[test]
    fn a_listed_profile_without_an_open_socket_proves_nothing() {
        let r = result(DELIVERED, vec![peer("omar", 0, &[]), peer("ann", 1, &[])]);
        assert_eq!(judge(&r), Judgement::Unproven(vec!["omar"]));
        let failed = ProbeOutcome::Failed {
            reason: ProbeFailure::SocketClosed,
        };
        let r = result(failed, vec![peer("omar", 0, &[])]);
        assert_eq!(judge(&r).outcome(), "failed");
    }
}
