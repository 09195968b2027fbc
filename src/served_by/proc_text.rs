//! Pure readers of the Linux `/proc` text that says who listens on a port:
//! `/proc/net/tcp` and `/proc/net/tcp6` (one socket a line), the target of
//! a `/proc/PID/fd/N` link (`socket:[INODE]`), `/proc/PID/cmdline`
//! (NUL-separated argv) and `/etc/passwd` (uid → user name). No I/O here:
//! [`super`] reads the files and feeds them in, tests feed recorded text.
//!
//! Source: the kernel's `proc(5)` (`/proc/net/tcp`: "sl local_address
//! rem_address st … uid timeout inode"), observed on Linux 6.x.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// `st` of a listening TCP socket (`TCP_LISTEN`, include/net/tcp_states.h).
pub(crate) const TCP_LISTEN: u8 = 0x0A;

/// One line of `/proc/net/tcp{,6}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SocketLine {
    pub local: SocketAddr,
    /// The TCP state (`st`, e.g. [`TCP_LISTEN`]).
    pub state: u8,
    /// The owner of the socket (the process's effective uid at `socket()`).
    pub uid: u32,
    /// The socket's inode: `/proc/PID/fd/N` links to `socket:[inode]`.
    pub inode: u64,
}

impl SocketLine {
    pub(crate) fn is_listening(&self) -> bool {
        self.state == TCP_LISTEN
    }
}

