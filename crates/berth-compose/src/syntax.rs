//! Compose's short syntaxes, turned into Compose v2's canonical long form.
//!
//! Every function here is pure: it takes one already-interpolated value and returns what
//! `docker compose config` (v2.26.1) prints for it, or a [`SyntaxError`] saying what was
//! expected. Long forms are `serde_json::Value` objects whose keys are in the order compose
//! prints them, with absent/zero fields left out the way compose leaves them out.
//!
//! Paths are *not* resolved here (bind sources stay relative, `~` stays `~`); the caller does
//! that. The caller also adds the file, line and key path to error messages.
//!
//! Behaviour was settled by running compose-v2 2.26.1; the table tests below record each case.

use serde_json::{Map, Value};
use std::time::Duration;

/// A short-syntax value that compose would reject. `message` is plain words without
/// file/key context.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SyntaxError {
    pub message: String,
}

fn err<T>(message: impl Into<String>) -> Result<T, SyntaxError> {
    Err(SyntaxError {
        message: message.into(),
    })
}

// ---------------------------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------------------------

const PORT_FORM: &str = "expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]";

/// Parses one short-syntax port entry into its long forms.
///
/// A range of container ports gives one entry per port. Like compose, the entries come out
/// sorted by the container port *as a string* (so `"98-101"` gives 100, 101, 98, 99). Each
/// entry is `{mode: "ingress", host_ip?, target, published?, protocol}`; `published` is a
/// string (a single port, or a `START-END` range when one container port is given a host range).
pub fn parse_port(spec: &str) -> Result<Vec<Value>, SyntaxError> {
    let parts: Vec<&str> = spec.split(':').collect();
    let n = parts.len();
    let last = parts[n - 1];
    let (ip_raw, host) = match n {
        1 => (String::new(), ""),
        2 => (String::new(), parts[0]),
        _ => (parts[..n - 2].join(":"), parts[n - 2]),
    };

    // CONTAINER_PORT[/PROTOCOL]; anything after a second '/' is ignored, as compose does.
    let (container, proto) = {
        let mut it = last.split('/');
        let first = it.next().unwrap_or("");
        let second = it.next();
        if first.is_empty() {
            ("", "")
        } else {
            match second {
                None | Some("") => (first, "tcp"),
                Some(p) => (first, p),
            }
        }
    };

    let host_ip = if ip_raw.is_empty() {
        String::new()
    } else {
        port_host_ip(spec, &ip_raw)?
    };

    if container.is_empty() {
        return err(format!(
            "{spec:?} is not a port mapping: no container port given ({PORT_FORM})"
        ));
    }
    let (start, end) = port_range(container).ok_or_else(|| SyntaxError {
        message: format!(
            "{spec:?} is not a port mapping: invalid container port {container:?} \
             (expected a port number 0-65535 or a range START-END)"
        ),
    })?;
    let host_range = if host.is_empty() {
        None
    } else {
        Some(port_range(host).ok_or_else(|| SyntaxError {
            message: format!(
                "{spec:?} is not a port mapping: invalid host port {host:?} \
                 (expected a port number 0-65535 or a range START-END)"
            ),
        })?)
    };
    if let Some((hs, he)) = host_range {
        if end - start != he - hs && start != end {
            return err(format!(
                "{spec:?} is not a port mapping: the host port range {host} and the container \
                 port range {container} have different lengths"
            ));
        }
    }
    let proto = proto.to_ascii_lowercase();
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return err(format!(
            "{spec:?} is not a port mapping: unknown protocol {proto:?} (expected tcp, udp or sctp)"
        ));
    }
    if start == 0 {
        return err(format!(
            "{spec:?} is not a port mapping: the container port must not be 0"
        ));
    }

    let mut entries: Vec<(String, Value)> = Vec::new();
    for i in 0..=(end - start) {
        let target = start + i;
        let published = host_range.map(|(hs, he)| {
            if start == end && hs != he {
                format!("{hs}-{he}")
            } else {
                (hs + i).to_string()
            }
        });
        let mut m = Map::new();
        m.insert("mode".into(), "ingress".into());
        if !host_ip.is_empty() {
            m.insert("host_ip".into(), host_ip.clone().into());
        }
        m.insert("target".into(), target.into());
        if let Some(p) = published {
            m.insert("published".into(), p.into());
        }
        m.insert("protocol".into(), proto.clone().into());
        entries.push((format!("{target}/{proto}"), Value::Object(m)));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(entries.into_iter().map(|(_, v)| v).collect())
}

/// A port entry written as a YAML integer (`ports: [80]`). Only whole numbers are accepted;
/// the result is the same as for the string form (`80` → one entry with target 80).
pub fn parse_port_number(v: &Value) -> Result<Vec<Value>, SyntaxError> {
    let text = match v {
        Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
        Value::String(s) => return parse_port(s),
        other => {
            return err(format!(
                "{other} is not a port (expected a whole port number or a port mapping string)"
            ))
        }
    };
    parse_port(&text)
}

/// `START` or `START-END` (a third `-part` is ignored, as compose does); decimal digits only.
fn port_range(s: &str) -> Option<(u32, u32)> {
    let mut it = s.split('-');
    let a = port_number(it.next()?)?;
    match it.next() {
        None => Some((a, a)),
        Some(b) => {
            let b = port_number(b)?;
            (b >= a).then_some((a, b))
        }
    }
}

fn port_number(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = s.trim_start_matches('0');
    if digits.len() > 5 {
        return None;
    }
    let n: u32 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    (n <= 65535).then_some(n)
}

/// The HOST_IP part: an IPv4 address, or any address in brackets; brackets are removed.
fn port_host_ip(spec: &str, ip: &str) -> Result<String, SyntaxError> {
    let bad = |why: &str| SyntaxError {
        message: format!(
            "{spec:?} is not a port mapping: host IP {ip:?} {why} ({PORT_FORM}; \
             write an IPv6 host IP in brackets, e.g. [::1]:80:80)"
        ),
    };
    let inner = if let Some(rest) = ip.strip_prefix('[') {
        match rest.strip_suffix(']') {
            Some(inner) if !inner.contains('[') && !inner.contains(']') => inner,
            _ => return Err(bad("has unbalanced brackets")),
        }
    } else if ip.contains(':') {
        return Err(bad("has too many colons"));
    } else if ip.contains('[') || ip.contains(']') {
        return Err(bad("has unbalanced brackets"));
    } else {
        ip
    };
    if !inner.is_empty() && inner.parse::<std::net::IpAddr>().is_err() {
        return Err(bad("is not an IP address"));
    }
    Ok(inner.to_string())
}

