//! A conversion as a person reviews it: the conversion's own findings and `lint`'s together,
//! placed at their lines in the compose files and sorted, and the objects checked as the API
//! server would check them.

use berth_compose::load::LoadedProject;

use crate::report::{Locator, Severity};
use crate::{check, lint, Conversion, ConvertOptions, Sources};

/// A reviewed conversion.
pub struct Reviewed {
    pub conversion: Conversion,
    /// How many findings `lint` added (errors with `strict`, else warnings).
    pub lint_findings: usize,
    /// Compose settings the conversion refused (it cannot convert them faithfully).
    pub refusals: usize,
    /// What the API server would reject in the objects: berth's own fault (nothing a user
    /// wrote), to report as an internal error.
    pub problems: Vec<String>,
}

/// Converts `loaded`, adds `lint`'s findings, places and sorts them, and checks the objects.
pub fn convert_reviewed(
    loaded: &LoadedProject,
    sources: &Sources,
    opts: &ConvertOptions,
    strict: bool,
) -> Reviewed {
    let mut conversion = crate::convert(loaded, sources, opts);
    let locator = Locator::for_project(loaded);
    let lint_report = lint::lint(loaded, &locator);
    let lint_findings = lint_report.findings.len();
    conversion
        .report
        .findings
        .extend(lint::as_convert_findings(&lint_report, strict));
    conversion.report.locate(&locator);
    conversion.report.sort();
    let refusals = conversion
        .report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error && f.rule.is_none())
        .count();
    let problems = check::check(&conversion.objects, &conversion.externals);
    Reviewed {
        conversion,
        lint_findings,
        refusals,
        problems,
    }
}
