//! Auth refusals (401/403 at the upgrade, 4001/4003/1008/3000/3003 closes),
//! cross-checked with the REST token check and the URL.
//!
//! This is the step a browser cannot take: Daphne answers the same empty
//! 403 for a bad token, a token the socket never saw, and a missing
//! `Origin`. The REST verdict on the same token tells them apart.

use std::time::Duration;

use super::{Facts, Target, diag};
use crate::diagnose::evidence::{Answer, Software};
use crate::diagnose::text::{excerpt, human_duration};
use crate::diagnose::{Diagnosis, DiagnosisKind};
use crate::facts::Verdict;

/// What the URL and the token check say about the token.
struct Findings {
    /// Clauses appended to the summary, each naming one fact.
    clauses: Vec<String>,
    /// Token fixes, most likely first.
    fixes: Vec<String>,
    /// The REST API accepts the token, or did not judge it: the refusal
    /// may lie on the socket side.
    socket_side: bool,
    /// The REST API accepts the token: the server's own words against it
    /// are about something else.
    rest_valid: bool,
}

/// `valid_clause` is what a REST-valid token means in the caller's context;
/// `django` allows Django-specific commands in the fixes.
fn findings(facts: &Facts<'_>, t: &Target, valid_clause: &str, django: bool) -> Findings {
    let mut clauses = Vec::new();
    let mut fixes = Vec::new();
    if !facts.url_has_token {
        clauses.push("the URL carries no token, so the server never saw one".to_string());
        let who = if django {
            "Channels token middlewares"
        } else {
            "servers usually"
        };
        fixes.push(format!(
            "Add the token to the endpoint URL, e.g. url = \"{{ws}}{}?token={{token}}\": browsers cannot send an Authorization header on a WebSocket, so {who} read the query string.",
            t.path
        ));
    }
    let check = facts.token_check;
    let detail = check
        .and_then(|c| c.detail.as_deref())
        .map(|d| format!(" (\"{}\")", excerpt(d)))
        .unwrap_or_default();
    let socket_side = match check.map(|c| c.verdict) {
        Some(Verdict::Invalid) => {
            clauses.push(format!(
                "the REST API rejects the same token, so the token is invalid{detail}"
            ));
            fixes.push(if django {
                "Get a new token (log in again, or python manage.py drf_create_token USERNAME) and update the profile's token.".into()
            } else {
                "Get a new token (log in again) and update the profile's token.".into()
            });
            false
        }
        Some(Verdict::Inactive) => {
            clauses.push(format!(
                "the REST API says the token's account is inactive or deleted{detail}"
            ));
            fixes.push(
                "Reactivate the user (Django admin: Active) or use the token of an active account."
                    .into(),
            );
            false
        }
        Some(Verdict::Missing) => {
            clauses.push(format!(
                "the REST token check says no credentials reached the API{detail}"
            ));
            fixes.push("Check the profile's auth_scheme (DRF TokenAuthentication expects \"Token\", Simple JWT \"Bearer\") and that the token is not empty.".into());
            false
        }
        // The token never reached the socket: its refusal says nothing yet.
        Some(Verdict::Valid) if !facts.url_has_token => {
            clauses.push("the REST API accepts the token itself, so the token is fine".to_string());
            true
        }
        Some(Verdict::Valid) => {
            clauses.push(format!(
                "the REST API accepts the same token, so {valid_clause}"
            ));
            true
        }
        Some(other) => {
            let why = check
                .and_then(|c| c.detail.as_deref())
                .map(|d| format!(": \"{}\"", excerpt(d)))
                .unwrap_or_default();
            clauses.push(format!(
                "the REST token check could not judge the token (verdict {}{why})",
                other.as_str()
            ));
            fixes.push("Fix the token check (server URL, token_check path) so wsmon can tell a bad token from a refused one.".into());
            true
        }
        None if facts.token_check_configured => {
            clauses.push(
                "the REST token check had not answered yet, so a bad token cannot be told from a refused one here".to_string(),
            );
            fixes.push("Read the token check's verdict (the token_check line or the status bar): invalid or inactive means the token or its account, valid means the socket side refuses a good token.".into());
            true
        }
        None => {
            clauses.push(
                "no REST token check has run to tell a bad token from a refused one".to_string(),
            );
            fixes.push("Set token_check in the profile to a REST path that requires the token, so wsmon can tell a bad token from a refused one.".into());
            true
        }
    };
    Findings {
        clauses,
        fixes,
        socket_side,
        rest_valid: check.is_some_and(|c| c.verdict == Verdict::Valid),
    }
}

