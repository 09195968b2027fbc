//! The Django doctor's knowledge: what a project's settings and ASGI
//! application (read by `crate::session::django`) mean for the profile's
//! sockets. Pure: facts in ([`crate::facts::django`]), findings out.
//!
//! Knowledge (Django 5.2, Channels 4.3, Daphne 4.2, channels_redis 4.3):
//! - `manage.py runserver` serves WebSockets only when `daphne` is in
//!   `INSTALLED_APPS` before `django.contrib.staticfiles` (both override
//!   `runserver`; the first app wins), with `ASGI_APPLICATION` set.
//! - Channels' `URLRouter` raises `ValueError("No route found for path
//!   …")` for a path no route matches: Daphne answers the upgrade 500.
//! - `OriginValidator`/`AllowedHostsOriginValidator` refuse (403) an
//!   upgrade without an allowed `Origin`; Django answers any HTTP request
//!   whose `Host` is not in `ALLOWED_HOSTS` 400 (DisallowedHost).
//! - `InMemoryChannelLayer` lives inside one process: a `group_send` from
//!   another process (a REST server beside Daphne, another worker) reaches
//!   nobody, silently.
//! - channels_redis needs its Redis: `group_add` in `connect()` raises a
//!   connection error (500 before accept, 1011 after) and so does the
//!   REST view's `group_send`.

mod layers;
pub(crate) mod origin;
pub(crate) mod routes;

// The doctor's reading is plain data in `crate::facts::django` (the engine
// sends it in an `Event`); the knowledge that fills it stays here.
use crate::facts::django::{
    Code, Context, Doctor, EndpointRoute, Finding, Inspection, Reach, Role, Severity,
};
use layers::layers;
pub use layers::workers;
use routes::RouteMatch;

use super::server_side::{self, is_runserver};
use crate::facts::ProbeFailure;
use crate::text_safe::visible;

impl Doctor {
    /// A project that could not be inspected: `why` (already escaped).
    pub fn failed(project: &str, python: &str, why: String, fixes: Vec<String>) -> Doctor {
        Doctor {
            project: project.to_string(),
            python: python.to_string(),
            inspection: None,
            reach: Vec::new(),
            endpoints: Vec::new(),
            findings: vec![finding(Severity::Error, Code::InspectionFailed, why, fixes)],
            healthy: false,
        }
    }

    /// The errors, endpoint `index`'s and the project's.
    fn errors_for(&self, index: Option<usize>) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| {
            f.severity == Severity::Error
                && (f.endpoint_index.is_none() || f.endpoint_index == index)
        })
    }
}

fn finding(severity: Severity, code: Code, summary: String, fixes: Vec<String>) -> Finding {
    Finding {
        severity,
        code,
        endpoint: None,
        endpoint_index: None,
        summary,
        fixes,
    }
}

/// The doctor's reading of `inspection` for the profile's `context`.
pub fn diagnose(
    project: &str,
    python: &str,
    inspection: Inspection,
    reach: Vec<Reach>,
    context: &Context,
) -> Doctor {
    let mut out = Vec::new();
    if let Some(error) = &inspection.error {
        out.push(finding(
            Severity::Error,
            Code::SettingsError,
            format!("Reading the settings raised: {}", visible(error)),
            vec!["Run `python manage.py check` in the project to see the whole traceback.".into()],
        ));
    }
    apps(&inspection, context, &mut out);
    channels_app(&inspection, &mut out);
    asgi(&inspection, &mut out);
    let endpoints = endpoint_routes(&inspection, context, &mut out);
    hosts(&inspection, context, &mut out);
    layers(&inspection, &reach, context, &mut out);
    out.sort_by_key(|f| f.severity);
    let healthy = !out.iter().any(|f| f.severity == Severity::Error);
    Doctor {
        project: project.to_string(),
        python: python.to_string(),
        inspection: Some(inspection),
        reach,
        endpoints,
        findings: out,
        healthy,
    }
}

/// A socket port is served by Django's runserver (or none is known).
fn runserver_serves(context: &Context) -> Option<bool> {
    let commands: Vec<&str> = (context.serving.iter())
        .filter(|s| s.role == Role::Sockets)
        .filter_map(|s| s.command.as_deref())
        .collect();
    if commands.is_empty() {
        return None;
    }
    Some(commands.iter().any(|c| is_runserver(c)))
}

