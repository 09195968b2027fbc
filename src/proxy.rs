//! Which proxy, if any, a URL of a profile goes through: the same answer
//! for the sockets ([`crate::session::dial`]) and the REST calls (token
//! check, probe: [`Proxies::reqwest`]).
//!
//! The rules, in order:
//! 1. `proxy = "direct"` in the profile: never a proxy.
//! 2. `proxy = "http://host:port"` (or `https://`, `socks5://`, `socks5h://`)
//!    in the profile: every URL of the profile goes through it, loopback
//!    included (it was asked for by name). `NO_PROXY` still applies.
//! 3. Otherwise the environment, as curl reads it (hyper-util's matcher):
//!    `HTTPS_PROXY` for `wss://`/`https://`, `HTTP_PROXY` for
//!    `ws://`/`http://`, `ALL_PROXY` for either when the specific one is
//!    unset (upper or lower case names), `NO_PROXY` (comma-separated hosts,
//!    domains with their subdomains, IPs, CIDR blocks, `*`) to go direct.
//!    Loopback (`localhost`, `*.localhost`, `127.0.0.0/8`, `::1`) always
//!    goes direct: a local dev server is never behind the office proxy.

use std::ffi::OsString;
use std::net::IpAddr;
use std::sync::Arc;

use hyper_util::client::proxy::matcher::Matcher;
use url::Url;

/// How a profile picks proxies. `Default` is "no proxy".
#[derive(Clone, Default)]
pub struct Proxies {
    matcher: Option<Arc<Matcher>>,
    /// The proxy came from the environment: loopback goes direct.
    from_env: bool,
}

impl std::fmt::Debug for Proxies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The matcher's own Debug would print proxy credentials.
        f.debug_struct("Proxies")
            .field("configured", &self.matcher.is_some())
            .field("from_env", &self.from_env)
            .finish()
    }
}

/// What kind of proxy a [`Route`] goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    /// An HTTP proxy, asked for a tunnel with `CONNECT host:port`
    /// (RFC 9110 §9.3.6); `https://` proxies are spoken to over TLS.
    Http { tls: bool },
    /// SOCKS5 (RFC 1928); `remote_dns`: the proxy resolves the name
    /// (`socks5h://`), else wsmon does (`socks5://`).
    Socks5 { remote_dns: bool },
}

/// The proxy one URL goes through.
#[derive(Clone)]
pub struct Route {
    pub kind: ProxyKind,
    pub host: String,
    pub port: u16,
    /// `Proxy-Authorization` for an HTTP proxy (Basic, from the userinfo).
    pub basic_auth: Option<http::HeaderValue>,
    /// User name and password for SOCKS5.
    pub socks_auth: Option<(String, String)>,
    /// The proxy URL with any credentials taken out, for messages.
    pub shown: String,
    /// The proxy URL as configured (credentials included), for reqwest.
    url: Url,
}

impl Route {
    /// The user name and password given with the proxy, if any.
    pub fn credentials(&self) -> Option<(String, String)> {
        let user = self.url.username();
        if user.is_empty() {
            return None;
        }
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        Some((decode(user), decode(self.url.password().unwrap_or(""))))
    }
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Route")
            .field("kind", &self.kind)
            .field("proxy", &self.shown)
            .finish()
    }
}

impl Proxies {
    /// From the profile's `proxy` field and the environment (`env` looks
    /// variables up, so tests need not touch the process environment).
    pub fn new(profile: Option<&str>, env: impl Fn(&str) -> Option<OsString>) -> Proxies {
        let var = |names: &[&str]| -> String {
            names
                .iter()
                .find_map(|n| env(n).and_then(|v| v.into_string().ok()))
                .unwrap_or_default()
        };
        let no = var(&["NO_PROXY", "no_proxy"]);
        match profile.map(str::trim) {
            Some("direct") => Proxies::default(),
            Some(url) => Proxies {
                matcher: Some(Arc::new(Matcher::builder().all(url).no(no).build())),
                from_env: false,
            },
            None => {
                let (all, http, https) = (
                    var(&["ALL_PROXY", "all_proxy"]),
                    var(&["HTTP_PROXY", "http_proxy"]),
                    var(&["HTTPS_PROXY", "https_proxy"]),
                );
                if all.is_empty() && http.is_empty() && https.is_empty() {
                    return Proxies::default();
                }
                let matcher = Matcher::builder()
                    .all(all)
                    .http(http)
                    .https(https)
                    .no(no)
                    .build();
                Proxies {
                    matcher: Some(Arc::new(matcher)),
                    from_env: true,
                }
            }
        }
    }

    /// From the process environment.
    pub fn from_env(profile: Option<&str>) -> Proxies {
        Proxies::new(profile, |name| std::env::var_os(name))
    }

