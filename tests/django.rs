//! The real `wsmon` binary against a real Django Channels server (Daphne,
//! DRF TokenAuthentication, `tests/django/`) and the same project under
//! `manage.py runserver` without Daphne: the diagnosis of every failure of
//! the seed conversation, asserted by its exact `kind`, codes and statuses.
//!
//! The first run builds a Python venv under `target/tmp/django-venv` (see
//! `tests/django_support/mod.rs`); python3 and PyPI must be reachable then.

mod common;
mod django_support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::lines::JsonLines;
use django_support::{Db, IVAN_INACTIVE, OMAR, SANDRA, Server, UNKNOWN, wsmon};
use serde_json::Value;
use tokio::io::BufReader;
use tokio::process::{Child, ChildStdout};

/// Generous: a loaded 2-core machine runs Python slowly.
const EVENT_TIMEOUT: Duration = Duration::from_secs(60);

/// A profiles file for one user of `server` with the given endpoints
/// (`(name, url template, extra TOML lines)`).
fn profiles(dir: &Path, server: &str, token: &str, endpoints: &[(&str, &str, &str)]) -> PathBuf {
    profiles_with(dir, server, token, "", endpoints)
}

/// [`profiles`] with extra lines in the profile's table.
fn profiles_with(
    dir: &Path,
    server: &str,
    token: &str,
    profile_extra: &str,
    endpoints: &[(&str, &str, &str)],
) -> PathBuf {
    let mut text = format!(
        r#"default_profile = "me"

[settings]
connect_timeout = "20s"
ping_interval = "5s"
pong_timeout = "20s"
reconnect_min = "100ms"
reconnect_max = "500ms"

[close_codes]
4001 = "token revoked"

[profiles.me]
server = "{server}"
token = "{token}"
token_check = "/api/notifications/"
{profile_extra}
"#
    );
    for (name, url, extra) in endpoints {
        text.push_str(&format!(
            "\n[[profiles.me.endpoints]]\nname = \"{name}\"\nurl = \"{url}\"\n{extra}\n"
        ));
    }
    let path = dir.join("profiles.toml");
    std::fs::write(&path, text).expect("write profiles.toml");
    path
}

