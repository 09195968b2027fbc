//! Marks the matches of a filter in a line already split into styled
//! spans: the line's text is searched whole (a match may cross spans) and
//! the spans are cut at the match edges, the matched pieces patched with
//! the highlight style.

use ratatui::style::Style;
use ratatui::text::Span;

use crate::app::Filter;

/// `spans` with every match of `filter` in their joined text patched with
/// `style`. Spans without a match are returned as they are.
pub(crate) fn highlight(
    spans: Vec<Span<'static>>,
    filter: &Filter,
    style: Style,
) -> Vec<Span<'static>> {
    if !filter.is_active() {
        return spans;
    }
    let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
    let ranges = filter.ranges(&text);
    if ranges.is_empty() {
        return spans;
    }
    let mut out = Vec::with_capacity(spans.len() + 2 * ranges.len());
    let mut start = 0;
    for span in spans {
        let end = start + span.content.len();
        // Cut points inside this span: match edges, relative to it.
        let mut cuts: Vec<usize> = ranges
            .iter()
            .flat_map(|r| [r.start, r.end])
            .filter(|&c| c > start && c < end)
            .map(|c| c - start)
            .collect();
        cuts.push(span.content.len());
        let mut from = 0;
        for cut in cuts {
            let piece = &span.content[from..cut];
            let inside = ranges
                .iter()
                .any(|r| r.start <= start + from && start + from < r.end);
            let s = if inside {
                span.style.patch(style)
            } else {
                span.style
            };
            out.push(Span::styled(piece.to_string(), s));
            from = cut;
        }
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use ratatui::style::Modifier;

    use super::*;

    #[test]
    fn matches_across_spans_are_marked_and_the_text_is_kept() {
        let mut f = Filter::default();
        f.set("le=\"O".into());
        let spans = vec![
            Span::raw("id=2 "),
            Span::raw("title="),
            Span::raw("\"Order shipped\""),
        ];
        let mark = Style::new().add_modifier(Modifier::BOLD);
        let out = highlight(spans, &f, mark);
        let text: String = out.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "id=2 title=\"Order shipped\"");
        let marked: Vec<&str> = out
            .iter()
            .filter(|s| s.style == mark)
            .map(|s| s.content.as_ref())
            .collect();
        assert_eq!(marked, ["le=", "\"O"]);
        f.set("nothing".into());
        assert_eq!(highlight(vec![Span::raw("a")], &f, mark).len(), 1);
    }
}
