//! The one rule for a service's image before its containers are created (`up`, `create`,
//! `run`): build it, pull it, or use what the engine has, as Compose v2 decides it, except that
//! a missing image with a `build:` section is built rather than pulled first (offline, the
//! pull could only fail).

use berth_compose::model::Service;

/// A pull policy: `--pull` on the command line, else the service's `pull_policy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PullPolicy {
    /// Pull every time.
    Always,
    /// Pull when the engine does not have it (the default; also `if_not_present`, and
    /// `daily`, `weekly`, `every_<duration>`, which berth treats as missing).
    #[default]
    Missing,
    /// Never pull: the image must be there (or be built).
    Never,
    /// Build it (a service without `build:` is pulled when missing, as with `missing`).
    Build,
}

impl PullPolicy {
    /// The service's own `pull_policy`.
    pub fn of_service(svc: &Service) -> PullPolicy {
        match svc.pull_policy.as_deref() {
            Some("always") => PullPolicy::Always,
            Some("never") => PullPolicy::Never,
            Some("build") => PullPolicy::Build,
            _ => PullPolicy::Missing,
        }
    }

    /// `--pull VALUE` (`always`, `missing`, `never`, `build`); `policy` (the flag's default)
    /// means each service's own.
    pub fn from_flag(flag: &str) -> Result<Option<PullPolicy>, String> {
        match flag {
            "policy" => Ok(None),
            "always" => Ok(Some(PullPolicy::Always)),
            "missing" | "if_not_present" => Ok(Some(PullPolicy::Missing)),
            "never" => Ok(Some(PullPolicy::Never)),
            "build" => Ok(Some(PullPolicy::Build)),
            other => Err(format!(
                "invalid --pull {other:?}: use always, missing, never or build"
            )),
        }
    }

    /// The policy for `svc`: the command line's, else the service's.
    pub fn for_service(flag: Option<PullPolicy>, svc: &Service) -> PullPolicy {
        flag.unwrap_or_else(|| PullPolicy::of_service(svc))
    }
}

/// What to do about one service's image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageStep {
    /// Build it from the service's `build:` section.
    Build,
    /// Pull it; when that fails and the service has `build:`, build it instead.
    Pull { or_build: bool },
    /// Use what the engine has.
    Use,
    /// It is not there and nothing may bring it (`--no-build`, `never`): say how to get it.
    Missing,
}

/// Decides the step for `svc` from its policy, `--build` / `--no-build`, and whether the engine
/// has the image now:
/// 1. `--build`, or the `build` policy, with a `build:` section: build;
/// 2. `always` with an image to pull: pull (falling back to the build section, if any);
/// 3. the engine has it: use it;
/// 4. missing with a `build:` section: build (unless `--no-build`);
/// 5. missing with `never`: nothing may bring it; otherwise pull.
pub fn decide(
    svc: &Service,
    policy: PullPolicy,
    build_flag: bool,
    no_build: bool,
    present: bool,
) -> ImageStep {
    let can_build = svc.build.is_some() && !no_build;
    if can_build && (build_flag || policy == PullPolicy::Build) {
        return ImageStep::Build;
    }
    if policy == PullPolicy::Always && svc.image.is_some() {
        return ImageStep::Pull {
            or_build: can_build,
        };
    }
    if present {
        return ImageStep::Use;
    }
    if can_build {
        return ImageStep::Build;
    }
    if svc.build.is_some() || policy == PullPolicy::Never {
        return ImageStep::Missing;
    }
    ImageStep::Pull { or_build: false }
}

#[cfg(test)]
mod tests {
    use berth_compose::model::BuildConfig;

    use super::*;

    fn svc(image: bool, build: bool, policy: Option<&str>) -> Service {
        Service {
            image: image.then(|| "reg/app:1".to_string()),
            build: build.then(BuildConfig::default),
            pull_policy: policy.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn policies_read_as_compose_v2_names_them() {
        for (p, want) in [
            (Some("always"), PullPolicy::Always),
            (Some("if_not_present"), PullPolicy::Missing),
            (Some("daily"), PullPolicy::Missing),
            (Some("never"), PullPolicy::Never),
            (Some("build"), PullPolicy::Build),
            (None, PullPolicy::Missing),
        ] {
            assert_eq!(PullPolicy::of_service(&svc(true, false, p)), want, "{p:?}");
        }
        assert_eq!(PullPolicy::from_flag("policy"), Ok(None));
        assert!(PullPolicy::from_flag("sometimes").is_err());
        let s = svc(true, false, Some("never"));
        assert_eq!(
            PullPolicy::for_service(Some(PullPolicy::Always), &s),
            PullPolicy::Always
        );
    }

    #[test]
    fn each_service_gets_one_step() {
        use ImageStep::{Build as B, Missing as M, Pull, Use};
        use PullPolicy::{Always, Build, Missing, Never};
        // (image, build, policy, --build, --no-build, present) -> step
        let cases = [
            (true, false, Missing, false, false, true, Use),
            (
                true,
                false,
                Missing,
                false,
                false,
                false,
                Pull { or_build: false },
            ),
            (
                true,
                false,
                Always,
                false,
                false,
                true,
                Pull { or_build: false },
            ),
            (
                true,
                true,
                Always,
                false,
                false,
                true,
                Pull { or_build: true },
            ),
            (true, false, Never, false, false, false, M),
            (true, false, Never, false, false, true, Use),
            (false, true, Missing, false, false, false, B),
            (false, true, Missing, true, false, true, B),
            (false, true, Missing, false, true, false, M),
            (false, true, Build, false, false, true, B),
            (
                true,
                false,
                Build,
                false,
                false,
                false,
                Pull { or_build: false },
            ),
            (true, true, Missing, false, false, true, Use),
        ];
        for (image, build, policy, bf, nb, present, want) in cases {
            let s = svc(image, build, None);
            assert_eq!(
                decide(&s, policy, bf, nb, present),
                want,
                "image {image} build {build} {policy:?} --build {bf} --no-build {nb} present {present}"
            );
        }
    }
}
