//! Printing objects: a multi-document YAML stream, a JSON `List`, or a directory with a file per
//! object whose names sort in apply order (`kubectl apply -f DIR` reads files in name order).

use std::path::{Path, PathBuf};

use super::Object;
use berth_compose::render;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

impl Format {
    pub fn ext(self) -> &'static str {
        match self {
            Format::Yaml => "yaml",
            Format::Json => "json",
        }
    }
}

/// One object as YAML (go-yaml v3 style, keys sorted).
pub fn object_yaml(o: &Object) -> String {
    render::print_yaml(&o.to_value())
}

/// All objects as one YAML stream (`---` between documents), written one object at a time:
/// the whole text is never held.
pub fn write_yaml_stream(objects: &[Object], out: &mut dyn std::io::Write) -> std::io::Result<()> {
    for (i, o) in objects.iter().enumerate() {
        if i > 0 {
            out.write_all(b"---\n")?;
        }
        out.write_all(object_yaml(o).as_bytes())?;
    }
    Ok(())
}

/// All objects as a `v1 List` (what `kubectl apply -f` accepts as one JSON document).
pub fn json_list(objects: &[Object]) -> String {
    let items: Vec<serde_json::Value> = objects.iter().map(Object::to_value).collect();
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
    let mut s = serde_json::to_string_pretty(&super::sort_keys(list)).unwrap_or_default();
    s.push('\n');
    s
}

/// One object as pretty JSON.
pub fn object_json(o: &Object) -> String {
    let mut s = serde_json::to_string_pretty(&o.to_value()).unwrap_or_default();
    s.push('\n');
    s
}

/// The whole output, written to `out` (buffer it: YAML is written an object at a time).
pub fn write(
    objects: &[Object],
    format: Format,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Yaml => write_yaml_stream(objects, out),
        Format::Json => out.write_all(json_list(objects).as_bytes()),
    }
}

/// The file name of an object in a directory: `<rank>-<kind>-<name>.<ext>`.
pub fn file_name(o: &Object, format: Format) -> String {
    format!(
        "{:02}-{}-{}.{}",
        o.rank(),
        o.kind().to_ascii_lowercase(),
        o.name(),
        format.ext()
    )
}

/// Writes the objects under `dir` (created if needed): a file per object, or with
/// `single` one file `<project>.<ext>`. Returns the files written, and the files that were
/// already in the directory and were not rewritten (stale output of an earlier run, perhaps).
pub fn write_dir(
    dir: &Path,
    objects: &[Object],
    format: Format,
    single: Option<&str>,
) -> Result<(Vec<PathBuf>, Vec<PathBuf>), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut written = Vec::new();
    match single {
        Some(project) => {
            let path = dir.join(format!("{project}.{}", format.ext()));
            let written_ok = std::fs::File::create(&path).and_then(|f| {
                let mut w = std::io::BufWriter::new(f);
                write(objects, format, &mut w)?;
                std::io::Write::flush(&mut w)
            });
            written_ok.map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            written.push(path);
        }
        None => {
            for o in objects {
                let path = dir.join(file_name(o, format));
                let text = match format {
                    Format::Yaml => object_yaml(o),
                    Format::Json => object_json(o),
                };
                std::fs::write(&path, text)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                written.push(path);
            }
        }
    }
    let mut stale = Vec::new();
    let ours: std::collections::HashSet<&PathBuf> = written.iter().collect();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            let is_manifest = matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("yaml") | Some("yml") | Some("json")
            );
            if is_manifest && !ours.contains(&p) {
                stale.push(p);
            }
        }
    }
    stale.sort();
    Ok((written, stale))
}
