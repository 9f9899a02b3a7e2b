//! `.dockerignore` patterns as Docker 20.10 matches them (Go regexps built from globs): the
//! patterns, then a NUL, then context paths, one per line.
#![no_main]

use berth_compose::build_context::DockerIgnore;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (patterns, paths) = text.split_once('\0').unwrap_or((text, "a/b\nDockerfile\n.git/x"));
    let Ok(ignore) = DockerIgnore::parse(patterns) else {
        return;
    };
    for path in paths.lines().take(64) {
        let _ = ignore.matches(path);
    }
});
