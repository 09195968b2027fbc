//! Refused upgrades: the server answered with an HTTP status instead of
//! 101. A browser shows all of these as 1006; the status, who answered
//! ([`Fingerprint`]), what they said ([`Said`](crate::diagnose::evidence::Said))
//! and what wsmon sent decide the cause and the fix.
//!
//! Framework-specific advice (Channels routing, uvicorn's WebSocket
//! library, nginx directives) is given only when the answer identifies
//! that software; otherwise the advice is generic.

use super::proxy::{NGINX_UPGRADE, proxy_error, upgrade_directives};
use super::{Facts, Target, auth, diag};
use crate::diagnose::codes;
use crate::diagnose::evidence::{Answer, Fingerprint, Meaning, Software};
use crate::diagnose::text::{excerpt, human_duration};
use crate::diagnose::{Diagnosis, DiagnosisKind};
use crate::token_check::Verdict;

/// Whether the Channels/Daphne advice fits: the answer names Daphne or
/// Django, or nothing at all (wsmon's home ground).
fn channels_fits(fp: &Fingerprint) -> bool {
    fp.backend().is_none()
        || fp.has(Software::Daphne)
        || fp.has(Software::Django)
        || fp.has(Software::DjangoRestFramework)
}

/// Whether the answer names Django or Daphne itself. An unidentified 404
/// or 200 is not Daphne's (it answers an unmatched WebSocket route with
/// an empty 500), so the ordinary-page advice stays generic without this.
fn django_identified(fp: &Fingerprint) -> bool {
    fp.has(Software::Daphne) || fp.has(Software::Django) || fp.has(Software::DjangoRestFramework)
}

/// The REST token check as a second witness on the same server, when it
/// went to the same host.
fn rest_witness(facts: &Facts<'_>, t: &Target, status: u16) -> Option<String> {
    let c = facts.token_check?;
    let same_host = url::Url::parse(&c.url)
        .ok()
        .is_some_and(|u| u.host_str() == Some(t.host.as_str()));
    if !same_host {
        return None;
    }
    match (c.verdict, c.status) {
        (Verdict::Valid, Some(s)) => Some(format!(
            "the REST token check through the same address works (HTTP {s}), so the app behind it is up and only the socket path fails"
        )),
        (_, Some(s)) if s == status => Some(format!(
            "the REST token check fails the same way (HTTP {s}), so the whole backend answers like this, not only the socket"
        )),
        _ => None,
    }
}

pub(super) fn classify(facts: &Facts<'_>, t: &Target, a: &Answer) -> Diagnosis {
    let status = a.http_status().unwrap_or_default();
    let meaning = a.said.meaning;
    if status == 429
        || (meaning == Some(Meaning::RateLimited) && !matches!(status, 401 | 403 | 500..=599))
    {
        return rate_limited(facts, a, status);
    }
    match status {
        300..=399 => redirect(facts, t, a),
        401 | 403 if meaning == Some(Meaning::OriginRefused) => origin_refused(facts, t, a),
        401 | 403 => auth::handshake(facts, t, status, a),
        400 => bad_request(facts, t, a),
        200..=299 | 404 | 405 | 426 | 505 => not_websocket(facts, t, status, a),
        500 => server_error(facts, t, a),
        503 if a.header("retry-after").is_some() => rate_limited(facts, a, status),
        502..=504 => proxy_error(t, status, a),
        _ => {
            let fixes = codes::http_status(status)
                .map(|s| s.fixes)
                .unwrap_or_default();
            diag(
                DiagnosisKind::HandshakeFailed,
                format!(
                    "The server answered the upgrade with {} instead of 101 Switching Protocols{}.",
                    a.line(),
                    a.words_note()
                ),
                fixes,
            )
        }
    }
}

