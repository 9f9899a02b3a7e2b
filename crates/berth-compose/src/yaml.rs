//! Stage 1 of the loader: YAML text to a [`Node`] tree.
//!
//! We build our own tree from `saphyr-parser` events rather than deserialising with serde, because
//! Compose needs things no serde YAML layer gives at once: go-yaml v3's scalar typing (`yes` is a
//! string, `0755` is 493), merge keys (`<<`, explicit keys win, earlier merged maps win), the
//! custom tags `!reset` and `!override`, duplicate keys rejected, and a file:line:column on every
//! node so that later stages can point into the user's file.

use std::fmt;
use std::sync::Arc;

use indexmap::IndexMap;
use saphyr_parser::{Event, Parser, ScalarStyle, Span, SpannedEventReceiver};

/// A position in a source file: 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Pos {
    /// The file as the user named it (or `-` for stdin); empty when synthesised.
    pub file: Arc<str>,
    pub line: u32,
    pub col: u32,
}

impl Pos {
    /// A position for values berth makes up itself (defaults, normalised forms).
    pub fn synthetic() -> Pos {
        Pos::default()
    }

    pub fn is_known(&self) -> bool {
        self.line > 0
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_known() {
            write!(f, "{}:{}:{}", self.file, self.line, self.col)
        } else {
            write!(f, "{}", self.file)
        }
    }
}

/// The Compose override tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    /// `!reset`: remove the value inherited from earlier files or from `extends`.
    Reset,
    /// `!override`: replace the inherited value instead of merging into it.
    Override,
}

/// One YAML value with where it was written.
#[derive(Clone, Debug)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
    pub tag: Option<Tag>,
}

/// The typed value of a node, as go-yaml v3 resolves plain scalars.
#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Map),
}

/// A mapping that keeps its keys' order and positions.
#[derive(Clone, Debug, Default)]
pub struct Map {
    entries: IndexMap<String, Entry, foldhash::fast::RandomState>,
}

#[derive(Clone, Debug)]
struct Entry {
    key_pos: Pos,
    value: Node,
}

impl Map {
    pub fn new() -> Map {
        Map::default()
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries.get(key).map(|e| &e.value)
    }
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.entries.get_mut(key).map(|e| &mut e.value)
    }
    pub fn contains_key(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }
    /// Where the key itself was written (for "unknown key" errors).
    pub fn key_pos(&self, key: &str) -> Option<&Pos> {
        self.entries.get(key).map(|e| &e.key_pos)
    }
    /// Inserts or replaces; a replaced entry keeps its place in the order.
    pub fn insert(&mut self, key: impl Into<String>, value: Node) {
        let key = key.into();
        if let Some(e) = self.entries.get_mut(&key) {
            e.value = value;
        } else {
            let key_pos = value.pos.clone();
            self.entries.insert(key, Entry { key_pos, value });
        }
    }
    pub fn insert_with_pos(&mut self, key: impl Into<String>, key_pos: Pos, value: Node) {
        self.entries.insert(key.into(), Entry { key_pos, value });
    }
    pub fn remove(&mut self, key: &str) -> Option<Node> {
        self.entries.shift_remove(key).map(|e| e.value)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Node)> {
        self.entries.iter().map(|(k, e)| (k, &e.value))
    }
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&String, &mut Node)> {
        self.entries.iter_mut().map(|(k, e)| (k, &mut e.value))
    }
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.entries.keys()
    }
    pub fn retain(&mut self, mut f: impl FnMut(&str, &Node) -> bool) {
        self.entries.retain(|k, e| f(k, &e.value));
    }
    pub fn sort_keys(&mut self) {
        self.entries.sort_keys();
    }
    pub fn into_entries(self) -> impl Iterator<Item = (String, Node)> {
        self.entries.into_iter().map(|(k, e)| (k, e.value))
    }
    /// Like `into_entries`, with where each key was written.
    pub fn into_entries_with_pos(self) -> impl Iterator<Item = (String, Pos, Node)> {
        self.entries
            .into_iter()
            .map(|(k, e)| (k, e.key_pos, e.value))
    }
    pub fn entry_or_insert(&mut self, key: &str, default: Node) -> &mut Node {
        if !self.entries.contains_key(key) {
            self.insert(key, default);
        }
        self.get_mut(key).expect("just inserted")
    }
}

