//! wsmon: keeps live WebSocket sessions open to the endpoints of a profiles
//! file and says, in plain words, what each one is doing and why.
//!
//! Engine tasks ([`session`]) produce facts ([`facts`]); a model
//! ([`model`]) owns state built from them; knowledge ([`diagnose`]) is pure
//! functions over facts; front ends ([`headless`], the dashboard) only read
//! the model, and write the typed lines and reports of [`output`]. [`units`]
//! holds the one millisecond rule and the one duration formatter.
//!
//! # Layout
//!
//! Imports point down this list, never up or sideways (`tests/layers.rs`
//! holds the order in `ORDER`, and fails on a circle inside `session/`,
//! `config/` and `demo/`, on `app` importing `ui`, and on `ui` naming the
//! parts of `app` that act):
//!
//! 1. Leaves: [`units`] (the one millisecond rule, the one duration
//!    formatter), [`text_safe`], [`secret`], [`tls`] (rustls configs and
//!    their options), [`proxy`], [`served_by`] (who listens on a local
//!    port), [`logging`].
//! 2. [`config`]: the profiles file, validated and activated.
//! 3. [`protocol`]: application protocols over the socket (rules, codecs).
//! 4. [`facts`]: what the engine reports (events, attempt and close
//!    records, handshake records, probe runs, token checks, logins, log
//!    lines, the Django doctor's reading), as plain data.
//! 5. [`diagnose`]: pure knowledge over facts, no I/O: close codes, what a
//!    piece of evidence says, the classifier, patterns over a history,
//!    isolation judgements, the doctor's findings. It sits below the
//!    engine and the model because they consult it: the retry policy asks
//!    whether a close was an auth refusal, health whether a probe leaked,
//!    so each rule has one home.
//! 6. [`token_check`] (the REST token check), then [`session`] (the engine:
//!    tasks, dial, handshake, TLS, logins, the delivery probe). The fact
//!    types it reports are imported from [`facts`], never through
//!    `session`.
//! 7. [`model`]: state built only from facts (lifecycle, rings, health).
//! 8. [`report`], [`output`], [`metrics`]: what front ends show and write.
//! 9. Front ends: [`writer_thread`]; [`demo`] (a server) and [`fuzz`] (the
//!    fuzz targets' bodies); [`headless`]; the dashboard's [`app`] (state,
//!    keys, actions; never imports `ui`), [`ui`] (pure drawing of `&App`,
//!    returning the areas it drew for the mouse) and [`tui`] (the loop);
//!    [`cli`] on top.

#![forbid(unsafe_code)]
// A `pub` item in a module private to the crate reads as public API but is
// not: it says `pub(crate)`, so what integration tests may use is visible
// at a glance, and dead code is reported. (Here, not in `[lints]`: test
// crates' helper modules are `pub` on purpose.)
#![warn(unreachable_pub)]

pub mod app;
pub mod cli;
pub mod config;
pub mod demo;
pub mod diagnose;
pub mod facts;
pub mod fuzz;
pub mod headless;
pub(crate) mod logging;
pub mod metrics;
pub mod model;
pub mod output;
pub(crate) mod protocol;
pub(crate) mod proxy;
pub mod report;
pub mod secret;
pub mod served_by;
pub mod session;
pub(crate) mod text_safe;
pub mod tls;
pub mod token_check;
pub mod tui;
pub mod ui;
pub(crate) mod units;
pub mod writer_thread;
