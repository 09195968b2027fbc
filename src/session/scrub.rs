//! The last stop before facts leave the session task: every text that came
//! from the server or from an error (close reasons, refused answers'
//! headers and bodies, error messages, received messages) goes through the
//! profile's [`Redactor`], so no front end, export or log line can show a
//! secret the server echoed back.

use std::borrow::Cow;

use crate::facts::events::{
    AttemptRecord, HandshakeInfo, HttpAnswer, Outcome, Payload, PayloadData,
};
use crate::secret::Redactor;

/// Scrubs the texts of a finished attempt in place.
pub(crate) fn record(record: &mut AttemptRecord, redactor: &Redactor) {
    match &mut record.outcome {
        Outcome::Failed(failure) => {
            text(&mut failure.message, redactor);
            if let Some(answer) = &mut failure.http {
                http(answer, redactor);
            }
        }
        Outcome::Closed { close, .. } => {
            text(&mut close.reason, redactor);
            if let Some(note) = &mut close.note {
                text(note, redactor);
            }
        }
    }
}

/// Scrubs the headers of an accepted handshake.
pub(crate) fn handshake(info: &mut HandshakeInfo, redactor: &Redactor) {
    headers(&mut info.headers, redactor);
}

fn http(answer: &mut HttpAnswer, redactor: &Redactor) {
    headers(&mut answer.headers, redactor);
    text(&mut answer.body_excerpt, redactor);
}

fn headers(headers: &mut [(String, String)], redactor: &Redactor) {
    for (name, value) in headers {
        let shown = redactor.redact_header(name, value);
        if shown != *value {
            *value = shown;
        }
    }
}

fn text(text: &mut String, redactor: &Redactor) {
    if let Cow::Owned(scrubbed) = redactor.redact(text) {
        *text = scrubbed;
    }
}

/// Replaces the profile's known secrets in a received message, in place
/// (one pass over the bytes; untouched when none occurs). Callers skip it
/// when [`Redactor::knows_secrets`] is false, so a profile without secrets
/// pays nothing per message.
pub(crate) fn payload(payload: &mut Payload, redactor: &Redactor) {
    match &payload.data {
        PayloadData::Text(text) => {
            if let Cow::Owned(scrubbed) = redactor.redact_known(text.as_str()) {
                payload.data = PayloadData::Text(scrubbed.into());
            }
        }
        PayloadData::Binary(bytes) => {
            if let Cow::Owned(scrubbed) = redactor.redact_known_bytes(bytes) {
                payload.data = PayloadData::Binary(scrubbed.into());
            }
        }
    }
}
