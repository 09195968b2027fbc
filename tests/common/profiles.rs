//! A test factory for profiles files: a builder that writes the TOML
//! (values quoted by the `toml` crate, tables in the order given, so the
//! first profile is `profiles[0]`).

use std::path::{Path, PathBuf};

/// A profiles file being built.
#[derive(Default)]
pub struct ProfilesToml {
    default_profile: Option<String>,
    settings: Vec<(String, toml::Value)>,
    profiles: Vec<ProfileToml>,
}

struct ProfileToml {
    name: String,
    fields: Vec<(String, toml::Value)>,
    endpoints: Vec<Vec<(String, toml::Value)>>,
}

impl ProfilesToml {
    pub fn new() -> ProfilesToml {
        ProfilesToml::default()
    }

    /// `default_profile = name`.
    pub fn default_profile(mut self, name: &str) -> Self {
        self.default_profile = Some(name.into());
        self
    }

    /// One key of the file's `[settings]`.
    pub fn setting(mut self, key: &str, value: impl Into<toml::Value>) -> Self {
        self.settings.push((key.into(), value.into()));
        self
    }

    /// A new `[profiles.NAME]` with its `server`; the calls that follow
    /// ([`field`](Self::field), [`endpoint`](Self::endpoint)) fill it.
    pub fn profile(mut self, name: &str, server: &str) -> Self {
        self.profiles.push(ProfileToml {
            name: name.into(),
            fields: vec![("server".into(), server.into())],
            endpoints: Vec::new(),
        });
        self
    }

    /// One key of the last profile (`token`, `token_check`, ...).
    pub fn field(mut self, key: &str, value: impl Into<toml::Value>) -> Self {
        self.last().fields.push((key.into(), value.into()));
        self
    }

    /// An endpoint of the last profile (`url` may use `{ws}`, `{token}`).
    pub fn endpoint(mut self, name: &str, url: &str) -> Self {
        self.last().endpoints.push(vec![
            ("name".into(), name.into()),
            ("url".into(), url.into()),
        ]);
        self
    }

    fn last(&mut self) -> &mut ProfileToml {
        self.profiles.last_mut().expect("profile() first")
    }

    /// The file's text.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let line = |out: &mut String, key: &str, value: &toml::Value| {
            out.push_str(&format!("{key} = {value}\n"));
        };
        if let Some(name) = &self.default_profile {
            line(&mut out, "default_profile", &name.as_str().into());
        }
        if !self.settings.is_empty() {
            out.push_str("\n[settings]\n");
            for (k, v) in &self.settings {
                line(&mut out, k, v);
            }
        }
        for p in &self.profiles {
            let table = toml::Value::String(p.name.clone());
            out.push_str(&format!("\n[profiles.{table}]\n"));
            for (k, v) in &p.fields {
                line(&mut out, k, v);
            }
            for ep in &p.endpoints {
                out.push_str(&format!("\n[[profiles.{table}.endpoints]]\n"));
                for (k, v) in ep {
                    line(&mut out, k, v);
                }
            }
        }
        out
    }

    /// Writes the file to `path` and returns it.
    pub fn write(&self, path: &Path) -> PathBuf {
        std::fs::write(path, self.text()).expect("write profiles file");
        path.to_path_buf()
    }
}
