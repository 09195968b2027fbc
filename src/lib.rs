//! wsmon: keeps live WebSocket sessions open to the endpoints of a profiles
//! file and says, in plain words, what each one is doing and why.
//!
//! Engine tasks ([`session`]) produce facts; a model ([`model`]) owns state
//! built from them; knowledge ([`diagnose`]) is pure functions over facts;
//! front ends ([`headless`], the dashboard) only read the model, and write
//! the typed lines and reports of [`output`]. [`units`] holds the one
//! millisecond rule and the one duration formatter.

#![forbid(unsafe_code)]

pub mod app;
pub mod cli;
pub mod config;
pub mod demo;
pub mod diagnose;
pub mod fuzz;
pub mod headless;
pub mod logging;
pub mod metrics;
pub mod model;
pub mod output;
pub mod proxy;
pub mod report;
pub mod secret;
pub mod session;
pub mod text_safe;
pub mod tls;
pub mod token_check;
pub mod tui;
pub mod ui;
pub mod units;
pub mod writer_thread;
