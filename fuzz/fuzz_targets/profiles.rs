//! Fuzzes the profiles-file parser and everything downstream of a parse
//! that succeeds: activation (no I/O: a fixed token) and the listing.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wsmon::fuzz::profiles(data);
});
