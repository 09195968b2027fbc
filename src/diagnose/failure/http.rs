//! Refused upgrades: the server answered with an HTTP status instead of
//! 101. A browser shows all of these as 1006; the status, the `Server` and
//! `Location` headers and the body say which layer answered and why.

use super::{Facts, Target, auth, diag};
use crate::diagnose::codes;
use crate::diagnose::text::excerpt;
use crate::diagnose::{Diagnosis, DiagnosisKind};
use crate::session::HttpAnswer;

/// `Server` header words of proxies, CDNs and load balancers: an answer
/// from one of them says more about the proxy than about the application.
const PROXIES: &[&str] = &[
    "nginx",
    "openresty",
    "cloudflare",
    "envoy",
    "haproxy",
    "traefik",
    "caddy",
    "apache",
    "awselb",
    "cloudfront",
    "varnish",
    "akamai",
    "google frontend",
    "kong",
];

const NGINX_UPGRADE: &str = "In the proxy's WebSocket location (nginx): proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection \"upgrade\";";

/// The refused answer, made safe to quote.
struct Seen {
    /// `HTTP 404 Not Found (Server: WSGIServer/0.2 CPython/3.12)`.
    line: String,
    server: Option<String>,
    /// Visible text of the body (tags dropped), if any.
    body: Option<String>,
}

impl Seen {
    fn of(a: &HttpAnswer) -> Seen {
        let name = codes::http_status(a.status)
            .filter(|s| s.specific)
            .map(|s| format!(" {}", s.name))
            .unwrap_or_default();
        let server = a.header("server").map(excerpt).filter(|s| !s.is_empty());
        let line = match &server {
            Some(s) => format!("HTTP {}{name} (Server: {s})", a.status),
            None => format!("HTTP {}{name}", a.status),
        };
        let body = Some(excerpt(&visible_text(&a.body_excerpt))).filter(|b| !b.is_empty());
        Seen { line, server, body }
    }

    fn server_is(&self, words: &[&str]) -> bool {
        let server = self
            .server
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase();
        words.iter().any(|w| server.contains(w))
    }

    /// ` ("Not Found …")` or nothing.
    fn body_note(&self) -> String {
        self.body
            .as_ref()
            .map(|b| format!(" (\"{b}\")"))
            .unwrap_or_default()
    }
}

