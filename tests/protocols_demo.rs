//! `wsmon demo`'s Socket.IO-style endpoint, held by the real binary: the
//! demo-socketio profile's "live" session becomes ready and its events
//! arrive decoded by name.

mod protocols_support;

use std::time::Duration;

use protocols_support::{Config, Lines, wsmon};
use wsmon::demo::{DemoOptions, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_socketio_endpoint_is_ready_and_events_are_named() {
    let options = DemoOptions {
        notify_every: (Duration::from_millis(100), Duration::from_millis(200)),
        ..DemoOptions::default()
    };
    let server = start("127.0.0.1:0".parse().expect("addr"), options)
        .await
        .expect("demo server");
    let config = Config::new(&server.profiles_toml());
    let result = tokio::task::spawn_blocking(move || {
        let mut tail = Lines::start(wsmon(
            &config.path,
            &["tail", "--profile", "demo-socketio", "--duration", "60s"],
        ));
        let ready = tail.until(Duration::from_secs(15), "ready", |v| {
            v["type"] == "ready" && v["endpoint"] == "live"
        });
        assert_eq!(ready["protocol"], "socketio");
        let event = tail.until(Duration::from_secs(15), "a notification event", |v| {
            v["type"] == "message" && v["endpoint"] == "live"
        });
        assert_eq!(event["event"], "notification", "{event}");
        assert_eq!(event["data"]["user"], "sandra");
    })
    .await;
    server.shutdown().await;
    result.expect("the tail checks");
}