impl Node {
    pub fn new(value: Value, pos: Pos) -> Node {
        Node {
            value,
            pos,
            tag: None,
        }
    }
    pub fn null(pos: Pos) -> Node {
        Node::new(Value::Null, pos)
    }
    pub fn str(s: impl Into<String>, pos: Pos) -> Node {
        Node::new(Value::Str(s.into()), pos)
    }
    pub fn map(m: Map, pos: Pos) -> Node {
        Node::new(Value::Map(m), pos)
    }
    pub fn seq(v: Vec<Node>, pos: Pos) -> Node {
        Node::new(Value::Seq(v), pos)
    }
    pub fn as_map(&self) -> Option<&Map> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }
    pub fn as_map_mut(&mut self) -> Option<&mut Map> {
        match &mut self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }
    pub fn as_seq(&self) -> Option<&Vec<Node>> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_seq_mut(&mut self) -> Option<&mut Vec<Node>> {
        match &mut self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }
    /// Path lookup with dotted keys, e.g. `get_path(&["services", "web", "image"])`.
    pub fn get_path(&self, path: &[&str]) -> Option<&Node> {
        let mut cur = self;
        for k in path {
            cur = cur.as_map()?.get(k)?;
        }
        Some(cur)
    }
    /// The scalar as Compose stringifies it (environment values, labels, ...).
    /// `None` for null, sequences and mappings.
    pub fn scalar_string(&self) -> Option<String> {
        match &self.value {
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(format_go_float(*f)),
            Value::Str(s) => Some(s.clone()),
        }
    }
    /// A short word for the kind of value, for error messages.
    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "a number",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
    /// Converts to JSON (used for the typed model and for `config` output).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(J::Number)
                .unwrap_or_else(|| J::String(format_go_float(*f))),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(v) => J::Array(v.iter().map(Node::to_json).collect()),
            Value::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }
    /// Converts to JSON, consuming the tree (moves the strings instead of copying them).
    pub fn into_json(self) -> serde_json::Value {
        use serde_json::Value as J;
        match self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(b),
            Value::Int(i) => J::from(i),
            Value::Float(f) => serde_json::Number::from_f64(f)
                .map(J::Number)
                .unwrap_or_else(|| J::String(format_go_float(f))),
            Value::Str(s) => J::String(s),
            Value::Seq(v) => J::Array(v.into_iter().map(Node::into_json).collect()),
            Value::Map(m) => J::Object(m.into_entries().map(|(k, v)| (k, v.into_json())).collect()),
        }
    }
    /// Builds a node tree from JSON, every node at `pos`.
    pub fn from_json(v: &serde_json::Value, pos: &Pos) -> Node {
        use serde_json::Value as J;
        let value = match v {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(0.0)),
            },
            J::String(s) => Value::Str(s.clone()),
            J::Array(a) => Value::Seq(a.iter().map(|x| Node::from_json(x, pos)).collect()),
            J::Object(o) => {
                let mut m = Map::new();
                for (k, x) in o {
                    m.insert(k.clone(), Node::from_json(x, pos));
                }
                Value::Map(m)
            }
        };
        Node::new(value, pos.clone())
    }
}

/// Formats a float as Go's `%v` does (shortest representation; exponent outside 1e-4..1e21).
pub fn format_go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let a = f.abs();
    if a != 0.0 && !(1e-4..1e21).contains(&a) {
        let s = format!("{:e}", f); // e.g. 1e21, 1.5e-5
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mant}e{sign}{:02}", exp.abs());
    }
    let s = format!("{}", f);
    s
}

/// A YAML syntax error with its position.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{pos}: {message}")]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
}

/// Limits that keep a hostile file (billion laughs, or one large scalar aliased thousands of
/// times) from exhausting memory: what aliases copy is budgeted in bytes, not in nodes.
const MAX_BYTES_FROM_ALIASES: usize = 64 * 1024 * 1024;
const MAX_DEPTH: usize = 256;

