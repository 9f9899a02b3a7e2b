//! Compose's `${}` interpolation of one string value.
//!
//! The rules are Docker Compose v2.26.1's, checked by running it (`compose-v2 config`); the table
//! tests at the bottom record what it printed.
//!
//! * `$NAME` and `${NAME}`; a name is `[_a-zA-Z][_a-zA-Z0-9]*` and a bare name is greedy
//!   (`$SET_more` looks up `SET_more`).
//! * `$$` is a literal `$`. A `$` followed by neither a name, `$` nor `{` stays as it is
//!   (`cost $5`, a trailing `$`).
//! * `${NAME:-d}` `${NAME-d}` `${NAME:?e}` `${NAME?e}` `${NAME:+a}` `${NAME+a}`, where the colon
//!   forms treat an empty value like an unset one. The text after the operator is itself
//!   interpolated, so forms nest: `${A:-${B:-x}}`, `${A:-$B}`.
//! * Anything else after `${` (`${}`, `${ A}`, `${A/x/y}`, `${UNCLOSED`) is an error.
//!
//! Three details follow Compose exactly because they are observable:
//!
//! * **The argument is always evaluated.** `${SET:-$UNSET}` warns about `UNSET` although the
//!   default is not used, and `${SET:-${R?boom}}` fails although `SET` is set.
//! * **Where an operator form ends.** Compose first takes the text up to the *last* `}` on the same
//!   line, then cuts it at the first `}` that balances the braces, counting every `{` (not only
//!   `${`) and skipping the character right after each `{`. For ordinary input that is the
//!   matching `}`; it only differs for odd defaults such as `${A:-{}${B}` (an error in Compose
//!   too). An operator form cannot span a line break: `${A:-x⏎y}` is an error.
//! * **Warnings.** Only a plain `$NAME` / `${NAME}` whose variable is unset gives
//!   `The "NAME" variable is not set. Defaulting to a blank string.`; the operator forms never do.
//!
//! Known difference: Compose's name pattern is matched case-insensitively by Go's regexp, so it
//! also accepts the two non-ASCII letters that case-fold into ASCII (`ſ`, U+017F and the Kelvin
//! sign U+212A) as name characters. We accept ASCII only.

/// Result of interpolating one string.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Interpolated {
    pub value: String,
    /// Variables referenced that were unset and had no default/alternative form that covers it
    /// (each gives Compose's warning `The "X" variable is not set. Defaulting to a blank string.`),
    /// in order of appearance, deduplicated.
    pub unset: Vec<String>,
    /// Every variable name looked up, in the order Compose looks them up (an operator's argument
    /// before the operator's own variable), deduplicated (for provenance: "where did this value
    /// come from").
    pub used: Vec<String>,
}

/// Compose's warning for an unset variable: `The "X" variable is not set. Defaulting to a blank
/// string.`
pub fn unset_warning(var: &str) -> String {
    format!("The {var:?} variable is not set. Defaulting to a blank string.")
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InterpolationError {
    /// `${V:?msg}` / `${V?msg}` failed. Display: `required variable V is missing a value: msg`
    /// (or without `: msg` when msg is empty) — same words as Compose.
    #[error("required variable {var} is missing a value{}", if message.is_empty() { String::new() } else { format!(": {message}") })]
    Required { var: String, message: String },
    /// Malformed template, e.g. `${UNCLOSED` or `${A/foo/bar}`. `template` is the whole offending
    /// input string; `detail` says what is wrong and where.
    #[error("invalid interpolation format in {template:?}: {detail}. You may need to escape any $ with another $")]
    Invalid { template: String, detail: String },
}

/// Interpolates `template`. `lookup` returns `None` for an unset variable and `Some("")` for one
/// set to the empty string. The result contains a literal `$` for every `$$`.
pub fn interpolate(
    template: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Interpolated, InterpolationError> {
    let mut run = Run {
        whole: template,
        lookup,
        unset: Vec::new(),
        used: Vec::new(),
        depth: 0,
    };
    let value = run.expand(0, template.len())?;
    Ok(Interpolated {
        value,
        unset: run.unset,
        used: run.used,
    })
}

/// The six operators allowed after `${NAME`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// `:-` (colon) or `-`: default.
    Default { colon: bool },
    /// `:?` or `?`: required.
    Required { colon: bool },
    /// `:+` or `+`: alternative.
    Alternative { colon: bool },
}

/// What starts at a `$`.
enum Token {
    /// Not a substitution: the `$` is kept as it is.
    Literal,
    /// `$$`.
    Escaped,
    /// `$NAME` or `${NAME}`: `name` is a byte range, `end` is just past the token.
    Plain { name: (usize, usize), end: usize },
    /// `${NAME<op>…}`: the argument is the byte range `arg`; `end` is just past the closing `}`.
    WithOp {
        name: (usize, usize),
        op: Op,
        arg: (usize, usize),
        end: usize,
    },
}

fn is_name_start(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphabetic()
}

fn is_name_char(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphanumeric()
}

struct Run<'a> {
    whole: &'a str,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    unset: Vec<String>,
    used: Vec<String>,
    /// How many operator arguments deep `expand` is (each is one more call).
    depth: usize,
}

