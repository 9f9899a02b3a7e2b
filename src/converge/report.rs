//! What convergence tells the person watching, as events: the library decides what happened,
//! the terminal UI (`ui::progress`) decides how it looks (Compose v2's progress lines, a
//! plain log, nothing with `--progress quiet`), and tests can record them.

use std::fmt;

/// The kinds of resources `up`, `down` and the other commands report on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resource {
    Container,
    Network,
    Volume,
    Image,
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Resource::Container => "Container",
            Resource::Network => "Network",
            Resource::Volume => "Volume",
            Resource::Image => "Image",
        })
    }
}

/// Receives convergence's events. Implementations must be cheap and must not block: they are
/// called from the tasks that drive the engine.
pub trait Reporter: Sync {
    /// `name` (a container, network, volume or image) reached `status` (Compose v2's words:
    /// Creating, Created, Starting, Started, Waiting, Healthy, Exited, Stopping, Stopped,
    /// Removing, Removed, Pulling, Pulled, Built, Error...), with an optional detail.
    fn update(&self, kind: Resource, name: &str, status: &str, detail: &str);

    /// Something the person should know that does not stop the command.
    fn warn(&self, message: &str);

    /// A line of an image build's output, from `service`'s build.
    fn build_output(&self, service: &str, line: &str);

    /// How far a pull or push of `name` has come: `done` of `total` bytes of its layers.
    fn transfer(&self, kind: Resource, name: &str, status: &str, done: u64, total: u64) {
        let _ = (done, total);
        self.update(kind, name, status, "");
    }

    /// A step of the command worth saying (`Aborting on container exit...`).
    fn note(&self, message: &str);
}

/// A reporter that shows nothing (`--quiet-pull`, an internal `up` of `watch`).
pub struct Silent;

impl Reporter for Silent {
    fn update(&self, _: Resource, _: &str, _: &str, _: &str) {}
    fn warn(&self, _: &str) {}
    fn build_output(&self, _: &str, _: &str) {}
    fn note(&self, _: &str) {}
}
