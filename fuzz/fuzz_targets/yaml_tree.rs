//! The YAML tree: bytes decoded as a compose file is (UTF-8, or UTF-16 with a BOM), the
//! go-yaml flow-indentation repair, then the event-driven tree builder (merge keys, anchors and
//! the alias budget, depth limit, go-yaml v3 typing).
#![no_main]

use berth_compose::input::decode;
use berth_compose::load::read_documents;
use berth_compose::options::ConfigFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = decode(data.to_vec()) else {
        return;
    };
    let file = ConfigFile {
        path: "compose.yaml".into(),
        content: Some(text),
    };
    let _ = read_documents(&file);
});
