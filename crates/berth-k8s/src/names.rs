//! Kubernetes names: one normaliser for every name berth emits.
//!
//! Kubernetes checks names with three grammars (apimachinery `validation`):
//! * DNS-1123 label (`[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63): container, port, volume names;
//! * DNS-1035 label (the same but starting with a letter): Service names;
//! * DNS-1123 subdomain (labels joined by dots, at most 253): most object names.
//!
//! berth gives every object that comes from a compose service the same base name (the
//! Deployment, its Service, its ConfigMap all read `web`), so it normalises service names to the
//! strictest grammar, DNS-1035, and to at most [`BASE_MAX`] characters: StatefulSet and CronJob
//! names need room for the suffixes Kubernetes appends to them. Long names keep a prefix and get
//! a hash of the original name, so two long names stay distinct.

use sha2::{Digest, Sha256};

/// Longest base name: a StatefulSet's pods carry `controller-revision-hash: <name>-<10 chars>`
/// and a CronJob's Jobs are `<name>-<8+ digits>`, both limited to 63.
pub const BASE_MAX: usize = 52;
/// Longest DNS label.
pub const LABEL_MAX: usize = 63;

/// The first 8 hex digits of SHA-256 of `s`.
pub fn short_hash(s: &str) -> String {
    let d = Sha256::digest(s.as_bytes());
    hex::encode(&d[..4])
}

/// Lower-cases and maps every character outside `[a-z0-9]` to `-`, collapsing runs of dashes
/// and trimming them at both ends.
fn dashed(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut dash = false;
    for c in s.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c);
        } else {
            dash = true;
        }
    }
    out
}

/// Cuts `s` to `max` characters, replacing the tail by `-<hash of original>` when it is longer.
fn fit(s: &str, original: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let h = short_hash(original);
    let keep = max - h.len() - 1;
    let head = s[..keep].trim_end_matches('-');
    format!("{head}-{h}")
}

/// A DNS-1123 label of at most `max` characters made from `s` (never empty).
pub fn label(s: &str, max: usize) -> String {
    let mut d = dashed(s);
    if d.is_empty() {
        d = format!("x-{}", short_hash(s));
    }
    fit(&d, s, max)
}

/// A DNS-1035 label (starts with a letter) of at most `max` characters.
pub fn label1035(s: &str, max: usize) -> String {
    let mut d = dashed(s);
    if d.is_empty() {
        d = format!("x-{}", short_hash(s));
    } else if !d.starts_with(|c: char| c.is_ascii_lowercase()) {
        d = format!("s-{d}");
    }
    fit(&d, s, max)
}

/// The base name of everything made from compose service (or resource) `name`.
pub fn base(name: &str) -> String {
    label1035(name, BASE_MAX)
}

/// `<base>-<suffix>` as a DNS-1035 label of at most 63 characters.
pub fn derived(base: &str, suffix: &str) -> String {
    let joined = format!("{base}-{suffix}");
    label1035(&joined, LABEL_MAX)
}

/// Whether `s` is a DNS-1123 label.
pub fn is_dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= LABEL_MAX
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Whether `s` is a DNS-1035 label.
pub fn is_dns1035_label(s: &str) -> bool {
    is_dns1123_label(s) && s.starts_with(|c: char| c.is_ascii_lowercase())
}

/// Whether `s` is a DNS-1123 subdomain.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns1123_label)
}

/// Whether `s` is an IANA service name as Kubernetes requires for container port names: at most
/// 15 characters of `[a-z0-9-]`, at least one letter, no leading, trailing or double dash.
pub fn is_iana_svc_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 15
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// Whether `c` may stand in a label value or a ConfigMap key: `[A-Za-z0-9_.-]`.
fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// `s` with `with` for every character that may not stand in a label value or a key.
fn replace_non_key_chars(s: &str, with: char) -> String {
    s.chars()
        .map(|c| if is_key_char(c) { c } else { with })
        .collect()
}

/// Whether `s` is a valid label value (empty, or at most 63 of `[A-Za-z0-9_.-]` starting and
/// ending with an alphanumeric).
pub fn is_label_value(s: &str) -> bool {
    s.is_empty()
        || (s.len() <= LABEL_MAX
            && s.chars().all(is_key_char)
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.ends_with(|c: char| c.is_ascii_alphanumeric()))
}

/// A valid label value made from `s`.
pub fn label_value(s: &str) -> String {
    if is_label_value(s) {
        return s.to_string();
    }
    let kept = replace_non_key_chars(s, '-');
    let trimmed = kept.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let v = fit(trimmed, s, LABEL_MAX);
    if is_label_value(&v) {
        v
    } else {
        short_hash(s)
    }
}

/// Whether `k` is a valid label or annotation key: `[prefix/]name`, the prefix a DNS-1123
/// subdomain, the name at most 63 of `[A-Za-z0-9_.-]` starting and ending alphanumeric.
pub fn is_qualified_key(k: &str) -> bool {
    let (prefix, name) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    if let Some(p) = prefix {
        if !is_dns1123_subdomain(p) {
            return false;
        }
    }
    !name.is_empty() && is_label_value(name)
}

/// Whether `k` may be a ConfigMap or Secret key (`[-._a-zA-Z0-9]+`, at most 253, not `.`/`..`).
pub fn is_config_key(k: &str) -> bool {
    !k.is_empty() && k.len() <= 253 && k != "." && k != ".." && k.chars().all(is_key_char)
}

/// A valid ConfigMap/Secret key made from `s` (a file name, a compose key).
pub fn config_key(s: &str) -> String {
    if is_config_key(s) {
        return s.to_string();
    }
    let k = replace_non_key_chars(s, '_');
    if is_config_key(&k) {
        k
    } else {
        format!("key-{}", short_hash(s))
    }
}

/// Whether `s` is a C identifier, the form of environment variable name every shell accepts.
/// (Kubernetes accepts more; berth warns about names outside this form.)
pub fn is_c_identifier(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Whether `s` is an environment variable name Kubernetes accepts (printable ASCII, no `=`).
pub fn is_env_var_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b'=')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_service_names() {
        assert_eq!(base("web"), "web");
        assert_eq!(base("front_end"), "front-end");
        assert_eq!(base("Front.End__x"), "front-end-x");
        assert_eq!(base("1st"), "s-1st");
        assert_eq!(base("_x_"), "x");
        let long = "a".repeat(80);
        let b = base(&long);
        assert_eq!(b.len(), BASE_MAX);
        assert!(is_dns1035_label(&b));
        assert_ne!(base(&"a".repeat(81)), b);
    }

    #[test]
    fn grammars() {
        assert!(is_iana_svc_name("tcp-8080"));
        assert!(!is_iana_svc_name("8080"));
        assert!(!is_iana_svc_name("a-very-long-port-name"));
        assert!(is_label_value("my_project"));
        assert!(!is_label_value("my_project_"));
        assert_eq!(label_value("my_project_"), "my_project");
        assert!(is_qualified_key("traefik.http.routers.web.rule"));
        assert!(is_qualified_key("example.com/role"));
        assert!(!is_qualified_key("bad key"));
        assert_eq!(config_key("my secret"), "my_secret");
    }
}
