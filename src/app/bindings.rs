//! The one table of key bindings: which keys trigger which [`Action`], in
//! which help group, with what description and footer hint. The keymap
//! ([`super::keymap`]), the help popup, the footer and the README's Keys
//! table are all derived from (or checked against) this table, so a key
//! is written down once.

use crossterm::event::KeyCode;

use super::action::Action;

/// One row of the key table.
#[derive(Debug)]
pub(crate) struct Binding {
    /// The keys that trigger the action, as the help and README write them
    /// (`` `j` `↓` ``, without the backticks).
    pub label: &'static str,
    /// The key codes the keymap matches (without modifiers: Ctrl-C is
    /// handled before the table, as it quits even while typing) and the
    /// action of each; one row may pair opposites (`j`/`k`). Empty for
    /// rows that are not keys (mouse).
    pub keys: &'static [(KeyCode, Action)],
    /// The help popup's group title.
    pub group: &'static str,
    /// What the key does, one line.
    pub help: &'static str,
    /// The footer's short hint, for the keys worth a reminder.
    pub footer: Option<&'static str>,
}

const fn bind(
    label: &'static str,
    keys: &'static [(KeyCode, Action)],
    group: &'static str,
    help: &'static str,
    footer: Option<&'static str>,
) -> Binding {
    Binding {
        label,
        keys,
        group,
        help,
        footer,
    }
}

use KeyCode::{BackTab, Char, Down, End, Enter, Esc, Home, PageDown, PageUp, Tab, Up};

/// Every binding, in help order (groups contiguous).
pub(crate) static BINDINGS: &[Binding] = &[
    bind(
        "q  Ctrl-C",
        &[(Char('q'), Action::Quit)],
        "General",
        "quit (every socket closes with 1000)",
        Some("q quit"),
    ),
    bind(
        "?",
        &[(Char('?'), Action::ToggleHelp)],
        "General",
        "this help",
        Some("? help"),
    ),
    bind(
        "p",
        &[(Char('p'), Action::OpenProfiles)],
        "General",
        "profiles: Enter switches the live profile",
        Some("p profiles"),
    ),
    bind(
        "T",
        &[(Char('T'), Action::ToggleTimes)],
        "General",
        "times: local clock / relative (12s ago)",
        None,
    ),
    bind(
        "O",
        &[(Char('O'), Action::NextProfile)],
        "General",
        "focus the next live profile (--profiles)",
        None,
    ),
    bind(
        "Esc",
        &[(Esc, Action::Back)],
        "General",
        "back / close the popup / clear the filter",
        None,
    ),
    bind(
        "t",
        &[(Char('t'), Action::CheckToken)],
        "Sessions",
        "re-run the REST token check",
        Some("t token check"),
    ),
    bind(
        "r  R",
        &[
            (Char('r'), Action::ReconnectSelected),
            (Char('R'), Action::ReconnectAll),
        ],
        "Sessions",
        "reconnect the selected / every session now",
        Some("r/R reconnect"),
    ),
    bind(
        "s",
        &[(Char('s'), Action::TogglePause)],
        "Sessions",
        "pause / resume the selected session",
        Some("s pause"),
    ),
    bind(
        "o",
        &[(Char('o'), Action::CycleOrder)],
        "Sessions",
        "order: file, trouble first, name, last change",
        Some("o order"),
    ),
    bind(
        "j  k  ↓  ↑  PgDn  PgUp",
        &[
            (Char('j'), Action::Down),
            (Char('k'), Action::Up),
            (Down, Action::Down),
            (Up, Action::Up),
            (PageDown, Action::PageDown),
            (PageUp, Action::PageUp),
        ],
        "Moving",
        "move in the focused panel: a line, a page",
        None,
    ),
    bind(
        "g  G  Home  End",
        &[
            (Char('g'), Action::Top),
            (Char('G'), Action::Bottom),
            (Home, Action::Top),
            (End, Action::Bottom),
        ],
        "Moving",
        "top / bottom",
        None,
    ),
    bind(
        "Tab  Shift-Tab",
        &[(Tab, Action::NextPanel), (BackTab, Action::PrevPanel)],
        "Moving",
        "next / previous panel",
        Some("Tab panel"),
    ),
    bind(
        "z",
        &[(Char('z'), Action::ToggleZoom)],
        "Moving",
        "zoom the focused panel / back",
        None,
    ),
    Binding {
        label: "mouse",
        keys: &[],
        group: "Moving",
        help: "click selects rows and panels, wheel scrolls",
        footer: None,
    },
    bind(
        "Enter",
        &[(Enter, Action::Confirm)],
        "Payloads",
        "open the payload (JSON pretty, binary as hex)",
        None,
    ),
    bind(
        "/",
        &[(Char('/'), Action::StartFilter)],
        "Payloads",
        "filter by regex or text (sessions too)",
        Some("/ filter"),
    ),
    bind(
        "n  N",
        &[
            (Char('n'), Action::NextMatch),
            (Char('N'), Action::PrevMatch),
        ],
        "Payloads",
        "next / previous match (also in a payload)",
        None,
    ),
    bind(
        "f",
        &[(Char('f'), Action::ToggleFollow)],
        "Payloads",
        "follow newest on / off",
        None,
    ),
    bind(
        "y",
        &[(Char('y'), Action::Copy)],
        "Payloads",
        "copy the payload (OSC 52)",
        None,
    ),
    bind(
        "i",
        &[(Char('i'), Action::Compose)],
        "Tools",
        "send a text frame (↑↓ history, Enter sends)",
        None,
    ),
    bind(
        "e",
        &[(Char('e'), Action::Export)],
        "Tools",
        "export the session's transcript (JSON lines)",
        None,
    ),
    bind(
        "Y",
        &[(Char('Y'), Action::Reproduce)],
        "Tools",
        "copy websocat + curl commands (OSC 52)",
        None,
    ),
];

