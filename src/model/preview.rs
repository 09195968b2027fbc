//! The one-line preview of a message, as the payload list shows it: what
//! differs between messages first, so a list of notifications can be read
//! without opening each one.
//!
//! A JSON message is shown compact, without braces and quotes noise:
//! `id=7 title="Your export is ready" type="notification"`. Nested objects
//! are flattened with dotted paths (`data.level="warn"`), the same paths an
//! endpoint's `preview = ["title", "data.level"]` chooses fields by. The
//! protocol's event name comes first (Socket.IO event, GraphQL subscription
//! field, Action Cable channel, STOMP destination), then the fields whose
//! value differs between the recent messages, then, dimmed, those that are
//! the same in all of them (`type`, `user`), unless the payload filter is
//! on them (the rows it kept share the field because of it).
//!
//! Pure: no terminal, no I/O. Every piece of text is made terminal-safe
//! here ([`visible`]), so the UI draws parts as they are.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::config::ProtocolKind;
use crate::facts::{Payload, PayloadData};
use crate::protocol::decode::decode;
use crate::text_safe::visible;

/// Bytes of a binary payload shown (as hex) in its preview and filtered on.
pub(crate) const BINARY_BYTES: usize = 48;
/// Larger text messages are previewed as text, not parsed: the list parses
/// every row it shows, every frame, and that must stay cheap.
pub(crate) const PARSE_LIMIT: usize = 16 * 1024;
/// Fields kept per message (a message with thousands shows the first).
const MAX_FIELDS: usize = 64;
/// Characters kept of one value (a long string is cut, with `…`).
const MAX_VALUE: usize = 160;
/// Object nesting flattened into dotted paths; deeper is shown as JSON.
const MAX_DEPTH: usize = 4;

/// The text a filter matches: the message itself, or the hex of a binary
/// payload's first [`BINARY_BYTES`] bytes.
pub(crate) fn filter_text(payload: &Payload) -> Cow<'_, str> {
    match &payload.data {
        PayloadData::Text(t) => Cow::Borrowed(t.as_str()),
        PayloadData::Binary(b) => Cow::Owned(hex(&b[..b.len().min(BINARY_BYTES)])),
    }
}

/// Bytes as lower-case hex pairs separated by spaces (`de ad be ef`).
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// One message, parsed for its preview.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Parsed {
    /// A JSON object (or a protocol message whose data is one): the
    /// protocol's event name and the flattened fields, `(path, value)` with
    /// the value compact JSON, both terminal-safe.
    Fields {
        event: Option<String>,
        fields: Vec<(String, String)>,
    },
    /// Anything else: text (cut), JSON that is not an object, hex of a
    /// binary message (`bin de ad…`); terminal-safe.
    Text { event: Option<String>, text: String },
}

/// Parses `payload` of an endpoint speaking `kind`.
pub(crate) fn parse(payload: &Payload, kind: ProtocolKind) -> Parsed {
    let text = match &payload.data {
        PayloadData::Binary(_) => {
            return Parsed::Text {
                event: None,
                text: format!("bin {}", filter_text(payload)),
            };
        }
        PayloadData::Text(t) => t.as_str(),
    };
    if text.len() > PARSE_LIMIT {
        return Parsed::Text {
            event: None,
            text: cut_visible(text, 4 * MAX_VALUE),
        };
    }
    let (event, data) = match kind {
        ProtocolKind::Raw => match serde_json::from_str::<Value>(text) {
            Ok(v) => (None, v),
            Err(_) => {
                return Parsed::Text {
                    event: None,
                    text: cut_visible(text, 4 * MAX_VALUE),
                };
            }
        },
        kind => match decode(kind, text) {
            Some(d) => graphql_field(kind, d.event, d.data),
            None => {
                return Parsed::Text {
                    event: None,
                    text: cut_visible(text, 4 * MAX_VALUE),
                };
            }
        },
    };
    let event = event.map(|e| cut_visible(&e, MAX_VALUE));
    match data {
        Value::Object(map) if !map.is_empty() => {
            let mut fields = Vec::new();
            flatten("", &Value::Object(map), 0, &mut fields);
            Parsed::Fields { event, fields }
        }
        Value::Null if event.is_some() => Parsed::Text {
            event,
            text: String::new(),
        },
        other => Parsed::Text {
            event,
            text: compact(&other),
        },
    }
}

