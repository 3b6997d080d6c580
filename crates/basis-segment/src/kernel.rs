//! The segmenter's kernel over the patches of a batch of images (Deng & Luo 2023, as the
//! authors' code builds it), `G = w_f N(A_feat) + w_p N(A_pix)` with `N(A) = D^{-1/2} A D^{-1/2}`:
//!
//! - [`feature_graph`]: the cosine affinity of the patches' features across all images of the
//!   batch, negative values clamped to 0, the top-k per row kept, `(A + Aᵀ)/2`;
//! - [`pixel_graph`]: within each image, binary kNN graphs on `[r, g, b, w·x, w·y]` of the
//!   patch grid (one per [`PixelGraphSpec`], the reference: k = 10 at w = 2 and k = 5 at
//!   w = 0.1), each OR-symmetrised, OR'ed together; block diagonal over the images.
//!
//! Both use `basis-graph`'s exact kNN. Everything is sparse (CSR), so the same function builds a
//! training batch's kernel (then densified), one image's graph, and the whole test set's.

use crate::error::{Result, SegmentError};
use crate::features::PatchFeatures;
use basis_graph::{KnnParams, Metric, knn_exact};
use nalgebra::DMatrix;
use nalgebra_sparse::{CooMatrix, CsrMatrix};
use serde::{Deserialize, Serialize};

/// One binary kNN graph of the pixel graph.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PixelGraphSpec {
    /// Neighbours per patch.
    pub k: usize,
    /// Weight of the position (in `[0, 1]²`) beside the colour (in `[0, 1]³`).
    pub position_weight: f64,
}

/// The kernel's parameters. [`Default`]: top-32 feature graph (the reference keeps 256 of
/// ~14k tokens per batch; at 2k patches per batch, 32 keeps a similar share of the class),
/// the reference's two pixel graphs, `G = G_feat + 0.3 G_pix`. Serialisable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KernelParams {
    /// Feature-graph neighbours per patch (top-k of the cosine affinity); clamped to the
    /// batch's patches − 1.
    pub feature_topk: usize,
    /// Weight of the normalised feature graph (0: the pixel graph alone, a colour-and-position
    /// normalised cut).
    pub feature_weight: f64,
    /// The pixel graph's kNN graphs (empty: no pixel graph).
    pub pixel_graphs: Vec<PixelGraphSpec>,
    /// Weight of the normalised pixel graph (the reference: 0.3).
    pub pixel_weight: f64,
    /// Threads of the kNN searches (0: all cores).
    pub threads: usize,
}

impl Default for KernelParams {
    fn default() -> Self {
        Self {
            feature_topk: 32,
            feature_weight: 1.0,
            pixel_graphs: vec![
                PixelGraphSpec {
                    k: 10,
                    position_weight: 2.0,
                },
                PixelGraphSpec {
                    k: 5,
                    position_weight: 0.1,
                },
            ],
            pixel_weight: 0.3,
            threads: 0,
        }
    }
}

impl KernelParams {
    /// The colour-and-position normalised cut: the pixel graph alone.
    pub fn pixel_only(self) -> Self {
        Self {
            feature_weight: 0.0,
            pixel_weight: 1.0,
            ..self
        }
    }

    /// Checks the values.
    pub fn check(&self) -> Result<()> {
        let w = |v: f64| v.is_finite() && v >= 0.0;
        if !w(self.feature_weight) || !w(self.pixel_weight) {
            return Err(SegmentError::InvalidConfig(format!(
                "kernel weights must be finite and ≥ 0, got {} and {}",
                self.feature_weight, self.pixel_weight
            )));
        }
        let uses_features = self.feature_weight > 0.0;
        let uses_pixels = self.pixel_weight > 0.0 && !self.pixel_graphs.is_empty();
        if !uses_features && !uses_pixels {
            return Err(SegmentError::InvalidConfig(
                "the kernel has neither a feature graph nor a pixel graph".into(),
            ));
        }
        if uses_features && self.feature_topk == 0 {
            return Err(SegmentError::InvalidConfig(
                "the feature graph needs top-k ≥ 1".into(),
            ));
        }
        if let Some(s) = self
            .pixel_graphs
            .iter()
            .find(|s| s.k == 0 || !w(s.position_weight))
        {
            return Err(SegmentError::InvalidConfig(format!(
                "a pixel graph needs k ≥ 1 and a finite position weight ≥ 0, got {s:?}"
            )));
        }
        Ok(())
    }
}

