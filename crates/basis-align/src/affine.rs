//! The least-squares affine map of BASiS Eq. 12–13 and its application, Eq. 14.

use crate::error::{AlignError, Result};
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// Parameters of the least-squares fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AffineFitParams {
    /// Singular values below `rcond · σ_max` count as zero (rank deficiency).
    pub rcond: f64,
}

impl Default for AffineFitParams {
    fn default() -> Self {
        Self { rcond: 1e-10 }
    }
}

impl AffineFitParams {
    /// Validates the parameters.
    pub fn check(&self) -> Result<()> {
        if !(self.rcond.is_finite() && self.rcond > 0.0 && self.rcond < 1.0) {
            return Err(AlignError::InvalidParameter(format!(
                "rcond must be in (0, 1), got {}",
                self.rcond
            )));
        }
        Ok(())
    }
}

/// An affine map `φ ↦ Aφ + b` on row vectors: `T = [A | b] ∈ R^{K×(K+1)}` of Eq. 13.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AffineMap {
    /// The linear part `A` (K × K).
    pub linear: DMatrix<f64>,
    /// The translation `b` (K).
    pub translation: DVector<f64>,
}

impl AffineMap {
    /// A map from its parts, checked: `linear` is K × K, `translation` has K entries, every
    /// entry is finite.
    pub fn new(linear: DMatrix<f64>, translation: DVector<f64>) -> Result<Self> {
        let map = Self {
            linear,
            translation,
        };
        map.check()?;
        Ok(map)
    }

    /// Validates a map whose public fields may have been set by hand: the shapes agree and
    /// every entry is finite. Every method that uses the map calls it first.
    pub fn check(&self) -> Result<()> {
        let k = self.translation.len();
        if self.linear.shape() != (k, k) {
            return Err(AlignError::DimensionMismatch(format!(
                "an affine map's linear part is {}×{} but its translation has {k} entries",
                self.linear.nrows(),
                self.linear.ncols()
            )));
        }
        if !(self.linear.iter().all(|v| v.is_finite())
            && self.translation.iter().all(|v| v.is_finite()))
        {
            return Err(AlignError::NonFinite("the affine map"));
        }
        Ok(())
    }

    /// The identity map in `dim` dimensions.
    pub fn identity(dim: usize) -> Self {
        Self {
            linear: DMatrix::identity(dim, dim),
            translation: DVector::zeros(dim),
        }
    }

    /// Dimension K.
    pub fn dim(&self) -> usize {
        self.translation.len()
    }

    /// Eq. 14: applies the map to every row of `coords` (n × K).
    pub fn apply(&self, coords: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        self.check()?;
        if coords.ncols() != self.dim() {
            return Err(AlignError::DimensionMismatch(format!(
                "map is {}-dimensional, coordinates have {} columns",
                self.dim(),
                coords.ncols()
            )));
        }
        let mut out = coords * self.linear.transpose();
        // Column by column: contiguous in nalgebra's column-major storage.
        for (mut c, &b) in out.column_iter_mut().zip(self.translation.iter()) {
            c.add_scalar_mut(b);
        }
        Ok(out)
    }

    /// Per-row residuals `‖target_i − T(source_i)‖` written into `out` (resized to the row count).
    pub fn residuals_into(
        &self,
        source: &DMatrix<f64>,
        target: &DMatrix<f64>,
        out: &mut Vec<f64>,
    ) -> Result<()> {
        self.check()?;
        if source.shape() != target.shape() || source.ncols() != self.dim() {
            return Err(AlignError::DimensionMismatch(format!(
                "source is {:?}, target is {:?}",
                source.shape(),
                target.shape()
            )));
        }
        let fitted = source * self.linear.transpose();
        row_distances_into(&fitted, self.translation.as_slice(), target, out);
        Ok(())
    }

    /// Per-row residuals `‖target_i − T(source_i)‖`.
    pub fn residuals(&self, source: &DMatrix<f64>, target: &DMatrix<f64>) -> Result<Vec<f64>> {
        let mut out = Vec::new();
        self.residuals_into(source, target, &mut out)?;
        Ok(out)
    }

