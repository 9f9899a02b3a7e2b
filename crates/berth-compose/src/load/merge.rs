//! Merging a later compose file (or an extending service) into an earlier one, with Compose's
//! per-attribute rules: mappings merge, scalars replace, sequences append and are then made
//! unique by a per-attribute key, some attributes replace wholesale, and the `!reset` /
//! `!override` tags remove or replace what came before.

use crate::provenance::{Replaced, SeqEntry, Trace, Via};
use crate::syntax;
use crate::yaml::{Map, Node, Tag, Value};

/// A path pattern segment: `*` matches any key.
fn matches<S: AsRef<str>>(path: &[S], pattern: &[&str]) -> bool {
    path.len() == pattern.len()
        && path
            .iter()
            .zip(pattern)
            .all(|(p, q)| *q == "*" || p.as_ref() == *q)
}

#[derive(Clone, Copy)]
enum Rule {
    /// The later value replaces the earlier one (`command`, `entrypoint`, `healthcheck.test`).
    Replace,
    /// Both sides become `KEY=VALUE` sequences and are appended (environment, labels, ...).
    ToSequence,
    /// `build: ./dir` becomes `{context: ./dir}` before merging.
    Build,
    /// Short list form becomes a mapping of conditions before merging.
    DependsOn,
    /// Short list form becomes a mapping before merging.
    Networks,
    /// Options merge only when both sides use the same driver (or one names none).
    Logging,
    /// A later ulimit replaces the earlier one unless both are mappings.
    Ulimit,
}

fn rule_for(path: &[String]) -> Option<Rule> {
    const TO_SEQ: &[&[&str]] = &[
        &["networks", "*", "labels"],
        &["volumes", "*", "labels"],
        &["services", "*", "annotations"],
        &["services", "*", "build", "args"],
        &["services", "*", "build", "additional_contexts"],
        &["services", "*", "build", "extra_hosts"],
        &["services", "*", "build", "labels"],
        &["services", "*", "deploy", "labels"],
        &["services", "*", "dns"],
        &["services", "*", "dns_opt"],
        &["services", "*", "dns_search"],
        &["services", "*", "env_file"],
        &["services", "*", "environment"],
        &["services", "*", "extra_hosts"],
        &["services", "*", "labels"],
        &["services", "*", "sysctls"],
        &["services", "*", "tmpfs"],
    ];
    if TO_SEQ.iter().any(|p| matches(path, p)) {
        return Some(Rule::ToSequence);
    }
    type Pattern = &'static [&'static str];
    let rules: &[(Pattern, Rule)] = &[
        (&["services", "*", "command"], Rule::Replace),
        (&["services", "*", "entrypoint"], Rule::Replace),
        (&["services", "*", "healthcheck", "test"], Rule::Replace),
        (&["services", "*", "build"], Rule::Build),
        (&["services", "*", "depends_on"], Rule::DependsOn),
        (&["services", "*", "networks"], Rule::Networks),
        (&["services", "*", "logging"], Rule::Logging),
        (&["services", "*", "ulimits", "*"], Rule::Ulimit),
    ];
    rules
        .iter()
        .find(|(p, _)| matches(path, p))
        .map(|(_, r)| *r)
}

/// Merges `over` into `base` (both whole compose documents, or both services when `path` is
/// `["services", name]`). Tags on `over` are honoured; the result carries no tags.
pub fn merge(base: Node, over: Node, path: &mut Vec<String>) -> Node {
    merge_traced(base, over, path, None, Via::File)
}

/// [`merge`], recording what `over` replaced into `trace` (provenance) when given.
pub fn merge_traced(
    base: Node,
    over: Node,
    path: &mut Vec<String>,
    trace: Option<&mut Trace>,
    via: Via,
) -> Node {
    let mut rec = trace.map(|trace| Rec { trace, via });
    let mut merged = merge_node(base, over, path, &mut rec);
    strip_tags(&mut merged);
    merged
}

/// Where a traced merge records (None: not traced, nothing is done).
struct Rec<'a> {
    trace: &'a mut Trace,
    via: Via,
}

