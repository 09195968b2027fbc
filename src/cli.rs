//! The command line: parse, load and validate the config (errors print here,
//! before any terminal UI, and exit 2), then run one command.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::config::{self, ActiveProfile, Config, ConfigError};
use crate::headless;

/// Exit code for config and usage errors (clap uses 2 for usage errors too).
const EXIT_CONFIG: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "wsmon",
    version,
    about = "Keeps live WebSocket sessions open and says, in plain words, what each one is doing and why.",
    after_help = "Profiles file lookup: --config FILE, then $WSMON_CONFIG, then the platform config dir \
                  (e.g. ~/.config/wsmon/profiles.toml). Try it without one: `wsmon demo`.\n\
                  Exit codes: 0 ok, 1 unhealthy (check) or a failure while running, 2 config or usage error."
)]
pub struct Cli {
    /// Profiles file to use.
    #[arg(long, short = 'c', global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Profile to use instead of the file's default_profile.
    #[arg(long, short = 'p', global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Several profiles live together, e.g. `--profiles sandra,omar` (dashboard, check, tail, watch, demo).
    #[arg(
        long,
        global = true,
        value_name = "A,B",
        conflicts_with = "profile",
        value_delimiter = ','
    )]
    pub profiles: Option<Vec<String>>,
    /// Log filter (error, warn, info, debug, trace, or tracing directives).
    #[arg(long, global = true, value_name = "FILTER", default_value = "info")]
    pub log_level: String,
    /// Log file [default: the platform state dir; `--help` shows the path].
    #[arg(long, global = true, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
    /// Serve Prometheus metrics at http://ADDR/metrics, e.g. 127.0.0.1:9464; port 0 picks one
    /// (for the dashboard; `watch`, `dashboard` and `demo` take it after the command too).
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<SocketAddr>,
    /// Without a command, the dashboard opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The live dashboard (the default): every session at a glance, with
    /// handshakes, close codes, diagnoses, payloads and the token check.
    Dashboard {
        #[command(flatten)]
        metrics: MetricsArg,
    },
    /// Try every endpoint once and run the token check; report and exit
    /// 0 (all opened, token valid), 1 (something failed) or 2 (config error).
    Check {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Overrides connect_timeout (TCP + TLS + upgrade) and the token check's timeout.
        #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
        timeout: Option<Duration>,
        /// How long an opened socket is held (to catch servers that accept, then close)
        /// [default: 2x the longest known protocol timer, at least 500ms].
        #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
        hold: Option<Duration>,
        /// Instead of one attempt each: run the sessions with reconnects for DURATION
        /// (e.g. 30s) and judge by the health word; exit 1 on churn (a session that
        /// ended more than once), a session not open, a refused token.
        #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION", conflicts_with_all = ["hold", "probe"])]
        watch: Option<Duration>,
        /// Also run the profile's delivery probe once the sockets are open; exit 1 if not delivered.
        #[arg(long)]
        probe: bool,
    },
    /// Run the sessions with reconnects and print one JSON object per line
    /// per event (connecting, open, message, closed, retry_scheduled, token_check…).
    Tail {
        /// Stop after this long (e.g. 30s, 5m).
        #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
        duration: Option<Duration>,
        /// Stop after this many messages.
        #[arg(long, value_name = "N")]
        count: Option<u64>,
    },
    /// List the profiles and their endpoints (tokens redacted; token commands not run).
    Profiles,
    /// Connect to one endpoint, send one text frame, print what comes back
    /// as JSON lines (as `tail` does), close with 1000. Exit 1 if not sent.
    Send {
        /// The endpoint [default: the profile's first].
        #[arg(long, value_name = "NAME")]
        endpoint: Option<String>,
        /// How long to keep printing after the socket opened.
        #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION", default_value = "1s")]
        wait: Duration,
        /// The text frame to send.
        text: String,
    },
    /// Print a shell completion script (e.g. `wsmon completions bash > /etc/bash_completion.d/wsmon`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `wsmon man | man -l -`.
    Man,
    /// Explain a WebSocket close code (1000-4999) or a handshake HTTP status (100-599),
    /// or diagnose a saved handshake answer offline (--response FILE, as `curl -i` prints it).
    Explain {
        /// e.g. 1006, 4001, 403
        #[arg(required_unless_present = "response")]
        code: Option<String>,
        /// A saved answer to the upgrade (raw HTTP: status line, headers, body; `-` reads stdin).
        #[arg(long, value_name = "FILE", conflicts_with = "code")]
        response: Option<PathBuf>,
        /// With --response: the WebSocket URL it answered (sharpens path advice).
        #[arg(long, value_name = "URL", requires = "response")]
        url: Option<String>,
    },
    /// Start a built-in demo notification server (token auth, notifications,
    /// drops, an application close code) and open the dashboard on it.
    Demo {
        /// Only run the server and print a profiles file for it.
        #[arg(long)]
        serve_only: bool,
        /// Port on 127.0.0.1 (0 picks a free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
        #[command(flatten)]
        metrics: MetricsArg,
    },
    /// Inspect a Django project with its own interpreter: ASGI_APPLICATION,
    /// INSTALLED_APPS (daphne, channels), CHANNEL_LAYERS and its Redis,
    /// ALLOWED_HOSTS, and the WebSocket routes matched against the
    /// profile's endpoints. Exit 0 (nothing wrong), 1 (something is), 2
    /// (usage, config, or the project could not be inspected).
    Doctor {
        /// The project folder (the one holding manage.py) [default: the
        /// profile's django_project].
        #[arg(long, value_name = "DIR")]
        django: Option<PathBuf>,
        /// The project's interpreter [default: the profile's django_python,
        /// else $VIRTUAL_ENV/bin/python, else .venv or venv in DIR, else
        /// python3 on PATH].
        #[arg(long, value_name = "PATH")]
        python: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// The engine without a UI (for systemd and containers): sessions,
    /// reconnects, token check and delivery probe, logged to the log file;
    /// with --metrics, Prometheus metrics at http://ADDR/metrics. Exits 0 on SIGTERM/SIGINT.
    Watch {
        #[command(flatten)]
        metrics: MetricsArg,
    },
}

