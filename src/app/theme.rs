//! Colours and styles in one place, so `NO_COLOR` (https://no-color.org)
//! turns every colour off at once while bold, reverse and underline keep
//! the screen readable.

use ratatui::style::{Color, Modifier, Style};

use crate::facts::StopReason;
use crate::model::Lifecycle;

/// The palette, with or without colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// False under `NO_COLOR`.
    pub color: bool,
}

impl Default for Theme {
    fn default() -> Self {
        Theme::from_env()
    }
}

impl Theme {
    /// Colour unless `NO_COLOR` is set to a non-empty value.
    pub fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme { color: !no_color }
    }

    fn fg(&self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    /// Plain text.
    pub fn text(&self) -> Style {
        Style::new()
    }

    /// Labels and secondary information.
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    /// Field names in the detail panel.
    pub fn label(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// Healthy things: open sockets, a valid token.
    pub fn good(&self) -> Style {
        self.fg(Color::Green)
    }

    /// Transitions and things to look at.
    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow)
    }

    /// Failures.
    pub fn bad(&self) -> Style {
        self.fg(Color::Red)
    }

    /// A panel's border: highlighted when it has the focus.
    pub fn border(&self, focused: bool) -> Style {
        match (focused, self.color) {
            (true, true) => Style::new().fg(Color::Cyan),
            (true, false) => Style::new().add_modifier(Modifier::BOLD),
            (false, _) => self.dim(),
        }
    }

    /// The row under the cursor.
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// Text matching the filter or the popup's search.
    pub fn matched(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(Color::Yellow)
        } else {
            Style::new().add_modifier(Modifier::UNDERLINED | Modifier::BOLD)
        }
    }

    /// The header bar.
    pub fn header(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// The state badge of a session, coloured by state.
    pub fn badge(&self, lifecycle: &Lifecycle) -> Style {
        let style = match lifecycle {
            Lifecycle::Open { .. } => self.good(),
            Lifecycle::Idle | Lifecycle::Connecting { .. } | Lifecycle::Closing { .. } => {
                self.warn()
            }
            Lifecycle::Waiting { .. } => self.fg(Color::Magenta),
            Lifecycle::Stopped {
                why: StopReason::Paused | StopReason::Cancelled | StopReason::Finished,
                ..
            } => self.dim(),
            Lifecycle::Closed { .. } | Lifecycle::Stopped { .. } => self.bad(),
        };
        style.add_modifier(Modifier::BOLD)
    }

    /// JSON syntax colours in the payload popup.
    pub fn json_key(&self) -> Style {
        self.fg(Color::Cyan)
    }

    /// JSON strings.
    pub fn json_string(&self) -> Style {
        self.fg(Color::Green)
    }

    /// JSON numbers.
    pub fn json_number(&self) -> Style {
        self.fg(Color::Yellow)
    }

    /// `true`, `false`, `null`.
    pub fn json_literal(&self) -> Style {
        self.fg(Color::Magenta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    #[test]
    fn no_color_keeps_modifiers_but_drops_colours() {
        let plain = Theme { color: false };
        let open = Lifecycle::Open {
            since: SystemTime::UNIX_EPOCH,
        };
        assert_eq!(plain.badge(&open).fg, None);
        assert!(plain.badge(&open).add_modifier.contains(Modifier::BOLD));
        let colour = Theme { color: true };
        assert_eq!(colour.badge(&open).fg, Some(Color::Green));
    }
}
