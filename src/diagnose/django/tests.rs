//! The doctor's findings over a recorded inspection of the test project
//! (`channels-4.3.json`: `inspect.py` run on `tests/django/` with Django
//! 5.2.19, Channels 4.3.2, Daphne 4.2.3) and small variations of it.

use super::*;
use crate::facts::django::{EndpointFacts, LayerHost, ReachOutcome, Route, Segment, Serving};

fn recorded() -> Inspection {
    serde_json::from_str(include_str!("channels-4.3.json")).expect("the recorded inspection")
}

fn endpoint(name: &str, path: &str, origin: Option<&str>) -> EndpointFacts {
    EndpointFacts {
        name: name.into(),
        path: path.into(),
        origin: origin.map(String::from),
    }
}

fn context(endpoints: Vec<EndpointFacts>) -> Context {
    Context {
        endpoints,
        rest_host: Some("127.0.0.1".into()),
        serving: Vec::new(),
    }
}

fn serving(role: Role, port: u16, pid: u32, command: &str) -> Serving {
    Serving {
        role,
        port,
        pid: Some(pid),
        command: Some(command.into()),
    }
}

fn codes(d: &Doctor, severity: Severity) -> Vec<Code> {
    d.findings
        .iter()
        .filter(|f| f.severity == severity)
        .map(|f| f.code)
        .collect()
}