/// `wsmon check --format json`: the exit code and the report.
async fn check(config: &Path) -> (i32, Value) {
    let out = wsmon(config)
        .args(["check", "--format", "json"])
        .output()
        .await
        .expect("run wsmon check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "check printed no JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exit code"), report)
}

/// A running `wsmon tail`, read line by line.
struct Tail {
    child: Child,
    lines: JsonLines<BufReader<ChildStdout>>,
}

impl Tail {
    fn start(config: &Path, args: &[&str]) -> Tail {
        let mut child = wsmon(config)
            .arg("tail")
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start wsmon tail");
        let stdout = child.stdout.take().expect("tail stdout");
        Tail {
            child,
            lines: JsonLines::new(BufReader::new(stdout)),
        }
    }

    /// The next line for which `want` holds (every line is kept).
    async fn until(&mut self, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        self.lines.until(what, EVENT_TIMEOUT, want).await
    }

    async fn until_type(&mut self, kind: &str) -> Value {
        self.until(kind, |v| v["type"] == kind).await
    }

    fn dump(&self) -> String {
        self.lines.dump()
    }
}

/// The one endpoint of a check report.
fn endpoint(report: &Value, i: usize) -> &Value {
    &report["endpoints"][i]
}

/// Asserts `(state, handshake_status, close_code, diagnosis.kind)`.
fn assert_endpoint(report: &Value, i: usize, want: (&str, Option<u64>, Option<u64>, &str)) {
    let e = endpoint(report, i);
    let got = (
        e["state"].as_str().unwrap_or_default(),
        e["handshake_status"].as_u64(),
        e["close_code"].as_u64(),
        e["diagnosis"]["kind"].as_str().unwrap_or_default(),
    );
    assert_eq!(got, want, "endpoint {i}: {e:#}");
}

fn summary(report: &Value, i: usize) -> String {
    endpoint(report, i)["diagnosis"]["summary"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn fixes(report: &Value, i: usize) -> Vec<String> {
    endpoint(report, i)["diagnosis"]["fixes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `(status, verdict, detail)` of the report's token check.
fn token_check(report: &Value) -> (Option<u64>, &str, Option<&str>) {
    let t = &report["token_check"];
    (
        t["status"].as_u64(),
        t["verdict"].as_str().unwrap_or_default(),
        t["detail"].as_str(),
    )
}

const NOTIFICATIONS: &str = "{ws}/ws/notifications/?token={token}";

#[tokio::test]
async fn valid_token_opens_and_check_is_healthy() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(
        dir.path(),
        &daphne.base(),
        SANDRA,
        &[("notifications", NOTIFICATIONS, "")],
    );
    let (code, report) = check(&config).await;
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["healthy"], true);
    assert_eq!(token_check(&report), (Some(200), "valid", None));
    assert_endpoint(&report, 0, ("open", Some(101), None, "ok"));
    assert_eq!(endpoint(&report, 0)["ready_state"], 1);
    assert!(daphne.log_text().contains("WSCONNECT /ws/notifications/"));
}

#[tokio::test]
async fn tail_receives_a_notification_pushed_through_the_rest_api() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(
        dir.path(),
        &daphne.base(),
        SANDRA,
        &[("notifications", NOTIFICATIONS, "")],
    );
    let mut tail = Tail::start(&config, &["--count", "1"]);
    let open = tail.until_type("open").await;
    assert_eq!(open["handshake_status"], 101);
    let (status, body) = daphne.post(
        "/api/notifications/",
        SANDRA,
        r#"{"message": "Your investment was approved"}"#,
    );
    assert_eq!(status, 201, "{body}");
    let message = tail.until_type("message").await;
    assert_eq!(message["endpoint"], "notifications");
    let data: Value = serde_json::from_str(message["data"].as_str().expect("text data"))
        .expect("the consumer sends JSON");
    assert_eq!(data["type"], "notification");
    assert_eq!(data["message"], "Your investment was approved");
    // --count 1: tail ends by itself.
    let status = tokio::time::timeout(EVENT_TIMEOUT, tail.child.wait())
        .await
        .expect("tail ends after one message")
        .expect("wait for tail");
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn bad_token_is_auth_rejected_and_the_token_check_says_invalid() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(
        dir.path(),
        &daphne.base(),
        UNKNOWN,
        &[("notifications", NOTIFICATIONS, "")],
    );
    let (code, report) = check(&config).await;
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["healthy"], false);
    assert_eq!(
        token_check(&report),
        (Some(401), "invalid", Some("Invalid token."))
    );
    assert_endpoint(
        &report,
        0,
        ("closed", Some(403), Some(1006), "auth_rejected"),
    );
    assert_eq!(endpoint(&report, 0)["ready_state"], 3);
    let s = summary(&report, 0);
    assert!(s.contains("403"), "{s}");
    assert!(s.contains("the token is invalid"), "{s}");
    assert!(fixes(&report, 0)[0].contains("new token"), "{report:#}");
}

#[tokio::test]
async fn tail_diagnoses_a_refused_handshake_with_the_token_check() {
    // On loopback Daphne's 403 (~10 ms) beats the REST answer (~20 ms):
    // tail holds its lines until the token check answers, so the closed
    // line can still say which it is.
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(
        dir.path(),
        &daphne.base(),
        UNKNOWN,
        &[("notifications", NOTIFICATIONS, "")],
    );
    let mut tail = Tail::start(&config, &[]);
    let stopped = tail.until_type("stopped").await;
    assert_eq!(stopped["reason"], "auth_rejected", "{stopped}");
    assert_eq!(tail.lines.seen[0]["type"], "token_check", "{}", tail.dump());
    assert_eq!(tail.lines.seen[0]["verdict"], "invalid", "{}", tail.dump());
    let closed = tail
        .lines
        .seen
        .iter()
        .find(|v| v["type"] == "closed")
        .expect("a closed line before stopped");
    assert_eq!(closed["code"], 1006, "{closed}");
    assert_eq!(closed["handshake_status"], 403, "{closed}");
    assert_eq!(closed["diagnosis"]["kind"], "auth_rejected", "{closed}");
    let summary = closed["diagnosis"]["summary"].as_str().unwrap_or_default();
    assert!(summary.contains("the token is invalid"), "{closed}");
}

#[tokio::test]
async fn inactive_user_is_auth_rejected_and_the_account_is_named() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(
        dir.path(),
        &daphne.base(),
        IVAN_INACTIVE,
        &[("notifications", NOTIFICATIONS, "")],
    );
    let (code, report) = check(&config).await;
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        token_check(&report),
        (Some(401), "inactive", Some("User inactive or deleted."))
    );
    assert_endpoint(
        &report,
        0,
        ("closed", Some(403), Some(1006), "auth_rejected"),
    );
    let s = summary(&report, 0);
    assert!(s.contains("account is inactive"), "{s}");
    assert!(
        fixes(&report, 0)[0].contains("Reactivate the user"),
        "{report:#}"
    );
}

