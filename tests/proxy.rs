//! Proxies against a real CONNECT proxy (Debian's tinyproxy, started here)
//! in front of real nginx terminating TLS with an `openssl req -x509`
//! certificate, in front of a small axum backend: the socket and the REST
//! token check both go through the tunnel (tinyproxy's log shows each
//! CONNECT), a refused CONNECT (403 by a ConnectPort rule, 407 without the
//! proxy's credentials) is diagnosed as the proxy's doing, credentials in
//! the proxy URL work and never show, and loopback bypasses a proxy from
//! the environment. SOCKS5 against a real microsocks with a password.

mod real;
mod safety_support;

use safety_support::*;
use serde_json::Value;

const GOOD: &str = "good-token-0123456789abcdef";

struct Site {
    dir: tempfile::TempDir,
    ca: std::path::PathBuf,
    nginx: real::Nginx,
}

async fn site() -> Site {
    let dir = real::scratch("proxy");
    let (cert, key) = openssl_cert(dir.path(), "site", "localhost", "DNS:localhost");
    let backend = backend(GOOD).await;
    let nginx = nginx_tls(&cert, &key, backend);
    Site {
        dir,
        ca: cert,
        nginx,
    }
}

impl Site {
    fn port(&self) -> u16 {
        self.nginx.proc.port
    }

    /// A profiles file for the site; `proxy` is the profile's `proxy`
    /// line (or nothing).
    fn profiles(&self, proxy: &str) -> String {
        let text = format!(
            r#"[settings]
connect_timeout = "5s"
[profiles.p]
server = "https://localhost:{port}"
ca_file = "{ca}"
token = "{GOOD}"
token_check = "/api/me/"
{proxy}
[[profiles.p.endpoints]]
name = "feed"
url = "{{ws}}/ws/"
"#,
            port = self.port(),
            ca = self.ca.display(),
        );
        let path = self.dir.path().join("profiles.toml");
        std::fs::write(&path, text).expect("write profiles");
        path.display().to_string()
    }
}

async fn check(site: &Site, config: &str, env: &[(&str, &str)]) -> (Option<i32>, Value, String) {
    let out = wsmon(
        &["--config", config, "check", "--format", "json"],
        site.dir.path(),
        env,
    )
    .await;
    let text = stdout(&out);
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {text}\n{}", stderr(&out)));
    (out.status.code(), json, text)
}

#[tokio::test]
async fn the_socket_and_the_token_check_go_through_the_connect_tunnel() {
    let site = site().await;
    let proxy = Tinyproxy::start("");
    let config = site.profiles(&format!("proxy = \"{}\"", proxy.url()));
    let (code, json, text) = check(&site, &config, &[]).await;
    assert_eq!(code, Some(0), "{text}\n{}", proxy.log());
    assert_eq!(json["token_check"]["verdict"], "valid", "{text}");
    assert_eq!(json["endpoints"][0]["state"], "open", "{text}");
    // One tunnel for the socket, one for the token check, both to nginx.
    let target = format!("localhost:{} HTTP/1.1", site.port());
    let connects = proxy.connects();
    assert_eq!(
        connects.iter().filter(|c| **c == target).count(),
        2,
        "{connects:?}\n{}",
        proxy.log()
    );
    let access = site.nginx.access_log();
    assert!(access.contains("GET /ws/ HTTP/1.1\" 101"), "{access}");
    assert!(access.contains("GET /api/me/ HTTP/1.1\" 200"), "{access}");
}

#[tokio::test]
async fn a_connect_refused_by_the_proxy_rules_is_diagnosed() {
    let site = site().await;
    // Tunnels only to 443, as many company proxies allow.
    let proxy = Tinyproxy::start("ConnectPort 443");
    let config = site.profiles(&format!("proxy = \"{}\"", proxy.url()));
    let (code, json, text) = check(&site, &config, &[]).await;
    assert_eq!(code, Some(1), "{text}");
    let endpoint = &json["endpoints"][0];
    assert_eq!(endpoint["diagnosis"]["kind"], "proxy_refused", "{text}");
    let summary = endpoint["diagnosis"]["summary"].as_str().unwrap_or("");
    assert!(summary.contains("403"), "{summary}");
    assert!(summary.contains("forbid"), "{summary}");
    let fixes = endpoint["diagnosis"]["fixes"].to_string();
    assert!(fixes.contains("ConnectPort"), "{fixes}");
    assert!(
        proxy.log().contains("CONNECT localhost:"),
        "{}",
        proxy.log()
    );
    // The token check went the same way and got the same answer.
    assert_eq!(json["token_check"]["verdict"], "unreachable", "{text}");
    let detail = json["token_check"]["detail"].as_str().unwrap_or("");
    assert!(
        detail.starts_with(&format!("through proxy {}", proxy.url())),
        "{detail}"
    );
}

