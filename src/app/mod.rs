//! The dashboard's state machine: one [`App`] owns the engine and all view
//! state; keys become [`Action`]s ([`keymap`]), and [`App::update`] /
//! [`App::apply`] are the only ways state changes.

/// What the user can ask for.
pub mod action;
/// The one key-binding table (keymap, help, footer, README).
pub mod bindings;
/// Several profiles live: the focused one and the others.
pub mod crew;
/// The payload cursor and filter.
pub mod cursor;
/// Engine events in, profile switches, shutdown.
pub mod engine;
/// `e`: the selected session's transcript as JSON lines.
pub mod export;
/// Keys and mouse → actions.
pub mod keymap;
/// Profiles file hot reload.
pub mod reload;
/// `Y`: equivalent websocat and curl commands.
pub mod reproduce;
/// The state itself.
pub mod state;
/// `i` (send composer), `e` (export), `Y` (reproduce) as app state changes.
pub mod tools;
/// Actions → state changes.
pub mod update;

pub use action::Action;
pub use cursor::Filter;
pub use state::{App, Clock, Effect, Panel, Popup};
pub use tools::Composer;
