//! Secrets as a type: tokens never print whole.
//!
//! `Secret` wraps a token; its `Debug` and `Display` show only a short prefix
//! (`aec8e0e9a0…`). `Redactor` scrubs a profile's token out of any text that
//! came from elsewhere (URLs, error chains, HTTP bodies that echo the query
//! string) before that text is stored, printed or logged.

use std::borrow::Cow;
use std::fmt;

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

/// Replaces every occurrence of a secret (raw and percent-encoded) in text.
#[derive(Clone, Default)]
pub struct Redactor {
    /// (needle, replacement) pairs; the raw and URL-encoded forms of each secret.
    needles: Vec<(String, String)>,
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
        let mut needles = Vec::new();
        for secret in secrets {
            // Very short values would redact ordinary words; they are not
            // worth protecting this way (and not real tokens).
            if secret.0.chars().count() < 4 {
                continue;
            }
            let shown = secret.redacted();
            let encoded: String =
                url::form_urlencoded::byte_serialize(secret.0.as_bytes()).collect();
            if encoded != secret.0 {
                needles.push((encoded, shown.clone()));
            }
            needles.push((secret.0.clone(), shown));
        }
        Redactor { needles }
    }

    /// The text with every secret replaced by its redacted form.
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut out = Cow::Borrowed(text);
        for (needle, shown) in &self.needles {
            if out.contains(needle.as_str()) {
                out = Cow::Owned(out.replace(needle.as_str(), shown));
            }
        }
        out
    }
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
}
