//! STOMP over WebSocket end to end against RabbitMQ's Web STOMP plugin
//! (Debian `rabbitmq-server`): a node of its own in a scratch dir, on free
//! ports, with heart-beats every second.

mod protocols_support;
mod real;

use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use protocols_support::{Config, Lines, check, wsmon};
use real::Proc;

/// The broker: its Web STOMP port is the [`Proc`]'s port.
fn rabbit() -> &'static Proc {
    static P: OnceLock<Proc> = OnceLock::new();
    P.get_or_init(|| {
        real::need("rabbitmq-server", "rabbitmq-server");
        let sbin = std::fs::read_dir("/usr/lib/rabbitmq/lib")
            .ok()
            .and_then(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.path().join("sbin/rabbitmq-server"))
                    .find(|p| p.is_file())
            })
            .expect("RabbitMQ's own start script: apt-get install rabbitmq-server");
        let dir = Box::leak(Box::new(real::scratch("rabbitmq")));
        Proc::on_free_port("RabbitMQ Web STOMP", |port| {
            let base = dir.path().join(port.to_string());
            std::fs::create_dir_all(&base).expect("rabbit dir");
            let amqp = real::free_port();
            let dist = real::free_port();
            std::fs::write(base.join("enabled_plugins"), "[rabbitmq_web_stomp].\n").expect("plugins");
            std::fs::write(
                base.join("rabbitmq.conf"),
                format!(
                    "listeners.tcp.default = 127.0.0.1:{amqp}\nweb_stomp.tcp.port = {port}\nweb_stomp.tcp.ip = 127.0.0.1\nstomp.listeners.tcp.1 = 127.0.0.1:{}\n",
                    real::free_port()
                ),
            )
            .expect("rabbit config");
            let mut cmd = Command::new(&sbin);
            cmd.env("HOME", &base)
                .env("RABBITMQ_MNESIA_BASE", base.join("mnesia"))
                .env("RABBITMQ_LOG_BASE", base.join("log"))
                .env("RABBITMQ_LOGS", "-")
                .env("RABBITMQ_CONFIG_FILE", base.join("rabbitmq.conf"))
                .env("RABBITMQ_ENABLED_PLUGINS_FILE", base.join("enabled_plugins"))
                .env("RABBITMQ_NODENAME", format!("wsmontest{port}@localhost"))
                .env("RABBITMQ_DIST_PORT", dist.to_string())
                .current_dir(&base);
            (protocols_support::until_tests_end(cmd), base.join("console.log"))
        })
    })
}

fn profiles() -> Config {
    let http = rabbit().http();
    let endpoint = |profile: &str, passcode: &str| {
        format!(
            r#"
[[profiles.{profile}.endpoints]]
name = "stomp"
url = "{{ws}}/ws"
protocol = "stomp"
[profiles.{profile}.endpoints.stomp]
destination = "/topic/notifications"
login = "guest"
passcode = "{passcode}"
heart_beat = "1s"
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
{}
[profiles.bad]
server = "{http}"
{}
[profiles.raw]
server = "{http}"
[[profiles.raw.endpoints]]
name = "stomp"
url = "{{ws}}/ws"
subprotocols = ["v12.stomp"]
"#,
        endpoint("good", "guest"),
        endpoint("bad", "wrong-password"),
    ))
}

/// Subscribed; a SEND (by `wsmon send` on the same destination) arrives
/// as a decoded MESSAGE; the session stays on one connection through
/// heart-beats (1 s) until it does, and at least 3 s.
#[test]
fn stomp_subscribes_receives_and_sends() {
    let config = profiles();
    let mut tail = Lines::start(wsmon(
        &config.path,
        &["tail", "--profile", "good", "--duration", "90s"],
    ));
    let ready = tail.until(Duration::from_secs(30), "ready", |v| v["type"] == "ready");
    assert!(ready["detail"].as_str().unwrap_or("").contains("CONNECTED"));
    // Three heart-beat periods pass with the session held: the third
    // message sent a second apart arrives on the first connection.
    for i in 0..3 {
        let text = format!("note {i}");
        let out = wsmon(
            &config.path,
            &["send", "--profile", "good", "--wait", "1s", &text],
        )
        .output()
        .expect("wsmon send");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        let got = tail.until(Duration::from_secs(20), "the sent message", |v| {
            v["type"] == "message" && v["data"] == text
        });
        assert_eq!(got["event"], "/topic/notifications");
    }
    assert_eq!(tail.of_type("open").len(), 1, "{}", tail.dump());
    assert!(tail.of_type("closed").is_empty(), "{}", tail.dump());
}

/// A wrong passcode: STOMP ERROR, auth_rejected, stopped.
#[test]
fn stomp_error_frame_stops_as_auth() {
    let config = profiles();
    let mut tail = Lines::start(wsmon(
        &config.path,
        &["tail", "--profile", "bad", "--duration", "90s"],
    ));
    let stopped = tail.until(Duration::from_secs(30), "stopped", |v| {
        v["type"] == "stopped"
    });
    assert_eq!(stopped["reason"], "auth_rejected", "{}", tail.dump());
    let error = tail.of_type("protocol_error")[0].clone();
    assert!(
        error["detail"]
            .as_str()
            .unwrap_or("")
            .contains("STOMP ERROR"),
        "{error}"
    );
    assert_eq!(tail.of_type("connecting").len(), 1);
}

/// A raw endpoint negotiating v12.stomp: detected, not healthy.
#[test]
fn stomp_raw_profile_is_detected_not_healthy() {
    let config = profiles();
    let report = check(&config.path, "raw", &["--hold", "300ms"]);
    assert_eq!(report["healthy"], false, "{report:#}");
    let fixes = report["endpoints"][0]["diagnosis"]["fixes"].to_string();
    assert!(fixes.contains("stomp"), "{report:#}");
}
