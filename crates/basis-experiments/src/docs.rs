//! The tables in `docs/` that quote results, generated from the summaries committed in
//! `docs/results/`.
//!
//! Every run writes `OUT/summary.json` (its report without logs and figure data,
//! [`Experiment::summary`]). Copied to `docs/results/<file>.json`, it is the source of every
//! table in `docs/` that quotes it: a generated block
//!
//! ```text
//! <!-- results: table1 docs/results/table1.json -->
//! (the table, written by the tool)
//! <!-- /results -->
//! ```
//!
//! holds exactly [`Experiment::markdown`] of that file (headings moved three levels down, so a
//! table's title sits under the page's own headings). [`regenerate`] rewrites every block of a
//! page; the test `docs_results` fails when a block and its JSON disagree, and
//! `cargo xtask docs` rewrites them.

use crate::engine::{Experiment, read_json};
use crate::{ExperimentError, Result};
use std::path::Path;

const OPEN: &str = "<!-- results: ";
const CLOSE: &str = "<!-- /results -->";

/// [`Experiment::markdown`] of `E`'s summary in `path`.
pub(crate) fn markdown_of<E: Experiment>(path: &Path) -> Result<String> {
    Ok(E::markdown(&read_json::<E::Report>(path)?))
}

/// The table of the summary in `path` of the experiment named `experiment` (its
/// [`Experiment::NAME`]), looked up in the registry of `lib.rs` ([`crate::markdown_by_name`]).
pub fn summary_markdown(experiment: &str, path: &Path) -> Result<String> {
    crate::markdown_by_name(experiment, path).unwrap_or_else(|| {
        Err(ExperimentError::InvalidConfig(format!(
            "no experiment named {experiment:?} (a generated block names one, e.g. `table1`)"
        )))
    })
}

/// `markdown` with its headings three levels down (`# T` → `#### T`).
fn demote_headings(markdown: &str) -> String {
    markdown
        .lines()
        .map(|l| {
            if l.starts_with('#') {
                format!("###{l}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` (a markdown page) with every generated block rewritten from the summary it names;
/// paths in the blocks are relative to `root` (the repository). A block that is not closed,
/// names no experiment or a missing file is an error.
pub fn regenerate(text: &str, root: &Path) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        let header_end = rest[start..]
            .find("-->")
            .map(|i| start + i + 3)
            .ok_or_else(|| {
                ExperimentError::InvalidConfig(
                    "a generated block's opening comment is not closed".into(),
                )
            })?;
        let header = &rest[start + OPEN.len()..header_end - 3];
        let mut words = header.split_whitespace();
        let (Some(experiment), Some(file), None) = (words.next(), words.next(), words.next())
        else {
            return Err(ExperimentError::InvalidConfig(format!(
                "a generated block must name an experiment and a file: {OPEN}{header}-->"
            )));
        };
        let close = rest[header_end..]
            .find(CLOSE)
            .map(|i| header_end + i)
            .ok_or_else(|| {
                ExperimentError::InvalidConfig(format!("the block for {file} has no {CLOSE}"))
            })?;
        let table = demote_headings(&summary_markdown(experiment, &root.join(file))?);
        out.push_str(&rest[..header_end]);
        out.push('\n');
        out.push_str(table.trim_end());
        out.push('\n');
        out.push_str(CLOSE);
        rest = &rest[close + CLOSE.len()..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The summaries the blocks of `text` name, as (experiment, file).
pub fn blocks(text: &str) -> Vec<(String, String)> {
    text.match_indices(OPEN)
        .filter_map(|(i, _)| {
            let header = &text[i + OPEN.len()..];
            let header = &header[..header.find("-->")?];
            let mut w = header.split_whitespace();
            Some((w.next()?.to_string(), w.next()?.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_rewritten_from_their_summary_and_bad_blocks_are_typed_errors() {
        let dir = std::env::temp_dir().join(format!("basis-docs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A fig3 summary is small and needs no libtorch.
        let report = serde_json::json!({
            "config": crate::alignment_spread::AlignmentSpreadConfig::three_moons(),
            "anchors": 9,
            "spread_before": 0.5,
            "spread_after": 0.05,
            "ratio": 0.1,
            "spread_before_per_coordinate": [0.5, 0.5],
            "spread_after_per_coordinate": [0.05, 0.05],
            "inlier_fractions": [1.0],
            "anchor_rms_residuals": [0.01],
            "rejected": [],
        });
        std::fs::write(dir.join("fig3.json"), report.to_string()).unwrap();
        let page =
            "# Page\n\ntext\n<!-- results: fig3 fig3.json -->\nstale\n<!-- /results -->\nafter\n";
        let fresh = regenerate(page, &dir).unwrap();
        assert!(fresh.starts_with("# Page\n\ntext\n<!-- results: fig3 fig3.json -->\n"));
        assert!(
            fresh.contains("| 0.5000 | 0.0500 | 0.1000 | 1.000 | 0 |"),
            "{fresh}"
        );
        assert!(!fresh.contains("stale") && fresh.ends_with("<!-- /results -->\nafter\n"));
        // Regenerating again changes nothing.
        assert_eq!(regenerate(&fresh, &dir).unwrap(), fresh);
        assert_eq!(
            blocks(&fresh),
            [("fig3".to_string(), "fig3.json".to_string())]
        );
        for bad in [
            "<!-- results: fig3 fig3.json -->\nno end",
            "<!-- results: fig3 -->\n<!-- /results -->",
            "<!-- results: nothing fig3.json -->\n<!-- /results -->",
            "<!-- results: fig3 missing.json -->\n<!-- /results -->",
        ] {
            assert!(regenerate(bad, &dir).is_err(), "{bad}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
