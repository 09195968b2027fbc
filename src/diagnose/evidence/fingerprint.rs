//! Who answered: the proxy, server and framework behind an HTTP answer,
//! from its `Server` and `Via` headers, its header set, its status text and
//! the shape of its error page.
//!
//! Each clue below was seen on the real software (versions in the table
//! tests) or read from its source. A fingerprint only ever *adds*
//! knowledge: framework-specific advice is given when the framework is
//! identified here, generic advice otherwise.

use super::body::{Said, Shape};
use crate::diagnose::text::excerpt;

/// Software wsmon recognises in an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Software {
    // Proxies, load balancers, CDNs.
    Nginx,
    HaProxy,
    Envoy,
    Traefik,
    Caddy,
    Cloudflare,
    AwsAlb,
    CloudFront,
    Apache,
    Varnish,
    GoogleFrontend,
    /// A proxy named only by a `Via` header.
    SomeProxy,
    // Servers.
    Uvicorn,
    Hypercorn,
    Daphne,
    Gunicorn,
    /// Django's `runserver` without Channels (`WSGIServer/0.2`).
    WsgiServer,
    Werkzeug,
    Puma,
    Tomcat,
    Kestrel,
    NodeHttp,
    PythonWebsockets,
    /// Go's `net/http` (`404 page not found`), as Traefik answers.
    GoHttp,
    // Frameworks and libraries.
    Starlette,
    Django,
    DjangoRestFramework,
    NodeWs,
    SocketIo,
    Rails,
    /// Rails' Action Cable (its own 404 "Page not found" to a refused
    /// Origin or a failed upgrade).
    ActionCable,
    Express,
    Spring,
}

/// What part a piece of software plays in the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Proxy,
    Server,
    App,
}

impl Software {
    /// The name people know it by.
    pub(crate) fn name(self) -> &'static str {
        use Software as S;
        match self {
            S::Nginx => "nginx",
            S::HaProxy => "HAProxy",
            S::Envoy => "Envoy",
            S::Traefik => "Traefik",
            S::Caddy => "Caddy",
            S::Cloudflare => "Cloudflare",
            S::AwsAlb => "AWS ALB",
            S::CloudFront => "CloudFront",
            S::Apache => "Apache httpd",
            S::Varnish => "Varnish",
            S::GoogleFrontend => "Google Frontend",
            S::SomeProxy => "a proxy",
            S::Uvicorn => "uvicorn",
            S::Hypercorn => "Hypercorn",
            S::Daphne => "Daphne",
            S::Gunicorn => "gunicorn",
            S::WsgiServer => "Django runserver (WSGI)",
            S::Werkzeug => "Werkzeug",
            S::Puma => "Puma",
            S::Tomcat => "Tomcat",
            S::Kestrel => "Kestrel",
            S::NodeHttp => "Node.js http",
            S::PythonWebsockets => "python websockets",
            S::GoHttp => "a Go net/http server (Traefik's default page)",
            S::Starlette => "FastAPI/Starlette",
            S::Django => "Django",
            S::DjangoRestFramework => "Django REST framework",
            S::NodeWs => "node ws",
            S::SocketIo => "Socket.IO/Engine.IO",
            S::Rails => "Rails",
            S::ActionCable => "Rails Action Cable",
            S::Express => "Express",
            S::Spring => "Spring",
        }
    }

    pub(crate) fn role(self) -> Role {
        use Software as S;
        match self {
            S::Nginx
            | S::HaProxy
            | S::Envoy
            | S::Traefik
            | S::Caddy
            | S::Cloudflare
            | S::AwsAlb
            | S::CloudFront
            | S::Apache
            | S::Varnish
            | S::GoogleFrontend
            | S::SomeProxy => Role::Proxy,
            S::Uvicorn
            | S::Hypercorn
            | S::Daphne
            | S::Gunicorn
            | S::WsgiServer
            | S::Werkzeug
            | S::Puma
            | S::Tomcat
            | S::Kestrel
            | S::NodeHttp
            | S::PythonWebsockets
            | S::GoHttp => Role::Server,
            S::Starlette
            | S::Django
            | S::DjangoRestFramework
            | S::NodeWs
            | S::SocketIo
            | S::Rails
            | S::ActionCable
            | S::Express
            | S::Spring => Role::App,
        }
    }
}

