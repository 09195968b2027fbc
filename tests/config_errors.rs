//! Every kind of profiles-file problem, checked for the exact place
//! (line:column), profile, field and help it reports; plus warnings, the
//! lookup order and that a token never shows in errors or Debug output.

use std::path::Path;

use wsmon::config::validate::parse;
use wsmon::config::{Config, ConfigError, Problem, paths};

const TOKEN: &str = "aec8e0e9a0b3d8637b8926a5adffb44e487330ec";
const DURATION_HELP: &str = r#"a duration like "500ms", "10s", "1m 30s""#;

fn problems(text: &str) -> Vec<Problem> {
    match parse(Path::new("profiles.toml"), text) {
        Err(ConfigError::Invalid(problems)) => problems,
        other => panic!("expected problems, got {other:?}"),
    }
}

fn one(text: &str) -> Problem {
    let mut all = problems(text);
    assert_eq!(all.len(), 1, "{all:#?}");
    all.remove(0)
}

fn ok(text: &str) -> Config {
    parse(Path::new("profiles.toml"), text).unwrap()
}

#[track_caller]
fn at(p: &Problem, line: usize, column: usize, profile: Option<&str>, field: &str) {
    let got = (p.line, p.column, p.profile.as_deref(), p.field.as_deref());
    assert_eq!(
        got,
        (Some(line), Some(column), profile, Some(field)),
        "{p:#?}"
    );
}

fn help(p: &Problem) -> &str {
    p.help.as_deref().unwrap_or("")
}

/// A minimal valid profile, for files that test something else.
const PROFILE: &str = "[profiles.p]\nserver = \"http://127.0.0.1:8000\"\n";

#[test]
fn bad_durations_in_file_and_profile_settings() {
    let p = one(&format!("[settings]\nconnect_timeout = \"10\"\n{PROFILE}"));
    at(&p, 2, 19, None, "settings.connect_timeout");
    assert_eq!(help(&p), DURATION_HELP);
    assert!(
        p.message.starts_with("`10` is not a duration"),
        "{}",
        p.message
    );
    let p = one(&format!(
        "{PROFILE}[profiles.p.settings]\nping_interval = \"soon\"\n"
    ));
    at(&p, 4, 17, Some("p"), "settings.ping_interval");
    assert_eq!(help(&p), DURATION_HELP);
}

/// A duration is told in the README's terms ("500ms", "10s", "1m 30s"),
/// not in the parser's ("expected number at 0") or serde's ("a string").
#[test]
fn durations_are_explained_as_durations() {
    let p = one(&format!("[settings]\nconnect_timeout = \"-5s\"\n{PROFILE}"));
    at(&p, 2, 19, None, "settings.connect_timeout");
    assert_eq!(
        p.message,
        "`-5s` is not a duration: a duration cannot be negative"
    );
    assert_eq!(help(&p), DURATION_HELP);
    let p = one(&format!("[settings]\nconnect_timeout = 5\n{PROFILE}"));
    at(&p, 2, 19, None, "settings.connect_timeout");
    assert_eq!(
        p.message,
        "`5` is a bare number: a duration is text with its unit, in quotes, e.g. \"5s\""
    );
    assert_eq!(help(&p), DURATION_HELP);
    let p = one(&format!(
        "{PROFILE}[profiles.p.probe]\npath = \"/x\"\nevery = 30\n"
    ));
    at(&p, 5, 9, Some("p"), "probe.every");
    assert_eq!(help(&p), DURATION_HELP);
}

/// A misspelt field: the valid one it is closest to, beside the list.
#[test]
fn a_misspelt_field_suggests_the_nearest_valid_one() {
    let p = one(&format!("[settings]\nconect_timeout = \"5s\"\n{PROFILE}"));
    at(&p, 2, 1, None, "settings.conect_timeout");
    assert_eq!(
        p.message,
        "unknown field `conect_timeout`; did you mean `connect_timeout`?"
    );
    assert!(help(&p).starts_with("one of: connect_timeout, "), "{p}");
    let p = one(&format!("{PROFILE}token_chek = \"/api/\"\n"));
    assert!(
        p.message.ends_with("did you mean `token_check`?"),
        "{}",
        p.message
    );
    // Nothing close: no guess.
    let p = one(&format!("{PROFILE}colour = \"red\"\n"));
    assert_eq!(p.message, "unknown field `colour`");
}