/// `${A:-${B:-…}}` nested deeper than this is refused (real files nest two or three levels;
/// without a bound a hostile value overflows the stack).
const MAX_NESTING: usize = 64;

impl Run<'_> {
    fn get(&mut self, name: &str) -> Option<String> {
        if !self.used.iter().any(|u| u == name) {
            self.used.push(name.to_string());
        }
        (self.lookup)(name)
    }

    /// Interpolates `whole[start..end]`. A substitution never reaches past `end`, exactly as
    /// Compose interpolates an operator's argument as a string of its own.
    fn expand(&mut self, start: usize, end: usize) -> Result<String, InterpolationError> {
        let bytes = self.whole.as_bytes();
        let mut out = String::with_capacity(end - start);
        let mut copied = start; // text before this index is already in `out`
        let mut i = start;
        while let Some(off) = bytes[i..end].iter().position(|&b| b == b'$') {
            let at = i + off;
            let token = self.scan(at, end)?;
            let next = match token {
                Token::Literal => {
                    i = at + 1;
                    continue;
                }
                Token::Escaped => {
                    out.push_str(&self.whole[copied..at]);
                    out.push('$');
                    at + 2
                }
                Token::Plain { name, end } => {
                    out.push_str(&self.whole[copied..at]);
                    let name = &self.whole[name.0..name.1];
                    match self.get(name) {
                        Some(v) => out.push_str(&v),
                        None => {
                            if !self.unset.iter().any(|u| u == name) {
                                self.unset.push(name.to_string());
                            }
                        }
                    }
                    end
                }
                Token::WithOp { name, op, arg, end } => {
                    out.push_str(&self.whole[copied..at]);
                    // Compose evaluates the argument first, whether or not it is used.
                    if self.depth >= MAX_NESTING {
                        return Err(self.invalid(
                            at,
                            &format!(
                                "substitutions are nested more than {MAX_NESTING} levels deep"
                            ),
                        ));
                    }
                    self.depth += 1;
                    let arg = self.expand(arg.0, arg.1);
                    self.depth -= 1;
                    let arg = arg?;
                    let name = &self.whole[name.0..name.1];
                    let value = self.get(name);
                    let usable = |colon: bool| match &value {
                        Some(v) => !colon || !v.is_empty(),
                        None => false,
                    };
                    match op {
                        Op::Default { colon } => {
                            if usable(colon) {
                                out.push_str(value.as_deref().unwrap_or_default());
                            } else {
                                out.push_str(&arg);
                            }
                        }
                        Op::Required { colon } => {
                            if !usable(colon) {
                                return Err(InterpolationError::Required {
                                    var: name.to_string(),
                                    message: arg,
                                });
                            }
                            out.push_str(value.as_deref().unwrap_or_default());
                        }
                        Op::Alternative { colon } => {
                            if usable(colon) {
                                out.push_str(&arg);
                            }
                        }
                    }
                    end
                }
            };
            copied = next;
            i = next;
        }
        out.push_str(&self.whole[copied..end]);
        Ok(out)
    }

    /// Classifies the `$` at `at`, looking no further than `end`.
    fn scan(&self, at: usize, end: usize) -> Result<Token, InterpolationError> {
        let b = &self.whole.as_bytes()[..end];
        let name_end = |from: usize| {
            from + b[from..]
                .iter()
                .position(|&c| !is_name_char(c))
                .unwrap_or(b.len() - from)
        };
        match b.get(at + 1) {
            Some(b'$') => Ok(Token::Escaped),
            Some(&c) if is_name_start(c) => {
                let e = name_end(at + 1);
                Ok(Token::Plain {
                    name: (at + 1, e),
                    end: e,
                })
            }
            Some(b'{') => {
                let n0 = at + 2;
                match b.get(n0) {
                    Some(&c) if is_name_start(c) => {}
                    Some(_) => {
                        return Err(self.invalid(
                            at,
                            "\"${\" must be followed by a variable name (a letter or '_', then letters, digits or '_')",
                        ))
                    }
                    None => return Err(self.invalid(at, "\"${\" is not followed by a variable name")),
                }
                let n1 = name_end(n0);
                let name_txt = &self.whole[n0..n1];
                let (op, arg0) = match (b.get(n1), b.get(n1 + 1)) {
                    (Some(b'}'), _) => {
                        return Ok(Token::Plain {
                            name: (n0, n1),
                            end: n1 + 1,
                        })
                    }
                    (Some(b':'), Some(&c)) if matches!(c, b'-' | b'?' | b'+') => {
                        (op_of(c, true), n1 + 2)
                    }
                    (Some(&c), _) if matches!(c, b'-' | b'?' | b'+') => (op_of(c, false), n1 + 1),
                    (None, _) => {
                        return Err(self
                            .invalid(at, &format!("\"${{{name_txt}\" is never closed with '}}'")))
                    }
                    (Some(_), _) => {
                        let found = self.whole[n1..end].chars().next().unwrap_or_default();
                        return Err(self.invalid(
                            at,
                            &format!(
                                "{found:?} after \"${{{name_txt}\" is not allowed; expected '}}' or one of the operators :- - :? ? :+ +"
                            ),
                        ));
                    }
                };
                // The form reaches to the last '}' before the end of the line ...
                let line_end = b[arg0..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(end, |p| arg0 + p);
                let Some(last) = b[arg0..line_end].iter().rposition(|&c| c == b'}') else {
                    let what = if line_end < end {
                        "before the end of the line"
                    } else {
                        ""
                    };
                    let sep = if what.is_empty() { "" } else { " " };
                    return Err(self.invalid(
                        at,
                        &format!(
                            "\"${{{name_txt}{}\" is never closed with '}}'{sep}{what}",
                            &self.whole[n1..arg0]
                        ),
                    ));
                };
                let mut close = arg0 + last;
                // ... and is then cut where Compose's brace count first returns to zero.
                if let Some(c) = compose_first_close(&b[at..=close]) {
                    close = at + c;
                }
                Ok(Token::WithOp {
                    name: (n0, n1),
                    op,
                    arg: (arg0, close),
                    end: close + 1,
                })
            }
            _ => Ok(Token::Literal),
        }
    }

    fn invalid(&self, at: usize, detail: &str) -> InterpolationError {
        let col = self.whole[..at].chars().count() + 1;
        // A hostile template can be megabytes long: quote the start of it, not all of it.
        let template = match self.whole.char_indices().nth(120) {
            Some((cut, _)) if self.whole.len() > 240 => format!("{}…", &self.whole[..cut]),
            _ => self.whole.to_string(),
        };
        InterpolationError::Invalid {
            template,
            detail: format!("{detail} (at character {col})"),
        }
    }
}

