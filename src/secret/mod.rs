//! Secrets as a type: tokens never print whole.
//!
//! `Secret` wraps a token; its `Debug` and `Display` show only a short prefix
//! (`aec8e0e9a0…`). [`Redactor`] scrubs a profile's secrets out of any text
//! that came from elsewhere (URLs, error chains, HTTP bodies that echo the
//! query string) before that text is stored, printed or logged: known
//! secrets by value, and credentials by meaning ([`meaning`]).

pub(crate) mod meaning;

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use aho_corasick::{AhoCorasick, MatchKind};

/// A token or other credential. Only [`Secret::expose`] gives the full value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The whole value, for the wire only (URLs, headers). Never for display.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The shown form: a prefix short enough that the rest cannot be guessed,
    /// long enough to tell two tokens apart (`aec8e0e9a0…`).
    pub fn redacted(&self) -> String {
        redact_value(&self.0)
    }
}

/// Shows at most 10 characters and never more than a quarter of the value.
pub fn redact_value(value: &str) -> String {
    let chars = value.chars().count();
    let shown = (chars / 4).min(10);
    let prefix: String = value.chars().take(shown).collect();
    format!("{prefix}…")
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// The one redactor of a profile, used on every output path (screen,
/// `tail` lines, `check`, exports, the log, error messages).
///
/// It scrubs two things:
/// - known secrets, by value (raw and percent-encoded): the profile's
///   token, and every credential found in its configuration at activation
///   (a token written literally into an endpoint URL, header credentials,
///   cookie values, proxy passwords), wherever they appear later, a server's
///   echo included;
/// - credentials recognised by meaning, whatever their value
///   ([`meaning::scrub`]): secret-named query parameters, URL userinfo,
///   credential header values.
#[derive(Clone, Default)]
pub struct Redactor {
    /// (needle, replacement) pairs; the raw and URL-encoded forms of each secret.
    /// Shared: every session task of a profile holds a clone.
    needles: Arc<Vec<(String, String)>>,
    /// All needles at once (leftmost-longest); `None` when there are none.
    matcher: Option<Arc<AhoCorasick>>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The needles are the secrets themselves: show only what replaces them.
        let shown: Vec<&str> = self
            .needles
            .iter()
            .map(|(_, shown)| shown.as_str())
            .collect();
        f.debug_struct("Redactor").field("redacts", &shown).finish()
    }
}

impl Redactor {
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Self {
        let mut redactor = Redactor::default();
        for secret in secrets {
            redactor.push(secret.expose());
        }
        redactor.build();
        redactor
    }

    /// Adds a secret value to scrub from now on.
    pub fn add(&mut self, secret: &str) {
        self.push(secret);
        self.build();
    }

    /// Learns the credentials written into a URL: values of secret-named
    /// query parameters and the userinfo password.
    pub fn learn_url(&mut self, url: &url::Url) {
        for (name, value) in url.query_pairs() {
            if meaning::is_secret_param(&name) {
                self.push(&value);
            }
        }
        // The raw (still percent-encoded) forms as they appear in the URL.
        for pair in url.query().unwrap_or("").split('&') {
            if let Some((name, value)) = pair.split_once('=')
                && meaning::is_secret_param(name)
            {
                self.push(value);
            }
        }
        if let Some(password) = url.password() {
            self.push(password);
            if let Ok(decoded) = percent_decode(password) {
                self.push(&decoded);
            }
        }
        self.build();
    }

    /// Learns the credentials of a header written in the configuration.
    pub fn learn_header(&mut self, name: &str, value: &str) {
        if meaning::is_secret_header(name) {
            for credential in meaning::header_credentials(name, value) {
                self.push(&credential);
            }
            self.build();
        }
    }

    fn push(&mut self, secret: &str) {
        // Very short values would redact ordinary words; they are not
        // worth protecting this way (and not real tokens). A `{token}`
        // placeholder is not a secret either.
        if secret.chars().count() < 4
            || (secret.starts_with('{') && secret.ends_with('}'))
            || self.needles.iter().any(|(n, _)| n == secret)
        {
            return;
        }
        let shown = redact_value(secret);
        let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        if encoded != secret {
            let percent = encoded.replace('+', "%20");
            if percent != encoded && !self.needles.iter().any(|(n, _)| *n == percent) {
                Arc::make_mut(&mut self.needles).push((percent, shown.clone()));
            }
            Arc::make_mut(&mut self.needles).push((encoded, shown.clone()));
        }
        Arc::make_mut(&mut self.needles).push((secret.to_string(), shown));
    }

