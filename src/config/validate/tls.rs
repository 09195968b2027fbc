//! The TLS fields of a profile: `ca_file`, `client_cert` + `client_key`,
//! `insecure`. Paths are taken relative to the profiles file's folder, and
//! must name existing files; their PEM content is read at activation.

use std::path::PathBuf;

use toml::Spanned;

use super::Validator;
use crate::config::TlsOptions;
use crate::config::file::RawProfile;

impl Validator<'_> {
    pub(super) fn tls(&mut self, raw: &RawProfile, profile: &str) -> TlsOptions {
        let ca_file = self.pem_path(raw.ca_file.as_ref(), profile, "ca_file");
        let client_cert = self.pem_path(raw.client_cert.as_ref(), profile, "client_cert");
        let client_key = self.pem_path(raw.client_key.as_ref(), profile, "client_key");
        // A certificate without its key (or the reverse) cannot be used.
        match (&raw.client_cert, &raw.client_key) {
            (Some(cert), None) => self.report(
                Some(cert.span().start),
                Some(profile),
                "client_cert",
                "is set but `client_key` is not".into(),
                "both `client_cert` and `client_key` (PEM files), or neither",
            ),
            (None, Some(key)) => self.report(
                Some(key.span().start),
                Some(profile),
                "client_key",
                "is set but `client_cert` is not".into(),
                "both `client_cert` and `client_key` (PEM files), or neither",
            ),
            _ => {}
        }
        let insecure = raw.insecure.as_ref().filter(|i| *i.get_ref());
        if let Some(flag) = insecure {
            let (line, column) = self.locator.line_col(flag.span().start);
            self.warnings.push(format!(
                "{}:{line}:{column}: profile `{profile}`: insecure = true: TLS certificates are NOT verified; anyone on the path can read and alter this profile's traffic, token included",
                self.source.display()
            ));
        }
        TlsOptions {
            ca_file,
            client_cert,
            client_key,
            insecure: insecure.is_some(),
        }
    }

    fn pem_path(
        &mut self,
        raw: Option<&Spanned<String>>,
        profile: &str,
        field: &str,
    ) -> Option<PathBuf> {
        let raw = raw?;
        let written = PathBuf::from(raw.get_ref());
        let path = if written.is_absolute() {
            written
        } else {
            self.source
                .parent()
                .map_or(written.clone(), |dir| dir.join(&written))
        };
        if !path.is_file() {
            let message = format!("no file at {}", path.display());
            self.report(
                Some(raw.span().start),
                Some(profile),
                field,
                message,
                "a PEM file; a relative path is taken from the profiles file's folder",
            );
        }
        Some(path)
    }
}