fn apps(i: &Inspection, context: &Context, out: &mut Vec<Finding>) {
    if i.installed_apps.is_empty() && i.error.is_some() {
        return;
    }
    let at = |name: &str| i.installed_apps.iter().position(|a| a == name);
    let runserver = runserver_serves(context);
    // An error when runserver is what serves the sockets (or nobody knows
    // what does); a warning when another server (Daphne) does.
    let severity = if runserver == Some(false) {
        Severity::Warning
    } else {
        Severity::Error
    };
    let served = match runserver {
        Some(true) => " It is what serves the profile's sockets now.",
        _ => "",
    };
    match (at("daphne"), at("django.contrib.staticfiles")) {
        (None, _) => out.push(finding(
            severity,
            Code::DaphneMissing,
            format!(
                "`daphne` is not in INSTALLED_APPS: `manage.py runserver` is Django's WSGI server and answers every WebSocket upgrade as plain HTTP (404), Channels {}.{served}",
                i.channels.as_deref().map_or("4".to_string(), |v| visible(v).into_owned())
            ),
            vec![
                "Put \"daphne\" first in INSTALLED_APPS (and set ASGI_APPLICATION): runserver then serves WebSockets.".into(),
                "Or serve the ASGI application directly: `daphne project.asgi:application`.".into(),
            ],
        )),
        (Some(d), Some(s)) if s < d => out.push(finding(
            severity,
            Code::DaphneAfterStaticfiles,
            format!(
                "`daphne` comes after `django.contrib.staticfiles` in INSTALLED_APPS: staticfiles' `runserver` (WSGI) wins and answers WebSocket upgrades as plain HTTP.{served}"
            ),
            vec!["Move \"daphne\" to the top of INSTALLED_APPS.".into()],
        )),
        (Some(d), _) => out.push(finding(
            Severity::Ok,
            Code::DaphneFirst,
            if d == 0 {
                "`daphne` is first in INSTALLED_APPS: runserver serves ASGI (WebSockets).".into()
            } else {
                format!("`daphne` is in INSTALLED_APPS (position {}, before staticfiles): runserver serves ASGI.", d + 1)
            },
            Vec::new(),
        )),
    }
}

/// `channels` itself in INSTALLED_APPS, when Channels is installed.
fn channels_app(i: &Inspection, out: &mut Vec<Finding>) {
    if i.error.is_some() || i.channels.is_none() {
        return;
    }
    if !i.installed_apps.iter().any(|a| a == "channels") {
        out.push(finding(
            Severity::Warning,
            Code::ChannelsMissing,
            "`channels` is installed but not in INSTALLED_APPS: routing works without it (Channels 4), but `runworker` and Channels' own checks do not.".into(),
            vec!["Add \"channels\" to INSTALLED_APPS.".into()],
        ));
    }
}

fn asgi(i: &Inspection, out: &mut Vec<Finding>) {
    if i.error.is_some() {
        return;
    }
    let Some(name) = &i.asgi_application else {
        out.push(finding(
            Severity::Error,
            Code::AsgiUnset,
            "ASGI_APPLICATION is not set: Daphne's runserver refuses to start and Channels has no application to route WebSockets with.".into(),
            vec!["Set ASGI_APPLICATION = \"project.asgi.application\" (your asgi.py's `application`).".into()],
        ));
        return;
    };
    if let Some(error) = &i.asgi_error {
        out.push(finding(
            Severity::Error,
            Code::AsgiImportFailed,
            format!("Importing ASGI_APPLICATION `{}` raised: {}", visible(name), visible(error)),
            vec!["Fix asgi.py (or ASGI_APPLICATION): every WebSocket upgrade fails until it imports. `python -c \"import project.asgi\"` shows the whole traceback.".into()],
        ));
        return;
    }
    let Some(protocols) = &i.protocols else {
        if i.asgi_loaded {
            let what = i.asgi_type.as_deref().unwrap_or("?");
            out.push(finding(
                Severity::Error,
                Code::NotProtocolRouter,
                format!(
                    "ASGI_APPLICATION `{}` is a `{}`, not a Channels ProtocolTypeRouter: Django's own ASGI handler serves HTTP only and refuses WebSockets.",
                    visible(name),
                    visible(what)
                ),
                vec!["Wrap it: `application = ProtocolTypeRouter({\"http\": get_asgi_application(), \"websocket\": URLRouter(websocket_urlpatterns)})`.".into()],
            ));
        }
        return;
    };
    if !protocols.iter().any(|p| p == "websocket") {
        out.push(finding(
            Severity::Error,
            Code::NoWebsocket,
            format!(
                "The ProtocolTypeRouter of `{}` has no \"websocket\" key (only {}): every WebSocket upgrade is refused.",
                visible(name),
                visible(&protocols.join(", "))
            ),
            vec!["Add \"websocket\": AuthMiddlewareStack(URLRouter(websocket_urlpatterns)) to it.".into()],
        ));
        return;
    }
    if let Some(error) = &i.walk_error {
        out.push(finding(
            Severity::Warning,
            Code::RoutesUnknown,
            format!(
                "Walking the WebSocket application raised: {}; the routes below may be incomplete.",
                visible(error)
            ),
            Vec::new(),
        ));
    }
    for o in &i.opaque {
        out.push(finding(
            Severity::Warning,
            Code::RoutesUnknown,
            format!(
                "wsmon cannot look inside `{}` (no `.inner`/`.application`, not a URLRouter): routes behind it are not matched.",
                visible(&o.what)
            ),
            Vec::new(),
        ));
    }
}

