//! The layering of `src/` (see "Layout" in `src/lib.rs`): imports point
//! down. Reads every source file, collects which top-level module names
//! which other one (`crate::x`, `super::x` in a module's root, including
//! `use crate::{a, b::{c}}` groups over several lines), and fails on
//! - an import that points up (or sideways) the order in [`ORDER`], or a
//!   top-level module missing from it,
//! - a circle between top-level modules (`a` → … → `a`),
//! - the edges in [`FORBIDDEN`] (`diagnose` naming `session`: knowledge
//!   reads facts, never the engine; `app` naming `ui`),
//! - `ui` naming the parts of `app` that act ([`APP_BEHAVIOUR`]),
//! - a circle between the files of `session/`, `config/` and `demo/`.
//!
//! Comments are stripped first, so a doc link (`[crate::session::Event]`)
//! does not count as an import.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeMap<String, Vec<String>>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without `//` and `/* */` comments (string literals kept as
/// they are: none of them holds `crate::`).
fn strip_comments(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let bytes = src.as_bytes();
    let mut i = 0;
    let mut in_str = false;
    while i < bytes.len() {
        let c = bytes[i];
        if in_str {
            out.push(c as char);
            if c == b'\\' && i + 1 < bytes.len() {
                out.push(bytes[i + 1] as char);
                i += 2;
                continue;
            }
            if c == b'"' {
                in_str = false;
            }
            i += 1;
        } else if c == b'"' {
            in_str = true;
            out.push('"');
            i += 1;
        } else if bytes[i..].starts_with(b"//") {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if bytes[i..].starts_with(b"/*") {
            let end = src[i + 2..]
                .find("*/")
                .map_or(bytes.len(), |e| i + 2 + e + 2);
            i = end;
        } else {
            out.push(c as char);
            i += 1;
        }
    }
    out
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The first path segment of every path that follows `prefix` (`crate::`,
/// `super::`): `crate::a::B` gives `a`; `crate::{a, b::{C}}` gives `a`, `b`.
fn first_segments(code: &str, prefix: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // e.g. `wsmon_crate::`
        }
        let r = rest.trim_start();
        if let Some(group) = r.strip_prefix('{') {
            // Top-level items of a balanced group.
            let mut depth = 0usize;
            let mut item_start = true;
            for (i, ch) in group.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && (c.is_alphanumeric() || c == '_') => {
                        found.push(ident_at(&group[i..]).to_string());
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            let id = ident_at(r);
            if !id.is_empty() {
                found.push(id.to_string());
            }
        }
    }
    found
}

/// Module path of a file under `src/`: `session/open.rs` → `["session",
/// "open"]`, `session/mod.rs` → `["session"]`.
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("file name");
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" {
        parts.push(stem.to_string());
    }
    parts
}

struct Source {
    module: Vec<String>,
    rel: String,
    code: String,
}

fn sources(src: &Path) -> Vec<Source> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    files
        .into_iter()
        .filter_map(|path| {
            let rel = path.strip_prefix(src).expect("under src").to_path_buf();
            let module = module_path(&rel);
            // lib.rs and main.rs are the root: they name every module.
            if module.len() == 1 && (module[0] == "lib" || module[0] == "main") {
                return None;
            }
            let code = strip_comments(&fs::read_to_string(&path).expect("read source"));
            Some(Source {
                module,
                rel: rel.to_string_lossy().into_owned(),
                code,
            })
        })
        .collect()
}

/// Edges between the children of `parent` (`&[]` for the crate root):
/// which child names which other child, through `crate::parent::x` or,
/// from a direct child's file, `super::x`.
fn graph(all: &[Source], parent: &[&str]) -> Graph {
    let children: BTreeSet<String> = all
        .iter()
        .filter(|s| {
            s.module.len() > parent.len() && s.module.iter().zip(parent).all(|(a, b)| a == b)
        })
        .map(|s| s.module[parent.len()].clone())
        .collect();
    let mut g = Graph::new();
    for s in all {
        if s.module.len() <= parent.len() || !s.module.iter().zip(parent).all(|(a, b)| a == b) {
            continue;
        }
        let from = &s.module[parent.len()];
        let mut targets = Vec::new();
        if parent.is_empty() {
            targets.extend(first_segments(&s.code, "crate::"));
        } else {
            let prefix = format!("crate::{}::", parent.join("::"));
            targets.extend(first_segments(&s.code, &prefix));
            // `super::` from a direct child's own file (`session/open.rs`)
            // names a sibling; from deeper it names the child itself.
            if s.module.len() == parent.len() + 1 {
                targets.extend(first_segments(&s.code, "super::"));
            }
        }
        for to in targets {
            if &to != from && children.contains(&to) {
                g.entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_default()
                    .push(s.rel.clone());
            }
        }
    }
    g
}

