//! Compose's dotenv syntax: `.env`, `--env-file` and services' `env_file`.
//!
//! The rules are Docker Compose v2.26.1's, checked by running it; the table tests at the bottom
//! record what it produced.
//!
//! * Blank lines and lines whose first non-blank character is `#` are skipped. A leading UTF-8 BOM
//!   is ignored; CRLF line endings work.
//! * `KEY=VALUE`, `KEY: VALUE` (YAML-ish) and `export KEY=VALUE`. Blanks around the key and
//!   before the value are dropped. A key may contain letters, digits, `_ . - [ ]` (so `1A` and
//!   `a.b[0]` are accepted).
//! * A bare `KEY` (no `=`) takes its value from `lookup`, or sets nothing when `lookup` has none
//!   (an earlier `KEY=…` in the same file then stays).
//! * **Unquoted values** run to the end of the line. ` #` (space, hash) starts a comment, `a#b`
//!   keeps its `#`, and so does `K= #x` (the blanks after `=` are dropped before looking for
//!   ` #`). Trailing blanks are dropped. No backslash escapes. `${}` is interpolated.
//! * **Single quotes** are literal: no escapes except `\'`, no interpolation; may span lines.
//! * **Double quotes** may span lines; `\n \t \r \a \b \f \v \" \\ \$` and `\0NNN` (octal) are
//!   escapes, any other backslash stays as it is; then `${}` is interpolated (`\$` and `$$` give
//!   a literal `$`).
//! * After a closing quote, the rest of the line is read as a new statement, as Compose does:
//!   `A="x" # c` is a comment, `A="x"junk` is `A` plus a bare key `junk`.
//! * **Interpolation** resolves a variable from `lookup` first and then from the lines above in
//!   the same file (the shell wins over the file, docker/compose#9045); lines below are not seen.
//!
//! Deliberate differences from Compose, where Compose's behaviour is an accident:
//!
//! * A bare `KEY` on the last line without a final newline is treated like any other bare key.
//!   Compose stores it as a variable with an *empty name* whose value is `KEY`.
//! * `=value` (no key) is an error; Compose stores a variable with an empty name.
//! * A key with a tab inside (`A<TAB>B=1`) is an error like a key with a space; Compose only
//!   rejects the space.
//! * Errors carry the line where the offending statement starts and, for interpolation errors,
//!   a line number at all. (Compose reports an unterminated quote at the last line of the file.)

use indexmap::IndexMap;

use super::interpolate::{interpolate, unset_warning};

/// One variable of a dotenv file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotenvEntry {
    pub value: String,
    /// 1-based line where the key was defined (the last definition when a key repeats).
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct DotenvError {
    pub line: u32,
    pub message: String,
}

/// An unset variable referenced by a value: Compose prints
/// `The "X" variable is not set. Defaulting to a blank string.` for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotenvWarning {
    pub line: u32,
    pub variable: String,
}

impl std::fmt::Display for DotenvWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&unset_warning(&self.variable))
    }
}

/// Everything [`parse_with_warnings`] learns from a file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    pub entries: IndexMap<String, DotenvEntry>,
    /// Unset variables referenced by values, in order (one per reference and line).
    pub warnings: Vec<DotenvWarning>,
}

/// Parses dotenv text. `lookup` resolves variables that the file itself does not define (the
/// caller passes the shell environment, and for env_file the project environment).
pub fn parse(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<IndexMap<String, DotenvEntry>, DotenvError> {
    parse_with_warnings(text, lookup).map(|p| p.entries)
}

/// [`parse`], also returning the unset-variable warnings Compose would print.
pub fn parse_with_warnings(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Parsed, DotenvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut p = Parser {
        s: text,
        pos: 0,
        line: 1,
        lookup,
        out: Parsed::default(),
    };
    p.run()?;
    Ok(p.out)
}

/// Blanks that Compose skips inside a line (not the line break).
fn is_blank(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    )
}

