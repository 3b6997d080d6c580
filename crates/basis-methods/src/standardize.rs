//! The input standardisation every method's network uses: per-feature mean and population
//! standard deviation of the training rows, a constant feature keeping deviation 1.

use nalgebra::DMatrix;

/// Per-feature mean and standard deviation (`/ n`) of the rows of `x`; deviation 1 for a
/// constant feature, so standardising it gives zeros rather than NaN.
pub fn column_mean_std(x: &DMatrix<f64>) -> (Vec<f64>, Vec<f64>) {
    let n = x.nrows() as f64;
    let mean: Vec<f64> = x.column_iter().map(|c| c.mean()).collect();
    let std = x
        .column_iter()
        .zip(&mean)
        .map(|(c, m)| {
            let v = c.iter().map(|t| (t - m).powi(2)).sum::<f64>() / n;
            if v > 0.0 { v.sqrt() } else { 1.0 }
        })
        .collect();
    (mean, std)
}

/// `(x − mean) / std` per column.
pub fn standardize(x: &DMatrix<f64>, mean: &[f64], std: &[f64]) -> DMatrix<f64> {
    DMatrix::from_fn(x.nrows(), x.ncols(), |i, j| (x[(i, j)] - mean[j]) / std[j])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardised_columns_have_zero_mean_and_unit_deviation() {
        let x = DMatrix::from_row_slice(
            4,
            3,
            &[
                1.0, 5.0, 2.0, //
                2.0, 5.0, -2.0, //
                3.0, 5.0, 2.0, //
                4.0, 5.0, -2.0,
            ],
        );
        let (mean, std) = column_mean_std(&x);
        assert_eq!(mean, vec![2.5, 5.0, 0.0]);
        // Population deviation of 1..4 is √1.25; the constant column keeps 1.
        assert!((std[0] - 1.25f64.sqrt()).abs() < 1e-15);
        assert_eq!((std[1], std[2]), (1.0, 2.0));
        let z = standardize(&x, &mean, &std);
        let (zm, zs) = column_mean_std(&z);
        for j in [0, 2] {
            assert!(zm[j].abs() < 1e-15 && (zs[j] - 1.0).abs() < 1e-15);
        }
        assert!(z.column(1).iter().all(|&v| v == 0.0));
    }
}
