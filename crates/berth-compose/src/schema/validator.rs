//! Walking a document against the schema: every violation with its position, key path, plain
//! words and, for a misspelt key, the nearest known one.

use std::fmt::Write as _;

use super::nodes::is_name_char;
use super::nodes::{Obj, Pat, Sch, Ty};
use super::spec::{definition, BUILD, ROOT, SERVICE};
use super::SchemaError;
use crate::suggest::closest;
use crate::yaml::{Map, Node, Pos, Tag, Value};

type Seg<'a> = crate::keypath::Seg<&'a str>;

struct Validator<'a> {
    errors: Vec<SchemaError>,
    path: Vec<Seg<'a>>,
}

/// The kinds a node has, as JSON-Schema types (an integral float is also an integer).
fn kind_of(node: &Node) -> Ty {
    match &node.value {
        Value::Null => Ty::NULL,
        Value::Bool(_) => Ty::BOOL,
        Value::Int(_) => Ty::INT.or(Ty::NUM),
        Value::Float(f) if f.is_finite() && f.fract() == 0.0 => Ty::INT.or(Ty::NUM),
        Value::Float(_) => Ty::NUM,
        Value::Str(_) => Ty::STR,
        Value::Seq(_) => Ty::ARR,
        Value::Map(_) => Ty::OBJ,
    }
}

/// The types a schema accepts at its top (for choosing a `oneOf` branch).
fn accepted(s: &Sch) -> Ty {
    match s {
        Sch::Any => Ty(0x7f),
        Sch::Type(t) | Sch::Enum(t, _) | Sch::Range(t, _, _) => *t,
        Sch::Array(..) => Ty::ARR,
        Sch::Object(o) => o.ty,
        Sch::OneOf(b) => b.iter().fold(Ty(0), |a, s| a.or(accepted(s))),
        Sch::Ref(n) => accepted(definition(n)),
        Sch::Named(_, s) => accepted(s),
    }
}

