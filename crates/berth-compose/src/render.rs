//! Printers for `berth config`: YAML and JSON exactly as Compose v2.26.1 prints them.
//!
//! Compose marshals one Go model twice, with different rules, and this module reproduces both
//! from the JSON form of [`super::model::Project`] (`serde_json::to_value(&project)`):
//!
//! * [`to_yaml`] prints like `docker compose config` (go-yaml v3: 2-space indentation, sequences
//!   indented under their key, literal blocks for multi-line strings, quoting of strings that
//!   would read as another type, maps sorted in go-yaml's "natural" key order).
//! * [`to_json`] prints like `docker compose config --format json` (Go `encoding/json` with
//!   `MarshalIndent`: top-level keys sorted, `<`, `>`, `&` escaped as `\u003c` …).
//!
//! When the value is a project (an object with a `services` key) the printers first apply the
//! differences between Compose's two outputs ([`yaml_view`], [`json_view`]): YAML omits
//! `command: null`/`entrypoint: null` and empty `ipam`/`resources`/`placement`/`exec` objects,
//! prints `ulimits` pairs in full and blkio device keys in lower case; JSON drops every `x-*`
//! key below the top level. [`print_yaml`] and [`print_json`] print any value as it is.

use serde_json::{Map, Value};
use std::cmp::Ordering;

// =============================================================================================
// Public entry points
// =============================================================================================

/// Prints `value` as `docker compose config` does (YAML). A project is passed through
/// [`yaml_view`] first.
pub fn to_yaml(value: &Value) -> String {
    if is_project(value) {
        print_yaml(&yaml_view(value))
    } else {
        print_yaml(value)
    }
}

/// Prints `value` as `docker compose config --format json` does. Like Compose, the output has
/// no final newline (the corpus' `expected.json` files have one added). A project is passed
/// through [`json_view`] first.
pub fn to_json(value: &Value) -> String {
    if is_project(value) {
        print_json(&json_view(value))
    } else {
        print_json(value)
    }
}

fn is_project(value: &Value) -> bool {
    value
        .as_object()
        .is_some_and(|m| m.contains_key("services"))
}

// =============================================================================================
// Project views: what differs between Compose's YAML and JSON outputs
// =============================================================================================

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Yaml,
    Json,
}

/// What an object in the project tree is: a Go struct (fixed keys, printed in field order) or a
/// Go map (user keys, printed sorted).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx<'a> {
    /// A struct; `root` for the project itself.
    Struct { root: bool },
    /// A map whose values are structs (`services`, `networks`, `depends_on`, …), named by its key.
    StructMap(&'a str),
    /// A map of scalars (`labels`, `environment`, …).
    LeafMap,
    /// User data under an `x-*` key: every object is a map.
    Free,
}

/// Keys whose object value is a map of structs (when their value is a list, its items are
/// structs).
const STRUCT_MAP_KEYS: &[&str] = &[
    "services",
    "networks",
    "volumes",
    "secrets",
    "configs",
    "depends_on",
    "ulimits",
];

/// Keys whose value is a map of scalars.
const LEAF_MAP_KEYS: &[&str] = &[
    "labels",
    "annotations",
    "environment",
    "args",
    "sysctls",
    "driver_opts",
    "options",
    "storage_opt",
    "aux_addresses",
    "additional_contexts",
    "log_opt",
];

/// Struct-valued fields that go-yaml omits when all their fields are empty.
const YAML_OMIT_IF_EMPTY: &[&str] = &["ipam", "resources", "placement", "exec"];

/// Top-level keys in the order Compose's YAML prints them (extensions follow, sorted).
const PROJECT_KEYS: &[&str] = &[
    "name", "services", "networks", "volumes", "secrets", "configs",
];

/// The project as Compose's YAML output shows it (see the module docs).
pub fn yaml_view(project: &Value) -> Value {
    view(project.clone(), Ctx::Struct { root: true }, Mode::Yaml)
}

/// The project as Compose's JSON output shows it (see the module docs).
pub fn json_view(project: &Value) -> Value {
    view(project.clone(), Ctx::Struct { root: true }, Mode::Json)
}

/// [`to_yaml`] consuming its value (no copy of a large project).
pub fn into_yaml(value: Value) -> String {
    if is_project(&value) {
        print_yaml(&view(value, Ctx::Struct { root: true }, Mode::Yaml))
    } else {
        print_yaml(&value)
    }
}

