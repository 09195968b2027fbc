//! `wsmon send`: connect to one endpoint, send one text frame, print what
//! comes back for a while as `tail`-style JSON lines, close with 1000.
//!
//! It runs the real engine in one-shot mode (the same handshake, close
//! codes and diagnoses as everywhere else), holding the socket open for
//! `--wait` after it opened, and sends the frame as soon as it is open.

use std::io::Write;
use std::time::Duration;

use crate::config::template::fill_text;
use crate::config::{ActiveProfile, ProtocolKind};
use crate::facts::{Command, Event, ProtocolEvent, SendOutcome, SessionEvent};
use crate::output::tail_line as event_json;
use crate::session::{self, Mode, Supervisor};

/// How long sockets get to close cleanly at the end.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// The profile reduced to the endpoint called `name` (the first one when
/// `None`), or the names there are.
pub(crate) fn pick_endpoint(
    mut profile: ActiveProfile,
    name: Option<&str>,
) -> Result<ActiveProfile, String> {
    let index = match name {
        None => (!profile.endpoints.is_empty()).then_some(0),
        Some(name) => profile.endpoints.iter().position(|e| e.name == name),
    };
    let Some(index) = index else {
        let names: Vec<String> = profile
            .endpoints
            .iter()
            .map(|e| crate::text_safe::visible(&e.name).into_owned())
            .collect();
        return Err(format!(
            "profile `{}` has no endpoint {}; its endpoints: {}",
            profile.name,
            name.map_or("at all".to_string(), |n| format!("named `{n}`")),
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        ));
    };
    let endpoint = profile.endpoints.swap_remove(index);
    profile.endpoints = vec![endpoint];
    Ok(profile)
}

/// Connects `profile`'s only endpoint, sends `text`, prints every event as
/// a JSON line for `wait` after the socket opened, then closes with 1000.
/// Returns whether the frame was sent; an error (`BrokenPipe` for a
/// closed stdout) when `out` refuses a write.
pub(crate) async fn run(
    mut profile: ActiveProfile,
    text: &str,
    wait: Duration,
    out: &mut dyn Write,
) -> std::io::Result<bool> {
    // One exchange, not a health check: no REST call.
    profile.token_check = None;
    // `{token}` (and `{ws}`, `{server}`) filled in as in the profile.
    let text = fill_text(
        text,
        &profile.server,
        profile.token.as_ref().map(|t| t.expose()),
    )
    .map_err(std::io::Error::other)?;
    let wants_ready = profile
        .endpoints
        .first()
        .is_some_and(|e| e.protocol.has_ready());
    let (tx, mut rx) = session::channel();
    let supervisor = Supervisor::start(profile.clone(), Mode::Once { hold: wait }, tx);
    let mut sent = false;
    let mut buf = Vec::new();
    // The attempt's record with its activity, so the `closed` line can say
    // the server closed in answer to the frame (`close_after_sent`).
    let mut model = crate::model::Model::without_payloads(&profile);
    let result = loop {
        let Some(event) = rx.recv().await else {
            break Ok(());
        };
        model.apply(&event);
        let Event::Session { endpoint, event } = event else {
            continue;
        };
        let mut done = false;
        match &event {
            // A protocol endpoint takes the frame once its handshake is
            // done (a Socket.IO event before the namespace connect is lost).
            SessionEvent::Open { .. } if !wants_ready => {
                supervisor.command(endpoint, Command::Send(text.clone()))
            }
            SessionEvent::Protocol(ProtocolEvent::Ready { .. }) if wants_ready => {
                supervisor.command(endpoint, Command::Send(text.clone()))
            }
            SessionEvent::Messages(batch) => {
                let ep = profile.endpoints.get(endpoint);
                let name = ep.map_or("", |e| &e.name);
                let kind = ep.map_or(ProtocolKind::Raw, |e| e.protocol.kind);
                for payload in &batch.messages {
                    if kind == ProtocolKind::Raw {
                        event_json::message_line(&mut buf, name, payload);
                    } else {
                        event_json::protocol_message_line(&mut buf, name, kind, payload);
                    }
                }
            }
            SessionEvent::Sent { outcome, .. } => {
                sent = matches!(outcome, SendOutcome::Sent | SendOutcome::Queued);
            }
            SessionEvent::Stopped { .. } => done = true,
            _ => {}
        }
        event_json::session_line_in(&mut buf, &profile, endpoint, &event, None, Some(&model));
        if let Err(e) = out.write_all(&buf).and_then(|()| out.flush()) {
            break Err(e);
        }
        buf.clear();
        if done {
            break Ok(());
        }
    };
    drop(rx);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, supervisor.shutdown()).await;
    // A closed stdout is the caller's to report (exit 1, quietly).
    result.map(|()| sent)
}
