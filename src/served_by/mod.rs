//! Who listens on an endpoint's port when the endpoint is on this machine
//! (loopback, `localhost`, or an address a local socket is bound to): the
//! process (pid, command line, user) and the listeners on nearby ports.
//! The session task looks it up after every open and at the end of every
//! attempt and reports it as [`SessionEvent::ServedBy`](super::SessionEvent);
//! what it means lives in [`crate::diagnose::server_side`].
//!
//! Linux reads `/proc/net/tcp{,6}`, `/proc/*/fd` (socket inodes),
//! `/proc/PID/cmdline` and `/etc/passwd` (pure parsing in [`proc_text`]).
//! Other systems get no answer (`None`), never an error.
//!
//! Hand-written rather than the `listeners` crate (0.6): that one gives a
//! pid and a process *name* (`python`), not the command line that tells
//! `manage.py runserver` from `daphne`, nor the user; `netstat2` gives no
//! process at all and is unmaintained.

pub(crate) mod proc_text;

use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use crate::secret::Redactor;

/// Ports either side of the target searched for a listener when nothing
/// listens on the target itself (8000 vs 8001).
pub const NEARBY: u16 = 10;

/// Command lines are cut to this many characters (a Java classpath…).
pub const MAX_COMMAND: usize = 300;

/// A read of `/proc` younger than this is reused: a thousand local
/// endpoints ending at once scan it once, not a thousand times.
pub const FRESH: Duration = Duration::from_millis(300);

/// How many lookups one session may make: a burst of [`Budget::BURST`]
/// (an attempt's open and end, and the next open after a restart), then
/// one a second. A server dropping every socket at once makes a session
/// reconnect hundreds of times a second; its lookups must not slow that
/// down nor load the machine.
#[derive(Debug)]
pub struct Budget {
    tokens: f64,
    at: Instant,
    /// Whether the port was last known to have a listener: the latest
    /// lookup's answer, or `false` after a refused connect. After
    /// "nobody", the next open is looked up whatever the budget, as that
    /// is when a restarted server (a new pid) is seen (see
    /// [`Budget::at_open`]).
    pub listening: Option<bool>,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            tokens: Budget::BURST,
            at: Instant::now(),
            listening: None,
        }
    }
}

impl Budget {
    pub const BURST: f64 = 3.0;
    /// Lookups regained per second.
    pub const RATE: f64 = 1.0;

    /// A connect to the port was refused (TCP RST to the SYN): nobody
    /// listens, as surely as a lookup finding nobody, and without one.
    pub fn refused(&mut self) {
        self.listening = Some(false);
    }

    /// The lookup for an open at `opened` (the 101's arrival): whether it
    /// is forced (nobody listened before it, so this open is the one that
    /// shows a restarted server), and the earliest start of a `/proc` read
    /// that may answer it ([`look_up`]'s `after`).
    ///
    /// Forced, only a read started after the open will do: a read from
    /// just before it, however fresh, may predate the new server's
    /// `listen` and show nobody, and the session, now open, would not
    /// look again (10 of 30 Daphne restarts went unseen that way when
    /// the server came back within a reconnect delay). Otherwise any read
    /// younger than [`FRESH`] will do: sessions opening together share it.
    pub fn at_open(&self, opened: SystemTime) -> (bool, SystemTime) {
        if self.listening == Some(false) {
            (true, opened)
        } else {
            (false, opened.checked_sub(FRESH).unwrap_or(opened))
        }
    }

    /// Takes one lookup if the budget has one.
    pub fn take(&mut self) -> bool {
        self.regain();
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Takes one lookup for a forced one (see [`Budget::at_open`]): past
    /// an empty budget too, into a debt of at most [`Budget::BURST`] that
    /// later lookups wait out. A server restarting many times a second
    /// (every restart a refused connect, then an open) is still looked up
    /// at [`Budget::RATE`] in the long run.
    pub fn take_forced(&mut self) -> bool {
        self.regain();
        if self.tokens > -Budget::BURST {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn regain(&mut self) {
        let now = Instant::now();
        let regained = now.duration_since(self.at).as_secs_f64() * Budget::RATE;
        self.tokens = (self.tokens + regained).min(Budget::BURST);
        self.at = now;
    }
}

/// The process listening on a port. JSON: `{"pid", "command", "user"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listener {
    pub pid: u32,
    /// Its command line, redacted with the profile's secrets, at most
    /// [`MAX_COMMAND`] characters; raw otherwise (print with `visible`).
    pub command: String,
    /// The socket owner's user name (its uid when `/etc/passwd` has none).
    pub user: Option<String>,
}

/// The process listening on an endpoint's port changed between two
/// lookups (an autoreloader, a deploy, a crash and restart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerRestart {
    pub from: Listener,
    pub to: Listener,
    /// When the new process was first seen.
    pub seen: SystemTime,
}

/// What one lookup found for an endpoint's port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedBy {
    /// When it was looked up.
    pub at: SystemTime,
    pub port: u16,
    /// Some socket listens on the port (its process may still be unknown:
    /// another user's process hides its fds).
    pub listening: bool,
    /// The process holding that socket, when it could be seen.
    pub listener: Option<Listener>,
    /// When nothing listens on the port: listeners on ports within
    /// ±[`NEARBY`], nearest first (the process when visible).
    pub nearby: Vec<(u16, Option<Listener>)>,
}

