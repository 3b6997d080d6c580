//! The GGAE benchmark end to end on small settings: files, report shape, reproducibility,
//! GGAE lowering the distortion it is trained on, and typed errors for unusable settings.

use basis_data::manifolds::SwissRollParams;
use basis_experiments::ExperimentError;
use basis_experiments::ggae::{
    Ggae, GgaeConfig, GgaeDataset, GgaeReport, RotatingSetup, SwissRollSetup, ggae_markdown,
    run_ggae, run_trial,
};
use std::sync::Mutex;

/// libtorch's random generator is global: trials that initialise networks must not overlap.
static TORCH: Mutex<()> = Mutex::new(());

/// A fresh directory under the system's temporary directory.
fn scratch(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("basis-ggae-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn small(out: &std::path::Path) -> GgaeConfig {
    GgaeConfig {
        swiss_roll: Some(SwissRollSetup {
            roll: SwissRollParams {
                n: 420,
                ..Default::default()
            },
            epochs: 4,
            batch_size: 150,
            ..Default::default()
        }),
        rotating: Some(RotatingSetup {
            images: 14,
            epochs: 2,
            batch_sequences: 4,
            ..Default::default()
        }),
        out_dir: out.to_path_buf(),
    }
}

#[test]
fn a_small_run_writes_its_report_and_figures_and_replots_them() {
    let _g = TORCH.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("run");
    let cfg = small(&dir);
    let report = basis_experiments::engine::run::<Ggae>(
        &cfg,
        &basis_experiments::RunContext::new(vec![0, 1], false),
    )
    .unwrap()
    .report;
    assert_eq!(report.trials.len(), 4);
    for t in &report.trials {
        assert_eq!(t.models.len(), 2);
        assert_eq!(t.models[0].alpha, 0.0);
        assert!(t.models[1].alpha > 0.0);
        assert!(t.h > 0.0);
        match t.dataset {
            // 420 points: 300 / 60 / 60, k = 10..50.
            GgaeDataset::SwissRoll => {
                assert_eq!((t.train_rows, t.test_rows), (300, 60));
                assert_eq!(t.recall_ks, [10, 20, 30, 40, 50]);
            }
            // 14 images: 10 / 2 / 2 sequences of 36 frames, k = 10, 20, 30 within a sequence.
            GgaeDataset::Rotating => {
                assert_eq!((t.train_rows, t.test_rows), (360, 72));
                assert_eq!(t.recall_ks, [10, 20, 30]);
            }
        }
        // Latents and colours for the figure of the first seed only.
        let first = t.seed == 0;
        assert_eq!(t.truth_colour.len(), if first { t.test_rows } else { 0 });
        for m in &t.models {
            assert_eq!(m.latents.len(), if first { t.test_rows } else { 0 });
            assert!(m.test_mse.is_finite() && m.test_mse >= 0.0);
            assert!((-1.0..=1.0).contains(&m.spearman), "{}", m.spearman);
            assert_eq!(m.knn_recall.len(), t.recall_ks.len());
            assert!(m.knn_recall.iter().all(|r| (0.0..=1.0).contains(r)));
            assert!(m.curve.len() == cfg_epochs(&cfg, t.dataset));
        }
        assert!(t.truth_colour.iter().all(|c| (0.0..=1.0).contains(c)));
    }
    for f in [
        "ggae.json",
        "ggae.md",
        "latents.png",
        "latents.svg",
        "curves.png",
        "curves.svg",
    ] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    let md = std::fs::read_to_string(dir.join("ggae.md")).unwrap();
    assert_eq!(md, ggae_markdown(&report));
    assert!(
        md.contains("| Swiss roll with a hole | GGAE | 10 |"),
        "{md}"
    );
    assert!(
        md.contains("| rotating sequences | autoencoder | 0 |"),
        "{md}"
    );
    // --replot: the JSON alone redraws the same table.
    let back: GgaeReport =
        serde_json::from_str(&std::fs::read_to_string(dir.join("ggae.json")).unwrap()).unwrap();
    assert_eq!(back, report);
    std::fs::remove_file(dir.join("ggae.md")).unwrap();
    std::fs::remove_file(dir.join("latents.png")).unwrap();
    let replotted = basis_experiments::engine::replot::<Ggae>(&dir).unwrap();
    assert_eq!(replotted.report, report);
    assert_eq!(std::fs::read_to_string(dir.join("ggae.md")).unwrap(), md);
    assert!(dir.join("latents.png").is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

fn cfg_epochs(cfg: &GgaeConfig, d: GgaeDataset) -> usize {
    match d {
        GgaeDataset::SwissRoll => cfg.swiss_roll.as_ref().unwrap().epochs,
        GgaeDataset::Rotating => cfg.rotating.as_ref().unwrap().epochs,
    }
}

#[test]
fn a_trial_is_reproducible_and_ggae_lowers_its_distortion() {
    let _g = TORCH.lock().unwrap_or_else(|e| e.into_inner());
    let mut cfg = small(std::path::Path::new("unused"));
    if let Some(s) = cfg.swiss_roll.as_mut() {
        s.epochs = 15;
    }
    let bar = indicatif::ProgressBar::hidden();
    let a = run_trial(&cfg, GgaeDataset::SwissRoll, 3, false, &bar).unwrap();
    let b = run_trial(&cfg, GgaeDataset::SwissRoll, 3, false, &bar).unwrap();
    for (x, y) in a.models.iter().zip(&b.models) {
        assert_eq!(x.test_mse, y.test_mse);
        assert_eq!(x.spearman, y.spearman);
        assert_eq!(x.knn_recall, y.knn_recall);
    }
    // The same initialisation and batches: GGAE ends with the lower training distortion.
    let last = |m: usize| a.models[m].curve.last().unwrap().distortion;
    assert!(
        last(1) < last(0),
        "GGAE {} vs autoencoder {}",
        last(1),
        last(0)
    );
    assert_eq!(
        a.models[0].curve[0].loss,
        a.models[0].curve[0].reconstruction
    );
    // A different seed draws different data.
    if let Some(s) = cfg.swiss_roll.as_mut() {
        s.epochs = 1;
    }
    let c = run_trial(&cfg, GgaeDataset::SwissRoll, 4, false, &bar).unwrap();
    assert_ne!(c.models[0].test_mse, a.models[0].test_mse);
}

#[test]
fn unusable_settings_are_typed_errors() {
    let out = std::path::Path::new("unused");
    let invalid = |c: GgaeConfig| {
        assert!(
            matches!(
                run_ggae(&c, &[0], false),
                Err(ExperimentError::InvalidConfig(_)) | Err(ExperimentError::Graph(_))
            ),
            "{c:?}"
        );
    };
    invalid(GgaeConfig {
        swiss_roll: None,
        rotating: None,
        ..small(out)
    });
    let mut c = small(out);
    c.swiss_roll.as_mut().unwrap().alpha = 0.0;
    invalid(c);
    let mut c = small(out);
    c.swiss_roll.as_mut().unwrap().alpha = -1.0;
    invalid(c);
    let mut c = small(out);
    c.swiss_roll.as_mut().unwrap().h_factor = f64::NAN;
    invalid(c);
    let mut c = small(out);
    c.swiss_roll.as_mut().unwrap().batch_size = 1;
    invalid(c);
    let mut c = small(out);
    c.rotating.as_mut().unwrap().class = 10;
    invalid(c);
    let mut c = small(out);
    c.rotating.as_mut().unwrap().h = 0.0;
    assert!(matches!(
        run_ggae(&c, &[0], false),
        Err(ExperimentError::Graph(_))
    ));
    let mut c = small(out);
    c.rotating.as_mut().unwrap().epochs = 0;
    invalid(c);
    assert!(matches!(
        run_ggae(&small(out), &[], false),
        Err(ExperimentError::InvalidConfig(_))
    ));
    // More images than the class has.
    let mut c = small(out);
    c.swiss_roll = None;
    c.rotating.as_mut().unwrap().images = 7000;
    assert!(matches!(
        run_ggae(&c, &[0], false),
        Err(ExperimentError::InvalidConfig(_))
    ));
    assert!(!out.exists());
}