    fn build(&mut self) {
        self.matcher = if self.needles.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(self.needles.iter().map(|(n, _)| n))
                .ok()
                .map(Arc::new)
        };
    }

    /// The text with every known secret replaced by its redacted form, and
    /// every credential recognised by meaning cut short.
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        match self.redact_known(text) {
            Cow::Borrowed(text) => meaning::scrub(text),
            Cow::Owned(known) => Cow::Owned(meaning::scrub(&known).into_owned()),
        }
    }

    /// Only the known secrets, by value: for received messages, where this
    /// runs once per message (one pass whatever the number of secrets).
    /// Whether any secret is known by value: when not, received messages
    /// need no scrubbing at all (checked once per message, inlined).
    #[inline]
    pub fn knows_secrets(&self) -> bool {
        self.matcher.is_some()
    }

    pub fn redact_known<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let Some(matcher) = &self.matcher else {
            return Cow::Borrowed(text);
        };
        if !matcher.is_match(text) {
            return Cow::Borrowed(text);
        }
        let shown: Vec<&str> = self.needles.iter().map(|(_, s)| s.as_str()).collect();
        Cow::Owned(matcher.replace_all(text, &shown))
    }

    /// [`Redactor::redact_known`] for binary payloads.
    pub fn redact_known_bytes<'b>(&self, bytes: &'b [u8]) -> Cow<'b, [u8]> {
        let Some(matcher) = &self.matcher else {
            return Cow::Borrowed(bytes);
        };
        if !matcher.is_match(bytes) {
            return Cow::Borrowed(bytes);
        }
        let shown: Vec<&[u8]> = self.needles.iter().map(|(_, s)| s.as_bytes()).collect();
        Cow::Owned(matcher.replace_all_bytes(bytes, &shown))
    }

    /// A header's value as shown: credential headers by meaning (scheme
    /// and cookie names kept), any other through [`Redactor::redact`].
    pub fn redact_header(&self, name: &str, value: &str) -> String {
        let known = self.redact_known(value);
        if meaning::is_secret_header(name) {
            meaning::shown_header_value(name, &known)
        } else {
            meaning::scrub(&known).into_owned()
        }
    }
}

/// Every secret known to any profile activated in this process, for
/// paths that serve no one profile (the log file).
static GLOBAL: std::sync::RwLock<Option<Arc<Redactor>>> = std::sync::RwLock::new(None);

/// Adds a profile's known secrets to [`global`].
pub fn register(redactor: &Redactor) {
    if redactor.needles.is_empty() {
        return;
    }
    let Ok(mut global) = GLOBAL.write() else {
        return;
    };
    let mut merged = global.as_deref().cloned().unwrap_or_default();
    for (needle, shown) in redactor.needles.iter() {
        if !merged.needles.iter().any(|(n, _)| n == needle) {
            Arc::make_mut(&mut merged.needles).push((needle.clone(), shown.clone()));
        }
    }
    merged.build();
    *global = Some(Arc::new(merged));
}

/// The redactor of every profile activated so far (by meaning only
/// before the first).
pub fn global() -> Arc<Redactor> {
    GLOBAL
        .read()
        .ok()
        .and_then(|g| g.clone())
        .unwrap_or_default()
}

fn percent_decode(text: &str) -> Result<String, std::str::Utf8Error> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(Cow::into_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_whole_token() {
        let token = Secret::new("aec8e0e9a0b3d8637b8926a5adffb44e487330ec");
        assert_eq!(format!("{token}"), "aec8e0e9a0…");
        assert_eq!(format!("{token:?}"), "Secret(aec8e0e9a0…)");
    }

    #[test]
    fn short_tokens_show_at_most_a_quarter() {
        assert_eq!(Secret::new("abcdefgh").redacted(), "ab…");
        assert_eq!(Secret::new("abc").redacted(), "…");
    }

    #[test]
    fn redactor_scrubs_raw_and_encoded_forms() {
        let token = Secret::new("a+b/c=d-secret-value");
        let r = Redactor::new([&token]);
        let text = "url ws://h/?token=a%2Bb%2Fc%3Dd-secret-value and a+b/c=d-secret-value";
        let out = r.redact(text);
        assert!(!out.contains("secret-value"), "{out}");
        assert!(!format!("{r:?}").contains("secret-value"));
    }

    #[test]
    fn literal_url_credentials_become_known_secrets() {
        let url = url::Url::parse(
            "wss://bob:pa%24%24word-1234@h/ws/?token=5f1c2d3e4f5a6b7c&room=1&access_token=zz-0123456789",
        )
        .unwrap();
        let mut r = Redactor::default();
        r.learn_url(&url);
        r.learn_header("Cookie", "sessionid=cookie-value-0001; theme=dark");
        r.learn_header("X-Request-Id", "not-a-secret-0001");
        // An echo in a payload, far from any URL, is scrubbed by value.
        let echo = r#"{"you_sent": "5f1c2d3e4f5a6b7c", "pw": "pa$$word-1234", "c": "cookie-value-0001", "id": "not-a-secret-0001"}"#;
        let out = r.redact_known(echo);
        for secret in ["5f1c2d3e4f5a6b7c", "pa$$word-1234", "cookie-value-0001"] {
            assert!(!out.contains(secret), "{secret} in {out}");
        }
        assert!(out.contains("not-a-secret-0001"), "{out}");
        let shown = r.redact(url.as_str());
        assert!(!shown.contains("0123456789"), "{shown}");
        assert!(!shown.contains("word-1234"), "{shown}");
        assert!(shown.contains("room=1"), "{shown}");
        let bytes = r.redact_known_bytes(b"\x00zz-0123456789\x01");
        assert!(!String::from_utf8_lossy(&bytes).contains("0123456789"));
    }

    #[test]
    fn headers_are_shown_by_meaning() {
        let r = Redactor::default();
        assert_eq!(
            r.redact_header("Authorization", "Bearer abcdefghijklmnopqrstuvwxyz"),
            "Bearer abcdef…"
        );
        assert_eq!(
            r.redact_header("Set-Cookie", "sessionid=0123456789abcdef; Path=/; HttpOnly"),
            "sessionid=0123…; Path=/; HttpOnly"
        );
        assert_eq!(r.redact_header("Origin", "http://h"), "http://h");
    }
}
