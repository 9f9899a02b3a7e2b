//! The `com.docker.compose.*` labels, as Compose v2 writes them, so that berth and Compose v2
//! each see and manage the other's containers, networks and volumes.

pub const PROJECT: &str = "com.docker.compose.project";
pub const SERVICE: &str = "com.docker.compose.service";
pub const VERSION: &str = "com.docker.compose.version";
pub const WORKING_DIR: &str = "com.docker.compose.project.working_dir";
pub const CONFIG_FILES: &str = "com.docker.compose.project.config_files";
pub const ENVIRONMENT_FILE: &str = "com.docker.compose.project.environment_file";
pub const ONEOFF: &str = "com.docker.compose.oneoff";
pub const SLUG: &str = "com.docker.compose.slug";
pub const NUMBER: &str = "com.docker.compose.container-number";
pub const CONFIG_HASH: &str = "com.docker.compose.config-hash";
/// berth only: the compact canonical config the hash was computed from, so that `up --dry-run`
/// can say which fields changed (Compose v2 ignores it).
pub const BERTH_CONFIG: &str = "com.docker.compose.berth.config";
/// berth only: a container a start-first update created without its service's network
/// aliases (joined once it is ready); one left under its name aside was interrupted.
pub const BERTH_HELD: &str = "com.docker.compose.berth.held-aliases";
/// berth only, on volumes that hold a project's update history (never Compose's project
/// label, so Compose v2 leaves them alone): the project, and each service's revision.
pub const HISTORY_PROJECT: &str = "io.berth.history.project";
pub const HISTORY_SEQ: &str = "io.berth.history.seq";
pub const HISTORY_SERVICE_PREFIX: &str = "io.berth.history.service.";
pub const IMAGE: &str = "com.docker.compose.image";
pub const DEPENDS_ON: &str = "com.docker.compose.depends_on";
pub const REPLACE: &str = "com.docker.compose.replace";
pub const NETWORK: &str = "com.docker.compose.network";
pub const VOLUME: &str = "com.docker.compose.volume";

/// The version berth writes into `com.docker.compose.version`. Compose v2 reads it only for
/// display; we write the Compose version whose behaviour berth reproduces.
pub const COMPOSE_VERSION: &str = "2.26.1";

/// The filter that selects everything of one project.
pub fn project_filter(project: &str) -> String {
    format!("{PROJECT}={project}")
}

/// The filter that selects one service's containers.
pub fn service_filter(service: &str) -> String {
    format!("{SERVICE}={service}")
}