#[test]
fn zero_timers_are_refused() {
    let all = problems(&format!(
        "[settings]\nping_interval = \"0s\"\npong_timeout = \"0ms\"\nconnect_timeout = \"0s\"\n{PROFILE}"
    ));
    let fields: Vec<_> = all.iter().map(|p| p.field.as_deref().unwrap()).collect();
    assert_eq!(
        fields,
        [
            "settings.ping_interval",
            "settings.pong_timeout",
            "settings.connect_timeout"
        ]
    );
    at(&all[1], 3, 16, None, "settings.pong_timeout");
    assert_eq!(all[0].message, "must be more than zero");
}

#[test]
fn reconnect_floor_above_cap() {
    let p = one(&format!("[settings]\nreconnect_min = \"1m\"\n{PROFILE}"));
    at(&p, 2, 17, None, "settings.reconnect_min");
    assert_eq!(
        p.message,
        "reconnect_min (1m) is longer than reconnect_max (30s)"
    );
    // A profile override that breaks it is reported in the profile.
    let p = one(&format!(
        "{PROFILE}[profiles.p.settings]\nreconnect_max = \"100ms\"\n"
    ));
    at(&p, 4, 17, Some("p"), "settings.reconnect_max");
}

#[test]
fn unknown_default_profile_lists_the_valid_names() {
    let text = format!(
        "default_profile = \"prod\"\n{PROFILE}[profiles.q]\nserver = \"https://x.example\"\n"
    );
    let p = one(&text);
    at(&p, 1, 19, None, "default_profile");
    assert_eq!(help(&p), "one of: p, q");
    assert_eq!(p.message, "there is no profile named `prod`");
}

#[test]
fn a_file_without_profiles() {
    let p = one("[settings]\nping_interval = \"5s\"\n");
    assert_eq!(
        (p.line, p.profile.as_deref(), p.field.as_deref()),
        (None, None, Some("profiles"))
    );
    assert!(help(&p).contains("[profiles.NAME]"), "{p}");
}

#[test]
fn server_must_be_http_and_ws_is_mapped() {
    let p = one("[profiles.p]\nserver = \"ftp://x.example\"\n");
    at(&p, 2, 10, Some("p"), "server");
    assert!(help(&p).starts_with("an http:// or https:// URL"), "{p}");
    let p = one("[profiles.p]\nserver = \"not a url\"\n");
    at(&p, 2, 10, Some("p"), "server");
    let config = ok("[profiles.p]\nserver = \"wss://x.example/\"\n");
    assert_eq!(config.profiles[0].server.as_str(), "https://x.example/");
}

#[test]
fn endpoint_placeholders_point_inside_the_url() {
    let text = format!(
        "{PROFILE}[[profiles.p.endpoints]]\nname = \"n\"\nurl = \"{{ws}}/ws/?t={{tokn}}\"\n"
    );
    let p = one(&text);
    // `url = "` is 7 characters; `{ws}/ws/?t=` 11 more.
    at(&p, 5, 19, Some("p"), "endpoints[0].url");
    assert_eq!(p.message, "unknown placeholder `{tokn}`");
    assert!(
        help(&p).contains("{ws}") && help(&p).contains("{server}"),
        "{p}"
    );
    let p = one(&format!(
        "[[endpoints]]\nname = \"n\"\nurl = \"{{ws/x\"\n{PROFILE}"
    ));
    at(&p, 3, 8, None, "endpoints[0].url");
    assert_eq!(p.message, "`{` is never closed");
}

