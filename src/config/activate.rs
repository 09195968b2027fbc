//! Turning a validated [`Profile`] into an [`ActiveProfile`]: resolve its
//! token (the only I/O in config: an env var or a command), then render each
//! endpoint's URL and headers.
//!
//! Tokens are resolved only here, so `wsmon profiles` and validation never
//! run a `token_command`. Errors from here never contain the token: command
//! output is only ever shown redacted, and URL errors are fixed texts.

use std::ffi::OsString;

use url::Url;

use super::{ActiveProfile, ConfigError, Endpoint, Profile, TokenSource};
use crate::secret::{Redactor, Secret};

/// A Socket.IO URL as its own clients dial it: `EIO=4` and
/// `transport=websocket` added to the query when missing (without them
/// the server answers 400 "Transport unknown").
fn socketio_url(url: &mut Url) {
    let has = |key: &str| url.query_pairs().any(|(k, _)| k == key);
    let (eio, transport) = (has("EIO"), has("transport"));
    if !eio || !transport {
        let mut pairs = url.query_pairs_mut();
        if !eio {
            pairs.append_pair("EIO", "4");
        }
        if !transport {
            pairs.append_pair("transport", "websocket");
        }
    }
}

impl Profile {
    /// Resolves the token (reading the environment or running
    /// `token_command`) and renders the endpoints.
    pub fn activate(&self) -> Result<ActiveProfile, ConfigError> {
        if let Some(login) = &self.login {
            let login = super::login::ActiveLogin::resolve(self, login, |n| std::env::var_os(n))?;
            return self.activate_pending(login);
        }
        let token = self.resolve_token(|name| std::env::var_os(name))?;
        self.activate_with(token)
    }

    /// A profile that logs in, before its login: rendered with
    /// [`PENDING_TOKEN`] so its templates are checked now (exit 2 before
    /// any UI), and with the login attached. Sessions wait for the login's
    /// first credential and never dial this rendering.
    pub fn activate_pending(
        &self,
        login: super::login::ActiveLogin,
    ) -> Result<ActiveProfile, ConfigError> {
        let mut active = self.activate_with(Some(Secret::new(PENDING_TOKEN)))?;
        learn_login_secrets(&mut active.redactor, &login);
        // Shown as a token not known yet ("?token=…"), not as the placeholder.
        let pending = crate::secret::redact_value(PENDING_TOKEN);
        for endpoint in &mut active.endpoints {
            endpoint.shown_url = endpoint.shown_url.replace(&pending, "…");
        }
        active.login = Some(std::sync::Arc::new(login));
        Ok(active)
    }

    /// The profile rendered with what its login obtained: `{token}` filled
    /// with the obtained token; for a Django session, its cookies in a
    /// `Cookie` header (and the site's own `Origin`, unless the endpoint
    /// sets one) on every handshake. `old` are earlier secrets of this
    /// login, still redacted (a server may echo an expired token).
    pub fn render_logged_in(
        &self,
        login: std::sync::Arc<super::login::ActiveLogin>,
        obtained: &super::login::Obtained,
        old: &[Secret],
    ) -> Result<ActiveProfile, ConfigError> {
        let mut active = self.activate_with(Some(obtained.token.clone()))?;
        learn_login_secrets(&mut active.redactor, &login);
        for secret in old {
            active.redactor.add(secret.expose());
        }
        if let Some(cookie) = &obtained.cookie {
            active.redactor.add(cookie.session.expose());
            if let Some(csrf) = &cookie.csrf {
                active.redactor.add(csrf.expose());
            }
            let header = cookie.header();
            for endpoint in &mut active.endpoints {
                let has = |headers: &[(String, Secret)], name: &str| {
                    headers
                        .iter()
                        .position(|(h, _)| h.eq_ignore_ascii_case(name))
                };
                match has(&endpoint.headers, "cookie") {
                    Some(i) => {
                        let joined = format!("{}; {header}", endpoint.headers[i].1.expose());
                        endpoint.headers[i].1 = Secret::new(joined);
                    }
                    None => endpoint
                        .headers
                        .push(("Cookie".into(), Secret::new(header.clone()))),
                }
                if has(&endpoint.headers, "origin").is_none() {
                    endpoint
                        .headers
                        .push(("Origin".into(), Secret::new(cookie.origin.clone())));
                }
            }
            active.session_cookie = Some(cookie.clone());
        }
        crate::secret::register(&active.redactor);
        active.login = Some(login);
        Ok(active)
    }

