//! `check`: what the API server would reject and schemas do not catch (selectors that match
//! no pod, restart policies a kind refuses, mounts of undeclared volumes, named ports).

use berth_k8s::check::{check, Externals};
use berth_k8s::Object;
use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, PodSpec, PodTemplateSpec, Service, ServicePort, ServiceSpec,
    VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use std::collections::BTreeMap;

fn labels(v: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("app.kubernetes.io/name".to_string(), v.to_string())])
}

fn deployment(sel: &str, pod: &str, restart: &str, port_name: &str, mount: &str) -> Object {
    Object::Deployment(Deployment {
        metadata: ObjectMeta {
            name: Some("web".into()),
            ..Default::default()
        },
        spec: Some(DeploymentSpec {
            selector: LabelSelector {
                match_labels: Some(labels(sel)),
                ..Default::default()
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels(pod)),
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    restart_policy: Some(restart.into()),
                    containers: vec![Container {
                        name: "web".into(),
                        image: Some("nginx:1.27.0".into()),
                        ports: Some(vec![ContainerPort {
                            container_port: 80,
                            name: Some(port_name.into()),
                            ..Default::default()
                        }]),
                        volume_mounts: (!mount.is_empty()).then(|| {
                            vec![VolumeMount {
                                name: mount.into(),
                                mount_path: "/data".into(),
                                ..Default::default()
                            }]
                        }),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        ..Default::default()
    })
}

fn service(sel: &str) -> Object {
    Object::Service(Service {
        metadata: ObjectMeta {
            name: Some("web".into()),
            ..Default::default()
        },
        spec: Some(ServiceSpec {
            selector: Some(labels(sel)),
            ports: Some(vec![ServicePort {
                port: 80,
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    })
}

#[test]
fn a_good_pair_passes() {
    let p = check(
        &[
            deployment("web", "web", "Always", "http", ""),
            service("web"),
        ],
        &Externals::new(),
    );
    assert!(p.is_empty(), "{p:?}");
}

#[test]
fn what_only_an_api_server_would_catch_is_caught() {
    let cases = [
        (
            deployment("web", "other", "Always", "http", ""),
            "selector.matchLabels is not a subset",
        ),
        (
            deployment("web", "web", "Never", "http", ""),
            "restartPolicy Never is not allowed for a Deployment",
        ),
        (
            deployment("web", "web", "Always", "a-very-long-port-name", ""),
            "not an IANA service name",
        ),
        (
            deployment("web", "web", "Always", "http", "data"),
            "mount \"data\" names no volume",
        ),
    ];
    for (obj, want) in cases {
        let p = check(&[obj, service("web")], &Externals::new());
        assert!(p.iter().any(|x| x.contains(want)), "{want}: {p:?}");
    }
    let p = check(
        &[
            deployment("web", "web", "Always", "http", ""),
            service("nothing"),
        ],
        &Externals::new(),
    );
    assert!(
        p.iter().any(|x| x.contains("matches no pod template")),
        "{p:?}"
    );
}
