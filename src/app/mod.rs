//! The dashboard's state machine: one [`App`] owns the engine and all view
//! state; keys become [`Action`]s ([`keymap`]), and [`App::update`] /
//! [`App::apply`] are the only ways state changes.

/// What the user can ask for.
pub(crate) mod action;
/// Where the last frame drew each region (for the mouse).
pub(crate) mod areas;
/// The one key-binding table (keymap, help, footer, README).
pub(crate) mod bindings;
/// Several profiles live: the focused one and the others.
pub(crate) mod crew;
/// The payload cursor and filter.
pub(crate) mod cursor;
/// Engine events in, profile switches, shutdown.
pub(crate) mod engine;
/// `e`: the selected session's transcript as JSON lines.
pub(crate) mod export;
/// Keys and mouse → actions.
pub(crate) mod keymap;
/// Clicks and the wheel.
pub(crate) mod mouse;
/// Profiles file hot reload.
pub(crate) mod reload;
/// `Y`: equivalent websocat and curl commands.
pub mod reproduce;
/// The sessions list's order and filter.
pub(crate) mod rows;
/// `n`/`N`: jumps between filter matches and in the open payload.
pub(crate) mod search;
/// The state itself.
pub(crate) mod state;
/// Colours and `NO_COLOR`.
pub mod theme;
/// `i` (send composer), `e` (export), `Y` (reproduce) as app state changes.
pub(crate) mod tools;
/// Actions → state changes.
pub(crate) mod update;
/// The time zone wall-clock times are shown in.
pub mod zone;

pub use action::Action;
pub use areas::{Areas, ListRows};
pub use crew::CrewRow;
pub use cursor::Filter;
pub use rows::{Order, Rows};
pub use state::{App, Clock, Effect, Panel, Popup};
pub use tools::Composer;