/// [`to_json`] consuming its value.
pub fn into_json(value: Value) -> String {
    if is_project(&value) {
        print_json(&view(value, Ctx::Struct { root: true }, Mode::Json))
    } else {
        print_json(&value)
    }
}

fn child_ctx<'a>(key: &'a str) -> Ctx<'a> {
    if key.starts_with("x-") {
        Ctx::Free
    } else if STRUCT_MAP_KEYS.contains(&key) {
        Ctx::StructMap(key)
    } else if LEAF_MAP_KEYS.contains(&key) {
        Ctx::LeafMap
    } else {
        Ctx::Struct { root: false }
    }
}

fn view(value: Value, ctx: Ctx<'_>, mode: Mode) -> Value {
    match value {
        Value::Array(items) => {
            let item_ctx = match ctx {
                Ctx::Free | Ctx::LeafMap => Ctx::Free,
                _ => Ctx::Struct { root: false },
            };
            Value::Array(items.into_iter().map(|v| view(v, item_ctx, mode)).collect())
        }
        Value::Object(map) => match ctx {
            Ctx::Struct { root } => Value::Object(view_struct(map, root, mode)),
            Ctx::StructMap(key) => {
                let mut out: Vec<(String, Value)> = map
                    .into_iter()
                    .map(|(k, v)| {
                        let v = if key == "ulimits" {
                            view_ulimit(v, mode)
                        } else {
                            view(v, Ctx::Struct { root: false }, mode)
                        };
                        (k, v)
                    })
                    .collect();
                sort_map_entries(&mut out, mode);
                Value::Object(out.into_iter().collect())
            }
            Ctx::LeafMap | Ctx::Free => {
                let mut out: Vec<(String, Value)> = map
                    .into_iter()
                    .map(|(k, v)| (k, view(v, Ctx::Free, mode)))
                    .collect();
                sort_map_entries(&mut out, mode);
                Value::Object(out.into_iter().collect())
            }
        },
        other => other,
    }
}

fn view_struct(map: Map<String, Value>, root: bool, mode: Mode) -> Map<String, Value> {
    let mut fields: Vec<(String, Value)> = Vec::new();
    let mut extensions: Vec<(String, Value)> = Vec::new();
    for (k, v) in map {
        if k.starts_with("x-") {
            if mode == Mode::Json && !root {
                continue;
            }
            extensions.push((k, view(v, Ctx::Free, mode)));
            continue;
        }
        let mut v = view(v, child_ctx(&k), mode);
        if root {
            strip_object_content(&k, &mut v);
        }
        if mode == Mode::Yaml {
            if (k == "command" || k == "entrypoint") && v.is_null() {
                continue;
            }
            if YAML_OMIT_IF_EMPTY.contains(&k.as_str())
                && v.as_object().is_some_and(|m| m.is_empty())
            {
                continue;
            }
            if root && k == "name" && v.as_str() == Some("") {
                continue;
            }
            let key = match k.as_str() {
                "Path" => "path",
                "Weight" => "weight",
                "Rate" => "rate",
                other => other,
            };
            fields.push((key.to_string(), v));
        } else {
            fields.push((k, v));
        }
    }
    if root {
        match mode {
            Mode::Json => {
                fields.append(&mut extensions);
                fields.sort_by(|a, b| a.0.cmp(&b.0));
            }
            Mode::Yaml => {
                fields.sort_by_key(|(k, _)| {
                    PROJECT_KEYS
                        .iter()
                        .position(|p| p == k)
                        .unwrap_or(PROJECT_KEYS.len())
                });
                extensions.sort_by(|a, b| go_yaml_key_cmp(&a.0, &b.0));
                fields.append(&mut extensions);
            }
        }
    } else {
        if mode == Mode::Yaml {
            extensions.sort_by(|a, b| go_yaml_key_cmp(&a.0, &b.0));
        }
        fields.append(&mut extensions);
    }
    fields.into_iter().collect()
}

/// Compose never prints a secret's `content`, nor a config's `content` taken from `environment`.
fn strip_object_content(key: &str, value: &mut Value) {
    let Some(map) = value.as_object_mut() else {
        return;
    };
    for obj in map.values_mut().filter_map(Value::as_object_mut) {
        match key {
            "secrets" => {
                obj.remove("content");
            }
            "configs" if obj.contains_key("environment") => {
                obj.remove("content");
            }
            _ => {}
        }
    }
}