/// One `expose` entry. Compose keeps strings exactly as written (ranges are *not* expanded,
/// nothing is validated) and prints integers as strings.
pub fn normalize_expose(v: &Value) -> Result<String, SyntaxError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
        other => err(format!(
            "{other} is not an exposed port (expected a port number or a string such as \"3000\" or \"3000-3005/udp\")"
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Volumes
// ---------------------------------------------------------------------------------------------

const VOLUME_FORM: &str = "expected [SOURCE:]TARGET[:MODE]";

/// Parses a short-syntax service volume `[SOURCE:]TARGET[:MODE]` into the long form
/// `{type, source?, target, read_only?, bind?, volume?}`.
///
/// * `SOURCE` starting with `.`, `/`, `~`, `\\` or a Windows drive (`C:`) is a bind (with
///   `bind.create_host_path: true`); other sources are named volumes; no source is an anonymous
///   volume. Paths are left as written.
/// * A single letter followed by `:` is a Windows drive, not a separator (`C:\x:/data`).
/// * `MODE` is a comma list: `ro`/`rw` (last wins), `nocopy` (sets `volume.nocopy` even on a
///   bind), `z`/`Z` (`bind.selinux`), `rprivate`/`private`/`rshared`/`shared`/`rslave`/`slave`
///   (`bind.propagation`, also on a named volume); unknown options are ignored.
/// * Specs of one or two characters are taken whole as an anonymous volume's target and get no
///   `volume: {}` (a compose quirk).
pub fn parse_volume(spec: &str) -> Result<Value, SyntaxError> {
    if spec.is_empty() {
        return err(format!("empty volume ({VOLUME_FORM})"));
    }
    if spec.len() <= 2 {
        let mut m = Map::new();
        m.insert("type".into(), "volume".into());
        m.insert("target".into(), spec.into());
        return Ok(Value::Object(m));
    }

    let mut source: Option<String> = None;
    let mut target: Option<String> = None;
    let mut read_only = false;
    let mut nocopy = false;
    let mut selinux: Option<String> = None;
    let mut propagation: Option<String> = None;

    // Split on ':' except right after a lone letter (a Windows drive).
    let mut sections: Vec<String> = Vec::new();
    let mut buf = String::new();
    let mut buf_chars = 0usize;
    for c in spec.chars() {
        if c == ':' && !(buf_chars == 1 && buf.chars().all(char::is_alphabetic)) {
            sections.push(std::mem::take(&mut buf));
            buf_chars = 0;
        } else {
            buf.push(c);
            buf_chars += 1;
        }
    }
    sections.push(buf);
    let count = sections.len();
    for (i, section) in sections.into_iter().enumerate() {
        let is_last = i + 1 == count;
        if section.is_empty() {
            return err(format!(
                "invalid volume {spec:?}: empty section between colons ({VOLUME_FORM})"
            ));
        }
        if source.is_none() && is_last {
            target = Some(section);
        } else if source.is_none() {
            source = Some(section);
        } else if target.is_none() {
            target = Some(section);
        } else if !is_last {
            return err(format!(
                "invalid volume {spec:?}: too many colons ({VOLUME_FORM})"
            ));
        } else {
            for option in section.split(',') {
                match option {
                    "ro" => read_only = true,
                    "rw" => read_only = false,
                    "nocopy" => nocopy = true,
                    "z" | "Z" => selinux = Some(option.to_string()),
                    "rprivate" | "private" | "rshared" | "shared" | "rslave" | "slave" => {
                        propagation = Some(option.to_string())
                    }
                    _ => {}
                }
            }
        }
    }

    let is_bind = source.as_deref().is_some_and(is_file_path);
    let mut m = Map::new();
    m.insert(
        "type".into(),
        if is_bind { "bind" } else { "volume" }.into(),
    );
    if let Some(s) = source {
        m.insert("source".into(), s.into());
    }
    m.insert("target".into(), target.unwrap_or_default().into());
    if read_only {
        m.insert("read_only".into(), true.into());
    }
    if is_bind || selinux.is_some() || propagation.is_some() {
        let mut b = Map::new();
        if let Some(s) = selinux {
            b.insert("selinux".into(), s.into());
        }
        if let Some(p) = propagation {
            b.insert("propagation".into(), p.into());
        }
        if is_bind {
            b.insert("create_host_path".into(), true.into());
        }
        m.insert("bind".into(), Value::Object(b));
    }
    if !is_bind || nocopy {
        let mut v = Map::new();
        if nocopy {
            v.insert("nocopy".into(), true.into());
        }
        m.insert("volume".into(), Value::Object(v));
    }
    Ok(Value::Object(m))
}

/// Whether a short-syntax volume source is a host path (bind) rather than a volume name.
pub fn is_file_path(source: &str) -> bool {
    if source.starts_with(['.', '/', '~']) || source.starts_with("\\\\") {
        return true;
    }
    let mut chars = source.chars();
    match chars.next() {
        Some(first) => first.is_alphabetic() && source[first.len_utf8()..].starts_with(':'),
        None => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Durations (Go's time.ParseDuration / Duration.String)
// ---------------------------------------------------------------------------------------------

const DURATION_FORM: &str =
    "expected a Go duration such as \"90s\", \"1m30s\", \"1.5h\" or \"500ms\"; units are ns, us, ms, s, m, h";

/// Parses Go duration syntax (`"1m30s"`, `"1.5s"`, `"90us"`, `"-2h"`, `"0"`) into signed
/// nanoseconds, exactly as Go's `time.ParseDuration` does (including its truncation of
/// sub-nanosecond fractions and its range limit of about 292 years).
pub fn parse_duration_nanos(s: &str) -> Result<i64, SyntaxError> {
    let bad = || SyntaxError {
        message: format!("invalid duration {s:?} ({DURATION_FORM})"),
    };
    const LIMIT: u64 = 1 << 63;
    let mut rest = s;
    let mut neg = false;
    if let Some(r) = rest.strip_prefix('-') {
        neg = true;
        rest = r;
    } else if let Some(r) = rest.strip_prefix('+') {
        rest = r;
    }
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let b = rest.as_bytes();
        if !(b[0] == b'.' || b[0].is_ascii_digit()) {
            return Err(bad());
        }
        // Whole part.
        let int_len = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let mut whole: u64 = 0;
        for &c in &b[..int_len] {
            if whole > LIMIT / 10 {
                return Err(bad());
            }
            whole = whole * 10 + u64::from(c - b'0');
            if whole > LIMIT {
                return Err(bad());
            }
        }
        rest = &rest[int_len..];
        // Fraction: digits past the point where they would overflow are dropped.
        let mut frac: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut frac_len = 0;
        if let Some(r) = rest.strip_prefix('.') {
            rest = r;
            frac_len = rest.bytes().take_while(|c| c.is_ascii_digit()).count();
            let mut overflow = false;
            for &c in &rest.as_bytes()[..frac_len] {
                if overflow {
                    continue;
                }
                if frac > (LIMIT - 1) / 10 {
                    overflow = true;
                    continue;
                }
                let next = frac * 10 + u64::from(c - b'0');
                if next > LIMIT {
                    overflow = true;
                    continue;
                }
                frac = next;
                scale *= 10.0;
            }
            rest = &rest[frac_len..];
        }
        if int_len == 0 && frac_len == 0 {
            return Err(bad());
        }
        // Unit: everything up to the next digit or '.'.
        let unit_len = rest
            .bytes()
            .take_while(|c| !(*c == b'.' || c.is_ascii_digit()))
            .count();
        if unit_len == 0 {
            return err(format!(
                "invalid duration {s:?}: a number has no unit ({DURATION_FORM})"
            ));
        }
        let unit_text = &rest[..unit_len];
        rest = &rest[unit_len..];
        let unit: u64 = match unit_text {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return err(format!(
                    "invalid duration {s:?}: unknown unit {unit_text:?} ({DURATION_FORM})"
                ))
            }
        };
        if whole > LIMIT / unit {
            return Err(bad());
        }
        let mut v = whole * unit;
        if frac > 0 {
            // Go does this step in float64; doing the same keeps the truncation identical.
            v += (frac as f64 * (unit as f64 / scale)) as u64;
            if v > LIMIT {
                return Err(bad());
            }
        }
        total += v;
        if total > LIMIT {
            return Err(bad());
        }
    }
    if neg {
        Ok(-(total as i128) as i64)
    } else if total > LIMIT - 1 {
        Err(bad())
    } else {
        Ok(total as i64)
    }
}

/// Parses Go duration syntax into a [`Duration`]. Go allows negative durations (and compose
/// prints them back, e.g. `stop_grace_period: -1s`); a `Duration` cannot hold one, so they are
/// an error here. Use [`parse_duration_nanos`] to keep them.
pub fn parse_duration(s: &str) -> Result<Duration, SyntaxError> {
    let n = parse_duration_nanos(s)?;
    if n < 0 {
        return err(format!(
            "invalid duration {s:?}: it must not be negative ({DURATION_FORM})"
        ));
    }
    Ok(Duration::from_nanos(n as u64))
}

/// Go's `Duration.String()` for signed nanoseconds: `"1m30s"`, `"1h0m0s"`, `"1.5s"`,
/// `"500ms"`, `"90µs"` (U+00B5), `"0s"`, `"-1s"`.
pub fn format_go_duration_nanos(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let mut u = nanos.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        if u < 1_000 {
            out = format!("{u}ns");
        } else if u < 1_000_000 {
            let (w, f) = split_fraction(u, 3);
            out = format!("{w}{f}\u{b5}s");
        } else {
            let (w, f) = split_fraction(u, 6);
            out = format!("{w}{f}ms");
        }
    } else {
        let (secs, f) = split_fraction(u, 9);
        u = secs;
        out.insert_str(0, &format!("{}{f}s", u % 60));
        u /= 60;
        if u > 0 {
            out.insert_str(0, &format!("{}m", u % 60));
            u /= 60;
            if u > 0 {
                out.insert_str(0, &format!("{u}h"));
            }
        }
    }
    if nanos < 0 {
        out.insert(0, '-');
    }
    out
}

/// Go's `Duration.String()`: `"1m30s"`, `"1m0s"`, `"500ms"`, `"0s"`, `"1h0m0s"`.
/// Durations beyond Go's range (about 292 years) are clamped to its maximum.
pub fn format_go_duration(d: Duration) -> String {
    let n = i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
    format_go_duration_nanos(n)
}

/// What compose prints for a duration field: parsed and printed back in Go's form
/// (`"90s"` → `"1m30s"`, `"1500ms"` → `"1.5s"`, `"0"` → `"0s"`).
pub fn normalize_duration(s: &str) -> Result<String, SyntaxError> {
    parse_duration_nanos(s).map(format_go_duration_nanos)
}

/// Splits `v` into `v / 10^prec` and the fractional digits as ".ddd" with trailing zeros
/// removed ("" when they are all zero).
fn split_fraction(v: u64, prec: u32) -> (u64, String) {
    let p = 10u64.pow(prec);
    let frac = v % p;
    if frac == 0 {
        return (v / p, String::new());
    }
    let digits = format!("{frac:0width$}", width = prec as usize);
    (v / p, format!(".{}", digits.trim_end_matches('0')))
}

// ---------------------------------------------------------------------------------------------
// Byte sizes
// ---------------------------------------------------------------------------------------------

const BYTES_FORM: &str =
    "expected a number of bytes with an optional unit b, k, m, g, t or p (binary, e.g. \"512m\", \"1.5gb\", \"1GiB\")";

/// Parses a compose byte size (docker's `RAMInBytes`): digits with an optional fraction, an
/// optional single space, then an optional unit `k|m|g|t|p` (any case, powers of 1024), an
/// optional `i` and an optional `b`. `"1g"`, `"1.5gb"`, `"1GiB"`, `"100 k"`, `"1024"`.
/// Fractions are truncated to whole bytes (`"1.5"` → 1). Like compose on amd64, a size too
/// large for i64 becomes `i64::MIN`.
pub fn parse_bytes(s: &str) -> Result<i64, SyntaxError> {
    let bad = || SyntaxError {
        message: format!("invalid size {s:?} ({BYTES_FORM})"),
    };
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if digits(&mut i) == 0 {
        return Err(bad());
    }
    while i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return Err(bad());
        }
    }
    let number = &s[..i];
    if i < b.len() && b[i] == b' ' {
        i += 1;
    }
    let mut multiplier: f64 = 1.0;
    if i < b.len() {
        let power = match b[i].to_ascii_lowercase() {
            b'k' => Some(1),
            b'm' => Some(2),
            b'g' => Some(3),
            b't' => Some(4),
            b'p' => Some(5),
            _ => None,
        };
        if let Some(p) = power {
            multiplier = 1024f64.powi(p);
            i += 1;
        }
    }
    if i < b.len() && b[i].eq_ignore_ascii_case(&b'i') {
        i += 1;
    }
    if i < b.len() && b[i].eq_ignore_ascii_case(&b'b') {
        i += 1;
    }
    if i != b.len() {
        return Err(bad());
    }
    let value: f64 = number.parse().map_err(|_| SyntaxError {
        message: format!("invalid size {s:?}: {number:?} is not a number ({BYTES_FORM})"),
    })?;
    if !value.is_finite() {
        return Err(bad());
    }
    Ok(go_f64_to_i64(value * multiplier))
}

