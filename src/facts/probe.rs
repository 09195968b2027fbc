//! What a delivery probe run found (see `session::probe` for the probe
//! itself): delivered after a latency, or why not.

use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::EndpointId;

/// One probe run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeResult {
    /// The value `{nonce}` was replaced with.
    pub nonce: String,
    /// When the request was sent.
    pub sent_at: SystemTime,
    pub outcome: ProbeOutcome,
    /// The isolation probe: what each listed profile's sockets saw of the
    /// nonce (empty without `isolation`).
    pub isolation: Vec<PeerWatch>,
}

/// One isolation profile's sockets during a probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerWatch {
    /// The profile's name.
    pub profile: String,
    /// Its sockets open when the request was sent: none open proves nothing.
    pub open_sockets: usize,
    /// Where the nonce arrived on its sockets (first time per endpoint).
    pub sightings: Vec<Sighting>,
}

/// The probe's nonce seen on another profile's socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    /// The endpoint's name in that profile.
    pub endpoint: String,
    /// Request sent → message received there.
    pub latency: Duration,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
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
        self.into()
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
