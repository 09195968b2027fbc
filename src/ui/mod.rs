//! Pure render functions: `render(frame, &App)` draws everything from the
//! app's state and nothing else, one file per screen region, and returns
//! the [`Areas`] it drew, against which the app hit-tests the mouse. This
//! module imports from `app` only the state it draws (`App` and what it
//! holds: theme, zone, filters, the binding table); `app` imports nothing
//! from here.

/// The selected endpoint's detail.
pub(crate) mod detail;
/// The help popup.
pub(crate) mod help;
/// Filter matches marked in styled lines.
pub(crate) mod highlight;
/// The reconnect history.
pub(crate) mod history;
/// The login lines (in the token check panel).
pub(crate) mod login;
/// One payload, opened.
pub(crate) mod payload_view;
/// The payload list.
pub(crate) mod payloads;
/// The delivery probe's lines (in the token check panel).
pub(crate) mod probe;
/// The profile picker.
pub(crate) mod profiles;
/// The header and the sessions list.
pub(crate) mod sessions;
/// Times in the local zone, or relative (`T`).
pub(crate) mod time;
/// The token check and its cross-check.
pub mod token;
/// The send composer and the reproduce prompt.
pub(crate) mod tools;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

use crate::app::{App, Areas, Panel, Popup};

/// Below this size the compact layout is used (one panel at a time).
pub const MIN_FULL: (u16, u16) = (80, 24);

/// Lays the screen out for `app` in `area`.
pub fn layout(area: Rect, app: &App) -> Areas {
    let n = u16::try_from(app.session_rows()).unwrap_or(u16::MAX);
    let compact = area.width < MIN_FULL.0 || area.height < MIN_FULL.1;
    if compact {
        // Header, a borderless sessions list, the focused panel, footer.
        let rows = n.clamp(1, 4) + 1;
        let [header, sessions, body, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(rows),
            Constraint::Fill(1),
            Constraint::Length(1),
        ])
        .areas(area);
        let mut areas = Areas {
            header,
            sessions,
            footer,
            compact: true,
            ..Areas::default()
        };
        match app.focus {
            Panel::Sessions | Panel::Detail => areas.detail = body,
            Panel::Payloads => areas.payloads = body,
            Panel::History => areas.history = body,
            Panel::Token => areas.token = body,
        }
        return areas;
    }
    if app.zoom {
        // `z`: the focused panel between the header and the footer.
        let [header, body, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
        ])
        .areas(area);
        let mut areas = Areas {
            header,
            footer,
            ..Areas::default()
        };
        match app.focus {
            Panel::Sessions => areas.sessions = body,
            Panel::Detail => areas.detail = body,
            Panel::Payloads => areas.payloads = body,
            Panel::History => areas.history = body,
            Panel::Token => areas.token = body,
        }
        return areas;
    }
    let [header, sessions, middle, bottom, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(n.clamp(1, 8) + 3),
        Constraint::Fill(2),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let [detail, payloads] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(middle);
    let [history, token] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(bottom);
    Areas {
        header,
        sessions,
        detail,
        payloads,
        history,
        token,
        footer,
        compact: false,
        ..Areas::default()
    }
}

/// Draws the whole screen and returns where each region went (the mouse
/// is hit-tested against it).
pub fn render(frame: &mut Frame, app: &App) -> Areas {
    let area = frame.area();
    let mut areas = layout(area, app);
    areas.payload_text = payload_view::text_area(area);
    sessions::render_header(frame, areas.header, app);
    if !areas.sessions.is_empty() {
        areas.session_rows = sessions::render(frame, areas.sessions, app, areas.compact);
    }
    if !areas.detail.is_empty() {
        detail::render(frame, areas.detail, app);
    }
    if !areas.payloads.is_empty() {
        payloads::render(frame, areas.payloads, app);
    }
    if !areas.history.is_empty() {
        history::render(frame, areas.history, app);
    }
    if !areas.token.is_empty() {
        token::render(frame, areas.token, app);
    }
    render_footer(frame, areas.footer, app);
    match &app.popup {
        Some(Popup::Help) => help::render(frame, area, app),
        Some(Popup::Profiles { cursor }) => profiles::render(frame, area, app, *cursor),
        Some(Popup::Payload { payload, scroll }) => {
            payload_view::render(frame, area, app, payload, *scroll)
        }
        Some(Popup::Reproduce) => tools::render_reproduce(frame, area, app),
        None => {}
    }
    areas
}

fn render_footer(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let line = if let Some(composer) = &app.composer {
        tools::composer_line(app, composer, area.width)
    } else if app.filter.editing || app.rows.filter.editing || app.popup_search.editing {
        let (what, filter) = if app.popup_search.editing {
            (" search /", &app.popup_search)
        } else if app.rows.filter.editing {
            (" sessions /", &app.rows.filter)
        } else {
            (" filter /", &app.filter)
        };
        Line::from(vec![
            Span::styled(what, theme.label()),
            Span::raw(crate::text_safe::visible(&filter.text).into_owned()),
            Span::styled("▏ Enter keep · Esc clear", theme.dim()),
        ])
    } else if let Some(notice) = &app.notice {
        Line::from(vec![
            Span::styled(" ● ", theme.warn()),
            Span::raw(notice.clone()),
            Span::styled("   ? help · q quit", theme.dim()),
        ])
    } else {
        Line::styled(
            format!(" {}", crate::app::bindings::footer_hint()),
            theme.dim(),
        )
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// A bordered panel block with the title, highlighted when focused.
pub fn panel_block<'a>(app: &App, panel: Panel, title: Line<'a>) -> Block<'a> {
    let focused = app.focus == panel;
    Block::new()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(app.theme.border(focused))
        .title(title)
}

/// ` · demo-sandra` with several profiles live: a panel title's word for
/// whose session it shows (terminal-safe); nothing with one profile.
pub(crate) fn whose(app: &App) -> String {
    if app.is_crew() {
        format!(" · {}", crate::text_safe::visible(&app.active.name))
    } else {
        String::new()
    }
}

pub use time::{clock, clock_ms, when};

/// A rectangle of `width`×`height` centred in `area` (clamped to it).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}
