//! `berth config --explain [KEY_PATH]`: where values came from, shown as text (the model
//! annotated) or JSON.

use std::collections::HashMap;
use std::fmt::Write as _;

use berth_compose::load::LoadedProject;
use berth_compose::provenance::{self, Earlier, Explanation, Seg, VarUse};
use berth_compose::yaml::{Node, Value};

/// The output of `config --explain KEY` (or of the whole model when `key` is empty).
pub fn run(loaded: &LoadedProject, key: &str, format: &str) -> Result<String, String> {
    let trace = loaded
        .provenance
        .as_deref()
        .ok_or("internal error: the project was loaded without provenance")?;
    if key.is_empty() {
        let all = provenance::explain_all(trace);
        if format == "json" {
            let mut table = serde_json::Map::new();
            for e in all {
                let path = e.path.clone();
                table.insert(path, serde_json::to_value(e).unwrap_or_default());
            }
            let v = serde_json::json!({"model": loaded.canonical, "provenance": table});
            return Ok(json(&v));
        }
        let by_path: HashMap<String, Explanation> =
            all.into_iter().map(|e| (e.path.clone(), e)).collect();
        let mut out = String::new();
        if let Some(tree) = &trace.tree {
            annotate(tree, &mut Vec::new(), &by_path, 0, &mut out);
        }
        return Ok(out);
    }
    let mut e = provenance::explain(trace, key).map_err(|e| e.to_string())?;
    if is_service_environment(&e.path) {
        // Lowest precedence first: env_file lines, then environment entries, then pass-through.
        e.entries.sort_by_key(|x| match x.kind.as_str() {
            "env_file" => 0,
            "pass-through" => 2,
            _ => 1,
        });
    }
    if format == "json" {
        return Ok(json(&serde_json::to_value(&e).unwrap_or_default()));
    }
    Ok(text(&e))
}

fn json(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

fn is_service_environment(path: &str) -> bool {
    let parts: Vec<&str> = path.split('.').collect();
    parts.len() == 3 && parts[0] == "services" && parts[2] == "environment"
}

fn scalar(v: &serde_json::Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn var_line(v: &VarUse) -> String {
    match &v.value {
        Some(x) => format!("${{{}}} = {:?}  from {}", v.name, x, v.source),
        None => format!("${{{}}}  {}", v.name, v.source),
    }
}

fn earlier_lines(out: &mut String, e: &Earlier, indent: &str) {
    let _ = writeln!(
        out,
        "{indent}{} {}  ({})",
        e.at.as_ref()
            .map(|a| a.to_string())
            .unwrap_or_else(|| "(berth default)".into()),
        scalar(&e.value),
        e.how
    );
    if let Some(t) = &e.template {
        let _ = writeln!(out, "{indent}  written as {t:?}");
    }
    for v in &e.variables {
        let _ = writeln!(out, "{indent}    {}", var_line(v));
    }
}

/// The text form of one explanation.
pub fn text(e: &Explanation) -> String {
    let mut out = String::new();
    if e.entries.is_empty() {
        let _ = writeln!(out, "{} = {}", e.path, scalar(&e.value));
        one(&mut out, e, "  ");
    } else {
        let what = if is_service_environment(&e.path) {
            format!(
                "{} variables, lowest precedence first: env_file lines, environment entries, pass-through",
                e.entries.len()
            )
        } else {
            format!("{} entries", e.entries.len())
        };
        let _ = writeln!(out, "{} ({what})", e.path);
        if let Some(a) = &e.at {
            let _ = writeln!(out, "  written at {a}");
        }
        for h in &e.hops {
            let _ = writeln!(out, "  via {h}");
        }
        for x in &e.entries {
            let name = x.path.strip_prefix(&e.path).unwrap_or(&x.path);
            let name = name.trim_start_matches('.');
            let _ = writeln!(out, "  {name} = {}", scalar(&x.value));
            // The hops are the parent's, printed once above.
            let x = Explanation {
                hops: Vec::new(),
                ..x.clone()
            };
            one(&mut out, &x, "      ");
        }
    }
    out
}

fn one(out: &mut String, e: &Explanation, indent: &str) {
    let _ = writeln!(
        out,
        "{indent}{} ({})",
        e.at.as_ref()
            .map(|a| format!("written at {a}"))
            .unwrap_or_else(|| "not written anywhere".into()),
        e.kind
    );
    if let Some(t) = &e.template {
        let _ = writeln!(out, "{indent}  written as {t:?}");
    }
    for v in &e.variables {
        let _ = writeln!(out, "{indent}    {}", var_line(v));
    }
    if !e.overrode.is_empty() {
        let _ = writeln!(out, "{indent}overrode:");
        for o in &e.overrode {
            earlier_lines(out, o, &format!("{indent}  "));
        }
    }
    for h in &e.hops {
        let _ = writeln!(out, "{indent}via {h}");
    }
}

/// The short comment of a leaf in the annotated model.
fn comment(e: &Explanation) -> String {
    let mut parts = vec![e
        .at
        .as_ref()
        .map(|a| a.to_string())
        .unwrap_or_else(|| "berth default".into())];
    if e.kind != "compose file" && e.at.is_some() {
        parts.push(e.kind.clone());
    }
    for v in &e.variables {
        parts.push(format!("${{{}}} {}", v.name, v.source));
    }
    for o in &e.overrode {
        parts.push(format!(
            "overrode {}",
            o.at.as_ref().map(|a| a.to_string()).unwrap_or_default()
        ));
    }
    parts.join("; ")
}

/// The model as YAML, one `# file:line:col` comment per value.
fn annotate(
    n: &Node,
    segs: &mut Vec<Seg>,
    by: &HashMap<String, Explanation>,
    depth: usize,
    out: &mut String,
) {
    let pad = "  ".repeat(depth);
    let leaf = |n: &Node, segs: &[Seg]| -> (String, String) {
        let value = scalar(&n.to_json());
        let c = by
            .get(&provenance::render(segs))
            .map(comment)
            .unwrap_or_default();
        (value, c)
    };
    match &n.value {
        Value::Map(m) if !m.is_empty() => {
            for (k, v) in m.iter() {
                segs.push(Seg::Key(k.clone()));
                let key = if k
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
                {
                    k.clone()
                } else {
                    scalar(&serde_json::Value::String(k.clone()))
                };
                if is_container(v) {
                    let _ = writeln!(out, "{pad}{key}:");
                    annotate(v, segs, by, depth + 1, out);
                } else {
                    let (value, c) = leaf(v, segs);
                    let _ = writeln!(out, "{pad}{key}: {value}  # {c}");
                }
                segs.pop();
            }
        }
        Value::Seq(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                segs.push(Seg::Index(i));
                if is_container(v) {
                    let _ = writeln!(out, "{pad}- # [{i}]");
                    annotate(v, segs, by, depth + 1, out);
                } else {
                    let (value, c) = leaf(v, segs);
                    let _ = writeln!(out, "{pad}- {value}  # {c}");
                }
                segs.pop();
            }
        }
        _ => {
            let (value, c) = leaf(n, segs);
            let _ = writeln!(out, "{pad}{value}  # {c}");
        }
    }
}

fn is_container(n: &Node) -> bool {
    match &n.value {
        Value::Map(m) => !m.is_empty(),
        Value::Seq(s) => !s.is_empty(),
        _ => false,
    }
}
