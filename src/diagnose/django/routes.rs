//! Matching an endpoint's path against the WebSocket routes the doctor
//! found, as Channels' `URLRouter` does (Channels 4.3
//! `channels/routing.py`): leading `/` stripped, each `path()`/`re_path()`
//! segment matched from the start of what is left (`re_path` without `^`
//! searched), the last one to the end; first route wins. A miss gets the
//! nearest route by edit distance ("did you mean …").

use regex::Regex;

use crate::facts::django::{Route, Segment};

/// The outcome of matching one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RouteMatch {
    /// Route `index` serves the path.
    Found(usize),
    /// No route matches; the nearest one as a path (`/ws/notifications/`),
    /// when one is close enough to be a typo.
    Missing { nearest: Option<String> },
    /// Some route could not be judged (a regex Rust cannot read, an
    /// application the walk could not look inside) before any matched.
    Unknown,
}

/// Django's Python regex as the `regex` crate reads it: `\Z` (end of
/// text) is `\z` there. `None` when it still does not compile
/// (lookarounds, backreferences).
fn compile(python: &str) -> Option<Regex> {
    let mut out = String::with_capacity(python.len());
    let mut chars = python.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('Z') => out.push_str("\\z"),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    Regex::new(&out).ok()
}

/// Matches one segment at the start of `rest` (search for a `re_path`
/// without `^`, as Django's `RegexPattern.match`); the rest after it.
fn segment<'p>(seg: &Segment, rest: &'p str) -> Option<Option<&'p str>> {
    let regex = compile(seg.regex.as_deref()?)?;
    let hit = regex.find(rest);
    Some(hit.map(|m| &rest[m.end()..]))
}

/// Whether `route` serves `path` (already without leading `/`);
/// `None` when it cannot be judged.
fn serves(route: &Route, path: &str) -> Option<bool> {
    let mut rest = path;
    for seg in &route.segments {
        match segment(seg, rest)? {
            Some(after) => rest = after,
            None => return Some(false),
        }
    }
    // The last segment of a `path()` ends in `\Z`; a `re_path` may not:
    // Django accepts what it matched. No segment at all: an application
    // mounted at "websocket" itself serves every path.
    Some(true)
}

/// `path` (as in the endpoint's URL) against `routes`; `unknown` when the
/// walk met an application it could not look inside.
pub(crate) fn find(routes: &[Route], path: &str, unknown: bool) -> RouteMatch {
    let path = path.trim_start_matches('/');
    let mut undecided = false;
    for (i, route) in routes.iter().enumerate() {
        match serves(route, path) {
            Some(true) => return RouteMatch::Found(i),
            Some(false) => {}
            None => undecided = true,
        }
    }
    if undecided || unknown {
        return RouteMatch::Unknown;
    }
    RouteMatch::Missing {
        nearest: nearest(routes, path),
    }
}

/// A route as a person writes its path: the segments joined, regex
/// anchors dropped (`^ws/chat/$` → `/ws/chat/`).
pub(crate) fn shape(route: &Route) -> String {
    let mut out = String::from("/");
    for seg in &route.segments {
        let mut text = seg.route.as_str();
        if seg.kind == "re_path" {
            text = text.trim_start_matches('^');
            text = text.strip_suffix("\\Z").unwrap_or(text);
            text = text.strip_suffix('$').unwrap_or(text);
        }
        out.push_str(text);
    }
    out
}

/// The route nearest to `path` (without leading `/`) by Levenshtein
/// distance, when the distance is small enough to be a typo: at most a
/// third of the path's length, and at least 1 edit allowed.
fn nearest(routes: &[Route], path: &str) -> Option<String> {
    let limit = (path.chars().count() / 3).max(1);
    routes
        .iter()
        .map(shape)
        .map(|s| (strsim::levenshtein(path, &s[1..]), s))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, s)| s)
}