fn record_replaced(rec: &mut Option<Rec>, path: &[String], old: &Node, new: &Node) {
    if let Some(r) = rec {
        if old.is_null() && !old.pos.is_known() {
            return;
        }
        r.trace.replaced.push(Replaced {
            path: path.join("."),
            old: old.clone(),
            new_pos: new.pos.clone(),
            via: r.via.clone(),
        });
    }
}

fn merge_node(base: Node, over: Node, path: &mut Vec<String>, rec: &mut Option<Rec>) -> Node {
    if over.tag == Some(Tag::Override) {
        record_replaced(rec, path, &base, &over);
        return over;
    }
    if let Some(rule) = rule_for(path) {
        return apply_rule(rule, base, over, path, rec);
    }
    if over.is_null() {
        return base;
    }
    match (base.value, over.value) {
        (Value::Map(b), Value::Map(o)) => Node::map(merge_maps(b, o, path, rec), over.pos),
        (Value::Seq(mut b), Value::Seq(o)) => {
            b.extend(o);
            Node::seq(b, over.pos)
        }
        (bv, v) => {
            let new = Node {
                value: v,
                pos: over.pos,
                tag: over.tag,
            };
            if rec.is_some() {
                record_replaced(rec, path, &Node::new(bv, base.pos), &new);
            }
            new
        }
    }
}

fn merge_maps(mut base: Map, over: Map, path: &mut Vec<String>, rec: &mut Option<Rec>) -> Map {
    for (k, kpos, v) in over.into_entries_with_pos() {
        if v.tag == Some(Tag::Reset) {
            if let (Some(old), Some(_)) = (base.get(&k), rec.as_ref()) {
                let old = old.clone();
                path.push(k.clone());
                record_replaced(rec, path, &old, &v);
                path.pop();
            }
            base.remove(&k);
            continue;
        }
        if !base.contains_key(&k) {
            base.insert_with_pos(k, kpos, v);
            continue;
        }
        if k.starts_with("x-") {
            base.insert(k, v);
            continue;
        }
        if let Some(slot) = base.get_mut(&k) {
            let existing = std::mem::replace(slot, Node::null(v.pos.clone()));
            path.push(k.clone());
            *slot = merge_node(existing, v, path, rec);
            path.pop();
        }
    }
    base
}

fn apply_rule(
    rule: Rule,
    base: Node,
    over: Node,
    path: &mut Vec<String>,
    rec: &mut Option<Rec>,
) -> Node {
    match rule {
        Rule::Replace => {
            record_replaced(rec, path, &base, &over);
            over
        }
        Rule::ToSequence => {
            let pos = over.pos.clone();
            // `KEY: !reset null` in the override's map form removes KEY (without this it
            // became a bare `KEY`, whose value then came back from the shell).
            let (over, reset) = take_resets(over);
            let mut seq = to_sequence(base);
            seq.retain(|it| {
                it.scalar_string()
                    .is_none_or(|s| !reset.contains(&entry_key(&s).to_string()))
            });
            if let Some(r) = rec {
                for it in &seq {
                    if let Some(s) = it.scalar_string() {
                        let (k, v) = syntax::split_env_entry(&s);
                        r.trace.seq_entries.push(SeqEntry {
                            path: path.join("."),
                            key: k,
                            value: v,
                            pos: it.pos.clone(),
                            via: r.via.clone(),
                        });
                    }
                }
            }
            seq.extend(to_sequence(over));
            Node::seq(seq, pos)
        }
        Rule::Build => {
            let pos = over.pos.clone();
            let b = build_to_map(base);
            let o = build_to_map(over);
            Node::map(merge_maps(b, o, path, rec), pos)
        }
        Rule::DependsOn => {
            let pos = over.pos.clone();
            let b = list_to_map(base, true);
            let o = list_to_map(over, true);
            Node::map(merge_maps(b, o, path, rec), pos)
        }
        Rule::Networks => {
            let pos = over.pos.clone();
            let b = list_to_map(base, false);
            let o = list_to_map(over, false);
            Node::map(merge_maps(b, o, path, rec), pos)
        }
        Rule::Logging => {
            let pos = over.pos.clone();
            match (base.value, over.value) {
                (Value::Map(b), Value::Map(o)) => {
                    let bd = b.get("driver").and_then(|n| n.scalar_string());
                    let od = o.get("driver").and_then(|n| n.scalar_string());
                    if bd.is_none() || od.is_none() || bd == od {
                        Node::map(merge_maps(b, o, path, rec), pos)
                    } else {
                        Node::map(o, pos)
                    }
                }
                (_, v) => Node::new(v, pos),
            }
        }
        Rule::Ulimit => match (base.value, over.value) {
            (Value::Map(b), Value::Map(o)) => Node::map(merge_maps(b, o, path, rec), over.pos),
            (_, v) => Node::new(v, over.pos),
        },
    }
}

