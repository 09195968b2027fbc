//! Who on the path likely owns a timer: the handshake's own words on who
//! answered (`Server`, `Via`), and the known default idle timeouts of the
//! proxies, load balancers and servers that sockets usually sit behind.
//!
//! [`answered_by`] is the one place that reads those headers, so a richer
//! fingerprint (`diagnose::evidence`) can replace it without touching the
//! pattern readings.

use std::time::Duration;

use crate::diagnose::text::{excerpt, human_duration};

/// Who answered the handshake, from its headers: the `Server` header and
/// any `Via` (a proxy that passes the app's `Server` on still names itself
/// there: `1.1 vegur` is Heroku's router), as an excerpt safe to quote,
/// e.g. `gunicorn (via 1.1 vegur)`.
pub(crate) fn answered_by(headers: &[(String, String)]) -> Option<String> {
    let find = |name: &str| {
        headers
            .iter()
            .find(|(k, v)| k.eq_ignore_ascii_case(name) && !v.trim().is_empty())
            .map(|(_, v)| excerpt(v))
    };
    match (find("server"), find("via")) {
        (Some(server), Some(via)) => Some(format!("{server} (via {via})")),
        (server, via) => server.or(via),
    }
}

/// A proxy or server whose idle or lifetime timer can cut a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Known {
    /// How the owner is named in a summary.
    pub name: &'static str,
    /// Lower-case fragments of a `Server`/`Via` value that mean this owner.
    pub marks: &'static [&'static str],
    /// Its default idle timeout, when it has one.
    pub default_idle: Option<Duration>,
    /// The knob, in a few words (`raise proxy_read_timeout`).
    pub knob: &'static str,
    /// The knob and the fix, in one sentence.
    pub fix: &'static str,
}

/// The timers sockets most often meet, with their documented defaults:
/// nginx `proxy_read_timeout` (ngx_http_proxy_module, 60 s), AWS ALB
/// `idle_timeout.timeout_seconds` (60 s), Cloudflare (100 s for proxied
/// WebSockets without traffic), Heroku's router (55 s), HAProxy (no
/// default: `timeout tunnel`, else `timeout client`/`server`), Daphne
/// (`--websocket_timeout`, a lifetime cap, 86400 s by default).
pub(crate) const KNOWN: [Known; 6] = [
    Known {
        name: "nginx",
        knob: "raise proxy_read_timeout",
        marks: &["nginx", "openresty"],
        default_idle: Some(Duration::from_secs(60)),
        fix: "raise proxy_read_timeout (and proxy_send_timeout) in the WebSocket location above the longest quiet period (e.g. 3600s), or have one side ping more often than it",
    },
    Known {
        name: "AWS ALB",
        knob: "raise the load balancer's idle timeout",
        marks: &["awselb", "elb"],
        default_idle: Some(Duration::from_secs(60)),
        fix: "raise the load balancer's idle timeout (idle_timeout.timeout_seconds), or ping more often than it",
    },
    Known {
        name: "Cloudflare",
        knob: "send traffic at least every 100 s",
        marks: &["cloudflare"],
        default_idle: Some(Duration::from_secs(100)),
        fix: "send traffic (server pings) more often than every 100 s; Cloudflare's proxied WebSocket idle timeout is not configurable on most plans",
    },
    Known {
        name: "Heroku's router",
        knob: "send traffic at least every 55 s",
        marks: &["vegur", "heroku"],
        default_idle: Some(Duration::from_secs(55)),
        fix: "send something (server pings) at least every 55 s: Heroku's router closes idle connections after 55 s",
    },
    Known {
        name: "HAProxy",
        knob: "raise timeout tunnel",
        marks: &["haproxy"],
        default_idle: None,
        fix: "raise `timeout tunnel` (used once the connection is upgraded; `timeout client`/`timeout server` when it is not set) above the longest quiet period, or ping more often than it",
    },
    Known {
        name: "Daphne",
        knob: "raise --websocket_timeout",
        marks: &["daphne", "twisted", "autobahn"],
        default_idle: None,
        fix: "Daphne's --websocket_timeout caps a socket's lifetime (86400 s by default): raise it if it was set low",
    },
];

