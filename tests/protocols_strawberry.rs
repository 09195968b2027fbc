//! GraphQL subscriptions end to end against a real strawberry-graphql
//! server (PyPI, pinned in tests/servers/python/strawberry.txt, served by
//! uvicorn): graphql-transport-ws only, a notification every 300 ms, and
//! `on_ws_connect` refusing a bad init_payload token with 4403 Forbidden.

mod protocols_support;
mod real;

use std::sync::OnceLock;
use std::time::Duration;

use protocols_support::{Config, Lines, wsmon};
use real::Proc;

fn server() -> &'static Proc {
    static P: OnceLock<Proc> = OnceLock::new();
    P.get_or_init(|| {
        let logs = Box::leak(Box::new(real::scratch("strawberry")));
        Proc::on_free_port("strawberry-graphql", |port| {
            let mut cmd = real::python("strawberry", "strawberry_server.py");
            cmd.arg(port.to_string());
            (
                protocols_support::until_tests_end(cmd),
                logs.path().join(format!("{port}.log")),
            )
        })
    })
}

/// Profiles `good` and `bad`: the same graphql-transport-ws subscription,
/// with the right or a stale token in init_payload.
fn profiles() -> Config {
    let http = server().http();
    let profile = |name: &str, token: &str| {
        format!(
            r#"
[profiles.{name}]
server = "{http}"
token = "{token}"
[[profiles.{name}.endpoints]]
name = "gql"
url = "{{ws}}/graphql"
protocol = "graphql-transport-ws"
[profiles.{name}.endpoints.graphql]
query = "subscription {{ notifications {{ n text }} }}"
init_payload = '{{"token": "{{token}}"}}'
"#
        )
    };
    Config::new(&format!(
        r#"
[settings]
connect_timeout = "5s"
reconnect_min = "200ms"
reconnect_max = "1s"
{}{}"#,
        profile("good", "good-token"),
        profile("bad", "stale-token")
    ))
}

/// Ready, then pushed results up to the 5th on one connection, decoded
/// with the subscription id as the event.
#[test]
fn strawberry_subscription_is_ready_and_decodes() {
    let config = profiles();
    let mut tail = Lines::start(wsmon(
        &config.path,
        &["tail", "--profile", "good", "--duration", "60s"],
    ));
    let ready = tail.until(Duration::from_secs(20), "ready", |v| v["type"] == "ready");
    assert_eq!(ready["protocol"], "graphql-transport-ws", "{}", tail.dump());
    let last = tail.until(Duration::from_secs(20), "notification 5", |v| {
        v["type"] == "message"
            && v["data"]["notifications"]["n"]
                .as_u64()
                .is_some_and(|n| n >= 5)
    });
    assert_eq!(last["event"], "1", "{}", tail.dump());
    assert_eq!(last["data"]["notifications"]["text"], "hello");
    assert_eq!(tail.of_type("open").len(), 1, "{}", tail.dump());
    assert!(tail.of_type("closed").is_empty(), "{}", tail.dump());
}

/// A stale token: strawberry's `on_ws_connect` raises
/// ConnectionRejectionError, the server closes 4403 Forbidden; wsmon
/// calls it auth and stops without retrying.
#[test]
fn strawberry_bad_token_is_4403_auth_and_stops() {
    let config = profiles();
    let mut tail = Lines::start(wsmon(
        &config.path,
        &["tail", "--profile", "bad", "--duration", "60s"],
    ));
    let stopped = tail.until(Duration::from_secs(20), "stopped", |v| {
        v["type"] == "stopped"
    });
    assert_eq!(stopped["reason"], "auth_rejected", "{}", tail.dump());
    let closed = tail.of_type("closed");
    assert_eq!(closed.len(), 1, "{}", tail.dump());
    assert_eq!(closed[0]["code"], 4403, "{}", tail.dump());
    assert_eq!(closed[0]["diagnosis"]["kind"], "auth_rejected");
    assert_eq!(tail.of_type("connecting").len(), 1, "{}", tail.dump());
    assert!(tail.of_type("ready").is_empty(), "{}", tail.dump());
}
