//! Attempts the server answered with another status than 101: each status,
//! and the token cross-check of auth refusals.

use super::*;
use DiagnosisKind as K;

#[test]
fn each_handshake_status() {
    let wsgi = [
        ("Server", "WSGIServer/0.2 CPython/3.12.3"),
        ("Content-Type", "text/html"),
    ];
    let nginx = [("Server", "nginx/1.25.3")];
    let html_404 = "<!doctype html><html><head><title>Not Found</title></head><body><h1>Not Found</h1><p>The requested resource was not found on this server.</p></body></html>";
    check_rows(vec![
        Row::new(
            "200 page",
            answered(200, &[("Content-Type", "text/html")], "<html>app</html>"),
            K::NotWebsocketServer,
        )
        .says(&["HTTP 200 OK", "ordinary page"])
        .fixes(&["WebSocket path", "speaks WebSocket"]),
        Row::new(
            "301 trailing slash",
            answered(301, &[("Location", "/ws/notifications/")], ""),
            K::Redirect,
        )
        .url("ws://127.0.0.1:8000/ws/notifications?token=aec8…")
        .says(&[
            "HTTP 301 Moved Permanently",
            "\"/ws/notifications/\"",
            "do not follow redirects",
        ])
        .fixes(&[
            "trailing slash",
            "ws://127.0.0.1:8000/ws/notifications/",
            "keep the token",
        ]),
        Row::new(
            "302 login",
            answered(302, &[("Location", "/accounts/login/?next=/ws/x/")], ""),
            K::Redirect,
        )
        .says(&["HTTP 302 Found"])
        .fixes(&["login"]),
        Row::new(
            "302 to an https login elsewhere (SSO)",
            answered(
                302,
                &[("Location", "https://sso.example.com/login?next=/ws/x/")],
                "",
            ),
            K::Redirect,
        )
        .url("ws://example.com/ws/x/")
        .says(&["HTTP 302 Found"])
        .fixes(&["login", "session cookie"])
        .never(&["wss://sso.example.com", "redirects to HTTPS"]),
        Row::new(
            "307 to https",
            answered(307, &[("Location", "https://example.com/ws/x/")], ""),
            K::Redirect,
        )
        .url("ws://example.com/ws/x/")
        .says(&["HTTP 307"])
        .fixes(&["HTTPS", "wss://example.com/ws/x/"]),
        Row::new(
            "308 moved",
            answered(
                308,
                &[("Location", "http://127.0.0.1:8000/ws/v2/notifications/")],
                "",
            ),
            K::Redirect,
        )
        .fixes(&["ws://127.0.0.1:8000/ws/v2/notifications/"]),
        Row::new("301 no location", answered(301, &[], ""), K::Redirect)
            .says(&["no Location header"]),
        Row::new(
            "400 plain",
            answered(400, &[], "Bad upgrade"),
            K::HandshakeFailed,
        )
        .says(&["HTTP 400 Bad Request", "malformed", "Bad upgrade"]),
        Row::new("400 nginx", answered(400, &nginx, ""), K::ProxyError)
            .says(&["Server: nginx/1.25.3", "Upgrade"])
            .fixes(&["proxy_set_header Upgrade $http_upgrade"]),
        Row::new(
            "400 cloudflare",
            answered(400, &[("server", "cloudflare")], ""),
            K::ProxyError,
        ),
        Row::new(
            "400 nginx https port",
            answered(
                400,
                &nginx,
                "<html><center>The plain HTTP request was sent to HTTPS port</center></html>",
            ),
            K::WrongScheme,
        )
        .url("ws://example.com:443/ws/x/")
        .says(&["TLS port", "plain HTTP request was sent to HTTPS port"])
        .fixes(&["wss://example.com/ws/x/"]),
        Row::new("401", answered(401, &[], ""), K::AuthRejected)
            .says(&["HTTP 401 Unauthorized"])
            .fixes(&["answers 403, not 401"]),
        Row::new("403", answered(403, &[], ""), K::AuthRejected)
            .says(&["HTTP 403 Forbidden", "no REST token check"])
            .fixes(&["Origin", "token_check", "accept()"]),
        Row::new(
            "404 runserver",
            answered(404, &wsgi, html_404),
            K::NotWebsocketServer,
        )
        .says(&[
            "HTTP 404 Not Found",
            "Server: WSGIServer/0.2 CPython/3.12.3",
            "runserver",
            "Daphne",
        ])
        .fixes(&[
            "INSTALLED_APPS",
            "daphne -b 127.0.0.1 -p 8000 project.asgi:application",
        ]),
        Row::new(
            "404 other",
            answered(404, &[], html_404),
            K::NotWebsocketServer,
        )
        .says(&["HTTP 404", "/ws/notifications/"])
        .fixes(&["websocket_urlpatterns", "500, not 404"]),
        Row::new("405", answered(405, &[], ""), K::NotWebsocketServer).says(&["HTTP 405"]),
        Row::new(
            "426",
            answered(426, &[], "Upgrade Required"),
            K::NotWebsocketServer,
        )
        .says(&["HTTP 426 Upgrade Required", "proxy"])
        .fixes(&["proxy_set_header Connection"]),
        Row::new("500", answered(500, &[], ""), K::ServerError)
            .says(&[
                "HTTP 500 Internal Server Error",
                "no WebSocket route matched",
                "connect() raised",
            ])
            .fixes(&[
                "No route found for path",
                "websocket_urlpatterns",
                "ProtocolTypeRouter",
            ]),
        Row::new(
            "500 no trailing slash",
            answered(500, &[], ""),
            K::ServerError,
        )
        .url("ws://127.0.0.1:8000/ws/notifications")
        .fixes(&["does not end in /"]),
        // The route example names this URL's path, not a fixed one.
        Row::new("500 crash path", answered(500, &[], ""), K::ServerError)
            .url("ws://127.0.0.1:8000/ws/crash/?token=aec8…")
            .fixes(&["path(\"ws/crash/\", …)", "the trailing slash must match."]),
        Row::new(
            "502",
            answered(502, &nginx, "<html>Bad Gateway</html>"),
            K::ProxyError,
        )
        .says(&["HTTP 502 Bad Gateway", "nginx"])
        .fixes(&["Start the backend and check", "upstream"])
        .never(&["daphne", "Daphne", "Channels"]),
        // Unidentified servers get no framework's advice.
        Row::new(
            "404 unknown server",
            answered(404, &[], "not here"),
            K::NotWebsocketServer,
        )
        .says(&["HTTP 404"])
        .fixes(&["WebSocket routes"])
        .never(&["Daphne", "Channels", "websocket_urlpatterns", "consumer"]),
        Row::new(
            "200 unknown server",
            answered(200, &[], "<html>hi</html>"),
            K::NotWebsocketServer,
        )
        .fixes(&["speaks WebSocket"])
        .never(&["Daphne", "Channels", "consumer"]),
        Row::new("503", answered(503, &[], ""), K::ProxyError)
            .says(&["HTTP 503 Service Unavailable", "temporarily"]),
        Row::new("504", answered(504, &[], ""), K::ProxyError)
            .says(&["HTTP 504 Gateway Timeout", "too long"]),
        Row::new("429 other", answered(429, &[], "slow down"), K::RateLimited).says(&[
            "HTTP 429",
            "rate limited",
            "slow down",
        ]),
        Row::new("501 other", answered(501, &[], ""), K::HandshakeFailed).says(&["HTTP 501"]),
    ]);
}

