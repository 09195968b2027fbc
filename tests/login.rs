//! Logging in (`[profiles.NAME.login]`) against the real Django project of
//! `tests/django/` under Daphne: DRF `obtain_auth_token`, simplejwt (15 s
//! access tokens, a socket that closes with 4001 when its token expires),
//! Django's `LoginView` with CSRF and a cookie-authenticated socket behind
//! `AllowedHostsOriginValidator`, and django-oauth-toolkit's client
//! credentials. Passwords and the OAuth2 application come from
//! `tests/django/accounts/management/commands/setup_accounts.py`.
//!
//! The first run builds a Python venv under `target/tmp/django-venv` (see
//! `tests/django_support/mod.rs`); python3 and PyPI must be reachable then.

mod django_support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use django_support::{Db, OMAR, SANDRA, Server, wsmon};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

/// Generous: a loaded 2-core machine runs Python slowly (and Django
/// hashes each password for about half a second).
const EVENT_TIMEOUT: Duration = Duration::from_secs(60);

/// The environment the profiles below read their secrets from.
const ENV: [(&str, &str); 4] = [
    ("SANDRA_PASSWORD", "sandra-password-0001"),
    ("OMAR_PASSWORD", "omar-password-0001"),
    ("IVAN_PASSWORD", "ivan-password-0001"),
    ("CLIENT_SECRET", "wsmon-client-secret-0123456789"),
];

/// A profiles file with one profile `me` of `server`: `login` is the body
/// of its `[profiles.me.login]` table, `endpoint` its one endpoint's URL.
fn profiles(dir: &Path, server: &str, extra: &str, login: &str, endpoint: &str) -> PathBuf {
    let text = format!(
        r#"[settings]
connect_timeout = "20s"
reconnect_min = "100ms"
reconnect_max = "500ms"

[profiles.me]
server = "{server}"
{extra}

[profiles.me.login]
{login}

[[profiles.me.endpoints]]
name = "notifications"
url = "{endpoint}"
"#
    );
    let path = dir.join("profiles.toml");
    std::fs::write(&path, text).expect("write profiles.toml");
    path
}

fn command(config: &Path) -> tokio::process::Command {
    let mut cmd = wsmon(config);
    cmd.envs(ENV);
    cmd
}

/// `wsmon check --format json`: the exit code and the report.
async fn check(config: &Path) -> (i32, Value, String) {
    let out = command(config)
        .args(["check", "--format", "json"])
        .output()
        .await
        .expect("run wsmon check");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "check printed no JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exit code"), report, stdout)
}

/// A running `wsmon tail`, read line by line.
struct Tail {
    _child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    seen: Vec<Value>,
    /// Every line as printed (to look for secrets).
    raw: String,
}

impl Tail {
    fn start(config: &Path) -> Tail {
        let mut child = command(config)
            .arg("tail")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start wsmon tail");
        let stdout = child.stdout.take().expect("tail stdout");
        Tail {
            _child: child,
            lines: BufReader::new(stdout).lines(),
            seen: Vec::new(),
            raw: String::new(),
        }
    }

