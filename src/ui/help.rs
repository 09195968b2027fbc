//! The help popup (`?`): every key, grouped. The same table the README's
//! Keys section documents; the bindings live in `app::keymap`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::App;

/// Groups of `(keys, what they do)`.
pub const KEYS: &[(&str, &[(&str, &str)])] = &[
    (
        "General",
        &[
            ("q  Ctrl-C", "quit (every socket closes with 1000)"),
            ("?", "this help"),
            ("p", "profiles: Enter switches the live profile"),
            ("Esc", "back / close the popup / clear the filter"),
        ],
    ),
    (
        "Sessions",
        &[
            ("r", "reconnect the selected session now"),
            ("R", "reconnect every session now"),
            ("s", "pause / resume the selected session"),
            ("t", "re-run the REST token check"),
        ],
    ),
    (
        "Moving",
        &[
            ("j k  ↓ ↑", "move in the focused panel"),
            ("g G", "top / bottom"),
            ("Tab  Shift-Tab", "next / previous panel"),
            ("mouse", "click selects rows and panels, wheel scrolls"),
        ],
    ),
    (
        "Payloads",
        &[
            ("Enter", "open the payload (JSON pretty, binary as hex)"),
            ("/", "filter by substring or regex"),
            ("f", "follow newest on / off"),
            ("y", "copy the payload (OSC 52)"),
        ],
    ),
    (
        "Tools",
        &[
            ("i", "send a text frame (↑↓ history, Enter sends)"),
            ("e", "export the session's transcript (JSON lines)"),
            ("Y", "copy websocat + curl commands (OSC 52)"),
        ],
    ),
];

/// Draws the help popup centred in `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    // Group titles are left out when everything would not fit otherwise.
    let rows: usize = KEYS.iter().map(|(_, keys)| keys.len() + 1).sum::<usize>() + 3;
    let titles = rows <= area.height as usize;
    let mut lines = Vec::new();
    for (group, keys) in KEYS {
        if titles {
            lines.push(Line::styled(*group, theme.label()));
        }
        for (key, what) in *keys {
            lines.push(Line::from(vec![
                Span::styled(format!("  {key:<16}"), theme.header()),
                Span::raw(*what),
            ]));
        }
    }
    lines.push(Line::styled("Esc or ? closes this help", theme.dim()));
    let height = lines.len() as u16 + 2;
    let popup = super::centered(area, 66, height);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(" Help · keys ");
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