#[test]
fn auth_refusals_are_cross_checked_with_the_token_check() {
    check_rows(vec![
        Row::new("403, REST invalid", answered(403, &[], ""), K::AuthRejected)
            .check(Verdict::Invalid, Some("Invalid token."))
            .says(&["HTTP 403", "token is invalid", "\"Invalid token.\""])
            .fixes(&["new token", "drf_create_token"]),
        Row::new(
            "403, REST inactive",
            answered(403, &[], ""),
            K::AuthRejected,
        )
        .check(Verdict::Inactive, Some("User inactive or deleted."))
        .says(&["inactive or deleted"])
        .fixes(&["Reactivate"]),
        Row::new("403, REST valid", answered(403, &[], ""), K::AuthRejected)
            .check(Verdict::Valid, None)
            .says(&["accepts the same token", "token is fine"])
            .fixes(&[
                "AllowedHostsOriginValidator",
                "headers = { Origin = \"http://127.0.0.1:8000\" }",
                "query string",
                "(token)",
                "accept()",
            ]),
        Row::new("403, REST missing", answered(403, &[], ""), K::AuthRejected)
            .check(
                Verdict::Missing,
                Some("Authentication credentials were not provided."),
            )
            .says(&["no credentials reached the API"])
            .fixes(&["auth_scheme", "\"Token\""]),
        Row::new(
            "403, REST unreachable",
            answered(403, &[], ""),
            K::AuthRejected,
        )
        .check(Verdict::Unreachable, Some("connection refused"))
        .says(&[
            "could not judge",
            "verdict unreachable: \"connection refused\"",
        ]),
        Row::new(
            "403, no token in URL",
            answered(403, &[], ""),
            K::AuthRejected,
        )
        .url("ws://127.0.0.1:8000/ws/notifications/")
        .no_token()
        .check(Verdict::Valid, None)
        .says(&["URL carries no token", "token itself"])
        .fixes(&["?token={token}", "query string", "Origin"]),
        Row::new("401, REST valid", answered(401, &[], ""), K::AuthRejected)
            .check(Verdict::Valid, None)
            .fixes(&["answers 403, not 401", "query string"]),
        // Seen against Daphne: the 403 arrives in ~10 ms, before the REST
        // answer, so tail's closed line has no verdict yet.
        Row::new(
            "403, token check pending",
            answered(403, &[], ""),
            K::AuthRejected,
        )
        .pending()
        .says(&["HTTP 403", "had not answered yet"])
        .fixes(&["Origin", "token check's verdict", "query string"]),
        Row::new(
            "403 over wss: https origin",
            answered(403, &[], ""),
            K::AuthRejected,
        )
        .url("wss://example.com/ws/x/?token=aec8…")
        .check(Verdict::Valid, None)
        .fixes(&["Origin = \"https://example.com\""]),
    ]);
}

