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
#[cfg(test)]
pub(crate) fn lint_url(url: &str, sibling_urls: &[&str]) -> Vec<String> {
    let mut urls = Vec::with_capacity(sibling_urls.len() + 1);
    urls.push(url);
    urls.extend_from_slice(sibling_urls);
    lint_urls(&urls).swap_remove(0)
}

/// Warnings for every URL of a profile at once, each judged against
/// all the others, in time linear in their number (a profile may hold
/// thousands of endpoints): every URL is parsed once, and "every sibling
/// agrees" is a count over all of them less the URL's own share. Identical
/// URLs are not each other's siblings.
pub(crate) fn lint_urls(urls: &[&str]) -> Vec<Vec<String>> {
    let parts: Vec<Parts> = urls.iter().map(|u| Parts::of(u)).collect();
    let mut copies: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for url in urls {
        *copies.entry(url.trim()).or_default() += 1;
    }
    let mut total = Tally::default();
    for p in &parts {
        total.add(&Tally::of(p), 1);
    }
    // The example quoted in a warning: the first URL that differs from
    // the one judged (the first URL, or else the first one unlike it).
    let first_other = urls
        .iter()
        .position(|u| u.trim() != urls.first().map_or("", |f| f.trim()));
    urls.iter()
        .zip(&parts)
        .map(|(url, me)| {
            let same = copies.get(url.trim()).copied().unwrap_or(1);
            let mut siblings = total.clone();
            siblings.remove(&Tally::of(me), same);
            let example = if urls.first().is_some_and(|f| f.trim() != url.trim()) {
                parts.first()
            } else {
                first_other.and_then(|i| parts.get(i))
            };
            judge(me, &siblings, example)
        })
        .collect()
}

/// How many URLs have each property the sibling lints compare.
#[derive(Debug, Clone, Default)]
struct Tally {
    urls: usize,
    ws_prefix: usize,
    token: usize,
    real_path: usize,
    real_path_slash: usize,
}

impl Tally {
    fn of(p: &Parts) -> Tally {
        Tally {
            urls: 1,
            ws_prefix: usize::from(p.path.starts_with("/ws/")),
            token: usize::from(p.token_param().is_some()),
            real_path: usize::from(p.has_real_path()),
            real_path_slash: usize::from(p.has_real_path() && p.path.ends_with('/')),
        }
    }

    fn add(&mut self, one: &Tally, times: usize) {
        self.urls += one.urls * times;
        self.ws_prefix += one.ws_prefix * times;
        self.token += one.token * times;
        self.real_path += one.real_path * times;
        self.real_path_slash += one.real_path_slash * times;
    }

    fn remove(&mut self, one: &Tally, times: usize) {
        self.urls = self.urls.saturating_sub(one.urls * times);
        self.ws_prefix = self.ws_prefix.saturating_sub(one.ws_prefix * times);
        self.token = self.token.saturating_sub(one.token * times);
        self.real_path = self.real_path.saturating_sub(one.real_path * times);
        self.real_path_slash = self
            .real_path_slash
            .saturating_sub(one.real_path_slash * times);
    }
}

/// The warnings for one URL, given what its siblings have in common and
/// one sibling to quote.
fn judge(me: &Parts, siblings: &Tally, example: Option<&Parts>) -> Vec<String> {
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
    let Some(example) = example.filter(|_| siblings.urls > 0) else {
        return warnings;
    };
    if !me.path.starts_with("/ws/") && siblings.ws_prefix == siblings.urls {
        warnings.push(format!(
            "the path {} lacks the /ws/ prefix the profile's other endpoints use (e.g. {})",
            me.path, example.path
        ));
    }
    if me.token_param().is_none() && siblings.token == siblings.urls {
        let param = example.token_param().unwrap_or("token");
        warnings.push(format!(
            "no token in the query string, while the profile's other endpoints carry one (?{param}=...): the server will refuse the socket"
        ));
    }
    if me.has_real_path() && siblings.real_path > 0 {
        let mine = me.path.ends_with('/');
        let others_differ = if mine {
            siblings.real_path_slash == 0
        } else {
            siblings.real_path_slash == siblings.real_path
        };
        if others_differ {
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
    fn a_whole_profile_is_judged_as_each_url_against_the_others() {
        let urls = [
            "{ws}/ws/a/?token={token}",
            "{ws}/ws/a/?token={token}",
            "{ws}/b/?token={token}",
            "{ws}/ws/c",
            "http://h/ws/d/?token={token}",
            "{ws}/ws/e/?token={token}",
        ];
        let all = lint_urls(&urls);
        for (i, url) in urls.iter().enumerate() {
            let siblings: Vec<&str> = urls
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, u)| *u)
                .collect();
            assert_eq!(all[i], lint_url(url, &siblings), "{url}");
        }
        assert!(has(&all[2], "lacks the /ws/ prefix"));
        assert!(has(&all[3], "no token"));
        assert!(has(&all[3], "does not end in /"));
        assert!(has(&all[4], "starts with http://"));
        assert!(all[0].is_empty() && all[5].is_empty());
        assert!(lint_urls(&[]).is_empty());
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
