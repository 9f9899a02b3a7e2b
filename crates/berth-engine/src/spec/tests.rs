//! The container configuration berth builds, checked field by field against what Compose v2
//! sets, and the audit that keeps [`super::FIELDS`] complete.

use super::{container_spec, Handling, SpecContext, FIELDS};
use berth_compose::model::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

fn full_project() -> Project {
    let mut p = Project {
        name: "p".into(),
        ..Default::default()
    };
    p.networks.insert("front".into(), NetworkConfig::default());
    p.networks.insert("back".into(), NetworkConfig::default());
    p.volumes.insert("data".into(), VolumeConfig::default());
    p.secrets.insert(
        "s".into(),
        FileObjectConfig {
            environment: Some("SECRET_VAR".into()),
            ..Default::default()
        },
    );
    p.configs.insert(
        "c".into(),
        FileObjectConfig {
            content: Some("hello".into()),
            ..Default::default()
        },
    );
    p.services.insert(
        "other".into(),
        Service {
            image: Some("img".into()),
            ..Default::default()
        },
    );
    p
}

fn some<T>(v: T) -> Option<T> {
    Some(v)
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn map(v: &[(&str, &str)]) -> BTreeMap<String, String> {
    v.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A service with every field set. A struct literal without `..Default::default()`: a new
/// model field does not compile here until it is set (and then classified in `FIELDS`).
fn full_service() -> Service {
    let hook = ServiceHook {
        command: some(strings(&["true"])),
        ..Default::default()
    };
    Service {
        profiles: strings(&["p"]),
        annotations: map(&[("a", "b")]),
        attach: some(false),
        build: some(BuildConfig {
            context: some(".".into()),
            ..Default::default()
        }),
        develop: some(DevelopConfig::default()),
        blkio_config: some(BlkioConfig {
            weight: some(300),
            ..Default::default()
        }),
        cap_add: strings(&["NET_ADMIN"]),
        cap_drop: strings(&["MKNOD"]),
        cgroup_parent: some("cg".into()),
        cgroup: some("private".into()),
        cpu_count: some(2),
        cpu_percent: some(50.0),
        cpu_period: some(100000),
        cpu_quota: some(50000),
        cpu_rt_period: some(1000),
        cpu_rt_runtime: some(100),
        cpus: some(0.5),
        cpuset: some("0".into()),
        cpu_shares: some(512),
        command: some(strings(&["sleep", "1"])),
        configs: vec![FileReferenceConfig {
            source: some("c".into()),
            ..Default::default()
        }],
        container_name: some("named".into()),
        credential_spec: some(CredentialSpecConfig {
            file: some("spec.json".into()),
            ..Default::default()
        }),
        depends_on: [("other".to_string(), ServiceDependency::default())]
            .into_iter()
            .collect(),
        deploy: some(DeployConfig {
            replicas: some(1),
            resources: Resources {
                reservations: some(Resource {
                    devices: vec![DeviceRequest {
                        capabilities: strings(&["gpu"]),
                        count: some(1),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        }),
        device_cgroup_rules: strings(&["c 1:3 mr"]),
        devices: vec![DeviceMapping {
            source: some("/dev/null".into()),
            target: some("/dev/n".into()),
            permissions: some("rwm".into()),
            ..Default::default()
        }],
        dns: strings(&["8.8.8.8"]),
        dns_opt: strings(&["ndots:2"]),
        dns_search: strings(&["example.com"]),
        dockerfile: some("Dockerfile".into()),
        domainname: some("example.org".into()),
        entrypoint: some(strings(&["/bin/sh"])),
        environment: [("A".to_string(), some("1".to_string()))]
            .into_iter()
            .collect(),
        env_file: vec![EnvFile {
            path: "/x.env".into(),
            ..Default::default()
        }],
        // What the loader folded in, kept only for the config hash: never part of a container.
        env_file_origin: None,
        expose: strings(&["5000"]),
        extends: some(ExtendsConfig {
            service: some("base".into()),
            ..Default::default()
        }),
        external_links: strings(&["ext:alias"]),
        extra_hosts: strings(&["h=10.0.0.1"]),
        group_add: strings(&["100"]),
        gpus: vec![DeviceRequest {
            count: some(-1),
            ..Default::default()
        }],
        hostname: some("host".into()),
        healthcheck: some(HealthCheckConfig {
            test: strings(&["CMD", "true"]),
            ..Default::default()
        }),
        image: some("img".into()),
        init: some(true),
        ipc: some("shareable".into()),
        isolation: some("default".into()),
        labels: map(&[("l", "v")]),
        label_file: strings(&["/labels"]),
        links: strings(&["other:o"]),
        logging: some(LoggingConfig {
            driver: some("json-file".into()),
            ..Default::default()
        }),
        log_driver: some("syslog".into()),
        log_opt: map(&[("k", "v")]),
        mem_limit: some(Bytes(1 << 26)),
        mem_reservation: some(Bytes(1 << 25)),
        memswap_limit: some(Bytes(1 << 27)),
        mem_swappiness: some(Bytes(10)),
        mac_address: some("02:42:ac:11:00:02".into()),
        net: some("host".into()),
        network_mode: None, // exclusive with `networks`: checked on its own below
        networks: [
            (
                "front".to_string(),
                some(ServiceNetworkConfig {
                    aliases: strings(&["web"]),
                    ..Default::default()
                }),
            ),
            ("back".to_string(), None),
        ]
        .into_iter()
        .collect(),
        oom_kill_disable: true,
        oom_score_adj: some(100),
        pid: some("host".into()),
        pids_limit: some(100),
        platform: some("linux/amd64".into()),
        ports: vec![ServicePortConfig {
            target: 80,
            published: some("8080".into()),
            protocol: some("tcp".into()),
            ..Default::default()
        }],
        privileged: true,
        pull_policy: some("never".into()),
        read_only: true,
        restart: some("always".into()),
        runtime: some("runc".into()),
        scale: some(1),
        secrets: vec![FileReferenceConfig {
            source: some("s".into()),
            ..Default::default()
        }],
        security_opt: strings(&["no-new-privileges:true"]),
        shm_size: some(Bytes(1 << 25)),
        stdin_open: true,
        stop_grace_period: some("3s".into()),
        stop_signal: some("SIGUSR1".into()),
        storage_opt: map(&[("size", "1G")]),
        sysctls: map(&[("net.core.somaxconn", "1024")]),
        tmpfs: strings(&["/run"]),
        tty: true,
        ulimits: [("nofile".to_string(), Ulimit::Single(1024))]
            .into_iter()
            .collect(),
        user: some("1000".into()),
        userns_mode: some("host".into()),
        uts: some("host".into()),
        volume_driver: some("local".into()),
        volumes: vec![ServiceVolumeConfig {
            kind: "volume".into(),
            source: some("data".into()),
            target: some("/data".into()),
            ..Default::default()
        }],
        volumes_from: strings(&["other"]),
        working_dir: some("/w".into()),
        post_start: vec![hook.clone()],
        pre_stop: vec![hook],
        extensions: Extensions::default(),
    }
}

fn spec_of(project: &Project, service: &Service, api: (u32, u32)) -> Result<Value, String> {
    let resolve = |s: &str| Some(format!("{s}-id"));
    let env = |k: &str| (k == "SECRET_VAR").then(|| "s3cret".to_string());
    let ctx = SpecContext {
        project,
        project_name: "p",
        api_version: api,
        resolve_container: &resolve,
        environment: &env,
        working_dir: Path::new("/"),
        base_environment: &[],
    };
    let spec =
        container_spec(&ctx, "svc", service, 1, BTreeMap::new()).map_err(|e| e.to_string())?;
    Ok(json!({
        "name": spec.name,
        "body": serde_json::to_value(&spec.body).map_err(|e| e.to_string())?,
        "platform": spec.platform,
        "extra_networks": serde_json::to_value(&spec.extra_networks).map_err(|e| e.to_string())?,
        "injections": format!("{:?}", spec.injections),
        "warnings": spec.warnings,
    }))
}

fn without(service: &Service, field: &str) -> Service {
    let mut v = serde_json::to_value(service).expect("serialises");
    if let Some(m) = v.as_object_mut() {
        m.shift_remove(field);
    }
    serde_json::from_value(v).expect("deserialises")
}

/// No field of `Service` is silently ignored: each is classified, each applied field
/// changes the container configuration, each warned field produces a warning naming it,
/// and no field that is not a container setting changes it.
#[test]
fn every_service_field_is_applied_warned_or_not_a_container_setting() {
    let full = full_service();
    let keys: Vec<String> = serde_json::to_value(&full)
        .expect("serialises")
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect();
    let classified: Vec<&str> = FIELDS.iter().map(|(k, _)| *k).collect();
    for k in &keys {
        assert!(
            classified.contains(&k.as_str()),
            "Service field `{k}` is not classified in spec::FIELDS: apply it, warn about it, or mark it NotContainer"
        );
    }
    for k in &classified {
        assert!(
            keys.iter().any(|x| x == k) || *k == "network_mode",
            "spec::FIELDS lists `{k}`, which is not a Service field (or full_service() leaves it unset)"
        );
    }
    let project = full_project();
    let base = spec_of(&project, &full, (1, 41)).expect("the full service has a spec");
    for (field, handling) in FIELDS {
        if *field == "network_mode" {
            continue;
        }
        let other = spec_of(&project, &without(&full, field), (1, 41))
            .unwrap_or_else(|e| panic!("without {field}: {e}"));
        match handling {
            Handling::Applied => assert_ne!(
                base, other,
                "`{field}` is classified Applied but does not change the container spec"
            ),
            Handling::Warned => {
                let named = base["warnings"]
                    .as_array()
                    .map(|ws| {
                        ws.iter().any(|w| {
                            w.as_str()
                                .is_some_and(|w| w.starts_with(&format!("services.svc.{field}")))
                        })
                    })
                    .unwrap_or(false);
                assert!(
                    named,
                    "`{field}` is classified Warned but no warning names it: {}",
                    base["warnings"]
                );
                assert_eq!(
                    base["body"], other["body"],
                    "`{field}` is classified Warned but changes the container body"
                );
            }
            Handling::NotContainer => assert_eq!(
                base, other,
                "`{field}` is classified NotContainer but changes the container spec"
            ),
        }
    }
    // network_mode is exclusive with networks: checked against a service without networks.
    let mut bridged = full.clone();
    bridged.networks.clear();
    bridged.mac_address = None;
    let mut moded = bridged.clone();
    moded.network_mode = Some("host".into());
    assert_ne!(
        spec_of(&project, &bridged, (1, 41)),
        spec_of(&project, &moded, (1, 41))
    );
}

fn ctx_spec(service: &Service, api: (u32, u32)) -> Value {
    spec_of(&full_project(), service, api).expect("spec")
}

fn host(v: &Value) -> &Value {
    &v["body"]["HostConfig"]
}

#[test]
fn deploy_resources_override_service_level_as_in_compose() {
    let mut svc = Service {
        image: some("img".into()),
        cpus: some(0.1),
        mem_limit: some(Bytes(100)),
        ..Default::default()
    };
    svc.deploy = some(DeployConfig {
        resources: Resources {
            limits: some(Resource {
                cpus: some(0.1),
                memory: some(Bytes(50)),
                pids: some(9),
                ..Default::default()
            }),
            reservations: some(Resource {
                memory: some(Bytes(20)),
                cpus: some(0.1),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    });
    // Distinct values are an error, as in compose-go.
    let e = spec_of(&full_project(), &svc, (1, 41)).unwrap_err();
    assert!(e.contains("services.svc.mem_limit"), "{e}");
    svc.mem_limit = None;
    let v = ctx_spec(&svc, (1, 41));
    assert_eq!(host(&v)["NanoCpus"], 100_000_000);
    assert_eq!(host(&v)["Memory"], 50);
    assert_eq!(host(&v)["PidsLimit"], 9);
    assert_eq!(host(&v)["MemoryReservation"], 20);
    assert!(v["warnings"].to_string().contains("reservations.cpus"));
}

#[test]
fn restart_policy_maps_compose_names() {
    let mut svc = Service {
        image: some("img".into()),
        restart: some("on-failure:3".into()),
        ..Default::default()
    };
    let v = ctx_spec(&svc, (1, 41));
    assert_eq!(
        host(&v)["RestartPolicy"],
        json!({"Name": "on-failure", "MaximumRetryCount": 3})
    );
    svc.restart = some("sometimes".into());
    assert!(spec_of(&full_project(), &svc, (1, 41))
        .unwrap_err()
        .contains("services.svc.restart"));
    // deploy.restart_policy wins, `any` is always.
    svc.restart = some("no".into());
    svc.deploy = some(DeployConfig {
        restart_policy: some(berth_compose::model::RestartPolicy {
            condition: some("any".into()),
            delay: some("5s".into()),
            ..Default::default()
        }),
        ..Default::default()
    });
    let v = ctx_spec(&svc, (1, 41));
    assert_eq!(host(&v)["RestartPolicy"]["Name"], "always");
    assert!(v["warnings"].to_string().contains("restart_policy.delay"));
}

#[test]
fn binds_that_may_create_their_source_use_the_binds_syntax() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing").display().to_string();
    let svc = Service {
        image: some("img".into()),
        volumes: vec![ServiceVolumeConfig {
            kind: "bind".into(),
            source: some(missing.clone()),
            target: some("/data".into()),
            read_only: true,
            bind: some(ServiceVolumeBind {
                create_host_path: true,
                selinux: some("z".into()),
                ..Default::default()
            }),
            ..Default::default()
        }],
        ..Default::default()
    };
    let v = ctx_spec(&svc, (1, 41));
    assert_eq!(host(&v)["Binds"], json!([format!("{missing}:/data:ro,z")]));
    let mut long = svc.clone();
    long.volumes[0].bind = None;
    let e = spec_of(&full_project(), &long, (1, 41)).unwrap_err();
    assert!(
        e.contains("services.svc.volumes[0]") && e.contains(&missing),
        "{e}"
    );
}

#[test]
fn secrets_from_an_unset_variable_are_an_error_naming_them() {
    let mut project = full_project();
    project.secrets.insert(
        "unset".into(),
        FileObjectConfig {
            environment: Some("NOT_SET_ANYWHERE".into()),
            ..Default::default()
        },
    );
    let svc = Service {
        image: some("img".into()),
        secrets: vec![FileReferenceConfig {
            source: some("unset".into()),
            ..Default::default()
        }],
        ..Default::default()
    };
    let e = spec_of(&project, &svc, (1, 41)).unwrap_err();
    assert!(
        e.contains("services.svc.secrets") && e.contains("NOT_SET_ANYWHERE"),
        "{e}"
    );
}

#[test]
fn mac_address_and_newer_api_fields_on_old_engines() {
    let mut svc = Service {
        image: some("img".into()),
        mac_address: some("02:42:ac:11:00:02".into()),
        ..Default::default()
    };
    svc.networks.insert("front".into(), None);
    svc.networks.insert(
        "back".into(),
        some(ServiceNetworkConfig {
            mac_address: some("02:42:ac:11:00:03".into()),
            gw_priority: some(1),
            ..Default::default()
        }),
    );
    // `back` sorts first (same priority): it is the primary network, and its own MAC
    // differs from the service's: an error, as in Compose v2.
    let e = spec_of(&full_project(), &svc, (1, 41)).unwrap_err();
    assert!(e.contains("services.svc.mac_address"), "{e}");
    if let Some(Some(b)) = svc.networks.get_mut("back") {
        b.mac_address = None;
    }
    svc.networks.insert(
        "front".into(),
        some(ServiceNetworkConfig {
            priority: some(10),
            ..Default::default()
        }),
    );
    let v = ctx_spec(&svc, (1, 41));
    let eps = &v["body"]["NetworkingConfig"]["EndpointsConfig"];
    assert_eq!(eps["p_front"]["MacAddress"], "02:42:ac:11:00:02");
    assert_eq!(
        eps["p_front"]["Aliases"],
        json!(["p-svc-1", "svc"]),
        "container name first, then the service, as Compose v2"
    );
    assert!(v["warnings"].to_string().contains("gw_priority"));
}

#[test]
fn swarm_only_deploy_keys_are_named() {
    let svc = Service {
        image: some("img".into()),
        deploy: some(DeployConfig {
            mode: some("global".into()),
            labels: map(&[("swarm", "label")]),
            update_config: some(UpdateConfig::default()),
            rollback_config: some(UpdateConfig::default()),
            placement: Placement {
                constraints: strings(&["node.role==manager"]),
                ..Default::default()
            },
            endpoint_mode: some("dnsrr".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let v = ctx_spec(&svc, (1, 41));
    let ws = v["warnings"].to_string();
    for k in [
        "deploy.mode",
        "deploy.labels",
        "deploy.placement",
        "deploy.endpoint_mode",
    ] {
        assert!(
            ws.contains(&format!("services.svc.{k}")),
            "{k} not named: {ws}"
        );
    }
    // berth applies update_config and rollback_config itself (docs/updates.md).
    for k in ["deploy.update_config", "deploy.rollback_config"] {
        assert!(!ws.contains(k), "{k} is applied, not warned about: {ws}");
    }
    // Nothing of it reaches the container: its labels are the service's own.
    assert_eq!(v["body"]["Labels"], json!({}));
}
