//! Subspace metrics of BASiS Sec. 5.1: the squared Grassmann (projection) distance (Eq. 16)
//! and the orthogonality measure d_⊥ (Eq. 17).

use crate::error::{MetricsError, Result};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

fn check_embedding(y: &DMatrix<f64>, what: &'static str) -> Result<()> {
    if y.nrows() == 0 || y.ncols() == 0 {
        return Err(MetricsError::Empty);
    }
    for (col, c) in y.column_iter().enumerate() {
        if let Some(row) = c.iter().position(|v| !v.is_finite()) {
            return Err(MetricsError::NonFinite { row, col });
        }
    }
    if y.nrows() < y.ncols() {
        return Err(MetricsError::InvalidParameter(format!(
            "{what}: {} points cannot span {} dimensions",
            y.nrows(),
            y.ncols()
        )));
    }
    Ok(())
}

/// A power of two `s` such that `max_abs / s` is near 1 when `max_abs` lies outside
/// [1e-100, 1e100], and 1 otherwise. Dividing by it is exact, so scale-invariant quantities
/// can be computed on values whose squares would overflow or underflow, and inputs of
/// ordinary magnitude are left bit for bit as they are.
pub(crate) fn power_of_two_scale(max_abs: f64) -> f64 {
    if !max_abs.is_finite() || max_abs == 0.0 || (1e-100..=1e100).contains(&max_abs) {
        return 1.0;
    }
    // The exponent stays within the normal range, so the scale is never 0 or ∞ (a
    // subnormal input keeps the few bits it has).
    2f64.powi((max_abs.log2().round() as i32).clamp(-1020, 1020))
}

/// `y` with every column of extreme magnitude divided by its [`power_of_two_scale`]; the
/// column span, and every quantity of unit-normalised columns, is unchanged.
fn rescaled_columns(y: &DMatrix<f64>) -> DMatrix<f64> {
    let mut y = y.clone();
    for mut c in y.column_iter_mut() {
        let s = power_of_two_scale(c.amax());
        if s != 1.0 {
            c /= s;
        }
    }
    y
}

/// An orthonormal basis of the column span of `y` (n × K, n ≥ K) through Householder QR.
///
/// Columns that are (numerically) linearly dependent — `|R_jj| ≤ 1e-10 · max |R_ii|` — make
/// the span lower-dimensional than K, which is [`MetricsError::RankDeficient`]: a collapsed
/// network output has no K-dimensional subspace to compare.
pub fn orthonormal_basis(y: &DMatrix<f64>) -> Result<DMatrix<f64>> {
    check_embedding(y, "embedding")?;
    let k = y.ncols();
    let qr = rescaled_columns(y).qr();
    let r = qr.r();
    let dmax = (0..k).map(|j| r[(j, j)].abs()).fold(0.0, f64::max);
    let rank = (0..k).filter(|&j| r[(j, j)].abs() > 1e-10 * dmax).count();
    if dmax == 0.0 || rank < k {
        return Err(MetricsError::RankDeficient { rank, needed: k });
    }
    Ok(qr.q())
}

/// Principal angles `0 ≤ θ_1 ≤ … ≤ θ_K ≤ π/2` between `span(y1)` and `span(y2)` (both n × K).
///
/// The inputs are orthonormalised first. Cosines are the singular values of `Q1ᵀ Q2`; as in
/// Knyazev & Argentati (2002) and scipy's `subspace_angles`, angles whose cosine² is at least
/// ½ are taken from the sines instead (singular values of `Q2 − Q1 Q1ᵀ Q2`), which keeps small
/// angles accurate. Cosines and sines are clamped to [0, 1].
pub fn principal_angles(y1: &DMatrix<f64>, y2: &DMatrix<f64>) -> Result<Vec<f64>> {
    if y1.shape() != y2.shape() {
        return Err(MetricsError::InvalidParameter(format!(
            "subspaces of shapes {:?} and {:?}",
            y1.shape(),
            y2.shape()
        )));
    }
    let q1 = orthonormal_basis(y1)?;
    let q2 = orthonormal_basis(y2)?;
    let m = q1.transpose() * &q2;
    let svd = |a: DMatrix<f64>, what: &'static str| {
        a.try_svd(false, false, f64::EPSILON, 10_000)
            .ok_or(MetricsError::NotConverged(what))
    };
    let mut cos: Vec<f64> = svd(m.clone(), "Q1ᵀ Q2")?
        .singular_values
        .iter()
        .map(|c| c.clamp(0.0, 1.0))
        .collect();
    cos.sort_by(|a, b| b.total_cmp(a)); // descending cosines = ascending angles
    let residual = &q2 - &q1 * &m;
    let mut sin: Vec<f64> = svd(residual, "Q2 − Q1 Q1ᵀ Q2")?
        .singular_values
        .iter()
        .map(|s| s.clamp(0.0, 1.0))
        .collect();
    sin.sort_by(|a, b| a.total_cmp(b)); // ascending sines = ascending angles
    Ok(cos
        .iter()
        .zip(&sin)
        .map(|(&c, &s)| if c * c >= 0.5 { s.asin() } else { c.acos() })
        .collect())
}