/// A GraphQL result `{"notificationAdded": {…}}` is named by its one
/// field, the subscription's, rather than by the operation id.
fn graphql_field(kind: ProtocolKind, event: String, data: Value) -> (Option<String>, Value) {
    let graphql = matches!(
        kind,
        ProtocolKind::GraphqlTransportWs | ProtocolKind::GraphqlWs
    );
    match data {
        Value::Object(map) if graphql && map.len() == 1 => {
            let Some((field, inner)) = map.into_iter().next() else {
                return (Some(event), Value::Null);
            };
            if inner.is_object() {
                (Some(field), inner)
            } else {
                let mut map = serde_json::Map::new();
                map.insert(field, inner);
                (Some(event), Value::Object(map))
            }
        }
        data => (Some(event), data),
    }
}

fn flatten(prefix: &str, value: &Value, depth: usize, out: &mut Vec<(String, String)>) {
    let Value::Object(map) = value else {
        return;
    };
    for (key, v) in map {
        if out.len() >= MAX_FIELDS {
            return;
        }
        let path = if prefix.is_empty() {
            visible(key).into_owned()
        } else {
            format!("{prefix}.{}", visible(key))
        };
        match v {
            Value::Object(inner) if !inner.is_empty() && depth + 1 < MAX_DEPTH => {
                flatten(&path, v, depth + 1, out);
            }
            v => out.push((path, compact(v))),
        }
    }
}

/// A value as compact JSON (strings quoted and escaped), cut at
/// [`MAX_VALUE`] characters, terminal-safe.
fn compact(value: &Value) -> String {
    let json = value.to_string();
    cut_visible(&json, MAX_VALUE)
}

/// The first `max` characters of `text`, terminal-safe, `…` if cut. Cut
/// before made visible: a huge message is never copied whole.
fn cut_visible(text: &str, max: usize) -> String {
    let mut chars = text.char_indices();
    let end = chars.nth(max).map_or(text.len(), |(i, _)| i);
    let mut shown = visible(&text[..end]).into_owned();
    if end < text.len() {
        shown.push('…');
    }
    shown
}

/// The paths whose value is the same wherever they appear among `rows`,
/// appearing in at least two of them (a field of one message alone differs
/// from nothing; a field some messages lack is still the same `user`).
pub(crate) fn common_fields<'a>(rows: impl IntoIterator<Item = &'a Parsed>) -> HashSet<String> {
    common_fields_except(rows, |_| false)
}

/// [`common_fields`] less the fields the payload filter is on
/// ([`filter_is_on`], `matches` being the filter's test of a text): rows
/// the filter `invoice` kept all have `type="invoice"` because of the
/// filter, and the field the user filtered on stays where the message has
/// it instead of going to the dimmed end, where a narrow row cuts it off.
pub(crate) fn common_fields_except<'a>(
    rows: impl IntoIterator<Item = &'a Parsed>,
    matches: impl Fn(&str) -> bool,
) -> HashSet<String> {
    // path → (its value, messages having it), or None once it differed.
    let mut seen: HashMap<&str, Option<(&str, usize)>> = HashMap::new();
    for row in rows {
        let Parsed::Fields { fields, .. } = row else {
            continue;
        };
        for (k, v) in fields {
            seen.entry(k.as_str())
                .and_modify(|e| {
                    *e = match *e {
                        Some((same, n)) if same == v.as_str() => Some((same, n + 1)),
                        _ => None,
                    }
                })
                .or_insert(Some((v.as_str(), 1)));
        }
    }
    // The filter is tried once per common field (its value is the same
    // in every row), not once per row.
    seen.into_iter()
        .filter_map(|(k, e)| e.filter(|&(_, n)| n >= 2).map(|(v, _)| (k, v)))
        .filter(|&(k, v)| !filter_is_on(k, v, &matches))
        .map(|(k, _)| k.to_string())
        .collect()
}