    /// The token from the profile's source. `env` looks up environment
    /// variables (so tests need not touch the process environment).
    pub fn resolve_token(
        &self,
        env: impl Fn(&str) -> Option<OsString>,
    ) -> Result<Option<Secret>, ConfigError> {
        let fail = |message: String| ConfigError::Token {
            profile: self.name.clone(),
            message,
        };
        match &self.token {
            TokenSource::None => Ok(None),
            TokenSource::Inline(secret) => Ok(Some(secret.clone())),
            TokenSource::Env(name) => match env(name).map(OsString::into_string) {
                None => Err(fail(format!("environment variable `{name}` is not set"))),
                Some(Err(_)) => Err(fail(format!(
                    "environment variable `{name}` is not valid UTF-8"
                ))),
                Some(Ok(value)) if value.trim().is_empty() => {
                    Err(fail(format!("environment variable `{name}` is empty")))
                }
                Some(Ok(value)) => Ok(Some(Secret::new(value.trim()))),
            },
            TokenSource::Command(command) => command.run().map(Some).map_err(fail),
        }
    }

    /// Renders the profile with an already resolved token; no I/O.
    pub fn activate_with(&self, token: Option<Secret>) -> Result<ActiveProfile, ConfigError> {
        // One redactor for everything this profile prints: the token, and
        // every credential written literally into its URLs and headers
        // (another user's `?token=…` pasted into a URL is scrubbed from
        // whatever the server echoes later, too).
        let mut redactor = Redactor::new(token.iter());
        let fail = |endpoint: &str, message: String| ConfigError::Render {
            profile: self.name.clone(),
            what: format!("endpoint `{endpoint}`"),
            message,
        };
        // In a URL the token goes percent-encoded (form style, which is also
        // the form `Redactor` knows how to scrub); in a header it goes raw.
        let encoded: Option<String> = token
            .as_ref()
            .map(|t| url::form_urlencoded::byte_serialize(t.expose().as_bytes()).collect());
        let mut rendered = Vec::with_capacity(self.endpoints.len());
        for template in &self.endpoints {
            let name = template.name.as_str();
            let text =
                fill(&template.url, &self.server, encoded.as_deref()).map_err(|m| fail(name, m))?;
            let mut url = Url::parse(&text)
                .map_err(|e| fail(name, format!("the URL does not parse: {e}")))?;
            redactor.learn_url(&url);
            let protocol = template
                .protocol
                .map_texts(|t| fill_text(t, &self.server, token.as_ref().map(Secret::expose)))
                .map_err(|m| fail(name, format!("protocol settings: {m}")))?;
            if protocol.kind == super::ProtocolKind::SocketIo {
                socketio_url(&mut url);
            }
            let mut subprotocols = template.subprotocols.clone();
            if let (true, Some(sub)) = (subprotocols.is_empty(), protocol.kind.subprotocol()) {
                // What the protocol's own clients offer; servers such as
                // graphql-ws close with 4406 without it.
                subprotocols.push(sub.to_string());
            }
            let mut headers = Vec::with_capacity(template.headers.len());
            for (header, value) in &template.headers {
                let value = fill(value, &self.server, token.as_ref().map(Secret::expose))
                    .map_err(|m| fail(name, format!("header `{header}`: {m}")))?;
                redactor.learn_header(header, &value);
                headers.push((header.clone(), Secret::new(value)));
            }
            rendered.push((template, url, headers, subprotocols, protocol));
        }
        redactor.learn_url(&self.server);
        if let Some(proxy) = &self.proxy
            && let Ok(url) = Url::parse(proxy.expose())
        {
            redactor.learn_url(&url);
        }
        let proxy = crate::proxy::Proxies::from_env(self.proxy.as_ref().map(Secret::expose));
        // Proxy credentials from the environment are secrets too.
        for name in [
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            if let Some(url) = std::env::var(name).ok().and_then(|v| Url::parse(&v).ok()) {
                redactor.learn_url(&url);
            }
        }
        crate::secret::register(&redactor);
        let endpoints = rendered
            .into_iter()
            .map(
                |(template, url, headers, subprotocols, protocol)| Endpoint {
                    name: template.name.clone(),
                    shown_url: redactor.redact(url.as_str()).into_owned(),
                    url,
                    headers,
                    subprotocols,
                    heartbeat: template.heartbeat.unwrap_or(self.settings.heartbeat),
                    preview: template.preview.clone(),
                    protocol,
                    expect: template.expect.clone(),
                },
            )
            .collect();
        let token_check = match &self.token_check {
            None => None,
            Some(path) => Some(
                Url::parse(&format!("{}{path}", server_base(&self.server))).map_err(|e| {
                    ConfigError::Render {
                        profile: self.name.clone(),
                        what: "token_check".into(),
                        message: format!("`{path}` does not make a URL: {e}"),
                    }
                })?,
            ),
        };
        let tls = crate::tls::profile_config(&self.tls).map_err(|message| ConfigError::Render {
            profile: self.name.clone(),
            what: "TLS settings".into(),
            message,
        })?;
        let probe = self.probe.as_ref().map(|p| super::ActiveProbe {
            method: p.method.clone(),
            url: format!("{}{}", server_base(&self.server), p.path),
            body: p.body.clone(),
            every: p.every,
            timeout: p.timeout,
            isolation: p.isolation.clone(),
        });
        Ok(ActiveProfile {
            login: None,
            session_cookie: None,
            server_log: self.server_log.clone(),
            django_project: self.django_project.clone(),
            django_python: self.django_python.clone(),
            probe,
            tls,
            insecure: self.tls.insecure,
            name: self.name.clone(),
            description: self.description.clone(),
            server: self.server.clone(),
            token,
            auth_scheme: self.auth_scheme.clone(),
            token_check,
            settings: self.settings,
            endpoints,
            close_codes: self.close_codes.clone(),
            redactor,
            proxy,
        })
    }
}

