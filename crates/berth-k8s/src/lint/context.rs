//! The build-context rule of `lint`: what a build would send to the engine (the same walk and
//! `.dockerignore` rules as `build`), and the ignore line that keeps keys, `.env` files, `.git`
//! and bulk out of it.

use std::collections::BTreeMap;
use std::path::Path;

use berth_compose::build_context::{context_entries, ignore_file, DockerIgnore, EntryKind};

use crate::report::{Finding, Severity};

pub const RULE: (&str, &str) = (
    "build-context",
    "the build context sends private keys, `.env` files, `.git` or more than 100 MiB",
);

/// Contexts bigger than this are reported: every build uploads all of it.
const TOO_BIG: u64 = 100 * 1024 * 1024;

/// What a kind of file is, and the `.dockerignore` line that leaves it out.
fn classify(path: &str, kind: EntryKind) -> Option<(&'static str, String)> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if kind == EntryKind::Dir {
        return (name == ".git")
            .then(|| ("the .git directory (the whole history)", "**/.git".into()));
    }
    if matches!(name, "id_rsa" | "id_dsa" | "id_ecdsa" | "id_ed25519") {
        return Some(("a private SSH key", format!("**/{name}")));
    }
    if let Some(ext) = name.rsplit_once('.').map(|(_, e)| e) {
        if matches!(ext, "pem" | "key" | "p12" | "pfx" | "jks" | "keystore") {
            return Some(("a private key or certificate store", format!("**/*.{ext}")));
        }
    }
    let example = [".example", ".sample", ".template", ".dist"]
        .iter()
        .any(|s| name.ends_with(s));
    if (name == ".env" || name.starts_with(".env.")) && !example {
        return Some(("an .env file (environment secrets)", "**/.env*".into()));
    }
    None
}

/// Lints the context of one service's build. `dockerfile` is the Dockerfile's path.
pub fn lint(service: &str, context: &Path, dockerfile: &Path) -> Vec<Finding> {
    let ignore_path = ignore_file(context, dockerfile);
    let ignore = match ignore_path
        .as_ref()
        .map(|p| std::fs::read_to_string(p).map(|t| DockerIgnore::parse(&t)))
    {
        Some(Ok(Ok(i))) => i,
        _ => DockerIgnore::default(),
    };
    let rel = dockerfile
        .strip_prefix(context)
        .ok()
        .map(|p| p.to_string_lossy().replace('\\', "/"));
    let Ok(entries) = context_entries(context, &ignore, rel.as_deref()) else {
        return Vec::new();
    };
    // Grouped by the line that would fix them.
    let mut groups: BTreeMap<String, (&'static str, Vec<String>)> = BTreeMap::new();
    let mut total = 0u64;
    let mut by_top: BTreeMap<String, u64> = BTreeMap::new();
    for e in &entries {
        if e.kind == EntryKind::File {
            let size = std::fs::symlink_metadata(&e.full)
                .map(|m| m.len())
                .unwrap_or(0);
            total += size;
            let top = e.path.split('/').next().unwrap_or(&e.path).to_string();
            *by_top.entry(top).or_default() += size;
        }
        if let Some((what, line)) = classify(&e.path, e.kind) {
            // Inside an already reported .git, do not report again.
            if e.path.contains(".git/") {
                continue;
            }
            groups
                .entry(line)
                .or_insert((what, Vec::new()))
                .1
                .push(e.path.clone());
        }
    }
    let ignore_name = ignore_path
        .as_deref()
        .map(crate::report::display_path)
        .unwrap_or_else(|| crate::report::display_path(&context.join(".dockerignore")));
    let finding = |message: String, fix: String| Finding {
        severity: Severity::Warning,
        rule: Some(RULE.0),
        key: format!("services.{service}.build"),
        service: Some(service.to_string()),
        file: None,
        line: None,
        message,
        fix: Some(fix),
    };
    let mut out = Vec::new();
    for (line, (what, paths)) in groups {
        let shown: Vec<&str> = paths.iter().take(3).map(String::as_str).collect();
        let more = if paths.len() > 3 {
            format!(" and {} more", paths.len() - 3)
        } else {
            String::new()
        };
        out.push(finding(
            format!(
                "the build context sends {what}: {}{more}; it is uploaded to the engine and a COPY puts it in the image",
                shown.join(", ")
            ),
            format!("add `{line}` to {ignore_name}"),
        ));
    }
    if total > TOO_BIG {
        let (top, size) = by_top
            .iter()
            .max_by_key(|(_, s)| **s)
            .map(|(t, s)| (t.clone(), *s))
            .unwrap_or_default();
        out.push(finding(
            format!(
                "the build context is {} MiB: every build uploads all of it ({top} alone is {} MiB)",
                total / (1024 * 1024),
                size / (1024 * 1024)
            ),
            format!("add `{top}` to {ignore_name} if the image does not need it"),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn keys_env_files_and_git_are_reported_and_the_suggested_line_fixes_them() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "Dockerfile", "FROM a:1\n");
        write(d, "app.py", "print()\n");
        write(d, "deploy/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\n");
        write(d, "certs/server.key", "k\n");
        write(d, ".env", "DB_PASSWORD=x\n");
        write(d, ".env.example", "DB_PASSWORD=\n");
        write(d, ".git/HEAD", "ref: refs/heads/main\n");
        let f = lint("web", d, &d.join("Dockerfile"));
        let fixes: Vec<String> = f.iter().map(|f| f.fix.clone().unwrap()).collect();
        assert_eq!(f.len(), 4, "{fixes:?}");
        let lines: Vec<String> = fixes
            .iter()
            .map(|x| x.split('`').nth(1).unwrap().to_string())
            .collect();
        for want in ["**/id_rsa", "**/*.key", "**/.env*", "**/.git"] {
            assert!(lines.iter().any(|l| l == want), "{want} in {lines:?}");
        }
        assert!(!f.iter().any(|x| x.message.contains(".env.example")));
        // The lines it suggests, written to .dockerignore, leave nothing to report.
        write(d, ".dockerignore", &(lines.join("\n") + "\n"));
        assert!(lint("web", d, &d.join("Dockerfile")).is_empty());
    }

    #[test]
    fn the_dockerfile_s_own_ignore_file_is_the_one_honoured() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "build/app.Dockerfile", "FROM a:1\n");
        write(d, "build/app.Dockerfile.dockerignore", "**/.env*\n");
        write(d, ".env", "X=1\n");
        assert!(lint("web", d, &d.join("build/app.Dockerfile")).is_empty());
        std::fs::remove_file(d.join("build/app.Dockerfile.dockerignore")).unwrap();
        assert_eq!(lint("web", d, &d.join("build/app.Dockerfile")).len(), 1);
    }
}
