//! Key paths as berth's messages show them: `services.web.ports[1]`. The loader's stages,
//! the schema validator and provenance all walk trees keeping a path of these steps.

use std::fmt::Write as _;

/// One step of a key path: a mapping key or a list index. `K` is `&str` while walking a
/// tree, `String` where paths are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seg<K> {
    Key(K),
    Index(usize),
}

/// Renders the path as written in messages: keys joined by `.`, indexes as `[i]`.
pub fn render<K: AsRef<str>>(segs: &[Seg<K>]) -> String {
    render_with(segs, |k, out| out.push_str(k))
}

/// Renders the path as the schema validator shows it: a key that is not a plain name (dots,
/// spaces …) is quoted, and the empty path is `(root)`.
pub fn render_quoted<K: AsRef<str>>(segs: &[Seg<K>]) -> String {
    if segs.is_empty() {
        return "(root)".into();
    }
    render_with(segs, |k, out| {
        let plain = !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if plain {
            out.push_str(k);
        } else {
            let _ = write!(out, "{k:?}");
        }
    })
}

fn render_with<K: AsRef<str>>(segs: &[Seg<K>], key: impl Fn(&str, &mut String)) -> String {
    let mut out = String::new();
    for s in segs {
        match s {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                key(k.as_ref(), &mut out);
            }
            Seg::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_as_messages_show_them() {
        let p = [
            Seg::Key("services"),
            Seg::Key("web"),
            Seg::Key("ports"),
            Seg::Index(1),
        ];
        assert_eq!(render(&p), "services.web.ports[1]");
        let q = [Seg::Key("services"), Seg::Key("my service")];
        assert_eq!(render_quoted(&q), "services.\"my service\"");
        assert_eq!(render_quoted::<&str>(&[]), "(root)");
        assert_eq!(render(&[Seg::Key("a".to_string()), Seg::Index(0)]), "a[0]");
    }
}
