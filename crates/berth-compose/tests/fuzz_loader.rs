//! A bounded mutation fuzzer for the loader, run by the ordinary test suite: no input may
//! make it panic. Seeds are the conformance corpus's compose files (read from ../shared) and
//! a few hand-written files; each iteration mutates one (byte flips, YAML-significant tokens,
//! deletions, splices) and loads it. `FUZZ_ITERS` sets the count (default 3000) and
//! `FUZZ_SEED` the starting seed, so a failure can be replayed.

use std::panic;
use std::path::Path;

use berth_compose::load::{load, LoadFlags};
use berth_compose::options::{EnvSource, Environment, ProjectRequest};

/// xorshift64*: small, deterministic, good enough to drive mutations.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const TOKENS: &[&str] = &[
    "<<: *a\n",
    "&a ",
    "*a",
    "!reset ",
    "!override ",
    "${",
    "${A:-",
    "${B:?x}",
    "$$",
    "}",
    ":",
    ": ",
    "- ",
    "\t",
    "{",
    "}",
    "[",
    "]",
    "'",
    "\"",
    "\n  ",
    "\n    ",
    "---\n",
    "~",
    "null",
    "yes",
    "0755",
    "80:80:80:80",
    "-1",
    "99999999999999999999",
    "services:\n",
    "  web:\n",
    "    image: x\n",
    "    depends_on: [web]\n",
    "    extends: web\n",
    "    ports: ['1-65535:1-65535']\n",
    "include:\n  - nope.yaml\n",
    "    build: .\n",
    "    env_file: missing.env\n",
    "\u{feff}",
    "é",
    "    volumes: [':::']\n",
    "    healthcheck: {test: 5}\n",
    "x-a: &a {image: y}\n",
];

const SEEDS: &[&str] = &[
    "services:\n  web:\n    image: nginx:1.25\n    ports: ['8080:80']\n    depends_on:\n      db: {condition: service_healthy}\n  db:\n    image: postgres:16\n    healthcheck: {test: pg_isready, interval: 1s}\n",
    "x-common: &common\n  restart: always\n  environment: {A: '1'}\nservices:\n  a:\n    <<: *common\n    image: busybox\n    command: sh -c 'echo ${A:-x}'\n  b:\n    extends: a\n    volumes: [data:/data, ./src:/src:ro]\nvolumes:\n  data: {}\n",
    "name: ${NAME:-demo}\nservices:\n  s:\n    image: busybox\n    profiles: [debug]\n    secrets: [s1]\nsecrets:\n  s1: {environment: HOME}\n",
];

fn seeds() -> Vec<String> {
    let mut out: Vec<String> = SEEDS.iter().map(|s| s.to_string()).collect();
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/compose/cases");
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for case in paths {
            for f in ["compose.yaml", "compose.yml", "docker-compose.yml"] {
                if let Ok(t) = std::fs::read_to_string(case.join(f)) {
                    out.push(t);
                }
            }
        }
    }
    out
}

fn mutate(rng: &mut Rng, seeds: &[String]) -> String {
    let mut b: Vec<u8> = seeds[rng.below(seeds.len())].clone().into_bytes();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(b.len() + 1);
        match rng.below(5) {
            0 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] = (rng.next() & 0x7f) as u8;
            }
            1 => {
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                b.splice(at..at, t.iter().copied());
            }
            2 if !b.is_empty() => {
                let end = (at + rng.below(40)).min(b.len());
                b.drain(at.min(end)..end);
            }
            3 => {
                let other = seeds[rng.below(seeds.len())].as_bytes();
                let from = rng.below(other.len());
                let to = (from + rng.below(200)).min(other.len());
                b.splice(at..at, other[from..to].iter().copied());
            }
            _ => {
                // Duplicate a line: the commonest way to get duplicate keys and odd nesting.
                let text = String::from_utf8_lossy(&b).to_string();
                let lines: Vec<&str> = text.lines().collect();
                if !lines.is_empty() {
                    let i = rng.below(lines.len());
                    let mut v: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
                    v.insert(i, lines[i].to_string());
                    b = v.join("\n").into_bytes();
                }
            }
        }
    }
    String::from_utf8_lossy(&b).to_string()
}

fn load_text(text: &str, dir: &Path) {
    let mut env = Environment::default();
    env.set("A", "1", EnvSource::Shell);
    env.set("HOME", "/nonexistent", EnvSource::Shell);
    let req = ProjectRequest {
        files: vec!["-".into()],
        project_name: Some("fuzz".into()),
        cwd: Some(dir.to_path_buf()),
        os_env: Some(env),
        stdin: Some(text.to_string()),
        ..Default::default()
    };
    if let Ok(opts) = req.resolve() {
        let _ = load(&opts, &LoadFlags::default());
    }
}

#[test]
fn loader_never_panics_on_mutated_input() {
    let iters: usize = std::env::var("FUZZ_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_b0a7);
    let seeds = seeds();
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut rng = Rng(seed);
    panic::set_hook(Box::new(|_| {}));
    for i in 0..iters {
        let input = mutate(&mut rng, &seeds);
        let d = dir.path().to_path_buf();
        let input2 = input.clone();
        let r = panic::catch_unwind(move || load_text(&input2, &d));
        if r.is_err() {
            let _ = panic::take_hook();
            panic!("iteration {i} (FUZZ_SEED={seed}): the loader panicked on this input:\n{input}");
        }
    }
    let _ = panic::take_hook();
}