/// Parses every document of a YAML stream. An empty stream gives no documents.
pub fn parse_documents(text: &str, file: &Arc<str>) -> Result<Vec<Node>, YamlError> {
    let mut builder = Builder {
        file: file.clone(),
        stack: Vec::new(),
        anchors: Default::default(),
        docs: Vec::new(),
        error: None,
        alias_budget: MAX_BYTES_FROM_ALIASES,
    };
    // Events are pulled one at a time (saphyr's `load` recurses once per nesting level, which
    // a hostile file turns into a stack overflow), and the first error stops the parse.
    let text = crate::yaml_flow::indent_flow_lines(text);
    let parser = Parser::new_from_str(&text);
    for event in parser {
        match event {
            Ok((ev, span)) => builder.on_event(ev, span),
            Err(e) => {
                let m = e.marker();
                return Err(YamlError {
                    pos: Pos {
                        file: file.clone(),
                        line: m.line() as u32,
                        col: m.col() as u32 + 1,
                    },
                    message: e.info().to_string(),
                });
            }
        }
        if builder.error.is_some() {
            break;
        }
    }
    if let Some(e) = builder.error {
        return Err(e);
    }
    Ok(builder.docs)
}

enum Frame {
    Seq {
        node: Node,
        anchor: usize,
    },
    Map {
        node: Node,
        anchor: usize,
        /// Pending key with its position, waiting for its value.
        key: Option<(String, Pos)>,
        /// `<<` values to merge when the mapping ends.
        merges: Vec<Node>,
    },
}

struct Builder {
    file: Arc<str>,
    stack: Vec<Frame>,
    anchors: std::collections::HashMap<usize, Node>,
    docs: Vec<Node>,
    error: Option<YamlError>,
    alias_budget: usize,
}

/// Roughly the bytes a copy of `n` takes: a node's own size, plus its text and keys.
fn copy_cost(n: &Node) -> usize {
    const NODE: usize = 64;
    match &n.value {
        Value::Seq(v) => NODE + v.iter().map(copy_cost).sum::<usize>(),
        Value::Map(m) => {
            NODE + m
                .iter()
                .map(|(k, v)| NODE + k.len() + copy_cost(v))
                .sum::<usize>()
        }
        Value::Str(s) => NODE + s.len(),
        _ => NODE,
    }
}

impl Builder {
    fn pos(&self, span: &Span) -> Pos {
        Pos {
            file: self.file.clone(),
            line: span.start.line() as u32,
            col: span.start.col() as u32 + 1,
        }
    }

    fn fail(&mut self, pos: Pos, message: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(YamlError {
                pos,
                message: message.into(),
            });
        }
    }

    /// Delivers a finished node to its parent (or to the document list).
    fn push_value(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let mut err = None;
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq { node: seq, .. }) => {
                if let Value::Seq(v) = &mut seq.value {
                    v.push(node);
                }
            }
            Some(Frame::Map {
                node: map,
                key,
                merges,
                ..
            }) => match key.take() {
                None => {
                    // This node is a key.
                    match key_string(&node) {
                        Some(k) => *key = Some((k, node.pos.clone())),
                        None => {
                            err = Some((
                                node.pos.clone(),
                                "a mapping key must be a scalar (string or number)".to_string(),
                            ))
                        }
                    }
                }
                Some((k, kpos)) => {
                    if k == "<<" && node.tag.is_none() {
                        merges.push(node);
                    } else if let Value::Map(m) = &mut map.value {
                        if let Some(prev) = m.key_pos(&k) {
                            err = Some((
                                kpos.clone(),
                                format!(
                                    "mapping key \"{k}\" already defined at line {}",
                                    prev.line
                                ),
                            ));
                        } else {
                            m.insert_with_pos(k, kpos, node);
                        }
                    }
                }
            },
        }
        if let Some((p, m)) = err {
            self.fail(p, m);
        }
    }

    fn resolve_scalar(&self, text: &str, style: ScalarStyle, tag: Option<&str>, pos: Pos) -> Node {
        let value = match tag {
            Some("!!str") | Some("tag:yaml.org,2002:str") => Value::Str(text.to_string()),
            Some("!!null") | Some("tag:yaml.org,2002:null") => Value::Null,
            _ if !matches!(style, ScalarStyle::Plain) => Value::Str(text.to_string()),
            _ => resolve_plain(text),
        };
        Node::new(value, pos)
    }
}