    /// The next line for which `want` holds, within `timeout`.
    async fn until_within(
        &mut self,
        timeout: Duration,
        what: &str,
        want: impl Fn(&Value) -> bool,
    ) -> Value {
        let found = tokio::time::timeout(timeout, async {
            while let Some(line) = self.lines.next_line().await.expect("read tail") {
                self.raw.push_str(&line);
                self.raw.push('\n');
                let v: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("tail line is not JSON ({e}): {line}"));
                self.seen.push(v.clone());
                if want(&v) {
                    return Some(v);
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(v)) => v,
            Ok(None) => panic!("tail ended before {what}; it printed:\n{}", self.raw),
            Err(_) => panic!("no {what} within {timeout:?}; tail printed:\n{}", self.raw),
        }
    }

    async fn until(&mut self, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        self.until_within(EVENT_TIMEOUT, what, want).await
    }

    async fn until_type(&mut self, kind: &str) -> Value {
        self.until(kind, |v| v["type"] == kind).await
    }

    /// A line of `kind` printed already or still to come (tail holds
    /// the first events until the token check, so order varies).
    async fn seen_or_until(&mut self, kind: &str) -> Value {
        match self.seen.iter().find(|v| v["type"] == kind) {
            Some(v) => v.clone(),
            None => self.until_type(kind).await,
        }
    }
}

/// The four kinds: `(name, extra profile lines, login table, endpoint URL,
/// the static DRF token of the user the socket belongs to)`.
fn kinds() -> [(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
); 4] {
    [
        (
            "drf_token",
            "token_check = \"/api/me/\"",
            "kind = \"drf_token\"\nurl = \"/api-token-auth/\"\nusername = \"sandra\"\npassword_env = \"SANDRA_PASSWORD\"",
            "{ws}/ws/notifications/?token={token}",
            SANDRA,
        ),
        (
            "jwt",
            "auth_scheme = \"Bearer\"\ntoken_check = \"/api/me/\"",
            "kind = \"jwt\"\nurl = \"/api/jwt/\"\nusername = \"omar\"\npassword_env = \"OMAR_PASSWORD\"\nrefresh_url = \"/api/jwt/refresh/\"",
            "{ws}/ws/jwt/notifications/?token={token}",
            OMAR,
        ),
        (
            // The application acts for omar; DRF sees no user behind a
            // client-credentials token, so no token_check here.
            "oauth2_client_credentials",
            "auth_scheme = \"Bearer\"",
            "kind = \"oauth2_client_credentials\"\nurl = \"/o/token/\"\nclient_id = \"wsmon-ci\"\nclient_secret_env = \"CLIENT_SECRET\"\nscope = \"read\"",
            "{ws}/ws/oauth/notifications/?token={token}",
            OMAR,
        ),
        (
            "django_session",
            "token_check = \"/api/me/\"",
            "kind = \"django_session\"\nurl = \"/accounts/login/\"\nusername = \"sandra\"\npassword_env = \"SANDRA_PASSWORD\"",
            "{ws}/ws/session/notifications/",
            SANDRA,
        ),
    ]
}

#[tokio::test]
async fn each_login_kind_opens_a_socket_that_gets_its_users_notification() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    for (kind, extra, login, url, user_token) in kinds() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = profiles(dir.path(), &daphne.base(), extra, login, url);
        let mut tail = Tail::start(&config);
        let login = tail.until_type("login").await;
        assert_eq!(login["kind"], kind, "{login}");
        assert_eq!(login["ok"], true, "{kind}: {login}");
        assert_eq!(login["verdict"], "logged_in", "{kind}: {login}");
        let open = tail.until_type("open").await;
        assert_eq!(open["handshake_status"], 101, "{kind}: {open}");
        if extra.contains("token_check") {
            // The REST API takes the login's credential too (Bearer JWT,
            // the session cookie).
            let check = tail.seen_or_until("token_check").await;
            assert_eq!(check["verdict"], "valid", "{kind}: {check}");
        }
        let text = format!("for {kind} only");
        let (status, body) = daphne.post(
            "/api/notifications/",
            user_token,
            &format!(r#"{{"message": "{text}"}}"#),
        );
        assert_eq!(status, 201, "{body}");
        let message = tail
            .until("the notification", |v| {
                v["type"] == "message" && v["data"].as_str().is_some_and(|d| d.contains(&text))
            })
            .await;
        assert_eq!(message["endpoint"], "notifications");
        // Obtained secrets never print: not the token in the URL, not the
        // password, not the cookie.
        let log = std::fs::read_to_string(config.with_file_name("wsmon.log")).unwrap_or_default();
        for (_, secret) in ENV {
            assert!(!tail.raw.contains(secret), "{kind} printed {secret}");
            assert!(!log.contains(secret), "{kind} logged {secret}");
        }
        // The token the DRF login obtained is the user's DRF token.
        if kind == "drf_token" {
            assert!(!tail.raw.contains(user_token), "{}", tail.raw);
            assert!(!log.contains(user_token), "{log}");
        }
        let shown = open["url"].as_str().unwrap_or_default();
        assert!(!shown.contains("wsmon-login-pending"), "{open}");
        drop(tail);
    }
}

