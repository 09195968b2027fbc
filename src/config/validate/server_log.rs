//! `server_log` / `server_log_command` of a profile: where the server's
//! log comes from (one of them at most); and `django_project`, the
//! server's own project folder, and `django_python`, its interpreter.

use std::path::PathBuf;

use super::super::ServerLogSource;
use super::super::file::RawProfile;
use super::Validator;

impl Validator<'_> {
    /// `django_project`: a folder, taken from the profiles file's folder
    /// when relative. Whether it holds a `manage.py` is the doctor's to
    /// say (the folder may be on another machine for other profiles).
    pub(super) fn django_project(&mut self, raw: &RawProfile, profile: &str) -> Option<PathBuf> {
        let dir = raw.django_project.as_ref()?;
        if dir.get_ref().trim().is_empty() {
            self.report(
                Some(dir.span().start),
                Some(profile),
                "django_project",
                "is empty".into(),
                r#"the folder of the project's manage.py, e.g. "../backend""#,
            );
            return None;
        }
        Some(self.beside_the_file(dir.get_ref()))
    }

    /// `django_python`: the project's interpreter (a file path, taken from
    /// the profiles file's folder when relative). Whether it runs is the
    /// doctor's to say, as for `django_project`.
    pub(super) fn django_python(&mut self, raw: &RawProfile, profile: &str) -> Option<PathBuf> {
        let python = raw.django_python.as_ref()?;
        if python.get_ref().trim().is_empty() {
            self.report(
                Some(python.span().start),
                Some(profile),
                "django_python",
                "is empty".into(),
                r#"the project's interpreter, e.g. "../backend/.venv/bin/python""#,
            );
            return None;
        }
        Some(self.beside_the_file(python.get_ref()))
    }

    /// A path as written, taken from the profiles file's folder when relative.
    fn beside_the_file(&self, written: &str) -> PathBuf {
        let written = PathBuf::from(written);
        if written.is_absolute() {
            written
        } else {
            self.source
                .parent()
                .map_or(written.clone(), |d| d.join(&written))
        }
    }

    pub(super) fn server_log(
        &mut self,
        raw: &RawProfile,
        profile: &str,
    ) -> Option<ServerLogSource> {
        match (&raw.server_log, &raw.server_log_command) {
            (Some(file), Some(_)) => {
                self.report(
                    Some(file.span().start),
                    Some(profile),
                    "server_log",
                    "is set together with server_log_command".into(),
                    "one of them: a file (server_log) or a command (server_log_command)",
                );
                None
            }
            (Some(file), None) => {
                let written = PathBuf::from(file.get_ref());
                if file.get_ref().trim().is_empty() {
                    self.report(
                        Some(file.span().start),
                        Some(profile),
                        "server_log",
                        "is empty".into(),
                        r#"the server's log file, e.g. "/var/log/daphne.log""#,
                    );
                    return None;
                }
                // May not exist yet: it is followed once it appears.
                let path = if written.is_absolute() {
                    written
                } else {
                    self.source
                        .parent()
                        .map_or(written.clone(), |dir| dir.join(&written))
                };
                Some(ServerLogSource::File(path))
            }
            (None, Some(command)) => {
                let argv = command.get_ref();
                if argv.first().is_none_or(|p| p.trim().is_empty()) {
                    self.report(
                        Some(command.span().start),
                        Some(profile),
                        "server_log_command",
                        "has no program".into(),
                        r#"a program and its arguments, e.g. ["docker", "logs", "-f", "web"]"#,
                    );
                    return None;
                }
                Some(ServerLogSource::Command(argv.clone()))
            }
            (None, None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::ServerLogSource;
    use crate::config::validate::parse;

    fn profile(extra: &str) -> Result<Option<ServerLogSource>, String> {
        let text = format!("[profiles.p]\nserver = \"http://127.0.0.1:8000\"\n{extra}\n");
        parse(Path::new("/etc/wsmon/profiles.toml"), &text)
            .map(|c| c.profiles[0].server_log.clone())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_file_is_taken_from_the_profiles_folder_and_a_command_as_written() {
        assert_eq!(profile(""), Ok(None));
        assert_eq!(
            profile("server_log = \"logs/daphne.log\""),
            Ok(Some(ServerLogSource::File(
                "/etc/wsmon/logs/daphne.log".into()
            )))
        );
        assert_eq!(
            profile("server_log = \"/var/log/daphne.log\""),
            Ok(Some(ServerLogSource::File("/var/log/daphne.log".into())))
        );
        assert_eq!(
            profile("server_log_command = [\"docker\", \"logs\", \"-f\", \"web\"]"),
            Ok(Some(ServerLogSource::Command(
                ["docker", "logs", "-f", "web"].map(String::from).to_vec()
            )))
        );
    }

    #[test]
    fn a_django_project_is_taken_from_the_profiles_folder() {
        let text =
            "[profiles.p]\nserver = \"http://127.0.0.1:8000\"\ndjango_project = \"../backend\"\n";
        let config = parse(Path::new("/etc/wsmon/profiles.toml"), text).expect("valid");
        assert_eq!(
            config.profiles[0].django_project.as_deref(),
            Some(Path::new("/etc/wsmon/../backend"))
        );
        let empty = parse(
            Path::new("/etc/wsmon/profiles.toml"),
            "[profiles.p]\nserver = \"http://h:1\"\ndjango_project = \" \"\n",
        )
        .expect_err("empty");
        assert!(empty.to_string().contains("django_project"), "{empty}");
    }

    #[test]
    fn a_django_python_is_taken_from_the_profiles_folder() {
        let text = "[profiles.p]\nserver = \"http://127.0.0.1:8000\"\ndjango_python = \"../backend/.venv/bin/python\"\n";
        let config = parse(Path::new("/etc/wsmon/profiles.toml"), text).expect("valid");
        assert_eq!(
            config.profiles[0].django_python.as_deref(),
            Some(Path::new("/etc/wsmon/../backend/.venv/bin/python"))
        );
        let empty = parse(
            Path::new("/etc/wsmon/profiles.toml"),
            "[profiles.p]\nserver = \"http://h:1\"\ndjango_python = \"\"\n",
        )
        .expect_err("empty");
        assert!(empty.to_string().contains("django_python"), "{empty}");
    }

    #[test]
    fn both_at_once_or_an_empty_one_is_a_config_error() {
        let both = profile(
            "server_log = \"a.log\"\nserver_log_command = [\"journalctl\", \"-fu\", \"daphne\"]",
        )
        .expect_err("both");
        assert!(both.contains("server_log_command"), "{both}");
        let empty = profile("server_log_command = []").expect_err("empty");
        assert!(empty.contains("has no program"), "{empty}");
        let blank = profile("server_log = \"\"").expect_err("blank");
        assert!(blank.contains("is empty"), "{blank}");
    }
}
