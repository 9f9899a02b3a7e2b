//! The short-syntax parsers: the first byte picks one (ports, volumes, durations, byte sizes,
//! extra hosts, devices, command lines, Go integers, env entries), the rest is its input.
#![no_main]

use berth_compose::syntax;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(s) = std::str::from_utf8(rest) else {
        return;
    };
    match which % 10 {
        0 => {
            if let Ok(ports) = syntax::parse_port(s) {
                // Ranges are kept compact: no spec expands to more entries than it has bytes
                // times the ports a range can hold.
                assert!(ports.len() <= 65_536 * 2, "{s:?}");
            }
        }
        1 => {
            let _ = syntax::parse_volume(s);
        }
        2 => {
            if let Ok(n) = syntax::parse_duration_nanos(s) {
                // What is parsed prints back and parses to the same value.
                let printed = syntax::format_go_duration_nanos(n);
                assert_eq!(syntax::parse_duration_nanos(&printed).ok(), Some(n), "{s:?} -> {printed}");
            }
        }
        3 => {
            let _ = syntax::parse_bytes(s);
        }
        4 => {
            let _ = syntax::parse_extra_host(s);
        }
        5 => {
            let _ = syntax::parse_device(s);
        }
        6 => {
            let _ = syntax::split_command(s);
            let _ = syntax::healthcheck_test_from_string(s);
        }
        7 => {
            let _ = syntax::parse_go_int(s);
        }
        8 => {
            let _ = syntax::split_env_entry(s);
        }
        _ => {
            let _ = syntax::normalize_duration(s);
        }
    }
});