#[tokio::test]
async fn wrong_auth_scheme_gets_drf_missing_credentials() {
    // DRF's TokenAuthentication ignores "Bearer": the REST API sees no
    // credentials, while the socket (token in the URL) opens.
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles_with(
        dir.path(),
        &daphne.base(),
        SANDRA,
        "auth_scheme = \"Bearer\"",
        &[("notifications", NOTIFICATIONS, "")],
    );
    let (code, report) = check(&config).await;
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["healthy"], false);
    assert_eq!(
        token_check(&report),
        (
            Some(401),
            "missing",
            Some("Authentication credentials were not provided.")
        )
    );
    assert_endpoint(&report, 0, ("open", Some(101), None, "ok"));
}

#[tokio::test]
async fn no_token_in_the_url_is_named_as_the_cause() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(
        dir.path(),
        &daphne.base(),
        SANDRA,
        &[("notifications", "{ws}/ws/notifications/", "")],
    );
    let (code, report) = check(&config).await;
    assert_eq!(code, 1, "{report:#}");
    // The token itself is fine: only the URL lacks it.
    assert_eq!(token_check(&report), (Some(200), "valid", None));
    assert_endpoint(
        &report,
        0,
        ("closed", Some(403), Some(1006), "auth_rejected"),
    );
    let s = summary(&report, 0);
    assert!(s.contains("the URL carries no token"), "{s}");
    assert!(s.contains("the token is fine"), "{s}");
    let f = fixes(&report, 0);
    assert!(
        f[0].contains("/ws/notifications/?token={token}"),
        "{report:#}"
    );
}

#[tokio::test]
async fn wrong_path_and_crashing_consumer_are_server_errors() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(
        dir.path(),
        &daphne.base(),
        SANDRA,
        &[
            ("typo", "{ws}/ws/notification/?token={token}", ""),
            ("crash", "{ws}/ws/crash/?token={token}", ""),
        ],
    );
    let (code, report) = check(&config).await;
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(token_check(&report), (Some(200), "valid", None));
    assert_endpoint(
        &report,
        0,
        ("closed", Some(500), Some(1006), "server_error"),
    );
    assert_endpoint(
        &report,
        1,
        ("closed", Some(500), Some(1006), "server_error"),
    );
    assert!(
        summary(&report, 0).contains("/ws/notification/"),
        "{report:#}"
    );
    assert!(
        summary(&report, 1).contains("connect() raised"),
        "{report:#}"
    );
    assert!(
        fixes(&report, 0)
            .iter()
            .any(|f| f.contains("path(\"ws/notification/\", …)")),
        "{report:#}"
    );
    let log = daphne.log_text();
    assert!(
        log.contains("No route found for path 'ws/notification/'"),
        "{log}"
    );
    assert!(log.contains("connect() crashed on purpose"), "{log}");
}