/// One piece of software found, with the clue that named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub software: Software,
    /// `1.22.1` from `Server: nginx/1.22.1`.
    pub version: Option<String>,
    /// The clue, terminal-safe: `Server: nginx/1.22.1`, `{"detail": …} body`.
    pub clue: String,
}

impl Found {
    /// `nginx/1.22.1` or `uvicorn`.
    pub(crate) fn label(&self) -> String {
        match &self.version {
            Some(v) => format!("{}/{v}", self.software.name()),
            None => self.software.name().to_string(),
        }
    }
}

/// Everything found in one answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    pub found: Vec<Found>,
}

impl Fingerprint {
    pub(crate) fn has(&self, software: Software) -> bool {
        self.found.iter().any(|f| f.software == software)
    }

    fn first(&self, role: Role) -> Option<&Found> {
        self.found.iter().find(|f| f.software.role() == role)
    }

    /// The proxy (load balancer, CDN) in the path, if one showed itself.
    pub(crate) fn proxy(&self) -> Option<&Found> {
        self.first(Role::Proxy)
    }

    /// The application server or framework behind any proxy.
    pub(crate) fn backend(&self) -> Option<&Found> {
        self.first(Role::App).or_else(|| self.first(Role::Server))
    }

    /// `FastAPI/Starlette on uvicorn`, `Django behind nginx/1.22.1`,
    /// `node ws`; `None` when nothing was recognised.
    pub(crate) fn answered_by(&self) -> Option<String> {
        let app = self.first(Role::App).map(Found::label);
        let server = self.first(Role::Server).map(Found::label);
        let inner = match (app, server) {
            (Some(a), Some(s)) => Some(format!("{a} on {s}")),
            (a, s) => a.or(s),
        };
        let proxy = self.proxy().map(Found::label);
        match (inner, proxy) {
            (Some(i), Some(p)) => Some(format!("{i} behind {p}")),
            (i, p) => i.or(p),
        }
    }

    /// The clues, for evidence lists: `Server: nginx/1.22.1 → nginx`.
    pub(crate) fn clues(&self) -> Vec<String> {
        self.found
            .iter()
            .map(|f| format!("{} ({})", f.label(), f.clue))
            .collect()
    }

    fn add(&mut self, software: Software, version: Option<String>, clue: impl Into<String>) {
        if self.has(software) {
            return;
        }
        self.found.push(Found {
            software,
            version,
            clue: excerpt(&clue.into()),
        });
    }
}

/// `Server` header words → software (lowercase; first match wins, so
/// `apache-coyote` comes before `apache`).
const SERVER_WORDS: &[(&str, Software)] = &[
    ("openresty", Software::Nginx),
    ("nginx", Software::Nginx),
    ("haproxy", Software::HaProxy),
    ("envoy", Software::Envoy),
    ("istio-envoy", Software::Envoy),
    ("traefik", Software::Traefik),
    ("caddy", Software::Caddy),
    ("cloudflare", Software::Cloudflare),
    ("awselb", Software::AwsAlb),
    ("cloudfront", Software::CloudFront),
    ("apache-coyote", Software::Tomcat),
    ("tomcat", Software::Tomcat),
    ("apache", Software::Apache),
    ("varnish", Software::Varnish),
    ("google frontend", Software::GoogleFrontend),
    ("uvicorn", Software::Uvicorn),
    ("hypercorn", Software::Hypercorn),
    ("daphne", Software::Daphne),
    ("gunicorn", Software::Gunicorn),
    ("wsgiserver", Software::WsgiServer),
    ("werkzeug", Software::Werkzeug),
    ("puma", Software::Puma),
    ("kestrel", Software::Kestrel),
    ("websockets/", Software::PythonWebsockets),
];

/// The version after `name/` in a `Server` value (`nginx/1.22.1`).
fn version_in(server: &str, word: &str) -> Option<String> {
    let lower = server.to_ascii_lowercase();
    let at = lower.find(word.trim_end_matches('/'))?;
    let rest = &server[at..];
    let (_, after) = rest.split_once('/')?;
    let v: String = after
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
        .collect();
    (!v.is_empty() && v.chars().next().is_some_and(|c| c.is_ascii_digit())).then_some(v)
}

