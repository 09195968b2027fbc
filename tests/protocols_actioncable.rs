//! Action Cable end to end against a real one: Debian `ruby-actioncable`
//! 6.1 under `puma` (tests/servers/ruby/actioncable.ru), which pings every
//! 3 s and broadcasts a notification every 300 ms to subscribers.

mod protocols_support;
mod real;

use std::sync::OnceLock;
use std::time::Duration;

use protocols_support::{Config, Lines, check, wsmon};
use real::Proc;

fn cable() -> &'static Proc {
    static P: OnceLock<Proc> = OnceLock::new();
    P.get_or_init(|| {
        let puma = real::need("puma", "puma");
        // Fails with the package name when Action Cable itself is missing.
        let probe = std::process::Command::new("ruby")
            .args(["-e", "require 'action_cable'"])
            .status();
        assert!(
            probe.is_ok_and(|s| s.success()),
            "Action Cable is not installed: apt-get install ruby-actioncable puma (.ci/run installs it)"
        );
        let logs = Box::leak(Box::new(real::scratch("actioncable")));
        let ru = real::servers_dir().join("ruby/actioncable.ru");
        Proc::on_free_port("puma + Action Cable", |port| {
            let mut cmd = std::process::Command::new(&puma);
            cmd.arg("-b")
                .arg(format!("tcp://127.0.0.1:{port}"))
                .args(["-t", "1:4"])
                .arg(&ru)
                .current_dir(logs.path());
            (protocols_support::until_tests_end(cmd), logs.path().join(format!("puma-{port}.log")))
        })
    })
}

fn profiles() -> Config {
    let http = cable().http();
    let endpoint = |profile: &str, channel: &str, protocol: bool| {
        let protocol = if protocol {
            format!(
                "protocol = \"actioncable\"\n[profiles.{profile}.endpoints.actioncable]\nchannel = '{{\"channel\": \"{channel}\"}}'"
            )
        } else {
            String::new()
        };
        format!(
            r#"
[[profiles.{profile}.endpoints]]
name = "cable"
url = "{{ws}}/cable?token={{token}}"
headers = {{ Origin = "https://app.example.com" }}
{protocol}
"#
        )
    };
    Config::new(&format!(
        r#"
[settings]
connect_timeout = "10s"
reconnect_min = "200ms"
reconnect_max = "1s"

[profiles.good]
server = "{http}"
token = "good-token"
{}
[profiles.private]
server = "{http}"
token = "good-token"
{}
[profiles.expired]
server = "{http}"
token = "old-token"
{}
[profiles.raw]
server = "{http}"
token = "good-token"
{}
[profiles.expired-raw]
server = "{http}"
token = "old-token"
{}
[profiles.no-origin]
server = "{http}"
token = "good-token"
[[profiles.no-origin.endpoints]]
name = "cable"
url = "{{ws}}/cable?token={{token}}"
"#,
        endpoint("good", "NotificationsChannel", true),
        endpoint("private", "PrivateChannel", true),
        endpoint("expired", "NotificationsChannel", true),
        endpoint("raw", "", false),
        endpoint("expired-raw", "", false),
    ))
}

/// Subscribed (confirm_subscription = ready), then 30 broadcasts (9 s:
/// three of the server's 3 s pings) on one connection, decoded with the
/// channel as the event; pings are never messages.
#[test]
fn actioncable_subscribes_and_stays_ready_through_pings() {
    let config = profiles();
    let mut tail = Lines::start(wsmon(
        &config.path,
        &["tail", "--profile", "good", "--duration", "90s"],
    ));
    let ready = tail.until(Duration::from_secs(30), "ready", |v| v["type"] == "ready");
    assert!(
        ready["detail"]
            .as_str()
            .unwrap_or("")
            .contains("confirm_subscription")
    );
    let first = tail.until(Duration::from_secs(10), "a message", |v| {
        v["type"] == "message"
    });
    let start = first["data"]["n"].as_u64().expect("n");
    let last = tail.until(Duration::from_secs(30), "30 more broadcasts", |v| {
        v["type"] == "message" && v["data"]["n"].as_u64().is_some_and(|n| n >= start + 30)
    });
    assert_eq!(last["event"], "NotificationsChannel");
    assert_eq!(last["data"]["text"], "hello");
    assert_eq!(tail.of_type("open").len(), 1, "{}", tail.dump());
    assert!(tail.of_type("closed").is_empty(), "{}", tail.dump());
    assert!(
        tail.of_type("message")
            .iter()
            .all(|m| m["event"] == "NotificationsChannel"),
        "welcome, ping and confirm are not messages:\n{}",
        tail.dump()
    );
}