    /// `self ∘ first`: apply `first`, then `self`. An error if either map fails
    /// [`check`](Self::check) or their dimensions differ.
    pub fn compose(&self, first: &AffineMap) -> Result<AffineMap> {
        self.check()?;
        first.check()?;
        if first.dim() != self.dim() {
            return Err(AlignError::DimensionMismatch(format!(
                "composing a {}-dimensional map after a {}-dimensional one",
                self.dim(),
                first.dim()
            )));
        }
        Ok(AffineMap {
            linear: &self.linear * &first.linear,
            translation: &self.linear * &first.translation + &self.translation,
        })
    }

    /// `T = [A | b]` as a K × (K+1) matrix. An error if the map fails
    /// [`check`](Self::check).
    pub fn as_matrix(&self) -> Result<DMatrix<f64>> {
        self.check()?;
        let k = self.dim();
        let mut t = DMatrix::zeros(k, k + 1);
        t.view_mut((0, 0), (k, k)).copy_from(&self.linear);
        t.set_column(k, &self.translation);
        Ok(t)
    }
}

/// A fitted map with its diagnostics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AffineFit {
    /// The least-squares map.
    pub map: AffineMap,
    /// Per-anchor residual `‖φ_i^{a,ref} − (Aφ_i^a + b)‖`.
    pub residuals: Vec<f64>,
    /// Condition number of the augmented anchor matrix `[φ^a, 1]`.
    pub condition: f64,
}

impl AffineFit {
    /// Root mean square of the residuals.
    pub fn rms_residual(&self) -> f64 {
        (self.residuals.iter().map(|r| r * r).sum::<f64>() / self.residuals.len().max(1) as f64)
            .sqrt()
    }
}

/// Eq. 12/13: the affine map minimising `Σ_i ‖target_i − (A source_i + b)‖²`.
///
/// `source` and `target` are `l × K` (one anchor per row, same order).
pub fn fit_affine(
    source: &DMatrix<f64>,
    target: &DMatrix<f64>,
    params: &AffineFitParams,
) -> Result<AffineFit> {
    params.check()?;
    let (l, k) = check_anchor_pairs(source, target)?;
    // Augmented anchors [φ^a, 1] (l × (K+1)); solve X Tᵀ ≈ target.
    let mut x = DMatrix::from_element(l, k + 1, 1.0);
    x.view_mut((0, 0), (l, k)).copy_from(source);
    let (tt, condition) = lstsq(x, target, params.rcond)?; // (K+1) × K = Tᵀ
    let linear = tt.rows(0, k).transpose();
    let translation = tt.row(k).transpose();
    let map = AffineMap {
        linear,
        translation,
    };
    let residuals = map.residuals(source, target)?;
    Ok(AffineFit {
        map,
        residuals,
        condition,
    })
}

/// Singular values of a tall `x` (l × p, l ≥ p) through its Householder QR: they are those
/// of the small triangular factor. Returns the QR as well, for a solve.
pub(crate) fn qr_singular_values(x: DMatrix<f64>) -> Result<(DynQr, DynSvd)> {
    let qr = x.qr();
    let svd = capped_svd(qr.r(), "the anchors' triangular factor")?;
    Ok((qr, svd))
}

/// A QR decomposition of a dynamically sized matrix.
pub(crate) type DynQr = nalgebra::linalg::QR<f64, nalgebra::Dyn, nalgebra::Dyn>;
/// An SVD of a dynamically sized matrix.
pub(crate) type DynSvd = nalgebra::linalg::SVD<f64, nalgebra::Dyn, nalgebra::Dyn>;

/// Sweeps an SVD may take before [`AlignError::NotConverged`] (nalgebra's own default is
/// unbounded; finite inputs below [`MAX_COORDINATE`] converge in a few dozen).
pub const MAX_SVD_ITERATIONS: usize = 10_000;

/// nalgebra's SVD with an iteration cap: a typed error instead of a loop that never ends.
pub(crate) fn capped_svd(m: DMatrix<f64>, what: &'static str) -> Result<DynSvd> {
    m.try_svd(true, true, f64::EPSILON, MAX_SVD_ITERATIONS)
        .ok_or(AlignError::NotConverged(what))
}