/// A `ulimits` entry: go-yaml prints a pair as `soft` and `hard`, both always present.
fn view_ulimit(value: Value, mode: Mode) -> Value {
    match (&value, mode) {
        (Value::Object(m), Mode::Yaml) => {
            let mut out = Map::new();
            for k in ["soft", "hard"] {
                out.insert(k.to_string(), m.get(k).cloned().unwrap_or(Value::from(0)));
            }
            Value::Object(out)
        }
        _ => view(value, Ctx::Struct { root: false }, mode),
    }
}

fn sort_map_entries(entries: &mut [(String, Value)], mode: Mode) {
    match mode {
        Mode::Json => entries.sort_by(|a, b| a.0.cmp(&b.0)),
        Mode::Yaml => entries.sort_by(|a, b| go_yaml_key_cmp(&a.0, &b.0)),
    }
}

/// go-yaml v3's map key order: letters compare by code point, runs of digits compare by
/// numeric value, and a non-letter sorts before a letter (unless it follows a digit).
pub fn go_yaml_key_cmp(a: &str, b: &str) -> Ordering {
    if a == b {
        Ordering::Equal
    } else if go_yaml_key_less(a, b) {
        Ordering::Less
    } else {
        Ordering::Greater
    }
}

fn go_yaml_key_less(a: &str, b: &str) -> bool {
    // Keys are short and ASCII almost always: decode them on the stack (this runs for every
    // comparison of every sorted map).
    let (mut abuf, mut bbuf) = (['\0'; 64], ['\0'; 64]);
    let (av, bv): (Vec<char>, Vec<char>);
    let ar: &[char] = if a.len() <= 64 && a.is_ascii() {
        for (i, c) in a.bytes().enumerate() {
            abuf[i] = c as char;
        }
        &abuf[..a.len()]
    } else {
        av = a.chars().collect();
        &av
    };
    let br: &[char] = if b.len() <= 64 && b.is_ascii() {
        for (i, c) in b.bytes().enumerate() {
            bbuf[i] = c as char;
        }
        &bbuf[..b.len()]
    } else {
        bv = b.chars().collect();
        &bv
    };
    let mut after_digit = false;
    let n = ar.len().min(br.len());
    for i in 0..n {
        let (ca, cb) = (ar[i], br[i]);
        if ca == cb {
            after_digit = ca.is_ascii_digit();
            continue;
        }
        let (la, lb) = (ca.is_alphabetic(), cb.is_alphabetic());
        if la && lb {
            return ca < cb;
        }
        if la || lb {
            return if after_digit { la } else { lb };
        }
        // Neither is a letter: compare the numbers starting here, if any.
        let mut an: i64 = 0;
        let mut bn: i64 = 0;
        if ca == '0' || cb == '0' {
            // A zero inside a number that already has a non-zero digit is an ordinary digit.
            for j in (0..i).rev() {
                if !ar[j].is_ascii_digit() {
                    break;
                }
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ar[ai].is_ascii_digit() {
            an = an
                .wrapping_mul(10)
                .wrapping_add(i64::from(ar[ai] as u8 - b'0'));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && br[bi].is_ascii_digit() {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(i64::from(br[bi] as u8 - b'0'));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ca < cb;
    }
    ar.len() < br.len()
}

// =============================================================================================
// JSON printer (Go encoding/json, MarshalIndent with two spaces)
// =============================================================================================

/// Prints any JSON value the way Go's `json.MarshalIndent(v, "", "  ")` does (no final newline).
pub fn print_json(value: &Value) -> String {
    let mut out = String::new();
    write_json(&mut out, value, 0);
    out
}

fn write_json(out: &mut String, value: &Value, depth: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&json_number(n)),
        Value::String(s) => write_json_string(out, s),
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline_indent(out, depth + 1);
                write_json(out, item, depth + 1);
            }
            newline_indent(out, depth);
            out.push(']');
        }
        Value::Object(map) => {
            if map.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline_indent(out, depth + 1);
                write_json_string(out, k);
                out.push_str(": ");
                write_json(out, v, depth + 1);
            }
            newline_indent(out, depth);
            out.push('}');
        }
    }
}

