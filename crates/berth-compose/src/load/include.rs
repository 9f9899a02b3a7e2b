//! Stage: `include`. Each included file is loaded as its own project (its own directory,
//! `.env` or `env_file`, paths resolved against it) and its resources are imported; a name
//! that clashes with a different definition is an error, and include cycles are reported.

use std::path::{Path, PathBuf};

use super::{expand_home, load_model, read_documents, Ctx};
use crate::error::{ErrorKind, LoadError};
use crate::options::ConfigFile;
use crate::yaml::{Map, Node, Value};

/// Applies `include`: each entry is loaded as its own project and its resources imported.
pub(crate) fn apply_include(
    ctx: &mut Ctx,
    doc: &mut Node,
    working_dir: &Path,
) -> Result<(), LoadError> {
    let Some(root) = doc.as_map_mut() else {
        return Ok(());
    };
    let Some(include) = root.remove("include") else {
        return Ok(());
    };
    let Some(items) = include.as_seq() else {
        return Err(LoadError::at(
            &include.pos,
            "include",
            format!("expected a list, found {}", include.kind_name()),
        ));
    };
    for (i, item) in items.iter().enumerate() {
        let ipath = format!("include[{i}]");
        let (paths, project_dir, env_files): (Vec<String>, Option<String>, Vec<String>) =
            match &item.value {
                Value::Str(s) => (vec![s.clone()], None, vec![]),
                Value::Map(m) => {
                    let list = |k: &str| -> Vec<String> {
                        match m.get(k).map(|n| &n.value) {
                            Some(Value::Str(s)) => vec![s.clone()],
                            Some(Value::Seq(v)) => {
                                v.iter().filter_map(|n| n.scalar_string()).collect()
                            }
                            _ => vec![],
                        }
                    };
                    (
                        list("path"),
                        m.get("project_directory").and_then(|n| n.scalar_string()),
                        list("env_file"),
                    )
                }
                _ => {
                    return Err(LoadError::at(
                        &item.pos,
                        &ipath,
                        "expected a path or {path, project_directory, env_file}",
                    ))
                }
            };
        if paths.is_empty() {
            return Err(LoadError::at(&item.pos, &ipath, "an include needs a path"));
        }
        let abs = |p: &str, base: &Path| crate::paths::clean(&base.join(expand_home(p)));
        let files: Vec<PathBuf> = paths.iter().map(|p| abs(p, working_dir)).collect();
        for f in &files {
            if !f.exists() {
                return Err(LoadError::at(
                    &item.pos,
                    &ipath,
                    format!("included file {} does not exist", f.display()),
                )
                .with_kind(ErrorKind::FileNotFound));
            }
        }
        if ctx.include_chain.contains(&files[0]) {
            let mut chain: Vec<String> = ctx
                .include_chain
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            chain.push(files[0].display().to_string());
            return Err(LoadError::at(
                &item.pos,
                &ipath,
                format!("include cycle detected:\n{}", chain.join("\n include ")),
            ));
        }
        let project_dir = match project_dir {
            Some(d) => abs(&d, working_dir),
            None => files[0].parent().map(Path::to_path_buf).unwrap_or_default(),
        };
        // The included project's environment: its env_file (or its own .env), overridden by ours.
        let env_paths: Vec<PathBuf> = if env_files.is_empty() {
            let f = project_dir.join(".env");
            if f.is_file() {
                vec![f]
            } else {
                vec![]
            }
        } else {
            env_files.iter().map(|f| abs(f, working_dir)).collect()
        };
        let mut sub_env = ctx.env.clone();
        for f in &env_paths {
            let text = crate::input::read_text(f, crate::input::MAX_ENV_FILE).map_err(|e| {
                LoadError::at(
                    &item.pos,
                    &ipath,
                    format!("cannot read env file {}: {e}", f.display()),
                )
                .with_kind(ErrorKind::FileNotFound)
            })?;
            let env_now = sub_env.clone();
            let lookup = |k: &str| env_now.get(k).map(str::to_string);
            let vars = crate::dotenv::parse(&text, &lookup).map_err(|e| {
                LoadError::invalid(
                    None,
                    None,
                    format!("{}:{}: {}", f.display(), e.line, e.message),
                )
            })?;
            sub_env.add_file_vars(f, vars);
        }
        let mut parsed = Vec::new();
        for f in &files {
            parsed.push((
                f.clone(),
                read_documents(&ConfigFile {
                    path: f.clone(),
                    content: None,
                })?,
            ));
        }
        let mut sub = Ctx {
            flags: ctx.flags,
            env: sub_env,
            warnings: Vec::new(),
            unset: Vec::new(),
            include_chain: {
                let mut c = ctx.include_chain.clone();
                c.push(files[0].clone());
                c
            },
            trace: ctx.trace.take(),
        };
        if let Some(t) = sub.trace.as_deref_mut() {
            t.includes.push(crate::provenance::IncludeHop {
                files: files
                    .iter()
                    .map(|f| super::display_name(f).to_string())
                    .collect(),
                pos: item.pos.clone(),
            });
        }
        let imported = load_model(&mut sub, parsed, &project_dir, true);
        ctx.trace = sub.trace.take();
        let imported = imported?;
        ctx.warnings.append(&mut sub.warnings);
        for u in sub.unset {
            if !ctx.unset.contains(&u) {
                ctx.unset.push(u);
            }
        }
        import_resources(doc, imported)?;
    }
    Ok(())
}

