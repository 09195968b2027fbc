//! The real Django Channels server of `tests/django/` for the end-to-end
//! tests in `tests/django.rs`, set up by the test command itself.
//!
//! - **Python venv**: `<target>/tmp/django-venv` (the integration tests'
//!   `CARGO_TARGET_TMPDIR`, so it follows `CARGO_TARGET_DIR`), made with
//!   `python3 -m venv` + `pip install -r tests/django/requirements.txt`.
//!   It is rebuilt only when the requirements change (a hash stamp in the
//!   venv), under a file lock so parallel test processes never race. Set
//!   `WSMON_TEST_PYTHON` to use another interpreter than `python3`. Without
//!   python3 or PyPI the tests fail with a message saying so.
//! - **Database**: `manage.py setup_test_db` (migrate + the users and their
//!   fixed tokens, see [`SANDRA`] …) runs once per test process into a
//!   template; every server gets its own fresh copy in a temp dir.
//! - **Servers**: [`Server::daphne`] runs `daphne -b 127.0.0.1 -p PORT
//!   project.asgi:application`; [`Server::runserver`] runs `manage.py
//!   runserver --noreload` with `project.settings_wsgi` (no Daphne, no
//!   Channels: plain WSGI). Both are killed when the [`Server`] is dropped,
//!   also when a test panics; their console goes to a log file that is
//!   printed when a test fails.
#![allow(dead_code)]

use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Active user (the seed's investor); her token is the seed's.
pub const SANDRA: &str = "aec8e0e9a0b3d8637b8926a5adffb44e487330ec";
/// A second active user.
pub const OMAR: &str = "0b1d2c3e4f5a69788796a5b4c3d2e1f0a1b2c3d4";
/// An inactive user who still has a token.
pub const IVAN_INACTIVE: &str = "1c0ffee0d15ab1ed0000000000000000000000aa";
/// A well-formed token no user has.
pub const UNKNOWN: &str = "ffffffffffffffffffffffffffffffffffffffff";

/// How long a server gets to start listening (a cold start on a busy
/// 2-core machine imports Django, Twisted and DRF).
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// `tests/django/`, the project folder (its manage.py).
pub fn project_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/django")
}

fn work_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

/// FNV-1a: a hash that stays the same across Rust versions (the stamp
/// outlives the test binary).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Runs a setup command; panics with its output when it fails.
fn run(what: &str, cmd: &mut Command) {
    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) => panic!(
            "{what}: could not run {cmd:?}: {e}\n\
             The Django end-to-end tests need python3 (3.10 or newer, with the venv module) \
             on PATH, or WSMON_TEST_PYTHON set to an interpreter, and PyPI reachable on the first run."
        ),
    };
    assert!(
        out.status.success(),
        "{what} failed ({}): {cmd:?}\n--- stdout ---\n{}\n--- stderr ---\n{}\n\
         The Django end-to-end tests need python3 (3.10 or newer, with venv and pip) and, \
         on the first run or after tests/django/requirements.txt changed, PyPI reachable.",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
}

/// The venv's interpreter, creating the venv first if needed.
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(ensure_venv)
}

fn ensure_venv() -> PathBuf {
    let venv = work_dir().join("django-venv");
    let requirements = project_dir().join("requirements.txt");
    let wanted = format!(
        "{:016x}\n",
        fnv1a(&fs::read(&requirements).expect("read tests/django/requirements.txt"))
    );
    fs::create_dir_all(work_dir()).expect("create the test work dir");
    // One process builds; the others wait here, then find the stamp.
    let lock = File::create(work_dir().join("django-venv.lock")).expect("create the venv lock");
    lock.lock().expect("lock the venv");
    let python = venv.join("bin/python");
    let stamp = venv.join("wsmon-requirements.hash");
    if python.exists() && fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return python;
    }
    let started = Instant::now();
    eprintln!(
        "django tests: building the Python venv in {} (first run or requirements changed)…",
        venv.display()
    );
    if venv.exists() {
        fs::remove_dir_all(&venv).expect("remove the stale venv");
    }
    let base = std::env::var("WSMON_TEST_PYTHON").unwrap_or_else(|_| "python3".to_string());
    run(
        "creating the venv",
        Command::new(&base).args(["-m", "venv"]).arg(&venv),
    );
    run(
        "pip install -r tests/django/requirements.txt",
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-input",
                "-r",
            ])
            .arg(&requirements),
    );
    fs::write(&stamp, wanted).expect("write the venv stamp");
    eprintln!(
        "django tests: venv ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    python
}