/// Fingerprints one HTTP answer: its headers, its status text (the reason
/// phrase, when the raw status line was captured) and its body.
pub(crate) fn fingerprint(
    headers: &[(String, String)],
    status_text: Option<&str>,
    said: &Said,
) -> Fingerprint {
    let mut fp = Fingerprint::default();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let has_header = |name: &str| header(name).is_some();

    // Proxies first: they are the outermost layer.
    if let Some(via) = header("via") {
        let lower = via.to_ascii_lowercase();
        match SERVER_WORDS.iter().find(|(w, _)| lower.contains(w)) {
            Some((w, s)) if s_is_proxy(*s) => fp.add(*s, version_in(via, w), format!("Via: {via}")),
            _ if lower.contains("google") => {
                fp.add(Software::GoogleFrontend, None, format!("Via: {via}"))
            }
            _ => fp.add(Software::SomeProxy, None, format!("Via: {via}")),
        }
    }
    if has_header("cf-ray") {
        fp.add(Software::Cloudflare, None, "CF-Ray header");
    }
    if has_header("x-amz-cf-id") {
        fp.add(Software::CloudFront, None, "X-Amz-Cf-Id header");
    }
    if headers
        .iter()
        .any(|(k, _)| k.to_ascii_lowercase().starts_with("x-envoy-"))
    {
        fp.add(Software::Envoy, None, "x-envoy-* headers");
    }
    if has_header("x-varnish") {
        fp.add(Software::Varnish, None, "X-Varnish header");
    }
    let server = header("server");
    if let Some(server) = server {
        let lower = server.to_ascii_lowercase();
        if let Some((word, software)) = SERVER_WORDS.iter().find(|(w, _)| lower.contains(w)) {
            fp.add(
                *software,
                version_in(server, word),
                format!("Server: {server}"),
            );
        }
    }
    // Error pages that name their writer.
    let body = said.decoded.to_ascii_lowercase();
    if body.contains("<center>nginx") || body.contains("<center>openresty") {
        let v = said
            .decoded
            .find("nginx/")
            .and_then(|i| version_in(&said.decoded[i..], "nginx/"));
        fp.add(Software::Nginx, v, "nginx error page");
    }
    if body.contains("<center>awselb") {
        fp.add(Software::AwsAlb, None, "awselb error page");
    }
    if body.contains("cloudflare") && (body.contains("cf-error") || body.contains("ray id")) {
        fp.add(Software::Cloudflare, None, "Cloudflare error page");
    }
    for page in [
        "no server is available to handle this request",
        "the server returned an invalid or incomplete response",
        "the server didn't respond in time",
        "your browser sent an invalid request",
        "request forbidden by administrative rules",
    ] {
        if body.contains(page) {
            fp.add(Software::HaProxy, None, "HAProxy error page");
        }
    }
    if body.contains("upstream connect error or disconnect/reset")
        || body.trim() == "no healthy upstream"
    {
        fp.add(Software::Envoy, None, "Envoy error text");
    }

    // Frameworks by their pages and JSON shapes.
    if body.contains("the requested resource was not found on this server")
        || body.contains("using the urlconf defined in")
        || body.contains("<title>server error (500)</title>")
        || body.contains("<title>bad request (400)</title>")
    {
        fp.add(Software::Django, None, "Django's HTML error page");
    }
    let django_headers = header("cross-origin-opener-policy").is_some()
        && header("referrer-policy").is_some()
        && header("x-frame-options").is_some_and(|v| v.eq_ignore_ascii_case("deny"));
    if django_headers {
        fp.add(Software::Django, None, "Django's security headers");
    }
    if said.json_keys_are(&["detail"]) {
        let djangoish = fp.has(Software::Django)
            || fp.has(Software::Daphne)
            || fp.has(Software::Gunicorn)
            || fp.has(Software::WsgiServer)
            || header("allow").is_some() && header("vary").is_some();
        let software = if djangoish {
            Software::DjangoRestFramework
        } else {
            Software::Starlette
        };
        fp.add(software, None, "{\"detail\": …} JSON body");
    }
    if said.json_keys_are(&["code", "message"])
        && said
            .json_code
            .as_deref()
            .is_some_and(|c| matches!(c, "0" | "1" | "2" | "3" | "4" | "5"))
    {
        fp.add(
            Software::SocketIo,
            None,
            "{\"code\", \"message\"} JSON body",
        );
    }
    if let Shape::Json { fields } = &said.shape
        && ["timestamp", "status", "error", "path"]
            .iter()
            .all(|k| fields.iter().any(|f| f == k))
    {
        fp.add(Software::Spring, None, "Spring Boot's JSON error body");
    }
    if body.contains("can \"upgrade\" only to \"websocket\"") {
        fp.add(Software::Spring, None, "Spring's WebSocket handshake error");
    }
    if body.contains("apache tomcat") || body.contains("<h1>http status ") {
        fp.add(Software::Tomcat, None, "Tomcat error page");
    }
    // Action Cable 6.1 on Puma 5.6 (observed): exactly this, no Server,
    // no Date.
    if said.decoded == "Page not found"
        && header("content-type").is_some_and(|v| v.eq_ignore_ascii_case("text/plain"))
    {
        fp.add(
            Software::ActionCable,
            None,
            "Action Cable's text/plain \"Page not found\"",
        );
    }
    if body.contains("the page you were looking for doesn't exist")
        || has_header("x-request-id") && has_header("x-runtime")
    {
        fp.add(Software::Rails, None, "Rails headers or page");
    }
    if header("x-powered-by").is_some_and(|v| v.to_ascii_lowercase().contains("express"))
        || body.contains("<pre>cannot get ")
    {
        fp.add(
            Software::Express,
            None,
            "X-Powered-By: Express / \"Cannot GET\" page",
        );
    }
    if body.starts_with("failed to open a websocket connection") {
        fp.add(
            Software::PythonWebsockets,
            None,
            "python websockets' refusal text",
        );
    }
    if body.trim() == "404 page not found"
        && header("x-content-type-options").is_some()
        && !fp.found.iter().any(|f| f.software.role() == Role::Server)
    {
        fp.add(
            Software::GoHttp,
            None,
            "\"404 page not found\" (Go net/http)",
        );
    }
    // Autobahn (Daphne's WebSocket layer) refuses with its own reason
    // phrases and no headers at all (Daphne 4.2, observed).
    if let Some(text) = status_text {
        let autobahn = matches!(text, "Access denied" | "Internal server error");
        if autobahn && headers.is_empty() {
            fp.add(
                Software::Daphne,
                None,
                format!("status text \"{text}\", no headers"),
            );
        }
    }
    // uvicorn 0.54 with `websockets` refusing an upgrade (close before
    // accept, or no route): an empty 403 with exactly these four headers
    // and no Server (observed; python websockets on its own adds Server).
    let mut names: Vec<String> = headers
        .iter()
        .map(|(k, _)| k.to_ascii_lowercase())
        .collect();
    names.sort();
    if names == ["connection", "content-length", "content-type", "date"]
        && header("content-length") == Some("0")
        && header("content-type") == Some("text/plain; charset=utf-8")
        && header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"))
    {
        fp.add(
            Software::Uvicorn,
            None,
            "empty 403 with Date, Connection: close, text/plain and no Server (uvicorn's WebSocket refusal)",
        );
    }
    // node ws' abortHandshake writes exactly these headers, no Date, no
    // Server (ws 8.x, observed); a status text "undefined" is Node's
    // STATUS_CODES of a number that is no HTTP status.
    let ws_headers = header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"))
        && header("content-type").is_some_and(|v| v.eq_ignore_ascii_case("text/html"))
        && header("date").is_none()
        && server.is_none();
    if ws_headers || status_text == Some("undefined") {
        fp.add(
            Software::NodeWs,
            None,
            "header set of ws' abortHandshake (no Date, Connection: close, text/html)",
        );
    } else if header("keep-alive").is_some_and(|v| v.starts_with("timeout=5"))
        && header("date").is_some()
        && server.is_none()
    {
        fp.add(
            Software::NodeHttp,
            None,
            "Keep-Alive: timeout=5, no Server header",
        );
    }
    fp
}

fn s_is_proxy(s: Software) -> bool {
    s.role() == Role::Proxy
}

#[cfg(test)]
mod tests;
