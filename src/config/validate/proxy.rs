//! The `proxy` field of a profile: `"http://host:port"` (an HTTP proxy
//! asked for `CONNECT` tunnels), `"socks5://…"` / `"socks5h://…"`
//! (credentials may go in the userinfo), or `"direct"` for no proxy
//! whatever the environment says.

use toml::Spanned;
use url::Url;

use super::Validator;
use crate::secret::Secret;

const HELP: &str =
    r#"a proxy URL such as "http://proxy.corp:3128" or "socks5://127.0.0.1:1080", or "direct""#;

impl Validator<'_> {
    pub(super) fn proxy(&mut self, raw: Option<&Spanned<String>>, profile: &str) -> Option<Secret> {
        let raw = raw?;
        let text = raw.get_ref().trim();
        if text == "direct" {
            return Some(Secret::new(text));
        }
        let at = Some(raw.span().start);
        // Not echoed: the value may hold the proxy's password.
        let problem = match Url::parse(text) {
            Err(e) => Some(format!("is not a URL: {e}")),
            Ok(url) if !matches!(url.scheme(), "http" | "socks5" | "socks5h") => Some(format!(
                "`{}://` is not a proxy scheme wsmon speaks",
                url.scheme()
            )),
            Ok(url) if url.host_str().is_none_or(str::is_empty) => Some("has no host".into()),
            Ok(url) if url.path().len() > 1 || url.query().is_some() => {
                Some("has a path or query; a proxy URL is scheme://host:port".into())
            }
            Ok(_) => None,
        };
        if let Some(message) = problem {
            self.report(at, Some(profile), "proxy", message, HELP);
        }
        Some(Secret::new(text))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::validate::parse;

    fn with(proxy: &str) -> Result<Option<String>, String> {
        let text = format!("[profiles.p]\nserver = \"http://h\"\nproxy = \"{proxy}\"\n");
        parse(Path::new("p.toml"), &text)
            .map(|c| c.profiles[0].proxy.as_ref().map(|s| s.expose().to_string()))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn proxy_urls_are_checked_without_echoing_them() {
        assert_eq!(
            with("http://u:pw@proxy.corp:3128").unwrap().as_deref(),
            Some("http://u:pw@proxy.corp:3128")
        );
        assert_eq!(
            with("socks5h://127.0.0.1:1080").unwrap().as_deref(),
            Some("socks5h://127.0.0.1:1080")
        );
        assert_eq!(with("direct").unwrap().as_deref(), Some("direct"));
        let err = with("ftp://u:s3cret-pw@proxy.corp:21").unwrap_err();
        assert!(err.contains("p.toml:3:9"), "{err}");
        assert!(err.contains("`ftp://` is not a proxy scheme"), "{err}");
        assert!(!err.contains("s3cret-pw"), "{err}");
        let err = with("http://proxy.corp:3128/path").unwrap_err();
        assert!(err.contains("has a path or query"), "{err}");
        assert!(with("not a url").unwrap_err().contains("is not a URL"));
    }
}
