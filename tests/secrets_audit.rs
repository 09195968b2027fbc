//! The secrets audit: one profile with a secret in every place a secret
//! goes (the token, another user's token pasted into a URL, an
//! `access_token` parameter, URL userinfo, `Authorization`, `Cookie` and
//! `X-Api-Key` headers, the proxy's password), run against a real server
//! that echoes them back (in a message, a 401 body, a `Location` and a
//! close reason) through a real tinyproxy, and every output path read:
//! `check` (text and JSON), `tail`, `profiles`, the dashboard's screen and
//! its export (`e`), the `Y` commands (not confirmed), stdout, stderr and
//! the log file. No secret may appear whole anywhere.

mod common;
mod real;
mod safety_support;

use std::path::Path;
use std::time::Duration;

use common::dash::{drive, key};
use safety_support::*;
use wsmon::app::App;
use wsmon::facts::{Event, SessionEvent};
use wsmon::session::{Mode, Supervisor, channel};

/// What the REST API takes; the profile's token is another.
const GOOD: &str = "good-token-0123456789abcdef";

struct Secrets {
    token: &'static str,
    other_user: &'static str,
    access: &'static str,
    url_password: &'static str,
    bearer_cookie: &'static str,
    csrf: &'static str,
    api_key: &'static str,
    proxy_password: &'static str,
}

const S: Secrets = Secrets {
    token: "tok-PROFILE-5f1c2d3e4f5a6b7c8d9e0f11",
    other_user: "tok-OTHERUSER-aec8e0e9a0b3d8637b89",
    access: "acc-ACCESS-0a1b2c3d4e5f6a7b8c9d",
    url_password: "pw-URLINFO-9f8e7d6c5b4a3928",
    bearer_cookie: "ck-SESSION-1234567890abcdefgh",
    csrf: "ck-CSRF-abcdefgh1234567890xy",
    api_key: "key-APIKEY-0011223344556677",
    proxy_password: "pw-PROXY-8877665544332211",
};

fn all() -> [&'static str; 8] {
    [
        S.token,
        S.other_user,
        S.access,
        S.url_password,
        S.bearer_cookie,
        S.csrf,
        S.api_key,
        S.proxy_password,
    ]
}

fn profiles(dir: &Path, backend: u16, proxy: u16) -> String {
    let text = format!(
        r#"default_profile = "audit"
[settings]
connect_timeout = "4s"
reconnect_min = "2s"
reconnect_max = "5s"

[profiles.audit]
server = "http://127.0.0.1:{backend}"
token = "{token}"
token_check = "/api/me/"
proxy = "http://wsmon:{proxy_password}@127.0.0.1:{proxy}"

[[profiles.audit.endpoints]]
name = "echo"
url = "ws://127.0.0.1:{backend}/ws/echo/?token={other}&access_token={access}&room=lobby"
headers = {{ Authorization = "Bearer {{token}}", Cookie = "sessionid={cookie}; csrftoken={csrf}", X-Api-Key = "{api_key}" }}

[[profiles.audit.endpoints]]
name = "moved"
url = "ws://127.0.0.1:{backend}/ws/moved/?token={other}"

[[profiles.audit.endpoints]]
name = "userinfo"
url = "ws://audit:{url_password}@127.0.0.1:{backend}/ws/"
"#,
        token = S.token,
        other = S.other_user,
        access = S.access,
        cookie = S.bearer_cookie,
        csrf = S.csrf,
        api_key = S.api_key,
        url_password = S.url_password,
        proxy_password = S.proxy_password,
    );
    let path = dir.join("profiles.toml");
    std::fs::write(&path, text).expect("write profiles");
    // Private, as wsmon asks of a file holding tokens (else it warns).
    std::fs::set_permissions(&path, {
        let mut p = perms(&path);
        std::os::unix::fs::PermissionsExt::set_mode(&mut p, 0o600);
        p
    })
    .expect("chmod 600");
    path.display().to_string()
}

fn perms(path: &Path) -> std::fs::Permissions {
    std::fs::metadata(path).expect("stat").permissions()
}

fn assert_clean(what: &str, text: &str) {
    for secret in all() {
        assert!(
            !text.contains(secret),
            "{what} shows {secret} whole:\n{text}"
        );
    }
}