/// What the server's own words add: a quoted clause, and the token fix
/// when they say the token is bad and the REST check did not already.
fn with_words(f: &mut Findings, a: &Answer) {
    let www = a
        .header("www-authenticate")
        .map(|v| format!(" (WWW-Authenticate: {})", excerpt(v)))
        .unwrap_or_default();
    let meaning = a.said.meaning.or_else(|| {
        a.header("www-authenticate")
            .and_then(crate::diagnose::evidence::body::meaning_of)
    });
    if a.said.words.is_empty() && www.is_empty() {
        return;
    }
    let words = if a.said.words.is_empty() {
        String::new()
    } else {
        format!("\"{}\"", a.said.words)
    };
    match meaning {
        Some(m) if m.is_auth() => {
            f.clauses
                .insert(0, format!("the server says {words}{www}: {}", m.describe()));
            if f.socket_side && !f.rest_valid {
                f.fixes.insert(0, "Get a new token (log in again) and update the profile's token: the server's own answer says this one is refused.".into());
                f.socket_side = false;
            }
        }
        _ => f.clauses.insert(
            0,
            format!("the server says {words}{www}")
                .trim_end()
                .to_string(),
        ),
    }
}

/// Whether Django/Channels advice fits the answer: it names Daphne or
/// Django, or nothing at all (wsmon's home ground).
fn django(a: &Answer) -> bool {
    let fp = &a.fingerprint;
    fp.backend().is_none()
        || fp.has(Software::Daphne)
        || fp.has(Software::Django)
        || fp.has(Software::DjangoRestFramework)
}

/// 401/403 answered to the upgrade.
pub(super) fn handshake(facts: &Facts<'_>, t: &Target, status: u16, a: &Answer) -> Diagnosis {
    let line = a.line();
    let channels = django(a);
    let sent_origin = facts.sent.and_then(|s| s.origin.as_deref());
    // Channels' AllowedHostsOriginValidator answers a refused Origin with
    // the same bare 403 (no headers, no body: Daphne 4.2, observed) as a
    // refused token. An Origin naming another host than the socket's is
    // its likeliest cause while the token is not known to be bad.
    let foreign = sent_origin
        .filter(|o| status == 403 && channels && a.said.words.is_empty() && cross_origin(o, t));
    let valid_clause = match foreign {
        Some(_) => "the token is fine",
        None => "the token is fine and the WebSocket side refuses it",
    };
    let mut f = findings(facts, t, valid_clause, channels);
    with_words(&mut f, a);
    if let Some(o) = foreign
        && f.socket_side
    {
        return origin_refused(f, t, &line, o);
    }
    let mut fixes = Vec::new();
    if status == 401 && channels {
        // Channels itself answers 403; a 401 means another layer refused.
        fixes.push("Django Channels answers 403, not 401: a 401 comes from a proxy, an API gateway or custom middleware in front of the socket; send the credentials it expects.".to_string());
    }
    let origin = match (sent_origin, channels) {
        // Never advise adding what was already sent.
        (Some(o), true) => format!(
            "wsmon already sends Origin \"{}\": if asgi.py wraps the router in AllowedHostsOriginValidator, that origin's host must be in ALLOWED_HOSTS.",
            excerpt(o)
        ),
        (Some(o), false) => format!(
            "wsmon already sends Origin \"{}\": if the server checks origins, its allowed list must contain that value (or send the web app's own origin).",
            excerpt(o)
        ),
        (None, true) => format!(
            "If asgi.py wraps the router in AllowedHostsOriginValidator, a missing Origin gets the same 403: wsmon sends no Origin unless the endpoint's headers set one, so add headers = {{ Origin = \"{}\" }} to the endpoint ({} must be in ALLOWED_HOSTS).",
            t.origin(),
            t.host
        ),
        (None, false) => format!(
            "If the server checks the Origin header (browsers always send one, wsmon only when told), add headers = {{ Origin = \"{}\" }} to the endpoint, or the web app's own origin.",
            t.origin()
        ),
    };
    // With a token that reached the socket and is fine (or unjudged), the
    // Origin check is the likeliest refusal: wsmon, unlike a browser, never
    // sends an Origin by itself.
    let origin_first =
        status == 403 && f.socket_side && facts.url_has_token && sent_origin.is_none();
    if origin_first {
        fixes.push(origin.clone());
    }
    fixes.extend(std::mem::take(&mut f.fixes));
    if f.socket_side && facts.url_has_token {
        let param = t.token_param.as_deref().unwrap_or("token");
        if channels {
            fixes.push(format!("Check the WebSocket auth middleware in asgi.py: does it read the token from the query string, under the parameter name the URL uses ({param})?"));
        } else {
            fixes.push(format!("Check how the server reads the token on the upgrade: the URL sends it as the query parameter {param}."));
        }
    }
    if status == 403 && !origin_first {
        fixes.push(origin);
    }
    if f.socket_side && status == 403 && channels {
        fixes.push("Read the consumer's connect(): every path that does not call accept() ends in 403 (a permission check, a failing user lookup).".into());
    }
    // uvicorn turns websocket.close(code) before accept() into a bare 403
    // and loses the code (uvicorn 0.3x-0.5x, observed).
    if status == 403
        && (a.fingerprint.has(Software::Uvicorn) || a.fingerprint.has(Software::Starlette))
    {
        fixes.push("uvicorn answers 403 to any websocket.close() before accept() (the close code is lost) and to a path no WebSocket route matches: check the path against the app's @app.websocket(...) routes, then the handler's checks before accept() (token, origin, permissions); accept first and then close(code) if clients must see the code.".into());
    }
    diag(
        DiagnosisKind::AuthRejected,
        format!(
            "The server refused the upgrade with {line}; {}.",
            f.clauses.join("; ")
        ),
        fixes,
    )
}

