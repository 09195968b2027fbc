//! The Django doctor's reading for people (`wsmon doctor`, and the
//! `django doctor` section of `check`'s text) and as JSON.

use std::fmt::Write as _;

use crate::facts::django::{Doctor, Finding, Severity};
use crate::text_safe::visible;

/// The doctor's reading as JSON (one object, terminal-safe).
pub(crate) fn to_json(doctor: &Doctor) -> String {
    let mut out = serde_json::to_vec_pretty(doctor).unwrap_or_default();
    crate::text_safe::json_line(&mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// The doctor's reading for people.
pub(crate) fn to_text(d: &Doctor) -> String {
    let mut out = String::new();
    let v = |s: &str| visible(s).into_owned();
    let _ = writeln!(
        out,
        "django project {} (python {})",
        v(&d.project),
        v(&d.python)
    );
    if let Some(i) = &d.inspection {
        let version = |name: &str, v: &Option<String>| {
            v.as_deref()
                .map(|v| format!("{name} {}", visible(v)))
                .unwrap_or_else(|| format!("no {name}"))
        };
        let _ = writeln!(
            out,
            "  versions: {}, {}, {}, {}, {}",
            version("Python", &i.python),
            version("Django", &i.django),
            version("Channels", &i.channels),
            version("Daphne", &i.daphne),
            version("channels_redis", &i.channels_redis),
        );
        if let Some(s) = i.settings_module.as_ref().filter(|_| i.error.is_none()) {
            let _ = writeln!(
                out,
                "  settings: {}{}",
                v(s),
                if i.debug { " (DEBUG)" } else { "" }
            );
        }
    }
    // Settings that did not import: nothing more was read.
    if let Some(i) = d.inspection.as_ref().filter(|i| i.error.is_none()) {
        let _ = writeln!(out, "  INSTALLED_APPS: {}", v(&i.installed_apps.join(", ")));
        let _ = writeln!(out, "  ALLOWED_HOSTS: {}", v(&i.allowed_hosts.join(", ")));
        let asgi = i
            .asgi_application
            .as_deref()
            .map_or("not set".to_string(), v);
        let shape = match (&i.asgi_type, &i.protocols) {
            (_, Some(p)) => format!(": ProtocolTypeRouter ({})", v(&p.join(", "))),
            (Some(t), None) => format!(": {}", v(t)),
            _ => String::new(),
        };
        let _ = writeln!(out, "  ASGI_APPLICATION: {asgi}{shape}");
        for layer in &i.channel_layers {
            let hosts: Vec<String> = layer.hosts.iter().map(|h| h.address()).collect();
            let at = if hosts.is_empty() {
                String::new()
            } else {
                format!(" at {}", v(&hosts.join(", ")))
            };
            let _ = writeln!(
                out,
                "  CHANNEL_LAYERS {}: {}{at}",
                v(&layer.alias),
                v(&layer.backend)
            );
        }
        if !i.routes.is_empty() {
            let _ = writeln!(out, "  websocket routes:");
            for r in &i.routes {
                let behind = if r.wrappers.is_empty() {
                    String::new()
                } else {
                    format!(" (behind {})", v(&r.wrappers.join(" → ")))
                };
                let _ = writeln!(
                    out,
                    "    {}  → {}{behind}",
                    v(&crate::diagnose::django::routes::shape(r)),
                    v(&r.consumer)
                );
            }
        }
    }
    if !d.endpoints.is_empty() {
        let _ = writeln!(out, "  endpoints:");
        for e in &d.endpoints {
            let to = match (&e.route, &e.nearest) {
                (Some(r), _) => format!("route {}", v(r)),
                (None, Some(n)) => format!("NO ROUTE (nearest {})", v(n)),
                (None, None) => "NO ROUTE".into(),
            };
            let _ = writeln!(out, "    {}  {}  {to}", v(&e.endpoint), v(&e.path));
        }
    }
    findings_text(&mut out, &d.findings, "");
    let errors = d
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = d
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    let _ = writeln!(
        out,
        "{}: {errors} error{}, {warnings} warning{}",
        if d.healthy { "healthy" } else { "UNHEALTHY" },
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" },
    );
    out
}

/// One line per finding (`ERROR`, `warn `, `ok   `), its fixes below;
/// `indent` in front of each (check's report nests them).
pub(crate) fn findings_text(out: &mut String, findings: &[Finding], indent: &str) {
    for f in findings {
        let mark = match f.severity {
            Severity::Error => "ERROR",
            Severity::Warning => "warn ",
            Severity::Ok => "ok   ",
        };
        let on = f
            .endpoint
            .as_deref()
            .map_or(String::new(), |e| format!("[{}] ", visible(e)));
        let _ = writeln!(out, "{indent}{mark} {on}{}", visible(&f.summary));
        for fix in &f.fixes {
            super::fix_text::write_fix(out, &format!("{indent}      "), fix);
        }
    }
}
