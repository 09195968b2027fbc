//! `wsmon doctor` and `django_project` against the real Django Channels
//! project of `tests/django/` (its venv, built by `django_support`), the
//! real servers it runs under (runserver with and without `daphne` in
//! INSTALLED_APPS, Daphne) and a real redis-server (Debian `redis-server`)
//! for channels_redis: the doctor's findings on the command line and in
//! the diagnosis of `check` (an attempt's and the probe's).

mod django_support;
mod real;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use django_support::{Db, SANDRA, Server, project_dir, python, wsmon};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

/// The test venv's root (what `VIRTUAL_ENV` holds when it is active).
fn venv() -> PathBuf {
    python()
        .parent()
        .and_then(Path::parent)
        .expect("the venv of the interpreter")
        .to_path_buf()
}

/// A profiles file whose profile `me` has `django_project` = the test
/// project, `server`, and one endpoint per `(name, url)`; `extra` is
/// appended (e.g. a probe table).
fn profiles(dir: &Path, server: &str, endpoints: &[(&str, &str)], extra: &str) -> PathBuf {
    let mut text = format!(
        r#"default_profile = "me"

[settings]
connect_timeout = "20s"

[profiles.me]
server = "{server}"
token = "{SANDRA}"
django_project = "{}"
"#,
        project_dir().display()
    );
    for (name, url) in endpoints {
        text.push_str(&format!(
            "\n[[profiles.me.endpoints]]\nname = \"{name}\"\nurl = \"{url}\"\n"
        ));
    }
    text.push_str(extra);
    let path = dir.join("profiles.toml");
    std::fs::write(&path, text).expect("write profiles.toml");
    path
}

/// The real binary, with the test venv active and `settings` as
/// `DJANGO_SETTINGS_MODULE` (as a developer's shell would have them).
fn with_env(cmd: &mut tokio::process::Command, settings: &str, env: &[(&str, String)]) {
    cmd.env("VIRTUAL_ENV", venv())
        .env("DJANGO_SETTINGS_MODULE", settings)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null());
}

struct Run {
    code: i32,
    out: String,
    err: String,
}

async fn run(config: &Path, args: &[&str], settings: &str, env: &[(&str, String)]) -> Run {
    let mut cmd = wsmon(config);
    cmd.args(args);
    with_env(&mut cmd, settings, env);
    let out = cmd.output().await.expect("run wsmon");
    Run {
        code: out.status.code().expect("exit code"),
        out: String::from_utf8_lossy(&out.stdout).into_owned(),
        err: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.out)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}\nstderr: {}", run.out, run.err))
}

fn codes(findings: &Value, severity: &str) -> Vec<String> {
    findings
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["severity"] == severity)
        .map(|f| f["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn summary_of<'a>(findings: &'a Value, code: &str) -> &'a str {
    findings
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["code"] == code)
        .and_then(|f| f["summary"].as_str())
        .unwrap_or_else(|| panic!("no {code} in {findings:#}"))
}

