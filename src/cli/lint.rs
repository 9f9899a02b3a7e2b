//! `berth lint`: what a security review will raise, with file:line, why and how to fix.

use clap::{Args, ValueEnum};

use super::{Failure, GlobalOptions};
use berth_k8s::lint;
use berth_k8s::report::Locator;

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LintFormat {
    #[default]
    Text,
    Json,
}

#[derive(Args, Debug, Default)]
pub struct LintArgs {
    /// Output format: text, or json for CI
    #[arg(long, value_enum, default_value = "text")]
    pub format: LintFormat,
    /// Exit 1 when there are findings
    #[arg(long)]
    pub strict: bool,
    /// Services to check (default: all enabled services)
    pub services: Vec<String>,
}

pub fn run(global: &GlobalOptions, args: LintArgs) -> Result<i32, Failure> {
    let loaded = global.load_selected(&args.services)?;
    let locator = Locator::for_project(&loaded);
    let report = lint::lint(&loaded, &locator);
    let n = report.findings.len();
    let mut text = String::new();
    match args.format {
        LintFormat::Json => {
            let v = serde_json::json!({
                "project": loaded.name,
                "findings": report.findings,
            });
            text.push_str(&serde_json::to_string_pretty(&v).unwrap_or_default());
            text.push('\n');
        }
        LintFormat::Text => {
            for f in &report.findings {
                text.push_str(&f.render());
                text.push('\n');
            }
            let services: std::collections::BTreeSet<_> = report
                .findings
                .iter()
                .filter_map(|f| f.service.clone())
                .collect();
            if n == 0 {
                text.push_str(&format!(
                    "berth lint: no findings in {} service(s)\n",
                    loaded.project.services.len()
                ));
            } else {
                text.push_str(&format!(
                    "berth lint: {n} finding(s) in {} of {} service(s)\n",
                    services.len(),
                    loaded.project.services.len()
                ));
            }
        }
    }
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }
    Ok(if args.strict && n > 0 { 1 } else { 0 })
}
