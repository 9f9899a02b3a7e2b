//! `${VAR}` interpolation: every operator, nesting, `$$`, malformed templates. A few variables
//! are set (one empty) so that defaults, alternatives and required checks all take both paths.
#![no_main]

use berth_compose::fuzzing::interpolate;
use libfuzzer_sys::fuzz_target;

fn lookup(name: &str) -> Option<String> {
    match name {
        "SET" | "A" => Some("value".into()),
        "EMPTY" => Some(String::new()),
        "NESTED" => Some("${SET}".into()),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(done) = interpolate(text, &lookup) {
        // Output never grows beyond the input plus what the variables hold.
        assert!(done.value.len() <= text.len() * 6 + 16, "{text:?}");
    }
});
