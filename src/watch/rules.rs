//! `develop.watch` rules, checked and compiled: what each rule watches, what it ignores, and
//! what it does. A rule that cannot work is an error here, before anything is watched (Compose
//! v2 skips some of them silently: docker/compose#12065).

use std::path::{Path, PathBuf};

use berth_compose::build_context::{ignore_file, DockerIgnore};
use berth_compose::load::LoadedProject;
use berth_compose::model::{Service, ServiceHook, Trigger};
use berth_compose::paths::clean_str as clean_path;
use berth_compose::provenance::{self, Trace};

/// What a rule does when a file under its path changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Sync,
    Rebuild,
    Restart,
    SyncRestart,
    SyncExec,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "sync" => Action::Sync,
            "rebuild" => Action::Rebuild,
            "restart" => Action::Restart,
            "sync+restart" => Action::SyncRestart,
            "sync+exec" => Action::SyncExec,
            _ => return None,
        })
    }

    /// Whether files are copied into the containers.
    pub fn syncs(self) -> bool {
        matches!(self, Action::Sync | Action::SyncRestart | Action::SyncExec)
    }

    pub fn name(self) -> &'static str {
        match self {
            Action::Sync => "sync",
            Action::Rebuild => "rebuild",
            Action::Restart => "restart",
            Action::SyncRestart => "sync+restart",
            Action::SyncExec => "sync+exec",
        }
    }
}

/// The build context's `.dockerignore`, which every rule of a service with `build:` honours
/// for the files inside the context.
#[derive(Clone, Debug)]
struct ContextIgnore {
    context: PathBuf,
    patterns: DockerIgnore,
}

/// One compiled `services.<name>.develop.watch[<index>]`.
#[derive(Clone, Debug)]
pub struct Rule {
    pub service: String,
    pub index: usize,
    pub action: Action,
    /// The watched host path (absolute; a directory or a single file).
    pub path: PathBuf,
    /// Where `path` lands in the container (sync actions).
    pub target: Option<String>,
    /// The command of `sync+exec`.
    pub exec: Option<ServiceHook>,
    pub initial_sync: bool,
    ignore: DockerIgnore,
    include: Option<DockerIgnore>,
    context_ignore: Option<ContextIgnore>,
}

/// Editor and tool droppings that are never synced (vim, emacs, JetBrains, macOS).
fn ephemeral(name: &str) -> bool {
    name == "4913"
        || name == ".DS_Store"
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.starts_with(".#")
        || (name.starts_with('#') && name.ends_with('#') && name.len() > 1)
        || name.ends_with("___jb_tmp___")
        || name.ends_with("___jb_old___")
}

impl Rule {
    /// `services.web.develop.watch[0]`.
    pub fn key_path(&self) -> String {
        format!("services.{}.develop.watch[{}]", self.service, self.index)
    }

    /// `p` relative to the rule's path (`""` for the path itself), when it lies under it.
    pub fn relative(&self, p: &Path) -> Option<String> {
        let rel = p.strip_prefix(&self.path).ok()?;
        Some(
            rel.components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
        )
    }

    /// Whether a change to `p` concerns this rule: under its path, not ignored (the rule's
    /// `ignore`, the context's `.dockerignore`, `.git`, editor temporary files), and matched by
    /// `include` when there is one. A directory passes `include` (its files are judged).
    pub fn wants(&self, p: &Path, is_dir: bool) -> bool {
        let Some(rel) = self.relative(p) else {
            return false;
        };
        if !self.descends(p, &rel) {
            return false;
        }
        if let Some(name) = p.file_name().and_then(|n| n.to_str()) {
            if !is_dir && ephemeral(name) {
                return false;
            }
        }
        match &self.include {
            Some(inc) if !is_dir && !rel.is_empty() => inc.matches(&rel),
            _ => true,
        }
    }

    /// Whether the walk of a new directory must enter `p` (it is not ignored as a whole).
    pub fn enters(&self, p: &Path) -> bool {
        match self.relative(p) {
            Some(rel) => self.descends(p, &rel),
            None => p.starts_with(&self.path) || self.path.starts_with(p),
        }
    }

    fn descends(&self, p: &Path, rel: &str) -> bool {
        if rel.split('/').any(|c| c == ".git") {
            return false;
        }
        if !rel.is_empty() && self.ignore.matches(rel) {
            return false;
        }
        if let Some(ci) = &self.context_ignore {
            if let Ok(in_ctx) = p.strip_prefix(&ci.context) {
                let in_ctx = in_ctx.to_string_lossy().replace('\\', "/");
                if !in_ctx.is_empty() && ci.patterns.matches(&in_ctx) {
                    return false;
                }
            }
        }
        true
    }

