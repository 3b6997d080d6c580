//! Training cost of the sign-equivariant link model on a large graph: twins of a
//! Barabási–Albert(n/2, m) graph (n nodes, about n·m edges), the encodings of our Lanczos,
//! one full-batch epoch (forward, BCE over every edge and as many negatives, backward, Adam)
//! timed. `cargo run --release -p basis-eigennets --example link_scale -- [n] [m] [epochs]`.
use basis_data::random_graphs::{barabasi_albert, sample_negatives, twin_graph};
use basis_eigennets::models::{GraphOps, LinkModel, ModelKind};
use basis_eigennets::positional::laplacian_positional_encoding;
use rand::SeedableRng;
use std::time::Instant;
use tch::nn::{self, OptimizerConfig};
use tch::{Device, Kind, Tensor};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (n, m, epochs) = (
        args.first().copied().unwrap_or(100_000),
        args.get(1).copied().unwrap_or(10),
        args.get(2).copied().unwrap_or(5),
    );
    let t = Instant::now();
    let g = twin_graph(&barabasi_albert(n / 2, m, 0)?, n / 2, 1)?;
    println!(
        "graph: {} nodes, {} edges, {:.1} s",
        g.n,
        g.edges.len(),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let pe = laplacian_positional_encoding(&g, 16)?;
    println!("16 eigenvectors of L_N: {:.1} s", t.elapsed().as_secs_f64());
    let v = basis_nn::convert::matrix_to_tensor(&pe);
    let ops = GraphOps::new(&g, Kind::Float)?;
    let train = g.edge_set();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
    for kind in [ModelKind::SignEq, ModelKind::Gcn] {
        let vs = nn::VarStore::new(Device::Cpu);
        let model = LinkModel::new(&vs.root(), kind, 16);
        let mut opt = nn::Adam::default().build(&vs, 0.01)?;
        let pos = g.edges.len() as i64;
        let targets = Tensor::cat(
            &[
                Tensor::ones([pos], tch::kind::FLOAT_CPU),
                Tensor::zeros([pos], tch::kind::FLOAT_CPU),
            ],
            0,
        );
        let mut times = Vec::new();
        for _ in 0..epochs {
            let neg = sample_negatives(g.n, &train, g.edges.len(), &mut rng)?;
            let pairs: Vec<(usize, usize)> = g.edges.iter().chain(&neg).copied().collect();
            let t = Instant::now();
            let loss = model
                .logits(&v, &ops, &pairs)
                .binary_cross_entropy_with_logits::<Tensor>(
                    &targets,
                    None,
                    None,
                    tch::Reduction::Mean,
                );
            opt.backward_step(&loss);
            times.push(t.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{}: median {:.0} ms per epoch ({} epochs, {} pairs)",
            kind.name(),
            1e3 * times[times.len() / 2],
            epochs,
            2 * pos
        );
    }
    Ok(())
}