/// `--metrics ADDR`, on the commands that keep running (watch, dashboard, demo).
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct MetricsArg {
    /// Serve Prometheus metrics at http://ADDR/metrics, e.g. 127.0.0.1:9464; port 0 picks one.
    #[arg(long = "metrics", value_name = "ADDR")]
    pub addr: Option<SocketAddr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// The command line as clap sees it, with the log file's default path
/// (known only at run time) in `--log-file`'s help.
pub fn clap_command() -> clap::Command {
    let path = crate::logging::log_path().map_or_else(
        || "none: no home directory".to_string(),
        |p| p.display().to_string(),
    );
    Cli::command().mut_arg("log_file", |arg| {
        arg.help(format!("Log file [default: {path}]"))
    })
}

/// Parses the process arguments (exits on `--help`, `--version` and
/// usage errors, as clap does).
pub fn parse() -> Cli {
    let matches = clap_command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    cli.metrics_to_command().unwrap_or_else(|e| e.exit())
}

impl Cli {
    /// Moves a `--metrics` given before the command (`wsmon --metrics ADDR
    /// watch`) to the command; a usage error for a command that serves no
    /// metrics.
    fn metrics_to_command(mut self) -> Result<Self, clap::Error> {
        let Some(addr) = self.metrics else {
            return Ok(self);
        };
        match &mut self.command {
            None => return Ok(self),
            Some(
                Command::Dashboard { metrics }
                | Command::Demo { metrics, .. }
                | Command::Watch { metrics },
            ) => {
                metrics.addr = metrics.addr.or(Some(addr));
            }
            Some(_) => {
                return Err(clap_command().error(
                    clap::error::ErrorKind::ArgumentConflict,
                    "--metrics is for `watch`, the dashboard and `demo`",
                ));
            }
        }
        self.metrics = None;
        Ok(self)
    }
}

/// The program: parse arguments, run, map the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = parse();
    let log_path = cli.log_file.clone().or_else(crate::logging::log_path);
    let _guard = match crate::logging::init(&cli.log_level, log_path) {
        Ok(guard) => guard,
        Err(message) => return fail(&message),
    };
    // One thread for every session, the UI and headless output: what would
    // block (terminal and stdout writes, DNS) runs on threads of its own,
    // and a single thread spends far less waking and switching than two
    // (see the README's Performance section).
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        // The reader went away (`| head`): nothing to tell it, and the
        // terminal may still be waiting for the pipeline's other end.
        Err(CliError::StdoutClosed) => ExitCode::from(1),
        Err(e) => {
            eprintln!("wsmon: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("wsmon: error: {message}");
    ExitCode::from(EXIT_CONFIG)
}

/// Errors that end the program: config and usage errors exit 2, the
/// others (the output or the terminal failing) exit 1.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Explain(#[from] crate::diagnose::explain::ExplainError),
    /// A bad argument: an unknown endpoint, an unreadable `--response`
    /// file, a `--metrics` address that cannot be bound.
    #[error("{0}")]
    Usage(String),
    /// Something failed while running (writing the output, the terminal).
    #[error("{0}")]
    Runtime(String),
    /// Stdout was closed before the output was written (e.g. `| head -1`):
    /// exit 1 (the README's rule for a failure while running), quietly.
    #[error("stdout closed")]
    StdoutClosed,
}

impl CliError {
    /// The process exit code: 2 for config and usage errors, else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Config(_) | Self::Explain(_) | Self::Usage(_) => EXIT_CONFIG,
            Self::Runtime(_) | Self::StdoutClosed => 1,
        }
    }

    /// An error writing the output: a closed stdout is
    /// [`CliError::StdoutClosed`], anything else a runtime error.
    fn output(e: &std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::BrokenPipe => Self::StdoutClosed,
            _ => Self::Runtime(format!("cannot write the output: {e}")),
        }
    }
}