/// Minimum-norm least squares `x β ≈ y` for a tall `x` (l × p, l ≥ p): Householder QR of `x`,
/// then an SVD of its p × p triangular factor (same singular values as `x`, far cheaper than an
/// SVD of `x` itself). Singular values below `rcond · σ_max` are rank deficiency, an error.
/// Returns β (p × K) and the condition number σ_max / σ_min of `x`.
pub(crate) fn lstsq(x: DMatrix<f64>, y: &DMatrix<f64>, rcond: f64) -> Result<(DMatrix<f64>, f64)> {
    let p = x.ncols();
    debug_assert!(x.nrows() >= p && y.nrows() == x.nrows());
    let (qr, svd) = qr_singular_values(x)?;
    let s = &svd.singular_values;
    let (smax, smin) = (s.max(), s.min());
    let condition = if smin > 0.0 {
        smax / smin
    } else {
        f64::INFINITY
    };
    let rank = s.iter().filter(|&&v| v > rcond * smax).count();
    if smax == 0.0 || rank < p {
        return Err(AlignError::RankDeficient {
            rank,
            needed: p,
            condition,
        });
    }
    let mut qty = y.clone();
    qr.q_tr_mul(&mut qty);
    let beta = svd
        .solve(&qty.rows(0, p).into_owned(), rcond * smax)
        .map_err(|e| AlignError::InvalidParameter(e.to_string()))?;
    Ok((beta, condition))
}

/// `out_i = ‖target_i − (fitted_i + shift)‖` for same-shaped `fitted` and `target`, with
/// one shift per column. Column-major slices: contiguous, no per-row temporaries.
pub(crate) fn row_distances_into(
    fitted: &DMatrix<f64>,
    shift: &[f64],
    target: &DMatrix<f64>,
    out: &mut Vec<f64>,
) {
    let l = fitted.nrows();
    out.clear();
    out.resize(l, 0.0);
    if l == 0 {
        return;
    }
    let columns = fitted
        .as_slice()
        .chunks_exact(l)
        .zip(target.as_slice().chunks_exact(l));
    for ((f, t), &b) in columns.zip(shift) {
        for ((o, &fi), &ti) in out.iter_mut().zip(f).zip(t) {
            let d = ti - fi - b;
            *o += d * d;
        }
    }
    out.iter_mut().for_each(|o| *o = o.sqrt());
}

/// Checks a pair of anchor sets (`l × K`, same shape, finite, `K ≥ 1`,
/// `l ≥ K + 1`) and returns `(l, K)`.
pub(crate) fn check_anchor_pairs(
    source: &DMatrix<f64>,
    target: &DMatrix<f64>,
) -> Result<(usize, usize)> {
    if source.shape() != target.shape() {
        return Err(AlignError::DimensionMismatch(format!(
            "source is {:?}, target is {:?}",
            source.shape(),
            target.shape()
        )));
    }
    let (l, k) = source.shape();
    if k == 0 {
        return Err(AlignError::DimensionMismatch(
            "zero-dimensional embedding".into(),
        ));
    }
    check_finite(source, "source anchors")?;
    check_finite(target, "target anchors")?;
    if l < k + 1 {
        return Err(AlignError::TooFewAnchors {
            got: l,
            needed: k + 1,
            dim: k,
        });
    }
    Ok((l, k))
}

/// The largest coordinate magnitude the fits accept. Their QR and SVD form sums of squares of
/// the anchor coordinates; at 1e100 a sum over a million squares is still about 1e206, far
/// from overflow, while coordinates around 1e155 overflow to infinity and the SVD then never
/// converges on the NaNs that follow. Laplacian eigenvectors have entries of magnitude at most 1.
pub const MAX_COORDINATE: f64 = 1e100;