/// An expired token: the in-band disconnect (unauthorized, reconnect
/// false) is auth_rejected and stops, not "1000 Normal Closure".
#[test]
fn actioncable_unauthorized_disconnect_stops_as_auth() {
    let config = profiles();
    let mut tail = Lines::start(wsmon(
        &config.path,
        &["tail", "--profile", "expired", "--duration", "90s"],
    ));
    let stopped = tail.until(Duration::from_secs(30), "stopped", |v| {
        v["type"] == "stopped"
    });
    assert_eq!(stopped["reason"], "auth_rejected", "{}", tail.dump());
    let error = &tail.of_type("protocol_error")[0].clone();
    assert!(
        error["detail"]
            .as_str()
            .unwrap_or("")
            .contains("unauthorized"),
        "{error}"
    );
    assert_eq!(error["rule"], "stop_auth");
    let closed = tail.of_type("closed")[0].clone();
    assert_eq!(closed["diagnosis"]["kind"], "auth_rejected", "{closed}");
    assert_eq!(tail.of_type("connecting").len(), 1);
}

/// The same refusal on a raw profile (no `protocol`): Action Cable's
/// disconnect comes before any welcome, and is still obeyed as an auth
/// refusal, not read as a normal 1000 or as churn.
#[test]
fn actioncable_unauthorized_disconnect_on_a_raw_profile_stops_as_auth() {
    let config = profiles();
    let mut tail = Lines::start(wsmon(
        &config.path,
        &["tail", "--profile", "expired-raw", "--duration", "90s"],
    ));
    let stopped = tail.until(Duration::from_secs(30), "stopped", |v| {
        v["type"] == "stopped"
    });
    assert_eq!(stopped["reason"], "auth_rejected", "{}", tail.dump());
    let closed = tail.of_type("closed")[0].clone();
    assert_eq!(closed["diagnosis"]["kind"], "auth_rejected", "{closed}");
    assert_eq!(tail.of_type("connecting").len(), 1, "{}", tail.dump());
}

/// A channel whose `subscribed` rejects: reject_subscription, stopped.
#[test]
fn actioncable_reject_subscription_is_a_protocol_error() {
    let config = profiles();
    let report = check(&config.path, "private", &[]);
    assert_eq!(report["healthy"], false, "{report:#}");
    let endpoint = &report["endpoints"][0];
    assert_eq!(endpoint["ready"], false);
    let summary = endpoint["diagnosis"]["summary"].as_str().unwrap_or("");
    assert!(summary.contains("reject_subscription"), "{summary}");
}

/// The raw profile of the case: welcome + pings, nothing delivered. Said
/// to be Action Cable with the lines to add; not healthy.
#[test]
fn actioncable_raw_profile_is_detected_not_healthy() {
    let config = profiles();
    let report = check(&config.path, "raw", &[]);
    assert_eq!(report["healthy"], false, "{report:#}");
    let diagnosis = &report["endpoints"][0]["diagnosis"];
    assert!(
        diagnosis["summary"]
            .as_str()
            .unwrap_or("")
            .contains("welcome"),
        "{diagnosis}"
    );
    assert!(
        diagnosis["fixes"].to_string().contains("actioncable"),
        "{diagnosis}"
    );
    let good = check(&config.path, "good", &[]);
    assert_eq!(good["healthy"], true, "{good:#}");
    assert_eq!(good["endpoints"][0]["ready"], true);
}

/// No Origin (a monitor's default): Action Cable answers 404 "Page not
/// found"; the diagnosis says it is the Origin check, not a missing route.
#[test]
fn actioncable_404_without_origin_names_the_origin() {
    let config = profiles();
    let report = check(&config.path, "no-origin", &[]);
    assert_eq!(report["healthy"], false, "{report:#}");
    let endpoint = &report["endpoints"][0];
    assert_eq!(endpoint["handshake_status"], 404);
    let diagnosis = &endpoint["diagnosis"];
    let words = format!("{} {}", diagnosis["summary"], diagnosis["fixes"]);
    assert!(words.contains("Origin"), "{diagnosis}");
}
