//! Values and how they print: byte sizes, `x-*` extensions, SSH keys, env files, ulimits,
//! and Go's `omitempty` for serde (which empty values Compose v2 leaves out).

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Deref, DerefMut};

pub(super) fn is_false(b: &bool) -> bool {
    !*b
}

pub(super) fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

pub(super) fn empty_str(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(str::is_empty)
}

pub(super) fn zero_i64(n: &Option<i64>) -> bool {
    n.is_none_or(|n| n == 0)
}

pub(super) fn zero_u16(n: &Option<u16>) -> bool {
    n.is_none_or(|n| n == 0)
}

pub(super) fn zero_u64(n: &Option<u64>) -> bool {
    n.is_none_or(|n| n == 0)
}

pub(super) fn zero_f32(n: &Option<f32>) -> bool {
    n.is_none_or(|n| n == 0.0)
}

pub(super) fn zero_bytes(n: &Option<Bytes>) -> bool {
    n.is_none_or(|n| n.0 == 0)
}

/// Serialises a Go `float32` the way Go prints it: the shortest decimal that round-trips as an
/// `f32` (so `0.1f32` prints `0.1`, not `0.10000000149011612`).
pub(super) mod short_f32 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<f32>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(f) => {
                let wide: f64 = f.to_string().parse().unwrap_or(f64::from(*f));
                s.serialize_some(&wide)
            }
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f32>, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.map(|f| f as f32))
    }
}

pub(super) fn default_true() -> bool {
    true
}

pub(super) fn is_zero_i64(n: &i64) -> bool {
    *n == 0
}

pub(super) fn never<T>(_: &T) -> bool {
    false
}

/// `x-*` extension keys of one object, sorted. Deserialisation rejects any other key, so a struct
/// that flattens an `Extensions` has no unknown fields.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Extensions(pub BTreeMap<String, Value>);

impl Extensions {
    /// Whether `key` is an extension key (`x-` prefix).
    pub fn is_extension_key(key: &str) -> bool {
        key.starts_with("x-")
    }
}

impl Deref for Extensions {
    type Target = BTreeMap<String, Value>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for Extensions {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Serialize for Extensions {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Extensions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ExtVisitor;
        impl<'de> Visitor<'de> for ExtVisitor {
            type Value = Extensions;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of x-* extension keys")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Extensions, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    if !Extensions::is_extension_key(&key) {
                        return Err(de::Error::custom(format_args!(
                            "additional property {key} is not allowed"
                        )));
                    }
                    out.insert(key, map.next_value::<Value>()?);
                }
                Ok(Extensions(out))
            }
        }
        d.deserialize_map(ExtVisitor)
    }
}

/// A size in bytes (Go `UnitBytes`). Compose prints it as a decimal string (`"52428800"`);
/// deserialisation also accepts a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bytes(pub i64);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => s
                .parse::<i64>()
                .map(Bytes)
                .map_err(|_| de::Error::custom(format_args!("invalid byte count {s:?}"))),
            Value::Number(n) => n
                .as_i64()
                .map(Bytes)
                .ok_or_else(|| de::Error::custom(format_args!("invalid byte count {n}"))),
            other => Err(de::Error::custom(format_args!(
                "invalid byte count {other}"
            ))),
        }
    }
}

/// One `build.ssh` entry: `default`, or an id with a key/socket path. Compose prints it as
/// `"id"` or `"id: path"`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SshKey {
    /// The key id (`default` for the agent socket).
    pub id: String,
    /// Path to a key or socket, if given.
    pub path: Option<String>,
}

impl Serialize for SshKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.path {
            Some(p) if !p.is_empty() => s.collect_str(&format_args!("{}: {}", self.id, p)),
            _ => s.serialize_str(&self.id),
        }
    }
}

impl<'de> Deserialize<'de> for SshKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.split_once(": ") {
            Some((id, path)) => SshKey {
                id: id.to_string(),
                path: Some(path.to_string()),
            },
            None => match s.split_once('=') {
                Some((id, path)) => SshKey {
                    id: id.to_string(),
                    path: Some(path.to_string()),
                },
                None => SshKey { id: s, path: None },
            },
        })
    }
}

/// One `env_file` entry. Prints as the bare path when `required` (the default), otherwise as
/// `{path, required: false}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvFile {
    /// Path of the file.
    pub path: String,
    /// Whether a missing file is an error.
    pub required: bool,
    /// File format (`format:`), empty for the default dotenv format.
    pub format: Option<String>,
}

impl Default for EnvFile {
    fn default() -> Self {
        EnvFile {
            path: String::new(),
            required: true,
            format: None,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvFileLong {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    path: String,
    #[serde(default = "default_true")]
    required: bool,
    #[serde(default, skip_serializing_if = "empty_str")]
    format: Option<String>,
}

impl Serialize for EnvFile {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.required {
            s.serialize_str(&self.path)
        } else {
            EnvFileLong {
                path: self.path.clone(),
                required: false,
                format: self.format.clone(),
            }
            .serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for EnvFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Short(String),
            Long(EnvFileLong),
        }
        Ok(match Form::deserialize(d)? {
            Form::Short(path) => EnvFile {
                path,
                ..EnvFile::default()
            },
            Form::Long(l) => EnvFile {
                path: l.path,
                required: l.required,
                format: l.format,
            },
        })
    }
}

/// A `ulimits` entry: a single value (soft = hard) or a soft/hard pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Ulimit {
    /// `nproc: 65535`
    Single(i64),
    /// `nofile: {soft: 20000, hard: 40000}`
    Pair(UlimitPair),
}

impl Default for Ulimit {
    fn default() -> Self {
        Ulimit::Pair(UlimitPair::default())
    }
}

impl Ulimit {
    /// The `(soft, hard)` limits.
    pub fn limits(&self) -> (i64, i64) {
        match *self {
            Ulimit::Single(n) => (n, n),
            Ulimit::Pair(p) => (p.soft, p.hard),
        }
    }
}

/// Soft and hard limits of a [`Ulimit`]. In JSON a zero limit is omitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct UlimitPair {
    /// Soft limit.
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub soft: i64,
    /// Hard limit.
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub hard: i64,
}
