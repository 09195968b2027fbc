//! `Debug` output of everything that holds a token stays redacted: a stray
//! `{:?}` in a log line or a panic message must not leak it.

mod common;

use common::*;
use wsmon::model::Model;

#[test]
fn debug_of_profiles_endpoints_and_models_is_redacted() {
    let p = profile(
        &[("n", format!("ws://127.0.0.1:9/ws/?token={TOKEN}"))],
        fast_settings(),
    );
    for shown in [
        format!("{p:?}"),
        format!("{:?}", p.endpoints),
        format!("{:?}", p.redactor),
        format!("{:?}", p.token),
        format!("{:?}", Model::new(&p)),
    ] {
        assert!(!shown.contains(TOKEN), "token in Debug output: {shown}");
    }
}