/// A symmetric CSR matrix from (row, column, value) triplets, duplicates summed.
fn csr_from_triplets(n: usize, triplets: &[(usize, usize, f64)]) -> CsrMatrix<f64> {
    let mut coo = CooMatrix::new(n, n);
    for &(i, j, v) in triplets {
        coo.push(i, j, v);
    }
    CsrMatrix::from(&coo)
}

/// The feature graph of the rows of `x` (one patch per row): `A_ij = max(cos(x_i, x_j), 0)`
/// for the top-`k` `j` of row `i` (k clamped to `n − 1`, the diagonal excluded), symmetrised as
/// `(A + Aᵀ)/2`. A zero row has cosine 0 with everything.
pub fn feature_graph(x: &DMatrix<f64>, topk: usize, threads: usize) -> Result<CsrMatrix<f64>> {
    let n = x.nrows();
    if n < 2 {
        return Err(SegmentError::Empty(format!(
            "a feature graph needs ≥ 2 patches, got {n}"
        )));
    }
    let knn = knn_exact(
        x,
        &KnnParams {
            k: topk.min(n - 1),
            metric: Metric::Cosine,
            threads,
        },
    )?;
    let mut t = Vec::with_capacity(2 * n * knn.k);
    for i in 0..n {
        for (&j, &d) in knn.neighbors(i).iter().zip(knn.neighbor_distances(i)) {
            let w = (1.0 - d).max(0.0);
            if w > 0.0 {
                t.push((i, j, 0.5 * w));
                t.push((j, i, 0.5 * w));
            }
        }
    }
    Ok(csr_from_triplets(n, &t))
}

/// One image's pixel graph: for every spec, the binary kNN graph of the patches on
/// `[r, g, b, w·x, w·y]`, OR-symmetrised; the specs OR'ed. Entries are 1.
pub fn pixel_graph(patches: &PatchFeatures, specs: &[PixelGraphSpec]) -> Result<CsrMatrix<f64>> {
    let n = patches.colours.len();
    if n < 2 || patches.positions.len() != n {
        return Err(SegmentError::Shape(format!(
            "a pixel graph needs ≥ 2 patches with a colour and a position each, got {n} colours and {} positions",
            patches.positions.len()
        )));
    }
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for spec in specs {
        let w = spec.position_weight;
        let nodes = DMatrix::from_fn(n, 5, |i, c| match c {
            0..=2 => patches.colours[i][c],
            3 => w * patches.positions[i][0],
            _ => w * patches.positions[i][1],
        });
        let knn = knn_exact(
            &nodes,
            &KnnParams {
                k: spec.k.min(n - 1),
                metric: Metric::Euclidean,
                threads: 1,
            },
        )?;
        for i in 0..n {
            for &j in knn.neighbors(i) {
                edges.push((i.min(j), i.max(j)));
            }
        }
    }
    edges.sort_unstable();
    edges.dedup();
    let t: Vec<(usize, usize, f64)> = edges
        .iter()
        .flat_map(|&(i, j)| [(i, j, 1.0), (j, i, 1.0)])
        .collect();
    Ok(csr_from_triplets(n, &t))
}