fn endpoint_routes(
    i: &Inspection,
    context: &Context,
    out: &mut Vec<Finding>,
) -> Vec<EndpointRoute> {
    let walked = i
        .protocols
        .as_ref()
        .is_some_and(|p| p.iter().any(|p| p == "websocket"));
    if !walked {
        return Vec::new();
    }
    let unknown = !i.opaque.is_empty() || i.walk_error.is_some();
    let mut rows = Vec::new();
    for (index, e) in context.endpoints.iter().enumerate() {
        let mut row = EndpointRoute {
            endpoint: e.name.clone(),
            path: e.path.clone(),
            route: None,
            consumer: None,
            nearest: None,
        };
        let path = visible(&e.path);
        let mut push = |severity, code, summary, fixes| {
            out.push(Finding {
                severity,
                code,
                endpoint: Some(e.name.clone()),
                endpoint_index: Some(index),
                summary,
                fixes,
            })
        };
        match routes::find(&i.routes, &e.path, unknown) {
            RouteMatch::Found(at) => {
                let route = &i.routes[at];
                let shape = routes::shape(route);
                row.route = Some(shape.clone());
                row.consumer = Some(route.consumer.clone());
                let behind = if route.wrappers.is_empty() {
                    String::new()
                } else {
                    format!(" (behind {})", visible(&short_names(&route.wrappers)))
                };
                push(
                    Severity::Ok,
                    Code::RouteFound,
                    format!("`{path}` → {}{behind}", visible(&route.consumer)),
                    Vec::new(),
                );
                if let Some(allowed) = &route.allowed_origins
                    && !origin::allowed(e.origin.as_deref(), allowed)
                {
                    let sent = e.origin.as_deref().map_or_else(
                        || "sends no Origin header".to_string(),
                        |o| format!("sends Origin `{}`", visible(o)),
                    );
                    // The value to send: an allowed host, the profile's own
                    // server host first (ALLOWED_HOSTS lets its REST API
                    // answer too); a pattern with a scheme is an origin as is.
                    let plain = |a: &&String| *a != "*" && !a.starts_with('.');
                    let own = |a: &&String| {
                        context
                            .rest_host
                            .as_deref()
                            .is_some_and(|h| a.eq_ignore_ascii_case(h))
                    };
                    let example = allowed
                        .iter()
                        .filter(plain)
                        .find(own)
                        .or_else(|| allowed.iter().find(plain))
                        .map_or("http://your site".to_string(), |a| {
                            if a.contains("://") {
                                visible(a).into_owned()
                            } else {
                                format!("http://{}", visible(a))
                            }
                        });
                    push(
                        Severity::Error,
                        Code::OriginRefused,
                        format!(
                            "`{path}` is behind an OriginValidator (AllowedHostsOriginValidator: ALLOWED_HOSTS) allowing {} and the profile {sent}: Channels refuses the upgrade (403).",
                            visible(&allowed.join(", "))
                        ),
                        vec![format!(
                            "Send the browser's Origin: `headers = {{ Origin = \"{example}\" }}` on the endpoint (a host in that list)."
                        )],
                    );
                }
            }
            RouteMatch::Missing { nearest } => {
                let mean = nearest.as_deref().map_or(String::new(), |n| {
                    format!("; did you mean `{}`?", visible(n))
                });
                let known: Vec<String> = i.routes.iter().map(routes::shape).collect();
                push(
                    Severity::Error,
                    Code::NoRoute,
                    format!(
                        "no route matches `{path}`{mean} Channels' URLRouter raises \"No route found\" (Daphne answers the upgrade 500). Routes: {}.",
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            visible(&known.join(", ")).into_owned()
                        }
                    ),
                    vec![match &nearest {
                        Some(n) => format!(
                            "Use `{}` in the endpoint's URL (or add a route for `{path}` to the URLRouter).",
                            visible(n)
                        ),
                        None => format!(
                            "Add a route for `{path}` to the URLRouter of ASGI_APPLICATION, or fix the endpoint's URL."
                        ),
                    }],
                );
                row.nearest = nearest;
            }
            RouteMatch::Unknown => {}
        }
        rows.push(row);
    }
    rows
}

