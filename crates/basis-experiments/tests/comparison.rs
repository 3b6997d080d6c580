//! The comparison drivers end to end on a small data set given by path (three Gaussian blobs
//! as `.npy` files, raw features): Table 1 with every method, its reuse of finished runs, and
//! the neighbour sweep's tables and plot.

use basis_data::npy::encode_npy;
use basis_data::toy::{ToyParams, gaussian_blobs};
use basis_experiments::RunContext;
use basis_experiments::engine::run;
use basis_experiments::fashion_mnist::FeatureSource;
use basis_experiments::neighbors::{NeighborSweepConfig, Neighbors};
use basis_experiments::table1::{Table1Comparison, Table1Config, run_table1};
use basis_methods::method::Method;
use nalgebra::DMatrix;
use std::path::{Path, PathBuf};

fn write_blobs(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, n, seed) in [("train", 900, 1), ("test", 450, 2)] {
        let d = gaussian_blobs(
            &ToyParams {
                n_samples: n,
                noise: 0.0,
                seed,
            },
            3,
            0.6,
        )
        .unwrap();
        let y = DMatrix::from_iterator(n, 1, d.labels.iter().map(|&l| l as f64));
        std::fs::write(dir.join(format!("{name}_x.npy")), encode_npy(&d.features)).unwrap();
        std::fs::write(dir.join(format!("{name}_y.npy")), encode_npy(&y)).unwrap();
    }
}

fn small_table(root: &Path) -> Table1Config {
    let mut t = Table1Config::default();
    let e = &mut t.experiment;
    e.dataset = root.join("data").to_string_lossy().into_owned();
    e.features = FeatureSource::Raw;
    e.feature_cache = None;
    e.out_dir = root.join("table1");
    e.anchors_per_class = 10;
    e.basis.embedding.k = 3;
    e.basis.batch_size = 128;
    e.basis.iterations = 120;
    e.basis.learning_rate = 1e-3;
    e.basis.mlp.hidden = vec![32, 32];
    e.basis.graph.knn.k = 10;
    e.report.kmeans.k = 3;
    t
}

fn temp_root(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("basis-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    write_blobs(&root.join("data"));
    root
}

#[test]
fn table1_runs_every_method_and_reuses_finished_runs() {
    let root = temp_root("table1");
    let cfg = small_table(&root);
    let t = run::<Table1Comparison>(&cfg, &RunContext::new(vec![0], false))
        .unwrap()
        .report;
    let names: Vec<&str> = t.rows.iter().map(|r| r.method.as_str()).collect();
    // Four methods, SpecNet2's two post-processing rows, and NeuralEF's configurations
    // (the NeuralEF objective; Neural Eigenmaps scored by k-means and by the head's argmax).
    let expected = 5 + Table1Config::default().neuralef.len() + 1;
    assert_eq!(names.len(), expected, "{names:?}");
    assert_eq!(names[0], "BASiS");
    assert!(names.contains(&"NeuralEF"), "{names:?}");
    assert!(
        names.iter().any(|n| n.contains("argmax of the head")),
        "{names:?}"
    );
    for r in &t.rows {
        assert!(r.failures.is_empty(), "{}: {:?}", r.method, r.failures);
        assert_eq!(r.reports.len(), 1);
        let a = r.aggregate();
        eprintln!(
            "{}: d_G {:.3} NMI {:.3} ACC {:.3}",
            r.method, a[0].mean, a[2].mean, a[3].mean
        );
        assert!(a[0].mean.is_finite() && a[2].mean.is_finite());
    }
    // BASiS and SpectralNet recover the blobs in 120 iterations (measured NMI 1.0).
    for row in [0, 2] {
        let a = t.rows[row].aggregate();
        assert!(a[2].mean > 0.9 && a[3].mean > 0.9, "{}", t.rows[row].method);
    }
    for slug in [
        "basis",
        "diffusion-net",
        "spectralnet",
        "specnet2",
        "neuralef",
        "neuralef-eigenmaps",
    ] {
        let dir = cfg.experiment.out_dir.join(slug).join("seed-0");
        assert!(dir.join("result.json").is_file() && dir.join("model").is_dir());
    }
    let md = std::fs::read_to_string(cfg.experiment.out_dir.join("table1.md")).unwrap();
    assert!(md.contains("| BASiS |") && md.contains("SpecNet2 (post-processed on the test set"));
    // A re-run with the same configuration reads every result instead of training: the
    // recorded timings are the first run's, bit for bit.
    let again = run_table1(&cfg, &[0], false).unwrap();
    for (a, b) in t.rows.iter().zip(&again.rows) {
        assert_eq!(a.ms_per_iteration, b.ms_per_iteration);
        assert_eq!(a.reports, b.reports);
    }
    // A changed configuration trains again.
    let mut other = cfg.clone();
    other.baseline.learning_rate = 2e-3;
    let changed = run_table1(&other, &[0], false).unwrap();
    assert_ne!(changed.rows[1].reports, t.rows[1].reports);
    // A subset of methods: only their rows (SpecNet2 has two).
    let mut subset = cfg.clone();
    subset.methods = vec![Method::SpecNet2];
    let only = run_table1(&subset, &[0], false).unwrap();
    assert_eq!(only.rows.len(), 2);
    assert!(only.rows.iter().all(|r| r.method.starts_with("SpecNet2")));
    subset.methods.clear();
    assert!(run_table1(&subset, &[0], false).is_err());
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn neighbor_sweep_writes_a_table_per_metric_and_a_plot() {
    let root = temp_root("neighbors");
    let mut cfg = NeighborSweepConfig {
        table: small_table(&root),
        neighbors: vec![10, 20],
        out_dir: root.join("sweep"),
    };
    cfg.table.experiment.basis.iterations = 60;
    let s = run::<Neighbors>(&cfg, &RunContext::new(vec![0], false))
        .unwrap()
        .report;
    assert_eq!(s.points.len(), 2);
    for (p, k) in s.points.iter().zip([10, 20]) {
        assert_eq!(p.k, k);
        assert_eq!(p.table.config.experiment.basis.graph.knn.k, k);
        assert_eq!(p.table.rows.len(), 8);
    }
    let md = std::fs::read_to_string(root.join("sweep/neighbors.md")).unwrap();
    for needle in [
        "## d_G",
        "## NMI",
        "## ACC",
        "| k = 10 | k = 20 |",
        "| BASiS |",
    ] {
        assert!(md.contains(needle), "{needle} missing from\n{md}");
    }
    let png = std::fs::read(root.join("sweep/neighbors.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    assert!(root.join("sweep/k-20/table1.json").is_file());
    // Bad lists of k are refused before anything runs.
    for bad in [vec![], vec![10, 10], vec![3], vec![200]] {
        let c = NeighborSweepConfig {
            neighbors: bad.clone(),
            ..cfg.clone()
        };
        assert!(c.check().is_err(), "{bad:?} accepted");
    }
    std::fs::remove_dir_all(&root).unwrap();
}