/// Whether the `Origin` value names another host than the socket's (the
/// port does not count: AllowedHostsOriginValidator compares hosts
/// against ALLOWED_HOSTS). An Origin that does not parse counts as
/// foreign.
fn cross_origin(origin: &str, t: &Target) -> bool {
    match url::Url::parse(origin.trim()) {
        Ok(u) => u.host_str().is_none_or(|h| {
            !h.trim_matches(['[', ']'])
                .eq_ignore_ascii_case(t.host.trim_matches(['[', ']']))
        }),
        Err(_) => true,
    }
}

/// A bare 403 from Channels to an upgrade that sent a foreign `Origin`:
/// the Origin validator's refusal. One Origin fix, the socket's own
/// origin (a host ALLOWED_HOSTS must hold for the REST API to answer at
/// all), then the token's.
fn origin_refused(f: Findings, t: &Target, line: &str, sent: &str) -> Diagnosis {
    let sent = excerpt(sent);
    let foreign = url::Url::parse(sent.trim())
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| sent.clone());
    let mut fixes = vec![format!(
        "Send an Origin whose host is in ALLOWED_HOSTS: headers = {{ Origin = \"{}\" }} on the endpoint (the socket's own origin), or add \"{foreign}\" to ALLOWED_HOSTS if pages on that host should open this socket.",
        t.origin()
    )];
    fixes.extend(f.fixes);
    fixes.push("If it still answers 403 with that Origin, read the consumer's connect() and the WebSocket auth middleware: every path that does not call accept() ends in the same 403.".into());
    let mut clauses = vec![format!(
        "wsmon sent Origin \"{sent}\", another host than the socket's ({}), and Channels' AllowedHostsOriginValidator answers an Origin outside ALLOWED_HOSTS with this same bare 403",
        t.host
    )];
    clauses.extend(f.clauses);
    diag(
        DiagnosisKind::OriginRefused,
        format!(
            "The server refused the upgrade's Origin with {line}; {}.",
            clauses.join("; ")
        ),
        fixes,
    )
}

/// An auth refusal known from the server's words (e.g. a malformed answer
/// whose body says "token expired"): `head` says what arrived.
pub(super) fn refused_in_words(facts: &Facts<'_>, t: &Target, head: &str, a: &Answer) -> Diagnosis {
    let mut f = findings(facts, t, "the socket refuses the token anyway", django(a));
    if f.socket_side {
        f.fixes.insert(0, "Get a new token (log in again) and update the profile's token: the server's own words say this one is refused.".into());
    }
    diag(
        DiagnosisKind::AuthRejected,
        format!("{head}: an auth refusal; {}.", f.clauses.join("; ")),
        f.fixes,
    )
}

/// An auth close code sent by the server after it accepted the socket.
pub(super) fn closed(
    facts: &Facts<'_>,
    t: &Target,
    label: &str,
    reason: &str,
    code: u16,
    open_for: Duration,
) -> Diagnosis {
    let f = findings(
        facts,
        t,
        "a server rule other than the token refused it",
        true,
    );
    let find = format!(
        "Find where the server closes with {code} (a Channels consumer's close(code={code}), a handler's ws.close({code})): the condition around it says which check failed."
    );
    let mut fixes = f.fixes;
    if f.socket_side {
        fixes.insert(0, find);
        fixes.push(
            "Check the permissions or groups the server's handler requires of the user.".into(),
        );
    } else {
        fixes.push(find);
    }
    diag(
        DiagnosisKind::AuthRejected,
        format!(
            "The server accepted the socket, then closed it with {label} after {}{reason}; {}.",
            human_duration(open_for),
            f.clauses.join("; ")
        ),
        fixes,
    )
}
