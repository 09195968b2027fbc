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
//! Imports point down this list, never up (`tests/layers.rs` fails on a
//! circle between these modules, inside `session/`, `config/` and `demo/`,
//! on `diagnose` importing `session`, on `app` importing `ui`, and on `ui`
//! naming the parts of `app` that act):
//!
//! 1. Leaves: [`units`], [`text_safe`], [`secret`], [`tls`] (rustls configs
//!    and their options), [`proxy`].
//! 2. [`config`]: the profiles file, validated and activated.
//! 3. [`protocol`] (application protocols over the socket: rules, codecs)
//!    and [`served_by`] (who listens on a local port).
//! 4. [`facts`]: what the engine reports (events, attempt and close
//!    records, handshake records, probe runs, token checks, logins, log
//!    lines, the Django doctor's reading), as plain data.
//! 5. [`session`] (the engine: tasks, dial, handshake, TLS, the delivery
//!    probe) and [`token_check`] (the REST token check). `session` still
//!    re-exports the moved paths (`session::events`, `session::protocol`,
//!    `session::served_by`) for older imports.
//!
//!    Upward still: `session`, `token_check` and `model` call a few pure
//!    readings in `diagnose` (`evidence::raw::parse`, `body::meaning_of`,
//!    `is_auth_close`); one way only, as `diagnose` never imports them.
//! 6. [`model`]: state built only from facts (lifecycle, rings, health).
//! 7. [`diagnose`]: pure knowledge over facts and the model.
//! 8. [`report`], [`output`], [`metrics`]: what front ends show and write.
//! 9. Front ends: [`headless`]; the dashboard's [`app`] (state, keys,
//!    actions; never imports `ui`), [`ui`] (pure drawing of `&App`,
//!    returning the areas it drew for the mouse) and [`tui`] (the loop), with
//!    [`writer_thread`]; [`cli`] on top. [`demo`] stands beside (a server),
//!    [`fuzz`] (the fuzz targets' bodies) and [`logging`] with the front ends.

#![forbid(unsafe_code)]

pub mod app;
pub mod cli;
pub mod config;
pub mod demo;
pub mod diagnose;
pub mod facts;
pub mod fuzz;
pub mod headless;
pub mod logging;
pub mod metrics;
pub mod model;
pub mod output;
pub mod protocol;
pub mod proxy;
pub mod report;
pub mod secret;
pub mod served_by;
pub mod session;
pub mod text_safe;
pub mod tls;
pub mod token_check;
pub mod tui;
pub mod ui;
pub mod units;
pub mod writer_thread;