use super::template::{fill, fill_text, server_base};

/// What `{token}` holds in a login profile before its first login: never
/// dialled (sessions wait for the login), only rendered to check templates.
pub(crate) const PENDING_TOKEN: &str = "wsmon-login-pending";

/// The login's password and client secret, redacted wherever they appear.
fn learn_login_secrets(redactor: &mut Redactor, login: &super::login::ActiveLogin) {
    for secret in [&login.password, &login.client_secret]
        .into_iter()
        .flatten()
    {
        redactor.add(secret.expose());
    }
    crate::secret::register(redactor);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::validate::parse;
    use std::path::Path;

    const TOKEN: &str = "a+b/c=d-0123456789abcdef";

    fn profile(token_line: &str) -> Profile {
        let text = format!(
            r#"[profiles.p]
server = "https://api.example.com/base/"
{token_line}
token_check = "/api/me/"
[[profiles.p.endpoints]]
name = "n"
url = "{{ws}}/ws/?token={{token}}&from={{server}}"
headers = {{ Authorization = "Bearer {{token}}" }}
"#
        );
        let config = parse(Path::new("p.toml"), &text).unwrap();
        config.profiles.into_iter().next().unwrap()
    }

    #[test]
    fn renders_urls_headers_and_the_token_check() {
        let active = profile(r#"token_env = "T""#)
            .activate_with(Some(Secret::new(TOKEN)))
            .unwrap();
        let ep = &active.endpoints[0];
        assert_eq!(
            ep.url.as_str(),
            "wss://api.example.com/base/ws/?token=a%2Bb%2Fc%3Dd-0123456789abcdef&from=https://api.example.com/base"
        );
        assert!(!ep.shown_url.contains("0123456789"), "{}", ep.shown_url);
        assert!(ep.shown_url.contains("token=a+b/c=…"), "{}", ep.shown_url);
        assert_eq!(ep.headers[0].1.expose(), format!("Bearer {TOKEN}"));
        // (`Redactor`'s derived Debug holds the token, so the whole
        // `ActiveProfile` is not checked here.)
        let debug = format!("{:?} {:?}", active.endpoints, active.token);
        assert!(!debug.contains("0123456789"), "{debug}");
        let check = active.token_check.unwrap();
        assert_eq!(check.as_str(), "https://api.example.com/base/api/me/");
    }

    #[test]
    fn env_tokens_are_read_through_the_given_lookup() {
        let p = profile(r#"token_env = "T""#);
        let got = p.resolve_token(|n| (n == "T").then(|| " tok-en-value \n".into()));
        assert_eq!(got.unwrap().unwrap().expose(), "tok-en-value");
        let err = p.resolve_token(|_| None).unwrap_err().to_string();
        assert_eq!(
            err,
            "profile `p`: cannot get its token: environment variable `T` is not set"
        );
        let err = p
            .resolve_token(|_| Some("  ".into()))
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("environment variable `T` is empty"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn command_tokens_use_the_first_line_and_failures_never_show_them() {
        let cmd = |script: &str| profile(&format!(r#"token_command = ["sh", "-c", "{script}"]"#));
        let ok = cmd("printf 'secret-token-1234\\nuser: x\\n'").resolve_token(|_| None);
        assert_eq!(ok.unwrap().unwrap().expose(), "secret-token-1234");
        // The script prints the token without containing it.
        let err = cmd("printf secret-token-%s 1234; printf bad-secret-token-%s 1234 >&2; exit 3")
            .resolve_token(|_| None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("failed (exit status: 3): bad-secr…"), "{err}");
        assert!(!err.contains("secret-token-1234"), "{err}");
        let err = cmd("echo nothing here >&2")
            .resolve_token(|_| None)
            .unwrap_err();
        assert!(
            err.to_string().ends_with("printed nothing: nothing here"),
            "{err}"
        );
        let missing = profile(r#"token_command = ["/nonexistent/wsmon-test"]"#);
        let err = missing.resolve_token(|_| None).unwrap_err().to_string();
        assert!(
            err.contains("cannot run `/nonexistent/wsmon-test`"),
            "{err}"
        );
    }

    #[test]
    fn a_token_is_filled_in_once_even_if_it_looks_like_a_placeholder() {
        let server = Url::parse("http://h:1").unwrap();
        let out = fill("{ws}/?t={token}&s={server}", &server, Some("{ws}")).unwrap();
        assert_eq!(out, "ws://h:1/?t={ws}&s=http://h:1");
        assert!(fill("{token}", &server, None).is_err());
    }
}
