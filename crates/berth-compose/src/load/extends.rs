//! Stage: `extends`. A service is merged over the service it extends (same file, another
//! file, chains), with the merge rules of override files; paths in an extended file resolve
//! against that file's directory.

use std::path::{Path, PathBuf};

use super::{canonical, did_you_mean, interp, merge, read_documents, Ctx};
use crate::error::{ErrorKind, LoadError};
use crate::options::ConfigFile;
use crate::provenance::{ExtendsHop, Via};
use crate::yaml::{Map, Node, Pos, Value};

/// Applies `extends` to every service of one document.
pub(crate) fn apply_extends(
    ctx: &mut Ctx,
    doc: &mut Node,
    file: &Path,
    working_dir: &Path,
) -> Result<(), LoadError> {
    let Some(services) = doc.as_map_mut().and_then(|m| m.get_mut("services")) else {
        return Ok(());
    };
    let Some(smap) = services.as_map_mut() else {
        return Ok(());
    };
    // Only services with `extends` change; most files have none, so nothing is copied.
    let names: Vec<String> = smap
        .iter()
        .filter(|(_, s)| {
            s.as_map()
                .map(|m| m.contains_key("extends"))
                .unwrap_or(false)
        })
        .map(|(k, _)| k.clone())
        .collect();
    for name in names {
        let mut chain = Vec::new();
        let merged = extend_service(ctx, &name, smap, file, working_dir, &mut chain)?;
        if let Some(m) = merged {
            smap.insert(name, m);
        }
    }
    Ok(())
}

/// Resolves one service's `extends` chain; returns the merged service (or None if unchanged).
fn extend_service(
    ctx: &mut Ctx,
    name: &str,
    services: &mut Map,
    file: &Path,
    working_dir: &Path,
    chain: &mut Vec<(PathBuf, String)>,
) -> Result<Option<Node>, LoadError> {
    let Some(service) = services.get(name).cloned() else {
        return Ok(None);
    };
    let Some(smap) = service.as_map() else {
        return Ok(None);
    };
    let Some(ext) = smap.get("extends").cloned() else {
        return Ok(None);
    };
    let key = (file.to_path_buf(), name.to_string());
    if chain.contains(&key) {
        let mut names: Vec<String> = chain.iter().map(|(_, n)| n.clone()).collect();
        names.push(name.to_string());
        return Err(LoadError::at(
            &ext.pos,
            &format!("services.{name}.extends"),
            format!("extends cycle detected: {}", names.join(" -> ")),
        ));
    }
    chain.push(key);
    let (base_name, base_file): (String, Option<String>) = match &ext.value {
        Value::Str(s) => (s.clone(), None),
        Value::Map(m) => (
            m.get("service")
                .and_then(|n| n.scalar_string())
                .unwrap_or_default(),
            m.get("file").and_then(|n| n.scalar_string()),
        ),
        _ => {
            return Err(LoadError::at(
                &ext.pos,
                &format!("services.{name}.extends"),
                format!(
                    "expected a service name or {{service, file}}, found {}",
                    ext.kind_name()
                ),
            ))
        }
    };
    if let Some(t) = ctx.trace.as_deref_mut() {
        t.extends.push(ExtendsHop {
            service: name.to_string(),
            base: base_name.clone(),
            file: base_file.clone(),
            pos: ext.pos.clone(),
        });
    }
    let base = match base_file {
        None => {
            if !services.contains_key(&base_name) {
                return Err(LoadError::at(
                    &ext.pos,
                    &format!("services.{name}.extends"),
                    format!(
                        "cannot extend service \"{name}\": service \"{base_name}\" not found in {}",
                        ext.pos.file
                    ),
                )
                .with_hint(did_you_mean(&base_name, services.keys())));
            }
            match extend_service(ctx, &base_name, services, file, working_dir, chain)? {
                Some(m) => {
                    services.insert(base_name.clone(), m.clone());
                    m
                }
                None => services
                    .get(&base_name)
                    .cloned()
                    .unwrap_or_else(|| Node::null(Pos::synthetic())),
            }
        }
        Some(f) => {
            let dir = file
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| working_dir.to_path_buf());
            let path = crate::paths::clean(&if Path::new(&f).is_absolute() {
                PathBuf::from(&f)
            } else {
                dir.join(&f)
            });
            let cf = ConfigFile {
                path: path.clone(),
                content: None,
            };
            if !path.exists() {
                return Err(LoadError::at(
                    &ext.pos,
                    &format!("services.{name}.extends.file"),
                    format!(
                        "cannot extend service \"{name}\": file {} does not exist",
                        path.display()
                    ),
                )
                .with_kind(ErrorKind::FileNotFound));
            }
            let docs = read_documents(&cf)?;
            let ext_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            // The extended file: interpolated, its own extends applied, its paths resolved against its own directory.
            let mut merged = Node::map(Map::new(), Pos::synthetic());
            for mut d in docs {
                if d.is_null() {
                    continue;
                }
                if ctx.flags.interpolate {
                    if let Some(t) = ctx.trace.as_deref_mut() {
                        t.note_templates(&d, &ctx.env);
                    }
                    let env = ctx.env.clone();
                    let lookup = |k: &str| env.get(k).map(str::to_string);
                    interp::interpolate_tree(&mut d, "", &lookup, &mut ctx.unset)?;
                }
                merged = merge::merge_traced(
                    merged,
                    d,
                    &mut Vec::new(),
                    ctx.trace.as_deref_mut(),
                    Via::File,
                );
            }
            let mut other = merged
                .as_map()
                .and_then(|m| m.get("services"))
                .and_then(|s| s.as_map())
                .cloned()
                .unwrap_or_default();
            if !other.contains_key(&base_name) {
                return Err(LoadError::at(
                    &ext.pos,
                    &format!("services.{name}.extends"),
                    format!(
                        "cannot extend service \"{name}\": service \"{base_name}\" not found in {}",
                        path.display()
                    ),
                )
                .with_hint(did_you_mean(&base_name, other.keys())));
            }
            let b = match extend_service(ctx, &base_name, &mut other, &path, &ext_dir, chain)? {
                Some(m) => m,
                None => other
                    .get(&base_name)
                    .cloned()
                    .unwrap_or_else(|| Node::null(Pos::synthetic())),
            };
            let mut wrapper = Map::new();
            let mut svcs = Map::new();
            svcs.insert(base_name.clone(), b);
            wrapper.insert("services", Node::map(svcs, Pos::synthetic()));
            let mut wrapper = Node::map(wrapper, Pos::synthetic());
            canonical::resolve_paths(&mut wrapper, &ext_dir)?;
            wrapper
                .get_path(&["services", &base_name])
                .cloned()
                .unwrap_or_else(|| Node::null(Pos::synthetic()))
        }
    };
    chain.pop();
    if base.is_null() {
        return Ok(None);
    }
    let mut over = service.clone();
    if let Some(m) = over.as_map_mut() {
        m.remove("extends");
    }
    let mut base = base;
    if let Some(m) = base.as_map_mut() {
        m.remove("extends");
    }
    let mut path = vec!["services".to_string(), name.to_string()];
    let merged = merge::merge_traced(
        base,
        over,
        &mut path,
        ctx.trace.as_deref_mut(),
        Via::Extends { base: base_name },
    );
    Ok(Some(merged))
}