/// Writes a headless command's output to stdout and flushes it: every
/// command that prints a whole answer writes through here, so a reader
/// that went away (`| head -1`, `| true`) is one quiet exit 1, never a
/// `println!` panic (Rust ignores SIGPIPE, so the write returns EPIPE).
fn emit(text: impl AsRef<[u8]>) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    (out.write_all(text.as_ref()))
        .and_then(|()| out.flush())
        .map_err(|e| CliError::output(&e))
}

/// Runs one command.
async fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let config = cli.config.as_deref();
    let profile = cli.profile.as_deref();
    if cli.profiles.is_some()
        && matches!(
            cli.command,
            Some(
                Command::Send { .. }
                    | Command::Explain { .. }
                    | Command::Profiles
                    | Command::Doctor { .. }
            )
        )
    {
        return Err(CliError::Usage(
            "--profiles is for the dashboard, `check`, `tail`, `watch` and `demo`; `send`, `explain` and `doctor` take one --profile".into(),
        ));
    }
    // The profiles to run live: `--profiles`, `--profile`, or the default.
    let names = wanted(profile, cli.profiles.as_deref());
    let Some(command) = cli.command else {
        return dashboard(config, &names, cli.metrics).await;
    };
    match command {
        Command::Dashboard { metrics } => dashboard(config, &names, metrics.addr).await,
        Command::Check {
            format,
            timeout,
            hold,
            watch,
            probe,
        } => {
            let options = CheckOptions {
                format,
                timeout,
                hold,
                watch,
                probe,
            };
            check(config, &names, options).await
        }
        Command::Tail { duration, count } => {
            tail(config, &names, headless::tail::Limits { duration, count }).await
        }
        Command::Profiles => profiles(config),
        Command::Send {
            endpoint,
            wait,
            text,
        } => send(config, profile, endpoint.as_deref(), wait, &text).await,
        Command::Completions { shell } => completions(shell),
        Command::Man => man(),
        Command::Explain {
            response: Some(path),
            url,
            ..
        } => explain_response(&path, url.as_deref()),
        Command::Explain { code, .. } => {
            explain_code(config, profile, code.as_deref().unwrap_or_default())
        }
        Command::Demo {
            serve_only,
            port,
            metrics,
        } => demo(serve_only, port, &names, metrics.addr).await,
        Command::Watch { metrics } => watch(config, &names, metrics.addr).await,
        Command::Doctor {
            django,
            python,
            format,
        } => {
            doctor(
                config,
                profile,
                django.as_deref(),
                python.as_deref(),
                format == Format::Json,
            )
            .await
        }
    }
}

