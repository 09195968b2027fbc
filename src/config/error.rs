//! Config errors: each names the file, line:column, the profile and the field,
//! and says what would be valid. All of them end the program with exit code 2,
//! printed before any terminal UI starts.

use std::fmt;
use std::path::PathBuf;

/// One problem in a profiles file, located as precisely as known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    /// 1-based line and column, when the problem points at a place.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The profile the problem is in, if any.
    pub profile: Option<String>,
    /// The field, as a dotted path (`settings.connect_timeout`, `endpoints[1].url`).
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What would be valid.
    pub help: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        f.write_str(": ")?;
        match (&self.profile, &self.field) {
            (Some(p), Some(field)) => write!(f, "profile `{p}`, field `{field}`: ")?,
            (Some(p), None) => write!(f, "profile `{p}`: ")?,
            (None, Some(field)) => write!(f, "field `{field}`: ")?,
            (None, None) => {}
        }
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  valid: {help}")?;
        }
        Ok(())
    }
}

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no profiles file found; looked in:\n{looked}\nTo start: copy profiles.example.toml to one of those places (or pass --config FILE), or run `wsmon demo` to try wsmon on a built-in demo server"
    )]
    NotFound { looked: String },

    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{}", join_problems(.0))]
    Invalid(Vec<Problem>),

    #[error("no profile named `{name}`; profiles in this file: {}", available.join(", "))]
    UnknownProfile {
        name: String,
        available: Vec<String>,
    },

    /// The token source of the profile being activated failed
    /// (env var unset, command failed or printed nothing).
    #[error("profile `{profile}`: cannot get its token: {message}")]
    Token { profile: String, message: String },

    /// The login of the profile being activated cannot start: its
    /// username or password variable is unset, its command failed.
    #[error("profile `{profile}`: cannot log in: {message}")]
    Login { profile: String, message: String },

    /// A profile could not be rendered into URLs. Validation checks all of
    /// this, so it happens only to profiles built some other way.
    #[error("profile `{profile}`, {what}: {message}")]
    Render {
        profile: String,
        /// `endpoint `NAME`` or `token_check`.
        what: String,
        message: String,
    },
}

fn join_problems(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}
