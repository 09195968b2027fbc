//! The channel layer part of the doctor: each `CHANNEL_LAYERS` alias
//! with its Redis reachability, and `InMemoryChannelLayer` where REST and
//! the sockets live in different processes (or several workers).

use super::finding;
use crate::facts::django::{Code, Finding, Severity};
use crate::facts::django::{Context, Inspection, Reach, ReachOutcome, Role, Serving};
use crate::text_safe::visible;

pub(super) fn layers(i: &Inspection, reach: &[Reach], context: &Context, out: &mut Vec<Finding>) {
    if let Some(error) = &i.channel_layers_error {
        out.push(finding(
            Severity::Error,
            Code::LayersError,
            format!("Reading CHANNEL_LAYERS raised: {}", visible(error)),
            Vec::new(),
        ));
        return;
    }
    if i.error.is_some() {
        return;
    }
    if i.channel_layers.is_empty() {
        if i.channels.is_some() {
            out.push(finding(
                Severity::Warning,
                Code::NoChannelLayer,
                "CHANNEL_LAYERS is not set: consumers have no channel layer, so nothing can `group_send` to the sockets (a REST view pushing notifications raises).".into(),
                vec!["Set CHANNEL_LAYERS (channels_redis' RedisChannelLayer across processes).".into()],
            ));
        }
        return;
    }
    for layer in &i.channel_layers {
        let alias = visible(&layer.alias);
        let backend = visible(&layer.backend);
        if layer.backend.ends_with("InMemoryChannelLayer") {
            in_memory(&alias, context, out);
            continue;
        }
        for r in reach.iter().filter(|r| r.alias == layer.alias) {
            let address = visible(&r.address);
            match &r.outcome {
                ReachOutcome::Redis | ReachOutcome::Accepted => out.push(finding(
                    Severity::Ok,
                    Code::LayerReachable,
                    format!("Channel layer `{alias}` ({backend}): Redis at {address} answers."),
                    Vec::new(),
                )),
                ReachOutcome::NotRedis { detail } => out.push(finding(
                    Severity::Error,
                    Code::LayerNotRedis,
                    format!("Channel layer `{alias}` ({backend}): something listens at {address} but does not answer as Redis ({}).", visible(detail)),
                    vec![format!("Check CHANNEL_LAYERS' hosts: {address} is not the Redis server.")],
                )),
                ReachOutcome::Unreachable { detail } => out.push(finding(
                    Severity::Error,
                    Code::LayerUnreachable,
                    format!(
                        "Channel layer `{alias}` ({backend}) is unreachable: Redis at {address}: {}. Consumers calling group_add fail (500 before accept, 1011 after) and group_send from REST raises.",
                        visible(detail)
                    ),
                    vec![
                        format!("Start Redis at {address} (e.g. `redis-server --port {}`) or fix CHANNEL_LAYERS' hosts.", address.rsplit(':').next().unwrap_or("6379")),
                    ],
                )),
                ReachOutcome::Unchecked => {}
            }
        }
    }
}

/// Worker processes a server's command line asks for (`--workers 4`,
/// `-w 4`, `--workers=4`, `--processes 4`), when more than one.
pub fn workers(command: &str) -> Option<u32> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let mut n = None;
    for (i, w) in words.iter().enumerate() {
        let value = match *w {
            "-w" | "--workers" | "--processes" => words.get(i + 1).copied(),
            _ => w
                .strip_prefix("--workers=")
                .or_else(|| w.strip_prefix("--processes="))
                .or_else(|| w.strip_prefix("-w").filter(|v| !v.is_empty())),
        };
        if let Some(v) = value.and_then(|v| v.parse::<u32>().ok()) {
            n = Some(v);
        }
    }
    n.filter(|n| *n > 1)
}

fn in_memory(alias: &str, context: &Context, out: &mut Vec<Finding>) {
    let who = |s: &Serving| match (s.pid, &s.command) {
        (Some(pid), Some(c)) => format!("port {} ({}, pid {pid})", s.port, visible(c)),
        (Some(pid), None) => format!("port {} (pid {pid})", s.port),
        _ => format!("port {}", s.port),
    };
    let sockets: Vec<&Serving> = context
        .serving
        .iter()
        .filter(|s| s.role == Role::Sockets)
        .collect();
    let rest: Vec<&Serving> = context
        .serving
        .iter()
        .filter(|s| s.role == Role::Rest)
        .collect();
    // Different processes: different pids where both are known, else
    // different ports.
    let apart = rest.iter().find_map(|r| {
        let other = sockets.iter().find(|s| match (s.pid, r.pid) {
            (Some(a), Some(b)) => a != b,
            _ => s.port != r.port,
        })?;
        Some((*r, *other))
    });
    let many = context
        .serving
        .iter()
        .find_map(|s| s.command.as_deref().and_then(workers).map(|n| (s, n)));
    let fixes = vec![
        "Use channels_redis: CHANNEL_LAYERS = {\"default\": {\"BACKEND\": \"channels_redis.core.RedisChannelLayer\", \"CONFIG\": {\"hosts\": [(\"127.0.0.1\", 6379)]}}}.".to_string(),
        "Or serve REST and WebSockets from one single process (one Daphne, no workers).".to_string(),
    ];
    if let Some((r, s)) = apart {
        out.push(finding(
            Severity::Error,
            Code::InMemoryAcrossProcesses,
            format!(
                "Channel layer `{alias}` is InMemoryChannelLayer, and REST is served by {} while the sockets are served by {}: a group_send from the REST process never reaches the sockets (each process has its own in-memory layer).",
                who(r),
                who(s)
            ),
            fixes,
        ));
    } else if let Some((s, n)) = many {
        out.push(finding(
            Severity::Error,
            Code::InMemoryAcrossProcesses,
            format!(
                "Channel layer `{alias}` is InMemoryChannelLayer and {} runs {n} workers: each has its own in-memory layer, so a group_send reaches only the sockets of the worker that sent it.",
                who(s)
            ),
            fixes,
        ));
    } else {
        out.push(finding(
            Severity::Warning,
            Code::InMemory,
            format!("Channel layer `{alias}` is InMemoryChannelLayer: fine in one process (runserver, one Daphne); REST in another process or several workers never reach each other's sockets."),
            fixes,
        ));
    }
}
