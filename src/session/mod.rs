//! The session engine: one task per endpoint holding a socket open,
//! reconnecting with backoff, heartbeating, and reporting facts as
//! [`crate::facts::Event`]s; a [`Supervisor`] owns the tasks of the active profile.

pub(crate) mod backoff;
pub mod crew;
pub(crate) mod dial;
pub(crate) mod django;
pub(crate) mod handshake;
pub(crate) mod heartbeat;
pub mod login;
pub(crate) mod next;
pub(crate) mod open;
pub(crate) mod policy;
pub mod probe;
pub(crate) mod recorder;
pub(crate) mod scrub;
pub(crate) mod server_log;
pub(crate) mod spec;
pub(crate) mod supervisor;
pub(crate) mod task;

pub use crew::Crew;
pub use spec::{MAX_CONNECTING, Mode};
pub use supervisor::{Supervisor, channel};
