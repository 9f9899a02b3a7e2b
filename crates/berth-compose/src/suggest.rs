//! "Did you mean": the nearest of the names a person could have meant, for unknown keys
//! (`enviroment` → `environment`) and undefined references (`depends_on: [webb]` → `web`).
//! One rule for both: case and `-`/`_` do not count, and the edit distance (Damerau-Levenshtein,
//! a transposition is one edit) may grow with the name's length: 1 up to 4 characters, 2 up to
//! 8, 3 beyond.

/// The closest of `candidates` to `name`, when one is close enough (the first of equals).
pub fn closest<'c>(name: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let norm = |s: &str| s.to_ascii_lowercase().replace('-', "_");
    let k = norm(name);
    let limit = match k.chars().count() {
        0..=4 => 1,
        5..=8 => 2,
        _ => 3,
    };
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = if norm(c) == k {
            0
        } else {
            strsim::damerau_levenshtein(&k, c)
        };
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_names_are_suggested_far_ones_are_not() {
        let props = ["image", "environment", "depends_on", "ports"];
        assert_eq!(closest("imagee", props), Some("image"));
        assert_eq!(closest("enviroment", props), Some("environment"));
        assert_eq!(closest("depends-on", props), Some("depends_on"));
        assert_eq!(closest("Image", props), Some("image"));
        assert_eq!(closest("prots", props), Some("ports"));
        assert_eq!(closest("foo", props), None);
        assert_eq!(closest("webb", ["web", "db"]), Some("web"));
    }
}