/// 429 (or a 503 with `Retry-After`): the server limits connections.
fn rate_limited(facts: &Facts<'_>, a: &Answer, status: u16) -> Diagnosis {
    let wait = a.retry_after(facts.record.ended);
    let asks = match wait {
        Some(d) => format!(
            " and asks to wait {} (Retry-After: {}); wsmon waits at least that long before the next attempt, since reconnecting sooner only extends the limit",
            human_duration(d),
            excerpt(a.header("retry-after").unwrap_or_default())
        ),
        None => {
            "; wsmon backs off longer than usual, since reconnecting quickly keeps the limit alive"
                .to_string()
        }
    };
    let what = if status == 503 {
        "The server is temporarily unavailable"
    } else {
        "The server is rate-limiting connections (rate limited)"
    };
    diag(
        DiagnosisKind::RateLimited,
        format!("{what}: it answered the upgrade with {}{}{asks}.", a.line(), a.words_note()),
        vec![
            "Wait: the limit expires on its own if nothing reconnects before Retry-After.".into(),
            "Reconnect less often from every client of this account (other tabs, scripts, other wsmon instances count too).".into(),
            "If you run the server: raise the limit, or make reconnects after a deploy (1012) less bursty.".into(),
        ],
    )
}

/// 401/403 whose words say the Origin was refused.
fn origin_refused(facts: &Facts<'_>, t: &Target, a: &Answer) -> Diagnosis {
    let sent = facts.sent.and_then(|s| s.origin.as_deref());
    let (summary, mut fixes) = match sent {
        Some(origin) => (
            format!(
                "The server refused the Origin wsmon sent: it answered {}{}; the Origin was \"{}\" (set by the endpoint's headers), and the server's list of allowed origins does not contain it.",
                a.line(),
                a.words_note(),
                excerpt(origin)
            ),
            vec![
                format!(
                    "Set the endpoint's Origin to the one the real web app uses (the page's scheme://host:port, e.g. https://app.example.com) instead of \"{}\".",
                    excerpt(origin)
                ),
                format!(
                    "Or add \"{}\" to the server's allowed origins (if you run it and this client should be allowed).",
                    excerpt(origin)
                ),
            ],
        ),
        None => (
            format!(
                "The server refused the request's Origin: it answered {}{}, and wsmon sent no Origin header (browsers always do).",
                a.line(),
                a.words_note()
            ),
            vec![format!(
                "Add the web app's Origin to the endpoint: headers = {{ Origin = \"{}\" }} (or the front-end's own origin if it differs).",
                t.origin()
            )],
        ),
    };
    if a.fingerprint.has(Software::Daphne) || a.fingerprint.has(Software::Django) {
        fixes.push(format!(
            "Under Channels, AllowedHostsOriginValidator allows the hosts in ALLOWED_HOSTS: the Origin's host must be listed there ({}).",
            t.host
        ));
    }
    if a.fingerprint.has(Software::Rails) {
        fixes.push(
            "Under Rails, Action Cable allows config.action_cable.allowed_request_origins.".into(),
        );
    }
    diag(DiagnosisKind::OriginRefused, summary, fixes)
}

/// An answer whose status line is not valid HTTP (e.g. `HTTP/1.1 4002
/// undefined`): what arrived, the words, and what they mean.
pub(super) fn malformed(facts: &Facts<'_>, t: &Target, a: &Answer) -> Diagnosis {
    let line = excerpt(a.status_line.as_deref().unwrap_or_default());
    let code = a.status.unwrap_or_default();
    let close_code = (1000..=4999).contains(&code);
    let why = if close_code {
        format!(" ({code} is a WebSocket close code, not an HTTP status: a server bug)")
    } else {
        " (not a three-digit HTTP status: a server bug)".to_string()
    };
    let said = if a.said.words.is_empty() {
        String::new()
    } else {
        format!(" and the body \"{}\"", a.said.words)
    };
    let head = format!(
        "The server answered the upgrade in plain HTTP with the invalid status line \"{line}\"{why}{said}"
    );
    let server_fix = if a.fingerprint.has(Software::NodeWs) {
        format!(
            "Server side (node ws): verifyClient's callback takes an HTTP status: cb(false, 401, 'token expired'); to send close code {code}, accept the upgrade and call ws.close({code}, reason)."
        )
    } else {
        "Server side: refuse the upgrade with a real HTTP status (401, 403…), or accept it and close with the WebSocket close code.".to_string()
    };
    let auth = a.said.meaning.is_some_and(Meaning::is_auth)
        || (close_code && super::is_auth_close(u16::try_from(code).unwrap_or(0)));
    if auth {
        let mut d = auth::refused_in_words(facts, t, &head, a);
        d.fixes.push(server_fix);
        return d;
    }
    diag(
        DiagnosisKind::ProtocolError,
        format!("{head}; no client can read it as an answer, so a browser reports 1006."),
        vec![
            server_fix,
            "Read the server's console at the time of the attempt: it shows the refusal it meant to send.".into(),
        ],
    )
}

