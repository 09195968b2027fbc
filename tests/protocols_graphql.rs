//! GraphQL subscriptions end to end against the real servers: npm
//! `graphql-ws` (graphql-transport-ws) and `subscriptions-transport-ws`
//! (the legacy graphql-ws protocol), pinned in tests/servers/node. Both
//! keep-alive every 500 ms and push a notification every 200 ms.

mod protocols_support;
mod real;

use std::sync::OnceLock;
use std::time::Duration;

use protocols_support::{Config, Lines, check, wsmon};
use real::Proc;

fn server(script: &'static str) -> Proc {
    let logs = Box::leak(Box::new(real::scratch("graphql")));
    Proc::on_free_port(script, |port| {
        let mut cmd = real::node(script);
        cmd.arg(port.to_string());
        (
            protocols_support::until_tests_end(cmd),
            logs.path().join(format!("{port}.log")),
        )
    })
}

fn modern() -> &'static Proc {
    static P: OnceLock<Proc> = OnceLock::new();
    P.get_or_init(|| server("graphql_server.js"))
}

fn legacy() -> &'static Proc {
    static P: OnceLock<Proc> = OnceLock::new();
    P.get_or_init(|| server("graphql_legacy_server.js"))
}

/// `good`/`bad` (init_payload token) speaking `protocol`, and `raw` (the
/// subprotocol offered, nothing sent: as a generic client would).
fn profiles(server: &Proc, protocol: &str) -> Config {
    let http = server.http();
    let endpoint = |profile: &str| {
        format!(
            r#"
[[profiles.{profile}.endpoints]]
name = "gql"
url = "{{ws}}/graphql"
protocol = "{protocol}"
[profiles.{profile}.endpoints.graphql]
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

[profiles.good]
server = "{http}"
token = "good-token"
{}
[profiles.bad]
server = "{http}"
token = "stale-token"
{}
[profiles.raw]
server = "{http}"
[[profiles.raw.endpoints]]
name = "gql"
url = "{{ws}}/graphql"
subprotocols = ["graphql-transport-ws"]

[profiles.no-subprotocol]
server = "{http}"
[[profiles.no-subprotocol.endpoints]]
name = "gql"
url = "{{ws}}/graphql"

[profiles.legacy-subprotocol]
server = "{http}"
[[profiles.legacy-subprotocol.endpoints]]
name = "gql"
url = "{{ws}}/graphql"
subprotocols = ["graphql-ws"]
"#,
        endpoint("good"),
        endpoint("bad")
    ))
}

/// Ready, then notifications up to the 15th (3 s, six keep-alive periods)
/// on one connection, decoded with the subscription id as the event.
fn stays_ready(server: &Proc, protocol: &str) {
    let config = profiles(server, protocol);
    let mut tail = Lines::start(wsmon(
        &config.path,
        &["tail", "--profile", "good", "--duration", "60s"],
    ));
    let ready = tail.until(Duration::from_secs(15), "ready", |v| v["type"] == "ready");
    assert_eq!(ready["protocol"], protocol);
    let last = tail.until(Duration::from_secs(30), "notification 15", |v| {
        v["type"] == "message"
            && v["data"]["notifications"]["n"]
                .as_u64()
                .is_some_and(|n| n >= 15)
    });
    assert_eq!(last["event"], "1");
    assert_eq!(last["data"]["notifications"]["text"], "hello");
    assert_eq!(tail.of_type("open").len(), 1, "{}", tail.dump());
    assert!(tail.of_type("closed").is_empty(), "{}", tail.dump());
    assert!(
        tail.of_type("message").iter().all(|m| m["event"] == "1"),
        "keepalives are never messages:\n{}",
        tail.dump()
    );
}

/// A bad token in init_payload: refused, diagnosed as auth, not retried.
fn bad_token_stops(server: &Proc, protocol: &str) {
    let config = profiles(server, protocol);
    let mut tail = Lines::start(wsmon(
        &config.path,
        &["tail", "--profile", "bad", "--duration", "60s"],
    ));
    let stopped = tail.until(Duration::from_secs(15), "stopped", |v| {
        v["type"] == "stopped"
    });
    assert_eq!(stopped["reason"], "auth_rejected", "{}", tail.dump());
    let errors = tail.of_type("protocol_error");
    assert_eq!(errors.len(), 1, "{}", tail.dump());
    assert_eq!(errors[0]["diagnosis"]["kind"], "auth_rejected");
    assert_eq!(
        tail.of_type("closed")[0]["diagnosis"]["kind"],
        "auth_rejected"
    );
    assert_eq!(tail.of_type("connecting").len(), 1);
}