fn key_string(node: &Node) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(format_go_float(*f)),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

fn tag_of(tag: &Option<std::borrow::Cow<'_, saphyr_parser::Tag>>) -> Option<String> {
    tag.as_ref().map(|t| format!("{}{}", t.handle, t.suffix))
}

fn compose_tag(tag: &Option<String>) -> Option<Tag> {
    match tag.as_deref() {
        Some("!reset") => Some(Tag::Reset),
        Some("!override") => Some(Tag::Override),
        _ => None,
    }
}

/// go-yaml v3's resolution of a plain (unquoted) scalar.
pub fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return Value::Str(s.to_string());
    }
    let plain: String = s.chars().filter(|c| *c != '_').collect();
    if let Some(i) = parse_go_int(&plain) {
        return Value::Int(i);
    }
    if is_yaml_float(&plain) {
        if let Ok(f) = plain.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::Str(s.to_string())
}

/// `strconv.ParseInt(s, 0, 64)`: optional sign, then `0x`, `0o`, `0b`, a leading `0` (octal) or decimal.
fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let (radix, digits) = if let Some(r) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        (16, r)
    } else if let Some(r) = body.strip_prefix("0o").or(body.strip_prefix("0O")) {
        (8, r)
    } else if let Some(r) = body.strip_prefix("0b").or(body.strip_prefix("0B")) {
        (2, r)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = i128::from_str_radix(digits, radix).ok()?;
    let v = if neg { -v } else { v };
    i64::try_from(v).ok()
}

/// go-yaml v3's `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$` (also what the printer
/// must quote so that a string does not read back as a float).
pub fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Applies `<<` merges: explicit keys win; among merged maps the earlier one wins.
fn apply_merges(map: &mut Map, merges: Vec<Node>) -> Result<(), (Pos, String)> {
    for m in merges {
        let sources: Vec<Node> = match m.value {
            Value::Map(_) => vec![m],
            Value::Seq(items) => items,
            _ => {
                return Err((
                    m.pos.clone(),
                    "map merge requires map or sequence of maps as the value".into(),
                ))
            }
        };
        for src in sources {
            match src.value {
                Value::Map(sm) => {
                    for (k, v) in sm.entries {
                        if !map.contains_key(&k) {
                            map.insert_with_pos(k, v.key_pos, v.value);
                        }
                    }
                }
                _ => {
                    return Err((
                        src.pos.clone(),
                        "map merge requires map or sequence of maps as the value".into(),
                    ))
                }
            }
        }
    }
    Ok(())
}

