//! The session engine: one task per endpoint holding a socket open,
//! reconnecting with backoff, heartbeating, and reporting facts as
//! [`crate::facts::Event`]s; a [`Supervisor`] owns the tasks of the active profile.

pub mod backoff;
pub mod crew;
pub mod dial;
pub mod django;
pub mod handshake;
pub mod heartbeat;
pub mod login;
pub mod next;
pub mod open;
pub mod policy;
pub mod probe;
pub mod recorder;
pub mod scrub;
pub mod server_log;
pub mod spec;
pub mod supervisor;
pub mod task;

pub use crew::Crew;
pub use supervisor::{Supervisor, channel};
pub use task::{MAX_CONNECTING, Mode};