fn summary(d: &Doctor, code: Code) -> &str {
    &d.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {code:?} in {:#?}", d.findings))
        .summary
}

#[test]
fn the_test_project_is_healthy_for_its_own_paths() {
    let d = diagnose(
        "tests/django",
        "python",
        recorded(),
        Vec::new(),
        &context(vec![
            endpoint("notifications", "/ws/notifications/", None),
            endpoint(
                "strict",
                "/ws/strict/notifications/",
                Some("http://localhost:8000"),
            ),
        ]),
    );
    assert!(d.healthy, "{:#?}", d.findings);
    assert_eq!(codes(&d, Severity::Error), Vec::<Code>::new());
    assert_eq!(codes(&d, Severity::Warning), vec![Code::InMemory]);
    assert_eq!(d.endpoints[0].route.as_deref(), Some("/ws/notifications/"));
    assert_eq!(
        d.endpoints[0].consumer.as_deref(),
        Some("notifications.consumers.NotificationConsumer")
    );
    assert!(
        summary(&d, Code::RouteFound).contains("behind TokenAuthMiddleware"),
        "{:#?}",
        d.findings
    );
    assert!(summary(&d, Code::DaphneFirst).contains("first"));
}

#[test]
fn a_path_typo_gets_the_nearest_route() {
    let d = diagnose(
        "p",
        "python",
        recorded(),
        Vec::new(),
        &context(vec![endpoint("n", "/ws/notification/", None)]),
    );
    assert!(!d.healthy);
    let text = summary(&d, Code::NoRoute);
    assert!(
        text.starts_with(
            "no route matches `/ws/notification/`; did you mean `/ws/notifications/`?"
        ),
        "{text}"
    );
    assert_eq!(
        d.endpoints[0].nearest.as_deref(),
        Some("/ws/notifications/")
    );
    // Nothing near: no suggestion, the routes listed.
    let far = diagnose(
        "p",
        "python",
        recorded(),
        Vec::new(),
        &context(vec![endpoint("n", "/socket/live/feed/", None)]),
    );
    let text = summary(&far, Code::NoRoute);
    assert!(!text.contains("did you mean"), "{text}");
    assert!(text.contains("/ws/crash/"), "{text}");
    // The 500 of that attempt gets the suggestion; a 403 does not.
    let f = for_attempt(&d, 0, Some(500)).expect("a finding for the 500");
    assert!(
        f.summary.contains("did you mean `/ws/notifications/`"),
        "{}",
        f.summary
    );
    assert_eq!(for_attempt(&d, 0, Some(403)), None);
}

#[test]
fn the_origin_validator_needs_an_allowed_origin() {
    let ctx = |origin| context(vec![endpoint("s", "/ws/strict/notifications/", origin)]);
    let none = diagnose("p", "python", recorded(), Vec::new(), &ctx(None));
    assert!(summary(&none, Code::OriginRefused).contains("sends no Origin header"));
    assert!(for_attempt(&none, 0, Some(403)).is_some());
    let foreign = diagnose(
        "p",
        "python",
        recorded(),
        Vec::new(),
        &ctx(Some("https://evil.example")),
    );
    assert!(summary(&foreign, Code::OriginRefused).contains("evil.example"));
    let ok = diagnose(
        "p",
        "python",
        recorded(),
        Vec::new(),
        &ctx(Some("http://127.0.0.1:8000")),
    );
    assert!(ok.healthy, "{:#?}", ok.findings);
}

#[test]
fn origin_patterns_follow_channels() {
    let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let allowed = origin::allowed;
    assert!(allowed(
        Some("http://localhost:3000"),
        &list(&["localhost"])
    ));
    assert!(allowed(
        Some("https://app.example.com"),
        &list(&[".example.com"])
    ));
    assert!(allowed(
        Some("https://example.com"),
        &list(&[".example.com"])
    ));
    assert!(!allowed(
        Some("https://badexample.com"),
        &list(&[".example.com"])
    ));
    assert!(allowed(
        Some("https://example.com"),
        &list(&["https://example.com"])
    ));
    assert!(allowed(
        Some("https://example.com:443"),
        &list(&["https://example.com"])
    ));
    assert!(!allowed(
        Some("http://example.com"),
        &list(&["https://example.com"])
    ));
    assert!(!allowed(
        Some("http://example.com:8000"),
        &list(&["http://example.com"])
    ));
    assert!(allowed(
        Some("http://example.com:8000"),
        &list(&["http://example.com:8000"])
    ));
    assert!(!allowed(None, &list(&["localhost"])));
    assert!(allowed(None, &list(&["*"])));
    assert!(origin::host_allowed("127.0.0.1", &[], true));
    assert!(!origin::host_allowed("127.0.0.1", &[], false));
    assert!(origin::host_allowed(
        "api.example.com",
        &list(&[".example.com"]),
        false
    ));
    assert!(origin::host_allowed("::1", &list(&["[::1]"]), false));
}

#[test]
fn nested_routers_and_re_path_are_matched_as_channels_does() {
    let seg = |kind: &str, route: &str, regex: &str| Segment {
        kind: kind.into(),
        route: route.into(),
        regex: Some(regex.into()),
    };
    let routes = vec![
        Route {
            segments: vec![
                seg("path", "ws/", "^ws/"),
                seg(
                    "re_path",
                    r"^chat/(?P<room>\w+)/$",
                    r"^chat/(?P<room>\w+)/$",
                ),
            ],
            consumer: "chat.ChatConsumer".into(),
            ..Route::default()
        },
        Route {
            segments: vec![
                seg("path", "ws/", "^ws/"),
                seg("path", "users/<int:id>/", r"^users/(?P<id>[0-9]+)/\Z"),
            ],
            consumer: "u.UserConsumer".into(),
            ..Route::default()
        },
    ];
    use routes::{RouteMatch, find};
    assert_eq!(
        find(&routes, "/ws/chat/lobby/", false),
        RouteMatch::Found(0)
    );
    assert_eq!(find(&routes, "/ws/users/42/", false), RouteMatch::Found(1));
    assert_eq!(
        find(&routes, "/ws/users/abc/", false),
        RouteMatch::Missing { nearest: None }
    );
    assert_eq!(
        find(&routes, "/ws/user/<int:id>/", false),
        RouteMatch::Missing {
            nearest: Some("/ws/users/<int:id>/".into())
        }
    );
    assert_eq!(routes::shape(&routes[0]), r"/ws/chat/(?P<room>\w+)/");
    // A route wsmon cannot judge: no claim of a missing route.
    assert_eq!(find(&routes, "/elsewhere/", true), RouteMatch::Unknown);
}

#[test]
fn runserver_without_daphne_is_an_error_where_runserver_serves() {
    let mut i = recorded();
    i.installed_apps.retain(|a| a != "daphne");
    let mut ctx = context(vec![endpoint("n", "/ws/notifications/", None)]);
    ctx.serving = vec![serving(
        Role::Sockets,
        8000,
        42,
        "python manage.py runserver --noreload 127.0.0.1:8000",
    )];
    let d = diagnose("p", "python", i.clone(), Vec::new(), &ctx);
    assert_eq!(codes(&d, Severity::Error), vec![Code::DaphneMissing]);
    assert!(summary(&d, Code::DaphneMissing).contains("what serves the profile's sockets"));
    let f = for_attempt(&d, 0, Some(404)).expect("the 404 explained");
    assert!(
        f.summary.contains("`daphne` is not in INSTALLED_APPS"),
        "{}",
        f.summary
    );
    // Served by Daphne itself: only a warning.
    ctx.serving = vec![serving(
        Role::Sockets,
        8000,
        42,
        "python -m daphne -p 8000 project.asgi:application",
    )];
    let d = diagnose("p", "python", i.clone(), Vec::new(), &ctx);
    assert_eq!(codes(&d, Severity::Error), Vec::<Code>::new());
    // daphne after staticfiles: staticfiles' runserver wins; without the
    // `channels` app: a warning.
    i.installed_apps = ["django.contrib.staticfiles", "daphne"]
        .map(String::from)
        .to_vec();
    let d = diagnose("p", "python", i, Vec::new(), &context(Vec::new()));
    assert_eq!(
        codes(&d, Severity::Error),
        vec![Code::DaphneAfterStaticfiles]
    );
    assert!(codes(&d, Severity::Warning).contains(&Code::ChannelsMissing));
}

#[test]
fn in_memory_layer_across_processes_explains_an_undelivered_probe() {
    let mut ctx = context(vec![endpoint("n", "/ws/notifications/", None)]);
    ctx.serving = vec![
        serving(
            Role::Sockets,
            8000,
            10,
            "python -m daphne -p 8000 project.asgi:application",
        ),
        serving(
            Role::Rest,
            8001,
            11,
            "python manage.py runserver 127.0.0.1:8001",
        ),
    ];
    let d = diagnose("p", "python", recorded(), Vec::new(), &ctx);
    let text = summary(&d, Code::InMemoryAcrossProcesses);
    assert!(
        text.contains("port 8001") && text.contains("pid 11"),
        "{text}"
    );
    let f = for_probe(&d, &ProbeFailure::NotDelivered).expect("explained");
    assert!(
        f.summary.contains("never reaches the sockets"),
        "{}",
        f.summary
    );
    // One process for both: a warning only, and the probe gets nothing.
    ctx.serving = vec![
        serving(
            Role::Sockets,
            8000,
            10,
            "daphne -p 8000 project.asgi:application",
        ),
        serving(
            Role::Rest,
            8000,
            10,
            "daphne -p 8000 project.asgi:application",
        ),
    ];
    let d = diagnose("p", "python", recorded(), Vec::new(), &ctx);
    assert!(d.healthy);
    assert!(for_probe(&d, &ProbeFailure::SocketClosed).is_none());
    // Several workers.
    ctx.serving = vec![serving(
        Role::Sockets,
        8000,
        10,
        "gunicorn -k uvicorn.workers.UvicornWorker -w 4 project.asgi:application",
    )];
    let d = diagnose("p", "python", recorded(), Vec::new(), &ctx);
    assert!(summary(&d, Code::InMemoryAcrossProcesses).contains("4 workers"));
    assert_eq!(workers("uvicorn --workers=3 app:app"), Some(3));
    assert_eq!(workers("uvicorn --workers 1 app:app"), None);
}

#[test]
fn an_unreachable_redis_layer_is_an_error() {
    let mut i = recorded();
    i.channel_layers[0].backend = "channels_redis.core.RedisChannelLayer".into();
    i.channel_layers[0].hosts = vec![LayerHost {
        host: Some("127.0.0.1".into()),
        port: Some(6390),
        ..LayerHost::default()
    }];
    assert_eq!(i.channel_layers[0].hosts[0].address(), "127.0.0.1:6390");
    let reach = vec![Reach {
        alias: "default".into(),
        address: "127.0.0.1:6390".into(),
        outcome: ReachOutcome::Unreachable {
            detail: "connection refused".into(),
        },
    }];
    let d = diagnose(
        "p",
        "python",
        i,
        reach,
        &context(vec![endpoint("n", "/ws/notifications/", None)]),
    );
    assert_eq!(codes(&d, Severity::Error), vec![Code::LayerUnreachable]);
    assert!(summary(&d, Code::LayerUnreachable).contains("127.0.0.1:6390: connection refused"));
    assert!(for_attempt(&d, 0, Some(500)).is_some());
    assert!(for_probe(&d, &ProbeFailure::RestRefused { status: 500 }).is_some());
}

#[test]
fn a_broken_asgi_module_and_hostile_text_are_shown_escaped() {
    let mut i = recorded();
    i.asgi_loaded = false;
    i.protocols = None;
    i.routes.clear();
    i.asgi_error = Some("ImportError: cannot import name 'x\u{1b}[31m'".into());
    let d = diagnose(
        "p",
        "python",
        i,
        Vec::new(),
        &context(vec![endpoint("n", "/ws/notifications/", None)]),
    );
    let text = summary(&d, Code::AsgiImportFailed);
    assert!(
        !text.contains('\u{1b}') && text.contains("cannot import name"),
        "{text}"
    );
    assert!(for_attempt(&d, 0, Some(500)).is_some());
    assert!(d.endpoints.is_empty());
}

#[test]
fn a_plain_django_asgi_handler_serves_no_websockets() {
    let mut i = recorded();
    i.protocols = None;
    i.routes.clear();
    i.asgi_type = Some("django.core.handlers.asgi.ASGIHandler".into());
    let d = diagnose("p", "python", i, Vec::new(), &context(Vec::new()));
    assert!(summary(&d, Code::NotProtocolRouter).contains("ASGIHandler"));
}

#[test]
fn a_disallowed_server_host_is_named() {
    let mut ctx = context(Vec::new());
    ctx.rest_host = Some("api.internal".into());
    let d = diagnose("p", "python", recorded(), Vec::new(), &ctx);
    assert!(summary(&d, Code::HostNotAllowed).contains("`api.internal`"));
    assert!(for_probe(&d, &ProbeFailure::RestRefused { status: 400 }).is_some());
}