impl<'input> SpannedEventReceiver<'input> for Builder {
    fn on_event(&mut self, ev: Event<'input>, span: Span) {
        if self.error.is_some() {
            return;
        }
        match ev {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
            Event::DocumentStart(_) | Event::DocumentEnd => {}
            Event::Alias(id) => {
                let pos = self.pos(&span);
                match self.anchors.get(&id).cloned() {
                    Some(mut node) => {
                        let n = copy_cost(&node);
                        if n > self.alias_budget {
                            self.fail(
                                pos,
                                "aliases expand to more than 64 MiB (a \"billion laughs\" file, or a large value aliased many times?)",
                            );
                            return;
                        }
                        self.alias_budget -= n;
                        // An alias used as a key is fine; its value keeps the anchor's position.
                        node.tag = node.tag.take();
                        self.push_value(node, 0);
                    }
                    None => self.fail(pos, "unknown anchor"),
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                let pos = self.pos(&span);
                let tag = tag_of(&tag);
                let mut node = self.resolve_scalar(&text, style, tag.as_deref(), pos);
                node.tag = compose_tag(&tag);
                self.push_value(node, anchor);
            }
            Event::SequenceStart(anchor, tag) => {
                if self.stack.len() >= MAX_DEPTH {
                    self.fail(
                        self.pos(&span),
                        format!("the document is nested more than {MAX_DEPTH} levels deep"),
                    );
                    return;
                }
                let mut node = Node::new(Value::Seq(Vec::new()), self.pos(&span));
                node.tag = compose_tag(&tag_of(&tag));
                self.stack.push(Frame::Seq { node, anchor });
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq { node, anchor }) = self.stack.pop() {
                    self.push_value(node, anchor);
                }
            }
            Event::MappingStart(anchor, tag) => {
                if self.stack.len() >= MAX_DEPTH {
                    self.fail(
                        self.pos(&span),
                        format!("the document is nested more than {MAX_DEPTH} levels deep"),
                    );
                    return;
                }
                let mut node = Node::new(Value::Map(Map::new()), self.pos(&span));
                node.tag = compose_tag(&tag_of(&tag));
                self.stack.push(Frame::Map {
                    node,
                    anchor,
                    key: None,
                    merges: Vec::new(),
                });
            }
            Event::MappingEnd => {
                if let Some(Frame::Map {
                    mut node,
                    anchor,
                    merges,
                    ..
                }) = self.stack.pop()
                {
                    if let Value::Map(m) = &mut node.value {
                        if let Err((p, msg)) = apply_merges(m, merges) {
                            self.fail(p, msg);
                            return;
                        }
                    }
                    self.push_value(node, anchor);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse1(s: &str) -> Node {
        let f: Arc<str> = Arc::from("t.yaml");
        let mut d = parse_documents(s, &f).unwrap();
        assert_eq!(d.len(), 1);
        d.remove(0)
    }

    #[test]
    fn scalar_typing_matches_go_yaml_v3() {
        let cases: &[(&str, &str)] = &[
            ("yes", "\"yes\""),
            ("on", "\"on\""),
            ("NO", "\"NO\""),
            ("true", "true"),
            ("False", "false"),
            ("0755", "493"),
            ("0o17", "15"),
            ("0x1F", "31"),
            ("1.10", "1.1"),
            ("1e3", "1000.0"),
            ("'0755'", "\"0755\""),
            ("~", "null"),
            ("", "null"),
            ("1_000", "1000"),
            ("-12", "-12"),
            ("12:30", "\"12:30\""),
            ("08", "8.0"),
            ("1.2.3", "\"1.2.3\""),
        ];
        for (src, want) in cases {
            let n = parse1(&format!("k: {src}\n"));
            let got = n.as_map().unwrap().get("k").unwrap().to_json().to_string();
            assert_eq!(&got, want, "for {src:?}");
        }
    }

    #[test]
    fn merge_keys_explicit_wins_then_first_merged() {
        let n = parse1("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  x: 9\n");
        let c = n.get_path(&["c"]).unwrap().to_json();
        assert_eq!(c, serde_json::json!({"x": 9, "y": 1, "z": 2}));
    }

    #[test]
    fn duplicate_key_is_an_error_with_both_lines() {
        let f: Arc<str> = Arc::from("c.yaml");
        let e = parse_documents("services:\n  a:\n    image: x\n    image: y\n", &f).unwrap_err();
        assert_eq!(e.pos.line, 4);
        assert!(
            e.message.contains("already defined at line 3"),
            "{}",
            e.message
        );
    }

    #[test]
    fn tags_and_positions() {
        let n = parse1("a:\n  b: !reset []\n  c: !override {x: 1}\n");
        let b = n.get_path(&["a", "b"]).unwrap();
        assert_eq!(b.tag, Some(Tag::Reset));
        assert_eq!(b.pos.line, 2);
        assert_eq!(b.pos.col, 6);
        assert_eq!(n.get_path(&["a", "c"]).unwrap().tag, Some(Tag::Override));
    }

    #[test]
    fn tab_indentation_is_a_syntax_error() {
        let f: Arc<str> = Arc::from("c.yaml");
        assert!(parse_documents("services:\n\tweb:\n", &f).is_err());
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            s.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let f: Arc<str> = Arc::from("c.yaml");
        assert!(parse_documents(&s, &f).is_err());
    }

    #[test]
    fn go_float_format() {
        assert_eq!(format_go_float(1000.0), "1000");
        assert_eq!(format_go_float(1.1), "1.1");
        assert_eq!(format_go_float(0.5), "0.5");
        assert_eq!(format_go_float(1e21), "1e+21");
    }
}