    /// The container path of the host path `p` (which lies under the rule's path).
    pub fn container_path(&self, p: &Path) -> Option<String> {
        let target = self.target.as_deref()?;
        let rel = self.relative(p)?;
        Some(if rel.is_empty() {
            clean_path(target)
        } else {
            clean_path(&format!("{target}/{rel}"))
        })
    }
}

/// A rule that cannot work, with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleError {
    /// `compose.yaml:12:9` when known.
    pub at: Option<String>,
    pub key_path: String,
    pub message: String,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(at) = &self.at {
            write!(f, "{at}: ")?;
        }
        write!(f, "{}: {}", self.key_path, self.message)
    }
}

/// The services among `names` (all when empty) that have watch rules; an error names a
/// service asked for that has none, or says that none of them has any.
pub fn watched_services(loaded: &LoadedProject, names: &[String]) -> Result<Vec<String>, String> {
    let has_rules = |s: &Service| s.develop.as_ref().is_some_and(|d| !d.watch.is_empty());
    let project = &loaded.project;
    if names.is_empty() {
        let all: Vec<String> = project
            .services
            .iter()
            .filter(|(_, s)| has_rules(s))
            .map(|(n, _)| n.clone())
            .collect();
        if all.is_empty() {
            return Err(
                "none of the services has develop.watch rules: add a `develop: watch:` section \
                 to the services to watch (see `berth watch --help`)"
                    .into(),
            );
        }
        return Ok(all);
    }
    let mut out = Vec::new();
    for n in names {
        let Some(s) = project.services.get(n) else {
            return Err(format!("no such service: {n}"));
        };
        if !has_rules(s) {
            return Err(format!(
                "service \"{n}\" has no develop.watch rules: add `develop: watch:` to it or leave \
                 it out of the list"
            ));
        }
        out.push(n.clone());
    }
    Ok(out)
}