/// The action bound to `code` (no modifiers considered).
pub(crate) fn lookup(code: KeyCode) -> Option<&'static Action> {
    BINDINGS
        .iter()
        .flat_map(|b| b.keys)
        .find(|(c, _)| *c == code)
        .map(|(_, action)| action)
}

/// The help groups in order, each with its rows.
pub(crate) fn groups() -> Vec<(&'static str, Vec<&'static Binding>)> {
    let mut out: Vec<(&'static str, Vec<&'static Binding>)> = Vec::new();
    for b in BINDINGS {
        match out.last_mut() {
            Some((group, rows)) if *group == b.group => rows.push(b),
            _ => out.push((b.group, vec![b])),
        }
    }
    out
}

/// The footer's hint line: `? help · p profiles · …`, `?` first and `q`
/// last as people look for them there.
pub(crate) fn footer_hint() -> String {
    let mut hints: Vec<&str> = BINDINGS.iter().filter_map(|b| b.footer).collect();
    if let Some(i) = hints.iter().position(|h| h.starts_with("q ")) {
        let quit = hints.remove(i);
        hints.push(quit);
    }
    hints.join(" · ")
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen = HashSet::new();
        for b in BINDINGS {
            for (code, _) in b.keys {
                assert!(seen.insert(format!("{code:?}")), "{code:?} bound twice");
            }
        }
    }

    #[test]
    fn groups_are_contiguous() {
        let names: Vec<_> = groups().into_iter().map(|(g, _)| g).collect();
        let unique: HashSet<_> = names.iter().collect();
        assert_eq!(names.len(), unique.len(), "{names:?}");
    }

    #[test]
    fn footer_starts_with_help_and_ends_with_quit() {
        let hint = footer_hint();
        assert!(hint.starts_with("? help"), "{hint}");
        assert!(hint.ends_with("q quit"), "{hint}");
    }

    /// The README's Keys table has one row per binding, with the same keys
    /// in the first cell (`` `j` `↓` `` for `j  ↓`), in the same order.
    #[test]
    fn readme_key_table_matches_the_bindings() {
        let readme = include_str!("../../README.md");
        let table = readme
            .split("### Keys")
            .nth(1)
            .expect("README has a ### Keys section");
        let rows: Vec<String> = table
            .lines()
            .skip_while(|l| !l.starts_with("| keys"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .map(|l| l.split('|').nth(1).unwrap_or_default().trim().to_string())
            .collect();
        let wanted: Vec<String> = BINDINGS
            .iter()
            .map(|b| {
                b.label
                    .split("  ")
                    .map(|k| {
                        if k == "mouse" {
                            k.to_string()
                        } else {
                            format!("`{k}`")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        assert_eq!(
            rows, wanted,
            "README's Keys table differs from app::bindings"
        );
    }
}