fn newline_indent(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn write_json_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' | '\u{0}'..='\u{1f}' => {
                let n = c as u32;
                out.push_str("\\u");
                for shift in [12, 8, 4, 0] {
                    out.push(HEX[((n >> shift) & 0xf) as usize] as char);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Go: %e with a two-digit exponent, then "e-07" is shortened to "e-7".
        let s = go_format_e(f);
        match s.split_once("e-0") {
            Some((m, e)) if e.len() == 1 => format!("{m}e-{e}"),
            _ => s,
        }
    } else {
        go_format_f(f)
    }
}

// =============================================================================================
// Float formatting (Go strconv with shortest precision)
// =============================================================================================

/// Shortest round-trip decimal digits of `f` (no sign) and the decimal point position: the value
/// is `0.DIGITS × 10^dp`.
fn shortest_digits(f: f64) -> (String, i32) {
    let s = format!("{:e}", f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    if digits.chars().all(|c| c == '0') {
        return ("0".to_string(), 1);
    }
    (digits, exp + 1)
}

fn go_format_e(f: f64) -> String {
    let (digits, dp) = shortest_digits(f);
    let mut out = String::new();
    if f.is_sign_negative() {
        out.push('-');
    }
    out.push_str(&digits[..1]);
    if digits.len() > 1 {
        out.push('.');
        out.push_str(&digits[1..]);
    }
    let exp = if digits == "0" { 0 } else { dp - 1 };
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    let e = exp.unsigned_abs();
    if e < 10 {
        out.push('0');
    }
    out.push_str(&e.to_string());
    out
}

fn go_format_f(f: f64) -> String {
    let (digits, dp) = shortest_digits(f);
    let mut out = String::new();
    if f.is_sign_negative() && f != 0.0 {
        out.push('-');
    }
    let nd = digits.len() as i32;
    if dp <= 0 {
        out.push_str("0.");
        for _ in 0..(-dp) {
            out.push('0');
        }
        out.push_str(&digits);
    } else if dp >= nd {
        out.push_str(&digits);
        for _ in 0..(dp - nd) {
            out.push('0');
        }
    } else {
        out.push_str(&digits[..dp as usize]);
        out.push('.');
        out.push_str(&digits[dp as usize..]);
    }
    out
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`, as go-yaml prints floats.
fn go_format_g(f: f64) -> String {
    if f.is_nan() {
        return ".nan".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.to_string();
    }
    let (digits, dp) = shortest_digits(f);
    let exp = dp - 1;
    if digits != "0" && !(-4..6).contains(&exp) {
        go_format_e(f)
    } else {
        go_format_f(f)
    }
}

// =============================================================================================
// YAML printer (go-yaml v3 encoder + emitter, block style, indent 2, no line folding)
// =============================================================================================

/// Prints any JSON value as go-yaml v3 would (object key order is the print order).
pub fn print_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => write_mapping(&mut out, m, 0, false),
        Value::Array(a) if !a.is_empty() => write_sequence(&mut out, a, 0, false),
        other => {
            write_scalar(&mut out, other, 0, false);
            out.push('\n');
        }
    }
    out
}

fn pad(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}

/// Writes a block mapping whose keys start at column `indent`. With `inline_first`, the cursor
/// already sits where the first key goes (after `- `).
fn write_mapping(out: &mut String, map: &Map<String, Value>, indent: usize, inline_first: bool) {
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 || !inline_first {
            pad(out, indent);
        }
        write_string(out, k, indent, true);
        out.push(':');
        write_node_after_indicator(out, v, indent);
    }
}

/// Writes a block sequence whose dashes sit at column `indent`.
fn write_sequence(out: &mut String, items: &[Value], indent: usize, inline_first: bool) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 || !inline_first {
            pad(out, indent);
        }
        out.push('-');
        match item {
            Value::Object(m) if !m.is_empty() => {
                out.push(' ');
                write_mapping(out, m, indent + 2, true);
            }
            Value::Array(a) if !a.is_empty() => {
                out.push(' ');
                write_sequence(out, a, indent + 2, true);
            }
            _ => write_node_after_indicator(out, item, indent),
        }
    }
}

/// Writes the value after `key:` (mapping at column `indent`) or after `-` (dash at `indent`).
fn write_node_after_indicator(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            write_mapping(out, m, indent + 2, false);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            write_sequence(out, a, indent + 2, false);
        }
        _ => {
            out.push(' ');
            if !write_scalar(out, value, indent + 2, false) {
                out.push('\n');
            }
        }
    }
}

/// Writes a scalar (or an empty collection). Returns true when the output already ends with a
/// line break (literal blocks).
fn write_scalar(out: &mut String, value: &Value, indent: usize, key: bool) -> bool {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push_str(&i.to_string());
            } else if let Some(u) = n.as_u64() {
                out.push_str(&u.to_string());
            } else {
                out.push_str(&go_format_g(n.as_f64().unwrap_or(0.0)));
            }
        }
        Value::String(s) => return write_string(out, s, indent, key),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
    false
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// Writes a string scalar; `indent` is the indentation of continuation lines. Returns true when
/// a literal block was written (the output then ends with a line break).
fn write_string(out: &mut String, s: &str, indent: usize, key: bool) -> bool {
    let style = select_style(s, key);
    match style {
        Style::Plain => out.push_str(s),
        Style::Single => write_single_quoted(out, s, indent),
        Style::Double => write_double_quoted(out, s),
        Style::Literal => {
            write_literal(out, s, indent);
            return true;
        }
    }
    false
}

fn select_style(s: &str, key: bool) -> Style {
    // go-yaml's encoder: multi-line strings ask for a literal block; strings that would read as
    // another type (or as YAML 1.1 bools / base-60 floats) are double-quoted.
    let requested = if s.contains('\n') {
        Style::Literal
    } else if !resolves_to_non_string(s) && !is_base60_float(s) && !is_old_bool(s) {
        Style::Plain
    } else {
        Style::Double
    };
    // The emitter then checks the style is possible.
    let a = analyze_scalar(s);
    let mut style = requested;
    if style == Style::Plain && (!a.block_plain_allowed || (s.is_empty() && key)) {
        style = Style::Single;
    }
    if style == Style::Single && !a.single_quoted_allowed {
        style = Style::Double;
    }
    if style == Style::Literal && (!a.block_allowed || key) {
        style = Style::Double;
    }
    style
}

#[derive(Debug, PartialEq, Eq)]
struct Analysis {
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn is_printable(c: char) -> bool {
    let n = c as u32;
    n == 0x0A
        || (0x20..=0x7E).contains(&n)
        || (0xA0..=0xD7FF).contains(&n)
        || ((0xE000..=0xFFFD).contains(&n) && n != 0xFEFF)
}

/// Bytes that need no look at their neighbours: letters, digits and `_ . / = + -` (a string
/// of only these, not starting with `-` or `.`, can be written in any style).
fn is_quiet_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'=' | b'+' | b'-')
}

fn analyze_scalar(s: &str) -> Analysis {
    if !s.is_empty() && !s.starts_with(['-', '.']) && s.bytes().all(is_quiet_byte) {
        return Analysis {
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: true,
        };
    }
    analyze_scalar_fully(s)
}

/// go-yaml's `yaml_emitter_analyze_scalar`, character by character.
fn analyze_scalar_fully(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;
    let mut previous_space = false;
    let mut previous_break = false;
    let mut line_breaks = false;
    let mut special = false;
    let mut tabs = false;
    let mut preceded_by_ws = true;
    let mut chars = s.chars().peekable();
    let mut first = true;
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let last = next.is_none();
        let followed_by_ws = next.is_none_or(is_blank);
        if first {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_ws => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_ws => block_indicators = true,
                '#' if preceded_by_ws => block_indicators = true,
                _ => {}
            }
        }
        if c == '\t' {
            tabs = true;
        } else if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            if first {
                leading_space = true;
            }
            if last {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if first {
                leading_break = true;
            }
            if last {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_ws = is_blank(c) || is_break(c);
        first = false;
    }
    let mut a = Analysis {
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space || space_break || tabs || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

fn write_single_quoted(out: &mut String, s: &str, indent: usize) {
    out.push('\'');
    let mut after_break = false;
    for c in s.chars() {
        if is_break(c) {
            out.push(c);
            after_break = true;
            continue;
        }
        if after_break {
            pad(out, indent);
            after_break = false;
        }
        if c == '\'' {
            out.push_str("''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
}

fn write_double_quoted(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('"');
    for c in s.chars() {
        let n = c as u32;
        if c != '\t' && (!is_printable(c) || n == 0xFEFF || is_break(c)) || c == '"' || c == '\\' {
            out.push('\\');
            let named = match n {
                0x00 => Some('0'),
                0x07 => Some('a'),
                0x08 => Some('b'),
                0x0A => Some('n'),
                0x0B => Some('v'),
                0x0C => Some('f'),
                0x0D => Some('r'),
                0x1B => Some('e'),
                0x22 => Some('"'),
                0x5C => Some('\\'),
                0x85 => Some('N'),
                0xA0 => Some('_'),
                0x2028 => Some('L'),
                0x2029 => Some('P'),
                _ => None,
            };
            if let Some(e) = named {
                out.push(e);
            } else {
                let (prefix, width) = if n <= 0xFF {
                    ('x', 2)
                } else if n <= 0xFFFF {
                    ('u', 4)
                } else {
                    ('U', 8)
                };
                out.push(prefix);
                for k in (0..width).rev() {
                    out.push(HEX[((n >> (4 * k)) & 0xF) as usize] as char);
                }
            }
        } else if c == '\t' {
            out.push_str("\\t");
        } else {
            out.push(c);
        }
    }
    out.push('"');
}

/// A literal block (`|`, `|-`, `|+`, with `2` when the text starts with a space or break).
/// Text lines are indented to `indent`; the output ends with a line break.
fn write_literal(out: &mut String, s: &str, indent: usize) {
    let chars: Vec<char> = s.chars().collect();
    out.push('|');
    if chars.first().is_some_and(|&c| c == ' ' || is_break(c)) {
        out.push('2');
    }
    match chars.last() {
        Some(&c) if !is_break(c) => out.push('-'),
        Some(_) if chars.len() == 1 => out.push('+'),
        Some(_) if is_break(chars[chars.len() - 2]) => out.push('+'),
        _ => {}
    }
    // The header's line break is written lazily, before the first text line; breaks in the
    // text are written as they are.
    let mut at_line_start = false;
    let mut breaks = true;
    for &c in &chars {
        if is_break(c) {
            out.push(c);
            at_line_start = true;
            breaks = true;
        } else {
            if breaks {
                if !at_line_start {
                    out.push('\n');
                }
                pad(out, indent);
            }
            out.push(c);
            at_line_start = false;
            breaks = false;
        }
    }
    if !at_line_start {
        out.push('\n');
    }
}

// ---------------------------------------------------------------------------------------------
// go-yaml v3 plain scalar resolution (what an unquoted string would be read as)
// ---------------------------------------------------------------------------------------------

/// Whether `s`, written unquoted, would be read as something other than a string.
fn resolves_to_non_string(s: &str) -> bool {
    let Some(first) = s.bytes().next() else {
        return true; // "" is null
    };
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => {
            in_resolve_map(s)
        }
        b'.' => in_resolve_map(s) || s.parse::<f64>().is_ok_and(|_| is_go_float_syntax(s)),
        b'+' | b'-' | b'0'..=b'9' => {
            if in_resolve_map(s) || is_timestamp(s) {
                return true;
            }
            let plain: String = s.chars().filter(|&c| c != '_').collect();
            is_go_int(&plain) || crate::yaml::is_yaml_float(&plain)
        }
        _ => false,
    }
}

fn in_resolve_map(s: &str) -> bool {
    matches!(
        s,
        "~" | "null"
            | "Null"
            | "NULL"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | ".nan"
            | ".NaN"
            | ".NAN"
            | ".inf"
            | ".Inf"
            | ".INF"
            | "+.inf"
            | "+.Inf"
            | "+.INF"
            | "-.inf"
            | "-.Inf"
            | "-.INF"
    )
}

fn is_old_bool(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "off"
            | "Off"
            | "OFF"
    )
}

/// A decimal float as Go's ParseFloat reads it, for strings starting with `.` (`.5`, `.5e3`).
fn is_go_float_syntax(s: &str) -> bool {
    crate::yaml::is_yaml_float(s)
}

/// Go `strconv.ParseInt(s, 0, 64)` / `ParseUint` syntax: optional sign, then `0x`/`0o`/`0b`
/// prefixed digits, a `0`-led octal number, or decimal digits.
fn is_go_int(s: &str) -> bool {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if unsigned.is_empty() {
        return false;
    }
    let b = unsigned.as_bytes();
    if b[0] == b'0' {
        if b.len() >= 3 {
            let radix = match b[1] {
                b'x' | b'X' => Some(16),
                b'o' | b'O' => Some(8),
                b'b' | b'B' => Some(2),
                _ => None,
            };
            if let Some(radix) = radix {
                return u64::from_str_radix(&unsigned[2..], radix).is_ok();
            }
        }
        return unsigned[1..].bytes().all(|c| (b'0'..=b'7').contains(&c))
            && (unsigned.len() == 1 || u64::from_str_radix(&unsigned[1..], 8).is_ok());
    }
    unsigned.bytes().all(|c| c.is_ascii_digit()) && unsigned.parse::<u64>().is_ok()
}

/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$` (YAML 1.1 base-60 floats, quoted by
/// go-yaml for compatibility).
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    if i >= b.len() || !b[i].is_ascii_digit() {
        return false;
    }
    i += 1;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while i < b.len() && b[i] == b':' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() && i - start < 2 {
            i += 1;
        }
        let group = &b[start..i];
        let ok = match group.len() {
            1 => true,
            2 => group[0] <= b'5',
            _ => false,
        };
        if !ok {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// The timestamp forms go-yaml reads from plain scalars: `2006-1-2`, and `2006-1-2` followed by
/// `T`/`t`/space, `15:4:5`, optional fraction, and (except after a space) `Z` or `±07:00`.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let mut i = 5;
    let num = |i: &mut usize, max_len: usize| -> Option<u32> {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() && *i - start < max_len {
            *i += 1;
        }
        if *i == start {
            return None;
        }
        s[start..*i].parse().ok()
    };
    let year: u32 = s[..4].parse().unwrap_or(0);
    let Some(month) = num(&mut i, 2) else {
        return false;
    };
    if i >= b.len() || b[i] != b'-' {
        return false;
    }
    i += 1;
    let Some(day) = num(&mut i, 2) else {
        return false;
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return false;
    }
    if i == b.len() {
        return true;
    }
    let sep = b[i];
    if !matches!(sep, b'T' | b't' | b' ') {
        return false;
    }
    i += 1;
    let mut hms = [0u32; 3];
    for (k, slot) in hms.iter_mut().enumerate() {
        if k > 0 {
            if i >= b.len() || b[i] != b':' {
                return false;
            }
            i += 1;
        }
        match num(&mut i, 2) {
            Some(v) => *slot = v,
            None => return false,
        }
    }
    if hms[0] > 23 || hms[1] > 59 || hms[2] > 59 {
        return false;
    }
    if i < b.len() && b[i] == b'.' && i + 1 < b.len() && b[i + 1].is_ascii_digit() {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if sep == b' ' {
        return i == b.len();
    }
    if i < b.len() && b[i] == b'Z' {
        return i + 1 == b.len();
    }
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        let z = &b[i + 1..];
        return z.len() == 5
            && z[0].is_ascii_digit()
            && z[1].is_ascii_digit()
            && z[2] == b':'
            && z[3].is_ascii_digit()
            && z[4].is_ascii_digit();
    }
    false
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        _ => 28,
    }
}

/// Compose's `config` output re-escapes `$` so that it is again a valid compose file.
pub fn escape_dollars(v: &mut serde_json::Value) {
    use serde_json::Value as J;
    match v {
        J::String(s) if s.contains('$') => *s = s.replace('$', "$$"),
        J::Array(a) => a.iter_mut().for_each(escape_dollars),
        J::Object(o) if o.keys().any(|k| k.contains('$')) => {
            let entries: Vec<(String, J)> = std::mem::take(o).into_iter().collect();
            for (k, mut x) in entries {
                escape_dollars(&mut x);
                o.insert(k.replace('$', "$$"), x);
            }
        }
        J::Object(o) => o.values_mut().for_each(escape_dollars),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    /// The shortcut for strings of quiet bytes agrees with the full analysis.
    #[test]
    fn quiet_strings_take_the_shortcut_to_the_same_analysis() {
        let alphabet = b"aZ09_./=+-";
        for len in 1..=4 {
            let mut idx = vec![0usize; len];
            loop {
                let s: String = idx.iter().map(|&i| alphabet[i] as char).collect();
                assert_eq!(
                    super::analyze_scalar(&s),
                    super::analyze_scalar_fully(&s),
                    "{s:?}"
                );
                let mut k = 0;
                while k < len {
                    idx[k] += 1;
                    if idx[k] < alphabet.len() {
                        break;
                    }
                    idx[k] = 0;
                    k += 1;
                }
                if k == len {
                    break;
                }
            }
        }
    }

    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_matches_go_yaml() {
        let mut keys = vec![
            "éa", "e", "ab", "a10", "a9", "a_b", "Zed", "FOOBAR", "FOO_BAR", "3000",
        ];
        keys.sort_by(|a, b| go_yaml_key_cmp(a, b));
        assert_eq!(
            keys,
            ["3000", "FOO_BAR", "FOOBAR", "Zed", "a_b", "a9", "a10", "ab", "e", "éa"]
        );
    }

    #[test]
    fn scalar_quoting() {
        let cases = [
            ("yes", "\"yes\""),
            ("OFF", "\"OFF\""),
            ("3000", "\"3000\""),
            ("0755", "\"0755\""),
            ("0x1F", "\"0x1F\""),
            ("0x", "0x"),
            ("08", "\"08\""),
            ("1e3", "\"1e3\""),
            ("1_000", "\"1_000\""),
            (".5", "\".5\""),
            ("+.5", "\"+.5\""),
            ("1:20", "\"1:20\""),
            ("2001-12-14", "\"2001-12-14\""),
            ("2001-12-14 21:59:43", "\"2001-12-14 21:59:43\""),
            (
                "2001-12-14t21:59:43.10-05:00",
                "\"2001-12-14t21:59:43.10-05:00\"",
            ),
            ("~", "\"~\""),
            ("", "\"\""),
            ("a: b", "'a: b'"),
            ("a:", "'a:'"),
            ("a #b", "'a #b'"),
            ("a#b", "a#b"),
            ("*x", "'*x'"),
            ("- x", "'- x'"),
            ("-x", "-x"),
            ("?x", "?x"),
            ("%x", "'%x'"),
            ("--- x", "'--- x'"),
            ("<<", "<<"),
            (" x", "' x'"),
            ("x ", "'x '"),
            ("it's", "it's"),
            ("a\tb", "\"a\\tb\""),
            ("a\rb", "\"a\\rb\""),
            ("\u{7}\u{8}\u{c}\u{1}", "\"\\a\\b\\f\\x01\""),
            ("a\u{85}b", "\"a\\Nb\""),
            ("a\u{feff}b", "\"a\\uFEFFb\""),
            ("😀", "\"\\U0001F600\""),
            ("<a>&b", "<a>&b"),
            ("a\u{a0}b", "a\u{a0}b"),
        ];
        for (input, want) in cases {
            let mut out = String::new();
            write_string(&mut out, input, 8, false);
            assert_eq!(out, want, "for {input:?}");
        }
    }

    #[test]
    fn literal_blocks() {
        let v = json!({
            "a": "line1\nline2",
            "b": "line1\n\n",
            "c": " lead\nx\n",
            "d": "\n",
            "e": "\nx",
            "f": "a\tb\nc",
            "g": "line4 \nx",
            "h": ["x\n"],
        });
        let want = "a: |-\n  line1\n  line2\nb: |+\n  line1\n\nc: |2\n   lead\n  x\n\
                    d: |2+\ne: |2-\n  x\nf: |-\n  a\tb\n  c\ng: \"line4 \\nx\"\nh:\n  - |\n    x\n";
        assert_eq!(print_yaml(&v), want);
    }

    #[test]
    fn numbers() {
        assert_eq!(go_format_g(1.5), "1.5");
        assert_eq!(go_format_g(2.0), "2");
        assert_eq!(go_format_g(1e-5), "1e-05");
        assert_eq!(go_format_g(0.0001), "0.0001");
        assert_eq!(go_format_g(1e6), "1e+06");
        assert_eq!(go_format_g(123456.0), "123456");
        let n = |f: f64| json_number(&serde_json::Number::from_f64(f).unwrap());
        assert_eq!(n(0.00001), "0.00001");
        assert_eq!(n(1e-7), "1e-7");
        assert_eq!(n(2.0), "2");
        assert_eq!(n(1e21), "1e+21");
    }

    #[test]
    fn json_escapes() {
        let v = json!({"a": "<a>&b \u{7}\u{8}\u{c}\u{1} \u{2028} 😀 \"\\", "b": [], "c": {}});
        assert_eq!(
            print_json(&v),
            "{\n  \"a\": \"\\u003ca\\u003e\\u0026b \\u0007\\b\\f\\u0001 \\u2028 😀 \\\"\\\\\",\n  \"b\": [],\n  \"c\": {}\n}"
        );
    }
}
