//! Where the profiles file is: `--config FILE`, then `$WSMON_CONFIG`, then
//! `profiles.toml` in the platform config directory
//! (`~/.config/wsmon/` on Linux).
//!
//! When nothing is found the error lists every place looked and why it did
//! not count, so the user can tell a typo in `$WSMON_CONFIG` from a missing
//! file.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use directories::ProjectDirs;

use super::{Config, ConfigError, validate};

/// The environment variable that names a profiles file.
pub const ENV_VAR: &str = "WSMON_CONFIG";

/// `profiles.toml` in the platform config directory, if the platform has one
/// (it does not when there is no home directory).
pub fn default_config_path() -> Option<PathBuf> {
    ProjectDirs::from("", "", "wsmon").map(|dirs| dirs.config_dir().join("profiles.toml"))
}

/// Finds the profiles file. An explicit `--config` path must exist (a typo
/// there should not silently fall back to another file).
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
    locate_in(explicit, std::env::var_os(ENV_VAR), default_config_path())
}

/// [`locate`] with the value of `$WSMON_CONFIG` and the platform path given,
/// so the lookup order can be tested without touching the process
/// environment.
pub fn locate_in(
    explicit: Option<&Path>,
    env: Option<OsString>,
    platform: Option<PathBuf>,
) -> Result<PathBuf, ConfigError> {
    if let Some(path) = explicit {
        return match usable(path) {
            Ok(()) => Ok(path.to_path_buf()),
            Err(source) => Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }),
        };
    }
    let mut looked = vec!["  --config FILE: not given".to_string()];
    match env {
        None => looked.push(format!("  ${ENV_VAR}: not set")),
        Some(value) if value.is_empty() => looked.push(format!("  ${ENV_VAR}: set but empty")),
        Some(value) => {
            let path = PathBuf::from(value);
            match usable(&path) {
                Ok(()) => return Ok(path),
                Err(why) => looked.push(format!(
                    "  ${ENV_VAR}={}: {}",
                    path.display(),
                    why_not(&why)
                )),
            }
        }
    }
    match platform {
        None => looked.push("  platform config directory: none (no home directory?)".into()),
        Some(path) => match usable(&path) {
            Ok(()) => return Ok(path),
            Err(why) => looked.push(format!("  {}: {}", path.display(), why_not(&why))),
        },
    }
    Err(ConfigError::NotFound {
        looked: looked.join("\n"),
    })
}

/// Finds, reads and validates the profiles file.
pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
    let path = locate(explicit)?;
    load_file(&path)
}

/// Reads and validates the profiles file at `path`.
pub fn load_file(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut config = validate::parse(path, &text)?;
    if let Some(warning) = readable_tokens_warning(path, &config) {
        config.warnings.push(warning);
    }
    Ok(config)
}

/// A warning when the file holds plain tokens and others may read it.
fn readable_tokens_warning(path: &Path, config: &Config) -> Option<String> {
    let inline = config
        .profiles
        .iter()
        .any(|p| matches!(p.token, super::TokenSource::Inline(_)));
    if !inline {
        return None;
    }
    let mode = file_mode(path)?;
    // Group or world read permission.
    (mode & 0o044 != 0).then(|| {
        format!(
            "{} holds plain tokens and is readable by other users (mode {:o}); run `chmod 600 {}`, or use token_env / token_command",
            path.display(),
            mode & 0o777,
            path.display()
        )
    })
}

#[cfg(unix)]
fn file_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).ok().map(|m| m.permissions().mode())
}

#[cfg(not(unix))]
fn file_mode(_path: &Path) -> Option<u32> {
    None
}

/// `Ok` if `path` is a file; otherwise why not.
fn usable(path: &Path) -> io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if meta.is_file() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ))
    }
}

fn why_not(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "does not exist".into(),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn looked(result: Result<PathBuf, ConfigError>) -> String {
        match result {
            Err(ConfigError::NotFound { looked }) => looked,
            other => panic!("expected NotFound, got {other:?}"),
        }
    }

    #[test]
    fn nothing_found_lists_every_place_and_why() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.toml");
        let text = looked(locate_in(
            None,
            Some(missing.clone().into()),
            Some(dir.path().into()),
        ));
        assert!(text.contains("--config FILE: not given"), "{text}");
        assert!(
            text.contains(&format!(
                "$WSMON_CONFIG={}: does not exist",
                missing.display()
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!("{}: not a regular file", dir.path().display())),
            "{text}"
        );
        assert!(looked(locate_in(None, None, None)).contains("$WSMON_CONFIG: not set"));
        assert!(looked(locate_in(None, Some("".into()), None)).contains("set but empty"));
    }

    #[test]
    fn explicit_wins_and_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.toml"), dir.path().join("b.toml"));
        std::fs::write(&a, "").unwrap();
        std::fs::write(&b, "").unwrap();
        assert_eq!(
            locate_in(Some(&a), Some(b.clone().into()), Some(b.clone())).unwrap(),
            a
        );
        let missing = dir.path().join("missing.toml");
        let err = locate_in(Some(&missing), Some(b.clone().into()), None).unwrap_err();
        assert!(
            matches!(err, ConfigError::Read { ref path, .. } if *path == missing),
            "{err:?}"
        );
        // Then the environment, then the platform directory.
        assert_eq!(
            locate_in(None, Some(b.clone().into()), Some(a.clone())).unwrap(),
            b
        );
        assert_eq!(locate_in(None, None, Some(a.clone())).unwrap(), a);
    }
}
