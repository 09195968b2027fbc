//! The bodies of the fuzz targets, shared by `fuzz/` (libFuzzer) and the
//! corpus replay in `tests/fuzz_corpus.rs`: any input must give a result or
//! a located error, never a panic, and nothing unsafe for a terminal.

use std::path::Path;
use std::time::SystemTime;

use crate::config::ProtocolKind;
use crate::facts::{Payload, PayloadData};
use crate::model::pretty;
use crate::model::preview;
use crate::secret::Secret;
use crate::text_safe::is_unsafe;

/// Parses `data` as a profiles file; on success activates every profile
/// with a fixed token (no env, no commands) and lists them.
pub fn profiles(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match crate::config::validate::parse(Path::new("fuzz.toml"), text) {
        Ok(config) => {
            for profile in &config.profiles {
                let _ = profile.activate_with(Some(Secret::new("fuzz-token-0123456789")));
            }
            let _ = crate::config::listing::describe(&config);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// Runs the payload pretty-printer (popup lines, preview) on `data` as a
/// text payload when it is UTF-8 and as a binary one always, and checks
/// that no character unsafe for a terminal comes out.
pub fn payload(data: &[u8]) {
    let mut payloads = vec![Payload {
        at: SystemTime::UNIX_EPOCH,
        data: PayloadData::Binary(bytes::Bytes::copy_from_slice(data)),
    }];
    if let Ok(text) = std::str::from_utf8(data) {
        payloads.push(Payload {
            at: SystemTime::UNIX_EPOCH,
            data: PayloadData::Text(text.into()),
        });
    }
    for payload in &payloads {
        let mut shown = String::new();
        for kind in [
            ProtocolKind::Raw,
            ProtocolKind::SocketIo,
            ProtocolKind::ActionCable,
        ] {
            let parsed = preview::parse(payload, kind);
            let common = preview::common_fields(std::slice::from_ref(&parsed));
            shown.push_str(&preview::preview(&parsed, &common, &[]).fit(80).text());
        }
        for line in pretty::lines(payload) {
            shown.push_str(&line.text());
        }
        if let Some(c) = shown.chars().find(|c| is_unsafe(*c)) {
            panic!("unsafe character {c:?} in the rendering of {data:?}");
        }
    }
}