/// The known owner named by a `Server`/`Via` value.
pub(crate) fn known(answered_by: Option<&str>) -> Option<&'static Known> {
    let text = answered_by?.to_ascii_lowercase();
    KNOWN
        .iter()
        .find(|k| k.marks.iter().any(|m| text.contains(m)))
}

/// Whether `value` is within a few percent (at least a second) of `target`.
pub(crate) fn near(value: Duration, target: Duration) -> bool {
    let slack = (target / 20).max(Duration::from_secs(1));
    value.abs_diff(target) <= slack
}

/// Proxies whose default idle timeout is about `value` (the round numbers
/// people meet: 55, 60, 100 s).
pub(crate) fn defaults_near(value: Duration) -> Vec<&'static Known> {
    KNOWN
        .iter()
        .filter(|k| k.default_idle.is_some_and(|d| near(value, d)))
        .collect()
}

/// In ping mode, when wsmon's pings come at least as often as the default
/// idle timeout of the proxy that answered, they keep that timer from ever
/// firing for wsmon, while browsers (which never ping) are cut by it: says
/// so and offers the browser mode. `None` when nothing is hidden.
pub(crate) fn pings_may_hide(ping_interval: Duration, answered_by: Option<&str>) -> Option<String> {
    let owner = known(answered_by)?;
    let idle = owner.default_idle?;
    (ping_interval <= idle).then(|| {
        format!(
            "wsmon pings every {}, at or below {}'s default idle timeout ({} s): its pings keep the socket busy, so a drop browsers see (they never ping) may not show here. Set heartbeat = \"browser\" for this profile or endpoint to see what browsers see.",
            human_duration(ping_interval),
            owner.name,
            idle.as_secs()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn server_then_via_names_who_answered() {
        assert_eq!(
            answered_by(&headers(&[("Server", "nginx/1.22.1")])).as_deref(),
            Some("nginx/1.22.1")
        );
        assert_eq!(
            answered_by(&headers(&[("via", "1.1 vegur")])).as_deref(),
            Some("1.1 vegur")
        );
        assert_eq!(answered_by(&headers(&[("Upgrade", "websocket")])), None);
        let heroku = answered_by(&headers(&[("Server", "gunicorn"), ("Via", "1.1 vegur")]));
        assert_eq!(heroku.as_deref(), Some("gunicorn (via 1.1 vegur)"));
        assert_eq!(
            known(heroku.as_deref()).map(|k| k.name),
            Some("Heroku's router")
        );
        assert_eq!(known(Some("nginx/1.22.1")).map(|k| k.name), Some("nginx"));
        assert_eq!(known(Some("awselb/2.0")).map(|k| k.name), Some("AWS ALB"));
        assert_eq!(known(Some("uvicorn")), None);
    }

    #[test]
    fn pings_hide_the_drop_only_when_they_beat_the_proxy_timer() {
        let every = Duration::from_secs(20);
        assert!(pings_may_hide(every, Some("nginx/1.22.1")).is_some());
        assert!(pings_may_hide(Duration::from_secs(90), Some("nginx")).is_none());
        assert!(pings_may_hide(every, Some("cloudflare")).is_some());
        assert!(pings_may_hide(every, Some("uvicorn")).is_none());
        assert!(pings_may_hide(every, None).is_none());
    }

    #[test]
    fn round_numbers_name_their_usual_owners() {
        let names = |s| {
            defaults_near(Duration::from_secs(s))
                .iter()
                .map(|k| k.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(60), ["nginx", "AWS ALB"]);
        assert_eq!(names(100), ["Cloudflare"]);
        assert_eq!(names(55), ["Heroku's router"]);
        assert!(names(5).is_empty());
    }
}
