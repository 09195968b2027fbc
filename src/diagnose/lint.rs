//! Warnings about an endpoint URL before connecting: the URL mistakes that
//! end as a bare 1006 in a browser (`http://` for `ws://`, a missing `/ws/`
//! prefix, a token left out of the query string, a trailing slash that
//! Django's routes expect).
//!
//! Works on URL templates (`{ws}/ws/notifications/?token={token}`) as well as
//! on rendered URLs, by plain string splitting: a template is not a valid URL.
//! Warnings quote paths only, never query strings, which may hold a token.

/// The parts of a URL or template the lints look at.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Parts {
    /// Lowercase scheme, `None` for a `{ws}…` template.
    scheme: Option<String>,
    path: String,
    /// Query parameter names and values.
    query: Vec<(String, String)>,
}

impl Parts {
    fn of(url: &str) -> Parts {
        let url = url.trim();
        let url = url.split_once('#').map_or(url, |(before, _)| before);
        let (scheme, rest) = match url.split_once("://") {
            Some((scheme, rest)) if !scheme.contains('{') => {
                // Skip the authority: it ends where the path or query starts.
                let end = rest.find(['/', '?']).unwrap_or(rest.len());
                (Some(scheme.to_ascii_lowercase()), &rest[end..])
            }
            // `{ws}/path`: the placeholder stands for scheme and authority.
            _ => match url.strip_prefix('{').and_then(|r| r.split_once('}')) {
                Some((_, rest)) => (None, rest),
                None => (None, url),
            },
        };
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let query = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (k.to_string(), v.to_string())
            })
            .collect();
        Parts {
            scheme,
            path: path.to_string(),
            query,
        }
    }

    /// The query parameter carrying the token, if any.
    fn token_param(&self) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, v)| k.to_ascii_lowercase().contains("token") || v.contains("{token}"))
            .map(|(k, _)| k.as_str())
    }

    /// A path worth comparing for a trailing slash (not the bare root).
    fn has_real_path(&self) -> bool {
        !self.path.is_empty() && self.path != "/"
    }
}