/// `D^{-1/2} A D^{-1/2}` of a symmetric non-negative CSR matrix; a node of degree 0 keeps a
/// zero row and column (the feature graph can leave a patch whose cosines are all ≤ 0 with no
/// edge; `basis-graph`'s normalisations refuse such graphs, which is right for a Laplacian
/// eigenmap but not for one term of a sum of kernels).
pub fn normalize_symmetric(a: &CsrMatrix<f64>) -> CsrMatrix<f64> {
    let inv_sqrt: Vec<f64> = a
        .row_iter()
        .map(|r| {
            let d: f64 = r.values().iter().sum();
            if d > 0.0 { 1.0 / d.sqrt() } else { 0.0 }
        })
        .collect();
    let mut out = a.clone();
    let offsets = out.row_offsets().to_vec();
    let cols = out.col_indices().to_vec();
    for (i, w) in offsets.windows(2).enumerate() {
        for k in w[0]..w[1] {
            out.values_mut()[k] *= inv_sqrt[i] * inv_sqrt[cols[k]];
        }
    }
    out
}

/// The kernel `G = w_f N(A_feat) + w_p N(A_pix)` over the patches of `images`, whose feature
/// rows, stacked in the same order, are `features` (the caller's normalisation of the
/// features, e.g. standardised with training statistics).
pub fn segmentation_kernel(
    images: &[&PatchFeatures],
    features: &DMatrix<f64>,
    params: &KernelParams,
) -> Result<CsrMatrix<f64>> {
    params.check()?;
    let n: usize = images.iter().map(|p| p.colours.len()).sum();
    if images.is_empty() || n == 0 {
        return Err(SegmentError::Empty("a kernel over no patches".into()));
    }
    if features.nrows() != n {
        return Err(SegmentError::Shape(format!(
            "{} feature rows for {n} patches",
            features.nrows()
        )));
    }
    let mut t: Vec<(usize, usize, f64)> = Vec::new();
    if params.feature_weight > 0.0 {
        let f = normalize_symmetric(&feature_graph(
            features,
            params.feature_topk,
            params.threads,
        )?);
        for (i, j, v) in f.triplet_iter() {
            t.push((i, j, params.feature_weight * v));
        }
    }
    if params.pixel_weight > 0.0 && !params.pixel_graphs.is_empty() {
        let mut offset = 0;
        for p in images {
            let g = normalize_symmetric(&pixel_graph(p, &params.pixel_graphs)?);
            for (i, j, v) in g.triplet_iter() {
                t.push((offset + i, offset + j, params.pixel_weight * v));
            }
            offset += p.colours.len();
        }
    }
    Ok(csr_from_triplets(n, &t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::PatchGrid;
    use basis_graph::csr_to_dense;

    /// A 2 × 2 patch grid: patches 0, 1 red (top row), 2, 3 blue (bottom row).
    fn tiny() -> PatchFeatures {
        PatchFeatures {
            grid: PatchGrid::new(2, 2, 1).unwrap(),
            features: DMatrix::from_row_slice(4, 2, &[1.0, 0.0, 1.0, 0.1, 0.0, 1.0, -1.0, 0.0]),
            colours: vec![
                [1.0, 0.0, 0.0],
                [1.0, 0.0, 0.0],
                [0.0, 0.0, 1.0],
                [0.0, 0.0, 1.0],
            ],
            positions: vec![[0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]],
        }
    }

    #[test]
    fn pixel_graph_by_hand() {
        let p = tiny();
        // k = 1 at position weight 1: each patch's nearest neighbour is the other patch of its
        // colour (distance 0.5; the other colour is ≥ √2 away). Edges {0,1}, {2,3}.
        let g = csr_to_dense(
            &pixel_graph(
                &p,
                &[PixelGraphSpec {
                    k: 1,
                    position_weight: 1.0,
                }],
            )
            .unwrap(),
        );
        let want = DMatrix::from_row_slice(
            4,
            4,
            &[
                0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0,
            ],
        );
        assert_eq!(g, want);
        // Adding k = 2 at position weight 10: position dominates, patch 0's two nearest are
        // 1 and 2 (distance 5 + colour vs 5 + colour √2: 1 at √(25) = 5, 2 at √(25 + 2)); patch
        // 3's are 1 (√27) and 2 (5). OR'ed with the first graph: 0–1, 0–2, 1–3, 2–3 and any
        // pair a kNN picked; patch 1's two nearest are 0 (5) and 3 (√27), patch 2's 3 and 0.
        let g = csr_to_dense(
            &pixel_graph(
                &p,
                &[
                    PixelGraphSpec {
                        k: 1,
                        position_weight: 1.0,
                    },
                    PixelGraphSpec {
                        k: 2,
                        position_weight: 10.0,
                    },
                ],
            )
            .unwrap(),
        );
        let want = DMatrix::from_row_slice(
            4,
            4,
            &[
                0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0,
            ],
        );
        assert_eq!(g, want);
    }

    #[test]
    fn feature_graph_by_hand() {
        let p = tiny();
        // Cosines: c01 = 1/√1.01, c02 = 0, c03 = −1 (clamped), c12 = 0.1/√1.01,
        // c13 = −1/√1.01, c23 = 0. Top-1: 0 → 1, 1 → 0, 2 → 1 (c = 0.0995), 3 → 2 or 0
        // (both cos 0: weight 0, no edge).
        let g = csr_to_dense(&feature_graph(&p.features, 1, 1).unwrap());
        let c01 = 1.0 / 1.01f64.sqrt();
        let c12 = 0.1 / 1.01f64.sqrt();
        assert!((g[(0, 1)] - c01).abs() < 1e-12, "{g}");
        assert!((g[(1, 2)] - 0.5 * c12).abs() < 1e-12, "{g}");
        assert!((g[(2, 1)] - 0.5 * c12).abs() < 1e-12);
        assert_eq!(g.row(3).sum(), 0.0);
        assert_eq!(g, g.transpose());
    }

    #[test]
    fn normalisation_and_the_sum() {
        let p = tiny();
        let params = KernelParams {
            feature_topk: 1,
            pixel_graphs: vec![PixelGraphSpec {
                k: 1,
                position_weight: 1.0,
            }],
            ..Default::default()
        };
        let g = csr_to_dense(&segmentation_kernel(&[&p], &p.features, &params).unwrap());
        let f = csr_to_dense(&normalize_symmetric(
            &feature_graph(&p.features, 1, 1).unwrap(),
        ));
        // The pixel graph {0,1}, {2,3} has degree 1 everywhere: N(A) = A.
        let mut want = f.clone();
        for (i, j) in [(0, 1), (1, 0), (2, 3), (3, 2)] {
            want[(i, j)] += 0.3;
        }
        assert!((g - want).amax() < 1e-12);
        // Degree-0 node 3 of the feature graph keeps a zero row after normalisation.
        assert_eq!(f.row(3).sum(), 0.0);
        // D^{-1/2} A D^{-1/2} of a path 0–1–2 with unit weights: entries 1/√2.
        let path = csr_from_triplets(3, &[(0, 1, 1.0), (1, 0, 1.0), (1, 2, 1.0), (2, 1, 1.0)]);
        let n = csr_to_dense(&normalize_symmetric(&path));
        assert!((n[(0, 1)] - 0.5f64.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn two_images_are_joined_only_by_the_feature_graph() {
        let (a, b) = (tiny(), tiny());
        let x = DMatrix::from_fn(8, 2, |i, j| a.features[(i % 4, j)]);
        let params = KernelParams {
            feature_weight: 0.0,
            pixel_weight: 1.0,
            ..Default::default()
        };
        let g = csr_to_dense(&segmentation_kernel(&[&a, &b], &x, &params).unwrap());
        assert_eq!(g.view((0, 4), (4, 4)).amax(), 0.0);
        let params = KernelParams::default();
        let g = csr_to_dense(&segmentation_kernel(&[&a, &b], &x, &params).unwrap());
        assert!(g.view((0, 4), (4, 4)).amax() > 0.0);
        assert!(matches!(
            segmentation_kernel(&[&a], &x, &params),
            Err(SegmentError::Shape(_))
        ));
        assert!(matches!(
            segmentation_kernel(&[], &DMatrix::zeros(0, 2), &params),
            Err(SegmentError::Empty(_))
        ));
        let none = KernelParams {
            feature_weight: 0.0,
            pixel_graphs: vec![],
            ..Default::default()
        };
        assert!(matches!(none.check(), Err(SegmentError::InvalidConfig(_))));
    }
}