fn import_resources(doc: &mut Node, imported: Node) -> Result<(), LoadError> {
    let Some(target) = doc.as_map_mut() else {
        return Ok(());
    };
    let Value::Map(src) = imported.value else {
        return Ok(());
    };
    for (kind, node) in src.into_entries() {
        if !["services", "volumes", "networks", "secrets", "configs"].contains(&kind.as_str()) {
            continue;
        }
        let Value::Map(items) = node.value else {
            continue;
        };
        let to = target.entry_or_insert(&kind, Node::map(Map::new(), node.pos.clone()));
        if to.is_null() {
            *to = Node::map(Map::new(), node.pos.clone());
        }
        let Some(to) = to.as_map_mut() else { continue };
        for (name, v) in items.into_entries() {
            if let Some(existing) = to.get(&name) {
                if existing.to_json() == v.to_json() {
                    continue;
                }
                return Err(LoadError::at(
                    &existing.pos,
                    &format!("{kind}.{name}"),
                    format!(
                        "{kind}.{name} conflicts with imported resource (defined at {})",
                        v.pos
                    ),
                )
                .with_hint("rename one of them, or remove it from the including file"));
            }
            to.insert(name, v);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::load::tests_support::load_files;

    #[test]
    fn include_short_and_long_forms() {
        let v = load_files(&[
            ("compose.yaml", "include:\n  - lib/one.yaml\n  - path: two/compose.yaml\n    env_file: two.env\nservices:\n  web:\n    image: web\n"),
            ("lib/one.yaml", "services:\n  one:\n    build: ./ctx\n"),
            ("two/compose.yaml", "services:\n  two:\n    image: \"two:${TAG}\"\n"),
            ("two.env", "TAG=7\n"),
        ])
        .unwrap();
        let ctx = v
            .pointer("/services/one/build/context")
            .and_then(|c| c.as_str())
            .unwrap();
        assert!(
            ctx.ends_with("/lib/ctx"),
            "paths resolve against the included file: {ctx}"
        );
        assert_eq!(
            v.pointer("/services/two/image").and_then(|c| c.as_str()),
            Some("two:7")
        );
        assert!(v.pointer("/services/web").is_some());
    }

    #[test]
    fn include_errors() {
        let e = load_files(&[
            (
                "compose.yaml",
                "include: [lib.yaml]\nservices:\n  web:\n    image: a\n",
            ),
            ("lib.yaml", "services:\n  web:\n    image: b\n"),
        ])
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("services.web conflicts with imported resource"),
            "{e}"
        );
        let e = load_files(&[
            (
                "compose.yaml",
                "include: [a.yaml]\nservices:\n  web:\n    image: a\n",
            ),
            (
                "a.yaml",
                "include: [compose.yaml]\nservices:\n  x:\n    image: b\n",
            ),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("include cycle detected"), "{e}");
        let e = load_files(&[(
            "compose.yaml",
            "include: [missing.yaml]\nservices:\n  web:\n    image: a\n",
        )])
        .unwrap_err();
        assert!(e.to_string().contains("does not exist"), "{e}");
    }
}