#[test]
fn graphql_transport_ws_stays_ready_and_decodes() {
    stays_ready(modern(), "graphql-transport-ws");
}

#[test]
fn graphql_transport_ws_4403_is_auth_and_stops() {
    bad_token_stops(modern(), "graphql-transport-ws");
    let config = profiles(modern(), "graphql-transport-ws");
    let mut tail = Lines::start(wsmon(
        &config.path,
        &["tail", "--profile", "bad", "--duration", "60s"],
    ));
    let closed = tail.until(Duration::from_secs(15), "closed", |v| v["type"] == "closed");
    assert_eq!(closed["code"], 4403);
    assert!(
        closed["diagnosis"]["summary"]
            .as_str()
            .unwrap_or("")
            .contains("connection_init")
    );
}

#[test]
fn legacy_graphql_ws_stays_ready_and_decodes() {
    stays_ready(legacy(), "graphql-ws");
}

#[test]
fn legacy_graphql_ws_connection_error_stops() {
    bad_token_stops(legacy(), "graphql-ws");
}

/// A raw endpoint offering graphql-transport-ws and sending nothing: the
/// server closes with 4408, explained in the protocol's terms with the
/// lines to add; `check` does not call it healthy.
#[test]
fn raw_graphql_endpoint_is_detected_and_4408_explained() {
    let config = profiles(modern(), "graphql-transport-ws");
    let report = check(&config.path, "raw", &["--hold", "300ms"]);
    assert_eq!(report["healthy"], false, "{report:#}");
    let summary = report["endpoints"][0]["diagnosis"]["summary"]
        .as_str()
        .unwrap_or("");
    assert!(summary.contains("graphql-transport-ws"), "{summary}");
    let mut tail = Lines::start(wsmon(
        &config.path,
        &["tail", "--profile", "raw", "--duration", "60s"],
    ));
    let closed = tail.until(Duration::from_secs(15), "closed", |v| v["type"] == "closed");
    assert_eq!(closed["code"], 4408, "{}", tail.dump());
    let diagnosis = &closed["diagnosis"];
    assert!(
        diagnosis["summary"]
            .as_str()
            .unwrap_or("")
            .contains("connection_init"),
        "{diagnosis}"
    );
    assert!(
        diagnosis["fixes"]
            .to_string()
            .contains("graphql-transport-ws"),
        "{diagnosis}"
    );
    // Every reconnect ends with the same 4408 after the same 1 s: the
    // protocol's reading still leads, the churn follows it as a count.
    let third = tail.until(Duration::from_secs(30), "a third close", |v| {
        v["type"] == "closed" && v["attempt"].as_u64() >= Some(3)
    });
    assert_eq!(third["code"], 4408, "{}", tail.dump());
    let summary = third["diagnosis"]["summary"].as_str().unwrap_or("");
    assert!(summary.starts_with("graphql-transport-ws"), "{summary}");
    assert!(
        summary.contains("ended each of the last 3 sessions"),
        "{summary}"
    );
    assert!(!summary.contains("keeps closing"), "{summary}");
    assert!(
        third["diagnosis"]["fixes"][0]
            .as_str()
            .unwrap_or("")
            .contains("graphql-transport-ws"),
        "{third:#}"
    );
}

/// No subprotocol offered to a graphql-transport-ws server: its 4406
/// "Subprotocol not acceptable" is explained with the subprotocol to
/// offer. The legacy `graphql-ws` offered: graphql-ws answers 101 with no
/// subprotocol (a handshake a client must refuse), said as such.
#[test]
fn graphql_wrong_or_missing_subprotocol_names_the_one_to_offer() {
    let config = profiles(modern(), "graphql-transport-ws");
    let report = check(&config.path, "no-subprotocol", &[]);
    assert_eq!(report["healthy"], false, "{report:#}");
    let endpoint = &report["endpoints"][0];
    assert_eq!(endpoint["close_code"], 4406, "{endpoint:#}");
    let fixes = endpoint["diagnosis"]["fixes"].to_string();
    assert!(fixes.contains("graphql-transport-ws"), "{fixes}");
    let report = check(&config.path, "legacy-subprotocol", &[]);
    assert_eq!(report["healthy"], false, "{report:#}");
    let diagnosis = &report["endpoints"][0]["diagnosis"];
    assert!(
        diagnosis["summary"]
            .as_str()
            .unwrap_or("")
            .contains("legacy"),
        "{diagnosis}"
    );
    assert!(
        diagnosis["fixes"]
            .to_string()
            .contains("graphql-transport-ws"),
        "{diagnosis}"
    );
}