#[tokio::test]
async fn proxy_credentials_are_sent_and_never_shown() {
    let site = site().await;
    let password = "pr0xy-s3cret-passw0rd-42";
    let proxy = Tinyproxy::start(&format!("BasicAuth wsmon {password}"));
    // Without credentials: 407, diagnosed as such.
    let config = site.profiles(&format!("proxy = \"{}\"", proxy.url()));
    let (code, json, text) = check(&site, &config, &[]).await;
    assert_eq!(code, Some(1), "{text}");
    let diagnosis = &json["endpoints"][0]["diagnosis"];
    assert_eq!(diagnosis["kind"], "proxy_refused", "{text}");
    assert!(
        diagnosis["summary"]
            .as_str()
            .unwrap_or("")
            .contains("requires proxy credentials"),
        "{text}"
    );
    // With them in the proxy URL: through, and the password nowhere.
    let with = format!(
        "proxy = \"http://wsmon:{password}@127.0.0.1:{}\"",
        proxy.proc.port
    );
    let config = site.profiles(&with);
    let (code, _, text) = check(&site, &config, &[]).await;
    assert_eq!(code, Some(0), "{text}\n{}", proxy.log());
    let listed = wsmon(&["--config", &config, "profiles"], site.dir.path(), &[]).await;
    let listed = stdout(&listed);
    assert!(listed.contains("proxy        http://wsmon:"), "{listed}");
    let log = std::fs::read_to_string(site.dir.path().join("wsmon.log")).unwrap_or_default();
    for (what, out) in [("check", &text), ("profiles", &listed), ("log", &log)] {
        assert!(
            !out.contains(password),
            "{what} shows the proxy password:\n{out}"
        );
    }
}

#[tokio::test]
async fn proxies_from_the_environment_skip_loopback() {
    let site = site().await;
    let proxy = Tinyproxy::start("");
    let config = site.profiles("");
    let url = proxy.url();
    let env = [("HTTPS_PROXY", url.as_str()), ("HTTP_PROXY", url.as_str())];
    let (code, _, text) = check(&site, &config, &env).await;
    assert_eq!(code, Some(0), "{text}");
    assert!(proxy.connects().is_empty(), "{}", proxy.log());
    // `proxy = "…"` in the profile is taken for loopback too.
    let config = site.profiles(&format!("proxy = \"{url}\""));
    let (code, _, text) = check(&site, &config, &env).await;
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(proxy.connects().len(), 2, "{}", proxy.log());
}

#[tokio::test]
async fn socks5_carries_the_socket_and_the_token_check() {
    let site = site().await;
    let password = "s0cks-passw0rd-0123456789";
    let socks = Microsocks::start("wsmon", password);
    let config = site.profiles(&format!(
        "proxy = \"socks5h://wsmon:{password}@127.0.0.1:{}\"",
        socks.proc.port
    ));
    let (code, json, text) = check(&site, &config, &[]).await;
    assert_eq!(code, Some(0), "{text}\n{}", socks.proc.log_text());
    assert_eq!(json["token_check"]["verdict"], "valid", "{text}");
    // socks5h: the proxy resolved the name, for the socket and the check.
    let target = format!("localhost:{}", site.port());
    let tunnels = socks.tunnels();
    assert_eq!(
        tunnels.iter().filter(|t| **t == target).count(),
        2,
        "{tunnels:?}"
    );
    assert!(!text.contains(password), "{text}");

    // A wrong password: the proxy's refusal, diagnosed as such.
    let config = site.profiles(&format!(
        "proxy = \"socks5://wsmon:wrong-password@127.0.0.1:{}\"",
        socks.proc.port
    ));
    let (code, json, text) = check(&site, &config, &[]).await;
    assert_eq!(code, Some(1), "{text}");
    assert_eq!(
        json["endpoints"][0]["diagnosis"]["kind"], "proxy_refused",
        "{text}"
    );
}

#[tokio::test]
async fn a_proxy_that_cannot_reach_the_server_is_diagnosed() {
    let site = site().await;
    let proxy = Tinyproxy::start("");
    // Nothing listens on the port the profile names (a freed one).
    let closed = real::free_port();
    let config = site
        .profiles(&format!("proxy = \"{}\"", proxy.url()))
        .to_string();
    let text = std::fs::read_to_string(&config).expect("read");
    std::fs::write(
        &config,
        text.replace(
            &format!("localhost:{}", site.port()),
            &format!("localhost:{closed}"),
        ),
    )
    .expect("write");
    let (code, json, text) = check(&site, &config, &[]).await;
    assert_eq!(code, Some(1), "{text}");
    let diagnosis = &json["endpoints"][0]["diagnosis"];
    assert_eq!(diagnosis["kind"], "proxy_refused", "{text}");
    let summary = diagnosis["summary"].as_str().unwrap_or("");
    assert!(summary.contains("could not reach localhost:"), "{summary}");
    assert!(
        proxy.log().contains(&format!("CONNECT localhost:{closed}")),
        "{}",
        proxy.log()
    );
}