#[cfg(test)]
mod tests {
    use crate::load::tests_support::load_files;

    #[test]
    fn extends_table() {
        // (what, files, check on services JSON or error text)
        type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str, serde_json::Value);
        let ok: Vec<Case> = vec![
            (
                "same file: mappings merge, command replaced, ports appended",
                vec![("compose.yaml", "services:\n  base:\n    image: b\n    command: [a]\n    environment: {A: '1'}\n    ports: ['80:80']\n  web:\n    extends: base\n    command: [b]\n    environment: {B: '2'}\n    ports: ['81:81']\n")],
                "/services/web",
                serde_json::json!({"command": ["b"], "environment": {"A": "1", "B": "2"}, "image": "b"}),
            ),
            (
                "chain of three",
                vec![("compose.yaml", "services:\n  a:\n    image: a\n    labels: {x: '1'}\n  b:\n    extends: a\n    labels: {y: '2'}\n  c:\n    extends: {service: b}\n    labels: {z: '3'}\n")],
                "/services/c/labels",
                serde_json::json!({"x": "1", "y": "2", "z": "3"}),
            ),
            (
                "!reset in the extending service removes the inherited value",
                vec![("compose.yaml", "services:\n  a:\n    image: a\n    environment: {A: '1'}\n  b:\n    extends: a\n    environment: !reset {}\n")],
                "/services/b/environment",
                serde_json::Value::Null,
            ),
        ];
        for (what, files, pointer, want) in ok {
            let v = load_files(&files).unwrap_or_else(|e| panic!("{what}: {e}"));
            let got = v
                .pointer(pointer)
                .cloned()
                .unwrap_or(serde_json::Value::Null);
            if want.is_object() {
                for (k, x) in want.as_object().unwrap() {
                    assert_eq!(got.get(k), Some(x), "{what}: {k} in {got}");
                }
            } else {
                assert_eq!(got, want, "{what}");
            }
        }
    }

    #[test]
    fn extends_from_another_file_resolves_its_paths_there() {
        let v = load_files(&[
            (
                "compose.yaml",
                "services:\n  web:\n    extends: {file: sub/base.yaml, service: base}\n",
            ),
            (
                "sub/base.yaml",
                "services:\n  base:\n    build: ./ctx\n    volumes: ['./data:/data']\n",
            ),
        ])
        .unwrap();
        let ctx = v
            .pointer("/services/web/build/context")
            .and_then(|c| c.as_str())
            .unwrap();
        assert!(ctx.ends_with("/sub/ctx"), "{ctx}");
        let src = v
            .pointer("/services/web/volumes/0/source")
            .and_then(|c| c.as_str())
            .unwrap();
        assert!(src.ends_with("/sub/data"), "{src}");
    }

    #[test]
    fn extends_errors() {
        let e = load_files(&[(
            "compose.yaml",
            "services:\n  web:\n    extends: bsae\n  base:\n    image: x\n",
        )])
        .unwrap_err();
        assert!(e.to_string().contains("service \"bsae\" not found"), "{e}");
        assert!(e.to_string().contains("did you mean \"base\""), "{e}");
        let e = load_files(&[(
            "compose.yaml",
            "services:\n  a:\n    image: x\n    extends: b\n  b:\n    extends: a\n",
        )])
        .unwrap_err();
        assert!(e.to_string().contains("extends cycle detected"), "{e}");
    }
}
