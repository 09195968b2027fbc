//! What wsmon sent: the facts of the request a refusal answers, so advice
//! never asks for what was already there ("add an Origin header" to a
//! profile that sends one) and can name the value the server refused.

/// Where the profile's token travelled in the upgrade request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPlace {
    Url,
    /// In a header other than `Cookie` (e.g. `Authorization`).
    Header,
    Cookie,
    /// In the application protocol's connect (Socket.IO `auth`, graphql
    /// `init_payload`, STOMP `passcode`).
    Protocol,
}

/// The request as sent, token-free.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sent {
    /// The `Origin` header value, when the endpoint sets one.
    pub origin: Option<String>,
    /// The subprotocols offered in `Sec-WebSocket-Protocol`.
    pub subprotocols: Vec<String>,
    /// Where the token went (empty: nowhere).
    pub token_in: Vec<TokenPlace>,
    /// Names of the extra headers sent (values may be secret).
    pub header_names: Vec<String>,
}

impl Sent {
    /// From the endpoint's headers (`(name, value)`, values already
    /// redacted where they held the token) and the token's places.
    pub fn new(
        headers: &[(String, String)],
        subprotocols: &[String],
        token_in: Vec<TokenPlace>,
    ) -> Sent {
        let origin = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("origin"))
            .map(|(_, v)| v.clone());
        Sent {
            origin,
            subprotocols: subprotocols.to_vec(),
            token_in,
            header_names: headers.iter().map(|(k, _)| k.clone()).collect(),
        }
    }

    pub fn sent_header(&self, name: &str) -> bool {
        self.header_names
            .iter()
            .any(|h| h.eq_ignore_ascii_case(name))
    }

    /// Whether the sent Origin names the host being dialled
    /// (`http://127.0.0.1:8000` for `ws://127.0.0.1:8000/…`); `None`
    /// without an Origin.
    pub fn origin_matches_host(&self, host: &str, port: Option<u16>) -> Option<bool> {
        let origin = self.origin.as_deref()?;
        let Ok(url) = url::Url::parse(origin) else {
            return Some(false);
        };
        Some(
            url.host_str().is_some_and(|h| h.eq_ignore_ascii_case(host))
                && (port.is_none() || url.port_or_known_default() == port),
        )
    }

    /// Short facts for evidence lists.
    pub fn facts(&self, host: &str, port: Option<u16>) -> Vec<String> {
        let mut out = Vec::new();
        match (&self.origin, self.origin_matches_host(host, port)) {
            (Some(o), Some(true)) => out.push(format!(
                "sent Origin: {} (the server's own host)",
                crate::diagnose::excerpt(o)
            )),
            (Some(o), _) => out.push(format!("sent Origin: {}", crate::diagnose::excerpt(o))),
            (None, _) => out.push("sent no Origin header".to_string()),
        }
        if !self.subprotocols.is_empty() {
            out.push(format!(
                "offered subprotocols: {}",
                crate::diagnose::excerpt(&self.subprotocols.join(", "))
            ));
        }
        let places: Vec<&str> = self
            .token_in
            .iter()
            .map(|p| match p {
                TokenPlace::Url => "the URL",
                TokenPlace::Header => "a header",
                TokenPlace::Cookie => "a cookie",
                TokenPlace::Protocol => "the protocol's connect payload",
            })
            .collect();
        out.push(if places.is_empty() {
            "sent no token".to_string()
        } else {
            format!("token sent in {}", places.join(" and "))
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn origin_facts() {
        let s = Sent::new(
            &h(&[("Origin", "http://127.0.0.1:8000")]),
            &[],
            vec![TokenPlace::Url],
        );
        assert_eq!(s.origin_matches_host("127.0.0.1", Some(8000)), Some(true));
        assert_eq!(s.origin_matches_host("127.0.0.1", Some(9000)), Some(false));
        assert_eq!(
            s.origin_matches_host("example.com", Some(8000)),
            Some(false)
        );
        let facts = s.facts("127.0.0.1", Some(8000)).join("; ");
        assert!(
            facts.contains("sent Origin: http://127.0.0.1:8000 (the server's own host)"),
            "{facts}"
        );
        assert!(facts.contains("token sent in the URL"), "{facts}");
        let none = Sent::new(&[], &["graphql-transport-ws".into()], vec![]);
        assert_eq!(none.origin_matches_host("x", None), None);
        let facts = none.facts("x", None).join("; ");
        assert!(
            facts.contains("sent no Origin")
                && facts.contains("graphql-transport-ws")
                && facts.contains("sent no token"),
            "{facts}"
        );
        let cookie = Sent::new(
            &h(&[("Cookie", "sessionid=…")]),
            &[],
            vec![TokenPlace::Cookie, TokenPlace::Header],
        );
        assert!(cookie.sent_header("cookie"));
        assert!(
            cookie
                .facts("x", None)
                .join(" ")
                .contains("a cookie and a header")
        );
    }
}
