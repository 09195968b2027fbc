//! Runs a command that prints a secret (`token_command`, a login's
//! `password_command`): no shell, stdout's first line, stderr scrubbed of
//! what stdout held.

use std::process::{Command, Stdio};

use crate::secret::{Redactor, Secret};

/// Runs `token_command` without a shell. The token is the first line of its
/// trimmed stdout (the `pass show` convention: more lines may follow).
pub(crate) fn run_token_command(argv: &[String]) -> Result<Secret, String> {
    let Some((program, args)) = argv.split_first() else {
        return Err("token_command is empty".into());
    };
    let shown = argv.join(" ");
    // stdin stays the terminal so a password manager can prompt; stderr is
    // captured so a failure can be explained.
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    let stdout = String::from_utf8(output.stdout)
        .map_err(|_| format!("`{shown}` printed something that is not UTF-8 text"))?;
    let token = stdout.trim().lines().next().unwrap_or("").trim();
    // Whatever stdout held is scrubbed from stderr, in case a failing
    // command echoes it.
    let (whole, first) = (Secret::new(stdout.trim()), Secret::new(token));
    let redactor = Redactor::new([&whole, &first]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let first_err = stderr
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| format!(": {}", redactor.redact(l)))
        .unwrap_or_default();
    if !output.status.success() {
        return Err(format!("`{shown}` failed ({}){first_err}", output.status));
    }
    if token.is_empty() {
        return Err(format!("`{shown}` printed nothing{first_err}"));
    }
    Ok(Secret::new(token))
}
