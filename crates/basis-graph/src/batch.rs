//! The per-iteration batch graph: features → kNN → Gaussian affinity →
//! Laplacian, with every buffer kept across calls by [`BatchGraphBuilder`]:
//! dense ([`BatchGraphBuilder::build`], affinity and Laplacian as matrices) or
//! sparse ([`BatchGraphBuilder::build_sparse`], the affinity as CSR, for a
//! solver that only needs products).

use crate::affinity::{AffinityParams, Symmetrize, gaussian_scales};
use crate::connect::bridge_edges;
use crate::error::{GraphError, Result};
use crate::knn::{KnnGraph, KnnParams, KnnWorkspace, knn_exact_with};
use crate::laplacian::{LaplacianKind, laplacian_into};
use crate::sparse::{Components, components_csr, gaussian_weight, knn_affinity, with_bridges};
use nalgebra::DMatrix;
use nalgebra_sparse::CsrMatrix;
use serde::{Deserialize, Serialize};

/// Everything needed to turn a batch of features into its Laplacian.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BatchGraphParams {
    /// Neighbour search.
    pub knn: KnnParams,
    /// Gaussian affinity.
    pub affinity: AffinityParams,
    /// Which Laplacian.
    pub laplacian: LaplacianKind,
    /// Accept a disconnected graph (reported in [`BatchGraph::components`])
    /// instead of returning [`GraphError::Disconnected`].
    pub allow_disconnected: bool,
    /// Connect a disconnected graph with the fewest, shortest extra edges
    /// ([`crate::connect`]); takes precedence over `allow_disconnected`.
    #[serde(default)]
    pub connect_components: bool,
}

impl Default for BatchGraphParams {
    fn default() -> Self {
        Self {
            knn: KnnParams::default(),
            affinity: AffinityParams::default(),
            laplacian: LaplacianKind::Unnormalized,
            allow_disconnected: false,
            connect_components: false,
        }
    }
}

impl BatchGraphParams {
    /// The batch graph of BASiS Table 1: 50 nearest neighbours (Euclidean), Gaussian weights
    /// with self-tuning scales (7th neighbour), max-symmetrised, `L_N`; a split graph is an error.
    pub fn paper_table1() -> Self {
        Self {
            knn: KnnParams {
                k: 50,
                metric: crate::Metric::Euclidean,
                threads: 1,
            },
            affinity: AffinityParams {
                scale: crate::Scale::Local(7),
                symmetrize: crate::Symmetrize::Max,
            },
            laplacian: LaplacianKind::SymmetricNormalized,
            allow_disconnected: false,
            connect_components: false,
        }
    }

    /// Checks the parameters that do not depend on the batch size.
    pub fn check(&self) -> Result<()> {
        if self.knn.k == 0 {
            return Err(GraphError::InvalidK { k: 0, n: 0 });
        }
        self.affinity.check(self.knn.k)
    }

    /// [`Self::check`] plus `k` against a batch of `m` points.
    pub fn check_batch_size(&self, m: usize) -> Result<()> {
        self.knn.check(m)?;
        self.affinity.check(self.knn.k)
    }
}

/// A batch graph: its affinity and its Laplacian.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchGraph {
    /// Symmetric affinity `W`, zero diagonal.
    pub affinity: DMatrix<f64>,
    /// The Laplacian chosen in the parameters.
    pub laplacian: DMatrix<f64>,
    /// Which Laplacian `laplacian` is.
    pub kind: LaplacianKind,
    /// Number of connected components of the kNN graph, before any bridge was
    /// added (1 unless `allow_disconnected` or `connect_components` let a split graph through).
    pub components: usize,
    /// Nodes that had no edge in the kNN graph (possible with `Mutual`).
    pub isolated: Vec<usize>,
    /// Edges added by `connect_components`, as `(i, j)`.
    pub bridges: Vec<(usize, usize)>,
}

impl BatchGraph {
    /// A graph from a given dense affinity (checked: square, finite,
    /// non-negative, symmetric), with its Laplacian and components.
    pub fn from_affinity(affinity: DMatrix<f64>, kind: LaplacianKind) -> Result<Self> {
        let laplacian = crate::laplacian::laplacian(&affinity, kind)?;
        let comps = crate::sparse::components_dense(&affinity);
        Ok(Self {
            affinity,
            laplacian,
            kind,
            components: comps.count,
            isolated: comps.isolated,
            bridges: Vec::new(),
        })
    }
}

/// A batch graph kept sparse ([`BatchGraphBuilder::build_sparse`]): the same
/// affinity as [`BatchGraph::affinity`], entry for entry, as CSR.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseBatchGraph {
    /// Symmetric affinity `W` (bridges included), no diagonal.
    pub affinity: CsrMatrix<f64>,
    /// The Laplacian chosen in the parameters (not built here).
    pub kind: LaplacianKind,
    /// Connected components of the kNN graph before any bridge was added.
    pub components: usize,
    /// Nodes without an edge in the kNN graph (possible with `Mutual`).
    pub isolated: Vec<usize>,
    /// Edges added by `connect_components`, as `(i, j)`.
    pub bridges: Vec<(usize, usize)>,
}

/// Builds batch graphs again and again without reallocating: the kNN
/// workspace, neighbour lists, affinity and Laplacian are all reused while
/// the batch size stays the same.
#[derive(Debug)]
pub struct BatchGraphBuilder {
    params: BatchGraphParams,
    workspace: KnnWorkspace,
    knn: KnnGraph,
    graph: BatchGraph,
    knn_seconds: f64,
}

