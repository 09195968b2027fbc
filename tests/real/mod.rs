//! Real third-party servers for the end-to-end tests: Python venvs from
//! pinned requirements, node packages from a pinned `package-lock.json`,
//! and programs from Debian packages (nginx, HAProxy, Redis, RabbitMQ,
//! puma, tinyproxy), each started on a free loopback port and killed when
//! its [`Proc`] is dropped.
//!
//! Nothing is skipped silently: a missing program is a test failure that
//! names the package to install (`.ci/run` installs them all).
//!
//! - **Python**: [`venv`] builds `<target>/tmp/venv-NAME` from
//!   `tests/servers/python/NAME.txt` (pinned in full), rebuilt only when
//!   that file changes (a hash stamp), under a file lock so parallel test
//!   binaries never race. `WSMON_TEST_PYTHON` picks the base interpreter.
//! - **node**: [`node_modules`] runs `npm ci` for `tests/servers/node/`
//!   (its `package.json` + `package-lock.json`) into
//!   `<target>/tmp/node/node_modules`, likewise stamped and locked.
//! - **Processes**: [`Proc::start`] spawns, waits until the port accepts
//!   TCP (or the process exits: then an `Err` with its output), and keeps
//!   the console in a log printed when a test fails.
#![allow(dead_code)]

use std::fs::{self, File};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long a server gets to listen: a cold start on a busy 2-core
/// machine (RabbitMQ, Rails) takes tens of seconds.
pub const START_TIMEOUT: Duration = Duration::from_secs(120);

/// `tests/servers/`, where the server scripts and pins live.
pub fn servers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/servers")
}

/// The integration tests' scratch dir (follows `CARGO_TARGET_DIR`).
pub fn work_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

/// A free loopback port (bound, read, released).
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("find a free port")
        .port()
}

/// FNV-1a: stable across Rust versions (the stamps outlive the binary).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The path of `program` on PATH (or an absolute path that exists);
/// panics naming the Debian package to install.
pub fn need(program: &str, package: &str) -> PathBuf {
    let candidates = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    let extra = [PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")];
    for dir in candidates.iter().chain(extra.iter()) {
        let path = dir.join(program);
        if path.is_file() {
            return path;
        }
    }
    panic!(
        "`{program}` is not installed: this test runs the real one. \
         Install it with `apt-get install {package}` (.ci/run installs every server the tests need)."
    );
}

/// Runs a setup command; panics with its output when it fails.
pub fn run(what: &str, cmd: &mut Command, hint: &str) {
    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) => panic!("{what}: could not run {cmd:?}: {e}\n{hint}"),
    };
    assert!(
        out.status.success(),
        "{what} failed ({}): {cmd:?}\n--- stdout ---\n{}\n--- stderr ---\n{}\n{hint}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
}

/// Builds (once, under a lock) the thing in `dir` when the stamp of
/// `inputs` changed; `build` fills `dir`.
fn stamped(dir: &Path, inputs: &[&Path], build: impl FnOnce(&Path)) {
    let mut bytes = Vec::new();
    for input in inputs {
        bytes.extend(fs::read(input).unwrap_or_else(|e| panic!("read {}: {e}", input.display())));
    }
    let wanted = format!("{:016x}\n", fnv1a(&bytes));
    fs::create_dir_all(work_dir()).expect("create the test work dir");
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("dep");
    let lock = File::create(work_dir().join(format!("{name}.lock"))).expect("create a build lock");
    // One process builds; the others wait here, then find the stamp.
    lock.lock().expect("take the build lock");
    let stamp = dir.join("wsmon-inputs.hash");
    if fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return;
    }
    if dir.exists() {
        fs::remove_dir_all(dir).expect("remove the stale build");
    }
    let started = Instant::now();
    eprintln!("real servers: building {} …", dir.display());
    build(dir);
    fs::write(&stamp, wanted).expect("write the stamp");
    eprintln!(
        "real servers: {} ready in {:.1} s",
        dir.display(),
        started.elapsed().as_secs_f64()
    );
}

/// The interpreter of the venv pinned by `tests/servers/python/NAME.txt`.
pub fn venv(name: &str) -> PathBuf {
    let venv = work_dir().join(format!("venv-{name}"));
    let requirements = servers_dir().join(format!("python/{name}.txt"));
    let hint = "The Python servers need python3 (3.10+, with venv and pip) and PyPI reachable \
                on the first run or after the requirements change.";
    stamped(&venv, &[&requirements], |venv| {
        let base = std::env::var("WSMON_TEST_PYTHON").unwrap_or_else(|_| "python3".to_string());
        run(
            "creating a venv",
            Command::new(&base).args(["-m", "venv"]).arg(venv),
            hint,
        );
        run(
            &format!("pip install -r {}", requirements.display()),
            Command::new(venv.join("bin/python"))
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "--no-input",
                    "-r",
                ])
                .arg(&requirements),
            hint,
        );
    });
    venv.join("bin/python")
}

