//! go-yaml (and so Compose) accepts a flow collection whose continuation lines or closing
//! bracket sit at, or left of, the column of the key that opened it:
//!
//! ```yaml
//! command: [
//!   "start",
//! ]
//! ```
//!
//! YAML 1.2 and saphyr-parser do not (flow content must be indented more than its parent).
//! Before parsing, such lines are indented to one column past the parent's indentation; no
//! other line changes, so every other position the parser reports is exact.

use std::borrow::Cow;

/// `text` with the under-indented lines of open flow collections indented; unchanged (and not
/// copied) when it has none.
pub fn indent_flow_lines(text: &str) -> Cow<'_, str> {
    let mut fixes: Vec<(usize, usize)> = Vec::new(); // (line index, spaces to add)
    let mut depth = 0usize;
    let mut parent_indent = 0usize;
    let mut quote: Option<u8> = None;
    // A block scalar (`|`, `>`) in progress: lines indented more than this are its text.
    let mut block_scalar: Option<usize> = None;
    for (n, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let blank = line.trim().is_empty();
        if let Some(b) = block_scalar {
            if blank || indent > b {
                continue;
            }
            block_scalar = None;
        }
        if depth > 0 && quote.is_none() && !blank && indent <= parent_indent {
            fixes.push((n, parent_indent + 1 - indent));
        }
        let mut value_start = true;
        // Bytes, not chars: every token looked for is ASCII, and no byte of a multi-byte
        // UTF-8 character is.
        let mut prev = b' ';
        let chars = line.as_bytes();
        let mut i = indent;
        while i < chars.len() {
            let c = chars[i];
            match quote {
                Some(b'\'') => {
                    if c == b'\'' {
                        if chars.get(i + 1) == Some(&b'\'') {
                            i += 1;
                        } else {
                            quote = None;
                        }
                    }
                }
                Some(_) => {
                    if c == b'\\' {
                        i += 1;
                    } else if c == b'"' {
                        quote = None;
                    }
                }
                None => {
                    if c == b'#' && (prev == b' ' || i == indent) {
                        break; // a comment
                    }
                    if (c == b'"' || c == b'\'') && (value_start || depth > 0) {
                        quote = Some(c);
                    } else if (c == b'[' || c == b'{') && (value_start || depth > 0) {
                        if depth == 0 {
                            parent_indent = indent;
                        }
                        depth += 1;
                    } else if (c == b']' || c == b'}') && depth > 0 {
                        depth -= 1;
                    } else if depth == 0
                        && (c == b'|' || c == b'>')
                        && value_start
                        && chars[i + 1..]
                            .iter()
                            .take_while(|c| **c != b'#')
                            .all(|c| c.is_ascii_digit() || matches!(*c, b'-' | b'+' | b' '))
                    {
                        block_scalar = Some(indent);
                        break;
                    }
                    value_start = match c {
                        b' ' => value_start,
                        b':' | b'-' | b',' | b'[' | b'{' | b'?' => {
                            chars.get(i + 1).is_none_or(|n| *n == b' ')
                                || c == b','
                                || c == b'['
                                || c == b'{'
                        }
                        _ => false,
                    };
                }
            }
            prev = c;
            i += 1;
        }
    }
    if fixes.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + fixes.len() * 4);
    let mut next = fixes.into_iter().peekable();
    for (n, line) in text.split_inclusive('\n').enumerate() {
        if let Some((_, add)) = next.next_if(|(l, _)| *l == n) {
            out.extend(std::iter::repeat_n(' ', add));
        }
        out.push_str(line);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_brackets_and_continuations_at_the_parent_column_are_indented() {
        let t = "services:\n  a:\n    command: [\n      \"start\",\n    \"--uri\"\n    ]\n    image: x\n";
        assert_eq!(
            indent_flow_lines(t),
            "services:\n  a:\n    command: [\n      \"start\",\n     \"--uri\"\n     ]\n    image: x\n"
        );
        let m = "x:\n  test: {\n  a: 1,\n  }\n";
        assert_eq!(indent_flow_lines(m), "x:\n  test: {\n   a: 1,\n   }\n");
    }

    #[test]
    fn well_formed_files_are_not_copied_and_look_alikes_are_left_alone() {
        for t in [
            "a: [1, 2]\nb: {c: d}\n",
            "a: [\n  1,\n  2\n  ]\n",
            "cmd: echo [x\nnext: 1\n",
            "s: \"[ not a flow\"\nb: 1\n",
            "s: 'it''s [ quoted'\nb: 1\n",
            "lit: |\n  [\nb: 1\n",
            "c: a # [ comment\nb: 1\n",
            "image: foo[1\nb: 2\n",
        ] {
            assert!(matches!(indent_flow_lines(t), Cow::Borrowed(_)), "{t}");
        }
    }
}