impl BatchGraphBuilder {
    /// A builder for the given parameters (validated here).
    pub fn new(params: BatchGraphParams) -> Result<Self> {
        params.check()?;
        Ok(Self {
            params,
            workspace: KnnWorkspace::new(),
            knn: KnnGraph::default(),
            graph: BatchGraph {
                affinity: DMatrix::zeros(0, 0),
                laplacian: DMatrix::zeros(0, 0),
                kind: params.laplacian,
                components: 0,
                isolated: Vec::new(),
                bridges: Vec::new(),
            },
            knn_seconds: 0.0,
        })
    }

    /// The parameters.
    pub fn params(&self) -> &BatchGraphParams {
        &self.params
    }

    /// The kNN lists of the last batch.
    pub fn knn(&self) -> &KnnGraph {
        &self.knn
    }

    /// The last graph built (empty before the first [`Self::build`]).
    pub fn graph(&self) -> &BatchGraph {
        &self.graph
    }

    /// Seconds the neighbour search of the last [`Self::build`] took.
    pub fn last_knn_seconds(&self) -> f64 {
        self.knn_seconds
    }

    /// The graph of `x` (`m × d`, one point per row) with a sparse affinity: the
    /// neighbour search of [`Self::build`], then [`knn_affinity`] (the same weights
    /// and symmetrisation), components and bridges as [`Self::build`] treats them. No
    /// dense matrix is formed, so the cost grows with the edges, not with `m²`.
    pub fn build_sparse(&mut self, x: &DMatrix<f64>) -> Result<SparseBatchGraph> {
        let p = self.params;
        let started = std::time::Instant::now();
        knn_exact_with(&mut self.workspace, x, &p.knn, &mut self.knn)?;
        self.knn_seconds = started.elapsed().as_secs_f64();
        let mut affinity = knn_affinity(&self.knn, &p.affinity)?;
        let comps = components_csr(&affinity);
        let mut bridges = Vec::new();
        if comps.count > 1 {
            if p.connect_components {
                let found = bridge_edges(x, &comps, p.knn.metric)?;
                let sigma = gaussian_scales(&self.knn, p.affinity.scale)?;
                affinity = with_bridges(&affinity, &found, p.affinity.scale, &sigma);
                bridges = found.iter().map(|b| (b.i, b.j)).collect();
            } else if !p.allow_disconnected {
                comps.ensure_connected()?;
            }
        }
        Ok(SparseBatchGraph {
            affinity,
            kind: p.laplacian,
            components: comps.count,
            isolated: comps.isolated,
            bridges,
        })
    }

    /// The graph of `x` (`m × d`, one point per row).
    pub fn build(&mut self, x: &DMatrix<f64>) -> Result<&BatchGraph> {
        let p = self.params;
        let started = std::time::Instant::now();
        knn_exact_with(&mut self.workspace, x, &p.knn, &mut self.knn)?;
        self.knn_seconds = started.elapsed().as_secs_f64();
        let knn = &self.knn;
        let n = knn.n;
        let sigma = gaussian_scales(knn, p.affinity.scale)?;
        let g = &mut self.graph;
        let w = &mut g.affinity;
        if w.shape() != (n, n) {
            *w = DMatrix::zeros(n, n);
        } else {
            w.fill(0.0);
        }
        for i in 0..n {
            for (&j, &d) in knn.neighbors(i).iter().zip(knn.neighbor_distances(i)) {
                w[(i, j)] = gaussian_weight(p.affinity.scale, d, sigma[i], sigma[j]);
            }
        }
        // Symmetrise over the listed pairs; a pair listed one way has a zero on the
        // other side. Visiting a pair twice is harmless: all three rules are idempotent.
        for i in 0..n {
            for &j in knn.neighbors(i) {
                let (a, b) = (w[(i, j)], w[(j, i)]);
                let v = match p.affinity.symmetrize {
                    Symmetrize::Max => a.max(b),
                    Symmetrize::Mean => 0.5 * (a + b),
                    Symmetrize::Mutual => a.min(b),
                };
                w[(i, j)] = v;
                w[(j, i)] = v;
            }
        }
        let edges = (0..n).flat_map(|i| {
            knn.neighbors(i)
                .iter()
                .map(move |&j| (i, j))
                .filter(|&(i, j)| w[(i, j)] > 0.0)
        });
        let comps = Components::from_edges(n, edges);
        g.components = comps.count;
        g.isolated.clone_from(&comps.isolated);
        g.bridges.clear();
        if comps.count > 1 {
            if p.connect_components {
                for b in bridge_edges(x, &comps, p.knn.metric)? {
                    let v = gaussian_weight(p.affinity.scale, b.distance, sigma[b.i], sigma[b.j])
                        .max(f64::MIN_POSITIVE);
                    w[(b.i, b.j)] = v;
                    w[(b.j, b.i)] = v;
                    g.bridges.push((b.i, b.j));
                }
            } else if !p.allow_disconnected {
                comps.ensure_connected()?;
            }
        }
        g.kind = p.laplacian;
        laplacian_into(&g.affinity, p.laplacian, &mut g.laplacian)?;
        Ok(&self.graph)
    }

    /// Consumes the builder, returning the last graph built.
    pub fn into_graph(self) -> BatchGraph {
        self.graph
    }
}

/// Features (`m × d`, one point per row) → kNN → Gaussian affinity → Laplacian.
/// For repeated calls use a [`BatchGraphBuilder`].
pub fn batch_graph(x: &DMatrix<f64>, params: &BatchGraphParams) -> Result<BatchGraph> {
    let mut b = BatchGraphBuilder::new(*params)?;
    b.build(x)?;
    Ok(b.into_graph())
}
