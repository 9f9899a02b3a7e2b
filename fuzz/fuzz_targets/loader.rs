//! The whole loader on one compose file: YAML, interpolation against a fixed environment,
//! `extends`, profiles, the canonical model and its types, then Compose v2's JSON and YAML
//! output and the config hash of every service. Files the input names (env_file, include,
//! extends) are looked up under a directory that does not exist.
#![no_main]

use berth_compose::options::{ConfigFile, Environment, ProjectOptions};
use berth_compose::{hash, load, render, LoadFlags};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = berth_compose::input::decode(data.to_vec()) else {
        return;
    };
    let dir = std::path::PathBuf::from("/nonexistent/berth-fuzz");
    let mut environment = Environment::default();
    for (k, v) in [("TAG", "1.0"), ("EMPTY", ""), ("PORT", "8080")] {
        environment.vars.insert(k.into(), v.into());
    }
    let opts = ProjectOptions {
        files: vec![ConfigFile {
            path: dir.join("compose.yaml"),
            content: Some(text),
        }],
        working_dir: dir,
        environment,
        explicit_name: Some("fuzz".into()),
        profiles: vec!["debug".into()],
        env_files: Vec::new(),
        warnings: Vec::new(),
    };
    let Ok(loaded) = load(&opts, &LoadFlags::default()) else {
        return;
    };
    for (name, service) in &loaded.project.services {
        let _ = hash::service_hash(name, service);
    }
    if let Ok(value) = serde_json::to_value(&loaded.project) {
        let _ = render::to_json(&value);
        let _ = render::to_yaml(&value);
    }
});
