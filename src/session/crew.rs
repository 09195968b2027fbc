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

use super::Mode;
use super::probe::{Matcher, Peer};
use super::supervisor::{EVENT_CHANNEL, Supervisor};
use crate::config::ActiveProfile;
use crate::facts::Event;

/// An event of the lineup's member `.0` (index in the profiles given to
/// [`Crew::start`]).
pub type Tagged = (usize, Event);

/// A sender of already tagged events and the [`Events`] that receives
/// them (front ends fed by hand: tests, a detached dashboard).
pub fn channel() -> (mpsc::Sender<Tagged>, Events) {
    let (tx, rx) = mpsc::channel(EVENT_CHANNEL);
    let events = Events {
        tagged: Some(rx),
        ..Events::default()
    };
    (tx, events)
}

/// The merged events of a lineup, tagged with the member's index.
///
/// The consumer polls every member's own channel (and an optional
/// channel of already tagged events) in turn, rather than a task
/// forwarding each member's events onto one channel: that hop cost a
/// task wake per event batch, ~9% of a 1,000,000-message `tail` (A/B).
#[derive(Debug, Default)]
pub struct Events {
    members: Vec<Option<mpsc::Receiver<Event>>>,
    tagged: Option<mpsc::Receiver<Tagged>>,
    /// Where the next poll starts, so one busy member cannot starve the others.
    next: usize,
}

impl Events {
    /// The next event of any member; `None` once every channel is closed.
    pub async fn recv(&mut self) -> Option<Tagged> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// An event already queued, without waiting.
    pub fn try_recv(&mut self) -> Result<Tagged, mpsc::error::TryRecvError> {
        use mpsc::error::TryRecvError;
        let mut open = false;
        let n = self.members.len();
        for k in 0..n {
            let i = (self.next + k) % n;
            let Some(rx) = self.members[i].as_mut() else {
                continue;
            };
            match rx.try_recv() {
                Ok(event) => {
                    self.next = (i + 1) % n;
                    return Ok((i, event));
                }
                Err(TryRecvError::Empty) => open = true,
                Err(TryRecvError::Disconnected) => self.members[i] = None,
            }
        }
        if let Some(rx) = self.tagged.as_mut() {
            match rx.try_recv() {
                Ok(tagged) => return Ok(tagged),
                Err(TryRecvError::Empty) => open = true,
                Err(TryRecvError::Disconnected) => self.tagged = None,
            }
        }
        Err(if open {
            TryRecvError::Empty
        } else {
            TryRecvError::Disconnected
        })
    }

    fn poll_recv(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<Tagged>> {
        use std::task::Poll;
        let mut open = false;
        let n = self.members.len();
        for k in 0..n {
            let i = (self.next + k) % n;
            let Some(rx) = self.members[i].as_mut() else {
                continue;
            };
            match rx.poll_recv(cx) {
                Poll::Ready(Some(event)) => {
                    self.next = (i + 1) % n;
                    return Poll::Ready(Some((i, event)));
                }
                Poll::Ready(None) => self.members[i] = None,
                Poll::Pending => open = true,
            }
        }
        if let Some(rx) = self.tagged.as_mut() {
            match rx.poll_recv(cx) {
                Poll::Ready(Some(tagged)) => return Poll::Ready(Some(tagged)),
                Poll::Ready(None) => self.tagged = None,
                Poll::Pending => open = true,
            }
        }
        if open {
            Poll::Pending
        } else {
            Poll::Ready(None)
        }
    }
}

/// The running engines of several profiles.
pub struct Crew {
    members: Vec<Supervisor>,
}

impl Crew {
    /// Starts every profile's supervisor; their events arrive on `events`
    /// tagged with the profile's index in `profiles` (`events` should be
    /// fresh: a member's index is its place among `events`' members). An isolation probe
    /// naming a profile not in `profiles` watches nothing there (callers
    /// add those profiles first: [`crate::config::Config::lineup`]).
    /// Must be called inside a tokio runtime.
    pub fn start(profiles: Vec<ActiveProfile>, mode: Mode, events: &mut Events) -> Crew {
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
        for (i, (profile, peers)) in profiles.into_iter().zip(peers).enumerate() {
            let (tx, rx) = super::channel();
            events.members.push(Some(rx));
            members.push(Supervisor::start_with(
                profile,
                mode,
                tx,
                matchers[i].clone(),
                peers,
            ));
        }
        Crew { members }
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
    /// keeps each with its profile).
    pub fn into_members(self) -> Vec<Supervisor> {
        self.members
    }

    /// Closes every socket of every member cleanly (1000), all at once,
    /// and waits for them.
    pub async fn shutdown(self) {
        futures_util::future::join_all(self.members.into_iter().map(Supervisor::shutdown)).await;
    }
}
