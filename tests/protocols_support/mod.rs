//! Running the real `wsmon` binary against protocol servers and reading
//! its JSON lines as they come, with deadlines (no fixed sleeps).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// A profiles file in a scratch dir (mode 600: it holds tokens).
pub struct Config {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl Config {
    pub fn new(text: &str) -> Config {
        let dir = tempfile::tempdir().expect("scratch dir");
        let path = dir.path().join("profiles.toml");
        let mut f = std::fs::File::create(&path).expect("write the profiles");
        f.write_all(text.as_bytes()).expect("write the profiles");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .expect("chmod 600");
        }
        Config { dir, path }
    }
}

/// `wsmon --config FILE ARGS…` with its own log file.
pub fn wsmon(config: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wsmon"));
    cmd.arg("--config")
        .arg(config)
        .args(args)
        .arg("--log-file")
        .arg(config.with_file_name("wsmon.log"))
        .env_remove("WSMON_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// A running `wsmon tail` (or `send`), its stdout read line by line.
pub struct Lines {
    child: Child,
    rx: mpsc::Receiver<String>,
    /// Every line so far, parsed.
    pub seen: Vec<Value>,
}

impl Lines {
    pub fn start(mut cmd: Command) -> Lines {
        let mut child = cmd.spawn().expect("start wsmon");
        let out = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Lines {
            child,
            rx,
            seen: Vec::new(),
        }
    }

    /// Reads lines until one satisfies `want` (returned), failing the test
    /// with everything seen when `within` passes or the output ends.
    pub fn until(&mut self, within: Duration, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(line) => {
                    let value: Value = serde_json::from_str(&line)
                        .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                    self.seen.push(value.clone());
                    if want(&value) {
                        return value;
                    }
                }
                Err(_) => panic!(
                    "no line with {what} within {within:?}; lines so far:\n{}",
                    self.dump()
                ),
            }
        }
    }

    /// Every remaining line until the process ends (at most `within`).
    pub fn read_to_end(&mut self, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(line) => {
                    if let Ok(v) = serde_json::from_str(&line) {
                        self.seen.push(v);
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!("wsmon did not end within {within:?}:\n{}", self.dump())
                }
            }
        }
    }

    /// The lines seen of one `type`.
    pub fn of_type(&self, kind: &str) -> Vec<&Value> {
        self.seen.iter().filter(|v| v["type"] == kind).collect()
    }

    pub fn dump(&self) -> String {
        self.seen
            .iter()
            .map(|v| {
                let s = v.to_string();
                s.chars().take(400).collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Lines {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `wsmon check --format json` → the report.
pub fn check(config: &Path, profile: &str, extra: &[&str]) -> Value {
    let mut args = vec!["check", "--profile", profile, "--format", "json"];
    args.extend_from_slice(extra);
    let out = wsmon(config, &args).output().expect("run wsmon check");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "check printed no JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// `cmd` wrapped so that the server ends with the test binary: the servers
/// here live in statics (one per binary), which are never dropped, so
/// [`real::Proc`]'s kill-on-drop never runs for them. The wrapper waits for
/// EOF on its stdin, a pipe the test process holds until it exits, then
/// stops the server.
pub fn until_tests_end(cmd: Command) -> Command {
    let mut wrapped = Command::new("sh");
    wrapped
        .arg("-c")
        .arg(r#""$@" & pid=$!; cat >/dev/null; kill "$pid"; sleep 1; kill -9 "$pid" 2>/dev/null"#)
        .arg("sh")
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .stdin(Stdio::piped());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(v) => wrapped.env(key, v),
            None => wrapped.env_remove(key),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        wrapped.current_dir(dir);
    }
    wrapped
}