#[tokio::test]
async fn failed_logins_are_diagnosed_and_check_exits_1() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let ws = "{ws}/ws/session/notifications/";
    let cases = [
        (
            "a wrong password (DRF)",
            "kind = \"drf_token\"\nurl = \"/api-token-auth/\"\nusername = \"sandra\"\npassword_env = \"OMAR_PASSWORD\"",
            400,
            "wrong_password",
            "Unable to log in with provided credentials.",
        ),
        (
            "a wrong password (simplejwt)",
            "kind = \"jwt\"\nurl = \"/api/jwt/\"\nusername = \"omar\"\npassword_env = \"SANDRA_PASSWORD\"",
            401,
            "wrong_password",
            "No active account found with the given credentials",
        ),
        (
            "an inactive user (LoginView)",
            "kind = \"django_session\"\nurl = \"/accounts/login/\"\nusername = \"ivan\"\npassword_env = \"IVAN_PASSWORD\"",
            200,
            "inactive_account",
            "This account is inactive.",
        ),
        (
            "a wrong password (LoginView)",
            "kind = \"django_session\"\nurl = \"/accounts/login/\"\nusername = \"ivan\"\npassword_env = \"OMAR_PASSWORD\"",
            200,
            "wrong_password",
            "Please enter a correct username and password.",
        ),
        (
            "a wrong client secret (OAuth2)",
            "kind = \"oauth2_client_credentials\"\nurl = \"/o/token/\"\nclient_id = \"wsmon-ci\"\nclient_secret_env = \"OMAR_PASSWORD\"",
            401,
            "wrong_password",
            "invalid_client",
        ),
        (
            "no such endpoint",
            "kind = \"drf_token\"\nurl = \"/api/no-such-login/\"\nusername = \"sandra\"\npassword_env = \"SANDRA_PASSWORD\"",
            404,
            "no_such_endpoint",
            "",
        ),
    ];
    for (what, login, status, verdict, words) in cases {
        let config = profiles(dir.path(), &daphne.base(), "", login, ws);
        let (code, report, text) = check(&config).await;
        assert_eq!(code, 1, "{what}: {report}");
        let got = &report["login"];
        assert_eq!(got["ok"], false, "{what}: {got}");
        assert_eq!(got["status"], status, "{what}: {got}");
        assert_eq!(got["verdict"], verdict, "{what}: {got}");
        let detail = got["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(words), "{what}: {got}");
        assert_eq!(report["health"]["word"], "down", "{what}: {report}");
        let reason = report["health"]["reasons"][0].as_str().unwrap_or_default();
        assert!(reason.starts_with("login failed: "), "{what}: {reason}");
        let endpoint = &report["endpoints"][0];
        assert_eq!(
            endpoint["diagnosis"]["kind"], "auth_rejected",
            "{what}: {endpoint}"
        );
        let summary = endpoint["diagnosis"]["summary"]
            .as_str()
            .unwrap_or_default();
        assert!(
            summary.starts_with("Not dialled: the login failed"),
            "{what}: {summary}"
        );
        for (_, secret) in ENV {
            assert!(!text.contains(secret), "{what} printed {secret}");
        }
    }
    // The same words in text, and a server that is not there.
    let port = django_support::free_port();
    let config = profiles(
        dir.path(),
        &format!("http://127.0.0.1:{port}"),
        "",
        "kind = \"drf_token\"\nurl = \"/api-token-auth/\"\nusername = \"sandra\"\npassword_env = \"SANDRA_PASSWORD\"",
        ws,
    );
    let out = command(&config).arg("check").output().await.expect("check");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("login drf_token as sandra: server unreachable (no answer"),
        "{text}"
    );
}

