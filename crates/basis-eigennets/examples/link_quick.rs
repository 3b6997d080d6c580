//! One trial of every model on both protocol families (or smaller ones): `cargo run --release
//! -p basis-eigennets --example link_quick -- [n] [epochs]`.
use basis_eigennets::link::{GraphFamily, LinkConfig, run_model, trial_data};
use basis_eigennets::models::ModelKind;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let epochs: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(100);
    let config = LinkConfig {
        epochs,
        extra_edges: n,
        ..Default::default()
    };
    for family in [
        GraphFamily::ErdosRenyi { n, p: 0.05 },
        GraphFamily::BarabasiAlbert {
            n,
            m: 20.min(n / 10),
        },
    ] {
        let t = std::time::Instant::now();
        let d = trial_data(&family, &config, 0).unwrap();
        println!("{}: data {:.2} s", family.name(), t.elapsed().as_secs_f64());
        for kind in ModelKind::ALL {
            let s = run_model(kind, &d, &config, 0).unwrap();
            println!(
                "  {:28} test AUC {:.3} (val {:.3}, epoch {}), {:.1} ms/epoch; twin swap {:.3}, twin distance {:?}, re-signed {:.3} (min {:.3})",
                kind.name(),
                s.test_auc,
                s.val_auc,
                s.best_epoch,
                1e3 * s.seconds_per_epoch,
                s.twins.twin_swap_auc,
                s.twins.twin_distance_ratio.map(|r| (r * 1e3).round() / 1e3),
                s.twins.test_auc_resigned,
                s.twins.test_auc_resigned_min
            );
        }
    }
}
