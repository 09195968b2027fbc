//! A raw endpoint's `[[endpoints.on_open]]` steps: frames sent after every
//! open, in order, each optionally waiting (up to `within`) for a reply
//! that matches its `expect` regex before the next goes out. The session
//! is ready once every step is done; an unmet expectation is a refusal
//! (retried with backoff).

use std::time::Instant;

use super::{Fact, Rule, Step};
use crate::config::protocol::OnOpenStep;

/// Progress through the steps.
#[derive(Debug)]
pub(crate) struct OnOpen {
    steps: Vec<OnOpenStep>,
    /// The step whose expectation is awaited (or the next to send).
    next: usize,
    /// Until when the current expectation may be met.
    waiting: Option<Instant>,
}

impl OnOpen {
    pub(crate) fn new(steps: Vec<OnOpenStep>) -> Self {
        OnOpen {
            steps,
            next: 0,
            waiting: None,
        }
    }

    /// Sends steps from `next` until one waits for a reply.
    fn advance(&mut self, now: Instant, step: &mut Step) {
        while let Some(s) = self.steps.get(self.next) {
            step.send.push(s.send.clone());
            if s.expect.is_some() {
                self.waiting = Some(now + s.within);
                return;
            }
            self.next += 1;
        }
        self.waiting = None;
        step.facts.push(Fact::Ready(format!(
            "on_open: {} frame(s) sent, every expectation met",
            self.steps.len()
        )));
    }

    pub(crate) fn on_open(&mut self, now: Instant) -> Step {
        let mut step = Step::default();
        self.advance(now, &mut step);
        step
    }

    /// Every frame is a message; one may also meet the expectation.
    pub(crate) fn on_text(&mut self, text: &str) -> Step {
        let mut step = Step::deliver();
        let Some(_) = self.waiting else {
            return step;
        };
        let met = self
            .steps
            .get(self.next)
            .and_then(|s| s.expect.as_ref())
            .is_some_and(|re| re.is_match(text));
        if met {
            self.next += 1;
            // `within` of the following steps counts from this reply.
            self.advance(Instant::now(), &mut step);
        }
        step
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.waiting
    }

    pub(crate) fn on_tick(&mut self, _now: Instant) -> Step {
        self.waiting = None;
        let Some(s) = self.steps.get(self.next) else {
            return Step::default();
        };
        let expect = s.expect.as_ref().map_or("", |r| r.as_str());
        Step::refused(
            format!(
                "on_open step {}: no reply matching /{}/ within {} after sending {}",
                self.next + 1,
                super::short(expect, 80),
                humantime::format_duration(s.within),
                super::short(&s.send, 80)
            ),
            Rule::Retry,
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn step(send: &str, expect: Option<&str>) -> OnOpenStep {
        OnOpenStep {
            send: send.into(),
            expect: expect.map(|e| regex::Regex::new(e).expect("re")),
            within: Duration::from_secs(5),
        }
    }

    #[test]
    fn steps_wait_for_their_expectation_then_ready() {
        let now = Instant::now();
        let mut c = OnOpen::new(vec![step("a", Some("ok")), step("b", None)]);
        let s = c.on_open(now);
        assert_eq!(s.send, vec!["a".to_string()]);
        assert!(s.facts.is_empty());
        assert_eq!(c.deadline(), Some(now + Duration::from_secs(5)));
        assert!(c.on_text("nope").facts.is_empty());
        let s = c.on_text(r#"{"status":"ok"}"#);
        assert!(s.deliver);
        assert_eq!(s.send, vec!["b".to_string()]);
        assert!(matches!(&s.facts[..], [Fact::Ready(_)]));
        assert_eq!(c.deadline(), None);
    }

    #[test]
    fn an_unmet_expectation_is_a_refusal_at_the_deadline() {
        let now = Instant::now();
        let mut c = OnOpen::new(vec![step("a", Some("subscribed"))]);
        c.on_open(now);
        let s = c.on_tick(now + Duration::from_secs(5));
        assert!(
            matches!(&s.facts[..], [Fact::Refused(r)] if r.rule == Rule::Retry && r.detail.contains("subscribed"))
        );
    }
}