/// Every edge that lies on a circle, as "a -> b (files)".
fn circles(g: &Graph) -> Vec<String> {
    let reaches = |from: &str, to: &str| -> bool {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(n) = stack.pop() {
            if n == to {
                return true;
            }
            if seen.insert(n.clone())
                && let Some(next) = g.get(&n)
            {
                stack.extend(next.keys().cloned());
            }
        }
        false
    };
    let mut found = Vec::new();
    for (a, next) in g {
        for (b, files) in next {
            if reaches(b, a) {
                let mut files = files.clone();
                files.dedup();
                found.push(format!("{a} -> {b} ({})", files.join(", ")));
            }
        }
    }
    found
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level modules bottom up, as `src/lib.rs` ("Layout") lists
/// them: a module may import only modules before it. Knowledge
/// (`diagnose`) sits above the facts and below the engine and the model,
/// which consult it (the retry policy asks whether a close was an auth
/// refusal, health asks whether a probe leaked).
const ORDER: &[&str] = &[
    "units",
    "text_safe",
    "secret",
    "tls",
    "proxy",
    "served_by",
    "logging",
    "config",
    "protocol",
    "facts",
    "diagnose",
    "token_check",
    "session",
    "model",
    "report",
    "output",
    "metrics",
    "writer_thread",
    "demo",
    "fuzz",
    "headless",
    "app",
    "ui",
    "tui",
    "cli",
];

#[test]
fn imports_point_down_the_layout() {
    let all = sources(&src_dir());
    let g = graph(&all, &[]);
    let rank = |m: &str| ORDER.iter().position(|o| *o == m);
    let mut bad = Vec::new();
    let modules: BTreeSet<&str> = all
        .iter()
        .filter_map(|s| s.module.first().map(String::as_str))
        .filter(|m| *m != "main" && *m != "lib")
        .collect();
    for m in &modules {
        if rank(m).is_none() {
            bad.push(format!(
                "{m} is not placed in ORDER (and src/lib.rs, Layout)"
            ));
        }
    }
    for (from, next) in &g {
        for (to, files) in next {
            if let (Some(a), Some(b)) = (rank(from), rank(to))
                && b >= a
            {
                let mut files = files.clone();
                files.dedup();
                bad.push(format!("{from} -> {to} points up ({})", files.join(", ")));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "imports must point down the layout (src/lib.rs, Layout):\n  {}",
        bad.join("\n  ")
    );
}

#[test]
fn no_circle_between_top_level_modules() {
    let all = sources(&src_dir());
    let g = graph(&all, &[]);
    // The scan must see real imports, or it proves nothing.
    assert!(
        g.get("session").is_some_and(|n| n.contains_key("config")),
        "the scan found no session -> config import: is it reading src/?"
    );
    let found = circles(&g);
    assert!(
        found.is_empty(),
        "imports between top-level modules must point down (src/lib.rs, Layout); \
         these edges lie on a circle:\n  {}",
        found.join("\n  ")
    );
}

/// Edges that must not exist even without a circle: (from, to, why).
const FORBIDDEN: &[(&str, &str, &str)] = &[
    (
        "diagnose",
        "session",
        "diagnose is pure knowledge over facts: import the fact types from \
         crate::facts, not crate::session",
    ),
    (
        "app",
        "ui",
        "the app owns state and never draws: ui returns what it drew \
         (app::Areas), and what both need lives in app or below",
    ),
];

#[test]
fn forbidden_imports_are_absent() {
    let all = sources(&src_dir());
    let g = graph(&all, &[]);
    assert!(
        g.get("ui").is_some_and(|n| n.contains_key("app")),
        "the scan found no ui -> app import: is it reading src/ui?"
    );
    for (from, to, why) in FORBIDDEN {
        let bad = g
            .get(*from)
            .and_then(|n| n.get(*to))
            .cloned()
            .unwrap_or_default();
        assert!(
            bad.is_empty(),
            "{from} must not import {to}: {why}; found in {bad:?}"
        );
    }
}

/// The parts of `app` that act (keys, updates, the engine, files); `ui`
/// draws the state and names none of them.
const APP_BEHAVIOUR: &[&str] = &[
    "action",
    "crew",
    "engine",
    "export",
    "keymap",
    "mouse",
    "reload",
    "reproduce",
    "search",
    "update",
];

#[test]
fn ui_imports_from_app_only_the_state_it_draws() {
    let mut bad = Vec::new();
    for s in sources(&src_dir()).iter().filter(|s| s.module[0] == "ui") {
        for name in first_segments(&s.code, "crate::app::") {
            if APP_BEHAVIOUR.contains(&name.as_str()) {
                bad.push(format!("{} names app::{name}", s.rel));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "ui draws &App and what it holds; it does not act:\n  {}",
        bad.join("\n  ")
    );
}

#[test]
fn no_circle_inside_session_config_demo() {
    let all = sources(&src_dir());
    let mut found = Vec::new();
    for parent in ["session", "config", "demo"] {
        let g = graph(&all, &[parent]);
        found.extend(circles(&g).into_iter().map(|c| format!("{parent}: {c}")));
    }
    assert!(
        found.is_empty(),
        "files of one module must not import each other in a circle:\n  {}",
        found.join("\n  ")
    );
}

#[test]
fn the_scan_reads_groups_and_skips_comments() {
    let code = strip_comments(
        "use crate::{\n    a::B,\n    // crate::hidden\n    c::{d, e},\n};\n/* crate::gone */ let x = crate::f::g();",
    );
    assert_eq!(first_segments(&code, "crate::"), ["a", "c", "f"]);
    let mut g = Graph::new();
    g.entry("x".into())
        .or_default()
        .insert("y".into(), vec!["x.rs".into()]);
    g.entry("y".into())
        .or_default()
        .insert("z".into(), vec!["y.rs".into()]);
    assert!(circles(&g).is_empty());
    g.entry("z".into())
        .or_default()
        .insert("x".into(), vec!["z.rs".into()]);
    assert_eq!(circles(&g).len(), 3);
}
