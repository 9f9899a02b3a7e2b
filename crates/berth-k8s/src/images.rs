//! Which images the objects pull: every container and init container of every pod template,
//! as the pods reference them. `convert --images` prints this list and `bundle save` carries
//! exactly these images, so what an air-gapped registry must hold is decided in one place.

use std::collections::{BTreeMap, BTreeSet};

use super::{Conversion, Object};

/// What a pod runs an image as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ImageUse {
    /// A service's own container.
    Container,
    /// The init containers that wait for a dependency's Service (`--wait-image`).
    WaitForService,
    /// The init containers that wait for a Job to complete (`--job-wait-image`).
    WaitForJob,
    /// Another init container (kompose's `kompose.init.containers.image`).
    InitContainer,
}

/// One image the objects pull.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PulledImage {
    /// The reference, as the pods write it (after `--registry`).
    pub reference: String,
    /// The compose services whose pods run it, sorted.
    pub services: Vec<String>,
    /// What the pods run it as, sorted (a service's own image first).
    pub uses: Vec<ImageUse>,
}

/// Every (pod owner label, init?, image) of the objects' pod templates.
fn pod_images(objects: &[Object]) -> impl Iterator<Item = (Option<&str>, bool, &str)> {
    objects.iter().flat_map(|o| {
        let owner = o
            .metadata()
            .labels
            .as_ref()
            .and_then(|l| l.get("app.kubernetes.io/name"))
            .map(String::as_str);
        let spec = o.pod_template().and_then(|t| t.spec.as_ref());
        let main = spec.into_iter().flat_map(|s| s.containers.iter());
        let init = spec
            .into_iter()
            .flat_map(|s| s.init_containers.iter().flatten());
        let main = main.map(|c| (false, c));
        let init = init.map(|c| (true, c));
        main.chain(init)
            .filter_map(move |(is_init, c)| Some((owner, is_init, c.image.as_deref()?)))
    })
}

/// Every image the objects' pods run (containers and init containers, the dependency-wait
/// images included), sorted, each once, as the objects reference them: what the registry of
/// an air-gapped cluster must hold.
pub fn images(objects: &[Object]) -> Vec<String> {
    let set: BTreeSet<&str> = pod_images(objects).map(|(_, _, i)| i).collect();
    set.into_iter().map(str::to_string).collect()
}

/// [`images`] of a conversion, each with the compose services that run it and what as.
pub fn pulled_images(conv: &Conversion) -> Vec<PulledImage> {
    let service_of: BTreeMap<&str, &str> = conv
        .chart
        .services
        .iter()
        .map(|(name, s)| (s.base.as_str(), name.as_str()))
        .collect();
    let mut by_image: BTreeMap<&str, (BTreeSet<String>, BTreeSet<ImageUse>)> = BTreeMap::new();
    for (owner, is_init, image) in pod_images(&conv.objects) {
        let entry = by_image.entry(image).or_default();
        if let Some(owner) = owner {
            let service = service_of.get(owner).copied().unwrap_or(owner);
            entry.0.insert(service.to_string());
        }
        let used_as = if !is_init {
            ImageUse::Container
        } else if image == conv.chart.wait_image {
            ImageUse::WaitForService
        } else if image == conv.chart.job_wait_image {
            ImageUse::WaitForJob
        } else {
            ImageUse::InitContainer
        };
        entry.1.insert(used_as);
    }
    by_image
        .into_iter()
        .map(|(image, (services, uses))| PulledImage {
            reference: image.to_string(),
            services: services.into_iter().collect(),
            uses: uses.into_iter().collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::testing::convert_plain;

    #[test]
    fn every_image_once_with_its_services_and_uses() {
        let c = convert_plain(
            "services:\n  db:\n    image: postgres:16\n    expose: [\"5432\"]\n  migrate:\n    image: app:2\n    restart: \"no\"\n    depends_on: [db]\n  web_app:\n    image: app:2\n    depends_on:\n      db: {condition: service_started}\n      migrate: {condition: service_completed_successfully}\n",
        );
        let got: Vec<(String, Vec<String>, Vec<ImageUse>)> = pulled_images(&c)
            .into_iter()
            .map(|i| (i.reference, i.services, i.uses))
            .collect();
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            got,
            [
                (
                    "app:2".to_string(),
                    s(&["migrate", "web_app"]),
                    vec![ImageUse::Container]
                ),
                (
                    crate::DEFAULT_WAIT_IMAGE.to_string(),
                    s(&["migrate", "web_app"]),
                    vec![ImageUse::WaitForService]
                ),
                (
                    crate::DEFAULT_JOB_WAIT_IMAGE.to_string(),
                    s(&["web_app"]),
                    vec![ImageUse::WaitForJob]
                ),
                (
                    "postgres:16".to_string(),
                    s(&["db"]),
                    vec![ImageUse::Container]
                ),
            ]
        );
        let refs: Vec<String> = got.into_iter().map(|g| g.0).collect();
        assert_eq!(images(&c.objects), refs);
    }
}