/// Go's float64 → int64 conversion as it behaves on amd64: truncation, and `i64::MIN` for
/// anything out of range.
fn go_f64_to_i64(f: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if !(-TWO_63..TWO_63).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

/// A byte-size field as it appears in the file (`mem_limit`, `shm_size`, `tmpfs.size`, ...).
/// Integers are taken as bytes unchanged (even negative ones), strings go through
/// [`parse_bytes`]. Compose silently turns a YAML float (`mem_limit: 1.5`) into 0, which it
/// then omits; this returns `Ok(0)` for a float to match. `config` prints a non-zero result
/// as a string of digits and omits 0.
pub fn parse_bytes_value(v: &Value) -> Result<i64, SyntaxError> {
    match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(i)
            } else if n.is_u64() {
                Ok(i64::MIN)
            } else {
                Ok(0)
            }
        }
        Value::String(s) => parse_bytes(s),
        other => err(format!("{other} is not a size ({BYTES_FORM})")),
    }
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

/// Splits a `command`/`entrypoint` string into argv the way compose does (it uses
/// mattn/go-shellwords, which is *not* POSIX):
///
/// * blanks are space, tab, CR and LF; `""` and `''` make an empty argument;
/// * a backslash outside single quotes escapes the next character, inside double quotes too
///   (`"a\nb"` → `anb`);
/// * the line ends at the first unquoted `;`, `&`, `|`, `<` or `>`, and the rest is dropped
///   (`echo a && echo b` → `[echo, a]`); before `>` an argument starting with a digit is
///   dropped too (`echo 2>f` → `[echo]`);
/// * `` `...` `` and `$(...)` are kept verbatim as part of an argument, blanks included;
///   an unquoted `(` not after `$`, or `)` outside `$(`, is an error;
/// * nothing is expanded (`$HOME`, `~`, `*` stay as written);
/// * an empty or all-blank string gives `[]`.
pub fn split_command(s: &str) -> Result<Vec<String>, SyntaxError> {
    let bad = |why: &str| {
        SyntaxError {
        message: format!(
            "cannot split command {s:?} into arguments: {why} (write it as a list to avoid shell-style parsing)"
        ),
    }
    };
    let mut args = Vec::new();
    let mut buf = String::new();
    let mut have_arg = false;
    let (mut escaped, mut dq, mut sq, mut bq, mut dollar) = (false, false, false, false, false);
    for c in s.chars() {
        if escaped {
            buf.push(c);
            escaped = false;
            have_arg = true;
            continue;
        }
        if c == '\\' {
            if sq {
                buf.push(c);
            } else {
                escaped = true;
            }
            continue;
        }
        if matches!(c, ' ' | '\t' | '\r' | '\n') {
            if sq || dq || bq || dollar {
                buf.push(c);
            } else if have_arg {
                args.push(std::mem::take(&mut buf));
                have_arg = false;
            }
            continue;
        }
        match c {
            '`' if !sq && !dq && !dollar => bq = !bq,
            ')' if !sq && !dq && !bq => {
                if !dollar {
                    return Err(bad("unmatched ')'"));
                }
                dollar = false;
            }
            '(' if !sq && !dq && !bq => {
                if !dollar && buf.ends_with('$') {
                    dollar = true;
                    buf.push(c);
                    continue;
                }
                return Err(bad("unexpected '('"));
            }
            '"' if !sq && !dollar => {
                if dq {
                    have_arg = true;
                }
                dq = !dq;
                continue;
            }
            '\'' if !dq && !dollar => {
                if sq {
                    have_arg = true;
                }
                sq = !sq;
                continue;
            }
            ';' | '&' | '|' | '<' | '>' if !(sq || dq || bq || dollar) => {
                if c == '>' && buf.starts_with(|d: char| d.is_ascii_digit()) {
                    have_arg = false;
                }
                break;
            }
            _ => {}
        }
        have_arg = true;
        buf.push(c);
    }
    if have_arg {
        args.push(buf);
    }
    if escaped {
        return Err(bad("it ends with a backslash"));
    }
    if sq || dq {
        return Err(bad("a quote is not closed"));
    }
    if bq || dollar {
        return Err(bad("a ` or $( is not closed"));
    }
    Ok(args)
}

/// `healthcheck.test` given as a string: compose runs it through the shell.
pub fn healthcheck_test_from_string(s: &str) -> Vec<String> {
    vec!["CMD-SHELL".to_string(), s.to_string()]
}

// ---------------------------------------------------------------------------------------------
// extra_hosts, devices, environment
// ---------------------------------------------------------------------------------------------

/// One list-form `extra_hosts` entry: `host=ip` or `host:ip` (split at the first `=` if there
/// is one, else at the first `:`, so `host:::1` gives `::1`). Brackets around the IP are
/// removed (`[::1]` → `::1`). The IP is not validated (`host-gateway`, even empty, pass).
/// Compose prints each as `host=ip`, and sorts the whole list.
pub fn parse_extra_host(s: &str) -> Result<(String, String), SyntaxError> {
    let (host, ip) = s
        .split_once('=')
        .or_else(|| s.split_once(':'))
        .ok_or_else(|| SyntaxError {
            message: format!(
                "invalid extra host {s:?}: no IP address (expected HOST=IP or HOST:IP)"
            ),
        })?;
    extra_host_pair(host, ip)
}

/// One map-form `extra_hosts` entry (`host: ip`): checks the host name and removes brackets
/// around the IP, like [`parse_extra_host`].
pub fn extra_host_pair(host: &str, ip: &str) -> Result<(String, String), SyntaxError> {
    if host.is_empty() || host.contains([':', '=']) {
        return err(format!(
            "invalid extra host name {host:?} (expected a host name without ':' or '=', as in HOST=IP)"
        ));
    }
    let ip = if ip.len() > 2 && ip.starts_with('[') && ip.ends_with(']') {
        &ip[1..ip.len() - 1]
    } else {
        ip
    };
    Ok((host.to_string(), ip.to_string()))
}

