//! STOMP 1.2 over WebSocket (subprotocol `v12.stomp`), as RabbitMQ's Web
//! STOMP plugin speaks it.
//!
//! A frame is `COMMAND\nheader:value\n…\n\nbody\0`. The client sends
//! `CONNECT` (accept-version, host, login, passcode, heart-beat); the
//! server answers `CONNECTED` (with its heart-beat) or `ERROR`; then
//! `SUBSCRIBE` (id, destination) and the server sends `MESSAGE` frames.
//! Heart-beats are bare end-of-line frames, sent by each side at the
//! negotiated rate. Source: STOMP 1.2 specification.

use std::time::{Duration, Instant};

use super::{Fact, Rule, Step, auth_words, short};
use crate::config::protocol::StompOptions;

/// How often wsmon offers to send and asks to receive heart-beats (ms),
/// unless `[endpoints.stomp] heart_beat` says otherwise.
pub(crate) const HEART_BEAT_MS: u64 = 10_000;

/// One connection's STOMP state.
#[derive(Debug)]
pub(crate) struct Stomp {
    options: StompOptions,
    /// When wsmon's next heart-beat is due (after CONNECTED).
    next_beat: Option<Instant>,
    beat_every: Duration,
}

/// A parsed STOMP frame.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Frame<'a> {
    pub command: &'a str,
    pub headers: Vec<(&'a str, &'a str)>,
    pub body: &'a str,
}

impl Frame<'_> {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
    }
}

/// Parses one frame; `None` for a heart-beat (only line ends).
pub(crate) fn parse(text: &str) -> Option<Frame<'_>> {
    let text = text.trim_start_matches(['\r', '\n']);
    if text.is_empty() {
        return None;
    }
    let (head, body) = text
        .split_once("\n\n")
        .or_else(|| text.split_once("\r\n\r\n"))
        .unwrap_or((text, ""));
    let mut lines = head.lines();
    let command = lines.next()?.trim_end_matches('\r');
    let headers = lines
        .filter_map(|l| l.trim_end_matches('\r').split_once(':'))
        .collect();
    // The body ends at the first NUL (no content-length is sent by the
    // servers wsmon watches; a NUL inside a body would need one).
    Some(Frame {
        command,
        headers,
        body: body.split('\0').next().unwrap_or(""),
    })
}

impl Stomp {
    pub(crate) fn new(options: StompOptions) -> Self {
        Stomp {
            options,
            next_beat: None,
            beat_every: Duration::ZERO,
        }
    }

    pub(crate) fn on_open(&mut self, _now: Instant) -> Step {
        let mut frame = String::from("CONNECT\naccept-version:1.2\n");
        // RabbitMQ maps `host` to a virtual host: "/" is the default one
        // (the URL's host would be refused as an unknown vhost).
        let host = self.options.vhost.as_deref().unwrap_or("/");
        frame += &format!("host:{host}\n");
        if let Some(login) = &self.options.login {
            frame += &format!("login:{login}\n");
        }
        if let Some(passcode) = &self.options.passcode {
            frame += &format!("passcode:{passcode}\n");
        }
        let ms = self.heart_beat_ms();
        frame += &format!("heart-beat:{ms},{ms}\n\n\0");
        Step {
            send: vec![frame],
            ..Step::default()
        }
    }

    pub(crate) fn on_text(&mut self, text: &str, now: Instant) -> Step {
        let Some(frame) = parse(text) else {
            return Step::keepalive(None);
        };
        match frame.command {
            "CONNECTED" => {
                // heart-beat:sx,sy — we send every max(ours, sy) when both
                // sides want it.
                let sy = frame
                    .header("heart-beat")
                    .and_then(|h| h.split(',').nth(1))
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .unwrap_or(0);
                if sy > 0 {
                    self.beat_every = Duration::from_millis(sy.max(self.heart_beat_ms()));
                    self.next_beat = Some(now + self.beat_every);
                }
                let subscribe = format!(
                    "SUBSCRIBE\nid:0\ndestination:{}\nack:auto\n\n\0",
                    self.options.destination
                );
                let server = frame.header("server").unwrap_or("?");
                Step {
                    send: vec![subscribe],
                    facts: vec![Fact::Ready(format!(
                        "STOMP CONNECTED (server {}); SUBSCRIBE {} sent",
                        short(server, 60),
                        short(&self.options.destination, 120)
                    ))],
                    deliver: false,
                }
            }
            "MESSAGE" => Step::deliver(),
            "ERROR" => {
                let message = frame.header("message").unwrap_or("");
                let words = format!("{message} {}", frame.body);
                let rule = if auth_words(&words) {
                    Rule::StopAuth
                } else {
                    Rule::Stop
                };
                self.next_beat = None;
                Step::refused(
                    format!(
                        "STOMP ERROR: {}{}",
                        short(message, 200),
                        if frame.body.trim().is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", short(frame.body.trim(), 200))
                        }
                    ),
                    rule,
                )
            }
            _ => Step::control(),
        }
    }

    fn heart_beat_ms(&self) -> u64 {
        self.options
            .heart_beat
            .map_or(HEART_BEAT_MS, |d| crate::units::millis(d).max(1))
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.next_beat
    }

    pub(crate) fn on_tick(&mut self, now: Instant) -> Step {
        self.next_beat = Some(now + self.beat_every);
        Step {
            send: vec!["\n".into()],
            ..Step::default()
        }
    }

    /// A `send`: a SEND frame to the subscribed destination.
    pub(crate) fn wrap_send(&self, text: &str) -> String {
        format!(
            "SEND\ndestination:{}\ncontent-type:text/plain\n\n{text}\0",
            self.options.destination
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec() -> Stomp {
        Stomp::new(StompOptions {
            destination: "/topic/n".into(),
            login: Some("guest".into()),
            passcode: Some("pw".into()),
            vhost: Some("/".into()),
            heart_beat: None,
        })
    }

    #[test]
    fn connect_connected_subscribe_message() {
        let now = Instant::now();
        let mut c = codec();
        let open = c.on_open(now).send.remove(0);
        assert!(
            open.starts_with("CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:pw\n")
        );
        assert!(open.ends_with("\n\n\0"));
        let step = c.on_text(
            "CONNECTED\nversion:1.2\nheart-beat:0,20000\nserver:RabbitMQ/3\n\n\0",
            now,
        );
        assert!(step.send[0].starts_with("SUBSCRIBE\nid:0\ndestination:/topic/n\n"));
        assert!(matches!(&step.facts[..], [Fact::Ready(_)]));
        assert_eq!(c.deadline(), Some(now + Duration::from_secs(20)));
        assert_eq!(c.on_text("\n", now).facts, vec![Fact::Keepalive]);
        let m = "MESSAGE\ndestination:/topic/n\nmessage-id:1\nsubscription:0\n\nhello\0";
        assert!(c.on_text(m, now).deliver);
        assert_eq!(parse(m).map(|f| f.body), Some("hello"));
    }

    #[test]
    fn error_frames_are_refusals() {
        let mut c = codec();
        let step = c.on_text(
            "ERROR\nmessage:Access refused for user 'guest'\n\n\0",
            Instant::now(),
        );
        assert!(matches!(&step.facts[..], [Fact::Refused(r)] if r.rule == Rule::StopAuth));
    }
}
