//! The token panel of a profile that logs in (`demo-omar-login`), through
//! the real event loop with a fixed clock: how it logs in, the verdict in
//! plain words, the server's words when refused, and the token's expiry
//! as a countdown ("expires in 3m 12s") that turns into "expired … ago".

mod common;

use std::time::Duration;

use common::dash::*;
use wsmon::config::login::LoginKind;
use wsmon::facts::Event;
use wsmon::session::login::{LoginResult, LoginStep, LoginVerdict};

const W: u16 = 110;
const H: u16 = 34;

fn login(
    verdict: LoginVerdict,
    status: u16,
    detail: Option<&str>,
    expires_ms: Option<u64>,
) -> Event {
    Event::Login(LoginResult {
        at: at(0),
        kind: LoginKind::DrfToken,
        step: LoginStep::Login,
        url: "http://127.0.0.1:8000/api-token-auth/".into(),
        who: "omar".into(),
        status: Some(status),
        verdict,
        detail: detail.map(str::to_string),
        expires_at: expires_ms.map(at),
        latency: Duration::from_millis(31),
    })
}

#[tokio::test]
async fn the_token_panel_counts_down_to_the_expiry() {
    let (mut app, tx) = detached("demo-omar-login", at(10_000));
    let events = vec![
        login(LoginVerdict::LoggedIn, 200, None, Some(10_000 + 192_400)),
        connecting(0, 1, 1),
        open(0, 12),
    ];
    feed(&tx, events).await;
    let screen = drive(&mut app, W, H, vec![]).await;
    assert!(screen.contains("login drf_token as omar"), "{screen}");
    assert!(
        screen.contains("POST http://127.0.0.1:8000/api-token-auth/"),
        "{screen}"
    );
    assert!(screen.contains("200 LOGGED IN"), "{screen}");
    assert!(screen.contains("token expires in 3m 12s"), "{screen}");

    // The same token, later: past its expiry.
    let (mut app, tx) = detached("demo-omar-login", at(10_000 + 200_000));
    feed(
        &tx,
        vec![login(
            LoginVerdict::LoggedIn,
            200,
            None,
            Some(10_000 + 192_400),
        )],
    )
    .await;
    let screen = drive(&mut app, W, H, vec![]).await;
    assert!(screen.contains("token expired 7.0s ago"), "{screen}");
}

#[tokio::test]
async fn a_refused_login_shows_the_servers_words() {
    let (mut app, tx) = detached("demo-omar-login", at(5_000));
    let detail = "Unable to log in with provided credentials.";
    feed(
        &tx,
        vec![login(LoginVerdict::WrongPassword, 400, Some(detail), None)],
    )
    .await;
    let screen = drive(&mut app, W, H, vec![]).await;
    assert!(screen.contains("400 WRONG PASSWORD"), "{screen}");
    // (The panel wraps the rest of the words.)
    assert!(
        screen.contains("detail \"Unable to log in with provided"),
        "{screen}"
    );
    // The header's word says why nothing is open.
    assert!(screen.contains("DOWN"), "{screen}");
    // The session row says what it waits for, not "starting"; the token
    // check (which needs the login's credential) says it was skipped.
    assert!(screen.contains("login failed"), "{screen}");
    assert!(!screen.contains("starting"), "{screen}");
    let tall = drive(&mut app, W, 60, vec![]).await;
    assert!(tall.contains("skipped: the login failed"), "{tall}");
}