/// Compiles the rules of `services`. Every rule that cannot work is reported (all at once),
/// with its file position when `trace` (a provenance load) is given.
pub fn compile(
    loaded: &LoadedProject,
    services: &[String],
    trace: Option<&Trace>,
) -> Result<Vec<Rule>, Vec<RuleError>> {
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for name in services {
        let Some(svc) = loaded.project.services.get(name) else {
            continue;
        };
        let Some(dev) = &svc.develop else { continue };
        let context_ignore = context_ignore(loaded, svc);
        for (index, t) in dev.watch.iter().enumerate() {
            match compile_one(loaded, name, svc, t) {
                Ok(mut rule) => {
                    rule.index = index;
                    rule.context_ignore = context_ignore.clone();
                    rules.push(rule);
                }
                Err((field, message)) => {
                    let key_path = format!("services.{name}.develop.watch[{index}]");
                    errors.push(rule_error(trace, &key_path, field, message));
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

/// A rule's error at `key_path.field`, placed by the trace when there is one (else at the
/// rule itself).
fn rule_error(trace: Option<&Trace>, key_path: &str, field: &str, message: String) -> RuleError {
    let key = if field.is_empty() {
        key_path.to_string()
    } else {
        format!("{key_path}.{field}")
    };
    let at = trace.and_then(|tr| {
        provenance::explain(tr, &key)
            .or_else(|_| provenance::explain(tr, key_path))
            .ok()
            .and_then(|e| e.at)
            .map(|o| o.to_string())
    });
    RuleError {
        at,
        key_path: key,
        message,
    }
}

/// What is wrong with a rule: the field and the message.
type Refusal = (&'static str, String);

/// One rule checked and compiled (its index and the context's ignore file are the caller's).
fn compile_one(
    loaded: &LoadedProject,
    name: &str,
    svc: &Service,
    t: &Trigger,
) -> Result<Rule, Refusal> {
    let Some(action) = Action::parse(&t.action) else {
        return Err((
            "action",
            format!(
                "unknown action {:?}: use sync, rebuild, restart, sync+restart or sync+exec",
                t.action
            ),
        ));
    };
    let path = PathBuf::from(&t.path);
    let path = if path.is_absolute() {
        path
    } else {
        loaded.working_dir.join(path)
    };
    let path = PathBuf::from(clean_path(&path.to_string_lossy()));
    if !path.exists() {
        return Err((
            "path",
            format!(
                "{} does not exist: create it, or correct the path (relative paths start \
                 at the project directory {})",
                path.display(),
                loaded.working_dir.display()
            ),
        ));
    }
    let target = t.target.clone().filter(|s| !s.is_empty());
    if action.syncs() {
        check_target(svc, target.as_deref(), action, &t.path)?;
    }
    let exec = if action == Action::SyncExec {
        match &t.exec.command {
            Some(c) if !c.is_empty() => Some(t.exec.clone()),
            _ => {
                return Err((
                    "exec",
                    "action sync+exec needs `exec: command:` (the command to run in the \
                     container after each sync)"
                        .into(),
                ))
            }
        }
    } else {
        None
    };
    if action == Action::Rebuild {
        check_rebuild(loaded, name, svc, &path)?;
    }
    let ignore = if t.ignore.is_empty() {
        DockerIgnore::default()
    } else {
        DockerIgnore::parse(&t.ignore.join("\n"))
            .map_err(|e| ("ignore", format!("bad pattern: {e}")))?
    };
    let include = if t.include.is_empty() {
        None
    } else {
        Some(
            DockerIgnore::parse(&t.include.join("\n"))
                .map_err(|e| ("include", format!("bad pattern: {e}")))?,
        )
    };
    Ok(Rule {
        service: name.to_string(),
        index: 0,
        action,
        path,
        target,
        exec,
        initial_sync: t.initial_sync,
        ignore,
        include,
        context_ignore: None,
    })
}

/// A sync rule needs an absolute, writable `target` in the container.
fn check_target(
    svc: &Service,
    target: Option<&str>,
    action: Action,
    path: &str,
) -> Result<(), Refusal> {
    match target {
        None => Err((
            "target",
            format!(
                "action {} copies files into the container and needs `target:` \
                 (the container path that {path} maps to)",
                action.name()
            ),
        )),
        Some(tg) if !tg.starts_with('/') => Err((
            "target",
            format!("target {tg:?} must be an absolute path in the container (e.g. /app)"),
        )),
        Some(tg) => match read_only_target(svc, tg) {
            Some(why) => Err((
                "target",
                format!(
                    "{tg} cannot be written in the container: {why}. Sync to a \
                     writable path, or mount a writable volume there"
                ),
            )),
            None => Ok(()),
        },
    }
}

/// A rebuild rule needs a `build:` section, and a path that can change the image (inside the
/// build context, an additional context, or the Dockerfile).
fn check_rebuild(
    loaded: &LoadedProject,
    name: &str,
    svc: &Service,
    path: &std::path::Path,
) -> Result<(), Refusal> {
    let Some(b) = &svc.build else {
        return Err((
            "action",
            format!(
                "action rebuild needs a `build:` section, and service \"{name}\" only \
                 runs the image {}: add `build:`, or use sync/restart for this path",
                svc.image.as_deref().unwrap_or("(none)")
            ),
        ));
    };
    let ctx = b.context.as_deref().unwrap_or(".");
    if berth_engine::build::is_remote_context(ctx) {
        return Ok(());
    }
    let ctx = PathBuf::from(clean_path(&loaded.working_dir.join(ctx).to_string_lossy()));
    let dockerfile = b
        .dockerfile
        .as_deref()
        .map(|d| PathBuf::from(clean_path(&ctx.join(d).to_string_lossy())));
    let mut roots = vec![ctx.clone()];
    roots.extend(
        b.additional_contexts
            .values()
            .filter(|v| !v.contains("://") && !v.contains(':'))
            .map(|v| PathBuf::from(clean_path(&ctx.join(v).to_string_lossy()))),
    );
    let inside = roots.iter().any(|r| path.starts_with(r)) || dockerfile.as_deref() == Some(path);
    if inside {
        return Ok(());
    }
    Err((
        "path",
        format!(
            "{} is outside the build context {}: a change there cannot change \
             the image. Watch a path inside the context, or use sync/restart",
            path.display(),
            ctx.display()
        ),
    ))
}

/// Why a container path cannot be written, if it cannot: the mount that holds it is
/// read-only, or no mount holds it and the root filesystem is (`read_only: true`).
fn read_only_target(svc: &Service, target: &str) -> Option<String> {
    let target = clean_path(target);
    let under = |mount: &str| {
        let m = clean_path(mount);
        target == m || m == "/" || target.starts_with(&format!("{m}/"))
    };
    let mut best: Option<(usize, bool, String)> = None;
    for (i, v) in svc.volumes.iter().enumerate() {
        let Some(t) = v.target.as_deref() else {
            continue;
        };
        if under(t) && best.as_ref().is_none_or(|b| t.len() > b.0) {
            best = Some((
                t.len(),
                v.read_only,
                format!("volumes[{i}] ({t}) is read-only"),
            ));
        }
    }
    for t in &svc.tmpfs {
        let t = t.split(':').next().unwrap_or(t);
        if under(t) && best.as_ref().is_none_or(|b| t.len() > b.0) {
            best = Some((t.len(), false, String::new()));
        }
    }
    match best {
        Some((_, true, why)) => Some(why),
        Some((_, false, _)) => None,
        None if svc.read_only => Some("the service has `read_only: true`".into()),
        None => None,
    }
}

/// The `.dockerignore` of a service's local build context, if any.
fn context_ignore(loaded: &LoadedProject, svc: &Service) -> Option<ContextIgnore> {
    let b = svc.build.as_ref()?;
    let ctx = b.context.as_deref().unwrap_or(".");
    if berth_engine::build::is_remote_context(ctx) {
        return None;
    }
    let context = PathBuf::from(clean_path(&loaded.working_dir.join(ctx).to_string_lossy()));
    let dockerfile = context.join(b.dockerfile.as_deref().unwrap_or("Dockerfile"));
    let file = ignore_file(&context, &dockerfile)?;
    let text = std::fs::read_to_string(file).ok()?;
    let patterns = DockerIgnore::parse(&text).ok()?;
    Some(ContextIgnore { context, patterns })
}

/// The compiled rules of `services` (every service with rules when empty), or one message
/// naming every rule that cannot work. Positions come from `traced`, a second load of the
/// project with provenance, made only when there is an error to place.
pub fn compile_checked(
    loaded: &LoadedProject,
    services: &[String],
    traced: impl FnOnce() -> Option<Box<Trace>>,
) -> Result<Vec<Rule>, String> {
    let watched = watched_services(loaded, services)?;
    match compile(loaded, &watched, None) {
        Ok(r) => Ok(r),
        Err(errors) => {
            let errors = match traced() {
                Some(t) => compile(loaded, &watched, Some(&t)).err().unwrap_or(errors),
                None => errors,
            };
            let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            Err(format!(
                "{} that cannot work (nothing was started or changed):\n{}",
                if lines.len() == 1 {
                    "a develop.watch rule"
                } else {
                    "develop.watch rules"
                },
                lines.join("\n")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(path: &str, target: &str, ignore: &[&str], include: &[&str]) -> Rule {
        Rule {
            service: "web".into(),
            index: 0,
            action: Action::Sync,
            path: PathBuf::from(path),
            target: Some(target.into()),
            exec: None,
            initial_sync: false,
            ignore: DockerIgnore::parse(&ignore.join("\n")).unwrap(),
            include: (!include.is_empty())
                .then(|| DockerIgnore::parse(&include.join("\n")).unwrap()),
            context_ignore: Some(ContextIgnore {
                context: PathBuf::from("/p"),
                patterns: DockerIgnore::parse("*.log\nbuild/\n").unwrap(),
            }),
        }
    }

    #[test]
    fn matching_follows_ignore_include_and_the_context_dockerignore() {
        let r = rule("/p/src", "/app", &["node_modules/", "*.tmp"], &[]);
        let yes = |p: &str| r.wants(Path::new(p), false);
        assert!(yes("/p/src/a.js"));
        assert!(yes("/p/src/lib/deep/b.js"));
        assert!(!yes("/p/other/a.js"), "outside the rule's path");
        assert!(!yes("/p/srcx/a.js"), "a sibling with the same prefix");
        assert!(!yes("/p/src/node_modules/x/y.js"), "ignored directory");
        assert!(!yes("/p/src/x.tmp"));
        assert!(
            yes("/p/src/lib/x.tmp"),
            "dockerignore `*.tmp` is the top level only"
        );
        assert!(!yes("/p/src/.git/HEAD"));
        assert!(!yes("/p/src/.a.js.swp"));
        assert!(!yes("/p/src/a.js~"));
        assert!(!yes("/p/src/4913"));
        assert!(
            yes("/p/src/x.log"),
            "context pattern `*.log` is relative to the context"
        );
        let r2 = rule("/p", "/app", &[], &[]);
        assert!(!r2.wants(Path::new("/p/x.log"), false));
        assert!(!r2.wants(Path::new("/p/build/out.bin"), false));
        assert!(!r2.enters(Path::new("/p/build")));
        assert!(r2.enters(Path::new("/p/src")));
    }

    #[test]
    fn include_selects_files_but_lets_directories_through() {
        let r = rule("/p/src", "/app", &[], &["*.js", "lib"]);
        assert!(r.wants(Path::new("/p/src/a.js"), false));
        assert!(!r.wants(Path::new("/p/src/a.css"), false));
        assert!(r.wants(Path::new("/p/src/lib/a.css"), false));
        assert!(r.wants(Path::new("/p/src/other"), true));
    }

    #[test]
    fn container_paths_map_under_the_target() {
        let r = rule("/p/src", "/app/", &[], &[]);
        assert_eq!(
            r.container_path(Path::new("/p/src/a/b.txt")).as_deref(),
            Some("/app/a/b.txt")
        );
        assert_eq!(
            r.container_path(Path::new("/p/src")).as_deref(),
            Some("/app")
        );
        let f = rule("/p/conf.ini", "/etc/app.ini", &[], &[]);
        assert_eq!(
            f.container_path(Path::new("/p/conf.ini")).as_deref(),
            Some("/etc/app.ini")
        );
    }
}
