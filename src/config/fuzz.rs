//! The body of the profiles fuzz target, shared by `fuzz/` (libFuzzer) and
//! the corpus replay in `tests/fuzz_corpus.rs`: any input must give a
//! config or a located error, never a panic.

use std::path::Path;

use crate::secret::Secret;

/// Parses `data` as a profiles file; on success activates every profile
/// with a fixed token (no env, no commands) and lists them.
pub fn profiles(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match super::validate::parse(Path::new("fuzz.toml"), text) {
        Ok(config) => {
            for profile in &config.profiles {
                let _ = profile.activate_with(Some(Secret::new("fuzz-token-0123456789")));
            }
            let _ = super::listing::describe(&config);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}
