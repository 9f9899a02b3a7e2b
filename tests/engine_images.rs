//! Images on the real engine and a real registry: `build` (options, implicit build in `up`,
//! failures), `.dockerignore` against what a real `docker build` keeps, the air-gap bundle
//! (save, damaged/truncated rejection, load, up; the images `convert` references, wait images
//! included) and `bundle push` + `pull` through the loopback registry that
//! `scripts/registry.sh` starts.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use common::{TestProject, IMAGE};

const REGISTRY: &str = "127.0.0.1:5000";

/// Images a test made, removed when it ends.
struct Images(Vec<String>);

impl Drop for Images {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            let _ = Command::new("docker")
                .args(["rmi", "-f"])
                .args(&self.0)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Removes, at the end, the untagged images a rebuild leaves behind, by the build's label
/// (the project's containers first: an image a container still uses is not pruned).
struct Untagged(String);

impl Drop for Untagged {
    fn drop(&mut self) {
        common::remove_containers(&format!("label=com.docker.compose.project={}", self.0));
        let _ = Command::new("docker")
            .args(["image", "prune", "-f", "--filter"])
            .arg(format!("label=org.berth.test={}", self.0))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn image_id(image: &str) -> Option<String> {
    let o = Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Id}}", image])
        .output()
        .ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

fn docker_ok(args: &[&str]) -> String {
    let o = common::run_ok(
        Command::new("docker").args(args),
        &format!("docker {args:?}"),
    );
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// The registry must answer: the suite's setup (`bash scripts/registry.sh`) starts it.
fn require_registry() {
    let ok = (|| -> std::io::Result<bool> {
        let mut s = std::net::TcpStream::connect(REGISTRY)?;
        s.set_read_timeout(Some(std::time::Duration::from_secs(3)))?;
        s.write_all(b"GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
        let mut buf = [0u8; 64];
        let n = s.read(&mut buf)?;
        Ok(
            String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.0 200")
                || String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"),
        )
    })()
    .unwrap_or(false);
    assert!(
        ok,
        "no container registry answers on http://{REGISTRY}/v2/: these tests need one; run `bash scripts/registry.sh` (scripts/test.sh does)"
    );
}

#[test]
fn air_gap_bundle_round_trip_and_registry() {
    require_registry();
    let p = TestProject::new(
        "bundle",
        r#"
services:
  web:
    build:
      context: ./web
    command: ["sh", "-c", "cat /who && sleep 3600"]
    depends_on: [api]
  api:
    build:
      context: ./api
      dockerfile_inline: |
        FROM $IMAGE
        RUN echo api > /who
        CMD ["sleep", "3600"]
"#,
    );
    p.write("web/Dockerfile", "FROM $IMAGE\nRUN echo web > /who\n");
    p.write("api/.keep", "");
    let web = format!("{}-web", p.name);
    let api = format!("{}-api", p.name);
    let prefix = format!("{REGISTRY}/{}", p.name);
    let pushed_web = format!("{prefix}/{web}:latest");
    let pushed_api = format!("{prefix}/{api}:latest");
    // web waits for api: the bundle carries the wait image too (a tag of its own here).
    let wait = format!("{}/wait:1", p.name);
    let _images = Images(vec![
        web.clone(),
        api.clone(),
        pushed_web.clone(),
        pushed_api.clone(),
        wait.clone(),
        format!("{prefix}/{wait}"),
    ]);
    docker_ok(&["tag", IMAGE, &wait]);

    // Offline build of both services, in parallel, output prefixed by the service.
    let r = p.berth(&["build"]);
    r.ok();
    r.stderr_has("web  | Step 1/2 : FROM");
    r.stderr_has("api  | Step 1/3 : FROM");
    let web_id = image_id(&web).expect("web built");
    let api_id = image_id(&api).expect("api built");

    // Save, then take the images away.
    let bundle = p.path().join("stack.tar");
    p.berth(&["bundle", "save", "-o", "stack.tar", "--wait-image", &wait])
        .ok();
    let listing = docker_ok(&[
        "run",
        "--rm",
        "-v",
        &format!("{}:/b:ro", p.path().display()),
        IMAGE,
        "tar",
        "tf",
        "/b/stack.tar",
    ]);
    assert_eq!(
        listing.lines().collect::<Vec<_>>(),
        [
            "images.tar",
            "compose.yaml",
            "compose.json",
            "manifest.json"
        ]
    );
    docker_ok(&["rmi", &web, &api]);

    // A truncated bundle and a damaged one are rejected, and nothing is loaded.
    let bytes = std::fs::read(&bundle).expect("bundle written");
    std::fs::write(p.path().join("cut.tar"), &bytes[..bytes.len() / 2]).expect("write");
    let r = p.berth(&["bundle", "load", "cut.tar"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    r.stderr_has("damaged or truncated");
    r.stderr_has("nothing was loaded");
    let mut flipped = bytes.clone();
    flipped[4096] ^= 0xff;
    std::fs::write(p.path().join("bad.tar"), &flipped).expect("write");
    let r = p.berth(&["bundle", "load", "bad.tar"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    r.stderr_has("SHA-256");
    assert_eq!(image_id(&web), None, "a damaged bundle must load nothing");
    assert_eq!(image_id(&api), None, "a damaged bundle must load nothing");

    // Load: the same image IDs come back; the bundled compose file runs the stack.
    p.berth(&["bundle", "load", "stack.tar", "--compose", "bundled.yaml"])
        .ok();
    assert_eq!(image_id(&web).as_deref(), Some(web_id.as_str()));
    assert_eq!(image_id(&api).as_deref(), Some(api_id.as_str()));
    let bundled = std::fs::read_to_string(p.path().join("bundled.yaml")).expect("compose out");
    assert!(bundled.contains(&format!("image: {web}")), "{bundled}");
    assert!(!bundled.contains("build:"), "{bundled}");
    p.berth(&["-f", "bundled.yaml", "up", "-d", "--wait"]).ok();
    assert_eq!(p.containers(), [p.container("api"), p.container("web")]);
    let logs = docker_ok(&["logs", &p.container("web")]);
    assert_eq!(logs.trim(), "web");
    p.berth(&["-f", "bundled.yaml", "down"]).ok();

    // Push the bundle to the loopback registry, drop the images, and pull them back.
    p.berth(&[
        "bundle",
        "push",
        "--registry",
        &prefix,
        "stack.tar",
        "-o",
        "registry.yaml",
    ])
    .ok();
    let rewritten = std::fs::read_to_string(p.path().join("registry.yaml")).expect("written");
    assert!(
        rewritten.contains(&format!("image: {pushed_web}")),
        "{rewritten}"
    );
    assert!(
        rewritten.contains(&format!("image: {pushed_api}")),
        "{rewritten}"
    );
    docker_ok(&["rmi", &web, &api, &pushed_web, &pushed_api]);
    assert_eq!(image_id(&pushed_web), None);
    p.berth(&["-f", "registry.yaml", "pull"]).ok();
    assert_eq!(image_id(&pushed_web).as_deref(), Some(web_id.as_str()));
    assert_eq!(image_id(&pushed_api).as_deref(), Some(api_id.as_str()));

    // `--policy missing` leaves present images alone; a missing one fails clearly, unless ignored.
    p.berth(&["-f", "registry.yaml", "pull", "--policy", "missing", "-q"])
        .ok();
    p.write(
        "missing.yaml",
        &format!("services:\n  x:\n    image: {prefix}/nope:1\n"),
    );
    let r = p.berth(&["-f", "missing.yaml", "pull"]);
    assert_ne!(r.code, 0);
    r.stderr_has("cannot pull");
    p.berth(&["-f", "missing.yaml", "pull", "--ignore-pull-failures"])
        .ok();
}

/// The manifest.json of a bundle, read with a tar reader of its own.
fn bundle_manifest(path: &Path) -> serde_json::Value {
    let f = std::fs::File::open(path).expect("bundle");
    let mut ar = tar::Archive::new(f);
    for e in ar.entries().expect("a tar archive") {
        let mut e = e.expect("tar entry");
        if e.path().expect("entry name").to_str() == Some("manifest.json") {
            let mut text = String::new();
            e.read_to_string(&mut text).expect("manifest.json");
            return serde_json::from_str(&text).expect("manifest.json is JSON");
        }
    }
    panic!("{} has no manifest.json", path.display())
}

/// The images of the pods of `convert --format json`'s objects.
fn pulled_by_manifests(json_list: &str) -> BTreeSet<String> {
    let list: serde_json::Value = serde_json::from_str(json_list).expect("convert printed JSON");
    let mut out = BTreeSet::new();
    for o in list["items"].as_array().expect("items") {
        let spec = if o["kind"] == "CronJob" {
            &o["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        } else {
            &o["spec"]["template"]["spec"]
        };
        for list in ["containers", "initContainers"] {
            for c in spec[list].as_array().into_iter().flatten() {
                out.insert(c["image"].as_str().expect("image").to_string());
            }
        }
    }
    out
}

/// The bundle carries every image the Kubernetes objects of `berth convert` pull: the
/// services' and the dependency-wait init containers' (`--wait-image`, `--job-wait-image`);
/// `bundle save` refuses, writing nothing, when one is not on the engine; `bundle push` puts
/// them all into the registry under the names `convert --registry` points the pods at.
#[test]
fn bundle_carries_the_images_convert_references_wait_images_included() {
    require_registry();
    let p = TestProject::new(
        "waits",
        r#"
services:
  db:
    image: $NAME/db:1
    expose: ["5432"]
  migrate:
    image: $NAME/app:1
    restart: "no"
    depends_on: [db]
  web:
    image: $NAME/app:1
    depends_on:
      db: {condition: service_started}
      migrate: {condition: service_completed_successfully}
"#,
    );
    let compose = std::fs::read_to_string(p.path().join("compose.yaml"))
        .expect("compose")
        .replace("$NAME", &p.name);
    p.write("compose.yaml", &compose);
    let (db, app) = (format!("{}/db:1", p.name), format!("{}/app:1", p.name));
    let (wait, job_wait) = (format!("{}/wait:1", p.name), format!("{}/curl:1", p.name));
    let absent = format!("{}/absent:1", p.name);
    let prefix = format!("{REGISTRY}/{}", p.name);
    let local = [&db, &app, &wait, &job_wait];
    let pushed: Vec<String> = local.iter().map(|i| format!("{prefix}/{i}")).collect();
    let mut cleanup: Vec<String> = local.iter().map(|i| i.to_string()).collect();
    cleanup.extend(pushed.iter().cloned());
    let _images = Images(cleanup);
    for i in local {
        docker_ok(&["tag", IMAGE, i]);
    }
    let choose = [
        "--wait-image",
        wait.as_str(),
        "--job-wait-image",
        job_wait.as_str(),
    ];

    // A wait image that is not on the engine: named, with what to do, and nothing written.
    let r = p.berth(&[
        "bundle",
        "save",
        "-o",
        "stack.tar",
        "--wait-image",
        &absent,
        "--job-wait-image",
        &job_wait,
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    r.stderr_has(&format!(
        "image {absent} (the init containers that wait for dependencies, in the pods of migrate, web that `berth convert` writes) is not on the engine: `docker pull {absent}` where a registry is reachable, or `docker load` it from an archive, or pass --wait-image IMAGE to use an image you have (it needs sh, nc and nslookup)"
    ));
    r.stderr_has("nothing was written");
    assert!(!p.path().join("stack.tar").exists());
    assert!(!p.path().join("stack.tar.partial").exists());

    // The bundle holds exactly the images the objects pull.
    let mut save = vec!["bundle", "save", "-o", "stack.tar"];
    save.extend_from_slice(&choose);
    let r = p.berth(&save);
    r.ok();
    r.stderr_has(&format!("{wait} sha256:"));
    r.stderr_has("the init containers that wait for dependencies: migrate, web)");
    r.stderr_has("the init containers that wait for Jobs: web)");
    let manifest = bundle_manifest(&p.path().join("stack.tar"));
    let bundled: BTreeSet<String> = manifest["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|i| i["ref"].as_str().expect("ref").to_string())
        .collect();
    let mut convert = vec!["convert", "-q", "--format", "json"];
    convert.extend_from_slice(&choose);
    let r = p.berth(&convert);
    r.ok();
    assert_eq!(bundled, pulled_by_manifests(&r.stdout));
    assert_eq!(
        bundled,
        [&app, &job_wait, &db, &wait]
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>()
    );
    let init_of = |r: &str| {
        manifest["images"]
            .as_array()
            .expect("images")
            .iter()
            .find(|i| i["ref"] == r)
            .map(|i| i["init"].clone())
    };
    assert_eq!(
        init_of(&wait),
        Some(serde_json::json!(
            "the init containers that wait for dependencies"
        ))
    );
    assert_eq!(init_of(&db), Some(serde_json::Value::Null));

    // Push: every bundled image lands in the registry as `convert --registry` names it.
    let r = p.berth(&["bundle", "push", "--registry", &prefix, "stack.tar"]);
    r.ok();
    let mut convert = vec!["convert", "-q", "--format", "json", "--registry", &prefix];
    convert.extend_from_slice(&choose);
    let r2 = p.berth(&convert);
    r2.ok();
    let relocated = pulled_by_manifests(&r2.stdout);
    assert_eq!(
        relocated,
        pushed.iter().cloned().collect::<BTreeSet<_>>(),
        "{}",
        r.stderr
    );
    for (from, to) in local.iter().zip(&pushed) {
        r.stderr_has(&format!(" {from} -> {to}"));
    }
    // Taken off the engine, each comes back from the registry.
    let want_id = image_id(IMAGE).expect("the test image");
    for image in &relocated {
        docker_ok(&["rmi", image]);
        assert_eq!(image_id(image), None);
        docker_ok(&["pull", "-q", image]);
        assert_eq!(
            image_id(image).as_deref(),
            Some(want_id.as_str()),
            "{image}"
        );
    }
}

#[test]
fn build_options_implicit_build_and_failures() {
    let p = TestProject::new(
        "build",
        r#"
services:
  app:
    build:
      context: .
      target: final
      args:
        FROM_ENV:
        FIXED: fixed-value
      labels:
        org.berth.test: "$TEST_NAME"
      extra_hosts:
        - "one.example=10.1.1.1"
        - "two.example=10.1.1.2"
      shm_size: 32m
      tags: ["$TAG_EXTRA"]
    command: ["sh", "-c", "cat /out && sleep 3600"]
"#,
    );
    let extra = format!("{}-extra:1", p.name);
    let compose = std::fs::read_to_string(p.path().join("compose.yaml"))
        .expect("compose")
        .replace("$TAG_EXTRA", &extra)
        .replace("$TEST_NAME", &p.name);
    p.write("compose.yaml", &compose);
    p.write(
        "Dockerfile",
        "FROM $IMAGE AS base\nRUN echo never > /out\n\nFROM $IMAGE AS final\nARG FROM_ENV\nARG FIXED\nRUN echo \"$FROM_ENV $FIXED\" > /out && grep -c example /etc/hosts >> /out && df -k /dev/shm | tail -1 | awk '{print $2}' >> /out\n",
    );
    let app = format!("{}-app", p.name);
    let _untagged = Untagged(p.name.clone());
    let _images = Images(vec![app.clone(), extra.clone()]);

    // `up` builds the missing image (a bare arg comes from the environment), then runs it.
    let r = p.berth_env(&["up", "-d", "--wait"], &[("FROM_ENV", "env-value")]);
    r.ok();
    r.stderr_has("app  | Step");
    let out = docker_ok(&["exec", &p.container("app"), "cat", "/out"]);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["env-value fixed-value", "2", "32768"]
    );
    let labels = docker_ok(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.Labels}}",
        &app,
    ]);
    assert!(
        labels.contains(&format!("\"org.berth.test\":\"{}\"", p.name)),
        "{labels}"
    );
    assert_eq!(image_id(&extra), image_id(&app), "tags: adds a tag");

    // `up --build` rebuilds; `--build-arg` and `--no-cache` on `build`; `-q` prints nothing.
    let before = image_id(&app);
    let r = p.berth(&["build", "-q", "--no-cache", "--build-arg", "FROM_ENV=flag"]);
    r.ok();
    assert_eq!(r.stdout, "");
    assert!(!r.stderr.contains("Step"), "{}", r.stderr);
    assert_ne!(image_id(&app), before);
    let r = p.berth_env(&["up", "-d", "--build", "--wait"], &[("FROM_ENV", "again")]);
    r.ok();
    let out = docker_ok(&["exec", &p.container("app"), "cat", "/out"]);
    assert!(out.starts_with("again fixed-value"), "{out}");

    // A failing step: its output and its Dockerfile line.
    p.write(
        "Dockerfile",
        "FROM $IMAGE AS final\n\nRUN echo step-output && \\\n    false\n",
    );
    let r = p.berth(&["build"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    r.stderr_has("Dockerfile:3");
    r.stderr_has("step-output");
    r.stderr_has("returned a non-zero code: 1");

    // What the legacy builder cannot do is a clear error before anything runs.
    p.write(
        "other.yaml",
        "services:\n  s:\n    build:\n      context: .\n      ssh: [default]\n  u:\n    build: https://github.com/docker/compose.git\n",
    );
    let r = p.berth(&["-f", "other.yaml", "build", "s"]);
    assert_eq!(r.code, 1);
    r.stderr_has("build.ssh needs BuildKit");
    let r = p.berth(&["-f", "other.yaml", "build", "u"]);
    assert_eq!(r.code, 1);
    r.stderr_has("remote URL");
    // --no-build with a missing image says what to do.
    docker_ok(&["rmi", "-f", &app, &extra]);
    let r = p.berth(&["up", "-d", "--no-build"]);
    assert_ne!(r.code, 0);
    r.stderr_has("is not on the engine");
}

/// The files every case's context holds.
const FILES: &[&str] = &[
    "README.md",
    "a/DOC.md",
    "a/foo",
    "a/b/foo",
    "a/b/c.log",
    "foo",
    "x.log",
    "x.lot",
    "node_modules/m.js",
    "node_modules/keep/k.js",
    "src/main.rs",
    "src/a.txt",
    "src/sub/b.txt",
    ".git/HEAD",
    ".hidden",
    "dir with space/f",
    "build/out.o",
    "docs/x.md",
    "docs/y.md",
];

/// `.dockerignore` texts, each run through a real `docker build` and through berth.
const CASES: &[&str] = &[
    // rust-stack.md §7
    "foo\n*.md\n!README.md\n**/*.log\nnode_modules\nsrc/*.txt\n",
    // an exception beneath an excluded directory
    "node_modules\n!node_modules/keep\n",
    // everything but src (the Dockerfile and .dockerignore are always sent)
    "*\n!src\n",
    // leading slash, ./, comments, blanks, surrounding spaces
    "/src/sub\n./build\n# a comment\n\n   .git   \n",
    // ** anywhere, dotfiles, an exception deeper than its pattern
    "**/foo\n!a/b/foo\n.*\n",
    // ** in the middle, a directory with exceptions, ?
    "a/**/c.log\ndocs\n!docs/x.md\nx.lo?\ndir with space\n",
];

fn write_context(dir: &Path, ignore: &str) {
    for f in FILES {
        let p = dir.join(f);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, f).expect("write");
    }
    std::fs::write(dir.join(".dockerignore"), ignore).expect("write");
    std::fs::write(
        dir.join("Dockerfile"),
        format!("FROM {IMAGE}\nCOPY . /ctx\nRUN echo BEGIN && cd /ctx && find . -mindepth 1 | sort && echo END\n"),
    )
    .expect("write");
}

/// The paths between BEGIN and END in a build's output (with or without a service prefix).
fn listed(output: &str) -> BTreeSet<String> {
    let mut on = false;
    let mut out = BTreeSet::new();
    for line in output.lines() {
        let l = line.rsplit("| ").next().unwrap_or(line).trim();
        let l = if line.contains("  | ") {
            l
        } else {
            line.trim()
        };
        if l == "BEGIN" {
            on = true;
        } else if l == "END" {
            on = false;
        } else if on {
            if let Some(p) = l.strip_prefix("./") {
                out.insert(p.to_string());
            }
        }
    }
    out
}

/// What berth's context walk sends, plus the parent directories COPY creates, less the
/// Dockerfile and `.dockerignore` when excluded (the CLI sends them, the daemon drops them).
fn berth_listing(dir: &Path) -> BTreeSet<String> {
    use berth_compose::build_context::{context_entries, DockerIgnore};
    let text = std::fs::read_to_string(dir.join(".dockerignore")).expect("read");
    let ig = DockerIgnore::parse(&text).expect("valid .dockerignore");
    let mut out = BTreeSet::new();
    for e in context_entries(dir, &ig, Some("Dockerfile")).expect("walk") {
        if (e.path == "Dockerfile" || e.path == ".dockerignore") && ig.matches(&e.path) {
            continue;
        }
        let mut p = e.path.as_str();
        out.insert(p.to_string());
        while let Some(i) = p.rfind('/') {
            p = &p[..i];
            out.insert(p.to_string());
        }
    }
    out
}

#[test]
fn dockerignore_matches_a_real_docker_build() {
    common::ensure_image();
    for (i, ignore) in CASES.iter().enumerate() {
        let dir = tempfile::tempdir().expect("temp dir");
        write_context(dir.path(), ignore);
        let o = Command::new("docker")
            .args(["build", "--no-cache", "--rm", "."])
            .current_dir(dir.path())
            .env("DOCKER_BUILDKIT", "0")
            .output()
            .expect("docker build runs");
        let stdout = String::from_utf8_lossy(&o.stdout).to_string();
        assert!(
            o.status.success(),
            "case {i}: docker build failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        if let Some(id) = stdout
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("Successfully built "))
        {
            let _ = Command::new("docker").args(["rmi", id.trim()]).output();
        }
        let docker = listed(&stdout);
        assert!(!docker.is_empty(), "case {i}: {stdout}");
        assert_eq!(
            berth_listing(dir.path()),
            docker,
            "case {i}: .dockerignore {ignore:?}: berth (left) and docker build (right) differ"
        );
    }
    // End to end for the first case: `berth build` sends the same context.
    let p = TestProject::new("ignore", "services:\n  ctx:\n    build: .\n");
    write_context(&p.path(), CASES[0]);
    let _images = Images(vec![format!("{}-ctx", p.name)]);
    let r = p.berth(&["build", "--no-cache"]);
    r.ok();
    assert_eq!(listed(&r.stderr), berth_listing(&p.path()), "{}", r.stderr);
}

#[test]
fn dockerfile_specific_ignore_file_wins() {
    use berth_compose::build_context::ignore_file;
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join(".dockerignore"), "a\n").expect("write");
    let df = dir.path().join("app.Dockerfile");
    std::fs::write(&df, "FROM scratch\n").expect("write");
    assert_eq!(
        ignore_file(dir.path(), &df),
        Some(dir.path().join(".dockerignore"))
    );
    std::fs::write(dir.path().join("app.Dockerfile.dockerignore"), "b\n").expect("write");
    assert_eq!(
        ignore_file(dir.path(), &df),
        Some(dir.path().join("app.Dockerfile.dockerignore"))
    );
}
