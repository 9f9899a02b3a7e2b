//! Container events as berth sees them, named the same on Docker and Podman.

use std::collections::HashMap;

use bollard::models::EventMessage;

use crate::container::ComposeLabels;

/// What happened to a container, named the same on both engines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    Create,
    Start,
    /// The container's main process exited (Docker and compat `die`, libpod `died`, `oom`).
    Die,
    /// Docker `stop`/`kill`; Podman's compat API does not always send them: key nothing on it.
    Stop,
    /// A health probe ran or the health changed; `Some` when the engine says the new status
    /// (Docker), `None` when it does not (Podman sends a bare `health_status`).
    Health(Option<String>),
    /// The container is gone (Docker `destroy`, Podman `remove`).
    Remove,
    /// Anything else (`init`, `cleanup`, `exec_died`, `attach`, ...).
    Other(String),
}

impl EventKind {
    /// The meaning of an event's action, whichever engine named it.
    pub fn of(action: &str) -> EventKind {
        if let Some(rest) = action.strip_prefix("health_status") {
            let s = rest.trim_start_matches(':').trim();
            return EventKind::Health((!s.is_empty()).then(|| s.to_string()));
        }
        match action {
            "create" => EventKind::Create,
            "start" | "restart" | "unpause" => EventKind::Start,
            "die" | "died" | "oom" => EventKind::Die,
            "stop" | "kill" => EventKind::Stop,
            "destroy" | "remove" => EventKind::Remove,
            other => EventKind::Other(other.to_string()),
        }
    }
}

/// One container event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    /// The engine's own word (`die`, `oom`, `health_status: healthy`, ...).
    pub action: String,
    /// The container's ID.
    pub id: String,
    /// The event's attributes: the container's labels, `name`, `image`, `exitCode`, ...
    pub attributes: HashMap<String, String>,
    /// When it happened, in nanoseconds since the Unix epoch on the engine's clock (0: unknown).
    pub time_nano: i64,
}

impl ComposeLabels for Event {
    fn labels(&self) -> &HashMap<String, String> {
        &self.attributes
    }
}

impl Event {
    /// The exit code a `die` event carries.
    pub fn exit_code(&self) -> Option<i64> {
        self.attributes.get("exitCode").and_then(|c| c.parse().ok())
    }

    /// Whether this is the kernel's OOM kill (an `oom` event, followed by its own `die`).
    pub fn is_oom(&self) -> bool {
        self.action == "oom"
    }

    pub(crate) fn from_api(ev: EventMessage) -> Event {
        let action = ev.action.unwrap_or_default();
        let actor = ev.actor.unwrap_or_default();
        Event {
            kind: EventKind::of(&action),
            action,
            id: actor.id.unwrap_or_default(),
            attributes: actor.attributes.unwrap_or_default(),
            time_nano: ev.time_nano.unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_engines_event_names_map_to_one_meaning() {
        assert_eq!(EventKind::of("destroy"), EventKind::Remove);
        assert_eq!(EventKind::of("remove"), EventKind::Remove);
        assert_eq!(EventKind::of("die"), EventKind::Die);
        assert_eq!(EventKind::of("died"), EventKind::Die);
        assert_eq!(EventKind::of("start"), EventKind::Start);
        assert_eq!(EventKind::of("kill"), EventKind::Stop);
        assert_eq!(
            EventKind::of("health_status: healthy"),
            EventKind::Health(Some("healthy".into()))
        );
        assert_eq!(EventKind::of("health_status"), EventKind::Health(None));
        assert_eq!(EventKind::of("cleanup"), EventKind::Other("cleanup".into()));
    }
}