#[test]
fn endpoint_schemes() {
    let p = one(&format!(
        "{PROFILE}[[profiles.p.endpoints]]\nname = \"n\"\nurl = \"ftp://x/ws\"\n"
    ));
    at(&p, 5, 7, Some("p"), "endpoints[0].url");
    assert_eq!(p.message, "ftp:// is not a WebSocket scheme");
    let p = one(&format!(
        "{PROFILE}[[profiles.p.endpoints]]\nname = \"n\"\nurl = \"{{server}}/ws/\"\n"
    ));
    at(&p, 5, 7, Some("p"), "endpoints[0].url");
    assert_eq!(p.message, "is a http:// URL once filled in");
    assert_eq!(
        help(&p),
        "start with {ws} (the server as ws:// or wss://), not {server}"
    );
    let p = one(&format!(
        "{PROFILE}[[profiles.p.endpoints]]\nname = \"n\"\nurl = \"/ws/\"\n"
    ));
    assert_eq!(
        p.message,
        "is not a URL once filled in: relative URL without a base"
    );
}

#[test]
fn http_endpoint_urls_become_ws_with_a_warning() {
    let text = format!(
        "[[endpoints]]\nname = \"shared\"\nurl = \"HTTPS://h.example/ws/\"\n{PROFILE}\
         [[profiles.p.endpoints]]\nname = \"notifications\"\nurl = \"http://127.0.0.1:8000/ws/\"\n"
    );
    let config = ok(&text);
    assert_eq!(
        config.warnings,
        [
            "profiles.toml:3:7: endpoint `shared`: HTTPS:// is not a WebSocket scheme; using wss:// instead",
            "profiles.toml:8:7: profile `p`, endpoint `notifications`: http:// is not a WebSocket scheme; using ws:// instead",
        ]
    );
    let urls: Vec<_> = config.profiles[0]
        .endpoints
        .iter()
        .map(|e| e.url.as_str())
        .collect();
    assert_eq!(urls, ["wss://h.example/ws/", "ws://127.0.0.1:8000/ws/"]);
}

#[test]
fn token_placeholder_needs_a_token_source() {
    let text = format!("[[endpoints]]\nname = \"n\"\nurl = \"{{ws}}/?t={{token}}\"\n{PROFILE}");
    let p = one(&text);
    at(&p, 3, 7, Some("p"), "endpoints[0].url");
    assert_eq!(
        p.message,
        "shared endpoint `n` uses {token}, but this profile has no token source"
    );
    let text = format!(
        "{PROFILE}[[profiles.p.endpoints]]\nname = \"n\"\nurl = \"{{ws}}/\"\nheaders = {{ Authorization = \"Token {{token}}\" }}\n"
    );
    let p = one(&text);
    at(&p, 6, 29, Some("p"), "endpoints[0].headers.Authorization");
}

#[test]
fn token_sources_at_most_one_and_well_formed() {
    let all = problems(&format!(
        "{PROFILE}token = \"{TOKEN}\"\ntoken_env = \"T\"\n"
    ));
    assert_eq!(all.len(), 1, "{all:#?}");
    at(&all[0], 4, 13, Some("p"), "token_env");
    assert_eq!(
        all[0].message,
        "more than one token source: `token` and `token_env`"
    );
    assert_eq!(
        help(&all[0]),
        "exactly one of `token`, `token_env` or `token_command`"
    );
    let p = one(&format!("{PROFILE}token_command = []\n"));
    at(&p, 3, 17, Some("p"), "token_command");
    assert_eq!(
        help(&p),
        r#"a program and its arguments, e.g. ["pass", "show", "sandra"]"#
    );
    let p = one(&format!("{PROFILE}token = \"abc def\"\n"));
    at(&p, 3, 9, Some("p"), "token");
    assert_eq!(p.message, "contains spaces or control characters");
    let p = one(&format!("{PROFILE}token_env = \"\"\n"));
    at(&p, 3, 13, Some("p"), "token_env");
}

