//! The manual pages: `berth.1` and one page per subcommand (`berth-up.1`, `berth-bundle-save.1`),
//! rendered by clap_mangen from the definitions that parse the command line, so a page never
//! disagrees with `--help`.

use std::path::{Path, PathBuf};

use clap::CommandFactory;

use super::{Cli, Failure};

/// Writes every page into `dir` (created if missing); returns their paths, sorted.
pub fn write(dir: &Path) -> Result<Vec<PathBuf>, Failure> {
    let fail = |e: std::io::Error| {
        Failure::new(
            1,
            format!("cannot write the manual pages to {}: {e}", dir.display()),
        )
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    clap_mangen::generate_to(Cli::command(), dir).map_err(fail)?;
    let mut written: Vec<PathBuf> = pages(dir)
        .into_iter()
        .filter(|p| is_berth_page(p))
        .collect();
    written.sort();
    Ok(written)
}

fn pages(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "1"))
                .collect()
        })
        .unwrap_or_default()
}

fn is_berth_page(p: &Path) -> bool {
    p.file_name().is_some_and(|n| {
        let n = n.to_string_lossy();
        n == "berth.1" || n.starts_with("berth-")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_page_for_berth_and_one_per_subcommand() {
        let dir = std::env::temp_dir().join(format!("berth-man-{}", std::process::id()));
        let written = write(&dir).unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        for page in [
            "berth.1",
            "berth-up.1",
            "berth-bundle-save.1",
            "berth-scale.1",
        ] {
            assert!(names.iter().any(|n| n == page), "{page} in {names:?}");
        }
        let up = std::fs::read_to_string(dir.join("berth-up.1")).unwrap();
        assert!(up.contains("Create and start containers"), "{up}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