/// Whether the payload filter (`matches`, its test of a text) is on the
/// field `path` = `value` (compact JSON): it matches the path, the value,
/// the field as the preview shows it (`data.level="warn"`) or as a compact
/// message carries it (`"level":"warn"`, the last key of the path).
pub(crate) fn filter_is_on(path: &str, value: &str, matches: impl Fn(&str) -> bool) -> bool {
    let key = path.rsplit('.').next().unwrap_or(path);
    matches(path)
        || matches(value)
        || matches(&format!("{path}={value}"))
        || matches(&format!("\"{key}\":{value}"))
}

/// What a piece of a preview is; the UI styles each kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PartKind {
    /// The protocol's event name.
    Event,
    /// A field's path and `=`.
    Key,
    /// A field's value.
    Value,
    /// A field that is the same in every recent message (path and value).
    Common,
    /// Text that is not a field; spaces between fields.
    Plain,
}

/// One styled piece of a preview line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    pub kind: PartKind,
    pub text: String,
}

/// A preview line: parts whose texts joined are what is shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Preview {
    pub parts: Vec<Part>,
}

impl Preview {
    /// The line as plain text.
    pub(crate) fn text(&self) -> String {
        self.parts.iter().map(|p| p.text.as_str()).collect()
    }

    fn push(&mut self, kind: PartKind, text: impl Into<String>) {
        self.parts.push(Part {
            kind,
            text: text.into(),
        });
    }

    /// Cut to `width` characters, the last one `…` when anything was cut.
    pub(crate) fn fit(self, width: usize) -> Preview {
        let total: usize = self.parts.iter().map(|p| p.text.chars().count()).sum();
        if total <= width {
            return self;
        }
        let mut room = width.saturating_sub(1);
        let mut kept = Vec::new();
        for part in self.parts {
            let n = part.text.chars().count();
            if n <= room {
                room -= n;
                kept.push(part);
            } else {
                // The total is over `width`, so the loop always ends here.
                let mut text: String = part.text.chars().take(room).collect();
                text.push('…');
                kept.push(Part {
                    kind: part.kind,
                    text,
                });
                break;
            }
        }
        if width == 0 {
            kept.clear();
        }
        Preview { parts: kept }
    }
}

/// The preview of one parsed message. `chosen` is the endpoint's
/// `preview` (dotted paths; a path also picks the fields under it): when
/// any of them is present only those are shown, in that order. Otherwise
/// the fields not in `common` come first in the message's order, then the
/// `common` ones.
pub(crate) fn preview(parsed: &Parsed, common: &HashSet<String>, chosen: &[String]) -> Preview {
    let mut out = Preview::default();
    let event = match parsed {
        Parsed::Fields { event, .. } | Parsed::Text { event, .. } => event,
    };
    if let Some(e) = event {
        out.push(PartKind::Event, e.clone());
    }
    match parsed {
        Parsed::Text { text, .. } => {
            if !text.is_empty() {
                if event.is_some() {
                    out.push(PartKind::Plain, " ");
                }
                out.push(PartKind::Plain, text.clone());
            }
        }
        Parsed::Fields { fields, .. } => {
            let picked: Vec<&(String, String)> = chosen
                .iter()
                .flat_map(|path| fields.iter().filter(move |(k, _)| under(k, path)))
                .collect();
            let (first, last): (Vec<_>, Vec<_>) = if picked.is_empty() {
                fields.iter().partition(|(k, _)| !common.contains(k))
            } else {
                (picked, Vec::new())
            };
            for (k, v) in first {
                if !out.parts.is_empty() {
                    out.push(PartKind::Plain, " ");
                }
                out.push(PartKind::Key, format!("{k}="));
                out.push(PartKind::Value, v.clone());
            }
            for (k, v) in last {
                if !out.parts.is_empty() {
                    out.push(PartKind::Plain, " ");
                }
                out.push(PartKind::Common, format!("{k}={v}"));
            }
        }
    }
    out
}

/// Whether `path` is `chosen` or a field under it (`data.level` is under
/// `data`).
fn under(path: &str, chosen: &str) -> bool {
    path == chosen || (path.starts_with(chosen) && path.as_bytes().get(chosen.len()) == Some(&b'.'))
}

#[cfg(test)]
mod tests;