/// Eq. 16: the squared Grassmann (projection) distance `K − Σ cos² θ_i` between
/// `span(y1)` and `span(y2)`, in `[0, K]`.
///
/// Network outputs are not orthonormal, so both inputs are orthonormalised first; the
/// distance depends only on the spans.
pub fn grassmann_distance(y1: &DMatrix<f64>, y2: &DMatrix<f64>) -> Result<f64> {
    let angles = principal_angles(y1, y2)?;
    let k = angles.len() as f64;
    let d = k - angles.iter().map(|t| t.cos().powi(2)).sum::<f64>();
    Ok(d.clamp(0.0, k))
}

/// How a network's output is scaled before its orthogonality is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ColumnScaling {
    /// Every column scaled to unit Euclidean norm over the scored points, as the official
    /// BASiS code does. `YᵀY` then has a unit diagonal and d_⊥ is the sum of squared cosines
    /// between different columns: 0 for orthogonal columns, at most K(K − 1). This is the
    /// scaling behind the paper's Table 1 (its d_⊥ values lie between 0.2 and 9.5 for K = 10).
    #[default]
    UnitNorm,
    /// Columns divided by √n: for outputs trained to unit mean square per coordinate (our
    /// trainer's √m targets), `YᵀY/n ≈ I` when the embedding is orthonormal; also penalises
    /// wrong column norms.
    SqrtN,
    /// The output as it is.
    None,
}