fn type_words(t: Ty) -> Vec<String> {
    let mut out = Vec::new();
    for (bit, word) in [
        (Ty::NULL, "null"),
        (Ty::BOOL, "a boolean"),
        (Ty::INT, "an integer"),
        (Ty::NUM, "a number"),
        (Ty::STR, "a string"),
        (Ty::ARR, "a list"),
        (Ty::OBJ, "a mapping"),
    ] {
        if bit == Ty::INT && t.contains(Ty::NUM) {
            continue;
        }
        if t.contains(bit) {
            out.push(word.to_string());
        }
    }
    out
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

/// What a schema accepts, in words ("a string or a list of strings").
fn describe(s: &Sch) -> String {
    join_or(&describe_parts(s))
}

fn describe_parts(s: &Sch) -> Vec<String> {
    match s {
        Sch::Any => vec!["anything".into()],
        Sch::Type(t) => type_words(*t),
        Sch::Enum(_, v) => vec![format!("one of {}", v.join(", "))],
        Sch::Range(t, min, max) => {
            let base = join_or(&type_words(*t));
            vec![match (min, max) {
                (Some(a), Some(b)) => format!("{base} from {a} to {b}"),
                (Some(a), None) => format!("{base} of at least {a}"),
                (None, Some(b)) => format!("{base} of at most {b}"),
                (None, None) => base,
            }]
        }
        Sch::Array(items, _) => vec![match resolve(items) {
            Sch::Type(t) if *t == Ty::STR => "a list of strings".to_string(),
            Sch::Object(_) => "a list of mappings".to_string(),
            _ => "a list".to_string(),
        }],
        Sch::Object(o) => {
            let mut w = type_words(Ty(o.ty.0 & !Ty::OBJ.0));
            w.push("a mapping".into());
            w
        }
        Sch::OneOf(b) => {
            let mut out: Vec<String> = Vec::new();
            for p in b.iter().flat_map(describe_parts) {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
            out
        }
        Sch::Ref(n) => describe_parts(definition(n)),
        Sch::Named(n, _) => vec![n.to_string()],
    }
}

fn resolve(s: &Sch) -> &Sch {
    match s {
        Sch::Ref(n) => resolve(definition(n)),
        Sch::Named(_, s) => resolve(s),
        s => s,
    }
}

/// Keys whose string value is a duration (`10s`, `1m30s`).
const DURATION_KEYS: &[&str] = &[
    "interval",
    "timeout",
    "start_period",
    "start_interval",
    "stop_grace_period",
    "delay",
    "monitor",
    "window",
];

impl Sch {
    /// The top-level type set, as far as it is a plain type.
    fn resolve_type(&self) -> &Ty {
        match resolve(self) {
            Sch::Type(t) => t,
            _ => &Ty(0),
        }
    }
}

/// The value in words, for "found …".
fn found(node: &Node) -> String {
    match &node.value {
        Value::Null => "an empty value".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Int(i) => format!("the number {i}"),
        Value::Float(_) => format!("the number {}", node.scalar_string().unwrap_or_default()),
        Value::Str(s) if s.chars().count() <= 40 => format!("the string {s:?}"),
        Value::Str(_) => "a string".into(),
        Value::Seq(_) => "a list".into(),
        Value::Map(_) => "a mapping".into(),
    }
}

fn path_string(path: &[Seg]) -> String {
    crate::keypath::render_quoted(path)
}

/// Paths whose list entries compose-go de-duplicates before validating, so `uniqueItems` never
/// fails there (compose-go `override/uncity.go`).
fn deduplicated(path: &[Seg]) -> bool {
    let keys: Vec<&str> = path
        .iter()
        .map(|s| match s {
            Seg::Key(k) => *k,
            Seg::Index(_) => "[]",
        })
        .collect();
    match keys.as_slice() {
        ["networks", _, "labels"] | ["networks", _, "ipam", "options"] => true,
        ["services", _, rest @ ..] => matches!(
            rest,
            ["annotations"]
                | ["build", "args"]
                | ["build", "additional_contexts"]
                | ["build", "platforms"]
                | ["build", "tags"]
                | ["build", "labels"]
                | ["cap_add"]
                | ["cap_drop"]
                | ["devices"]
                | ["configs"]
                | ["deploy", "labels"]
                | ["dns"]
                | ["dns_opt"]
                | ["dns_search"]
                | ["environment"]
                | ["env_file"]
                | ["expose"]
                | ["labels"]
                | ["links"]
                | ["networks", _, "aliases"]
                | ["networks", _, "link_local_ips"]
                | ["ports"]
                | ["profiles"]
                | ["secrets"]
                | ["sysctls"]
                | ["tmpfs"]
                | ["volumes"]
        ),
        _ => false,
    }
}

/// Service attributes that compose-go casts from a string to a number before validating, and
/// whose number form has a range. `true` = integer cast, `false` = float cast.
fn cast_before_validation(path: &[Seg]) -> Option<bool> {
    match path {
        [Seg::Key("services"), Seg::Key(_), Seg::Key(k)] => match *k {
            "cpu_count" | "oom_score_adj" => Some(true),
            "cpu_percent" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// The noun for a map's keys when they must be names (`services` → "service").
fn name_noun(parent: Option<&str>) -> &'static str {
    match parent {
        Some("services") | Some("depends_on") => "service",
        Some("volumes") => "volume",
        Some("networks") => "network",
        Some("secrets") => "secret",
        Some("configs") => "config",
        _ => "name",
    }
}

impl<'a> Validator<'a> {
    fn error(&mut self, pos: &Pos, message: String) {
        self.errors.push(SchemaError {
            pos: pos.clone(),
            path: path_string(&self.path),
            message,
        });
    }

    fn last_key(&self) -> Option<&'a str> {
        self.path.iter().rev().find_map(|s| match s {
            Seg::Key(k) => Some(*k),
            Seg::Index(_) => None,
        })
    }

    /// `named` carries the description of the innermost `Named` wrapper, for type errors.
    fn check(&mut self, node: &'a Node, s: &Sch, named: Option<&'static str>) {
        if node.tag == Some(Tag::Reset) {
            return;
        }
        match s {
            Sch::Any => {}
            Sch::Named(n, inner) => self.check(node, inner, Some(n)),
            Sch::Ref(n) => self.check(node, definition(n), named),
            Sch::Type(t) => {
                if !kind_of(node).intersects(*t) {
                    self.type_error(node, s, named);
                }
            }
            Sch::Enum(t, values) => {
                if !kind_of(node).intersects(*t) {
                    self.type_error(node, s, named);
                } else if let Value::Str(v) = &node.value {
                    if !values.contains(&v.as_str()) {
                        let noun = self.last_key().unwrap_or("value");
                        let msg = format!(
                            "{v:?} is not a valid {noun} (expected one of {})",
                            values.join(", ")
                        );
                        self.error(&node.pos, msg);
                    }
                }
            }
            Sch::Range(t, min, max) => {
                if !kind_of(node).intersects(*t) {
                    self.type_error(node, s, named);
                    return;
                }
                let n = match &node.value {
                    Value::Int(i) => *i as f64,
                    Value::Float(f) => *f,
                    _ => return,
                };
                let low = min.is_some_and(|m| n < m as f64);
                let high = max.is_some_and(|m| n > m as f64);
                if low || high {
                    let noun = self.last_key().unwrap_or("value");
                    let value = node.scalar_string().unwrap_or_default();
                    let msg = format!("{value} is out of range: {noun} must be {}", describe(s));
                    self.error(&node.pos, msg);
                }
            }
            Sch::Array(items, unique) => {
                let Value::Seq(seq) = &node.value else {
                    self.type_error(node, s, named);
                    return;
                };
                for (i, item) in seq.iter().enumerate() {
                    self.path.push(Seg::Index(i));
                    self.check(item, items, None);
                    self.path.pop();
                }
                if *unique && !deduplicated(&self.path) {
                    self.check_unique(seq);
                }
            }
            Sch::Object(o) => match &node.value {
                Value::Map(m) => self.check_object(node, m, o),
                _ if kind_of(node).intersects(o.ty) => {}
                _ => self.type_error(node, s, named),
            },
            Sch::OneOf(branches) => {
                let kind = kind_of(node);
                let fitting: Vec<&Sch> = branches
                    .iter()
                    .filter(|b| accepted(b).intersects(kind))
                    .collect();
                match fitting.as_slice() {
                    [] => self.type_error(node, s, named),
                    [one] => self.check(node, one, None),
                    several => {
                        // Types overlap (not the case in the Compose schema): first branch that
                        // fits without errors wins, else report the first branch's errors.
                        let mut first: Option<Vec<SchemaError>> = None;
                        for b in several {
                            let saved = std::mem::take(&mut self.errors);
                            self.check(node, b, None);
                            let errs = std::mem::replace(&mut self.errors, saved);
                            if errs.is_empty() {
                                return;
                            }
                            first.get_or_insert(errs);
                        }
                        self.errors.extend(first.unwrap_or_default());
                    }
                }
            }
        }
    }

    fn type_error(&mut self, node: &Node, s: &Sch, named: Option<&'static str>) {
        let expected = named.map(str::to_string).unwrap_or_else(|| describe(s));
        let mut msg = format!("expected {expected}, found {}", found(node));
        let wants_list = accepted(s).intersects(Ty::ARR);
        let key = self.last_key();
        if self.path.len() == 1 && key == Some("version") {
            msg.push_str(
                " (quote it, e.g. \"3.8\"; the version key is ignored anyway and can be removed)",
            );
        } else if self.path.len() == 2
            && self.path[0..1]
                .iter()
                .any(|s| matches!(s, Seg::Key("services")))
            && node.is_null()
        {
            msg.push_str(" (a service needs at least an image or a build)");
        } else if *s.resolve_type() == Ty::STR
            && matches!(node.value, Value::Int(_) | Value::Float(_))
            && key.is_some_and(|k| DURATION_KEYS.contains(&k))
        {
            let _ = write!(
                msg,
                " (write a duration with a unit, e.g. \"{}s\")",
                node.scalar_string().unwrap_or_default()
            );
        } else if wants_list && !kind_of(node).intersects(Ty::ARR.or(Ty::OBJ)) && !node.is_null() {
            if let Some(v) = node.scalar_string() {
                if v.chars().count() <= 40 {
                    let _ = write!(msg, " (write a list, e.g. [{v:?}])");
                }
            }
        }
        self.error(&node.pos, msg);
    }

    fn check_unique(&mut self, seq: &'a [Node]) {
        let mut seen: Vec<(serde_json::Value, usize)> = Vec::new();
        for (i, item) in seq.iter().enumerate() {
            if item.tag == Some(Tag::Reset) {
                continue;
            }
            let j = item.to_json();
            if let Some((_, first)) = seen.iter().find(|(v, _)| *v == j) {
                let what = match &item.value {
                    Value::Str(s) => format!("{s:?}"),
                    Value::Map(_) | Value::Seq(_) => "this entry".to_string(),
                    _ => item.scalar_string().unwrap_or_default(),
                };
                let first = *first;
                self.path.push(Seg::Index(i));
                let msg = format!(
                    "{what} is listed twice (same as [{first}]); entries of {} must be unique",
                    self.last_key().unwrap_or("this list")
                );
                self.error(&item.pos, msg);
                self.path.pop();
            } else {
                seen.push((j, i));
            }
        }
    }

    fn check_object(&mut self, node: &'a Node, m: &'a Map, o: &Obj) {
        for req in o.required {
            let present = m.get(req).is_some_and(|v| v.tag != Some(Tag::Reset));
            if !present {
                let mut msg = format!("missing required key {req:?}");
                match o.props.iter().find(|(k, _)| k == req) {
                    Some((_, Sch::Enum(_, values))) => {
                        let _ = write!(msg, " (one of {})", values.join(", "));
                    }
                    Some(_) if *req == "type" => msg.push_str(" (e.g. volume, bind or tmpfs)"),
                    _ => {}
                }
                self.error(&node.pos, msg);
            }
        }
        for (key, value) in m.iter() {
            if value.tag == Some(Tag::Reset) {
                continue;
            }
            self.path.push(Seg::Key(key.as_str()));
            if let Some((_, s)) = o.props.iter().find(|(k, _)| k == key) {
                let cast = match (cast_before_validation(&self.path), &value.value) {
                    (Some(true), Value::Str(t)) => t
                        .parse::<i64>()
                        .ok()
                        .map(|i| Node::new(Value::Int(i), value.pos.clone())),
                    (Some(false), Value::Str(t)) => t
                        .parse::<f64>()
                        .ok()
                        .map(|f| Node::new(Value::Float(f), value.pos.clone())),
                    _ => None,
                };
                match cast {
                    Some(c) => {
                        // The cast value borrows nothing from the tree; check it on its own.
                        let mut sub = Validator {
                            errors: Vec::new(),
                            path: self.path.clone(),
                        };
                        sub.check(&c, s, None);
                        self.errors.extend(sub.errors);
                    }
                    None => self.check(value, s, None),
                }
            } else {
                let mut matched = false;
                for (p, s) in o.patterns {
                    if p.matches(key) {
                        matched = true;
                        self.check(value, s, None);
                    }
                }
                if !matched && !o.additional {
                    let pos = m.key_pos(key).unwrap_or(&value.pos).clone();
                    let msg = self.unknown_key_message(key, o);
                    self.error(&pos, msg);
                }
            }
            self.path.pop();
        }
    }

    /// The message for a key that the object does not allow (path already includes the key).
    fn unknown_key_message(&self, key: &str, o: &Obj) -> String {
        let parent = if self.path.len() >= 2 {
            match self.path[self.path.len() - 2] {
                Seg::Key(k) => Some(k),
                Seg::Index(_) => None,
            }
        } else {
            None
        };
        let name_pattern = o.patterns.iter().any(|(p, _)| *p == Pat::Name);
        if o.props.is_empty() && name_pattern {
            let noun = name_noun(parent);
            return match key.chars().find(|c| !is_name_char(*c)) {
                None => format!("{key:?} is not a valid {noun} name: a name cannot be empty"),
                Some(c) => {
                    let what = match c {
                        ' ' => "a space".to_string(),
                        '\t' => "a tab".to_string(),
                        c => format!("\"{c}\""),
                    };
                    format!(
                        "{key:?} is not a valid {noun} name: only letters, digits, \".\", \"_\" and \"-\" are allowed, not {what}"
                    )
                }
            };
        }
        if o.props.is_empty()
            && o.patterns
                .iter()
                .any(|(p, _)| matches!(p, Pat::NonEmpty | Pat::NonEmptyLine))
        {
            return if key.is_empty() {
                "empty key: keys here must not be empty".to_string()
            } else {
                format!("key {key:?} is not allowed here: keys must fit on one line")
            };
        }
        let mut msg = format!("unknown key {key:?}");
        let ext_allowed = o.patterns.iter().any(|(p, _)| *p == Pat::Ext);
        let at_top = self.path.len() == 1;
        let in_service = self.path.len() == 3 && matches!(self.path[0], Seg::Key("services"));
        if let Some(s) = closest(key, o.props.iter().map(|(k, _)| *k)) {
            let _ = write!(msg, " (did you mean {s:?}?)");
        } else if at_top && SERVICE.props.iter().any(|(k, _)| *k == key) {
            msg.push_str(
                " (this is a service attribute: it belongs under services.<name>; check the indentation)",
            );
        } else if in_service && BUILD.props.iter().any(|(k, _)| *k == key) {
            let _ = write!(
                msg,
                " (did you mean \"build.{key}\"? it belongs under build)"
            );
        } else if key.starts_with("x-") && !ext_allowed {
            msg.push_str(" (extension keys \"x-…\" are not allowed here)");
        } else if at_top {
            msg.push_str(
                " (top-level keys are version, name, include, services, networks, volumes, secrets, configs, or extensions starting with \"x-\")",
            );
        }
        msg
    }
}

/// Validates one interpolated compose document (the whole file's tree). Returns all errors found
/// (in document order), not just the first.
pub fn validate(root: &Node) -> Vec<SchemaError> {
    let mut v = Validator {
        errors: Vec::new(),
        path: Vec::new(),
    };
    v.check(root, &ROOT, None);
    let mut errors = v.errors;
    errors.sort_by_key(|e| (e.pos.line, e.pos.col));
    errors
}

#[cfg(test)]
mod tests {
    use super::super::spec::DEFINITIONS;
    use super::*;
    use std::sync::Arc;

    fn errs(text: &str) -> Vec<String> {
        let file: Arc<str> = Arc::from("compose.yaml");
        let docs = crate::yaml::parse_documents(text, &file).expect("yaml");
        validate(&docs[0]).iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn every_ref_resolves() {
        fn walk(s: &Sch) {
            match s {
                Sch::Ref(n) => {
                    definition(n);
                }
                Sch::Array(i, _) | Sch::Named(_, i) => walk(i),
                Sch::Object(o) => {
                    o.props.iter().for_each(|(_, s)| walk(s));
                    o.patterns.iter().for_each(|(_, s)| walk(s));
                }
                Sch::OneOf(b) => b.iter().for_each(walk),
                _ => {}
            }
        }
        walk(&ROOT);
        DEFINITIONS.iter().for_each(|(_, s)| walk(s));
    }

    #[test]
    fn one_of_branches_are_type_disjoint() {
        fn walk(s: &Sch) {
            match s {
                Sch::OneOf(b) => {
                    for (i, x) in b.iter().enumerate() {
                        for y in &b[i + 1..] {
                            let (a, c) = (accepted(x), accepted(y));
                            // integer/number overlap counts as overlap
                            let widen = |t: Ty| {
                                if t.intersects(Ty::NUM) {
                                    t.or(Ty::INT)
                                } else {
                                    t
                                }
                            };
                            assert!(!widen(a).intersects(widen(c)), "{s:?}");
                        }
                    }
                    b.iter().for_each(walk);
                }
                Sch::Array(i, _) | Sch::Named(_, i) => walk(i),
                Sch::Object(o) => {
                    o.props.iter().for_each(|(_, s)| walk(s));
                    o.patterns.iter().for_each(|(_, s)| walk(s));
                }
                _ => {}
            }
        }
        walk(&ROOT);
        DEFINITIONS.iter().for_each(|(_, s)| walk(s));
    }

    #[test]
    fn accepts_minimal() {
        assert!(errs("services:\n  web:\n    image: nginx\n").is_empty());
    }
}