/// simplejwt's access tokens live 15 s and the socket closes with 4001
/// when its token expires: the session renews the token (refresh) before
/// that and reconnects with it, three lifetimes and more, never stopping.
/// A 4001 that does come (a kick) asks for a new token and reconnects.
#[tokio::test]
async fn a_jwt_session_outlives_three_token_lifetimes_without_stopping() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, extra, login, url, _) = kinds()[1];
    let config = profiles(dir.path(), &daphne.base(), extra, login, url);
    let mut tail = Tail::start(&config);
    let first = tail.until_type("login").await;
    assert_eq!(first["step"], "login", "{first}");
    let first_expiry = first["expires_at"]
        .as_str()
        .expect("expires_at")
        .to_string();
    tail.until_type("open").await;
    // Refreshes, each before the token it replaces expires, until three
    // lifetimes (45 s) have passed since the first login; every time the
    // socket reconnects with the new token (a close of wsmon's own, then
    // open again).
    let started = humantime::parse_rfc3339(first["ts"].as_str().unwrap_or_default()).expect("ts");
    let mut expiry = first_expiry;
    let mut n = 0;
    loop {
        n += 1;
        let refresh = tail
            .until_within(Duration::from_secs(30), "a refresh", |v| {
                v["type"] == "login" || v["type"] == "stopped"
            })
            .await;
        assert_eq!(refresh["type"], "login", "refresh {n}: {}", tail.raw);
        assert_eq!(refresh["step"], "refresh", "refresh {n}: {refresh}");
        assert_eq!(refresh["ok"], true, "refresh {n}: {refresh}");
        let at = humantime::parse_rfc3339(refresh["ts"].as_str().unwrap_or_default()).expect("ts");
        let old = humantime::parse_rfc3339(&expiry).expect("expires_at");
        assert!(
            at < old,
            "refresh {n} came after the token expired: {refresh}"
        );
        expiry = refresh["expires_at"]
            .as_str()
            .expect("expires_at")
            .to_string();
        let reopened = tail
            .until("open again", |v| {
                v["type"] == "open" || v["type"] == "stopped"
            })
            .await;
        assert_eq!(reopened["type"], "open", "refresh {n}: {}", tail.raw);
        let now =
            humantime::parse_rfc3339(reopened["ts"].as_str().unwrap_or_default()).expect("ts");
        if now.duration_since(started).unwrap_or_default() >= Duration::from_secs(45) {
            break;
        }
        assert!(n < 10, "refreshes come too often: {}", tail.raw);
    }
    assert!(n >= 3, "{}", tail.raw);
    // Only wsmon's own closes so far: the server never had to close a
    // socket for an expired token.
    let closes: Vec<&Value> = tail.seen.iter().filter(|v| v["type"] == "closed").collect();
    assert!(closes.len() >= 3, "{}", tail.raw);
    for close in closes {
        assert_eq!(close["code"], 1000, "{close}");
        assert_eq!(close["by"], "client", "{close}");
    }
    // A 4001 from the server (omar kicked): a new token, then open again.
    let (status, body) = daphne.post("/api/kick/", OMAR, r#"{"code": 4001, "reason": "expired"}"#);
    assert_eq!(status, 200, "{body}");
    let kicked = tail
        .until("the 4001", |v| v["type"] == "closed" && v["code"] == 4001)
        .await;
    assert_eq!(kicked["by"], "server", "{kicked}");
    let renewed = tail
        .until("a renewal", |v| {
            v["type"] == "login" || v["type"] == "stopped"
        })
        .await;
    assert_eq!(renewed["type"], "login", "{}", tail.raw);
    let reopened = tail
        .until("open after the kick", |v| {
            v["type"] == "open" || v["type"] == "stopped"
        })
        .await;
    assert_eq!(reopened["type"], "open", "{}", tail.raw);
    assert!(
        tail.seen.iter().all(|v| v["type"] != "stopped"),
        "{}",
        tail.raw
    );
}

