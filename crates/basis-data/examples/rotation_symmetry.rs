//! Which Fashion-MNIST class has the clearest orientation? For the first `per_class` images of
//! each class (training split), the cosine similarity of an image with itself turned by θ
//! (bilinear), θ = 60°, 70°, …, 300°: the mean over θ and images, and the mean of the largest
//! over θ. A class whose images look like themselves rotated far (a rotational symmetry, e.g.
//! 180° for trousers) gives the rotating-sequence autoencoder frames it cannot tell apart.
//! `cargo run --release -p basis-data --example rotation_symmetry -- [per_class]`
use basis_data::fashion_mnist::{
    FASHION_MNIST_CLASSES, FashionMnistConfig, Split, load_fashion_mnist,
};
use basis_data::manifolds::rotate_bilinear;

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (na * nb).max(1e-12)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let per_class: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let data = load_fashion_mnist(&FashionMnistConfig::default(), Split::Train)?;
    println!("| class | mean similarity, 60°–300° | mean of the largest | at 180° |");
    println!("|---|---|---|---|");
    for (c, name) in FASHION_MNIST_CLASSES.iter().enumerate() {
        let rows: Vec<usize> = (0..data.labels.len())
            .filter(|&i| data.labels[i] == c)
            .take(per_class)
            .collect();
        let (mut mean, mut largest, mut half) = (0.0, 0.0, 0.0);
        for &i in &rows {
            let img: Vec<f64> = data.features.row(i).iter().copied().collect();
            let sims: Vec<f64> = (6..=30)
                .map(|t| rotate_bilinear(&img, 28, 28, 10.0 * t as f64).map(|r| cosine(&img, &r)))
                .collect::<Result<_, _>>()?;
            mean += sims.iter().sum::<f64>() / sims.len() as f64;
            largest += sims.iter().copied().fold(f64::MIN, f64::max);
            half += sims[12];
        }
        let k = rows.len() as f64;
        println!(
            "| {name} | {:.3} | {:.3} | {:.3} |",
            mean / k,
            largest / k,
            half / k
        );
    }
    Ok(())
}