#[test]
fn fixes_come_most_likely_first() {
    let valid =
        run(&Row::new("", answered(403, &[], ""), K::AuthRejected).check(Verdict::Valid, None));
    assert!(valid.fixes[0].contains("Origin"), "{:?}", valid.fixes);
    let invalid =
        run(&Row::new("", answered(403, &[], ""), K::AuthRejected).check(Verdict::Invalid, None));
    assert!(
        invalid.fixes[0].contains("new token"),
        "{:?}",
        invalid.fixes
    );
    let no_token = run(&Row::new("", answered(403, &[], ""), K::AuthRejected).no_token());
    assert!(
        no_token.fixes[0].contains("?token={token}"),
        "{:?}",
        no_token.fixes
    );
}

#[test]
fn hostile_server_text_is_neutralised() {
    let evil = "\u{1b}]0;owned\u{7}\u{1b}[2J\u{202E}nekot\u{200B}";
    let long = format!("{evil}{}", "A".repeat(1000));
    let rec = answered(302, &[("Server", evil), ("Location", &long)], &long);
    let d = run(&Row::new("", rec, K::Redirect));
    let text = format!("{} {}", d.summary, d.fixes.join(" "));
    for bad in ['\u{1b}', '\u{7}', '\u{202E}', '\u{200B}'] {
        assert!(!text.contains(bad), "{bad:?} leaked: {text:?}");
    }
    assert!(d.summary.contains('\u{FFFD}'));
    assert!(d.summary.chars().count() < 400, "{}", d.summary);
}