/// A `manage.py`/daphne command in the project dir with the test settings.
fn django(settings: &str, db: &Path) -> Command {
    let mut cmd = Command::new(python());
    cmd.current_dir(project_dir())
        .env("DJANGO_SETTINGS_MODULE", settings)
        .env("WSMON_DJANGO_DB", db)
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null());
    cmd
}

/// The migrated, seeded database of this test process (copied per server).
fn template_db() -> &'static Path {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let dir = work_dir().join("django-db");
        fs::create_dir_all(&dir).expect("create the db dir");
        let building = dir.join(format!("template-{}.sqlite3", std::process::id()));
        let _ = fs::remove_file(&building);
        run(
            "manage.py setup_test_db",
            django("project.settings", &building).args(["manage.py", "setup_test_db"]),
        );
        // Fresh per test run; the rename keeps other processes' copies whole.
        let template = dir.join("template.sqlite3");
        fs::rename(&building, &template).expect("move the template db");
        template
    })
}

/// A fresh copy of the seeded database, removed with it.
pub struct Db {
    dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl Db {
    pub fn fresh() -> Db {
        let template = template_db();
        let dir = tempfile::Builder::new()
            .prefix("wsmon-django-")
            .tempdir()
            .expect("tempdir for the db");
        let path = dir.path().join("db.sqlite3");
        fs::copy(template, &path).expect("copy the template db");
        Db { dir, path }
    }

    fn log_path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// Starts a server on a free port, with another port if it was taken
/// between finding it and binding it.
fn on_a_free_port(start: impl Fn(u16) -> Result<Server, String>) -> Server {
    let mut errors = Vec::new();
    for _ in 0..3 {
        match start(free_port()) {
            Ok(server) => return server,
            Err(e) => errors.push(e),
        }
    }
    panic!("the server did not start:\n{}", errors.join("\n---\n"));
}

/// A free loopback port (bound, read, released).
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("find a free port")
        .port()
}

/// A running Python server; killed on drop.
pub struct Server {
    child: Option<Child>,
    pub port: u16,
    pub what: &'static str,
    log: PathBuf,
}

impl Server {
    /// Daphne on a free port.
    pub fn daphne(db: &Db) -> Server {
        on_a_free_port(|port| Server::try_daphne(db, port))
    }

    /// Daphne on `port` (e.g. the port of a killed one, to restart it).
    pub fn daphne_on(db: &Db, port: u16) -> Server {
        Server::try_daphne(db, port).unwrap_or_else(|e| panic!("{e}"))
    }

    fn try_daphne(db: &Db, port: u16) -> Result<Server, String> {
        let log = db.log_path(&format!("daphne-{port}-{}.log", nonce()));
        let mut cmd = django("project.settings", &db.path);
        cmd.args(["-m", "daphne", "-b", "127.0.0.1", "-p"])
            .arg(port.to_string())
            .arg("project.asgi:application");
        Server::start("daphne", cmd, port, log)
    }

    /// `manage.py runserver --noreload` without Daphne/Channels (WSGI).
    pub fn runserver(db: &Db) -> Server {
        on_a_free_port(|port| Server::try_runserver(db, port))
    }

    /// `manage.py runserver --noreload` with the project's own settings
    /// (`daphne` first in INSTALLED_APPS: Daphne's runserver, ASGI).
    pub fn runserver_asgi(db: &Db) -> Server {
        on_a_free_port(|port| {
            let log = db.log_path(&format!("runserver-asgi-{port}.log"));
            let mut cmd = django("project.settings", &db.path);
            cmd.args(["manage.py", "runserver", "--noreload"])
                .arg(format!("127.0.0.1:{port}"));
            Server::start("runserver (daphne)", cmd, port, log)
        })
    }