/// A short-syntax device `SOURCE[:TARGET[:PERMISSIONS]]` → `{source, target, permissions}`.
/// Compose validates none of the parts: an empty or missing target is the source, missing
/// permissions are `rwm`, an empty one is left out, and `"/dev/a:rwm"` means *target* `rwm`.
/// Empty strings are left out of the object.
pub fn parse_device(s: &str) -> Result<Value, SyntaxError> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() > 3 {
        return err(format!(
            "invalid device {s:?}: too many colons (expected SOURCE[:TARGET[:PERMISSIONS]], or use the long syntax)"
        ));
    }
    let source = parts[0];
    let target = match parts.get(1) {
        Some(t) if !t.is_empty() => t,
        _ => source,
    };
    let permissions = parts.get(2).copied().unwrap_or("rwm");
    let mut m = Map::new();
    for (k, v) in [
        ("source", source),
        ("target", target),
        ("permissions", permissions),
    ] {
        if !v.is_empty() {
            m.insert(k.into(), v.into());
        }
    }
    Ok(Value::Object(m))
}

/// A list-form `environment`/`labels`/`args` entry: `"K=V"` → `(K, Some(V))` split at the
/// first `=`, `"K"` → `(K, None)`. Nothing is trimmed.
pub fn split_env_entry(s: &str) -> (String, Option<String>) {
    match s.split_once('=') {
        Some((k, v)) => (k.to_string(), Some(v.to_string())),
        None => (s.to_string(), None),
    }
}

// ---------------------------------------------------------------------------------------------
// ulimits, device counts, secrets/configs
// ---------------------------------------------------------------------------------------------

/// Go's `strconv.Atoi`: optional sign, decimal digits, nothing else. Compose uses it when a
/// string stands where an integer is expected (after interpolation).
pub fn parse_go_int(s: &str) -> Result<i64, SyntaxError> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return err(format!("{s:?} is not a whole number"));
    }
    s.parse::<i64>().map_err(|_| SyntaxError {
        message: format!("{s:?} is out of range for a whole number"),
    })
}

fn int_of(v: &Value, what: &str) -> Result<i64, SyntaxError> {
    match v {
        Value::Number(n) if n.is_i64() => Ok(n.as_i64().unwrap_or_default()),
        Value::String(s) => parse_go_int(s).map_err(|e| SyntaxError {
            message: format!("{what}: {}", e.message),
        }),
        other => err(format!("{what}: {other} is not a whole number")),
    }
}

/// One `ulimits` entry: a single number (`nproc: 65535`) stays a number, `{soft, hard}` stays
/// an object; numeric strings become numbers; zeros are left out (`nproc: 0` → `{}`).
pub fn normalize_ulimit(v: &Value) -> Result<Value, SyntaxError> {
    match v {
        Value::Object(o) => {
            let mut m = Map::new();
            for key in ["soft", "hard"] {
                let n = match o.get(key) {
                    Some(x) => int_of(x, &format!("ulimit {key}"))?,
                    None => {
                        return err(format!(
                            "a ulimit given as a mapping needs both soft and hard (missing {key})"
                        ))
                    }
                };
                if n != 0 {
                    m.insert(key.into(), n.into());
                }
            }
            Ok(Value::Object(m))
        }
        other => {
            let n = int_of(other, "ulimit")?;
            Ok(if n == 0 {
                Value::Object(Map::new())
            } else {
                n.into()
            })
        }
    }
}

/// The `count` of a device request (`deploy.resources.reservations.devices[].count`,
/// `gpus[].count`): `"all"` is -1, numbers and numeric strings are themselves.
pub fn parse_device_count(v: &Value) -> Result<i64, SyntaxError> {
    match v {
        Value::String(s) if s == "all" => Ok(-1),
        Value::String(s) => parse_go_int(s).map_err(|_| SyntaxError {
            message: format!("invalid device count {s:?} (expected \"all\" or a number)"),
        }),
        Value::Number(n) if n.is_i64() => Ok(n.as_i64().unwrap_or_default()),
        other => err(format!(
            "invalid device count {other} (expected \"all\" or a number)"
        )),
    }
}

/// `gpus: all` → `[{count: -1}]`.
pub fn gpus_all() -> Value {
    serde_json::json!([{ "count": -1 }])
}

/// A short-syntax service secret (`- name`): `{source, target: /run/secrets/<name>}`.
/// (Compose fills the same default target into long-form service secrets without one; build
/// secrets get no default.)
pub fn short_secret(name: &str) -> Value {
    serde_json::json!({ "source": name, "target": format!("/run/secrets/{name}") })
}