fn is_key_char(c: char) -> bool {
    c.is_alphabetic() || c.is_numeric() || matches!(c, '_' | '.' | '-' | '[' | ']')
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
    line: u32,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    out: Parsed,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.s[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn err(&self, line: u32, message: String) -> DotenvError {
        DotenvError { line, message }
    }

    /// Skips blanks (not line breaks) at the cursor.
    fn skip_blanks(&mut self) {
        let n = self.rest().len() - self.rest().trim_start_matches(is_blank).len();
        self.pos += n;
    }

    fn run(&mut self) -> Result<(), DotenvError> {
        loop {
            // Blank space between statements, counting lines.
            while let Some(c) = self.peek() {
                if !c.is_whitespace() {
                    break;
                }
                if c == '\n' {
                    self.line += 1;
                }
                self.pos += c.len_utf8();
            }
            let Some(first) = self.peek() else {
                return Ok(());
            };
            if first == '#' {
                self.pos += self.rest().find('\n').unwrap_or(self.rest().len());
                continue;
            }
            self.statement()?;
        }
    }

    /// One `KEY=VALUE`, `KEY: VALUE`, `export KEY=VALUE` or bare `KEY`, from a non-blank character.
    fn statement(&mut self) -> Result<(), DotenvError> {
        let line = self.line;
        // Messages quote the name only, never the line: what follows the name may be a secret.
        if let Some(after) = self.rest().strip_prefix("export") {
            if after.starts_with(['\t', '\n', '\u{c}', '\r', ' ']) {
                self.pos += "export".len();
                self.skip_blanks();
                if matches!(self.peek(), None | Some('\n')) {
                    return Ok(()); // a lone `export`
                }
            }
        }

        let key_start = self.pos;
        let mut term = None;
        for (i, c) in self.rest().char_indices() {
            match c {
                '=' | ':' | '\n' => {
                    term = Some((i, c));
                    break;
                }
                c if is_blank(c) || is_key_char(c) => {}
                c => {
                    let name = format!("{}{c}", &self.rest()[..i]);
                    return Err(self.err(
                        line,
                        format!(
                            "unexpected character {c:?} in variable name {name:?} (a name may contain letters, digits, '_', '.', '-', '[' and ']')"
                        ),
                    ));
                }
            }
        }
        let (key_end, sep) = match term {
            Some((i, c)) => (key_start + i, Some(c)),
            None => (self.s.len(), None),
        };
        let key = self.s[key_start..key_end].trim_end().to_string();
        if key.contains(char::is_whitespace) {
            return Err(self.err(line, format!("variable name {key:?} cannot contain blanks")));
        }

        let Some(sep @ ('=' | ':')) = sep else {
            // A bare `KEY`: inherited from `lookup`, or nothing.
            self.pos = key_end;
            if let Some(value) = (self.lookup)(&key) {
                self.out.entries.insert(key, DotenvEntry { value, line });
            }
            return Ok(());
        };
        if key.is_empty() {
            return Err(self.err(line, format!("missing variable name before '{sep}'")));
        }
        self.pos = key_end + 1;
        self.skip_blanks();

        let value = match self.peek() {
            Some(q @ ('"' | '\'')) => {
                let raw = self.quoted(q, &key, line)?;
                if q == '"' {
                    self.expand(&expand_escapes(&raw), &key, line)?
                } else {
                    raw
                }
            }
            _ => {
                let end = self.rest().find('\n').unwrap_or(self.rest().len());
                let mut raw = &self.rest()[..end];
                if let Some(cut) = raw.find(" #") {
                    raw = &raw[..cut];
                }
                let raw = raw.trim_end().to_string();
                self.pos += end;
                self.expand(&raw, &key, line)?
            }
        };
        self.out.entries.insert(key, DotenvEntry { value, line });
        Ok(())
    }

    /// Reads a quoted value at the cursor (which is on the opening quote `q`) up to the closing
    /// quote, leaving the cursor after it. Only `\q` is resolved here (to `q`); every other
    /// backslash pair is kept as it is.
    fn quoted(&mut self, q: char, key: &str, line: u32) -> Result<String, DotenvError> {
        let open = self.pos;
        let mut raw = String::new();
        let mut escaped = false;
        for (i, c) in self.s[open..].char_indices().skip(1) {
            if c == q && !escaped {
                self.pos = open + i + 1;
                return Ok(raw);
            }
            if c == '\n' {
                self.line += 1;
            }
            if escaped {
                escaped = false;
                if c != q {
                    raw.push('\\');
                }
                raw.push(c);
            } else if c == '\\' {
                escaped = true;
            } else {
                raw.push(c);
            }
        }
        let kind = if q == '"' { "double" } else { "single" };
        Err(self.err(
            line,
            format!("the value of {key} opens a {kind} quote that is never closed (the value is not shown: it may be a secret)"),
        ))
    }

    /// Interpolates a value: `lookup` first, then the entries above.
    fn expand(&mut self, raw: &str, key: &str, line: u32) -> Result<String, DotenvError> {
        let entries = &self.out.entries;
        let lookup = self.lookup;
        let got = interpolate(raw, &|name| {
            lookup(name).or_else(|| entries.get(name).map(|e| e.value.clone()))
        })
        .map_err(|e| DotenvError {
            line,
            // The interpolation error quotes the value: say what is wrong, not the value.
            message: match e {
                crate::interpolate::InterpolationError::Invalid { detail, .. } => {
                    format!("in the value of {key}: invalid interpolation format: {detail}")
                }
                other => format!("in the value of {key}: {other}"),
            },
        })?;
        self.out.warnings.extend(
            got.unset
                .into_iter()
                .map(|variable| DotenvWarning { line, variable }),
        );
        Ok(got.value)
    }
}

/// Backslash escapes of double-quoted values. `\$` becomes `$$` so that interpolation leaves a
/// literal `$`. `\0` takes up to three more digits: exactly three octal digits worth at most 255
/// give that character; otherwise Compose drops the `0` and keeps `\` and the digits.
fn expand_escapes(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let simple = match chars.peek() {
            Some('a') => Some("\u{7}"),
            Some('b') => Some("\u{8}"),
            Some('f') => Some("\u{c}"),
            Some('n') => Some("\n"),
            Some('r') => Some("\r"),
            Some('t') => Some("\t"),
            Some('v') => Some("\u{b}"),
            Some('"') => Some("\""),
            Some('\\') => Some("\\"),
            Some('$') => Some("$$"),
            _ => None,
        };
        if let Some(s) = simple {
            chars.next();
            out.push_str(s);
            continue;
        }
        if chars.peek() == Some(&'0') {
            chars.next();
            let mut digits = String::new();
            while digits.len() < 3 {
                match chars.peek() {
                    Some(d) if d.is_ascii_digit() => {
                        digits.push(*d);
                        chars.next();
                    }
                    _ => break,
                }
            }
            let octal = (digits.len() == 3)
                .then(|| u32::from_str_radix(&digits, 8).ok())
                .flatten()
                .filter(|v| *v <= 0xff)
                .and_then(char::from_u32);
            match octal {
                Some(ch) => out.push(ch),
                None => {
                    out.push('\\');
                    out.push_str(&digits);
                }
            }
            continue;
        }
        out.push('\\');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The probes' shell: `SHELLV=sh TAG=shell`.
    fn shell(name: &str) -> Option<String> {
        match name {
            "SHELLV" => Some("sh".into()),
            "TAG" => Some("shell".into()),
            _ => None,
        }
    }

    fn entries(text: &str) -> Vec<(String, String)> {
        let mut got: Vec<_> = parse(text, &shell)
            .unwrap_or_else(|e| panic!("{text:?}: unexpected error {e}"))
            .into_iter()
            .map(|(k, e)| (k, e.value))
            .collect();
        got.sort();
        got
    }

    /// Each row: file text, then the variables Compose produced (sorted by name).
    ///
    /// Observed with Docker Compose 2.26.1: the text is written to `vars.env`, used as
    /// `services: {s: {image: busybox, env_file: vars.env}}`, run as
    /// `env -i PATH=$PATH HOME=$HOME SHELLV=sh TAG=shell compose-v2 -f compose.yaml -p t config
    /// --format json`, reading `.services.s.environment` (with `$$` turned back into `$`).
    /// `env_file` and `.env` use the same parser; only the lookup differs.
    const OK: &[(&str, &[(&str, &str)])] = &[
        ("A=1\nB=2", &[("A", "1"), ("B", "2")]),
        ("", &[]),
        ("\n\n  \n", &[]),
        ("A=1\n\n\n  \nB=2\n", &[("A", "1"), ("B", "2")]),
        // export
        ("export K=V", &[("K", "V")]),
        ("export  K=V", &[("K", "V")]),
        ("export\tK=V", &[("K", "V")]),
        ("export  A = 1\n", &[("A", "1")]),
        ("export=1", &[("export", "1")]),
        ("exportA=1\n", &[("exportA", "1")]),
        ("export   \n", &[]),
        ("export SHELLV\n", &[("SHELLV", "sh")]),
        // bare keys
        ("K\n", &[]),
        ("SHELLV\n", &[("SHELLV", "sh")]),
        ("A=1\nSHELLV\nB=2\n", &[("A", "1"), ("B", "2"), ("SHELLV", "sh")]),
        ("A=1\nA\n", &[("A", "1")]),
        ("K=1\nK\n", &[("K", "1")]),
        ("SHELLV=file\nSHELLV\n", &[("SHELLV", "sh")]),
        // comments and blanks
        ("#A=1\n", &[]),
        ("   # indented comment\nA=1\n", &[("A", "1")]),
        ("A=1 #c\n#B=2\n", &[("A", "1")]),
        ("A=a#b", &[("A", "a#b")]),
        ("A=a #b", &[("A", "a")]),
        ("A=a\t#b", &[("A", "a\t#b")]),
        ("A= #b", &[("A", "#b")]),
        ("A=#b", &[("A", "#b")]),
        ("A= # only comment\n", &[("A", "# only comment")]),
        ("A=x # c # d\n", &[("A", "x")]),
        ("A=  spaced  ", &[("A", "spaced")]),
        ("  A  =  x  ", &[("A", "x")]),
        ("A=a  b  c", &[("A", "a  b  c")]),
        ("A=\tx\t\n", &[("A", "x")]),
        ("A=x\tB=2\n", &[("A", "x\tB=2")]),
        ("A=x\n  B=2\n", &[("A", "x"), ("B", "2")]),
        ("A=1\n\tB=2\n", &[("A", "1"), ("B", "2")]),
        ("A=x\u{a0}\n", &[("A", "x")]),
        ("\u{a0}A=1\n", &[("A", "1")]),
        // empty values
        ("A=\n", &[("A", "")]),
        ("A=\"\"\n", &[("A", "")]),
        ("A=''\n", &[("A", "")]),
        ("A=   \n", &[("A", "")]),
        ("A:\n", &[("A", "")]),
        ("A:  \n", &[("A", "")]),
        // unquoted values keep quotes and backslashes
        ("A=unq\"uote\n", &[("A", "unq\"uote")]),
        ("A=a'b\n", &[("A", "a'b")]),
        ("A=x \"y\"\n", &[("A", "x \"y\"")]),
        ("A=\\n\n", &[("A", "\\n")]),
        ("A=a\\tb\n", &[("A", "a\\tb")]),
        ("A=a\\\nb\n", &[("A", "a\\")]),
        // single quotes
        ("A='sq $SHELLV ${SHELLV} \\n'", &[("A", "sq $SHELLV ${SHELLV} \\n")]),
        ("A='multi\nline'\n", &[("A", "multi\nline")]),
        ("A='a\\'b'\n", &[("A", "a'b")]),
        ("A='a\\\\b'\n", &[("A", "a\\\\b")]),
        ("A='x'", &[("A", "x")]),
        ("A='x' y\n", &[("A", "x")]),
        // double quotes
        ("A=\"x\"", &[("A", "x")]),
        ("A= \"lead\"\n", &[("A", "lead")]),
        ("A=\"multi\nline\n  indented\"\nB=2\n", &[("A", "multi\nline\n  indented"), ("B", "2")]),
        ("A=\"dq $SHELLV ${SHELLV} $$ \\$ x\"\n", &[("A", "dq sh sh $ $ x")]),
        (
            "A=\"dq \\$SHELLV \\n \\t \\\" \\\\ \\$SHELLV \\a \\x41 \\u0041 \\0101 \\012 \\0\"",
            &[("A", "dq $SHELLV \n \t \" \\ $SHELLV \u{7} \\x41 \\u0041 A \\12 \\")],
        ),
        ("A=\"a\\\"b\"\n", &[("A", "a\"b")]),
        ("A=\"a\\\\\"\n", &[("A", "a\\")]),
        ("A=\"\\\\\\\"\"\n", &[("A", "\\\"")]),
        ("A=\"a\\'b\"\n", &[("A", "a\\'b")]),
        ("A=\"a\\\nb\"\n", &[("A", "a\\\nb")]),
        ("A=\"\\0\"\n", &[("A", "\\")]),
        ("A=\"\\01\"\n", &[("A", "\\1")]),
        ("A=\"\\0101x\"\n", &[("A", "Ax")]),
        ("A=\"\\0777\"\n", &[("A", "\\777")]),
        ("A=\"\\08\"\n", &[("A", "\\8")]),
        ("A=\"\\b\\f\\r\\v\"\n", &[("A", "\u{8}\u{c}\r\u{b}")]),
        ("A=\"$\"\n", &[("A", "$")]),
        ("A=\"$1\"\n", &[("A", "$1")]),
        // after the closing quote the line goes on as a new statement
        ("A=\"x\" # comment\nB=2\n", &[("A", "x"), ("B", "2")]),
        ("A=\"x\"  \t# c\n", &[("A", "x")]),
        ("A=\"x\"junk\nB=2\n", &[("A", "x"), ("B", "2")]),
        ("A=\"x\"y=1\n", &[("A", "x"), ("y", "1")]),
        ("A=\"x\" B=2\n", &[("A", "x"), ("B", "2")]),
        // keys
        ("A.B-C[0]=1\n", &[("A.B-C[0]", "1")]),
        ("Ä=1\n", &[("Ä", "1")]),
        ("1A=x\n", &[("1A", "x")]),
        ("K: V\n", &[("K", "V")]),
        ("K:V\n", &[("K", "V")]),
        ("K :  V # c\n", &[("K", "V")]),
        ("K: \"V # x\"\n", &[("K", "V # x")]),
        ("K=a=b\n", &[("K", "a=b")]),
        ("K=a:b\n", &[("K", "a:b")]),
        ("K:a=b\n", &[("K", "a=b")]),
        // line endings and BOM
        ("A=1\r\nB=2\r\n", &[("A", "1"), ("B", "2")]),
        ("A=\"x\"\r\nB=y\r\n", &[("A", "x"), ("B", "y")]),
        ("A=\"l1\r\nl2\"\r\n", &[("A", "l1\r\nl2")]),
        ("# c\r\nA=1\r\n", &[("A", "1")]),
        ("K\r\nA=1\r\n", &[("A", "1")]),
        ("\u{feff}A=1\n", &[("A", "1")]),
        // interpolation: shell first, then lines above, never lines below
        ("A=1\nA=2\n", &[("A", "2")]),
        ("A=1\nB=$A\n", &[("A", "1"), ("B", "1")]),
        ("TAG=file\nB=$TAG\n", &[("B", "shell"), ("TAG", "file")]),
        ("A=1\nB=${A:-x}\n", &[("A", "1"), ("B", "1")]),
        ("B=$LATER\nLATER=1\n", &[("B", ""), ("LATER", "1")]),
        ("A=x\nB=\"${A}y\"\n", &[("A", "x"), ("B", "xy")]),
        ("A=x\nB='${A}y'\n", &[("A", "x"), ("B", "${A}y")]),
        ("B=${UNSET_Q}\n", &[("B", "")]),
        ("B=\"${UNSET_Q}\"\n", &[("B", "")]),
        ("A=\\$SHELLV\n", &[("A", "\\sh")]),
        ("A=$$SHELLV\n", &[("A", "$SHELLV")]),
        ("A=$SHELLV\\n\n", &[("A", "sh\\n")]),
        ("A=${SHELLV}\\t\n", &[("A", "sh\\t")]),
        ("A=${X:-a#b}\n", &[("A", "a#b")]),
        // the corpus case p-dotenv-syntax (TAG comes from .env there, from the shell here)
        (
            "# comment line\nexport EXP=exported\nSQ='single $TAG ${TAG}'\nDQ=\"double ${TAG} \\n escaped-newline\"\nUQ=unquoted # trailing comment\nUQ2=value#hash-not-comment\nMULTI=\"line1\nline2\"\nEMPTY=\nNOEQ_UNSET\nSHELLV\nSPACED = spaced value\nDEF=${UNSET_X:-deflt}\n",
            &[
                ("DEF", "deflt"),
                ("DQ", "double shell \n escaped-newline"),
                ("EMPTY", ""),
                ("EXP", "exported"),
                ("MULTI", "line1\nline2"),
                ("SHELLV", "sh"),
                ("SPACED", "spaced value"),
                ("SQ", "single $TAG ${TAG}"),
                ("UQ", "unquoted"),
                ("UQ2", "value#hash-not-comment"),
            ],
        ),
    ];

    #[test]
    fn table_matches_compose() {
        for (text, want) in OK {
            let want: Vec<_> = want
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            assert_eq!(entries(text), want, "{text:?}");
        }
    }

    /// Where we deliberately differ from Compose (see the module docs). Compose's result is in
    /// the comment (same probe as [`OK`]).
    #[test]
    fn deliberate_differences() {
        // Compose: {"": "K"} (a variable with an empty name).
        assert_eq!(entries("K"), []);
        assert_eq!(
            entries("A=1\nSHELLV"),
            [("A".into(), "1".into()), ("SHELLV".into(), "sh".into())]
        );
        // Compose: {"": "value"}.
        let e = parse("A=1\n=value\n", &shell).unwrap_err();
        assert_eq!(e.line, 2);
        assert_eq!(e.to_string(), "line 2: missing variable name before '='");
        // Compose: {"A\tB": "1"}.
        assert_eq!(parse("A\tB=1\n", &shell).unwrap_err().line, 1);
    }

    /// Each row: file text, the line we report, a piece of our message. Compose's message is in
    /// the comment (same probe as [`OK`]; Compose prefixes `failed to read <file>: `).
    const ERRORS: &[(&str, u32, &str)] = &[
        // line 1: key cannot contain a space
        ("A B=1\n", 1, "variable name \"A B\" cannot contain blanks"),
        // line 1: key cannot contain a space
        ("EXPORT A=1\n", 1, "cannot contain blanks"),
        // line 4: key cannot contain a space
        ("A=1\nB=\"x\ny\"\nC D=1\n", 4, "\"C D\""),
        // line 2: key cannot contain a space
        ("K\nA B=1\n", 2, "\"A B\""),
        // line 4: key cannot contain a space
        ("A=1\n\n# c\nA B=1\n", 4, "\"A B\""),
        // line 1: unexpected character "$" in variable name "A$=1"
        (
            "A$=1\n",
            1,
            "unexpected character '$' in variable name \"A$\"",
        ),
        // line 1: unexpected character "@" in variable name "A@B=1"
        ("A@B=1\n", 1, "'@'"),
        // line 1: unexpected character "/" in variable name "A/B=1"
        ("X=1\r\nA/B=1\r\n", 2, "'/'"),
        // line 3: unterminated quoted value "unterminated
        (
            "A=\"unterminated\nB=2\n",
            1,
            "the value of A opens a double quote that is never closed",
        ),
        // line 2: unterminated quoted value 'unterminated
        ("A='unterminated\n", 1, "single quote"),
        // line 2: unterminated quoted value "a\"
        ("X=1\nA=\"a\\\"\n", 2, "double quote"),
        // required variable UNSET_Q is missing a value: must set
        (
            "X=1\nB=${UNSET_Q:?must set}\n",
            2,
            "in the value of B: required variable UNSET_Q is missing a value: must set",
        ),
        // Invalid template: "${BAD"
        (
            "B=${BAD\n",
            1,
            "in the value of B: invalid interpolation format: \"${BAD\" is never closed",
        ),
        // Invalid template: "${BAD"
        ("B=\"${BAD\"\n", 1, "invalid interpolation format"),
        // Invalid template: "${X:-a"  (` #` starts a comment before interpolation)
        ("A=${X:-a #b}\n", 1, "\"${X:-\" is never closed"),
    ];

    #[test]
    fn errors_match_compose() {
        for (text, line, piece) in ERRORS {
            let e = parse(text, &shell).expect_err(text);
            assert_eq!(e.line, *line, "line of {text:?}: {e}");
            assert!(
                e.message.contains(piece),
                "{text:?}: {:?} does not contain {piece:?}",
                e.message
            );
        }
    }

    #[test]
    fn lines_are_where_keys_start() {
        let got = parse(
            "# c\nA=1\n\nB=\"x\ny\"\nSHELLV\nC='p\nq'\r\nexport D=2\n  E: 3",
            &shell,
        )
        .unwrap();
        let lines: Vec<_> = got.iter().map(|(k, e)| (k.as_str(), e.line)).collect();
        assert_eq!(
            lines,
            [
                ("A", 2),
                ("B", 4),
                ("SHELLV", 6),
                ("C", 7),
                ("D", 9),
                ("E", 10)
            ]
        );
        // a redefinition keeps the first position but records the later line
        let got = parse("A=1\nB=2\nA=3\n", &shell).unwrap();
        assert_eq!(
            got.get_index(0).unwrap(),
            (
                &"A".to_string(),
                &DotenvEntry {
                    value: "3".into(),
                    line: 3
                }
            )
        );
    }

    /// Compose printed `The "LATER" variable is not set. Defaulting to a blank string.` for
    /// `B=$LATER\nLATER=1` (same probe as [`OK`]).
    #[test]
    fn warnings_for_unset_variables() {
        let got = parse_with_warnings(
            "X=1\nB=$LATER\nLATER=1\nC=\"${NOPE}\"\nD='$QUIET'\nE=${Q:-d}\n",
            &shell,
        )
        .unwrap();
        assert_eq!(
            got.warnings,
            [
                DotenvWarning {
                    line: 2,
                    variable: "LATER".into()
                },
                DotenvWarning {
                    line: 4,
                    variable: "NOPE".into()
                },
            ]
        );
        assert_eq!(
            got.warnings[0].to_string(),
            "The \"LATER\" variable is not set. Defaulting to a blank string."
        );
    }

    /// `.env` precedence, observed with a `.env` of
    /// `TAG=file / B=${TAG}-x / C=${ONLYFILE:-d} / ONLYFILE=of / D=$ONLYFILE / E="${TAG}"` and
    /// `environment: {B: ${B}, …}`: with `TAG=shell` in the shell Compose gave
    /// `B=shell-x C=d D=of E=shell TAG=shell`; without it `B=file-x … E=file TAG=file`.
    /// (The file's own `TAG=file` is kept in the parse result; the caller lets the shell win.)
    #[test]
    fn shell_wins_inside_the_file() {
        let text =
            "TAG=file\nB=${TAG}-x\nC=${ONLYFILE:-d}\nONLYFILE=of\nD=$ONLYFILE\nE=\"${TAG}\"\n";
        let get = |m: &IndexMap<String, DotenvEntry>, k: &str| m[k].value.clone();
        let with_shell = parse(text, &shell).unwrap();
        assert_eq!(
            ["B", "C", "D", "E"].map(|k| get(&with_shell, k)),
            ["shell-x", "d", "of", "shell"]
        );
        let no_shell = parse(text, &|_| None).unwrap();
        assert_eq!(
            ["B", "C", "D", "E", "TAG"].map(|k| get(&no_shell, k)),
            ["file-x", "d", "of", "file", "file"]
        );
    }
}
