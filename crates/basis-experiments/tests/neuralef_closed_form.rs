//! NeuralEF against the closed-form eigenfunctions of a Gaussian kernel, scaled down for CI
//! (the full check is `cargo xtask reproduce neuralef-closed-form`, docs/neuralef.md).

use basis_experiments::engine::{RunContext, run};
use basis_experiments::neuralef_closed_form::{ClosedForm, ClosedFormConfig};
use std::path::PathBuf;

#[test]
fn neuralef_learns_the_leading_hermite_eigenfunctions_and_writes_its_report() {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("neuralef-closed-form");
    let _ = std::fs::remove_dir_all(&out);
    let config = ClosedFormConfig {
        n_train: 4096,
        k: 4,
        batch_size: 256,
        iterations: 2000,
        out_dir: out.clone(),
        ..ClosedFormConfig::default()
    };
    let r = run::<ClosedForm>(&config, &RunContext::default())
        .unwrap()
        .report;
    assert_eq!(r.scores.len(), 4);
    for s in &r.scores[..3] {
        assert!(
            s.neuralef_cos >= 0.99,
            "eigenfunction {}: |cos| {}",
            s.j,
            s.neuralef_cos
        );
        assert!(
            s.nystrom_cos >= 0.99,
            "Nyström {}: |cos| {}",
            s.j,
            s.nystrom_cos
        );
        assert!(
            s.neuralef_eigenvalue_error < 0.1,
            "eigenvalue {}: relative error {}",
            s.j,
            s.neuralef_eigenvalue_error
        );
    }
    for f in [
        "closed_form.json",
        "closed_form.md",
        "eigenfunctions.png",
        "eigenfunctions.svg",
    ] {
        assert!(out.join(f).is_file(), "{f} not written");
    }
}