/// The local IP an endpoint's URL points at: a literal loopback or local
/// address, or `localhost`; `None` for other names (no DNS here).
pub fn local_target(url: &url::Url) -> Option<SocketAddr> {
    let port = url.port_or_known_default()?;
    let ip = match url.host()? {
        url::Host::Domain(d) if d.eq_ignore_ascii_case("localhost") => {
            IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
        }
        url::Host::Domain(_) => return None,
        url::Host::Ipv4(ip) => IpAddr::V4(ip),
        url::Host::Ipv6(ip) => IpAddr::V6(ip),
    };
    Some(SocketAddr::new(ip, port))
}

/// Who listens on `target`, if `target` is on this machine, as of
/// `after` or later (a read of `/proc` started before `after` is not
/// reused: it could show a process that has just died). Blocking (reads
/// `/proc`): run it off the async threads.
pub fn look_up(target: SocketAddr, redactor: &Redactor, after: SystemTime) -> Option<ServedBy> {
    look_up_in(snapshot(after)?, target, redactor)
}

fn look_up_in(snap: Snapshot, target: SocketAddr, redactor: &Redactor) -> Option<ServedBy> {
    let Snapshot {
        listening,
        local_ips,
        pids,
    } = snap;
    let ip = target.ip();
    // On this machine: loopback, or an address some local socket uses.
    let local = ip.is_loopback() || local_ips.contains(&ip);
    if !local {
        return None;
    }
    let listening: Vec<_> = listening
        .iter()
        .filter(|s| proc_text::accepts(s.local.ip(), ip))
        .collect();
    let on = |port: u16| {
        listening
            .iter()
            .find(|s| s.local.port() == port)
            .copied()
            .copied()
    };
    let here = on(target.port());
    let mut near: Vec<proc_text::SocketLine> = Vec::new();
    if here.is_none() {
        for d in 1..=NEARBY {
            for port in [target.port().checked_sub(d), target.port().checked_add(d)] {
                if let Some(s) = port.and_then(on) {
                    near.push(s);
                }
            }
        }
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let process = |s: &proc_text::SocketLine| -> Option<Listener> {
        let pid = pids.iter().find(|(inode, _)| *inode == s.inode)?.1;
        let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let command = proc_text::command_line(&raw)?;
        let command: String = redactor
            .redact(&command)
            .chars()
            .take(MAX_COMMAND)
            .collect();
        let user = proc_text::user_name(&passwd, s.uid).unwrap_or_else(|| s.uid.to_string());
        Some(Listener {
            pid,
            command,
            user: Some(user),
        })
    };
    Some(ServedBy {
        at: SystemTime::now(),
        port: target.port(),
        listening: here.is_some(),
        listener: here.as_ref().and_then(process),
        nearby: near.iter().map(|s| (s.local.port(), process(s))).collect(),
    })
}

/// The listening TCP sockets of this machine, the addresses its sockets
/// use, and the pids holding the listening ones, read at one moment.
/// Only what a lookup reads is kept (it is cached): every connected
/// socket of a busy machine would be thousands of lines, held for
/// nothing, and a cache whose size follows the whole machine's traffic.
#[derive(Clone)]
struct Snapshot {
    listening: Vec<proc_text::SocketLine>,
    /// Distinct local addresses of all sockets (tells a local IP).
    local_ips: Vec<IpAddr>,
    /// (inode, pid) of every listening socket whose process we may see.
    pids: Vec<(u64, u32)>,
}

/// A [`Snapshot`] read at `after` or later: the cached one when it was
/// started then and is younger than [`FRESH`].
fn snapshot(after: SystemTime) -> Option<Snapshot> {
    type Cached = (Instant, SystemTime, Snapshot);
    static CACHE: Mutex<Option<Cached>> = Mutex::new(None);
    // Held through the read: callers arriving meanwhile wait for it and
    // reuse it instead of scanning `/proc` side by side.
    let Ok(mut cache) = CACHE.lock() else {
        return read_snapshot();
    };
    if let Some((age, started, snap)) = cache.as_ref()
        && age.elapsed() < FRESH
        && *started >= after
    {
        return Some(snap.clone());
    }
    let (age, started) = (Instant::now(), SystemTime::now());
    let snap = read_snapshot()?;
    *cache = Some((age, started, snap.clone()));
    Some(snap)
}

/// Reads `/proc` now.
fn read_snapshot() -> Option<Snapshot> {
    let v4 = std::fs::read_to_string("/proc/net/tcp").ok()?;
    let mut sockets = proc_text::parse_net_tcp(&v4);
    if let Ok(v6) = std::fs::read_to_string("/proc/net/tcp6") {
        sockets.extend(proc_text::parse_net_tcp(&v6));
    }
    let mut local_ips: Vec<IpAddr> = sockets.iter().map(|s| s.local.ip()).collect();
    local_ips.sort_unstable();
    local_ips.dedup();
    local_ips.shrink_to_fit();
    sockets.retain(proc_text::SocketLine::is_listening);
    sockets.shrink_to_fit();
    let inodes: Vec<u64> = sockets.iter().map(|s| s.inode).collect();
    Some(Snapshot {
        pids: pids_of(&inodes),
        listening: sockets,
        local_ips,
    })
}

/// The pids holding the socket `inodes`: every `/proc/PID/fd` we may read
/// is scanned until all are found (a forked server shares its listening
/// socket: the lowest pid, the parent, is kept).
fn pids_of(inodes: &[u64]) -> Vec<(u64, u32)> {
    let mut found: Vec<(u64, u32)> = Vec::new();
    if inodes.is_empty() {
        return found;
    }
    let Ok(proc) = std::fs::read_dir("/proc") else {
        return found;
    };
    let mut pids: Vec<u32> = proc
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    for pid in pids {
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue; // another user's process, or gone
        };
        for fd in fds.flatten() {
            let Ok(link) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let Some(inode) = link.to_str().and_then(proc_text::socket_inode) else {
                continue;
            };
            if inodes.contains(&inode) && !found.iter().any(|(i, _)| *i == inode) {
                found.push((inode, pid));
            }
        }
        if found.len() == inodes.len() {
            break;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_after_nobody_listened_is_forced_and_read_after_it() {
        let opened = SystemTime::now();
        let mut budget = Budget::default();
        // Never looked up, or a listener seen: any fresh read, by budget.
        assert_eq!(budget.at_open(opened), (false, opened - FRESH));
        budget.listening = Some(true);
        assert_eq!(budget.at_open(opened), (false, opened - FRESH));
        // A lookup that found nobody, or a refused connect: forced, and
        // only a read started after the open.
        budget.listening = Some(false);
        assert_eq!(budget.at_open(opened), (true, opened));
        budget.listening = Some(true);
        budget.refused();
        assert_eq!(budget.at_open(opened), (true, opened));
    }

    #[test]
    fn only_literal_local_addresses_and_localhost_are_looked_up() {
        let t = |u: &str| local_target(&url::Url::parse(u).unwrap());
        assert_eq!(
            t("ws://127.0.0.1:8000/ws/"),
            Some("127.0.0.1:8000".parse().unwrap())
        );
        assert_eq!(
            t("ws://localhost/ws/"),
            Some("127.0.0.1:80".parse().unwrap())
        );
        assert_eq!(t("wss://[::1]/ws/"), Some("[::1]:443".parse().unwrap()));
        assert_eq!(t("wss://example.com/ws/"), None);
    }

    #[test]
    fn a_session_gets_a_burst_of_lookups_then_few() {
        let mut budget = Budget::default();
        let taken = (0..100).filter(|_| budget.take()).count();
        // The burst, plus what a slow machine regains meanwhile.
        assert!((3..=4).contains(&taken), "{taken}");
        // Forced ones go past it, into a bounded debt that holds the
        // others back.
        let forced = (0..100).filter(|_| budget.take_forced()).count();
        assert!((3..=4).contains(&forced), "{forced}");
        assert!(!budget.take());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn our_own_listener_is_found_with_our_command_line() {
        let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let target = socket.local_addr().unwrap();
        let snap = read_snapshot().expect("/proc");
        let found = look_up_in(snap, target, &Redactor::default()).expect("loopback is local");
        assert!(found.listening);
        let me = found.listener.expect("our own fds are readable");
        assert_eq!(me.pid, std::process::id());
        assert!(me.user.is_some());
        drop(socket);
    }
}