/// `notifications.middleware.TokenAuthMiddleware` → `TokenAuthMiddleware`.
fn short_names(dotted: &[String]) -> String {
    dotted
        .iter()
        .map(|d| d.rsplit('.').next().unwrap_or(d))
        .collect::<Vec<_>>()
        .join(" → ")
}

fn hosts(i: &Inspection, context: &Context, out: &mut Vec<Finding>) {
    if i.error.is_some() {
        return;
    }
    let Some(host) = &context.rest_host else {
        return;
    };
    if !origin::host_allowed(host, &i.allowed_hosts, i.debug) {
        out.push(finding(
            Severity::Error,
            Code::HostNotAllowed,
            format!(
                "The profile's server host `{}` is not in ALLOWED_HOSTS ({}): Django answers its REST requests 400 (DisallowedHost).",
                visible(host),
                if i.allowed_hosts.is_empty() { "empty".to_string() } else { visible(&i.allowed_hosts.join(", ")).into_owned() }
            ),
            vec![format!("Add \"{}\" to ALLOWED_HOSTS.", visible(host))],
        ));
    }
}

/// Error codes that explain a refused upgrade answered `status` (or an
/// open socket that dropped: `status` `None`).
fn explains(code: Code, status: Option<u16>) -> bool {
    match code {
        Code::NoRoute => matches!(status, Some(404 | 500)),
        Code::OriginRefused => status == Some(403),
        Code::DaphneMissing | Code::DaphneAfterStaticfiles => {
            matches!(status, Some(s) if s != 101 && s != 403 && s != 401)
        }
        Code::AsgiUnset
        | Code::AsgiImportFailed
        | Code::NotProtocolRouter
        | Code::NoWebsocket
        | Code::SettingsError => matches!(status, Some(s) if s != 101),
        Code::LayerUnreachable | Code::LayerNotRedis => status.is_none() || status == Some(500),
        _ => false,
    }
}

/// What the doctor says about a failed attempt of endpoint `index`:
/// `status` is the handshake's answer when it was refused (`None`: it
/// opened and then dropped).
pub fn for_attempt(
    doctor: &Doctor,
    index: usize,
    status: Option<u16>,
) -> Option<server_side::Finding> {
    let f = doctor.errors_for(Some(index)).find(|f| {
        explains(f.code, status)
            && (f.endpoint_index.is_some() || !has_endpoint_error(doctor, index, status))
    })?;
    Some(as_server_side(doctor, f))
}

fn has_endpoint_error(doctor: &Doctor, index: usize, status: Option<u16>) -> bool {
    doctor.findings.iter().any(|f| {
        f.endpoint_index == Some(index) && f.severity == Severity::Error && explains(f.code, status)
    })
}

/// What the doctor says about a failed delivery probe.
pub fn for_probe(doctor: &Doctor, failure: &ProbeFailure) -> Option<server_side::Finding> {
    let wanted: &[Code] = match failure {
        ProbeFailure::NotDelivered => &[
            Code::InMemoryAcrossProcesses,
            Code::LayerUnreachable,
            Code::LayerNotRedis,
            Code::NoChannelLayer,
        ],
        ProbeFailure::RestRefused { status: 500 } => &[
            Code::LayerUnreachable,
            Code::LayerNotRedis,
            Code::NoChannelLayer,
        ],
        ProbeFailure::RestRefused { status: 400 } => &[Code::HostNotAllowed],
        _ => &[],
    };
    let f = wanted
        .iter()
        .find_map(|code| doctor.findings.iter().find(|f| f.code == *code))?;
    Some(as_server_side(doctor, f))
}

fn as_server_side(doctor: &Doctor, f: &Finding) -> server_side::Finding {
    server_side::Finding {
        summary: format!(
            "the Django doctor ({}): {}",
            visible(&doctor.project),
            f.summary
        ),
        fixes: f.fixes.clone(),
        // The doctor read the route's validator and the Origin sent: a
        // 403 there is the Origin, whatever the token.
        kind: (f.code == Code::OriginRefused)
            .then_some(crate::diagnose::DiagnosisKind::OriginRefused),
    }
}

#[cfg(test)]
mod tests;
