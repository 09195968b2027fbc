//! The dashboard's state machine: one [`App`] owns the engine and all view
//! state; keys become [`Action`]s ([`keymap`]), and [`App::update`] /
//! [`App::apply`] are the only ways state changes.

pub mod action;
pub mod cursor;
pub mod engine;
pub mod keymap;
pub mod state;
pub mod update;

pub use action::Action;
pub use cursor::Filter;
pub use state::{App, Clock, Effect, Panel, Popup};