/// `wsmon doctor`: the project from `--django` or the profile's
/// `django_project`; the profile (its endpoints, Origin, server) when
/// `--django` is absent or `--config`/`--profile` name one. Exit 0 when
/// no finding is an error, 1 otherwise; a project that cannot be read at
/// all is a usage error (2).
async fn doctor(
    config: Option<&Path>,
    profile_name: Option<&str>,
    django: Option<&Path>,
    python: Option<&Path>,
    json: bool,
) -> Result<ExitCode, CliError> {
    let wants_profile = django.is_none() || config.is_some() || profile_name.is_some();
    let profile = if wants_profile {
        Some(activate(&load(config)?, profile_name)?)
    } else {
        None
    };
    let project = match (django, &profile) {
        (Some(dir), _) => dir.to_path_buf(),
        (None, Some(p)) => p.django_project.clone().ok_or_else(|| {
            CliError::Usage(format!(
                "profile `{}` has no django_project: pass --django DIR (the folder of manage.py) or add django_project = \"DIR\" to the profile",
                p.name
            ))
        })?,
        (None, None) => return Err(CliError::Usage("pass --django DIR".into())),
    };
    let doctor = headless::doctor::run(&project, python, profile.as_ref())
        .await
        .map_err(|e| {
            let fixes = e.fixes().join(" ");
            CliError::Usage(format!(
                "doctor: {e}{}{fixes}",
                if fixes.is_empty() { "" } else { ". " }
            ))
        })?;
    let text = if json {
        crate::output::doctor_report::to_json(&doctor) + "\n"
    } else {
        crate::output::doctor_report::to_text(&doctor)
    };
    emit(text)?;
    Ok(if doctor.healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `wsmon explain --response FILE [--url URL]`: a saved handshake answer
/// (`-` reads stdin), diagnosed offline.
fn explain_response(path: &Path, url: Option<&str>) -> Result<ExitCode, CliError> {
    let text = if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
            .map_err(|e| CliError::Usage(format!("cannot read stdin: {e}")))?;
        String::from_utf8_lossy(&buf).into_owned()
    } else {
        let bytes = std::fs::read(path)
            .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
        String::from_utf8_lossy(&bytes).into_owned()
    };
    emit(crate::diagnose::explain::explain_response(&text, url)?)?;
    Ok(ExitCode::SUCCESS)
}

/// `wsmon explain CODE`: a close code or handshake status from the catalog.
fn explain_code(
    config: Option<&Path>,
    profile: Option<&str>,
    code: &str,
) -> Result<ExitCode, CliError> {
    // A profiles file is optional here; it only adds the profile's
    // names for application codes.
    let app_codes = config::paths::load(config)
        .ok()
        .and_then(|c| c.profile(profile).ok().map(|p| p.close_codes.clone()))
        .unwrap_or_default();
    emit(crate::diagnose::explain::explain(code, &app_codes)? + "\n")?;
    Ok(ExitCode::SUCCESS)
}

/// `wsmon profiles`: the profiles and their endpoints, tokens redacted.
fn profiles(config: Option<&Path>) -> Result<ExitCode, CliError> {
    let config = load(config)?;
    emit(config::listing::describe(&config))?;
    Ok(ExitCode::SUCCESS)
}

/// `wsmon send`: one text frame to one endpoint; exit 1 if not sent.
async fn send(
    config: Option<&Path>,
    profile: Option<&str>,
    endpoint: Option<&str>,
    wait: Duration,
    text: &str,
) -> Result<ExitCode, CliError> {
    let profile = activate(&load(config)?, profile)?;
    let profile = headless::send::pick_endpoint(profile, endpoint).map_err(CliError::Usage)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let sent = headless::send::run(profile, text, wait, &mut out)
        .await
        .map_err(|e| CliError::output(&e))?;
    Ok(if sent {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `wsmon completions SHELL`. Generated into memory first: clap_complete
/// panics on a failed write.
fn completions(shell: clap_complete::Shell) -> Result<ExitCode, CliError> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut clap_command(), "wsmon", &mut script);
    emit(script)?;
    Ok(ExitCode::SUCCESS)
}

/// `wsmon man`: the man page (roff).
fn man() -> Result<ExitCode, CliError> {
    let mut page = Vec::new();
    clap_mangen::Man::new(clap_command())
        .render(&mut page)
        .map_err(|e| CliError::Runtime(format!("cannot render the man page: {e}")))?;
    emit(page)?;
    Ok(ExitCode::SUCCESS)
}

/// The options of `wsmon check`.
#[derive(Debug, Clone, Copy)]
struct CheckOptions {
    format: Format,
    timeout: Option<Duration>,
    hold: Option<Duration>,
    watch: Option<Duration>,
    probe: bool,
}

/// `wsmon check`: one attempt each (or `--watch` a while), a report, exit
/// 0 when healthy, 1 when not.
async fn check(
    config: Option<&Path>,
    names: &[String],
    options: CheckOptions,
) -> Result<ExitCode, CliError> {
    let lineup = activate_lineup(&load(config)?, names)?;
    if lineup.len() > 1 {
        return check_many(lineup, options).await;
    }
    let Some(mut profile) = lineup.into_iter().next() else {
        return Err(CliError::Usage("no profile to check".into()));
    };
    if let Some(timeout) = options.timeout {
        profile.settings.connect_timeout = timeout;
    }
    if options.probe && profile.probe.is_none() {
        return Err(CliError::Usage(format!(
            "profile `{}` has no probe: add a [profiles.{}.probe] table (see profiles.example.toml)",
            profile.name, profile.name
        )));
    }
    let report = match options.watch {
        Some(duration) => headless::check::watch(profile, duration).await,
        None => {
            let hold = options.hold.unwrap_or_else(|| {
                headless::check::default_hold(headless::check::known_timers(&profile))
            });
            headless::check::run_with(profile, hold, options.probe).await
        }
    };
    let text = match options.format {
        Format::Json => headless::check::to_json(&report) + "\n",
        Format::Text => headless::check::to_text(&report),
    };
    emit(text)?;
    Ok(if report.healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `wsmon watch`: the engine without a UI until SIGTERM / SIGINT.
async fn watch(
    config: Option<&Path>,
    names: &[String],
    metrics: Option<SocketAddr>,
) -> Result<ExitCode, CliError> {
    let lineup = activate_lineup(&load(config)?, names)?;
    headless::watch::run_many(lineup, metrics, |bound| {
        eprintln!("wsmon: serving metrics on http://{bound}/metrics");
    })
    .await
    // Its only error is a `--metrics` address that cannot be served.
    .map_err(CliError::Usage)?;
    Ok(ExitCode::SUCCESS)
}

/// Loads the profiles file and shows its warnings (before any UI).
fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
    let config = config::paths::load(explicit)?;
    warn(&config);
    Ok(config)
}

fn warn(config: &Config) {
    for warning in &config.warnings {
        eprintln!("wsmon: warning: {warning}");
    }
}

fn activate(config: &Config, name: Option<&str>) -> Result<ActiveProfile, ConfigError> {
    config.profile(name)?.activate()
}

/// `wsmon tail`: the sessions with reconnects, one JSON line per event.
async fn tail(
    config: Option<&Path>,
    names: &[String],
    limits: headless::tail::Limits,
) -> Result<ExitCode, CliError> {
    let lineup = activate_lineup(&load(config)?, names)?;
    let stdout = std::io::stdout();
    let out = crate::writer_thread::Output::new(stdout, crate::writer_thread::stdout_may_block())
        .map_err(|e| CliError::Runtime(format!("cannot start the output thread: {e}")))?;
    headless::tail::run_many(lineup, limits, out)
        .await
        .map_err(|e| CliError::output(&e))?;
    Ok(ExitCode::SUCCESS)
}

/// `wsmon demo`: the built-in demo server, and the dashboard on it (or
/// only the server, with a profiles file for it, with `--serve-only`).
/// The profile names asked for: `--profiles`, `--profile`, or none (the
/// file's default).
fn wanted(profile: Option<&str>, profiles: Option<&[String]>) -> Vec<String> {
    match (profiles, profile) {
        (Some(names), _) => config::profile_list(&names.join(",")),
        (None, Some(name)) => vec![name.to_string()],
        (None, None) => Vec::new(),
    }
}

/// Activates the profiles to run live together: those named, then the
/// profiles their isolation probes name (see [`Config::lineup`]). Any
/// that cannot be activated is a config error (exit 2).
fn activate_lineup(config: &Config, names: &[String]) -> Result<Vec<ActiveProfile>, CliError> {
    let lineup = config.lineup(names)?;
    let mut active = Vec::with_capacity(lineup.len());
    for (i, profile) in lineup.into_iter().enumerate() {
        // Asked for (or the default): its own error; else it is there
        // for another profile's isolation probe, and the error says so.
        let asked = names.contains(&profile.name) || (names.is_empty() && i == 0);
        active.push(profile.activate().map_err(|e| {
            if asked {
                CliError::Config(e)
            } else {
                CliError::Usage(format!(
                    "profile `{}` must run live for an isolation probe, but cannot: {e}",
                    profile.name
                ))
            }
        })?);
    }
    Ok(active)
}

/// `check` with several profiles live: one report each, one exit code.
async fn check_many(
    mut lineup: Vec<ActiveProfile>,
    options: CheckOptions,
) -> Result<ExitCode, CliError> {
    for profile in &mut lineup {
        if let Some(timeout) = options.timeout {
            profile.settings.connect_timeout = timeout;
        }
    }
    if options.probe && lineup.iter().all(|p| p.probe.is_none()) {
        return Err(CliError::Usage(
            "none of these profiles has a probe: add a [profiles.NAME.probe] table (see profiles.example.toml)".into(),
        ));
    }
    let reports = match options.watch {
        Some(duration) => headless::check::watch_many(lineup, duration).await,
        None => {
            let timers = lineup.iter().flat_map(headless::check::known_timers);
            let hold = options
                .hold
                .unwrap_or_else(|| headless::check::default_hold(timers));
            headless::check::run_many(lineup, hold, options.probe).await
        }
    };
    let text = match options.format {
        Format::Json => headless::check::many_to_json(&reports) + "\n",
        Format::Text => headless::check::many_to_text(&reports),
    };
    emit(text)?;
    Ok(if reports.iter().all(|r| r.healthy) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn demo(
    serve_only: bool,
    port: u16,
    names: &[String],
    metrics: Option<SocketAddr>,
) -> Result<ExitCode, CliError> {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let server = crate::demo::start(addr, crate::demo::DemoOptions::default())
        .await
        .map_err(|e| CliError::Usage(format!("cannot start the demo server on {addr}: {e}")))?;
    let text = crate::demo::profiles_toml(&server.base_url());
    if serve_only {
        emit(&text)?;
        eprintln!(
            "wsmon: demo server listening on {} (Ctrl-C to stop). Save the profiles above to a file and run `wsmon --config FILE tail`.",
            server.base_url()
        );
        headless::tail::shutdown_signal().await;
        server.shutdown().await;
        return Ok(ExitCode::SUCCESS);
    }
    let config = config::validate::parse(Path::new("<demo>"), &text)?;
    let lineup = pick(&config, names)?;
    let result = open_dashboard(config, lineup, metrics).await;
    server.shutdown().await;
    result
}

/// `wsmon [dashboard]`. Loads and activates before the terminal goes raw:
/// config errors print on a normal terminal and exit 2.
async fn dashboard(
    path: Option<&Path>,
    names: &[String],
    metrics: Option<SocketAddr>,
) -> Result<ExitCode, CliError> {
    let config = load(path)?;
    let lineup = pick(&config, names)?;
    open_dashboard(config, lineup, metrics).await
}

/// The profiles to start on (the first focused), activated, with their
/// indexes in file order.
fn pick(config: &Config, names: &[String]) -> Result<Vec<(usize, ActiveProfile)>, CliError> {
    let active = activate_lineup(config, names)?;
    Ok(active
        .into_iter()
        .map(|a| {
            let live = (config.profiles.iter())
                .position(|p| p.name == a.name)
                .unwrap_or(0);
            (live, a)
        })
        .collect())
}

/// Serves `--metrics` (bound first: a taken port is a plain error, before
/// the terminal goes raw), then runs the dashboard.
async fn open_dashboard(
    config: Config,
    lineup: Vec<(usize, ActiveProfile)>,
    metrics: Option<SocketAddr>,
) -> Result<ExitCode, CliError> {
    // Bound before the terminal goes raw, so a taken port is a plain error.
    let metrics = match (metrics, lineup.first()) {
        (Some(addr), Some((_, active))) => {
            let listener = crate::metrics::bind(addr).await.map_err(CliError::Usage)?;
            let metrics = crate::metrics::Metrics::new(active);
            let stop = tokio_util::sync::CancellationToken::new();
            tokio::spawn(crate::metrics::serve(
                listener,
                metrics.clone(),
                stop.clone(),
            ));
            Some((metrics, stop.drop_guard()))
        }
        _ => None,
    };
    crate::tui::dashboard_lineup(config, lineup, metrics.as_ref().map(|m| m.0.clone()))
        .await
        .map_err(|e| CliError::Runtime(format!("terminal error: {e}")))?;
    Ok(ExitCode::SUCCESS)
}
