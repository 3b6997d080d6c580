//! The figure of `docs/out-of-sample.md`: where BASiS's out-of-sample errors sit, from the
//! diagnosis files that `scripts/out_of_sample_diagnosis.py` writes.
//!
//! `cargo run --release -p basis-experiments --example out_of_sample_figure -- \
//!   docs/results/out-of-sample docs/figures/out-of-sample`
//!
//! For the digits and 4-class Fashion-MNIST, against the test point's distance to its class's
//! training centre (in units of q99, the 99th percentile of the training points' own
//! distances): the clustering error rate, and the mean norm of the network's test embedding
//! (the analytic test eigenvectors' beside it, scaled to the network's norm inside q99), for the
//! paper's step and `--input-noise 4`, mean ± std over the seeds.
use basis_plot::{Cell, Chart, Figure, Layer, Legend, Series};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Per band: x (band middle in q99 units), error rate and norm per seed, analytic norm.
struct Bands {
    x: Vec<f64>,
    error: Vec<Vec<f64>>,
    norm: Vec<Vec<f64>>,
    analytic: Vec<f64>,
}

fn read(dir: &Path, name: &str) -> Result<Bands, Box<dyn std::error::Error>> {
    let path = dir.join(format!("diagnosis-{name}.json"));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    let seeds = v["seeds"].as_array().ok_or("no seeds")?;
    let first = seeds.first().ok_or("no seed")?["bands"]
        .as_array()
        .ok_or("no bands")?;
    let middle = |b: &Value| {
        let lo = b["from_q99"].as_f64().unwrap_or(0.0);
        b["to_q99"].as_f64().map_or(lo + 1.0, |hi| 0.5 * (lo + hi))
    };
    let x = first.iter().map(middle).collect();
    let analytic = first
        .iter()
        .map(|b| b["analytic_norm"].as_f64().unwrap_or(f64::NAN))
        .collect();
    let per_seed = |key: &str| -> Vec<Vec<f64>> {
        seeds
            .iter()
            .map(|s| {
                s["bands"]
                    .as_array()
                    .map(|bs| {
                        bs.iter()
                            .map(|b| b[key].as_f64().unwrap_or(f64::NAN))
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect()
    };
    Ok(Bands {
        x,
        error: per_seed("error_rate"),
        norm: per_seed("network_norm"),
        analytic,
    })
}

/// Mean and sample deviation over seeds, band by band.
fn mean_std(values: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
    let bands = values.first().map_or(0, Vec::len);
    (0..bands)
        .map(|j| {
            let v: Vec<f64> = values.iter().map(|s| s[j]).collect();
            let n = v.len() as f64;
            let m = v.iter().sum::<f64>() / n;
            let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
            (m, var.sqrt())
        })
        .unzip()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, stem] = args.as_slice() else {
        return Err("usage: out_of_sample_figure RESULTS_DIR OUT_STEM".into());
    };
    let dir = PathBuf::from(dir);
    let paper = basis_plot::colour::categorical(0);
    let noise = basis_plot::colour::categorical(1);
    let grey = basis_plot::colour::categorical(7);
    let mut cells = Vec::new();
    let mut legend_series = Vec::new();
    for (data, title) in [("digits", "digits"), ("fm4", "Fashion-MNIST, 4 classes")] {
        let before = read(&dir, &format!("{data}-noise0"))?;
        let after = read(&dir, &format!("{data}-noise4"))?;
        let line = |name: &str, colour, b: &Bands, values: &[Vec<f64>]| {
            let (mean, std) = mean_std(values);
            Series {
                markers: true,
                std,
                ..Series::curve(name, colour, b.x.clone(), mean)
            }
        };
        let errors = [
            line("paper's step", paper, &before, &before.error),
            line("input noise 4", noise, &after, &after.error),
        ];
        let norms = [
            line("paper's step", paper, &before, &before.norm),
            line("input noise 4", noise, &after, &after.norm),
        ];
        // The analytic norm on the network's scale: equal inside q99.
        let (inside, _) = mean_std(&before.norm);
        let scale = inside[0] / before.analytic[0];
        let analytic = Series {
            dashed: true,
            ..Series::curve(
                "analytic test eigenvectors (scaled)",
                grey,
                before.x.clone(),
                before.analytic.iter().map(|a| a * scale).collect(),
            )
        };
        let chart = |name: &str, y: &str, series: Vec<Series>| {
            let c = Chart {
                y_title: y.into(),
                ..Chart::new(name, "distance to the class centre (× q99)")
            };
            Cell::Chart(Box::new(
                series.into_iter().fold(c, |c, s| c.with(Layer::Series(s))),
            ))
        };
        cells.push(chart(
            &format!("{title}: clustering errors"),
            "error rate",
            errors.to_vec(),
        ));
        let mut with_analytic = norms.to_vec();
        with_analytic.push(analytic.clone());
        cells.push(chart(
            &format!("{title}: embedding norm"),
            "mean norm",
            with_analytic,
        ));
        if legend_series.is_empty() {
            legend_series = vec![errors[0].clone(), errors[1].clone(), analytic];
        }
    }
    let mut figure = Figure::new(2, (420, 300), cells);
    figure.legend = Some(Legend::of(
        &legend_series.iter().collect::<Vec<_>>(),
        "mean ± std over seeds 0, 1, 2; bands 0–1, 1–2, 2–4 and beyond 4 q99",
    ));
    let written = figure.save(stem)?;
    written.inspect()?;
    println!(
        "wrote {} and {}",
        written.png.display(),
        written.svg.display()
    );
    Ok(())
}
