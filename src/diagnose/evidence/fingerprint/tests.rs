//! Table tests of the fingerprints: one row per piece of software, with
//! headers, status text and body as the real software sends them.

use super::*;

fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn fp(headers: &[(&str, &str)], status_text: Option<&str>, body: &str) -> Fingerprint {
    let headers = h(headers);
    let said = Said::read(&headers, body);
    fingerprint(&headers, status_text, &said)
}

/// One row per fingerprint: headers, status text and body as the real
/// software sends them, and the `answered_by` wsmon must say.
#[test]
fn fingerprint_table() {
    let django_404 = "\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n";
    let rows: Vec<(&str, Fingerprint, &str)> = vec![
        // uvicorn 0.54 + FastAPI 0.165 without a WebSocket library (observed).
        (
            "uvicorn bare",
            fp(
                &[
                    ("date", "x"),
                    ("server", "uvicorn"),
                    ("content-length", "22"),
                    ("content-type", "application/json"),
                ],
                Some("Not Found"),
                "{\"detail\":\"Not Found\"}",
            ),
            "FastAPI/Starlette on uvicorn",
        ),
        // nginx 1.22.1 in front of Daphne 4.2 + Django 5.2 (observed).
        (
            "nginx + django",
            fp(
                &[
                    ("Server", "nginx/1.22.1"),
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("Transfer-Encoding", "chunked"),
                ],
                Some("Not Found"),
                django_404,
            ),
            "Django behind nginx/1.22.1",
        ),
        // nginx's own error page, Server header hidden (server_tokens off + more_clear_headers).
        (
            "nginx page",
            fp(
                &[("Content-Type", "text/html")],
                None,
                "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n",
            ),
            "nginx/1.22.1",
        ),
        (
            "openresty",
            fp(&[("Server", "openresty/1.21.4.1")], None, ""),
            "nginx/1.21.4.1",
        ),
        // HAProxy 2.6 (Debian 12) pages carry no Server header.
        (
            "haproxy 503",
            fp(
                &[
                    ("content-length", "107"),
                    ("cache-control", "no-cache"),
                    ("content-type", "text/html"),
                ],
                Some("Service Unavailable"),
                "<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n",
            ),
            "HAProxy",
        ),
        (
            "envoy",
            fp(
                &[("server", "envoy"), ("content-type", "text/plain")],
                None,
                "no healthy upstream",
            ),
            "Envoy",
        ),
        (
            "envoy forwarded",
            fp(
                &[
                    ("server", "uvicorn"),
                    ("x-envoy-upstream-service-time", "3"),
                ],
                None,
                "",
            ),
            "uvicorn behind Envoy",
        ),
        (
            "traefik 404",
            fp(
                &[
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("X-Content-Type-Options", "nosniff"),
                ],
                None,
                "404 page not found\n",
            ),
            "a Go net/http server (Traefik's default page)",
        ),
        (
            "traefik via",
            fp(&[("Server", "Traefik")], None, ""),
            "Traefik",
        ),
        ("caddy", fp(&[("Server", "Caddy")], None, ""), "Caddy"),
        (
            "cloudflare",
            fp(
                &[("Server", "cloudflare"), ("CF-RAY", "8a1b2c3d4e5f-AMS")],
                None,
                "",
            ),
            "Cloudflare",
        ),
        (
            "aws alb",
            fp(
                &[("Server", "awselb/2.0")],
                None,
                "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n",
            ),
            "AWS ALB/2.0",
        ),
        (
            "hypercorn",
            fp(
                &[("server", "hypercorn-h11")],
                None,
                "{\"detail\":\"Not Found\"}",
            ),
            "FastAPI/Starlette on Hypercorn",
        ),
        // Daphne 4.2 refusing before accept / no route (observed: no headers).
        ("daphne 403", fp(&[], Some("Access denied"), ""), "Daphne"),
        (
            "daphne 500",
            fp(&[], Some("Internal server error"), ""),
            "Daphne",
        ),
        (
            "drf",
            fp(
                &[("Server", "daphne"), ("Allow", "GET"), ("Vary", "Accept")],
                None,
                "{\"detail\":\"Invalid token.\"}",
            ),
            "Django REST framework on Daphne",
        ),
        (
            "runserver wsgi",
            fp(
                &[("Server", "WSGIServer/0.2 CPython/3.11.7")],
                None,
                django_404,
            ),
            "Django on Django runserver (WSGI)/0.2",
        ),
        // node ws 8.23 verifyClient refusals (observed).
        (
            "node ws 403",
            fp(
                &[
                    ("Connection", "close"),
                    ("Content-Type", "text/html"),
                    ("Content-Length", "18"),
                ],
                Some("Forbidden"),
                "Origin not allowed",
            ),
            "node ws",
        ),
        (
            "node ws 4002",
            fp(
                &[
                    ("Connection", "close"),
                    ("Content-Type", "text/html"),
                    ("Content-Length", "13"),
                ],
                Some("undefined"),
                "token expired",
            ),
            "node ws",
        ),
        (
            "node http",
            fp(
                &[
                    ("content-type", "application/json"),
                    ("Date", "x"),
                    ("Connection", "keep-alive"),
                    ("Keep-Alive", "timeout=5"),
                ],
                None,
                "{}",
            ),
            "Node.js http",
        ),
        (
            "socket.io",
            fp(
                &[("Content-Type", "application/json")],
                None,
                "{\"code\":0,\"message\":\"Transport unknown\"}",
            ),
            "Socket.IO/Engine.IO",
        ),
        (
            "express",
            fp(
                &[
                    ("X-Powered-By", "Express"),
                    ("Content-Type", "text/html; charset=utf-8"),
                ],
                None,
                "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot GET /ws</pre>\n</body>\n</html>\n",
            ),
            "Express",
        ),
        // uvicorn 0.54 + websockets 17.4 refusing before accept (observed).
        (
            "uvicorn ws refusal",
            fp(
                &[
                    ("Date", "Sun, 29 Nov 2026 23:43:29 GMT"),
                    ("Connection", "close"),
                    ("Content-Length", "0"),
                    ("Content-Type", "text/plain; charset=utf-8"),
                ],
                Some("Forbidden"),
                "",
            ),
            "uvicorn",
        ),
        // Action Cable 6.1 on Puma 5.6 refusing the Origin (observed).
        (
            "action cable",
            fp(
                &[("Content-Type", "text/plain"), ("Content-Length", "14")],
                Some("Not Found"),
                "Page not found",
            ),
            "Rails Action Cable",
        ),
        (
            "rails puma",
            fp(
                &[
                    ("x-request-id", "abc"),
                    ("x-runtime", "0.01"),
                    ("Server", "Puma 6.4"),
                ],
                None,
                "Page not found",
            ),
            "Rails on Puma",
        ),
        (
            "gunicorn",
            fp(&[("Server", "gunicorn")], None, ""),
            "gunicorn",
        ),
        (
            "tomcat",
            fp(
                &[("Content-Type", "text/html;charset=utf-8")],
                None,
                "<!doctype html><html lang=\"en\"><head><title>HTTP Status 404 – Not Found</title></head><body><h1>HTTP Status 404 – Not Found</h1><hr class=\"line\" /><h3>Apache Tomcat/10.1.16</h3></body></html>",
            ),
            "Tomcat",
        ),
        (
            "spring boot",
            fp(
                &[("Content-Type", "application/json")],
                None,
                "{\"timestamp\":\"2026-11-29T10:00:00.000+00:00\",\"status\":404,\"error\":\"Not Found\",\"path\":\"/ws\"}",
            ),
            "Spring",
        ),
        (
            "spring ws",
            fp(&[], None, "Can \"Upgrade\" only to \"WebSocket\"."),
            "Spring",
        ),
        // python websockets 17.4 process_request (observed).
        (
            "websockets",
            fp(
                &[
                    ("Date", "x"),
                    ("Connection", "close"),
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Retry-After", "20"),
                    ("Server", "Python/3.11 websockets/17.4"),
                ],
                Some("Too Many Requests"),
                "Too many connections, retry later\n",
            ),
            "python websockets/17.4",
        ),
        (
            "via varnish",
            fp(
                &[("Via", "1.1 varnish (Varnish/7.1)"), ("Server", "gunicorn")],
                None,
                "",
            ),
            "gunicorn behind Varnish/7.1",
        ),
        (
            "via other",
            fp(&[("Via", "1.1 squid")], None, ""),
            "a proxy",
        ),
        (
            "google",
            fp(&[("Via", "1.1 google")], None, ""),
            "Google Frontend",
        ),
        (
            "cloudfront",
            fp(&[("X-Amz-Cf-Id", "abc"), ("Server", "uvicorn")], None, ""),
            "uvicorn behind CloudFront",
        ),
        (
            "apache",
            fp(&[("Server", "Apache/2.4.57 (Debian)")], None, ""),
            "Apache httpd/2.4.57",
        ),
        ("kestrel", fp(&[("Server", "Kestrel")], None, ""), "Kestrel"),
        (
            "werkzeug",
            fp(&[("Server", "Werkzeug/3.0.1 Python/3.11.7")], None, ""),
            "Werkzeug/3.0.1",
        ),
    ];
    let mut bad = Vec::new();
    for (what, fp, want) in &rows {
        let got = fp.answered_by();
        if got.as_deref() != Some(*want) {
            bad.push(format!("{what}: {got:?}, want {want:?} ({:?})", fp.clues()));
        }
    }
    assert!(bad.is_empty(), "\n{}", bad.join("\n"));
}

#[test]
fn nothing_recognised_is_nothing() {
    let f = fp(
        &[("Content-Type", "text/plain"), ("Date", "x")],
        None,
        "nope",
    );
    assert!(f.found.is_empty());
    assert_eq!(f.answered_by(), None);
}

#[test]
fn clues_are_safe_to_print() {
    let f = fp(&[("Server", "nginx\u{1b}[2J")], None, "");
    assert!(f.clues().iter().all(|c| !c.contains('\u{1b}')));
}
