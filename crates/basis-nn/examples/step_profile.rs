//! Times one BASiS network step of the Fashion-MNIST setting (MLP 16 → 256 → 512 → 512 →
//! 256 → 10, batch 512, MSE, Adam) by part: forward and loss, backward, optimiser.
//!
//! ```sh
//! cargo run --release -p basis-nn --example step_profile -- 2 500
//! ```
//! Arguments: libtorch threads (default 2), steps (default 500).

use basis_nn::adam::{Adam, AdamParams};
use basis_nn::mlp::{Mlp, MlpConfig};
use std::time::Instant;
use tch::{Kind, Tensor, nn};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let threads: i32 = args.first().and_then(|s| s.parse().ok()).unwrap_or(2);
    let steps: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(500);
    tch::set_num_threads(threads);
    let vs = nn::VarStore::new(tch::Device::Cpu);
    let mut net = Mlp::new(&vs.root(), 16, 10, &MlpConfig::default())
        .expect("the default network fits in memory");
    net.init_from_seed(0);
    let mut opt = Adam::new(&vs, AdamParams::with_learning_rate(1e-3)).unwrap();
    tch::manual_seed(0);
    let x = Tensor::randn([512, 16], (Kind::Float, tch::Device::Cpu));
    let target = Tensor::randn([512, 10], (Kind::Float, tch::Device::Cpu));
    let mut parts = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..steps {
        let t0 = Instant::now();
        let y = net.forward(&x);
        let loss = (y - &target)
            .pow_tensor_scalar(2)
            .sum_dim_intlist(1, false, Kind::Float)
            .mean(Kind::Float);
        let t1 = Instant::now();
        for (_, t) in vs.variables() {
            let mut t = t;
            t.zero_grad();
        }
        loss.backward();
        let t2 = Instant::now();
        opt.step();
        let _ = loss.double_value(&[]);
        let t3 = Instant::now();
        parts[0].push((t1 - t0).as_secs_f64());
        parts[1].push((t2 - t1).as_secs_f64());
        parts[2].push((t3 - t2).as_secs_f64());
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2] * 1e3
    };
    let (f, b, a) = (
        median(&mut parts[0]),
        median(&mut parts[1]),
        median(&mut parts[2]),
    );
    println!(
        "{threads} thread(s): forward + loss {f:.2} ms, backward {b:.2} ms, Adam {a:.2} ms, sum {:.2} ms",
        f + b + a
    );
}
