//! Which images a bundle carries: every image the stack's Kubernetes objects pull, as `berth
//! convert` decides it ([`berth_k8s::pulled_images`]): the services' own images and the init
//! containers' (the dependency waits, `--wait-image` / `--job-wait-image`), so that `bundle
//! push` fills an air-gapped registry with everything `convert --registry` points the pods at.

use berth_compose::load::LoadedProject;
use berth_k8s::{ConvertOptions, ImageUse, PulledImage};

/// The choices of `convert` that decide which images the objects pull.
#[derive(Clone, Debug, Default)]
pub struct ImageChoices {
    /// `--wait-image` (else `x-berth.wait_image`, else busybox).
    pub wait_image: Option<String>,
    /// `--job-wait-image` (else `x-berth.job_wait_image`, else curl).
    pub job_wait_image: Option<String>,
}

/// An image the bundle must carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wanted {
    /// The reference, as the services and the objects use it.
    pub reference: String,
    /// The compose services whose pods run it.
    pub services: Vec<String>,
    /// Set when no service runs it as its own image: what the pods run it for.
    pub init: Option<String>,
    /// What to do when the engine does not have it.
    pub missing: String,
}

/// The images the objects of `loaded`'s Kubernetes conversion pull.
pub fn wanted(loaded: &LoadedProject, choices: &ImageChoices) -> Vec<Wanted> {
    let opts = ConvertOptions {
        wait_image: choices.wait_image.clone(),
        job_wait_image: choices.job_wait_image.clone(),
        ..Default::default()
    };
    // Converted exactly as `berth convert` converts (the images do not depend on secrets).
    let sources = berth_k8s::read_files(&berth_k8s::files_needed(loaded, &opts));
    let conv = berth_k8s::convert(loaded, &sources, &opts);
    berth_k8s::pulled_images(&conv)
        .into_iter()
        .map(|p| Wanted {
            init: init_use(&p).map(str::to_string),
            missing: missing_message(&p),
            reference: p.reference,
            services: p.services,
        })
        .collect()
}

/// What the pods run `p` for when it is no service's own image.
fn init_use(p: &PulledImage) -> Option<&'static str> {
    match p.uses.first()? {
        ImageUse::Container => None,
        ImageUse::WaitForService => Some("the init containers that wait for dependencies"),
        ImageUse::WaitForJob => Some("the init containers that wait for Jobs"),
        ImageUse::InitContainer => Some("init containers"),
    }
}

/// The error when the engine does not have `p`, with what to do.
fn missing_message(p: &PulledImage) -> String {
    let r = &p.reference;
    let services = p.services.join(", ");
    let instead = match p.uses.first() {
        Some(ImageUse::Container) | None => {
            return format!(
                "image {r} (service {services}) is not on the engine: `berth build` or `berth pull` it first"
            )
        }
        Some(ImageUse::WaitForService) => {
            ", or pass --wait-image IMAGE to use an image you have (it needs sh, nc and nslookup)"
        }
        Some(ImageUse::WaitForJob) => {
            ", or pass --job-wait-image IMAGE to use an image you have (it needs sh and curl)"
        }
        Some(ImageUse::InitContainer) => "",
    };
    format!(
        "image {r} ({}, in the pods of {services} that `berth convert` writes) is not on the engine: `docker pull {r}` where a registry is reachable, or `docker load` it from an archive{instead}",
        init_use(p).unwrap_or("init containers")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pulled(uses: ImageUse) -> PulledImage {
        PulledImage {
            reference: "busybox:1.36.1".into(),
            services: vec!["api".into(), "web".into()],
            uses: vec![uses],
        }
    }

    #[test]
    fn a_missing_image_is_named_with_what_to_do() {
        assert_eq!(
            missing_message(&pulled(ImageUse::WaitForService)),
            "image busybox:1.36.1 (the init containers that wait for dependencies, in the pods of api, web that `berth convert` writes) is not on the engine: `docker pull busybox:1.36.1` where a registry is reachable, or `docker load` it from an archive, or pass --wait-image IMAGE to use an image you have (it needs sh, nc and nslookup)"
        );
        assert!(missing_message(&pulled(ImageUse::WaitForJob)).ends_with(
            "or pass --job-wait-image IMAGE to use an image you have (it needs sh and curl)"
        ));
        assert_eq!(
            missing_message(&pulled(ImageUse::Container)),
            "image busybox:1.36.1 (service api, web) is not on the engine: `berth build` or `berth pull` it first"
        );
        assert_eq!(init_use(&pulled(ImageUse::Container)), None);
    }
}
