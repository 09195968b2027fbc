//! Renders the dashboard on the demo server to an SVG for the README:
//! `cargo run --example screenshot -- assets/dashboard.svg [seconds, default 19]`.
//!
//! It runs the real event loop on a `TestBackend` against the in-process
//! demo for a few seconds (so payloads, RTT and the token check are real),
//! then writes the final frame's cells, colours included, as SVG text.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use tokio_util::sync::CancellationToken;
use wsmon::app::App;

const COLS: u16 = 120;
const ROWS: u16 = 40;
const CELL_W: f32 = 8.4;
const CELL_H: f32 = 17.0;
const FG: &str = "#d8dee9";
const BG: &str = "#1d2129";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args.next().unwrap_or_else(|| "assets/dashboard.svg".into());
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(19);
    let demo =
        wsmon::demo::start("127.0.0.1:0".parse()?, wsmon::demo::DemoOptions::default()).await?;
    let text = demo.profiles_toml();
    let config = wsmon::config::validate::parse(Path::new("<demo>"), &text)?;
    let active = config.profile(None)?.activate()?;
    let mut app = App::start(config, 0, active);
    app.theme = wsmon::app::theme::Theme { color: true };
    let mut terminal = Terminal::new(TestBackend::new(COLS, ROWS))?;
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        stop.cancel();
    });
    let mut sink = Vec::new();
    let input = Box::pin(futures_util::stream::pending());
    wsmon::tui::run(&mut terminal, &mut app, input, cancel, &mut sink).await?;
    // The orders feed has closed with its application code by now: its
    // detail and history tell more than a healthy socket.
    app.update(wsmon::app::Action::Down);
    wsmon::tui::draw(&mut terminal, &mut app)?;
    std::fs::write(&out, svg(terminal.backend().buffer()))?;
    demo.shutdown().await;
    eprintln!("wrote {out}");
    Ok(())
}

fn hex(color: Color, default: &str) -> String {
    let named = match color {
        Color::Reset => return default.to_string(),
        Color::Black => "#2e3440",
        Color::Red => "#e06c75",
        Color::Green => "#98c379",
        Color::Yellow => "#e5c07b",
        Color::Blue => "#61afef",
        Color::Magenta => "#c678dd",
        Color::Cyan => "#56b6c2",
        Color::Gray => "#abb2bf",
        Color::DarkGray => "#6b7280",
        Color::White => "#ffffff",
        Color::Rgb(r, g, b) => return format!("#{r:02x}{g:02x}{b:02x}"),
        _ => FG,
    };
    named.to_string()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// One `<text>` per row, one `<tspan>` per run of equally styled cells,
/// and background rectangles where a cell's background differs.
fn svg(buffer: &Buffer) -> String {
    let area = buffer.area;
    let (w, h) = (area.width as f32 * CELL_W, area.height as f32 * CELL_H);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14"><rect width="100%" height="100%" fill="{BG}"/>"#
    );
    for y in 0..area.height {
        let mut runs: Vec<(u16, String, String, String, bool)> = Vec::new();
        for x in 0..area.width {
            let cell = &buffer[(x, y)];
            let reversed = cell.modifier.contains(Modifier::REVERSED);
            let (mut fg, mut bg) = (hex(cell.fg, FG), hex(cell.bg, BG));
            if reversed {
                std::mem::swap(&mut fg, &mut bg);
            }
            let bold = cell.modifier.contains(Modifier::BOLD);
            match runs.last_mut() {
                Some((_, text, f, b, bo)) if *f == fg && *b == bg && *bo == bold => {
                    text.push_str(cell.symbol())
                }
                _ => runs.push((x, cell.symbol().to_string(), fg, bg, bold)),
            }
        }
        let ty = y as f32 * CELL_H;
        for (x, text, _, bg, _) in &runs {
            if bg != BG {
                let n = text.chars().count() as f32;
                let _ = write!(
                    out,
                    r#"<rect x="{}" y="{ty}" width="{}" height="{CELL_H}" fill="{bg}"/>"#,
                    *x as f32 * CELL_W,
                    n * CELL_W
                );
            }
        }
        let _ = write!(
            out,
            r#"<text y="{}" xml:space="preserve">"#,
            ty + CELL_H * 0.78
        );
        for (x, text, fg, _, bold) in &runs {
            let weight = if *bold { r#" font-weight="bold""# } else { "" };
            let n = text.chars().count() as f32;
            let _ = write!(
                out,
                r#"<tspan x="{}" fill="{fg}"{weight} textLength="{}" lengthAdjust="spacingAndGlyphs">{}</tspan>"#,
                *x as f32 * CELL_W,
                n * CELL_W,
                escape(text)
            );
        }
        out.push_str("</text>");
    }
    out.push_str("</svg>\n");
    out
}
