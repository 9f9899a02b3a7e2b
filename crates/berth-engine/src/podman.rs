//! What differs on Podman (4.3's Docker-compatible API), each difference named, with the exact
//! texts measured in ../shared/research/rust-stack.md §2.3:
//!
//! 1. **Healthchecks never run without systemd**: Podman schedules them with systemd timers,
//!    so on a host without systemd a container stays `starting` forever. berth drives them
//!    itself through the libpod endpoint `GET /v4.0.0/libpod/containers/{id}/healthcheck`
//!    (runs the check once and records the result, as the timer would), on the healthcheck's
//!    interval, only while it waits for that container ([`HealthDriver`]).
//! 2. **HTTP 500 where Docker answers 404/409/403**: errors are classified by message
//!    ([`classify_message`]), never by code alone.
//! 3. **Events**: `remove` for Docker's `destroy`, `died` (libpod) or `die`, no
//!    `kill`/`stop` on every path, and `health_status` without the status (Docker:
//!    `health_status: healthy`). [`crate::EventKind::of`] maps both vocabularies to one. The compat
//!    `/events` also ignores `label` filters (and then sends nothing): berth filters by the
//!    labels in the event's attributes ([`labels_match`]).
//! 4. **`wait` returns -1** for a container whose start failed (Docker: the start error's exit
//!    code, 127 for a missing command). [`wait_status`] turns it into a real exit code.
//! 5. **DNS**: aardvark-dns answers aliases on project networks as `name.dns.podman` (search
//!    domain `dns.podman`), so `nslookup api` works as on Docker; nothing to do but test it.
//! 6. **ulimits**: Podman's default rlimits exceed some hosts' hard limits and every start
//!    fails with `error setting rlimit type 7`; [`rlimit_hint`] names the fix
//!    (`default_ulimits` in containers.conf, see scripts/podman.sh). A service that sets
//!    ulimits replaces those defaults, so it must set both nofile and nproc on such a host.
//! 7. **A transient `stopped` state** in inspect and list, which bollard's state enum
//!    cannot parse: retried until it settles ([`is_transient_state_error`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bollard::query_parameters::InspectContainerOptions;
use bollard::Docker;

/// The rootful Podman API socket.
pub const ROOTFUL_SOCKET: &str = "/run/podman/podman.sock";

/// What an engine error means, whichever engine said it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    NotRunning,
    Conflict,
    Other,
}

/// Classifies an engine error by its message first (Podman answers 500 for most of these),
/// then by its HTTP code.
pub fn classify_message(status: u16, message: &str) -> ErrorKind {
    let m = message.to_lowercase();
    // Podman: `container state improper`, `can only kill running containers`,
    // `can only create exec sessions on running containers`; Docker: `is not running`.
    if m.contains("is not running")
        || m.contains("state improper")
        || m.contains("can only kill running")
        || m.contains("on running containers")
    {
        return ErrorKind::NotRunning;
    }
    // Podman: `... already in use by <id> ...: that name is already in use`,
    // `network name X already used: network already exists`,
    // `"X" has associated containers with it ...: network is being used`;
    // Docker: `Conflict. The container name ... is already in use`, `has active endpoints`.
    if m.contains("already in use")
        || m.contains("already exists")
        || m.contains("already used")
        || m.contains("is being used")
        || m.contains("has active endpoints")
        || m.contains("has associated containers")
    {
        return ErrorKind::Conflict;
    }
    // Podman: `no container with name or ID "x" found: no such container`,
    // `no such image: ...: image not known`, `unable to find network with name or ID`;
    // Docker: `No such container: x`, `No such image: ...`, `network x not found`.
    if status == 404
        || m.contains("no such")
        || m.contains("not found")
        || m.contains("not known")
        || m.contains("unable to find")
    {
        return ErrorKind::NotFound;
    }
    if status == 409 {
        return ErrorKind::Conflict;
    }
    ErrorKind::Other
}

