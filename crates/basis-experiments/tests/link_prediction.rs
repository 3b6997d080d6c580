//! The link-prediction runner end to end on small twin graphs: files, table, figure,
//! reproducibility under the seed, typed errors.

use basis_eigennets::link::{GraphFamily, LinkConfig};
use basis_eigennets::models::ModelKind;
use basis_experiments::ExperimentError;
use basis_experiments::link_prediction::{
    LinkPrediction, LinkPredictionConfig, LinkPredictionReport, run_link_prediction, summary,
};

fn small(out: &str) -> LinkPredictionConfig {
    LinkPredictionConfig {
        protocol: LinkConfig {
            extra_edges: 100,
            epochs: 15,
            k: 8,
            ..Default::default()
        },
        families: vec![
            GraphFamily::ErdosRenyi { n: 100, p: 0.1 },
            GraphFamily::BarabasiAlbert { n: 100, m: 5 },
        ],
        models: ModelKind::ALL.to_vec(),
        out_dir: std::env::temp_dir().join(format!("basis-link-{out}-{}", std::process::id())),
    }
}

#[test]
fn runner_writes_the_table_and_figure_and_repeats_itself() {
    let cfg = small("run");
    let report = basis_experiments::engine::run::<LinkPrediction>(
        &cfg,
        &basis_experiments::RunContext::new(vec![0, 1], false),
    )
    .unwrap()
    .report;
    assert_eq!(report.trials.len(), 4);
    let rows = summary(&report);
    assert_eq!(rows.len(), 2 * ModelKind::ALL.len());
    for r in &rows {
        assert_eq!(r.trials, 2, "{r:?}");
        assert!((0.0..=1.0).contains(&r.test_auc.mean), "{r:?}");
        // Sign-invariant logits: re-signing at test time changes nothing.
        if r.model != ModelKind::Mlp {
            assert!(r.resign_max_drop.abs() < 1e-6, "{r:?}");
            assert!(
                (r.test_auc_resigned.mean - r.test_auc.mean).abs() < 1e-6,
                "{r:?}"
            );
        }
        assert_eq!(
            r.twin_distance_ratio.is_none(),
            r.model == ModelKind::LearnDecode
        );
    }

    let json = std::fs::read_to_string(cfg.out_dir.join("link_prediction.json")).unwrap();
    let back: LinkPredictionReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back.trials, report.trials);
    let md = std::fs::read_to_string(cfg.out_dir.join("link_prediction.md")).unwrap();
    for kind in ModelKind::ALL {
        assert_eq!(md.matches(kind.name()).count(), 2, "{}", kind.name());
    }
    for ext in ["png", "svg"] {
        let f = cfg.out_dir.join(format!("twins.{ext}"));
        assert!(
            std::fs::metadata(&f).unwrap().len() > 1000,
            "{}",
            f.display()
        );
    }

    // Every random choice flows from the trial seed: a second run gives the same scores.
    let again = run_link_prediction(&small("again"), &[1], false).unwrap();
    for (a, b) in again
        .trials
        .iter()
        .zip(report.trials.iter().filter(|t| t.seed == 1))
    {
        for (x, y) in a.scores.iter().zip(&b.scores) {
            assert_eq!((x.test_auc, x.best_epoch), (y.test_auc, y.best_epoch));
            assert_eq!(x.twins.twin_swap_auc, y.twins.twin_swap_auc);
        }
    }
    let _ = std::fs::remove_dir_all(&cfg.out_dir);
    let _ = std::fs::remove_dir_all(small("again").out_dir);
}

#[test]
fn bad_configurations_are_typed_errors() {
    let invalid = |cfg: LinkPredictionConfig, seeds: &[u64]| {
        let r = run_link_prediction(&cfg, seeds, false);
        assert!(
            matches!(
                r,
                Err(ExperimentError::InvalidConfig(_) | ExperimentError::EigenNet(_))
            ),
            "{r:?}"
        );
    };
    invalid(small("none"), &[]);
    invalid(
        LinkPredictionConfig {
            families: vec![],
            ..small("nofamily")
        },
        &[0],
    );
    let mut c = small("fractions");
    c.protocol.val_fraction = 0.6;
    c.protocol.test_fraction = 0.5;
    invalid(c, &[0]);
    let mut c = small("epochs");
    c.protocol.epochs = 0;
    invalid(c, &[0]);
    // k ≥ n: more eigenvectors than the graph's 2 × 10 nodes allow.
    let mut c = small("k");
    c.families = vec![GraphFamily::ErdosRenyi { n: 10, p: 0.5 }];
    c.protocol.extra_edges = 5;
    c.protocol.k = 25;
    invalid(c, &[0]);
}