/// Every value finite and at most [`MAX_COORDINATE`] in magnitude.
pub(crate) fn check_finite(m: &DMatrix<f64>, what: &'static str) -> Result<()> {
    let mut largest = 0.0f64;
    for &v in m.iter() {
        if !v.is_finite() {
            return Err(AlignError::NonFinite(what));
        }
        largest = largest.max(v.abs());
    }
    if largest > MAX_COORDINATE {
        return Err(AlignError::TooLarge {
            what,
            value: largest,
            limit: MAX_COORDINATE,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_built_maps_whose_parts_disagree_are_typed_errors() {
        let bad = AffineMap {
            linear: DMatrix::identity(3, 3),
            translation: DVector::zeros(2),
        };
        let x = DMatrix::zeros(4, 2);
        assert!(matches!(bad.check(), Err(AlignError::DimensionMismatch(_))));
        assert!(matches!(
            bad.apply(&x),
            Err(AlignError::DimensionMismatch(_))
        ));
        assert!(matches!(
            bad.residuals(&x, &x),
            Err(AlignError::DimensionMismatch(_))
        ));
        assert!(matches!(
            bad.as_matrix(),
            Err(AlignError::DimensionMismatch(_))
        ));
        let id = AffineMap::identity(2);
        assert!(matches!(
            id.compose(&bad),
            Err(AlignError::DimensionMismatch(_))
        ));
        assert!(matches!(
            id.compose(&AffineMap::identity(3)),
            Err(AlignError::DimensionMismatch(_))
        ));
        assert!(AffineMap::new(DMatrix::identity(2, 3), DVector::zeros(2)).is_err());
        let mut nan = AffineMap::identity(2);
        nan.translation[1] = f64::NAN;
        assert!(matches!(nan.apply(&x), Err(AlignError::NonFinite(_))));
        assert!(matches!(
            AffineMap::new(
                DMatrix::from_element(2, 2, f64::INFINITY),
                DVector::zeros(2)
            ),
            Err(AlignError::NonFinite(_))
        ));
        // Residuals with coordinates of another dimension than the map's.
        let three = DMatrix::zeros(4, 3);
        assert!(matches!(
            id.residuals(&three, &three),
            Err(AlignError::DimensionMismatch(_))
        ));
        assert_eq!(
            AffineMap::new(DMatrix::identity(2, 2), DVector::zeros(2)).unwrap(),
            id
        );
    }
    use crate::aligner::{AlignConfig, BatchAligner};

    /// Runs `f` on a thread and fails the test if it has not returned after 20 s (a hang
    /// would otherwise stall the suite).
    fn within_20s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(std::time::Duration::from_secs(20))
            .expect("the call hung")
    }

    /// Regression: anchors around 1e160 made the squares overflow and the fits loop forever.
    #[test]
    fn coordinates_whose_squares_overflow_are_refused_not_looped_on() {
        for scale in [1e101, 1e160, 1e300] {
            let r = within_20s(move || {
                let src = anchors() * scale;
                let dst = anchors();
                (
                    fit_affine(&src, &dst, &AffineFitParams::default()),
                    fit_affine(&dst, &src, &AffineFitParams::default()),
                )
            });
            assert!(matches!(
                r.0,
                Err(AlignError::TooLarge {
                    what: "source anchors",
                    ..
                })
            ));
            assert!(matches!(
                r.1,
                Err(AlignError::TooLarge {
                    what: "target anchors",
                    ..
                })
            ));
            let r = within_20s(move || {
                let mut a = BatchAligner::new(anchors(), AlignConfig::least_squares()).unwrap();
                a.align(&(anchors() * scale), &[0, 1, 2, 3, 4]).map(|_| ())
            });
            assert!(matches!(r, Err(AlignError::TooLarge { .. })), "{r:?}");
        }
        // At the limit the problem is accepted and answered: [φ^a, 1] has a condition number
        // of about 1e100, reported as rank deficiency rather than a meaningless map.
        let at_limit = within_20s(|| {
            fit_affine(
                &(anchors() * 1e100),
                &anchors(),
                &AffineFitParams::default(),
            )
            .map(|_| ())
        });
        assert!(
            matches!(at_limit, Err(AlignError::RankDeficient { .. })),
            "{at_limit:?}"
        );
        // A large but well-conditioned scale is solved exactly.
        let src = anchors() * 1e6;
        let fit = fit_affine(&src, &anchors(), &AffineFitParams::default()).unwrap();
        let back = fit.map.apply(&src).unwrap();
        assert!((back - anchors()).abs().max() < 1e-9);
    }
    use nalgebra::{DMatrix, DVector};

    fn anchors() -> DMatrix<f64> {
        DMatrix::from_row_slice(
            5,
            2,
            &[0.1, 0.2, -0.3, 0.5, 0.7, -0.1, 0.0, 0.9, -0.6, -0.4],
        )
    }

    fn known_map() -> AffineMap {
        AffineMap {
            linear: DMatrix::from_row_slice(2, 2, &[0.0, -1.3, 0.9, 0.2]),
            translation: DVector::from_row_slice(&[0.05, -0.2]),
        }
    }

    #[test]
    fn recovers_a_known_affine_map_exactly() {
        let src = anchors();
        let tgt = known_map().apply(&src).unwrap();
        let fit = fit_affine(&src, &tgt, &AffineFitParams::default()).unwrap();
        assert!((fit.map.linear.clone() - known_map().linear).abs().max() < 1e-12);
        assert!(
            (fit.map.translation.clone() - known_map().translation)
                .abs()
                .max()
                < 1e-12
        );
        assert!(fit.rms_residual() < 1e-12);
        assert!(fit.condition.is_finite() && fit.condition >= 1.0);
    }

    #[test]
    fn sign_flip_and_rotation_are_undone_on_the_whole_batch() {
        let batch = DMatrix::from_fn(40, 2, |i, j| ((i * 2 + j) as f64 * 0.37).sin());
        let reference = batch.rows(0, 5).into_owned();
        let (c, s) = (0.3f64.cos(), 0.3f64.sin());
        let distort = AffineMap {
            linear: DMatrix::from_row_slice(2, 2, &[-c, s, s, c]), // rotation composed with a sign flip
            translation: DVector::from_row_slice(&[0.01, 0.0]),
        };
        let distorted = distort.apply(&batch).unwrap();
        let mut aligner = BatchAligner::new(reference, AlignConfig::least_squares()).unwrap();
        let out = aligner.align(&distorted, &[0, 1, 2, 3, 4]).unwrap();
        assert!((out.coords - batch).abs().max() < 1e-12);
    }

    #[test]
    fn composition_and_matrix_form() {
        let a = known_map();
        let id = AffineMap::identity(2);
        assert_eq!(a.compose(&id).unwrap(), a);
        let t = a.as_matrix().unwrap();
        assert_eq!(t.shape(), (2, 3));
        assert_eq!(t[(0, 2)], 0.05);
    }

    #[test]
    fn degenerate_inputs_are_typed_errors() {
        let p = AffineFitParams::default();
        let few = anchors().rows(0, 2).into_owned();
        assert!(matches!(
            fit_affine(&few, &few, &p),
            Err(AlignError::TooFewAnchors {
                got: 2,
                needed: 3,
                dim: 2
            })
        ));
        // Collinear anchors: rank 2 < 3.
        let line = DMatrix::from_row_slice(4, 2, &[0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0]);
        assert!(matches!(
            fit_affine(&line, &line, &p),
            Err(AlignError::RankDeficient {
                rank: 2,
                needed: 3,
                ..
            })
        ));
        let mut nan = anchors();
        nan[(1, 1)] = f64::NAN;
        assert!(matches!(
            fit_affine(&nan, &anchors(), &p),
            Err(AlignError::NonFinite(_))
        ));
        assert!(matches!(
            fit_affine(&anchors(), &anchors().columns(0, 1).into_owned(), &p),
            Err(AlignError::DimensionMismatch(_))
        ));
        let mut aligner = BatchAligner::new(anchors(), AlignConfig::least_squares()).unwrap();
        assert!(aligner.align(&anchors(), &[0, 1, 2, 3, 99]).is_err());
        assert!(aligner.align(&anchors(), &[0, 1]).is_err());
        assert!(fit_affine(&anchors(), &anchors(), &AffineFitParams { rcond: 0.0 }).is_err());
    }
}