/// The sockets of a `/proc/net/tcp` or `/proc/net/tcp6` text; the header
/// and any line that does not parse are skipped.
pub(crate) fn parse_net_tcp(text: &str) -> Vec<SocketLine> {
    text.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<SocketLine> {
    let mut fields = line.split_whitespace();
    let slot = fields.next()?;
    if !slot.ends_with(':') {
        return None; // the header
    }
    let local = parse_addr(fields.next()?)?;
    let _remote = fields.next()?;
    let state = u8::from_str_radix(fields.next()?, 16).ok()?;
    // tx_queue:rx_queue, tr:tm->when, retrnsmt
    let mut fields = fields.skip(3);
    let uid = fields.next()?.parse().ok()?;
    let _timeout = fields.next()?;
    let inode = fields.next()?.parse().ok()?;
    Some(SocketLine {
        local,
        state,
        uid,
        inode,
    })
}

/// `0100007F:1F40` → 127.0.0.1:8000. The kernel prints each 32-bit word
/// of the (network-order) address as a host-order number, so the bytes
/// come back with the host's byte order.
fn parse_addr(text: &str) -> Option<SocketAddr> {
    let (ip, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |i: usize| -> Option<[u8; 4]> {
        let hex = ip.get(i * 8..i * 8 + 8)?;
        Some(u32::from_str_radix(hex, 16).ok()?.to_ne_bytes())
    };
    let ip = match ip.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(0)?)),
        32 => {
            let mut bytes = [0u8; 16];
            for i in 0..4 {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// The inode of a `/proc/PID/fd/N` link target `socket:[12345]`.
pub(crate) fn socket_inode(link: &str) -> Option<u64> {
    link.strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// A `/proc/PID/cmdline` (NUL-separated, NUL-terminated argv) as one line
/// with spaces; `None` for a kernel thread's empty one. Lossy UTF-8.
pub(crate) fn command_line(raw: &[u8]) -> Option<String> {
    let words: Vec<String> = raw
        .split(|&b| b == 0)
        .filter(|w| !w.is_empty())
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// The name of `uid` in an `/etc/passwd` text (`name:x:uid:gid:…`).
pub(crate) fn user_name(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        let name = f.next()?;
        let _password = f.next()?;
        let id: u32 = f.next()?.parse().ok()?;
        (id == uid && !name.is_empty()).then(|| name.to_string())
    })
}

/// Whether a socket bound to `bound` accepts connections to `target`:
/// the same address, or a wildcard bind (`0.0.0.0`, `::`; a `::` socket
/// takes IPv4 too unless IPV6_V6ONLY, which `/proc` does not show), or
/// the IPv4-mapped form of the target.
pub(crate) fn accepts(bound: IpAddr, target: IpAddr) -> bool {
    if bound == target || bound.is_unspecified() {
        return true;
    }
    match (bound, target) {
        (IpAddr::V6(b), IpAddr::V4(t)) => b.to_ipv4_mapped() == Some(t),
        (IpAddr::V4(b), IpAddr::V6(t)) => t.to_ipv4_mapped() == Some(b),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Recorded on Linux 6.1 x86_64 (little-endian): Daphne on
    // 127.0.0.1:8000, runserver on 0.0.0.0:8001, an established client.
    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242001 1 0000000000000000 100 0 0 10 0
   1: 00000000:1F41 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242002 1 0000000000000000 100 0 0 10 0
   2: 0100007F:9C40 0100007F:1F40 01 00000000:00000000 00:00000000 00000000  1000        0 4242003 1 0000000000000000 20 4 30 10 -1
";
    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F42 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   33        0 4242004 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:1F43 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   33        0 4242005 1 0000000000000000 100 0 0 10 0
";

    #[cfg(target_endian = "little")]
    #[test]
    fn net_tcp_lines_give_address_state_owner_and_inode() {
        let v4 = parse_net_tcp(TCP);
        assert_eq!(v4.len(), 3, "the header is skipped");
        assert_eq!(v4[0].local, "127.0.0.1:8000".parse().unwrap());
        assert!(v4[0].is_listening());
        assert_eq!((v4[0].uid, v4[0].inode), (1000, 4_242_001));
        assert_eq!(v4[1].local, "0.0.0.0:8001".parse().unwrap());
        assert!(!v4[2].is_listening(), "01 is ESTABLISHED");
        let v6 = parse_net_tcp(TCP6);
        assert_eq!(v6[0].local, "[::1]:8002".parse().unwrap());
        assert_eq!(v6[1].local, "[::ffff:127.0.0.1]:8003".parse().unwrap());
        assert_eq!(v6[1].uid, 33);
    }

    #[test]
    fn broken_lines_are_skipped_not_fatal() {
        assert!(parse_net_tcp("garbage\n   0: zz:1 00:0 0A\n").is_empty());
        assert!(parse_net_tcp("").is_empty());
    }

    #[test]
    fn fd_links_name_socket_inodes_only() {
        assert_eq!(socket_inode("socket:[4242001]"), Some(4_242_001));
        assert_eq!(socket_inode("pipe:[4242001]"), None);
        assert_eq!(socket_inode("/dev/null"), None);
    }

    #[test]
    fn cmdline_joins_argv_and_an_empty_one_is_none() {
        let raw = b"python\0manage.py\0runserver\x00127.0.0.1:8000\0";
        assert_eq!(
            command_line(raw).as_deref(),
            Some("python manage.py runserver 127.0.0.1:8000")
        );
        assert_eq!(command_line(b""), None);
    }

    #[test]
    fn passwd_maps_a_uid_to_its_name() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\nbroken\n";
        assert_eq!(user_name(passwd, 33).as_deref(), Some("www-data"));
        assert_eq!(user_name(passwd, 0).as_deref(), Some("root"));
        assert_eq!(user_name(passwd, 1000), None);
    }

    #[test]
    fn wildcard_and_mapped_binds_accept_the_target() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(accepts(ip("0.0.0.0"), ip("127.0.0.1")));
        assert!(accepts(ip("::"), ip("127.0.0.1")));
        assert!(accepts(ip("::ffff:127.0.0.1"), ip("127.0.0.1")));
        assert!(accepts(ip("127.0.0.1"), ip("127.0.0.1")));
        assert!(!accepts(ip("127.0.0.1"), ip("::1")));
        assert!(!accepts(ip("192.168.1.5"), ip("127.0.0.1")));
    }
}
