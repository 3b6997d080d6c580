//! The statistic every report's tables use.

use serde::{Deserialize, Serialize};

/// Mean and sample standard deviation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanStd {
    /// Mean (NaN, written as `null`, when no value was finite).
    #[serde(with = "basis_data::json_nan")]
    pub mean: f64,
    /// Empirical standard deviation (n − 1 in the denominator; 0 for one value).
    #[serde(with = "basis_data::json_nan")]
    pub std: f64,
}

impl MeanStd {
    /// Of the finite values of `v`.
    pub fn of(v: impl IntoIterator<Item = f64>) -> Self {
        let v: Vec<f64> = v.into_iter().filter(|x| x.is_finite()).collect();
        let n = v.len() as f64;
        if v.is_empty() {
            return Self {
                mean: f64::NAN,
                std: f64::NAN,
            };
        }
        let mean = v.iter().sum::<f64>() / n;
        let var = if v.len() > 1 {
            v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        Self {
            mean,
            std: var.sqrt(),
        }
    }

    /// `mean ± std` with `digits` decimals.
    pub fn pm(&self, digits: usize) -> String {
        format!("{:.*} ± {:.*}", digits, self.mean, digits, self.std)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_std_is_the_sample_statistic() {
        let m = MeanStd::of([1.0, 2.0, 3.0, f64::NAN]);
        assert_eq!(m.mean, 2.0);
        assert!((m.std - 1.0).abs() < 1e-12);
        assert_eq!(MeanStd::of([4.0]).std, 0.0);
    }
}