/// The text of an HTML body without its tags (Django and nginx error pages
/// are HTML; the tags are noise in a one-line summary).
pub(super) fn visible_text(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

pub(super) fn classify(facts: &Facts<'_>, t: &Target, a: &HttpAnswer) -> Diagnosis {
    let seen = Seen::of(a);
    match a.status {
        300..=399 => redirect(facts, t, a, &seen),
        401 | 403 => auth::handshake(facts, t, a.status, &seen.line),
        400 => bad_request(t, &seen),
        200..=299 | 404 | 405 | 426 => not_websocket(t, a.status, &seen),
        500 => server_error(t, &seen),
        502..=504 => proxy_error(t, a.status, &seen),
        _ => {
            let fixes = codes::http_status(a.status)
                .map(|s| s.fixes)
                .unwrap_or_default();
            diag(
                DiagnosisKind::HandshakeFailed,
                format!(
                    "The server answered the upgrade with {} instead of 101 Switching Protocols{}.",
                    seen.line,
                    seen.body_note()
                ),
                fixes,
            )
        }
    }
}

fn redirect(facts: &Facts<'_>, t: &Target, a: &HttpAnswer, seen: &Seen) -> Diagnosis {
    let Some(location) = a.header("location") else {
        return diag(
            DiagnosisKind::Redirect,
            format!("The server answered the upgrade with {} but no Location header, and WebSocket clients do not follow redirects anyway.", seen.line),
            vec!["Open the URL with http:// in a browser to see where it leads, then use that path with ws:// or wss://.".into()],
        );
    };
    let shown = excerpt(location);
    let summary = format!(
        "The server answered the upgrade with {} to \"{shown}\", and WebSocket clients do not follow redirects.",
        seen.line
    );
    let resolved = url::Url::parse(facts.shown_url).and_then(|base| base.join(location));
    let Ok(dest) = resolved else {
        return diag(
            DiagnosisKind::Redirect,
            summary,
            vec![format!(
                "Use the redirect's target \"{shown}\" with ws:// or wss:// as the endpoint URL."
            )],
        );
    };
    let to_tls = matches!(dest.scheme(), "https" | "wss");
    let ws_url = excerpt(&Target::of(dest.as_str()).with_scheme(if to_tls { "wss" } else { "ws" }));
    let keep_query = if t.token_param.is_some() {
        " (keep the token query string)"
    } else {
        ""
    };
    let fix = if dest.path() == format!("{}/", t.path) {
        format!("Add the trailing slash: {ws_url}{keep_query}; Django routes usually end in /.")
    } else if to_tls && !t.is_tls() {
        format!("The site redirects to HTTPS: use {ws_url}{keep_query}.")
    } else if dest.path().to_ascii_lowercase().contains("login") {
        "The path is an HTTP view behind a login, not the socket: check the WebSocket path (Channels routes usually start with /ws/).".to_string()
    } else {
        format!("Use {ws_url}{keep_query} as the endpoint URL.")
    };
    diag(DiagnosisKind::Redirect, summary, vec![fix])
}

fn bad_request(t: &Target, seen: &Seen) -> Diagnosis {
    let body = seen
        .body
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if body.contains("plain http request was sent to https port") {
        return diag(
            DiagnosisKind::WrongScheme,
            format!(
                "ws:// reached a TLS port: the server answered {}{}.",
                seen.line,
                seen.body_note()
            ),
            vec![format!("Use {} instead.", t.with_scheme("wss"))],
        );
    }
    if seen.server_is(PROXIES) {
        return diag(
            DiagnosisKind::ProxyError,
            format!(
                "The proxy answered the upgrade with {}: it most likely did not pass the Upgrade and Connection headers to the server behind it.",
                seen.line
            ),
            vec![
                NGINX_UPGRADE.to_string(),
                "For another proxy or CDN, enable WebSocket (upgrade) support for this route."
                    .to_string(),
            ],
        );
    }
    diag(
        DiagnosisKind::HandshakeFailed,
        format!("The server rejected the upgrade request as malformed with {}{}.", seen.line, seen.body_note()),
        vec![
            "If a proxy sits in front of the server, make it pass the Upgrade and Connection headers.".into(),
            "If the server requires a subprotocol, list it in the endpoint's subprotocols.".into(),
        ],
    )
}

fn not_websocket(t: &Target, status: u16, seen: &Seen) -> Diagnosis {
    let kind = DiagnosisKind::NotWebsocketServer;
    if seen.server_is(&["wsgiserver"]) {
        return diag(
            kind,
            format!("{} answered the upgrade: that is Django's runserver without Daphne/Channels, and plain WSGI cannot speak WebSocket.", seen.line),
            vec![
                "pip install daphne and put \"daphne\" first in INSTALLED_APPS with ASGI_APPLICATION = \"project.asgi.application\": runserver then serves ASGI.".into(),
                format!("Or run the ASGI app directly: `{}`.", t.daphne_command()),
            ],
        );
    }
    if status == 426 {
        return diag(
            kind,
            format!(
                "The server answered {}: it wants a WebSocket upgrade but the request that reached it had none, so a proxy in between most likely dropped the Upgrade header.",
                seen.line
            ),
            vec![
                NGINX_UPGRADE.to_string(),
                "Connect to the backend directly, bypassing the proxy, to confirm.".into(),
            ],
        );
    }
    if status == 404 {
        return diag(
            kind,
            format!("The server answered {} for {}: nothing at this path speaks WebSocket.", seen.line, t.path),
            vec![
                "Check the path against the server's websocket_urlpatterns (Channels routes usually start with ws/ and end in /).".into(),
                format!("Under Daphne an unmatched WebSocket route answers 500, not 404: check that the ASGI server is the one on {} and that any proxy routes this path to it.", t.addr()),
            ],
        );
    }
    diag(
        kind,
        format!(
            "The server answered {} with an ordinary page instead of 101 Switching Protocols{}.",
            seen.line,
            seen.body_note()
        ),
        vec![
            "Point the endpoint at the WebSocket path (Channels routes usually start with /ws/)."
                .into(),
            "Run the app under an ASGI server such as Daphne; a WSGI server cannot upgrade.".into(),
            "If a proxy sits in front, make it pass the Upgrade and Connection headers.".into(),
        ],
    )
}

fn server_error(t: &Target, seen: &Seen) -> Diagnosis {
    // The route that would match this URL, as routing.py spells it.
    let mut route = format!(
        "Compare the path {} with websocket_urlpatterns: Channels matches it without the leading slash (path(\"{}\", …) for this URL), and the trailing slash must match",
        t.path,
        t.path.trim_start_matches('/')
    );
    route.push_str(if t.path.ends_with('/') {
        "."
    } else {
        "; this path does not end in /, while Django routes usually do."
    });
    diag(
        DiagnosisKind::ServerError,
        format!("The server answered the upgrade with {}: under Channels that means no WebSocket route matched {} or the consumer's connect() raised.", seen.line, t.path),
        vec![
            "Read the traceback in the server console: \"No route found for path\" means the path; anything else is connect() or the auth middleware.".into(),
            route,
            "Check that asgi.py routes \"websocket\" in ProtocolTypeRouter to your URLRouter.".into(),
        ],
    )
}

fn proxy_error(t: &Target, status: u16, seen: &Seen) -> Diagnosis {
    let (what, mut fixes) = match status {
        502 => (
            "the proxy could not get a valid answer from the server behind it",
            vec![
                format!("Start the backend (e.g. `{}`) and check the proxy's upstream address and port.", t.daphne_command()),
                "Read the proxy's error log: it names the upstream failure.".to_string(),
            ],
        ),
        503 => (
            "the server or a proxy is temporarily unable to serve",
            vec!["Check that a healthy backend is registered behind the load balancer; retry later.".to_string()],
        ),
        _ => (
            "the proxy waited too long for the server behind it to answer the upgrade",
            vec!["Check that the backend answers directly, bypassing the proxy: a blocked event loop or a slow connect() holds the upgrade.".to_string()],
        ),
    };
    fixes.push(
        "Connect to the backend directly to tell a proxy problem from a server problem.".into(),
    );
    diag(
        DiagnosisKind::ProxyError,
        format!("The upgrade was answered with {}: {what}.", seen.line),
        fixes,
    )
}
