//! Waiting for a line with a deadline: the JSON lines a `wsmon tail` (or
//! `watch`) child prints, read until one matches, every line kept so a
//! failure shows what came instead. Event-driven: no fixed sleeps.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, Lines};

/// JSON lines read from `R` (a child's stdout in a `BufReader`).
pub struct JsonLines<R> {
    lines: Lines<R>,
    /// Every line read so far, in order.
    pub seen: Vec<Value>,
}

impl<R: AsyncBufRead + Unpin> JsonLines<R> {
    pub fn new(reader: R) -> JsonLines<R> {
        JsonLines {
            lines: reader.lines(),
            seen: Vec::new(),
        }
    }

    /// The next line for which `want` holds, within `limit`; panics with
    /// every line seen when the stream ends or the deadline passes first.
    pub async fn until(
        &mut self,
        what: &str,
        limit: Duration,
        want: impl Fn(&Value) -> bool,
    ) -> Value {
        let found = tokio::time::timeout(limit, async {
            while let Some(line) = self.lines.next_line().await.expect("read lines") {
                let v: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("line is not JSON ({e}): {line}"));
                self.seen.push(v.clone());
                if want(&v) {
                    return Some(v);
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(v)) => v,
            Ok(None) => panic!(
                "the output ended before {what}; it printed:\n{}",
                self.dump()
            ),
            Err(_) => panic!("no {what} within {limit:?}; it printed:\n{}", self.dump()),
        }
    }

    /// Every line seen, one per line.
    pub fn dump(&self) -> String {
        self.seen
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }
}