    /// `manage.py runserver --noreload` with the settings module
    /// `settings` (e.g. `project.settings_nodaphne`) and extra `env`.
    pub fn runserver_with(db: &Db, settings: &str, env: &[(&str, String)]) -> Server {
        on_a_free_port(|port| {
            let log = db.log_path(&format!("runserver-{port}-{}.log", nonce()));
            let mut cmd = django(settings, &db.path);
            cmd.envs(env.iter().map(|(k, v)| (k, v)));
            cmd.args(["manage.py", "runserver", "--noreload"])
                .arg(format!("127.0.0.1:{port}"));
            Server::start("runserver", cmd, port, log)
        })
    }

    /// Daphne with the settings module `settings` and extra `env`.
    pub fn daphne_with(db: &Db, settings: &str, env: &[(&str, String)]) -> Server {
        on_a_free_port(|port| {
            let log = db.log_path(&format!("daphne-{port}-{}.log", nonce()));
            let mut cmd = django(settings, &db.path);
            cmd.envs(env.iter().map(|(k, v)| (k, v)));
            cmd.args(["-m", "daphne", "-b", "127.0.0.1", "-p"])
                .arg(port.to_string())
                .arg("project.asgi:application");
            Server::start("daphne", cmd, port, log)
        })
    }

    /// The file the server's console (its log) goes to.
    pub fn log_file(&self) -> &Path {
        &self.log
    }

    /// The server process's id (`None` once killed).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn try_runserver(db: &Db, port: u16) -> Result<Server, String> {
        let log = db.log_path(&format!("runserver-{port}.log"));
        let mut cmd = django("project.settings_wsgi", &db.path);
        cmd.args(["manage.py", "runserver", "--noreload"])
            .arg(format!("127.0.0.1:{port}"));
        Server::start("runserver", cmd, port, log)
    }

    /// Starts `cmd` and waits until it serves; `Err` when it exits first
    /// (e.g. the port was taken meanwhile).
    fn start(
        what: &'static str,
        mut cmd: Command,
        port: u16,
        log: PathBuf,
    ) -> Result<Server, String> {
        let out = File::create(&log).expect("create the server log");
        let err = out.try_clone().expect("clone the log handle");
        let child = cmd
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("start {what}: {cmd:?}: {e}"));
        let mut server = Server {
            child: Some(child),
            port,
            what,
            log,
        };
        server.wait_serving()?;
        Ok(server)
    }

    /// Polls until our Django app answers on the port (DRF's 401 for a
    /// request without credentials: not just any listener); `Err` if the
    /// process exits first, a panic when the timeout passes.
    fn wait_serving(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        let addr = self.addr();
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(format!(
                    "{} exited ({status}) before serving on {addr}:\n{}",
                    self.what,
                    self.log_text()
                ));
            }
            if self.serves() {
                return Ok(());
            }
            assert!(
                Instant::now() < deadline,
                "{} did not serve on {addr} within {START_TIMEOUT:?}:\n{}",
                self.what,
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// One readiness probe: `GET /api/notifications/` without a token.
    fn serves(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect_timeout(&self.addr(), Duration::from_millis(500))
        else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let request = format!(
            "GET /api/notifications/ HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            self.port
        );
        let mut answer = String::new();
        stream.write_all(request.as_bytes()).is_ok()
            && stream.read_to_string(&mut answer).is_ok()
            && answer.contains("Authentication credentials were not provided.")
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// `http://127.0.0.1:PORT`, the profile's `server`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// SIGKILL, like a crash or the OOM killer: no close frames.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// What the server printed so far.
    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `POST path` with a JSON body and `Authorization: Token token`;
    /// returns the status and body. Plain HTTP/1.1 over a socket.
    pub fn post(&self, path: &str, token: &str, json: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(self.addr()).expect("connect to the server");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("read timeout");
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: Token {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
            self.port,
            json.len()
        );
        stream
            .write_all(request.as_bytes())
            .expect("send the request");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read the answer");
        let status = answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no HTTP status in {answer:?}"));
        let body = answer
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }
}

impl Drop for Server {
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

/// Distinguishes the logs of servers restarted on one port.
fn nonce() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}

/// The real `wsmon` binary on `config`, logging beside it, killed on drop.
pub fn wsmon(config: &Path) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_wsmon"));
    cmd.arg("--config")
        .arg(config)
        .arg("--log-file")
        .arg(config.with_file_name("wsmon.log"))
        .env_remove("WSMON_CONFIG")
        .kill_on_drop(true);
    cmd
}
