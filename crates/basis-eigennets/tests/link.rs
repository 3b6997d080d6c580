//! The link-prediction protocol end to end on a small twin graph.

use basis_eigennets::link::{GraphFamily, LinkConfig, run_model, trial_data};
use basis_eigennets::models::ModelKind;

#[test]
fn every_model_runs_the_protocol_on_small_twins() {
    let config = LinkConfig {
        extra_edges: 150,
        epochs: 40,
        ..Default::default()
    };
    let family = GraphFamily::ErdosRenyi { n: 150, p: 0.08 };
    let d = trial_data(&family, &config, 1).unwrap();
    let mut scores = Vec::new();
    for kind in ModelKind::ALL {
        let s = run_model(kind, &d, &config, 1).unwrap();
        assert!((0.0..=1.0).contains(&s.test_auc), "{s:?}");
        assert_eq!(s.best_epoch == 0, kind == ModelKind::DecodeOnly, "{s:?}");
        scores.push((kind, s.test_auc));
    }
    eprintln!("small twins: {scores:?}");
    let auc = |k: ModelKind| scores.iter().find(|s| s.0 == k).unwrap().1;
    // Twins are automorphic: a structural model cannot tell a node's edges from its twin's.
    assert!(auc(ModelKind::Gcn) < 0.6, "{scores:?}");
    assert!(
        auc(ModelKind::SignEq) > auc(ModelKind::Gcn) + 0.1,
        "{scores:?}"
    );
}