#[tokio::test]
async fn runserver_without_daphne_is_not_a_websocket_server() {
    let db = Db::fresh();
    let runserver = Server::runserver(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(
        dir.path(),
        &runserver.base(),
        SANDRA,
        &[("notifications", NOTIFICATIONS, "")],
    );
    let (code, report) = check(&config).await;
    assert_eq!(code, 1, "{report:#}");
    // The REST API works under WSGI; only the socket cannot.
    assert_eq!(token_check(&report), (Some(200), "valid", None));
    assert_endpoint(
        &report,
        0,
        ("closed", Some(404), Some(1006), "not_websocket_server"),
    );
    let s = summary(&report, 0);
    assert!(s.contains("WSGIServer"), "{s}");
    assert!(s.contains("runserver without Daphne"), "{s}");
    assert!(
        fixes(&report, 0)
            .iter()
            .any(|f| f.contains("daphne -b 127.0.0.1 -p")),
        "{report:#}"
    );
}

#[tokio::test]
async fn stopped_server_is_connection_refused() {
    let db = Db::fresh();
    let mut daphne = Server::daphne(&db);
    let base = daphne.base();
    daphne.kill();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(
        dir.path(),
        &base,
        SANDRA,
        &[("notifications", NOTIFICATIONS, "")],
    );
    let (code, report) = check(&config).await;
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(token_check(&report).1, "unreachable", "{report:#}");
    assert_endpoint(
        &report,
        0,
        ("closed", None, Some(1006), "connection_refused"),
    );
    let s = summary(&report, 0);
    assert!(s.contains(&format!("127.0.0.1:{}", daphne.port)), "{s}");
}

#[tokio::test]
async fn killed_server_gives_1006_then_retries_and_reconnects_after_restart() {
    let db = Db::fresh();
    let mut daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(
        dir.path(),
        &daphne.base(),
        SANDRA,
        &[("notifications", NOTIFICATIONS, "")],
    );
    let mut tail = Tail::start(&config, &[]);
    tail.until_type("open").await;
    daphne.kill();
    let closed = tail.until_type("closed").await;
    assert_eq!(closed["code"], 1006, "{closed}");
    assert_eq!(closed["clean"], false, "{closed}");
    assert_eq!(closed["by"], "network", "{closed}");
    assert_eq!(closed["handshake_status"], 101, "{closed}");
    assert_eq!(closed["diagnosis"]["kind"], "abnormal_closure", "{closed}");
    tail.until_type("retry_scheduled").await;
    // While it is down, the retries are refused.
    let refused = tail
        .until("a refused retry", |v| {
            v["type"] == "closed" && v["diagnosis"]["kind"] == "connection_refused"
        })
        .await;
    assert_eq!(refused["code"], 1006, "{refused}");
    let restarted = Server::daphne_on(&db, daphne.port);
    let open = tail.until_type("open").await;
    assert_eq!(open["handshake_status"], 101, "{open}");
    assert!(
        restarted
            .log_text()
            .contains("WSCONNECT /ws/notifications/")
    );
}

#[tokio::test]
async fn server_close_with_an_application_code_is_closed_by_server() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(
        dir.path(),
        &daphne.base(),
        OMAR,
        &[("notifications", NOTIFICATIONS, "")],
    );
    let mut tail = Tail::start(&config, &[]);
    tail.until_type("open").await;
    let (status, body) = daphne.post(
        "/api/kick/",
        OMAR,
        r#"{"code": 4000, "reason": "kicked by admin"}"#,
    );
    assert_eq!(status, 200, "{body}");
    let closed = tail.until_type("closed").await;
    assert_eq!(closed["code"], 4000, "{closed}");
    // Daphne 4.2 sends the code but drops the reason close() was given.
    assert_eq!(closed["reason"], "", "{closed}");
    assert_eq!(closed["by"], "server", "{closed}");
    assert_eq!(closed["clean"], true, "{closed}");
    assert_eq!(closed["diagnosis"]["kind"], "closed_by_server", "{closed}");
    let summary = closed["diagnosis"]["summary"].as_str().unwrap_or_default();
    assert!(summary.contains("4000"), "{closed}");
    // Not an auth code: wsmon reconnects.
    tail.until_type("retry_scheduled").await;
    tail.until_type("open").await;
}

#[tokio::test]
async fn server_close_with_4001_is_auth_rejected_and_stops_retrying() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(
        dir.path(),
        &daphne.base(),
        OMAR,
        &[("notifications", NOTIFICATIONS, "")],
    );
    let mut tail = Tail::start(&config, &[]);
    // With a token_check in the profile, tail starts with its result, so
    // the diagnosis of the close can use it.
    tail.until_type("token_check").await;
    tail.until_type("open").await;
    let (status, body) = daphne.post(
        "/api/kick/",
        OMAR,
        r#"{"code": 4001, "reason": "token revoked"}"#,
    );
    assert_eq!(status, 200, "{body}");
    let closed = tail.until_type("closed").await;
    assert_eq!(closed["code"], 4001, "{closed}");
    assert_eq!(closed["reason"], "", "{closed}");
    assert_eq!(closed["by"], "server", "{closed}");
    assert_eq!(closed["diagnosis"]["kind"], "auth_rejected", "{closed}");
    let summary = closed["diagnosis"]["summary"].as_str().unwrap_or_default();
    assert!(summary.contains("4001 \"token revoked\""), "{closed}");
    assert!(
        summary.contains("the REST API accepts the same token"),
        "{closed}"
    );
    let stopped = tail.until_type("stopped").await;
    assert_eq!(stopped["reason"], "auth_rejected", "{stopped}");
}