fn op_of(c: u8, colon: bool) -> Op {
    match c {
        b'-' => Op::Default { colon },
        b'?' => Op::Required { colon },
        _ => Op::Alternative { colon },
    }
}

/// Compose's brace matching on a `${…}` form: every `{` opens (and the character right after it
/// is not examined), every `}` closes; returns the index of the `}` that closes the first `{`.
fn compose_first_close(s: &[u8]) -> Option<usize> {
    let mut depth = 0i64;
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            b'{' => {
                depth += 1;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The environment of the probes: `SET=val EMPTY= SET_more=GREEDY lower=lo B=bee`.
    fn env(name: &str) -> Option<String> {
        match name {
            "SET" => Some("val".into()),
            "EMPTY" => Some(String::new()),
            "SET_more" => Some("GREEDY".into()),
            "lower" => Some("lo".into()),
            "B" => Some("bee".into()),
            _ => None,
        }
    }

    fn run(t: &str) -> Result<Interpolated, InterpolationError> {
        interpolate(t, &env)
    }

    /// Each row: template, value, warned-about variables.
    ///
    /// Observed with Docker Compose 2.26.1: the template is the value of `environment: {V: …}` in
    /// a one-service compose.yaml, run as
    /// `env -i PATH=$PATH HOME=$HOME SET=val EMPTY= SET_more=GREEDY lower=lo B=bee
    ///  compose-v2 -f compose.yaml -p t config --format json`,
    /// reading `.services.s.environment.V` (with `$$` turned back into `$`) and the
    /// `The "X" variable is not set` warnings on stderr.
    const OK: &[(&str, &str, &[&str])] = &[
        // operator × {unset, empty, set}
        ("${UNSET}", "", &["UNSET"]),
        ("$UNSET", "", &["UNSET"]),
        ("${UNSET:-d}", "d", &[]),
        ("${UNSET-d}", "d", &[]),
        ("${UNSET:+r}", "", &[]),
        ("${UNSET+r}", "", &[]),
        ("${EMPTY}", "", &[]),
        ("$EMPTY", "", &[]),
        ("${EMPTY:-d}", "d", &[]),
        ("${EMPTY-d}", "", &[]),
        ("${EMPTY?e}", "", &[]),
        ("${EMPTY?}", "", &[]),
        ("${EMPTY:+r}", "", &[]),
        ("${EMPTY+r}", "r", &[]),
        ("${SET}", "val", &[]),
        ("$SET", "val", &[]),
        ("${SET:-d}", "val", &[]),
        ("${SET-d}", "val", &[]),
        ("${SET:?e}", "val", &[]),
        ("${SET?e}", "val", &[]),
        ("${SET?}", "val", &[]),
        ("${SET:?}", "val", &[]),
        ("${SET:+r}", "r", &[]),
        ("${SET+r}", "r", &[]),
        // names
        ("$SET_more", "GREEDY", &[]),
        ("$SET-more", "val-more", &[]),
        ("${SET}_more", "val_more", &[]),
        ("${lower}", "lo", &[]),
        ("$lower", "lo", &[]),
        ("${_}", "", &["_"]),
        ("$_", "", &["_"]),
        ("${A1}", "", &["A1"]),
        ("$U $U ${U}", "  ", &["U"]), // Compose warns three times; we list it once
        // dollars
        ("$$SET", "$SET", &[]),
        ("$${SET}", "${SET}", &[]),
        ("$$$SET", "$val", &[]),
        ("a$$b", "a$b", &[]),
        ("cost $5", "cost $5", &[]),
        ("cost $5 and $", "cost $5 and $", &[]),
        ("$", "$", &[]),
        ("a$", "a$", &[]),
        ("$-x", "$-x", &[]),
        ("$1", "$1", &[]),
        ("$é", "$é", &[]),
        ("ü${SET}ü", "üvalü", &[]),
        // nesting and arguments
        ("${UNSET:-${SET:-x}}", "val", &[]),
        ("${UNSET:-${UNSET2:-deep}}", "deep", &[]),
        ("${UNSET:-${X:-${Y:-${Z:-deep}}}}", "deep", &[]),
        ("${UNSET:-${B}}", "bee", &[]),
        ("${UNSET:-$SET}", "val", &[]),
        ("${UNSET:-a b c}", "a b c", &[]),
        ("${UNSET:-é}", "é", &[]),
        ("${UNSET:-}", "", &[]),
        ("${UNSET-}", "", &[]),
        ("${SET+}", "", &[]),
        ("${UNSET:-$$}", "$", &[]),
        ("${UNSET:-$${B}}", "${B}", &[]),
        ("${UNSET-x:-y}", "x:-y", &[]),
        ("${UNSET:-a:-b}", "a:-b", &[]),
        // the argument is evaluated (and warns) even when it is not used
        ("${SET:-${UNSET}}", "val", &["UNSET"]),
        ("${SET:-$UNSET}", "val", &["UNSET"]),
        ("${SET:+$UNSET}", "", &["UNSET"]),
        // where a form ends
        ("${SET}${SET}", "valval", &[]),
        ("${SET:-x}}", "val}", &[]),
        ("${UNSET:-x}y}", "xy}", &[]),
        ("${UNSET:-{x}", "{x", &[]),
        ("${UNSET:-{x}}", "{x}", &[]),
        ("${UNSET:-x} and ${B}", "x and bee", &[]),
        ("${UNSET:-x}${B:-y}", "xbee", &[]),
        ("${X:-a}${Y:-b}}", "ab}", &[]),
        ("${UNSET:-x}\n${B}", "x\nbee", &[]),
    ];

    #[test]
    fn table_matches_compose() {
        for (t, want, unset) in OK {
            let got = run(t).unwrap_or_else(|e| panic!("{t:?}: unexpected error {e}"));
            assert_eq!(got.value, *want, "value of {t:?}");
            assert_eq!(got.unset, *unset, "unset of {t:?}");
        }
    }

    /// Required-variable failures: template, variable, message. Same probe as [`OK`]; Compose
    /// printed `error while interpolating services.s.environment.V: <Display of the error>`.
    const REQUIRED: &[(&str, &str, &str)] = &[
        ("${UNSET:?e}", "UNSET", "e"),
        ("${UNSET?e}", "UNSET", "e"),
        ("${UNSET?}", "UNSET", ""),
        ("${UNSET:?}", "UNSET", ""),
        ("${EMPTY:?e}", "EMPTY", "e"),
        ("${EMPTY:?}", "EMPTY", ""),
        ("${UNSET:?x-y}", "UNSET", "x-y"),
        ("${UNSET:?need ${SET}}", "UNSET", "need val"),
        // an unused argument still fails
        ("${EMPTY:+${UNSET?boom}}", "UNSET", "boom"),
        ("${SET:-${UNSET?boom}}", "UNSET", "boom"),
        // the first error wins
        ("pre ${UNSET:-a} mid ${UNSET?req} post ${X", "UNSET", "req"),
    ];

    #[test]
    fn required_matches_compose() {
        for (t, var, message) in REQUIRED {
            let err = run(t).expect_err(t);
            assert_eq!(
                err,
                InterpolationError::Required {
                    var: var.to_string(),
                    message: message.to_string()
                },
                "{t:?}"
            );
        }
        let msg = |t| run(t).unwrap_err().to_string();
        // Compose: "required variable UNSET is missing a value: e" / "... is missing a value"
        assert_eq!(
            msg("${UNSET:?e}"),
            "required variable UNSET is missing a value: e"
        );
        assert_eq!(
            msg("${UNSET?}"),
            "required variable UNSET is missing a value"
        );
    }

    /// Templates Compose rejects with `invalid interpolation format for services.s.environment.V.
    /// You may need to escape any $ with another $.` (same probe as [`OK`]).
    const INVALID: &[&str] = &[
        "${UNCLOSED",
        "x ${",
        "${}",
        "${ SET}",
        "${SET }",
        "${1}",
        "${SET:x}",
        "${SET:}",
        "${A/foo/bar}",
        "${SET#x}",
        "${SET:-x",
        "ok ${SET} ${BAD",
        "${SET} ${UNSET2} ${",
        "${UNSET:-${BAD}",
        "${UNSET:-x\ny}",
        "${SET\n}",
        "${UNSET:-{}${B}",
        "${UNSET:-{}}${B}",
    ];

    #[test]
    fn invalid_matches_compose() {
        for t in INVALID {
            match run(t) {
                Err(InterpolationError::Invalid { template, detail }) => {
                    assert_eq!(template, *t);
                    assert!(!detail.is_empty());
                }
                other => panic!("{t:?}: expected an invalid-template error, got {other:?}"),
            }
        }
    }

    #[test]
    fn invalid_messages_explain() {
        let msg = |t| run(t).unwrap_err().to_string();
        assert_eq!(
            msg("${UNCLOSED"),
            "invalid interpolation format in \"${UNCLOSED\": \"${UNCLOSED\" is never closed with '}' (at character 1). You may need to escape any $ with another $"
        );
        assert_eq!(
            msg("a ${A/foo/bar}"),
            "invalid interpolation format in \"a ${A/foo/bar}\": '/' after \"${A\" is not allowed; expected '}' or one of the operators :- - :? ? :+ + (at character 3). You may need to escape any $ with another $"
        );
        assert!(msg("${}").contains("must be followed by a variable name"));
        assert!(msg("${A:-x").contains("\"${A:-\" is never closed with '}'"));
        assert!(msg("${A:-x\n}").contains("before the end of the line"));
        // the position is counted in the whole template, also inside a nested argument
        assert!(msg("${UNSET:-${BAD}").contains("(at character 10)"));
    }

    #[test]
    fn used_lists_lookups_in_order() {
        let got = run("$SET ${UNSET:-${B}} $SET ${EMPTY:+x} $$NOPE").unwrap();
        assert_eq!(got.used, ["SET", "B", "UNSET", "EMPTY"]);
        assert!(got.unset.is_empty());
        assert_eq!(
            run("$X")
                .unwrap()
                .unset
                .iter()
                .map(|v| unset_warning(v))
                .collect::<Vec<_>>(),
            ["The \"X\" variable is not set. Defaulting to a blank string."]
        );
    }

    #[test]
    fn lookup_is_not_called_for_escapes_or_literals() {
        let got = interpolate("$$A cost $5 $", &|_| panic!("no lookup expected")).unwrap();
        assert_eq!(got.value, "$A cost $5 $");
        assert!(got.used.is_empty());
    }
}
