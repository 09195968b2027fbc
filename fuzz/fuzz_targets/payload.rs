//! Fuzzes the payload pretty-printer (JSON indentation and colours, text,
//! hex dump, one-line preview): no panic, nothing unsafe for a terminal.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wsmon::fuzz::payload(data);
});