/// `node_modules` of `tests/servers/node/` (installed with `npm ci`).
pub fn node_modules() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        need("node", "nodejs");
        need("npm", "npm");
        let src = servers_dir().join("node");
        let dest = work_dir().join("node");
        let manifest = src.join("package.json");
        let lockfile = src.join("package-lock.json");
        stamped(&dest, &[&manifest, &lockfile], |dest| {
            fs::create_dir_all(dest).expect("create the node dir");
            fs::copy(&manifest, dest.join("package.json")).expect("copy package.json");
            fs::copy(&lockfile, dest.join("package-lock.json")).expect("copy package-lock.json");
            run(
                "npm ci",
                Command::new("npm")
                    .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                    .current_dir(dest),
                "The node servers need node and npm (apt-get install nodejs npm) and the npm registry reachable on the first run.",
            );
        });
        dest.join("node_modules")
    })
}

/// `node tests/servers/node/SCRIPT args…` with the pinned packages.
pub fn node(script: &str) -> Command {
    let modules = node_modules();
    let mut cmd = Command::new("node");
    cmd.arg(servers_dir().join("node").join(script))
        .env("NODE_PATH", modules)
        .stdin(Stdio::null());
    cmd
}

/// `python tests/servers/python/SCRIPT` in the venv `venv_name`.
pub fn python(venv_name: &str, script: &str) -> Command {
    let mut cmd = Command::new(venv(venv_name));
    cmd.arg(servers_dir().join("python").join(script))
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null());
    cmd
}

/// A scratch dir for one server's files (configs, logs); removed on drop.
pub fn scratch(prefix: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("wsmon-{prefix}-"))
        .tempdir()
        .expect("create a scratch dir")
}

/// A running server process; killed (SIGKILL) on drop, its console
/// printed when the test is failing.
pub struct Proc {
    child: Option<Child>,
    pub port: u16,
    pub what: String,
    log: PathBuf,
}

impl Proc {
    /// Starts `cmd` (console to `log`) and waits until `port` accepts TCP;
    /// `Err` when the process exits first (e.g. the port was taken).
    pub fn start(what: &str, mut cmd: Command, port: u16, log: PathBuf) -> Result<Proc, String> {
        let out = File::create(&log).expect("create the server log");
        let err = out.try_clone().expect("clone the log handle");
        let child = cmd
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("start {what}: {cmd:?}: {e}"));
        let mut proc = Proc {
            child: Some(child),
            port,
            what: what.to_string(),
            log,
        };
        proc.wait_listening()?;
        Ok(proc)
    }

    /// [`Proc::start`] on a free port chosen by `make(port)`, with another
    /// port if one was taken between finding and binding it.
    pub fn on_free_port(what: &str, make: impl Fn(u16) -> (Command, PathBuf)) -> Proc {
        let mut errors = Vec::new();
        for _ in 0..3 {
            let port = free_port();
            let (cmd, log) = make(port);
            match Proc::start(what, cmd, port, log) {
                Ok(p) => return p,
                Err(e) => errors.push(e),
            }
        }
        panic!("{what} did not start:\n{}", errors.join("\n---\n"));
    }

    fn wait_listening(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        let addr = self.addr();
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(format!(
                    "{} exited ({status}) before listening on {addr}:\n{}",
                    self.what,
                    self.log_text()
                ));
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            assert!(
                Instant::now() < deadline,
                "{} did not listen on {addr} within {START_TIMEOUT:?}:\n{}",
                self.what,
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// `http://127.0.0.1:PORT`.
    pub fn http(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `ws://127.0.0.1:PORT`.
    pub fn ws(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// What the process printed so far.
    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL, like a crash: no close frames.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!(
                "--- {} on port {} printed ---\n{}",
                self.what,
                self.port,
                self.log_text()
            );
        }
    }
}

/// nginx (Debian's `nginx-light` or `nginx`) in the foreground with
/// `conf`, where `@PORT@` is replaced by its listen port and `@DIR@` by
/// its scratch dir (logs, temp files). The config holds only the
/// `http { server { … } }` part's inside: the rest is filled in here.
pub struct Nginx {
    pub proc: Proc,
    dir: tempfile::TempDir,
}

impl Nginx {
    pub fn start(server_block: &str) -> Nginx {
        let nginx = need("nginx", "nginx-light");
        let dir = scratch("nginx");
        let root = dir.path().to_path_buf();
        let proc = Proc::on_free_port("nginx", |port| {
            let body = server_block
                .replace("@PORT@", &port.to_string())
                .replace("@DIR@", &root.display().to_string());
            let conf = format!(
                "daemon off;\nworker_processes 1;\npid {dir}/nginx.pid;\nerror_log {dir}/error.log info;\n\
                 events {{ worker_connections 256; }}\n\
                 http {{\n  access_log {dir}/access.log;\n  client_body_temp_path {dir}/body;\n  proxy_temp_path {dir}/proxy;\n\
                   fastcgi_temp_path {dir}/fastcgi;\n  uwsgi_temp_path {dir}/uwsgi;\n  scgi_temp_path {dir}/scgi;\n{body}\n}}\n",
                dir = root.display()
            );
            let path = root.join(format!("nginx-{port}.conf"));
            fs::write(&path, conf).expect("write nginx.conf");
            let mut cmd = Command::new(&nginx);
            cmd.arg("-c")
                .arg(&path)
                .arg("-p")
                .arg(&root)
                .stdin(Stdio::null());
            (cmd, root.join(format!("nginx-{port}.console")))
        });
        Nginx { proc, dir }
    }

    /// nginx's error log (upstream failures, timeouts).
    pub fn error_log(&self) -> String {
        fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    pub fn access_log(&self) -> String {
        fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default()
    }
}