#[tokio::test]
async fn profiles_says_how_a_profile_logs_in_without_doing_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Nothing listens there, and no password variable is set: listing
    // must not need either.
    let config = profiles(
        dir.path(),
        "http://127.0.0.1:9",
        "",
        "kind = \"jwt\"\nurl = \"/api/jwt/\"\nusername = \"omar\"\npassword_command = [\"false\"]\nrefresh_url = \"/api/jwt/refresh/\"",
        "{ws}/ws/jwt/notifications/?token={token}",
    );
    let out = wsmon(&config)
        .arg("profiles")
        .output()
        .await
        .expect("profiles");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("login        jwt POST http://127.0.0.1:9/api/jwt/ as omar, password from command false, refresh http://127.0.0.1:9/api/jwt/refresh/"),
        "{text}"
    );
    // Activating it runs the command, which fails: a config error, exit 2.
    let out = wsmon(&config).arg("check").output().await.expect("check");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("profile `me`: cannot log in: password: `false` failed"),
        "{err}"
    );
}

/// A Django session login sends the site's own Origin on its handshakes:
/// the doctor (`django_project`) must count it as sent, not report "the
/// profile sends no Origin header" for a socket behind
/// `AllowedHostsOriginValidator` that opens.
#[tokio::test]
async fn the_doctor_counts_a_session_logins_origin_as_sent() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, extra, login, url, _) = kinds()[3];
    let project = django_support::project_dir();
    let extra = format!("{extra}\ndjango_project = \"{}\"", project.display());
    let config = profiles(dir.path(), &daphne.base(), &extra, login, url);
    let venv = django_support::python()
        .parent()
        .and_then(Path::parent)
        .expect("the venv of the interpreter")
        .to_path_buf();
    let out = command(&config)
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
    assert_eq!(
        report["endpoints"][0]["handshake_status"], 101,
        "{report:#}"
    );
    let findings = report["django"]["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no doctor findings: {report:#}"));
    let codes: Vec<&str> = (findings.iter())
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(codes.contains(&"route_found"), "{codes:?}");
    assert!(!codes.contains(&"origin_refused"), "{:#}", report["django"]);
    assert_eq!(out.status.code(), Some(0), "{report:#}");
}

/// `tail` after a refused login: the sessions never dial, so without a
/// line of their own a consumer tracking each endpoint would never hear
/// of them. Right after the `login` line comes one `not_dialled` line per
/// endpoint, with the diagnosis `check` gives it.
#[tokio::test]
async fn tail_names_each_endpoint_a_failed_login_keeps_from_dialling() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    // sandra with omar's password; two endpoints.
    let login = "kind = \"drf_token\"\nurl = \"/api-token-auth/\"\nusername = \"sandra\"\npassword_env = \"OMAR_PASSWORD\"";
    let orders = "[[profiles.me.endpoints]]\nname = \"orders\"\nurl = \"{ws}/ws/notifications/?token={token}\"";
    let url = "{ws}/ws/notifications/?token={token}";
    let config = profiles(dir.path(), &daphne.base(), orders, login, url);
    let mut tail = Tail::start(&config);
    let got = tail.until_type("login").await;
    assert_eq!(got["ok"], false, "{}", tail.raw);
    assert_eq!(got["verdict"], "wrong_password", "{}", tail.raw);
    // They follow the login line at once (same write).
    let mut named = Vec::new();
    while named.len() < 2 {
        let line = tail
            .until_within(Duration::from_secs(10), "a not_dialled line", |v| {
                v["type"] == "not_dialled"
            })
            .await;
        assert_eq!(line["profile"], "me", "{line}");
        assert_eq!(line["reason"], "login_failed", "{line}");
        assert_eq!(line["verdict"], "wrong_password", "{line}");
        assert_eq!(line["diagnosis"]["kind"], "auth_rejected", "{line}");
        let summary = line["diagnosis"]["summary"].as_str().unwrap_or_default();
        assert!(
            summary.starts_with("Not dialled: the login failed: wrong password"),
            "{line}"
        );
        named.push(line["endpoint"].as_str().unwrap_or_default().to_owned());
    }
    named.sort();
    assert_eq!(named, ["notifications", "orders"], "{}", tail.raw);
    assert!(
        tail.seen.iter().all(|v| v["type"] != "connecting"),
        "{}",
        tail.raw
    );
    for (_, secret) in ENV {
        assert!(!tail.raw.contains(secret), "printed {secret}");
    }
}