/// `{K: V}` becomes `["K=V"]` (sorted, as Compose does); `{K: null}` becomes `["K"]`.
/// The override without its `!reset` map entries, and their keys.
fn take_resets(mut n: Node) -> (Node, Vec<String>) {
    let mut reset = Vec::new();
    if let Some(m) = n.as_map_mut() {
        m.retain(|k, v| {
            let r = v.tag == Some(Tag::Reset);
            if r {
                reset.push(k.to_string());
            }
            !r
        });
    }
    (n, reset)
}

/// The key of a sequence-form entry: `KEY=VALUE`, `host:ip`, or a bare `KEY`.
fn entry_key(s: &str) -> &str {
    s.split_once('=')
        .or_else(|| s.split_once(':'))
        .map_or(s, |(k, _)| k)
}

fn to_sequence(n: Node) -> Vec<Node> {
    let pos = n.pos.clone();
    match n.value {
        Value::Map(m) => {
            let mut items: Vec<Node> = m
                .into_entries()
                .map(|(k, v)| match v.scalar_string() {
                    Some(s) => Node::str(format!("{k}={s}"), v.pos),
                    None if v.is_null() => Node::str(k, v.pos),
                    None => v,
                })
                .collect();
            items.sort_by(|a, b| a.as_str().unwrap_or("").cmp(b.as_str().unwrap_or("")));
            items
        }
        Value::Seq(s) => s,
        Value::Str(s) => vec![Node::str(s, pos)],
        Value::Null => vec![],
        other => vec![Node::new(other, pos)],
    }
}

fn build_to_map(n: Node) -> Map {
    match n.value {
        Value::Map(m) => m,
        Value::Str(s) => {
            let mut m = Map::new();
            m.insert("context", Node::str(s, n.pos));
            m
        }
        _ => Map::new(),
    }
}

/// A list of names becomes a mapping; for depends_on each gets the default condition.
fn list_to_map(n: Node, depends_on: bool) -> Map {
    match n.value {
        Value::Map(m) => m,
        Value::Seq(items) => {
            let mut m = Map::new();
            for it in items {
                if let Some(name) = it.scalar_string() {
                    let v = if depends_on {
                        default_dependency(&it)
                    } else {
                        Node::null(it.pos.clone())
                    };
                    m.insert_with_pos(name, it.pos.clone(), v);
                }
            }
            m
        }
        _ => Map::new(),
    }
}

/// `{condition: service_started, required: true}` at `at`'s position.
pub fn default_dependency(at: &Node) -> Node {
    let mut d = Map::new();
    d.insert("condition", Node::str("service_started", at.pos.clone()));
    d.insert("required", Node::new(Value::Bool(true), at.pos.clone()));
    Node::map(d, at.pos.clone())
}

/// Removes `!reset` nodes that had nothing to reset and forgets `!override` tags.
pub fn strip_tags(n: &mut Node) {
    n.tag = None;
    match &mut n.value {
        Value::Map(m) => {
            m.retain(|_, v| v.tag != Some(Tag::Reset));
            for (_, v) in m.iter_mut() {
                strip_tags(v);
            }
        }
        Value::Seq(s) => {
            s.retain(|v| v.tag != Some(Tag::Reset));
            for v in s.iter_mut() {
                strip_tags(v);
            }
        }
        _ => {}
    }
}

