//! Keys and mouse events → [`Action`]s. The bindings are one table,
//! [`super::bindings::BINDINGS`], which the help popup, the footer and the
//! README's Keys table follow. While the filter is being typed, printable
//! keys are text.

use crossterm::event::{
    Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind,
};

use super::action::Action;

/// The action for one terminal event; `None` for events wsmon ignores.
/// `typing` is true while the payload filter takes the keys.
pub(crate) fn action(event: &TermEvent, typing: bool) -> Option<Action> {
    match event {
        TermEvent::Key(key) => key_action(key, typing),
        TermEvent::Mouse(mouse) => mouse_action(mouse),
        // A paste arrives whole, so its newlines are not Enter presses.
        TermEvent::Paste(text) if typing => Some(Action::Paste(text.clone())),
        _ => None,
    }
}

/// The action bound to a key.
pub(crate) fn key_action(key: &KeyEvent, typing: bool) -> Option<Action> {
    // Key releases and repeats (kitty protocol) would double every press.
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && matches!(key.code, KeyCode::Char('c')) {
        return Some(Action::Quit);
    }
    if typing {
        return match key.code {
            KeyCode::Enter => Some(Action::Confirm),
            KeyCode::Esc => Some(Action::Back),
            KeyCode::Backspace => Some(Action::FilterBackspace),
            KeyCode::Up => Some(Action::Up),
            KeyCode::Down => Some(Action::Down),
            KeyCode::Char(c) if !ctrl => Some(Action::FilterChar(c)),
            _ => None,
        };
    }
    super::bindings::lookup(key.code).cloned()
}

fn mouse_action(mouse: &MouseEvent) -> Option<Action> {
    let (column, row) = (mouse.column, mouse.row);
    match mouse.kind {
        MouseEventKind::Down(_) => Some(Action::Click { column, row }),
        MouseEventKind::ScrollUp => Some(Action::Scroll {
            column,
            row,
            lines: -3,
        }),
        MouseEventKind::ScrollDown => Some(Action::Scroll {
            column,
            row,
            lines: 3,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn fixed_bindings() {
        let none = KeyModifiers::NONE;
        let cases = [
            (KeyCode::Char('q'), Action::Quit),
            (KeyCode::Char('R'), Action::ReconnectAll),
            (KeyCode::Char('r'), Action::ReconnectSelected),
            (KeyCode::Down, Action::Down),
            (KeyCode::Char('G'), Action::Bottom),
            (KeyCode::Char('/'), Action::StartFilter),
            (KeyCode::Char('i'), Action::Compose),
            (KeyCode::Char('e'), Action::Export),
            (KeyCode::Char('Y'), Action::Reproduce),
        ];
        for (code, want) in cases {
            assert_eq!(key_action(&key(code, none), false), Some(want));
        }
        let ctrl_c = key(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(key_action(&ctrl_c, false), Some(Action::Quit));
        assert_eq!(key_action(&ctrl_c, true), Some(Action::Quit));
    }

    #[test]
    fn typing_turns_letters_into_text() {
        let q = key(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(key_action(&q, true), Some(Action::FilterChar('q')));
        let esc = key(KeyCode::Esc, KeyModifiers::NONE);
        assert_eq!(key_action(&esc, true), Some(Action::Back));
    }
}