#[test]
fn duplicate_endpoint_names_across_shared_and_own() {
    let text = format!(
        "[[endpoints]]\nname = \"orders\"\nurl = \"{{ws}}/a/\"\n{PROFILE}[[profiles.p.endpoints]]\nname = \"orders\"\nurl = \"{{ws}}/b/\"\n"
    );
    let p = one(&text);
    at(&p, 7, 8, Some("p"), "endpoints[0].name");
    assert_eq!(
        p.message,
        "endpoint name `orders` is already used on line 2"
    );
}

#[test]
fn token_check_auth_scheme_and_close_codes() {
    let p = one(&format!("{PROFILE}token_check = \"api/me/\"\n"));
    at(&p, 3, 15, Some("p"), "token_check");
    assert!(help(&p).contains("starting with \"/\""), "{p}");
    assert_eq!(ok(PROFILE).profiles[0].auth_scheme, "Token");
    let all = problems(&format!(
        "[close_codes]\nabc = \"x\"\n999 = \"y\"\n4001 = \"ok\"\n{PROFILE}[profiles.p.close_codes]\n5000 = \"z\"\n"
    ));
    let places: Vec<_> = all
        .iter()
        .map(|p| (p.line, p.profile.as_deref(), p.field.as_deref()))
        .collect();
    assert_eq!(
        places,
        [
            (Some(2), None, Some("close_codes.abc")),
            (Some(3), None, Some("close_codes.999")),
            (Some(8), Some("p"), Some("close_codes.5000")),
        ]
    );
    assert_eq!(
        help(&all[0]),
        r#"an integer from 1000 to 4999, e.g. 4001 = "token revoked""#
    );
}

#[test]
fn unknown_keys_everywhere_are_located() {
    let p = one(&format!("defualt_profile = \"p\"\n{PROFILE}"));
    at(&p, 1, 1, None, "defualt_profile");
    assert!(
        help(&p).starts_with("one of: default_profile, settings"),
        "{p}"
    );
    let p = one(&format!("{PROFILE}tokn = \"x\"\n"));
    at(&p, 3, 1, Some("p"), "tokn");
    let text = format!(
        "{PROFILE}[[profiles.p.endpoints]]\nname = \"a\"\nurl = \"{{ws}}/\"\n[[profiles.p.endpoints]]\nname = \"b\"\nurl = \"{{ws}}/\"\nheader = {{}}\n"
    );
    let p = one(&text);
    at(&p, 9, 1, Some("p"), "endpoints[1].header");
    assert_eq!(
        help(&p),
        "one of: name, url, headers, subprotocols, heartbeat, protocol, socketio, graphql, actioncable, stomp, on_open, preview, expect_message_within, expect"
    );
    let p = one(&format!("{PROFILE}[profiles.p.settings]\nping = \"1s\"\n"));
    at(&p, 4, 1, Some("p"), "settings.ping");
    let p = one("[profiles.p]\ndescription = \"no server\"\n");
    at(&p, 1, 1, Some("p"), "server");
    assert_eq!(p.message, "missing field `server`");
    let p = one("[profiles.p\n");
    assert_eq!((p.line, p.column), (Some(1), Some(12)));
}

#[test]
fn all_problems_are_reported_together() {
    let text = "[settings]\nping_interval = \"x\"\n[profiles.a]\nserver = \"ftp://h\"\n[profiles.b]\nserver = \"http://h\"\ntoken_check = \"x\"\n";
    assert_eq!(problems(text).len(), 3);
}

#[test]
fn a_token_never_appears_in_errors_or_debug() {
    let text = format!(
        "[profiles.p]\nserver = \"http://h\"\ntoken = \"{TOKEN}\"\ntoken_env = \"X\"\n\
         [[profiles.p.endpoints]]\nname = \"n\"\nurl = \"ftp://h/?token={TOKEN}\"\n"
    );
    let err = parse(Path::new("p.toml"), &text).unwrap_err();
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains(&TOKEN[..16]), "{shown}");
    }
    // A token mistakenly written as a number is not echoed by the type error.
    let p = one("[profiles.p]\nserver = \"http://h\"\ntoken = 918273645546372819\n");
    at(&p, 3, 9, Some("p"), "token");
    assert!(!p.to_string().contains("918273645"), "{p}");
    let config = ok(&format!(
        "[profiles.p]\nserver = \"http://h\"\ntoken = \"{TOKEN}\"\n"
    ));
    assert!(!format!("{config:?}").contains(&TOKEN[..16]));
}

