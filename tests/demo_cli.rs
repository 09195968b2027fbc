//! `wsmon demo --serve-only` as a user runs it: the printed profiles file
//! is valid and `wsmon check` on it gives each demo user's expected story.
//! Also: `tail` ends cleanly on SIGINT.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

const BIN: &str = env!("CARGO_BIN_EXE_wsmon");

/// Starts the demo server and returns it with the profiles file it printed.
async fn serve_only(dir: &std::path::Path) -> (tokio::process::Child, std::path::PathBuf) {
    let mut child = tokio::process::Command::new(BIN)
        .args(["demo", "--serve-only", "--log-file"])
        .arg(dir.join("demo.log"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start wsmon demo");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut text = String::new();
    // The file ends with the last profile's endpoints; read until the
    // output pauses (the server then just serves).
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_secs(2), lines.next_line()).await
    {
        text.push_str(&line);
        text.push('\n');
    }
    assert!(text.contains("[profiles.demo-sandra]"), "printed: {text}");
    let path = dir.join("demo.toml");
    std::fs::write(&path, &text).expect("write");
    (child, path)
}

async fn check(config: &std::path::Path, profile: &str) -> (Option<i32>, Value) {
    let out = tokio::process::Command::new(BIN)
        .args([
            "--config",
            config.to_str().expect("utf8"),
            "--profile",
            profile,
            "check",
            "--format",
            "json",
        ])
        .arg("--log-file")
        .arg(config.with_extension("log"))
        .output()
        .await
        .expect("run check");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), report)
}

#[tokio::test]
async fn the_demo_users_tell_their_stories() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut server, config) = serve_only(dir.path()).await;

    let (code, sandra) = check(&config, "demo-sandra").await;
    assert_eq!(code, Some(0), "{sandra:#}");
    assert_eq!(sandra["token_check"]["verdict"], "valid");
    assert_eq!(sandra["endpoints"].as_array().map(Vec::len), Some(2));

    let (code, bad) = check(&config, "demo-bad-token").await;
    assert_eq!(code, Some(1));
    assert_eq!(bad["token_check"]["verdict"], "invalid");
    assert_eq!(bad["endpoints"][0]["handshake_status"], 403);
    assert_eq!(bad["endpoints"][0]["diagnosis"]["kind"], "auth_rejected");

    let (code, inactive) = check(&config, "demo-inactive").await;
    assert_eq!(code, Some(1));
    assert_eq!(inactive["token_check"]["verdict"], "inactive");
    assert_eq!(
        inactive["token_check"]["detail"],
        "User inactive or deleted."
    );

    // The second user logs in (POST /api-token-auth/) for his token.
    let (code, omar) = check(&config, "demo-omar-login").await;
    assert_eq!(code, Some(0), "{omar:#}");
    assert_eq!(omar["login"]["verdict"], "logged_in", "{omar:#}");
    assert_eq!(omar["login"]["user"], "omar", "{omar:#}");
    assert_eq!(omar["token_check"]["verdict"], "valid", "{omar:#}");
    assert_eq!(omar["endpoints"][0]["handshake_status"], 101, "{omar:#}");

    let _ = server.kill().await;
}

#[cfg(unix)]
#[tokio::test]
async fn tail_exits_0_on_sigint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut server, config) = serve_only(dir.path()).await;
    let mut tail = tokio::process::Command::new(BIN)
        .args([
            "--config",
            config.to_str().expect("utf8"),
            "tail",
            "--log-file",
        ])
        .arg(dir.path().join("tail.log"))
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start tail");
    let stdout = tail.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    // Wait until the socket is open, then interrupt as a person would.
    let opened = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains(r#""type":"open""#) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(opened, Ok(true));
    let pid = tail.id().expect("pid").to_string();
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(10), tail.wait())
        .await
        .expect("tail ended")
        .expect("wait");
    assert_eq!(exit.code(), Some(0));
    let _ = server.kill().await;
}