/// A short-syntax config or build secret (`- name`): `{source}` with no default target.
pub fn short_config(name: &str) -> Value {
    serde_json::json!({ "source": name })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn port(mode_ip: Option<&str>, target: u32, published: Option<&str>, proto: &str) -> Value {
        let mut m = Map::new();
        m.insert("mode".into(), "ingress".into());
        if let Some(ip) = mode_ip {
            m.insert("host_ip".into(), ip.into());
        }
        m.insert("target".into(), target.into());
        if let Some(p) = published {
            m.insert("published".into(), p.into());
        }
        m.insert("protocol".into(), proto.into());
        Value::Object(m)
    }

    /// Compares values *and* key order (serde_json's `==` ignores order).
    fn same(a: &Value, b: &Value) -> bool {
        serde_json::to_string(a).unwrap() == serde_json::to_string(b).unwrap()
    }

    fn check_ports(spec: &str, want: Vec<Value>) {
        let got = parse_port(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
        assert!(
            same(&Value::Array(got.clone()), &Value::Array(want.clone())),
            "{spec}:\n got  {}\n want {}",
            Value::Array(got),
            Value::Array(want)
        );
    }

    // Corpus p-ports-forms and cg-full-example-no-consistency.
    #[test]
    fn ports_corpus_forms() {
        check_ports("3000", vec![port(None, 3000, None, "tcp")]);
        check_ports(
            "3001-3003",
            (3001..=3003).map(|p| port(None, p, None, "tcp")).collect(),
        );
        check_ports(
            "3001-3005",
            (3001..=3005).map(|p| port(None, p, None, "tcp")).collect(),
        );
        check_ports("8000:8000", vec![port(None, 8000, Some("8000"), "tcp")]);
        check_ports("49100:22", vec![port(None, 22, Some("49100"), "tcp")]);
        check_ports(
            "9090-9091:8080-8081",
            vec![
                port(None, 8080, Some("9090"), "tcp"),
                port(None, 8081, Some("9091"), "tcp"),
            ],
        );
        check_ports(
            "127.0.0.1:8001:8001",
            vec![port(Some("127.0.0.1"), 8001, Some("8001"), "tcp")],
        );
        check_ports(
            "127.0.0.1:5000-5001:5000-5001",
            vec![
                port(Some("127.0.0.1"), 5000, Some("5000"), "tcp"),
                port(Some("127.0.0.1"), 5001, Some("5001"), "tcp"),
            ],
        );
        check_ports(
            "127.0.0.1:5000-5010:5000-5010",
            (5000..=5010)
                .map(|p| port(Some("127.0.0.1"), p, Some(&p.to_string()), "tcp"))
                .collect(),
        );
        check_ports("6060:6060/udp", vec![port(None, 6060, Some("6060"), "udp")]);
        check_ports(
            "[::1]:6001:6001",
            vec![port(Some("::1"), 6001, Some("6001"), "tcp")],
        );
        check_ports(
            "127.0.0.1::7000",
            vec![port(Some("127.0.0.1"), 7000, None, "tcp")],
        );
        // The exact JSON of one corpus entry, key order included.
        let got = parse_port("127.0.0.1:8001:8001").unwrap();
        assert_eq!(
            serde_json::to_string(&got[0]).unwrap(),
            r#"{"mode":"ingress","host_ip":"127.0.0.1","target":8001,"published":"8001","protocol":"tcp"}"#
        );
    }

    // Observed with compose-v2 2.26.1.
    #[test]
    fn ports_observed_edge_cases() {
        check_ports("80/sctp", vec![port(None, 80, None, "sctp")]);
        check_ports("80/TCP", vec![port(None, 80, None, "tcp")]);
        check_ports("80/Udp", vec![port(None, 80, None, "udp")]);
        check_ports("80/", vec![port(None, 80, None, "tcp")]);
        check_ports("80:80/udp/x", vec![port(None, 80, Some("80"), "udp")]);
        check_ports(
            "1.2.3.4:80:80/udp",
            vec![port(Some("1.2.3.4"), 80, Some("80"), "udp")],
        );
        check_ports("[::]:80:80", vec![port(Some("::"), 80, Some("80"), "tcp")]);
        check_ports(
            "[1.2.3.4]:80:80",
            vec![port(Some("1.2.3.4"), 80, Some("80"), "tcp")],
        );
        check_ports(
            "[0:0:0:0:0:0:0:1]:80:80",
            vec![port(Some("0:0:0:0:0:0:0:1"), 80, Some("80"), "tcp")],
        );
        check_ports(
            "[::ffff:1.2.3.4]:80:80",
            vec![port(Some("::ffff:1.2.3.4"), 80, Some("80"), "tcp")],
        );
        check_ports("[]:80:80", vec![port(None, 80, Some("80"), "tcp")]);
        check_ports("0.0.0.0::80", vec![port(Some("0.0.0.0"), 80, None, "tcp")]);
        check_ports(":80", vec![port(None, 80, None, "tcp")]);
        check_ports("0:80", vec![port(None, 80, Some("0"), "tcp")]);
        check_ports("080", vec![port(None, 80, None, "tcp")]);
        check_ports("080:080", vec![port(None, 80, Some("80"), "tcp")]);
        check_ports("65535:65535", vec![port(None, 65535, Some("65535"), "tcp")]);
        // One container port with a host range: the range is published as is.
        check_ports(
            "8000-8001:80",
            vec![port(None, 80, Some("8000-8001"), "tcp")],
        );
        check_ports(
            "08000-08001:80",
            vec![port(None, 80, Some("8000-8001"), "tcp")],
        );
        check_ports(
            "8000-8001:80/udp",
            vec![port(None, 80, Some("8000-8001"), "udp")],
        );
        check_ports("8000-8000:80", vec![port(None, 80, Some("8000"), "tcp")]);
        // Sorted as strings, like compose.
        check_ports(
            "98-101",
            [100, 101, 98, 99]
                .into_iter()
                .map(|p| port(None, p, None, "tcp"))
                .collect(),
        );
        check_ports(
            "9-10:9-10",
            vec![
                port(None, 10, Some("10"), "tcp"),
                port(None, 9, Some("9"), "tcp"),
            ],
        );
        // A third range part is ignored.
        check_ports(
            "1-2-3",
            vec![port(None, 1, None, "tcp"), port(None, 2, None, "tcp")],
        );
    }

    #[test]
    fn ports_errors() {
        // (spec, compose-v2's message, a phrase ours must contain)
        let cases = [
            (
                "80:80:80:80",
                "Invalid ip address 80:80: ... too many colons",
                "host IP \"80:80\"",
            ),
            (
                "::1:80:80",
                "Invalid ip address ::1: ... too many colons",
                "in brackets",
            ),
            (
                "foo:80:80",
                "Invalid ip address: foo",
                "is not an IP address",
            ),
            (
                "localhost:80:80",
                "Invalid ip address: localhost",
                "is not an IP address",
            ),
            (
                "01.2.3.4:80:80",
                "Invalid ip address: 01.2.3.4",
                "is not an IP address",
            ),
            (
                "[fe80::1%eth0]:80:80",
                "Invalid ip address: fe80::1%eth0",
                "is not an IP address",
            ),
            (
                "[::1]x:80:80",
                "Invalid ip address [::1]x: missing port",
                "brackets",
            ),
            ("1.2.3.4]:80:80", "unexpected ']' in address", "brackets"),
            ("[::1]:80", "Invalid ip address [:: missing ']'", "brackets"),
            ("a:b:c/udp", "Invalid ip address: a", "is not an IP address"),
            ("foo::", "Invalid ip address: foo", "is not an IP address"),
            (
                "abc",
                "Invalid containerPort: abc",
                "invalid container port \"abc\"",
            ),
            (
                " 80",
                "Invalid containerPort:  80",
                "invalid container port",
            ),
            (
                "0x50",
                "Invalid containerPort: 0x50",
                "invalid container port",
            ),
            (
                "+80",
                "Invalid containerPort: +80",
                "invalid container port",
            ),
            (
                "1_0",
                "Invalid containerPort: 1_0",
                "invalid container port",
            ),
            ("-1", "Invalid containerPort: -1", "invalid container port"),
            (
                "-80",
                "Invalid containerPort: -80",
                "invalid container port",
            ),
            (
                "80-",
                "Invalid containerPort: 80-",
                "invalid container port",
            ),
            (
                "80-70",
                "Invalid containerPort: 80-70",
                "invalid container port",
            ),
            (
                "65536",
                "Invalid containerPort: 65536",
                "invalid container port",
            ),
            (
                "1.2.3.4:80:x",
                "Invalid containerPort: x",
                "invalid container port",
            ),
            (
                "70000:80",
                "Invalid hostPort: 70000",
                "invalid host port \"70000\"",
            ),
            (
                "1.2.3.4:80",
                "Invalid hostPort: 1.2.3.4",
                "invalid host port",
            ),
            ("1.2.3.4:x:80", "Invalid hostPort: x", "invalid host port"),
            ("", "No port specified: <empty>", "no container port"),
            ("80:", "No port specified: 80:<empty>", "no container port"),
            (
                "/udp",
                "No port specified: /udp<empty>",
                "no container port",
            ),
            ("1.2.3.4::", "No port specified", "no container port"),
            (
                "8000-8002:80-81",
                "Invalid ranges specified",
                "different lengths",
            ),
            ("80/xyz", "Invalid proto: xyz", "unknown protocol \"xyz\""),
            ("0", "is missing a target port", "must not be 0"),
            ("80:0", "is missing a target port", "must not be 0"),
        ];
        for (spec, _compose, phrase) in cases {
            let e = parse_port(spec).expect_err(spec);
            assert!(e.message.contains(phrase), "{spec}: {}", e.message);
            assert!(e
                .message
                .starts_with(&format!("{spec:?} is not a port mapping")));
        }
    }

    #[test]
    fn port_numbers() {
        check_ports("3000", parse_port_number(&json!(3000)).unwrap());
        assert!(same(
            &Value::Array(parse_port_number(&json!(3000)).unwrap()),
            &json!([{"mode": "ingress", "target": 3000, "protocol": "tcp"}])
        ));
        for bad in [json!(70000), json!(-1), json!(0), json!(80.5), json!(true)] {
            assert!(parse_port_number(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn expose_entries() {
        // Corpus p-ports-forms: ["3000", 4000, "5000-5002"] → strings, range kept.
        assert_eq!(normalize_expose(&json!("3000")).unwrap(), "3000");
        assert_eq!(normalize_expose(&json!(4000)).unwrap(), "4000");
        assert_eq!(normalize_expose(&json!("5000-5002")).unwrap(), "5000-5002");
        // Not validated by compose.
        for s in ["abc", " 80", "80/udp"] {
            assert_eq!(normalize_expose(&json!(s)).unwrap(), s);
        }
        assert_eq!(normalize_expose(&json!(-1)).unwrap(), "-1");
        assert_eq!(normalize_expose(&json!(70000)).unwrap(), "70000");
        assert!(normalize_expose(&json!(1.5)).is_err());
    }

    fn check_volume(spec: &str, want: Value) {
        let got = parse_volume(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
        assert!(same(&got, &want), "{spec}:\n got  {got}\n want {want}");
    }

    // Corpus p-volumes-forms and cg-full-example-no-consistency (paths left unresolved).
    #[test]
    fn volumes_corpus_forms() {
        check_volume(
            "data:/data",
            json!({"type": "volume", "source": "data", "target": "/data", "volume": {}}),
        );
        check_volume(
            "./rel:/rel:ro",
            json!({"type": "bind", "source": "./rel", "target": "/rel", "read_only": true,
                   "bind": {"create_host_path": true}}),
        );
        check_volume(
            "/abs:/abs:rw,z",
            json!({"type": "bind", "source": "/abs", "target": "/abs",
                   "bind": {"selinux": "z", "create_host_path": true}}),
        );
        check_volume(
            "~/home:/home",
            json!({"type": "bind", "source": "~/home", "target": "/home",
                   "bind": {"create_host_path": true}}),
        );
        check_volume(
            "/anon",
            json!({"type": "volume", "target": "/anon", "volume": {}}),
        );
        check_volume(
            "../up:/up",
            json!({"type": "bind", "source": "../up", "target": "/up",
                   "bind": {"create_host_path": true}}),
        );
        check_volume(
            "data:/nocopy:nocopy",
            json!({"type": "volume", "source": "data", "target": "/nocopy",
                   "volume": {"nocopy": true}}),
        );
        check_volume(
            "/var/lib/anonymous",
            json!({"type": "volume", "target": "/var/lib/anonymous", "volume": {}}),
        );
        check_volume(
            "/opt/data:/var/lib/data",
            json!({"type": "bind", "source": "/opt/data", "target": "/var/lib/data",
                   "bind": {"create_host_path": true}}),
        );
        check_volume(
            ".:/code",
            json!({"type": "bind", "source": ".", "target": "/code",
                   "bind": {"create_host_path": true}}),
        );
        check_volume(
            "./static:/var/www/html",
            json!({"type": "bind", "source": "./static", "target": "/var/www/html",
                   "bind": {"create_host_path": true}}),
        );
        check_volume(
            "~/configs:/etc/configs:ro",
            json!({"type": "bind", "source": "~/configs", "target": "/etc/configs",
                   "read_only": true, "bind": {"create_host_path": true}}),
        );
        check_volume(
            "datavolume:/var/lib/volume",
            json!({"type": "volume", "source": "datavolume", "target": "/var/lib/volume",
                   "volume": {}}),
        );
    }

    // Observed with compose-v2 2.26.1.
    #[test]
    fn volumes_observed_edge_cases() {
        // One or two characters: a target only, and no `volume: {}`.
        check_volume("/a", json!({"type": "volume", "target": "/a"}));
        check_volume("ab", json!({"type": "volume", "target": "ab"}));
        check_volume("::", json!({"type": "volume", "target": "::"}));
        check_volume(
            "abc",
            json!({"type": "volume", "target": "abc", "volume": {}}),
        );
        check_volume(
            "data",
            json!({"type": "volume", "target": "data", "volume": {}}),
        );
        // nocopy on a bind, bind options on a volume: both objects appear.
        check_volume(
            "./x:/y:nocopy",
            json!({"type": "bind", "source": "./x", "target": "/y",
                   "bind": {"create_host_path": true}, "volume": {"nocopy": true}}),
        );
        check_volume(
            "data:/y:z",
            json!({"type": "volume", "source": "data", "target": "/y",
                   "bind": {"selinux": "z"}, "volume": {}}),
        );
        check_volume(
            "data:/y:nocopy,rshared",
            json!({"type": "volume", "source": "data", "target": "/y",
                   "bind": {"propagation": "rshared"}, "volume": {"nocopy": true}}),
        );
        check_volume(
            "data:/y:z,nocopy",
            json!({"type": "volume", "source": "data", "target": "/y",
                   "bind": {"selinux": "z"}, "volume": {"nocopy": true}}),
        );
        // Last of ro/rw wins; unknown or differently-cased options are ignored.
        check_volume(
            "data:/y:ro,rw",
            json!({"type": "volume", "source": "data", "target": "/y", "volume": {}}),
        );
        check_volume(
            "data:/y:rw,ro",
            json!({"type": "volume", "source": "data", "target": "/y", "read_only": true,
                   "volume": {}}),
        );
        check_volume(
            "data:/y:bogus",
            json!({"type": "volume", "source": "data", "target": "/y", "volume": {}}),
        );
        check_volume(
            "data:/y:Ro",
            json!({"type": "volume", "source": "data", "target": "/y", "volume": {}}),
        );
        check_volume(
            "data:/y:nocopy,rw",
            json!({"type": "volume", "source": "data", "target": "/y",
                   "volume": {"nocopy": true}}),
        );
        check_volume(
            "/x:/y:shared,Z,ro",
            json!({"type": "bind", "source": "/x", "target": "/y", "read_only": true,
                   "bind": {"selinux": "Z", "propagation": "shared", "create_host_path": true}}),
        );
        check_volume(
            "/x:/y:rprivate,private",
            json!({"type": "bind", "source": "/x", "target": "/y",
                   "bind": {"propagation": "private", "create_host_path": true}}),
        );
        check_volume(
            "/x:/y:rslave,slave,rshared",
            json!({"type": "bind", "source": "/x", "target": "/y",
                   "bind": {"propagation": "rshared", "create_host_path": true}}),
        );
        check_volume(
            "/x:/y:ro,,Z",
            json!({"type": "bind", "source": "/x", "target": "/y", "read_only": true,
                   "bind": {"selinux": "Z", "create_host_path": true}}),
        );
        check_volume(
            "/x:/y:ro,",
            json!({"type": "bind", "source": "/x", "target": "/y", "read_only": true,
                   "bind": {"create_host_path": true}}),
        );
        // Relative targets are not rejected here.
        check_volume(
            "data:rel",
            json!({"type": "volume", "source": "data", "target": "rel", "volume": {}}),
        );
        check_volume(
            "/x:rel",
            json!({"type": "bind", "source": "/x", "target": "rel",
                   "bind": {"create_host_path": true}}),
        );
        check_volume(
            "~:/h",
            json!({"type": "bind", "source": "~", "target": "/h",
                   "bind": {"create_host_path": true}}),
        );
        check_volume(
            "..:/h",
            json!({"type": "bind", "source": "..", "target": "/h",
                   "bind": {"create_host_path": true}}),
        );
        // Windows drives and named pipes.
        check_volume(
            r"C:\foo:/data",
            json!({"type": "bind", "source": r"C:\foo", "target": "/data",
                   "bind": {"create_host_path": true}}),
        );
        check_volume(
            "C:/foo:/data:ro",
            json!({"type": "bind", "source": "C:/foo", "target": "/data", "read_only": true,
                   "bind": {"create_host_path": true}}),
        );
        check_volume(
            r"c:\x:d:\y:ro",
            json!({"type": "bind", "source": r"c:\x", "target": r"d:\y", "read_only": true,
                   "bind": {"create_host_path": true}}),
        );
        check_volume(
            r"\\.\pipe\x:\\.\pipe\x",
            json!({"type": "bind", "source": r"\\.\pipe\x", "target": r"\\.\pipe\x",
                   "bind": {"create_host_path": true}}),
        );
        check_volume(
            r"data:C:\x",
            json!({"type": "volume", "source": "data", "target": r"C:\x", "volume": {}}),
        );
        // A drive letter swallows the colon: "a:/y" is one anonymous target.
        check_volume(
            "a:/y",
            json!({"type": "volume", "target": "a:/y", "volume": {}}),
        );
        check_volume(
            "é:/y",
            json!({"type": "volume", "target": "é:/y", "volume": {}}),
        );
        check_volume(
            "a:b:c:d",
            json!({"type": "bind", "source": "a:b", "target": "c:d",
                   "bind": {"create_host_path": true}}),
        );
    }

    #[test]
    fn volumes_errors() {
        // compose: "invalid empty volume spec", "invalid spec: X: empty section between
        // colons", "invalid spec: X: too many colons".
        for (spec, phrase) in [
            ("", "empty volume"),
            ("data::ro", "empty section between colons"),
            ("data:/y:", "empty section between colons"),
            (":/y", "empty section between colons"),
            (":/text_file.txt", "empty section between colons"),
            ("data:/y:ro:x", "too many colons"),
        ] {
            let e = parse_volume(spec).expect_err(spec);
            assert!(e.message.contains(phrase), "{spec}: {}", e.message);
        }
    }

    #[test]
    fn file_paths() {
        for s in [
            ".",
            "./a",
            "../a",
            "/a",
            "~",
            "~/a",
            r"\\host\share",
            "C:",
            r"C:\x",
            "é:x",
        ] {
            assert!(is_file_path(s), "{s}");
        }
        for s in ["", "data", "a", "ab:c", "C", "1:x"] {
            assert!(!is_file_path(s), "{s}");
        }
    }

    #[test]
    fn durations_parse_like_go() {
        let ok = [
            ("0", 0i64),
            ("-0", 0),
            ("+0", 0),
            ("0s", 0),
            ("0h0m", 0),
            ("1m30s", 90_000_000_000),
            ("90s", 90_000_000_000),
            ("1.5s", 1_500_000_000),
            (".5s", 500_000_000),
            ("5.s", 5_000_000_000),
            ("90us", 90_000),
            ("1\u{b5}s", 1_000),
            ("1\u{3bc}s", 1_000),
            ("1ns", 1),
            ("500ms", 500_000_000),
            ("1500ms", 1_500_000_000),
            ("2h45m", 9_900_000_000_000),
            ("1h1h", 7_200_000_000_000),
            ("1.5h", 5_400_000_000_000),
            ("-1s", -1_000_000_000),
            ("+5s", 5_000_000_000),
            ("0.0000000001s", 0),
            ("1.0000000009s", 1_000_000_000),
            ("3h2m1.000001s", 10_921_000_001_000),
            ("2562047h", 2_562_047 * 3_600_000_000_000),
            ("9223372036854775807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
        ];
        for (s, want) in ok {
            assert_eq!(parse_duration_nanos(s), Ok(want), "{s}");
        }
        // compose-v2 (Go) messages: missing unit / unknown unit " s" / invalid duration.
        for (s, phrase) in [
            ("5", "has no unit"),
            ("", "invalid duration \"\""),
            ("-", "invalid duration"),
            (".", "invalid duration"),
            ("5 s", "unknown unit \" s\""),
            ("5 seconds", "unknown unit \" seconds\""),
            (" 5s", "invalid duration"),
            ("5S", "unknown unit \"S\""),
            ("1d", "unknown unit \"d\""),
            ("00", "has no unit"),
            ("2562048h", "invalid duration"),
            ("9223372036854775808ns", "invalid duration"),
            ("1s-1s", "unknown unit \"s-\""),
        ] {
            let e = parse_duration_nanos(s).expect_err(s);
            assert!(e.message.contains(phrase), "{s}: {}", e.message);
        }
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn durations_format_like_go() {
        let cases = [
            (0i64, "0s"),
            (1, "1ns"),
            (999, "999ns"),
            (1_000, "1\u{b5}s"),
            (1_500, "1.5\u{b5}s"),
            (90_000, "90\u{b5}s"),
            (1_000_000, "1ms"),
            (500_000_000, "500ms"),
            (1_500_000_000, "1.5s"),
            (60_000_000_000, "1m0s"),
            (90_000_000_000, "1m30s"),
            (60_500_000_000, "1m0.5s"),
            (3_600_000_000_000, "1h0m0s"),
            (10_921_000_001_000, "3h2m1.000001s"),
            (-1_000_000_000, "-1s"),
            (i64::MAX, "2562047h47m16.854775807s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
        ];
        for (n, want) in cases {
            assert_eq!(format_go_duration_nanos(n), want, "{n}");
        }
        assert_eq!(format_go_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(format_go_duration(Duration::from_millis(500)), "500ms");
        assert_eq!(format_go_duration(Duration::ZERO), "0s");
    }

    // Corpus: healthcheck/stop_grace_period kept as given when already canonical; deploy
    // durations 60s → "1m0s", 120s → "2m0s". Observed: compose normalises all of them.
    #[test]
    fn durations_normalize_like_compose() {
        for (s, want) in [
            ("1m30s", "1m30s"),
            ("10s", "10s"),
            ("40s", "40s"),
            ("60s", "1m0s"),
            ("120s", "2m0s"),
            ("90s", "1m30s"),
            ("1.5s", "1.5s"),
            ("1h", "1h0m0s"),
            ("500ms", "500ms"),
            ("0.5s", "500ms"),
            ("0", "0s"),
            ("-0", "0s"),
            ("90us", "90\u{b5}s"),
            ("1h1h", "2h0m0s"),
            ("1m0.5s", "1m0.5s"),
            ("-1s", "-1s"),
        ] {
            assert_eq!(normalize_duration(s).unwrap(), want, "{s}");
        }
    }

    #[test]
    fn bytes_like_compose() {
        let ok = [
            // corpus p-units-and-sizes, p-volumes-forms, cg-full-example
            ("512m", 536_870_912i64),
            ("1g", 1_073_741_824),
            ("64M", 67_108_864),
            ("10m", 10_485_760),
            ("50M", 52_428_800),
            ("20M", 20_971_520),
            // observed
            ("1.5gb", 1_610_612_736),
            ("100k", 102_400),
            ("1024", 1024),
            ("1GiB", 1_073_741_824),
            ("1 g", 1_073_741_824),
            ("1G", 1_073_741_824),
            ("1b", 1),
            ("1B", 1),
            ("1kib", 1024),
            ("1ki", 1024),
            ("1KB", 1024),
            ("1i", 1),
            ("1ib", 1),
            ("0", 0),
            ("1.5", 1),
            ("1.999", 1),
            ("0.3k", 307),
            ("0.1b", 0),
            ("1t", 1_099_511_627_776),
            ("1p", 1_125_899_906_842_624),
            ("1 ", 1),
            ("01m", 1_048_576),
            ("9223372036854775807", i64::MIN),
            ("9223372036854775808", i64::MIN),
            ("8388608t", i64::MIN),
            ("99999999999999999999", i64::MIN),
        ];
        for (s, want) in ok {
            assert_eq!(parse_bytes(s), Ok(want), "{s}");
        }
        // compose: "invalid size: '<s>'"; "1.5.5m" gives a ParseFloat error.
        for s in [
            "1  g", "-1", "1e3", "1e", "1eb", "lots", "", " 1g", "1g ", "1.g", ".5g", "1kbb",
            "1.5.5m", "1gg",
        ] {
            let e = parse_bytes(s).expect_err(s);
            assert!(e.message.starts_with("invalid size"), "{s}: {}", e.message);
        }
        assert!(parse_bytes("1.5.5m")
            .unwrap_err()
            .message
            .contains("\"1.5.5\" is not a number"));
    }

    #[test]
    fn bytes_values() {
        assert_eq!(parse_bytes_value(&json!(1024)), Ok(1024));
        assert_eq!(parse_bytes_value(&json!(10000)), Ok(10000)); // cg-full-example tmpfs.size
        assert_eq!(parse_bytes_value(&json!(-5)), Ok(-5));
        assert_eq!(parse_bytes_value(&json!(0)), Ok(0));
        // compose turns floats into 0 without a word
        assert_eq!(parse_bytes_value(&json!(1.5)), Ok(0));
        assert_eq!(parse_bytes_value(&json!(1024.0)), Ok(0));
        assert_eq!(parse_bytes_value(&json!("1g")), Ok(1_073_741_824));
        assert!(parse_bytes_value(&json!(true)).is_err());
        assert!(parse_bytes_value(&json!("bad")).is_err());
    }

    fn argv(s: &str) -> Vec<String> {
        split_command(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn commands_like_compose() {
        let cases: &[(&str, &[&str])] = &[
            // corpus p-command-forms / cg-full-example (after interpolation: $$ → $)
            (
                r#"sh -c 'echo "hello world" && echo $HOME'"#,
                &["sh", "-c", r#"echo "hello world" && echo $HOME"#],
            ),
            (
                "/docker-entrypoint.sh --flag",
                &["/docker-entrypoint.sh", "--flag"],
            ),
            (
                "bundle exec thin -p 3000",
                &["bundle", "exec", "thin", "-p", "3000"],
            ),
            ("", &[]),
            // observed
            ("   ", &[]),
            ("echo a && echo b", &["echo", "a"]),
            ("echo a;echo b", &["echo", "a"]),
            ("echo a > f", &["echo", "a"]),
            ("echo a|b", &["echo", "a"]),
            ("echo 2>f", &["echo"]),
            ("echo 1a>f", &["echo"]),
            ("echo a1>f", &["echo", "a1"]),
            ("echo $(x) y", &["echo", "$(x)", "y"]),
            ("echo $(a)b c", &["echo", "$(a)b", "c"]),
            (r#"echo $(a "b c")"#, &["echo", r#"$(a "b c")"#]),
            (r#"echo "$(a b)""#, &["echo", "$(a b)"]),
            ("echo `x y` z", &["echo", "`x y`", "z"]),
            (r#"echo `a "b c"` d"#, &["echo", "`a b c`", "d"]),
            (r#"echo "a\"b""#, &["echo", r#"a"b"#]),
            (r#"echo "a\\b""#, &["echo", r"a\b"]),
            (r#"echo "a\nb""#, &["echo", "anb"]),
            (r"echo a\ b", &["echo", "a b"]),
            (r"echo 'a\b'", &["echo", r"a\b"]),
            (r#"echo "" x"#, &["echo", "", "x"]),
            ("echo ''", &["echo", ""]),
            (r#"a"b"c d"#, &["abc", "d"]),
            (r#"echo "a&b" 'c|d'"#, &["echo", "a&b", "c|d"]),
            ("\"a\\tb\tc\"", &["atb\tc"]),
            ("echo ${X} $HOME", &["echo", "${X}", "$HOME"]),
            ("echo ~ *", &["echo", "~", "*"]),
            ("echo #comment", &["echo", "#comment"]),
            ("x=1 y", &["x=1", "y"]),
            ("\"a\\\nb\"", &["a\nb"]),
            ("a\tb", &["a", "b"]),
            ("a\u{b}b\u{a0}c", &["a\u{b}b\u{a0}c"]),
            ("a\rb\nc", &["a", "b", "c"]),
            (r#"echo 'a"b' "it's""#, &["echo", r#"a"b"#, "it's"]),
            ("echo '(' \")\"", &["echo", "(", ")"]),
            (r"echo \(x\)", &["echo", "(x)"]),
        ];
        for (s, want) in cases {
            assert_eq!(argv(s), *want, "{s:?}");
        }
        // compose: "invalid command line string"
        for s in [
            "echo (x)",
            "echo $(a (b) c) d",
            "echo a )b",
            "echo a)",
            "\"unterminated",
            "'unterminated",
            "echo a\\",
            "echo `x",
            "echo $(x",
        ] {
            assert!(split_command(s).is_err(), "{s:?}");
        }
    }

    #[test]
    fn healthcheck_strings() {
        // corpus p-healthcheck-forms, cg-full-example; observed "" stays ""
        assert_eq!(
            healthcheck_test_from_string("curl -f http://localhost || exit 1"),
            ["CMD-SHELL", "curl -f http://localhost || exit 1"]
        );
        assert_eq!(
            healthcheck_test_from_string("echo \"hello world\""),
            ["CMD-SHELL", "echo \"hello world\""]
        );
        assert_eq!(healthcheck_test_from_string(""), ["CMD-SHELL", ""]);
    }

    #[test]
    fn extra_hosts_like_compose() {
        let pair = |h: &str, ip: &str| Ok((h.to_string(), ip.to_string()));
        // corpus cg-full-example
        assert_eq!(
            parse_extra_host("otherhost:50.31.209.229"),
            pair("otherhost", "50.31.209.229")
        );
        // observed
        assert_eq!(parse_extra_host("h:1.2.3.4"), pair("h", "1.2.3.4"));
        assert_eq!(parse_extra_host("h=1.2.3.4"), pair("h", "1.2.3.4"));
        assert_eq!(parse_extra_host("h:::1"), pair("h", "::1"));
        assert_eq!(parse_extra_host("h::1"), pair("h", ":1"));
        assert_eq!(parse_extra_host("h=::1"), pair("h", "::1"));
        assert_eq!(parse_extra_host("h:[::1]"), pair("h", "::1"));
        assert_eq!(parse_extra_host("h=[::1]"), pair("h", "::1"));
        assert_eq!(parse_extra_host("h:"), pair("h", ""));
        assert_eq!(parse_extra_host("h= 1.2.3.4"), pair("h", " 1.2.3.4"));
        assert_eq!(parse_extra_host("h :1.2.3.4"), pair("h ", "1.2.3.4"));
        assert_eq!(parse_extra_host("h:notanip"), pair("h", "notanip"));
        assert_eq!(
            parse_extra_host("h:host-gateway"),
            pair("h", "host-gateway")
        );
        assert_eq!(parse_extra_host("a=b=c"), pair("a", "b=c"));
        assert_eq!(parse_extra_host("a=b:c"), pair("a", "b:c"));
        assert_eq!(extra_host_pair("g", "[::1]"), pair("g", "::1"));
        assert_eq!(extra_host_pair("g", "[]"), pair("g", "[]"));
        // compose: "invalid additional host, missing IP: h", "bad host name 'a:b'"
        assert!(parse_extra_host("h").unwrap_err().message.contains("no IP"));
        assert!(parse_extra_host("a:b=c")
            .unwrap_err()
            .message
            .contains("host name \"a:b\""));
        assert!(parse_extra_host("=1.2.3.4").is_err());
        assert!(parse_extra_host(":1.2.3.4").is_err());
    }

    #[test]
    fn devices_like_compose() {
        let cases = [
            // corpus cg-full-example
            (
                "/dev/ttyUSB0:/dev/ttyUSB0",
                json!({"source": "/dev/ttyUSB0", "target": "/dev/ttyUSB0", "permissions": "rwm"}),
            ),
            // observed
            (
                "/dev/a",
                json!({"source": "/dev/a", "target": "/dev/a", "permissions": "rwm"}),
            ),
            (
                "/dev/a:/dev/b",
                json!({"source": "/dev/a", "target": "/dev/b", "permissions": "rwm"}),
            ),
            (
                "/dev/a:/dev/b:r",
                json!({"source": "/dev/a", "target": "/dev/b", "permissions": "r"}),
            ),
            (
                "/dev/a:/dev/b:rwx",
                json!({"source": "/dev/a", "target": "/dev/b", "permissions": "rwx"}),
            ),
            (
                "/dev/a:rwm",
                json!({"source": "/dev/a", "target": "rwm", "permissions": "rwm"}),
            ),
            (
                "/dev/a:",
                json!({"source": "/dev/a", "target": "/dev/a", "permissions": "rwm"}),
            ),
            (
                "/dev/a::r",
                json!({"source": "/dev/a", "target": "/dev/a", "permissions": "r"}),
            ),
            (
                "/dev/a:/dev/b:",
                json!({"source": "/dev/a", "target": "/dev/b"}),
            ),
            (":/dev/b", json!({"target": "/dev/b", "permissions": "rwm"})),
            ("", json!({"permissions": "rwm"})),
            (
                r"C:\dev",
                json!({"source": "C", "target": r"\dev", "permissions": "rwm"}),
            ),
            (
                "vendor.com/gpu=all",
                json!({"source": "vendor.com/gpu=all", "target": "vendor.com/gpu=all", "permissions": "rwm"}),
            ),
        ];
        for (s, want) in cases {
            let got = parse_device(s).unwrap();
            assert!(same(&got, &want), "{s}: {got}");
        }
        // compose: "confusing device mapping, please use long syntax: ..."
        assert!(parse_device("/dev/a:/dev/b:rw:x")
            .unwrap_err()
            .message
            .contains("too many colons"));
    }

    #[test]
    fn env_entries() {
        let s = |k: &str, v: Option<&str>| (k.to_string(), v.map(str::to_string));
        assert_eq!(split_env_entry("K=V"), s("K", Some("V")));
        assert_eq!(split_env_entry("K="), s("K", Some("")));
        assert_eq!(split_env_entry("K"), s("K", None));
        assert_eq!(split_env_entry("K=a=b"), s("K", Some("a=b")));
        assert_eq!(split_env_entry(" K = V "), s(" K ", Some(" V ")));
        assert_eq!(split_env_entry("=V"), s("", Some("V")));
        assert_eq!(split_env_entry("FOO=BAR"), s("FOO", Some("BAR")));
    }

    #[test]
    fn ulimits_like_compose() {
        let cases = [
            // corpus p-units-and-sizes / cg-full-example
            (json!(65535), json!(65535)),
            (
                json!({"soft": 20000, "hard": 40000}),
                json!({"soft": 20000, "hard": 40000}),
            ),
            // observed
            (json!("65535"), json!(65535)),
            (json!("+5"), json!(5)),
            (json!(-1), json!(-1)),
            (json!(0), json!({})),
            (json!({"soft": 0, "hard": 0}), json!({})),
            (
                json!({"soft": "5", "hard": "6"}),
                json!({"soft": 5, "hard": 6}),
            ),
            (json!({"hard": 5, "soft": 9}), json!({"soft": 9, "hard": 5})),
        ];
        for (v, want) in cases {
            let got = normalize_ulimit(&v).unwrap();
            assert!(same(&got, &want), "{v}: {got}");
        }
        for bad in [
            json!("abc"),
            json!(" 5"),
            json!(1.5),
            json!({"soft": 5}),
            json!({"hard": 5}),
        ] {
            assert!(normalize_ulimit(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn device_counts_and_gpus() {
        assert_eq!(parse_device_count(&json!("all")), Ok(-1));
        assert_eq!(parse_device_count(&json!(2)), Ok(2));
        assert_eq!(parse_device_count(&json!("3")), Ok(3));
        assert!(parse_device_count(&json!("alls"))
            .unwrap_err()
            .message
            .contains("expected \"all\" or a number"));
        assert_eq!(gpus_all(), json!([{"count": -1}]));
    }

    #[test]
    fn short_secrets_and_configs() {
        // corpus p-secrets-configs-forms
        assert!(same(
            &short_secret("s1"),
            &json!({"source": "s1", "target": "/run/secrets/s1"})
        ));
        assert!(same(&short_config("c1"), &json!({"source": "c1"})));
    }

    #[test]
    fn go_ints() {
        assert_eq!(parse_go_int("0440"), Ok(440));
        assert_eq!(parse_go_int("-1"), Ok(-1));
        assert_eq!(parse_go_int("+5"), Ok(5));
        for s in [
            "",
            "+",
            "0o440",
            "abc",
            " 5",
            "5 ",
            "1_0",
            "99999999999999999999",
        ] {
            assert!(parse_go_int(s).is_err(), "{s}");
        }
    }
}