#[test]
// `std::env::set_var` is unsafe (edition 2024); see the SAFETY note below.
#[allow(unsafe_code)]
fn lookup_order_config_then_env_then_platform() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.toml"), dir.path().join("b.toml"));
    std::fs::write(&a, format!("{PROFILE}description = \"from a\"\n")).unwrap();
    std::fs::write(&b, "[profiles.b]\nserver = \"http://h\"\n").unwrap();
    // The only test in this binary that touches the environment.
    // SAFETY: no other test here reads or writes environment variables.
    unsafe { std::env::set_var(paths::ENV_VAR, &b) };
    assert_eq!(paths::load(Some(&a)).unwrap().default_profile, "p");
    assert_eq!(paths::load(None).unwrap().default_profile, "b");
    let missing = dir.path().join("missing.toml");
    assert!(matches!(
        paths::load(Some(&missing)),
        Err(ConfigError::Read { .. })
    ));
    unsafe { std::env::set_var(paths::ENV_VAR, &missing) };
    match paths::locate_in(None, std::env::var_os(paths::ENV_VAR), None) {
        Err(e @ ConfigError::NotFound { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains(&format!(
                    "$WSMON_CONFIG={}: does not exist",
                    missing.display()
                )),
                "{text}"
            );
            assert!(text.contains("wsmon demo"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    unsafe { std::env::remove_var(paths::ENV_VAR) };
    let p = paths::load_file(&a).unwrap();
    assert_eq!(p.profiles[0].description.as_deref(), Some("from a"));
}

#[test]
fn raw_errors_find_quoted_profiles_inline_tables_and_count_characters() {
    let text = "[profiles.\"my prof\"]\nserver = \"http://h\"\n[profiles.\"my prof\".settings]\nping = \"1s\"\n";
    let p = one(text);
    at(&p, 4, 1, Some("my prof"), "settings.ping");
    let text = format!(
        "{PROFILE}[[profiles.p.endpoints]]\nname = \"n\"\nurl = \"{{ws}}/\"\nheaders = {{ Origin = 1 }}\n"
    );
    let p = one(&text);
    at(&p, 6, 22, Some("p"), "endpoints[0].headers.Origin");
    assert_eq!(help(&p), "a string");
    // Columns count characters, not bytes.
    let p = one("[profiles.p]\ndescription = \"héllo\"; server = \"http://h\"\n");
    assert_eq!((p.line, p.column), (Some(2), Some(22)));
    // A problem after the last profile's endpoints stays in that profile.
    let p = one(&format!(
        "{PROFILE}[[profiles.p.endpoints]]\nname = \"n\"\nurl = \"{{ws}}/\"\nsubprotocols = [\"a b\"]\n"
    ));
    at(&p, 6, 17, Some("p"), "endpoints[0].subprotocols[0]");
}

#[test]
fn preview_fields_are_dotted_paths() {
    let file = |preview: &str| {
        format!(
            "{PROFILE}[[profiles.p.endpoints]]\nname = \"n\"\nurl = \"{{ws}}/ws/\"\npreview = {preview}\n"
        )
    };
    let config = ok(&file(r#"["title", "data.level"]"#));
    assert_eq!(
        config.profiles[0].endpoints[0].preview,
        ["title", "data.level"]
    );
    let p = one(&file(r#"["title", "data..level"]"#));
    at(&p, 6, 21, Some("p"), "endpoints[0].preview[1]");
    assert!(
        p.message.contains("`data..level` is not a field path"),
        "{}",
        p.message
    );
}
