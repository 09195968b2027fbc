//! What the user can ask for, as data. Keys map onto these ([`super::keymap`])
//! and [`super::App::update`] matches them, so one place decides what each
//! request does, whatever key or click produced it.
//!
//! The names are serde `snake_case` so that a future keys file or a test
//! script can name actions without knowing the Rust enum.

use serde::{Deserialize, Serialize};

/// One user request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Quit wsmon (`q`, Ctrl-C).
    Quit,
    /// Open or close the help popup (`?`).
    ToggleHelp,
    /// Open the profile picker (`p`).
    OpenProfiles,
    /// Several profiles live: focus the next one, its sessions and token
    /// check (`o`).
    NextProfile,
    /// Re-run the REST token check (`t`).
    CheckToken,
    /// Reconnect the selected session now (`r`).
    ReconnectSelected,
    /// Reconnect every session now (`R`).
    ReconnectAll,
    /// Pause or resume the selected session (`s`).
    TogglePause,
    /// Move the cursor of the focused list or popup up (`k`, Up).
    Up,
    /// Move the cursor down (`j`, Down).
    Down,
    /// Move a page up (PageUp).
    PageUp,
    /// Move a page down (PageDown).
    PageDown,
    /// First row (`g`, Home).
    Top,
    /// Last row (`G`, End).
    Bottom,
    /// Focus the next panel (`Tab`).
    NextPanel,
    /// Focus the previous panel (Shift-Tab).
    PrevPanel,
    /// Open the selected payload, or pick the profile under the cursor (`Enter`).
    Confirm,
    /// Close the popup or leave the filter (`Esc`).
    Back,
    /// Start typing a payload filter (`/`).
    StartFilter,
    /// Follow new payloads on/off (`f`).
    ToggleFollow,
    /// Copy the selected payload to the clipboard with OSC 52 (`y`).
    Copy,
    /// Open the send composer for the selected session (`i`).
    Compose,
    /// Save the selected session's transcript as JSON lines (`e`).
    Export,
    /// Copy websocat + curl commands reproducing the selected session (`Y`).
    Reproduce,
    /// Answer no to a prompt (`n`).
    Decline,
    /// A character typed into the filter (or the composer).
    FilterChar(char),
    /// Backspace in the filter (or the composer).
    FilterBackspace,
    /// Text pasted (bracketed paste) while the filter or composer is open.
    Paste(String),
    /// Click at a cell (column, row) of the screen.
    Click { column: u16, row: u16 },
    /// Mouse wheel at a cell: negative scrolls up.
    Scroll { column: u16, row: u16, lines: i8 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_have_stable_snake_case_names() {
        let json = serde_json::to_string(&Action::ReconnectSelected).unwrap_or_default();
        assert_eq!(json, "\"reconnect_selected\"");
        let back: Action = serde_json::from_str("\"check_token\"").unwrap_or(Action::Quit);
        assert_eq!(back, Action::CheckToken);
    }
}
