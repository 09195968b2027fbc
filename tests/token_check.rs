//! The REST token check against a real HTTP server shaped like DRF's
//! `TokenAuthentication`.

mod common;

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use common::*;
use serde_json::json;
use url::Url;
use wsmon::secret::{Redactor, Secret};
use wsmon::token_check::{self, Verdict};

async fn drf_like(headers: HeaderMap) -> (StatusCode, axum::Json<serde_json::Value>) {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    match auth {
        None => (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"detail": "Authentication credentials were not provided."})),
        ),
        Some("Token good-token-0123456789") => (StatusCode::OK, axum::Json(json!([{"id": 1}]))),
        Some("Token inactive-token-0123456789") => (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"detail": "User inactive or deleted."})),
        ),
        Some(_) => (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"detail": "Invalid token."})),
        ),
    }
}

async fn serve() -> std::net::SocketAddr {
    let app = Router::new()
        .route("/api/notifications/", get(drf_like))
        .route(
            "/api/broken/",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

async fn check(base: &str, path: &str, token: Option<&str>) -> token_check::TokenCheckResult {
    let mut profile = profile(&[], fast_settings());
    profile.token = token.map(Secret::new);
    profile.redactor = Redactor::new(profile.token.iter());
    let url = Url::parse(&format!("{base}{path}")).expect("url");
    let client = token_check::client(Duration::from_secs(2), &profile.tls);
    token_check::run(&client, &url, &profile).await
}

#[tokio::test]
async fn verdicts_from_a_real_api() {
    let addr = serve().await;
    let base = format!("http://{addr}");
    let ok = check(&base, "/api/notifications/", Some("good-token-0123456789")).await;
    assert_eq!(
        (ok.status, ok.verdict, ok.detail.as_deref()),
        (Some(200), Verdict::Valid, None)
    );

    let bad = check(&base, "/api/notifications/", Some("wrong-token-0123456789")).await;
    assert_eq!(
        (bad.status, bad.verdict, bad.detail.as_deref()),
        (Some(401), Verdict::Invalid, Some("Invalid token."))
    );

    let inactive = check(
        &base,
        "/api/notifications/",
        Some("inactive-token-0123456789"),
    )
    .await;
    assert_eq!(inactive.verdict, Verdict::Inactive);
    assert_eq!(
        inactive.detail.as_deref(),
        Some("User inactive or deleted.")
    );

    let missing = check(&base, "/api/notifications/", None).await;
    assert_eq!(missing.verdict, Verdict::Missing);

    let broken = check(&base, "/api/broken/", Some("good-token-0123456789")).await;
    assert_eq!(
        (broken.status, broken.verdict),
        (Some(500), Verdict::Unexpected)
    );
}

#[tokio::test]
async fn an_unreachable_api_is_a_verdict_not_an_error() {
    let addr = closed_port().await;
    let token = "unreachable-token-0123456789";
    let result = check(
        &format!("http://{addr}"),
        &format!("/api/?token={token}"),
        Some(token),
    )
    .await;
    assert_eq!(
        (result.status, result.verdict),
        (None, Verdict::Unreachable)
    );
    let shown = format!("{result:?}");
    assert!(!shown.contains(token), "token leaked: {shown}");
}

/// After an auth rejection the token check re-runs by itself; when a later
/// check newly passes, the stopped session tries again on its own.
#[tokio::test]
async fn an_auth_stop_rechecks_the_token_and_a_newly_valid_token_resumes() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use wsmon::facts::{Event, SessionEvent, StopReason};
    use wsmon::session::{Mode, Supervisor, channel};

    let accept = Arc::new(AtomicBool::new(false));
    let flag = accept.clone();
    let app = Router::new().route(
        "/api/me/",
        get(move || {
            let ok = flag.load(Ordering::SeqCst);
            async move {
                if ok {
                    (StatusCode::OK, axum::Json(json!({"id": 1})))
                } else {
                    (
                        StatusCode::UNAUTHORIZED,
                        axum::Json(json!({"detail": "Invalid token."})),
                    )
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let api = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let ws = ws_server(
        Some((403, vec![], "")),
        send_then_echo_close(vec![], Default::default()),
    )
    .await;

    let mut p = profile(&[("n", ws.url("/ws/"))], fast_settings());
    p.token_check = Some(Url::parse(&format!("http://{api}/api/me/")).expect("url"));
    let (tx, mut rx) = channel();
    let sup = Supervisor::start(p, Mode::Monitor, tx);

    let mut checks = Vec::new();
    let mut stopped = false;
    let limit = Duration::from_secs(5);
    tokio::time::timeout(limit, async {
        while let Some(event) = rx.recv().await {
            match event {
                Event::TokenCheck(r) => checks.push(r.verdict),
                Event::Session {
                    event:
                        SessionEvent::Stopped {
                            why: StopReason::AuthRejected { .. },
                            ..
                        },
                    ..
                } => stopped = true,
                _ => {}
            }
            if stopped && checks.len() >= 2 {
                break;
            }
        }
    })
    .await
    .expect("a stop and two token checks");
    assert_eq!(checks, [Verdict::Invalid, Verdict::Invalid]);

    accept.store(true, Ordering::SeqCst);
    sup.check_token();
    let resumed = tokio::time::timeout(limit, async {
        while let Some(event) = rx.recv().await {
            if let Event::Session {
                event: SessionEvent::Connecting { attempt: 2, .. },
                ..
            } = event
            {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(resumed, Ok(true));
    sup.shutdown().await;
}