#[tokio::test]
async fn valid_token_refused_by_the_origin_validator_points_at_origin() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let strict = "{ws}/ws/strict/notifications/?token={token}";
    let config = profiles(
        dir.path(),
        &daphne.base(),
        SANDRA,
        &[
            ("strict", strict, ""),
            (
                "strict-origin",
                strict,
                "headers = { Origin = \"{server}\" }",
            ),
        ],
    );
    let (code, report) = check(&config).await;
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(token_check(&report), (Some(200), "valid", None));
    assert_endpoint(
        &report,
        0,
        ("closed", Some(403), Some(1006), "auth_rejected"),
    );
    let s = summary(&report, 0);
    assert!(
        s.contains("the REST API accepts the same token, so the token is fine"),
        "{s}"
    );
    let first = &fixes(&report, 0)[0];
    assert!(first.contains("AllowedHostsOriginValidator"), "{first}");
    assert!(
        first.contains(&format!("Origin = \"{}\"", daphne.base())),
        "{first}"
    );
    // The fix it names works: the same route with that Origin opens.
    assert_endpoint(&report, 1, ("open", Some(101), None, "ok"));
}

/// The Origin validator's 403 is named as such (`origin_refused`) when
/// the evidence says Origin, with ONE Origin to send, the socket's own
/// (a host ALLOWED_HOSTS holds, with its port): through the Django doctor
/// (`django_project`: the route is behind AllowedHostsOriginValidator and
/// the profile sends no Origin), and without it when the handshake sent a
/// foreign Origin and Daphne answered its bare 403.
#[tokio::test]
async fn the_origin_validators_403_is_origin_refused_with_one_origin_to_send() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let strict = "{ws}/ws/strict/notifications/?token={token}";
    let endpoints = [
        ("strict", strict, ""),
        (
            "foreign",
            strict,
            "headers = { Origin = \"http://evil.example\" }",
        ),
    ];
    let own = format!("Origin = \"{}\"", daphne.base());
    let one_origin = |report: &Value, i: usize| {
        let fixes = fixes(report, i);
        let origins: Vec<&String> = fixes.iter().filter(|f| f.contains("Origin = \"")).collect();
        assert_eq!(origins.len(), 1, "one Origin to send: {fixes:#?}");
        assert!(origins[0].contains(&own), "{own} in {fixes:#?}");
        assert!(fixes[0].contains(&own), "the Origin first: {fixes:#?}");
    };
    // Without the doctor: the missing Origin is one suspect among others
    // (auth_rejected, as before); the foreign one is the refusal.
    let plain = tempfile::tempdir().expect("tempdir");
    let config = profiles(plain.path(), &daphne.base(), SANDRA, &endpoints);
    let (code, report) = check(&config).await;
    assert_eq!(code, 1, "{report:#}");
    assert_endpoint(
        &report,
        0,
        ("closed", Some(403), Some(1006), "auth_rejected"),
    );
    assert_endpoint(
        &report,
        1,
        ("closed", Some(403), Some(1006), "origin_refused"),
    );
    let s = summary(&report, 1);
    assert!(s.contains("Origin \"http://evil.example\""), "{s}");
    assert!(!s.contains("refuses it"), "{s}");
    one_origin(&report, 1);
    // With the doctor: both are the Origin, one value each.
    let doctored = tempfile::tempdir().expect("tempdir");
    let extra = format!(
        "django_project = \"{}\"",
        django_support::project_dir().display()
    );
    let config = profiles_with(doctored.path(), &daphne.base(), SANDRA, &extra, &endpoints);
    let venv = django_support::python()
        .parent()
        .and_then(Path::parent)
        .expect("the venv of the interpreter")
        .to_path_buf();
    let out = wsmon(&config)
        .env("VIRTUAL_ENV", venv)
        .args(["check", "--format", "json"])
        .output()
        .await
        .expect("run wsmon check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    for i in 0..2 {
        assert_endpoint(
            &report,
            i,
            ("closed", Some(403), Some(1006), "origin_refused"),
        );
        assert!(
            summary(&report, i).contains("OriginValidator"),
            "{report:#}"
        );
        one_origin(&report, i);
    }
}