/// Eq. 17: `d_⊥(Y) = ‖YᵀY − I‖²_F` after scaling the columns of `y` (n × K) by `scaling`.
pub fn orthogonality(y: &DMatrix<f64>, scaling: ColumnScaling) -> Result<f64> {
    check_embedding(y, "embedding")?;
    // Unit-norm columns do not depend on the columns' scales.
    let scaled;
    let y = if scaling == ColumnScaling::UnitNorm {
        scaled = rescaled_columns(y);
        &scaled
    } else {
        y
    };
    let mut g = y.transpose() * y;
    let k = y.ncols();
    match scaling {
        ColumnScaling::UnitNorm => {
            let norms: Vec<f64> = (0..k).map(|j| g[(j, j)].sqrt()).collect();
            if let Some(j) = norms.iter().position(|&v| v == 0.0) {
                return Err(MetricsError::InvalidParameter(format!(
                    "column {j} is zero and cannot be normalised"
                )));
            }
            for i in 0..k {
                for j in 0..k {
                    g[(i, j)] /= norms[i] * norms[j];
                }
            }
        }
        ColumnScaling::SqrtN => g /= y.nrows() as f64,
        ColumnScaling::None => {}
    }
    for i in 0..k {
        g[(i, i)] -= 1.0;
    }
    let d = g.norm_squared();
    if !d.is_finite() {
        return Err(MetricsError::TooLarge(format!(
            "d_⊥ with {scaling:?} column scaling"
        )));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random(n: usize, k: usize, seed: u64) -> DMatrix<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        DMatrix::from_fn(n, k, |_, _| rng.random_range(-1.0..1.0))
    }

    #[test]
    fn distance_is_zero_for_the_same_span_in_any_basis() {
        let y = random(50, 4, 1);
        let q = orthonormal_basis(&random(4, 4, 2)).unwrap(); // 4 × 4 orthogonal
        assert!(grassmann_distance(&y, &(&y * &q)).unwrap() < 1e-12);
        // Any invertible mixing of the columns keeps the span too.
        let mix = random(4, 4, 3) + DMatrix::identity(4, 4) * 3.0;
        assert!(grassmann_distance(&y, &(&y * mix)).unwrap() < 1e-12);
        for t in principal_angles(&y, &(&y * &q)).unwrap() {
            assert!(t.abs() < 1e-7, "{t}");
        }
    }

    #[test]
    fn orthogonal_subspaces_are_k_apart() {
        let e = DMatrix::<f64>::identity(10, 10);
        let a = e.columns(0, 3).into_owned();
        let b = e.columns(5, 3).into_owned();
        assert!((grassmann_distance(&a, &b).unwrap() - 3.0).abs() < 1e-12);
        // One shared direction out of three: distance 2.
        let c = DMatrix::from_columns(&[e.column(0), e.column(6), e.column(7)]);
        assert!((grassmann_distance(&a, &c).unwrap() - 2.0).abs() < 1e-12);
    }

    #[test]
    fn a_single_known_angle() {
        // span{e1} vs span{cos t e1 + sin t e2}: one principal angle t.
        for t in [1e-6, 0.3, 1.2, std::f64::consts::FRAC_PI_2] {
            let a = DMatrix::from_column_slice(3, 1, &[1.0, 0.0, 0.0]);
            let b = DMatrix::from_column_slice(3, 1, &[t.cos(), t.sin(), 0.0]);
            let th = principal_angles(&a, &b).unwrap()[0];
            assert!((th - t).abs() < 1e-12, "{t}: {th}");
            assert!((grassmann_distance(&a, &b).unwrap() - t.sin().powi(2)).abs() < 1e-12);
        }
    }

    #[test]
    fn orthogonality_of_orthonormal_and_skewed_outputs() {
        let q = orthonormal_basis(&random(30, 3, 4)).unwrap();
        assert!(orthogonality(&q, ColumnScaling::None).unwrap() < 1e-24);
        assert!(orthogonality(&(&q * 7.0), ColumnScaling::UnitNorm).unwrap() < 1e-24);
        let n = 30f64;
        assert!(orthogonality(&(&q * n.sqrt()), ColumnScaling::SqrtN).unwrap() < 1e-20);
        // Two identical unit columns: off-diagonal cosines 1, 1 → d_⊥ = 2.
        let c = q.column(0).into_owned();
        let dup = DMatrix::from_columns(&[c.clone(), c]);
        assert!((orthogonality(&dup, ColumnScaling::UnitNorm).unwrap() - 2.0).abs() < 1e-12);
        // Unnormalised: columns of norm 2 give diagonal 4 − 1 = 3 each.
        assert!((orthogonality(&(&q * 2.0), ColumnScaling::None).unwrap() - 27.0).abs() < 1e-10);
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        let y = random(10, 3, 5);
        assert!(matches!(
            grassmann_distance(&y, &random(10, 2, 6)),
            Err(MetricsError::InvalidParameter(_))
        ));
        assert!(matches!(
            grassmann_distance(&random(2, 3, 1), &random(2, 3, 2)),
            Err(MetricsError::InvalidParameter(_))
        ));
        let mut collapsed = y.clone();
        let c0 = collapsed.column(0).into_owned();
        collapsed.set_column(2, &(c0 * 2.0));
        assert!(matches!(
            grassmann_distance(&y, &collapsed),
            Err(MetricsError::RankDeficient { rank: 2, needed: 3 })
        ));
        let mut nan = y.clone();
        nan[(4, 1)] = f64::NAN;
        assert!(matches!(
            orthogonality(&nan, ColumnScaling::UnitNorm),
            Err(MetricsError::NonFinite { row: 4, col: 1 })
        ));
        assert!(matches!(
            grassmann_distance(&DMatrix::zeros(0, 2), &DMatrix::zeros(0, 2)),
            Err(MetricsError::Empty)
        ));
        let mut zero_col = y;
        zero_col.column_mut(1).fill(0.0);
        assert!(matches!(
            orthogonality(&zero_col, ColumnScaling::UnitNorm),
            Err(MetricsError::InvalidParameter(_))
        ));
    }
}
