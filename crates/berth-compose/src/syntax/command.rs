//! Commands given as one string (`command: npm start`): split as Compose's shell-words does.

use super::SyntaxError;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