/// `wsmon doctor` without a profiles file, on the command line only.
fn doctor_alone(args: &[&str], settings: &str, env: &[(&str, String)]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_wsmon"))
        .arg("doctor")
        .args(args)
        .env_remove("WSMON_CONFIG")
        .env_remove("VIRTUAL_ENV")
        .env("DJANGO_SETTINGS_MODULE", settings)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .output()
        .expect("run wsmon doctor");
    Run {
        code: out.status.code().expect("exit code"),
        out: String::from_utf8_lossy(&out.stdout).into_owned(),
        err: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn the_doctor_reads_the_project_with_its_own_interpreter() {
    let project = project_dir();
    let project = project.to_str().expect("utf-8 path");
    let py = python().to_str().expect("utf-8 path");
    let r = doctor_alone(
        &["--django", project, "--python", py, "--format", "json"],
        "project.settings",
        &[],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.out, r.err);
    let d = json(&r);
    let i = &d["inspection"];
    assert_eq!(i["asgi_application"], "project.asgi.application");
    assert_eq!(i["installed_apps"][0], "daphne");
    assert_eq!(
        i["channel_layers"][0]["backend"],
        "channels.layers.InMemoryChannelLayer"
    );
    let routes: Vec<&str> = (i["routes"].as_array().into_iter().flatten())
        .filter_map(|r| r["segments"][0]["route"].as_str())
        .collect();
    // The project's routes (notifications/routing.py), in its order.
    assert_eq!(
        routes[..3],
        ["ws/notifications/", "ws/strict/notifications/", "ws/crash/"],
        "{routes:?}"
    );
    // The strict route's AllowedHostsOriginValidator: ALLOWED_HOSTS.
    assert_eq!(
        i["routes"][1]["allowed_origins"],
        serde_json::json!(["127.0.0.1", "localhost"])
    );
    assert_eq!(codes(&d["findings"], "error"), Vec::<String>::new());
    assert_eq!(codes(&d["findings"], "warning"), ["in_memory"]);
    // Text for people.
    let r = doctor_alone(
        &["--django", project, "--python", py],
        "project.settings",
        &[],
    );
    assert_eq!(r.code, 0);
    assert!(
        r.out
            .contains("/ws/crash/  → notifications.consumers.CrashConsumer")
            && r.out.contains("healthy: 0 errors, 1 warning"),
        "{}",
        r.out
    );
}

#[test]
fn a_project_that_cannot_be_read_is_a_usage_error_with_the_exception() {
    let system = real::need("python3", "python3");
    let project = project_dir();
    // An interpreter without Django: manage.py's ImportError, its last line.
    let r = doctor_alone(
        &[
            "--django",
            project.to_str().expect("utf-8"),
            "--python",
            system.to_str().expect("utf-8"),
        ],
        "project.settings",
        &[],
    );
    assert_eq!(r.code, 2, "{}\n{}", r.out, r.err);
    assert!(
        r.err.contains("manage.py shell` failed: ") && r.err.contains("No module named 'django'"),
        "{}",
        r.err
    );
    // Settings that do not import: manage.py still starts, the script
    // says what raised (a finding: exit 1).
    let r = doctor_alone(
        &[
            "--django",
            project.to_str().expect("utf-8"),
            "--python",
            python().to_str().expect("utf-8"),
        ],
        "project.no_such_settings",
        &[],
    );
    assert_eq!(r.code, 1, "{}\n{}", r.out, r.err);
    assert!(
        r.out.contains(
            "ERROR Reading the settings raised: ModuleNotFoundError: No module named 'project.no_such_settings'"
        ) && !r.out.contains("INSTALLED_APPS"),
        "{}",
        r.out
    );
    // No manage.py.
    let empty = tempfile::tempdir().expect("tempdir");
    let r = doctor_alone(
        &["--django", empty.path().to_str().expect("utf-8")],
        "x",
        &[],
    );
    assert_eq!(r.code, 2);
    assert!(r.err.contains("has no manage.py"), "{}", r.err);
}

#[tokio::test]
async fn a_path_typo_is_caught_by_the_route_match_in_doctor_and_check() {
    let db = Db::fresh();
    let daphne = Server::daphne(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(
        dir.path(),
        &daphne.base(),
        &[
            ("good", "{ws}/ws/notifications/?token={token}"),
            ("typo", "{ws}/ws/notification/?token={token}"),
        ],
        "",
    );
    let r = run(&config, &["doctor"], "project.settings", &[]).await;
    assert_eq!(r.code, 1, "{}\n{}", r.out, r.err);
    assert!(
        r.out.contains(
            "ERROR [typo] no route matches `/ws/notification/`; did you mean `/ws/notifications/`?"
        ),
        "{}",
        r.out
    );
    assert!(
        r.out
            .contains("good  /ws/notifications/  route /ws/notifications/"),
        "{}",
        r.out
    );
    // The 500 of the real attempt carries the suggestion.
    let r = run(
        &config,
        &["check", "--format", "json"],
        "project.settings",
        &[],
    )
    .await;
    assert_eq!(r.code, 1, "{}", r.out);
    let report = json(&r);
    let typo = &report["endpoints"][1];
    assert_eq!(typo["handshake_status"], 500, "{typo:#}");
    let summary = typo["diagnosis"]["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("the Django doctor (")
            && summary.contains("did you mean `/ws/notifications/`?"),
        "{summary}"
    );
    assert_eq!(report["endpoints"][0]["state"], "open", "{report:#}");
    assert_eq!(
        report["django"]["endpoints"][1]["nearest"],
        "/ws/notifications/"
    );
}

#[tokio::test]
async fn runserver_without_daphne_is_named_by_process_and_by_the_doctor() {
    let settings = "project.settings_nodaphne";
    let db = Db::fresh();
    let server = Server::runserver_with(&db, settings, &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(
        dir.path(),
        &server.base(),
        &[("notifications", "{ws}/ws/notifications/?token={token}")],
        "",
    );
    let r = run(&config, &["check", "--format", "json"], settings, &[]).await;
    assert_eq!(r.code, 1, "{}", r.out);
    let report = json(&r);
    let e = &report["endpoints"][0];
    assert_eq!(e["handshake_status"], 404, "{e:#}");
    let command = e["served_by"]["command"].as_str().unwrap_or_default();
    assert!(command.contains("manage.py runserver"), "{command}");
    let summary = e["diagnosis"]["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("Served by Django's runserver")
            && summary.contains("`daphne` is not in INSTALLED_APPS"),
        "{summary}"
    );
    let findings = &report["django"]["findings"];
    assert_eq!(codes(findings, "error"), ["daphne_missing"]);
    assert!(
        summary_of(findings, "daphne_missing")
            .contains("It is what serves the profile's sockets now.")
    );
    // `wsmon doctor` on the profile (its django_project) says it too.
    let r = run(&config, &["doctor"], settings, &[]).await;
    assert_eq!(r.code, 1, "{}\n{}", r.out, r.err);
    assert!(
        r.out.contains("ERROR `daphne` is not in INSTALLED_APPS"),
        "{}",
        r.out
    );
}

#[tokio::test]
async fn runserver_with_daphne_works_and_the_doctor_agrees() {
    let db = Db::fresh();
    let server = Server::runserver_asgi(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(
        dir.path(),
        &server.base(),
        &[("notifications", "{ws}/ws/notifications/?token={token}")],
        "",
    );
    let r = run(
        &config,
        &["check", "--format", "json"],
        "project.settings",
        &[],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.out);
    let report = json(&r);
    assert_eq!(report["endpoints"][0]["diagnosis"]["kind"], "ok");
    assert_eq!(report["django"]["healthy"], true, "{:#}", report["django"]);
    assert_eq!(
        report["django"]["endpoints"][0]["consumer"],
        "notifications.consumers.NotificationConsumer"
    );
    // `tail` prints the doctor's reading once, as a `django` line.
    let mut cmd = wsmon(&config);
    cmd.arg("tail").stdout(Stdio::piped());
    with_env(&mut cmd, "project.settings", &[]);
    let mut tail = cmd.spawn().expect("start wsmon tail");
    let stdout = tail.stdout.take().expect("tail's stdout");
    let mut lines = BufReader::new(stdout).lines();
    let django = tokio::time::timeout(Duration::from_secs(120), async {
        while let Ok(Some(line)) = lines.next_line().await {
            let value: Value = serde_json::from_str(&line).expect("a JSON line");
            if value["type"] == "django" {
                return value;
            }
        }
        panic!("tail ended without a django line");
    })
    .await
    .expect("a django line within 120 s");
    let _ = tail.kill().await;
    assert_eq!(django["healthy"], true, "{django:#}");
    assert_eq!(django["endpoints"][0]["route"], "/ws/notifications/");
    let r = run(&config, &["doctor"], "project.settings", &[]).await;
    assert_eq!(r.code, 0, "{}\n{}", r.out, r.err);
    assert!(
        r.out.contains("ok    `daphne` is first in INSTALLED_APPS"),
        "{}",
        r.out
    );
}

fn redis() -> real::Proc {
    let redis_server = real::need("redis-server", "redis-server");
    real::Proc::on_free_port("redis-server", |port| {
        let mut cmd = Command::new(&redis_server);
        cmd.args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdin(Stdio::null());
        (
            cmd,
            real::work_dir().join(format!("doctor-redis-{port}.log")),
        )
    })
}

#[tokio::test]
async fn redis_stopped_under_channels_redis_is_an_unreachable_layer() {
    let settings = "project.settings_redis";
    let mut redis = redis();
    let env = [("WSMON_REDIS_PORT", redis.port.to_string())];
    let db = Db::fresh();
    let daphne = Server::daphne_with(&db, settings, &env);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = profiles(
        dir.path(),
        &daphne.base(),
        &[("notifications", "{ws}/ws/notifications/?token={token}")],
        "",
    );
    let r = run(&config, &["doctor", "--format", "json"], settings, &env).await;
    assert_eq!(r.code, 0, "{}\n{}", r.out, r.err);
    let d = json(&r);
    assert_eq!(d["reach"][0]["outcome"], "redis", "{d:#}");
    assert!(codes(&d["findings"], "ok").contains(&"layer_reachable".to_string()));
    // Redis goes away: the layer is unreachable, and the consumer's
    // group_add in connect() fails the upgrade (500).
    redis.kill();
    let r = run(&config, &["doctor"], settings, &env).await;
    assert_eq!(r.code, 1, "{}\n{}", r.out, r.err);
    let address = format!("127.0.0.1:{}", redis.port);
    assert!(
        r.out.contains(&format!(
            "ERROR Channel layer `default` (channels_redis.core.RedisChannelLayer) is unreachable: Redis at {address}"
        )),
        "{}",
        r.out
    );
    let r = run(&config, &["check", "--format", "json"], settings, &env).await;
    assert_eq!(r.code, 1, "{}", r.out);
    let report = json(&r);
    let e = &report["endpoints"][0];
    assert_eq!(e["handshake_status"], 500, "{e:#}\n{}", daphne.log_text());
    let summary = e["diagnosis"]["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains(&format!("Redis at {address}")),
        "{summary}"
    );
}

#[tokio::test]
async fn in_memory_layer_with_rest_in_a_second_process_fails_the_probe_and_is_explained() {
    let db = Db::fresh();
    // Sockets on Daphne, REST on a second process (runserver, ASGI):
    // each has its own InMemoryChannelLayer.
    let daphne = Server::daphne(&db);
    let rest = Server::runserver_asgi(&db);
    let dir = tempfile::tempdir().expect("tempdir");
    let socket_url = format!(
        "ws://127.0.0.1:{}/ws/notifications/?token={{token}}",
        daphne.port
    );
    let config = profiles(
        dir.path(),
        &rest.base(),
        &[("notifications", &socket_url)],
        "\n[profiles.me.probe]\npath = \"/api/notifications/\"\nbody = '{\"message\": \"probe {nonce}\"}'\ntimeout = \"3s\"\n",
    );
    let r = run(
        &config,
        &["check", "--probe", "--format", "json"],
        "project.settings",
        &[],
    )
    .await;
    assert_eq!(r.code, 1, "{}", r.out);
    let report = json(&r);
    assert_eq!(report["endpoints"][0]["state"], "open", "{report:#}");
    let probe = &report["probe"];
    assert_eq!(probe["reason"], "not_delivered", "{probe:#}");
    let why = probe["doctor"]["summary"].as_str().unwrap_or_default();
    assert!(
        why.contains("InMemoryChannelLayer")
            && why.contains(&format!("REST is served by port {}", rest.port))
            && why.contains(&format!("sockets are served by port {}", daphne.port))
            && why.contains("never reaches the sockets"),
        "{why}"
    );
    assert_eq!(
        codes(&report["django"]["findings"], "error"),
        ["in_memory_across_processes"]
    );
    // The text report says why under the probe line.
    let r = run(&config, &["check", "--probe"], "project.settings", &[]).await;
    assert_eq!(r.code, 1);
    assert!(
        r.out.contains("probe: FAILED, not_delivered")
            && r.out.contains("never reaches the sockets"),
        "{}",
        r.out
    );
}

/// `check` has no `--python`: the profile's `django_python` names the
/// project's interpreter for the doctor the engine runs (no VIRTUAL_ENV
/// here), and the advice for an interpreter without Django names that
/// field, not a flag `check` would refuse.
#[tokio::test]
async fn check_runs_the_doctor_with_the_profiles_django_python() {
    let system = real::need("python3", "python3");
    let dir = tempfile::tempdir().expect("tempdir");
    let check = |python: PathBuf| {
        let config = profiles(
            dir.path(),
            "http://127.0.0.1:9",
            &[],
            &format!(
                "django_python = \"{}\"\n\n[[profiles.me.endpoints]]\nname = \"n\"\nurl = \"{{ws}}/ws/notifications/\"\n",
                python.display()
            ),
        );
        async move {
            let mut cmd = wsmon(&config);
            cmd.args(["check", "--format", "json", "--timeout", "1s"])
                .env_remove("VIRTUAL_ENV")
                .env("DJANGO_SETTINGS_MODULE", "project.settings")
                .stdin(Stdio::null());
            let out = cmd.output().await.expect("run wsmon");
            let r = Run {
                code: out.status.code().expect("exit code"),
                out: String::from_utf8_lossy(&out.stdout).into_owned(),
                err: String::from_utf8_lossy(&out.stderr).into_owned(),
            };
            json(&r)["django"].clone()
        }
    };
    // The test venv's interpreter: the project is read.
    let django = check(python().to_path_buf()).await;
    assert_eq!(django["python"].as_str(), python().to_str(), "{django:#}");
    assert!(django["inspection"].is_object(), "{django:#}");
    assert!(
        !codes(&django["findings"], "error").contains(&"inspection_failed".to_string()),
        "{django:#}"
    );
    // An interpreter without Django: the fix names django_python.
    let django = check(system.clone()).await;
    assert_eq!(django["python"].as_str(), system.to_str(), "{django:#}");
    let failed = summary_of(&django["findings"], "inspection_failed");
    assert!(
        failed.contains("No module named 'django'")
            && failed.contains("django_python")
            && !failed.contains("pass the project's with --python"),
        "{failed}"
    );
}
