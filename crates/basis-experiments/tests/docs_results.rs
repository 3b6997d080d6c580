//! Every table in `docs/` generated from a committed summary (`docs/results/`) equals what
//! the summary renders to. `BASIS_UPDATE_DOCS=1` (or `cargo xtask docs`) rewrites the blocks
//! instead of failing.
#![cfg(feature = "nn")]

use basis_experiments::docs::{blocks, regenerate};
use std::path::PathBuf;

#[test]
fn generated_tables_in_docs_match_their_results_files() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let update = std::env::var_os("BASIS_UPDATE_DOCS").is_some();
    let mut pages: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.push(root.join("README.md"));
    pages.sort();
    let mut stale = Vec::new();
    let mut seen = 0;
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        seen += blocks(&text).len();
        let fresh = regenerate(&text, &root).unwrap_or_else(|e| panic!("{}: {e}", page.display()));
        if fresh != text {
            if update {
                basis_data::io::write_atomic(page, fresh.as_bytes()).unwrap();
            } else {
                stale.push(page.display().to_string());
            }
        }
    }
    assert!(seen > 0, "no generated blocks found in docs/");
    assert!(
        stale.is_empty(),
        "generated tables disagree with docs/results/ in {stale:?}; run `cargo xtask docs`"
    );
    // Every committed summary is quoted somewhere.
    let quoted: Vec<String> = pages
        .iter()
        .flat_map(|p| blocks(&std::fs::read_to_string(p).unwrap()))
        .map(|(_, f)| f)
        .collect();
    for entry in std::fs::read_dir(root.join("docs/results")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let rel = format!(
                "docs/results/{}",
                path.file_name().unwrap().to_string_lossy()
            );
            assert!(quoted.contains(&rel), "{rel} is quoted by no page");
        }
    }
}
