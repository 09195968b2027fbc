//! Proxies in the path: the directives that make each one forward an
//! upgrade, and the 502/503/504 a proxy answers for the server behind it.

use super::{Target, diag};
use crate::diagnose::evidence::{Answer, Meaning, Software};
use crate::diagnose::{Diagnosis, DiagnosisKind};

pub(super) const NGINX_UPGRADE: &str = "In the proxy's WebSocket location (nginx): proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection \"upgrade\";";

/// The directives that make `proxy` forward an upgrade.
pub(super) fn upgrade_directives(proxy: Option<Software>) -> Vec<String> {
    let one = |s: &str| vec![s.to_string()];
    match proxy {
        Some(Software::Nginx) => one(NGINX_UPGRADE),
        Some(Software::HaProxy) => one("HAProxy forwards upgrades in `mode http` unless told not to: remove any `http-request del-header Connection`/`Upgrade` or `option httpclose` on this backend, and set `timeout tunnel` (e.g. 1h) for the open socket."),
        Some(Software::Traefik | Software::GoHttp) => one("Traefik forwards upgrades by default: check that a router rule matches this path and that no headers middleware rewrites Connection or Upgrade."),
        Some(Software::Caddy) => one("Caddy's reverse_proxy forwards upgrades by default: remove any header_up that drops Connection or Upgrade for this path."),
        Some(Software::Envoy) => one("Envoy: add `upgrade_configs: [{upgrade_type: websocket}]` to the HTTP connection manager or this route."),
        Some(Software::Apache) => one("Apache httpd: `ProxyPass /ws/ ws://backend/ws/` (mod_proxy_wstunnel), or `ProxyPass / http://backend/ upgrade=websocket` on 2.4.47+."),
        Some(Software::Cloudflare) => one("Cloudflare: WebSockets must be enabled for the zone (Network → WebSockets); the origin behind it must forward upgrades too."),
        Some(Software::AwsAlb) => one("AWS ALB forwards upgrades itself: check the listener rule sends this path to the target group of the WebSocket server, and anything behind it (nginx…) forwards Upgrade/Connection."),
        _ => vec![
            "Make the proxy forward the hop-by-hop Upgrade and Connection headers over HTTP/1.1 for this path.".to_string(),
            NGINX_UPGRADE.to_string(),
        ],
    }
}

/// 502/503/504 at the upgrade: the proxy could not get (or has no) server.
pub(super) fn proxy_error(t: &Target, status: u16, a: &Answer) -> Diagnosis {
    let line = a.line();
    let who = a
        .fingerprint
        .proxy()
        .map_or("the proxy".to_string(), |p| p.label());
    let (what, mut fixes) = match status {
        502 => (
            format!("{who} could not get a valid answer from the server behind it"),
            vec![
                if a.fingerprint.has(Software::Daphne) || a.fingerprint.has(Software::Django) {
                    format!("Start the backend (e.g. `{}`) and check the proxy's upstream address and port.", t.daphne_command())
                } else {
                    "Start the backend and check the proxy's upstream address and port.".to_string()
                },
                "Read the proxy's error log: it names the upstream failure.".to_string(),
            ],
        ),
        503 if a.fingerprint.proxy().is_some()
            || a.said.meaning == Some(Meaning::UpstreamUnavailable) =>
        (
            format!("{who} has no healthy server behind it for this route"),
            vec![
                "Start the backend, or check the proxy's health checks and the backend's address and port: the proxy marks every server of this route down.".to_string(),
                "Read the proxy's log: it says why the servers are down (connection refused, failed health checks).".to_string(),
            ],
        ),
        503 => (
            "the server or a proxy is temporarily unable to serve".to_string(),
            vec!["Check that a healthy backend is registered behind the load balancer; retry later.".to_string()],
        ),
        _ => (
            format!("{who} waited too long for the server behind it to answer the upgrade"),
            vec!["Check that the backend answers directly, bypassing the proxy: a blocked event loop or a slow connect() holds the upgrade.".to_string()],
        ),
    };
    fixes.push(
        "Connect to the backend directly to tell a proxy problem from a server problem.".into(),
    );
    diag(
        DiagnosisKind::ProxyError,
        format!(
            "The upgrade was answered with {line}{}: {what}.",
            a.words_note()
        ),
        fixes,
    )
}
