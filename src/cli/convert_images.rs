//! What `convert` learns of the services' images from the local engine (their `USER` and
//! `EXPOSE`, see docs/convert.md "Image facts"): asked here, handed to berth-k8s as plain facts.
//! No engine, or a slow one, is not an error: the conversion then goes on without them.

use std::collections::BTreeMap;
use std::time::Duration;

use super::GlobalOptions;
use berth_compose::load::LoadedProject;
use berth_engine::images::ImageDetails;
use berth_engine::{self as engine, Engine};
use berth_k8s::ImageFacts;

/// How long the engine gets to connect and answer every inspection.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// The facts of the images the engine has (by the compose `image:`), or `None` when no engine
/// answered; and the note saying what was not available, if anything.
pub fn gather(
    global: &GlobalOptions,
    lp: &LoadedProject,
) -> (Option<BTreeMap<String, ImageFacts>>, Option<String>) {
    let mut images: Vec<&str> = lp
        .project
        .services
        .values()
        .filter_map(|s| s.image.as_deref().filter(|i| !i.is_empty()))
        .collect();
    images.sort_unstable();
    images.dedup();
    if images.is_empty() {
        return (None, None);
    }
    let target = engine::target(global.engine.into());
    let asked = async {
        let engine = Engine::connect_to(&target)
            .await
            .map_err(|e| e.to_string())?;
        let mut found = BTreeMap::new();
        let mut missing = Vec::new();
        for image in &images {
            match engine.inspect_image(image).await {
                Ok(Some(d)) => {
                    found.insert(image.to_string(), facts(d));
                }
                Ok(None) => missing.push(*image),
                Err(e) => return Err(format!("inspecting {image}: {e}")),
            }
        }
        Ok::<_, String>((found, missing))
    };
    let answer = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|rt| {
            rt.block_on(async {
                tokio::time::timeout(ANSWER_WITHIN, asked)
                    .await
                    .unwrap_or_else(|_| {
                        Err(format!(
                            "no answer within {} s from {}",
                            ANSWER_WITHIN.as_secs(),
                            target.host
                        ))
                    })
            })
        });
    match answer {
        Ok((found, missing)) => {
            let note = (!missing.is_empty()).then(|| {
                format!(
                    "note: image facts (USER, EXPOSE) not available for {} (not on the engine): their services convert from the compose file alone",
                    missing.join(", ")
                )
            });
            (Some(found), note)
        }
        Err(e) => (
            None,
            Some(format!(
                "note: image facts (USER, EXPOSE) not available ({}): services convert from the compose file alone",
                e.lines().next().unwrap_or_default()
            )),
        ),
    }
}

fn facts(d: ImageDetails) -> ImageFacts {
    ImageFacts {
        user: d.user,
        exposed_ports: d.exposed_ports,
        volumes: d.volumes,
        entrypoint: d.entrypoint,
        cmd: d.cmd,
    }
}