/// How entries of a sequence are identified for de-duplication (last one wins, in place of the first).
fn unicity_key(path: &[&str], item: &Node) -> Option<Option<String>> {
    let kv = || {
        item.scalar_string()
            .map(|s| s.split_once('=').map(|(k, _)| k.to_string()).unwrap_or(s))
    };
    const KEY_VALUE: &[&[&str]] = &[
        &["networks", "*", "labels"],
        &["networks", "*", "ipam", "options"],
        &["services", "*", "annotations"],
        &["services", "*", "build", "args"],
        &["services", "*", "build", "additional_contexts"],
        &["services", "*", "build", "extra_hosts"],
        &["services", "*", "build", "platform"],
        &["services", "*", "build", "tags"],
        &["services", "*", "build", "labels"],
        &["services", "*", "cap_add"],
        &["services", "*", "cap_drop"],
        &["services", "*", "deploy", "labels"],
        &["services", "*", "dns"],
        &["services", "*", "dns_opt"],
        &["services", "*", "dns_search"],
        &["services", "*", "environment"],
        &["services", "*", "extra_hosts"],
        &["services", "*", "labels"],
        &["services", "*", "links"],
        &["services", "*", "networks", "*", "aliases"],
        &["services", "*", "networks", "*", "link_local_ips"],
        &["services", "*", "profiles"],
        &["services", "*", "sysctls"],
        &["services", "*", "tmpfs"],
    ];
    if KEY_VALUE.iter().any(|p| matches(path, p)) {
        return Some(kv());
    }
    if matches(path, &["services", "*", "env_file"]) {
        return Some(match &item.value {
            Value::Map(m) => m.get("path").and_then(|p| p.scalar_string()),
            _ => item.scalar_string(),
        });
    }
    if matches(path, &["services", "*", "expose"]) {
        return Some(item.scalar_string());
    }
    if matches(path, &["services", "*", "secrets"]) || matches(path, &["services", "*", "configs"])
    {
        let default = if path[2] == "secrets" {
            "/run/secrets"
        } else {
            ""
        };
        return Some(match &item.value {
            Value::Map(m) => match m.get("target").and_then(|t| t.scalar_string()) {
                Some(t) => Some(t),
                None => m
                    .get("source")
                    .and_then(|s| s.scalar_string())
                    .map(|s| format!("{default}/{s}")),
            },
            _ => item.scalar_string().map(|s| format!("{default}/{s}")),
        });
    }
    if matches(path, &["services", "*", "volumes"]) {
        return Some(match &item.value {
            Value::Map(m) => m.get("target").and_then(|t| t.scalar_string()),
            Value::Str(s) => syntax::parse_volume(s)
                .ok()
                .and_then(|v| v.get("target").and_then(|t| t.as_str()).map(str::to_string)),
            _ => None,
        });
    }
    if matches(path, &["services", "*", "ports"]) {
        return Some(match &item.value {
            Value::Map(m) => {
                let s = |k: &str, d: &str| {
                    m.get(k)
                        .and_then(|n| n.scalar_string())
                        .unwrap_or_else(|| d.to_string())
                };
                Some(format!(
                    "{}:{}:{}/{}",
                    s("host_ip", "0.0.0.0"),
                    s("published", ""),
                    s("target", ""),
                    s("protocol", "tcp")
                ))
            }
            _ => item.scalar_string(),
        });
    }
    None
}

/// De-duplicates sequences by their attribute's key: a later entry replaces an earlier one in place.
pub fn enforce_unicity(n: &mut Node, path: &[String]) {
    let mut segs: Vec<&str> = path.iter().map(String::as_str).collect();
    unicity_walk(n, &mut segs);
}

fn unicity_walk<'a>(n: &'a mut Node, path: &mut Vec<&'a str>) {
    // Every de-duplicated attribute is at most five keys deep, under services or networks.
    if path.len() > 5 || (path.len() == 1 && path[0] != "services" && path[0] != "networks") {
        return;
    }
    if !matches!(n.value, Value::Seq(_)) {
        if let Value::Map(m) = &mut n.value {
            for (k, v) in m.iter_mut() {
                path.push(k.as_str());
                unicity_walk(v, path);
                path.pop();
            }
        }
        return;
    }
    dedupe(n, path);
}

