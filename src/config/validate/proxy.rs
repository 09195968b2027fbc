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
