//! `.env` / `env_file` text: quoting, escapes, `export`, comments, interpolation of earlier
//! keys, multi-line values.
#![no_main]

use berth_compose::dotenv::parse_with_warnings;
use libfuzzer_sys::fuzz_target;

fn lookup(name: &str) -> Option<String> {
    (name == "SHELL_VAR").then(|| "from-shell".to_string())
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_with_warnings(text, &lookup) {
        Ok(parsed) => {
            for key in parsed.entries.keys() {
                assert!(!key.is_empty(), "an empty key from {text:?}");
            }
        }
        Err(e) => {
            // An error names a line of the file, never a line past its end.
            assert!(e.line >= 1 && e.line as usize <= text.lines().count() + 1, "{e:?}");
        }
    }
});
