//! Go's `filepath.Clean`: the one lexical path rule berth uses (relative paths in compose
//! files, `.dockerignore` patterns, `develop.watch` targets), as Compose v2 and Docker apply it.

use std::path::{Component, Path, PathBuf};

/// Lexically cleans a path (`a/./b/../c` to `a/c`): `.` dropped, `..` taking the previous
/// component (none above the root), repeated and trailing slashes dropped; empty is `.`.
pub fn clean(p: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) => {}
                _ => out.push(c),
            },
            c => out.push(c),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

/// [`clean`] for a `/`-separated path held as text.
pub fn clean_str(p: &str) -> String {
    clean(Path::new(p)).to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_is_gos_filepath_clean() {
        assert_eq!(clean_str("a//b/./c/.."), "a/b");
        assert_eq!(clean_str("/../x"), "/x");
        assert_eq!(clean_str("../x"), "../x");
        assert_eq!(clean_str("./"), ".");
    }
}