#[tokio::test]
async fn no_secret_appears_whole_on_any_output_path() {
    let dir = real::scratch("audit");
    let backend = backend(GOOD).await;
    let proxy = Tinyproxy::start(&format!("BasicAuth wsmon {}", S.proxy_password));
    let config = profiles(dir.path(), backend, proxy.proc.port);

    // The headless commands, through the real binary.
    let mut seen = Vec::new();
    for args in [
        vec!["--config", &config, "check"],
        vec!["--config", &config, "check", "--format", "json"],
        vec!["--config", &config, "tail", "--duration", "1500ms"],
        vec!["--config", &config, "profiles"],
    ] {
        let out = wsmon(&args, dir.path(), &[]).await;
        seen.push((args.join(" "), stdout(&out), stderr(&out)));
    }
    for (args, out, err) in &seen {
        assert_clean(&format!("`{args}` stdout"), out);
        assert_clean(&format!("`{args}` stderr"), err);
    }
    // The server did echo them, and the echoes were seen (redacted).
    let (check_text, check_json, tail) = (&seen[0].1, &seen[1].1, &seen[2].1);
    assert!(tail.contains("you_sent"), "{tail}");
    assert!(tail.contains("\"bye tok-OTH"), "close reason: {tail}");
    assert!(check_text.contains("reason: bye tok-OTH"), "{check_text}");
    assert!(
        check_json.contains("sso.example.com"),
        "Location: {check_json}"
    );
    assert!(
        check_json.contains("Invalid token. got Token tok-PR"),
        "{check_json}"
    );
    assert!(
        proxy.log().contains("CONNECT 127.0.0.1:"),
        "not through the proxy: {}",
        proxy.log()
    );

    // The dashboard, in this process, on a real engine: its screen, the
    // export of the echo endpoint, and the `Y` commands unconfirmed.
    let parsed = wsmon::config::validate::parse(
        Path::new(&config),
        &std::fs::read_to_string(&config).expect("read"),
    )
    .expect("valid");
    let profile = parsed.profiles[0].activate().expect("activate");
    let tls = parsed.profiles[0].tls.clone();
    for index in 0..profile.endpoints.len() {
        let commands = wsmon::app::reproduce::commands(&profile, &tls, index, false);
        assert_clean("the Y commands", &commands);
    }
    let (mut app, app_tx) = App::detached(parsed, 0, profile.clone());
    app.export_dir = Some(dir.path().join("exports"));
    let (tx, mut rx) = channel();
    let supervisor = Supervisor::start(
        profile.clone(),
        Mode::Once {
            hold: Duration::from_millis(300),
        },
        tx,
    );
    let mut closed = 0;
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(event) = rx.recv().await {
            if let Event::Session {
                event: SessionEvent::Closed(_),
                ..
            } = &event
            {
                closed += 1;
            }
            app_tx.send(event).await.expect("app listening");
            if closed == profile.endpoints.len() {
                break;
            }
        }
    })
    .await
    .expect("every endpoint tried once");
    supervisor.shutdown().await;
    let screen = drive(&mut app, 160, 40, vec![key('e')]).await;
    assert_clean("the dashboard", &screen);
    // (Unless this machine's NO_PROXY sends loopback around the proxy.)
    if std::env::var_os("NO_PROXY").is_none() && std::env::var_os("no_proxy").is_none() {
        assert!(
            screen.contains(&format!(
                "via proxy  http://127.0.0.1:{} (HTTP CONNECT)",
                proxy.proc.port
            )),
            "{screen}"
        );
    }
    let exports: Vec<_> = std::fs::read_dir(dir.path().join("exports"))
        .expect("exports dir")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(exports.len(), 1, "{screen}");
    let mode = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).expect("stat").permissions().mode() & 0o777
    };
    assert_eq!(mode(&exports[0]), 0o600, "the export is not private");
    let export = std::fs::read_to_string(&exports[0]).expect("read the export");
    assert!(export.contains("you_sent"), "{export}");
    assert_clean("the export", &export);

    // The log file of every run above.
    let log = std::fs::read_to_string(dir.path().join("wsmon.log")).unwrap_or_default();
    assert!(
        log.contains("attempt failed") || log.contains("socket closed"),
        "{log}"
    );
    // The session's span names the endpoint and its (redacted) URL on
    // each of its lines; assert_clean below holds them to no secret.
    assert!(log.contains("session{endpoint="), "{log}");
    assert!(log.contains(" url="), "{log}");
    assert_clean("the log file", &log);
    assert_eq!(
        mode(&dir.path().join("wsmon.log")),
        0o600,
        "the log is not private"
    );
}

#[tokio::test]
async fn a_log_file_others_can_read_is_tightened_with_a_notice() {
    use std::os::unix::fs::PermissionsExt;
    let dir = real::scratch("audit-log");
    let log = dir.path().join("wsmon.log");
    std::fs::write(&log, "earlier line\n").expect("write");
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let config = profiles(dir.path(), 9, 9);
    let out = wsmon(&["--config", &config, "profiles"], dir.path(), &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let notice = stderr(&out);
    assert_eq!(notice.lines().count(), 1, "{notice}");
    assert!(
        notice.contains("was readable by others (mode 644); it is now 0600"),
        "{notice}"
    );
    let mode = std::fs::metadata(&log).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&log).expect("read");
    assert!(text.starts_with("earlier line\n"), "{text}");
    // Once private, nothing more is said.
    let out = wsmon(&["--config", &config, "profiles"], dir.path(), &[]).await;
    assert_eq!(stderr(&out), "");
}
