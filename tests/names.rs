//! The snake_case names that `as_str` gives (metrics labels, text
//! reports; derived with strum) are the names serde writes in JSON, for
//! every variant.

use wsmon::config::HeartbeatMode;
use wsmon::facts::{ProbeFailure, Verdict};
use wsmon::model::health::HealthWord;
use wsmon::output::check_report::EndpointState;

fn json_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value).expect("serialize") {
        serde_json::Value::String(name) => name,
        serde_json::Value::Object(map) => map["reason"].as_str().expect("tag").to_string(),
        other => panic!("not a name: {other}"),
    }
}

#[test]
fn as_str_is_the_serde_name() {
    for v in [
        Verdict::Valid,
        Verdict::Invalid,
        Verdict::Inactive,
        Verdict::Missing,
        Verdict::Unreachable,
        Verdict::Unexpected,
    ] {
        assert_eq!(v.as_str(), json_name(&v));
    }
    for v in [
        ProbeFailure::RestRefused { status: 500 },
        ProbeFailure::SocketClosed,
        ProbeFailure::NotDelivered,
        ProbeFailure::Unreachable {
            detail: "refused".into(),
        },
    ] {
        assert_eq!(v.as_str(), json_name(&v));
    }
    for v in [
        HealthWord::Healthy,
        HealthWord::Starting,
        HealthWord::Degraded,
        HealthWord::Down,
        HealthWord::Empty,
    ] {
        assert_eq!(v.as_str(), json_name(&v));
    }
    for v in [HeartbeatMode::Ping, HeartbeatMode::Browser] {
        assert_eq!(v.as_str(), json_name(&v));
        assert_eq!(HeartbeatMode::parse(v.as_str()), Some(v));
    }
    for v in [EndpointState::Open, EndpointState::Closed] {
        assert_eq!(v.as_str(), json_name(&v));
    }
    assert_eq!(
        ProbeFailure::RestRefused { status: 1 }.as_str(),
        "rest_refused"
    );
}