/// The fix for Podman's rlimit failure at start, when `message` is that failure.
pub fn rlimit_hint(message: &str) -> Option<&'static str> {
    (message.contains("error setting rlimit") || message.contains("setting rlimit type")).then_some(
        "hint: Podman's default ulimits exceed this host's limits; set default_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"] under [containers] in /etc/containers/containers.conf (or the user's containers.conf) and restart `podman system service` (scripts/podman.sh does it), or set ulimits on the service",
    )
}

/// The exit code of a finished wait: Podman answers -1 for a container whose start failed,
/// where Docker answers the start error's code (127 for a missing command); this takes the
/// container's recorded exit code when it has one, else 128 ("could not run").
pub fn wait_status(code: i64, recorded_exit: Option<i64>) -> i64 {
    if code >= 0 {
        return code;
    }
    match recorded_exit {
        Some(c) if c > 0 => c,
        _ => 128,
    }
}

/// Is this the parse failure of a Podman answer in a transient state (`stopped`, between a
/// container's exit and its cleanup), which the API's state enums lack?
pub fn is_transient_state_error(e: &bollard::errors::Error) -> bool {
    use bollard::errors::Error as B;
    match e {
        B::JsonDataError { message, .. } => {
            message.contains("stopped") || message.contains("variant")
        }
        B::JsonSerdeError { err } => {
            let m = err.to_string();
            m.contains("stopped") || m.contains("variant")
        }
        _ => false,
    }
}

/// Whether an event's attributes carry every wanted label (`key=value` or `key`): Podman's
/// compat events ignore label filters, so berth applies them.
pub fn labels_match(attrs: Option<&HashMap<String, String>>, wanted: &[String]) -> bool {
    wanted.iter().all(|w| {
        let (k, v) = match w.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (w.as_str(), None),
        };
        match attrs.and_then(|a| a.get(k)) {
            Some(have) => v.is_none_or(|v| v == have),
            None => false,
        }
    })
}

/// The libpod path that runs a container's healthcheck once.
pub fn healthcheck_path(id: &str) -> String {
    format!("/v4.0.0/libpod/containers/{id}/healthcheck")
}

/// Runs the container's healthcheck once through the libpod endpoint; the engine records the
/// result in the container's health (what `inspect` shows). bollard has no raw request call,
/// so this sends an inspect whose path is rewritten to the endpoint, over the same connection
/// settings (socket or TCP) as every other call.
pub async fn run_healthcheck(docker: &Docker, id: &str) -> Result<(), bollard::errors::Error> {
    let target = healthcheck_path(id);
    let client = docker.clone().with_request_modifier(move |mut req| {
        let uri = req.uri().to_string();
        let pq = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default();
        if let Some(base) = uri.strip_suffix(pq.as_str()) {
            if let Ok(u) = format!("{base}{target}").parse() {
                *req.uri_mut() = u;
            }
        }
        req
    });
    // The answer, `{"Status":"healthy","FailingStreak":0,"Log":null}`, is the probe's own
    // result; the container's status (which counts retries) is read by inspect.
    client
        .inspect_container(id, None::<InspectContainerOptions>)
        .await
        .map(|_| ())
}

/// When each container's healthcheck last ran, so that several waiters on one container (two
/// dependents of one database) probe it once per interval between them.
#[derive(Default)]
pub struct HealthDriver {
    last: Mutex<HashMap<String, Instant>>,
}

impl HealthDriver {
    pub fn new() -> Arc<HealthDriver> {
        Arc::new(HealthDriver::default())
    }

    /// Whether a probe of `id` is due now (and if so, records it as run); otherwise how long
    /// until it is.
    pub fn due(&self, id: &str, interval: Duration) -> Result<(), Duration> {
        let now = Instant::now();
        let Ok(mut last) = self.last.lock() else {
            return Ok(());
        };
        match last.get(id) {
            Some(t) if now.duration_since(*t) < interval => Err(interval - now.duration_since(*t)),
            _ => {
                last.insert(id.to_string(), now);
                Ok(())
            }
        }
    }
}