/// Warnings for `url`, judged alone and against `sibling_urls`, the other
/// endpoints of the same profile. Pass templates or shown (token-redacted)
/// URLs. Sibling-based warnings need every sibling to agree, so a profile
/// that mixes styles on purpose is not nagged.
pub fn lint_url(url: &str, sibling_urls: &[&str]) -> Vec<String> {
    let me = Parts::of(url);
    let mut warnings = Vec::new();
    match me.scheme.as_deref() {
        None | Some("ws" | "wss") => {}
        Some(scheme @ ("http" | "https")) => {
            let ws = if scheme == "https" { "wss" } else { "ws" };
            warnings.push(format!(
                "the URL starts with {scheme}:// but WebSocket URLs start with {ws}://"
            ));
        }
        Some(_) => warnings.push(
            "the URL's scheme is not a WebSocket scheme: use ws:// (or wss:// for TLS)".into(),
        ),
    }
    let siblings: Vec<Parts> = sibling_urls
        .iter()
        .filter(|s| s.trim() != url.trim())
        .map(|s| Parts::of(s))
        .collect();
    if siblings.is_empty() {
        return warnings;
    }
    let all = |pred: &dyn Fn(&Parts) -> bool| siblings.iter().all(pred);

    if !me.path.starts_with("/ws/") && all(&|s| s.path.starts_with("/ws/")) {
        warnings.push(format!(
            "the path {} lacks the /ws/ prefix the profile's other endpoints use (e.g. {})",
            me.path, siblings[0].path
        ));
    }
    if me.token_param().is_none() && all(&|s| s.token_param().is_some()) {
        let param = siblings[0].token_param().unwrap_or("token");
        warnings.push(format!(
            "no token in the query string, while the profile's other endpoints carry one (?{param}=...): the server will refuse the socket"
        ));
    }
    let compared: Vec<&Parts> = siblings.iter().filter(|s| s.has_real_path()).collect();
    if me.has_real_path() && !compared.is_empty() {
        let mine = me.path.ends_with('/');
        if compared.iter().all(|s| s.path.ends_with('/') != mine) {
            let (mine_does, others_do) = if mine {
                ("ends", "do not")
            } else {
                ("does not end", "do")
            };
            warnings.push(format!(
                "the path {} {mine_does} in / while the profile's other endpoints {others_do}; Django routes usually end in /, and under Channels a path that matches no route answers 500",
                me.path
            ));
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(warnings: &[String], word: &str) -> bool {
        warnings.iter().any(|w| w.contains(word))
    }

    #[test]
    fn splits_templates_and_urls_alike() {
        let t = Parts::of("{ws}/ws/notifications/?token={token}#x");
        assert_eq!(t.scheme, None);
        assert_eq!(t.path, "/ws/notifications/");
        assert_eq!(t.token_param(), Some("token"));
        let u = Parts::of("WSS://example.com:8443?access_token=abc…");
        assert_eq!(u.scheme.as_deref(), Some("wss"));
        assert_eq!(u.path, "");
        assert_eq!(u.token_param(), Some("access_token"));
    }

    #[test]
    fn http_schemes_are_flagged() {
        let w = lint_url("http://127.0.0.1:8000/ws/chat/", &[]);
        assert!(has(&w, "http://") && has(&w, "ws://"), "{w:?}");
        let w = lint_url("https://example.com/ws/chat/", &[]);
        assert!(has(&w, "wss://"), "{w:?}");
        assert!(has(&lint_url("ftp://x/ws/", &[]), "not a WebSocket scheme"));
        assert!(lint_url("ws://127.0.0.1:8000/ws/chat/", &[]).is_empty());
        assert!(lint_url("{ws}/ws/chat/", &[]).is_empty());
    }

    #[test]
    fn missing_ws_prefix_when_siblings_have_it() {
        let siblings = ["{ws}/ws/notifications/?token={token}"];
        let w = lint_url("{ws}/chat/?token={token}", &siblings);
        assert!(has(&w, "/ws/ prefix"), "{w:?}");
        // Mixed siblings: no opinion.
        let mixed = ["{ws}/ws/a/?token={token}", "{ws}/socket/b/?token={token}"];
        assert!(!has(
            &lint_url("{ws}/chat/?token={token}", &mixed),
            "/ws/ prefix"
        ));
    }

    #[test]
    fn missing_token_when_siblings_carry_one() {
        let siblings = ["{ws}/ws/a/?token={token}", "ws://h/ws/b/?token=aec8…"];
        let w = lint_url("{ws}/ws/c/", &siblings);
        assert!(has(&w, "no token") && has(&w, "?token="), "{w:?}");
        assert!(lint_url("{ws}/ws/c/?token={token}", &siblings).is_empty());
        assert!(!has(&lint_url("{ws}/ws/c/", &["{ws}/ws/a/"]), "no token"));
    }

    #[test]
    fn trailing_slash_mismatch_with_siblings() {
        let siblings = ["{ws}/ws/a/?token={token}"];
        let w = lint_url("{ws}/ws/b?token={token}", &siblings);
        assert!(has(&w, "does not end in /") && has(&w, "500"), "{w:?}");
        let w = lint_url("{ws}/ws/b/", &["{ws}/ws/a", "{ws}/ws/c"]);
        assert!(has(&w, "ends in /"), "{w:?}");
        assert!(!has(
            &lint_url("{ws}/ws/b", &["{ws}/ws/a", "{ws}/ws/c/"]),
            "in /"
        ));
    }

    #[test]
    fn the_url_itself_among_siblings_is_ignored() {
        let url = "{ws}/ws/b?token={token}";
        assert!(lint_url(url, &[url]).is_empty());
    }

    #[test]
    fn warnings_never_quote_the_query() {
        let w = lint_url(
            "http://h/chat?token=SECRETSECRET",
            &["http://h/ws/a/?token=X"],
        );
        assert!(!w.is_empty());
        assert!(w.iter().all(|x| !x.contains("SECRET")), "{w:?}");
    }
}