fn redirect(facts: &Facts<'_>, t: &Target, a: &Answer) -> Diagnosis {
    let line = a.line();
    let Some(location) = a.header("location") else {
        return diag(
            DiagnosisKind::Redirect,
            format!("The server answered the upgrade with {line} but no Location header, and WebSocket clients do not follow redirects anyway."),
            vec!["Open the URL with http:// in a browser to see where it leads, then use that path with ws:// or wss://.".into()],
        );
    };
    let shown = excerpt(location);
    let summary = format!(
        "The server answered the upgrade with {line} to \"{shown}\", and WebSocket clients do not follow redirects."
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
    // A login page (often on another host, over HTTPS: an SSO or an auth
    // proxy) is never the socket's new address, whatever its scheme.
    let dest_path = dest.path().to_ascii_lowercase();
    let to_login = [
        "login",
        "signin",
        "sign_in",
        "sign-in",
        "/sso",
        "oauth",
        "authorize",
    ]
    .iter()
    .any(|w| dest_path.contains(w));
    let fix = if dest.path() == format!("{}/", t.path) {
        format!("Add the trailing slash: {ws_url}{keep_query}; Django routes usually end in /.")
    } else if to_login {
        "The request was sent to a login page: either the path is an HTTP view behind a login, not the socket (check the WebSocket path), or the socket itself sits behind a login (an SSO or auth proxy) and needs the credentials a browser would send (its session cookie or token, in the endpoint's headers).".to_string()
    } else if to_tls && !t.is_tls() {
        format!("The site redirects to HTTPS: use {ws_url}{keep_query}.")
    } else {
        format!("Use {ws_url}{keep_query} as the endpoint URL.")
    };
    diag(DiagnosisKind::Redirect, summary, vec![fix])
}

fn bad_request(facts: &Facts<'_>, t: &Target, a: &Answer) -> Diagnosis {
    let line = a.line();
    if a.said.contains("plain http request was sent to https port") {
        return diag(
            DiagnosisKind::WrongScheme,
            format!(
                "ws:// reached a TLS port: the server answered {line}{}.",
                a.words_note()
            ),
            vec![format!("Use {} instead.", t.with_scheme("wss"))],
        );
    }
    if a.said.meaning == Some(Meaning::UnsupportedProtocol) {
        let offered = facts
            .sent
            .map(|s| s.subprotocols.join(", "))
            .filter(|s| !s.is_empty())
            .map_or("no subprotocol".to_string(), |s| {
                format!("the subprotocols {}", excerpt(&s))
            });
        return diag(
            DiagnosisKind::HandshakeFailed,
            format!(
                "The server refused the upgrade's protocol or version: it answered {line}{}; wsmon offered {offered} and WebSocket version 13.",
                a.words_note()
            ),
            vec![
                "Offer the subprotocol the server expects in the endpoint's subprotocols (its docs, or what the browser sends in Sec-WebSocket-Protocol).".into(),
                "If the server speaks another protocol on top of WebSocket (Socket.IO, SignalR), connect to the URL that protocol uses (Socket.IO: /socket.io/?EIO=4&transport=websocket).".into(),
            ],
        );
    }
    if let Some(proxy) = a.fingerprint.proxy() {
        let mut fixes = upgrade_directives(Some(proxy.software));
        fixes.push(
            "For another proxy or CDN, enable WebSocket (upgrade) support for this route."
                .to_string(),
        );
        return diag(
            DiagnosisKind::ProxyError,
            format!(
                "The proxy ({}) answered the upgrade with {line}{}: it most likely did not pass the Upgrade and Connection headers to the server behind it.",
                proxy.label(),
                a.words_note()
            ),
            fixes,
        );
    }
    diag(
        DiagnosisKind::HandshakeFailed,
        format!(
            "The server rejected the upgrade request as malformed with {line}{}.",
            a.words_note()
        ),
        vec![
            "If a proxy sits in front of the server, make it pass the Upgrade and Connection headers.".into(),
            "If the server requires a subprotocol, list it in the endpoint's subprotocols.".into(),
        ],
    )
}

fn not_websocket(facts: &Facts<'_>, t: &Target, status: u16, a: &Answer) -> Diagnosis {
    let kind = DiagnosisKind::NotWebsocketServer;
    let fp = &a.fingerprint;
    let line = a.line();
    let words = a.words_note();
    let witness = rest_witness(facts, t, status)
        .map(|w| format!("; {w}"))
        .unwrap_or_default();
    if fp.has(Software::WsgiServer) {
        return diag(
            kind,
            format!("{line} answered the upgrade: that is Django's runserver without Daphne/Channels, and plain WSGI cannot speak WebSocket."),
            vec![
                "pip install daphne and put \"daphne\" first in INSTALLED_APPS with ASGI_APPLICATION = \"project.asgi.application\": runserver then serves ASGI.".into(),
                format!("Or run the ASGI app directly: `{}`.", t.daphne_command()),
            ],
        );
    }
    let proxy = fp.proxy();
    // The proxy's own page (nginx's "<center>nginx</center>"): no
    // location matched, the request never reached an app.
    let proxy_own_page =
        proxy.is_some_and(|p| p.clue.contains("error page")) && fp.backend().is_none();
    // FastAPI/Starlette's JSON 404 through a proxy (which replaces
    // uvicorn's `Server` header with its own): the same two readings as
    // uvicorn's own 404 behind a proxy, since a proxy that forwards the
    // upgrade correctly to a uvicorn without a WebSocket library gets
    // exactly this answer too.
    let asgi_behind_proxy = fp.has(Software::Starlette) && proxy.is_some() && !proxy_own_page;
    if (fp.has(Software::Uvicorn) || asgi_behind_proxy) && status == 404 {
        let mut fixes = vec![
            "uvicorn has no WebSocket library where the server runs: install `uvicorn[standard]` (or `websockets` / `wsproto`) in its environment (requirements.txt, Docker image) and restart it; its log says \"Unsupported upgrade request\" / \"No supported WebSocket library detected\".".to_string(),
        ];
        let mut summary = format!(
            "uvicorn answered the upgrade with {line}{words}: it handled the upgrade as a plain HTTP GET, which the WebSocket route does not match; uvicorn does that when it has no WebSocket library (with one, an unknown WebSocket path gets 403, not 404){witness}."
        );
        if let Some(p) = proxy {
            let (who, server) = if fp.has(Software::Uvicorn) {
                ("uvicorn", "uvicorn")
            } else {
                ("FastAPI/Starlette", "its ASGI server (uvicorn)")
            };
            summary = format!(
                "{who} (behind {}) answered the upgrade with {line}{words}: it saw a plain HTTP GET, so either {server} has no WebSocket library or the proxy did not forward the upgrade{witness}.",
                p.label()
            );
            fixes.extend(upgrade_directives(Some(p.software)));
        }
        return diag(kind, summary, fixes);
    }
    // A proxy answered for an app that saw no upgrade: the app's HTTP
    // stack (Django's 404 page, FastAPI's JSON, a 426) came back.
    if let Some(p) = proxy.filter(|_| !proxy_own_page) {
        let backend = fp
            .backend()
            .map(|b| format!("{}'s HTTP stack", b.software.name()))
            .unwrap_or_else(|| "the server behind it".to_string());
        let mut fixes = upgrade_directives(Some(p.software));
        fixes.push("Then check: the same URL answers 101 through the proxy (wsmon check), as it does against the backend directly.".to_string());
        return diag(
            DiagnosisKind::ProxyError,
            format!(
                "The proxy ({}) did not forward the upgrade: {backend} answered {line}{words} as if to a plain GET, because the hop-by-hop Upgrade and Connection headers were dropped on the way{witness}.",
                p.label()
            ),
            fixes,
        );
    }
    if let Some(p) = proxy.filter(|_| proxy_own_page) {
        return diag(
            kind,
            format!(
                "The proxy ({}) answered {line} itself: none of its locations routes {} to a backend{witness}.",
                p.label(),
                t.path
            ),
            vec![
                format!(
                    "Add a location for {} to the proxy that passes it to the WebSocket server, with the upgrade headers.",
                    t.path
                ),
                upgrade_directives(Some(p.software)).join(" "),
            ],
        );
    }
    if status == 426 {
        return diag(
            kind,
            format!(
                "The server answered {line}{words}: it wants a WebSocket upgrade but the request that reached it had none, so a proxy in between most likely dropped the Upgrade header."
            ),
            vec![
                NGINX_UPGRADE.to_string(),
                "Connect to the backend directly, bypassing the proxy, to confirm.".into(),
            ],
        );
    }
    if fp.has(Software::Django) {
        return diag(
            kind,
            format!(
                "Django's HTTP stack answered the upgrade for {} with {line}{words}: the request reached Django as a plain GET, not Channels' WebSocket router (Daphne answers an unmatched WebSocket route with 500, a refusal with 403){witness}.",
                t.path
            ),
            vec![
                "If a proxy sits in front, make it forward the upgrade: ".to_string() + NGINX_UPGRADE,
                "Run the project under an ASGI server with Channels (daphne, or uvicorn[standard]) and route \"websocket\" in asgi.py's ProtocolTypeRouter; a WSGI server (gunicorn sync workers, runserver without daphne) cannot upgrade.".into(),
                format!("Then check the path against websocket_urlpatterns; under Daphne an unmatched WebSocket route answers 500, not 404 (is the ASGI server the one on {}?).", t.addr()),
            ],
        );
    }
    if fp.has(Software::ActionCable) {
        let sent = facts.sent.and_then(|s| s.origin.as_deref());
        let origin = match sent {
            Some(o) => format!(
                "wsmon sent Origin \"{}\", which is not in its allowed origins",
                excerpt(o)
            ),
            None => "wsmon sent no Origin (browsers always send one)".to_string(),
        };
        return diag(
            DiagnosisKind::OriginRefused,
            format!(
                "Rails Action Cable answered the upgrade with {line}{words}: Action Cable answers 404 when the request's Origin is not allowed (or the upgrade failed), and {origin}{witness}."
            ),
            vec![
                format!(
                    "Set the endpoint's Origin to an allowed one, the front-end's (headers = {{ Origin = \"https://your-front-end\" }}); same-origin {} is allowed by default.",
                    t.origin()
                ),
                "Or, on the server: config.action_cable.allowed_request_origins (or disable_request_forgery_protection for a non-browser client).".into(),
                format!("If the Origin is allowed, check the mount path (config.action_cable.mount_path, default /cable) against {}.", t.path),
            ],
        );
    }
    if let Some(b) = fp.backend().filter(|_| !channels_fits(fp)) {
        let fix = match b.software {
            Software::Express | Software::NodeHttp | Software::NodeWs => "No WebSocket server handles upgrades on this path: attach the ws/Socket.IO server to the same http.Server the app listens with, and check its `path` option.".to_string(),
            Software::Spring | Software::Tomcat => "No WebSocket endpoint is registered at this path: check registerWebSocketHandlers / @ServerEndpoint / the STOMP endpoint path (SockJS endpoints add /websocket).".to_string(),
            Software::Rails | Software::Puma => "Check the Action Cable mount path (config.action_cable.mount_path, default /cable) and config.action_cable.allowed_request_origins: Action Cable answers 404 \"Page not found\" to a refused Origin too.".to_string(),
            Software::Starlette | Software::Hypercorn => format!("No WebSocket route matches {}: compare it with the app's @app.websocket(...) paths (trailing slash included).", t.path),
            Software::GoHttp | Software::Traefik => format!("No router matches {}: check the proxy's rules for this host and path.", t.path),
            _ => format!("Check that {} is the server's WebSocket path.", t.path),
        };
        let mut fixes = vec![fix];
        if let Some(origin) = facts.sent.and_then(|s| s.origin.as_deref())
            && matches!(b.software, Software::Rails | Software::Puma)
        {
            fixes.push(format!(
                "wsmon sent Origin \"{}\": it must be allowed.",
                excerpt(origin)
            ));
        }
        return diag(
            kind,
            format!(
                "{} answered the upgrade with {line}{words}: nothing at {} speaks WebSocket{witness}.",
                b.label(),
                t.path
            ),
            fixes,
        );
    }
    if status == 404 {
        return diag(
            kind,
            format!(
                "The server answered {line}{words} for {}: nothing at this path speaks WebSocket{witness}.",
                t.path
            ),
            if django_identified(fp) {
                vec![
                    "Check the path against the server's websocket_urlpatterns (Channels routes usually start with ws/ and end in /).".into(),
                    format!("Under Daphne an unmatched WebSocket route answers 500, not 404: check that the ASGI server is the one on {} and that any proxy routes this path to it.", t.addr()),
                ]
            } else {
                vec![
                    "Check the path against the server's WebSocket routes (the path the web app's own client opens, e.g. in the browser's network tab).".into(),
                    format!("Check that the process on {} is the WebSocket server, and that any proxy routes this path to it.", t.addr()),
                ]
            },
        );
    }
    diag(
        kind,
        format!(
            "The server answered {line} with an ordinary page instead of 101 Switching Protocols{words}."
        ),
        if django_identified(fp) {
            vec![
                "Point the endpoint at the WebSocket path (Channels routes usually start with /ws/)."
                    .into(),
                "Run the app under an ASGI server such as Daphne; a WSGI server cannot upgrade."
                    .into(),
                "If a proxy sits in front, make it pass the Upgrade and Connection headers.".into(),
            ]
        } else {
            vec![
                "Point the endpoint at the WebSocket path (the one the web app's own client opens).".into(),
                "Check that the server on this port speaks WebSocket: a plain HTTP server (or a Python WSGI server) cannot upgrade.".into(),
                "If a proxy sits in front, make it pass the Upgrade and Connection headers.".into(),
            ]
        },
    )
}

fn server_error(facts: &Facts<'_>, t: &Target, a: &Answer) -> Diagnosis {
    let fp = &a.fingerprint;
    let line = a.line();
    let rewrite = fp.proxy().is_some()
        && facts
            .token_check
            .is_some_and(|c| c.verdict == Verdict::Valid);
    let rewrite_fix = format!(
        "REST calls through the same proxy work: if the proxy rewrites paths (a location with a trailing slash in proxy_pass, a strip-prefix middleware), the app may see another path than {}.",
        t.path
    );
    if !channels_fits(fp) {
        let who = fp.backend().map_or("The server".to_string(), |b| b.label());
        let mut fixes = vec![
            "Read the server's log at the time of the attempt: the handler for the upgrade raised an error.".to_string(),
        ];
        if rewrite {
            fixes.push(rewrite_fix);
        }
        return diag(
            DiagnosisKind::ServerError,
            format!(
                "{who} answered the upgrade with {line}{}: its WebSocket handler failed before accepting.",
                a.words_note()
            ),
            fixes,
        );
    }
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
    let mut fixes = vec![
        "Read the traceback in the server console: \"No route found for path\" means the path; anything else is connect() or the auth middleware.".to_string(),
        route,
        "Check that asgi.py routes \"websocket\" in ProtocolTypeRouter to your URLRouter.".into(),
    ];
    if rewrite {
        fixes.insert(1, rewrite_fix);
    }
    diag(
        DiagnosisKind::ServerError,
        format!(
            "The server answered the upgrade with {line}: under Channels that means no WebSocket route matched {} or the consumer's connect() raised.",
            t.path
        ),
        fixes,
    )
}
