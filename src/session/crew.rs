//! Several profiles live together (`--profiles a,b`): one [`Supervisor`]
//! per profile, their events merged onto one channel tagged with the
//! profile's place in the lineup, so two profiles with the same endpoint
//! names never collide (a session is `(member, endpoint id)`).
//!
//! The crew also wires the isolation probe: each profile's sessions offer
//! their messages to their own [`Matcher`], and a profile whose probe
//! lists others (`isolation = ["omar"]`) gets those profiles' matchers as
//! [`Peer`]s, so its nonce is looked for on their sockets too.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::probe::{Matcher, Peer};
use super::supervisor::{EVENT_CHANNEL, Supervisor};
use super::{Event, Mode};
use crate::config::ActiveProfile;

/// An event of the lineup's member `.0` (index in the profiles given to
/// [`Crew::start`]).
pub type Tagged = (usize, Event);

/// A channel to give [`Crew::start`].
pub fn channel() -> (mpsc::Sender<Tagged>, mpsc::Receiver<Tagged>) {
    mpsc::channel(EVENT_CHANNEL)
}

/// The running engines of several profiles.
pub struct Crew {
    members: Vec<Supervisor>,
    forwarders: Vec<JoinHandle<()>>,
}

impl Crew {
    /// Starts every profile's supervisor; their events arrive on `events`
    /// tagged with the profile's index in `profiles`. An isolation probe
    /// naming a profile not in `profiles` watches nothing there (callers
    /// add those profiles first: [`crate::config::Config::lineup`]).
    /// Must be called inside a tokio runtime.
    pub fn start(profiles: Vec<ActiveProfile>, mode: Mode, events: mpsc::Sender<Tagged>) -> Crew {
        let matchers: Vec<Arc<Matcher>> = profiles.iter().map(|_| Arc::default()).collect();
        let peers_of = |profile: &ActiveProfile| -> Vec<Peer> {
            let wanted = profile.probe.as_ref().map_or(&[][..], |p| &p.isolation[..]);
            (wanted.iter())
                .filter_map(|name| {
                    let at = profiles.iter().position(|p| &p.name == name)?;
                    Some(Peer {
                        profile: name.clone(),
                        endpoints: (profiles[at].endpoints.iter())
                            .map(|e| e.name.clone())
                            .collect(),
                        matcher: matchers[at].clone(),
                    })
                })
                .collect()
        };
        let peers: Vec<Vec<Peer>> = profiles.iter().map(peers_of).collect();
        let mut members = Vec::with_capacity(profiles.len());
        let mut forwarders = Vec::with_capacity(profiles.len());
        for (i, (profile, peers)) in profiles.into_iter().zip(peers).enumerate() {
            let (tx, mut rx) = super::channel();
            let merged = events.clone();
            // One hop per event (a batch of messages is one event); the
            // bounded send keeps a slow consumer's back-pressure.
            forwarders.push(tokio::spawn(async move {
                while let Some(event) = rx.recv().await {
                    if merged.send((i, event)).await.is_err() {
                        return;
                    }
                }
            }));
            members.push(Supervisor::start_with(
                profile,
                mode,
                tx,
                matchers[i].clone(),
                peers,
            ));
        }
        Crew {
            members,
            forwarders,
        }
    }

    /// Member `i`'s supervisor.
    pub fn member(&self, i: usize) -> Option<&Supervisor> {
        self.members.get(i)
    }

    /// Every member, in lineup order.
    pub fn members(&self) -> &[Supervisor] {
        &self.members
    }

    /// The members' supervisors, to be driven one by one (the dashboard
    /// keeps each with its profile); the event forwarding goes on until
    /// each is shut down.
    pub fn into_members(self) -> Vec<Supervisor> {
        self.members
    }

    /// Closes every socket of every member cleanly (1000), all at once,
    /// and waits for them.
    pub async fn shutdown(self) {
        futures_util::future::join_all(self.members.into_iter().map(Supervisor::shutdown)).await;
        for f in self.forwarders {
            let _ = f.await;
        }
    }
}
