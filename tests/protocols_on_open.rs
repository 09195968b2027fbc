//! Raw endpoints with `[[endpoints.on_open]]` steps against a real
//! "subscribe first" server (node `ws`, tests/servers/node).

mod protocols_support;
mod real;

use std::sync::OnceLock;
use std::time::Duration;

use protocols_support::{Config, Lines, check, wsmon};
use real::Proc;

fn server() -> &'static Proc {
    static P: OnceLock<Proc> = OnceLock::new();
    P.get_or_init(|| {
        let logs = Box::leak(Box::new(real::scratch("subscribe")));
        Proc::on_free_port("subscribe server", |port| {
            let mut cmd = real::node("subscribe_server.js");
            cmd.arg(port.to_string());
            (
                protocols_support::until_tests_end(cmd),
                logs.path().join(format!("{port}.log")),
            )
        })
    })
}

fn profiles() -> Config {
    let http = server().http();
    Config::new(&format!(
        r#"
[settings]
connect_timeout = "5s"
reconnect_min = "200ms"
reconnect_max = "1s"

[profiles.good]
server = "{http}"
token = "tok"
[[profiles.good.endpoints]]
name = "feed"
url = "{{ws}}/"
[[profiles.good.endpoints.on_open]]
send = '{{"action": "subscribe", "topic": "user", "token": "{{token}}"}}'
expect = '"subscribed"'
within = "2s"

[profiles.unmet]
server = "{http}"
[[profiles.unmet.endpoints]]
name = "feed"
url = "{{ws}}/"
[[profiles.unmet.endpoints.on_open]]
send = '{{"action": "hello"}}'
expect = '"welcome"'
within = "500ms"
"#
    ))
}

#[test]
fn on_open_subscribes_then_ready_and_messages_flow() {
    let config = profiles();
    let mut tail = Lines::start(wsmon(
        &config.path,
        &["tail", "--profile", "good", "--duration", "60s"],
    ));
    let ready = tail.until(Duration::from_secs(15), "ready", |v| v["type"] == "ready");
    assert_eq!(ready["protocol"], "raw");
    tail.until(Duration::from_secs(15), "the 10th push", |v| {
        v["type"] == "message" && v["data"].as_str().is_some_and(|d| d.contains(r#""n":10"#))
    });
    assert_eq!(tail.of_type("open").len(), 1, "{}", tail.dump());
    let report = check(&config.path, "good", &[]);
    assert_eq!(report["healthy"], true, "{report:#}");
    assert_eq!(report["endpoints"][0]["ready"], true);
}

#[test]
fn an_unmet_expectation_is_a_protocol_error_and_retried() {
    let config = profiles();
    let mut tail = Lines::start(wsmon(
        &config.path,
        &["tail", "--profile", "unmet", "--duration", "60s"],
    ));
    let error = tail.until(Duration::from_secs(15), "protocol_error", |v| {
        v["type"] == "protocol_error"
    });
    assert_eq!(error["rule"], "retry");
    assert!(
        error["detail"].as_str().unwrap_or("").contains("welcome"),
        "{error}"
    );
    tail.until(Duration::from_secs(15), "a second attempt", |v| {
        v["type"] == "connecting" && v["attempt"] == 2
    });
    let report = check(&config.path, "unmet", &[]);
    assert_eq!(report["healthy"], false, "{report:#}");
    assert_eq!(report["endpoints"][0]["ready"], false);
}