fn dedupe(n: &mut Node, path: &[&str]) {
    let Value::Seq(items) = &mut n.value else {
        return;
    };
    if items.is_empty() || unicity_key(path, &items[0]).is_none() {
        return;
    }
    let mut out: Vec<Node> = Vec::with_capacity(items.len());
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    for it in items.drain(..) {
        match unicity_key(path, &it).flatten() {
            Some(key) => match seen.get(&key) {
                Some(&j) => out[j] = it,
                None => {
                    seen.insert(key, out.len());
                    out.push(it);
                }
            },
            None => out.push(it),
        }
    }
    *items = out;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_documents;
    use std::sync::Arc;

    fn doc(s: &str) -> Node {
        let f: Arc<str> = Arc::from("t.yaml");
        parse_documents(s, &f).unwrap().remove(0)
    }

    fn merged(a: &str, b: &str) -> serde_json::Value {
        let mut m = merge(doc(a), doc(b), &mut vec![]);
        enforce_unicity(&mut m, &[]);
        m.to_json()
    }

    #[test]
    fn merge_rules_table() {
        use serde_json::json;
        let cases: Vec<(&str, &str, &str, serde_json::Value)> = vec![
            (
                "scalars replace, mappings merge",
                "services: {a: {image: x, restart: always}}",
                "services: {a: {image: y}}",
                json!({"services": {"a": {"image": "y", "restart": "always"}}}),
            ),
            (
                "command replaces",
                "services: {a: {command: [a, b]}}",
                "services: {a: {command: [c]}}",
                json!({"services": {"a": {"command": ["c"]}}}),
            ),
            (
                "environment map + list merged by key",
                "services: {a: {environment: {A: '1', B: '2'}}}",
                "services: {a: {environment: [B=3, C=4]}}",
                json!({"services": {"a": {"environment": ["A=1", "B=3", "C=4"]}}}),
            ),
            (
                "ports unique by mapping, appended otherwise",
                "services: {a: {ports: ['8080:80']}}",
                "services: {a: {ports: ['8080:80', '8443:443']}}",
                json!({"services": {"a": {"ports": ["8080:80", "8443:443"]}}}),
            ),
            (
                "volumes unique by target",
                "services: {a: {volumes: ['data:/data', './x:/x']}}",
                "services: {a: {volumes: ['other:/data']}}",
                json!({"services": {"a": {"volumes": ["other:/data", "./x:/x"]}}}),
            ),
            (
                "build string + map",
                "services: {a: {build: ./ctx}}",
                "services: {a: {build: {dockerfile: X}}}",
                json!({"services": {"a": {"build": {"context": "./ctx", "dockerfile": "X"}}}}),
            ),
            (
                "depends_on list + map",
                "services: {a: {depends_on: [db]}}",
                "services: {a: {depends_on: {db: {condition: service_healthy}}}}",
                json!({"services": {"a": {"depends_on": {"db": {"condition": "service_healthy", "required": true}}}}}),
            ),
            (
                "logging driver change replaces",
                "services: {a: {logging: {driver: json-file, options: {max-size: 1m}}}}",
                "services: {a: {logging: {driver: syslog, options: {tag: x}}}}",
                json!({"services": {"a": {"logging": {"driver": "syslog", "options": {"tag": "x"}}}}}),
            ),
            (
                "x- keys replaced wholesale",
                "x-a: {p: 1, q: 2}",
                "x-a: {p: 3}",
                json!({"x-a": {"p": 3}}),
            ),
            (
                "!reset removes, !override replaces",
                "services: {a: {ports: ['80:80'], environment: {A: '1'}}}",
                "services: {a: {ports: !reset [], environment: !override {B: '2'}}}",
                json!({"services": {"a": {"environment": {"B": "2"}}}}),
            ),
        ];
        for (name, a, b, want) in cases {
            assert_eq!(merged(a, b), want, "{name}");
        }
    }
}