    /// The proxy for `url` (`ws`, `wss`, `http` or `https`), or `None` to
    /// connect directly.
    pub fn route(&self, url: &Url) -> Option<Route> {
        let matcher = self.matcher.as_ref()?;
        let host = url.host_str()?;
        if self.from_env && is_loopback(host) {
            return None;
        }
        // The matcher knows http and https; a WebSocket URL is proxied as
        // the HTTP URL it upgrades from.
        let scheme = match url.scheme() {
            "wss" | "https" => "https",
            _ => "http",
        };
        let port = url.port_or_known_default().unwrap_or(80);
        let dst: http::Uri = format!("{scheme}://{host}:{port}/").parse().ok()?;
        let intercept = matcher.intercept(&dst)?;
        let uri = intercept.uri();
        let kind = match uri.scheme_str()? {
            "http" => ProxyKind::Http { tls: false },
            "https" => ProxyKind::Http { tls: true },
            "socks5" => ProxyKind::Socks5 { remote_dns: false },
            "socks5h" => ProxyKind::Socks5 { remote_dns: true },
            // socks4: not spoken by wsmon's dialer.
            _ => return None,
        };
        let proxy_host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
        let proxy_port = uri.port_u16().unwrap_or(match kind {
            ProxyKind::Http { tls: true } => 443,
            ProxyKind::Http { tls: false } => 80,
            ProxyKind::Socks5 { .. } => 1080,
        });
        let socks_auth = intercept
            .raw_auth()
            .map(|(u, p)| (u.to_string(), p.to_string()));
        let mut url = Url::parse(&uri.to_string()).ok()?;
        let credentials = socks_auth
            .clone()
            .or_else(|| intercept.basic_auth().and_then(basic_credentials));
        if let Some((user, pass)) = &credentials {
            let _ = url.set_username(user);
            let _ = url.set_password(Some(pass));
        }
        let shown = format!("{}://{}:{proxy_port}", uri.scheme_str()?, uri.host()?);
        Some(Route {
            kind,
            host: proxy_host.to_string(),
            port: proxy_port,
            basic_auth: intercept.basic_auth().cloned(),
            socks_auth,
            shown,
            url,
        })
    }

    /// The same choice for reqwest: a custom proxy rule (reqwest's own
    /// reading of the environment is turned off by the caller).
    pub fn reqwest(&self) -> Option<reqwest::Proxy> {
        self.matcher.as_ref()?;
        let this = self.clone();
        let proxy = reqwest::Proxy::custom(move |url| {
            // reqwest takes the credentials from the URL's userinfo.
            this.route(url).map(|route| route.url)
        });
        Some(proxy)
    }
}

/// `Basic base64(user:pass)` back to its parts (the matcher keeps HTTP
/// proxy credentials only as the header).
fn basic_credentials(header: &http::HeaderValue) -> Option<(String, String)> {
    use base64::Engine as _;
    let encoded = header.to_str().ok()?.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, pass) = text.split_once(':').unwrap_or((&text, ""));
    Some((user.to_string(), pass.to_string()))
}

/// `localhost`, `*.localhost` (RFC 6761 §6.3), `127.0.0.0/8`, `::1`.
pub(crate) fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let lower = host.to_ascii_lowercase();
    if lower == "localhost" || lower.ends_with(".localhost") {
        return true;
    }
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    fn shown(p: &Proxies, url: &str) -> Option<String> {
        p.route(&Url::parse(url).unwrap()).map(|r| r.shown)
    }

    #[test]
    fn environment_rules() {
        let p = Proxies::new(
            None,
            env(&[
                ("HTTPS_PROXY", "http://secure.corp:3128"),
                ("http_proxy", "http://plain.corp:8080"),
                ("NO_PROXY", "internal.corp, 10.0.0.0/8"),
            ]),
        );
        assert_eq!(
            shown(&p, "wss://api.example.com/ws/").as_deref(),
            Some("http://secure.corp:3128")
        );
        assert_eq!(
            shown(&p, "ws://api.example.com/ws/").as_deref(),
            Some("http://plain.corp:8080")
        );
        assert_eq!(shown(&p, "wss://db.internal.corp/ws/"), None);
        assert_eq!(shown(&p, "ws://10.1.2.3:8000/ws/"), None);
        // Loopback goes direct whatever the environment says.
        assert_eq!(shown(&p, "ws://127.0.0.1:8000/ws/"), None);
        assert_eq!(shown(&p, "ws://localhost:8000/ws/"), None);
        assert_eq!(shown(&p, "ws://[::1]:8000/ws/"), None);
        let all = Proxies::new(None, env(&[("ALL_PROXY", "socks5h://s.corp:1080")]));
        let route = all.route(&Url::parse("wss://h/").unwrap()).unwrap();
        assert_eq!(route.kind, ProxyKind::Socks5 { remote_dns: true });
        assert_eq!((route.host.as_str(), route.port), ("s.corp", 1080));
        assert!(
            Proxies::new(None, env(&[]))
                .route(&Url::parse("ws://h/").unwrap())
                .is_none()
        );
    }

    #[test]
    fn the_profile_setting_wins_and_keeps_credentials_out_of_sight() {
        let vars = [("HTTPS_PROXY", "http://env.corp:3128")];
        let p = Proxies::new(Some("http://alice:s3cret@127.0.0.1:8888"), env(&vars));
        let route = p
            .route(&Url::parse("wss://127.0.0.1:9443/ws/").unwrap())
            .unwrap();
        assert_eq!(route.shown, "http://127.0.0.1:8888");
        assert!(route.basic_auth.is_some());
        assert!(!format!("{route:?} {p:?}").contains("s3cret"));
        let direct = Proxies::new(Some("direct"), env(&vars));
        assert!(
            direct
                .route(&Url::parse("wss://api.example.com/").unwrap())
                .is_none()
        );
        let socks = Proxies::new(Some("socks5://bob:pw@127.0.0.1:1080"), env(&[]));
        let route = socks.route(&Url::parse("ws://h/").unwrap()).unwrap();
        assert_eq!(route.socks_auth, Some(("bob".into(), "pw".into())));
    }
}
