//! The payload list's cursor and filter. Ring indexes shift as old
//! messages are evicted, so the cursor is a sequence number (messages ever
//! pushed), stable across eviction; moves skip what the filter hides.

use super::state::{App, Popup};
use crate::facts::Payload;

/// Most payloads one search looks at (a filter matching nothing in an
/// 8 MiB ring of tiny messages must not cost 80,000 regex runs a frame).
pub(crate) const SCAN_LIMIT: u64 = 20_000;

/// Matches highlighted per line at most.
pub(crate) const MAX_RANGES: usize = 32;

/// The payload filter typed after `/`: a regex when it compiles, else a
/// plain substring.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// The filter as typed.
    pub text: String,
    /// The user is typing it (keys go to the filter, not the keymap).
    pub editing: bool,
    regex: Option<regex::Regex>,
}

impl Filter {
    /// Sets the text and recompiles.
    pub fn set(&mut self, text: String) {
        self.regex = if text.is_empty() {
            None
        } else {
            regex::RegexBuilder::new(&text)
                .size_limit(1 << 20)
                .build()
                .ok()
        };
        self.text = text;
    }

    /// Whether anything is filtered out at all.
    pub fn is_active(&self) -> bool {
        !self.text.is_empty()
    }

    /// Byte ranges of the matches in `text` (at most [`MAX_RANGES`]), for
    /// highlighting; empty matches are left out.
    pub fn ranges(&self, text: &str) -> Vec<std::ops::Range<usize>> {
        if self.text.is_empty() {
            return Vec::new();
        }
        let found: Box<dyn Iterator<Item = std::ops::Range<usize>>> = match &self.regex {
            Some(re) => Box::new(re.find_iter(text).map(|m| m.range())),
            None => Box::new(
                text.match_indices(self.text.as_str())
                    .map(|(at, m)| at..at + m.len()),
            ),
        };
        found.filter(|r| !r.is_empty()).take(MAX_RANGES).collect()
    }

    /// Whether `text` passes (regex, else substring).
    pub fn matches_text(&self, text: &str) -> bool {
        match &self.regex {
            _ if self.text.is_empty() => true,
            Some(re) => re.is_match(text),
            None => text.contains(&self.text),
        }
    }

    /// Whether `payload` passes: text payloads by regex (or substring when
    /// the text is not a valid regex), binary ones by their hex preview.
    pub fn matches(&self, payload: &Payload) -> bool {
        if self.text.is_empty() {
            return true;
        }
        let text = crate::model::preview::filter_text(payload);
        match &self.regex {
            Some(re) => re.is_match(&text),
            None => text.contains(&self.text),
        }
    }
}

impl App {
    /// Sequence numbers of the selected session's ring: `(first, end)`.
    pub fn payload_span(&self) -> (u64, u64) {
        let Some(s) = self.model.sessions.get(self.selected) else {
            return (0, 0);
        };
        let end = self.views.get(self.selected).map_or(0, |v| v.pushed);
        (end.saturating_sub(s.payloads.len() as u64), end)
    }

    /// The payload with sequence number `seq` of the selected session.
    pub fn payload(&self, seq: u64) -> Option<&Payload> {
        let (first, end) = self.payload_span();
        if seq < first || seq >= end {
            return None;
        }
        let s = self.model.sessions.get(self.selected)?;
        s.payloads.get(usize::try_from(seq - first).ok()?)
    }

    /// Payload cursor moves skip what the filter hides; moving up leaves
    /// follow mode, reaching the bottom enters it again.
    pub(crate) fn move_payload(&mut self, delta: i64) {
        let Some(mut seq) = self.cursor_seq() else {
            return;
        };
        let (first, end) = self.payload_span();
        let mut left = delta.unsigned_abs();
        while left > 0 {
            let step = if delta < 0 {
                let lo = first.max(seq.saturating_sub(SCAN_LIMIT));
                (lo..seq).rev().find(|s| self.matches(*s))
            } else {
                let hi = end.min(seq.saturating_add(1 + SCAN_LIMIT));
                (seq + 1..hi).find(|s| self.matches(*s))
            };
            match step {
                Some(s) => seq = s,
                None => break,
            }
            left -= 1;
        }
        self.payload_cursor = seq;
        self.follow = self.last_match() == Some(seq);
    }

    pub(crate) fn matches(&self, seq: u64) -> bool {
        self.payload(seq).is_some_and(|p| self.filter.matches(p))
    }

    /// The newest payload that passes the filter (among the newest
    /// [`SCAN_LIMIT`]).
    pub fn last_match(&self) -> Option<u64> {
        let (first, end) = self.payload_span();
        let lo = first.max(end.saturating_sub(SCAN_LIMIT));
        (lo..end).rev().find(|s| self.matches(*s))
    }

    /// The payload under the cursor: the newest match when following, else
    /// the remembered one (or the oldest kept, if it was evicted).
    pub fn cursor_seq(&self) -> Option<u64> {
        if self.follow {
            return self.last_match();
        }
        let (first, end) = self.payload_span();
        if end == first {
            return None;
        }
        Some(self.payload_cursor.clamp(first, end - 1))
    }

    pub(crate) fn open_payload(&mut self) {
        if let Some(seq) = self.cursor_seq()
            && let Some(payload) = self.payload(seq).cloned()
        {
            self.popup = Some(Popup::Payload { payload, scroll: 0 });
            self.popup_search = Filter::default();
            self.popup_hit = None;
        }
    }

    pub(crate) fn copy_open_payload(&mut self) {
        if let Some(Popup::Payload { payload, .. }) = &self.popup {
            let payload = payload.clone();
            self.copy(&payload);
        }
    }

    pub(crate) fn copy(&mut self, payload: &crate::facts::Payload) {
        let bytes = match &payload.data {
            crate::facts::PayloadData::Text(t) => t.as_bytes().to_vec(),
            crate::facts::PayloadData::Binary(b) => b.to_vec(),
        };
        self.clipboard = Some(bytes);
        self.notice = Some(format!("copied {} bytes (OSC 52)", payload.len()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::PayloadData;

    fn text(s: &str) -> Payload {
        Payload {
            at: std::time::SystemTime::UNIX_EPOCH,
            data: PayloadData::Text(s.into()),
        }
    }

    #[test]
    fn filter_is_a_regex_or_else_a_substring() {
        let mut f = Filter::default();
        f.set(r#""id":\d+"#.into());
        assert!(f.matches(&text(r#"{"id":42}"#)));
        assert!(!f.matches(&text(r#"{"id":"x"}"#)));
        // Not a valid regex: matched literally.
        f.set("a(b".into());
        assert!(f.matches(&text("xa(by")));
        assert!(!f.matches(&text("ab")));
        f.set(String::new());
        assert!(!f.is_active());
        assert!(f.matches(&text("anything")));
    }

    #[test]
    fn binary_payloads_are_filtered_by_their_hex() {
        let mut f = Filter::default();
        f.set("de ad".into());
        let p = Payload {
            at: std::time::SystemTime::UNIX_EPOCH,
            data: PayloadData::Binary(vec![0xde, 0xad, 0xbe, 0xef].into()),
        };
        assert!(f.matches(&p));
    }
}