/// A healthcheck's interval (zero, unset: the default, 30 s).
pub fn health_interval(interval: Duration) -> Duration {
    if interval.is_zero() {
        Duration::from_secs(30)
    } else {
        interval
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn podman_500s_are_classified_like_dockers_409s_and_404s() {
        let cases = [
            // Killing a stopped container.
            (409, "Cannot kill container: x: Container 1a2b is not running", ErrorKind::NotRunning),
            (500, "can only kill running containers. 1a2b is in state exited: container state improper", ErrorKind::NotRunning),
            // Duplicate container name.
            (409, "Conflict. The container name \"/x\" is already in use by container \"1a2b\". You have to remove (or rename) that container to be able to reuse that name.", ErrorKind::Conflict),
            (500, "container create: creating container storage: the container name \"x\" is already in use by 1a2b. You have to remove that container to be able to reuse that name: that name is already in use", ErrorKind::Conflict),
            // A network in use.
            (403, "error while removing network: network x id 1a2b has active endpoints", ErrorKind::Conflict),
            (500, "\"x\" has associated containers with it. Use -f to forcibly delete containers and pods: network is being used", ErrorKind::Conflict),
            // Exec in a stopped container.
            (409, "Container 1a2b is not running", ErrorKind::NotRunning),
            (500, "can only create exec sessions on running containers: container state improper", ErrorKind::NotRunning),
            // Duplicate network name.
            (500, "network name x already used: network already exists", ErrorKind::Conflict),
            // Missing objects.
            (404, "No such container: x", ErrorKind::NotFound),
            (404, "no container with name or ID \"x\" found: no such container", ErrorKind::NotFound),
            (404, "No such image: nosuchimage:zzz", ErrorKind::NotFound),
            (404, "no such image: docker.io/library/nosuchimage:zzz: image not known", ErrorKind::NotFound),
            (500, "some other failure", ErrorKind::Other),
        ];
        for (status, msg, want) in cases {
            assert_eq!(classify_message(status, msg), want, "{status} {msg}");
        }
    }

    #[test]
    fn podman_wait_minus_one_becomes_an_exit_code() {
        assert_eq!(wait_status(0, Some(0)), 0);
        assert_eq!(wait_status(3, Some(3)), 3);
        assert_eq!(wait_status(-1, Some(0)), 128);
        assert_eq!(wait_status(-1, Some(127)), 127);
        assert_eq!(wait_status(-1, None), 128);
    }

    #[test]
    fn podman_events_are_filtered_by_label_on_our_side() {
        let attrs: HashMap<String, String> = [
            ("com.docker.compose.project".to_string(), "p".to_string()),
            ("name".to_string(), "p-a-1".to_string()),
        ]
        .into();
        let want = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(labels_match(
            Some(&attrs),
            &want(&["com.docker.compose.project=p"])
        ));
        assert!(labels_match(
            Some(&attrs),
            &want(&["com.docker.compose.project"])
        ));
        assert!(!labels_match(
            Some(&attrs),
            &want(&["com.docker.compose.project=q"])
        ));
        assert!(!labels_match(
            None,
            &want(&["com.docker.compose.project=p"])
        ));
        assert!(labels_match(None, &[]));
    }

    #[test]
    fn the_rlimit_failure_names_its_fix() {
        let m = "runc: runc create failed: unable to start container process: error during container init: error setting rlimits for ready process: error setting rlimit type 7: operation not permitted: OCI permission denied";
        assert!(rlimit_hint(m).unwrap().contains("default_ulimits"));
        assert!(rlimit_hint("No such container: x").is_none());
    }

    #[test]
    fn one_probe_per_interval_between_waiters() {
        let d = HealthDriver::default();
        assert!(d.due("a", Duration::from_secs(5)).is_ok());
        assert!(d.due("a", Duration::from_secs(5)).is_err());
        assert!(d.due("b", Duration::from_secs(5)).is_ok());
        assert!(d.due("a", Duration::ZERO).is_ok());
        assert_eq!(health_interval(Duration::ZERO), Duration::from_secs(30));
        assert_eq!(
            health_interval(Duration::from_millis(500)),
            Duration::from_millis(500)
        );
        assert_eq!(
            healthcheck_path("abc"),
            "/v4.0.0/libpod/containers/abc/healthcheck"
        );
    }
}
