//! The `Origin` check of Channels' `OriginValidator` (and
//! `AllowedHostsOriginValidator`, which is one over `ALLOWED_HOSTS`),
//! as Channels 4.3 `channels/security/websocket.py` does it: no Origin is
//! refused unless `*` is allowed; a pattern without a scheme compares the
//! host only (`.example.com` = the domain and its subdomains, Django's
//! `is_same_domain`); a pattern with a scheme compares scheme, host and
//! port (80/443 by default).

use url::Url;

/// Whether `origin` (the header's value, `None`: not sent) passes
/// `allowed`.
pub(crate) fn allowed(origin: Option<&str>, allowed: &[String]) -> bool {
    if allowed.iter().any(|p| p == "*") {
        return true;
    }
    let Some(origin) = origin.and_then(|o| Url::parse(o).ok()) else {
        return false;
    };
    let Some(host) = origin.host_str().map(unbracket) else {
        return false;
    };
    allowed
        .iter()
        .any(|pattern| matches(&origin, &host, pattern))
}

fn unbracket(host: &str) -> String {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase()
}

fn matches(origin: &Url, host: &str, pattern: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    match pattern.split_once("://") {
        None => {
            // Host only (a port, if written, is ignored as urlparse does).
            let name = Url::parse(&format!("http://{pattern}"))
                .ok()
                .and_then(|u| u.host_str().map(unbracket))
                .unwrap_or_else(|| pattern.clone());
            same_domain(host, &name)
        }
        Some((scheme, rest)) => {
            // `http://.example.com` is not a URL the url crate accepts:
            // split host and port by hand.
            let (name, port) = match rest.rsplit_once(':') {
                Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
                    (h.to_string(), p.trim_end_matches('/').parse::<u16>().ok())
                }
                _ => (rest.trim_end_matches('/').to_string(), None),
            };
            let default = |s: &str| match s {
                "http" | "ws" => Some(80),
                "https" | "wss" => Some(443),
                _ => None,
            };
            scheme == origin.scheme()
                && port.or_else(|| default(scheme))
                    == origin.port().or_else(|| default(origin.scheme()))
                && same_domain(host, &unbracket(&name))
        }
    }
}

/// Django's `is_same_domain`: exact, or `.example.com` for the domain and
/// any subdomain.
pub(crate) fn same_domain(host: &str, pattern: &str) -> bool {
    if pattern.is_empty() {
        return false;
    }
    let host = host.to_ascii_lowercase();
    match pattern.strip_prefix('.') {
        Some(domain) => host == domain || host.ends_with(pattern),
        None => host == pattern,
    }
}

/// Django's `ALLOWED_HOSTS` check of a `Host` (without port): `*`,
/// `.domain`, or exact; with `DEBUG` and an empty list, the local names.
pub(crate) fn host_allowed(host: &str, allowed_hosts: &[String], debug: bool) -> bool {
    let defaults = [".localhost", "127.0.0.1", "[::1]"].map(String::from);
    let list: &[String] = if debug && allowed_hosts.is_empty() {
        &defaults
    } else {
        allowed_hosts
    };
    let host = host.to_ascii_lowercase();
    list.iter().any(|p| {
        let p = p.to_ascii_lowercase();
        p == "*" || same_domain(&host, &p) || same_domain(&format!("[{host}]"), &p)
    })
}
