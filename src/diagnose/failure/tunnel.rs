//! Attempts that failed at the proxy (the CONNECT or SOCKS5 tunnel) the profile's rules picked (see
//! `crate::proxy`): the proxy could not be reached, or it refused the
//! `CONNECT` tunnel (RFC 9110 §9.3.6, §15.5.8 for 407) or the SOCKS5
//! request (RFC 1928 §6). The server itself was never reached, so nothing
//! here is about the server.

use super::{Target, diag};
use crate::diagnose::text::excerpt;
use crate::diagnose::{Diagnosis, DiagnosisKind};
use crate::facts::ConnectFailure;

const HOW_CHOSEN: &str = "The proxy comes from the profile's `proxy` field, else from HTTPS_PROXY (wss://), HTTP_PROXY (ws://) or ALL_PROXY; list the host in NO_PROXY (or set `proxy = \"direct\"`) to connect without it.";

pub(super) fn failed(t: &Target, f: &ConnectFailure) -> Diagnosis {
    let addr = t.addr();
    let msg = excerpt(&f.message);
    let lower = f.message.to_ascii_lowercase();
    let Some(answer) = &f.http else {
        if lower.contains("unreachable") {
            return diag(
                DiagnosisKind::ProxyRefused,
                format!("The proxy could not be reached, so {addr} was never tried (\"{msg}\")."),
                vec![
                    "Check the proxy's host and port (the profile's `proxy`, or HTTPS_PROXY / HTTP_PROXY / ALL_PROXY).".into(),
                    "Off the company network (or without its VPN) the proxy is not there: connect to the VPN, or go direct.".into(),
                    HOW_CHOSEN.into(),
                ],
            );
        }
        return diag(
            DiagnosisKind::ProxyRefused,
            format!("The proxy did not open a tunnel to {addr} (\"{msg}\")."),
            vec![
                "A SOCKS proxy refusing names its reason above (not allowed by its rules, host unreachable from it, authentication failed).".into(),
                HOW_CHOSEN.into(),
            ],
        );
    };
    let status = answer.status;
    let (why, mut fixes): (String, Vec<String>) = match status {
        407 => {
            let scheme = answer
                .header("proxy-authenticate")
                .map(|h| format!(" (it asks for: {})", excerpt(h)))
                .unwrap_or_default();
            (
                format!("it requires proxy credentials{scheme}, and none or wrong ones were sent"),
                vec![
                    "Put the credentials in the proxy URL: proxy = \"http://USER:PASSWORD@proxy:3128\" (or in HTTPS_PROXY); wsmon sends them as Proxy-Authorization: Basic, and redacts them everywhere.".into(),
                    "A proxy that only takes Kerberos/NTLM (Negotiate) needs a local helper such as cntlm or px in between.".into(),
                ],
            )
        }
        403 => (
            format!("its rules forbid a tunnel to {addr}"),
            vec![
                format!("Many proxies allow CONNECT only to port 443 (squid's SSL_ports, tinyproxy's ConnectPort): serve the socket on 443, or ask for {addr} to be allowed."),
                "The host may be on the proxy's block list: ask its administrators, or go direct if the network allows it.".into(),
            ],
        ),
        // 502 by most, 503 by squid, 500 by tinyproxy ("Unable to connect").
        500..=504 => (
            format!("it could not reach {addr} itself (HTTP {status} from the proxy)"),
            vec![
                format!("The proxy could not resolve or connect to {}: a name that only resolves inside the office network or the VPN, or a server that is down.", t.host),
                "For a host on this machine or the local network, bypass the proxy with NO_PROXY (loopback is always bypassed).".into(),
            ],
        ),
        _ => (
            format!("it answered CONNECT with HTTP {status}"),
            vec!["See the proxy's answer above; its log says why.".into()],
        ),
    };
    fixes.push(HOW_CHOSEN.into());
    // Proxies answer with an HTML error page (tinyproxy, squid).
    let said = crate::diagnose::evidence::body::visible_text(&answer.body_excerpt);
    let said = said.trim();
    let body = if said.is_empty() {
        String::new()
    } else {
        format!(" The proxy said: \"{}\".", excerpt(said))
    };
    diag(
        DiagnosisKind::ProxyRefused,
        format!("The proxy refused the tunnel to {addr}: {why} (\"{msg}\").{body}"),
        fixes,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{FailureKind, HttpAnswer, Stage};

    fn target() -> Target {
        Target::of("wss://api.example.com/ws/")
    }

    fn refused(status: u16, headers: &[(&str, &str)], body: &str) -> ConnectFailure {
        ConnectFailure {
            stage: Stage::Tcp,
            kind: FailureKind::Proxy,
            message: format!(
                "proxy http://proxy.corp:3128: CONNECT api.example.com:443 refused: HTTP {status}"
            ),
            http: Some(HttpAnswer {
                status,
                headers: headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                body_excerpt: body.into(),
            }),
            raw_answer: None,
        }
    }

    #[test]
    fn each_refusal_says_whose_it_is_and_what_to_do() {
        let d = failed(
            &target(),
            &refused(407, &[("proxy-authenticate", "Basic realm=\"corp\"")], ""),
        );
        assert_eq!(d.kind, DiagnosisKind::ProxyRefused);
        assert!(
            d.summary
                .contains("requires proxy credentials (it asks for: Basic realm=\"corp\")"),
            "{}",
            d.summary
        );
        assert!(d.fixes[0].contains("USER:PASSWORD@"), "{:?}", d.fixes);
        let d = failed(&target(), &refused(403, &[], "<h1>Access denied</h1>"));
        assert!(
            d.summary.contains("forbid a tunnel to api.example.com:443"),
            "{}",
            d.summary
        );
        assert!(
            d.summary.contains("The proxy said: \"Access denied\""),
            "{}",
            d.summary
        );
        let d = failed(&target(), &refused(502, &[], ""));
        assert!(
            d.summary
                .contains("could not reach api.example.com:443 itself"),
            "{}",
            d.summary
        );
        let unreachable = ConnectFailure {
            stage: Stage::Tcp,
            kind: FailureKind::Proxy,
            message: "proxy http://proxy.corp:3128 unreachable: cannot connect to 10.0.0.1:3128: Connection refused".into(),
            http: None,
        raw_answer: None,
        };
        let d = failed(&target(), &unreachable);
        assert!(
            d.summary.starts_with(
                "The proxy could not be reached, so api.example.com:443 was never tried"
            ),
            "{}",
            d.summary
        );
        assert!(
            d.fixes.iter().any(|f| f.contains("NO_PROXY")),
            "{:?}",
            d.fixes
        );
    }
}
