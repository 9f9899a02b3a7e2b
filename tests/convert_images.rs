//! `berth convert` with the images on the local engine (docs/convert.md "Image facts"): a
//! service without `user:` runs as its image's numeric USER (runAsUser, runAsGroup, fsGroup),
//! an image that starts as root is warned about with the fix named, and a service without
//! `ports:` or `expose:` gets a Service with its image's EXPOSEd ports. Without an engine the
//! conversion works as before. The images are built offline from the test busybox image and
//! removed when the test ends; every output validates for Kubernetes 1.29 to 1.32 (needs `bash
//! scripts/k8s-tools.sh`).

mod common;
mod k8s_common;

use std::process::Output;

use k8s_common::*;
use serde_json::{json, Value};

/// The test images: a redis stand-in (USER 999:999, EXPOSE 6379) and a postgres stand-in that
/// starts as root (EXPOSE 5432), with their tags.
fn images() -> (common::BuiltImages, String, String) {
    let tag = |n: &str| format!("berthtest-facts-{n}-{}:1", std::process::id());
    let (redis, pg) = (tag("redis"), tag("pg"));
    let guard = common::BuiltImages(vec![redis.clone(), pg.clone()]);
    common::build_image(&redis, "USER 999:999\nEXPOSE 6379\n");
    common::build_image(&pg, "EXPOSE 5432\n");
    (guard, redis, pg)
}

fn stack(redis: &str, pg: &str, db_user: &str) -> String {
    format!(
        "name: facts\nservices:\n  cache:\n    image: {redis}\n    volumes: [cachedata:/data]\n  db:\n    image: {pg}\n{db_user}  web:\n    image: berthtest-facts-absent-{}:1\n    expose: [\"8000\"]\n    depends_on: [cache, db]\nvolumes:\n  cachedata: {{}}\n",
        std::process::id()
    )
}

fn convert(dir: &std::path::Path, args: &[&str], host: &str) -> Output {
    berth_env(args, dir, &[("DOCKER_HOST", host)])
}

fn engine_host() -> String {
    format!("unix://{}", common::socket())
}

/// The workload (any kind) named `name`.
fn workload<'a>(objs: &'a [Value], name: &str) -> &'a Value {
    objs.iter()
        .find(|o| o["metadata"]["name"] == name && o["spec"]["template"].is_object())
        .unwrap_or_else(|| panic!("no workload {name}"))
}

fn ports(svc: &Value) -> Value {
    let list = svc["spec"]["ports"].as_array().cloned().unwrap_or_default();
    Value::Array(
        list.iter()
            .map(|p| json!([p["port"], p["targetPort"], p["protocol"]]))
            .collect(),
    )
}

#[test]
fn the_images_user_and_ports_are_used_and_a_root_image_is_warned_about() {
    let (_guard, redis, pg) = images();
    let p = project(&[("compose.yaml", &stack(&redis, &pg, ""))]);
    let out = convert(
        p.path(),
        &["convert", "--format", "json", "-v"],
        &engine_host(),
    );
    let err = stderr(&out);
    let objs = objects(&ok(out, "convert"));

    // The redis stand-in runs as its image's USER; its claim gets the gid as fsGroup.
    let cache = workload(&objs, "cache");
    let spec = pod_spec(cache);
    let sc = &spec["containers"][0]["securityContext"];
    assert_eq!(sc["runAsUser"], 999, "{sc}");
    assert_eq!(sc["runAsGroup"], 999, "{sc}");
    assert_eq!(sc["runAsNonRoot"], true, "{sc}");
    assert_eq!(sc["capabilities"]["drop"], json!(["ALL"]), "{sc}");
    assert_eq!(spec["securityContext"]["fsGroup"], 999, "{spec}");
    assert!(
        err.contains("services.cache.user: no user: runs as the image"),
        "{err}"
    );

    // Services with the EXPOSEd ports, not headless ones without ports.
    for (name, port) in [("cache", 6379), ("db", 5432)] {
        let svc = find(&objs, "Service", name);
        assert_eq!(ports(svc), json!([[port, port, "TCP"]]), "{svc}");
        assert!(svc["spec"]["clusterIP"].is_null(), "{svc}");
        assert!(
            err.contains(&format!(
                "services.{name}.image: no ports or expose: the Service gets the ports the image"
            )) && err.contains(&format!("EXPOSEs ({port}/tcp)")),
            "{err}"
        );
    }
    // The init container of web waits for the real port.
    let web = pod_spec(workload(&objs, "web")).to_string();
    assert!(
        web.contains("cache:6379") && web.contains("db:5432"),
        "{web}"
    );

    // The postgres stand-in starts as root: the warning names the image and the fix.
    let db_sc = &pod_spec(workload(&objs, "db"))["containers"][0]["securityContext"];
    assert!(db_sc["runAsUser"].is_null(), "{db_sc}");
    assert!(
        err.contains(&format!(
            "warning: services.db.user: no user: and the image {pg:?} starts as root"
        )),
        "{err}"
    );
    assert!(
        err.contains("fix: set services.db.user to the numeric \"uid:gid\"")
            && err.contains("user: \"999:999\"")
            && err.contains("--no-harden"),
        "{err}"
    );
    // The image the engine lacks is named once.
    let absent = format!("berthtest-facts-absent-{}:1", std::process::id());
    assert_eq!(
        err.matches("image facts (USER, EXPOSE) not available")
            .count(),
        1,
        "{err}"
    );
    assert!(
        err.contains(&format!("not available for {absent} (not on the engine)")),
        "{err}"
    );

    // With user: in compose the warning goes; the manifests validate.
    let p = project(&[(
        "compose.yaml",
        &stack(&redis, &pg, "    user: \"999:999\"\n"),
    )]);
    let out = convert(p.path(), &["convert", "-o", "out"], &engine_host());
    let err = stderr(&out);
    ok(out, "convert -o");
    assert!(!err.contains("starts as root"), "{err}");
    validate(&[&p.path().join("out")]);
}

#[test]
fn without_an_engine_convert_works_from_the_compose_file_alone() {
    let p = project(&[("compose.yaml", &stack("redis:7.2", "postgres:16.2", ""))]);
    let out = convert(
        p.path(),
        &["convert", "--format", "json", "-v"],
        "unix:///nonexistent/berth-test.sock",
    );
    let err = stderr(&out);
    let objs = objects(&ok(out, "convert without an engine"));
    let cache = find(&objs, "Service", "cache");
    assert_eq!(cache["spec"]["clusterIP"], "None", "{cache}");
    assert!(cache["spec"]["ports"].is_null(), "{cache}");
    let sc = &pod_spec(workload(&objs, "cache"))["containers"][0]["securityContext"];
    assert!(sc["runAsUser"].is_null(), "{sc}");
    assert_eq!(
        err.matches("note: image facts (USER, EXPOSE) not available (")
            .count(),
        1,
        "{err}"
    );
    assert!(!err.contains("starts as root"), "{err}");
}
