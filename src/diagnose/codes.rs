//! The close-code catalog: what each WebSocket close code and each HTTP
//! status seen at the upgrade means, who sends it, and what to do.
//!
//! The knowledge is data (`assets/close-codes.toml`, embedded at build time)
//! parsed once on first use. A unit test proves the asset parses and covers
//! every `u16`, so lookups never fail at run time; should the asset ever be
//! broken anyway, lookups fall back to a bare "unknown" entry, not a panic.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The embedded catalog text.
const ASSET: &str = include_str!("../../assets/close-codes.toml");

/// Who puts a close code in a close frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SentBy {
    /// Either endpoint may send it.
    Either,
    /// Only a server (or a gateway) sends it.
    Server,
    /// Only a client sends it.
    Client,
    /// Never sent: the receiving side's library reports it (1005, 1006, 1015).
    Local,
    /// Nobody should send it (reserved or invalid).
    Reserved,
}

impl SentBy {
    /// Plain words for the `explain` output.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            SentBy::Either => "either endpoint",
            SentBy::Server => "the server",
            SentBy::Client => "the client",
            SentBy::Local => "nobody (the receiving side's library reports it)",
            SentBy::Reserved => "nobody (reserved or invalid)",
        }
    }
}

/// Where a close code sits in the number space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CodeClass {
    /// 1000–1015, defined by RFC 6455 and the IANA registry.
    Standard,
    /// 1016–2999, reserved for future WebSocket standards.
    Reserved,
    /// 3000–3999, registered with IANA by libraries and frameworks.
    Registered,
    /// 4000–4999, private to the application.
    Application,
    /// Below 1000 or above 4999: not a valid close code.
    Invalid,
}

impl CodeClass {
    /// The class of any `u16`.
    pub(crate) fn of(code: u16) -> CodeClass {
        match code {
            1000..=1015 => CodeClass::Standard,
            1016..=2999 => CodeClass::Reserved,
            3000..=3999 => CodeClass::Registered,
            4000..=4999 => CodeClass::Application,
            _ => CodeClass::Invalid,
        }
    }
}

/// What one close code means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct CodeInfo {
    pub code: u16,
    pub name: String,
    pub class: CodeClass,
    /// False when the entry describes a whole range, not this code.
    pub specific: bool,
    pub meaning: String,
    pub sent_by: SentBy,
    /// Whether the code ever appears in a close frame (1005/1006/1015 never).
    pub on_wire: bool,
    pub causes: Vec<String>,
    /// Things to try, most likely first.
    pub fixes: Vec<String>,
    /// Library quirks (e.g. tungstenite turning codes into 1002).
    pub note: Option<String>,
}

/// What one HTTP status means as the answer to a WebSocket upgrade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct StatusInfo {
    pub status: u16,
    pub name: String,
    /// False when the entry describes the status class (4xx…), not this one.
    pub specific: bool,
    pub meaning: String,
    pub causes: Vec<String>,
    pub fixes: Vec<String>,
}

/// One `[[close]]` table: `code` for one code, `first`/`last` for a range.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClose {
    code: Option<u16>,
    first: Option<u16>,
    last: Option<u16>,
    name: String,
    sent_by: SentBy,
    on_wire: bool,
    meaning: String,
    causes: Vec<String>,
    fixes: Vec<String>,
    note: Option<String>,
}

/// One `[[http]]` table: `status` for one status, `first`/`last` for a class.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    status: Option<u16>,
    first: Option<u16>,
    last: Option<u16>,
    name: String,
    meaning: String,
    causes: Vec<String>,
    fixes: Vec<String>,
}

/// The parsed asset, with lookups. Exact entries win over ranges.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Catalog {
    close: Vec<RawClose>,
    http: Vec<RawHttp>,
}

impl Catalog {
    fn find_close(&self, code: u16) -> Option<&RawClose> {
        let exact = self.close.iter().find(|e| e.code == Some(code));
        exact.or_else(|| self.close.iter().find(|e| in_range(e.first, e.last, code)))
    }

    fn find_http(&self, status: u16) -> Option<&RawHttp> {
        let exact = self.http.iter().find(|e| e.status == Some(status));
        exact.or_else(|| self.http.iter().find(|e| in_range(e.first, e.last, status)))
    }
}

fn in_range(first: Option<u16>, last: Option<u16>, n: u16) -> bool {
    matches!((first, last), (Some(f), Some(l)) if (f..=l).contains(&n))
}

fn parse(text: &str) -> Result<Catalog, toml::de::Error> {
    toml::from_str(text)
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    // The test `asset_parses_and_covers_every_code` makes the error branch
    // unreachable in a tested build; an empty catalog still answers every
    // lookup through the fallbacks below.
    CATALOG.get_or_init(|| parse(ASSET).unwrap_or_default())
}

/// What a close code means. Every `u16` gets an answer: known codes their own
/// entry, others the entry of their range (1016–2999 reserved, 3000–3999
/// registered, 4000–4999 application, the rest invalid).
pub(crate) fn close_code(code: u16) -> CodeInfo {
    match catalog().find_close(code) {
        Some(e) => CodeInfo {
            code,
            name: e.name.clone(),
            class: CodeClass::of(code),
            specific: e.code == Some(code),
            meaning: e.meaning.clone(),
            sent_by: e.sent_by,
            on_wire: e.on_wire,
            causes: e.causes.clone(),
            fixes: e.fixes.clone(),
            note: e.note.clone(),
        },
        None => CodeInfo {
            code,
            name: "Unknown".to_string(),
            class: CodeClass::of(code),
            specific: false,
            meaning: "No notes on this code.".to_string(),
            sent_by: SentBy::Either,
            on_wire: true,
            causes: Vec::new(),
            fixes: Vec::new(),
            note: None,
        },
    }
}

/// What an HTTP status means as the answer to an upgrade: its own entry, or
/// its class (1xx–5xx) when wsmon has no notes on it; `None` outside 100–599.
pub(crate) fn http_status(status: u16) -> Option<StatusInfo> {
    let e = catalog().find_http(status)?;
    Some(StatusInfo {
        status,
        name: e.name.clone(),
        specific: e.status == Some(status),
        meaning: e.meaning.clone(),
        causes: e.causes.clone(),
        fixes: e.fixes.clone(),
    })
}

#[cfg(test)]
mod tests;
