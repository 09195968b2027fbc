//! A command that prints a secret (`token_command`, a login's
//! `password_command`), and running it: no shell, stdout's first line, stderr scrubbed of what stdout held.
//!
//! Its arguments are redacted by meaning: they may hold the secret itself
//! (`["echo", "hunter2"]`, as the demo's profile does) or say where it
//! lives (`["pass", "show", "prod/sandra"]`), so every output path (the
//! `profiles` listing, errors, `Debug`) shows the program and that its
//! arguments are hidden, never the arguments.

use std::fmt;
use std::process::{Command, Stdio};

use crate::secret::{Redactor, Secret};
use crate::text_safe::visible;

/// A command that prints a secret: program and arguments, run without a
/// shell. `Display` and `Debug` show `program (arguments hidden)`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretCommand(Vec<String>);

impl SecretCommand {
    /// The command as written: program, then arguments.
    pub fn new(argv: Vec<String>) -> Self {
        Self(argv)
    }

    /// Program and arguments, for running it (never for showing it).
    pub fn argv(&self) -> &[String] {
        &self.0
    }

    /// The program as written, terminal-safe (empty when there is none).
    pub fn program(&self) -> String {
        visible(self.0.first().map_or("", String::as_str)).into_owned()
    }

    /// `` `program` `` and, when it has arguments, ` (arguments hidden)`:
    /// how errors name it.
    fn quoted(&self) -> String {
        format!("`{}`{}", self.program(), self.hidden_note())
    }

    fn hidden_note(&self) -> &'static str {
        if self.0.len() > 1 {
            " (arguments hidden)"
        } else {
            ""
        }
    }

    /// Runs it. The secret is the first line of its trimmed stdout (the
    /// `pass show` convention: more lines may follow).
    pub(crate) fn run(&self) -> Result<Secret, String> {
        let Some((program, args)) = self.0.split_first() else {
            return Err("the command is empty".into());
        };
        let shown = self.quoted();
        // stdin stays the terminal so a password manager can prompt;
        // stderr is captured so a failure can be explained.
        let output = Command::new(program)
            .args(args)
            .stdin(Stdio::inherit())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("cannot run {shown}: {e}"))?;
        let stdout = String::from_utf8(output.stdout)
            .map_err(|_| format!("{shown} printed something that is not UTF-8 text"))?;
        let token = stdout.trim().lines().next().unwrap_or("").trim();
        // Whatever stdout held is scrubbed from stderr, in case a failing
        // command echoes it; so are the arguments, which may hold it too.
        let (whole, first) = (Secret::new(stdout.trim()), Secret::new(token));
        let args: Vec<Secret> = args.iter().map(|a| Secret::new(a.as_str())).collect();
        let redactor = Redactor::new([&whole, &first].into_iter().chain(&args));
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first_err = stderr
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(|l| format!(": {}", visible(&redactor.redact(l))))
            .unwrap_or_default();
        if !output.status.success() {
            return Err(format!("{shown} failed ({}){first_err}", output.status));
        }
        if token.is_empty() {
            return Err(format!("{shown} printed nothing{first_err}"));
        }
        Ok(Secret::new(token))
    }
}

impl fmt::Display for SecretCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.program(), self.hidden_note())
    }
}

impl fmt::Debug for SecretCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretCommand({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(argv: &[&str]) -> SecretCommand {
        SecretCommand::new(argv.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn its_arguments_are_never_shown() {
        let echo = cmd(&["echo", "omar-demo-password"]);
        assert_eq!(echo.to_string(), "echo (arguments hidden)");
        assert!(!format!("{echo:?}").contains("omar-demo-password"));
        assert_eq!(cmd(&["false"]).to_string(), "false");
    }

    #[cfg(unix)]
    #[test]
    fn a_failure_shows_neither_its_arguments_nor_what_they_echo() {
        let err = cmd(&[
            "sh",
            "-c",
            "echo the-secret-arg >&2; exit 3",
            "the-secret-arg",
        ])
        .run()
        .expect_err("exit 3");
        assert!(err.starts_with("`sh` (arguments hidden) failed"), "{err}");
        assert!(!err.contains("the-secret-arg"), "{err}");
        let err = cmd(&["/nonexistent/wsmon-test", "hunter2"])
            .run()
            .expect_err("missing");
        assert!(
            err.starts_with("cannot run `/nonexistent/wsmon-test` (arguments hidden): "),
            "{err}"
        );
    }
}
