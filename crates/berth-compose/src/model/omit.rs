//! Go's `omitempty` for serde: which empty values Compose v2 leaves out when it prints.

use super::Bytes;

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
