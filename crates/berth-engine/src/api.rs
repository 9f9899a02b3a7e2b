//! Engine API versions: what a feature needs, and the one way berth says an engine is too old
//! for it.

/// An Engine API version, `(major, minor)`.
pub type ApiVersion = (u32, u32);

/// Disabling IPv4 on a network (`EnableIPv4`).
pub const DISABLE_IPV4: ApiVersion = (1, 47);

/// Why an engine speaking `have` lacks a feature that needs `needs`, or `None` when it has it:
/// "needs Engine API 1.44 (Docker 25), this engine speaks 1.41".
pub fn lacks(have: ApiVersion, needs: ApiVersion) -> Option<String> {
    if have >= needs {
        return None;
    }
    let docker = match needs {
        (1, 42) => " (Docker 23)",
        (1, 43) => " (Docker 24)",
        (1, 44) => " (Docker 25)",
        (1, 45) => " (Docker 26)",
        (1, 46) => " (Docker 27)",
        (1, 47) | (1, 48) => " (Docker 28)",
        _ => "",
    };
    Some(format!(
        "needs Engine API {}.{}{docker}, this engine speaks {}.{}",
        needs.0, needs.1, have.0, have.1
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_what_is_needed_only_when_the_engine_lacks_it() {
        assert_eq!(lacks((1, 44), (1, 44)), None);
        assert_eq!(lacks((1, 45), (1, 44)), None);
        assert_eq!(
            lacks((1, 41), (1, 44)).as_deref(),
            Some("needs Engine API 1.44 (Docker 25), this engine speaks 1.41")
        );
        assert_eq!(
            lacks((1, 41), (1, 40)).as_deref(),
            None,
            "an older need is met"
        );
        assert_eq!(
            lacks((1, 41), (1, 50)).as_deref(),
            Some("needs Engine API 1.50, this engine speaks 1.41")
        );
    }
}
